"""The app refuses what the integration's published limits refuse, before the first byte.

The same rule as the CLI and the library (:func:`kombo_tui.core.engine.over_limits`): at
ctrl+s when the Target panel already read the limits, else in the send itself (the limits are
read then), and never a byte of the body leaves.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import httpx

from kombo_tui.tui.app import KomboApp
from kombo_tui.tui.state import IntegrationView

from .states import GREENHOUSE, SIZE, first_application, settle
from .test_flow import fill, text_of

LIMIT = 10 * 1024 * 1024
"""The sandbox's Greenhouse limit for a CV."""


class CountPosts(httpx.AsyncBaseTransport):
    """Counts the uploads (POSTs) that reached the transport."""

    def __init__(self, inner: httpx.AsyncBaseTransport) -> None:
        self.inner = inner
        self.posts = 0

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        if request.method == "POST":
            self.posts += 1
        return await self.inner.handle_async_request(request)


def _big_cv(folder: Path) -> str:
    path = folder / "Big_CV.pdf"
    with path.open("wb") as out:
        out.write(b"%PDF-1.4\n")
        out.truncate(LIMIT + 1)  # sparse: one byte above the limit
    return path.name


def _counting_app(make_app: Callable[..., KomboApp]) -> tuple[KomboApp, list[CountPosts]]:
    seen: list[CountPosts] = []

    def wrap(inner: httpx.AsyncBaseTransport) -> httpx.AsyncBaseTransport:
        seen.append(CountPosts(inner))
        return seen[-1]

    return make_app(wrap=wrap), seen


async def test_a_file_above_the_limit_is_refused_at_ctrl_s(files: Path, make_app: Callable[..., KomboApp]) -> None:
    app, transports = _counting_app(make_app)
    async with app.run_test(size=SIZE) as pilot:
        screen = await fill(pilot, GREENHOUSE, first_application(GREENHOUSE), _big_cv(files))
        assert screen.integration_view.restrictions_known and screen.file_view.state == "ready"
        await pilot.press("ctrl+s")
        await settle(pilot)
        assert pilot.app.screen is screen, "no confirm for what the limits refuse"
        assert screen.result.kind == "invalid"
        shown = text_of(app, "#result-text")
        assert "Not sent" in shown and "above this integration's limit" in shown and f"{LIMIT:,}" in shown
        assert "nothing was sent" in shown
    assert sum(t.posts for t in transports) == 0
    assert app.sandbox_state.store.all() == []  # type: ignore[attr-defined]
    assert list(screen.session.history.entries()) == []  # refused before the intent is recorded


async def test_a_type_the_integration_does_not_accept_is_refused(files: Path, make_app: Callable[..., KomboApp]) -> None:
    app, transports = _counting_app(make_app)
    async with app.run_test(size=SIZE) as pilot:
        screen = await fill(pilot, "workable:sandbox-workable", first_application(GREENHOUSE), "cover-letter.pdf")
        assert screen.prepared is not None and screen.prepared.type.value == "COVER_LETTER"
        await pilot.press("ctrl+s")
        await settle(pilot)
        assert pilot.app.screen is screen
        assert "does not accept attachments of type COVER_LETTER" in text_of(app, "#result-text")
    assert sum(t.posts for t in transports) == 0


async def test_limits_not_read_yet_are_read_by_the_send_and_refuse_it(
    files: Path, make_app: Callable[..., KomboApp]
) -> None:
    app, transports = _counting_app(make_app)
    async with app.run_test(size=SIZE) as pilot:
        screen = await fill(pilot, GREENHOUSE, first_application(GREENHOUSE), _big_cv(files))
        # As while the integration check is still on its way: the screen knows no limits yet.
        screen.target_flow.integration = IntegrationView(GREENHOUSE, details=screen.integration_view.details)
        screen._show_target()
        await pilot.press("ctrl+s")
        await settle(pilot)
        assert pilot.app.screen.id == "confirm"
        await pilot.press("enter")
        await settle(pilot)
        assert pilot.app.screen is screen
        assert screen.result.kind == "invalid" and not screen.sending
        assert "above this integration's limit" in text_of(app, "#result-text")
    assert sum(t.posts for t in transports) == 0
    assert list(screen.session.history.entries()) == []


async def test_a_file_within_the_limits_still_goes(files: Path, make_app: Callable[..., KomboApp]) -> None:
    app, transports = _counting_app(make_app)
    async with app.run_test(size=SIZE) as pilot:
        screen = await fill(pilot, GREENHOUSE, first_application(GREENHOUSE), "Jane_Doe_CV.pdf")
        screen.target_flow.integration = IntegrationView(GREENHOUSE, details=screen.integration_view.details)
        screen._show_target()
        await pilot.press("ctrl+s")
        await settle(pilot)
        await pilot.press("enter")
        await settle(pilot)
        assert screen.result.kind == "sent", screen.result
    assert sum(t.posts for t in transports) == 1
