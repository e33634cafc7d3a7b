"""Remote fields: one form per connector family (the integration's own first) plus raw JSON.

The raw editor is a plain TextArea: ``TextArea(language="json")`` crashes tree-sitter on this
stack (DESIGN §6), and the payload panel already shows the JSON highlighted by Rich.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

from textual import on
from textual.app import ComposeResult
from textual.containers import Horizontal, VerticalScroll
from textual.message import Message
from textual.widgets import Collapsible, Input, Label, Select, Static, Switch, TextArea

from kombo_tui.core.connectors import (
    REMOTE_FIELD_FAMILIES,
    FieldSpec,
    RemoteFieldFamily,
)
from kombo_tui.core.errors import InputError

from ..text import safe_line
from .common import Panel, content


def _field_id(spec: FieldSpec) -> str:
    return "rf-" + "-".join(p.lower().replace("_", "-") for p in spec.path)


def _deep_merge(base: dict[str, Any], extra: dict[str, Any]) -> dict[str, Any]:
    out = dict(base)
    for key, value in extra.items():
        if isinstance(value, dict) and isinstance(out.get(key), dict):
            out[key] = _deep_merge(out[key], value)
        else:
            out[key] = value
    return out


class RemoteFieldsPanel(Panel, VerticalScroll):
    """Forms from ``connectors.REMOTE_FIELD_FAMILIES`` and a raw JSON editor for the rest."""

    @dataclass
    class Edited(Message):
        """The remote fields changed (a form field or the raw JSON)."""

        panel: RemoteFieldsPanel
        """The panel that sent it."""
        remote_fields: dict[str, Any] | None
        """The remote fields as they will be sent (None when empty or invalid)."""
        error: str | None
        """Why the fields are invalid (None when valid)."""

        @property
        def control(self) -> RemoteFieldsPanel:
            """The panel that sent it (``@on(…, "#id")`` matches on it)."""
            return self.panel

    def __init__(self, tool_id: str = "") -> None:
        super().__init__(id="remote-panel")
        self.border_title = "Remote fields"
        self.can_focus = False
        self._tool_id = tool_id
        self._shown_tool = tool_id
        """The tool the composed forms are arranged for."""
        self._target_kind = "application"

    def compose_fields(self) -> ComposeResult:
        yield Static("", id="remote-cleared", classes="detail")
        for family in self._ordered(self._tool_id):
            mine = self._tool_id in family.tools
            with Collapsible(title=self._title(family, mine), collapsed=not mine, id=f"family-{family.key}"):
                for spec in family.fields:
                    yield from self._field(spec)
        with Collapsible(title="Raw JSON (anything else)", collapsed=True, id="family-raw"):
            yield TextArea(
                "",
                id="raw-json",
                soft_wrap=True,
                show_line_numbers=False,
                tab_behavior="focus",
            )
            yield Static("", id="raw-note", classes="detail")

    def _title(self, family: RemoteFieldFamily, mine: bool) -> str:
        title = family.label + ("  ← this integration" if mine else "")
        if family.key == "oracle" and self._target_kind == "candidate":
            title += "  (not for candidates)"
        return title

    @staticmethod
    def _ordered(tool_id: str) -> list[RemoteFieldFamily]:
        return sorted(REMOTE_FIELD_FAMILIES, key=lambda f: tool_id not in f.tools)

    def _field(self, spec: FieldSpec) -> ComposeResult:
        fid = _field_id(spec)
        path = ".".join(spec.path)
        if spec.kind == "bool":
            with Horizontal(classes="remote-switch"):
                yield Switch(value=False, id=fid)
                yield Label(spec.label, classes="remote-label")
        else:
            yield Label(content(((f"{spec.label} ", ""), (path, "dim"))), classes="remote-label")
            if spec.kind == "select":
                yield Select([(c, c) for c in spec.choices], prompt="(not set)", compact=True, id=fid)
            else:
                yield Input(placeholder="(not set)", compact=True, id=fid)
        yield Static(spec.help, classes="help")

    def on_fields_mounted(self) -> None:
        self.query_one("#remote-cleared").display = False
        self.query_one("#raw-json", TextArea).placeholder = '{"greenhouse": {"post_headers": {"On-Behalf-Of": "4080"}}}'
        self._arrange()

    def set_tool(self, tool_id: str) -> None:
        """Open the integration's own connector and move it first."""
        self._tool_id = tool_id
        if self.fields_mounted:
            self._arrange()

    def _arrange(self, *, force: bool = False) -> None:
        tool_id = self._tool_id
        if tool_id == self._shown_tool and not force:
            return
        moved = tool_id != self._shown_tool
        if moved and self._shown_tool:
            self._clear_other_families(tool_id)
        self._shown_tool = tool_id
        ordered = self._ordered(tool_id)
        for family in ordered:
            box = self.query_one(f"#family-{family.key}", Collapsible)
            mine = tool_id in family.tools
            if moved:
                box.collapsed = not mine
            box.title = self._title(family, mine)
        first = self.query_one(f"#family-{ordered[0].key}", Collapsible)
        if first is not self.children[0]:
            self.move_child(first, before=0)

    def _clear_other_families(self, tool_id: str) -> None:
        """Another integration: what was filled in for a family this tool does not use is
        cleared, and said (it would otherwise stay in the payload, folded out of sight). Raw
        JSON is the user's own text: kept, and unfolded so it is in sight."""
        cleared: list[str] = []
        for family in REMOTE_FIELD_FAMILIES:
            if tool_id in family.tools:
                continue
            for spec in family.fields:
                widget = self.query_one(f"#{_field_id(spec)}")
                if isinstance(widget, Select) and not widget.is_blank():
                    widget.clear()
                elif isinstance(widget, Switch) and widget.value:
                    widget.value = False
                elif isinstance(widget, Input) and widget.value:
                    widget.value = ""
                else:
                    continue
                cleared.append(".".join(spec.path))
        if self.query_one("#raw-json", TextArea).text.strip():
            self.query_one("#family-raw", Collapsible).collapsed = False
        note = self.query_one("#remote-cleared", Static)
        note.display = bool(cleared)
        if cleared:
            note.update(content((("⚠ Cleared for the new integration (set for another one): ", "$warning"),
                                 (", ".join(cleared), "b"))))

    def set_target_kind(self, kind: str) -> None:
        """Say on the Oracle form that the candidate endpoint takes no oracle fields."""
        self._target_kind = kind
        if self.fields_mounted:
            self._arrange(force=True)

    def restore(self, remote_fields: dict[str, Any] | None) -> None:
        """Show a replayed send's remote fields as they were sent: in the raw editor, forms cleared."""
        for family in REMOTE_FIELD_FAMILIES:
            for spec in family.fields:
                widget = self.query_one(f"#{_field_id(spec)}")
                if isinstance(widget, Select):
                    widget.clear()
                elif isinstance(widget, Switch):
                    widget.value = False
                elif isinstance(widget, Input):
                    widget.value = ""
        raw = self.query_one("#raw-json", TextArea)
        raw.text = json.dumps(remote_fields, indent=2, ensure_ascii=False) if remote_fields else ""
        if remote_fields:
            self.query_one("#family-raw", Collapsible).collapsed = False

    def collect(self) -> tuple[dict[str, Any] | None, str | None]:
        """The remote fields as they will be sent, or why they cannot be."""
        structured: dict[str, Any] = {}
        for family in REMOTE_FIELD_FAMILIES:
            for spec in family.fields:
                widget = self.query_one(f"#{_field_id(spec)}")
                value: Any
                if isinstance(widget, Select):
                    value = None if widget.is_blank() else widget.value
                elif isinstance(widget, Switch):
                    value = True if widget.value else None
                elif isinstance(widget, Input):
                    value = widget.value.strip() or None
                else:  # pragma: no cover
                    value = None
                if value is None:
                    continue
                node = structured
                for key in spec.path[:-1]:
                    node = node.setdefault(key, {})
                node[spec.path[-1]] = value
        raw_text = self.query_one("#raw-json", TextArea).text.strip()
        raw: dict[str, Any] = {}
        if raw_text:
            try:
                parsed = json.loads(raw_text)
            except json.JSONDecodeError as exc:
                return None, f"raw JSON: {exc.msg} at line {exc.lineno} column {exc.colno}"
            if not isinstance(parsed, dict):
                return None, 'raw JSON must be an object like {"greenhouse": {...}}'
            raw = parsed
        merged = _deep_merge(raw, structured)
        if not merged:
            return None, None
        from kombo_tui.core.payload import parse_remote_fields

        try:
            return parse_remote_fields(merged), None
        except InputError as exc:
            return None, "; ".join(str(p) for p in exc.problems)

    def _changed(self) -> None:
        fields, error = self.collect()
        note = self.query_one("#raw-note", Static)
        raw = self.query_one("#raw-json", TextArea)
        raw.set_class(error is not None and error.startswith("raw JSON"), "-invalid")
        if error:
            note.update(content(((f"✗ {safe_line(error)}", "$error"),)))
        elif raw.text.strip():
            note.update("[$success]✓ valid[/]")
        else:
            note.update("[dim]Merged with the forms above; the forms win on conflicts.[/]")
        self.post_message(self.Edited(self, fields, error))

    @on(Select.Changed)
    @on(Switch.Changed)
    @on(Input.Changed)
    @on(TextArea.Changed)
    def _any_change(self, event: Message) -> None:
        event.stop()
        self._changed()
