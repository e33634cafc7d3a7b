"""F4: every HTTP exchange of the session, as a browser's network tab shows them.

The list follows the session's :class:`~kombo_tui.core.wire.exchanges.ExchangeLog` live (its
listeners run on the thread that recorded: a message hops onto the screen's loop), or shows a
fixed list (a past send's exchanges, from the History). Enter opens one exchange: request and
answer with their headers and bodies, and its timings as a waterfall. F2 copies it as curl.

What is written comes from :mod:`kombo_tui.tui.present_exchanges`; every string from outside
is inert text, bodies are highlighted with Rich's JSON highlighter (regexes over inert text).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING

from rich.highlighter import JSONHighlighter
from rich.text import Text
from textual import on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical, VerticalScroll
from textual.message import Message
from textual.screen import ModalScreen
from textual.widgets import Input, Static

from kombo_tui.core.hints import counted

from .. import present_exchanges as present
from ..text import Line, safe_block, safe_line
from ..widgets.common import NO_CONTROLS, content
from ..widgets.keybar import KeyBar
from ..widgets.virtual_table import VirtualTable

if TYPE_CHECKING:
    from kombo_tui.core.wire.exchanges import Exchange, ExchangeLog

__all__ = ["CurlCopier", "ExchangeDetail", "ExchangeTable", "ExchangesScreen", "body_renderable"]

CURL_SHOWN = 1200
"""Most characters of a copied command shown under the list (the clipboard gets all of it)."""


def body_renderable(block: present.BodyBlock) -> Text | str:
    """A body as inert Rich text; JSON highlighted by Rich's regex highlighter (never markup)."""
    if block.text is None:
        return Text(block.note or "not kept", style="dim")
    text = Text(block.text)
    if block.json:
        JSONHighlighter().highlight(text)
    if block.note:
        text.append("\n" + block.note, style="dim")
    return text


class ExchangeTable(VirtualTable):
    """The list of exchanges (method, path, status, time, size); Enter selects one."""

    def __init__(self, *, id: str | None = None) -> None:  # noqa: A002
        super().__init__(present.COLUMNS, id=id)
        self.exchanges: list[Exchange] = []

    def show(self, exchanges: list[Exchange], rows: list[tuple[str, ...]], *, keep_cursor: bool = False) -> None:
        """Show these exchanges (``rows`` their cells, in the same order)."""
        self.exchanges = exchanges
        self.set_rows(rows, keep_cursor=keep_cursor)
        if keep_cursor and rows and self.cursor >= len(rows):
            self.cursor = len(rows) - 1

    @property
    def current(self) -> Exchange | None:
        """The exchange under the cursor."""
        return self.exchanges[self.cursor] if 0 <= self.cursor < len(self.exchanges) else None


class CurlCopier:
    """F2 on an exchange: the curl command to the clipboard, and what was copied in a widget.

    An upload's base64 is never recorded: while the session still holds the upload, its exact
    body is written beside the app (``kombo-exchange-<id>.json``, mode 0600, re-checking the
    file's sha256) and the command reads it; otherwise the command says how to get the body
    and refuses to run without it (:func:`kombo_tui.core.wire.export.exchange_curl`).
    """

    status_id = ""
    """The id of the Static that shows what was copied."""
    copied_text = ""
    """What that Static says (plain), for tests and screen readers."""

    def copy_curl(self, exchange: Exchange | None) -> None:
        screen = self._screen()
        if exchange is None:
            return
        if exchange.kind != "http":
            self._copied(((("A retry wait is not a request: nothing to copy.", "$warning"),),))
            return
        body = exchange.request_body
        if exchange.upload is not None and body is not None and body.elided:
            self._copied(((("writing the upload's exact body…", "dim"),),))
            screen.run_worker(lambda: self._write_and_copy(exchange), thread=True, group="curl", exclusive=True)
            return
        self._copy(exchange, None, None)

    def _write_and_copy(self, exchange: Exchange) -> None:
        from kombo_tui.core.config.file import exports_dir
        from kombo_tui.core.errors import KomboError
        from kombo_tui.core.wire.export import write_body

        assert exchange.upload is not None
        name = f"kombo-exchange-{exchange.id}.json"
        try:
            path = write_body(exchange.upload, exports_dir().absolute() / name)
        except (KomboError, OSError) as exc:
            self._screen().app.call_from_thread(self._copy, exchange, None, f"could not write {name}: {exc}")
            return
        self._screen().app.call_from_thread(self._copy, exchange, str(path), None)

    def _copy(self, exchange: Exchange, body_file: str | None, problem: str | None) -> None:
        from kombo_tui.core.wire.export import exchange_curl

        from ..services import export_body_path

        screen = self._screen()
        try:
            found = exchange_curl(exchange, body_file=body_file, missing_body=str(export_body_path()))
        except ValueError as exc:
            self._copied((((f"✗ Not copied: {safe_line(exc)}", "$error"),),))
            return
        screen.app.copy_to_clipboard(found.command)
        lines: list[Line] = [(("✓ curl copied to the clipboard", "$success"), (" (the key stays $KOMBO_API_KEY)", "dim"))]
        if problem:
            lines.append(((f"✗ {safe_line(problem)}", "$error"),))
        if body_file:
            lines.append(((f"body → {safe_line(body_file)}", ""),))
        if found.note:
            lines.append(((f"⚠ {safe_line(found.note)}", "$warning"),))
        lines.append(((safe_block(found.command, CURL_SHOWN), "dim"),))
        self._copied(tuple(lines))

    def _copied(self, lines: tuple[Line, ...]) -> None:
        self.copied_text = "\n".join("".join(t for t, _ in line) for line in lines)
        widget = self._screen().query_one(f"#{self.status_id}", Static)
        widget.update(content(*lines))
        widget.display = True

    def _screen(self) -> ModalScreen[None]:
        assert isinstance(self, ModalScreen)
        return self


