"""WCAG contrast of what a screen actually draws: every character's colour against its background.

The screen is rendered as the terminal gets it (the compositor's strips: Rich segments with
resolved truecolor styles), so what is measured is what a user sees, whatever CSS, theme
variable or inline style produced it. ``dim`` is resolved as terminals draw it (halfway to the
background, Textual's own ``DimFilter``) and ``reverse`` swaps the pair.

Box-drawing and block characters (borders, scrollbars, bars) are lines, not text: WCAG asks
3:1 of those, and they are left out. Whitespace has no colour to read.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from rich.color import Color as RichColor
from rich.color_triplet import ColorTriplet
from rich.segment import Segment
from textual.app import App
from textual.geometry import Region
from textual.widget import Widget

AA = 4.5
"""WCAG 2.x AA for normal text."""
DIM_FACTOR = 0.5
"""Dim text as terminals draw it: halfway from the background to the colour (Textual's DimFilter)."""


def _linear(channel: int) -> float:
    c = channel / 255
    return c / 12.92 if c <= 0.03928 else ((c + 0.055) / 1.055) ** 2.4


def luminance(rgb: ColorTriplet) -> float:
    r, g, b = rgb
    return 0.2126 * _linear(r) + 0.7152 * _linear(g) + 0.0722 * _linear(b)


def ratio(a: ColorTriplet, b: ColorTriplet) -> float:
    """The WCAG contrast ratio of two colours (1 to 21)."""
    la, lb = sorted((luminance(a), luminance(b)), reverse=True)
    return (la + 0.05) / (lb + 0.05)


def _is_text(char: str) -> bool:
    code = ord(char)
    if code >= 0x1F000:  # emoji: the terminal draws them in their own colours
        return False
    return not (char.isspace() or 0x2500 <= code <= 0x259F)  # box drawing, block elements


@dataclass(frozen=True)
class Run:
    """Characters drawn in one colour pair on one line."""

    x: int
    y: int
    text: str
    fg: str
    bg: str
    contrast: float
    dim: bool = False

    def __str__(self) -> str:
        dim = " (dim)" if self.dim else ""
        return f"{self.contrast:.2f}:1 at ({self.x},{self.y}) {self.fg} on {self.bg}{dim}: {self.text.strip()!r}"


def _triplet(color: RichColor | None, default: ColorTriplet) -> ColorTriplet:
    if color is None or color.is_default:
        return default
    return color.get_truecolor()


def _hex(t: ColorTriplet) -> str:
    return "#{:02x}{:02x}{:02x}".format(*t)


def runs(app: App[Any], regions: list[Region] | None = None) -> list[Run]:
    """Every run of text on the screen (within ``regions``) with its contrast."""
    screen = app.screen
    theme = app.current_theme
    default_fg = RichColor.parse(theme.foreground or "#e0e0e0").get_truecolor()
    default_bg = RichColor.parse(theme.background or "#121212").get_truecolor()
    update = screen._compositor.render_update(full=True, screen_stack=app._background_screens)
    found: list[Run] = []
    for y, line in enumerate(update.strips):
        x = 0
        for segment in (segment for piece in line for segment in piece):
            assert isinstance(segment, Segment)
            text, style = segment.text, segment.style
            width = len(text)
            if style is not None and any(_is_text(c) for c in text):
                fg = _triplet(style.color, default_fg)
                bg = _triplet(style.bgcolor, default_bg)
                if style.reverse:
                    fg, bg = bg, fg
                if style.dim:
                    fg = ColorTriplet(*(int(b + (f - b) * DIM_FACTOR) for f, b in zip(fg, bg, strict=True)))
                inside = regions is None or any(
                    r.contains(x + i, y) for i, c in enumerate(text) if _is_text(c) for r in regions
                )
                if inside:
                    found.append(Run(x, y, text, _hex(fg), _hex(bg), ratio(fg, bg), bool(style.dim)))
            x += width
    return found


def top_regions(app: App[Any]) -> list[Region] | None:
    """What the top screen itself draws: a dialog's own widgets, not the screen dimmed behind it,
    which shows through a dialog's margins on purpose."""
    screen = app.screen
    if not screen.is_modal:
        return None
    regions: list[Region] = []

    def walk(node: Widget) -> None:
        for child in node.children:
            if not child.display:
                continue
            if child.region == screen.region or not child.region.area:  # a see-through backdrop: look inside
                walk(child)
            else:
                regions.append(child.region)

    walk(screen)
    return regions


def too_faint(app: App[Any], minimum: float = AA, within: str | None = None) -> list[Run]:
    """The runs of text on the top screen (or in the widgets ``within`` selects) below ``minimum``."""
    regions = [w.region for w in app.screen.query(within)] if within else top_regions(app)
    return [run for run in runs(app, regions) if run.contrast < minimum]
