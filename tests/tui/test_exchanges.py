"""The Exchanges screen (F4), its detail view, copy as curl, the Result panel's link to a send's
exchanges, and the History detail's exchanges with their HAR export — against the in-process
sandbox, plus snapshots of the screen and the detail fed with fixed exchanges."""

from __future__ import annotations

import base64
import json
import os
import stat
import time
from collections.abc import Callable, Iterator
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Any

import pytest
from textual.pilot import Pilot
from textual.widgets import Button, Input, Static

from kombo_tui.core.config.file import exports_dir
from kombo_tui.core.history import History
from kombo_tui.core.wire.exchanges import Body, Exchange, Timings
from kombo_tui.core.wire.har import validate_har
from kombo_tui.sandbox.data import SANDBOX_API_KEY
from kombo_tui.tui import present_exchanges as present
from kombo_tui.tui.app import KomboApp
from kombo_tui.tui.screens.exchanges import ExchangeDetail, ExchangesScreen, ExchangeTable
from kombo_tui.tui.screens.history import HistoryDetail
from kombo_tui.tui.text import plain
from kombo_tui.tui.widgets.result import result_lines

from .states import GREENHOUSE, PDF, SIZE, DropAfterSend, first_application, sandbox_app, settle
from .test_flow import fill, main_screen, send


def rows(screen: ExchangesScreen) -> list[tuple[str, ...]]:
    return list(screen.query_one(ExchangeTable).rows)


def text(widget: Static) -> str:
    return str(widget.render())


async def open_exchanges(pilot: Pilot[Any]) -> ExchangesScreen:
    await pilot.press("f4")
    await pilot.pause()
    screen = pilot.app.screen
    assert isinstance(screen, ExchangesScreen)
    return screen


async def sent_app(pilot: Pilot[Any]) -> None:
    await fill(pilot, GREENHOUSE, first_application(GREENHOUSE), "Jane_Doe_CV.pdf")
    await send(pilot)


async def test_f4_lists_every_exchange_of_the_session_and_follows_it_live(
    files: Path, make_app: Callable[..., KomboApp]
) -> None:
    app = make_app(history=History(files / "h.sqlite3"))
    async with app.run_test(size=SIZE) as pilot:
        await fill(pilot, GREENHOUSE, first_application(GREENHOUSE), "Jane_Doe_CV.pdf")
        screen = await open_exchanges(pilot)  # nothing sent yet: the session's reads
        before = rows(screen)
        assert [r[2] for r in before] == ["GET", "GET"]  # the integration and its restrictions
        assert before[0][3].startswith("/v1/integrations/") and before[0][4] == "200 OK"
        assert "exchanges (the session's)" in screen.status_text

        # Live: a request made while the screen is open appears without reopening it.
        client = await app.session.connection.client()
        await client.get_integration(GREENHOUSE)
        await settle(pilot)
        assert len(rows(screen)) == 3

        await pilot.press("escape")
        await pilot.pause()
        assert not app.session.connection.exchanges._listeners  # unsubscribed on unmount
        await send(pilot)
        await pilot.click("#show-exchanges")  # the Result panel's link (F4 does the same)
        await pilot.pause()
        screen = app.screen
        assert isinstance(screen, ExchangesScreen)
        # The screen opens on the last send's exchanges only.
        assert [(r[2], r[4]) for r in rows(screen)] == [("POST", "200 OK")]
        assert "this send's" in screen.status_text and "F4 shows all" in screen.status_text
        await pilot.press("f4")
        await pilot.pause()
        assert [r[2] for r in rows(screen)] == ["GET", "GET", "GET", "POST"]

        await pilot.press(*"post")  # the filter has the focus
        await pilot.pause()
        assert [r[2] for r in rows(screen)] == ["POST"]
        assert "1 of 4 exchanges" in screen.status_text
        await pilot.press("enter")  # one match: Enter opens it
        await pilot.pause()
        assert isinstance(app.screen, ExchangeDetail)


