"""Progress bars for the synchronous helpers (``progress=True`` on ``kt.send`` and friends).

It exists so a notebook or a script sees an upload or a long listing move without the core
depending on any UI: the best bar available is chosen when asked for, by optional lazy
imports — ``tqdm.auto`` when installed (a widget in Jupyter, text in a terminal), else an
ipywidgets bar inside a Jupyter kernel, else one text line on stderr rewritten in place.
Callbacks may come from a worker thread; every bar here tolerates that.
"""

from __future__ import annotations

import sys
import time
from collections.abc import Callable
from typing import Any, Protocol

__all__ = ["Progress", "make_progress"]


class Progress(Protocol):
    """A progress display: called with (done, total); ``close()`` ends it."""

    def __call__(self, done: int, total: int | None) -> None: ...

    def close(self) -> None: ...


class _Silent:
    def __call__(self, done: int, total: int | None) -> None:
        return None

    def close(self) -> None:
        return None


class _Callback:
    def __init__(self, callback: Callable[[int, int | None], Any]) -> None:
        self._callback = callback

    def __call__(self, done: int, total: int | None) -> None:
        self._callback(done, total)

    def close(self) -> None:
        return None


class _Tqdm:
    def __init__(self, desc: str, unit: str, total: int | None, in_bytes: bool) -> None:
        from tqdm.auto import tqdm

        self._bar = tqdm(total=total, desc=desc, unit=unit, unit_scale=in_bytes, unit_divisor=1024 if in_bytes else 1000)
        self._done = 0

    def __call__(self, done: int, total: int | None) -> None:
        if total is not None and self._bar.total != total:
            self._bar.total = total
        if done > self._done:
            self._bar.update(done - self._done)
            self._done = done

    def close(self) -> None:
        self._bar.close()


class _Widget:
    def __init__(self, desc: str, unit: str, total: int | None, in_bytes: bool) -> None:
        import ipywidgets
        from IPython.display import display

        self._unit, self._in_bytes = unit, in_bytes
        self._bar = ipywidgets.IntProgress(value=0, min=0, max=max(total or 1, 1), description=desc)
        self._label = ipywidgets.Label(value="")
        display(ipywidgets.HBox([self._bar, self._label]))  # type: ignore[no-untyped-call]

    def __call__(self, done: int, total: int | None) -> None:
        if total:
            self._bar.max = total
        self._bar.value = min(done, self._bar.max)
        self._label.value = _amount(done, total, self._unit, self._in_bytes)

    def close(self) -> None:
        self._bar.bar_style = "success" if self._bar.value >= self._bar.max else ""


class _TextLine:
    """One line on stderr, rewritten at most ten times a second."""

    def __init__(self, desc: str, unit: str, in_bytes: bool) -> None:
        self._desc, self._unit, self._in_bytes = desc, unit, in_bytes
        self._last = 0.0
        self._shown = False
        self._line = ""

    def __call__(self, done: int, total: int | None) -> None:
        self._line = f"{self._desc}: {_amount(done, total, self._unit, self._in_bytes)}"
        now = time.monotonic()
        if now - self._last >= 0.1 or (total is not None and done >= total):
            self._last = now
            self._shown = True
            print("\r" + self._line, end="", file=sys.stderr, flush=True)

    def close(self) -> None:
        if self._line:
            print("\r" + self._line, file=sys.stderr, flush=True)


def _amount(done: int, total: int | None, unit: str, in_bytes: bool) -> str:
    if in_bytes:
        mb = 1024 * 1024
        text = f"{done / mb:,.1f} MB"
        if total:
            text += f" of {total / mb:,.1f} MB ({100 * done // total}%)"
        return text
    return f"{done:,} {unit}" + (f" of {total:,}" if total else "")


def _in_kernel() -> bool:
    ipython = sys.modules.get("IPython")
    if ipython is None:
        return False
    shell = ipython.get_ipython()
    return shell is not None and getattr(shell, "kernel", None) is not None


def make_progress(
    progress: bool | Callable[[int, int | None], Any] | None,
    *,
    desc: str,
    unit: str = "B",
    total: int | None = None,
    in_bytes: bool = True,
) -> Progress:
    """The progress display asked for.

    Args:
        progress: False/None: none; a callable: called with (done, total); True: the best bar
            available (``tqdm.auto``, else an ipywidgets bar in a Jupyter kernel, else a text
            line on stderr).
        desc: what is moving, shown before the bar.
        unit: what is counted (bytes by default).
        total: the expected total, when known.
        in_bytes: show amounts as MB.
    """
    if not progress:
        return _Silent()
    if callable(progress):
        return _Callback(progress)
    try:
        return _Tqdm(desc, unit, total, in_bytes)
    except ImportError:
        pass
    if _in_kernel():
        try:
            return _Widget(desc, unit, total, in_bytes)
        except ImportError:
            pass
    return _TextLine(desc, unit, in_bytes)
