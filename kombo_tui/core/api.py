"""The one-call, synchronous API behind ``kombo_tui.send`` and friends (scripts, notebooks).

The key and base URL are resolved the way the CLI resolves them (:class:`~.target.Target`:
arguments, ``KOMBO_*`` environment, ``.env``, config file), and :func:`send` gives the CLI's
guarantee: every send is recorded in the local history, and the same file (sha256) is not
sent to the same application twice unless asked (``force=True``). The helpers work inside
Jupyter too, where an event loop is already running (the call then runs on a private loop in
a worker thread). There, a ``KeyboardInterrupt`` (the kernel's Interrupt) cancels the
call on the worker's loop and waits for it to end before it is raised again, so nothing keeps
running behind the user's back; an interrupted send is recorded in the history.
"""

from __future__ import annotations

import asyncio
import sys
import threading
from collections.abc import Callable, Coroutine
from pathlib import Path
from typing import TYPE_CHECKING, Any, TypeVar

from . import display as _display  # noqa: F401 - says how IPython shows a core error (render_tracebacks_with)
from .config.settings import load_settings
from .draft import Draft
from .engine import refuse_over_limits, send_upload, settle_unknown
from .errors import InputError, KomboError
from .history import History
from .outcome import SendOutcome
from .payload import PreparedUpload, prepare
from .progress import make_progress
from .running import JUPYTER_RECIPE, RunningLoopError, refuse_inside_running_loop
from .target import Target

if TYPE_CHECKING:
    from collections.abc import Callable

    from .bulk import BulkControl, BulkProgress, BulkReport
    from .client import KomboClient
    from .config.file import SecretText
    from .models import ApplicationList
    from .wire.exchanges import ExchangeLog

__all__ = [
    "JUPYTER_RECIPE",
    "Cancel",
    "RunningLoopError",
    "SendCancelled",
    "bulk",
    "list_applications",
    "make_client",
    "prepare_file",
    "preview",
    "refuse_inside_running_loop",
    "run_sync",
    "send",
]

T = TypeVar("T")


class Cancel:
    """Cancels a running helper call from another thread (a notebook form's Cancel button).

    Pass one as ``cancel=`` to :func:`send`; :meth:`cancel` then cancels the call on its own
    loop, as an Interrupt would: the engine records what became of the upload, and
    :func:`send` raises :class:`SendCancelled` saying it.
    """

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._loop: asyncio.AbstractEventLoop | None = None
        self._task: asyncio.Task[Any] | None = None
        self.requested = False
        """:meth:`cancel` was called."""

    def cancel(self) -> None:
        """Cancel the call (now if it runs, else as soon as it starts)."""
        with self._lock:
            self.requested = True
            loop, task = self._loop, self._task
        if loop is not None and task is not None:
            try:
                loop.call_soon_threadsafe(task.cancel)
            except RuntimeError:  # the loop closed meanwhile: the call has ended
                pass

    def _bind(self, loop: asyncio.AbstractEventLoop, task: asyncio.Task[Any]) -> None:
        with self._lock:
            self._loop, self._task = loop, task
            requested = self.requested
        if requested:
            task.cancel()


class SendCancelled(KomboError):
    """A send was cancelled (:class:`Cancel`); the message says what became of the upload."""

    def __init__(self, message: str, *, body_complete: bool) -> None:
        super().__init__(message)
        self.body_complete = body_complete
        """The whole body had left: the outcome is unknown (else nothing was stored)."""

    @property
    def outcome(self) -> str:
        """``unknown`` (it may have landed: verify before sending again) or ``not_sent``."""
        return "unknown" if self.body_complete else "not_sent"


