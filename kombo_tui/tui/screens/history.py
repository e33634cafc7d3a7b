"""F9: the local audit log — every send from this machine, filterable, with details and log URL.

The log is SQLite (:class:`kombo_tui.core.history.History`); every query runs in a thread
worker, so a slow disk never freezes the screen.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING

from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical
from textual.screen import ModalScreen
from textual.widgets import Button, Input, Static

from kombo_tui.core.hints import counted
from kombo_tui.core.net import safe_link

from ..columns import Column
from ..present import outcome_label
from ..text import Line, format_bytes, local_time, safe_line
from ..widgets.common import NO_CONTROLS, content
from ..widgets.keybar import KeyBar
from ..widgets.result import NOT_A_LINK
from ..widgets.virtual_table import VirtualTable

if TYPE_CHECKING:
    from kombo_tui.core.history import History, HistoryEntry
    from kombo_tui.core.wire.exchanges import Exchange

COLUMNS = (
    Column("Time", 16),
    Column("Outcome", 12, 10),
    Column("Env", 12, 7, drop=5),
    Column("Candidate", 16, 10),
    Column("Job", 18, 10, drop=1),
    Column("File", 22, 14),
    Column("Type", 12, 6, drop=6),
    Column("Size", 9, drop=4),
    Column("Application", 14, 10, drop=2, crop="middle"),
    Column("Integration", 24, 12, drop=7, crop="middle"),
    Column("Error code", 30, 12, drop=3),
)
"""Time, outcome, candidate and file always; the rest as the width allows (Enter shows them all)."""

LIMIT = 1000
"""Newest entries shown (the filter searches the whole log)."""


def cells(entry: HistoryEntry) -> tuple[str, ...]:
    """One row of the table; every recorded value as inert text (the log replays what came in)."""
    return (
        safe_line(local_time(entry.at)),
        safe_line(outcome_label(entry.outcome)),
        safe_line(entry.environment),
        safe_line(entry.candidate or ""),
        safe_line(entry.job or ""),
        safe_line(entry.file_name),
        safe_line(entry.type),
        format_bytes(entry.size) if entry.size is not None else "",
        safe_line(entry.application_id),
        safe_line(entry.integration_id),
        safe_line(entry.error_code or ""),
    )


class HistoryScreen(ModalScreen["HistoryEntry | None"]):
    """A table of past sends; type to filter, Enter shows one with its log URL, ctrl+r replays
    it (dismissed with that entry: the main screen reopens it in its form)."""

    BINDINGS = [
        Binding("escape", "close", "Close", id="history.close"),
        Binding("ctrl+r", "replay", "Replay", id="history.replay", tooltip="Reopen the selected send in the form to send it again"),
        Binding("f9", "close", "Close", show=False),
        Binding("down", "focus_table", "Table", show=False),
    ]

    def __init__(self, history: History) -> None:
        super().__init__(id="history", classes="dialog-screen")
        self.history = history
        self.entries: list[HistoryEntry] = []
        self.status_text = ""

    def compose(self) -> ComposeResult:
        with Vertical(classes="dialog table-dialog"):
            yield Static("History — sends from this machine", classes="dialog-title")
            yield Input(
                placeholder="filter by file, candidate, job, application, integration, error code or outcome",
                compact=True,
                id="history-filter",
                restrict=NO_CONTROLS,
            )
            yield Static("", id="history-status", classes="detail")
            yield VirtualTable(COLUMNS, id="history-table")
        yield KeyBar()

    def on_mount(self) -> None:
        self.query_one("#history-filter", Input).focus()
        self.load("")

    @work(thread=True, exclusive=True, group="history", exit_on_error=False)
    def load(self, search: str) -> None:
        try:
            entries = self.history.entries(search=search.strip() or None, limit=LIMIT)
        except Exception as exc:  # noqa: BLE001 - a broken log file is shown, not raised
            self.app.call_from_thread(self._show_error, f"cannot read the history ({exc})")
            return
        self.app.call_from_thread(self._show, search, entries)

    def _show(self, search: str, entries: list[HistoryEntry]) -> None:
        if search != self.query_one("#history-filter", Input).value:
            return  # a newer keystroke's query is on its way
        self.entries = entries
        self.query_one("#history-table", VirtualTable).set_rows(_Cells(entries))
        if not entries:
            text = "No sends match this filter." if search.strip() else "No sends recorded yet."
        else:
            more = f" (newest {LIMIT:,})" if len(entries) >= LIMIT else ""
            verb = (" matches" if len(entries) == 1 else " match") if search.strip() else ""
            text = f"{counted(len(entries), 'send')}{more}{verb}"
            text += " · Enter shows details, the log URL and how to open it"
        self._status(text)

    def _show_error(self, message: str) -> None:
        self._status(f"✗ {safe_line(message)}", "$error")

    def _status(self, text: str, style: str = "") -> None:
        self.status_text = text
        self.query_one("#history-status", Static).update(content(((text, style),)))

    @on(Input.Changed, "#history-filter")
    def _filter_changed(self, event: Input.Changed) -> None:
        event.stop()
        self.load(event.value)

    @on(Input.Submitted, "#history-filter")
    def _filter_submitted(self, event: Input.Submitted) -> None:
        event.stop()
        if len(self.entries) == 1:
            self._open(0)
        elif self.entries:
            self.action_focus_table()

    @on(VirtualTable.Selected, "#history-table")
    def _selected(self, event: VirtualTable.Selected) -> None:
        event.stop()
        self._open(event.index)

    def _open(self, index: int) -> None:
        if 0 <= index < len(self.entries):
            self.app.push_screen(HistoryDetail(self.entries[index], self.history))

    def action_focus_table(self) -> None:
        self.query_one("#history-table", VirtualTable).focus()

    def action_replay(self) -> None:
        index = self.query_one("#history-table", VirtualTable).cursor
        if 0 <= index < len(self.entries):
            self.dismiss(self.entries[index])

    def action_close(self) -> None:
        self.dismiss(None)


class _Cells(Sequence[tuple[str, ...]]):
    """Table cells built only for the rows on screen."""

    def __init__(self, entries: list[HistoryEntry]) -> None:
        self.entries = entries

    def __len__(self) -> int:
        return len(self.entries)

    def __getitem__(self, index):  # type: ignore[no-untyped-def]
        return cells(self.entries[index])


class HistoryDetail(ModalScreen[None]):
    """Everything recorded about one send; the log URL can be copied (OSC 52) or opened.

    With the ``history`` it came from, the send's recorded exchanges are listed too (Enter
    shows one, as the Exchanges screen does) and ``h`` exports them as HAR 1.2.
    """

    BINDINGS = [
        Binding("escape", "close", "Close", id="history-detail.close"),
        Binding("c", "copy", "Copy log URL", id="history-detail.copy"),
        Binding("o", "open", "Open log URL", id="history-detail.open"),
        Binding("h", "export_har", "Export HAR", id="history-detail.har"),
    ]

    def __init__(self, entry: HistoryEntry, history: History | None = None) -> None:
        super().__init__(id="history-detail", classes="dialog-screen")
        self.entry = entry
        self.history = history
        self.link = safe_link(entry.log_url)
        """The log URL when it may be opened or copied (https only), else None."""
        self.status_text = ""
        self.exchanges: list[Exchange] = []

    def compose(self) -> ComposeResult:
        entry = self.entry
        with Vertical(classes="dialog"):
            title = f"{safe_line(outcome_label(entry.outcome))} — {safe_line(entry.file_name)}"
            yield Static(title, classes="dialog-title", markup=False)
            yield Static(content(*detail_lines(entry)), id="history-detail-text", classes="dialog-body")
            if self.history is not None:
                yield from self._compose_exchanges()
            yield Static("", id="history-detail-status")
            with Horizontal(classes="dialog-buttons"):
                if self.history is not None:
                    har = Button("Export HAR  h", id="export-har")
                    har.display = False  # once exchanges are found
                    yield har
                if self.link:
                    yield Button("Open log URL  o", id="open-log", variant="primary")
                    yield Button("Copy log URL  c", id="copy-log")
                yield Button("Close  esc", id="close")

    def on_mount(self) -> None:
        self.query_one("#open-log" if self.link else "#close", Button).focus()
        if self.history is not None:
            self.load_exchanges()

    # ------------------------------------------------------------------ exchanges

    def _compose_exchanges(self) -> ComposeResult:
        from .exchanges import ExchangeTable

        title = Static("Exchanges  reading…", id="history-exchanges-title")
        title.styles.margin = (1, 0, 0, 0)
        yield title
        table = ExchangeTable(id="history-exchanges")
        table.display = False
        yield table

    @work(thread=True, exclusive=True, group="history-exchanges", exit_on_error=False)
    def load_exchanges(self) -> None:
        assert self.history is not None
        try:
            found = self.history.exchanges(self.entry.id) if self.entry.id is not None else []
        except Exception as exc:  # noqa: BLE001 - a broken log file is shown, not raised
            self.app.call_from_thread(self._exchanges_title, f"Exchanges  ✗ cannot read them ({safe_line(exc)})", "$error")
            return
        self.app.call_from_thread(self._show_exchanges, found)

    def _show_exchanges(self, found: list[Exchange]) -> None:
        from .. import present_exchanges as present
        from .exchanges import ExchangeTable

        self.exchanges = found
        if not found:
            self._exchanges_title("none recorded (sent by an older version, or nothing went out)", "dim")
            return
        by_id = present.causes(found)
        dialog = self.query_one(".dialog")
        dialog.styles.width = 118  # the exchanges' columns, as on the Exchanges screen
        dialog.styles.max_width = "100%"
        table = self.query_one("#history-exchanges", ExchangeTable)
        table.show(found, [present.cells(e, by_id) for e in found])
        table.styles.height = min(len(found), 6) + 1
        table.display = True
        self.query_one("#export-har").display = True
        self._exchanges_title(f"{present.scope_summary(found)} · Enter on one shows it · h exports them as HAR", "")

    def _exchanges_title(self, text: str, style: str) -> None:
        self.query_one("#history-exchanges-title", Static).update(content((("Exchanges  ", "b"), (text, style))))

    @on(VirtualTable.Selected, "#history-exchanges")
    def _exchange_selected(self, event: VirtualTable.Selected) -> None:
        from .. import present_exchanges as present
        from .exchanges import ExchangeDetail

        event.stop()
        if 0 <= event.index < len(self.exchanges):
            self.app.push_screen(ExchangeDetail(self.exchanges[event.index], present.causes(self.exchanges)))

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        if action == "export_har":
            return bool(self.exchanges)
        return True

    def action_export_har(self) -> None:
        if self.history is not None and self.exchanges and self.entry.id is not None:
            from kombo_tui.core.config.file import exports_dir

            try:
                folder = exports_dir()
            except OSError as exc:
                self._status(f"✗ HAR not written: {safe_line(exc)}", "$error")
                return
            self.export_har(folder / f"kombo-send-{self.entry.id}.har")

    @work(thread=True, exclusive=True, group="history-har", exit_on_error=False)
    def export_har(self, path: Path) -> None:
        """Write this send's exchanges as HAR 1.2 to ``path`` (mode 0600, no key)."""
        assert self.history is not None and self.entry.id is not None
        try:
            count = self.history.export_har(self.entry.id, path)
        except (LookupError, OSError, ValueError) as exc:
            self.app.call_from_thread(self._status, f"✗ HAR not written: {safe_line(exc)}", "$error")
            return
        done = f"✓ {counted(count, 'exchange')} written as HAR 1.2 to {safe_line(path)} (private: mode 0600, no key)"
        self.app.call_from_thread(self._status, done, "$success")

    @on(Button.Pressed, "#open-log")
    def _open_pressed(self) -> None:
        self.action_open()

    @on(Button.Pressed, "#copy-log")
    def _copy_pressed(self) -> None:
        self.action_copy()

    @on(Button.Pressed, "#export-har")
    def _har_pressed(self) -> None:
        self.action_export_har()

    @on(Button.Pressed, "#close")
    def _close_pressed(self) -> None:
        self.action_close()

    def action_copy(self) -> None:
        if self.link:
            self.app.copy_to_clipboard(self.link)
            self._status("✓ log URL copied to the clipboard", "$success")
        elif self.entry.log_url:
            self._status(f"✗ The log URL is {NOT_A_LINK}.", "$warning")

    def action_open(self) -> None:
        if self.link:
            self.app.open_url(self.link)
            self._status("✓ asked the system to open the log URL", "$success")
        elif self.entry.log_url:
            self._status(f"✗ The log URL is {NOT_A_LINK}.", "$warning")

    def _status(self, text: str, style: str = "") -> None:
        self.status_text = text
        self.query_one("#history-detail-status", Static).update(content(((text, style),)))

    def action_close(self) -> None:
        self.dismiss(None)


