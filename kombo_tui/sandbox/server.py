"""Serving the sandbox with uvicorn, on loopback only.

- :class:`SandboxServer` runs it in a background thread on a free port (tests, the TUI's
  ``--sandbox`` mode, benchmarks)::

      with SandboxServer() as server:
          client = Kombo(api_key=SANDBOX_API_KEY, server_url=server.base_url, ...)

- :func:`serve_forever` is the ``kombo-tui sandbox`` command: it prints the base URL, the key
  and the integrations, then serves in the foreground until Ctrl-C.
"""

from __future__ import annotations

import ipaddress
import logging
import socket
import sys
import threading
from types import TracebackType
from typing import TextIO

import h11
import uvicorn
from starlette.applications import Starlette
from uvicorn.protocols.http.h11_impl import H11Protocol

from kombo_tui.core.net import is_loopback_host

from .app import DroppedConnection, Sandbox, SandboxConfig, create_app
from .data import DEFAULT_INTEGRATION_ID, INTEGRATIONS, users_of
from .errors import MALFORMED_REQUEST_BODY

__all__ = ["SandboxServer", "check_loopback", "serve_forever"]


def check_loopback(host: str) -> None:
    """Raise ValueError unless ``host`` is a loopback host (core's rule, the one the CLI applies).

    That is ``localhost`` and names under it, 127.0.0.0/8 and ``::1``
    (:func:`kombo_tui.core.net.is_loopback_host`). The sandbox accepts a well-known key and
    stores whatever it is sent: it must never be reachable from another machine.
    """
    if not is_loopback_host(host):
        raise ValueError(
            f"the sandbox only listens on loopback; {host!r} is not a loopback address "
            "(use 127.0.0.1, ::1 or localhost)"
        )


def _bind_address(host: str) -> str:
    """The address to bind for a loopback host: a ``localhost`` name binds 127.0.0.1 itself
    (never whatever a resolver says the name is)."""
    literal = host.strip("[]")
    try:
        ipaddress.ip_address(literal)
    except ValueError:
        return "127.0.0.1"
    return literal


class _DropFilter(logging.Filter):
    """Keeps uvicorn quiet about connections the sandbox drops on purpose."""

    def filter(self, record: logging.LogRecord) -> bool:
        exc = record.exc_info[1] if record.exc_info else None
        seen: set[int] = set()
        while exc is not None and id(exc) not in seen:  # a chain can loop back on itself
            if isinstance(exc, DroppedConnection):
                return False
            seen.add(id(exc))
            exc = exc.__cause__ or exc.__context__
        return True


_DROP_FILTER = _DropFilter()


def _install_drop_filter() -> None:
    logger = logging.getLogger("uvicorn.error")
    if _DROP_FILTER not in logger.filters:
        logger.addFilter(_DROP_FILTER)


def _bind(host: str, port: int) -> socket.socket:
    check_loopback(host)
    resolved = _bind_address(host)
    family = socket.AF_INET6 if ":" in resolved else socket.AF_INET
    # proto must say TCP explicitly: asyncio only sets TCP_NODELAY on accepted sockets whose
    # proto is IPPROTO_TCP, and without it every response waits ~40 ms for a delayed ACK.
    sock = socket.socket(family, socket.SOCK_STREAM, socket.IPPROTO_TCP)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    try:
        sock.bind((resolved, port))
    except OSError:
        sock.close()
        raise
    sock.set_inheritable(True)
    return sock


def _base_url(sock: socket.socket) -> str:
    host, port = sock.getsockname()[:2]
    shown = f"[{host}]" if ":" in host else host
    return f"http://{shown}:{port}/v1"


class _EnvelopeH11Protocol(H11Protocol):
    """uvicorn's h11 protocol, answering a request it cannot parse (a raw newline or control
    character in the path, an oversized header...) with Kombo's JSON envelope instead of
    uvicorn's plain-text 400: every answer of the sandbox is Kombo's envelope."""

    def send_400_response(self, msg: str) -> None:
        """Send the 400 (``msg`` is uvicorn's plain-text reason, logged by uvicorn already)."""
        headers = [
            (b"content-type", b"application/json"),
            (b"content-length", str(len(MALFORMED_REQUEST_BODY)).encode()),
            (b"connection", b"close"),
        ]
        try:
            for event in (
                h11.Response(status_code=400, headers=headers, reason=b"Bad Request"),
                h11.Data(data=MALFORMED_REQUEST_BODY),
                h11.EndOfMessage(),
            ):
                self.transport.write(self.conn.send(event) or b"")
        except h11.LocalProtocolError:
            pass  # a response was already under way: nothing sensible to add
        self.transport.close()


