"""F1: every key of every screen, what it does, and how the flow goes.

The keys are read from the screens' own bindings (every screen class of this package, the
tables' and the app's), so Help cannot miss a key a screen gains.
"""

from __future__ import annotations

import importlib
import pkgutil
import re
from collections.abc import Callable, Iterable
from types import ModuleType

from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical, VerticalScroll
from textual.markup import escape
from textual.screen import ModalScreen, Screen
from textual.widgets import Static

FLOW = """\
[b]The flow[/b]
1. Integration: type its id (tool:id); it is checked as you type.
2. Application: F3 opens the picker — type to filter by name, email or job; F4 searches an email on the server, F2 uses what you typed as an id.
3. File: type a path (→ accepts the completion), paste or drop one, or ctrl+o.
4. Check name, type and content type; fill remote fields if the ATS needs them.
5. ctrl+s sends after a confirmation. If the outcome is unknown, F5 verifies whether the file is on the application before you send again.
"""


ORDER = ("main", "picker", "history", "exchanges", "bulk", "first_run", "choice", "help")
"""Modules of this package in the order Help lists their screens (others follow)."""
TITLES = {"MainScreen": "Main screen", "ChoiceScreen": "Questions (confirm, quit, .env)", "HelpScreen": "This help"}
"""Section titles that the class name does not say well (else: ``HistoryDetail`` → "History detail")."""


def _modules() -> list[ModuleType]:
    package = importlib.import_module(__package__ or "kombo_tui.tui.screens")
    names = [info.name for info in pkgutil.iter_modules(package.__path__)]
    names.sort(key=lambda n: (ORDER.index(n) if n in ORDER else len(ORDER), n))
    return [importlib.import_module(f"{package.__name__}.{name}") for name in names]


def _title(cls: type) -> str:
    if cls.__name__ in TITLES:
        return TITLES[cls.__name__]
    words = re.findall(r"[A-Z][a-z]*", cls.__name__.removesuffix("Screen"))
    return " ".join([words[0], *(w.lower() for w in words[1:])]) if words else cls.__name__


def screens_with_keys() -> list[tuple[str, list[Binding]]]:
    """Every screen of this package that has keys, as (title, bindings), the main screen first."""
    sections: list[tuple[str, list[Binding]]] = []
    for module in _modules():
        for value in vars(module).values():
            if (
                isinstance(value, type)
                and issubclass(value, Screen)
                and value.__module__ == module.__name__
                and value.__dict__.get("BINDINGS")
            ):
                sections.append((_title(value), bindings_of(value.__dict__["BINDINGS"])))
    return sections


def bindings_of(declared: Iterable[object]) -> list[Binding]:
    """``BINDINGS`` as Binding objects, one per key (``"ctrl+b,f10"`` is two)."""
    return list(Binding.make_bindings(declared))  # type: ignore[arg-type]


def key_rows(bindings: Iterable[Binding], key_display: Callable[[Binding], str]) -> list[tuple[str, str, str]]:
    """One row per action: every key that does it (``esc / f1 / q``), its description, its tooltip."""
    merged: dict[tuple[str, str], list[Binding]] = {}
    for binding in bindings:
        if binding.description:
            merged.setdefault((binding.action, binding.description), []).append(binding)
    rows = []
    for (_action, description), same in merged.items():
        keys = " / ".join(dict.fromkeys(key_display(b) for b in same))
        rows.append((keys, description, next((b.tooltip for b in same if b.tooltip), "")))
    return rows


def binding_lines(title: str, rows: Iterable[tuple[str, str, str]], width: int = 8) -> list[str]:
    """A section of Help: its title, then a line per action, keys right-aligned in ``width``."""
    lines = [f"[b]{escape(title)}[/b]"]
    for keys, description, tooltip in rows:
        extra = f" [dim]— {escape(tooltip)}[/]" if tooltip else ""
        lines.append(f"  [b $text-accent]{escape(keys):>{width}}[/]  {escape(description)}{extra}")
    return lines


class HelpScreen(ModalScreen[None]):
    """Every screen's keys, the tables' and the app's, generated from their bindings."""

    BINDINGS = [
        Binding("escape", "dismiss_help", "Close", id="help.close"),
        Binding("f1", "dismiss_help", "Close", show=False),
        Binding("q", "dismiss_help", "Close", show=False),
    ]

    def __init__(self, sections: list[tuple[str, list[Binding]]] | None = None) -> None:
        super().__init__(id="help", classes="dialog-screen")
        self._sections = sections if sections is not None else self.every_section()

    def every_section(self) -> list[tuple[str, list[Binding]]]:
        """Every screen's keys, then the tables' and the keys that work everywhere."""
        from ..widgets.virtual_table import VirtualTable

        app = type(self.app)
        everywhere = bindings_of(app.BINDINGS)
        if app.ENABLE_COMMAND_PALETTE:
            everywhere.append(Binding(app.COMMAND_PALETTE_BINDING, "command_palette", "Command palette: search every action"))
        return [
            *screens_with_keys(),
            ("Tables (picker, history, exchanges, bulk)", bindings_of(VirtualTable.BINDINGS)),
            ("Everywhere", everywhere),
        ]

    def compose(self) -> ComposeResult:
        lines: list[str] = [FLOW]
        sections = [(title, key_rows(bindings, self.app.get_key_display)) for title, bindings in self._sections]
        width = max((len(keys) for _title, rows in sections for keys, _d, _t in rows), default=8)
        for title, rows in sections:
            if rows:
                lines += binding_lines(title, rows, width)
                lines.append("")
        with Vertical(classes="dialog help-dialog"):
            yield Static("Help — kombo-tui", classes="dialog-title")
            with VerticalScroll():
                yield Static("\n".join(lines), id="help-text")
            yield Static("[dim]esc closes · ctrl+p searches every action[/]", classes="dialog-footer")

    def action_dismiss_help(self) -> None:
        self.dismiss(None)
