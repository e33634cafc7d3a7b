"""Imports that an interrupt cannot leave half done.

Python's import system is not safe against ``KeyboardInterrupt``: a Ctrl-C (or a notebook's
Interrupt) that lands while a package such as :mod:`asyncio` is being imported can leave it
half initialised, and every later call in that process then fails with a ``NameError`` from
deep inside the standard library. The library's first call imports a lot (the client, httpx,
the sniffer), so the front doors load those modules under :func:`deferred_interrupt`: an
interrupt during the imports waits until they are done, then takes effect as usual.
"""

from __future__ import annotations

import signal
import threading
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from importlib import import_module
from types import FrameType, ModuleType

__all__ = ["deferred_interrupt", "import_whole"]


@contextmanager
def deferred_interrupt() -> Iterator[None]:
    """Hold SIGINT until the block ends, then deliver it to the handler that was in place.

    Only the main thread receives signals; elsewhere (and where SIGINT is ignored or left to
    the system) this does nothing.
    """
    if threading.current_thread() is not threading.main_thread():
        yield
        return
    previous = signal.getsignal(signal.SIGINT)
    if not callable(previous):
        yield
        return
    held: list[FrameType | None] = []

    def hold(signum: int, frame: FrameType | None) -> None:
        held.append(frame)

    try:
        signal.signal(signal.SIGINT, hold)
    except ValueError:  # not the main interpreter
        yield
        return
    try:
        yield
    finally:
        signal.signal(signal.SIGINT, previous)
        if held:
            previous(signal.SIGINT, held[-1])


def import_whole(names: Iterable[str]) -> list[ModuleType]:
    """Import ``names`` with interrupts held (:func:`deferred_interrupt`); missing optional
    modules (an ``ImportError``) are skipped: whoever needs them says so when used."""
    loaded = []
    with deferred_interrupt():
        for name in names:
            try:
                loaded.append(import_module(name))
            except ImportError:
                continue
    return loaded
