"""The browser-mode server against raw HTTP and websocket clients, with a stand-in app process.

Every server binds 127.0.0.1 on a free port and is closed (its app processes stopped or
killed) by the fixture; every wait is bounded.
"""

from __future__ import annotations

import asyncio
import io
import json
import re
import sys
import time
from collections.abc import AsyncIterator, Awaitable, Callable
from pathlib import Path
from typing import Any

import aiohttp
import psutil  # type: ignore[import-untyped]
import pytest

from kombo_tui.web.server import WebServer, serve_until

FAKE_APP = Path(__file__).with_name("fake_app.py")
TOKEN = "serve-test-token-0123456789"
KEY = "sk_fake_serve_key_4f1c9e"

MakeServer = Callable[..., Awaitable[WebServer]]


@pytest.fixture
async def make_server() -> AsyncIterator[MakeServer]:
    started: list[WebServer] = []

    async def make(*app_args: str, **options: Any) -> WebServer:
        server = WebServer([sys.executable, str(FAKE_APP), *app_args], token=TOKEN, port=0, **options)
        await server.start()
        started.append(server)
        return server

    yield make
    for server in started:
        await asyncio.wait_for(server.close(), 30)


@pytest.fixture
async def http() -> AsyncIterator[aiohttp.ClientSession]:
    # unsafe=True: keep cookies for an IP address, as a browser does
    async with aiohttp.ClientSession(
        cookie_jar=aiohttp.CookieJar(unsafe=True), timeout=aiohttp.ClientTimeout(total=20)
    ) as session:
        yield session


def _base(server: WebServer) -> str:
    return f"http://127.0.0.1:{server.port}"


def _own_origin(server: WebServer) -> dict[str, str]:
    return {"Origin": _base(server)}


def _left(deadline: float) -> float:
    """Seconds until ``deadline`` (a ``time.monotonic()`` value); fails the test once it passed."""
    left = deadline - time.monotonic()
    assert left > 0, "timed out"
    return left


async def _screen_until(ws: aiohttp.ClientWebSocketResponse, word: str, timeout: float = 15) -> str:
    """What the app drew, until ``word`` appears."""
    seen, deadline = "", time.monotonic() + timeout
    while word not in seen:
        message = await ws.receive(timeout=_left(deadline))
        if message.type == aiohttp.WSMsgType.BINARY:
            seen += message.data.decode("utf-8", "replace")
        elif message.type in (aiohttp.WSMsgType.CLOSE, aiohttp.WSMsgType.CLOSED, aiohttp.WSMsgType.CLOSING):
            raise AssertionError(f"closed before {word!r} appeared; saw {seen!r}")
    return seen


def _fake_apps() -> list[psutil.Process]:
    return [p for p in psutil.Process().children() if str(FAKE_APP) in " ".join(p.cmdline())]


# ---------------------------------------------------------------------------- the token


async def test_without_a_token_page_assets_websocket_and_downloads_are_refused(
    make_server: MakeServer, http: aiohttp.ClientSession
) -> None:
    server = await make_server()
    for path in ("/", "/static/js/textual.js", "/static/css/xterm.css", "/ws", "/download/abc", "/nothing-here"):
        async with http.get(_base(server) + path, headers=_own_origin(server)) as response:
            body = await response.text()
        assert response.status == 403, path
        assert response.content_type == "text/plain" and len(body) < 120, path
        assert "token" in body and "set-cookie" not in {k.lower() for k in response.headers}
    with pytest.raises(aiohttp.WSServerHandshakeError) as refused:
        await http.ws_connect(_base(server) + "/ws", headers=_own_origin(server))
    assert refused.value.status == 403
    assert _fake_apps() == []


async def test_a_wrong_token_is_refused(make_server: MakeServer, http: aiohttp.ClientSession) -> None:
    server = await make_server()
    for wrong in (TOKEN[:-1], TOKEN + "0", TOKEN.upper(), "x"):
        async with http.get(_base(server) + "/", params={"token": wrong}) as response:
            assert response.status == 403
        with pytest.raises(aiohttp.WSServerHandshakeError) as refused:
            await http.ws_connect(
                _base(server) + "/ws",
                headers={**_own_origin(server), "Cookie": f"{server.guard.cookie_name}={wrong}"},
            )
        assert refused.value.status == 403
    assert _fake_apps() == []