def run_sync(coro: Coroutine[Any, Any, T], *, cancel: Cancel | None = None) -> T:
    """Run a coroutine to completion from synchronous code, even under a running loop.

    Under a running loop (a notebook cell) the coroutine runs on a private loop in a worker
    thread. A ``KeyboardInterrupt`` in the caller's thread cancels it there, waits until it
    has ended (its cleanup included), then is raised again: nothing is left running.
    ``cancel`` lets another thread cancel it (``asyncio.CancelledError`` is raised then).
    """

    async def bound() -> T:
        if cancel is not None:
            task = asyncio.current_task()
            assert task is not None
            cancel._bind(asyncio.get_running_loop(), task)
        return await coro

    try:
        asyncio.get_running_loop()
    except RuntimeError:
        return asyncio.run(bound())
    box: dict[str, Any] = {}
    started, done = threading.Event(), threading.Event()

    async def main() -> T:
        box["loop"], box["task"] = asyncio.get_running_loop(), asyncio.current_task()
        started.set()
        return await bound()

    def target() -> None:
        try:
            box["value"] = asyncio.run(main())
        except BaseException as exc:  # noqa: BLE001 - handed to the caller's thread, which raises it
            box["error"] = exc
        finally:
            started.set()
            done.set()

    worker = threading.Thread(target=target, name="kombo-tui-sync", daemon=True)
    worker.start()
    # Wait on an Event, not on join(): a join() interrupted by Ctrl-C marks a running thread
    # as stopped (CPython's bpo-45274 handling), and a later join() would not wait for it.
    try:
        done.wait()
    except KeyboardInterrupt:
        _cancel_and_wait(started, done, box)
        worker.join()
        raise
    worker.join()
    if "error" in box:
        raise box["error"]
    return box["value"]  # type: ignore[no-any-return]


def _cancel_and_wait(started: threading.Event, done: threading.Event, box: dict[str, Any]) -> None:
    """Cancel the worker's task on its own loop and wait until the worker is done."""
    while True:
        try:
            started.wait()
            loop, task = box.get("loop"), box.get("task")
            if loop is not None and task is not None and not done.is_set():
                try:
                    loop.call_soon_threadsafe(task.cancel)
                except RuntimeError:  # the loop closed meanwhile: nothing left to cancel
                    pass
            done.wait()
            return
        except KeyboardInterrupt:  # a second Interrupt while waiting: keep waiting
            continue


def make_client(
    api_key: str | SecretText | None = None,
    *,
    base_url: str | None = None,
    region: str | None = None,
    integration_id: str | None = None,
    trust_env_file: bool = False,
    **kwargs: Any,
) -> KomboClient:
    """A :class:`KomboClient` from arguments, falling back to the settings (env, .env, config).

    Raises:
        InputError: no API key anywhere, or an unsafe base URL.
    """
    target = Target.resolve(
        region=region, base_url=base_url, api_key=api_key, integration_id=integration_id, trust_env_file=trust_env_file
    )
    announce(target)
    return target.client(**kwargs)


_ANNOUNCED: set[str] = set()


def announce(target: Target) -> None:
    """Say on stderr where requests go, before the first one to each destination in this
    process (the CLI says it before each command; the app shows it on screen). Never the key."""
    line = target.describe()
    if line not in _ANNOUNCED:
        _ANNOUNCED.add(line)
        print(f"kombo-tui: requests go to {line}", file=sys.stderr, flush=True)


LIBRARY_FIELDS = {
    "integration": "integration_id= or KOMBO_INTEGRATION_ID",
    "application": "application_id= or candidate_id=",
    "name": "name=",
}
"""Where the library takes each field (said beside a field left empty)."""


def prepare_file(
    file: str | Path | None = None,
    *,
    integration_id: str | None = None,
    application_id: str | None = None,
    candidate_id: str | None = None,
    data_url: str | None = None,
    type: str | None = None,  # noqa: A002 - the API's name
    name: str | None = None,
    content_type: str | None = None,
    remote_fields: dict[str, Any] | str | None = None,
    require_target: bool = True,
) -> PreparedUpload:
    """Validate and prepare an upload (nothing is sent). See :func:`~.payload.prepare`.

    Raises:
        InputError: what is wrong, each problem naming its field (and, for a field left
            empty, the argument that takes it).
    """
    if isinstance(remote_fields, str):
        from .payload import parse_remote_fields

        remote_fields = parse_remote_fields(remote_fields)
    draft = Draft(
        integration_id=integration_id or load_settings().integration_id,
        application_id=application_id,
        candidate_id=candidate_id,
        file=Path(file) if file is not None else None,
        data_url=data_url,
        type=type,
        name=name,
        content_type=content_type,
        remote_fields=remote_fields,
    )
    try:
        return prepare(draft, require_target=require_target)
    except InputError as exc:
        raise InputError([p.worded(LIBRARY_FIELDS) for p in exc.problems], notices=exc.notices) from None


