"""`kombo-tui serve` as a user runs it: the real app behind the guarded server, and its bad inputs."""

from __future__ import annotations

import asyncio
import os
import re
import signal
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager

import aiohttp
import psutil  # type: ignore[import-untyped]
import pytest

from kombo_tui.cli import main

KEY = "sk_fake_cli_serve_key_8d2a71"


def _left(deadline: float) -> float:
    """Seconds until ``deadline`` (a ``time.monotonic()`` value); fails the test once it passed."""
    left = deadline - time.monotonic()
    assert left > 0, "timed out"
    return left


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


class _Served:
    def __init__(self, proc: subprocess.Popen[str]) -> None:
        self.proc = proc
        self.stderr: list[str] = []
        self.reader = threading.Thread(target=self._read, daemon=True)
        self.reader.start()

    def _read(self) -> None:
        assert self.proc.stderr is not None
        for line in self.proc.stderr:
            self.stderr.append(line)

    def url(self, timeout: float = 30) -> str:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            found = re.search(r"http://127\.0\.0\.1:\d+/\?token=\S+", "".join(self.stderr))
            if found:
                return found.group(0)
            assert self.proc.poll() is None, "".join(self.stderr)
            time.sleep(0.05)
        raise AssertionError(f"no URL printed: {''.join(self.stderr)}")


@contextmanager
def _serve(*args: str, env: dict[str, str]) -> Iterator[_Served]:
    proc = subprocess.Popen(
        [sys.executable, "-m", "kombo_tui", "serve", *args],
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    served = _Served(proc)
    try:
        yield served
    finally:
        if proc.poll() is None:
            proc.send_signal(signal.SIGTERM)
            try:
                proc.wait(timeout=20)
            except subprocess.TimeoutExpired:
                for child in psutil.Process(proc.pid).children(recursive=True):
                    child.kill()
                proc.kill()
                proc.wait(timeout=10)
        served.reader.join(timeout=10)


async def test_serve_hands_the_key_to_the_app_on_a_pipe_and_prints_it_nowhere() -> None:
    port, closed_port = _free_port(), _free_port()
    env = {**os.environ, "KOMBO_API_KEY": KEY}
    with _serve("--base-url", f"http://127.0.0.1:{closed_port}/v1", "--port", str(port), env=env) as served:
        url = await asyncio.to_thread(served.url)
        base, token = url.split("/?token=")
        assert base == f"http://127.0.0.1:{port}" and len(token) >= 40
        async with aiohttp.ClientSession(
            cookie_jar=aiohttp.CookieJar(unsafe=True), timeout=aiohttp.ClientTimeout(total=60)
        ) as http:
            async with http.get(url) as page:
                assert page.status == 200
            async with http.ws_connect(f"{base}/ws?width=120&height=40", headers={"Origin": base}) as ws:
                screen, deadline = "", time.monotonic() + 60
                while "key from environment" not in screen:
                    message = await ws.receive(timeout=_left(deadline))
                    assert message.type in (aiohttp.WSMsgType.BINARY, aiohttp.WSMsgType.TEXT), screen
                    if message.type == aiohttp.WSMsgType.BINARY:
                        screen += re.sub(r"\x1b\[[0-9;?$<>]*[A-Za-z]", "", message.data.decode("utf-8", "replace"))
                apps = psutil.Process(served.proc.pid).children()
                assert len(apps) == 1 and "kombo_tui.web.app_process" in apps[0].cmdline()
                environ = apps[0].environ()
                assert "KOMBO_API_KEY" not in environ and KEY not in "".join(environ.values())
                assert token not in "".join(environ.values())
        deadline = time.monotonic() + 30  # the tab is gone: its app process quits (or is killed)
        while "browser session ended" not in "".join(served.stderr):
            await asyncio.sleep(min(0.05, _left(deadline)))
        served.proc.send_signal(signal.SIGTERM)
        out, _ = await asyncio.to_thread(served.proc.communicate, timeout=30)
        served.reader.join(timeout=10)
    assert served.proc.returncode == 0
    printed = out + "".join(served.stderr)
    assert "browser session started" in printed and "browser session ended" in printed
    assert KEY not in printed
    assert printed.count(token) == 1


async def test_stopping_serve_ends_the_open_sessions_app_processes() -> None:
    port = _free_port()
    with _serve("--sandbox", "--port", str(port), env=dict(os.environ)) as served:
        url = await asyncio.to_thread(served.url)
        base = url.split("/?")[0]
        async with aiohttp.ClientSession(cookie_jar=aiohttp.CookieJar(unsafe=True)) as http:
            async with http.get(url) as page:
                assert page.status == 200
            async with http.ws_connect(f"{base}/ws", headers={"Origin": base}) as ws:
                screen, deadline = "", time.monotonic() + 60
                while "SANDBOX" not in screen:
                    message = await ws.receive(timeout=_left(deadline))
                    assert message.type == aiohttp.WSMsgType.BINARY, message
                    screen += message.data.decode("utf-8", "replace")
                [app] = psutil.Process(served.proc.pid).children()
                served.proc.send_signal(signal.SIGTERM)  # the tab is still open
                deadline = time.monotonic() + 30
                while (message := await ws.receive(timeout=_left(deadline))).type == aiohttp.WSMsgType.BINARY:
                    pass
                assert message.type in (aiohttp.WSMsgType.CLOSE, aiohttp.WSMsgType.CLOSED, aiohttp.WSMsgType.CLOSING)
        assert await asyncio.to_thread(served.proc.wait, 30) == 0
    assert not app.is_running() or app.status() == psutil.STATUS_ZOMBIE


async def test_serve_takes_the_token_from_the_environment() -> None:
    token = "env-token-for-serve-0123456789"
    env = {**os.environ, "KOMBO_TUI_SERVE_TOKEN": token}
    with _serve("--sandbox", "--port", str(_free_port()), "--max-sessions", "1", env=env) as served:
        url = await asyncio.to_thread(served.url)
        assert url.endswith(f"/?token={token}")
        assert "at most 1 browser sessions" in "".join(served.stderr)


@pytest.mark.parametrize(
    ("argv", "env", "says"),
    [
        (["--base-url", "http://example.com/v1"], {}, "base_url"),  # was a traceback
        ([], {"KOMBO_TUI_SERVE_TOKEN": "short"}, "KOMBO_TUI_SERVE_TOKEN must be 16"),
        (["--public-url", "http://hub.example.com/"], {}, "public URL must be https"),
        (["--max-sessions", "0"], {}, "max_sessions must be at least 1"),
        (["--host", "0.0.0.0"], {}, "not a loopback address"),
    ],
)
def test_serve_refuses_bad_input_with_exit_2(
    argv: list[str], env: dict[str, str], says: str, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    for name, value in env.items():
        monkeypatch.setenv(name, value)
    assert main(["serve", "--port", str(_free_port()), *argv]) == 2
    err = capsys.readouterr().err
    assert says in err and "Traceback" not in err


def test_serve_on_a_taken_port_says_so(capsys: pytest.CaptureFixture[str]) -> None:
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        assert main(["serve", "--sandbox", "--port", str(port)]) == 2
    assert f"cannot listen on 127.0.0.1:{port}" in capsys.readouterr().err
