"""The one upload engine the CLI and the TUI share.

:func:`send_upload` sends a prepared upload and never raises for an expected failure: it
returns a :class:`SendOutcome` saying *sent*, *error* (Kombo refused; nothing stored),
*unknown* (the answer was lost; the file may be stored) or *file_changed*. With
``verify=True`` it checks the application's attachments afterwards, so the user knows
whether the file is there before deciding to resend. The outcome types live with their
predicates in :mod:`.outcome`.
"""

from __future__ import annotations

import asyncio
import contextlib
import sqlite3
import uuid
from collections.abc import Callable, Collection, Iterator, Mapping, Sequence
from contextlib import contextmanager
from datetime import datetime, timedelta, timezone
from typing import TYPE_CHECKING

from . import clock
from .client import KomboClient
from .errors import (
    AlreadyThereError,
    ApiError,
    DuplicateUploadError,
    FileChangedError,
    InputError,
    KomboError,
    Problem,
    TransportError,
    error_label,
)
from .history import History, HistoryEntry
from .outcome import SendOutcome, Verification
from .payload import PreparedUpload, ProgressCallback, display_path
from .retry import RetryNotice
from .text import one_line

if TYPE_CHECKING:
    from .models import Attachment, AttachmentRestrictions
    from .wire.exchanges import ExchangeLog

__all__ = [
    "claim_send",
    "entry_from_outcome",
    "send_batch",
    "over_limits",
    "refuse_over_limits",
    "send_upload",
    "verify_upload",
    "withdraw_claim",
]



def entry_from_outcome(
    outcome: SendOutcome, *, environment: str, candidate: str | None = None, job: str | None = None
) -> HistoryEntry:
    """The audit-log row for a send (no file bytes, no key).

    ``environment`` is the canonical environment (:func:`~.identity.canonical_environment`):
    the row is keyed on the upload's identity there, and shows its badge (EU, SANDBOX, a host).
    """
    from .identity import upload_identity
    from .net import environment_label

    upload = outcome.upload
    error = outcome.error
    status = outcome.outcome
    verified = outcome.verification.evidence if outcome.verification is not None else None
    return HistoryEntry(
        environment=environment_label(environment),
        identity=upload_identity(upload, environment).key,
        integration_id=upload.integration_id,
        application_id=upload.application_id,
        candidate_id=upload.candidate_id,
        candidate=candidate,
        job=job,
        file_name=upload.name,
        file_path=_file_path(upload),
        size=upload.fingerprint.size if upload.fingerprint else None,
        sha256=upload.fingerprint.sha256 if upload.fingerprint else None,
        mime=upload.content_type,
        type=upload.type.value,
        remote_fields=upload.remote_fields,
        outcome=status,
        warnings=outcome.warnings,
        error_code=error_label(error),
        error_message=str(error) if error else None,
        log_url=error.log_url if isinstance(error, ApiError) else None,
        verified=verified,
    )


def _file_path(upload: PreparedUpload) -> str | None:
    """Where the sent file was, absolute, as text the history can keep (None for a data_url)."""
    if upload.file is None:
        return None
    try:
        return display_path(upload.file.absolute())
    except OSError:  # the working directory is gone
        return display_path(upload.file)


async def _attachment_ids(client: KomboClient, upload: PreparedUpload) -> set[str] | None:
    try:
        found = await client.get_upload_target_attachments(upload)
    except KomboError:
        return None
    return {a.id for a in found}


def _created_after(attachment: Attachment, since: datetime) -> bool | None:
    raw = attachment.remote_created_at
    if not raw:
        return None
    try:
        created = datetime.fromisoformat(raw.replace("Z", "+00:00"))
    except ValueError:
        return None
    if created.tzinfo is None:
        created = created.replace(tzinfo=timezone.utc)
    return created >= since - VERIFY_CLOCK_SLACK


VERIFY_CLOCK_SLACK = timedelta(minutes=2)
"""How far the ATS's clock may lag ours when judging whether a file is new."""


