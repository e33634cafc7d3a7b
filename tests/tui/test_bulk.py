"""The Bulk screen against the in-process sandbox: check, start, pause, resume, filter, retry refused.

The run happens in a thread with its own event loop (the screen stays responsive); the tests
wait for the screen's phase, then read its widgets, the journal's rows and the sandbox's store.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Iterator
from dataclasses import replace
from pathlib import Path
from typing import Any

import httpx
import pytest
from textual.pilot import Pilot
from textual.widgets import Checkbox, Input, Static

from kombo_tui.sandbox.app import SandboxConfig
from kombo_tui.sandbox.data import DEFAULT_INTEGRATION_ID, dataset
from kombo_tui.tui.app import KomboApp
from kombo_tui.tui.screens.bulk import BulkScreen
from kombo_tui.tui.widgets.virtual_table import VirtualTable

from .states import PDF, SIZE, sandbox_app, settle

GONE = "NoSuchApplication0000000"


def _apps(n: int) -> list[str]:
    return [a.id for a in dataset(DEFAULT_INTEGRATION_ID).live_applications][:n]


def write_plan(folder: Path, rows: int, *, invalid: bool = True) -> Path:
    """``rows`` valid rows (one per application) and, with ``invalid``, one row with an unknown type."""
    (folder / "cv.pdf").write_bytes(PDF)
    lines = ["application_id,file,type,name"]
    lines += [f"{app},cv.pdf,CV,cv-{i:02d}.pdf" for i, app in enumerate(_apps(rows))]
    if invalid:
        lines.append(f"{_apps(1)[0]},cv.pdf,RESUME,resume.pdf")
    plan = folder / "plan.csv"
    plan.write_text("\n".join(lines) + "\n")
    return plan


class Refuse(httpx.AsyncBaseTransport):
    """While ``on``, uploads to the applications in ``apps`` go to an application Kombo does not know (a 404)."""

    def __init__(self, inner: httpx.AsyncBaseTransport, apps: set[str]) -> None:
        self.inner, self.apps, self.on = inner, apps, True

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        path = request.url.path
        if self.on and request.method == "POST" and any(f"/{a}/" in path for a in self.apps):
            body = await request.aread()
            target = request.url.copy_with(path=f"/v1/ats/applications/{GONE}/attachments")
            request = httpx.Request("POST", target, headers=request.headers, content=body)
        return await self.inner.handle_async_request(request)


async def open_bulk(pilot: Pilot[Any], path: str) -> BulkScreen:
    await settle(pilot, 0.2)
    await pilot.press("ctrl+b")
    await pilot.pause()
    screen = pilot.app.screen
    assert isinstance(screen, BulkScreen)
    screen.query_one("#bulk-path", Input).value = path
    await pilot.press("enter")
    await until(pilot, screen, "checked")
    return screen


async def until(pilot: Pilot[Any], screen: BulkScreen, *phases: str, timeout: float = 20.0) -> None:
    deadline = time.monotonic() + timeout
    while screen.phase not in phases:
        assert screen.phase != "error", screen.status_text
        if time.monotonic() > deadline:
            raise TimeoutError(f"still {screen.phase}, waiting for {phases}: {screen.status_text}")
        await pilot.pause(0.02)
    await pilot.pause()


def text(screen: BulkScreen, selector: str) -> str:
    return str(screen.query_one(selector, Static).render())


def table(screen: BulkScreen) -> list[tuple[str, ...]]:
    rows = screen.query_one("#bulk-table", VirtualTable).rows
    return [rows[i] for i in range(len(rows))]


def stored(app: KomboApp) -> list[tuple[str, str]]:
    return sorted((s.application_id, s.file_name) for s in app.sandbox_state.store.all())  # type: ignore[attr-defined]


@pytest.fixture
def here(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    monkeypatch.chdir(tmp_path)
    yield tmp_path


def test_the_main_screen_opens_bulk_from_the_key_bar_and_the_palette() -> None:
    from kombo_tui.tui.commands import KomboCommands
    from kombo_tui.tui.screens.main import MainScreen

    keys = {b.action: b for b in MainScreen.BINDINGS}  # type: ignore[union-attr]
    assert keys["bulk"].show and "ctrl+b" in keys["bulk"].key  # type: ignore[union-attr]
    assert ("Bulk", keys["bulk"].tooltip, "bulk") in KomboCommands._commands(None)  # type: ignore[arg-type, union-attr]


def test_check_blocks_invalid_rows_then_start_pause_resume_sends_each_row_once(here: Path) -> None:
    write_plan(here, 10)

    async def go() -> None:
        app = sandbox_app(config=SandboxConfig(latency=0.08, concurrency_limit=1))
        async with app.run_test(size=SIZE) as pilot:
            screen = await open_bulk(pilot, "plan.csv")
            check = text(screen, "#bulk-check")
            assert "11 rows · 10 valid · 1 invalid" in check and DEFAULT_INTEGRATION_ID in check and "ACTIVE" in check
            assert "1 invalid row" in screen.status_text and stored(app) == []
            assert [r[1] for r in table(screen)].count("✗ invalid") == 1
            await pilot.press("f7", "f7", "f7", "f7")  # All → Failures → Refused → Unknown → Invalid
            await pilot.pause()
            assert screen.filter == "invalid" and len(table(screen)) == 1 and "RESUME" in table(screen)[0][4]
            # Invalid rows stop the run: nothing is sent.
            await pilot.press("ctrl+s")
            await until(pilot, screen, "checked")
            assert "nothing was sent" in screen.status_text and stored(app) == []
            # Skipping them, the run starts; pause it after a few rows.
            screen.query_one("#bulk-skip", Checkbox).value = True
            await pilot.press("ctrl+s")
            await until(pilot, screen, "running")
            deadline = time.monotonic() + 10
            while (screen.progress is None or screen.progress.done < 2) and time.monotonic() < deadline:
                await pilot.pause(0.01)
            await pilot.press("escape")  # not while rows are in flight
            assert isinstance(app.screen, BulkScreen) and "pause it" in screen.status_text
            await pilot.press("f4")
            assert screen.phase in ("pausing", "paused")
            await until(pilot, screen, "paused")
            first = stored(app)
            assert 2 <= len(first) < 10 and "Paused" in screen.status_text
            assert "Resume" in text(screen, "#bulk-status") or "ctrl+r" in screen.status_text
            assert screen.rows.counts().get("pending", 0) == 10 - len(first)
            await pilot.press("ctrl+r")
            await until(pilot, screen, "done", "paused")
            assert screen.phase == "done", screen.status_text
            assert "Done" in screen.status_text and "10 sent" in screen.status_text
            assert stored(app) == sorted((a, f"cv-{i:02d}.pdf") for i, a in enumerate(_apps(10)))
            assert "10/10 rows" in text(screen, "#bulk-run")
            # The same history as single sends: every row is in it.
            assert len([e for e in app.session.history.entries(limit=100) if e.outcome == "sent"]) == 10  # type: ignore[attr-defined]
            await pilot.press("escape")
            await pilot.pause()
            assert not isinstance(app.screen, BulkScreen)

    asyncio.run(go())


def test_quitting_mid_run_abandons_the_rows_in_flight_and_a_new_screen_resumes(here: Path) -> None:
    write_plan(here, 12, invalid=False)

    async def go() -> None:
        app = sandbox_app(config=SandboxConfig(latency=0.2, concurrency_limit=1))
        async with app.run_test(size=SIZE) as pilot:
            screen = await open_bulk(pilot, "plan.csv")
            await pilot.press("ctrl+s")
            await until(pilot, screen, "running")
            while screen.progress is None:
                await pilot.pause(0.01)
            started = time.monotonic()
            await app.action_quit()  # ctrl+q: with a run in flight, it asks first
            await pilot.pause()
            assert app.screen.id == "quit-dialog" and "A bulk run is in flight" in str(
                app.screen.query_one(".dialog-body", Static).render())
            await pilot.click("#choice-quit")
            await pilot.pause()
            assert not app.is_running
        assert time.monotonic() - started < 5
        return None

    asyncio.run(go())
    from kombo_tui.core.bulk import Journal

    with Journal() as journal:
        counts: dict[str, int] = {}
        for row in journal.rows(next(iter(journal._db.execute("SELECT job_id FROM jobs")))[0]):
            counts[row.status] = counts.get(row.status, 0) + 1
    # Rows in flight were cancelled: back to pending, or "sending" (verified on resume) when the body was out.
    assert counts.get("sent", 0) >= 1 and counts.get("pending", 0) >= 1 and sum(counts.values()) == 12


def test_refused_rows_are_filtered_and_retried_after_the_fix(here: Path) -> None:
    write_plan(here, 6, invalid=False)
    refused = set(_apps(6)[1:3])
    holder: dict[str, Refuse] = {}

    def wrap(inner: httpx.AsyncBaseTransport) -> httpx.AsyncBaseTransport:
        holder["t"] = Refuse(inner, refused)
        return holder["t"]

    async def go() -> None:
        app = sandbox_app(wrap=wrap)
        async with app.run_test(size=SIZE) as pilot:
            screen = await open_bulk(pilot, "plan.csv")
            assert "Start" in screen.status_text
            await pilot.press("ctrl+s")
            await until(pilot, screen, "done")
            assert "2 refused" in screen.status_text and "Retry refused" in screen.status_text
            assert len(stored(app)) == 4
            await pilot.press("f7")  # Failures
            await pilot.pause()
            rows = table(screen)
            assert screen.filter == "failures" and [r[1] for r in rows] == ["✗ refused", "✗ refused"]
            assert {r[2] for r in rows} == refused and all(r[4].startswith("PLATFORM.INPUT_INVALID") for r in rows)
            screen.query_one("#bulk-table", VirtualTable).focus()
            await pilot.press("enter")
            await pilot.pause()
            assert screen.status_text.startswith("Row 2")
            holder["t"].on = False  # fixed (on Kombo's side, say)
            await pilot.press("f6")
            await until(pilot, screen, "done")
            assert screen.rows.counts() == {"sent": 6}, screen.status_text
            assert table(screen) == [] and len(stored(app)) == 6  # the failures filter is empty now
            assert sorted(n for _a, n in stored(app)) == [f"cv-{i:02d}.pdf" for i in range(6)]

    asyncio.run(go())


def test_a_folder_is_matched_to_applications_and_left_out_files_are_shown(here: Path) -> None:
    data = dataset(DEFAULT_INTEGRATION_ID)
    counts: dict[str, int] = {}
    for a in data.applications:
        counts[a.candidate.id] = counts.get(a.candidate.id, 0) + 1
    single = next(a for a in data.live_applications if counts[a.candidate.id] == 1)
    double = next(a for a in data.applications if counts[a.candidate.id] == 2)
    folder = here / "files"
    folder.mkdir()
    (folder / f"{single.candidate.email}.pdf").write_bytes(PDF)
    (folder / f"{double.candidate.email}.pdf").write_bytes(PDF)
    (folder / "evil\x1b[2J.pdf").write_bytes(PDF)

    async def go() -> None:
        app = sandbox_app()
        async with app.run_test(size=SIZE) as pilot:
            screen = await open_bulk(pilot, "files")
            check = text(screen, "#bulk-check")
            assert "1 files matched" in check or "1 files matched one application" in check
            assert "2 left out" in check and "exactly 2 applications" in check and "\\x1b[2J" in check
            assert "\x1b" not in check
            assert [r[2] for r in table(screen)] == [single.id]
            await pilot.press("ctrl+s")
            await until(pilot, screen, "checked")
            assert "match no single application" in screen.status_text and stored(app) == []
            screen.query_one("#bulk-skip", Checkbox).value = True
            await pilot.press("ctrl+s")
            await until(pilot, screen, "done")
            assert stored(app) == [(single.id, f"{single.candidate.email}.pdf")]
            assert "1 sent" in screen.status_text and "2 files of the folder left out" in screen.status_text

    asyncio.run(go())


def test_a_big_plan_keeps_the_screen_responsive(here: Path) -> None:
    """20,000 rows checked (no run) while the screen's loop keeps turning."""
    (here / "cv.pdf").write_bytes(PDF)
    apps = _apps(40)
    lines = ["application_id,file,type,name"] + [f"{apps[i % 40]},cv.pdf,CV,cv-{i}.pdf" for i in range(20_000)]
    (here / "plan.csv").write_text("\n".join(lines) + "\n")

    async def go() -> None:
        app = sandbox_app()
        async with app.run_test(size=SIZE) as pilot:
            await settle(pilot, 0.2)
            await pilot.press("ctrl+b")
            await pilot.pause()
            screen = app.screen
            assert isinstance(screen, BulkScreen)
            screen.query_one("#bulk-path", Input).value = "plan.csv"
            await pilot.press("enter")
            turns = 0
            deadline = time.monotonic() + 120
            while screen.phase != "checked" and time.monotonic() < deadline:
                await asyncio.sleep(0)
                await pilot.pause(0.01)
                turns += 1
            assert screen.phase == "checked", screen.status_text
            assert "20,000 rows" in text(screen, "#bulk-check")
            assert len(table(screen)) == 20_000
            # The check ran beside the screen (the loop came round again and again while it
            # worked), not in one block. How fast it answers is benchmarks/bench_tui.py's to say.
            assert turns >= 5, turns

    asyncio.run(go())


