"""The candidate workflow: the candidate's path in Payload, F3 picks a candidate (name, email,
job; an email on the server; a pasted id), and nothing switches to the application behind
the user's back."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import httpx
from textual.widgets import Input, Static

from kombo_tui.sandbox.data import dataset
from kombo_tui.tui.app import KomboApp
from kombo_tui.tui.screens.picker import CandidatePicker
from kombo_tui.tui.widgets.keybar import KeyBar

from .states import GREENHOUSE, SIZE, settle
from .test_flow import main_screen, text_of


class Posts(httpx.AsyncBaseTransport):
    """Keeps the path of every upload."""

    def __init__(self, inner: httpx.AsyncBaseTransport) -> None:
        self.inner, self.paths = inner, []  # type: list[str]

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        if request.method == "POST":
            self.paths.append(request.url.path)
        return await self.inner.handle_async_request(request)


def _payload(app: KomboApp) -> str:
    """The Payload panel's text (its body is a Rich group: rendered as plain text)."""
    from rich.console import Console

    console = Console(width=300, color_system=None)
    with console.capture() as out:
        console.print(main_screen(app).query_one("#payload-body", Static).content)
    return out.get()


def _candidate(integration: str = GREENHOUSE):  # type: ignore[no-untyped-def]
    """A candidate with one application whose last name is unique in the integration."""
    data = dataset(integration)
    lasts = [c.last_name for c in data.candidates]
    return next(c for c in data.candidates if lasts.count(c.last_name) == 1 and len(c.applications) == 1 and c.deleted is None)


async def test_payload_shows_the_candidate_path_before_an_id_is_given(
    files: Path, make_app: Callable[..., KomboApp]
) -> None:
    app = make_app(integration=GREENHOUSE)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot, 0.2)
        screen = main_screen(app)
        screen.query_one("#path", Input).value = "Jane_Doe_CV.pdf"
        await settle(pilot)
        body = _payload(app)
        assert "/ats/applications/{application_id}/attachments" in body
        await pilot.press("f2")
        await settle(pilot)
        body = _payload(app)
        assert "/ats/candidates/{candidate_id}/attachments" in body and "applications" not in body.split("\n")[0]
        assert "%7B" not in body


async def test_f3_in_candidate_mode_picks_a_candidate_by_name_and_sends_to_them(
    files: Path, make_app: Callable[..., KomboApp]
) -> None:
    who = _candidate()
    holder: dict[str, Posts] = {}

    def wrap(inner: httpx.AsyncBaseTransport) -> httpx.AsyncBaseTransport:
        holder["t"] = Posts(inner)
        return holder["t"]

    app = make_app(integration=GREENHOUSE, wrap=wrap)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot, 0.2)
        screen = main_screen(app)
        assert "Pick application" in screen.query_one(KeyBar).render().plain
        await pilot.press("f2")  # to the candidate
        await settle(pilot)
        bar = screen.query_one(KeyBar).render().plain
        assert "Pick candidate" in bar and "Pick application" not in bar  # F3 says what it picks
        await pilot.press("f3")
        await settle(pilot, 0.1)
        picker = app.screen
        assert isinstance(picker, CandidatePicker) and "loaded" in picker.status_text
        await pilot.press(*who.last_name.lower())
        await settle(pilot)
        assert picker.status_text.startswith("1 match"), picker.status_text
        await pilot.press("enter")
        await settle(pilot)
        assert app.screen is screen
        assert screen.draft.target == "candidate" and screen.draft.candidate_id == who.id  # never switched
        assert screen.query_one("#candidate", Input).value == who.id
        info = text_of(app, "#application-info")
        assert f"{who.first_name} {who.last_name}" in info and "1 application" in info
        screen.query_one("#path", Input).value = "Jane_Doe_CV.pdf"
        await settle(pilot)
        await pilot.press("ctrl+s")
        await pilot.pause()
        assert app.screen.id == "confirm"
        said = str(app.screen.query_one(".dialog-body").render())
        assert f"{who.first_name} {who.last_name}" in said and who.id in said
        await pilot.press("enter")
        await settle(pilot)
        assert screen.result.kind == "sent", screen.result
    assert holder["t"].paths == [f"/v1/ats/candidates/{who.id}/attachments"]


async def test_the_candidate_picker_searches_an_email_on_the_server_and_takes_a_pasted_id(
    make_app: Callable[..., KomboApp]
) -> None:
    who = _candidate()
    app = make_app(integration=GREENHOUSE)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot, 0.2)
        screen = main_screen(app)
        await pilot.press("f2", "f3")
        await settle(pilot, 0.1)
        picker = app.screen
        assert isinstance(picker, CandidatePicker)
        email = who.email.upper()  # the server folds case
        picker.query_one("#filter", Input).value = email
        await pilot.press("f4")
        await settle(pilot)
        assert picker.status_text.startswith("1 candidate of the matching candidates found on the server"), picker.status_text
        await pilot.press("enter")  # the table has the focus after a search
        await settle(pilot)
        assert screen.draft.candidate_id == who.id and screen.draft.target == "candidate"
        # F2 in the picker: the text as a candidate id (no names: typed, not looked up).
        await pilot.press("f3")
        await settle(pilot, 0.1)
        app.screen.query_one("#filter", Input).value = "cand-typed-id"
        await pilot.press("f2")
        await settle(pilot)
        assert screen.draft.candidate_id == "cand-typed-id" and screen.picked_candidate is None
        assert "Kombo recommends the application" in text_of(app, "#application-info")


async def test_f3_in_application_mode_still_picks_an_application(files: Path, make_app: Callable[..., KomboApp]) -> None:
    app = make_app(integration=GREENHOUSE)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot, 0.2)
        await pilot.press("f3")
        await settle(pilot, 0.1)
        assert app.screen.id == "picker" and not isinstance(app.screen, CandidatePicker)
