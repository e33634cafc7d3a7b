"""``*.localhost`` base URLs reach loopback without a DNS lookup (issue 10)."""

from __future__ import annotations

import asyncio
import socket

import pytest

from kombo_tui.core.client import KomboClient
from kombo_tui.sandbox.data import SANDBOX_API_KEY
from kombo_tui.sandbox.server import SandboxServer


def test_a_dot_localhost_base_url_reaches_loopback_without_asking_dns(monkeypatch: pytest.MonkeyPatch) -> None:
    asked: list[object] = []
    guard = socket.getaddrinfo  # the autouse loopback-only guard from conftest

    def watching(host: object, *args: object, **kwargs: object) -> object:
        asked.append(host.decode() if isinstance(host, bytes) else host)
        return guard(host, *args, **kwargs)  # type: ignore[arg-type]

    monkeypatch.setattr(socket, "getaddrinfo", watching)
    with SandboxServer() as server:
        base = f"http://demo.localhost:{server.port}/v1"

        async def check() -> tuple[dict[str, object], str | None]:
            async with KomboClient(SANDBOX_API_KEY, base_url=base) as client:
                seen: list[str | None] = []

                async def note_host(request: object) -> None:
                    seen.append(request.headers.get("host"))  # type: ignore[attr-defined]

                client.http.event_hooks["request"].append(note_host)
                answer = await client.check_api_key()
                return answer, seen[0] if seen else None

        answer, host_header = asyncio.run(check())
    assert answer  # the sandbox answered through the pinned address
    assert host_header == f"demo.localhost:{server.port}"  # the Host header is kept
    assert "demo.localhost" not in asked  # no name lookup for the .localhost name
    assert all(name in (None, "127.0.0.1") for name in asked), asked


def test_plain_localhost_is_pinned_too(monkeypatch: pytest.MonkeyPatch) -> None:
    asked: list[object] = []
    guard = socket.getaddrinfo

    def watching(host: object, *args: object, **kwargs: object) -> object:
        asked.append(host.decode() if isinstance(host, bytes) else host)
        return guard(host, *args, **kwargs)  # type: ignore[arg-type]

    monkeypatch.setattr(socket, "getaddrinfo", watching)
    with SandboxServer() as server:

        async def check() -> dict[str, object]:
            async with KomboClient(SANDBOX_API_KEY, base_url=f"http://localhost:{server.port}/v1") as client:
                return await client.check_api_key()

        assert asyncio.run(check())
    assert "localhost" not in asked
