"""The browser-mode web server: textual-serve's page and protocol behind :mod:`~kombo_tui.web.guard`.

textual-serve 1.1 supplies the page, its JavaScript terminal and the per-session process
protocol (:class:`textual_serve.app_service.AppService`); its ``Server`` admits anyone who can
reach the port, from any web page, starts an app process per websocket without limit and logs
tracebacks with their locals. This module keeps the parts and replaces the door:

- every request passes :meth:`WebServer._admit` (Host allowlist, then the token from
  ``?token=`` or the cookie), the websocket also the Origin check, and refusals are a short
  plain 403;
- at most ``max_sessions`` app processes run at once; one more websocket gets a 503 saying so;
- each app process is a :class:`~kombo_tui.web.session.Session`: no shell, no secrets in its
  environment (the key travels on a pipe), ``http(s)`` links only;
- logging is plain and redacted (:mod:`~kombo_tui.web.redaction`), with no access log (its
  lines would carry ``?token=``).
"""

from __future__ import annotations

import asyncio
import ipaddress
import json
import logging
import os
import signal
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import IO
from urllib.parse import quote

import jinja2
import textual_serve
from aiohttp import WSMsgType, web
from aiohttp.typedefs import Handler, Middleware
from textual_serve.download_manager import DownloadManager

from .app_process import KEY_ENV
from .guard import TOKEN_PARAM, Guard, parse_public_url
from .redaction import Redactor, secrets_kept_out
from .session import STOP_TIMEOUT, Session, session_command

__all__ = ["DEFAULT_MAX_SESSIONS", "WebServer", "serve", "serve_until", "session_command"]

log = logging.getLogger("kombo_tui.web")

DEFAULT_MAX_SESSIONS = 3
"""App processes that may run at once (each holds ~40 MiB)."""

_PACKAGE_DIR = Path(textual_serve.__file__).parent
_TEXT = "text/plain"
_PAGE_HEADERS = {
    "Cache-Control": "no-store",
    "Referrer-Policy": "no-referrer",
    "X-Content-Type-Options": "nosniff",
    "Content-Security-Policy": "frame-ancestors 'self'",
}


def _refuse(status: int, text: str) -> web.Response:
    return web.Response(status=status, text=text + "\n", content_type=_TEXT)


def _bindable(host: str) -> bool:
    """``localhost`` or a loopback address; not a name under ``.localhost``, which DNS resolves."""
    name = host.strip("[]").lower()
    if name == "localhost":
        return True
    try:
        return ipaddress.ip_address(name).is_loopback
    except ValueError:
        return False


def _dimension(value: str | None, default: int) -> int:
    try:
        number = int(value or default)
    except ValueError:
        return default
    return min(max(number, 1), 1000)


