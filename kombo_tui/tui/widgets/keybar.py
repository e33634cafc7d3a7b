"""The footer: every key binding on one line, repainted in place when the bindings change.

Textual's ``Footer`` rebuilds one widget per key whenever the bindings may have changed (focus
moves, a dialog closes, an upload starts or ends), and the rebuild relays out the whole screen:
tens of milliseconds on this app's screen, right when an upload starts. Here a change is one
line repainted. Keys stay clickable.
"""

from __future__ import annotations

from rich.cells import cell_len
from rich.style import Style
from rich.text import Text
from textual.screen import Screen
from textual.widget import Widget

__all__ = ["KeyBar"]


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

    def render(self) -> Text:
        app = self.app
        active = self.screen.active_bindings
        seen: set[str] = set()
        items: list[Text] = []
        for _node, binding, enabled, _tooltip in active.values():
            if not binding.show or binding.action in seen:
                continue
            seen.add(binding.action)
            items.append(self._item(binding.key, app.get_key_display(binding), binding.description, enabled))
        palette = Text()
        if app.ENABLE_COMMAND_PALETTE and app.COMMAND_PALETTE_BINDING in active:
            _node, binding, enabled, _tooltip = active[app.COMMAND_PALETTE_BINDING]
            palette = Text.assemble(
                ("▏", self.get_component_rich_style("keybar--separator")),
                self._item(binding.key, app.get_key_display(binding), binding.description, enabled, lead=""),
            )
        left = Text.assemble(*items, no_wrap=True, overflow="crop")
        room = max(0, self.size.width - cell_len(palette.plain))
        left.truncate(room, overflow="crop", pad=True)
        line = left + palette
        line.no_wrap = True
        return line
