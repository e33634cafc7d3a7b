"""Every key answers where the user is looking, "nothing to do yet" included.

``run_test`` turns notifications off, so each answer must be in a widget: a screen that opens,
the Result panel (its first line says what the key did or why it had nothing to do), or the
Target panel. Every F-key is pressed on an empty form and on a filled one.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import httpx
import pytest
from textual import events
from textual.pilot import Pilot
from textual.widgets import Input

from kombo_tui.sandbox.app import SandboxConfig
from kombo_tui.tui.app import KomboApp
from kombo_tui.tui.screens.picker import ApplicationPicker
from kombo_tui.tui.text import plain

from .states import GREENHOUSE, SIZE, first_application, settle
from .test_flow import fill, main_screen, text_of

F_KEYS = ("f1", "f2", "f3", "f4", "f5", "f6", "f7", "f8", "f9", "f10", "f12")


def _visible(app: KomboApp) -> tuple[object, ...]:
    """What the user sees change after a key: the screen, the focus, the Result and Target panels."""
    screen = main_screen(app)
    return (
        app.screen,
        app.focused,
        text_of(app, "#result-text"),
        text_of(app, "#integration-status"),
        str(screen.query_one("#target-attachments").render()),
        screen.query_one("#candidate", Input).display,
    )


async def _answers(pilot: Pilot[Any], key: str) -> None:
    app = pilot.app
    assert isinstance(app, KomboApp)
    before = _visible(app)
    await pilot.press(key)
    await settle(pilot)
    assert _visible(app) != before, f"{key} changed nothing the user can see"


@pytest.mark.parametrize("key", F_KEYS)
async def test_every_f_key_answers_on_an_empty_form(key: str, make_app: Callable[..., KomboApp]) -> None:
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        await _answers(pilot, key)


@pytest.mark.parametrize("key", F_KEYS)
async def test_every_f_key_answers_on_a_filled_form(
    key: str, files: Path, make_app: Callable[..., KomboApp]
) -> None:
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        await fill(pilot, GREENHOUSE, first_application(GREENHOUSE), "Jane_Doe_CV.pdf")
        main_screen(app).query_one("#path", Input).focus()
        await _answers(pilot, key)


@pytest.mark.parametrize(
    ("key", "said"),
    [
        ("f3", "Enter the integration id first"),
        ("f5", "Nothing to verify yet"),
        ("f6", "Full body on: the Payload panel shows it once a file is chosen"),
        ("f7", "Nothing to export yet"),
        ("f8", "No log URL to copy"),
        ("f12", "Nothing to list yet: enter the integration and the application id"),
    ],
)
async def test_nothing_to_do_yet_is_said_in_the_result_panel(
    key: str, said: str, make_app: Callable[..., KomboApp]
) -> None:
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        main_screen(app).query_one("#integration", Input).value = ""  # the sandbox fills one in
        await settle(pilot)
        await pilot.press(key)
        await settle(pilot)
        assert app.screen is main_screen(app)
        first = text_of(app, "#result-text").splitlines()[0]
        assert said in first, first


async def test_export_and_copy_answer_on_the_result_panels_first_line(
    files: Path, make_app: Callable[..., KomboApp]
) -> None:
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        screen = await fill(pilot, GREENHOUSE, first_application(GREENHOUSE), "Jane_Doe_CV.pdf")
        await pilot.press("f7")
        await settle(pilot)
        assert text_of(app, "#result-text").splitlines()[0].startswith("✓ curl copied to the clipboard")
        assert "curl copied" not in str(screen.query_one("#payload-body").render())
        # F6 on a small file shows it, and says so where the user looks.
        await pilot.press("f6")
        await settle(pilot)
        assert "whole base64 is shown" in text_of(app, "#result-text").splitlines()[0]
        # A new result replaces the last key's answer.
        await pilot.press("ctrl+s")
        await pilot.pause()
        await pilot.press("enter")
        await settle(pilot)
        assert screen.result.kind == "sent" and screen.answer == ()
        assert text_of(app, "#result-text").startswith("✓ Sent") or "Sent" in text_of(app, "#result-text").splitlines()[0]


async def test_f8_copies_a_log_url_and_says_so(files: Path, make_app: Callable[..., KomboApp]) -> None:
    integration = "teamtailor:sandbox-inactive"  # uploads fail with a log_url
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        screen = await fill(pilot, integration, first_application(integration), "Jane_Doe_CV.pdf")
        await pilot.press("ctrl+s")
        await pilot.pause()
        await pilot.press("enter")
        await settle(pilot)
        assert screen.result.kind == "error" and screen.result.log_url
        await pilot.press("f8")
        await settle(pilot)
        assert app.clipboard == screen.result.log_url
        assert plain(screen.answer) == "✓ log URL copied to the clipboard"
        assert text_of(app, "#result-text").splitlines()[0] == "✓ log URL copied to the clipboard"
        # The panel's Copy button says so in the same place (not in a toast).
        app.copy_to_clipboard("")
        screen.answer = ()
        from textual.widgets import Button

        screen.query_one("#copy-log", Button).press()
        await settle(pilot)
        assert app.clipboard == screen.result.log_url
        assert text_of(app, "#result-text").splitlines()[0] == "✓ log URL copied to the clipboard"


async def test_keys_typed_right_after_f3_go_to_the_picker(make_app: Callable[..., KomboApp]) -> None:
    """Posted at once, as a terminal delivers a fast typist's keys (Pilot waits between keys)."""
    app = make_app(config=SandboxConfig(latency=0.2), integration=GREENHOUSE)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot, 0.3)
        for key, character in (("f3", None), ("j", "j"), ("a", "a"), ("n", "n")):
            app.post_message(events.Key(key, character))
        await settle(pilot, 0.3)
        picker = app.screen
        assert isinstance(picker, ApplicationPicker)
        assert picker.query_one("#filter", Input).value == "jan"
        assert main_screen(app).query_one("#integration", Input).value == GREENHOUSE
        assert "loaded" in picker.status_text and "match" in picker.status_text


