"""The dark and light themes, readable: every text colour at least 4.5:1 on the app's backgrounds.

Textual's ``textual-dark`` and ``textual-light`` draw the warning, success and error colours as
text (and Textual's JSON highlighting in ANSI colours) at 1.4–3.5:1 in places, unreadable in a
bright office. The app registers its own themes under the same names, so ``--theme`` /
ctrl+t / the palette's theme switch keep working: the same look, with the text colours moved
just far enough (in lightness, keeping the hue) to reach WCAG AA on the background, surface
and panel colours. The figures are checked by ``tests/tui/test_looks.py``, which measures what
every screen draws.
"""

from __future__ import annotations

from dataclasses import replace
from typing import TYPE_CHECKING, Any

from rich.terminal_theme import TerminalTheme
from textual._ansi_theme import ALABASTER, MONOKAI  # the palettes Textual maps ANSI colours with
from textual.theme import BUILTIN_THEMES

if TYPE_CHECKING:
    from textual.app import App

__all__ = ["ANSI_DARK", "ANSI_LIGHT", "DARK", "LIGHT", "install"]

_dark = BUILTIN_THEMES["textual-dark"]
_light = BUILTIN_THEMES["textual-light"]

DARK = replace(
    _dark,
    primary="#0160A8",  # was #0178D4: 3.8:1 under a primary button's label
    error="#EF6D87",  # was #BA3C5B: 3.1:1 on the surface
    variables={
        **_dark.variables,
        "block-cursor-background": "#0168B8",  # a table's cursor row: 5.7:1 with white text
        "block-cursor-foreground": "#FFFFFF",
        "text-primary": "#57A5E2",  # titles and headers as before the darker primary (5.1:1 on the panel)
        "text-muted": "auto 66%",
    },
)
LIGHT = replace(
    _light,
    warning="#754800",  # was #FFA62B: 1.5:1 on the background
    success="#0D6000",  # was #4EBF71: 1.8:1
    error="#9B1D43",  # was #BA3C5B: 4.1:1
    accent="#754800",
    variables={
        **_light.variables,
        "footer-key-foreground": "#004FA4",  # was #0178D4: 2.9:1 on the key bar
        "text-muted": "auto 66%",
    },
)


def _ansi(base: TerminalTheme, colours: dict[int, tuple[int, int, int]]) -> TerminalTheme:
    """``base`` with some of its 16 ANSI colours replaced (Rich's JSON highlighting uses them)."""
    palette = [(c.red, c.green, c.blue) for c in (base.ansi_colors[i] for i in range(16))]
    for index, colour in colours.items():
        palette[index] = colour
    bg, fg = base.background_color, base.foreground_color
    return TerminalTheme((bg.red, bg.green, bg.blue), (fg.red, fg.green, fg.blue), palette[:8], palette[8:])


def _rgb(hex_colour: str) -> tuple[int, int, int]:
    value = int(hex_colour.lstrip("#"), 16)
    return value >> 16, (value >> 8) & 0xFF, value & 0xFF


# Index: 0 black, 1 red, 2 green, 3 yellow, 4 blue, 5 magenta, 6 cyan, 7 white, 8-15 the bright ones.
ANSI_DARK = _ansi(
    MONOKAI,
    {i: _rgb(c) for i, c in {1: "#FF5C8E", 4: "#B479FF", 5: "#FF5C8E", 8: "#9C9884", 9: "#FF5C8E", 12: "#B479FF", 13: "#FF5C8E"}.items()},
)
ANSI_LIGHT = _ansi(
    ALABASTER,
    {
        i: _rgb(c)
        for i, c in {
            1: "#982623", 2: "#0D6000", 3: "#754800", 4: "#154DAF", 5: "#713694", 6: "#005682", 8: "#525252",
            9: "#AA001E", 10: "#006100", 11: "#764700", 12: "#00519D", 13: "#930098", 14: "#005775",
        }.items()
    },
)


def install(app: App[Any]) -> None:
    """Register the readable themes under Textual's names, and the ANSI palettes that go with them."""
    app.register_theme(DARK)
    app.register_theme(LIGHT)
    app.ansi_theme_dark = ANSI_DARK
    app.ansi_theme_light = ANSI_LIGHT
