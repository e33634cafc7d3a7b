"""A model-based test: whatever the user did before Send, what leaves is what Confirm and Payload showed.

Random sequences of the actions that change where a file goes or what it is — pick an
application, type an id, change the integration, switch to the candidate endpoint, choose a
file, change the type or the source, fill a remote field — then Send. The request the sandbox
receives is compared with the Payload panel and the Confirm dialog of that very send:
the same endpoint and id, integration, name, type and remote fields; a candidate or job named
in Confirm only when they are the target's own.
"""

from __future__ import annotations

import json
import random
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any

import httpx
import pytest
from textual.pilot import Pilot
from textual.widgets import Input, RadioButton, Select, Static

from kombo_tui.sandbox.data import dataset
from kombo_tui.tui.app import KomboApp
from kombo_tui.tui.widgets.payload import PayloadPanel

from .states import SIZE, settle

GREENHOUSE = "greenhouse:sandbox-greenhouse"
WORKABLE = "workable:sandbox-workable"
ON_BEHALF = "#rf-greenhouse-post-headers-on-behalf-of"


class Recorder(httpx.AsyncBaseTransport):
    """Passes everything to the sandbox and keeps each upload as it left (path, integration, body)."""

    def __init__(self, inner: httpx.AsyncBaseTransport) -> None:
        self.inner = inner
        self.uploads: list[tuple[str, str, dict[str, Any]]] = []

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        if request.method == "POST" and request.url.path.endswith("/attachments"):
            body = await request.aread()
            self.uploads.append((request.url.raw_path.decode(), request.headers["x-integration-id"], json.loads(body)))
            request = httpx.Request(request.method, request.url, headers=request.headers, content=body)
        return await self.inner.handle_async_request(request)


def _names(integration: str) -> dict[str, tuple[str, str | None]]:
    """Application id → (candidate's full name, job name) in a sandbox integration."""
    return {
        a.id: (f"{a.candidate.first_name} {a.candidate.last_name}", a.job.name if a.job else None)
        for a in dataset(integration).live_applications
    }


Action = Callable[[Pilot[Any], random.Random, dict[str, Any]], Awaitable[None]]
"""An action: the pilot, the sequence's randomness, and the model (what the user has set)."""


async def _integration(pilot: Pilot[Any], rng: random.Random, model: dict[str, Any]) -> None:
    chosen = rng.choice([GREENHOUSE, WORKABLE])
    if chosen != model["integration"] and chosen != GREENHOUSE:
        model["on_behalf"] = None  # a form the new tool does not use is cleared on the switch
    model["integration"] = chosen
    pilot.app.screen.query_one("#integration", Input).value = chosen
    await settle(pilot, 0.05)  # the check runs after its debounce (10 ms in tests), then settles


async def _pick(pilot: Pilot[Any], rng: random.Random, model: dict[str, Any]) -> None:
    await pilot.press("f3")
    await settle(pilot, 0.1)
    for _ in range(rng.randrange(3)):
        await pilot.press("down")
    await pilot.press("enter")
    await settle(pilot, 0.1)


async def _type_application(pilot: Pilot[Any], rng: random.Random, model: dict[str, Any]) -> None:
    integration = pilot.app.screen.query_one("#integration", Input).value or GREENHOUSE
    screen = pilot.app.screen
    if screen.query_one("#candidate", Input).display:
        await pilot.press("f2")  # back to the application endpoint
        await pilot.pause()
    screen.query_one("#application", Input).value = rng.choice(dataset(integration).live_applications[:5]).id
    await settle(pilot)


async def _candidate(pilot: Pilot[Any], rng: random.Random, model: dict[str, Any]) -> None:
    screen = pilot.app.screen
    if not screen.query_one("#candidate", Input).display:
        await pilot.press("f2")
        await pilot.pause()
    integration = screen.query_one("#integration", Input).value or GREENHOUSE
    screen.query_one("#candidate", Input).value = rng.choice(dataset(integration).live_applications[5:10]).candidate.id
    await settle(pilot)