class ExchangesScreen(CurlCopier, ModalScreen[None]):
    """Every exchange of the session (or of one send), filterable; Enter shows one.

    Args:
        log: The session's log, followed live (None: show ``exchanges``).
        exchanges: A fixed list (a past send's), when there is no log.
        scopes: Open on the exchanges recorded in these scopes (one send's); F4 toggles to all.
        title: What the list is.
    """

    status_id = "exchanges-copied"
    BINDINGS = [
        Binding("escape", "close", "Close", id="exchanges.close"),
        Binding("f4", "toggle_scope", "All / this send", id="exchanges.scope"),
        Binding("f2", "copy_curl", "Copy as curl", id="exchanges.curl"),
        Binding("down", "focus_table", "Table", show=False),
    ]

    class Recorded(Message):
        """The log recorded an exchange (posted from the recording thread)."""

    def __init__(
        self,
        log: ExchangeLog | None = None,
        *,
        exchanges: Sequence[Exchange] | None = None,
        scopes: tuple[str, ...] = (),
        title: str | None = None,
    ) -> None:
        super().__init__(id="exchanges", classes="dialog-screen")
        self.exchange_log = log
        self.fixed = list(exchanges or [])
        self.scopes = scopes
        self.only_scope = bool(scopes)
        self.title_text = title
        """A fixed title (else it says whether the session's or the last send's are shown)."""
        self.status_text = ""
        self.copied_text = ""
        self._unsubscribe: Callable[[], None] | None = None
        self._reload_pending = False

    DEFAULT_CSS = """
    .exchanges-dialog { width: 1fr; height: 1fr; margin: 1 2 0 2; padding: 0 1; border: round $primary; background: $surface; }
    .exchanges-title { text-style: bold; color: $text-primary; }
    #exchanges-filter { margin: 1 0 0 0; }
    #exchanges-status { color: $text-muted; }
    #exchanges-table { height: 1fr; }
    #exchanges-copied { height: auto; max-height: 10; display: none; border-top: solid $primary 50%; }
    """

    def compose(self) -> ComposeResult:
        with Vertical(classes="exchanges-dialog"):
            yield Static("", id="exchanges-title", classes="exchanges-title", markup=False)
            yield Input(
                placeholder="filter by method, path or status: 429, POST, attachments, no response",
                compact=True,
                id="exchanges-filter",
                restrict=NO_CONTROLS,
            )
            yield Static("", id="exchanges-status")
            yield ExchangeTable(id="exchanges-table")
            yield Static("", id="exchanges-copied")
        yield KeyBar()

    def on_mount(self) -> None:
        if self.exchange_log is not None:
            self._unsubscribe = self.exchange_log.subscribe(self._recorded)
        self.query_one("#exchanges-filter", Input).focus()
        self.reload()

    def on_unmount(self) -> None:
        if self._unsubscribe is not None:
            self._unsubscribe()
            self._unsubscribe = None

    def _recorded(self, exchange: Exchange) -> None:
        # On the recording thread (the loop for the app's client, a worker thread otherwise):
        # post_message is thread-safe; the screen reloads on its own loop.
        self.post_message(self.Recorded())

    @on(Recorded)
    def _on_recorded(self) -> None:
        if not self._reload_pending:  # a burst of exchanges: one reload per frame
            self._reload_pending = True
            self.call_after_refresh(self._reload_now)

    def _reload_now(self) -> None:
        self._reload_pending = False
        self.reload(keep_cursor=True)

    def in_view(self) -> list[Exchange]:
        """The exchanges in view before the filter (the send's, or all of them)."""
        found = self.exchange_log.entries() if self.exchange_log is not None else list(self.fixed)
        if self.only_scope:
            from kombo_tui.core.wire.exchanges import in_scope

            found = [e for e in found if any(in_scope(e.scope, s) for s in self.scopes)]
        return found

    def reload(self, *, keep_cursor: bool = False) -> None:
        """Rebuild the rows from the log (or the fixed list) and the filter."""
        every = self.in_view()
        by_id = present.causes(every)
        query = self.query_one("#exchanges-filter", Input).value
        shown: list[Exchange] = []
        rows: list[tuple[str, ...]] = []
        for exchange in every:
            row = present.cells(exchange, by_id)
            if present.matches(row, exchange, query):
                shown.append(exchange)
                rows.append(row)
        self.query_one(ExchangeTable).show(shown, rows, keep_cursor=keep_cursor)
        which = "this send's" if self.only_scope else "the session's"
        title = self.title_text or (
            "Exchanges — the last send's HTTP requests" if self.only_scope else "Exchanges — every HTTP request of this session"
        )
        self.query_one("#exchanges-title", Static).update(safe_line(title))
        if not every:
            text = "Nothing recorded yet: requests appear here as they are made." if not self.only_scope else (
                "No exchanges were recorded for this send."
            )
        elif query.strip():
            text = f"{len(shown)} of {counted(len(every), 'exchange')} ({which}) match"
        else:
            text = f"{present.scope_summary(every)} ({which})"
        if self.scopes:
            text += " · F4 shows " + ("all exchanges" if self.only_scope else "only the last send's")
        if self.exchange_log is not None and self.exchange_log.evicted and not self.only_scope:
            text += f" · the {self.exchange_log.evicted:,} oldest were dropped (the log is bounded)"
        text += " · Enter shows one"
        self.status_text = text
        self.query_one("#exchanges-status", Static).update(content(((text, ""),)))

    @on(Input.Changed, "#exchanges-filter")
    def _filter_changed(self, event: Input.Changed) -> None:
        event.stop()
        self.reload()

    @on(Input.Submitted, "#exchanges-filter")
    def _filter_submitted(self, event: Input.Submitted) -> None:
        event.stop()
        table = self.query_one(ExchangeTable)
        if len(table.exchanges) == 1:
            self._open(table.exchanges[0])
        elif table.exchanges:
            table.focus()

    @on(VirtualTable.Selected, "#exchanges-table")
    def _selected(self, event: VirtualTable.Selected) -> None:
        event.stop()
        table = self.query_one(ExchangeTable)
        if 0 <= event.index < len(table.exchanges):
            self._open(table.exchanges[event.index])

    def _open(self, exchange: Exchange) -> None:
        self.app.push_screen(ExchangeDetail(exchange, present.causes(self.in_view())))

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        if action == "toggle_scope":
            return bool(self.scopes)
        return True

    def action_toggle_scope(self) -> None:
        if self.scopes:
            self.only_scope = not self.only_scope
            self.reload()

    def action_copy_curl(self) -> None:
        self.copy_curl(self.query_one(ExchangeTable).current)

    def action_focus_table(self) -> None:
        self.query_one(ExchangeTable).focus()

    def action_close(self) -> None:
        self.dismiss(None)


