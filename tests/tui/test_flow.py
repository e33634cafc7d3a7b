"""The whole flow driven with Pilot against the in-process sandbox."""

from __future__ import annotations

import asyncio
import io
import os
import stat
from collections.abc import Callable
from dataclasses import replace
from pathlib import Path
from typing import Any

import httpx
import pytest
from textual.app import App
from textual.pilot import Pilot
from textual.widgets import Input, Static

from kombo_tui.core.config.file import exports_dir
from kombo_tui.sandbox.data import dataset
from kombo_tui.tui.app import KomboApp, make_app
from kombo_tui.tui.commands import EXTRA
from kombo_tui.tui.screens.main import MainScreen
from kombo_tui.tui.screens.picker import ApplicationPicker
from kombo_tui.tui.state import upload_key
from kombo_tui.tui.text import plain
from kombo_tui.tui.widgets.keybar import KeyBar
from kombo_tui.tui.widgets.virtual_table import VirtualTable

from .states import GREENHOUSE, SIZE, DropAfterSend, first_application, settle


def main_screen(app: App[Any]) -> MainScreen:
    assert isinstance(app, KomboApp)
    return app._main_screen()


def text_of(app: KomboApp, selector: str) -> str:
    widget = main_screen(app).query_one(selector, Static)
    return str(widget.render())


async def fill(pilot: Pilot[Any], integration: str, application: str, path: str) -> MainScreen:
    screen = main_screen(pilot.app)
    screen.query_one("#integration", Input).value = integration
    await settle(pilot)
    screen.query_one("#application", Input).value = application
    screen.query_one("#path", Input).value = path
    await settle(pilot)
    return screen


async def send(pilot: Pilot[Any]) -> None:
    await pilot.press("ctrl+s")
    await pilot.pause()
    assert pilot.app.screen.id == "confirm"
    await pilot.press("enter")
    await settle(pilot)


def _as_picked(picked: Any) -> Any:
    """The screen's pick as the picker's row has it (the screen adds the integration it was picked under)."""
    assert picked is not None and picked.integration_id == GREENHOUSE
    return replace(picked, integration_id=None)


async def open_picker(pilot: Pilot[Any], query: str = "") -> ApplicationPicker:
    await settle(pilot)
    await pilot.press("f3")
    await settle(pilot)
    picker = pilot.app.screen
    assert isinstance(picker, ApplicationPicker)
    if query:
        await pilot.press(*query)
        await pilot.pause()
    return picker


async def test_success(files: Path, make_app: Callable[..., KomboApp]) -> None:
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        screen = await fill(pilot, GREENHOUSE, first_application(GREENHOUSE), "Jane_Doe_CV.pdf")
        assert screen.integration_view.details is not None
        assert "Greenhouse" in text_of(app, "#integration-status")
        assert "Limits" in text_of(app, "#integration-limits")
        assert screen.file_view.state == "ready"
        assert screen.file_view.sniffed is not None and screen.file_view.sniffed.mime == "application/pdf"
        assert screen.prepared is not None and screen.prepared.type.value == "CV"  # suggested from the name
        await send(pilot)
        assert screen.result.kind == "sent", screen.result
        assert "Sent Jane_Doe_CV.pdf" in text_of(app, "#result-text")
        # Greenhouse without On-Behalf-Of: the sandbox answers with a warning, shown inline.
        assert screen.result.warnings
        assert "On-Behalf-Of" in text_of(app, "#result-text")
        # Verify finds it.
        await pilot.press("f5")
        await settle(pilot)
        assert screen.result.verification_found is True


async def test_fallback_warning_for_unsupported_tool(files: Path, make_app: Callable[..., KomboApp]) -> None:
    integration = "personio:sandbox-personio"
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        screen = await fill(pilot, integration, first_application(integration), "Jane_Doe_CV.pdf")
        status = text_of(app, "#integration-status")
        assert "attachments → candidate" in status and "Personio cannot attach to applications" in status
        assert "not available" not in status and "✗" not in status
        await send(pilot)
        assert screen.result.kind == "sent"
        assert any("candidate" in w for w in screen.result.warnings), screen.result.warnings