@pytest.mark.real_delays  # the sandbox's rate window passes in real time
async def test_a_rate_limited_send_shows_each_429_and_its_wait(files: Path, make_app: Callable[..., KomboApp]) -> None:
    app = make_app(history=History(files / "h.sqlite3"))
    async with app.run_test(size=SIZE) as pilot:
        await fill(pilot, GREENHOUSE, first_application(GREENHOUSE), "Jane_Doe_CV.pdf")
        sandbox = app.sandbox_state  # type: ignore[attr-defined]
        sandbox.configure(rate_limit=1, rate_window=1.0)
        sandbox.rate_limiter.hit(SANDBOX_API_KEY)  # the window is full: the upload gets a 429
        await send(pilot)
        await pilot.pause(0.2)
        await app.workers.wait_for_complete()
        await settle(pilot)
        assert "✓ Sent" in plain(*result_lines(main_screen(app).result))
        link = main_screen(app).query_one("#show-exchanges", Button)
        assert link.display and str(link.label) == "Exchanges F4 (2 + 1 wait)"

        screen = await open_exchanges(pilot)
        shown = rows(screen)
        assert [(r[2], r[4].split(" ")[0]) for r in shown] == [("POST", "429"), ("wait", "wait"), ("POST", "200")]
        assert shown[1][4].startswith("wait 1.") and shown[1][4].endswith(" s (429)")
        assert shown[1][3] == shown[0][3]  # the wait names the request it retries

        await pilot.press(*"429")
        await pilot.pause()
        assert [r[2] for r in rows(screen)] == ["POST", "wait"]  # the refused attempt and its wait
        await pilot.press("down", "enter")
        await pilot.pause()
        detail = app.screen
        assert isinstance(detail, ExchangeDetail) and detail.exchange.status == 429
        shown_text = "\n".join(text(s) for s in detail.query(Static))
        assert "HTTP/1.1 429" in shown_text and "retry-after: 1" in shown_text
        assert "RATE_LIMIT_EXCEEDED" in shown_text and "ratelimit-remaining: 0" in shown_text


async def test_detail_shows_headers_bodies_waterfall_and_copies_an_exact_curl(
    files: Path, make_app: Callable[..., KomboApp]
) -> None:
    app = make_app(history=History(files / "h.sqlite3"))
    async with app.run_test(size=SIZE) as pilot:
        await sent_app(pilot)
        screen = await open_exchanges(pilot)
        await pilot.press("enter")
        await pilot.pause()
        detail = app.screen
        assert isinstance(detail, ExchangeDetail)
        shown = "\n".join(text(s) for s in detail.query(Static))
        assert "POST /v1/ats/applications/" in shown and "Request headers" in shown
        assert "Authorization: Bearer ••••" in shown and SANDBOX_API_KEY not in shown
        assert '"data": "<base64 of' in shown  # elided by the core, pretty JSON
        assert "HTTP/1.1 200 OK" in shown and "ratelimit-limit" in shown and "concurrency-remaining" in shown
        assert "Response body" in shown and '"status": "success"' in shown
        assert "Timings" in shown and "wait    ▕" in shown and "█" in shown

        await pilot.press("f2")
        await settle(pilot)
        copied = app.clipboard
        assert "$KOMBO_API_KEY" in copied and SANDBOX_API_KEY not in copied
        exchange = detail.exchange
        body_file = exports_dir() / f"kombo-exchange-{exchange.id}.json"
        assert copied.endswith(f"--data-binary @{body_file}")
        assert stat.S_IMODE(os.stat(body_file).st_mode) == 0o600
        sent = json.loads(body_file.read_text())
        assert base64.b64decode(sent["attachment"]["data"]) == PDF  # the exact body, not the elided one
        assert "✓ curl copied to the clipboard" in detail.copied_text
        assert str(body_file) in detail.copied_text and "curl --fail-with-body" in detail.copied_text

        # From the list too; a GET copies without a body file.
        await pilot.press("escape")
        await pilot.press("f4")  # all exchanges
        await pilot.press("home")
        await pilot.pause()
        screen.query_one(ExchangeTable).focus()
        await pilot.press("home", "f2")
        await pilot.pause()
        assert app.clipboard.startswith("curl --fail-with-body -sS -X GET ")
        assert "--data" not in app.clipboard
        assert "✓ curl copied" in screen.copied_text


