"""Several files for one application in one go: each row with its own type and result."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest
from textual.widgets import Button, Input, Select, Static

from kombo_tui.core.history import History
from kombo_tui.tui.app import KomboApp
from kombo_tui.tui.screens import main as main_module
from kombo_tui.tui.widgets.file_panel import BatchRow
from kombo_tui.tui.widgets.payload import PayloadPanel, _batch_summary

from .states import GREENHOUSE, SIZE, first_application, settle
from .test_flow import fill, send, text_of

PDF2 = b"%PDF-1.4\n% a cover letter\n%%EOF\n"


async def add(pilot, path: str) -> None:  # type: ignore[no-untyped-def]
    await pilot.press("ctrl+n")
    assert pilot.app.focused.id == "add-path"
    pilot.app.focused.value = path
    await pilot.press("enter")
    await settle(pilot)


def rows(app: KomboApp) -> list[BatchRow]:
    return list(app.screen.query(BatchRow))


def note(row: BatchRow) -> str:
    return str(row.query_one(".batch-note", Static).render())


async def test_cv_and_cover_letter_in_one_go(files: Path, make_app: Callable[..., KomboApp]) -> None:
    (files / "doc2.pdf").write_bytes(PDF2)
    history = History(files / "h.sqlite3")
    app = make_app(history=history)
    application = first_application(GREENHOUSE)
    async with app.run_test(size=SIZE) as pilot:
        screen = await fill(pilot, GREENHOUSE, application, "Jane_Doe_CV.pdf")
        await add(pilot, "doc2.pdf")
        [row] = rows(app)
        assert "doc2.pdf" in str(row.query_one(".batch-info", Static).render())
        assert "application/pdf" in note(row)
        # Its own type: nothing in the name says so, so the user picks it.
        assert row.item.type == "OTHER"
        row.query_one(Select).value = "COVER_LETTER"
        await settle(pilot)
        assert screen.extra_files[0].type == "COVER_LETTER"
        # The payload shows the first request and a line per further file.
        payload = screen.query_one(PayloadPanel)
        assert payload.more == screen.extra_files
        summary = _batch_summary(payload.more).plain
        assert "File 2 of 2: doc2.pdf · COVER_LETTER" in summary and "application/pdf" in summary

        await pilot.press("ctrl+s")
        await pilot.pause()
        assert app.screen.id == "confirm"
        body = str(app.screen.query_one(".dialog-body", Static).render())
        assert "File 1" in body and "File 2" in body and "COVER_LETTER" in body
        await pilot.press("enter")
        await settle(pilot)

        assert screen.result.kind == "sent", screen.result
        assert "all 2 files" in text_of(app, "#result-text")
        assert "✓ sent" in note(rows(app)[0])
        assert "✓ sent" in text_of(app, "#file-result")
        stored = app.sandbox_state.store.all()  # type: ignore[attr-defined]
        assert sorted((a.file_name, a.type, a.application_id) for a in stored) == [
            ("Jane_Doe_CV.pdf", "CV", application),
            ("doc2.pdf", "COVER_LETTER", application),
        ]
        # Both are in the history, with the application; Verify checks both.
        assert sorted(e.file_name for e in history.entries()) == ["Jane_Doe_CV.pdf", "doc2.pdf"]
        await pilot.press("f5")
        await settle(pilot)
        assert screen.result.verification_found is True
        assert "doc2.pdf" in (screen.result.verification or "")
        assert [e.verified for e in history.entries()] == ["present", "present"]


@pytest.mark.parametrize(("bad", "why"), [("empty.pdf", "empty"), ("missing.pdf", "does not exist"), ("folder", "folder")])
async def test_one_bad_file_sends_nothing(files: Path, make_app: Callable[..., KomboApp], bad: str, why: str) -> None:
    (files / "cover-letter.pdf").write_bytes(PDF2)
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        screen = await fill(pilot, GREENHOUSE, first_application(GREENHOUSE), "Jane_Doe_CV.pdf")
        await add(pilot, "cover-letter.pdf")
        await add(pilot, bad)
        good, wrong = rows(app)
        assert why in note(wrong).lower(), note(wrong)
        await pilot.press("ctrl+s")
        await settle(pilot)
        assert app.screen is screen  # no confirm
        assert screen.result.kind == "invalid"
        assert bad in text_of(app, "#result-text") and "Nothing was sent" in text_of(app, "#result-text")
        assert app.sandbox_state.store.all() == []  # type: ignore[attr-defined]
        # Remove the bad row: the rest goes.
        wrong.query_one(".batch-remove", Button).press()
        await settle(pilot)
        assert len(rows(app)) == 1
        await send(pilot)
        assert str(screen.result.kind) == "sent"  # (str: the type checker still sees "invalid")
        assert len(app.sandbox_state.store.all()) == 2  # type: ignore[attr-defined]


async def test_same_file_twice_in_a_batch_is_refused(files: Path, make_app: Callable[..., KomboApp]) -> None:
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        screen = await fill(pilot, GREENHOUSE, first_application(GREENHOUSE), "Jane_Doe_CV.pdf")
        await add(pilot, "cover-letter.pdf")  # the fixture writes the same bytes as the CV
        await pilot.press("ctrl+s")
        await settle(pilot)
        assert screen.result.kind == "invalid"
        assert "already in this batch" in note(rows(app)[0])
        assert app.sandbox_state.store.all() == []  # type: ignore[attr-defined]


async def test_batch_respects_the_concurrency_limit(files: Path, make_app: Callable[..., KomboApp]) -> None:
    """Five files, BATCH_CONCURRENCY in flight at most; every file gets a result, none skipped."""
    import asyncio

    import httpx

    from .states import PDF

    in_flight = [0, 0]

    class Counting(httpx.AsyncBaseTransport):
        def __init__(self, inner: httpx.AsyncBaseTransport) -> None:
            self.inner = inner

        async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
            if request.method != "POST":
                return await self.inner.handle_async_request(request)
            in_flight[0] += 1
            in_flight[1] = max(in_flight)
            try:
                await asyncio.sleep(0.05)
                return await self.inner.handle_async_request(request)
            finally:
                in_flight[0] -= 1

    for i in range(4):
        (files / f"extra-{i}.pdf").write_bytes(PDF + bytes([i]))
    app = make_app(wrap=Counting)
    async with app.run_test(size=SIZE) as pilot:
        screen = await fill(pilot, GREENHOUSE, first_application(GREENHOUSE), "Jane_Doe_CV.pdf")
        for i in range(4):
            await add(pilot, f"extra-{i}.pdf")
        await send(pilot)
        assert screen.result.kind == "sent", screen.result
        assert len(app.sandbox_state.store.all()) == 5  # type: ignore[attr-defined]
        assert 1 < in_flight[1] <= main_module.BATCH_CONCURRENCY
        assert all("✓ sent" in note(r) for r in rows(app))


async def test_single_file_flow_has_no_batch_rows(files: Path, make_app: Callable[..., KomboApp]) -> None:
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        screen = await fill(pilot, GREENHOUSE, first_application(GREENHOUSE), "Jane_Doe_CV.pdf")
        assert not screen.query_one("#batch").display
        assert not screen.query_one("#file-result").display
        await send(pilot)
        assert screen.result.kind == "sent"
        assert not screen.query_one("#file-result").display
        assert screen.query_one("#add-path", Input).value == ""