def freeze_clock(screen: BulkScreen) -> None:
    """The run's rate, ETA and duration, fixed for a snapshot."""
    if screen.progress is not None:
        screen.progress = replace(screen.progress, elapsed=2.0, finished_this_run=screen.progress.total)
    if screen.report is not None:
        screen.report.elapsed = 2.0
        screen._finished(screen.report)


__all__ = ["Refuse", "freeze_clock", "open_bulk", "until", "write_plan"]


# ---------------------------------------------------------------------- snapshots


def _snapshot_plan(here: Path) -> None:
    write_plan(here, 5)


async def _checked(pilot: Pilot[Any]) -> None:
    await open_bulk(pilot, "plan.csv")
    await settle(pilot, 0.05)


def _refusing_app(theme: str = "textual-dark") -> KomboApp:
    refused = {_apps(5)[1]}
    return sandbox_app(wrap=lambda inner: Refuse(inner, refused), theme=theme)


async def _failures(pilot: Pilot[Any]) -> None:
    screen = await open_bulk(pilot, "plan.csv")
    screen.query_one("#bulk-skip", Checkbox).value = True
    await pilot.press("ctrl+s")
    await until(pilot, screen, "done")
    await pilot.press("f7")  # Failures
    await pilot.pause()
    freeze_clock(screen)
    await settle(pilot, 0.05)


