"""The one upload engine the CLI and the TUI share.

:func:`send_upload` sends a prepared upload and never raises for an expected failure: it
returns a :class:`SendOutcome` saying *sent*, *error* (Kombo refused; nothing stored),
*unknown* (the answer was lost; the file may be stored) or *file_changed*. With
``verify=True`` it checks the application's attachments afterwards, so the user knows
whether the file is there before deciding to resend.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, Literal

from .client import KomboClient, RetryNotice, UploadResult
from .errors import ApiError, FileChangedError, KomboError, TransportError
from .hints import hint_for
from .models import Attachment
from .payload import PreparedUpload, ProgressCallback

__all__ = ["Outcome", "SendOutcome", "Verification", "error_json", "send_upload", "verify_upload"]

Outcome = Literal["sent", "error", "unknown", "file_changed"]


@dataclass
class Verification:
    """What re-reading the application's attachments showed."""

    found: bool | None
    """True: a matching file is there; False: it is not; None: the check itself failed."""
    matches: list[Attachment] = field(default_factory=list)
    total: int = 0
    new_since_send: bool | None = None
    """True when a match was not there before sending (None when no 'before' list was taken)."""
    error: KomboError | None = None

    def summary(self) -> str:
        if self.found is None:
            return f"could not check the attachments: {self.error}"
        if self.found:
            names = ", ".join(m.file_name or m.id for m in self.matches)
            return f"the file is on the application ({names}; {self.total} attachment(s) in all)"
        return f"no attachment with this name on the application ({self.total} attachment(s) in all)"

    def to_json(self) -> dict[str, Any]:
        return {
            "found": self.found,
            "new_since_send": self.new_since_send,
            "total": self.total,
            "matches": [m.model_dump(exclude_none=True) for m in self.matches],
            "error": str(self.error) if self.error else None,
        }


@dataclass
class SendOutcome:
    """The result of one send, whatever happened."""

    status: Outcome
    upload: PreparedUpload
    result: UploadResult | None = None
    error: KomboError | None = None
    verification: Verification | None = None
    retries: list[RetryNotice] = field(default_factory=list)

    @property
    def warnings(self) -> list[str]:
        return list(self.result.warnings) if self.result else []

    @property
    def landed(self) -> bool:
        """Sent, or the answer was lost but verification found the file."""
        if self.status == "sent":
            return True
        return bool(self.verification and self.verification.found and self.verification.new_since_send is not False)

    def to_json(self) -> dict[str, Any]:
        out: dict[str, Any] = {
            "ok": self.status == "sent",
            "status": self.status,
            "request": self.upload.describe(),
            "warnings": self.warnings,
            "retries": [
                {"attempt": r.attempt, "delay": round(r.delay, 3), "reason": r.reason} for r in self.retries
            ],
        }
        if self.result is not None:
            out["attempts"] = self.result.attempts
            out["elapsed_seconds"] = round(self.result.elapsed, 3)
        if self.error is not None:
            out["error"] = error_json(self.error)
        if self.verification is not None:
            out["verification"] = self.verification.to_json()
        return out


def error_json(error: KomboError) -> dict[str, Any]:
    """A JSON-ready description of any core error (never contains the key)."""
    base: dict[str, Any] = {"kind": type(error).__name__, "message": str(error), "hint": hint_for(error)}
    if isinstance(error, ApiError):
        base.update(
            status=error.status,
            code=error.code,
            title=error.title,
            message=error.message,
            log_url=error.log_url,
        )
    elif isinstance(error, TransportError):
        base.update(sent=error.sent, transport_kind=error.kind)
    return base


async def _attachment_ids(client: KomboClient, upload: PreparedUpload) -> set[str] | None:
    try:
        found = await client.get_application_attachments(
            upload.application_id, integration_id=upload.integration_id
        )
    except KomboError:
        return None
    return {a.id for a in found}


async def verify_upload(
    client: KomboClient, upload: PreparedUpload, *, before: set[str] | None = None
) -> Verification:
    """Re-read the application's attachments and look for this upload (by file name)."""
    try:
        found = await client.get_application_attachments(
            upload.application_id, integration_id=upload.integration_id
        )
    except KomboError as exc:
        return Verification(found=None, error=exc)
    matches = [a for a in found if (a.file_name or "") == upload.name]
    new: bool | None = None
    if before is not None:
        new = any(m.id not in before for m in matches)
    return Verification(found=bool(matches), matches=matches, total=len(found), new_since_send=new)


async def send_upload(
    client: KomboClient,
    upload: PreparedUpload,
    *,
    progress: ProgressCallback | None = None,
    verify: bool = False,
    on_retry: Callable[[RetryNotice], None] | None = None,
) -> SendOutcome:
    """Send once (with automatic retries of rate/concurrency limits only).

    With ``verify``, the attachments are listed before sending and re-read after an
    unknown outcome (and after success, to confirm), so a lost answer can be resolved
    without sending twice.
    """
    retries: list[RetryNotice] = []
    previous = client.on_retry

    def record(notice: RetryNotice) -> None:
        retries.append(notice)
        if on_retry is not None:
            on_retry(notice)
        if previous is not None:
            previous(notice)

    client.on_retry = record
    before = await _attachment_ids(client, upload) if verify else None
    outcome: SendOutcome
    try:
        result = await client.add_application_attachment(upload, progress=progress)
        outcome = SendOutcome("sent", upload, result=result)
    except FileChangedError as exc:
        outcome = SendOutcome("file_changed", upload, error=exc)
    except TransportError as exc:
        outcome = SendOutcome("unknown" if exc.sent else "error", upload, error=exc)
    except ApiError as exc:
        # A 5xx may come after the ATS stored the file: the outcome is unknown.
        outcome = SendOutcome("unknown" if exc.status >= 500 else "error", upload, error=exc)
    finally:
        client.on_retry = previous
    outcome.retries = retries
    if verify and outcome.status in ("sent", "unknown"):
        outcome.verification = await verify_upload(client, upload, before=before)
    return outcome
