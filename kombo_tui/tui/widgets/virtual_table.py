"""A read-only table that renders only the rows on screen (20,000 rows cost nothing to show).

Rows are tuples of plain strings; the widget keeps a list of them (or of indexes into them) and
builds a :class:`Strip` per visible line on demand. No per-row widgets, no measuring of rows.

Columns fit the width the table has: each :class:`Column` has the width it would like and the
narrowest it can be; a narrow terminal first narrows the columns that can be narrowed, then
leaves out the columns marked to go first (the row's detail view shows them all), so the
columns that identify a row stay on screen at 80 columns. A cell too long for its column ends
in "…" (or loses its middle, for ids and paths, whose both ends matter).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from rich.segment import Segment
from rich.style import Style
from textual.binding import Binding
from textual.geometry import Size
from textual.message import Message
from textual.reactive import reactive
from textual.scroll_view import ScrollView
from textual.strip import Strip

from ..columns import GAP, Column, ColumnSpec, clip, fit

__all__ = ["Column", "VirtualTable"]


class VirtualTable(ScrollView, can_focus=True):
    """Fixed-width columns, a header line and a row cursor; Enter selects."""

    DEFAULT_CSS = """
    VirtualTable { background: $surface; scrollbar-size-horizontal: 1; scrollbar-size-vertical: 1; }
    VirtualTable > .virtual-table--header { text-style: bold; color: $text-primary; background: $panel; }
    VirtualTable > .virtual-table--cursor { background: $block-cursor-blurred-background; }
    VirtualTable:focus > .virtual-table--cursor { background: $block-cursor-background; color: $block-cursor-foreground; text-style: bold; }
    VirtualTable > .virtual-table--even { background: $surface; }
    VirtualTable > .virtual-table--odd { background: $surface-lighten-1; }
    """
    COMPONENT_CLASSES = {
        "virtual-table--header",
        "virtual-table--cursor",
        "virtual-table--even",
        "virtual-table--odd",
    }
    BINDINGS = [
        Binding("up", "move(-1)", "Up", show=False),
        Binding("down", "move(1)", "Down", show=False),
        Binding("pageup", "page(-1)", "Page up", show=False),
        Binding("pagedown", "page(1)", "Page down", show=False),
        Binding("home", "jump(0)", "First", show=False),
        Binding("end", "jump(-1)", "Last", show=False),
        Binding("enter", "select", "Select", show=False),
    ]

    cursor: reactive[int] = reactive(0, init=False)

    @dataclass
    class Highlighted(Message):
        """The cursor moved to a row."""

        table: VirtualTable
        """The table that sent it."""
        index: int
        """The row under the cursor."""

        @property
        def control(self) -> VirtualTable:
            """The table that sent it (``@on(…, "#id")`` matches on it)."""
            return self.table

    @dataclass
    class Selected(Message):
        """Enter (or a click on the cursor's row) chose a row."""

        table: VirtualTable
        """The table that sent it."""
        index: int
        """The row chosen."""

        @property
        def control(self) -> VirtualTable:
            """The table that sent it (``@on(…, "#id")`` matches on it)."""
            return self.table

    def __init__(self, columns: Sequence[ColumnSpec], *, id: str | None = None) -> None:  # noqa: A002
        super().__init__(id=id)
        self.columns = [c if isinstance(c, Column) else Column(*c) for c in columns]
        self.rows: Sequence[tuple[str, ...]] = ()
        self.shown: list[tuple[int, int]] = [(i, c.width) for i, c in enumerate(self.columns)]
        """The columns on screen, as (index, width): see :func:`fit`."""

    @property
    def row_count(self) -> int:
        return len(self.rows)

    @property
    def shown_names(self) -> list[str]:
        """The titles of the columns on screen."""
        return [self.columns[i].name for i, _ in self.shown]

    @property
    def _width(self) -> int:
        return sum(width + GAP for _, width in self.shown)

    def on_resize(self) -> None:
        self._fit()

    def _fit(self) -> None:
        room = self.size.width - self.styles.scrollbar_size_vertical
        shown = fit(self.columns, room) if room > 0 else self.shown
        if shown != self.shown:
            self.shown = shown
            self.virtual_size = Size(self._width, len(self.rows) + 1)
            self.refresh()

    def set_rows(self, rows: Sequence[tuple[str, ...]], *, keep_cursor: bool = False) -> None:
        """Show ``rows`` (any sequence: only visible ones are read)."""
        self.rows = rows
        self.virtual_size = Size(self._width, len(rows) + 1)
        if not keep_cursor:
            self.set_reactive(VirtualTable.cursor, 0)
            self.scroll_to(y=0, animate=False)
        self.refresh()
        if rows:
            self.post_message(self.Highlighted(self, self.cursor))

    def _line(self, cells: Sequence[str], style: Style, *, header: bool = False) -> list[Segment]:
        segments = []
        for index, width in self.shown:
            text = cells[index] if index < len(cells) else ""
            crop = "end" if header else self.columns[index].crop
            segments.append(Segment(" " + clip(text, width, crop) + " ", style))
        return segments

    def render_line(self, y: int) -> Strip:
        width = self.scrollable_content_region.width
        scroll_x, scroll_y = self.scroll_offset
        if y == 0:
            style = self.get_component_rich_style("virtual-table--header")
            segments = self._line([column.name for column in self.columns], style, header=True)
        else:
            index = scroll_y + y - 1
            if index >= len(self.rows):
                return Strip.blank(width, self.rich_style)
            if index == self.cursor:
                style = self.get_component_rich_style("virtual-table--cursor")
            else:
                style = self.get_component_rich_style("virtual-table--odd" if index % 2 else "virtual-table--even")
            segments = self._line(self.rows[index], style)
        strip = Strip(segments, self._width)
        return strip.crop_extend(scroll_x, scroll_x + width, self.rich_style)

    def watch_cursor(self, old: int, new: int) -> None:
        self.refresh()
        self._scroll_to_cursor()
        self.post_message(self.Highlighted(self, new))

    def _scroll_to_cursor(self) -> None:
        visible = max(1, self.scrollable_content_region.height - 1)
        top = int(self.scroll_y)
        if self.cursor < top:
            self.scroll_to(y=self.cursor, animate=False)
        elif self.cursor >= top + visible:
            self.scroll_to(y=self.cursor - visible + 1, animate=False)

    def move_cursor(self, row: int) -> None:
        if self.rows:
            self.cursor = max(0, min(row, len(self.rows) - 1))

    def action_move(self, delta: int) -> None:
        self.move_cursor(self.cursor + delta)

    def action_page(self, direction: int) -> None:
        self.move_cursor(self.cursor + direction * max(1, self.scrollable_content_region.height - 2))

    def action_jump(self, where: int) -> None:
        self.move_cursor(len(self.rows) - 1 if where < 0 else where)

    def action_select(self) -> None:
        if self.rows:
            self.post_message(self.Selected(self, self.cursor))

    def on_click(self, event: object) -> None:
        offset = getattr(event, "y", 0)
        index = int(self.scroll_y) + int(offset) - 1
        if 0 <= index < len(self.rows):
            if index == self.cursor:
                self.action_select()
            else:
                self.cursor = index
