"""Secret hygiene in the app: the key is on no screen, in no export and in no history row."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import httpx
import pytest
from textual.widgets import Input

from kombo_tui.core.config.file import exports_dir
from kombo_tui.core.config.settings import config_path, load_settings
from kombo_tui.sandbox.app import SandboxConfig, create_app
from kombo_tui.sandbox.data import DEFAULT_INTEGRATION_ID, dataset
from kombo_tui.tui.app import make_app

CANARY = "sk_LEAKCANARY_tui_4d2b8e"
PDF = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"


async def _settle(pilot: Any, delay: float = 0.4) -> None:
    await pilot.pause(delay)
    await pilot.app.workers.wait_for_complete()
    await pilot.pause()


def _files_without_canary(*roots: Path, allowed: set[Path] = frozenset()) -> None:  # type: ignore[assignment]
    for root in roots:
        for path in root.rglob("*"):
            if path.is_file() and path not in allowed:
                assert CANARY.encode() not in path.read_bytes(), path


async def test_key_is_on_no_screen_export_or_history(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, _isolated_env: Path
) -> None:
    monkeypatch.chdir(tmp_path)
    (tmp_path / "Jane_Doe_CV.pdf").write_bytes(PDF)
    monkeypatch.setenv("KOMBO_API_KEY", CANARY)
    monkeypatch.setenv("KOMBO_BASE_URL", "http://127.0.0.1:9/v1")
    server = create_app(SandboxConfig(api_key=CANARY))
    app = make_app(load_settings(), transport=httpx.ASGITransport(app=server), integration=DEFAULT_INTEGRATION_ID)
    screens: list[str] = []
    async with app.run_test(size=(140, 45)) as pilot:
        await _settle(pilot)
        screens.append(app.export_screenshot())
        app.screen.query_one("#application", Input).value = dataset(DEFAULT_INTEGRATION_ID).live_applications[0].id
        app.screen.query_one("#path", Input).value = "Jane_Doe_CV.pdf"
        await _settle(pilot)
        for key in ("f6", "f7"):  # full body, curl export
            await pilot.press(key)
            await _settle(pilot, 0.2)
            screens.append(app.export_screenshot())
        await pilot.press("ctrl+s")
        await pilot.pause()
        screens.append(app.export_screenshot())  # the confirm dialog
        await pilot.press("enter")
        await _settle(pilot)
        screens.append(app.export_screenshot())
        assert "sent" in screens[-1].lower()
        await pilot.press("f9")
        await _settle(pilot, 0.2)
        screens.append(app.export_screenshot())
    for screen in screens:
        assert CANARY not in screen
    script = exports_dir() / "kombo-upload.sh"
    assert script.exists(), "the curl export did not run"
    assert "$KOMBO_API_KEY" in script.read_text()
    _files_without_canary(tmp_path, _isolated_env)


async def test_first_run_masks_the_key_and_stores_it_0600(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, _isolated_env: Path
) -> None:
    # Hermetic: once the key is saved the app checks the integration; let that meet a closed
    # loopback port instead of Kombo's host.
    monkeypatch.setenv("KOMBO_BASE_URL", "http://127.0.0.1:9/v1")
    app = make_app(load_settings(), integration=DEFAULT_INTEGRATION_ID)
    async with app.run_test(size=(140, 45)) as pilot:
        await pilot.pause()
        key_input = app.screen.query_one("#api-key", Input)
        key_input.focus()
        await pilot.press(*CANARY)
        await pilot.pause()
        assert CANARY not in app.export_screenshot()
        await pilot.press("ctrl+s")
        await pilot.pause(0.3)  # the main screen is up; its checks may go on (and fail) without us
        assert CANARY not in app.export_screenshot()
    path = config_path()
    assert CANARY in path.read_text()
    assert oct(os.stat(path).st_mode & 0o777) == "0o600"
    _files_without_canary(tmp_path, _isolated_env, allowed={path})