def detail_lines(entry: HistoryEntry) -> list[Line]:
    """The detail view's lines; every recorded value placed as inert text, never as markup."""

    def row(label: str, value: object) -> Line:
        shown: Line = (("—", "dim"),) if value in (None, "", [], {}) else ((safe_line(value, 4000), ""),)
        return ((f"{label:<13}", "b"), *shown)

    size = f"{format_bytes(entry.size)} ({entry.size:,} bytes)" if entry.size is not None else None
    label = outcome_label(entry.outcome)  # the raw value too, when the label differs
    outcome = label + (f"  ({entry.outcome})" if label != entry.outcome else "")
    lines = [
        row("When", f"{local_time(entry.at)}  ({entry.at})"),
        row("Outcome", outcome),
        row("Verified", entry.verified),
        row("Environment", entry.environment),
        row("Integration", entry.integration_id),
        row("Application", entry.application_id),
        row("Candidate", entry.candidate),
        row("Job", entry.job),
        row("File", entry.file_name),
        row("Type", entry.type),
        row("Content type", entry.mime),
        row("Size", size),
        row("sha256", entry.sha256),
    ]
    if entry.remote_fields:
        import json

        lines.append(row("Remote fields", json.dumps(entry.remote_fields, ensure_ascii=False)))
    if entry.error_code or entry.error_message:
        lines.append(row("Error code", entry.error_code))
        lines.append(row("Message", entry.error_message))
    lines.append(row("log_url", entry.log_url))
    if entry.log_url and safe_link(entry.log_url) is None:
        lines.append(((f"{'':<13}", ""), (f"({NOT_A_LINK})", "dim")))
    lines.extend(((f"⚠ {safe_line(w)}", "$warning"),) for w in entry.warnings)
    return lines
