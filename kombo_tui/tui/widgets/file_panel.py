"""File: a path (typed with completion, pasted, dropped or picked) and what it turned out to be."""

from __future__ import annotations

from dataclasses import dataclass

from textual import on
from textual.app import ComposeResult
from textual.containers import Horizontal, Vertical
from textual.markup import escape
from textual.message import Message
from textual.reactive import reactive
from textual.widgets import Button, Input, Static

from ..paths import PathSuggester, clean_path
from ..state import FileView
from .common import field_row, format_bytes


class FilePanel(Vertical):
    """The path input and the inspected file (size, MIME and its source, warnings)."""

    file: reactive[FileView] = reactive(FileView, init=False)
    warnings: reactive[tuple[str, ...]] = reactive(tuple, init=False)

    @dataclass
    class PathEdited(Message):
        value: str
        """Already unquoted (a dropped path may arrive quoted or escaped)."""

    class BrowseRequested(Message):
        """The user wants the file dialog."""

    def __init__(self, initial: str = "") -> None:
        super().__init__(id="file-panel")
        self._initial = initial
        self.border_title = "File"

    def compose(self) -> ComposeResult:
        with field_row("Path"):
            with Horizontal(classes="with-button"):
                yield Input(
                    self._initial,
                    placeholder="path — → completes; drop or paste",
                    suggester=PathSuggester(),
                    compact=True,
                    id="path",
                )
                yield Button("Browse… ^o", id="browse", compact=True)
        yield Static("", id="file-info", classes="detail")
        yield Static("", id="file-warnings", classes="detail warnings")

    def on_mount(self) -> None:
        self._refresh_view()

    def set_path(self, value: str) -> None:
        """Put a path in the input (from the dialog or a paste elsewhere); posts PathEdited."""
        self.query_one("#path", Input).value = value

    @on(Input.Changed, "#path")
    def _path_changed(self, event: Input.Changed) -> None:
        event.stop()
        cleaned = clean_path(event.value)
        if cleaned != event.value and cleaned:
            # A dropped path: show it unquoted; this fires Changed again with the clean value.
            event.input.value = cleaned
            return
        self.post_message(self.PathEdited(cleaned))

    @on(Button.Pressed, "#browse")
    def _browse(self, event: Button.Pressed) -> None:
        event.stop()
        self.post_message(self.BrowseRequested())

    def watch_file(self) -> None:
        self._refresh_view()

    def watch_warnings(self) -> None:
        self._refresh_view()

    def _refresh_view(self) -> None:
        view = self.file
        info = self.query_one("#file-info", Static)
        warn = self.query_one("#file-warnings", Static)
        self.query_one("#path", Input).set_class(view.state == "error", "-invalid")
        if view.state == "none":
            info.update("[dim]No file yet. Drop one onto the terminal, type a path or press ctrl+o.[/]")
        elif view.state == "error":
            info.update(f"[$error]✗ {escape(view.error or 'cannot use this file')}[/]")
        elif view.state == "inspecting":
            size = format_bytes(view.size) if view.size is not None else "…"
            info.update(f"{escape(view.display)} · {size} · [dim]reading… {view.hashed:.0%}[/]")
        else:
            sniffed = view.sniffed
            mime = escape(sniffed.mime) if sniffed else "?"
            source = sniffed.source if sniffed else "none"
            guess = " (a guess)" if sniffed and sniffed.is_guess else ""
            size = format_bytes(view.size or 0)
            info.update(
                f"[b]{escape(view.display)}[/] · {size} · {mime} [dim]from {source}{guess}[/]"
            )
        warn.update("\n".join(f"[$warning]⚠ {escape(w)}[/]" for w in self.warnings))
        warn.display = bool(self.warnings)