async def verify_upload(
    client: KomboClient,
    upload: PreparedUpload,
    *,
    before: set[str] | None = None,
    since: datetime | None = None,
) -> Verification:
    """Re-read the application's attachments and look for this upload (by file name).

    Whether a match is *new* is judged from ``before`` (attachment ids listed before
    sending) when given, else from ``since`` (when the send started) against the ATS's
    ``remote_created_at``; otherwise it stays unknown (None).
    """
    try:
        found = await client.get_upload_target_attachments(upload)
    except KomboError as exc:
        return Verification(found=None, error=exc, target=upload.target_kind)
    matches = [a for a in found if (a.file_name or "") == upload.name]
    new: bool | None = None
    if before is not None:
        new = any(m.id not in before for m in matches)
    elif since is not None and matches:
        judged = [_created_after(m, since) for m in matches]
        if any(j is True for j in judged):
            new = True
        elif all(j is False for j in judged):
            new = False
    return Verification(
        found=bool(matches), matches=matches, total=len(found), new_since_send=new, target=upload.target_kind
    )


async def send_upload(
    client: KomboClient,
    upload: PreparedUpload,
    *,
    progress: ProgressCallback | None = None,
    verify: bool = False,
    on_retry: Callable[[RetryNotice], None] | None = None,
    history: History | None = None,
    environment: str = "",
    candidate: str | None = None,
    job: str | None = None,
    force: bool = False,
    accept: Collection[int] = (),
    claimed: HistoryEntry | None = None,
    answered: Callable[[SendOutcome], None] | None = None,
) -> SendOutcome:
    """Send once (with automatic retries of rate/concurrency limits only).

    With ``verify``, the attachments are listed before sending and re-read after an
    unknown outcome (and after success, to confirm), so a lost answer can be resolved
    without sending twice.

    With ``history``, the upload's intent is recorded before its first byte, in the same
    transaction that looks for an earlier or concurrent send of the same upload
    (:meth:`History.claim`), and its outcome is written over that record afterwards.
    ``environment`` is the canonical environment (:func:`~.identity.canonical_environment`).

    Args:
        force: send even when the history holds an earlier send of this upload.
        accept: ids of earlier records the user saw and chose to send past.
        claimed: the intent :func:`claim_send` already recorded for this upload (it is not
            claimed again; its outcome is written over it).
        answered: called with the outcome as soon as it is known, before verification and
            before the history is written (a governor frees its slot there: Kombo has).

    Raises:
        DuplicateUploadError: the history holds a send of this upload that may have landed
            or is in flight (not in ``accept``); nothing was sent.
        HistoryUnavailableError: the history cannot record the intent; nothing was sent.
    """
    claim = claimed
    if history is not None and claim is None:
        claim = await claim_send(history, upload, environment=environment, candidate=candidate, job=job,
                                 force=force, accept=accept)
    with _send_scope(getattr(client, "exchanges", None)) as scope:
        outcome = await _send_upload(
            client,
            upload,
            progress=progress,
            verify=verify,
            on_retry=on_retry,
            history=history,
            environment=environment,
            candidate=candidate,
            job=job,
            scope=scope,
            claim=claim,
            answered=answered,
        )
    return outcome


async def claim_send(
    history: History,
    upload: PreparedUpload,
    *,
    environment: str,
    candidate: str | None = None,
    job: str | None = None,
    force: bool = False,
    accept: Collection[int] = (),
) -> HistoryEntry:
    """Record an upload's intent now, ahead of its send (see :meth:`History.claim`).

    For a caller that waits for its turn after deciding to send (a bulk row waiting for a
    slot): the claim is written while it waits. Pass the entry to :func:`send_upload`
    (``claimed=``), or to :func:`withdraw_claim` if the send never starts.

    Raises:
        DuplicateUploadError: the history holds a send of this upload that may have landed
            or is in flight (not in ``accept``); nothing was written.
        HistoryUnavailableError: the history cannot record the intent; nothing may be sent.
    """
    # Off the event loop: a commit (or a wait for another writer) must not hold up the
    # uploads in flight, or an app's screen.
    claiming = asyncio.ensure_future(
        asyncio.to_thread(_claim, history, upload, environment, candidate, job, force=force, accept=accept)
    )
    try:
        return await asyncio.shield(claiming)
    except asyncio.CancelledError:
        # Cancelled while its thread writes the claim: once written, it is taken back (nothing
        # was sent), so no record is left saying the upload is in flight.
        with contextlib.suppress(Exception):
            withdraw_claim(history, await claiming)
        raise


