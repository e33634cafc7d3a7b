"""Fixtures for the sandbox tests: the app in-process (httpx.ASGITransport) and on loopback."""

from __future__ import annotations

import sys
from collections.abc import AsyncIterator, Callable, Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from kombo import Kombo

# The project runs pytest with --import-mode=importlib, which does not put test folders on
# sys.path; the sandbox tests share plain helpers through this one module.
sys.path.insert(0, str(Path(__file__).parent))
from sandbox_helpers import headers

from kombo_tui.sandbox.app import SandboxConfig, create_app
from kombo_tui.sandbox.data import DEFAULT_INTEGRATION_ID, SANDBOX_API_KEY
from kombo_tui.sandbox.server import SandboxServer


@pytest.fixture
def make_client() -> Callable[..., httpx.AsyncClient]:
    """``make_client(config=None, integration_id=DEFAULT)`` → an AsyncClient on a fresh app.

    The app is reachable as ``client.sandbox_app``; use the client as a context manager.
    """

    def factory(
        config: SandboxConfig | None = None,
        integration_id: str | None = DEFAULT_INTEGRATION_ID,
        **kwargs: Any,
    ) -> httpx.AsyncClient:
        app = create_app(config)
        client = httpx.AsyncClient(
            transport=httpx.ASGITransport(app=app),
            base_url="http://sandbox/v1",
            headers=headers(integration_id),
            **kwargs,
        )
        client.sandbox_app = app  # type: ignore[attr-defined]
        return client

    return factory


@pytest.fixture
async def client(make_client: Callable[..., httpx.AsyncClient]) -> AsyncIterator[httpx.AsyncClient]:
    """An AsyncClient on a fresh in-process sandbox, authenticated, integration Greenhouse."""
    async with make_client() as c:
        yield c


@pytest.fixture(scope="module")
def server() -> Iterator[SandboxServer]:
    """A sandbox on a loopback port with the default configuration (shared by a module)."""
    with SandboxServer() as running:
        yield running


@pytest.fixture
def kombo(server: SandboxServer) -> Callable[..., Kombo]:
    """``kombo(integration_id)`` → the official SDK pointed at the shared loopback sandbox."""

    def factory(
        integration_id: str = DEFAULT_INTEGRATION_ID, api_key: str = SANDBOX_API_KEY
    ) -> Kombo:
        return Kombo(api_key=api_key, integration_id=integration_id, server_url=server.base_url)

    return factory
