"""The app's main states, reproducible: shared by the snapshot tests and scripts/make_screenshots.py.

Each state is an app factory plus a ``run_before`` coroutine that drives it with Pilot. The
sandbox is mounted in-process (fixed base URL, seeded data), files are read by relative name
from the working directory, cursors do not blink, and the sandbox's clock is frozen (what it
stamps, and the app shows, reads 2026-12-03 on any day).
"""

from __future__ import annotations

import asyncio
import dataclasses
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

import httpx
from textual.pilot import Pilot
from textual.widgets import Input

from kombo_tui.sandbox.app import SandboxConfig, create_app
from kombo_tui.sandbox.data import dataset
from kombo_tui.tui.app import KomboApp, make_app

SIZE = (120, 40)
GREENHOUSE = "greenhouse:sandbox-greenhouse"
PDF = b"%PDF-1.4\n%\xe2\xe3\xcf\xd3\n1 0 obj<</Type/Catalog>>endobj\ntrailer<<>>\n%%EOF\n"


class DropAfterSend(httpx.AsyncBaseTransport):
    """Lets the sandbox store the upload, then loses the answer (outcome unknown)."""

    def __init__(self, inner: httpx.AsyncBaseTransport) -> None:
        self.inner = inner

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        response = await self.inner.handle_async_request(request)
        if request.method == "POST":
            await response.aread()
            raise httpx.RemoteProtocolError("Server disconnected without sending a response.", request=request)
        return response


def write_sample_files(folder: Path) -> None:
    (folder / "Jane_Doe_CV.pdf").write_bytes(PDF)
    (folder / "Jane_Doe_Cover_Letter.pdf").write_bytes(PDF.replace(b"Catalog", b"Catalog/Lang(en)"))
    (folder / "empty.pdf").write_bytes(b"")
    (folder / "scan").write_bytes(b"\x00\x01\x02\x03" * 4096)


FROZEN_NOW = datetime(2026, 12, 3, 12, 0, tzinfo=timezone.utc).timestamp()
"""The sandbox's "now" in app tests: uploads are stamped 2026-12-03, whatever today is."""


def frozen_clock() -> float:
    return FROZEN_NOW


def frozen_utc_now() -> datetime:
    """The core's clock (:func:`kombo_tui.core.clock.utc_now`) frozen at the sandbox's instant:
    a send starts when the sandbox stamps its upload, so "created since the send" holds."""
    return datetime.fromtimestamp(FROZEN_NOW, timezone.utc)


def sandbox_app(
    *,
    config: SandboxConfig | None = None,
    wrap: Callable[[httpx.AsyncBaseTransport], httpx.AsyncBaseTransport] | None = None,
    **kwargs: Any,
) -> KomboApp:
    """The app talking to a sandbox mounted in-process (``wrap`` can wrap its transport).

    ``app.sandbox_state.store`` holds what the sandbox stored. Other keyword arguments go to
    :func:`~kombo_tui.tui.app.make_app`.
    """
    config = config or SandboxConfig()
    if config.clock is time.time:  # what the sandbox stamps (and the app shows) is the same every day
        config = dataclasses.replace(config, clock=frozen_clock)
    server = create_app(config)
    transport: httpx.AsyncBaseTransport = httpx.ASGITransport(app=server)
    if wrap is not None:
        transport = wrap(transport)
    kwargs.setdefault("sandbox", True)
    app = make_app(transport=transport, **kwargs)
    app.sandbox_state = server.state.sandbox  # type: ignore[attr-defined]
    return app


def first_application(integration_id: str) -> str:
    """The id of the first live application of a sandbox integration."""
    return dataset(integration_id).live_applications[0].id


async def fields_ready(pilot: Pilot[Any], timeout: float = 10.0) -> None:
    """Wait until the main screen's fields are mounted (they follow the first frame)."""
    app = pilot.app
    assert isinstance(app, KomboApp)
    deadline = asyncio.get_running_loop().time() + timeout
    while not app._main_screen().fields_ready:
        if asyncio.get_running_loop().time() > deadline:
            raise TimeoutError("the main screen's fields were not mounted")
        await asyncio.sleep(0.005)


