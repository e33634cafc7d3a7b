"""The app's connection asks the core where to send and with which key, as the CLI does."""

from __future__ import annotations

import asyncio

import httpx
import pytest

from kombo_tui.core.net import REGIONS
from kombo_tui.core.target import Target
from kombo_tui.sandbox.app import SandboxConfig, create_app
from kombo_tui.sandbox.data import DEFAULT_INTEGRATION_ID
from kombo_tui.tui.app import make_app
from kombo_tui.tui.session import SANDBOX_TEST_URL, Connection


def test_the_app_resolves_the_same_target_as_the_cli(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("KOMBO_API_KEY", "sk_test_region")
    monkeypatch.setenv("KOMBO_INTEGRATION_ID", "lever:abc")
    connection = Connection(region="us")
    expected = Target.resolve(region="us")
    assert connection.target == expected
    assert (connection.base_url, connection.environment.label, connection.environment.key_source) == (
        REGIONS["us"],
        "US",
        "env",
    )
    assert connection.has_key and make_app(region="us").session.initial_integration() == "lever:abc"


def test_an_unsafe_base_url_is_told_on_the_first_run_screen(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("KOMBO_API_KEY", "sk_test_x")
    app = make_app(base_url="http://example.com/v1")
    assert not app.session.connection.has_key
    assert app.startup_error and "http" in app.startup_error


def test_the_in_process_sandbox_starts_no_server() -> None:
    transport = httpx.ASGITransport(app=create_app(SandboxConfig()))
    connection = Connection(sandbox=True, transport=transport)
    assert (connection.base_url, connection.environment.label, connection.environment.key_source) == (
        SANDBOX_TEST_URL,
        "SANDBOX",
        "sandbox",
    )
    assert connection.target.integration_id == DEFAULT_INTEGRATION_ID

    async def run() -> None:
        client = await connection.client()
        details = await client.get_integration(DEFAULT_INTEGRATION_ID)
        assert details.id == DEFAULT_INTEGRATION_ID
        assert connection.target.server is None
        await connection.aclose()

    asyncio.run(run())


def test_the_session_records_every_exchange_of_its_client_in_one_log() -> None:
    transport = httpx.ASGITransport(app=create_app(SandboxConfig()))
    connection = Connection(sandbox=True, transport=transport)

    async def run() -> None:
        client = await connection.client()
        await client.get_integration(DEFAULT_INTEGRATION_ID)
        await connection.aclose()
        connection.use_sandbox()  # a new client, the same log
        client = await connection.client()
        await client.get_integration(DEFAULT_INTEGRATION_ID)
        await connection.aclose()

    asyncio.run(run())
    seen = [(e.method, e.path, e.status) for e in connection.exchanges.entries()]
    assert seen == [("GET", f"/v1/integrations/{DEFAULT_INTEGRATION_ID}", 200)] * 2
    assert all(e.header("authorization", response=False) == "Bearer ••••" for e in connection.exchanges.entries())


def test_the_embedded_sandbox_is_started_by_the_target_and_stopped_on_close() -> None:
    connection = Connection(sandbox=True)

    async def run() -> None:
        client = await connection.client()
        assert connection.target.server is not None
        assert connection.base_url.startswith("http://127.0.0.1:") and not connection.base_url.startswith("http://127.0.0.1:0/")
        assert (await client.get_integration(DEFAULT_INTEGRATION_ID)).id == DEFAULT_INTEGRATION_ID
        await connection.aclose()
        assert connection.target.server is None

    asyncio.run(run())
