"""The sandbox's misbehaviour machinery: rate limit, concurrency limit, injected 5xx.

All three are deterministic (no randomness, an injectable clock) so tests can count on them.
They are used from the server's event loop only; no locking is needed.
"""

from __future__ import annotations

import math
import time
from collections.abc import Callable
from dataclasses import dataclass

__all__ = [
    "NOMINAL_RATE_LIMIT",
    "ConcurrencyGate",
    "ErrorInjector",
    "RateDecision",
    "RateLimiter",
]

NOMINAL_RATE_LIMIT = 10_000
"""What ``ratelimit-limit`` says when no rate limit is configured (it is not enforced)."""


@dataclass(frozen=True)
class RateDecision:
    """The outcome of counting one request, and the values for the ``ratelimit-*`` headers."""

    allowed: bool
    limit: int
    remaining: int
    reset: int
    """Whole seconds until the window ends (``ratelimit-reset``), at least 1."""

    def headers(self) -> dict[str, str]:
        return {
            "ratelimit-limit": str(self.limit),
            "ratelimit-remaining": str(self.remaining),
            "ratelimit-reset": str(self.reset),
        }


class RateLimiter:
    """A fixed-window request counter per API key.

    With ``limit=None`` nothing is refused, but the headers still count against
    :data:`NOMINAL_RATE_LIMIT` so clients always see the three ``ratelimit-*`` headers.
    """

    def __init__(
        self,
        limit: int | None,
        window: float,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.limit = limit
        self.window = window
        self._clock = clock
        self._windows: dict[str, tuple[float, int]] = {}
        """key → (window start, requests counted in it)"""

    def _current(self, key: str) -> tuple[float, int]:
        now = self._clock()
        start, used = self._windows.get(key, (now, 0))
        if now - start >= self.window:
            start, used = now, 0
        return start, used

    def _decision(self, start: float, used: int, allowed: bool) -> RateDecision:
        limit = self.limit if self.limit is not None else NOMINAL_RATE_LIMIT
        left = self.window - (self._clock() - start)
        return RateDecision(
            allowed=allowed,
            limit=limit,
            remaining=max(0, limit - used),
            reset=max(1, math.ceil(left)),
        )

    def hit(self, key: str) -> RateDecision:
        """Count one request of ``key``; ``allowed`` is False once the window is full."""
        start, used = self._current(key)
        if self.limit is not None and used >= self.limit:
            self._windows[key] = (start, used)
            return self._decision(start, used, allowed=False)
        used += 1
        self._windows[key] = (start, used)
        return self._decision(start, used, allowed=True)

    def peek(self, key: str) -> RateDecision:
        """The headers for ``key`` without counting a request (used for refused requests)."""
        start, used = self._current(key)
        return self._decision(start, used, allowed=True)

    def reset(self) -> None:
        self._windows.clear()


class ConcurrencyGate:
    """In-flight action requests per integration, refused above ``limit``."""

    def __init__(self, limit: int) -> None:
        self.limit = limit
        self._in_flight: dict[str, int] = {}

    def try_acquire(self, key: str) -> int | None:
        """Take a slot: the remaining slots after taking it, or None when all are taken."""
        used = self._in_flight.get(key, 0)
        if used >= self.limit:
            return None
        self._in_flight[key] = used + 1
        return self.limit - used - 1

    def release(self, key: str) -> None:
        used = self._in_flight.get(key, 0) - 1
        if used > 0:
            self._in_flight[key] = used
        else:
            self._in_flight.pop(key, None)

    def in_flight(self, key: str) -> int:
        return self._in_flight.get(key, 0)

    def remaining(self, key: str) -> int:
        return max(0, self.limit - self.in_flight(key))


class ErrorInjector:
    """Answers a fixed share of requests with a 5xx, spread evenly and deterministically.

    Request ``n`` (1-based) fails when ``floor(n * rate)`` steps up, so a rate of 0.25 fails
    requests 4, 8, 12, ... and a rate of 1 fails all of them. The failures cycle through
    :attr:`KINDS`.
    """

    KINDS: tuple[int, ...] = (500, 502, 503)

    def __init__(self, rate: float) -> None:
        self.rate = rate
        self._count = 0
        self._injected = 0

    def next(self) -> int | None:
        """Count one request; the status to fail it with, or None to let it through."""
        self._count += 1
        if self.rate <= 0:
            return None
        if math.floor(self._count * self.rate + 1e-9) == math.floor(
            (self._count - 1) * self.rate + 1e-9
        ):
            return None
        status = self.KINDS[self._injected % len(self.KINDS)]
        self._injected += 1
        return status

    @property
    def injected(self) -> int:
        """How many requests were failed so far."""
        return self._injected
