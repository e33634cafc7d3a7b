"""How a send ended: one vocabulary, and one answer to "did it land?", for the engine, the
history, bulk runs and every door.

An outcome is a plain string (it is stored in the history and written in JSON as is):

- ``sending``: the write-ahead record of a send in flight, or of one whose program stopped;
- ``sent``: Kombo answered 200 — the file is on its target;
- ``unknown``: the whole body left but no answer came (or a 5xx did): it may have landed;
- ``error``: refused, or stopped before the body was whole — nothing was stored;
- ``file_changed``: the file changed while it was read, the send stopped before the end;
- ``verified_present`` / ``verified_absent``: what Verify found after an unknown outcome.

:class:`SendOutcome` is one send's result in these words, with the :class:`Verification` that
may settle an ``unknown`` one; :func:`error_json` is how its error is written as JSON.
Light on purpose (a send imports it): the wire models and the notebook reprs load only when used.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import TYPE_CHECKING, Any, Literal

from . import clock
from .errors import ApiError, TransportError
from .hints import counted, hint_for
from .text import one_line

if TYPE_CHECKING:
    from .client import UploadResult
    from .errors import KomboError
    from .models import Attachment
    from .payload import PreparedUpload
    from .retry import RetryNotice
    from .wire.exchanges import Exchange

__all__ = [
    "LANDED",
    "UNSETTLED",
    "Outcome",
    "SendOutcome",
    "SendStatus",
    "Settles",
    "Verification",
    "error_json",
    "landed",
    "unsettled",
]

SendStatus = Literal["sent", "error", "unknown", "file_changed"]
"""How one send call ended (:attr:`SendOutcome.status`)."""

Outcome = Literal["sending", "sent", "error", "unknown", "file_changed", "verified_present", "verified_absent"]
"""Every outcome a history row can hold."""

LANDED: frozenset[str] = frozenset({"sent", "verified_present"})
"""Outcomes known to have put the file on its target."""

UNSETTLED: frozenset[str] = frozenset({"sending", "unknown"})
"""Outcomes that may or may not have landed: verify before sending again."""


def landed(outcome: str | None) -> bool:
    """The file is known to be on its target."""
    return outcome in LANDED


def unsettled(outcome: str | None) -> bool:
    """Nobody knows yet whether the file landed (verify before sending again)."""
    return outcome in UNSETTLED


class Settles:
    """The two predicates on whatever has an :data:`Outcome` (a history row, a send's result)."""

    if TYPE_CHECKING:

        @property
        def outcome(self) -> str: ...

    @property
    def landed(self) -> bool:
        """The file is known to be on its target."""
        return landed(self.outcome)

    @property
    def unsettled(self) -> bool:
        """It may or may not have landed: verify before sending again."""
        return unsettled(self.outcome)


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
    target: str = "application"
    """Whose attachments were read: ``application`` or ``candidate``."""

    @property
    def evidence(self) -> Literal["present", "absent"] | None:
        """What the check proves about *this* send: ``present`` (a match that was not there
        before it), ``absent`` (no match, or only older ones), or None (it cannot tell: the
        check failed, or a same-named file is there whose age cannot be shown). A matching
        name alone is never proof."""
        if self.found is False or (self.found and self.new_since_send is False):
            return "absent"
        if self.found and self.new_since_send:
            return "present"
        return None

    def summary(self) -> str:
        if self.found is None:
            return f"could not check the attachments: {self.error}"
        if self.found:
            names = ", ".join(one_line(m.file_name or m.id) for m in self.matches)  # the server's words
            age = {
                "absent": "; only older files of this name, not this send's",
                None: "; whether it is this send's cannot be shown",
            }.get(self.evidence, "")
            return f"the file is on the {self.target} ({names}; {counted(self.total, 'attachment')} in all{age})"
        return f"no attachment with this name on the {self.target} ({counted(self.total, 'attachment')} in all)"

    def __repr__(self) -> str:
        from .display import verification_text

        return verification_text(self)

    def _repr_html_(self) -> str:
        from .display import verification_html

        return verification_html(self)

    def to_json(self) -> dict[str, Any]:
        return {
            "found": self.found,
            "new_since_send": self.new_since_send,
            "total": self.total,
            "matches": [m.model_dump(exclude_none=True) for m in self.matches],
            "error": str(self.error) if self.error else None,
        }


@dataclass
class SendOutcome(Settles):
    """The result of one send, whatever happened."""

    status: SendStatus
    """How the send call ended (:mod:`.outcome`); Verify may settle ``unknown`` later."""
    upload: PreparedUpload
    result: UploadResult | None = None
    error: KomboError | None = None
    verification: Verification | None = None
    retries: list[RetryNotice] = field(default_factory=list)
    history_id: int | None = None
    """The audit-log row of this send, when a history was given."""
    started_at: datetime = field(default_factory=lambda: clock.utc_now())
    """When the send began (pass to :func:`verify_upload` as ``since``)."""
    notes: list[str] = field(default_factory=list)
    """Local problems worth telling (e.g. the history could not be written)."""
    history_error: str | None = None
    """Why the history could not record this send (None when it did, or when none was given).

    The send's own status is unchanged; the row went to the history's pending file when
    that could be written (see :meth:`~kombo_tui.core.history.History.save_pending`).
    """
    exchange_scope: str | None = None
    """The :meth:`ExchangeLog.scope <kombo_tui.core.wire.exchanges.ExchangeLog.scope>` this send's
    exchanges carry, when the client records them (``log.entries(scope=...)`` lists them)."""
    exchanges: list[Exchange] = field(default_factory=list, repr=False)
    """This send's exchanges (reads, the upload, its retries and waits, verification)."""

    @property
    def warnings(self) -> list[str]:
        return list(self.result.warnings) if self.result else []

    def __repr__(self) -> str:
        from .display import outcome_text

        return outcome_text(self)

    def _repr_html_(self) -> str:
        from .display import outcome_html

        return outcome_html(self)

    @property
    def outcome(self) -> str:
        """The history's word for it (:mod:`.outcome`): the status, settled by verification."""
        if self.status == "unknown" and self.verification is not None and self.verification.evidence:
            return f"verified_{self.verification.evidence}"
        return self.status

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
        if self.history_error is not None:
            out["history_error"] = self.history_error
        return out


def error_json(error: KomboError) -> dict[str, Any]:
    """A JSON-ready description of any core error (never contains the key)."""
    base: dict[str, Any] = {"kind": type(error).__name__, "message": str(error), "hint": hint_for(error)}
    if isinstance(error, ApiError):
        base.update(
            label=error.label,
            status=error.status,
            code=error.code,
            title=error.title,
            message=error.message,
            log_url=error.log_url,
        )
    elif isinstance(error, TransportError):
        base.update(sent=error.sent, transport_kind=error.kind)
    return base