async def test_a_dropped_connection_is_an_exchange_without_an_answer(files: Path, make_app: Callable[..., KomboApp]) -> None:
    app = make_app(wrap=DropAfterSend, history=History(files / "h.sqlite3"))
    async with app.run_test(size=SIZE) as pilot:
        await sent_app(pilot)
        screen = await open_exchanges(pilot)
        [row] = rows(screen)
        assert row[2] == "POST" and row[4].startswith("— RemoteProtocol")
        await pilot.press(*"remoteprotocol")
        await pilot.pause()
        assert len(rows(screen)) == 1


async def test_history_detail_lists_the_send_exchanges_and_exports_a_valid_har(
    files: Path, make_app: Callable[..., KomboApp]
) -> None:
    history = History(files / "h.sqlite3")
    app = make_app(history=history)
    async with app.run_test(size=SIZE) as pilot:
        await sent_app(pilot)
        await pilot.press("f9")
        await settle(pilot)
        await pilot.press("enter")
        await settle(pilot)
        detail = app.screen
        assert isinstance(detail, HistoryDetail)
        table = detail.query_one("#history-exchanges", ExchangeTable)
        assert [r[2] for r in table.rows] == ["POST"] and table.rows[0][4] == "200 OK"
        assert "1 exchange" in text(detail.query_one("#history-exchanges-title", Static))

        table.focus()
        await pilot.press("enter")  # the same detail view as the Exchanges screen
        await pilot.pause()
        assert isinstance(app.screen, ExchangeDetail)
        await pilot.press("f2")  # no upload to re-read here: the curl says how to get the body
        await pilot.pause()
        assert app.clipboard.startswith("# the upload's base64 was not recorded")
        assert f"test -s {exports_dir()}/kombo-upload.json && curl" in app.clipboard
        await pilot.press("escape")
        await pilot.pause()

        await pilot.press("h")
        await settle(pilot)
        har_path = exports_dir() / f"kombo-send-{detail.entry.id}.har"
        assert f"✓ 1 exchange written as HAR 1.2 to {har_path}" in detail.status_text
    assert stat.S_IMODE(os.stat(har_path).st_mode) == 0o600
    raw = har_path.read_text()
    assert SANDBOX_API_KEY not in raw
    doc = json.loads(raw)
    assert validate_har(doc) == []
    log = doc["log"]
    assert log["version"] == "1.2" and log["creator"]["name"] == "kombo-tui"
    [entry] = log["entries"]
    assert entry["request"]["method"] == "POST" and entry["response"]["status"] == 200
    assert {"send", "wait", "receive"} <= entry["timings"].keys()
    assert entry["time"] >= entry["timings"]["wait"] >= 0


@pytest.mark.real_delays  # the sandbox's rate window passes in real time
async def test_har_of_a_retried_send_keeps_its_order(files: Path, make_app: Callable[..., KomboApp]) -> None:
    history = History(files / "h.sqlite3")
    app = make_app(history=history)
    async with app.run_test(size=SIZE) as pilot:
        await fill(pilot, GREENHOUSE, first_application(GREENHOUSE), "Jane_Doe_CV.pdf")
        app.sandbox_state.configure(rate_limit=1, rate_window=1.0)  # type: ignore[attr-defined]
        app.sandbox_state.rate_limiter.hit(SANDBOX_API_KEY)  # type: ignore[attr-defined]
        await send(pilot)
        await app.workers.wait_for_complete()
        await pilot.press("f9")
        await settle(pilot)
        await pilot.press("enter")
        await settle(pilot)
        detail = app.screen
        assert isinstance(detail, HistoryDetail)
        table = detail.query_one("#history-exchanges", ExchangeTable)
        assert [r[2] for r in table.rows] == ["POST", "wait", "POST"]
        await pilot.press("h")
        await settle(pilot)
    doc = json.loads((exports_dir() / f"kombo-send-{detail.entry.id}.har").read_text())
    assert validate_har(doc) == []
    entries = doc["log"]["entries"]
    assert [e["response"]["status"] for e in entries] == [429, 200]
    assert [e["startedDateTime"] for e in entries] == sorted(e["startedDateTime"] for e in entries)
    assert entries[0]["_retryWait"]["seconds"] >= 1  # the wait rides on the answer that caused it


# --------------------------------------------------------------------------- fixed exchanges

