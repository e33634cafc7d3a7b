"""The entry point of each browser session's app process: take the key from a pipe, run the app.

The web server never puts the API key in a child's environment, where ``/proc/PID/environ``,
``ps e`` and crash reports that dump the environment would show it. When it holds a key (from
``KOMBO_API_KEY``), it writes the key into a pipe the child inherits and names the pipe's file
descriptor in ``KOMBO_TUI_KEY_FD``. This module reads the key and puts it into this process's
``os.environ``: the settings then find it as usual (the header says "key from environment"),
while the environment block the kernel shows for the process stays without it. Then it runs
``python -m kombo_tui`` with the same arguments, in this process.

A key in ``.env`` or in the config file needs no pipe: the app process reads those itself.
Kept tiny and free of heavy imports: every browser tab starts one.
"""

from __future__ import annotations

import os
import runpy
from collections.abc import MutableMapping

__all__ = ["KEY_ENV", "KEY_FD_ENV", "main", "take_key"]

KEY_ENV = "KOMBO_API_KEY"
"""Where the settings look for the key."""

KEY_FD_ENV = "KOMBO_TUI_KEY_FD"
"""Names the inherited pipe that holds the key (the only thing the environment carries)."""

MAX_KEY_BYTES = 4096
"""More than any API key; a longer read is cut, not trusted."""


def take_key(environ: MutableMapping[str, str] = os.environ) -> bool:
    """Read the key from the pipe named by ``KOMBO_TUI_KEY_FD`` into ``KOMBO_API_KEY``.

    The variable naming the pipe is removed, and the pipe closed, whatever happens.

    Args:
        environ: The environment to update (the process's own by default).

    Returns:
        True when a key was read.
    """
    named = environ.pop(KEY_FD_ENV, None)
    if named is None or not named.isdigit() or int(named) < 3:
        return False
    try:
        with os.fdopen(int(named), "rb") as pipe:
            data = pipe.read(MAX_KEY_BYTES)
    except OSError:
        return False
    key = data.decode("utf-8", "replace").strip()
    if not key:
        return False
    environ[KEY_ENV] = key
    return True


def main() -> None:
    """Take the key, then run ``kombo_tui`` as ``python -m kombo_tui`` would."""
    take_key()
    runpy.run_module("kombo_tui", run_name="__main__", alter_sys=True)


if __name__ == "__main__":
    main()