async def settle(pilot: Pilot[Any], delay: float = 0.05) -> None:
    """Let timers run for ``delay`` seconds, then wait for every worker and one more frame."""
    await pilot.pause(delay)
    await pilot.app.workers.wait_for_complete()
    await pilot.pause()


def _fill(path: str = "Jane_Doe_CV.pdf", *, pick: bool = True) -> Callable[[Pilot[Any]], Awaitable[None]]:
    async def run(pilot: Pilot[Any]) -> None:
        await settle(pilot, 0.5)
        if pick:
            await pilot.press("f3")
            await settle(pilot, 0.1)
            await pilot.press("enter")  # takes the highlighted (first) row
            await pilot.pause()
        pilot.app.screen.query_one("#path", Input).value = path
        await settle(pilot, 0.1)

    return run


async def _send(pilot: Pilot[Any]) -> None:
    await pilot.press("ctrl+s")
    await pilot.pause()
    await pilot.press("enter")
    await settle(pilot, 0.1)


@dataclass(frozen=True)
class State:
    name: str
    make: Callable[[], KomboApp]
    drive: Callable[[Pilot[Any]], Awaitable[None]]

    async def run_before(self, pilot: Pilot[Any]) -> None:
        await fields_ready(pilot)
        await self.drive(pilot)


async def _first_run(pilot: Pilot[Any]) -> None:
    await pilot.pause()


async def _empty(pilot: Pilot[Any]) -> None:
    await settle(pilot, 0.5)


async def _picker(pilot: Pilot[Any]) -> None:
    await settle(pilot, 0.5)
    await pilot.press("f3")
    await settle(pilot, 0.1)
    await pilot.press(*"engineer")
    await pilot.pause()


async def _filled(pilot: Pilot[Any]) -> None:
    await _fill()(pilot)


async def _confirm(pilot: Pilot[Any]) -> None:
    await _fill()(pilot)
    await pilot.press("ctrl+s")
    await pilot.pause()


async def _preview(pilot: Pilot[Any]) -> None:
    await _fill()(pilot)
    await pilot.press("f6")
    await pilot.pause()


async def _warnings(pilot: Pilot[Any]) -> None:
    await _fill("scan")(pilot)


async def _success(pilot: Pilot[Any]) -> None:
    await _fill()(pilot)
    await _send(pilot)


async def _error(pilot: Pilot[Any]) -> None:
    await _fill()(pilot)
    await _send(pilot)


async def _unknown(pilot: Pilot[Any]) -> None:
    await _fill()(pilot)
    await _send(pilot)


async def _verified(pilot: Pilot[Any]) -> None:
    await _unknown(pilot)
    await pilot.press("f5")
    await settle(pilot, 0.1)