def preview(file: str | Path | None = None, *, full: bool = False, **kwargs: Any) -> dict[str, Any]:
    """The JSON body that :func:`send` would send, base64 elided unless ``full``."""
    kwargs.setdefault("require_target", False)
    return prepare_file(file, **kwargs).preview(full=full)


def send(
    file: str | Path | None = None,
    *,
    api_key: str | SecretText | None = None,
    base_url: str | None = None,
    region: str | None = None,
    verify: bool = False,
    history: bool | History = True,
    force: bool = False,
    exchanges: ExchangeLog | None = None,
    check_limits: bool = True,
    progress: bool | Callable[[int, int | None], Any] = False,
    trust_env_file: bool = False,
    cancel: Cancel | None = None,
    **kwargs: Any,
) -> SendOutcome:
    """Prepare and send one file; returns the outcome (it does not raise for Kombo's errors).

    Args:
        file: the file to attach (or pass ``data_url=``).
        verify: list the application's attachments before and after, and say whether the
            file is there (resolves an unknown outcome without sending twice). After an
            earlier send with an unknown outcome, ``verify=True`` checks first and sends only
            if the file is not on the application.
        history: record the send in the local history (the default), in this
            :class:`History`, or not at all (``False``, which also skips the check below).
        force: send even though the history shows this file already sent (or with an
            unknown outcome) to this application in this environment.
        exchanges: record the HTTP exchanges in this log (default: a private one, so the
            history keeps them and ``outcome.exchanges`` lists them; write them with
            :func:`kombo_tui.core.wire.har.write_har`).
        check_limits: fetch the integration's published limits (size and accepted MIME
            types per attachment type) and refuse before streaming when the file breaks one.
        progress: show a progress bar (``True``) or call this with (bytes sent, total).
        trust_env_file: let a ``.env`` in the working directory choose the base URL, region or
            integration for a key that comes from elsewhere (refused by default).
        cancel: a :class:`Cancel` another thread may use to stop the send.
        **kwargs: what :func:`prepare_file` takes (``integration_id``, ``application_id`` or
            ``candidate_id``, ``type``, ``name``, ``content_type``, ``remote_fields``, ``data_url``).

    Raises:
        DuplicateUploadError: already sent (or being sent now, by another thread or process),
            and ``force`` is not set. Nothing was sent.
        HistoryUnavailableError: the history cannot record the upload before it is sent
            (pass ``history=False`` to send without one). Nothing was sent.
        InputError: anything else wrong with the input (no key, a bad file, a file above
            the integration's limits, ...). Nothing was sent.
        KeyboardInterrupt: interrupted; the upload was cancelled, waited for and recorded
            in the history (the message says whether it may have landed).
        SendCancelled: ``cancel`` was used; as for an interrupt (its ``outcome`` says which).
        sqlite3.Error: the history cannot be read (pass ``history=False`` to skip it).

    Example:
        >>> outcome = send("cv.pdf", integration_id="greenhouse:abc", application_id="APP1")
        >>> outcome.status, outcome.warnings, outcome.history_id
    """
    target = Target.resolve(region=region, base_url=base_url, api_key=api_key, trust_env_file=trust_env_file)
    kwargs.setdefault("integration_id", target.integration_id)
    upload = prepare_file(file, **kwargs)
    target.require_key()
    announce(target)
    log = (History() if history is True else history) or None
    where = target.history_environment
    earlier = log.earlier_sends(upload, where) if log is not None and not force else []
    if log is not None and earlier:
        log.refuse_resends([upload], where, verifying=verify)
    from .wire.exchanges import ExchangeLog

    client = target.client(exchanges=exchanges if exchanges is not None else ExchangeLog())
    body_complete = [False]
    bar = make_progress(progress, desc=upload.name, total=upload.content_length)

    def track(sent: int, total: int) -> None:
        body_complete[0] = sent >= total
        bar(sent, total)

    async def go() -> SendOutcome:
        async with client:
            if check_limits:
                await refuse_over_limits(client, [upload])
            if log is not None and earlier:
                await settle_unknown(client, upload, earlier[0], log)
            return await send_upload(
                client, upload, progress=track, verify=verify, history=log, environment=where, force=force
            )

    ended = "error"
    try:
        outcome = run_sync(go(), cancel=cancel)
        ended = outcome.status
        return outcome
    except KeyboardInterrupt:
        ended = "interrupted: " + ("outcome unknown" if body_complete[0] else "not sent")
        raise KeyboardInterrupt(interrupted_message(body_complete[0], log is not None)) from None
    except KomboError:
        ended = "refused: not sent"
        raise
    except asyncio.CancelledError:
        if cancel is None or not cancel.requested:
            raise
        ended = "cancelled: " + ("outcome unknown" if body_complete[0] else "not sent")
        raise SendCancelled(
            interrupted_message(body_complete[0], log is not None), body_complete=body_complete[0]
        ) from None
    finally:
        bar.close(ended)