async def _file(pilot: Pilot[Any], rng: random.Random, model: dict[str, Any]) -> None:
    screen = pilot.app.screen
    screen.query_one("#source-data", RadioButton).value = True
    screen.query_one("#path", Input).value = rng.choice(["Jane_Doe_CV.pdf", "cover-letter.pdf", "notes"])
    await settle(pilot, 0.2)


async def _data_url(pilot: Pilot[Any], rng: random.Random, model: dict[str, Any]) -> None:
    screen = pilot.app.screen
    screen.query_one("#source-url", RadioButton).value = True
    await pilot.pause()
    screen.query_one("#data-url", Input).value = rng.choice(["https://files.example/cv.pdf", "https://files.example/letter.pdf"])
    await settle(pilot)


async def _type(pilot: Pilot[Any], rng: random.Random, model: dict[str, Any]) -> None:
    pilot.app.screen.query_one("#type", Select).value = rng.choice(["CV", "COVER_LETTER", "OTHER"])
    await settle(pilot)


async def _remote(pilot: Pilot[Any], rng: random.Random, model: dict[str, Any]) -> None:
    model["on_behalf"] = rng.choice(["4080", "4081"])
    pilot.app.screen.query_one(ON_BEHALF, Input).value = model["on_behalf"]
    await settle(pilot)


ACTIONS: list[Action] = [_integration, _pick, _type_application, _candidate, _file, _data_url, _type, _remote]


@pytest.mark.parametrize("seed", range(6))
async def test_what_leaves_is_what_confirm_and_payload_showed(files: Path, make_app: Callable[..., KomboApp], seed: int) -> None:
    rng = random.Random(seed)
    holder: dict[str, Recorder] = {}

    def wrap(inner: httpx.AsyncBaseTransport) -> httpx.AsyncBaseTransport:
        holder["r"] = Recorder(inner)
        return holder["r"]

    app = make_app(wrap=wrap, integration=GREENHOUSE)
    sends = 0
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot, 0.3)
        model: dict[str, Any] = {"integration": GREENHOUSE, "on_behalf": None}
        await _pick(pilot, rng, model)
        await _file(pilot, rng, model)
        for round_ in range(4):
            if round_ < 3:
                for action in rng.sample(ACTIONS, 4):
                    await action(pilot, rng, model)
            elif sends:
                break
            else:  # every send so far was refused (e.g. by the integration's limits): one they accept
                app.screen.query_one("#source-data", RadioButton).value = True
                app.screen.query_one("#path", Input).value = "Jane_Doe_CV.pdf"
                await settle(pilot, 0.2)
                app.screen.query_one("#type", Select).value = "CV"
                await settle(pilot)
            screen = app.screen
            payload = screen.query_one(PayloadPanel)
            shown = payload.upload
            if shown is None:
                continue  # nothing to send yet (e.g. a data_url still empty): Send refuses
            shown_body = json.loads(payload.text)
            type_shown = screen.query_one("#type", Select).value
            await pilot.press("ctrl+s")
            await settle(pilot)
            if app.screen.id not in ("confirm", "resend"):
                # Refused before Confirm: a problem named on screen (the limits: by the core's rule).
                from kombo_tui.core.engine import over_limits

                refused = over_limits([shown], {shown.integration_id: screen.integration_view.restrictions})
                assert screen.result.kind == "invalid", screen.result
                assert refused is None or all(f"• {p}" in screen.result.lines for p in refused.problems)
                continue
            said = str(app.screen.query_one(".dialog-body", Static).render())
            await pilot.click("#choice-send")
            await settle(pilot, 0.2)
            sends += 1
            path, integration, body = holder["r"].uploads[-1]
            # Payload: the same request.
            assert integration == shown.integration_id
            assert path.endswith(f"/{shown.target_kind}s/{shown.target_id}/attachments")
            sent = {k: v for k, v in body["attachment"].items() if k != "data"}
            assert sent == {k: v for k, v in shown_body["attachment"].items() if k != "data"}
            assert body.get("remote_fields") == shown_body.get("remote_fields")
            assert sent["type"] == type_shown  # the Type field said so
            # Confirm: the same target, integration, file name and type.
            assert f"({integration})" in said
            assert shown.target_id in said
            assert f"{sent['name']}  ·  " in said and f"  ·  {sent['type']}  ·  " in said
            # Names only when they are the target's own, in that integration.
            names = _names(integration)
            if shown.target_kind == "application" and "(candidate not looked up)" not in said:
                candidate, _job = names[shown.target_id]
                assert candidate in said
            if shown.target_kind == "candidate":  # typed: not looked up; picked (F3): that candidate's name
                picked = {c.id: f"{c.first_name} {c.last_name}" for c in dataset(integration).candidates}
                assert "(candidate not looked up)" in said or picked[shown.target_id] in said
            # Remote fields: what the user set since the last switch of tool (another's are cleared).
            fields = body.get("remote_fields") or {}
            assert fields.get("greenhouse", {}).get("post_headers", {}).get("On-Behalf-Of") == model["on_behalf"]
    assert sends >= 1