def _uvicorn_config(app: Starlette, log_level: str) -> uvicorn.Config:
    return uvicorn.Config(
        app,
        log_level=log_level,
        access_log=log_level in ("debug", "trace"),
        lifespan="off",
        server_header=False,
        http=_EnvelopeH11Protocol,
        ws="none",
        timeout_graceful_shutdown=2,
        h11_max_incomplete_event_size=64 * 1024,
    )


class SandboxServer:
    """The sandbox on ``127.0.0.1`` (or another loopback host) in a background thread.

    ``port=0`` picks a free port. Use as a context manager, or call :meth:`start` /
    :meth:`stop`; in a notebook, the first use of :attr:`base_url` (or :attr:`where`) starts
    it, and it keeps serving across cells until :meth:`stop`. :attr:`base_url` ends in ``/v1``
    like Kombo's servers::

        sb = kt.SandboxServer()
        kt.send("cv.pdf", application_id="...", **sb.where)
    """

    def __init__(
        self,
        config: SandboxConfig | None = None,
        host: str = "127.0.0.1",
        port: int = 0,
        *,
        log_level: str = "warning",
    ) -> None:
        check_loopback(host)
        self.config = config or SandboxConfig()
        self.host = host
        self.port = port
        self.log_level = log_level
        self.app: Starlette = create_app(self.config)
        self._server: uvicorn.Server | None = None
        self._thread: threading.Thread | None = None
        self._socket: socket.socket | None = None
        self._base_url: str | None = None
        self._error: BaseException | None = None

    @property
    def sandbox(self) -> Sandbox:
        """The app's state: uploaded files, interactions, live configuration."""
        sandbox: Sandbox = self.app.state.sandbox
        return sandbox

    @property
    def base_url(self) -> str:
        """``http://127.0.0.1:PORT/v1``; the first use starts the server."""
        if self._base_url is None:
            self.start()
        assert self._base_url is not None
        return self._base_url

    @property
    def api_key(self) -> str:
        """The only key this sandbox accepts."""
        return self.config.api_key

    @property
    def where(self) -> dict[str, str]:
        """Keyword arguments for the helpers (``kt.send(..., **sb.where)``): base URL, key and
        the default integration. Starts the server if needed."""
        return {"base_url": self.base_url, "api_key": self.api_key, "integration_id": DEFAULT_INTEGRATION_ID}

    @property
    def running(self) -> bool:
        """True between :meth:`start` and :meth:`stop`."""
        return self._thread is not None and self._thread.is_alive()

    def __repr__(self) -> str:
        state = self._base_url if self.running else "not started (starts on first use of .base_url)"
        ids = ", ".join(i.id for i in INTEGRATIONS[:3])
        return f"<SandboxServer {state} key={self.api_key} integrations: {ids}, … ({len(INTEGRATIONS)})>"

    def _repr_html_(self) -> str:
        import html

        rows = "".join(
            f"<tr><td><code>{html.escape(i.id)}</code>{' (default)' if i.id == DEFAULT_INTEGRATION_ID else ''}</td>"
            f"<td>{html.escape(i.tool_label)}</td><td>{html.escape(i.demonstrates)}</td></tr>"
            for i in INTEGRATIONS
        )
        state = html.escape(self._base_url) if self.running and self._base_url else "not started"
        return (
            f"<div><b>Kombo sandbox</b> (demo data; loopback only)<table>"
            f"<tr><th style='text-align:left'>Base URL</th><td><code>{state}</code></td></tr>"
            f"<tr><th style='text-align:left'>API key</th><td><code>{html.escape(self.api_key)}</code></td></tr>"
            f"</table><table><thead><tr><th>integration id</th><th>ATS</th><th>shows</th></tr></thead>"
            f"<tbody>{rows}</tbody></table><p>Pass <code>**sb.where</code> to the helpers.</p></div>"
        )

    def start(self, timeout: float = 10.0) -> SandboxServer:
        """Bind, serve in a thread, and return once connections are accepted.

        Starting a running server again does nothing (re-running a notebook cell is safe).
        """
        if self.running:
            return self
        _install_drop_filter()
        sock = _bind(self.host, self.port)
        self._socket = sock
        self._base_url = _base_url(sock)
        self.port = sock.getsockname()[1]
        server = uvicorn.Server(_uvicorn_config(self.app, self.log_level))
        self._server = server

        def run() -> None:
            try:
                server.run(sockets=[sock])
            except BaseException as exc:  # noqa: BLE001 - reported by start()
                self._error = exc

        thread = threading.Thread(target=run, name=f"kombo-sandbox:{self.port}", daemon=True)
        self._thread = thread
        thread.start()
        waited = 0.0
        while not server.started:
            if not thread.is_alive():
                self._cleanup()
                raise RuntimeError(f"the sandbox server failed to start: {self._error!r}")
            if waited >= timeout:
                self.stop()
                raise RuntimeError(f"the sandbox server did not start within {timeout} s")
            thread.join(0.01)
            waited += 0.01
        return self

    def stop(self, timeout: float = 5.0) -> None:
        """Shut down and wait for the thread (forcing after ``timeout`` seconds)."""
        server, thread = self._server, self._thread
        if server is None or thread is None:
            return
        server.should_exit = True
        thread.join(timeout)
        if thread.is_alive():
            server.force_exit = True
            thread.join(timeout)
        self._cleanup()

    def _cleanup(self) -> None:
        if self._socket is not None:
            self._socket.close()
        self._socket = None
        self._server = None
        self._thread = None

    def __enter__(self) -> SandboxServer:
        return self.start()

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.stop()


