"""Fixtures for the TUI: the sandbox mounted in-process, sample files, no blinking cursors."""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

import pytest
from textual.widgets import Input, TextArea

from kombo_tui.tui.app import KomboApp
from kombo_tui.tui.screens import main as main_module

from .states import PDF, fields_ready, frozen_utc_now, sandbox_app


@pytest.fixture(autouse=True)
def _frozen_clock(monkeypatch: pytest.MonkeyPatch) -> None:
    """The core stamps (send start, history rows) at the in-process sandbox's frozen instant."""
    from kombo_tui.core import clock

    monkeypatch.setattr(clock, "utc_now", frozen_utc_now)


@pytest.fixture(autouse=True)
def _no_blink(monkeypatch: pytest.MonkeyPatch) -> None:
    """Cursors stay still so screenshots are deterministic."""
    monkeypatch.setattr(Input.cursor_blink, "_default", False)
    monkeypatch.setattr(TextArea.cursor_blink, "_default", False)


@pytest.fixture(autouse=True)
def _fast_checks(monkeypatch: pytest.MonkeyPatch) -> None:
    """The integration is checked 10 ms after typing stops, not 350 ms."""
    monkeypatch.setattr(main_module, "CHECK_DELAY", 0.01)


@pytest.fixture(autouse=True)
def _fields_ready(monkeypatch: pytest.MonkeyPatch) -> None:
    """``run_test`` hands over the app once the main screen's fields are mounted.

    The first frame shows only the panels' frames; their fields are mounted right after it.
    """
    original = KomboApp.run_test

    @asynccontextmanager
    async def run_test(self: KomboApp, *args: Any, **kwargs: Any) -> AsyncIterator[Any]:
        async with original(self, *args, **kwargs) as pilot:
            await fields_ready(pilot)
            yield pilot

    monkeypatch.setattr(KomboApp, "run_test", run_test)


@pytest.fixture
def files(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """Sample files in the working directory (shown by relative name on screen)."""
    monkeypatch.chdir(tmp_path)
    (tmp_path / "Jane_Doe_CV.pdf").write_bytes(PDF)
    (tmp_path / "cover-letter.pdf").write_bytes(PDF)
    (tmp_path / "notes").write_bytes(b"\x00\x01\x02\x03" * 64)
    (tmp_path / "empty.pdf").write_bytes(b"")
    (tmp_path / "folder").mkdir()
    return tmp_path


@pytest.fixture
def make_app() -> Callable[..., KomboApp]:
    """:func:`~tests.tui.states.sandbox_app`: the app talking to an in-process sandbox."""
    return sandbox_app
