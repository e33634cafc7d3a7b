"""How many uploads of one integration may be in flight: Kombo's answer, not a guess.

The one governor for Kombo's ``Concurrency-*`` headers and 429s, used by bulk runs (one per
integration) and by batch sends (:func:`~.engine.send_batch`).

Kombo limits action requests in flight *per integration* (``Concurrency-Limit`` on every
action's answer, ``Concurrency-Remaining`` the slots left when that request started) and
refuses the excess with 429 ``PLATFORM.CONCURRENCY_LIMIT_EXCEEDED``; the whole API also has a
rate limit (429 ``PLATFORM.RATE_LIMIT_EXCEEDED`` with ``ratelimit-reset`` / ``Retry-After``).
A :class:`Pace` starts with ``start`` uploads (one for bulk), opens to ``Concurrency-Limit``
(capped by the caller's ``cap``) once an answer names it, leaves room for what other clients
use (the limit minus the remaining slots minus our own requests at that moment), halves on a
concurrency 429 and grows back by one per success, and stops starting uploads until a rate
limit's reset. An answer with ``Concurrency-Remaining`` but no limit allows that many more
than the answering upload. Retrying the 429 itself is the client's
:class:`~.retry.RetryPolicy`'s job.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Mapping
from typing import TYPE_CHECKING

from .errors import RATE_LIMIT

if TYPE_CHECKING:
    from .retry import RetryNotice

__all__ = ["Pace"]


def _header(headers: Mapping[str, str], name: str) -> int | None:
    raw = next((v for k, v in headers.items() if k.lower() == name), None)
    try:
        return int(raw) if raw is not None else None
    except ValueError:
        return None


class Pace:
    """The in-flight budget of one integration (used from one event loop)."""

    def __init__(self, cap: int, *, start: int = 1) -> None:
        self.cap = max(1, cap)
        self.limit: int | None = None
        """Kombo's ``Concurrency-Limit``, once an answer named it."""
        self.window = max(1, min(self.cap, start))
        """Uploads allowed in flight now."""
        self.ceiling = self.cap
        """What the window may grow back to (the limit minus others' use, capped)."""
        self.running = 0
        self.paused_until = 0.0
        self.limited = 0
        """429s seen (concurrency and rate)."""
        self._changed = asyncio.Event()

    async def acquire(self) -> int:
        """Wait for a slot (and for any rate-limit pause); returns our in-flight count then."""
        while True:
            wait = self.paused_until - time.monotonic()
            if wait > 0:
                await asyncio.sleep(wait)
                continue
            if self.running < self.window:
                self.running += 1
                return self.running
            # Woken by any change (a release, an answer, a 429); the timer is only a safety
            # net. Awaited directly (no wait_for task): a freed slot is taken one step sooner.
            self._changed.clear()
            timer = asyncio.get_running_loop().call_later(0.5, self._changed.set)
            try:
                await self._changed.wait()
            finally:
                timer.cancel()

    def release(self) -> None:
        self.running -= 1
        self._changed.set()

    def answered(self, headers: Mapping[str, str], ours_at_start: int) -> None:
        """An upload was answered: follow ``Concurrency-Limit`` / ``Concurrency-Remaining``."""
        limit = _header(headers, "concurrency-limit")
        remaining = _header(headers, "concurrency-remaining")
        if limit is not None and limit > 0:
            self.limit = limit
        if self.limit is None and remaining is not None:
            # Only the budget left: that many more than the answering upload, at once.
            self.window = self.ceiling = max(1, min(self.cap, remaining + 1))
        elif self.limit is not None:
            others = 0 if remaining is None else max(0, self.limit - remaining - ours_at_start)
            self.ceiling = max(1, min(self.cap, self.limit - others))
            if self.window < self.ceiling:
                # The first answer opens straight to the limit; later ones grow by one.
                self.window = self.ceiling if ours_at_start <= 1 and self.window == 1 else self.window + 1
            elif self.window > self.ceiling:
                self.window = self.ceiling
        self._wake()

    def limited_by_kombo(self, notice: RetryNotice) -> None:
        """A 429 the client is about to retry: shrink, or pause until the window resets."""
        self.limited += 1
        if notice.code == RATE_LIMIT:
            self.paused_until = max(self.paused_until, time.monotonic() + notice.delay)
        else:
            self.window = max(1, min(self.window, self.running) // 2)
        self._wake()

    def _wake(self) -> None:
        self._changed.set()
