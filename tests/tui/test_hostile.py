"""Issue 10 through the app: a hostile Kombo server and hostile names are shown as inert text.

A fake Kombo (the in-process sandbox behind :class:`HostileKombo`) puts one hostile string in
every field the app shows — tool label and states, candidate names, emails, jobs, stages,
outcomes, accepted types, attachment names, Kombo's warnings, an error's code, title,
message and ``log_url`` — and the second file's name carries it too. Each case drives the
whole app: integration check, picker, confirm, send with warnings, Verify, a refused send,
F8, History and its detail. After every step the rendered screen is searched: no raw escape
character, no click action bound to outside text, and a click on the hostile text runs
nothing. The app never crashes, freezes, or stays at "Sending…".
"""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import httpx
import pytest
from rich.segment import Segment
from textual._compositor import LayoutUpdate
from textual.pilot import Pilot
from textual.widgets import Input

from kombo_tui.core.history import History
from kombo_tui.tui.app import KomboApp
from kombo_tui.tui.screens.history import HistoryDetail, HistoryScreen
from kombo_tui.tui.screens.picker import ApplicationPicker
from kombo_tui.tui.text import safe_line
from kombo_tui.tui.widgets.result import NOT_A_LINK

from .states import GREENHOUSE, PDF, SIZE, settle
from .test_flow import main_screen

HOSTILE = {
    "markup": "[b]Mallory[/b] [red on white]red[/]",
    "leading-space": "[ reverse]spoofed[/ reverse]",
    "click-quit": "[ @click=app.quit]click me[/]",
    "click-screenshot": "[@click=app.screenshot('pwned.svg')]click me[/]",
    "capitals": "[B]Caps[/B] [@CLICK=app.quit]click me",
    "trailing-backslash": "ends in a backslash\\",
    "unclosed": "unclosed [/",
    "mismatched": "[/mismatched] tag",
    "osc52-clipboard": "\x1b]52;c;ZXZpbA==\x07clipboard",
    "clear-screen": "\x1b[2J\x1b[Hcleared",
    "osc8-link": "\x1b]8;;https://evil.example\x1b\\link\x1b]8;;\x1b\\",
    "c1-and-bidi": "\x9b2J\u202eevil\u202c\x85",
    "100kB": "[" + "A" * 100_000 + "[/\\",
}
"""Every hostile string tried (the README's reliability table counts these cases)."""

RAW = ("\x1b", "\x07", "\x9b", "\x9d", "\x85", "\u202e")
"""Characters that must never reach the terminal as they are."""

POISONED = frozenset(
    {"label", "status", "setup_status", "coverage_status", "first_name", "last_name", "name", "email_address",
     "outcome", "file_name"}
)
"""Keys of Kombo's answers whose values the hostile server replaces."""


class HostileKombo(httpx.AsyncBaseTransport):
    """The sandbox, with ``payload`` in every displayed field; ``refuse`` turns uploads into errors."""

    def __init__(self, inner: httpx.AsyncBaseTransport, payload: str) -> None:
        self.inner = inner
        self.payload = payload
        self.refuse = False
        self.log_url = payload

    def _poison(self, value: Any, key: str = "") -> Any:
        if isinstance(value, dict):
            return {k: self._poison(v, k) for k, v in value.items()}
        if isinstance(value, list):
            # A long payload goes into the first rows only: a page of 250 applications with
            # 100 kB in every field would pass the client's answer limit (16 MB), and be refused.
            keep = 20 if len(self.payload) > 10_000 else len(value)
            items = [self._poison(v, key) if i < keep else v for i, v in enumerate(value)]
            return [*items, self.payload] if key == "accepted_mime_types" else items
        if isinstance(value, str) and key in POISONED:
            return self.payload
        return value

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        if request.method == "POST" and self.refuse:
            await request.aread()
            error = {"code": self.payload, "title": self.payload, "message": self.payload, "log_url": self.log_url}
            return httpx.Response(400, json={"status": "error", "error": error})
        response = await self.inner.handle_async_request(request)
        await response.aread()
        if not response.headers.get("content-type", "").startswith("application/json"):
            return response
        data = json.loads(response.content)
        if request.method == "POST":
            data["warnings"] = [{"message": self.payload}]
        elif isinstance(data, dict) and "data" in data:
            data["data"] = self._poison(data["data"])  # the envelope's own status stays Kombo's
        headers = {k: v for k, v in response.headers.items() if k.lower() not in ("content-length", "content-encoding")}
        return httpx.Response(response.status_code, headers=headers, json=data)


