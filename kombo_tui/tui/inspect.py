"""Inspecting a chosen file: check, sniff and hash it, and say what is wrong in the user's words.

One routine for the main file and for every further file of a batch (the screen runs it in a
thread worker). It knows nothing of screens: ``on_progress`` reports how far hashing got and
``cancelled`` says when nobody wants the answer any more. No Textual import; the core's
sniffing and hashing are imported on first use (they are not needed for the first frame).
"""

from __future__ import annotations

import os
from collections.abc import Callable
from pathlib import Path

from kombo_tui.core.errors import InputError

from .state import FileView

__all__ = ["inspect", "path_problem"]

PROGRESS_STEP = 0.05
"""Share of the file hashed between two progress reports."""


class _Stop(Exception):
    """Raised from a progress callback to abandon hashing a file nobody wants any more."""


def _never() -> bool:
    return False


def inspect(
    path: Path,
    shown: str,
    *,
    on_progress: Callable[[int, float], None] | None = None,
    cancelled: Callable[[], bool] = _never,
) -> FileView | None:
    """Check, sniff and hash ``path`` (blocking: call it from a thread).

    Args:
        path: The absolute path.
        shown: How the user named it (what the messages say instead of the long path).
        on_progress: Called with ``(size, share hashed)`` once the file is checked, then at
            every further 5 % (never once ``cancelled`` says so).
        cancelled: Polled while hashing: once it returns True the work stops.

    Returns:
        A ``ready`` view (size, MIME, sha256), an ``error`` view saying why the file cannot
        be used, or None when it was cancelled while hashing.
    """
    from kombo_tui.core.files.checks import check_file, fingerprint
    from kombo_tui.core.files.sniff import sniff_file

    try:
        st = check_file(path, display=shown)
        if on_progress is not None:
            on_progress(st.st_size, 0.0)
        sniffed = sniff_file(path)
        last = 0.0

        def progress(done: int, total: int) -> None:
            nonlocal last
            if cancelled():
                raise _Stop  # another file was chosen: stop hashing this one now
            share = done / total if total else 1.0
            if on_progress is not None and share - last >= PROGRESS_STEP and not cancelled():
                last = share
                on_progress(total, share)

        fp = fingerprint(path, progress=progress)
    except _Stop:
        return None
    except InputError as exc:
        return FileView("error", path, shown, error=_problems(exc))
    except OSError as exc:
        return FileView("error", path, shown, error=f"cannot read it: {exc.strerror}")
    return FileView("ready", path, shown, fp.size, sniffed, fp)


def path_problem(path: Path, shown: str) -> str:
    """Why a typed path that is not a regular file cannot be used (said after a pause in typing)."""
    if path.is_dir():
        return f"{shown} is a folder — keep typing (→ completes) or press ctrl+o"
    if not os.path.lexists(path):
        return f"no file at {shown}"
    # A FIFO, a device, a symlink loop…: the core says exactly what (without opening anything
    # that could block).
    from kombo_tui.core.files.checks import check_file

    try:
        check_file(path, display=shown)
    except InputError as exc:
        return _problems(exc)
    except OSError as exc:
        return f"{shown} cannot be used: {exc.strerror}"
    return f"{shown} is not a regular file"


def _problems(exc: InputError) -> str:
    """The core's problems about a file, in one line (they name it as the user typed it)."""
    return "; ".join(p.message for p in exc.problems)
