"""Fixtures for the TUI: the sandbox mounted in-process, sample files, no blinking cursors."""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

import httpx
import pytest
from textual.widgets import Input, TextArea

from kombo_tui.sandbox.app import SandboxConfig, create_app
from kombo_tui.tui.app import KomboApp

from .states import PDF, SIZE, DropAfterSend, fields_ready  # noqa: F401 - re-exported for the tests


@pytest.fixture(autouse=True)
def _no_blink(monkeypatch: pytest.MonkeyPatch) -> None:
    """Cursors stay still so screenshots are deterministic."""
    monkeypatch.setattr(Input.cursor_blink, "_default", False)
    monkeypatch.setattr(TextArea.cursor_blink, "_default", False)


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
    """A KomboApp talking to an in-process sandbox (``wrap`` can wrap its transport).

    ``app.sandbox_state.store`` holds what the sandbox stored.
    """

    def make(
        *,
        config: SandboxConfig | None = None,
        wrap: Callable[[httpx.AsyncBaseTransport], httpx.AsyncBaseTransport] | None = None,
        **kwargs: Any,
    ) -> KomboApp:
        server = create_app(config or SandboxConfig())
        transport: httpx.AsyncBaseTransport = httpx.ASGITransport(app=server)
        if wrap is not None:
            transport = wrap(transport)
        kwargs.setdefault("sandbox", True)
        app = KomboApp(transport=transport, **kwargs)
        app.sandbox_state = server.state.sandbox  # type: ignore[attr-defined]
        return app

    return make
