"""Table columns that fit the width there is (plain Python: the presenters declare theirs).

Each :class:`Column` has the width it would like and the narrowest it can be; :func:`fit`
narrows the columns that can be narrowed, then leaves out the ones marked to go first, so the
columns that identify a row stay on screen at 80 columns. :func:`clip` cuts a cell with "…" (at
the end, or in the middle for ids and paths, whose both ends matter).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Literal, NamedTuple

from rich.cells import cell_len, set_cell_size

__all__ = ["GAP", "Column", "ColumnSpec", "clip", "fit"]


class Column(NamedTuple):
    """A column: its title, the width it would like, the narrowest it can be, and when it goes."""

    name: str
    width: int
    min: int = 0
    """The narrowest it can be (0: its ``width``, it never narrows)."""
    drop: int = 0
    """0: always shown; otherwise left out when the table is too narrow, highest first."""
    crop: Literal["end", "middle"] = "end"
    """Where a cell too long for the column is cut (``middle`` keeps an id's both ends)."""

    @property
    def narrowest(self) -> int:
        return self.min or self.width


ColumnSpec = Column | tuple[str, int]
"""A :class:`Column`, or ``(title, width)`` for a column of fixed width."""

GAP = 2
"""Cells around each column's text (one on each side)."""


def fit(columns: Sequence[Column], room: int) -> list[tuple[int, int]]:
    """The columns shown in ``room`` cells, as (index, width), in order.

    The columns that always show come first; the others join in the order they go last
    (lowest ``drop`` first) while there is room for them without narrowing the ones already
    shown (a column shown whole beats two cut short). If the columns that always show do not
    fit, they narrow towards their ``min`` in proportion to how much each can give, and past
    that the table scrolls sideways.
    """
    shown = [i for i, column in enumerate(columns) if not column.drop]
    want = sum(columns[i].width + GAP for i in shown)
    for i in sorted((i for i, column in enumerate(columns) if column.drop), key=lambda i: columns[i].drop):
        if want + columns[i].narrowest + GAP <= room:
            shown.append(i)
            want += columns[i].width + GAP
    shown.sort()
    least = sum(columns[i].narrowest + GAP for i in shown)
    if want <= room or want == least:
        return [(i, columns[i].width) for i in shown]
    # Narrow each narrowable column in proportion to how much it can give.
    give = {i: columns[i].width - columns[i].narrowest for i in shown}
    short = min(want - room, sum(give.values()))
    total = sum(give.values())
    widths = {i: columns[i].width - (short * give[i]) // total for i in shown}
    rest = want - room - sum(columns[i].width - widths[i] for i in shown)
    for i in sorted(shown, key=lambda i: -give[i]):  # the rounding's last cells
        if rest <= 0:
            break
        if widths[i] > columns[i].narrowest:
            widths[i] -= 1
            rest -= 1
    return [(i, widths[i]) for i in shown]


def clip(text: str, width: int, crop: str = "end") -> str:
    """``text`` in exactly ``width`` cells: padded, or cut with "…" (at the end or in the middle)."""
    if cell_len(text) <= width:
        return set_cell_size(text, width)
    if width <= 1:
        return set_cell_size(text, width)
    if crop == "middle":
        head = (width - 1) // 2
        tail = width - 1 - head
        return set_cell_size(text, head) + "…" + _last_cells(text, tail)
    return set_cell_size(text, width - 1) + "…"


def _last_cells(text: str, width: int) -> str:
    out = ""
    for char in reversed(text):
        if cell_len(char + out) > width:
            break
        out = char + out
    return set_cell_size(out, width) if cell_len(out) < width else out
