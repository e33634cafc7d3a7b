"""File: a path (typed with completion, pasted, dropped or picked) and what it turned out to be.

More files for the same application (a CV and a cover letter, say) are added below the first,
each as a row with its own type and, once sent, its own result.
"""

from __future__ import annotations

from dataclasses import dataclass

from textual import on
from textual.app import ComposeResult
from textual.containers import Horizontal, Vertical
from textual.message import Message
from textual.reactive import reactive
from textual.widgets import Button, Input, Select, Static

from kombo_tui.core.text import one_line

from ..paths import PathSuggester, clean_path
from ..present import outcome_style
from ..state import BatchFile, FileView
from ..text import Line, format_bytes, safe_line
from .common import ATTACHMENT_TYPES, Panel, RealValue, content, field_row


class BatchRow(Vertical):
    """One further file: its name, type and a remove button; size · MIME; its problem or result."""

    def __init__(self, item: BatchFile) -> None:
        super().__init__(id=f"batch-{item.key}", classes="batch-row")
        self.item = item

    def compose(self) -> ComposeResult:
        with Horizontal(classes="batch-line"):
            yield Static("", classes="batch-info")
            yield Select(ATTACHMENT_TYPES, value=self.item.type, allow_blank=False, compact=True, classes="batch-type")
            yield Button("✕", classes="batch-remove", compact=True, tooltip="Remove this file from the batch")
        yield Static("", classes="batch-note")

    def on_mount(self) -> None:
        self.show(self.item)

    def show(self, item: BatchFile) -> None:
        self.item = item
        info = self.query_one(".batch-info", Static)
        note = self.query_one(".batch-note", Static)
        name = safe_line(item.display)
        lines: list[Line] = []
        if item.state == "inspecting":
            info.update(content(name))
            lines.append((("reading…", "dim"),))
        elif item.state == "error":
            info.update(content(((name, "$error"),)))
        else:
            info.update(content(((name, "b"),)))
            mime = safe_line(item.sniffed.mime) if item.sniffed else "?"
            source: Line = ((" ", ""), (f"from {safe_line(item.sniffed.source)}", "dim")) if item.sniffed else ()
            lines.append(((f"{format_bytes(item.size or 0)} · {mime}", ""), *source))
        if item.error:
            lines.append(((f"✗ {safe_line(item.error)}", "$error"),))
        if item.result:
            lines.append(((safe_line(item.result), outcome_style(item.result_kind)),))
        note.update(content(*lines) if lines else "")
        note.display = bool(lines)
        self.set_class(bool(item.error), "-invalid")


