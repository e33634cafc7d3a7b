"""Where the app talks to: environment badge, key source and a lazily created client.

Nothing heavy is imported here at module level (httpx, the client, the sandbox server): the
first frame must not wait for them. The client is built on first use, inside a worker.
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    import httpx

    from kombo_tui.core.client import KomboClient
    from kombo_tui.core.settings import Settings

SANDBOX_TEST_URL = "http://sandbox.kombo-tui.localhost/v1"
"""Base URL shown when the sandbox is mounted in-process (tests, screenshots)."""


@dataclass(frozen=True)
class Environment:
    """What the header shows: never the key, only where it came from."""

    label: str
    """SANDBOX, EU, US, CA or the custom host."""
    key_source: str
    """env, .env, config, sandbox or none."""
    sandbox: bool


class Connection:
    """One API client for the app's lifetime, created on first use.

    In sandbox mode without an injected transport, the embedded sandbox server is started
    on loopback (in a thread) the first time a client is needed.
    """

    def __init__(
        self,
        *,
        settings: Settings | None,
        sandbox: bool,
        transport: httpx.AsyncBaseTransport | None = None,
    ) -> None:
        self.settings = settings
        self.sandbox = sandbox
        self.transport = transport
        self._client: KomboClient | None = None
        self._server: Any = None
        self._lock = asyncio.Lock()
        self.base_url: str = self._initial_base_url()

    def _initial_base_url(self) -> str:
        if self.sandbox:
            return SANDBOX_TEST_URL if self.transport is not None else "http://127.0.0.1/v1"
        from kombo_tui.core.net import REGIONS

        if self.settings is None:
            return REGIONS["eu"]
        try:
            return self.settings.resolved_base_url()
        except Exception:  # noqa: BLE001 - shown as the badge; the client reports it
            return self.settings.base_url or REGIONS["eu"]

    @property
    def environment(self) -> Environment:
        if self.sandbox:
            return Environment("SANDBOX", "sandbox", True)
        from kombo_tui.core.settings import environment_label

        source = self.settings.key_source if self.settings else "none"
        return Environment(environment_label(self.base_url), source, False)

    @property
    def has_key(self) -> bool:
        return self.sandbox or bool(self.settings and self.settings.api_key)

    def use_sandbox(self) -> None:
        """Switch to the embedded sandbox (first-run screen)."""
        self.sandbox = True
        self._client = None
        self.base_url = self._initial_base_url()

    def use_settings(self, settings: Settings) -> None:
        """Switch to freshly loaded settings (a key was just saved)."""
        self.settings = settings
        self.sandbox = False
        self._client = None
        self.base_url = self._initial_base_url()

    async def client(self) -> KomboClient:
        """The client, created (and the sandbox started) on first call.

        Importing the client (httpx, pydantic models), starting the sandbox and building the
        client all happen in a thread: the event loop keeps painting meanwhile.
        """
        async with self._lock:
            if self._client is None:
                self._client = await asyncio.to_thread(self._build_client)
            return self._client

    def _build_client(self) -> KomboClient:
        """Runs in a thread (see :meth:`client`)."""
        from pydantic import SecretStr

        from kombo_tui.core.client import KomboClient

        if self.sandbox:
            from kombo_tui.sandbox.data import SANDBOX_API_KEY

            if self.transport is None and self._server is None:
                from kombo_tui.sandbox.server import SandboxServer

                self._server = SandboxServer().start()
            if self._server is not None:
                self.base_url = self._server.base_url
            return KomboClient(SecretStr(SANDBOX_API_KEY), base_url=self.base_url, transport=self.transport)
        settings = self.settings
        assert settings is not None and settings.api_key is not None
        return KomboClient(
            settings.api_key,
            base_url=self.base_url,
            transport=self.transport,
            timeout=settings.timeout,
            upload_timeout=settings.upload_timeout,
        )

    async def aclose(self) -> None:
        if self._client is not None:
            await self._client.aclose()
            self._client = None
        if self._server is not None:
            server, self._server = self._server, None
            await asyncio.to_thread(server.stop)
