"""Where to send, and with which key: one answer for the CLI, the library and the app.

A :class:`Target` is resolved once, from what the caller chose (the embedded sandbox, a region
or a base URL, perhaps a key and an integration) over the settings (``KOMBO_*`` environment,
``.env``, config file). It says which base URL, which key (a :class:`~.config.Secret`, never shown),
which environment label the user sees and the history is kept under, and which integration
to use when none is given.

The embedded sandbox is a server this process runs. The core never imports the sandbox
package, so the sandbox is handed in as a :class:`SandboxSpec` (its key, its default
integration and how to start it); the target starts the server when a client is first
needed and stops it on :meth:`Target.close`.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from types import TracebackType
from typing import TYPE_CHECKING, Any, Protocol

from .config.file import Secret, SecretText
from .errors import InputError

if TYPE_CHECKING:
    from .client import KomboClient
    from .config.file import PlainSettings
    from .config.settings import Settings

__all__ = ["SANDBOX_LABEL", "LocalServer", "SandboxSpec", "Target"]

SANDBOX_LABEL = "SANDBOX"
"""The environment label of the embedded sandbox."""

SANDBOX_PENDING_URL = "http://127.0.0.1:0/v1"
"""The sandbox's base URL until its server is started (the port is picked then)."""


class LocalServer(Protocol):
    """A Kombo-compatible server this process starts and stops (the embedded sandbox)."""

    @property
    def base_url(self) -> str:
        """Valid once started; ends in ``/v1``."""
        ...

    def start(self) -> object:
        """Serve (in a background thread); return once connections are accepted."""
        ...

    def stop(self) -> None:
        """Stop serving and release the port."""
        ...


@dataclass(frozen=True)
class SandboxSpec:
    """How to run the embedded sandbox: its well-known key, default integration and server."""

    api_key: str
    integration_id: str
    server: Callable[[], LocalServer]
    """Builds the (not yet started) server."""


