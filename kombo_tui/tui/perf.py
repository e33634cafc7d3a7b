"""Keeping the event loop responsive: the garbage collector's full passes, repaints in bursts."""

from __future__ import annotations

import gc
import time
from collections.abc import Callable
from typing import Any, Protocol

__all__ = ["Throttle", "settle_gc"]


class _Stoppable(Protocol):
    def stop(self) -> None: ...


def settle_gc() -> None:
    """Move every object alive now out of the collector's sight (``gc.freeze``).

    The app's long-lived objects (imports, widgets, the in-process sandbox's data, thousands of
    picker rows) make a full collection walk a few hundred thousand objects: 100 ms or more on
    a slow machine, landing on a keystroke or in the middle of an upload. Frozen objects are
    still freed when nothing refers to them; only reference cycles among them would wait, and
    the app creates few. Later passes pay only for the objects made since.
    """
    gc.freeze()


class Throttle:
    """Runs ``show`` at most every ``interval`` seconds while updates pour in, and always for the last.

    An upload reports every chunk the transport takes; repainting the progress bar for each
    would keep the loop busy. An update that comes too soon after the last repaint schedules
    one (a single timer) instead.

    Args:
        interval: Seconds between two repaints.
        show: Repaints (reads the latest state itself).
        set_timer: Schedules a call after a delay (``Widget.set_timer``).
    """

    def __init__(
        self, interval: float, show: Callable[[], None], set_timer: Callable[[float, Callable[[], None]], Any]
    ) -> None:
        self.interval = interval
        self._show = show
        self._set_timer = set_timer
        self._shown = 0.0
        self._timer: _Stoppable | None = None

    def restart(self) -> None:
        """Count the interval from now (the caller has just shown the state itself)."""
        self._shown = time.monotonic()

    def update(self, *, final: bool = False) -> None:
        """The state changed: show it now, or once the interval is up (``final``: now)."""
        waited = time.monotonic() - self._shown
        if final or waited >= self.interval:
            self._fire()
        elif self._timer is None:
            self._timer = self._set_timer(self.interval - waited, self._fire)

    def _fire(self) -> None:
        if self._timer is not None:
            self._timer.stop()
            self._timer = None
        self._shown = time.monotonic()
        self._show()