async def test_real_unavailability_still_says_not_available(files: Path, make_app: Callable[..., KomboApp]) -> None:
    integration = "recruitee:sandbox-no-permission"
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        await fill(pilot, integration, first_application(integration), "Jane_Doe_CV.pdf")
        status = text_of(app, "#integration-status")
        assert "attachments ✗ not available" in status and "→ candidate" not in status


@pytest.mark.parametrize(
    ("integration", "code"),
    [
        ("teamtailor:sandbox-inactive", "INTEGRATION.INACTIVE"),
        ("recruitee:sandbox-no-permission", "INTEGRATION.PERMISSION_MISSING"),
    ],
)
async def test_api_error_shows_code_log_url_and_hint(
    files: Path, make_app: Callable[..., KomboApp], integration: str, code: str
) -> None:
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        screen = await fill(pilot, integration, first_application(integration), "Jane_Doe_CV.pdf")
        await pilot.press("ctrl+s")
        await pilot.pause()
        if app.screen.id == "confirm":
            await pilot.press("enter")
        await settle(pilot)
        result = screen.result
        assert result.kind == "error", result
        assert result.code == code
        assert result.log_url and result.log_url.startswith("http")
        shown = text_of(app, "#result-text")
        assert code in shown and result.hint and result.hint in shown
        assert screen.query_one("#log-url").display
        await pilot.press("f8")
        assert app.clipboard == result.log_url


async def test_transport_failure_is_unknown_then_verify_and_resend_asks(
    files: Path, make_app: Callable[..., KomboApp]
) -> None:
    app = make_app(wrap=DropAfterSend)
    async with app.run_test(size=SIZE) as pilot:
        screen = await fill(pilot, GREENHOUSE, first_application(GREENHOUSE), "Jane_Doe_CV.pdf")
        await send(pilot)
        assert screen.result.kind == "unknown", screen.result
        assert screen.result.can_verify
        assert "unknown" in text_of(app, "#result-text").lower()
        assert screen.query_one("#verify").display
        await pilot.press("f5")
        await settle(pilot)
        assert screen.result.verification_found is True
        assert "landed" in (screen.result.verification or "")
        # Resending the same file after an unknown outcome asks first (verified: flag cleared).
        assert screen.prepared is not None
        screen.send_flow.last_send = replace(screen.last_send, unknown_key=upload_key(screen.prepared))
        screen._show_send()
        await pilot.press("ctrl+s")
        await pilot.pause()
        assert app.screen.id == "resend"
        await pilot.press("escape")
        await pilot.pause()
        assert app.screen is screen


class SlowPost(httpx.AsyncBaseTransport):
    def __init__(self, inner: httpx.AsyncBaseTransport) -> None:
        self.inner = inner

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        if request.method == "POST":
            await asyncio.sleep(30)
        return await self.inner.handle_async_request(request)


async def _upload_in_flight(pilot: Pilot[Any]) -> MainScreen:
    """Fill the form, confirm, and leave the (slow) upload running."""
    screen = await fill(pilot, GREENHOUSE, first_application(GREENHOUSE), "Jane_Doe_CV.pdf")
    await pilot.press("ctrl+s")
    await pilot.pause()
    await pilot.press("enter")
    await pilot.pause(0.1)
    assert screen.sending
    return screen


async def test_cancel_and_no_second_submit(files: Path, make_app: Callable[..., KomboApp]) -> None:
    app = make_app(wrap=SlowPost)
    async with app.run_test(size=SIZE) as pilot:
        screen = await _upload_in_flight(pilot)
        assert screen.result.kind == "sending"
        assert screen.query_one("#progress").display
        await pilot.press("ctrl+s")  # ignored while one is in flight
        await pilot.pause()
        assert app.screen is screen
        await pilot.press("escape")
        await settle(pilot)
        assert not screen.sending
        assert screen.result.kind in ("cancelled", "unknown")