class WebServer:
    """The guarded server. :meth:`start` binds it, :meth:`close` stops it and its sessions."""

    def __init__(
        self,
        command: Sequence[str],
        *,
        token: str,
        host: str = "127.0.0.1",
        port: int = 8000,
        max_sessions: int = DEFAULT_MAX_SESSIONS,
        public_url: str | None = None,
        title: str = "kombo-tui",
        key: str | None = None,
    ) -> None:
        """Args:
        command: The argv each session runs (see :func:`session_command`).
        token: The secret a client must present (see :func:`~kombo_tui.web.guard.resolve_token`).
        host: A loopback address to bind (``127.0.0.1``, ``::1`` or ``localhost``).
        port: The port; 0 picks a free one.
        max_sessions: How many app processes may run at once (at least 1).
        public_url: The address a proxy shows the app under (one more allowed host and origin).
        title: The page's title.
        key: The API key to hand to each app process on a pipe (None: the app finds its own).

        Raises:
            ValueError: a non-loopback host, a bad public URL or a cap below 1.
        """
        if not _bindable(host):
            raise ValueError(f"{host!r} is not a loopback address; the app would be open to the network")
        if max_sessions < 1:
            raise ValueError("max_sessions must be at least 1")
        self.command = list(command)
        self.host = host
        self.port = port
        self.max_sessions = max_sessions
        self.title = title
        self._public = parse_public_url(public_url) if public_url else None
        self._token = token
        self._key = key
        self._guard = Guard(token, port, host, self._public)
        self._downloads = DownloadManager()
        self._sessions: set[Session] = set()
        self._sockets: set[web.WebSocketResponse] = set()
        self._starting = 0
        self._runner: web.AppRunner | None = None
        self._template = jinja2.Environment(
            loader=jinja2.FileSystemLoader(_PACKAGE_DIR / "templates"), autoescape=True
        ).get_template("app_index.html")

    # ------------------------------------------------------------------ lifecycle

    @property
    def guard(self) -> Guard:
        """The admission rules in force (the port is the bound one after :meth:`start`)."""
        return self._guard

    @property
    def url(self) -> str:
        """The page's loopback address, without the token."""
        name = f"[{self.host.strip('[]')}]" if ":" in self.host else self.host
        return f"http://{name}:{self.port}/"

    @property
    def url_with_token(self) -> str:
        """The address to open: :attr:`url` with ``?token=…``."""
        return f"{self.url}?{TOKEN_PARAM}={quote(self._token, safe='')}"

    @property
    def public_url_with_token(self) -> str | None:
        """The ``--public-url`` address with the token, if one was given."""
        if self._public is None:
            return None
        return f"{self._public.url}?{TOKEN_PARAM}={quote(self._token, safe='')}"

    @property
    def running_sessions(self) -> int:
        """App processes running or starting now."""
        return len(self._sessions) + self._starting

    async def start(self) -> None:
        """Bind and start serving.

        Raises:
            OSError: the port cannot be bound.
        """
        app = web.Application(middlewares=[self._middleware()], client_max_size=64 * 1024)
        app.add_routes(
            [
                web.get("/", self._page),
                web.get("/ws", self._websocket),
                web.get("/download/{key}", self._download),
                web.static("/static", _PACKAGE_DIR / "static", show_index=False, follow_symlinks=False),
            ]
        )
        app.on_shutdown.append(self._on_shutdown)
        runner = web.AppRunner(app, access_log=None, handle_signals=False, shutdown_timeout=2 * STOP_TIMEOUT)
        await runner.setup()
        try:
            site = web.TCPSite(runner, self.host, self.port)
            await site.start()
        except BaseException:
            await runner.cleanup()
            raise
        self._runner = runner
        if self.port == 0:
            self.port = int(runner.addresses[0][1])
            self._guard = Guard(self._token, self.port, self.host, self._public)

    async def close(self) -> None:
        """Close every session (their app processes quit or are killed), then stop serving."""
        if self._runner is not None:
            runner, self._runner = self._runner, None
            await runner.cleanup()
        await asyncio.gather(*(session.stop_or_kill() for session in list(self._sessions)))

    async def _on_shutdown(self, app: web.Application) -> None:
        await asyncio.gather(*(ws.close(code=1001, message=b"server stopped") for ws in list(self._sockets)))

    # ------------------------------------------------------------------ admission

    def _middleware(self) -> Middleware:
        @web.middleware
        async def admit(request: web.Request, handler: Handler) -> web.StreamResponse:
            return await self._admit(request, handler)

        return admit

    async def _admit(self, request: web.Request, handler: Handler) -> web.StreamResponse:
        guard = self._guard
        host = request.headers.get("Host")
        if not guard.host_allowed(host):
            return _refuse(403, "403: this host name is not allowed (open the URL kombo-tui serve printed)")
        from_query = request.query.get(TOKEN_PARAM)
        if not (guard.token_valid(from_query) or guard.token_valid(request.cookies.get(guard.cookie_name))):
            return _refuse(403, "403: a valid token is required (open the URL kombo-tui serve printed)")
        try:
            response = await handler(request)
        except web.HTTPException as exc:
            if exc.status < 400:
                raise
            return _refuse(exc.status, f"{exc.status}: {exc.reason}")
        if not response.prepared:
            if guard.token_valid(from_query):
                secure = (
                    host is not None
                    and guard.is_public(host)
                    and guard.public is not None
                    and guard.public.scheme == "https"
                )
                response.set_cookie(
                    guard.cookie_name, self._token, httponly=True, samesite="Strict", path="/", secure=secure
                )
            response.headers.setdefault("X-Content-Type-Options", "nosniff")
        return response

    # ------------------------------------------------------------------ handlers

    async def _page(self, request: web.Request) -> web.Response:
        host = request.headers["Host"]
        public = self._public if self._guard.is_public(host) else None
        if public is not None:
            prefix = public.path
            websocket = f"{'wss' if public.scheme == 'https' else 'ws'}://{public.host}{prefix}ws"
        else:
            prefix = "/"
            websocket = f"ws://{host.lower()}/ws"
        html = self._template.render(
            font_size=_dimension(request.query.get("fontsize"), 16),
            app_websocket_url=websocket,
            config={"static": {"url": f"{prefix}static/"}},
            application={"name": self.title},
        )
        return web.Response(text=html, content_type="text/html", headers=_PAGE_HEADERS)

    async def _websocket(self, request: web.Request) -> web.StreamResponse:
        host = request.headers["Host"]
        if not self._guard.origin_allowed(request.headers.get("Origin"), host):
            return _refuse(403, "403: this page may not open the app (its origin is not the app's own)")
        if self.running_sessions >= self.max_sessions:
            log.warning(
                "refused a new browser session: %d already running (the --max-sessions limit)", self.running_sessions
            )
            return _refuse(
                503,
                f"503: {self.running_sessions} sessions are already running, the most kombo-tui serve allows "
                "(--max-sessions); close a tab and try again",
            )
        self._starting += 1
        try:
            websocket = web.WebSocketResponse(heartbeat=15, max_msg_size=1024 * 1024)
            await websocket.prepare(request)
            session = Session(
                self.command,
                self._key,
                write_bytes=websocket.send_bytes,
                write_str=websocket.send_str,
                close=websocket.close,
                download_manager=self._downloads,
            )
            try:
                await session.start(
                    _dimension(request.query.get("width"), 80), _dimension(request.query.get("height"), 24)
                )
            except OSError as exc:
                log.error("could not start the app: %s", exc.strerror or type(exc).__name__)
                await websocket.close(code=1011, message=b"the app could not start")
                return websocket
        finally:
            self._starting -= 1
        self._sessions.add(session)
        self._sockets.add(websocket)
        log.info("browser session started (%d of at most %d)", len(self._sessions), self.max_sessions)
        try:
            await self._relay(websocket, session)
        finally:
            self._sockets.discard(websocket)
            await session.stop_or_kill()
            self._sessions.discard(session)
            log.info("browser session ended (%d running)", len(self._sessions))
        return websocket

    async def _relay(self, websocket: web.WebSocketResponse, session: Session) -> None:
        """Pass the browser's keys, sizes and focus to the app; answer pings."""
        async for message in websocket:
            if message.type != WSMsgType.TEXT:
                continue
            try:
                envelope = json.loads(message.data)
            except ValueError:
                continue
            if not isinstance(envelope, list) or not envelope:
                continue
            kind, argument = envelope[0], envelope[1] if len(envelope) > 1 else None
            if kind == "stdin" and isinstance(argument, str):
                await session.send_bytes(argument.encode("utf-8"))
            elif kind == "resize" and isinstance(argument, dict):
                await session.set_terminal_size(
                    _dimension(str(argument.get("width")), 80), _dimension(str(argument.get("height")), 24)
                )
            elif kind == "ping":
                await websocket.send_json(["pong", argument])
            elif kind == "blur":
                await session.blur()
            elif kind == "focus":
                await session.focus()

    async def _download(self, request: web.Request) -> web.StreamResponse:
        """A file the app delivers (a saved screenshot, say), streamed from its process."""
        key = request.match_info["key"]
        try:
            meta = await self._downloads.get_download_metadata(key)
        except KeyError:
            return _refuse(404, "404: no such download")
        response = web.StreamResponse(headers={"X-Content-Type-Options": "nosniff"})
        response.content_type = meta.mime_type
        if meta.encoding:
            response.charset = meta.encoding
        disposition = "inline" if meta.open_method == "browser" else "attachment"
        response.headers["Content-Disposition"] = f"{disposition}; filename*=UTF-8''{quote(meta.file_name, safe='')}"
        await response.prepare(request)
        async for chunk in self._downloads.download(key):
            await response.write(chunk)
        await response.write_eof()
        return response