async def test_the_first_page_sets_the_cookie_and_the_cookie_admits_the_rest(
    make_server: MakeServer, http: aiohttp.ClientSession
) -> None:
    server = await make_server()
    async with http.get(server.url_with_token) as response:
        page = await response.text()
        cookie = response.headers["Set-Cookie"]
    assert response.status == 200 and "textual-terminal" in page
    assert cookie.startswith(f"{server.guard.cookie_name}={TOKEN};")
    assert {"HttpOnly", "Path=/", "SameSite=Strict"} <= {part.strip() for part in cookie.split(";")}
    assert response.headers["Cache-Control"] == "no-store" and response.headers["Referrer-Policy"] == "no-referrer"
    assert f'data-session-websocket-url="ws://127.0.0.1:{server.port}/ws"' in page
    # from now on the cookie alone: the page again, its assets, the websocket
    async with http.get(_base(server) + "/") as again, http.get(_base(server) + "/static/js/textual.js") as script:
        assert again.status == 200 and script.status == 200
    async with http.ws_connect(_base(server) + "/ws?width=100&height=30", headers=_own_origin(server)) as ws:
        await _screen_until(ws, "hello from the fake app")
        await ws.send_json(["stdin", "q"])
        await _screen_until(ws, "echo:q")
        await ws.send_json(["ping", "42"])
        deadline = time.monotonic() + 10
        while (message := await ws.receive(timeout=_left(deadline))).type != aiohttp.WSMsgType.TEXT:
            pass
        assert json.loads(message.data) == ["pong", "42"]


# ---------------------------------------------------------------------------- Host and Origin


async def test_a_foreign_host_is_refused_even_with_the_token(
    make_server: MakeServer, http: aiohttp.ClientSession
) -> None:
    """DNS rebinding: evil.example resolves to 127.0.0.1, so the browser sends its own name."""
    server = await make_server()
    for host in ("evil.example", f"evil.example:{server.port}", "127.0.0.1:1", f"127.0.0.1.nip.io:{server.port}"):
        async with http.get(server.url_with_token, headers={"Host": host}) as response:
            assert response.status == 403, host
            assert "host" in (await response.text())
        with pytest.raises(aiohttp.WSServerHandshakeError) as refused:
            await http.ws_connect(
                _base(server) + f"/ws?token={TOKEN}",
                headers={"Host": host, "Origin": f"http://{host}", "Cookie": f"{server.guard.cookie_name}={TOKEN}"},
            )
        assert refused.value.status == 403
    assert _fake_apps() == []


@pytest.mark.parametrize(
    "origin",
    [
        "https://evil.example",
        "http://evil.example",
        "null",
        "http://localhost:{port}",
        "https://127.0.0.1:{port}",
        None,
    ],
)
async def test_a_websocket_from_a_foreign_or_missing_origin_is_refused(
    make_server: MakeServer, http: aiohttp.ClientSession, origin: str | None
) -> None:
    server = await make_server()
    headers = {"Cookie": f"{server.guard.cookie_name}={TOKEN}"}
    if origin is not None:
        headers["Origin"] = origin.format(port=server.port)
    with pytest.raises(aiohttp.WSServerHandshakeError) as refused:
        await http.ws_connect(_base(server) + "/ws", headers=headers)
    assert refused.value.status == 403
    async with http.get(_base(server) + "/ws", headers=headers) as response:
        assert response.status == 403 and "origin" in await response.text()
    assert _fake_apps() == []


async def test_the_public_url_host_gets_its_own_page_urls_and_origin(
    make_server: MakeServer, http: aiohttp.ClientSession
) -> None:
    server = await make_server(public_url="https://hub.example.com/user/ana/proxy/8000/")
    async with http.get(server.url_with_token, headers={"Host": "hub.example.com"}) as response:
        page = await response.text()
        assert response.status == 200
        assert "Secure" in response.headers["Set-Cookie"]
    assert 'data-session-websocket-url="wss://hub.example.com/user/ana/proxy/8000/ws"' in page
    assert 'href="/user/ana/proxy/8000/static/css/xterm.css"' in page
    async with http.ws_connect(
        _base(server) + f"/ws?token={TOKEN}", headers={"Host": "hub.example.com", "Origin": "https://hub.example.com"}
    ) as ws:
        await _screen_until(ws, "hello from the fake app")
    with pytest.raises(aiohttp.WSServerHandshakeError):
        await http.ws_connect(
            _base(server) + f"/ws?token={TOKEN}", headers={"Host": "hub.example.com", "Origin": "https://evil.example"}
        )


# ---------------------------------------------------------------------------- the session cap


async def test_the_session_cap_refuses_one_more_and_frees_a_place_when_one_ends(
    make_server: MakeServer, http: aiohttp.ClientSession
) -> None:
    server = await make_server(max_sessions=2)
    headers = {**_own_origin(server), "Cookie": f"{server.guard.cookie_name}={TOKEN}"}
    first = await http.ws_connect(_base(server) + "/ws", headers=headers)
    second = await http.ws_connect(_base(server) + "/ws", headers=headers)
    for ws in (first, second):
        await _screen_until(ws, "hello from the fake app")
    assert len(_fake_apps()) == 2 and server.running_sessions == 2
    with pytest.raises(aiohttp.WSServerHandshakeError) as refused:
        await http.ws_connect(_base(server) + "/ws", headers=headers)
    assert refused.value.status == 503
    async with http.get(_base(server) + "/ws", headers=headers) as response:
        message = await response.text()
    assert response.status == 503 and "2 sessions are already running" in message and "--max-sessions" in message
    assert len(_fake_apps()) == 2
    await first.close()
    deadline = time.monotonic() + 15
    while server.running_sessions > 1:
        await asyncio.sleep(min(0.05, _left(deadline)))
    third = await http.ws_connect(_base(server) + "/ws", headers=headers)
    await _screen_until(third, "hello from the fake app")
    await third.close()
    await second.close()