class Tripwire:
    """Records every action outside text must never run (a click on it, a link opened)."""

    def __init__(self, app: KomboApp) -> None:
        self.ran: list[str] = []
        self.app = app
        app.action_quit = self._record("quit")  # type: ignore[method-assign,assignment]
        app.action_screenshot = self._record("screenshot")  # type: ignore[method-assign]
        app.open_url = self._record("open_url")  # type: ignore[method-assign]

    def _record(self, name: str) -> Callable[..., None]:
        def ran(*args: Any, **kwargs: Any) -> None:
            self.ran.append(name)

        return ran


def screen_lines(app: KomboApp) -> list[list[Segment]]:
    """The segments of every line of the screen as the terminal would get them."""
    update = app.screen._compositor.render_update(full=True)
    assert isinstance(update, LayoutUpdate)
    return [[segment for strip in line for segment in strip] for line in update.strips]


async def assert_inert(pilot: Pilot[Any], app: KomboApp, tripwire: Tripwire, where: str, payload: str) -> None:
    """The payload on screen as text; nothing raw, no click bound to it, and clicking it runs nothing."""
    assert app._exception is None, f"{where}: the app crashed: {app._exception!r}"
    lines = screen_lines(app)
    shown = safe_line(payload)[:10]  # its brackets and escapes as characters: markup was not read
    screen = ["".join(s.text for s in segments) for segments in lines]
    assert any(shown in text for text in screen), f"{where}: {shown!r} is not on screen:\n" + "\n".join(screen)
    clicks = 3  # a click on the first few places it shows (a table of 60 such rows needs no 60 clicks)
    for y, segments in enumerate(lines):
        text = "".join(s.text for s in segments)
        for raw in RAW:
            assert raw not in text, f"{where}: raw {raw!r} on screen line {y}: {text!r}"
        for segment in segments:
            click = segment.style.meta.get("@click") if segment.style and segment.style._meta else None
            assert click is None or str(click).startswith(("app.simulate_key(", "app.bell(")), (
                f"{where}: a click action {click!r} is bound on line {y}: {text!r}"
            )
        x = text.lower().find("@click=")
        if x >= 0 and clicks:
            clicks -= 1
            await pilot.click(offset=(x, y))
            await pilot.pause()
    assert tripwire.ran == [], f"{where}: outside text ran {tripwire.ran}"
    assert not Path("pwned.svg").exists()


@pytest.mark.parametrize("payload", list(HOSTILE.values()), ids=list(HOSTILE))
async def test_hostile_server_and_names_stay_inert(files: Path, make_app: Callable[..., KomboApp], payload: str) -> None:
    transports: list[HostileKombo] = []

    def hostile(inner: httpx.AsyncBaseTransport) -> HostileKombo:
        transports.append(HostileKombo(inner, payload))
        return transports[0]

    # A file name: no slash, not too long, no backslash (a typed one reads as a shell escape).
    second = f"{payload[:80]}.pdf".replace("/", "_").replace("\\", "_")
    (files / second).write_bytes(PDF + b"% second\n")
    app = make_app(wrap=hostile, history=History(files / "history.sqlite3"), integration=GREENHOUSE)
    async with app.run_test(size=SIZE) as pilot:
        tripwire = Tripwire(app)
        screen = main_screen(app)
        await settle(pilot, 0.3)
        assert screen.integration_view.details is not None, screen.integration_view
        await assert_inert(pilot, app, tripwire, "integration check", payload)

        await pilot.press("f3")
        await settle(pilot, 0.1)
        assert isinstance(app.screen, ApplicationPicker) and app.screen.cache.rows
        await assert_inert(pilot, app, tripwire, "picker", payload)
        await pilot.press("enter")
        await settle(pilot)
        assert screen.picked is not None and screen.picked.candidate

        screen.query_one("#path", Input).value = "Jane_Doe_CV.pdf"
        await settle(pilot, 0.1)
        await pilot.press("ctrl+s")
        await settle(pilot)
        assert app.screen.id == "confirm"
        await assert_inert(pilot, app, tripwire, "confirm", payload)
        await pilot.press("enter")
        await settle(pilot, 0.1)
        assert screen.result.kind == "sent" and screen.result.warnings, screen.result
        assert not screen.sending
        await assert_inert(pilot, app, tripwire, "sent with warnings", payload)

        await pilot.press("f5")
        await settle(pilot, 0.1)
        assert screen.result.verification and "checking" not in screen.result.verification
        await assert_inert(pilot, app, tripwire, "verify", payload)

        transports[0].refuse = True
        screen.query_one("#path", Input).value = second
        await settle(pilot, 0.1)
        assert screen.file_view.state == "ready", screen.file_view
        await pilot.press("ctrl+s")
        await settle(pilot)
        await pilot.press("enter")
        await settle(pilot, 0.1)
        refused = screen.result
        assert refused.kind == "error" and refused.code == payload, refused
        await assert_inert(pilot, app, tripwire, "refused", payload)
        clipboard = app.clipboard
        await pilot.press("f8")
        await pilot.pause()
        assert app.clipboard == clipboard, "a hostile log_url was copied as a link"

        await pilot.press("f9")
        await settle(pilot)
        assert isinstance(app.screen, HistoryScreen) and len(app.screen.entries) == 2
        await assert_inert(pilot, app, tripwire, "history", payload)
        if isinstance(app.screen, HistoryScreen):  # (a click on a row may have opened it already)
            app.screen._open(0)
            await settle(pilot)
        assert isinstance(app.screen, HistoryDetail)
        await assert_inert(pilot, app, tripwire, "history detail", payload)
        await pilot.press("o", "c")
        await pilot.pause()
        assert app.clipboard == clipboard and tripwire.ran == []
    assert app._exception is None