# ---------------------------------------------------------------------- running


def _configured_key() -> str | None:
    """The key the app processes will find in ``.env`` or the config file, to redact it too."""
    try:
        from kombo_tui.core.config.settings import load_settings

        secret = load_settings().api_key
    except Exception:  # noqa: BLE001 - only for redaction; the app reports config problems itself
        return None
    return secret.get_secret_value() if secret is not None else None


async def serve_until(
    stop: asyncio.Event,
    command: Sequence[str],
    *,
    token: str,
    host: str = "127.0.0.1",
    port: int = 8000,
    max_sessions: int = DEFAULT_MAX_SESSIONS,
    public_url: str | None = None,
    out: IO[str] | None = None,
) -> None:
    """Serve until ``stop`` is set, printing the address with the token on ``out`` once bound.

    The key (``KOMBO_API_KEY``) is read here, handed to each app process on a pipe, and kept
    out of every log line, as are the token and the key from ``.env`` or the config file.

    Raises:
        ValueError: see :class:`WebServer`.
        OSError: the port cannot be bound.
    """
    out = out or sys.stderr
    key = os.environ.get(KEY_ENV, "").strip() or None
    redactor = Redactor([token, key, _configured_key()])
    with secrets_kept_out(redactor, out):
        server = WebServer(
            command, token=token, host=host, port=port, max_sessions=max_sessions, public_url=public_url, key=key
        )
        await server.start()
        try:
            print(f"kombo-tui in the browser: {server.url_with_token}", file=out)
            if server.public_url_with_token:
                print(f"  through the proxy:        {server.public_url_with_token}", file=out)
            print(f"  at most {max_sessions} browser sessions at once; Ctrl-C to stop", file=out, flush=True)
            await stop.wait()
        finally:
            await server.close()


