"""History in the TUI: every send is logged, resends are flagged, F9 lists and details them."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from pathlib import Path

import httpx
import pytest
from textual.widgets import Input, Static

from kombo_tui.core.history import History
from kombo_tui.tui.app import KomboApp
from kombo_tui.tui.widgets.virtual_table import VirtualTable

from .states import GREENHOUSE, SIZE, DropAfterSend, first_application, settle
from .test_flow import fill, main_screen, send


async def pick_first(pilot) -> None:  # type: ignore[no-untyped-def]
    await pilot.press("f3")
    await settle(pilot)
    await pilot.press("enter")  # takes the highlighted (first) row
    await pilot.pause()


def body_of(app: KomboApp) -> str:
    return str(app.screen.query_one(".dialog-body", Static).render())


async def test_send_is_logged_with_names_and_verify_result(files: Path, make_app: Callable[..., KomboApp]) -> None:
    history = History(files / "h.sqlite3")
    app = make_app(history=history)
    async with app.run_test(size=SIZE) as pilot:
        screen = await fill(pilot, GREENHOUSE, "", "Jane_Doe_CV.pdf")
        await pick_first(pilot)
        picked = screen.picked
        assert picked is not None and picked.candidate
        await send(pilot)
        assert screen.result.kind == "sent"
        [entry] = history.entries()
        assert (entry.outcome, entry.environment) == ("sent", "SANDBOX")
        assert (entry.candidate, entry.job, entry.application_id) == (picked.candidate, picked.job, picked.id)
        assert entry.file_name == "Jane_Doe_CV.pdf" and entry.type == "CV" and entry.sha256
        await pilot.press("f5")
        await settle(pilot)
        assert history.entries()[0].verified == "present"
        assert history.entries()[0].outcome == "sent"


async def test_default_history_is_in_the_data_dir(files: Path, make_app: Callable[..., KomboApp]) -> None:
    from kombo_tui.core.history import default_history_path

    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        await fill(pilot, GREENHOUSE, first_application(GREENHOUSE), "Jane_Doe_CV.pdf")
        await send(pilot)
    assert History(default_history_path()).entries()[0].outcome == "sent"


async def test_resend_of_the_same_file_is_flagged(files: Path, make_app: Callable[..., KomboApp]) -> None:
    history = History(files / "h.sqlite3")
    app = make_app(history=history)
    async with app.run_test(size=SIZE) as pilot:
        screen = await fill(pilot, GREENHOUSE, first_application(GREENHOUSE), "Jane_Doe_CV.pdf")
        await send(pilot)
        await pilot.press("ctrl+s")
        await pilot.pause()
        assert app.screen.id == "confirm"
        assert "already sent" in str(app.screen.query_one(".dialog-title", Static).render()).lower()
        assert "Already sent on" in body_of(app) and "outcome sent" in body_of(app)
        assert app.screen.focused is not None and app.screen.focused.id == "choice-cancel"
        await pilot.press("enter")  # the focused button is Cancel: nothing sent
        await settle(pilot)
        assert app.screen is screen and len(history.entries()) == 1
        # Another file to the same application is not flagged.
        screen.query_one("#path", Input).value = "cover-letter.pdf"
        (files / "cover-letter.pdf").write_bytes(b"%PDF-1.4\n% another\n%%EOF\n")
        await settle(pilot)
        await pilot.press("ctrl+s")
        await pilot.pause()
        assert "Already sent" not in body_of(app)


async def test_unknown_outcome_in_history_requires_explicit_resend(
    files: Path, make_app: Callable[..., KomboApp]
) -> None:
    history = History(files / "h.sqlite3")
    application = first_application(GREENHOUSE)
    app = make_app(wrap=DropAfterSend, history=history)
    async with app.run_test(size=SIZE) as pilot:
        screen = await fill(pilot, GREENHOUSE, application, "Jane_Doe_CV.pdf")
        await send(pilot)
        assert screen.result.kind == "unknown"
    assert history.entries()[0].outcome == "unknown"

    # A new session (the app was restarted): the log remembers.
    app = make_app(history=history)
    async with app.run_test(size=SIZE) as pilot:
        screen = await fill(pilot, GREENHOUSE, application, "Jane_Doe_CV.pdf")
        await pilot.press("ctrl+s")
        await pilot.pause()
        assert app.screen.id == "resend"
        assert "unknown" in body_of(app)
        assert app.screen.query_one("#choice-send").label.plain == "Send again anyway"  # type: ignore[attr-defined]
        assert app.screen.focused is not None and app.screen.focused.id == "choice-verify"
        await pilot.press("enter")  # Verify first
        await settle(pilot)
        assert app.screen is screen
        # This sandbox did not store it (the other one did): Verify says so and logs it.
        assert screen.result.verification_found is False
        assert "safe" in (screen.result.verification or "")
        assert history.entries()[0].outcome == "verified_absent"
        await pilot.press("ctrl+s")
        await pilot.pause()
        assert app.screen.id == "confirm"
        assert "Already sent" not in body_of(app)


async def test_history_screen_filter_details_copy_and_open(
    files: Path, make_app: Callable[..., KomboApp], monkeypatch: pytest.MonkeyPatch
) -> None:
    history = History(files / "h.sqlite3")
    app = make_app(history=history)
    opened: list[str] = []
    monkeypatch.setattr(app, "open_url", lambda url, **_: opened.append(url))
    async with app.run_test(size=SIZE) as pilot:
        await fill(pilot, GREENHOUSE, first_application(GREENHOUSE), "Jane_Doe_CV.pdf")
        await send(pilot)
        inactive = "teamtailor:sandbox-inactive"
        await fill(pilot, inactive, first_application(inactive), "cover-letter.pdf")
        await send(pilot)
        assert history.entries()[0].log_url

        await pilot.press("f9")
        await settle(pilot)
        assert app.screen.id == "history"
        table = app.screen.query_one("#history-table", VirtualTable)
        assert table.row_count == 2
        await pilot.press(*"inactive")
        await settle(pilot)
        assert table.row_count == 1
        assert "1 send matches" in app.screen.status_text  # type: ignore[attr-defined]
        row = table.rows[0]
        assert "✗ error" in row and "INTEGRATION.INACTIVE" in row and "cover-letter.pdf" in row
        await pilot.press("enter")  # one match: its details
        await pilot.pause()
        assert app.screen.id == "history-detail"
        text = str(app.screen.query_one("#history-detail-text", Static).render())
        log_url = history.entries()[0].log_url
        assert log_url and log_url in text and "INTEGRATION.INACTIVE" in text
        await pilot.press("c")
        assert app.clipboard == log_url
        await pilot.press("o")
        assert opened == [log_url]
        await pilot.press("escape", "escape")
        await pilot.pause()
        assert app.screen is main_screen(app)


async def test_history_in_command_palette(files: Path, make_app: Callable[..., KomboApp]) -> None:
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        await pilot.press("ctrl+p")
        await pilot.pause()
        await pilot.press(*"history")
        await pilot.pause(0.3)
        await pilot.press("enter")
        await settle(pilot)
        assert app.screen.id == "history"
        assert "No sends recorded yet" in app.screen.status_text  # type: ignore[attr-defined]


class HangAfterBody(httpx.AsyncBaseTransport):
    """Reads the whole request body, then never answers (the user cancels)."""

    def __init__(self, inner: httpx.AsyncBaseTransport) -> None:
        self.inner = inner

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        if request.method == "POST":
            await request.aread()
            await asyncio.sleep(30)
        return await self.inner.handle_async_request(request)


async def test_cancel_after_the_body_is_logged_once_and_verify_updates_that_row(
    files: Path, make_app: Callable[..., KomboApp]
) -> None:
    history = History(files / "h.sqlite3")
    app = make_app(history=history, wrap=HangAfterBody)
    async with app.run_test(size=SIZE) as pilot:
        screen = await fill(pilot, GREENHOUSE, "", "Jane_Doe_CV.pdf")
        await pick_first(pilot)
        picked = screen.picked
        assert picked is not None and picked.candidate
        await pilot.press("ctrl+s")
        await pilot.pause()
        await pilot.press("enter")
        for _ in range(100):
            await pilot.pause(0.02)
            if screen._progress[0] and screen._progress[0] >= screen._progress[1]:
                break
        await pilot.press("escape")
        await settle(pilot)
        assert screen.result.kind == "unknown"
        # One row (the core's), with the names; the screen wrote none of its own.
        [entry] = history.entries()
        assert (entry.outcome, entry.candidate, entry.job) == ("unknown", picked.candidate, picked.job)
        await pilot.press("f5")
        await settle(pilot)
        [entry] = history.entries()
        assert (entry.verified, entry.outcome) == ("absent", "verified_absent")


async def test_batch_rows_carry_candidate_and_job(files: Path, make_app: Callable[..., KomboApp]) -> None:
    (files / "doc2.pdf").write_bytes(files.joinpath("Jane_Doe_CV.pdf").read_bytes() + b"\n% another\n")
    history = History(files / "h.sqlite3")
    app = make_app(history=history)
    async with app.run_test(size=SIZE) as pilot:
        screen = await fill(pilot, GREENHOUSE, "", "Jane_Doe_CV.pdf")
        await pick_first(pilot)
        picked = screen.picked
        assert picked is not None and picked.candidate
        screen.query_one("#add-path", Input).value = "doc2.pdf"
        screen.query_one("#add-path", Input).focus()
        await pilot.press("enter")
        await settle(pilot)
        await send(pilot)
        assert screen.result.kind == "sent", screen.result
        entries = history.entries()
        assert sorted(e.file_name for e in entries) == ["Jane_Doe_CV.pdf", "doc2.pdf"]  # once each
        assert {(e.candidate, e.job, e.application_id) for e in entries} == {(picked.candidate, picked.job, picked.id)}
