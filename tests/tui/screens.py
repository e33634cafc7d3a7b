"""Every screen of the app in a state worth looking at, for the looks tests (contrast, sizes, snapshots).

Each :class:`Look` is an app factory and a drive, like :class:`~tests.tui.states.State`, run in
a folder holding the sample files and a five-row bulk plan (see :func:`prepare`).
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from textual.pilot import Pilot
from textual.widgets import Input

from kombo_tui.tui.app import KomboApp

from .states import STATES, DropAfterSend, _first_run_app, history_app, sandbox_app, settle, write_sample_files
from .test_bulk import _checked as _bulk_checked
from .test_bulk import _failures as _bulk_failures
from .test_bulk import _refusing_app, write_plan
from .test_exchanges import _exchange_detail, _exchanges_screen


@dataclass(frozen=True)
class Look:
    name: str
    make: Callable[[str], KomboApp]
    """Builds the app in a theme (``textual-dark`` or ``textual-light``)."""
    drive: Callable[[Pilot[Any]], Awaitable[None]]
    within: str | None = None
    """What to measure on a screen not ours (a selector); by default the top screen's own widgets."""


def _sandbox(**kwargs: Any) -> Callable[[str], KomboApp]:
    return lambda theme: sandbox_app(theme=theme, **kwargs)


def prepare(folder: Path) -> None:
    """The sample files and a bulk plan (five valid rows and an invalid one) in ``folder``."""
    write_sample_files(folder)
    write_plan(folder, 5)


_STATE = {s.name: s for s in STATES}


def _state(name: str, make: Callable[[str], KomboApp] | None = None) -> Look:
    """A state of :data:`~tests.tui.states.STATES`, built in any theme."""
    return Look(name, make or _sandbox(), _STATE[name].drive)


async def _picker_loaded(pilot: Pilot[Any]) -> None:
    """The picker as it opens: every column, the first rows."""
    await settle(pilot, 0.5)
    await pilot.press("f3")
    await settle(pilot, 0.1)


async def _add_file(pilot: Pilot[Any]) -> None:
    """A draft with a second file typed in (its placeholder gone, its row shown)."""
    await _STATE["filled"].drive(pilot)
    await pilot.press("ctrl+n")
    pilot.app.screen.query_one("#add-path", Input).value = "Jane_Doe_Cover_Letter.pdf"
    await pilot.press("enter")
    await settle(pilot, 0.1)


async def _palette(pilot: Pilot[Any]) -> None:
    """The command palette, searching."""
    await settle(pilot, 0.5)
    await pilot.press("ctrl+p")
    await pilot.pause()
    await pilot.press(*"ex")
    await pilot.pause(0.3)


MAIN = _state("empty")
PICKER = Look("picker", _sandbox(), _picker_loaded)
BULK = Look("bulk", _sandbox(), _bulk_checked)
HISTORY = _state("history", lambda theme: history_app(theme=theme))
EXCHANGES = Look("exchanges", _sandbox(), _exchanges_screen)

FIVE = (MAIN, PICKER, BULK, HISTORY, EXCHANGES)
"""The screens an agent spends the day on (snapshots at 80×24 and in both themes)."""

EVERY = (
    *FIVE,
    _state("first_run", _first_run_app),
    _state("filled"),
    Look("add_file", _sandbox(), _add_file),
    _state("confirm"),
    _state("file_warnings", _sandbox(integration="oraclerecruiting:sandbox-oracle")),
    _state("success_warnings", _sandbox(integration="personio:sandbox-personio")),
    _state("error", _sandbox(integration="teamtailor:sandbox-inactive")),
    _state("unknown_verified", _sandbox(wrap=DropAfterSend)),
    _state("batch_invalid"),
    _state("help"),
    _state("history_detail", lambda theme: history_app(theme=theme)),
    Look("bulk_failures", _refusing_app, _bulk_failures),
    Look("exchange_detail", _sandbox(), _exchange_detail),
    Look("palette", _sandbox(), _palette, within="CommandInput, CommandList"),
)
"""Every screen and dialog, in the states that show their colours (warnings, ✓, errors, placeholders)."""

THEMES = ("textual-dark", "textual-light")