class ExchangeDetail(CurlCopier, ModalScreen[None]):
    """One exchange: request, answer, headers, bodies and the timings' waterfall."""

    status_id = "exchange-detail-copied"
    BINDINGS = [
        Binding("escape", "close", "Close", id="exchange-detail.close"),
        Binding("f2", "copy_curl", "Copy as curl", id="exchange-detail.curl"),
        Binding("c", "copy_curl", "Copy as curl", show=False),
    ]
    DEFAULT_CSS = """
    .exchanges-dialog { width: 1fr; height: 1fr; margin: 1 2 0 2; padding: 0 1; border: round $primary; background: $surface; }
    .exchanges-title { text-style: bold; color: $text-primary; }
    #exchange-detail-scroll { height: 1fr; }
    #exchange-detail-scroll > Static { height: auto; }
    .exchange-body { background: $boost; padding: 0 1; margin: 0 0 0 2; }
    #exchange-detail-copied { height: auto; max-height: 10; display: none; border-top: solid $primary 50%; }
    """

    def __init__(self, exchange: Exchange, by_id: dict[int, Exchange] | None = None) -> None:
        super().__init__(id="exchange-detail", classes="dialog-screen")
        self.exchange = exchange
        self.by_id = by_id or {exchange.id: exchange}
        self.copied_text = ""

    def compose(self) -> ComposeResult:
        exchange = self.exchange
        what = "Retry wait" if exchange.kind == "wait" else "Exchange"
        with Vertical(classes="exchanges-dialog"):
            yield Static(f"{what} #{exchange.id}", classes="exchanges-title", markup=False)
            with VerticalScroll(id="exchange-detail-scroll"):
                lines: list[Line] = []
                for part in present.detail(exchange, self.by_id):
                    if isinstance(part, present.BodyBlock):
                        if lines:
                            yield Static(content(*lines))
                            lines = []
                        yield Static(body_renderable(part), classes="exchange-body")
                    else:
                        lines.append(part)
                if lines:
                    yield Static(content(*lines))
            yield Static("", id="exchange-detail-copied")
        yield KeyBar()

    def on_mount(self) -> None:
        self.query_one("#exchange-detail-scroll").focus()

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        if action == "copy_curl":
            return self.exchange.kind == "http"
        return True

    def action_copy_curl(self) -> None:
        self.copy_curl(self.exchange)

    def action_close(self) -> None:
        self.dismiss(None)