async def test_a_data_url_alone_sends_the_type_the_type_field_shows(files: Path, make_app: Callable[..., KomboApp]) -> None:
    holder: dict[str, Recorder] = {}

    def wrap(inner: httpx.AsyncBaseTransport) -> httpx.AsyncBaseTransport:
        holder["r"] = Recorder(inner)
        return holder["r"]

    app = make_app(wrap=wrap, integration=GREENHOUSE)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot, 0.3)
        model: dict[str, Any] = {"integration": GREENHOUSE, "on_behalf": None}
        await _pick(pilot, random.Random(0), model)
        app.screen.query_one("#source-url", RadioButton).value = True
        await pilot.pause()
        app.screen.query_one("#data-url", Input).value = "https://files.example/Jane_Doe_CV.pdf"  # a CV's name
        await settle(pilot)
        shown = app.screen.query_one("#type", Select).value
        await pilot.press("ctrl+s")
        await settle(pilot)
        assert app.screen.id == "confirm"
        await pilot.click("#choice-send")
        await settle(pilot, 0.2)
    [(_, _, body)] = holder["r"].uploads
    assert body["attachment"]["type"] == shown


async def test_switching_integration_clears_the_other_tools_fields_and_says_so(make_app: Callable[..., KomboApp]) -> None:
    app = make_app(integration=GREENHOUSE)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot, 0.3)
        app.screen.query_one(ON_BEHALF, Input).value = "4080"
        await settle(pilot)
        assert app.screen.draft.remote_fields == {"greenhouse": {"post_headers": {"On-Behalf-Of": "4080"}}}
        app.screen.query_one("#integration", Input).value = WORKABLE
        await settle(pilot, 0.3)
        note = app.screen.query_one("#remote-cleared", Static)
        assert note.display and "greenhouse.post_headers.On-Behalf-Of" in str(note.render())
        assert app.screen.query_one(ON_BEHALF, Input).value == ""
        assert not app.screen.draft.remote_fields


async def test_send_again_after_confirm_sends_past_exactly_the_sends_confirm_showed(
    files: Path, make_app: Callable[..., KomboApp]
) -> None:
    app = make_app(integration=GREENHOUSE)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot, 0.3)
        model: dict[str, Any] = {"integration": GREENHOUSE, "on_behalf": None}
        await _pick(pilot, random.Random(0), model)
        app.screen.query_one("#path", Input).value = "Jane_Doe_CV.pdf"
        await settle(pilot, 0.2)
        for expected in (1, 2):
            await pilot.press("ctrl+s")
            await settle(pilot)
            assert app.screen.id == "confirm"
            if expected == 2:
                assert "Already sent" in str(app.screen.query_one(".dialog-body", Static).render())
            await pilot.click("#choice-send")
            await settle(pilot, 0.2)
            assert app.screen.result.kind == "sent", app.screen.result
            assert app.sandbox_state.store.upload_count() == expected  # type: ignore[attr-defined]
