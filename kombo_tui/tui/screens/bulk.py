"""The Bulk screen: a plan (or a folder of files) checked, then sent row by row — pause, resume, retry.

It is the app's door to the core's bulk runner, the same one ``kombo-tui bulk`` and
``kt.bulk`` use (:func:`kombo_tui.core.bulk.run_bulk`): the whole plan is checked before the
first byte, every row goes through the journal (so Pause is :meth:`BulkControl.stop`, and
Resume runs the same job again), every send is recorded in the session's history and rows
the history shows sent are not sent again. A folder becomes a plan through
:func:`kombo_tui.core.bulk.folder.plan_from_folder` first.

The run happens in a thread with its own event loop and its own client for the session's
target (the check hashes files and the journal writes rows: neither may hold up the screen).
The thread writes the rows into a :class:`~kombo_tui.tui.bulk_view.BulkRows`; the screen
repaints from it at most :data:`REPAINT` times a second, and the table is virtual, so a
100,000-row plan costs a repaint of the rows on screen.
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass, replace
from pathlib import Path
from typing import TYPE_CHECKING

from textual import events, on, work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical
from textual.screen import ModalScreen
from textual.timer import Timer
from textual.widgets import Checkbox, Input, Static, Tab, Tabs

from kombo_tui.core.errors import KomboError
from kombo_tui.core.hints import counted

from ..bulk_view import COLUMNS, FILTERS, BulkRows, RowCells, check_lines, progress_line, report_line
from ..paths import PathSuggester, clean_path, resolve_path
from ..text import Line, safe_line
from ..widgets.common import NO_CONTROLS, content
from ..widgets.keybar import KeyBar
from ..widgets.virtual_table import VirtualTable

if TYPE_CHECKING:
    from kombo_tui.core.bulk import BulkControl, BulkProgress, BulkReport, JobRow, PlanCheck
    from kombo_tui.core.bulk.folder import FolderPlan

    from ..session import Session

__all__ = ["BulkScreen"]

REPAINT = 0.25
"""Seconds between two repaints of the rows and the run line while a job works."""

CONCURRENCY = 32
"""Uploads in flight per integration at most (Kombo's published limit applies below it)."""

FILTER_LABELS = {"all": "All", "failures": "Failures", "refused": "Refused", "unknown": "Unknown", "invalid": "Invalid"}

BUSY = ("building", "checking", "running", "pausing")


@dataclass(frozen=True)
class _Job:
    """What one worker does."""

    source: Path
    integration: str
    dry_run: bool
    skip_invalid: bool
    rebuild: bool
    """Build the folder's plan again (a retry after renaming files)."""


class BulkScreen(ModalScreen[None]):
    """Path, check, run line, filter tabs and the rows; the keys follow what can be done now."""

    CSS = """
    .table-dialog { width: 1fr; height: 1fr; max-height: 100%; margin: 1 2 0 2; padding: 0 1; border: round $primary; }
    .dialog-title { margin-bottom: 0; }
    #bulk-inputs { height: auto; margin-top: 1; }
    #bulk-path { width: 1fr; }
    #bulk-integration { width: 36; margin-left: 1; }
    #bulk-skip { margin: 0; padding: 0; border: none; height: 1; background: transparent; }
    #bulk-check, #bulk-run, #bulk-status { height: auto; }
    #bulk-status { color: $text-muted; }
    #bulk-filter { height: 2; margin-top: 1; }
    #bulk-table { height: 1fr; }
    """

    BINDINGS = [
        Binding("escape", "close", "Close", id="bulk.close"),
        Binding("f2", "check", "Check", id="bulk.check", tooltip="Check the plan (or build it from the folder); send nothing"),
        Binding("ctrl+s", "start", "Start", id="bulk.start", tooltip="Send every valid row once"),
        Binding("f4", "pause", "Pause", id="bulk.pause", tooltip="Start no more rows; the ones in flight finish"),
        Binding("ctrl+r", "resume", "Resume", id="bulk.resume", tooltip="Carry on with the same job (unknown rows are verified first)"),
        Binding("f6", "retry", "Retry refused", id="bulk.retry", tooltip="Check again and send the refused rows (after fixing them)"),
        Binding("f7", "next_filter", "Filter", id="bulk.filter", tooltip="All, failures, refused, unknown, invalid"),
    ]

    def __init__(self, session: Session, *, integration: str = "", source: str = "") -> None:
        super().__init__(id="bulk", classes="dialog-screen")
        self.session = session
        self._integration = integration or session.connection.target.integration_id or ""
        self._source = source
        self.rows = BulkRows()
        self.phase = "idle"
        """idle, building, checking, checked, running, pausing, paused, done, error."""
        self.filter = "all"
        self.plan: Path | None = None
        """The plan checked (a folder's plan once built)."""
        self.folder: FolderPlan | None = None
        self.check: PlanCheck | None = None
        self.report: BulkReport | None = None
        self.progress: BulkProgress | None = None
        self.control: BulkControl | None = None
        self._loop: asyncio.AbstractEventLoop | None = None
        self._dirty = False
        self._note = ""
        """Building the folder's plan: how far the look-ups are."""
        self._ticker: Timer | None = None
        self._counts: dict[str, int] = {}
        """Rows per status at the last repaint."""
        self.status_text = ""

    # ------------------------------------------------------------------ layout

    def compose(self) -> ComposeResult:
        with Vertical(classes="dialog table-dialog"):
            yield Static("Bulk — one plan, many applications: checked first, sent once, resumable", classes="dialog-title")
            with Horizontal(id="bulk-inputs"):
                yield Input(
                    self._source,
                    placeholder="plan (.csv / .jsonl), or a folder of files named EMAIL.ext or APPLICATION_ID.ext",
                    compact=True, id="bulk-path", suggester=PathSuggester(),
                )
                yield Input(self._integration, placeholder="integration for rows without one", compact=True,
                            id="bulk-integration", restrict=NO_CONTROLS)
            yield Checkbox("Send the valid rows even if some are invalid (they are reported)", id="bulk-skip", compact=True)
            yield Static("", id="bulk-check")
            yield Static("", id="bulk-run")
            yield Tabs(*(Tab(label, id=f"filter-{name}") for name, label in FILTER_LABELS.items()), id="bulk-filter")
            yield VirtualTable(COLUMNS, id="bulk-table")
            yield Static("", id="bulk-status")
        yield KeyBar()

    def on_mount(self) -> None:
        self.query_one("#bulk-path", Input).focus()
        self._ticker = self.set_interval(REPAINT, self._tick, pause=True)
        self._status("Enter (or f2) checks the plan or the folder; nothing is sent before Start (ctrl+s).")
        self._paint()

    def on_unmount(self) -> None:
        self._abandon()

    # ------------------------------------------------------------------ what can be done now

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        counts = self._counts
        if action == "check":
            return self.phase not in BUSY
        if action == "start":
            return self.phase == "checked"
        if action == "pause":
            return self.phase == "running"
        if action == "resume":
            return self.phase == "paused" or (
                self.phase == "done" and any(counts.get(s, 0) for s in ("unknown", "sending", "pending")))
        if action == "retry":
            return self.phase == "done" and any(counts.get(s, 0) for s in ("refused", "failed"))
        return True

    @property
    def in_flight(self) -> str | None:
        """What quitting now would cut short (None: nothing)."""
        return "a bulk run" if self.phase in ("running", "pausing") else None

    def _set_phase(self, phase: str) -> None:
        self.phase = phase
        if self._ticker is not None:
            if phase in BUSY:
                self._ticker.resume()
            else:
                self._ticker.pause()
        self._paint()
        self.refresh_bindings()

    # ------------------------------------------------------------------ actions

    @on(Input.Submitted, "#bulk-path")
    @on(Input.Submitted, "#bulk-integration")
    def _submitted(self, event: Input.Submitted) -> None:
        event.stop()
        if self.phase == "checked" and self._same_source():
            self.action_start()
        else:
            self.action_check()

    def on_key(self, event: events.Key) -> None:
        """Enter on the "send the valid rows" box does what Enter does in the fields (check, or
        start what was checked), never un-ticks it: space ticks and un-ticks."""
        if event.key == "enter" and isinstance(self.focused, Checkbox):
            event.stop()
            event.prevent_default()
            if self.phase == "checked" and self._same_source():
                self.action_start()
            else:
                self.action_check()

    def _same_source(self) -> bool:
        source = self._source_path()
        return source is not None and (source == self.plan or (self.folder is not None and source == self.folder.folder))

    def _source_path(self) -> Path | None:
        text = clean_path(self.query_one("#bulk-path", Input).value)
        return resolve_path(text)[0] if text else None

    def _begin(self, *, dry_run: bool, rebuild: bool = False) -> None:
        source = self._source_path()
        if source is None:
            self._status("✗ Give a plan file or a folder first.", "$error")
            self.query_one("#bulk-path", Input).focus()
            return
        integration = self.query_one("#bulk-integration", Input).value.strip()
        job = _Job(source, integration, dry_run, self.query_one("#bulk-skip", Checkbox).value, rebuild)
        if dry_run:
            self.rows = BulkRows()
            self.plan = self.folder = self.check = self.report = self.progress = None
            self._show_filter("all")  # a new check lists every row, whatever the last filter was
        self.report = None
        self._set_phase("building" if rebuild or (dry_run and source.is_dir()) else "checking" if dry_run else "running")
        self._status("")
        self._work(job)

    def action_check(self) -> None:
        if self.phase not in BUSY:
            self._begin(dry_run=True)

    def action_start(self) -> None:
        if self.phase == "checked":
            self._begin(dry_run=False)

    def action_resume(self) -> None:
        if self.check_action("resume", ()):
            self._begin(dry_run=False)
            if any(self._counts.get(s, 0) for s in ("unknown", "sending")):
                self._status("Resuming: a row caught in flight is looked for on its application "
                             "30 s after it was sent, and sent only if absent.")

    def action_retry(self) -> None:
        if self.check_action("retry", ()):
            # A folder is read again (renamed files are picked up); a plan is checked again.
            self._begin(dry_run=False, rebuild=self.folder is not None)

    def action_pause(self) -> None:
        if self.phase == "running" and self.control is not None:
            self.control.stop()
            self._set_phase("pausing")
            self._status("Pausing: no new rows; the rows in flight finish and are recorded.")

    def action_next_filter(self) -> None:
        self.query_one("#bulk-filter", Tabs).action_next_tab()

    def action_close(self) -> None:
        if self.phase in ("running", "pausing"):
            self._status("✗ A run is going: pause it (f4) first — the rows in flight finish and are recorded.", "$warning")
            return
        self._abandon()
        self.dismiss(None)

    @on(VirtualTable.Selected, "#bulk-table")
    def _row_selected(self, event: VirtualTable.Selected) -> None:
        event.stop()
        rows = self.rows.view(self.filter)
        if 0 <= event.index < len(rows):
            number, status, application, file, message = rows[event.index]
            self._status_line((
                (f"Row {number:,}  ", "b"), (safe_line(status, 20), ""), ("  ", ""),
                (safe_line(application, 80), ""), ("  ", ""), (safe_line(file, 120), ""),
                ("  ", ""), (safe_line(message or "—", 600), "dim"),
            ))

    def _show_filter(self, name: str) -> None:
        self.filter = name
        tabs = self.query_one("#bulk-filter", Tabs)
        if tabs.active != f"filter-{name}":
            with tabs.prevent(Tabs.TabActivated):
                tabs.active = f"filter-{name}"

    @on(Tabs.TabActivated, "#bulk-filter")
    def _filter_changed(self, event: Tabs.TabActivated) -> None:
        event.stop()
        name = (event.tab.id or "filter-all").removeprefix("filter-")
        if name in FILTERS and name != self.filter:
            self.filter = name
            self._paint(reset_cursor=True)

    # ------------------------------------------------------------------ the worker

    @work(thread=True, exclusive=True, group="bulk", exit_on_error=False)
    def _work(self, job: _Job) -> None:
        try:
            asyncio.run(self._go(job))
        except Exception as exc:  # noqa: BLE001 - whatever broke is shown, the app keeps running
            self._from_thread(self._failed, f"{type(exc).__name__}: {exc}")

    def _from_thread(self, callback: object, *args: object) -> None:
        try:
            self.app.call_from_thread(callback, *args)  # type: ignore[arg-type]
        except Exception:  # noqa: BLE001 - the app is closing
            pass

    async def _go(self, job: _Job) -> None:
        from kombo_tui.core.bulk import BulkControl, Journal, run_bulk

        self._loop = asyncio.get_running_loop()
        connection = self.session.connection
        try:
            # The session's own client, made on the app's loop: it starts the embedded sandbox
            # (if any) on the session's target, and says so when there is no key.
            async def ensure() -> None:
                await connection.client()

            self.app.call_from_thread(ensure)  # type: ignore[arg-type]
        except KomboError as exc:
            self._from_thread(self._failed, str(exc))
            return
        target = connection.target
        if job.integration:
            target = replace(target, integration_id=job.integration)
        client = target.client(transport=connection.transport, exchanges=connection.exchanges)
        control = self.control = BulkControl()
        try:
            plan = job.source
            if job.source.is_dir():
                if job.rebuild or job.dry_run or self.folder is None:
                    self.folder = await self._build(job, client, target.integration_id)
                plan = self.folder.plan
                if self.folder.problems and not job.skip_invalid and not job.dry_run:
                    self._from_thread(self._blocked_by_folder)
                    return
            elif not job.source.is_file():
                self._from_thread(self._failed, f"{safe_line(job.source)} is neither a plan file nor a folder")
                return
            self.plan = plan
            if not job.dry_run:
                self._from_thread(self._set_phase, "running")
            report = await run_bulk(
                plan, target, client=client, history=self.session.history, concurrency=CONCURRENCY,
                dry_run=job.dry_run, skip_invalid=job.skip_invalid, progress=self._progressed,
                on_checked=self._checked, on_sending=self._sending, control=control,
                files_root=job.source if job.source.is_dir() else None,
            )
            self.check = report.check
            if not report.dry_run:
                with Journal(report.journal_path) as journal:
                    for row in journal.rows(report.job_id):
                        self.rows.finished(row)
            self._from_thread(self._finished, report)
        except KomboError as exc:
            self._from_thread(self._failed, str(exc))
        finally:
            self._loop = None
            await client.aclose()

    async def _build(self, job: _Job, client: object, integration: str | None) -> FolderPlan:
        from kombo_tui.core.bulk.folder import plan_from_folder

        def looked_up(done: int, total: int) -> None:
            self._note = f"matching files to applications: {done:,} of {total:,} emails and ids looked up"
            self._dirty = True

        built = await plan_from_folder(job.source, client, integration_id=integration or "", on_progress=looked_up)  # type: ignore[arg-type]
        self._note = ""
        if job.dry_run:
            self._from_thread(self._set_phase, "checking")
        return built

    def _checked(self, checked: object) -> None:
        self.rows.checked(checked)  # type: ignore[arg-type]
        self._dirty = True

    def _sending(self, row: JobRow) -> None:
        self.rows.finished(row)  # "↑ sending" from its first byte, not from its end
        self._dirty = True

    def _progressed(self, progress: BulkProgress) -> None:
        self.progress = progress
        if progress.row is not None:
            self.rows.finished(progress.row)
        self._dirty = True

    def _abandon(self) -> None:
        """The screen goes away mid-run (the app quits): cancel the rows in flight (recorded, verified on resume)."""
        loop, control = self._loop, self.control
        if loop is not None and control is not None and self.phase in ("running", "pausing"):
            try:
                loop.call_soon_threadsafe(control.abandon)
            except RuntimeError:
                pass

    # ------------------------------------------------------------------ results (on the screen's loop)

    def _finished(self, report: BulkReport) -> None:
        self.report = report
        self.check = report.check
        if report.dry_run:
            self._set_phase("checked")
            self._say_checked(report)
            return
        self._set_phase("checked" if report.blocked else "paused" if report.interrupted else "done")
        line = report_line(report)
        left = len(self.folder.problems) if self.folder is not None and not report.blocked else 0
        if left:
            line = (*line, (f" {counted(left, 'file')} of the folder left out (not sent): see above.", "$warning"))
        self._status_line(line)

    def _say_checked(self, report: BulkReport) -> None:
        """What a check found and what Start will do, as the box stands now."""
        invalid = report.check.invalid
        left = len(self.folder.problems) if self.folder else 0
        if not (invalid or left):
            self._status("✓ Checked: nothing sent yet. Start (ctrl+s) sends every valid row once.", "$success")
            return
        what = " and ".join(x for x in (
            counted(invalid, "invalid row") if invalid else "",
            counted(left, "file") + " left out" if left else "") if x)
        listed = " (the Invalid filter lists the rows)." if invalid else "."
        if self.query_one("#bulk-skip", Checkbox).value:
            self._status(f"⚠ {what}: Start (ctrl+s) sends the others (the box is ticked); these are "
                         f"reported, not sent{listed}", "$warning")
        else:
            self._status(f"✗ {what}: fix them, or tick the box to send the others{listed}", "$warning")

    @on(Checkbox.Changed, "#bulk-skip")
    def _skip_changed(self, event: Checkbox.Changed) -> None:
        """Ticked or not, the status line says what Start will do now."""
        event.stop()
        report = self.report
        if self.phase == "checked" and report is not None and (report.dry_run or report.blocked):
            self._say_checked(report)

    def _blocked_by_folder(self) -> None:
        self._set_phase("checked")
        left = len(self.folder.problems) if self.folder else 0
        ticked = self.query_one("#bulk-skip", Checkbox).value
        self._status(f"✗ {counted(left, 'file')} match no single application: nothing was sent. Rename them"
                     + ("." if ticked else ", or tick the box to send the others."), "$error")

    def _failed(self, message: str) -> None:
        self._set_phase("error")
        self._status(f"✗ {safe_line(message)}", "$error")

    # ------------------------------------------------------------------ painting

    def _tick(self) -> None:
        if self._dirty:
            self._paint()

    def _paint(self, *, reset_cursor: bool = False) -> None:
        self._dirty = False
        counts = self._counts = self.rows.counts()
        lines: list[Line] = []
        if self.check is not None:
            lines.extend(check_lines(self.check, self.folder))
        elif self.phase in ("building", "checking"):
            lines.append((("Check  ", "b"), (self._note or f"checking… {len(self.rows):,} rows so far", "$accent")))
        else:
            lines.append((("Check  ", "b"), ("no plan checked yet", "dim")))
        self.query_one("#bulk-check", Static).update(content(*lines))
        state = {"checked": "ready", "idle": "not started", "error": "stopped"}.get(self.phase, self.phase)
        self.query_one("#bulk-run", Static).update(content(progress_line(state, self.progress, counts)))
        table = self.query_one("#bulk-table", VirtualTable)
        table.set_rows(RowCells(self.rows.view(self.filter)), keep_cursor=not reset_cursor)

    def _status(self, text: str, style: str = "") -> None:
        self._status_line(((text, style),))

    def _status_line(self, line: Line) -> None:
        self.status_text = "".join(text for text, _ in line)
        self.query_one("#bulk-status", Static).update(content(line))
