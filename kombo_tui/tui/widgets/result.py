"""Result: what happened to the last send, inline (not a toast), with progress while sending."""

from __future__ import annotations

from dataclasses import dataclass

from textual import on
from textual.app import ComposeResult
from textual.containers import Horizontal, Vertical
from textual.markup import escape
from textual.message import Message
from textual.reactive import reactive
from textual.widgets import Button, Link, ProgressBar, Static

from ..present import outcome_style
from ..state import ResultView
from .common import Panel

_IDLE = "[dim]Nothing sent yet.[/]"
_GUIDE = (
    "[dim]ctrl+s sends once an application and a file are chosen, after you confirm. Progress, "
    "Kombo's warnings, errors with their log link and what to do about them appear here; "
    "if the answer is lost, F5 checks whether the file arrived.[/]"
)
"""Shown under the idle line where the terminal is tall enough (hidden on short screens)."""


class ResultPanel(Panel, Vertical):
    """Headline, warnings, error details with log link and hint, Verify; the progress bar."""

    result: reactive[ResultView] = reactive(ResultView, init=False)

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
            yield Button("Cancel esc", id="cancel", compact=True, variant="error")
        yield ProgressBar(id="progress", show_eta=False)

    def on_fields_mounted(self) -> None:
        self._refresh_view()

    def watch_result(self) -> None:
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

    @on(Button.Pressed, "#cancel")
    def _cancel(self, event: Button.Pressed) -> None:
        event.stop()
        self.post_message(self.CancelRequested(self))

    @on(Button.Pressed, "#copy-log")
    def _copy(self, event: Button.Pressed) -> None:
        event.stop()
        if self.result.log_url:
            self.app.copy_to_clipboard(self.result.log_url)
            self.app.notify("log URL copied to the clipboard")

    def _refresh_view(self) -> None:
        if not self.fields_mounted:
            return
        view = self.result
        self.set_class(view.kind in ("error", "file_changed"), "-error")
        self.set_class(view.kind == "sent", "-sent")
        self.set_class(view.kind == "unknown", "-unknown")
        style = outcome_style(view.kind)
        lines: list[str] = []
        if view.headline:
            lines.append(f"[b {style}]{escape(view.headline)}[/]")
        lines.extend(escape(line) for line in view.lines)
        if view.code or view.title:
            code = escape(view.code or "(no code)")
            title = f" — {escape(view.title)}" if view.title else ""
            lines.append(f"[b]{code}[/]{title}")
        if view.message:
            lines.append(escape(view.message))
        lines.extend(f"[$warning]⚠ {escape(w)}[/]" for w in view.warnings)
        lines.extend(f"[dim]↻ {escape(r)}[/]" for r in view.retries)
        if view.hint:
            lines.append(f"[$accent]→ {escape(view.hint)}[/]")
        if view.verification:
            colour = {True: "$success", False: "$error"}.get(view.verification_found, "$warning")  # type: ignore[arg-type]
            lines.append(f"[{colour}]Verify: {escape(view.verification)}[/]")
        self.query_one("#result-text", Static).update("\n".join(lines) or _IDLE)
        self.set_class(not lines, "-idle")  # the guide shows under the idle line (CSS)
        link = self.query_one("#log-url", Link)
        link.text = view.log_url or ""
        link.url = view.log_url or ""
        link.display = bool(view.log_url)
        self.query_one("#copy-log").display = bool(view.log_url)
        self.query_one("#verify").display = view.can_verify
        self.query_one("#cancel").display = view.kind == "sending"
        self.query_one("#result-actions").display = bool(view.log_url or view.can_verify or view.kind == "sending")
        self.query_one("#progress").display = view.kind == "sending"
