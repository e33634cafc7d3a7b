"""How a sandbox behaves: one frozen :class:`SandboxConfig`.

It exists on its own so the ``kombo-tui sandbox`` command, the TUI's ``--sandbox`` mode and the
tests can describe a sandbox (including the ways it can be told to misbehave) without reading
the request pipeline. ``Sandbox.configure()`` swaps it for a changed copy while running.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from .data import DEFAULT_SEED, SANDBOX_API_KEY

if TYPE_CHECKING:
    import httpx

    from .allowlist import AllowRule

__all__ = ["MB", "SandboxConfig"]

MB = 1024 * 1024


@dataclass(frozen=True)
class SandboxConfig:
    """How the sandbox behaves, including the ways it can be told to misbehave."""

    api_key: str = SANDBOX_API_KEY
    """The only bearer token accepted."""
    latency: float = 0.0
    """Seconds to wait before answering. Uploads wait while holding their concurrency slot."""
    rate_limit: int | None = None
    """Requests per ``rate_window`` per key; None: unlimited (headers report a nominal 10,000)."""
    rate_window: float = 60.0
    """Length of the rate-limit window in seconds."""
    concurrency_limit: int = 30
    """Action requests (attachment uploads and reads) in flight per integration."""
    error_rate: float = 0.0
    """Share of requests answered with a 5xx (0..1, deterministic, cycling 500/502/503)."""
    drop_after_store: bool = False
    """Store each upload, then drop the connection before the response is complete."""
    fetch_timeout: float = 10.0
    """Timeout in seconds for downloading ``attachment.data_url``."""
    fetch_max_bytes: int = 50 * MB
    """Largest file fetched from a ``data_url``."""
    seed: int = DEFAULT_SEED
    """Seed of the demo data (and of upload ids)."""
    max_body_bytes: int = 100 * MB
    """Largest request body accepted (413 ``PLATFORM.INPUT_INVALID`` above it)."""
    environment_id: str = "sandbox"
    """What ``GET /check-api-key`` reports."""
    fetch_allow: tuple[str, ...] = ()
    """The only URLs ``data_url`` is downloaded from: http(s) origins
    (``http://127.0.0.1:8000``) or origins with a path prefix
    (``http://127.0.0.1:8000/files/``). Empty by default: nothing is fetched, so a client
    cannot use the sandbox to probe this machine's ports. Other URLs get a 400
    ``PLATFORM.INPUT_INVALID`` without being contacted (see :mod:`.allowlist`)."""
    fetch_remote: bool = False
    """For demos that want the network: also download ``data_url`` from any host that is not
    this machine (loopback names and non-global IP literals stay refused unless listed in
    ``fetch_allow``). Names are not resolved beforehand: a public name pointing at this
    machine is fetched. Off by default."""
    clock: Callable[[], float] = field(default=time.time, repr=False, compare=False)
    """Seconds since the epoch for what the sandbox stamps (an upload's ``remote_created_at``);
    tests and snapshots inject a frozen one so a date shown on screen is the same every day."""
    fetch_transport: httpx.AsyncBaseTransport | None = field(
        default=None, repr=False, compare=False
    )
    """Transport used to fetch ``data_url`` (tests inject one; None: the network)."""

    def __post_init__(self) -> None:
        problems = []
        if self.latency < 0:
            problems.append("latency must be >= 0")
        if self.rate_limit is not None and self.rate_limit < 1:
            problems.append("rate_limit must be >= 1 or None")
        if self.rate_window <= 0:
            problems.append("rate_window must be > 0")
        if self.concurrency_limit < 1:
            problems.append("concurrency_limit must be >= 1")
        if not 0 <= self.error_rate <= 1:
            problems.append("error_rate must be between 0 and 1")
        if self.fetch_timeout <= 0:
            problems.append("fetch_timeout must be > 0")
        if self.fetch_max_bytes < 1 or self.max_body_bytes < 1:
            problems.append("fetch_max_bytes and max_body_bytes must be >= 1")
        if not self.api_key.strip():
            problems.append("api_key must not be blank")
        if isinstance(self.fetch_allow, str):
            problems.append("fetch_allow must be a tuple of URLs, not one string")
        elif self.fetch_allow:
            from .allowlist import parse_rule  # httpx: loaded only when there is a rule

            object.__setattr__(self, "fetch_allow", tuple(self.fetch_allow))
            for entry in self.fetch_allow:
                try:
                    parse_rule(entry)
                except ValueError as exc:
                    problems.append(str(exc))
        if problems:
            raise ValueError("; ".join(problems))

    def fetch_rules(self) -> tuple[AllowRule, ...]:
        """``fetch_allow``, parsed (the entries were checked when the config was made)."""
        from .allowlist import parse_rule

        return tuple(parse_rule(entry) for entry in self.fetch_allow)