T0 = datetime(2025, 3, 3, 9, 12, 40, 125000, tzinfo=timezone.utc)
APP_URL = "http://sandbox.kombo-tui.localhost/v1/ats/applications/gh-app-0001/attachments"
HEADERS_OUT = [
    ("Authorization", "Bearer ••••"),
    ("X-Integration-Id", GREENHOUSE),
    ("Content-Type", "application/json"),
    ("Content-Length", "412"),
]
LIMITS = [("ratelimit-limit", "10"), ("concurrency-limit", "30"), ("concurrency-remaining", "29")]
UPLOAD_TEXT = json.dumps(
    {"attachment": {"name": "Jane_Doe_CV.pdf", "type": "CV", "data": "<base64 of 48,213 bytes (64,284 chars), sha256 9f2c9f2c>"}}
)


def fixed_exchanges() -> list[Exchange]:
    """A send with a 429, its wait, the retry that worked and a dropped verification — fixed times."""
    upload = Body(size=64_402, mime="application/json", text=UPLOAD_TEXT, note="data elided", elided=True)
    refused = json.dumps({"status": "error", "error": {"code": "PLATFORM.RATE_LIMIT_EXCEEDED", "message": "Try again in 2 seconds."}})
    created = json.dumps({"status": "success", "data": {"id": "att-0001", "name": "Jane_Doe_CV.pdf"}, "warnings": []})
    common: dict[str, Any] = {"kind": "http", "http_version": "HTTP/1.1", "complete": True, "scope": "send-1"}
    return [
        Exchange(id=1, started=T0, method="GET", url="http://sandbox.kombo-tui.localhost/v1/integrations/" + GREENHOUSE,
                 request_headers=HEADERS_OUT[:2], status=200, reason="OK", response_headers=[("content-type", "application/json"), *LIMITS],
                 response_body=Body(size=1_742, mime="application/json", text='{"status":"success","data":{"id":"x"}}'),
                 timings=Timings(blocked=0.4, connect=3.1, send=0.3, wait=21.5, receive=0.8, traced=True), duration=0.0261, **common),
        Exchange(id=2, started=T0 + timedelta(seconds=2), method="POST", url=APP_URL, request_headers=HEADERS_OUT, request_body=upload,
                 status=429, reason="Too Many Requests",
                 response_headers=[("content-type", "application/json"), ("Retry-After", "2"), ("ratelimit-remaining", "0"), *LIMITS],
                 response_body=Body(size=len(refused), mime="application/json", text=refused),
                 timings=Timings(send=12.0, wait=8.5, receive=0.4, traced=True), duration=0.0209, **common),
        Exchange(id=3, kind="wait", started=T0 + timedelta(seconds=2.1), method="POST", url=APP_URL, duration=2.0, wait_seconds=2.04,
                 wait_reason="PLATFORM.RATE_LIMIT_EXCEEDED (Retry-After: 2)", attempt=1, follows=2, complete=True, scope="send-1"),
        Exchange(id=4, started=T0 + timedelta(seconds=4.2), method="POST", url=APP_URL, request_headers=HEADERS_OUT, request_body=upload,
                 status=200, reason="OK", response_headers=[("content-type", "application/json"), *LIMITS],
                 response_body=Body(size=len(created), mime="application/json", text=created),
                 timings=Timings(blocked=0.2, connect=14.0, ssl=9.0, send=35.2, wait=180.4, receive=1.3, traced=True),
                 duration=0.2311, **common),
        Exchange(id=5, started=T0 + timedelta(seconds=4.5), method="GET", url=APP_URL, request_headers=HEADERS_OUT[:2],
                 error="no response: RemoteProtocolError: Server disconnected", body_sent=True,
                 timings=Timings(send=0.2, wait=5000.0, traced=True), duration=5.0, **common),
    ]


