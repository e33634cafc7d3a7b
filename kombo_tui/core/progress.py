"""Progress bars for the synchronous helpers (``progress=True`` on ``kt.send`` and friends).

It exists so a notebook or a script sees an upload or a long listing move without the core
depending on any UI: the best bar available is chosen when asked for, by optional lazy
imports — inside a Jupyter kernel an ipywidgets bar whose saved output ends in words (what
moved and how it ended: a saved or untrusted notebook shows that text, never a bar frozen at
0 %), else ``tqdm`` when installed, else one text line on stderr rewritten in place.
Callbacks may come from a worker thread; every bar here tolerates that.
"""

from __future__ import annotations

import sys
import time
from collections.abc import Callable
from typing import Any, Protocol

__all__ = ["Progress", "in_kernel", "make_progress"]


class Progress(Protocol):
    """A progress display: called with (done, total); ``note()`` says why it waits;
    ``close()`` ends it, with how the work ended (``sent``, ``error``, ``interrupted``...)."""

    def __call__(self, done: int, total: int | None) -> None: ...

    def note(self, text: str) -> None: ...

    def close(self, status: str | None = None) -> None: ...


class _Silent:
    def __call__(self, done: int, total: int | None) -> None:
        return None

    def note(self, text: str) -> None:
        return None

    def close(self, status: str | None = None) -> None:
        return None


class _Callback:
    def __init__(self, callback: Callable[[int, int | None], Any]) -> None:
        self._callback = callback

    def __call__(self, done: int, total: int | None) -> None:
        self._callback(done, total)

    def note(self, text: str) -> None:
        return None

    def close(self, status: str | None = None) -> None:
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

    def note(self, text: str) -> None:
        self._bar.set_postfix_str(text)

    def close(self, status: str | None = None) -> None:
        if status:
            self._bar.set_postfix_str(status)
        self._bar.close()


class _Widget:
    """An ipywidgets bar, shown under a display id: every change of words (and the end) also
    rewrites the output's text, so a saved notebook says how far it went and how it ended."""

    def __init__(self, desc: str, unit: str, total: int | None, in_bytes: bool) -> None:
        import ipywidgets
        from IPython.display import display

        self._desc, self._unit, self._in_bytes = desc, unit, in_bytes
        self._bar = ipywidgets.IntProgress(value=0, min=0, max=max(total or 1, 1), description="")
        self._name = ipywidgets.Label(value=desc)
        self._label = ipywidgets.Label(value="")
        self._box = ipywidgets.HBox([self._name, self._bar, self._label])
        self._done, self._total, self._note = 0, total, ""
        self._last = 0.0
        self._handle = display(self._bundle(), raw=True, display_id=True)  # type: ignore[no-untyped-call]

    def text(self, status: str | None = None) -> str:
        """The output's words: ``cv.pdf: 1.2 MB of 2.4 MB (50%)``, then how it ended."""
        line = f"{self._desc}: {_amount(self._done, self._total, self._unit, self._in_bytes)}"
        if self._note:
            line += f" · {self._note}"
        return line + (f" — {status}" if status else "")

    def _bundle(self, status: str | None = None) -> dict[str, Any]:
        bundle = dict(self._box._repr_mimebundle_() or {})
        bundle["text/plain"] = self.text(status)
        return bundle

    def __call__(self, done: int, total: int | None) -> None:
        if total:
            self._bar.max = total
            self._total = total
        self._done = done
        now = time.monotonic()
        if now - self._last >= 0.1 or (total is not None and done >= total):
            self._last = now
            self._bar.value = min(done, self._bar.max)
            self._label.value = self.text()[len(self._desc) + 2 :]

    def note(self, text: str) -> None:
        self._note = text
        self._label.value = self.text()[len(self._desc) + 2 :]
        self._update()

    def close(self, status: str | None = None) -> None:
        if status == "done" and self._total and self._done < self._total:
            self._total = None  # ended with less than the most asked for (a listing's limit)
            self._bar.max = max(self._done, 1)
        self._bar.value = min(self._done, self._bar.max)
        ok = self._bar.value >= self._bar.max if status is None else status in ("sent", "done")
        self._bar.bar_style = "success" if ok else ("danger" if status else "")
        self._note = ""
        self._label.value = self.text(status)[len(self._desc) + 2 :]
        self._update(status or ("done" if ok else None))

    def _update(self, status: str | None = None) -> None:
        if self._handle is not None:
            self._handle.update(self._bundle(status), raw=True)


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

    def note(self, text: str) -> None:
        print("\r" + f"{self._desc}: {text}", file=sys.stderr, flush=True)

    def close(self, status: str | None = None) -> None:
        if self._line:
            print("\r" + self._line + (f" — {status}" if status else ""), file=sys.stderr, flush=True)


def _amount(done: int, total: int | None, unit: str, in_bytes: bool) -> str:
    if in_bytes:
        mb = 1024 * 1024
        text = f"{done / mb:,.1f} MB"
        if total:
            text += f" of {total / mb:,.1f} MB ({100 * done // total}%)"
        return text
    return f"{done:,} {unit}" + (f" of {total:,}" if total else "")


def in_kernel() -> bool:
    """Running inside a Jupyter kernel (IPython with a kernel attached)."""
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
            available (an ipywidgets bar in a Jupyter kernel, else ``tqdm``, else a text line
            on stderr).
        desc: what is moving, shown before the bar.
        unit: what is counted (bytes by default).
        total: the expected total, when known.
        in_bytes: show amounts as MB.
    """
    if not progress:
        return _Silent()
    if callable(progress):
        return _Callback(progress)
    if in_kernel():
        try:
            return _Widget(desc, unit, total, in_bytes)
        except ImportError:
            pass
    try:
        return _Tqdm(desc, unit, total, in_bytes)
    except ImportError:
        pass
    return _TextLine(desc, unit, in_bytes)
