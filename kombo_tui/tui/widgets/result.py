"""Result: what happened to the last send, inline (not a toast), with progress while sending."""

from __future__ import annotations

from dataclasses import dataclass

from textual import on
from textual.app import ComposeResult
from textual.containers import Horizontal, Vertical
from textual.message import Message
from textual.reactive import reactive
from textual.widgets import Button, Link, ProgressBar, Static

from kombo_tui.core.net import safe_link

from ..present import outcome_style
from ..state import ResultView
from ..text import Line, safe_block, safe_line
from .common import Panel, content

_IDLE = "[dim]Nothing sent yet.[/]"
_GUIDE = (
    "[dim]ctrl+s sends once the target (an application, or a candidate: F2) and a file are chosen, after you confirm. Progress, "
    "Kombo's warnings, errors with their log link and what to do about them appear here; "
    "if the answer is lost, F5 checks whether the file arrived.[/]"
)
NOT_A_LINK = "not an https link: shown as text, not opened or copied"
"""Said beside a ``log_url`` that is anything but ``https`` (``file:``, ``javascript:``…)."""
"""Shown under the idle line where the terminal is tall enough (hidden on short screens)."""


class ResultPanel(Panel, Vertical):
    """Headline, warnings, error details with log link and hint, Verify; the progress bar."""

    result: reactive[ResultView] = reactive(ResultView, init=False)
    answer: reactive[Line] = reactive(tuple, init=False)
    """What the last key did, or why it had nothing to do yet (F5, F6, F7, F8, F12…): the
    panel's first line, where the user looks after pressing it (toasts are easy to miss)."""

    @dataclass
    class VerifyRequested(Message):
        """Re-read the application's attachments."""

        panel: ResultPanel
        """The panel that sent it."""

        @property
        def control(self) -> ResultPanel:
            """The panel that sent it (``@on(…, "#id")`` matches on it)."""
            return self.panel

    @dataclass
    class ExchangesRequested(Message):
        """Show the exchanges of the send on the panel (the Exchanges screen, F4)."""

        panel: ResultPanel
        """The panel that sent it."""

        @property
        def control(self) -> ResultPanel:
            """The panel that sent it (``@on(…, "#id")`` matches on it)."""
            return self.panel

    @dataclass
    class CopyLogRequested(Message):
        """Copy the error's ``log_url`` (the screen says so on the panel's first line)."""

        panel: ResultPanel
        """The panel that sent it."""

        @property
        def control(self) -> ResultPanel:
            """The panel that sent it (``@on(…, "#id")`` matches on it)."""
            return self.panel

    @dataclass
    class CancelRequested(Message):
        """Stop the upload in flight."""

        panel: ResultPanel
        """The panel that sent it."""

        @property
        def control(self) -> ResultPanel:
            """The panel that sent it (``@on(…, "#id")`` matches on it)."""
            return self.panel

    def __init__(self) -> None:
        super().__init__(id="result-panel", classes="-idle")
        self.border_title = "Result"

    def compose_first(self) -> ComposeResult:
        yield Static(_IDLE, id="result-text")

    def compose_fields(self) -> ComposeResult:
        """The guide, the buttons and the progress bar (hidden until needed)."""
        yield Static(_GUIDE, id="result-guide")
        with Horizontal(id="result-actions"):
            yield Link("", id="log-url", tooltip="Enter or click opens it; the Copy button copies it")
            yield Button("Copy log URL", id="copy-log", compact=True)
            yield Button("Verify F5", id="verify", compact=True, variant="warning")
            yield Button("", id="show-exchanges", compact=True, tooltip="This send's requests and answers: headers, bodies, timings")
            yield Button("Cancel esc", id="cancel", compact=True, variant="error")
        yield ProgressBar(id="progress", show_eta=False)

    def on_fields_mounted(self) -> None:
        self._refresh_view()

    def watch_result(self) -> None:
        self._refresh_view()

    def watch_answer(self) -> None:
        self._refresh_view()

    def set_progress(self, sent: int, total: int) -> None:
        if not self.fields_mounted:
            return
        bar = self.query_one("#progress", ProgressBar)
        bar.update(total=max(total, 1), progress=sent)

    @on(Button.Pressed, "#verify")
    def _verify(self, event: Button.Pressed) -> None:
        event.stop()
        self.post_message(self.VerifyRequested(self))

    @on(Button.Pressed, "#show-exchanges")
    def _show_exchanges(self, event: Button.Pressed) -> None:
        event.stop()
        self.post_message(self.ExchangesRequested(self))

    @on(Button.Pressed, "#cancel")
    def _cancel(self, event: Button.Pressed) -> None:
        event.stop()
        self.post_message(self.CancelRequested(self))

    @on(Button.Pressed, "#copy-log")
    def _copy(self, event: Button.Pressed) -> None:
        event.stop()
        self.post_message(self.CopyLogRequested(self))

    def _refresh_view(self) -> None:
        if not self.fields_mounted:
            return
        view = self.result
        self.set_class(view.kind in ("error", "file_changed"), "-error")
        self.set_class(view.kind == "sent", "-sent")
        self.set_class(view.kind == "unknown", "-unknown")
        lines = result_lines(view)
        self.set_class(not lines, "-idle")  # the guide shows under the idle line (CSS), and under an answer
        if self.answer:
            lines.insert(0, self.answer)
        self.query_one("#result-text", Static).update(content(*lines) if lines else _IDLE)
        url = safe_link(view.log_url)
        link = self.query_one("#log-url", Link)
        link.text = url or ""
        link.url = url or ""
        link.display = bool(url)
        self.query_one("#copy-log").display = bool(url)
        self.query_one("#verify").display = view.can_verify
        exchanges = self.query_one("#show-exchanges", Button)
        exchanges.label = f"Exchanges F4 ({view.exchanges})" if view.exchanges else "Exchanges F4"
        exchanges.display = bool(view.exchange_scopes)
        self.query_one("#cancel").display = view.kind == "sending"
        self.query_one("#result-actions").display = bool(
            url or view.can_verify or view.kind == "sending" or view.exchange_scopes
        )
        self.query_one("#progress").display = view.kind == "sending"