async def test_quit_during_an_upload_asks_and_says_what_becomes_unknown(
    files: Path, make_app: Callable[..., KomboApp]
) -> None:
    app = make_app(wrap=SlowPost)
    async with app.run_test(size=SIZE) as pilot:
        screen = await _upload_in_flight(pilot)
        await pilot.press("ctrl+q")
        await pilot.pause()
        assert app.screen.id == "quit-dialog" and app.is_running
        said = str(app.screen.query_one(".dialog-body", Static).render())
        assert "An upload is in flight" in said and "unknown" in said
        await pilot.press("enter")  # "Keep sending" has the focus
        await pilot.pause()
        assert app.screen is screen and screen.sending and app.is_running
        await pilot.press("ctrl+q")
        await pilot.pause()
        await pilot.click("#choice-quit")
        await pilot.pause()
    assert app.return_code == 0 and not app.is_running


async def test_quit_with_nothing_in_flight_does_not_ask(make_app: Callable[..., KomboApp]) -> None:
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        await pilot.press("ctrl+q")
        await pilot.pause()
    assert app.return_code == 0 and not app.is_running


@pytest.mark.parametrize(
    ("path", "expected"),
    [("empty.pdf", "empty"), ("folder", "folder"), ("missing.pdf", "no file")],
)
async def test_bad_file(files: Path, make_app: Callable[..., KomboApp], path: str, expected: str) -> None:
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        screen = await fill(pilot, GREENHOUSE, first_application(GREENHOUSE), path)
        await pilot.pause(0.8)
        assert screen.file_view.state == "error"
        assert expected in text_of(app, "#file-info").lower()
        await pilot.press("ctrl+s")
        await settle(pilot)
        assert app.screen is screen  # no confirm: nothing to send
        assert screen.result.kind == "invalid"
        assert "file" in text_of(app, "#result-text")


async def test_bad_content_type(files: Path, make_app: Callable[..., KomboApp]) -> None:
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        screen = await fill(pilot, GREENHOUSE, first_application(GREENHOUSE), "Jane_Doe_CV.pdf")
        screen.query_one("#content-type", Input).value = "pdf"
        await settle(pilot)
        assert screen.query_one("#content-type").has_class("-invalid")
        assert "not a MIME type" in text_of(app, "#content-type-note")
        await pilot.press("ctrl+s")
        await settle(pilot)
        assert app.screen is screen
        assert screen.result.kind == "invalid"
        assert "content_type" in text_of(app, "#result-text")


async def test_invalid_remote_json_blocks_send(files: Path, make_app: Callable[..., KomboApp]) -> None:
    from textual.widgets import TextArea

    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        screen = await fill(pilot, GREENHOUSE, first_application(GREENHOUSE), "Jane_Doe_CV.pdf")
        screen.query_one("#raw-json", TextArea).text = '{"oracle": {"override_document_category": "NOPE"}}'
        await settle(pilot)
        assert "NOPE" in text_of(app, "#raw-note")
        await pilot.press("ctrl+s")
        await settle(pilot)
        assert screen.result.kind == "invalid"
        screen.query_one("#raw-json", TextArea).text = '{"oracle": {"override_document_category": "MISC"}}'
        await settle(pilot)
        assert screen.prepared is not None and screen.prepared.remote_fields == {
            "oracle": {"override_document_category": "MISC"}
        }