@pytest.mark.parametrize(
    ("log_url", "opens"),
    [
        ("file:///etc/passwd", False),
        ("javascript:alert(document.cookie)", False),
        ("http://app.kombo.dev/logs/1", False),
        ("https://app.kombo.dev/logs/1", True),
    ],
    ids=["file", "javascript", "http", "https"],
)
async def test_log_url_is_a_link_only_when_https(
    files: Path, make_app: Callable[..., KomboApp], log_url: str, opens: bool
) -> None:
    def refusing(inner: httpx.AsyncBaseTransport) -> HostileKombo:
        transport = HostileKombo(inner, "INTEGRATION.REFUSED")
        transport.refuse, transport.log_url = True, log_url
        return transport

    app = make_app(wrap=refusing, history=History(files / "history.sqlite3"), integration=GREENHOUSE)
    async with app.run_test(size=SIZE) as pilot:
        tripwire = Tripwire(app)
        screen = main_screen(app)
        await settle(pilot, 0.3)
        screen.query_one("#application", Input).value = "APP1"
        screen.query_one("#path", Input).value = "Jane_Doe_CV.pdf"
        await settle(pilot, 0.1)
        await pilot.press("ctrl+s")
        await settle(pilot)
        await pilot.press("enter")
        await settle(pilot, 0.1)
        assert screen.result.kind == "error" and screen.result.log_url == log_url
        link = screen.query_one("#log-url")
        assert link.display is opens and screen.query_one("#copy-log").display is opens
        text = "\n".join("".join(s.text for s in line) for line in screen_lines(app))
        assert (NOT_A_LINK in text) is not opens
        if not opens:  # shown as text: clicking it opens nothing
            y, line = next((y, line) for y, line in enumerate(text.splitlines()) if log_url[:20] in line)
            await pilot.click(offset=(line.index(log_url[:20]) + 2, y))
            await pilot.pause()
        await pilot.press("f8")
        await pilot.pause()
        assert (app.clipboard == log_url) is opens
        app.copy_to_clipboard("")
        await pilot.press("f9")
        await settle(pilot)
        await pilot.press("enter")
        await settle(pilot)
        assert isinstance(app.screen, HistoryDetail)
        await pilot.press("o", "c")
        await pilot.pause()
        assert (app.clipboard == log_url) is opens
        assert tripwire.ran == (["open_url"] if opens else [])


async def test_inputs_never_hold_raw_control_characters(files: Path, make_app: Callable[..., KomboApp]) -> None:
    from kombo_tui.tui.state import PickedApplication

    odd = "app\x1b[2J\x9b1"
    name = "cv\x1b]52;c;ZXZpbA==\x07.pdf"
    (files / name).write_bytes(PDF)
    app = make_app(integration=GREENHOUSE)
    async with app.run_test(size=SIZE) as pilot:
        screen = main_screen(app)
        await settle(pilot, 0.3)
        screen._picked(PickedApplication(id=odd, candidate="Ava"))  # an id from the server
        screen.query_one("#path", Input).value = name  # a pasted or dropped name
        await settle(pilot, 0.1)
        assert screen.query_one("#application", Input).value == safe_line(odd)
        assert screen.draft.application_id == odd  # the real id is what is sent
        assert screen.query_one("#path", Input).value == safe_line(name)
        assert screen.file_view.state == "ready" and screen.draft.file == files / name
        assert screen.query_one("#name", Input).value == safe_line(name)
        assert screen.draft.name == name
        integration = screen.query_one("#integration", Input)
        integration.insert_text_at_cursor("\x1b[2J")  # a paste with control characters is refused
        assert integration.value == GREENHOUSE
        text = "\n".join("".join(s.text for s in line) for line in screen_lines(app))
        assert "\x1b" not in text and "\x9b" not in text and "\x07" not in text
        screen.query_one("#application", Input).value = "APP2"  # edited: the text is the user's
        await pilot.pause()
        assert screen.draft.application_id == "APP2"
