"""Helpers shared by the exchange-log and HAR tests: clients on the sandbox, in-process or on loopback."""

from __future__ import annotations

import os
from collections.abc import Callable
from pathlib import Path
from typing import Any

import httpx

from kombo_tui.core.client import KomboClient
from kombo_tui.core.payload import Draft, PreparedUpload, prepare
from kombo_tui.core.wire.exchanges import ExchangeLog
from kombo_tui.sandbox.app import SandboxConfig, create_app
from kombo_tui.sandbox.data import DEFAULT_INTEGRATION_ID
from kombo_tui.sandbox.server import SandboxServer

KEY = "sk_exchange_test_secret_0123456789"
"""The key every client here sends: no field of any record may contain it."""

CONFIG = SandboxConfig(api_key=KEY)


def in_process(
    log: ExchangeLog | None, config: SandboxConfig = CONFIG, **kwargs: Any
) -> tuple[KomboClient, Any]:
    """A client on a fresh in-process sandbox (no httpcore: no trace); returns (client, app)."""
    app = create_app(config)
    client = KomboClient(
        config.api_key,
        base_url="http://sandbox/v1",
        integration_id=DEFAULT_INTEGRATION_ID,
        transport=httpx.ASGITransport(app=app),
        exchanges=log,
        **kwargs,
    )
    return client, app


def on_loopback(server: SandboxServer, log: ExchangeLog | None, **kwargs: Any) -> KomboClient:
    """A client on a sandbox served by uvicorn on 127.0.0.1 (real sockets: traced timings)."""
    return KomboClient(
        server.config.api_key,
        base_url=server.base_url,
        integration_id=DEFAULT_INTEGRATION_ID,
        exchanges=log,
        **kwargs,
    )


def pdf(directory: Path, size: int = 200_000, name: str = "cv.pdf") -> Path:
    path = directory / name
    path.write_bytes(b"%PDF-1.7\n" + os.urandom(size - 9))
    return path


async def upload_for(client: KomboClient, path: Path) -> PreparedUpload:
    """A prepared upload of ``path`` to the first application the sandbox lists."""
    page = await client.list_applications(page_size=1)
    return prepare(
        Draft(integration_id=DEFAULT_INTEGRATION_ID, application_id=page.results[0].id, file=path, type="CV")
    )


def recording_sleep(on_call: Callable[[int], None] | None = None) -> tuple[Callable[[float], Any], list[float]]:
    """A sleep that does not wait: it notes the delays and calls ``on_call(n)`` for the n-th."""
    slept: list[float] = []

    async def sleep(seconds: float) -> None:
        slept.append(seconds)
        if on_call is not None:
            on_call(len(slept))

    return sleep, slept
