"""Where a blocking front door may run: never inside a running event loop (a Jupyter cell).

Light on purpose (asyncio and the error tree only): the terminal app asks before its first
frame, and importing the one-call API (pydantic, the client, the history) there would delay it.
"""

from __future__ import annotations

import asyncio

from .errors import KomboError

__all__ = ["JUPYTER_RECIPE", "RunningLoopError", "refuse_inside_running_loop"]


class RunningLoopError(KomboError, RuntimeError):
    """A blocking front door (the Textual app) was started where an event loop runs (Jupyter)."""


JUPYTER_RECIPE = (
    "serve it to the browser from a cell with `kt.serve()` (e.g. `kt.serve(**sb.where)`), which "
    "shows a link to the app (and the app itself, full width, when jupyter-server-proxy is "
    "installed), or run `kombo-tui serve` in a terminal and open the URL it prints. "
    "See \"Notebooks\" in the README."
)
"""How to use the app from Jupyter, for messages that refuse to run it in a cell."""


def refuse_inside_running_loop(what: str = "the kombo-tui app") -> None:
    """Fail at once when called where an event loop is running (a Jupyter cell).

    A full-screen terminal app cannot run inside a notebook cell: it would print escape codes
    into the cell and leave threads behind. The Textual app calls this before running.

    Raises:
        RunningLoopError: an event loop is running in this thread; the message points to
            ``kombo-tui serve`` and the README's Jupyter recipe.
    """
    try:
        asyncio.get_running_loop()
    except RuntimeError:
        return
    raise RunningLoopError(f"{what} cannot run inside a running event loop (a Jupyter cell): {JUPYTER_RECIPE}")
