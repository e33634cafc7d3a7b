"""What went over the wire: every HTTP exchange the client makes, kept in a bounded log.

A connector engineer debugging an upload needs what a browser's network tab shows: the
request line and headers, the body, the status, the answer's headers (rate and concurrency
budgets, ``Retry-After``) and body, and where the time went. :class:`ExchangeLog` keeps that
for every request a :class:`~kombo_tui.core.client.KomboClient` sends when it is given one —
reads, the upload, verifications and each retry — and the pause before each retry as an entry
of its own (``kind="wait"``).

What is never kept:

- the API key: ``Authorization`` becomes ``Bearer ••••``, and the token is scrubbed from
  error texts and answer bodies;
- the file: an upload's body is described from the :class:`PreparedUpload` (its JSON with
  ``data`` elided to the file's size and sha256), never copied from the stream;
- large answers: a body over ``body_limit`` bytes is kept as a note (``"N bytes, not kept"``).

Timings come from httpcore's ``trace`` request extension (connect, TLS, sending, waiting for
the first byte, download). In-process transports (``httpx.ASGITransport``, ``MockTransport``)
emit no trace: there the time before the answer's headers is all counted as *wait*.

The recording itself (an ``httpx.AsyncClient`` subclass and the trace callback) is in
:mod:`kombo_tui.core.wire.recording`. The log is bounded by a count and a byte budget (oldest entries go first), tells listeners
about each exchange as it completes (:meth:`ExchangeLog.subscribe`), and can tag exchanges
with a scope (:meth:`ExchangeLog.scope`) so a front door can find the exchanges of one send
among concurrent ones. It is safe to use from the tasks of one event loop and from other
threads (a lock guards the entries; listeners run on the thread that recorded).
"""

from __future__ import annotations

import contextvars
import itertools
import json
import logging
import threading
import time
from collections import deque
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import datetime, timezone
from typing import TYPE_CHECKING, Any, Literal

import httpx

if TYPE_CHECKING:
    from ..payload import PreparedUpload

__all__ = [
    "MASK",
    "Body",
    "Exchange",
    "ExchangeLog",
    "Listener",
    "Timings",
    "UPLOAD_EXTENSION",
    "in_scope",
    "redact_header",
]

logger = logging.getLogger(__name__)

MASK = "••••"
"""What stands in for a secret."""

UPLOAD_EXTENSION = "kombo_tui.upload"
"""Request extension through which the client names the :class:`PreparedUpload` it streams.

The recording client removes it before the request reaches a transport."""

_SECRET_HEADERS = frozenset({"authorization", "proxy-authorization", "cookie", "set-cookie", "x-api-key"})

_KiB = 1024

Listener = Callable[["Exchange"], None]
"""Told about each exchange once it is complete (and each retry wait when it starts)."""

_SCOPE: contextvars.ContextVar[str | None] = contextvars.ContextVar("kombo_tui_exchange_scope", default=None)
# The last exchange completed in this task, so a retry wait can name the answer that caused it.
_LAST: contextvars.ContextVar[tuple[ExchangeLog, Exchange] | None] = contextvars.ContextVar(
    "kombo_tui_last_exchange", default=None
)


def in_scope(tag: str | None, scope: str) -> bool:
    """Whether an exchange tagged ``tag`` was recorded in ``scope`` or a scope nested in it."""
    return tag is not None and (tag == scope or tag.startswith(scope + "/"))


def redact_header(name: str, value: str) -> str:
    """The value to show for a header: secrets masked, the auth scheme kept (``Bearer ••••``)."""
    if name.lower() not in _SECRET_HEADERS:
        return value
    scheme, sep, _ = value.partition(" ")
    return f"{scheme} {MASK}" if sep and scheme.isalpha() else MASK


