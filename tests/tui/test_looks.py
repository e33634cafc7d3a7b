"""How the app looks to an agent all day on a laptop: readable in both themes, usable at 80×24.

The contrast test walks what every screen draws (each character's colour against its
background, as the terminal gets it) in the dark and the light theme; the size tests open
each screen at 80×24 and measure its inputs, its key bar and its tables.
"""

from __future__ import annotations

import importlib
import inspect
import pkgutil
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from textual.binding import Binding
from textual.screen import Screen
from textual.widgets import Input, Static

from kombo_tui.tui.columns import Column, clip, fit
from kombo_tui.tui.widgets.keybar import KeyBar
from kombo_tui.tui.widgets.virtual_table import VirtualTable

from .contrast import AA, too_faint
from .screens import EVERY, FIVE, MAIN, THEMES, Look, prepare
from .states import fields_ready


@pytest.fixture(autouse=True)
def _here(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("TZ", "UTC")
    time.tzset()
    prepare(tmp_path)
    yield tmp_path
    monkeypatch.undo()
    time.tzset()


@pytest.mark.parametrize("theme", THEMES)
@pytest.mark.parametrize("look", EVERY, ids=[look.name for look in EVERY])
async def test_every_text_on_every_screen_reads_at_wcag_aa(look: Look, theme: str) -> None:
    app = look.make(theme)
    async with app.run_test(size=(120, 40)) as pilot:
        await look.drive(pilot)
        faint = too_faint(app, within=look.within)
    assert not faint, f"{len(faint)} runs of text below {AA}:1 in {theme}:\n" + "\n".join(map(str, faint))


# --------------------------------------------------------------------------- 80×24


SMALL = (80, 24)


@pytest.mark.parametrize("look", FIVE, ids=[look.name for look in FIVE])
async def test_at_80x24_every_input_has_20_columns_and_the_key_bar_keeps_quit(look: Look) -> None:
    app = look.make("textual-dark")
    async with app.run_test(size=SMALL) as pilot:
        await look.drive(pilot)
        screen = app.screen
        inputs = [i for i in screen.query(Input) if i.size.width > 0]
        assert inputs, "no input on screen"
        narrow = {f"#{i.id}": i.size.width for i in inputs if i.size.width < 20}
        assert not narrow, f"inputs narrower than 20 columns: {narrow}"
        line = screen.query_one(KeyBar).render().plain
        assert len(line) == SMALL[0] and "^q Quit" in line, line
        for key in MAIN_KEYS[look.name]:
            assert key in line, f"{key!r} missing from the key bar: {line!r}"


MAIN_KEYS = {
    "empty": ("f1 Help", "f3 Pick", "^o Open", "^s Send", "f9 History", "^b Bulk", "▏^p palette"),
    "picker": ("esc Close", "f2 Use text as id", "f4 Search"),
    "bulk": ("esc Close", "f2 Check", "^s Start"),
    "history": ("esc Close", "^r Replay"),
    "exchanges": ("esc Close", "f2 Copy as curl"),
}
"""What the key bar must show at 80 columns, besides Quit."""

IDENTIFYING = {
    "picker": ("#apps", ("Candidate", "Email", "Job", "Application")),
    "bulk": ("#bulk-table", ("Row", "Status", "Application", "File", "Message")),
    "history": ("#history-table", ("Time", "Outcome", "Candidate", "File")),
    "exchanges": ("#exchanges-table", ("#", "Method", "Path", "Status")),
}
"""Each table's columns that say which row is which (they stay on screen at 80 columns)."""


@pytest.mark.parametrize("name", sorted(IDENTIFYING))
async def test_at_80x24_tables_keep_their_identifying_columns_and_rows(name: str) -> None:
    look = next(look for look in FIVE if look.name == name)
    selector, needed = IDENTIFYING[name]
    app = look.make("textual-dark")
    async with app.run_test(size=SMALL) as pilot:
        await look.drive(pilot)
        table = app.screen.query_one(selector, VirtualTable)
        header = table.render_line(0).text
        assert all(f" {column} " in header for column in needed), header
        assert table.virtual_size.width <= table.size.width, "the columns scroll sideways"
        assert table.region.height >= 4, "fewer than three rows on screen"  # the header and three rows
        assert table.row_count >= 3 and table.render_line(1).text.strip()


async def test_the_main_screen_stacks_its_panels_in_one_column_when_narrow() -> None:
    app = MAIN.make("textual-dark")
    async with app.run_test(size=SMALL) as pilot:
        await MAIN.drive(pilot)
        screen = app.screen
        assert screen.has_class("-narrow")
        left, right = screen.query_one("#left"), screen.query_one("#right")
        assert left.region.x == right.region.x and left.size.width >= 70
        path = screen.query_one("#path", Input)
        path.focus()
        await pilot.pause()
        await pilot.pause()
        assert screen.query_one("#columns").region.contains_region(path.region)  # scrolled into view
        await pilot.resize_terminal(120, 40)
        await pilot.pause()
        assert not screen.has_class("-narrow") and left.region.x < right.region.x


# --------------------------------------------------------------------------- Help


def _declared_screens() -> list[type[Screen[Any]]]:
    """Every screen class of the app's screens package, found by walking its files."""
    import kombo_tui.tui.screens as package

    found = []
    for info in pkgutil.iter_modules(package.__path__):
        module = importlib.import_module(f"{package.__name__}.{info.name}")
        for _name, cls in inspect.getmembers(module, inspect.isclass):
            if issubclass(cls, Screen) and cls.__module__ == module.__name__:
                found.append(cls)
    return found


async def test_help_lists_every_key_of_every_screen() -> None:
    screens = _declared_screens()
    names = {cls.__name__ for cls in screens}
    assert {"MainScreen", "ApplicationPicker", "HistoryScreen", "HistoryDetail", "ExchangesScreen",
            "ExchangeDetail", "BulkScreen"} <= names
    app = MAIN.make("textual-dark")
    async with app.run_test(size=(120, 40)) as pilot:
        await MAIN.drive(pilot)
        await pilot.press("f1")
        await pilot.pause()
        assert app.screen.id == "help"
        lines = str(app.screen.query_one("#help-text", Static).render()).splitlines()
        declared: list[tuple[str, Binding]] = []
        for cls in [*screens, VirtualTable, type(app)]:
            declared += [(cls.__name__, b) for b in Binding.make_bindings(cls.__dict__.get("BINDINGS", []))]
        missing = [
            f"{owner}: {app.get_key_display(b)} {b.description}"
            for owner, b in declared
            if b.description
            and not any(app.get_key_display(b) in line and f"  {b.description}" in line for line in lines)
        ]
        assert not missing, "keys missing from Help:\n" + "\n".join(missing)
        for title in ("History", "Exchanges", "Bulk", "Application picker", "Main screen"):
            assert title in lines


# --------------------------------------------------------------------------- snapshots

SNAPSHOTS = [
    (look, theme, size)
    for look in FIVE
    for theme, size in (("textual-dark", SMALL), ("textual-light", SMALL), ("textual-light", (120, 40)))
]
"""The five everyday screens at 80×24 in both themes, and at 120×40 in the light theme (the dark
theme at 120×40 is in ``test_snapshots``, ``test_bulk`` and ``test_exchanges``)."""


@pytest.mark.parametrize(
    ("look", "theme", "size"),
    SNAPSHOTS,
    ids=[f"{look.name}-{theme.removeprefix('textual-')}-{size[0]}x{size[1]}" for look, theme, size in SNAPSHOTS],
)
def test_snapshot(snap_compare: Any, look: Look, theme: str, size: tuple[int, int]) -> None:
    async def run_before(pilot: Any) -> None:
        await fields_ready(pilot)
        await look.drive(pilot)

    assert snap_compare(look.make(theme), terminal_size=size, run_before=run_before)


# --------------------------------------------------------------------------- columns


def test_columns_fit_whole_before_more_columns_join_and_narrow_only_when_they_must() -> None:
    columns = [Column("id", 10, 6), Column("name", 20, 8), Column("extra", 12, drop=1), Column("more", 5, drop=2)]
    assert fit(columns, 100) == [(0, 10), (1, 20), (2, 12), (3, 5)]
    assert fit(columns, 50) == [(0, 10), (1, 20), (2, 12)]  # "more" would not fit whole
    assert fit(columns, 34) == [(0, 10), (1, 20)]  # no optional column squeezes the others
    narrowed = fit(columns, 24)
    assert [i for i, _ in narrowed] == [0, 1] and sum(w + 2 for _, w in narrowed) == 24
    assert all(w >= c.narrowest for (i, w), c in zip(narrowed, columns, strict=False))
    assert fit(columns, 10) == [(0, 6), (1, 8)]  # at their narrowest: the table scrolls sideways


def test_a_cut_cell_says_so() -> None:
    assert clip("abc", 5) == "abc  "
    assert clip("Jane_Doe_Curriculum.pdf", 10) == "Jane_Doe_…"
    assert clip("52khNyyy2cvhDsPwMip4mk1K", 11, "middle") == "52khN…4mk1K"  # an id keeps both ends
    assert clip("日本語のファイル", 7) == "日本語…"


@pytest.mark.parametrize("start", THEMES)
async def test_ctrl_t_switches_to_a_theme_as_readable_as_starting_in_it(start: str) -> None:
    look = next(look for look in EVERY if look.name == "filled")
    app = look.make(start)
    async with app.run_test(size=(120, 40)) as pilot:
        await look.drive(pilot)
        await pilot.press("ctrl+t")
        await pilot.pause()
        await pilot.pause()
        assert app.theme != start
        faint = too_faint(app)
    assert not faint, "\n".join(map(str, faint))