async def test_picker_filter_email_search_and_id(files: Path, make_app: Callable[..., KomboApp]) -> None:
    data = dataset(GREENHOUSE)
    target = data.live_applications[5]
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        screen = main_screen(app)
        await settle(pilot)
        await pilot.press("f3")
        await settle(pilot)
        picker = app.screen
        assert picker.id == "picker"
        table = picker.query_one("#apps", VirtualTable)
        assert table.row_count == len(data.live_applications)
        # Type to filter (local, by name).
        await pilot.press(*target.candidate.last_name.lower())
        await pilot.press(*f" {target.candidate.first_name}".lower())
        await pilot.pause()
        assert 1 <= table.row_count < len(data.live_applications)
        rows = [picker._picked_at(i) for i in range(table.row_count)]  # type: ignore[attr-defined]
        table.move_cursor(row=[r.id for r in rows].index(target.id))
        await pilot.press("enter")  # from the filter: the highlighted row
        await pilot.pause()
        assert app.screen is screen
        assert screen.draft.application_id == target.id
        assert screen.picked is not None and screen.picked.candidate == f"{target.candidate.first_name} {target.candidate.last_name}"
        assert target.candidate.first_name in text_of(app, "#application-info")
        await pilot.pause()
        assert app.focused is screen.query_one("#path", Input)  # the next step: the file
        await pilot.press(*"typed")
        assert screen.query_one("#path", Input).value == "typed"
        screen.query_one("#path", Input).value = ""

        # Email search on the server.
        by_email = await open_picker(pilot)
        by_email.query_one("#filter", Input).value = target.candidate.email.upper()
        await pilot.press("f4")
        await settle(pilot)
        assert by_email.query_one("#apps", VirtualTable).row_count >= 1
        assert "server" in by_email.status_text

        # Text that matches nothing is never taken as an id by Enter (it may be a name) ...
        by_email.query_one("#filter", Input).value = "some-pasted-id"
        by_email.query_one("#filter", Input).focus()
        await pilot.pause()
        await pilot.press("enter")
        await pilot.pause()
        assert app.screen is by_email and "F2 uses the text as an application id" in by_email.status_text
        # ... only F2 takes it.
        await pilot.press("f2")
        await pilot.pause()
        assert app.screen is screen
        assert screen.draft.application_id == "some-pasted-id"


async def test_dropped_path_is_unquoted(files: Path, make_app: Callable[..., KomboApp]) -> None:
    (files / "My CV.pdf").write_bytes(b"%PDF-1.4\n%%EOF\n")
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        screen = main_screen(app)
        await settle(pilot)
        screen.query_one("#path", Input).value = "'My CV.pdf'"
        await settle(pilot)
        assert screen.query_one("#path", Input).value == "My CV.pdf"
        assert screen.file_view.state == "ready"
        screen.query_one("#path", Input).value = "My\\ CV.pdf "
        await settle(pilot)
        assert screen.file_view.state == "ready"
        assert screen.query_one("#name", Input).value == "My CV.pdf"


async def test_export_curl_never_includes_the_key(files: Path, make_app: Callable[..., KomboApp]) -> None:
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        screen = await fill(pilot, GREENHOUSE, "app/../x?y", "Jane_Doe_CV.pdf")
        await pilot.press("f7")
        await settle(pilot)
        exports = exports_dir()
        script = (exports / "kombo-upload.sh").read_text()
        assert "$KOMBO_API_KEY" in script
        assert "sk_sandbox" not in script
        assert "app%2F..%2Fx%3Fy" in script
        # The exports folder, never the working directory; the command names the body wherever it runs.
        assert app.clipboard and f"--data-binary @{exports}/kombo-upload.json" in app.clipboard
        assert (exports / "kombo-upload.json").stat().st_size == screen.prepared.content_length  # type: ignore[union-attr]
        assert not list(files.glob("kombo-upload*"))
        assert "copied" in plain(screen.answer) and "curl copied" in text_of(app, "#result-text")
        assert str(exports) in plain(screen.answer)


async def test_full_body_toggle(files: Path, make_app: Callable[..., KomboApp]) -> None:
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        screen = await fill(pilot, GREENHOUSE, first_application(GREENHOUSE), "Jane_Doe_CV.pdf")
        from kombo_tui.tui.widgets.payload import PayloadPanel

        panel = screen.query_one(PayloadPanel)
        assert "<base64 of" in panel.text
        await pilot.press("f6")
        await pilot.pause()
        assert "<base64 of" not in panel.text
        assert '"data": "JVBER' in panel.text