# ---------------------------------------------------------------------------- the key


async def test_the_app_process_gets_the_key_on_a_pipe_and_no_secret_in_its_environment(
    make_server: MakeServer, http: aiohttp.ClientSession, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("KOMBO_API_KEY", KEY)
    monkeypatch.setenv("KOMBO_TUI_SERVE_TOKEN", TOKEN)
    report = tmp_path / "report.json"
    server = await make_server("--report", str(report), key=KEY)
    headers = {**_own_origin(server), "Cookie": f"{server.guard.cookie_name}={TOKEN}"}
    async with http.ws_connect(_base(server) + "/ws", headers=headers) as ws:
        await _screen_until(ws, "hello from the fake app")
    seen = json.loads(report.read_text(encoding="utf-8"))
    assert seen["key"] == KEY
    assert "KOMBO_API_KEY" not in seen["environ"] and "KOMBO_TUI_SERVE_TOKEN" not in seen["environ"]
    assert KEY not in seen["kernel_view"] and TOKEN not in seen["kernel_view"]
    assert seen["environ"]["TEXTUAL_DRIVER"].startswith("textual.drivers.web_driver")


async def test_the_app_may_not_make_the_browser_open_a_javascript_link(
    make_server: MakeServer, http: aiohttp.ClientSession
) -> None:
    server = await make_server("--open-urls")
    opened: list[Any] = []
    headers = {**_own_origin(server), "Cookie": f"{server.guard.cookie_name}={TOKEN}"}
    async with http.ws_connect(_base(server) + "/ws", headers=headers) as ws:
        await ws.send_json(["stdin", "x"])
        seen, deadline = "", time.monotonic() + 15
        while "echo:x" not in seen:
            message = await ws.receive(timeout=_left(deadline))
            if message.type == aiohttp.WSMsgType.TEXT:
                opened.append(json.loads(message.data))
            elif message.type == aiohttp.WSMsgType.BINARY:
                seen += message.data.decode()
    assert opened == [["open_url", {"url": "https://kombo.dev/docs", "new_tab": True}]]


async def _serve_in_background(
    stop: asyncio.Event, command: list[str], out: io.StringIO
) -> tuple[asyncio.Task[None], str]:
    task = asyncio.create_task(serve_until(stop, command, token=TOKEN, port=0, out=out))
    deadline = time.monotonic() + 20
    while not (found := re.search(r"http://127\.0\.0\.1:\d+/\?token=\S+", out.getvalue())):
        assert not task.done(), out.getvalue()
        await asyncio.sleep(min(0.05, _left(deadline)))
    return task, found.group(0)


async def test_a_failing_app_start_and_a_leaking_app_print_no_secret(
    http: aiohttp.ClientSession, monkeypatch: pytest.MonkeyPatch, capfd: pytest.CaptureFixture[str]
) -> None:
    """textual-serve logged the failed start with its locals: the child's environment, key and all."""
    monkeypatch.setenv("KOMBO_API_KEY", KEY)
    real_exec = asyncio.create_subprocess_exec
    failing = {"now": True}

    async def exec_or_fail(*argv: str, **kwargs: Any) -> asyncio.subprocess.Process:
        if failing["now"]:
            # the worst a library could do: put the whole environment in its message
            raise RuntimeError(f"cannot start {argv[0]} with {kwargs.get('env')}")
        return await real_exec(*argv, **kwargs)

    monkeypatch.setattr(asyncio, "create_subprocess_exec", exec_or_fail)
    out = io.StringIO()
    stop = asyncio.Event()
    task, url = await _serve_in_background(stop, [sys.executable, str(FAKE_APP), "--leak-stderr", KEY], out)
    try:
        assert url.endswith(f"?token={TOKEN}")
        origin = {"Origin": url.split("/?")[0]}
        async with http.get(url) as response:
            assert response.status == 200
        ws = await http.ws_connect(url.split("/?")[0] + "/ws", headers=origin)
        await ws.receive(timeout=15)  # the server gives up on this session
        failing["now"] = False
        async with http.ws_connect(url.split("/?")[0] + "/ws", headers=origin) as ws:
            await _screen_until(ws, "hello from the fake app")
    finally:
        stop.set()
        await asyncio.wait_for(task, 30)
    printed = out.getvalue() + "".join(capfd.readouterr())
    assert "Error handling request" in printed and "RuntimeError: cannot start" in printed  # the failure is reported
    assert "Traceback (locals): api_key = '[redacted]'" in printed  # what the app printed reached the log
    assert "Bearer [redacted]" in printed
    assert KEY not in printed
    assert printed.count(TOKEN) == 1  # only in the URL printed once for the user