@dataclass(frozen=True)
class Body:
    """A request or response body as recorded: what it was, and its text when kept."""

    size: int
    """Bytes on the wire (-1 when unknown)."""
    mime: str
    """Its ``Content-Type`` (empty when none was given)."""
    text: str | None = None
    """The body as text; None when it was not kept. An upload's text has ``data`` elided."""
    note: str | None = None
    """Why it is not (all) there: ``"52,428,800 bytes, not kept"``, or what was elided."""
    elided: bool = False
    """True when ``text`` stands for a body whose base64 ``data`` was left out."""

    def pretty(self) -> str | None:
        """The text, indented when it is JSON (as a network tab's *preview* would show it)."""
        if self.text is None:
            return None
        try:
            parsed = json.loads(self.text)
        except ValueError:
            return self.text
        return json.dumps(parsed, indent=2, ensure_ascii=False)

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready form."""
        return {"size": self.size, "mime": self.mime, "text": self.text, "note": self.note, "elided": self.elided}

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Body:
        """Inverse of :meth:`to_dict`."""
        return cls(
            size=int(data.get("size", -1)),
            mime=str(data.get("mime") or ""),
            text=data.get("text"),
            note=data.get("note"),
            elided=bool(data.get("elided", False)),
        )


@dataclass(frozen=True)
class Timings:
    """Where an exchange's time went, in milliseconds; None where unknown or not applicable.

    The phases follow HAR: ``connect`` includes ``ssl``; ``dns`` is never known separately
    (httpcore resolves inside its connect); ``connect`` and ``ssl`` are None on a reused
    connection.
    """

    blocked: float | None = None
    """Before the connection was opened or the request started on a reused one."""
    dns: float | None = None
    connect: float | None = None
    ssl: float | None = None
    send: float | None = None
    """Sending the request line, headers and body."""
    wait: float | None = None
    """From the end of the body to the answer's headers (time to first byte)."""
    receive: float | None = None
    """Downloading the answer's body."""
    traced: bool = False
    """True when the transport reported its phases (httpcore); False: only wait/receive."""

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready form."""
        return {
            "blocked": self.blocked,
            "dns": self.dns,
            "connect": self.connect,
            "ssl": self.ssl,
            "send": self.send,
            "wait": self.wait,
            "receive": self.receive,
            "traced": self.traced,
        }

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Timings:
        """Inverse of :meth:`to_dict`."""

        def ms(name: str) -> float | None:
            value = data.get(name)
            return None if value is None or value < 0 else float(value)

        return cls(
            blocked=ms("blocked"),
            dns=ms("dns"),
            connect=ms("connect"),
            ssl=ms("ssl"),
            send=ms("send"),
            wait=ms("wait"),
            receive=ms("receive"),
            traced=bool(data.get("traced", False)),
        )


@dataclass(eq=False)
class Exchange:
    """One HTTP exchange (``kind="http"``) or the pause before a retry (``kind="wait"``).

    An HTTP exchange is filled in while it runs; ``complete`` turns True when the answer
    was read or the request failed. Headers are ``(name, value)`` pairs in wire order, with
    secrets masked.
    """

    id: int
    kind: Literal["http", "wait"]
    started: datetime
    """When it started (UTC; ascending in the order of ``id``)."""
    method: str
    url: str
    request_headers: list[tuple[str, str]] = field(default_factory=list)
    request_body: Body | None = None
    status: int | None = None
    """The answer's status; None when there was no complete answer (see ``error``; headers
    of an answer that broke off are kept in ``response_headers``)."""
    reason: str = ""
    http_version: str = ""
    response_headers: list[tuple[str, str]] = field(default_factory=list)
    response_body: Body | None = None
    timings: Timings = field(default_factory=Timings)
    duration: float | None = None
    """Seconds from sending to the end of the answer (or the failure); for a wait, its length."""
    error: str | None = None
    """What went wrong when there is no answer (``"no response: ReadTimeout ..."``)."""
    body_sent: bool | None = None
    """Whether the whole request body went out (None: unknown, e.g. without a trace)."""
    server_address: str | None = None
    scope: str | None = None
    """The label of the :meth:`ExchangeLog.scope` it was recorded in."""
    wait_seconds: float | None = None
    """A wait's planned length."""
    wait_reason: str | None = None
    """Why the client waits (Kombo's error and the server's hint)."""
    attempt: int | None = None
    """For a wait: the attempt that failed (1-based)."""
    follows: int | None = None
    """For a wait: the id of the exchange whose answer caused it."""
    complete: bool = False
    upload: PreparedUpload | None = field(default=None, repr=False)
    """The upload this request streamed (kept by reference, to export its full body)."""
    _bytes: int = field(default=0, repr=False)

    @property
    def path(self) -> str:
        """The URL's path and query, as a list of exchanges would show it."""
        url = httpx.URL(self.url)
        query = url.query.decode("ascii", "replace")
        return url.path + (f"?{query}" if query else "")

    @property
    def size(self) -> int:
        """Bytes of the answer's body (0 when none)."""
        return self.response_body.size if self.response_body and self.response_body.size > 0 else 0

    def header(self, name: str, *, response: bool = True) -> str | None:
        """The first value of a response (or request) header, by case-insensitive name."""
        wanted = name.lower()
        for key, value in self.response_headers if response else self.request_headers:
            if key.lower() == wanted:
                return value
        return None

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready form (never the key, never file bytes; the upload itself is not included)."""
        return {
            "id": self.id,
            "kind": self.kind,
            "started": self.started.isoformat(),
            "method": self.method,
            "url": self.url,
            "request_headers": [list(h) for h in self.request_headers],
            "request_body": self.request_body.to_dict() if self.request_body else None,
            "status": self.status,
            "reason": self.reason,
            "http_version": self.http_version,
            "response_headers": [list(h) for h in self.response_headers],
            "response_body": self.response_body.to_dict() if self.response_body else None,
            "timings": self.timings.to_dict(),
            "duration": self.duration,
            "error": self.error,
            "body_sent": self.body_sent,
            "server_address": self.server_address,
            "scope": self.scope,
            "wait_seconds": self.wait_seconds,
            "wait_reason": self.wait_reason,
            "attempt": self.attempt,
            "follows": self.follows,
            "complete": self.complete,
        }

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Exchange:
        """Inverse of :meth:`to_dict` (History and HAR import use it)."""
        kind = data.get("kind", "http")
        return cls(
            id=int(data["id"]),
            kind="wait" if kind == "wait" else "http",
            started=datetime.fromisoformat(data["started"]),
            method=str(data.get("method", "")),
            url=str(data.get("url", "")),
            request_headers=[(str(k), str(v)) for k, v in data.get("request_headers") or []],
            request_body=Body.from_dict(data["request_body"]) if data.get("request_body") else None,
            status=data.get("status"),
            reason=str(data.get("reason") or ""),
            http_version=str(data.get("http_version") or ""),
            response_headers=[(str(k), str(v)) for k, v in data.get("response_headers") or []],
            response_body=Body.from_dict(data["response_body"]) if data.get("response_body") else None,
            timings=Timings.from_dict(data.get("timings") or {}),
            duration=data.get("duration"),
            error=data.get("error"),
            body_sent=data.get("body_sent"),
            server_address=data.get("server_address"),
            scope=data.get("scope"),
            wait_seconds=data.get("wait_seconds"),
            wait_reason=data.get("wait_reason"),
            attempt=data.get("attempt"),
            follows=data.get("follows"),
            complete=bool(data.get("complete", True)),
        )


class ExchangeLog:
    """The exchanges of a session, newest last, bounded by count and bytes.

    Args:
        max_entries: most exchanges kept; the oldest go first.
        max_bytes: budget for what the kept exchanges hold (headers, kept bodies, texts).
        body_limit: a body larger than this is kept as a note, not as text.

    Give it to ``KomboClient(..., exchanges=log)``; read it with :meth:`entries`, follow it
    with :meth:`subscribe`.
    """

    def __init__(self, *, max_entries: int = 500, max_bytes: int = 8 * 1024 * _KiB, body_limit: int = 64 * _KiB) -> None:
        if max_entries < 1 or max_bytes < 1 or body_limit < 0:
            raise ValueError("max_entries and max_bytes must be positive, body_limit not negative")
        if body_limit * 4 > max_bytes:
            raise ValueError("body_limit must be at most a quarter of max_bytes (an exchange holds two bodies)")
        self.max_entries = max_entries
        self.max_bytes = max_bytes
        self.body_limit = body_limit
        self._lock = threading.Lock()
        self._entries: deque[Exchange] = deque()
        self._bytes = 0
        self._ids = itertools.count(1)
        self._listeners: list[Listener] = []
        self.evicted = 0
        """Exchanges dropped to stay within the bounds."""
        # Start times are wall-clock at creation plus a monotonic offset: ascending even if
        # the system clock is adjusted during a session.
        self._wall0 = time.time()
        self._mono0 = time.perf_counter()

    # ------------------------------------------------------------------ reading

    def __len__(self) -> int:
        with self._lock:
            return len(self._entries)

    def __iter__(self) -> Iterator[Exchange]:
        return iter(self.entries())

    def entries(self, *, scope: str | None = None, since: int = 0) -> list[Exchange]:
        """A snapshot of the kept exchanges in the order they started.

        Args:
            scope: only those recorded in this :meth:`scope` (scopes nested in it included).
            since: only those with an ``id`` greater than this.
        """
        with self._lock:
            items = list(self._entries)
        return [e for e in items if e.id > since and (scope is None or in_scope(e.scope, scope))]

    @property
    def total_bytes(self) -> int:
        """What the kept, complete exchanges hold (the figure bounded by ``max_bytes``)."""
        with self._lock:
            return self._bytes

    def clear(self) -> None:
        """Forget every exchange."""
        with self._lock:
            self._entries.clear()
            self._bytes = 0

    # ------------------------------------------------------------------ following

    def subscribe(self, listener: Listener) -> Callable[[], None]:
        """Call ``listener(exchange)`` for each exchange as it completes; returns the unsubscribe.

        Listeners run on the recording thread (the event loop for the client), must be quick
        and must not raise: an exception is logged and does not disturb the request.
        """
        with self._lock:
            self._listeners.append(listener)

        def unsubscribe() -> None:
            with self._lock:
                if listener in self._listeners:
                    self._listeners.remove(listener)

        return unsubscribe

    @staticmethod
    @contextmanager
    def scope(label: str) -> Iterator[None]:
        """Tag the exchanges recorded inside (in this task and the tasks it starts) with ``label``.

        Scopes nest: inside an outer scope ``"a"`` the tag is ``"a/label"``, and
        ``entries(scope="a")`` still finds those exchanges (the engine scopes each send, so a
        front door's own scope keeps working around it).
        """
        outer = _SCOPE.get()
        token = _SCOPE.set(f"{outer}/{label}" if outer else label)
        try:
            yield
        finally:
            _SCOPE.reset(token)

    @staticmethod
    def current_scope() -> str | None:
        """The scope label exchanges recorded here and now would get (None outside any)."""
        return _SCOPE.get()

    # ------------------------------------------------------------------ recording

    @staticmethod
    def upload_extensions(upload: PreparedUpload) -> dict[str, Any]:
        """Request extensions naming the upload a request streams (its body is described from it)."""
        return {UPLOAD_EXTENSION: upload}

    def wait(
        self,
        seconds: float,
        reason: str,
        *,
        method: str = "",
        url: str = "",
        attempt: int | None = None,
    ) -> Exchange:
        """Record the pause before a retry (called by the client as the wait starts).

        The exchange whose answer caused it (the last one recorded in this task) is named in
        ``follows``, and the server's ``Retry-After`` / ``ratelimit-reset`` joins the reason.
        """
        mark = _LAST.get()
        last = mark[1] if mark is not None and mark[0] is self else None
        follows = last.id if last is not None else None
        hint = None
        if last is not None:
            for name in ("Retry-After", "ratelimit-reset"):
                value = last.header(name)
                if value is not None:
                    hint = f"{name}: {value}"
                    break
        exchange = Exchange(
            id=self._new_id(),
            kind="wait",
            started=self._now(),
            method=method,
            url=url,
            duration=seconds,
            scope=_SCOPE.get(),
            wait_seconds=seconds,
            wait_reason=f"{reason} ({hint})" if hint else reason,
            attempt=attempt,
            follows=follows,
            complete=True,
        )
        self._append(exchange)
        self._completed(exchange)
        return exchange

    def _now(self, mono: float | None = None) -> datetime:
        mono = time.perf_counter() if mono is None else mono
        return datetime.fromtimestamp(self._wall0 + (mono - self._mono0), tz=timezone.utc)

    # ------------------------------------------------------------------ for the recorder
    # (kombo_tui.core.wire.recording fills exchanges in; these keep the log's books)

    def _new_id(self) -> int:
        return next(self._ids)

    def _append(self, exchange: Exchange) -> None:
        with self._lock:
            self._entries.append(exchange)
            self._evict()

    def _finished(self, exchange: Exchange) -> None:
        """An HTTP exchange is complete: remember it as this task's last, then as completed."""
        _LAST.set((self, exchange))
        self._completed(exchange)

    def _completed(self, exchange: Exchange) -> None:
        size = _estimate(exchange)
        with self._lock:
            exchange._bytes = size
            # Evicted while in flight: it is no longer counted (and must not be).
            if self._entries and self._entries[0].id <= exchange.id:
                self._bytes += size
                self._evict()
            listeners = list(self._listeners)
        for listener in listeners:
            try:
                listener(exchange)
            except Exception:
                logger.exception("an exchange listener failed")

    def _evict(self) -> None:
        # Under the lock. The newest entry is never evicted for bytes: a body is at most a
        # quarter of the budget, so one exchange always fits.
        while len(self._entries) > self.max_entries or (
            self._bytes > self.max_bytes and len(self._entries) > 1
        ):
            old = self._entries.popleft()
            self._bytes -= old._bytes
            self.evicted += 1


def _estimate(exchange: Exchange) -> int:
    """Roughly what an exchange holds, for the byte budget."""
    size = 400 + len(exchange.url) + len(exchange.error or "") + len(exchange.wait_reason or "")
    for name, value in itertools.chain(exchange.request_headers, exchange.response_headers):
        size += 60 + len(name) + len(value)
    for body in (exchange.request_body, exchange.response_body):
        if body is not None:
            size += 100 + len(body.text or "") + len(body.note or "")
    return size