def result_lines(view: ResultView) -> list[Line]:
    """What the result panel writes about ``view``: every outside string placed as text.

    The headline, lines, error code, title and message, warnings and hints can all hold a
    server's or a file's strings: control characters are made visible and nothing is read as
    markup. A ``log_url`` that is not ``https`` is shown here as text with a note (an https
    one is the link below instead).
    """
    style = outcome_style(view.kind)
    lines: list[Line] = []
    if view.headline:
        lines.append(((safe_line(view.headline), f"b {style}"),))
    lines.extend(((safe_line(line), ""),) for line in view.lines)
    if view.code or view.title:
        code = safe_line(view.code or "(no code)")
        title: Line = ((f" — {safe_line(view.title)}", ""),) if view.title else ()
        lines.append(((code, "b"), *title))
    if view.message:
        lines.append(((safe_block(view.message), ""),))
    if view.log_url and safe_link(view.log_url) is None:
        lines.append((("log_url ", "dim"), (safe_line(view.log_url), ""), (f"  ({NOT_A_LINK})", "dim")))
    lines.extend(((f"⚠ {safe_line(w)}", "$warning"),) for w in view.warnings)
    lines.extend(((f"↻ {safe_line(r)}", "dim"),) for r in view.retries)
    if view.hint:
        lines.append(((f"→ {safe_line(view.hint)}", "$accent"),))

    if view.verification:
        colour = {True: "$success", False: "$error"}.get(view.verification_found, "$warning")  # type: ignore[arg-type]
        lines.append(((f"Verify: {safe_block(view.verification)}", colour),))
    return lines
