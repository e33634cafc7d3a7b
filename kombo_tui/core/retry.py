"""The one retry policy: how many attempts, how long between them, and what the server's hints say.

:class:`RetryPolicy` bounds the attempts and the time spent; a server's ``Retry-After`` (or
``ratelimit-reset``) wins over the computed backoff. Every automatic retry is announced with a
:class:`RetryNotice` before the wait. Which failures are retried at all is the client's call
(:class:`~kombo_tui.core.client.KomboClient`): uploads only on limits, reads on more.
"""

from __future__ import annotations

import asyncio
import email.utils
import random
import time
from dataclasses import dataclass
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    import httpx

__all__ = ["RetryNotice", "RetryPolicy", "backoff_sleep", "retry_hint"]


@dataclass(frozen=True)
class RetryPolicy:
    """Bounded exponential backoff with jitter; server hints win when present."""

    max_attempts: int = 5
    """Attempts in all, the first included."""
    max_total_seconds: float = 90.0
    """No retry is started if it would end beyond this many seconds from the first attempt."""
    base_delay: float = 1.0
    max_delay: float = 30.0
    jitter: float = 0.2
    """Up to this share of the delay is added at random."""

    def delay(self, attempt: int, hint: float | None) -> float:
        """Seconds to wait before attempt ``attempt + 1`` (``attempt`` starts at 1)."""
        if hint is not None and hint >= 0:
            base = min(hint, self.max_delay)
        else:
            base = min(self.base_delay * 2 ** (attempt - 1), self.max_delay)
        return base + random.uniform(0, base * self.jitter)


async def backoff_sleep(seconds: float) -> None:
    """How a client waits before a retry, unless it was given its own ``sleep`` (looked up at
    each wait, so a test suite can make the waits instant where they are not the subject)."""
    await asyncio.sleep(seconds)


@dataclass(frozen=True)
class RetryNotice:
    """Told to ``on_retry`` before each automatic retry, so the user sees it."""

    attempt: int
    """The attempt that failed (1-based)."""
    max_attempts: int
    delay: float
    reason: str
    method: str
    path: str
    code: str | None = None
    """Kombo's error code when Kombo refused (``PLATFORM.RATE_LIMIT_EXCEEDED``, …): what callers
    decide on, never :attr:`reason`'s wording. None for a transport failure."""


def retry_hint(headers: httpx.Headers, *, window_reset: bool = True) -> float | None:
    """Seconds to wait as the server says: ``Retry-After``, else ``ratelimit-reset``.

    ``ratelimit-reset`` is about the rate-limit window; it says nothing about when a
    concurrency slot frees up, so it is ignored for concurrency-limit answers.
    """
    names = ("retry-after", "ratelimit-reset") if window_reset else ("retry-after",)
    for name in names:
        raw = headers.get(name)
        if raw is None:
            continue
        raw = raw.strip()
        try:
            return max(0.0, float(raw))
        except ValueError:
            pass
        try:
            when = email.utils.parsedate_to_datetime(raw)
        except (TypeError, ValueError):
            continue
        return max(0.0, when.timestamp() - time.time())
    return None