# ---------------------------------------------------------------------- wording


async def test_the_app_names_its_own_fields_not_the_clis_flags(files: Path, make_app: Callable[..., KomboApp]) -> None:
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        screen = await fill(pilot, GREENHOUSE, "", "Jane_Doe_CV.pdf")
        screen.query_one("#name", Input).value = ""
        await settle(pilot)
        await pilot.press("ctrl+s")
        await settle(pilot)
        said = text_of(app, "#result-text")
        assert "no application id given (the Application field, or F3)" in said, said
        assert "--" not in said
        await pilot.press("f2")  # to the candidate: the candidate's id is what is missing
        await settle(pilot)
        await pilot.press("ctrl+s")
        await settle(pilot)
        said = text_of(app, "#result-text")
        assert "candidate: no candidate id given (the Candidate field, or F3)" in said and "application" not in said


async def test_a_missing_permission_is_said_in_the_target_panel_and_in_confirm(
    files: Path, make_app: Callable[..., KomboApp]
) -> None:
    integration = "recruitee:sandbox-no-permission"
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        await fill(pilot, integration, first_application(integration), "Jane_Doe_CV.pdf")
        status = text_of(app, "#integration-status")
        assert "attachments ✗ not available (no Add attachments permission" in status and "(supported)" not in status
        await pilot.press("ctrl+s")
        await settle(pilot)
        assert app.screen.id == "confirm"
        said = str(app.screen.query_one(".dialog-body").render())
        assert "Attachments are not available for this integration (no Add attachments permission" in said


class FailApplications(httpx.AsyncBaseTransport):
    """``GET /ats/applications`` answers with Kombo's error envelope (no retry for a 400)."""

    def __init__(self, inner: httpx.AsyncBaseTransport) -> None:
        self.inner = inner

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        if request.method == "GET" and request.url.path.endswith("/ats/applications"):
            error = {"code": "PLATFORM.INPUT_INVALID", "title": "Invalid", "message": "no such page", "log_url": None}
            return httpx.Response(400, json={"status": "error", "error": error})
        return await self.inner.handle_async_request(request)


async def test_a_load_error_in_the_picker_offers_to_try_again_not_more_on_the_server(
    make_app: Callable[..., KomboApp]
) -> None:
    app = make_app(integration=GREENHOUSE, wrap=FailApplications)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot, 0.2)
        await pilot.press("f3")
        await settle(pilot, 0.1)
        picker = app.screen
        assert isinstance(picker, ApplicationPicker)
        assert "✗" in picker.status_text and "no such page" in picker.status_text
        assert "ctrl+l tries again" in picker.status_text and "more on the server" not in picker.status_text


async def test_the_sandbox_lists_its_integrations_while_none_is_given(make_app: Callable[..., KomboApp]) -> None:
    from kombo_tui.sandbox.data import INTEGRATIONS

    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        main_screen(app).query_one("#integration", Input).value = ""
        await settle(pilot)
        said = text_of(app, "#integration-status").replace("\n", " ")
        assert said.startswith("Sandbox integrations") and all(i.id in said for i in INTEGRATIONS)


def test_sandbox_help_lists_the_integrations(capsys: pytest.CaptureFixture[str]) -> None:
    from kombo_tui.cli.parser import build_parser
    from kombo_tui.sandbox.data import INTEGRATIONS

    with pytest.raises(SystemExit):
        build_parser().parse_args(["sandbox", "--help"])
    shown = capsys.readouterr().out
    assert all(f"  {i.id} " in shown for i in INTEGRATIONS) and "sk_sandbox_kombo_tui_demo" in shown