def history_app(**kwargs: Any) -> KomboApp:
    """A sandbox app whose audit log holds a few fixed sends (times in UTC; tests set TZ=UTC)."""
    from kombo_tui.core.history import History, HistoryEntry

    history = History(Path("history.sqlite3").absolute())
    if history.path.exists():
        history.path.unlink()
    common: dict[str, Any] = {"environment": "SANDBOX", "type": "CV", "mime": "application/pdf", "size": 48_213}
    rows = [
        HistoryEntry(integration_id=GREENHOUSE, application_id="gh-app-0001", candidate="Ava Thompson",
                     job="Senior Backend Engineer", file_name="Ava_Thompson_CV.pdf", outcome="sent",
                     sha256="9f2c" * 16, at="2025-03-03T09:12:40+00:00", verified="present", **common),
        HistoryEntry(integration_id="teamtailor:sandbox-inactive", application_id="tt-app-0042",
                     candidate="Liam Becker", job="Product Designer", file_name="cover-letter.pdf",
                     outcome="error", error_code="INTEGRATION.INACTIVE",
                     error_message="The integration is inactive.",
                     log_url="https://app.kombo.dev/logs/sandbox-0042", at="2025-03-03T10:05:02+00:00",
                     **{**common, "type": "COVER_LETTER"}),
        HistoryEntry(integration_id=GREENHOUSE, application_id="gh-app-0007", candidate="Mia Rossi",
                     job="Data Analyst", file_name="Mia Rossi – CV (final).pdf", outcome="unknown",
                     error_message="the connection dropped after the whole body was sent",
                     at="2025-03-03T11:47:19+00:00", **common),
        HistoryEntry(integration_id="personio:sandbox-personio", application_id="pe-app-0100",
                     candidate="Noah Kim", job="Account Executive", file_name="portfolio.zip",
                     outcome="verified_present", at="2025-03-03T12:30:55+00:00", verified="present",
                     warnings=["Personio cannot attach to applications: the file was added to the candidate"],
                     **{**common, "type": "OTHER", "mime": "application/zip", "size": 2_310_044}),
    ]
    for row in rows:
        history.record(row)
    return sandbox_app(history=history, **kwargs)


async def _history(pilot: Pilot[Any]) -> None:
    await settle(pilot, 0.5)
    await pilot.press("f9")
    await settle(pilot, 0.1)


async def _history_detail(pilot: Pilot[Any]) -> None:
    await _history(pilot)
    await pilot.press(*"inactive")
    await settle(pilot, 0.1)
    await pilot.press("enter")
    await pilot.pause()


async def _batch(pilot: Pilot[Any]) -> None:
    await _fill()(pilot)
    for path in ("Jane_Doe_Cover_Letter.pdf", "empty.pdf"):
        await pilot.press("ctrl+n")
        pilot.app.screen.query_one("#add-path", Input).value = path
        await pilot.press("enter")
        await settle(pilot, 0.1)
    await pilot.press("ctrl+s")
    await settle(pilot, 0.1)


async def _batch_sent(pilot: Pilot[Any]) -> None:
    await _fill()(pilot)
    await pilot.press("ctrl+n")
    pilot.app.screen.query_one("#add-path", Input).value = "Jane_Doe_Cover_Letter.pdf"
    await pilot.press("enter")
    await settle(pilot, 0.1)
    await _send(pilot)


async def _help(pilot: Pilot[Any]) -> None:
    await settle(pilot, 0.5)
    await pilot.press("f1")
    await pilot.pause()


def _first_run_app(theme: str = "textual-dark") -> KomboApp:
    from kombo_tui.core.config.settings import Settings

    return make_app(Settings(), theme=theme)


STATES: tuple[State, ...] = (
    State("first_run", _first_run_app, _first_run),
    State("empty", lambda: sandbox_app(), _empty),
    State("picker", lambda: sandbox_app(), _picker),
    State("filled", lambda: sandbox_app(), _filled),
    State("filled_light", lambda: sandbox_app(theme="textual-light"), _filled),
    State("confirm", lambda: sandbox_app(), _confirm),
    State("preview", lambda: sandbox_app(), _preview),
    State("file_warnings", lambda: sandbox_app(integration="oraclerecruiting:sandbox-oracle"), _warnings),
    State("success_warnings", lambda: sandbox_app(integration="personio:sandbox-personio"), _success),
    State("error", lambda: sandbox_app(integration="teamtailor:sandbox-inactive"), _error),
    State("unknown", lambda: sandbox_app(wrap=DropAfterSend), _unknown),
    State("unknown_verified", lambda: sandbox_app(wrap=DropAfterSend), _verified),
    State("help", lambda: sandbox_app(), _help),
    State("batch_invalid", lambda: sandbox_app(), _batch),
    State("batch_sent", lambda: sandbox_app(), _batch_sent),
    State("history", history_app, _history),
    State("history_detail", history_app, _history_detail),
)
