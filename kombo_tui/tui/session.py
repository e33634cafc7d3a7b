"""The app's session: where it talks to, the audit log, the settings and the recent integrations.

A :class:`Session` is built by ``tui.app.make_app`` and handed to the screens, which use it
instead of reaching up into the app: the :class:`Connection` (environment badge, key source,
a client created on first use, the embedded sandbox), the :class:`~kombo_tui.core.history.History`,
the settings and the recent integrations. No Textual import: a screen can be tested with a
session of its own.

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
    from kombo_tui.core.history import History
    from kombo_tui.core.settings import Settings

RECENT_LIMIT = 10
"""Integration ids kept in the config file's recent list."""

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


class Session:
    """What the screens need from outside themselves, built once per run of the app.

    Args:
        settings: Resolved settings (None in sandbox mode until they are read, or when they
            could not be loaded).
        sandbox: Talk to the embedded sandbox.
        transport: An httpx transport for the client (tests mount the sandbox in-process).
        history: The audit log (default: ``History()`` in the platform data dir, opened on
            first use).
        settings_later: The settings are read after the first frame (sandbox mode, where
            nothing before the first frame depends on them): see :meth:`read_settings`.
        cli_integration: The integration id given on the command line (it wins over the
            settings' default).
    """

    def __init__(
        self,
        *,
        settings: Settings | None = None,
        sandbox: bool = False,
        transport: httpx.AsyncBaseTransport | None = None,
        history: History | None = None,
        settings_later: bool = False,
        cli_integration: str | None = None,
    ) -> None:
        self.settings = settings
        self.connection = Connection(settings=settings, sandbox=sandbox, transport=transport)
        self._history = history
        self.settings_later = settings_later
        """True until the deferred settings are read (:meth:`settings_read`)."""
        self.cli_integration = cli_integration
        self._remember_later: str | None = None

    @property
    def history(self) -> History:
        """The audit log, opened on first use (the core is imported lazily)."""
        if self._history is None:
            from kombo_tui.core.history import History

            self._history = History()
        return self._history

    # ------------------------------------------------------------------ integrations

    def initial_integration(self) -> str:
        """The integration the main screen starts with.

        The command line's, else the settings' ``integration_id``, else the sandbox's
        default integration, else the most recent one ("" when there is none).
        """
        default = self.cli_integration or (self.settings.integration_id if self.settings else None)
        if not default and self.connection.sandbox:
            from kombo_tui.sandbox.data import DEFAULT_INTEGRATION_ID

            default = DEFAULT_INTEGRATION_ID
        if not default and self.settings and self.settings.recent_integrations:
            default = self.settings.recent_integrations[0]
        return default or ""

    def suggestions(self) -> list[str]:
        """Integration ids to complete from: the recent ones, then the sandbox's."""
        recent = list(self.settings.recent_integrations) if self.settings else []
        if self.connection.sandbox:
            from kombo_tui.sandbox.data import INTEGRATIONS

            recent += [i.id for i in INTEGRATIONS if i.id not in recent]
        return recent

    def remember(self, integration_id: str) -> None:
        """Put the id first in the recent list (config file), best effort."""
        if self.connection.sandbox and self.connection.transport is not None:
            return  # tests and screenshots: leave the user's config alone
        if self.settings_later:
            self._remember_later = integration_id  # once the recent list is read
            return
        recent = [integration_id] + [
            i for i in (self.settings.recent_integrations if self.settings else []) if i != integration_id
        ]
        recent = recent[:RECENT_LIMIT]
        if self.settings is not None:
            if self.settings.recent_integrations[:1] == [integration_id]:
                return
            self.settings.recent_integrations = recent
        try:
            from kombo_tui.core.settings import save_config

            save_config({"recent_integrations": recent})
        except Exception:  # noqa: BLE001 - a read-only config dir must not break the flow
            return

    # ------------------------------------------------------------------ settings

    @staticmethod
    def read_settings() -> Settings | None:
        """Read the settings (blocking: call it from a thread); None when they cannot be read."""
        from kombo_tui.core.settings import load_settings

        try:
            return load_settings()
        except Exception:  # noqa: BLE001 - sandbox mode runs without them, as before
            return None

    def settings_read(self, settings: Settings | None) -> str | None:
        """Take the settings read after the first frame.

        Returns:
            The integration the settings name, for the main screen to switch to while the
            user has not changed it (None when the command line named one, or none is set).
        """
        self.settings_later = False
        wanted = None
        if settings is not None:
            self.settings = settings
            if self.connection.settings is None:
                self.connection.settings = settings
            wanted = None if self.cli_integration else settings.integration_id
        if self._remember_later:
            integration_id, self._remember_later = self._remember_later, None
            self.remember(integration_id)
        return wanted

    def use_sandbox(self) -> None:
        """Talk to the embedded sandbox from now on (the first-run screen's choice)."""
        self.connection.use_sandbox()

    def use_saved_settings(self) -> None:
        """Read the settings again (a key was just saved) and talk to where they say."""
        from kombo_tui.core.settings import load_settings

        self.settings = load_settings()
        self.connection.use_settings(self.settings)

    # ------------------------------------------------------------------ lifetime

    async def warm_up(self) -> None:
        """Build the client (starting the sandbox) and import the core, all in threads.

        So the first file or send does not stall the event loop on imports.
        """
        try:
            await self.connection.client()
        except Exception:  # noqa: BLE001 - the integration check reports it in a widget
            pass
        await asyncio.to_thread(_import_core)

    async def aclose(self) -> None:
        """Close the client and stop the embedded sandbox."""
        await self.connection.aclose()


def _import_core() -> None:
    """Import what sending needs (in a thread), so the first file or send does not stall the loop."""
    import kombo_tui.core.engine
    import kombo_tui.core.files
    import kombo_tui.core.hints
    import kombo_tui.core.history
    import kombo_tui.core.naming
    import kombo_tui.core.payload
    import kombo_tui.core.sniff  # noqa: F401 - imported for the side effect of loading it
