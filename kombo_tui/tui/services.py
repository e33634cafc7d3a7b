"""What the main screen's handlers and workers call: preview, check, send, verify, export, list
what is already attached, replay a past send.

The screen keeps the state; these functions do the work on plain values (the draft, the
inspected file, the last send) and return what the screen then assigns. Nothing here imports
Textual or touches a widget, so plain pytest can run it; the core (pydantic, httpx) is
imported on first use, never for the first frame.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, replace
from pathlib import Path
from typing import TYPE_CHECKING, Any

from kombo_tui.core.errors import InputError, KomboError, Problem

from . import present
from .state import (
    AttachmentsView,
    BatchFile,
    DraftView,
    FileView,
    IntegrationView,
    LastSend,
    PickedApplication,
    TargetKind,
    UploadKey,
    upload_key,
)
from .text import local_time, safe_line

if TYPE_CHECKING:
    from kombo_tui.core.client import KomboClient
    from kombo_tui.core.existing import AttachmentsCache, TargetKey
    from kombo_tui.core.history import History, HistoryEntry
    from kombo_tui.core.models import AttachmentRestrictions
    from kombo_tui.core.outcome import SendOutcome
    from kombo_tui.core.payload import PreparedUpload
    from kombo_tui.core.retry import RetryNotice

__all__ = [
    "APP_FIELDS",
    "EXPORT_STEM",
    "Preview",
    "ReplayPlan",
    "SendCheck",
    "VerifyReport",
    "app_problems",
    "check_send",
    "export_body_path",
    "export_curl",
    "known_limits",
    "limits_problems",
    "list_attachments",
    "prepare_batch",
    "prepare_upload",
    "preview",
    "previous_sends",
    "replay_plan",
    "send",
    "verify",
]

EXPORT_STEM = "kombo-upload"
"""F7 writes ``kombo-upload.json`` (the body) and ``kombo-upload.sh`` (curl) here."""


# ---------------------------------------------------------------------- before sending

APP_FIELDS = {
    "integration": "the Integration field",
    "application": "the Application field, or F3",
    "candidate": "the Candidate field, or F3",
    "name": "the Name field",
}
"""Where the app takes each field (said beside a field left empty; the CLI names its flags)."""


def app_problems(problems: Sequence[Problem], draft: DraftView) -> list[Problem]:
    """The core's problems as the app words them: its own fields, and the candidate's id
    (not the application's) missing when the form is switched to the candidate."""
    out = []
    for problem in problems:
        if problem.field == "application" and problem.missing and draft.target == "candidate":
            problem = Problem("candidate", "no candidate id given", missing=True)
        out.append(problem.worded(APP_FIELDS))
    return out



def prepare_upload(draft: DraftView, file_view: FileView, *, require_target: bool) -> PreparedUpload:
    """The request the draft describes, with what inspecting the file already found.

    Raises:
        InputError: Something the user gave is wrong (each problem names its field).
    """
    from kombo_tui.core.payload import prepare

    ready = file_view.state == "ready"
    return prepare(
        draft.to_core(),
        known_fingerprint=file_view.fingerprint if ready else None,
        known_sniffed=file_view.sniffed if ready else None,
        require_target=require_target,
    )


@dataclass(frozen=True)
class Preview:
    """The request as the payload panel shows it, and what to say about it where."""

    upload: PreparedUpload | None
    """None while nothing can be prepared (see :attr:`problems`)."""
    file_warnings: tuple[str, ...]
    """Shown under the file."""
    problems: tuple[str, ...]
    """Shown under the payload and in the confirm dialog."""


def preview(
    draft: DraftView,
    file_view: FileView,
    *,
    restrictions: AttachmentRestrictions | None,
    remote_error: str | None,
) -> Preview:
    """Rebuild the preview from the draft (cheap: no file reads).

    Args:
        draft: What the user chose so far.
        file_view: The chosen file as inspected so far.
        restrictions: The integration's published limits (None: unknown).
        remote_error: Why the remote fields are invalid (None when they are fine).
    """
    problems: list[str] = []
    file_warnings: list[str] = []
    upload: PreparedUpload | None = None
    if not draft.by_url and draft.file is None:
        if file_view.state == "inspecting":
            problems.append("reading the file…")
    else:
        try:
            upload = prepare_upload(draft, file_view, require_target=False)
        except InputError as exc:
            problems.extend(str(p) for p in app_problems(exc.problems, draft))
        except KomboError as exc:  # pragma: no cover - defensive
            problems.append(str(exc))
    if upload is not None:
        file_notes, notes = present.sorted_notices(upload, restrictions)
        file_warnings.extend(file_notes)
        problems.extend(notes)
    if remote_error:
        problems.append(f"remote_fields: {remote_error}")
    return Preview(upload, tuple(file_warnings), tuple(problems))


def prepare_batch(
    draft: DraftView, first: PreparedUpload | None, extra_files: Sequence[BatchFile]
) -> tuple[list[PreparedUpload] | None, tuple[BatchFile, ...]]:
    """Validate every further file of a batch against the same target.

    Returns:
        The further requests (None if any file cannot be sent) and the rows, each with its
        own problem (or none) and its last result cleared.
    """
    from kombo_tui.core.payload import prepare

    uploads: list[PreparedUpload] = []
    seen = {first.fingerprint.sha256} if first is not None and first.fingerprint else set()
    rows: list[BatchFile] = []
    ok = True
    for item in extra_files:
        error = item.error if item.state == "error" else None
        if item.state == "inspecting":
            error = "still being read — try again in a moment"
        elif item.state == "ready":
            try:
                upload = prepare(
                    draft.updated(file=item.path, source="data", name=None, type=item.type, content_type=None).to_core(),
                    known_fingerprint=item.fingerprint,
                    known_sniffed=item.sniffed,
                )
            except InputError as exc:
                error = "; ".join(p.message for p in exc.problems if p.field not in ("integration", "application"))
                error = error or "fix the target first"
            else:
                sha = upload.fingerprint.sha256 if upload.fingerprint else ""
                if sha in seen:
                    error = "the same file is already in this batch"
                seen.add(sha)
                uploads.append(upload)
        ok = ok and error is None
        rows.append(replace(item, error=error, result=None, result_kind="idle"))
    return (uploads if ok else None), tuple(rows)


@dataclass(frozen=True)
class SendCheck:
    """What ctrl+s found before asking to confirm."""

    uploads: list[PreparedUpload]
    """Every request to send, the main file first (empty when there are problems)."""
    problems: tuple[str, ...]
    """Why nothing can be sent yet, one bullet each."""
    extra_files: tuple[BatchFile, ...]
    """The batch's rows, each with its own problem."""


def known_limits(integration: IntegrationView) -> dict[str, AttachmentRestrictions | None]:
    """The published limits the Target panel already read, by integration (none while loading).

    A value of None means "read: none published (or the read failed)", as the core reads it.
    """
    if integration.integration_id and integration.restrictions_known and integration.error is None:
        return {integration.integration_id: integration.restrictions}
    return {}


def check_send(
    draft: DraftView,
    file_view: FileView,
    extra_files: Sequence[BatchFile],
    remote_error: str | None,
    limits: Mapping[str, AttachmentRestrictions | None] | None = None,
) -> SendCheck:
    """Prepare every request of a send, target required; say what stops it.

    Args:
        limits: The integrations' published limits already read (:func:`known_limits`): a
            file they refuse stops the send here, by the core's rule
            (:func:`~kombo_tui.core.engine.over_limits`), as the CLI and library refuse it.
    """
    problems: list[str] = []
    upload: PreparedUpload | None = None
    try:
        upload = prepare_upload(draft, file_view, require_target=True)
    except InputError as exc:
        problems.extend(f"• {p}" for p in app_problems(exc.problems, draft))
    if remote_error:
        problems.append(f"• remote_fields: {remote_error}")
    more, rows = prepare_batch(draft, upload, extra_files)
    if more is None:
        problems.extend(f"• {item.display}: {item.error or 'still being read'}" for item in rows if item.error or item.state != "ready")
    if problems or upload is None or more is None:
        return SendCheck([], tuple(problems), rows)
    from kombo_tui.core.engine import over_limits

    refused = over_limits([upload, *more], limits or {})
    if refused is not None:
        return SendCheck([], limits_problems(refused), rows)
    return SendCheck([upload, *more], (), rows)


def limits_problems(error: InputError) -> tuple[str, ...]:
    """A refusal by the integration's published limits, as the result panel lists it."""
    return (*(f"• {p}" for p in error.problems), "• (the integration's published limits; nothing was sent)")


def previous_sends(history: History, environment: str, upload: PreparedUpload) -> list[HistoryEntry]:
    """Was this already sent? The core's answer (:meth:`History.earlier_sends`), as the CLI asks.

    An unreadable log gives none: it must not block sending.
    """
    try:
        return history.earlier_sends(upload, environment)
    except Exception:  # noqa: BLE001 - an unreadable log must not block sending
        return []


# ---------------------------------------------------------------------- sending


async def send(
    client: KomboClient,
    uploads: list[PreparedUpload],
    *,
    history: History,
    environment: str,
    accept: frozenset[int] = frozenset(),
    limits: Mapping[str, AttachmentRestrictions | None] | None = None,
    picked: PickedApplication | None,
    concurrency: int,
    progress: Callable[[int, int, int], None],
    on_retry: Callable[[RetryNotice], None],
) -> list[SendOutcome]:
    """Send once (the engine retries only rate and concurrency limits); one outcome per file.

    Args:
        client: The API client.
        uploads: The main file first, then the batch's further files.
        history: The audit log every send is written to.
        environment: The canonical environment (:attr:`Connection.history_environment`).
        accept: Ids of earlier sends the user saw in Confirm and chose to send past.
        limits: The published limits already read (:func:`known_limits`); the others are read
            now. A file they refuse raises before the first byte.
        picked: The chosen application: its candidate and job go into the log when it is
            the one sent to.
        concurrency: Uploads of a batch in flight at once.
        progress: ``progress(index, sent, total)`` for each chunk of each file's body.
        on_retry: Told before each automatic retry.

    Raises:
        InputError: The integration's published limits refuse a file. Nothing was sent.
    """
    from kombo_tui.core.engine import refuse_over_limits, send_batch, send_upload

    await refuse_over_limits(client, uploads, known=limits)  # the CLI's and library's pre-flight
    picked = picked.names(uploads[0]) if picked is not None else None
    candidate, job = (picked.candidate, picked.job) if picked else (None, None)
    if len(uploads) == 1:

        def single(sent: int, total: int) -> None:
            progress(0, sent, total)

        outcome = await send_upload(
            client,
            uploads[0],
            progress=single,
            on_retry=on_retry,
            history=history,
            environment=environment,
            candidate=candidate,
            job=job,
            accept=accept,
        )
        return [outcome]
    return await send_batch(
        client,
        uploads,
        concurrency=concurrency,
        progress=progress,
        on_retry=on_retry,
        history=history,
        environment=environment,
        context=[(candidate, job)] * len(uploads),
        accept=accept,
    )


@dataclass(frozen=True)
class VerifyReport:
    """What re-reading the application's attachments found, file by file."""

    summary: str
    """One line per file."""
    found: bool | None
    """True: every file is there; False: one is not; None: a check failed."""
    notes: tuple[str, ...]
    """Local problems (the history could not be written)."""
    resolved: frozenset[UploadKey]
    """Files whose unknown outcome is settled now, either way."""


async def verify(client: KomboClient, history: History, sent: LastSend, *, was_unknown: bool) -> VerifyReport:
    """Look for each file of the last send on the application and record what was found.

    Args:
        client: The API client.
        history: The audit log: each file's row gets the verification.
        sent: The last send (its files, their log rows and start times).
        was_unknown: The send's outcome was unknown: the log row's outcome becomes
            ``verified_present`` or ``verified_absent``.
    """
    import asyncio

    from kombo_tui.core.engine import verify_upload

    lines: list[str] = []
    found: list[bool | None] = []
    notes: list[str] = []
    resolved: set[UploadKey] = set()
    rows = sent.rows
    for upload, history_id, since in rows:
        check = await verify_upload(client, upload, since=since)
        # After a lost answer only evidence settles it (a same-named older file is not this send).
        verdict = check.evidence if was_unknown else None if check.found is None else ("present" if check.found else "absent")
        found.append(None if verdict is None else verdict == "present")
        if verdict is not None:
            resolved.add(upload_key(upload))
        lines.append(present.verification_line(check, was_unknown=was_unknown, name=upload.name if len(rows) > 1 else None))
        if verdict is not None and history_id is not None:
            outcome = f"verified_{verdict}" if was_unknown else None
            try:
                await asyncio.to_thread(history.set_verified, history_id, verdict, outcome)
            except Exception as exc:  # noqa: BLE001 - the check itself stands; say the log missed it
                notes.append(f"note: could not write the history ({exc})")
    overall = None if None in found else all(found)
    return VerifyReport("\n".join(lines), overall, tuple(dict.fromkeys(notes)), frozenset(resolved))


# ---------------------------------------------------------------------- export


def export_body_path(folder: Path | None = None) -> Path:
    """Where F7 writes the upload's body: ``folder``, else the exports folder (absolute)."""
    from kombo_tui.core.config.file import exports_dir

    return (folder or exports_dir()).absolute() / f"{EXPORT_STEM}.json"


def export_curl(upload: PreparedUpload, base_url: str, folder: Path | None = None) -> tuple[str, Path, Path]:
    """Write the body (mode 0600) and a curl script (mode 0700) to ``folder`` (the exports folder).

    Returns:
        The curl command (it reads the key from ``KOMBO_API_KEY`` and names the body by its
        absolute path, so it runs from any folder), the body's path and the script's path.

    Raises:
        KomboError: The file could not be read for the body.
        OSError: A file could not be written, or a link, device or folder holds either name
            (checked for both before either is written).
    """
    from kombo_tui.core.wire.export import curl_command, refuse_special, write_body, write_script

    body = export_body_path(folder)
    script = body.with_suffix(".sh")
    for path in (body, script):
        refuse_special(path)
    write_body(upload, body)  # 0600
    command = curl_command(upload, base_url, body)
    write_script(command, script)  # 0700
    return command, body, script


# ---------------------------------------------------------------------- what is already there


async def list_attachments(
    cache: AttachmentsCache, client: KomboClient, key: TargetKey, *, refresh: bool = False
) -> AttachmentsView:
    """The target's attachments through the cache (one request per target, unless ``refresh``);
    a failure becomes the view's error, never an exception."""
    try:
        found = await cache.fetch(client, key, refresh=refresh)
    except KomboError as exc:
        return AttachmentsView(key, "error", error=present.short_error(exc))
    return AttachmentsView(key, "ready", found=found)


# ---------------------------------------------------------------------- replay


@dataclass(frozen=True)
class ReplayPlan:
    """A past send as the main form takes it back (History's Replay)."""

    integration_id: str
    target: TargetKind
    target_id: str
    picked: PickedApplication | None
    """The application with the names the log kept (None for a candidate target)."""
    path: str
    """Where the file was ("" when the log did not keep it)."""
    name: str
    type: str
    content_type: str | None
    """As sent: put back after the file is read (which fills in the sniffed type)."""
    remote_fields: dict[str, Any] | None
    headline: str
    notes: tuple[str, ...]
    warnings: tuple[str, ...]
    """What the user must know: another environment, a path that was not kept."""


def replay_plan(entry: HistoryEntry, environment: str) -> ReplayPlan:
    """How to reopen ``entry`` in the form of an app talking to ``environment``.

    Nothing switches the environment: a send from another one is filled in with a warning
    (its ids may not exist here). The file is read again from its path, so a file that is
    gone or changed shows as any typed path does.
    """
    target: TargetKind = "candidate" if entry.candidate_id else "application"
    target_id = entry.candidate_id or entry.application_id
    picked = None
    if target == "application" and target_id:
        picked = PickedApplication(id=target_id, candidate=entry.candidate, job=entry.job, integration_id=entry.integration_id)
    warnings: list[str] = []
    if entry.environment != environment:
        warnings.append(
            f"This send went to {safe_line(entry.environment, 80)}; the app talks to {safe_line(environment, 80)} "
            "and was not switched: its ids may not exist here."
        )
    if not entry.file_path:
        warnings.append("The file's path was not kept (sent by data_url, or by an older version): choose the file.")
    when = safe_line(local_time(entry.at), 40)
    return ReplayPlan(
        integration_id=entry.integration_id,
        target=target,
        target_id=target_id,
        picked=picked,
        path=entry.file_path or "",
        name=entry.file_name,
        type=entry.type,
        content_type=entry.mime,
        remote_fields=entry.remote_fields,
        headline=f"Replay of {safe_line(entry.file_name, 60)} ({when}): fix what you need, then ctrl+s",
        notes=("Nothing is sent before the usual confirm and duplicate check.",),
        warnings=tuple(warnings),
    )