def serve(
    command: Sequence[str],
    *,
    token: str,
    host: str = "127.0.0.1",
    port: int = 8000,
    max_sessions: int = DEFAULT_MAX_SESSIONS,
    public_url: str | None = None,
    out: IO[str] | None = None,
) -> None:
    """Serve the app in the browser until Ctrl-C or SIGTERM (see :func:`serve_until`).

    Args:
        command: The argv each browser session runs (:func:`session_command`).
        token: The secret in the printed URL.
        host: A loopback address to bind.
        port: The port (0: a free one).
        max_sessions: App processes allowed at once.
        public_url: The address a proxy (Jupyter) shows the app under, if any.
        out: Where the address and log lines go (stderr by default).

    Raises:
        ValueError: see :class:`WebServer`.
        OSError: the port cannot be bound.
    """

    async def until_signal() -> None:
        stop = asyncio.Event()
        loop = asyncio.get_running_loop()
        for number in (signal.SIGINT, signal.SIGTERM):
            try:
                loop.add_signal_handler(number, stop.set)
            except (NotImplementedError, RuntimeError):  # Windows, or not the main thread
                pass
        await serve_until(
            stop,
            command,
            token=token,
            host=host,
            port=port,
            max_sessions=max_sessions,
            public_url=public_url,
            out=out,
        )

    asyncio.run(until_signal())
