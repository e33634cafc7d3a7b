"""Shared bits of the notebook tests: a sandbox that counts the attachment body bytes it receives."""

from __future__ import annotations

from collections.abc import Awaitable, Callable, MutableMapping
from pathlib import Path
from typing import Any

from kombo_tui.sandbox.server import SandboxServer

Scope = MutableMapping[str, Any]
Message = MutableMapping[str, Any]


class BodyCounter:
    """ASGI middleware: the body bytes that reached the sandbox for attachment uploads."""

    def __init__(self, app: Any) -> None:
        self.app = app
        self.received = 0
        self.posts = 0
        self.in_flight = 0
        """Attachment requests the sandbox is still handling (a cancelled one may still land)."""

    async def __call__(
        self, scope: Scope, receive: Callable[[], Awaitable[Message]], send: Callable[[Message], Awaitable[None]]
    ) -> None:
        if scope["type"] != "http" or scope["method"] != "POST" or not scope["path"].endswith("/attachments"):
            await self.app(scope, receive, send)
            return
        self.posts += 1

        async def counting() -> Message:
            message = await receive()
            if message["type"] == "http.request":
                self.received += len(message.get("body", b""))
            return message

        self.in_flight += 1
        try:
            await self.app(scope, counting, send)
        finally:
            self.in_flight -= 1

    def wait_idle(self, timeout: float = 30) -> None:
        """Until no attachment request is being handled (bounded)."""
        import time

        end = time.monotonic() + timeout
        while self.in_flight and time.monotonic() < end:
            time.sleep(0.02)
        assert not self.in_flight, "the sandbox still handles an attachment request"


def counting_sandbox(**config: Any) -> tuple[SandboxServer, BodyCounter]:
    """A (not yet started) sandbox server whose attachment bodies are counted."""
    from kombo_tui.sandbox.config import SandboxConfig

    server = SandboxServer(SandboxConfig(**config))
    counter = BodyCounter(server.app.middleware_stack or server.app.build_middleware_stack())
    server.app.middleware_stack = counter  # type: ignore[assignment]
    return server, counter


def pdf(path: Path, size: int) -> Path:
    """A PDF-looking file of ``size`` bytes."""
    head, tail = b"%PDF-1.4\n", b"\n%%EOF\n"
    path.write_bytes(head + b"0" * (size - len(head) - len(tail)) + tail)
    return path


def stored(server: SandboxServer) -> int:
    """How many attachments the sandbox stored."""
    return server.sandbox.upload_count()