def describe(base_url: str, config: SandboxConfig) -> str:
    """What ``kombo-tui sandbox`` prints before serving."""
    width = max(len(i.id) for i in INTEGRATIONS)
    lines = [
        "Kombo sandbox (demo data; loopback only)",
        "",
        f"  Base URL  {base_url}",
        f"  API key   {config.api_key}",
        "",
        "  Integrations (X-Integration-Id):",
    ]
    for integration in INTEGRATIONS:
        marker = "*" if integration.id == DEFAULT_INTEGRATION_ID else " "
        lines.append(
            f"  {marker} {integration.id:<{width}}  {integration.application_count:>6} apps  "
            f"{integration.demonstrates}"
        )
    greenhouse = next(i for i in INTEGRATIONS if i.tool_id == "greenhouse")
    workable = next(i for i in INTEGRATIONS if i.tool_id == "workable")
    lines += [
        "",
        "  Users for On-Behalf-Of:",
        "    Greenhouse  "
        + ", ".join(f"{u.remote_id} ({u.first_name} {u.last_name})" for u in users_of(greenhouse)),
        "    Workable    "
        + ", ".join(f"{u.remote_id} ({u.first_name} {u.last_name})" for u in users_of(workable)),
    ]
    knobs = []
    if config.latency:
        knobs.append(f"latency {config.latency:g}s")
    if config.rate_limit is not None:
        knobs.append(f"rate limit {config.rate_limit}/{config.rate_window:g}s")
    if config.concurrency_limit != 30:
        knobs.append(f"concurrency limit {config.concurrency_limit}")
    if config.error_rate:
        knobs.append(f"error rate {config.error_rate:.0%}")
    if config.drop_after_store:
        knobs.append("drop after store")
    if config.fetch_remote:
        knobs.append("data_url downloads from the network (any host but this machine)")
    if knobs:
        lines += ["", "  Misbehaving on purpose: " + ", ".join(knobs)]
    if config.fetch_allow:
        lines += ["", "  data_url downloads allowed from: " + ", ".join(config.fetch_allow)]
    lines += [
        "",
        f"  Try:  curl -H 'Authorization: Bearer {config.api_key}' "
        f"-H 'X-Integration-Id: {DEFAULT_INTEGRATION_ID}' '{base_url}/ats/applications?page_size=2'",
        "",
        "Press Ctrl-C to stop.",
    ]
    return "\n".join(lines)


def serve_forever(
    host: str = "127.0.0.1",
    port: int = 0,
    config: SandboxConfig | None = None,
    out: TextIO = sys.stdout,
    *,
    log_level: str = "warning",
) -> None:
    """Serve the sandbox in the foreground until Ctrl-C (SIGINT/SIGTERM), printing how to use it.

    Raises ValueError for a host that is not loopback, OSError if the port is taken.
    """
    config = config or SandboxConfig()
    _install_drop_filter()
    sock = _bind(host, port)
    try:
        app = create_app(config)
        print(describe(_base_url(sock), config), file=out, flush=True)
        server = uvicorn.Server(_uvicorn_config(app, log_level))
        server.run(sockets=[sock])
    finally:
        sock.close()