def interrupted_message(body_complete: bool, recorded: bool, *, verify: str = "verify=True") -> str:
    """What became of an upload cancelled by the user (an Interrupt or a :class:`Cancel`).

    Args:
        body_complete: the whole body had left (it may have landed: the outcome is unknown).
        recorded: a history recorded the upload's intent before its first byte.
        verify: how the caller's user asks to verify (``verify=True`` in the library).
    """
    where = " (recorded in the history)" if recorded else ""
    if body_complete:
        return (
            f"kombo-tui: the upload was cancelled after the whole body was sent{where}: the outcome "
            f"is unknown; send again with {verify} to check the application's attachments first"
        )
    return f"kombo-tui: the upload was cancelled before the last byte{where}: nothing was stored"


def list_applications(
    integration_id: str,
    *,
    api_key: str | SecretText | None = None,
    base_url: str | None = None,
    region: str | None = None,
    limit: int | None = None,
    progress: bool | Callable[[int, int | None], Any] = False,
    trust_env_file: bool = False,
    **filters: Any,
) -> ApplicationList:
    """All applications of an integration (following cursors), or the first ``limit``.

    Args:
        progress: show how many were fetched (``True``) or call this with (count, limit).
        **filters: what :meth:`KomboClient.iter_applications` takes.

    Returns:
        A list (with a table as its notebook display, and ``to_pandas()``).
    """
    client = make_client(
        api_key, base_url=base_url, region=region, integration_id=integration_id, trust_env_file=trust_env_file
    )
    bar = make_progress(progress, desc="applications", unit="applications", total=limit, in_bytes=False)

    from .models import ApplicationList

    async def go() -> ApplicationList:
        found = ApplicationList()
        async with client:
            async for page in client.iter_applications(**filters):
                found.extend(page.results)
                bar(len(found) if limit is None else min(len(found), limit), limit)
                if limit is not None and len(found) >= limit:
                    del found[limit:]
                    return found
        return found

    ended = "error"
    try:
        found = run_sync(go())
        ended = "done"
        return found
    except KeyboardInterrupt:
        ended = "interrupted"
        raise
    finally:
        bar.close(ended)


