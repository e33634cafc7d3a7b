"""Attachment: name, type, content type and how the bytes travel (``data`` or ``data_url``)."""

from __future__ import annotations

from dataclasses import dataclass

from textual import on
from textual.app import ComposeResult
from textual.containers import Vertical
from textual.message import Message
from textual.widgets import Input, Label, RadioButton, RadioSet, Select, Static

from kombo_tui.core.files.naming import NO_EXTENSION, lacks_extension

from ..text import safe_line
from .common import ATTACHMENT_TYPES, Panel, RealValue, content, field_row


class AttachmentPanel(Panel, Vertical):
    """The attachment object of the request, field by field, validated as you type."""

    @dataclass
    class Edited(Message):
        """One field of the attachment changed."""

        panel: AttachmentPanel
        """The panel that sent it."""
        field: str
        """``name``, ``type``, ``content_type``, ``source`` or ``data_url``."""
        value: str | None
        """The new value (None when empty)."""

        @property
        def control(self) -> AttachmentPanel:
            """The panel that sent it (``@on(…, "#id")`` matches on it)."""
            return self.panel

    def __init__(self) -> None:
        super().__init__(id="attachment-panel")
        self.border_title = "Attachment"
        self.type_chosen = False
        """True once the user picked the type themselves (suggestions stop)."""
        self._default_name = ""
        self._name_value = RealValue()
        """A file name the terminal cannot show: escaped in the input, the real one sent."""
        self._ready = False

    def compose_fields(self) -> ComposeResult:
        with field_row("Name"):
            yield Input(placeholder="the file's name", compact=True, id="name")
        yield Static("", id="name-note", classes="detail")
        with field_row("Type"):
            yield Select(ATTACHMENT_TYPES, value="OTHER", allow_blank=False, compact=True, id="type")
            yield Label("", id="type-note", classes="note")
        with field_row("Content type"):
            yield Input(placeholder="sniffed, e.g. application/pdf", compact=True, id="content-type")
        yield Static("", id="content-type-note", classes="detail")
        with field_row("Source"):
            with RadioSet(id="source"):
                yield RadioButton("data", value=True, id="source-data")
                yield RadioButton("data_url (Kombo fetches it)", id="source-url")
        with field_row("data_url", row_id="data-url-row"):
            yield Input(placeholder="https://… (no auth; Kombo fetches it)", compact=True, id="data-url")

    def on_fields_mounted(self) -> None:
        self.query_one("#data-url-row").display = False
        self._note_name("")
        self._note_content_type("")
        self.call_after_refresh(self._set_ready)

    def _set_ready(self) -> None:
        self._ready = True

    # ------------------------------------------------------------------ set from the screen

    def file_chosen(self, file_name: str, suggested_type: str | None, mime: str | None) -> None:
        """Fill the defaults from a newly chosen file; user choices are kept."""
        name = self.query_one("#name", Input)
        if not name.value or self._name_value.real(name.value) == self._default_name:
            name.value = self._name_value.shown(file_name)
        self._default_name = file_name
        name.placeholder = safe_line(file_name) or "defaults to the file's name"
        if suggested_type and not self.type_chosen:
            select = self.query_one("#type", Select)
            with select.prevent(Select.Changed):
                select.value = suggested_type
            self.query_one("#type-note", Label).update("suggested from the name")
            self.post_message(self.Edited(self, "type", suggested_type))
        if mime is not None:
            self.query_one("#content-type", Input).value = mime

    def restore(self, name: str, kind: str) -> None:
        """Fill name and type from a replayed send (kept when its file is read); bytes as ``data``."""
        self.query_one("#name", Input).value = self._name_value.shown(name)
        select = self.query_one("#type", Select)
        if kind in {value for _, value in ATTACHMENT_TYPES}:
            self.type_chosen = True
            self.query_one("#type-note", Label).update("")
            select.value = kind  # posts Edited (the user's choice, as it was)
        self.query_one("#source-data", RadioButton).value = True

    # ------------------------------------------------------------------ events

    @on(Input.Changed, "#name")
    def _name_changed(self, event: Input.Changed) -> None:
        event.stop()
        value = self._name_value.real(event.value)
        self._note_name(value)
        self.post_message(self.Edited(self, "name", value or None))

    @on(Select.Changed, "#type")
    def _type_changed(self, event: Select.Changed) -> None:
        event.stop()
        if not self._ready:
            return  # the initial value, not a choice
        self.type_chosen = True
        self.query_one("#type-note", Label).update("")
        self.post_message(self.Edited(self, "type", str(event.value)))

    @on(Input.Changed, "#content-type")
    def _content_type_changed(self, event: Input.Changed) -> None:
        event.stop()
        self._note_content_type(event.value)
        self.post_message(self.Edited(self, "content_type", event.value.strip() or None))

    @on(RadioSet.Changed, "#source")
    def _source_changed(self, event: RadioSet.Changed) -> None:
        event.stop()
        url = event.pressed.id == "source-url"
        self.query_one("#data-url-row").display = url
        self.post_message(self.Edited(self, "source", "data_url" if url else "data"))

    @on(Input.Changed, "#data-url")
    def _data_url_changed(self, event: Input.Changed) -> None:
        event.stop()
        self.post_message(self.Edited(self, "data_url", event.value.strip() or None))

    # ------------------------------------------------------------------ notes

    def _note_name(self, value: str) -> None:
        note = self.query_one("#name-note", Static)
        name = value or self._default_name
        field = self.query_one("#name", Input)
        if name and lacks_extension(name):
            note.update(content(((f"⚠ {safe_line(name)} {NO_EXTENSION}", "$warning"),)))
            field.add_class("-warning")
        else:
            note.update("")
            field.remove_class("-warning")
        note.display = bool(name and field.has_class("-warning"))

    def _note_content_type(self, value: str) -> None:
        note = self.query_one("#content-type-note", Static)
        field = self.query_one("#content-type", Input)
        value = value.strip()
        bad = False
        if value:
            from kombo_tui.core.files.mime import CONTENT_TYPE_RE  # on first use: not for the first frame

            bad = not CONTENT_TYPE_RE.match(value)
        field.set_class(bad, "-invalid")
        if bad:
            note.update(content(((f"✗ {safe_line(value)} is not a MIME type like application/pdf (type/subtype)", "$error"),)))
        else:
            note.update("")
        note.display = bad
