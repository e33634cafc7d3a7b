"""One browser session's app process, as the server starts, relays and stops it.

textual-serve's :class:`~textual_serve.app_service.AppService` speaks the protocol with the
app process (packets on its stdin and stdout). :class:`Session` keeps that and changes how the
process is started and what it may ask of the browser:

- started without a shell, from an argv (:func:`session_command`);
- its environment holds neither ``KOMBO_API_KEY`` nor ``KOMBO_TUI_SERVE_TOKEN``; the key, when
  the server has one, is written into a pipe the process inherits and reads at start-up
  (:mod:`~kombo_tui.web.app_process`);
- its ``open_url`` requests pass only for ``http(s)`` links: a ``javascript:`` link would run
  in the page's origin, with the page's cookie;
- when the process ends, the browser's websocket is closed; when the browser leaves, the
  process is asked to quit and killed if it has not within :data:`STOP_TIMEOUT`.
"""

from __future__ import annotations

import asyncio
import json
import logging
import os
import sys
from collections.abc import Sequence
from typing import Any
from urllib.parse import urlsplit

from textual_serve.app_service import AppService

from .app_process import KEY_ENV, KEY_FD_ENV
from .guard import TOKEN_ENV

__all__ = ["STOP_TIMEOUT", "Session", "session_command"]

log = logging.getLogger("kombo_tui.web")

STOP_TIMEOUT = 5.0
"""Seconds an app process gets to quit before it is killed."""

_SECRET_ENV = (KEY_ENV, TOKEN_ENV, KEY_FD_ENV)


def session_command(app_args: Sequence[str]) -> list[str]:
    """The command each browser session runs: kombo-tui's app with ``app_args``.

    Args:
        app_args: The app's own arguments, e.g. ``["--sandbox"]``.
    """
    return [sys.executable, "-m", "kombo_tui.web.app_process", *app_args]


class Session(AppService):
    """One browser tab's app process: no shell, no secrets in its environment, http(s) links only.

    Overrides two private methods of textual-serve 1.1's ``AppService`` (the environment and
    the process start); the browser tests catch a change of that interface.
    """

    def __init__(self, argv: Sequence[str], key: str | None, **kwargs: Any) -> None:
        super().__init__(" ".join(argv), **kwargs)
        self._argv = list(argv)
        self._key = key

    def __repr__(self) -> str:
        return f"<app process {self.app_service_id[:8]}>"

    def _build_environment(self, width: int = 80, height: int = 24) -> dict[str, str]:
        environment = super()._build_environment(width, height)
        for name in _SECRET_ENV:
            environment.pop(name, None)
        return environment

    async def _open_app_process(self, width: int = 80, height: int = 24) -> asyncio.subprocess.Process:
        environment = self._build_environment(width, height)
        pass_fds: tuple[int, ...] = ()
        if self._key:
            read_end, write_end = os.pipe()
            with os.fdopen(write_end, "wb") as pipe:
                pipe.write(self._key.encode("utf-8"))
            environment[KEY_FD_ENV] = str(read_end)
            pass_fds = (read_end,)
        try:
            process = await asyncio.create_subprocess_exec(
                *self._argv,
                stdin=asyncio.subprocess.PIPE,
                stdout=asyncio.subprocess.PIPE,
                stderr=asyncio.subprocess.PIPE,
                env=environment,
                pass_fds=pass_fds,
            )
        finally:
            for fd in pass_fds:
                os.close(fd)
        assert process.stdin is not None
        self._process = process
        self._stdin = process.stdin
        return process

    async def run(self) -> None:
        """Relay the process's output; when it ends, end the browser's session too."""
        try:
            await super().run()
        finally:
            await self.remote_close()

    async def on_meta(self, data: bytes) -> None:
        try:
            meta = json.loads(data)
        except ValueError:
            return
        if isinstance(meta, dict) and meta.get("type") == "open_url":
            url = str(meta.get("url", ""))
            if urlsplit(url).scheme.lower() not in ("http", "https"):
                log.warning("the app asked the browser to open a non-http(s) link; not opened")
                return
        await super().on_meta(data)

    async def stop_or_kill(self) -> None:
        """Ask the app to quit; kill it if it has not within :data:`STOP_TIMEOUT`."""
        try:
            await asyncio.wait_for(self.stop(), STOP_TIMEOUT)
        except (asyncio.TimeoutError, ConnectionError):
            pass
        process = self._process
        if process is not None and process.returncode is None:
            process.kill()
            await process.wait()
