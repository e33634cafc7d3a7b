"""F1: every key, what it does, and how the flow goes."""

from __future__ import annotations

from collections.abc import Iterable

from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical, VerticalScroll
from textual.markup import escape
from textual.screen import ModalScreen
from textual.widgets import Static

FLOW = """\
[b]The flow[/b]
1. Integration: type its id (tool:id); it is checked as you type.
2. Application: F3 opens the picker — type to filter by name, email or job,
   F4 searches an email on the server, F2 uses what you typed as an id.
3. File: type a path (→ accepts the completion), paste or drop one, or ctrl+o.
4. Check name, type and content type; fill remote fields if the ATS needs them.
5. ctrl+s sends after a confirmation. If the outcome is unknown, F5 verifies
   whether the file is on the application before you send again.
"""


def binding_lines(title: str, bindings: Iterable[Binding], key_display) -> list[str]:  # type: ignore[no-untyped-def]
    lines = [f"[b]{escape(title)}[/b]"]
    for binding in bindings:
        if not binding.description:
            continue
        key = key_display(binding)
        extra = f" [dim]— {escape(binding.tooltip)}[/]" if binding.tooltip else ""
        lines.append(f"  [b $accent]{escape(key):>8}[/]  {escape(binding.description)}{extra}")
    return lines


class HelpScreen(ModalScreen[None]):
    """Keys of the main screen and the picker, generated from their bindings."""

    BINDINGS = [
        Binding("escape", "dismiss_help", "Close", id="help.close"),
        Binding("f1", "dismiss_help", "Close", show=False),
        Binding("q", "dismiss_help", "Close", show=False),
    ]

    def __init__(self, sections: list[tuple[str, list[Binding]]]) -> None:
        super().__init__(id="help", classes="dialog-screen")
        self._sections = sections

    def compose(self) -> ComposeResult:
        lines: list[str] = [FLOW]
        for title, bindings in self._sections:
            lines += binding_lines(title, bindings, self.app.get_key_display)
            lines.append("")
        with Vertical(classes="dialog help-dialog"):
            yield Static("Help — kombo-tui", classes="dialog-title")
            with VerticalScroll():
                yield Static("\n".join(lines), id="help-text")
            yield Static("[dim]esc closes · ctrl+p searches every action[/]", classes="dialog-footer")

    def action_dismiss_help(self) -> None:
        self.dismiss(None)
