"""The ways the sandbox can be told to misbehave: latency, rate limit, concurrency, 5xx, drops."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable

import httpx
import pytest
from sandbox_helpers import first_application_id, headers, pdf_body, sandbox_of

from kombo_tui.sandbox.app import DroppedConnection, SandboxConfig
from kombo_tui.sandbox.data import dataset
from kombo_tui.sandbox.limits import ConcurrencyGate, ErrorInjector, RateLimiter
from kombo_tui.sandbox.server import SandboxServer


def test_config_rejects_nonsense() -> None:
    for bad in (
        {"latency": -1},
        {"rate_limit": 0},
        {"rate_window": 0},
        {"concurrency_limit": 0},
        {"error_rate": 1.5},
        {"error_rate": -0.1},
        {"api_key": " "},
        {"fetch_max_bytes": 0},
    ):
        with pytest.raises(ValueError):
            SandboxConfig(**bad)


# --------------------------------------------------------------------------- rate limit


async def test_rate_limit_trips_after_n(make_client: Callable[..., httpx.AsyncClient]) -> None:
    async with make_client(SandboxConfig(rate_limit=3, rate_window=30)) as c:
        answers = [await c.get("/check-api-key") for _ in range(5)]
        assert [r.status_code for r in answers] == [200, 200, 200, 429, 429]
        assert [r.headers["ratelimit-remaining"] for r in answers] == ["2", "1", "0", "0", "0"]
        assert all(r.headers["ratelimit-limit"] == "3" for r in answers)
        refused = answers[3]
        error = refused.json()["error"]
        assert error["code"] == "PLATFORM.RATE_LIMIT_EXCEEDED"
        reset = int(refused.headers["ratelimit-reset"])
        assert 1 <= reset <= 30
        assert refused.headers["retry-after"] == str(reset)
        # ATS endpoints and uploads count against the same budget.
        application = await c.get("/ats/applications")
        assert application.status_code == 429
        assert application.json()["error"]["code"] == "PLATFORM.RATE_LIMIT_EXCEEDED"
        assert sandbox_of(c).upload_count() == 0


async def test_rate_limit_window_resets(make_client: Callable[..., httpx.AsyncClient]) -> None:
    async with make_client(SandboxConfig(rate_limit=1, rate_window=0.3)) as c:
        assert (await c.get("/check-api-key")).status_code == 200
        assert (await c.get("/check-api-key")).status_code == 429
        await asyncio.sleep(0.35)
        assert (await c.get("/check-api-key")).status_code == 200


def test_rate_limiter_with_a_fake_clock() -> None:
    now = [100.0]
    limiter = RateLimiter(2, 10.0, clock=lambda: now[0])
    assert limiter.hit("k").allowed and limiter.hit("k").allowed
    third = limiter.hit("k")
    assert not third.allowed and third.remaining == 0 and third.reset == 10
    assert limiter.hit("other").allowed  # per key
    now[0] += 4.2
    assert limiter.hit("k").reset == 6
    now[0] += 6
    fresh = limiter.hit("k")
    assert fresh.allowed and fresh.remaining == 1
    unlimited = RateLimiter(None, 60.0, clock=lambda: now[0])
    assert all(unlimited.hit("k").allowed for _ in range(20_000))


# --------------------------------------------------------------------------- concurrency


async def test_concurrency_limit_trips_under_parallel_uploads(
    make_client: Callable[..., httpx.AsyncClient],
) -> None:
    config = SandboxConfig(latency=0.3, concurrency_limit=2)
    async with make_client(config) as c:
        application_id = await first_application_id(c)
        path = f"/ats/applications/{application_id}/attachments"
        answers = await asyncio.gather(*(c.post(path, json=pdf_body()) for _ in range(5)))
        statuses = sorted(r.status_code for r in answers)
        assert statuses == [200, 200, 429, 429, 429]
        refused = [r for r in answers if r.status_code == 429]
        for response in refused:
            assert response.json()["error"]["code"] == "PLATFORM.CONCURRENCY_LIMIT_EXCEEDED"
            assert response.headers["concurrency-limit"] == "2"
            assert response.headers["concurrency-remaining"] == "0"
            assert "retry-after" not in response.headers
        accepted = [r for r in answers if r.status_code == 200]
        assert sorted(r.headers["concurrency-remaining"] for r in accepted) == ["0", "1"]
        assert sandbox_of(c).upload_count() == 2
        # Slots are given back.
        again = await c.post(path, json=pdf_body())
        assert again.status_code == 200
        assert sandbox_of(c).concurrency.in_flight("greenhouse:sandbox-greenhouse") == 0


async def test_concurrency_is_per_integration_and_actions_only(
    make_client: Callable[..., httpx.AsyncClient],
) -> None:
    config = SandboxConfig(latency=0.3, concurrency_limit=1)
    async with make_client(config) as c:
        greenhouse_app = await first_application_id(c)
        lever_app = await first_application_id(c, "lever:sandbox-lever")
        answers = await asyncio.gather(
            c.post(f"/ats/applications/{greenhouse_app}/attachments", json=pdf_body()),
            c.post(
                f"/ats/applications/{lever_app}/attachments",
                json=pdf_body(),
                headers={"X-Integration-Id": "lever:sandbox-lever"},
            ),
            c.get("/ats/applications"),  # a model read does not take a slot
            c.get("/ats/jobs"),
        )
        assert [r.status_code for r in answers] == [200, 200, 200, 200]


async def test_uploads_hold_their_slot_for_the_latency(
    make_client: Callable[..., httpx.AsyncClient],
) -> None:
    async with make_client(SandboxConfig(latency=0.25)) as c:
        application_id = await first_application_id(c)
        started = time.perf_counter()
        response = await c.post(f"/ats/applications/{application_id}/attachments", json=pdf_body())
        assert response.status_code == 200
        assert time.perf_counter() - started >= 0.25
        started = time.perf_counter()
        assert (await c.get("/check-api-key")).status_code == 200
        assert time.perf_counter() - started >= 0.25


def test_concurrency_gate() -> None:
    gate = ConcurrencyGate(2)
    assert gate.try_acquire("a") == 1
    assert gate.try_acquire("a") == 0
    assert gate.try_acquire("a") is None
    assert gate.try_acquire("b") == 1
    gate.release("a")
    assert gate.in_flight("a") == 1 and gate.remaining("a") == 1


# --------------------------------------------------------------------------- injected 5xx


def test_error_injector_is_deterministic_and_exact() -> None:
    injector = ErrorInjector(0.25)
    results = [injector.next() for _ in range(12)]
    assert results == [None, None, None, 500, None, None, None, 502, None, None, None, 503]
    assert [ErrorInjector(0).next() for _ in range(5)] == [None] * 5
    always = ErrorInjector(1.0)
    assert [always.next() for _ in range(4)] == [500, 502, 503, 500]
    third = ErrorInjector(1 / 3)
    assert sum(third.next() is not None for _ in range(300)) == 100


async def test_error_rate_produces_5xx(make_client: Callable[..., httpx.AsyncClient]) -> None:
    async with make_client(SandboxConfig(error_rate=0.5)) as c:
        answers = [await c.get("/check-api-key") for _ in range(6)]
        assert [r.status_code for r in answers] == [200, 500, 200, 502, 200, 503]
        json_error = answers[1].json()["error"]
        assert json_error["code"] == "PLATFORM.UNKNOWN_ERROR"
        assert json_error["log_url"].startswith("http://sandbox/logs/sbx")  # the sandbox's own log page
        assert answers[3].headers["content-type"].startswith("text/html")
        assert "502 Bad Gateway" in answers[3].text
        assert answers[5].headers["content-type"].startswith("text/html")
        assert "503" in answers[5].text
        for response in answers:
            assert "ratelimit-remaining" in response.headers


async def test_injected_failure_stores_nothing(
    make_client: Callable[..., httpx.AsyncClient],
) -> None:
    async with make_client(SandboxConfig(error_rate=1.0)) as c:
        application_id = dataset("greenhouse:sandbox-greenhouse").live_applications[0].id
        response = await c.post(f"/ats/applications/{application_id}/attachments", json=pdf_body())
        assert response.status_code == 500
        assert sandbox_of(c).upload_count() == 0


async def test_configure_at_run_time(make_client: Callable[..., httpx.AsyncClient]) -> None:
    async with make_client() as c:
        assert (await c.get("/check-api-key")).status_code == 200
        sandbox_of(c).configure(error_rate=1.0)
        assert (await c.get("/check-api-key")).status_code == 500
        sandbox_of(c).configure(error_rate=0.0, rate_limit=1)
        assert (await c.get("/check-api-key")).status_code == 200
        assert (await c.get("/check-api-key")).status_code == 429


# --------------------------------------------------------------------------- dropped connections


def test_drop_after_store_on_a_real_server() -> None:
    with SandboxServer(SandboxConfig(drop_after_store=True)) as server:
        application_id = dataset("greenhouse:sandbox-greenhouse").live_applications[2].id
        with httpx.Client(base_url=server.base_url, headers=headers(), timeout=10) as c:
            with pytest.raises(httpx.TransportError) as caught:
                c.post(f"/ats/applications/{application_id}/attachments", json=pdf_body())
            assert isinstance(caught.value, httpx.RemoteProtocolError)
            # The upload was stored although the client never saw the answer...
            assert server.sandbox.upload_count() == 1
            assert (
                len(server.sandbox.attachments("greenhouse:sandbox-greenhouse", application_id))
                == 1
            )
            # ...and the server is still fine for the next request (the verify step).
            listed = c.get(f"/ats/applications/{application_id}/attachments")
            assert listed.status_code == 200
            assert "Resume.pdf" in [a["file_name"] for a in listed.json()["data"]["results"]]


async def test_drop_after_store_in_process(make_client: Callable[..., httpx.AsyncClient]) -> None:
    async with make_client(SandboxConfig(drop_after_store=True)) as c:
        application_id = await first_application_id(c)
        with pytest.raises(DroppedConnection):
            await c.post(f"/ats/applications/{application_id}/attachments", json=pdf_body())
        assert sandbox_of(c).upload_count() == 1
        # Errors are still answered normally.
        invalid = await c.post(f"/ats/applications/{application_id}/attachments", json={})
        assert invalid.status_code == 400


async def test_drop_after_store_in_process_without_raising() -> None:
    from sandbox_helpers import headers as auth_headers

    from kombo_tui.sandbox.app import create_app

    app = create_app(SandboxConfig(drop_after_store=True))
    transport = httpx.ASGITransport(app=app, raise_app_exceptions=False)
    async with httpx.AsyncClient(
        transport=transport, base_url="http://sandbox/v1", headers=auth_headers()
    ) as c:
        application_id = await first_application_id(c)
        response = await c.post(f"/ats/applications/{application_id}/attachments", json=pdf_body())
        assert response.status_code == 200
        assert int(response.headers["content-length"]) > len(response.content)
        with pytest.raises(ValueError):
            response.json()
        assert app.state.sandbox.upload_count() == 1
