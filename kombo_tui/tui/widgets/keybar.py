"""The footer: the screen's key bindings on one line, repainted in place when the bindings change.

When the line is too narrow (a laptop's 80 columns), the longest descriptions shrink to their
first word ("f3 Pick"), then the last keys make room, but Quit always stays, on every screen
(dialogs included: ctrl+q quits from anywhere). What is left out is in Help (F1) and the
command palette.

Textual's ``Footer`` rebuilds one widget per key whenever the bindings may have changed (focus
moves, a dialog closes, an upload starts or ends), and the rebuild relays out the whole screen:
tens of milliseconds on this app's screen, right when an upload starts. Here a change is one
line repainted. Keys stay clickable.
"""

from __future__ import annotations

from rich.cells import cell_len
from rich.style import Style
from rich.text import Text
from textual.binding import Binding
from textual.screen import Screen
from textual.widget import Widget

__all__ = ["KeyBar"]

QUIT_ACTIONS = frozenset({"quit", "app.quit"})
"""Bindings kept on the key bar at any width."""


def _short(description: str) -> str:
    """The description's first word ("Pick application" → "Pick"), two if the first is tiny ("Use text")."""
    words = description.split()
    if len(words) > 1 and len(words[0]) <= 3:
        return " ".join(words[:2])
    return words[0] if words else description


class KeyBar(Widget, can_focus=False):
    """Shows the screen's active bindings (``show=True``), the command palette key on the right."""

    ALLOW_SELECT = False
    COMPONENT_CLASSES = {"keybar--key", "keybar--description", "keybar--separator"}
    DEFAULT_CSS = """
    KeyBar {
        dock: bottom;
        height: 1;
        color: $footer-foreground;
        background: $footer-background;
    }
    KeyBar > .keybar--key {
        color: $footer-key-foreground;
        background: $footer-key-background;
        text-style: bold;
    }
    KeyBar > .keybar--description {
        color: $footer-description-foreground;
    }
    KeyBar > .keybar--separator {
        color: $foreground 20%;
    }
    """

    def __init__(self) -> None:
        super().__init__()
        self.set_reactive(Widget.auto_links, False)  # clickable, but drawn as keys, not links

    def on_mount(self) -> None:
        self.screen.bindings_updated_signal.subscribe(self, self._bindings_changed)

    def on_unmount(self) -> None:
        self.screen.bindings_updated_signal.unsubscribe(self)

    def _bindings_changed(self, screen: Screen[object]) -> None:
        self.refresh()

    def _item(self, key: str, display: str, description: str, enabled: bool, lead: str = " ") -> Text:
        click = f"app.simulate_key({key!r})" if enabled else "app.bell()"
        meta = Style(meta={"@click": click})
        key_style = self.get_component_rich_style("keybar--key") + meta
        description_style = self.get_component_rich_style("keybar--description") + meta
        if not enabled:
            key_style += Style(dim=True)
            description_style += Style(dim=True)
        return Text.assemble((f"{lead}{display} ", key_style), (f"{description} ", description_style))

    def _keys(self) -> tuple[list[tuple[Binding, bool]], list[tuple[Binding, bool]]]:
        """The shown bindings in order, and the pinned ones (Quit) kept at the end whatever the width."""
        seen: set[str] = set()
        items: list[tuple[Binding, bool]] = []
        pinned: list[tuple[Binding, bool]] = []
        for _node, binding, enabled, _tooltip in self.screen.active_bindings.values():
            if not binding.show or binding.action in seen:
                continue
            seen.add(binding.action)
            (pinned if binding.action in QUIT_ACTIONS else items).append((binding, enabled))
        if not pinned:  # a dialog's bindings stop at the dialog, but ctrl+q (a priority binding) quits from it
            pinned = [(b, True) for b in self.app.BINDINGS if isinstance(b, Binding) and b.show and b.action == "quit"][:1]
        return items, pinned

    def render(self) -> Text:
        app = self.app
        active = self.screen.active_bindings
        keys, pinned = self._keys()
        label = getattr(self.screen, "key_label", None)  # a screen may word a key by its state
        labels = [label(binding) if label is not None else binding.description for binding, _ in keys]
        palette = Text()
        if app.ENABLE_COMMAND_PALETTE and app.COMMAND_PALETTE_BINDING in active:
            _node, binding, enabled, _tooltip = active[app.COMMAND_PALETTE_BINDING]
            palette = Text.assemble(
                ("▏", self.get_component_rich_style("keybar--separator")),
                self._item(binding.key, app.get_key_display(binding), binding.description, enabled, lead=""),
            )

        def assemble(labels: list[str]) -> Text:
            shown = [(b, e, label) for (b, e), label in zip(keys, labels, strict=True)]
            shown += [(b, e, b.description) for b, e in pinned]
            return Text.assemble(
                *(self._item(b.key, app.get_key_display(b), label, e) for b, e, label in shown), no_wrap=True
            )

        room = max(0, self.size.width - cell_len(palette.plain))
        left = assemble(labels)
        # Too wide: the longest descriptions shrink to their first word, then the last keys go.
        for index in sorted(range(len(labels)), key=lambda i: -len(labels[i])):
            if left.cell_len <= room:
                break
            labels[index] = _short(labels[index])
            left = assemble(labels)
        while left.cell_len > room and keys:
            keys, labels = keys[:-1], labels[:-1]
            left = assemble(labels)
        left.truncate(room, overflow="crop", pad=True)
        line = left + palette
        line.no_wrap = True
        return line