async def test_first_run_saves_key_0600(files: Path) -> None:
    from kombo_tui.core.config.settings import config_path, load_settings, read_config

    app = make_app(load_settings())
    async with app.run_test(size=SIZE) as pilot:
        await pilot.pause()
        assert app.screen.id == "first-run-screen"
        app.screen.query_one("#api-key", Input).value = "sk_test_123"
        await pilot.press("ctrl+s")
        await pilot.pause()
        assert isinstance(app.screen, MainScreen)
        assert read_config()["api_key"] == "sk_test_123"
        assert stat.S_IMODE(os.stat(config_path()).st_mode) == 0o600
        assert app.session.connection.environment.key_source == "config"
        assert "sk_test_123" not in str(app.screen.query_one("#header").render())


async def test_first_run_can_open_the_sandbox(files: Path) -> None:
    from kombo_tui.core.config.settings import load_settings

    app = make_app(load_settings())
    async with app.run_test(size=SIZE) as pilot:
        await pilot.pause()
        await pilot.press("f9")
        await pilot.pause()
        assert app.session.connection.sandbox
        assert app.session.connection.environment.label == "SANDBOX"


async def test_help_and_command_palette(files: Path, make_app: Callable[..., KomboApp]) -> None:
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        await pilot.press("f1")
        await pilot.pause()
        assert app.screen.id == "help"
        text = str(app.screen.query_one("#help-text", Static).render())
        for words in ("Send", "Verify", "Pick application", "Export curl", "Search email on server"):
            assert words in text
        await pilot.press("escape")
        await pilot.pause()
        await pilot.press("ctrl+p")
        await pilot.pause()
        await pilot.press(*"export")
        await pilot.pause(0.3)
        from textual.command import CommandPalette

        assert isinstance(app.screen, CommandPalette)


async def test_key_bar_follows_the_bindings_and_its_keys_click(
    files: Path, make_app: Callable[..., KomboApp]
) -> None:
    app = make_app(wrap=SlowPost)
    async with app.run_test(size=SIZE) as pilot:
        screen = await fill(pilot, GREENHOUSE, first_application(GREENHOUSE), "Jane_Doe_CV.pdf")
        bar = screen.query_one(KeyBar)
        line = bar.render().plain
        assert line.startswith(" f1 Help  f3 Pick application") and line.rstrip().endswith("▏^p palette")
        assert "Cancel upload" not in line and len(line) == SIZE[0]
        await pilot.press("ctrl+s")
        await pilot.pause()
        await pilot.press("enter")
        await pilot.pause(0.1)
        assert screen.sending
        sending = bar.render()
        assert "esc Cancel upload" in sending.plain
        send_at = sending.plain.index("^s Send")
        assert any(span.style.dim for span in sending.spans if span.start <= send_at < span.end)  # type: ignore[union-attr]
        await pilot.press("escape")
        await settle(pilot)
        assert "Cancel upload" not in bar.render().plain
        # A click on a key is that key.
        await pilot.click(KeyBar, offset=(2, 0))
        await pilot.pause()
        assert app.screen.id == "help"


async def test_typing_in_the_picker_table_goes_on_filtering(
    files: Path, make_app: Callable[..., KomboApp]
) -> None:
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        await pilot.press("f3")
        await settle(pilot)
        picker = app.screen
        table = picker.query_one("#apps", VirtualTable)
        await pilot.press("down")  # to the table
        await pilot.pause()
        assert table.has_focus
        await pilot.press(*"felix", "x", "backspace")
        await pilot.pause()
        search = picker.query_one("#filter", Input)
        assert search.value == "felix" and search.has_focus
        assert 1 <= table.row_count < 60


@pytest.mark.parametrize("query", ["", "engineer"])
async def test_enter_in_the_picker_filter_takes_the_highlighted_match(
    files: Path, make_app: Callable[..., KomboApp], query: str
) -> None:
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        screen = main_screen(app)
        picker = await open_picker(pilot, query)
        assert picker.query_one("#apps", VirtualTable).row_count > 1 and picker.query_one("#filter").has_focus
        first = picker._picked_at(0)
        await pilot.press("enter")
        await pilot.pause()
        assert app.screen is screen and _as_picked(screen.picked) == first


