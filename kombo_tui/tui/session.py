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
from dataclasses import dataclass, replace
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    import httpx

    from kombo_tui.core.client import KomboClient
    from kombo_tui.core.config.settings import Settings
    from kombo_tui.core.errors import EnvFileSteering
    from kombo_tui.core.history import History
    from kombo_tui.core.target import Target
    from kombo_tui.core.wire.exchanges import ExchangeLog

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
    """Where the app sends, with which key, and one API client for the app's lifetime.

    "Where and with which key" is the core's :class:`~kombo_tui.core.target.Target`, resolved
    as the CLI and the library resolve it (the embedded sandbox is handed in from
    :mod:`kombo_tui.sandbox.embedded`, so the core never imports it). The client is created
    on first use; for the embedded sandbox, the target starts the server on loopback (in a
    thread) at that moment.

    Args:
        sandbox: Talk to the embedded sandbox.
        transport: An httpx transport for the client. With ``sandbox``, the sandbox is
            served by it in-process (tests, screenshots): no server is started and the base
            URL shown is :data:`SANDBOX_TEST_URL`.
        region: The command line's region (else the settings').
        base_url: The command line's base URL (else the settings').
        trust_env_file: Let a ``.env`` here choose where requests go for a key from elsewhere.
    """

    def __init__(
        self,
        *,
        sandbox: bool = False,
        transport: httpx.AsyncBaseTransport | None = None,
        region: str | None = None,
        base_url: str | None = None,
        trust_env_file: bool = False,
    ) -> None:
        self.sandbox = sandbox
        self.transport = transport
        self._region = region
        self._base_url = base_url
        self._trust_env_file = trust_env_file
        self.env_file_question: EnvFileSteering | None = None
        """A ``.env`` here would choose where the key goes: the app asks, and meanwhile leaves it out."""
        self.problem: str | None = None
        """Why the settings could not be resolved (shown on the first-run screen), else None."""
        self._client: KomboClient | None = None
        self._exchanges: ExchangeLog | None = None
        self._lock = asyncio.Lock()
        self.target: Target = self._resolve()

    def _resolve(self) -> Target:
        from kombo_tui.core.errors import KomboError
        from kombo_tui.core.target import Target

        self.problem = None
        if self.sandbox:
            from kombo_tui.sandbox.embedded import embedded

            target = Target.resolve(sandbox=embedded())
            if self.transport is not None:  # served in-process by the transport: nothing to start
                target = replace(target, sandbox=None, base_url=SANDBOX_TEST_URL)
            return target
        from kombo_tui.core.errors import EnvFileSteering

        try:
            return Target.resolve(region=self._region, base_url=self._base_url, trust_env_file=self._trust_env_file)
        except EnvFileSteering as exc:
            # Asked on screen (the app's first frame); until then, and if declined, the file is left out.
            self.env_file_question = exc
            try:
                return Target.resolve(region=self._region, base_url=self._base_url, ignore_env_file=True)
            except KomboError as other:
                self.problem = str(other)
                return _unresolved(self._region)
        except KomboError as exc:
            self.problem = str(exc)
            return _unresolved(self._region)

    @property
    def base_url(self) -> str:
        """The API base URL requests go to (the sandbox's port is known once it started)."""
        return self.target.base_url

    @property
    def environment(self) -> Environment:
        """The header's badge and key source."""
        return Environment(self.target.environment, self.target.key_source, self.sandbox)

    @property
    def history_environment(self) -> str:
        """Where this connection's uploads land, canonical: what the history keys them on
        (:attr:`Target.history_environment`: the embedded sandbox is one of its own per run).
        A sandbox mounted in-process (tests, screenshots) is one environment, ``sandbox:in-process``."""
        if self.sandbox and self.target.sandbox is None:
            from kombo_tui.core.identity import canonical_environment

            return canonical_environment(self.target.base_url, instance="in-process")
        return self.target.history_environment

    @property
    def has_key(self) -> bool:
        return self.target.api_key is not None

    def use_sandbox(self) -> None:
        """Switch to the embedded sandbox (first-run screen)."""
        self.sandbox = True
        self._client = None
        self.target = self._resolve()

    def trust_env_file(self) -> None:
        """The user chose to let the ``.env`` decide where requests go (asked by the app)."""
        self._trust_env_file = True
        self.env_file_question = None
        self._client = None
        self.target = self._resolve()

    def reload(self) -> None:
        """Resolve the target again from the settings (a key was just saved)."""
        self.sandbox = False
        self._client = None
        self.target = self._resolve()

    @property
    def exchanges(self) -> ExchangeLog:
        """Every HTTP exchange of this run of the app (bounded), whichever target it went to.

        Created on first use (it imports httpx): the first frame does not wait for it.
        """
        if self._exchanges is None:
            from kombo_tui.core.wire.exchanges import ExchangeLog

            self._exchanges = ExchangeLog()
        return self._exchanges

    async def client(self) -> KomboClient:
        """The client, created (and the sandbox started) on first call; it records every
        exchange in :attr:`exchanges`.

        Importing the client (httpx, pydantic models), starting the sandbox and building the
        client all happen in a thread: the event loop keeps painting meanwhile.

        Raises:
            KomboError: There is no key, or the sandbox could not start.
        """
        async with self._lock:
            if self._client is None:
                self._client = await asyncio.to_thread(self._new_client)
            return self._client

    def _new_client(self) -> KomboClient:
        return self.target.client(transport=self.transport, exchanges=self.exchanges)

    async def aclose(self) -> None:
        if self._client is not None:
            await self._client.aclose()
            self._client = None
        await asyncio.to_thread(self.target.close)