def test_presented_rows_are_fixed_inert_and_filterable() -> None:
    found = fixed_exchanges()
    by_id = present.causes(found)
    cells = [present.cells(e, by_id) for e in found]
    assert [c[4] for c in cells] == ["200 OK", "429 Too Many Requ…", "wait 2.0 s (429)", "200 OK", "— RemoteProtocolE…"]
    assert [c[5] for c in cells] == ["26 ms", "21 ms", "2.04 s", "231 ms", "5.00 s"]
    assert cells[2][2] == "wait" and cells[2][3] == cells[1][3]
    assert [present.matches(c, e, "429") for c, e in zip(cells, found, strict=True)] == [False, True, True, False, False]
    assert [present.matches(c, e, "post attachments") for c, e in zip(cells, found, strict=True)] == [False, True, False, True, False]
    hostile = Exchange(id=9, kind="http", started=T0, method="GET\x1b[2J", url="http://x/[b]red[/b]\u202e?q=\x07",
                       status=200, reason="[link=x]OK\x1b", complete=True, duration=0.001)
    row = present.cells(hostile, {})
    assert all("\x1b" not in c and "\x07" not in c and "\u202e" not in c for c in row)


@pytest.fixture
def utc() -> Iterator[None]:
    old = os.environ.get("TZ")
    os.environ["TZ"] = "UTC"  # the list shows local times
    time.tzset()
    yield
    if old is None:
        del os.environ["TZ"]
    else:
        os.environ["TZ"] = old
    time.tzset()


async def test_hostile_exchanges_are_shown_inert(utc: None, files: Path) -> None:
    hostile = Exchange(
        id=1, kind="http", started=T0, method="GET", url="http://x/[b]path[/b]", complete=True, duration=0.01,
        request_headers=[("X-Evil", "[red]\x1b]52;c;cGF3bmVk\x07")], status=500, reason="[b]boom",
        request_body=Body(size=20, mime="text/plain", text="raw \x1b[31m [i]text"),
        response_headers=[("x-note", "\u202eevil")],
        response_body=Body(size=40, mime="application/json", text='{"msg": "[bold]\\u001b[2J"}'),
    )
    app = sandbox_app()
    async with app.run_test(size=SIZE) as pilot:
        await app.push_screen(ExchangesScreen(exchanges=[hostile]))
        await pilot.pause()
        assert rows(app.screen)[0][3] == "/[b]path[/b]"  # type: ignore[arg-type]
        await pilot.press("enter")
        await pilot.pause()
        shown = "\n".join(text(s) for s in app.screen.query(Static))
        assert "[red]\\x1b]52;c;cGF3bmVk\\x07" in shown and "\\u202eevil" in shown
        assert "\x1b" not in shown and "\x07" not in shown
        assert "raw \\x1b[31m [i]text" in shown and "500 [b]boom" in shown
        assert '"[bold]\\u001b[2J"' in shown  # pretty JSON keeps the escape: nothing raw reaches the screen


# --------------------------------------------------------------------------- snapshots


async def _exchanges_screen(pilot: Pilot[Any]) -> None:
    await settle(pilot, 0.5)
    await pilot.app.push_screen(ExchangesScreen(exchanges=fixed_exchanges(), scopes=("send-1",)))
    await pilot.pause()
    pilot.app.screen.query_one("#exchanges-filter", Input).blur()
    pilot.app.screen.query_one(ExchangeTable).focus()
    await pilot.press("down")
    await pilot.pause()


async def _exchange_detail(pilot: Pilot[Any]) -> None:
    await settle(pilot, 0.5)
    found = fixed_exchanges()
    await pilot.app.push_screen(ExchangeDetail(found[3], present.causes(found)))
    await pilot.pause()
    await pilot.press("end")
    await pilot.pause()


@pytest.mark.parametrize("drive", [_exchanges_screen, _exchange_detail], ids=["exchanges", "exchange_detail"])
def test_snapshot(snap_compare: Any, utc: None, files: Path, drive: Callable[[Pilot[Any]], Any]) -> None:
    assert snap_compare(sandbox_app(), terminal_size=SIZE, run_before=drive)


async def test_the_command_palette_opens_the_exchanges(files: Path, make_app: Callable[..., KomboApp]) -> None:
    from textual.command import CommandPalette

    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        assert "ExchangesScreen" not in {type(s).__name__ for s in app.screen_stack}
        await pilot.press("ctrl+p")
        await pilot.pause()
        await pilot.press(*"Exchanges")
        await pilot.pause(0.3)
        assert isinstance(app.screen, CommandPalette)
        await pilot.press("enter")
        await settle(pilot, 0.1)
        assert isinstance(app.screen, ExchangesScreen)
        assert not app.screen.only_scope and [r[2] for r in rows(app.screen)] == ["GET", "GET"]
