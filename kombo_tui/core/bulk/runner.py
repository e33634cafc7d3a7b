"""Running a bulk job: check the plan, then send every row exactly once, resumably.

:func:`run_bulk` checks the whole plan first (:mod:`.check`) and stores the verdicts in the
:mod:`.journal`; with invalid rows it stops there (unless told to skip them). Then one
dispatcher per integration starts uploads as its :class:`~.pace.Pace` allows, through the
same engine as single sends (:func:`~..engine.send_upload`: the client retries only 429s,
and the history records each upload's intent before its first byte, refusing one that
another run, process or door has sent or is sending). A row is marked ``sending`` in the
journal too; an answer that is lost (5xx, broken connection, a crash) leaves the outcome
unknown, and the row is checked against the application's attachments before it is ever sent
again — right away, and again on a rerun (of this plan, or of an edited one: the history
knows the row by its identity) ``recheck_after`` seconds after its body's last byte, when a
request still in flight somewhere has had time to land. Only evidence counts: a match newer
than the send; a same-named older file leaves the row unknown.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable
from contextlib import ExitStack
from datetime import datetime, timezone
from pathlib import Path
from typing import TYPE_CHECKING, Any

from ..draft import Draft
from ..engine import claim_send, entry_from_outcome, send_upload, verify_upload, withdraw_claim
from ..errors import (
    ApiError,
    DuplicateUploadError,
    HistoryUnavailableError,
    InputError,
    JournalError,
    KomboError,
    error_label,
)
from ..files.checks import Fingerprint
from ..history import History, HistoryEntry
from ..outcome import SendOutcome, landed, unsettled
from ..pace import Pace
from ..payload import PreparedUpload, prepare
from .check import CheckedRow, FileMemo, IntegrationFacts, PlanCheck, check_plan, fetch_facts
from .journal import JobRow, Journal, job_id_for
from .plan import plan_digest
from .report import BulkControl, BulkProgress, BulkReport

if TYPE_CHECKING:
    from ..client import KomboClient
    from ..retry import RetryNotice
    from ..target import Target

__all__ = ["BulkControl", "BulkProgress", "BulkReport", "run_bulk"]

LIMIT_ROUNDS = 5
"""Rounds of rows that stayed rate- or concurrency-limited past the client's retries."""

RECHECK_AFTER = 30.0
"""Seconds a row caught in flight is left before it is looked for (and resent if absent)."""


def status_of(checked: CheckedRow) -> tuple[str, str | None]:
    """A checked row's status before the run, and why: the one place it is decided (the
    journal stores it, the Bulk screen shows it as is)."""
    if not checked.valid:
        return "invalid", "; ".join(str(p) for p in checked.problems)
    if landed(checked.earlier):
        return "already_sent", "the history shows it sent to this application"
    if unsettled(checked.earlier):
        return "unknown", "an earlier send's outcome is unknown (or it is in flight): verified before sending"
    return "pending", None


def _spec(checked: CheckedRow) -> dict[str, Any]:
    row, upload = checked.row, checked.upload
    return {
        "integration_id": upload.integration_id if upload else row.integration_id,
        "application_id": upload.application_id if upload else row.application_id,
        "file": str(row.file) if row.file else None,
        "data_url": row.data_url,
        "type": upload.type.value if upload else row.type,
        "name": upload.name if upload else row.name,
        "content_type": upload.content_type if upload else row.content_type,
        "remote_fields": upload.remote_fields if upload else row.remote_fields,
    }