def withdraw_claim(history: History, claim: HistoryEntry) -> None:
    """A claimed send that never began: its record is taken back, as if never claimed.

    Best effort: a record the history cannot remove stays "in flight", and the next send of
    that upload verifies the target before it goes (the safe way round).
    """
    if claim.id is not None:
        with contextlib.suppress(sqlite3.Error, OSError):
            history.withdraw(claim.id)


@contextmanager
def _send_scope(log: ExchangeLog | None) -> Iterator[str | None]:
    """Tag one send's exchanges with a scope of their own (nested in the caller's, if any)."""
    if log is None:
        yield None
        return
    with log.scope(f"send-{uuid.uuid4().hex[:12]}"):
        yield log.current_scope()


def _collect(client: KomboClient, outcome: SendOutcome, scope: str | None) -> None:
    outcome.exchange_scope = scope
    log = getattr(client, "exchanges", None)
    if log is not None and scope is not None:
        outcome.exchanges = [e for e in log.entries(scope=scope) if e.complete]


async def _send_upload(
    client: KomboClient,
    upload: PreparedUpload,
    *,
    progress: ProgressCallback | None,
    verify: bool,
    on_retry: Callable[[RetryNotice], None] | None,
    history: History | None,
    environment: str,
    candidate: str | None,
    job: str | None,
    scope: str | None,
    claim: HistoryEntry | None,
    answered: Callable[[SendOutcome], None] | None,
) -> SendOutcome:
    retries: list[RetryNotice] = []

    def record(notice: RetryNotice) -> None:
        retries.append(notice)
        if on_retry is not None:
            on_retry(notice)

    before = await _attachment_ids(client, upload) if verify else None
    started_at = clock.utc_now()
    outcome: SendOutcome
    body_complete = [False]

    def track(sent: int, total: int) -> None:
        body_complete[0] = sent >= total
        if progress is not None:
            progress(sent, total)

    try:
        result = await client.add_attachment(upload, progress=track, on_retry=record)
        outcome = SendOutcome("sent", upload, result=result)
    except asyncio.CancelledError:
        # Cancelled by the user: after the whole body went out, it may have landed.
        if history is not None:
            cancelled = SendOutcome(
                "unknown" if body_complete[0] else "error",
                upload,
                error=TransportError(
                    "cancelled after the whole body was sent"
                    if body_complete[0]
                    else "cancelled before the body was complete",
                    sent=body_complete[0],
                    kind="cancelled",
                ),
                started_at=started_at,
            )
            _collect(client, cancelled, scope)
            _record(history, cancelled, environment, candidate, job, claim)
        raise
    except FileChangedError as exc:
        outcome = SendOutcome("file_changed", upload, error=exc)
    except TransportError as exc:
        outcome = SendOutcome("unknown" if exc.sent else "error", upload, error=exc)
    except ApiError as exc:
        # A 5xx may come after the ATS stored the file: the outcome is unknown.
        outcome = SendOutcome("unknown" if exc.status >= 500 else "error", upload, error=exc)
    outcome.retries = retries
    outcome.started_at = started_at
    if answered is not None:
        answered(outcome)
    if verify and outcome.status in ("sent", "unknown"):
        outcome.verification = await verify_upload(client, upload, before=before, since=started_at)
    _collect(client, outcome, scope)
    if history is not None:
        await asyncio.to_thread(_record, history, outcome, environment, candidate, job, claim)
    return outcome


def _claim(
    history: History,
    upload: PreparedUpload,
    environment: str,
    candidate: str | None,
    job: str | None,
    *,
    force: bool,
    accept: Collection[int],
) -> HistoryEntry:
    """The write-ahead record of this send (see :meth:`History.claim`), or why there is none."""
    # Written as "sending" by the claim; the outcome replaces it once the send ends.
    entry = entry_from_outcome(SendOutcome("unknown", upload), environment=environment, candidate=candidate, job=job)
    earlier = history.claim(entry, force=force, accept=accept)
    if earlier:
        from .history import resend_problem

        raise DuplicateUploadError(resend_problem(upload, earlier[0]))
    return entry