class FilePanel(Panel, Vertical):
    """The path input and the inspected file (size, MIME and its source, warnings)."""

    file: reactive[FileView] = reactive(FileView, init=False)
    warnings: reactive[tuple[str, ...]] = reactive(tuple, init=False)
    more: reactive[tuple[BatchFile, ...]] = reactive(tuple, init=False)
    """Further files for the same application."""
    result: reactive[Line] = reactive(tuple, init=False)
    """After sending a batch: what happened to the first file."""

    @dataclass
    class PathEdited(Message):
        """The path of the main file was edited."""

        panel: FilePanel
        """The panel that sent it."""
        value: str
        """Already unquoted (a dropped path may arrive quoted or escaped)."""

        @property
        def control(self) -> FilePanel:
            """The panel that sent it (``@on(…, "#id")`` matches on it)."""
            return self.panel

    @dataclass
    class BrowseRequested(Message):
        """The user wants the file dialog."""

        panel: FilePanel
        """The panel that sent it."""

        @property
        def control(self) -> FilePanel:
            """The panel that sent it (``@on(…, "#id")`` matches on it)."""
            return self.panel

    @dataclass
    class AddRequested(Message):
        """A further file for the same application (a batch)."""

        panel: FilePanel
        """The panel that sent it."""
        value: str
        """The file's path (unquoted)."""

        @property
        def control(self) -> FilePanel:
            """The panel that sent it (``@on(…, "#id")`` matches on it)."""
            return self.panel

    @dataclass
    class RemoveRequested(Message):
        """A further file is to leave the batch."""

        panel: FilePanel
        """The panel that sent it."""
        key: int
        """The row's :attr:`~kombo_tui.tui.state.BatchFile.key`."""

        @property
        def control(self) -> FilePanel:
            """The panel that sent it (``@on(…, "#id")`` matches on it)."""
            return self.panel

    @dataclass
    class TypeChosen(Message):
        """The user chose the attachment type of a further file."""

        panel: FilePanel
        """The panel that sent it."""
        key: int
        """The row's :attr:`~kombo_tui.tui.state.BatchFile.key`."""
        value: str
        """CV, COVER_LETTER or OTHER."""

        @property
        def control(self) -> FilePanel:
            """The panel that sent it (``@on(…, "#id")`` matches on it)."""
            return self.panel

    def __init__(self, initial: str = "") -> None:
        super().__init__(id="file-panel")
        self._initial = initial
        self._real_path: tuple[str, str] | None = None
        """(escaped text in the input, the real path) for a name the terminal cannot show."""
        self._add_value = RealValue()
        """The same for the further file's input."""
        self.border_title = "File"

    def compose_fields(self) -> ComposeResult:
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
        yield Static("", id="file-result", classes="detail")
        yield Vertical(id="batch")
        with field_row("More files"):
            yield Input(
                placeholder="another file for the same target — enter adds it (ctrl+n)",
                suggester=PathSuggester(),
                compact=True,
                id="add-path",
            )

    def on_fields_mounted(self) -> None:
        self._refresh_view()
        self.watch_more((), self.more)
        self.watch_result()

    def set_path(self, value: str) -> None:
        """Put a path in the input (from the dialog or a paste elsewhere); posts PathEdited.

        A path a terminal cannot show as is (bytes that are not UTF-8, a newline) is shown
        escaped; the real path is kept and used while the input shows exactly that text.
        """
        shown = one_line(value)  # whole: the input must hold the full path
        self._real_path = (shown, value) if shown != value else None
        self.query_one("#path", Input).value = shown

    @on(Input.Changed, "#path")
    def _path_changed(self, event: Input.Changed) -> None:
        event.stop()
        if self._real_path is not None and event.value == self._real_path[0]:
            self.post_message(self.PathEdited(self, self._real_path[1]))
            return
        cleaned = clean_path(event.value)
        if cleaned != event.value and cleaned:
            # A dropped path: show it unquoted; this fires Changed again with the clean value.
            event.input.value = cleaned
            return
        if one_line(cleaned) != cleaned:
            self.set_path(cleaned)  # pasted control characters: shown escaped, the real path kept
            return
        self.post_message(self.PathEdited(self, cleaned))

    @on(Input.Changed, "#add-path")
    def _add_path_changed(self, event: Input.Changed) -> None:
        event.stop()
        if one_line(event.value) != event.value:  # a pasted name with control characters: shown escaped
            event.input.value = self._add_value.shown(event.value)

    @on(Input.Submitted, "#add-path")
    def _add_submitted(self, event: Input.Submitted) -> None:
        event.stop()
        value = clean_path(self._add_value.real(event.value))
        if value:
            event.input.value = ""
            self.post_message(self.AddRequested(self, value))

    @on(Button.Pressed, ".batch-remove")
    def _remove(self, event: Button.Pressed) -> None:
        event.stop()
        row = next(a for a in event.button.ancestors if isinstance(a, BatchRow))
        self.post_message(self.RemoveRequested(self, row.item.key))

    @on(Select.Changed, ".batch-type")
    def _type(self, event: Select.Changed) -> None:
        event.stop()
        row = next(a for a in event.select.ancestors if isinstance(a, BatchRow))
        if str(event.value) != row.item.type:
            self.post_message(self.TypeChosen(self, row.item.key, str(event.value)))

    def watch_more(self, old: tuple[BatchFile, ...], new: tuple[BatchFile, ...]) -> None:
        """Update rows in place (a row's Select keeps focus); mount and remove only what changed."""
        if not self.fields_mounted:
            return
        box = self.query_one("#batch", Vertical)
        rows = {row.item.key: row for row in box.query_children(BatchRow)}
        keys = {item.key for item in new}
        for key, row in rows.items():
            if key not in keys:
                row.remove()
        for item in new:
            if item.key in rows:
                rows[item.key].show(item)
            else:
                box.mount(BatchRow(item))
        box.display = bool(new)
        self.border_subtitle = f"{len(new) + 1} files" if new else ""

    def watch_result(self) -> None:
        if not self.fields_mounted:
            return
        label = self.query_one("#file-result", Static)
        label.update(content(self.result))
        label.display = bool(self.result)

    @on(Button.Pressed, "#browse")
    def _browse(self, event: Button.Pressed) -> None:
        event.stop()
        self.post_message(self.BrowseRequested(self))

    def watch_file(self) -> None:
        self._refresh_view()

    def watch_warnings(self) -> None:
        self._refresh_view()

    def _refresh_view(self) -> None:
        if not self.fields_mounted:
            return
        view = self.file
        info = self.query_one("#file-info", Static)
        warn = self.query_one("#file-warnings", Static)
        self.query_one("#path", Input).set_class(view.state == "error", "-invalid")
        if view.state == "none":
            info.update(content((("No file yet. Drop one onto the terminal, type a path or press ctrl+o.", "dim"),)))
        elif view.state == "error":
            info.update(content(((f"✗ {safe_line(view.error or 'cannot use this file')}", "$error"),)))
        elif view.state == "inspecting":
            size = format_bytes(view.size) if view.size is not None else "…"
            info.update(content(((f"{safe_line(view.display)} · {size} · ", ""), (f"reading… {view.hashed:.0%}", "dim"))))
        else:
            sniffed = view.sniffed
            mime = safe_line(sniffed.mime) if sniffed else "?"
            source = safe_line(sniffed.source) if sniffed else "none"
            guess = " (a guess)" if sniffed and sniffed.is_guess else ""
            size = format_bytes(view.size or 0)
            info.update(
                content(((safe_line(view.display), "b"), (f" · {size} · {mime} ", ""), (f"from {source}{guess}", "dim")))
            )
        warn.update(content(*(((f"⚠ {safe_line(w)}", "$warning"),) for w in self.warnings)) if self.warnings else "")
        warn.display = bool(self.warnings)
