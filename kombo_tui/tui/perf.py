"""Keeping the event loop responsive: the garbage collector's full passes."""

from __future__ import annotations

import gc

__all__ = ["settle_gc"]


def settle_gc() -> None:
    """Move every object alive now out of the collector's sight (``gc.freeze``).

    The app's long-lived objects (imports, widgets, the in-process sandbox's data, thousands of
    picker rows) make a full collection walk a few hundred thousand objects: 100 ms or more on
    a slow machine, landing on a keystroke or in the middle of an upload. Frozen objects are
    still freed when nothing refers to them; only reference cycles among them would wait, and
    the app creates few. Later passes pay only for the objects made since.
    """
    gc.freeze()