def _record(
    history: History,
    outcome: SendOutcome,
    environment: str,
    candidate: str | None,
    job: str | None,
    claim: HistoryEntry | None = None,
) -> None:
    """Write the outcome to the history; a failure is told loudly, never raised after a send.

    The send already happened: whatever goes wrong here (disk full, a locked or corrupt
    database, a value that cannot be stored) must not replace its outcome. The row goes to
    the pending file instead, and the caller learns it three ways: ``history_error``, a note,
    and a :class:`~kombo_tui.core.history.HistoryWriteWarning`.
    """
    import warnings

    from .history import HistoryWriteWarning

    entry = entry_from_outcome(outcome, environment=environment, candidate=candidate, job=job)
    if claim is not None:  # written over the send's write-ahead record
        entry.id, entry.at = claim.id, claim.at
    try:
        outcome.history_id = history.record(entry, exchanges=outcome.exchanges or None)
        return
    except Exception as exc:  # noqa: BLE001 - the send's outcome must survive any failure here
        problem = f"{type(exc).__name__}: {exc}" if not isinstance(exc, (sqlite3.Error, OSError)) else str(exc)
    try:
        saved = f"the record was kept in {history.save_pending(entry)} and moves in on the next successful write"
    except Exception as exc:  # noqa: BLE001 - still tell the user; the record is lost
        saved = f"the record is LOST: the pending file could not be written either ({exc})"
    outcome.history_error = problem
    message = f"could not write the history {history.path} ({problem}); {saved}"
    outcome.notes.append(message)
    warnings.warn(message, HistoryWriteWarning, stacklevel=2)


async def send_batch(
    client: KomboClient,
    uploads: list[PreparedUpload],
    *,
    concurrency: int = 4,
    progress: Callable[[int, int, int], None] | None = None,
    verify: bool = False,
    on_retry: Callable[[RetryNotice], None] | None = None,
    history: History | None = None,
    environment: str = "",
    context: Sequence[tuple[str | None, str | None]] | None = None,
    force: bool = False,
    accept: Collection[int] = (),
) -> list[SendOutcome]:
    """Send several uploads, at most ``concurrency`` at a time; one outcome per upload, in order.

    Every upload gets an outcome (none is skipped). Each integration's uploads are paced by
    its own :class:`~.pace.Pace` (the governor bulk runs use too): ``concurrency`` start at
    once, then Kombo's ``Concurrency-*`` headers rule, a concurrency 429 halves the pace and a
    rate-limit 429 pauses it (the client retries both).

    Args:
        progress: ``progress(index, bytes_sent, content_length)`` per upload.
        context: ``(candidate, job)`` per upload, for the history.
        force, accept: as :func:`send_upload`'s. An upload the history refuses (already
            sent, in flight elsewhere, or no intent could be recorded) gets an ``error``
            outcome with that :class:`InputError`: it was not sent.
    """
    from .pace import Pace

    paces = {i: Pace(concurrency, start=concurrency) for i in {u.integration_id for u in uploads}}

    async def one(index: int, upload: PreparedUpload) -> SendOutcome:
        pace = paces[upload.integration_id]
        ours = await pace.acquire()
        try:
            def report(sent: int, total: int) -> None:
                if progress is not None:
                    progress(index, sent, total)

            def limited(notice: RetryNotice) -> None:
                pace.limited_by_kombo(notice)
                if on_retry is not None:
                    on_retry(notice)

            try:
                outcome = await send_upload(
                    client,
                    upload,
                    progress=report,
                    verify=verify,
                    on_retry=limited,
                    history=history,
                    environment=environment,
                    candidate=context[index][0] if context else None,
                    job=context[index][1] if context else None,
                    force=force,
                    accept=accept,
                )
            except InputError as exc:  # refused by the history's claim: nothing was sent
                return SendOutcome("error", upload, error=exc)
            if outcome.result is not None:
                pace.answered(outcome.result.headers, ours)
            return outcome
        finally:
            pace.release()

    return list(await asyncio.gather(*(one(i, u) for i, u in enumerate(uploads))))