def bulk(
    plan: str | Path,
    *,
    api_key: str | SecretText | None = None,
    base_url: str | None = None,
    region: str | None = None,
    integration_id: str | None = None,
    dry_run: bool = False,
    concurrency: int = 32,
    skip_invalid: bool = False,
    history: bool | History = True,
    journal: str | Path | None = None,
    progress: bool | Callable[[BulkProgress], None] | None = None,
    control: BulkControl | None = None,
    recheck_after: float = 30.0,
    trust_env_file: bool = False,
    allow_outside: bool = False,
) -> BulkReport:
    """Check a bulk plan and send it (resuming the same plan's earlier run); returns the report.

    The same engine as ``kombo-tui bulk``: the whole plan is checked before the first byte,
    every row is journaled (so a crash or a ``control.stop()`` can be resumed by calling
    again with the same plan), and every send is recorded in the history.

    Args:
        plan: CSV with a header row, or JSON Lines (columns ``integration_id, application_id,
            file`` or ``data_url``, ``type, name, content_type, remote_fields``).
        integration_id: for rows without one (default: the settings').
        dry_run: check only (nothing sent, the journal untouched).
        concurrency: the most uploads in flight per integration (Kombo's limit applies below).
        skip_invalid: send the valid rows even when some are invalid.
        history: record sends in the local history (the default), in this one, or not at all.
        journal: the journal file (default: ``bulk.sqlite3`` in the data dir).
        progress: ``True`` for a progress bar (as :func:`send`'s: rows done of the plan's,
            failures, and why it waits when it re-checks rows an earlier run left in flight),
            or called with a :class:`~.bulk.BulkProgress` (done, total, rate, ETA, failures,
            a note) first, after each row, and while waiting. An error it raises stops the run
            (rows in flight finish) and is raised here.
        control: a :class:`~.bulk.BulkControl` to stop the run from another thread or task.
        recheck_after: seconds before a row caught in flight by a crash is looked for.
        trust_env_file: as :func:`send`'s.
        allow_outside: let rows name files outside the plan's folder (an absolute or ``..``
            path, a link out of it); such rows are refused otherwise.

    Returns:
        The :class:`~.bulk.BulkReport`: ``exit_code`` (0/2/3/4/130 as the CLI), ``counts``,
        the check, and ``rows()`` with each row's outcome.

    Raises:
        InputError: the plan cannot be read, no key, or the job runs in another process.
        KeyboardInterrupt: interrupted; rows in flight were cancelled and journaled, and the
            message says how many rows are done and that calling again resumes.
    """
    from .bulk import BulkControl, run_bulk

    target = Target.resolve(
        region=region, base_url=base_url, api_key=api_key, integration_id=integration_id, trust_env_file=trust_env_file
    )
    target.require_key()
    log = (History() if history is True else history) or None

    control = control or BulkControl()
    bar = make_progress(progress is True, desc="bulk", unit="rows", in_bytes=False) if not callable(progress) else None
    shown = [""]

    def on_progress(p: BulkProgress) -> None:
        if callable(progress):
            progress(p)
            return
        assert bar is not None
        bar(p.done, p.total)
        note = p.note or (f"{p.failures:,} need a look" if p.failures else "")
        if note != shown[0]:
            shown[0] = note
            bar.note(note)

    async def go() -> BulkReport:
        with target:
            target.start()
            announce(target)
            return await run_bulk(
                Path(plan), target, history=log, journal_path=Path(journal) if journal else None,
                concurrency=concurrency, dry_run=dry_run, skip_invalid=skip_invalid,
                progress=on_progress if progress else None, control=control, recheck_after=recheck_after,
                allow_outside=allow_outside,
            )

    ended = "error"
    try:
        report = run_sync(go())
        ended = "interrupted" if report.interrupted else "done" if report.exit_code == 0 else f"exit {report.exit_code}"
        return report
    except KeyboardInterrupt:
        ended = "interrupted"
        raise KeyboardInterrupt(_bulk_interrupted(control)) from None
    finally:
        if bar is not None:
            bar.close(ended)


def _bulk_interrupted(control: BulkControl) -> str:
    """``kombo-tui: bulk interrupted: 3 of 12 rows done (…) — re-run with the same plan to resume``."""
    from .bulk import Journal
    from .display import bulk_done_text

    report = control.report
    if report is None or report.dry_run:
        return "kombo-tui: bulk interrupted before the plan was checked: nothing was sent"
    try:
        with Journal(report.journal_path) as journal:
            counts = journal.counts(report.job_id)
    except Exception:  # noqa: BLE001 - the message is best effort; the journal is intact
        return "kombo-tui: bulk interrupted; every row is journaled — re-run with the same plan to resume"
    if not counts:
        return "kombo-tui: bulk interrupted while checking the plan: nothing was sent — re-run to start"
    return f"kombo-tui: bulk interrupted: {bulk_done_text(counts)}"
