"""Snapshot of the Target panel listing what is already attached, the file to send marked.

The sandbox's data is seeded (the existing CV's date is fixed, not today's), the history is
in the test's folder, times are shown in UTC and cursors do not blink.
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from textual.pilot import Pilot
from textual.widgets import Input

from kombo_tui.core.history import History
from kombo_tui.tui.app import KomboApp

from .states import PDF, SIZE, fields_ready, sandbox_app, settle


@pytest.fixture(autouse=True)
def _fixed(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("TZ", "UTC")
    time.tzset()
    yield
    monkeypatch.undo()
    time.tzset()


def _app() -> KomboApp:
    return sandbox_app(history=History(Path("history.sqlite3").absolute()))


async def _attachments_marked(pilot: Pilot[Any]) -> None:
    await fields_ready(pilot)
    await settle(pilot, 0.5)
    await pilot.press("f3")
    await settle(pilot, 0.1)
    await pilot.press("enter")  # the first application: it already has a CV
    await settle(pilot, 0.1)
    screen = pilot.app.screen
    found = screen.attachments_view.found  # type: ignore[attr-defined]
    name = found.items[0].name
    Path(name).write_bytes(PDF)  # a file of the same name as the one already there
    screen.query_one("#path", Input).value = name
    await settle(pilot, 0.1)


def test_snapshot_target_attachments(snap_compare: Any) -> None:
    assert snap_compare(_app(), terminal_size=SIZE, run_before=_attachments_marked)