def _unresolved(region: str | None) -> Target:
    """Where the app would send when the settings cannot be read: the region's URL, no key."""
    from kombo_tui.core.net import REGIONS, environment_label
    from kombo_tui.core.target import Target

    url = REGIONS.get(region or "eu", REGIONS["eu"])
    return Target(base_url=url, api_key=None, environment=environment_label(url), key_source="none", integration_id=None)


class Session:
    """What the screens need from outside themselves, built once per run of the app.

    Args:
        connection: Where to send, with which key (see :class:`Connection`).
        settings: The settings, for the recent integrations (None until they are read, or
            when they could not be read).
        history: The audit log (default: ``History()`` in the platform data dir, opened on
            first use).
        settings_later: The settings are read after the first frame (nothing before it
            depends on them: the connection resolved the key): see :meth:`read_settings`.
        cli_integration: The integration id given on the command line (it wins over the
            settings' default).
    """

    def __init__(
        self,
        connection: Connection,
        *,
        settings: Settings | None = None,
        history: History | None = None,
        settings_later: bool = False,
        cli_integration: str | None = None,
    ) -> None:
        self.settings = settings
        self.connection = connection
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

        The command line's, else the settings' ``integration_id``, else the target's (the
        settings' as the connection resolved them, or the sandbox's default integration),
        else the most recent one ("" when there is none).
        """
        default = self.cli_integration or (self.settings.integration_id if self.settings else None)
        default = default or self.connection.target.integration_id
        if not default and self.settings and self.settings.recent_integrations:
            default = self.settings.recent_integrations[0]
        return default or ""

    def suggestions(self) -> list[str]:
        """Integration ids to complete from: the recent ones, then the sandbox's."""
        recent = list(self.settings.recent_integrations) if self.settings else []
        if self.connection.sandbox:
            from kombo_tui.sandbox.integrations import INTEGRATIONS

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
            from kombo_tui.core.config.settings import save_config

            save_config({"recent_integrations": recent})
        except Exception:  # noqa: BLE001 - a read-only config dir must not break the flow
            return

    # ------------------------------------------------------------------ settings

    @staticmethod
    def read_settings() -> Settings | None:
        """Read the settings (blocking: call it from a thread); None when they cannot be read."""
        from kombo_tui.core.config.settings import load_settings

        try:
            return load_settings()
        except Exception:  # noqa: BLE001 - sandbox mode runs without them, as before
            return None

    def settings_read(self, settings: Settings | None) -> str | None:
        """Take the settings read after the first frame.

        Returns:
            The integration the settings name (else the most recent one), for the main
            screen to switch to while the user has not changed it (None when the command
            line named one, or none is known).
        """
        self.settings_later = False
        wanted = None
        if settings is not None:
            self.settings = settings
            recent = settings.recent_integrations[:1]
            wanted = None if self.cli_integration else (settings.integration_id or (recent[0] if recent else None))
        if self._remember_later:
            integration_id, self._remember_later = self._remember_later, None
            self.remember(integration_id)
        return wanted

    def use_sandbox(self) -> None:
        """Talk to the embedded sandbox from now on (the first-run screen's choice)."""
        self.connection.use_sandbox()

    def use_saved_settings(self) -> None:
        """Resolve the target again (a key was just saved) and talk to where it says."""
        self.connection.reload()
        self.settings = self.read_settings() or self.settings

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
