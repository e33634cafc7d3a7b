"""``kt.serve()``: the full app in the browser, started from a notebook cell (no shell, no ``!… &``).

It exists because a notebook cannot run ``kombo-tui serve`` in the background (ipykernel
refuses ``!cmd &``) and would not see the URL and token it prints. Here the browser-mode
server (:mod:`kombo_tui.web`, the same guard: loopback only, a token, a session cap, the key
on a pipe) runs on a private event loop in a daemon thread of the kernel, and the cell shows
a link to it — and, when the Jupyter server proxies it (jupyter-server-proxy), the app in an
IFrame as wide as the output area. Re-running the cell returns the server already running
for the same target; :meth:`AppLink.stop` (or the kernel's end) stops it and its sessions.
"""

from __future__ import annotations

import asyncio
import atexit
import html
import os
import threading
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from kombo_tui.core.config.file import SecretText
    from kombo_tui.web.server import WebServer

__all__ = ["AppLink", "serve"]

START_TIMEOUT = 30.0
"""Seconds the server may take to bind."""

_RUNNING: dict[tuple[Any, ...], AppLink] = {}
_LOCK = threading.Lock()


def _stop_all() -> None:
    """At the kernel's end: stop every server started here (their app processes too)."""
    with _LOCK:
        links = list(_RUNNING.values())
    for link in links:
        link.stop()


atexit.register(_stop_all)


class AppLink:
    """A running browser-mode server: :attr:`url` to open, :meth:`stop` to end it.

    Its notebook display is a link (and the app in an IFrame, width 100 %, when a proxy URL is
    known); its text says the same, so a saved notebook still tells what ran where.
    """

    def __init__(self, server: WebServer, loop: asyncio.AbstractEventLoop, thread: threading.Thread,
                 stop: asyncio.Event, *, height: int, key: tuple[Any, ...]) -> None:
        self._server, self._loop, self._thread, self._stop = server, loop, thread, stop
        self._key = key
        self.height = height
        """The IFrame's height in pixels (its width is the output area's)."""

    @property
    def url(self) -> str:
        """The app's address with its token (loopback)."""
        return self._server.url_with_token

    @property
    def proxied_url(self) -> str | None:
        """The address through the Jupyter server's proxy, when one was given or found."""
        return self._server.public_url_with_token

    @property
    def running(self) -> bool:
        return self._thread.is_alive()

    def stop(self) -> None:
        """Stop serving (each browser session's app process quits or is killed)."""
        with _LOCK:
            if _RUNNING.get(self._key) is self:
                del _RUNNING[self._key]
        if self._thread.is_alive():
            self._loop.call_soon_threadsafe(self._stop.set)
            self._thread.join(timeout=30)

    def __repr__(self) -> str:
        state = "running" if self.running else "stopped"
        via = f", through the proxy: {self.proxied_url}" if self.proxied_url else ""
        return f"<kombo-tui in the browser ({state}): {self.url}{via}>"

    def _repr_html_(self) -> str:
        if not self.running:
            return "<div><b>kombo-tui in the browser</b>: stopped</div>"
        e = html.escape
        open_url = self.proxied_url or self.url
        parts = [
            f'<div><b>kombo-tui in the browser</b>: <a href="{e(open_url, quote=True)}" target="_blank" '
            f'rel="noopener noreferrer">open the app in a new tab</a>'
            " <small>(the link carries this server's token; it works until the kernel stops or "
            "<code>.stop()</code>)</small></div>"
        ]
        if self.proxied_url:
            parts.append(
                f'<iframe src="{e(self.proxied_url, quote=True)}" style="width:100%;height:{int(self.height)}px;'
                'border:1px solid #8884" title="kombo-tui"></iframe>'
                "<div><small>Click outside the frame before using the notebook's keys: "
                "inside it, keys go to the app.</small></div>"
            )
        return "".join(parts)