async def test_enter_in_the_picker_filter_takes_the_row_the_cursor_is_on(
    files: Path, make_app: Callable[..., KomboApp]
) -> None:
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        screen = main_screen(app)
        picker = await open_picker(pilot, "engineer")
        picker.query_one("#apps", VirtualTable).move_cursor(2)
        third = picker._picked_at(2)
        await pilot.press("enter")
        await pilot.pause()
        assert _as_picked(screen.picked) == third


async def test_down_from_the_picker_filter_lands_on_the_first_row(
    files: Path, make_app: Callable[..., KomboApp]
) -> None:
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        screen = main_screen(app)
        picker = await open_picker(pilot, "engineer")
        table = picker.query_one("#apps", VirtualTable)
        first = picker._picked_at(0)
        await pilot.press("down")
        await pilot.pause()
        assert table.has_focus and table.cursor == 0
        await pilot.press("enter")
        await pilot.pause()
        assert _as_picked(screen.picked) == first


@pytest.mark.parametrize(("title", "selector"), [(title, action.split("'")[1]) for title, _, action in EXTRA])
async def test_focus_commands_move_the_focus(
    files: Path, make_app: Callable[..., KomboApp], title: str, selector: str
) -> None:
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        screen = main_screen(app)
        await settle(pilot)
        screen.query_one("#add-path").focus()  # somewhere else first
        await pilot.pause()
        assert not screen.query_one(selector).has_focus
        action = next(action for name, _, action in EXTRA if name == title)
        await screen.run_action(action)
        await pilot.pause()
        assert screen.query_one(selector).has_focus


async def test_a_focus_command_from_the_palette_moves_the_focus(
    files: Path, make_app: Callable[..., KomboApp]
) -> None:
    from textual.command import CommandPalette

    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        screen = main_screen(app)
        await settle(pilot)
        await pilot.press("ctrl+p")
        await pilot.pause()
        await pilot.press(*"Focus content type")
        await pilot.pause(0.3)
        palette_open = isinstance(app.screen, CommandPalette)
        assert palette_open
        await pilot.press("enter")
        await settle(pilot, 0.1)
        assert app.screen is screen
        assert screen.query_one("#content-type").has_focus


async def test_every_panel_mounts_its_fields_after_the_first_frame(
    files: Path, make_app: Callable[..., KomboApp]
) -> None:
    from kombo_tui.tui.widgets.common import Panel

    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        panels = main_screen(app).walk_children(Panel)
        assert [type(p).__name__ for p in panels] == [
            "TargetPanel", "FilePanel", "AttachmentPanel", "RemoteFieldsPanel", "PayloadPanel", "ResultPanel"
        ]
        assert all(p.fields_mounted and not p.has_class("-pending") for p in panels)
        assert main_screen(app).query_one("#result-text").display  # the first frame's line stays


async def test_result_panel_keeps_its_rows_on_tall_screens_and_gives_them_back_on_short_ones(
    files: Path, make_app: Callable[..., KomboApp]
) -> None:
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        panel = main_screen(app).query_one("#result-panel")
        guide = panel.query_one("#result-guide")
        assert panel.outer_size.height == 8 and guide.display  # idle: the guide fills the rows
        await pilot.resize_terminal(80, 24)
        await settle(pilot)
        assert main_screen(app).has_class("-short")
        assert panel.outer_size.height == 3 and not guide.display
        await pilot.resize_terminal(*SIZE)
        await settle(pilot)
        assert panel.outer_size.height == 8 and guide.display