def test_snapshot_bulk_checked(snap_compare: Any, here: Path) -> None:
    _snapshot_plan(here)
    assert snap_compare(sandbox_app(), terminal_size=SIZE, run_before=_checked)


def test_snapshot_bulk_failures_filtered(snap_compare: Any, here: Path) -> None:
    _snapshot_plan(here)
    assert snap_compare(_refusing_app(), terminal_size=SIZE, run_before=_failures)


# ---------------------------------------------------------------------- the screen's keys and lines


class HoldPosts(httpx.AsyncBaseTransport):
    """Uploads wait until ``go`` is set (the run's thread has its own loop: a thread event)."""

    def __init__(self, inner: httpx.AsyncBaseTransport) -> None:
        import threading

        self.inner, self.go = inner, threading.Event()

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        if request.method == "POST":
            await asyncio.to_thread(self.go.wait, 20)
        return await self.inner.handle_async_request(request)


def test_enter_on_the_box_starts_and_never_unticks_it_and_the_line_follows_the_box(here: Path) -> None:
    write_plan(here, 3)

    async def go() -> None:
        app = sandbox_app()
        async with app.run_test(size=SIZE) as pilot:
            screen = await open_bulk(pilot, "plan.csv")
            assert "tick the box to send the others" in screen.status_text
            box = screen.query_one("#bulk-skip", Checkbox)
            box.focus()
            await pilot.press("space")
            await pilot.pause()
            assert box.value
            # Ticked: the line says what Start will do now, not "tick the box".
            assert "the box is ticked" in screen.status_text and "tick the box" not in screen.status_text
            await pilot.press("space")
            await pilot.pause()
            assert not box.value and "tick the box to send the others" in screen.status_text
            await pilot.press("space", "enter")  # tick, then Enter: Start, the box stays ticked
            await until(pilot, screen, "done")
            assert box.value and screen.rows.counts() == {"sent": 3, "invalid": 1}, screen.status_text
            assert len(stored(app)) == 3

    asyncio.run(go())