async def run_bulk(
    plan: Path,
    target: Target,
    *,
    client: KomboClient | None = None,
    history: History | None = None,
    journal_path: Path | None = None,
    concurrency: int = 32,
    dry_run: bool = False,
    skip_invalid: bool = False,
    progress: Callable[[BulkProgress], None] | None = None,
    on_checked: Callable[[CheckedRow], None] | None = None,
    on_sending: Callable[[JobRow], None] | None = None,
    control: BulkControl | None = None,
    recheck_after: float = RECHECK_AFTER,
    allow_outside: bool = False,
    files_root: Path | None = None,
) -> BulkReport:
    """Check a plan and (unless ``dry_run``) run it to the end, resuming an earlier run.

    Args:
        plan: CSV with a header row, or JSON Lines (see :mod:`.plan`).
        target: where to send (its default integration applies to rows without one).
        client: a client for ``target`` (default: made from it, and closed after).
        history: the audit log (rows already sent are skipped; every send is recorded).
        journal_path: the journal (default: ``bulk.sqlite3`` in the data dir).
        concurrency: the most uploads in flight per integration (Kombo's limit applies below it).
        dry_run: check only; nothing is sent and the journal is not touched.
        skip_invalid: send the valid rows even when some are invalid (those are reported).
        progress: called after each finished row.
        on_checked: called with each row's check verdict, in plan order.
        on_sending: called with a row (status ``sending``) just before its first byte leaves
            (a display shows it in flight; ``progress`` says when it ends).
        control: lets another task or a signal handler stop the run.
        recheck_after: seconds before a row caught in flight is looked for again.
        allow_outside: let rows name files outside the plan's folder (refused otherwise).
        files_root: the folder rows' files must be in, when not the plan's (a folder plan's).

    Raises:
        InputError: the plan cannot be read, or the job runs in another process.
    """
    started = time.monotonic()
    control = control or BulkControl()
    digest = plan_digest(plan)
    where = target.environment if target.is_sandbox else target.base_url
    job_id = job_id_for(digest, where, target.integration_id)
    journal = None if dry_run else Journal(journal_path)
    own_client = client is None
    summary = PlanCheck()
    report = BulkReport(
        job_id=job_id,
        plan=str(plan.resolve()),
        environment=target.environment,
        journal_path=journal.path if journal else (journal_path or Path()),
        check=summary,
        dry_run=dry_run,
    )
    control.report = report
    holding = ExitStack()
    try:
        if history is not None:
            # One history connection for the whole run (a record per upload, and the check's lookups).
            holding.enter_context(history.held_open())
        if client is None:
            client = target.client()
        active = client

        async def facts(integration_id: str) -> IntegrationFacts:
            return await fetch_facts(active, integration_id)

        if journal is not None:
            journal.lock(job_id)
            existed = journal.open_job(job_id, plan=report.plan, target=where, environment=target.environment)
            # Resumed: an earlier run of this job worked on rows. A run blocked by invalid rows
            # (or stopped during its check) did not: the next one is still the first.
            report.resumed = existed and journal.started(job_id)
        loaded: list[tuple[int, dict[str, Any], str, tuple[Any, ...]]] = []

        async for checked in check_plan(
            plan, facts=facts, history=history, environment=target.history_environment,
            default_integration=target.integration_id, summary=summary, allow_outside=allow_outside,
            files_root=files_root,
        ):
            if on_checked is not None:
                on_checked(checked)
            if control.stopping:
                # Stopped during the check: nothing is sent, the next run checks again.
                report.interrupted = True
                break
            if journal is None:
                continue
            status, message = status_of(checked)
            fp = checked.upload.fingerprint if checked.upload else None
            loaded.append((
                checked.row.number, _spec(checked), status,
                (fp.sha256 if fp else None, fp.size if fp else None, fp.mtime_ns if fp else None,
                 checked.earlier, [str(w) for w in checked.warnings], message),
            ))
            if len(loaded) >= 1000:
                journal.load(job_id, iter(loaded))
                loaded.clear()
        if journal is None:
            report.blocked = bool(summary.invalid) and not skip_invalid and not report.interrupted
            return report
        journal.load(job_id, iter(loaded))
        loaded.clear()
        if report.interrupted:
            report.counts = journal.counts(job_id)
            return report
        if summary.invalid and not skip_invalid:
            report.blocked = True
            report.counts = journal.counts(job_id)
            return report
        run = _Run(active, journal, job_id, target.history_environment, history, concurrency, progress, control,
                   recheck_after, report, started, on_sending)
        await run.go()
        try:
            report.counts = journal.counts(job_id)
        except JournalError:
            if report.fault is None:
                raise
            # The journal that stopped the run cannot be read either: the fault says it all.
        report.interrupted = report.fault is None and control.stopping and any(
            report.counts.get(s, 0) for s in ("pending", "sending"))
        if run.callback_error is not None:
            # The progress callback failed: the run stopped taking new rows (the ones in flight
            # finished and are journaled); the error is the caller's to see, not to lose.
            error = run.callback_error
            error.add_note(f"kombo-tui: the bulk run stopped: {report.done_text()}")
            raise error
        return report
    finally:
        report.elapsed = time.monotonic() - started
        holding.close()
        if journal is not None:
            journal.close()
        if own_client and client is not None:
            await client.aclose()