def _jupyter_proxy_url(port: int) -> str | None:
    """The app's address through jupyter-server-proxy on this kernel's Jupyter server, when
    the proxy is installed and exactly one server runs here (else None: a link only)."""
    from importlib import import_module
    from importlib.util import find_spec

    try:
        if find_spec("jupyter_server_proxy") is None:
            return None
        serverapp = import_module("jupyter_server.serverapp")
    except ImportError:
        return None
    try:
        servers = list(serverapp.list_running_servers())
    except Exception:  # noqa: BLE001 - no proxy address then; the loopback link still works
        return None
    if len(servers) != 1:
        return None
    base = str(servers[0].get("url", "")).rstrip("/")
    return f"{base}/proxy/{port}/" if base.startswith("http") else None


def serve(
    *,
    sandbox: bool = False,
    api_key: str | SecretText | None = None,
    base_url: str | None = None,
    region: str | None = None,
    integration_id: str | None = None,
    application_id: str | None = None,
    port: int = 0,
    public_url: str | None = None,
    max_sessions: int = 3,
    height: int = 640,
) -> AppLink:
    """Serve the kombo-tui app in the browser from this kernel; returns the link to it.

    ``kt.serve(**sb.where)`` serves the app against a notebook's sandbox (the same data and
    history as the cells). The server is the one ``kombo-tui serve`` runs: loopback only, a
    random token in the link, at most ``max_sessions`` app processes, the key handed to each on
    a pipe (never in its environment or the page).

    Args:
        sandbox: each browser session runs its own embedded sandbox (``--sandbox``).
        api_key, base_url, region, integration_id: the target, as for ``kt.send``.
        application_id: preselect this application in the app.
        port: the loopback port (0: a free one).
        public_url: the address the Jupyter server proxies the app under (found by itself when
            jupyter-server-proxy is installed and one Jupyter server runs here); with one, the
            cell shows the app in an IFrame.
        max_sessions: app processes (browser tabs) at once.
        height: the IFrame's height in pixels (its width is 100 % of the output area).

    Raises:
        InputError: an unsafe base URL.
        OSError: the port cannot be bound.
    """
    from kombo_tui.core.net import check_base_url
    from kombo_tui.web.guard import resolve_token
    from kombo_tui.web.server import WebServer, session_command

    if base_url:
        check_base_url(base_url)
    key = api_key if api_key is None or isinstance(api_key, str) else api_key.get_secret_value()
    args: list[str] = []
    if sandbox:
        args.append("--sandbox")
    for flag, value in (("--region", region), ("--base-url", base_url), ("--integration", integration_id),
                        ("--application", application_id)):
        if value:
            args += [flag, value]
    ident = (tuple(args), key, port, public_url, max_sessions)
    with _LOCK:
        running = _RUNNING.get(ident)
        if running is not None and running.running:
            running.height = height
            return running

    loop = asyncio.new_event_loop()
    ready = threading.Event()
    box: dict[str, Any] = {}
    token = resolve_token(os.environ)

    def run() -> None:
        asyncio.set_event_loop(loop)

        async def main() -> None:
            stop = asyncio.Event()
            box["stop"] = stop
            server = WebServer(session_command(args), token=token, port=port, max_sessions=max_sessions,
                               public_url=public_url, key=key)
            try:
                await server.start()
                if public_url is None:
                    found = _jupyter_proxy_url(server.port)
                    if found is not None:  # the guard must know the proxy's host and origin
                        await server.close()
                        server = WebServer(session_command(args), token=token, port=server.port,
                                           max_sessions=max_sessions, public_url=found, key=key)
                        await server.start()
            except BaseException as exc:  # noqa: BLE001 - handed to the cell that started it
                box["error"] = exc
                ready.set()
                return
            box["server"] = server
            ready.set()
            try:
                await stop.wait()
            finally:
                await server.close()

        try:
            loop.run_until_complete(main())
        finally:
            loop.close()

    thread = threading.Thread(target=run, name="kombo-tui-serve", daemon=True)
    thread.start()
    if not ready.wait(START_TIMEOUT):
        raise OSError(f"the browser-mode server did not start within {START_TIMEOUT:g} s")
    if "error" in box:
        thread.join(timeout=5)
        raise box["error"]
    link = AppLink(box["server"], loop, thread, box["stop"], height=height, key=ident)
    with _LOCK:
        _RUNNING[ident] = link
    return link
