"""Browser mode end to end: `kombo-tui serve --sandbox` in headless Chromium, on loopback only.

The page is opened through the printed URL, whose token the server keeps in a cookie; a
browser without it is turned away. Skips (saying why) where Debian's chromium is not installed.
Chromium is started with every host but 127.0.0.1 mapped to "not found" and every non-loopback
request aborted, so the page's web-font link never leaves the machine.
"""

from __future__ import annotations

import os
import re
import shutil
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")

pytestmark = [
    pytest.mark.browser,
    pytest.mark.skipif(CHROMIUM is None, reason="no Chromium on this machine (Debian: apt-get install chromium)"),
]


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@pytest.fixture
def served() -> Iterator[str]:
    """`kombo-tui serve --sandbox` on a free port; yields the printed URL (with its token)."""
    port = _free_port()
    env = {k: v for k, v in os.environ.items() if not k.startswith("KOMBO_")}
    proc = subprocess.Popen(
        [sys.executable, "-m", "kombo_tui", "serve", "--sandbox", "--port", str(port)],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        text=True,
    )
    printed: list[str] = []
    reader = threading.Thread(target=lambda: printed.extend(proc.stderr or ()), daemon=True)
    reader.start()
    deadline = time.monotonic() + 30
    while not (found := re.search(rf"http://127\.0\.0\.1:{port}/\?token=\S+", "".join(printed))):
        if time.monotonic() > deadline or proc.poll() is not None:
            proc.kill()
            pytest.fail(f"serve did not start: {''.join(printed)}")
        time.sleep(0.1)
    yield found.group(0)
    proc.terminate()
    try:
        proc.wait(timeout=20)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.wait(timeout=10)


def test_app_renders_in_the_browser_and_takes_keys(served: str, tmp_path: Path) -> None:
    from playwright.sync_api import sync_playwright

    with sync_playwright() as pw:
        browser = pw.chromium.launch(
            executable_path=CHROMIUM,
            args=[
                "--no-sandbox",
                "--disable-gpu",
                "--disable-quic",
                "--no-first-run",
                "--disable-background-networking",
                "--disable-component-update",
                "--disable-sync",
                "--host-resolver-rules=MAP * ~NOTFOUND, EXCLUDE 127.0.0.1",
            ],
        )
        page = browser.new_page(viewport={"width": 1400, "height": 900})
        off_box: list[str] = []
        frames: list[str] = []

        def only_loopback(route):  # type: ignore[no-untyped-def]
            if route.request.url.startswith(("http://127.0.0.1", "ws://127.0.0.1")):
                route.continue_()
            else:
                off_box.append(route.request.url)
                route.abort()

        def on_socket(ws):  # type: ignore[no-untyped-def]
            ws.on("framereceived", lambda p: frames.append(p if isinstance(p, str) else p.decode("utf-8", "replace")))

        def screen_text(since: int = 0) -> str:
            # The terminal draws on a canvas; the app's output travels over the websocket.
            return re.sub(r"\x1b\[[0-9;?$]*[A-Za-z]", "", "".join(frames[since:]))

        def wait_for(word: str, timeout: float, since: int = 0) -> None:
            deadline = time.monotonic() + timeout
            while word not in screen_text(since):
                assert time.monotonic() < deadline, f"{word!r} never appeared"
                page.wait_for_timeout(100)

        page.route("**/*", only_loopback)
        page.on("websocket", on_socket)
        base = served.split("?")[0]
        stranger = browser.new_context().new_page()  # no token, no cookie
        refused = stranger.goto(base)
        assert refused is not None and refused.status == 403 and "token" in stranger.content()
        page.goto(served)
        page.wait_for_selector(".xterm-screen", timeout=30_000)
        page.mouse.click(700, 450)  # focus the terminal
        wait_for("SANDBOX", 30)
        wait_for("Integration", 10)  # the fields mount right after the first frame
        page.wait_for_timeout(1000)  # let the first checks settle
        page.mouse.click(700, 450)
        before = len(frames)
        page.keyboard.press("F1")
        wait_for("The flow", 10, since=before)  # the help screen's first heading
        page.wait_for_timeout(300)
        # `scripts/make_screenshots.py browser` points this at screenshots/browser.png
        shot = Path(os.environ.get("SCREENSHOT_BROWSER_PNG") or tmp_path / "browser.png")
        page.screenshot(path=str(shot))
        again = page.goto(base)  # the cookie alone opens the app again
        assert again is not None and again.status == 200
        page.wait_for_selector(".xterm-screen", timeout=30_000)
        before = len(frames)
        wait_for("Integration", 30, since=before)
        browser.close()
    assert shot.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    assert all("127.0.0.1" not in u for u in off_box)