class _Slot:
    """One row's place in its integration's :class:`Pace`, given back once (when answered, or at the end)."""

    def __init__(self, pace: Pace) -> None:
        self.pace = pace
        self.held = True

    def release(self) -> None:
        if self.held:
            self.held = False
            self.pace.release()


class _Run:
    """One run of a job's remaining rows."""

    def __init__(
        self, client: KomboClient, journal: Journal, job_id: str, environment: str, history: History | None,
        concurrency: int, progress: Callable[[BulkProgress], None] | None, control: BulkControl,
        recheck_after: float, report: BulkReport, started: float,
        on_sending: Callable[[JobRow], None] | None = None,
    ) -> None:
        self.on_sending = on_sending
        self.client, self.journal, self.job_id, self.environment = client, journal, job_id, environment
        self.history, self.concurrency, self.progress, self.control = history, concurrency, progress, control
        self.recheck_after, self.report, self.started = recheck_after, report, started
        counts = journal.counts(job_id)
        self.total = sum(n for s, n in counts.items() if s != "invalid")
        self.done = self.total - sum(counts.get(s, 0) for s in ("pending", "sending", "unknown"))
        self.finished = 0
        self.failures = 0
        self.in_flight = 0
        self.paces: dict[str, Pace] = {}
        self.callback_error: Exception | None = None
        """The first error raised by the progress callback (the run stops, then raises it)."""
        self.files = FileMemo()
        """Each distinct file is sniffed once per run (the journal keeps its fingerprint, not its sniff)."""

    def tell(self, row: JobRow | None = None, note: str | None = None) -> None:
        """Give the progress callback a snapshot; its error stops the run and is kept to raise."""
        if self.progress is None or self.callback_error is not None:
            return
        try:
            self.progress(BulkProgress(self.total, self.done, self.finished, self.failures, self.in_flight,
                                       time.monotonic() - self.started, row, note))
        except Exception as exc:  # noqa: BLE001 - raised again by run_bulk once the run has stopped
            self.callback_error = exc
            self.control.stop()

    async def go(self) -> None:
        self.tell()  # where the job stands before the first row (a resumed job starts part done)
        await asyncio.gather(*(self._drive(iid) for iid in self.journal.integrations(self.job_id)))
        self.report.limited = sum(p.limited for p in self.paces.values())

    async def _drive(self, integration_id: str) -> None:
        pace = self.paces[integration_id] = Pace(self.concurrency)
        again: list[JobRow] = []
        after = 0
        while not self.control.stopping:
            page = self.journal.next_rows(self.job_id, integration_id, after)
            if not page:
                break
            after = page[-1].number
            await self._dispatch(page, pace, again)
        # Rows put back by a 429 that outlasted the client's retries go round again.
        for _ in range(LIMIT_ROUNDS):
            await self._settle(integration_id)
            if not again or self.control.stopping:
                break
            batch, again = again, []
            await self._dispatch(batch, pace, again)
        await self._settle(integration_id)
        for row in again:
            self.journal.finish(self.job_id, row.number, "failed", error_code=row.error_code,
                                message=f"still limited by Kombo after {LIMIT_ROUNDS} rounds: {row.message}")

    async def _dispatch(self, rows: list[JobRow], pace: Pace, again: list[JobRow]) -> None:
        loop = asyncio.get_running_loop()
        for row in rows:
            # The next row waits for a slot in a task of its own, prepared (file checked and
            # sniffed): when a slot frees, that task sends at once, and only then is the row
            # after it prepared. One row at a time waits; the others stay in the journal.
            prepared = self._prepared(row)
            started: asyncio.Future[bool] = loop.create_future()
            task = loop.create_task(self._one(row, prepared, pace, started, again))
            task.set_name(row.spec.get("integration_id") or "")
            self.control.tasks.add(task)
            task.add_done_callback(self.control.tasks.discard)
            if not await started:
                return

    async def _settle(self, integration_id: str) -> None:
        mine = [t for t in self.control.tasks if t.get_name() == integration_id]
        if mine:
            await asyncio.gather(*mine, return_exceptions=True)

    async def _one(
        self, row: JobRow, prepared: PreparedUpload | InputError, pace: Pace,
        started: asyncio.Future[bool], again: list[JobRow],
    ) -> None:
        def tell(going: bool) -> None:
            if not started.done():  # (the dispatcher may be gone)
                started.set_result(going)

        early: HistoryEntry | KomboError | None = None
        try:
            # The intent is recorded while the row waits for its slot, so the history's commit
            # is not between a freed slot and the next upload's first byte.
            early = await self._claim_early(row, prepared)
            ours = await pace.acquire()
        except BaseException:
            tell(False)  # cancelled while waiting: nothing was sent
            self._withdraw(early)
            raise
        if self.control.stopping:
            pace.release()
            tell(False)
            self._withdraw(early)
            return
        tell(True)
        self.in_flight += 1
        slot = _Slot(pace)
        try:
            final = await self._handle(row, prepared, slot, ours, early)
        except asyncio.CancelledError:
            final = "cancelled"
        except (JournalError, HistoryUnavailableError) as exc:
            # The journal (or the history) cannot be written: every later row would meet the
            # same wall, so the run starts no more rows and ends with the reason. What this
            # row did is known to the history (or, if it began, verified on a rerun).
            if self.report.fault is None:
                self.report.fault = exc
            self.control.stop()
            final = "cancelled"
        finally:
            self.in_flight -= 1
            slot.release()
        if final == "retry":
            row.status = "pending"
            again.append(row)
            return
        if final in ("cancelled", "pending"):
            return
        self.done += 1
        self.finished += 1
        if final in ("refused", "failed", "unknown"):
            self.failures += 1
        if final == "sent":
            self.report.sent_this_run += 1
        row.status = final
        self.tell(row)

    def _prepared(self, row: JobRow) -> PreparedUpload | InputError:
        """The row's upload, or why it cannot be made (the row then fails without a request)."""
        try:
            return self._upload(row)
        except InputError as exc:
            return exc

    def _upload(self, row: JobRow) -> PreparedUpload:
        spec = row.spec
        known = (
            Fingerprint(size=row.size, sha256=row.sha256, mtime_ns=row.mtime_ns or 0)
            if row.sha256 is not None and row.size is not None else None
        )
        file = Path(spec["file"]) if spec.get("file") and not spec.get("data_url") else None
        return prepare(
            Draft.taken_from(spec, file=file),
            known_fingerprint=known,
            known_sniffed=self.files.sniffed(file) if file is not None else None,
        )

    async def _claim_early(
        self, row: JobRow, prepared: PreparedUpload | InputError
    ) -> HistoryEntry | KomboError | None:
        """The row's claim in the history, made before its slot (or why it was refused, raised
        where the send would begin). None: no history, a row that cannot be sent, or one to
        verify first (it is claimed after the look, if it is sent at all)."""
        if self.history is None or isinstance(prepared, InputError) or unsettled(row.status):
            return None
        try:
            return await claim_send(self.history, prepared, environment=self.environment)
        except (DuplicateUploadError, HistoryUnavailableError) as exc:
            return exc

    def _withdraw(self, early: HistoryEntry | KomboError | None) -> None:
        """A claim whose row will not be sent this run is taken back (nothing left)."""
        if isinstance(early, HistoryEntry) and self.history is not None:
            withdraw_claim(self.history, early)

    async def _handle(
        self, row: JobRow, prepared: PreparedUpload | InputError, slot: _Slot, ours: int,
        early: HistoryEntry | KomboError | None = None,
    ) -> str:
        """Work on one row; returns its final status, or ``retry`` / ``pending``."""
        journal, job, pace = self.journal, self.job_id, slot.pace
        if isinstance(prepared, InputError):
            journal.finish(job, row.number, "failed", error_code="FILE", message="; ".join(str(p) for p in prepared.problems))
            return "failed"
        upload = prepared
        if unsettled(row.status):
            verdict = await self._look_for(row, upload)
            if verdict is not None:
                return verdict
        body_done = [False]

        def track(sent: int, total: int) -> None:
            if sent >= total and not body_done[0]:
                row.sending_at = journal.mark_body_sent(job, row.number)  # the recheck waits from here
            body_done[0] = sent >= total

        def limited(notice: RetryNotice) -> None:
            pace.limited_by_kombo(notice)

        def answered(outcome: SendOutcome) -> None:
            if outcome.status == "sent":
                assert outcome.result is not None
                pace.answered(outcome.result.headers, ours)
            if outcome.status != "unknown":
                # Answered: the slot is free at Kombo, so the next row starts while this one
                # is recorded. (An unknown outcome keeps it: the verification reads
                # attachments, an action that counts against the same limit.)
                slot.release()

        row.sending_at = journal.mark_sending(job, row.number)
        self.report.began_sending += 1
        if self.on_sending is not None:
            row.status = "sending"
            self.on_sending(row)
        try:
            # With a history, the engine records the intent before the first byte, in the one
            # transaction that refuses a send of the same upload by another run, process or door.
            if isinstance(early, KomboError):
                raise early
            outcome = await send_upload(self.client, upload, progress=track, on_retry=limited, answered=answered,
                                        history=self.history, environment=self.environment, claimed=early)
        except DuplicateUploadError as exc:
            journal.finish(job, row.number, "unknown", message=f"{exc}; a rerun verifies it before sending")
            return "unknown"
        except HistoryUnavailableError as exc:  # the intent cannot be recorded: not sent
            self.report.began_sending -= 1
            journal.finish(job, row.number, "pending", error_code="HISTORY", message=str(exc))
            raise
        except InputError as exc:
            journal.finish(job, row.number, "failed", error_code="INPUT", message=str(exc))
            return "failed"
        except asyncio.CancelledError:
            if not body_done[0]:
                journal.finish(job, row.number, "pending", message="cancelled before the body was complete")
            raise
        warnings = outcome.warnings
        if outcome.status == "sent":
            journal.finish(job, row.number, "sent", warnings=warnings)
            return "sent"
        error = outcome.error
        if outcome.status == "error":
            if isinstance(error, ApiError) and error.is_limit:
                row.error_code, row.message = error.code, error.summary()
                journal.finish(job, row.number, "pending", error_code=error.code, message=error.summary())
                return "retry"
            if isinstance(error, ApiError):
                journal.finish(job, row.number, "refused", error_code=error_label(error),
                               message=error.message or error.summary(), log_url=error.log_url)
                return "refused"
            journal.finish(job, row.number, "failed", error_code=error_label(error) or "ERROR", message=str(error))
            return "failed"
        if outcome.status == "file_changed":
            journal.finish(job, row.number, "failed", error_code=error_label(error), message=str(error))
            return "failed"
        # unknown: the answer was lost. Look before anything else happens.
        lost = error_label(error)
        log_url = error.log_url if isinstance(error, ApiError) else None
        check = await verify_upload(self.client, upload, since=outcome.started_at)
        if check.evidence == "present":
            if outcome.history_id is not None and self.history is not None:
                self._set_verified(outcome.history_id, "present", "verified_present")
            journal.finish(job, row.number, "sent", warnings=warnings, error_code=lost, log_url=log_url,
                           message=f"the answer was lost ({error}); verified on the application",
                           attachment_id=check.matches[-1].id)
            return "sent"
        why = (f"could not check the attachments ({check.error})" if check.found is None
               else "a file of this name is there, but it cannot be shown to be this send's" if check.found
               else f"not on the application yet; a rerun looks again after {self.recheck_after:g} s and sends it if still absent")
        journal.finish(job, row.number, "unknown", error_code=lost, log_url=log_url, message=f"{error}; {why}")
        return "unknown"

    async def _look_for(self, row: JobRow, upload: PreparedUpload) -> str | None:
        """A row that may have landed (this job's journal, or the history of any run or door,
        says a send of it began): verify. Its final status, or None to send it.

        The look waits until ``recheck_after`` seconds after the latest such send began, and
        only evidence counts: a match that is newer than that send. A same-named older file
        proves nothing, and a match whose age cannot be shown leaves the row unknown.
        """
        journal, job = self.journal, self.job_id
        earlier = [e for e in self._earlier(upload) if e.unsettled]
        began = [t for t in (row.sending_at, *(_timestamp(e.at) for e in earlier)) if t is not None]
        since = max(began) if began else None
        if since is not None:
            await self._wait_until(since + self.recheck_after, row)
        check = await verify_upload(
            self.client, upload, since=datetime.fromtimestamp(since, timezone.utc) if since else None
        )
        if check.found is None:
            journal.finish(job, row.number, "unknown", message=f"could not check the attachments ({check.error})")
            return "unknown"
        if check.evidence == "present":
            status = "sent" if row.sending_at is not None else "already_sent"
            for entry in earlier:
                if entry.id is not None:
                    self._set_verified(entry.id, "present", "verified_present")
            if not earlier:
                self._record_verified(upload, status)
            journal.finish(job, row.number, status, message="verified on the application (not sent again)",
                           attachment_id=check.matches[-1].id)
            return status
        if check.evidence is None:
            journal.finish(job, row.number, "unknown", message="a file of this name is on the application, but it "
                           "cannot be shown to be the earlier send's: not sent again (verify by hand)")
            return "unknown"
        for entry in earlier:  # known absent: the history's claim may go ahead
            if entry.id is not None:
                self._set_verified(entry.id, "absent", "verified_absent")
        return None

    async def _wait_until(self, when: float, row: JobRow) -> None:
        """Sleep until ``when`` (epoch seconds), saying why and how long is left, once a second."""
        while (left := when - time.time()) > 0:
            self.tell(note=(
                f"row {row.number} was caught in flight by an earlier run: re-checking it on the application "
                f"in {left:.0f} s (a request still in flight could land meanwhile)"
            ))
            await asyncio.sleep(min(left, 1.0))

    def _earlier(self, upload: PreparedUpload) -> list[HistoryEntry]:
        if self.history is None:
            return []
        try:
            return self.history.earlier_sends(upload, self.environment)
        except Exception:  # noqa: BLE001 - the claim before sending asks again, and refuses if it must
            return []

    def _set_verified(self, entry_id: int, verified: str, outcome: str) -> None:
        assert self.history is not None
        try:
            self.history.set_verified(entry_id, verified, outcome)
        except (KomboError, OSError, Exception):  # noqa: BLE001 - the journal still has it
            pass

    def _record_verified(self, upload: PreparedUpload, status: str) -> None:
        if self.history is None:
            return
        entry = entry_from_outcome(SendOutcome("unknown", upload), environment=self.environment)
        entry.outcome, entry.verified = "verified_present", "present"
        entry.error_message = None if status == "already_sent" else "found after an interrupted bulk run"
        try:
            self.history.record(entry)
        except Exception:  # noqa: BLE001 - the journal still has it
            pass


def _timestamp(at: str) -> float | None:
    """A history row's time (ISO 8601) as seconds since the epoch; None when unreadable."""
    try:
        when = datetime.fromisoformat(at)
    except ValueError:
        return None
    return (when if when.tzinfo else when.replace(tzinfo=timezone.utc)).timestamp()
