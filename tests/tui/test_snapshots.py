"""Snapshots of the main states (fixed size, in-process sandbox, no clocks, no blinking)."""

from __future__ import annotations

import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from .states import SIZE, STATES, State, write_sample_files


@pytest.fixture(autouse=True)
def _fixed(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("TZ", "UTC")  # the history shows local times
    time.tzset()
    write_sample_files(tmp_path)
    yield
    monkeypatch.undo()
    time.tzset()


@pytest.mark.parametrize("state", STATES, ids=[s.name for s in STATES])
def test_snapshot(snap_compare: Any, state: State) -> None:
    assert snap_compare(state.make(), terminal_size=SIZE, run_before=state.run_before)