def over_limits(
    uploads: Sequence[PreparedUpload], limits: Mapping[str, AttachmentRestrictions | None]
) -> InputError | None:
    """What the integrations' published limits refuse among ``uploads`` (None: nothing).

    The rule itself, without the reads: :func:`refuse_over_limits` applies it to the limits it
    reads; the app applies it to the limits its Target panel already read, before its confirm.
    An integration missing from ``limits`` (or mapped to None) has no known limits: nothing is
    refused for it here, Kombo itself says what is wrong.

    Returns:
        An :class:`InputError` whose ``notices`` name each broken limit (``too_large``,
        ``mime_not_accepted``, ``type_not_accepted``), or None.
    """
    from .payload import restriction_warnings

    many = len(uploads) > 1
    notices = []
    problems = []
    for upload in uploads:
        for notice in restriction_warnings(upload, limits.get(upload.integration_id)):
            notices.append(notice)
            message = f"{one_line(upload.name)}: {notice.message}" if many else notice.message
            problems.append(Problem(notice.field, message))
    return InputError(problems, notices=notices) if problems else None


async def refuse_over_limits(
    client: KomboClient,
    uploads: Sequence[PreparedUpload],
    *,
    known: Mapping[str, AttachmentRestrictions | None] | None = None,
) -> None:
    """Refuse before the first byte when an integration's published limits say no.

    The one pre-flight for every front door (the library's ``send``, the CLI's ``send``, the
    app's send; ``bulk`` checks them per row). The limits are read once per integration; when
    they cannot be read (unknown, or the read failed), nothing is refused here: Kombo itself
    says what is wrong.

    Args:
        known: limits already read, by integration id (``None`` values: read, none known);
            those integrations are not read again.

    Raises:
        InputError: a file breaks a limit; ``notices`` names each (``too_large``,
            ``mime_not_accepted``, ``type_not_accepted``). Nothing was sent.
    """
    known = dict(known or {})
    integrations = [i for i in dict.fromkeys(u.integration_id for u in uploads) if i not in known]

    async def read(integration_id: str) -> AttachmentRestrictions | None:
        try:
            return await client.get_attachment_restrictions(integration_id)
        except KomboError:
            return None

    known.update(zip(integrations, await asyncio.gather(*(read(i) for i in integrations)), strict=True))
    error = over_limits(uploads, known)
    if error is not None:
        raise error


async def settle_unknown(
    client: KomboClient, upload: PreparedUpload, last: HistoryEntry, log: History, *, force: str = "force=True"
) -> None:
    """Verifying after an unknown outcome: the resend may go ahead only if the file is not there.

    The one rule for every front door (``verify=True`` in the library, ``--verify`` on the CLI):
    the application's attachments are read first; the history row of the earlier send is
    marked present or absent.

    Raises:
        AlreadyThereError: the file is there now (that send landed: nothing to send).
        DuplicateUploadError: it could not be checked, or a same-named file proves nothing.
    """
    from datetime import datetime

    try:
        since: datetime | None = datetime.fromisoformat(last.at)
    except ValueError:
        since = None
    found = await verify_upload(client, upload, since=since)
    if found.evidence == "absent":
        if last.id is not None:
            log.set_verified(last.id, "absent", "verified_absent")
        return
    if found.evidence == "present" and last.id is not None:
        log.set_verified(last.id, "present", "verified_present")
    if found.evidence == "present":
        state = f"the {upload.target_kind} has it now"
    elif found.found is None:
        state = f"it could not be checked ({found.error})"
    else:
        state = "a file of that name is there, but whether it is that send's cannot be shown (the outcome stays unknown)"
    error = AlreadyThereError if found.evidence == "present" else DuplicateUploadError
    raise error(
        Problem(
            "file",
            f"{upload.name} was sent with an unknown outcome to {upload.target_kind} {upload.target_id} "
            f"at {last.at}, and {state}; pass {force} to send it again",
        )
    )