def test_enter_on_the_box_before_a_check_checks(here: Path) -> None:
    write_plan(here, 2, invalid=False)

    async def go() -> None:
        app = sandbox_app()
        async with app.run_test(size=SIZE) as pilot:
            await settle(pilot, 0.2)
            await pilot.press("ctrl+b")
            await pilot.pause()
            screen = app.screen
            assert isinstance(screen, BulkScreen)
            screen.query_one("#bulk-path", Input).value = "plan.csv"
            box = screen.query_one("#bulk-skip", Checkbox)
            box.focus()
            await pilot.press("enter")
            await until(pilot, screen, "checked")
            assert not box.value and "Checked: nothing sent yet" in screen.status_text and stored(app) == []

    asyncio.run(go())


def test_a_new_check_shows_every_row_whatever_the_last_filter(here: Path) -> None:
    write_plan(here, 4)

    async def go() -> None:
        app = sandbox_app()
        async with app.run_test(size=SIZE) as pilot:
            screen = await open_bulk(pilot, "plan.csv")
            await pilot.press("f7", "f7")  # All → Failures → Refused
            await pilot.pause()
            assert screen.filter == "refused" and table(screen) == []
            await pilot.press("f2")  # check again
            await until(pilot, screen, "checked")
            await pilot.pause()
            from textual.widgets import Tabs

            assert screen.filter == "all" and screen.query_one("#bulk-filter", Tabs).active == "filter-all"
            assert len(table(screen)) == 5
            await pilot.press("f7")  # the filter goes on from All
            await pilot.pause()
            assert screen.filter == "failures"

    asyncio.run(go())