@dataclass
class Target:
    """Where requests go and with which key. Build it with :meth:`resolve`.

    Use as a context manager (or call :meth:`close`) when it may run the sandbox.
    """

    base_url: str
    api_key: Secret | None
    environment: str
    """The label the user sees and the history is kept under: SANDBOX, EU, US, CA or a host."""
    key_source: str
    """Where the key came from: argument, env, .env, config, sandbox or none (never the key)."""
    integration_id: str | None
    """The integration to use when the caller names none."""
    timeout: float = 30.0
    upload_timeout: float = 300.0
    sandbox: SandboxSpec | None = None
    server: LocalServer | None = None
    """The running sandbox server, once :meth:`start` started it."""
    sandbox_instance: str = field(default_factory=lambda: uuid.uuid4().hex[:16], compare=False)
    """Which start of the embedded sandbox this is (a new one per server: each starts empty)."""

    @classmethod
    def resolve(
        cls,
        *,
        sandbox: SandboxSpec | None = None,
        region: str | None = None,
        base_url: str | None = None,
        api_key: str | SecretText | None = None,
        integration_id: str | None = None,
        trust_env_file: bool = False,
        ignore_env_file: bool = False,
    ) -> Target:
        """Resolve the target from the caller's choice over the settings.

        Args:
            sandbox: send to the embedded sandbox (its server starts on :meth:`start`).
            region: ``eu``, ``us`` or ``ca`` (default: the settings', else EU).
            base_url: a custom API base URL (https; plain http only to loopback).
            api_key: the key; default from the settings. Ignored for the sandbox.
            integration_id: the default integration; default from the settings.
            trust_env_file: let a ``.env`` in the working directory choose the base URL,
                region or integration for a key that comes from elsewhere (refused otherwise).
            ignore_env_file: leave such a ``.env`` out instead of refusing.

        Raises:
            InputError: sandbox combined with a region or base URL, or an unsafe base URL.
            ConfigError: the config file is unsafe or invalid.
        """
        if sandbox is not None:
            if region or base_url:
                raise InputError.single("base_url", "choose the sandbox or a region / base URL, not both")
            return cls(
                base_url=SANDBOX_PENDING_URL,
                api_key=Secret(sandbox.api_key),
                environment=SANDBOX_LABEL,
                key_source="sandbox",
                integration_id=integration_id or sandbox.integration_id,
                sandbox=sandbox,
            )
        from .config.file import plain_settings
        from .net import environment_label

        # The common case without pydantic-settings (a send from a script should not wait
        # for it); load_settings stays the authority for everything else.
        settings: PlainSettings | Settings | None = plain_settings(region=region, base_url=base_url)
        if settings is None:
            from .config.settings import load_settings

            overrides: dict[str, Any] = {"integration_id": integration_id} if integration_id else {}
            if api_key is not None:  # the caller's key: a .env may not choose where it goes either
                overrides["api_key"] = api_key if isinstance(api_key, str) else api_key.get_secret_value()
            settings = load_settings(
                region=region, base_url=base_url, trust_env_file=trust_env_file, ignore_env_file=ignore_env_file,
                **overrides,
            )
        url = settings.resolved_base_url()
        found = settings.api_key
        key = None if found is None else Secret(found.get_secret_value())
        source: str = settings.key_source
        if api_key is not None:
            raw = api_key if isinstance(api_key, str) else api_key.get_secret_value()
            key, source = (Secret(raw), "argument") if raw.strip() else (None, "none")
        return cls(
            base_url=url,
            api_key=key,
            environment=environment_label(url),
            key_source=source,
            integration_id=integration_id or settings.integration_id,
            timeout=settings.timeout,
            upload_timeout=settings.upload_timeout,
        )

    @property
    def is_sandbox(self) -> bool:
        """True for the embedded sandbox, which starts empty in every process."""
        return self.sandbox is not None

    def describe(self) -> str:
        """Where requests go, for the line every door shows before the first one (never the key)."""
        return f"{self.base_url} ({self.environment}), key from {self.key_source}"

    @property
    def history_environment(self) -> str:
        """Where uploads land, canonical (:func:`~.identity.canonical_environment`): what the
        history keys uploads on. Each start of the embedded sandbox is an environment of its own."""
        from .identity import canonical_environment

        return canonical_environment(self.base_url, instance=self.sandbox_instance if self.sandbox else None)

    def start(self) -> Target:
        """Start the sandbox server if this target needs one and it is not running yet."""
        if self.sandbox is not None and self.server is None:
            server = self.sandbox.server()
            server.start()
            self.server = server
            self.base_url = server.base_url
        return self

    def close(self) -> None:
        """Stop the sandbox server, if one was started."""
        if self.server is not None:
            server, self.server = self.server, None
            server.stop()
            self.sandbox_instance = uuid.uuid4().hex[:16]  # a later start is a new, empty sandbox

    def __enter__(self) -> Target:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()

    def require_key(self, advice: str = "pass api_key= or set KOMBO_API_KEY") -> Secret:
        """The key, or an :class:`InputError` on ``api_key`` that ends with ``advice``."""
        if self.api_key is None:
            raise InputError.single("api_key", f"no API key: {advice}")
        return self.api_key

    def client(self, *, integration_id: str | None = None, **kwargs: Any) -> KomboClient:
        """A :class:`KomboClient` for this target (starting the sandbox server if needed).

        ``kwargs`` go to the client (``transport``, ``retry``, ``timeout``, ...).

        Raises:
            InputError: no key, or one the client refuses.
        """
        from .client import KomboClient

        key = self.require_key()
        self.start()
        kwargs.setdefault("timeout", self.timeout)
        kwargs.setdefault("upload_timeout", self.upload_timeout)
        return KomboClient(
            key,
            base_url=self.base_url,
            integration_id=integration_id or self.integration_id,
            **kwargs,
        )