async def test_ctrl_o_chooses_the_file_in_a_dialog(files: Path, make_app: Callable[..., KomboApp]) -> None:
    from textual_fspicker import FileOpen

    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        screen = await fill(pilot, GREENHOUSE, first_application(GREENHOUSE), "")
        await pilot.press("ctrl+o")
        await pilot.pause(0.3)  # not settle(): the dialog's worker waits for the choice
        dialog = app.screen
        assert isinstance(dialog, FileOpen)
        dialog.query_one(Input).value = "cover-letter.pdf"
        dialog.query_one(Input).focus()
        await pilot.press("enter")
        await settle(pilot, 0.3)
        assert app.screen is screen
        assert Path(screen.query_one("#path", Input).value).name == "cover-letter.pdf"
        assert screen.file_view.state == "ready"
        assert screen.prepared is not None and screen.prepared.name == "cover-letter.pdf"


async def test_data_url_source_builds_a_request_without_data(
    files: Path, make_app: Callable[..., KomboApp]
) -> None:
    from textual.widgets import RadioButton

    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        screen = await fill(pilot, GREENHOUSE, first_application(GREENHOUSE), "")
        screen.query_one("#source-url", RadioButton).value = True
        await settle(pilot)
        assert screen.query_one("#data-url-row").display
        screen.query_one("#data-url", Input).value = "ftp://files.example.com/cv.pdf"
        screen.query_one("#name", Input).value = "cv.pdf"
        await settle(pilot)
        assert screen.prepared is None
        assert any("data_url" in p for p in screen.preview_problems)
        screen.query_one("#data-url", Input).value = "https://files.example.com/cv.pdf"
        await settle(pilot)
        upload = screen.prepared
        assert upload is not None and upload.data_url == "https://files.example.com/cv.pdf" and upload.file is None
        attachment = upload.preview()["attachment"]
        assert attachment["data_url"] == "https://files.example.com/cv.pdf" and "data" not in attachment
        from rich.console import Console

        console = Console(width=100, record=True, file=io.StringIO())
        console.print(screen.query_one("#payload-body", Static).content)
        shown = console.export_text()
        assert '"data_url": "https://files.example.com/cv.pdf"' in shown and '"data":' not in shown
        # The sandbox fetches only URLs its configuration allows (none here): Kombo's error comes back.
        await send(pilot)
        assert screen.result.kind == "error"
        assert screen.result.code == "PLATFORM.INPUT_INVALID"


async def test_first_run_offers_the_os_keychain_when_one_works(files: Path) -> None:
    """With a working keychain (keyring's API over an in-memory backend) the first-run screen
    offers it; the key lands there, the config file keeps only the mark, and the app uses it."""
    import keyring

    from kombo_tui.core.config.settings import load_settings, read_config
    from tests.security.test_keychain import MemoryKeyring

    before = keyring.get_keyring()
    backend = MemoryKeyring()
    keyring.set_keyring(backend)
    try:
        app = make_app(load_settings())
        async with app.run_test(size=SIZE) as pilot:
            await pilot.pause()
            assert app.screen.id == "first-run-screen"
            assert app.screen.query("#keychain")
            app.screen.query_one("#api-key", Input).value = "sk_test_keychain"
            await pilot.press("f8")
            await pilot.pause()
            assert isinstance(app.screen, MainScreen)
            assert "sk_test_keychain" in backend.items.values()
            config = read_config()
            assert config.get("key_in_keychain") is True and "api_key" not in config
            assert app.session.connection.environment.key_source == "keychain"
    finally:
        keyring.set_keyring(before)


async def test_first_run_without_a_keychain_offers_only_the_config_file(files: Path) -> None:
    import keyring
    from keyring.backends import fail

    from kombo_tui.core.config.settings import load_settings

    before = keyring.get_keyring()
    keyring.set_keyring(fail.Keyring())  # type: ignore[no-untyped-call]
    try:
        app = make_app(load_settings())
        async with app.run_test(size=SIZE) as pilot:
            await pilot.pause()
            assert not app.screen.query("#keychain")
            app.screen.query_one("#api-key", Input).value = "sk_test_123"
            await pilot.press("f8")  # does nothing without a keychain
            await pilot.pause()
            assert app.screen.id == "first-run-screen"
    finally:
        keyring.set_keyring(before)