def test_a_first_run_is_not_called_resumed_even_after_a_blocked_one(here: Path) -> None:
    write_plan(here, 2)

    async def go() -> None:
        app = sandbox_app()
        async with app.run_test(size=SIZE) as pilot:
            screen = await open_bulk(pilot, "plan.csv")
            await pilot.press("ctrl+s")  # blocked by the invalid row: nothing sent
            await until(pilot, screen, "checked")
            assert screen.report is not None and screen.report.blocked and stored(app) == []
            screen.query_one("#bulk-skip", Checkbox).value = True
            await pilot.press("ctrl+s")
            await until(pilot, screen, "done")
            assert "Done" in screen.status_text and "(resumed)" not in screen.status_text, screen.status_text
            assert screen.report is not None and not screen.report.resumed
            await pilot.press("f2")
            await until(pilot, screen, "checked")
            await pilot.press("ctrl+s")  # the same job again: this one resumes it
            await until(pilot, screen, "done")
            assert "(resumed)" in screen.status_text and len(stored(app)) == 2

    asyncio.run(go())


def test_rows_show_sending_and_in_flight_from_their_first_byte(here: Path) -> None:
    write_plan(here, 2, invalid=False)
    holder: dict[str, HoldPosts] = {}

    def wrap(inner: httpx.AsyncBaseTransport) -> httpx.AsyncBaseTransport:
        holder["t"] = HoldPosts(inner)
        return holder["t"]

    async def go() -> None:
        app = sandbox_app(wrap=wrap)
        async with app.run_test(size=SIZE) as pilot:
            screen = await open_bulk(pilot, "plan.csv")
            await pilot.press("ctrl+s")
            await until(pilot, screen, "running")
            deadline = time.monotonic() + 10
            # The table reads the rows live; the run line is repainted every REPAINT seconds.
            while ("↑ sending" not in [r[1] for r in table(screen)] or " 0 in flight" in text(screen, "#bulk-run")) \
                    and time.monotonic() < deadline:
                await pilot.pause(0.02)
            try:
                assert screen.progress is None or screen.progress.done == 0  # no row has ended: the uploads are held
                statuses = [r[1] for r in table(screen)]
                sending = statuses.count("↑ sending")  # Kombo's pace lets one go first, then more
                assert statuses[0] == "↑ sending" and sending >= 1, statuses
                assert text(screen, "#bulk-run").endswith(f" {sending} in flight"), text(screen, "#bulk-run")
            finally:
                holder["t"].go.set()
            await until(pilot, screen, "done")
            assert [r[1] for r in table(screen)] == ["✓ sent", "✓ sent"]

    asyncio.run(go())
