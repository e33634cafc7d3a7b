"""How an exchange gets recorded: an ``httpx.AsyncClient`` whose ``send`` notes what passes.

:class:`RecordingClient` is the ``httpx.AsyncClient`` a
:class:`~kombo_tui.core.client.KomboClient` given a log sends through (the log itself knows
nothing of it: this module stands above :mod:`kombo_tui.core.wire.exchanges`). Its :meth:`~RecordingClient.send`
starts an :class:`~kombo_tui.core.wire.exchanges.Exchange` from the request (headers masked, the
body described, never copied), hands httpcore a ``trace`` callback that stamps each phase,
then fills in the answer — or the failure — and its timings. Exceptions pass through
unchanged, so the client behaves exactly as with a plain ``httpx.AsyncClient``.

The record types and the bounded log live in :mod:`kombo_tui.core.wire.exchanges`; this module is
the part that touches httpx and httpcore.
"""

from __future__ import annotations

import json
import time
from typing import TYPE_CHECKING, Any

import httpx

from .exchanges import _SCOPE, MASK, UPLOAD_EXTENSION, Body, Exchange, ExchangeLog, Timings, redact_header

if TYPE_CHECKING:
    from httpx._client import UseClientDefault
    from httpx._types import AuthTypes

    from ..payload import PreparedUpload

__all__ = ["Recording", "RecordingClient", "begin"]


def begin(log: ExchangeLog, request: httpx.Request, upload: PreparedUpload | None) -> Recording:
    """Start recording ``request`` in ``log`` (it is listed at once, complete=False)."""
    started = time.perf_counter()
    headers = _header_pairs(request.headers)
    secret = _secret_of(request.headers)
    exchange = Exchange(
        id=log._new_id(),
        kind="http",
        started=log._now(started),
        method=request.method,
        url=str(request.url),
        request_headers=[(k, redact_header(k, v)) for k, v in headers],
        request_body=_request_body(request, upload, log.body_limit, secret),
        scope=_SCOPE.get(),
        upload=upload,
    )
    log._append(exchange)
    return Recording(log, exchange, started, secret)


class Recording:
    """One request in flight: collects trace marks, then fills in its :class:`Exchange`."""

    __slots__ = ("exchange", "log", "marks", "secret", "started")

    def __init__(self, log: ExchangeLog, exchange: Exchange, started: float, secret: str | None) -> None:
        self.log = log
        self.exchange = exchange
        self.started = started
        self.secret = secret
        self.marks: dict[str, float] = {}

    async def trace(self, name: str, info: dict[str, Any]) -> None:
        """httpcore's ``trace`` extension: note when each phase started and ended."""
        # "connection.connect_tcp.started" -> "connect_tcp.started"; "http11.send_request_body.complete" ...
        event = name.partition(".")[2]
        if event.endswith(".started"):
            self.marks.setdefault(event, time.perf_counter())
        else:
            self.marks[event] = time.perf_counter()

    def answered(self, response: httpx.Response) -> float:
        """The answer's headers arrived."""
        now = time.perf_counter()
        exchange = self.exchange
        exchange.status = response.status_code
        exchange.reason = response.reason_phrase
        exchange.http_version = response.http_version
        exchange.response_headers = [(k, redact_header(k, v)) for k, v in _header_pairs(response.headers)]
        stream = response.extensions.get("network_stream")
        if stream is not None:
            address = stream.get_extra_info("server_addr")
            if isinstance(address, tuple) and len(address) >= 2:
                exchange.server_address = str(address[0])
        return now

    def finished(self, response: httpx.Response, headers_at: float, *, streamed: bool) -> None:
        """The answer was read (or handed over unread, ``streamed``)."""
        end = time.perf_counter()
        mime = response.headers.get("content-type", "")
        if streamed:
            length = response.headers.get("content-length")
            size = int(length) if length and length.isdigit() else -1
            body = Body(size=size, mime=mime, note="streamed to the caller, not kept")
        else:
            body = _bounded(response.content, mime, self.log.body_limit, self.secret)
        self.exchange.response_body = body
        self._close(end, headers_at)

    def failed(self, exc: BaseException, headers_at: float | None = None) -> None:
        """No (complete) answer: the transport failed, a body broke off, or the task was cancelled.

        ``status`` stays (or becomes) None; headers that did arrive are kept.
        """
        end = time.perf_counter()
        name, detail = type(exc).__name__, str(exc)
        text = f"{name}: {detail}" if detail else name
        if self.secret and self.secret in text:
            text = text.replace(self.secret, MASK)
        exchange = self.exchange
        if exchange.status is None:
            exchange.error = f"no response: {text}"
        else:
            # Headers without their body are no answer: the client cannot tell what happened
            # (a stored upload whose confirmation was lost). What did arrive stays visible.
            seen = f"HTTP {exchange.status} {exchange.reason}".rstrip()
            exchange.error = f"no response: the answer broke off after its headers ({seen}): {text}"
            exchange.status = None
        self._close(end, headers_at)

    def _close(self, end: float, headers_at: float | None) -> None:
        exchange = self.exchange
        marks = self.marks
        exchange.timings = _phases(self.started, marks, headers_at, end)
        exchange.duration = end - self.started
        if "send_request_body.complete" in marks:
            exchange.body_sent = True
        elif marks:
            exchange.body_sent = False
        exchange.complete = True
        self.log._finished(exchange)


class RecordingClient(httpx.AsyncClient):
    """An ``httpx.AsyncClient`` that records each request it sends in an :class:`ExchangeLog`.

    Built with the log to record in (``exchanges=``). Everything else is httpx's: the override
    of :meth:`send` adds the ``trace`` extension, notes the answer (or the failure) and lets
    exceptions through unchanged.
    """

    def __init__(self, *, exchanges: ExchangeLog, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.exchanges = exchanges

    async def send(
        self,
        request: httpx.Request,
        *,
        stream: bool = False,
        auth: AuthTypes | UseClientDefault | None = httpx.USE_CLIENT_DEFAULT,
        follow_redirects: bool | UseClientDefault = httpx.USE_CLIENT_DEFAULT,
    ) -> httpx.Response:
        """Send as httpx does, recording the exchange."""
        upload = request.extensions.pop(UPLOAD_EXTENSION, None)
        recording = begin(self.exchanges, request, upload)
        request.extensions = {**request.extensions, "trace": recording.trace}
        try:
            response = await super().send(request, stream=True, auth=auth, follow_redirects=follow_redirects)
        except BaseException as exc:
            recording.failed(exc)
            raise
        headers_at = recording.answered(response)
        if stream:
            recording.finished(response, headers_at, streamed=True)
            return response
        try:
            await response.aread()
        except BaseException as exc:
            await response.aclose()
            recording.failed(exc, headers_at)
            raise
        recording.finished(response, headers_at, streamed=False)
        return response


# --------------------------------------------------------------------------- helpers


def _header_pairs(headers: httpx.Headers) -> list[tuple[str, str]]:
    encoding = headers.encoding
    return [(k.decode(encoding), v.decode(encoding)) for k, v in headers.raw]


def _secret_of(headers: httpx.Headers) -> str | None:
    """The bearer token, to scrub it from texts (too short a token would mangle words)."""
    value = headers.get("authorization")
    if not value:
        return None
    token = value.partition(" ")[2].strip() or value.strip()
    return token if len(token) >= 8 else None


def _bounded(data: bytes, mime: str, limit: int, secret: str | None) -> Body:
    size = len(data)
    if size > limit:
        return Body(size=size, mime=mime, note=f"{size:,} bytes, not kept")
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError:
        return Body(size=size, mime=mime, note=f"{size:,} bytes of binary data, not kept")
    if secret and secret in text:
        text = text.replace(secret, MASK)
    return Body(size=size, mime=mime, text=text)


def _request_body(
    request: httpx.Request, upload: PreparedUpload | None, limit: int, secret: str | None
) -> Body | None:
    mime = request.headers.get("content-type", "")
    if upload is not None:
        # Described from what the payload layer knows: the stream itself is never touched.
        text = json.dumps(upload.preview(), ensure_ascii=False, separators=(",", ":"))
        note = None
        if upload.file is not None and upload.fingerprint is not None:
            note = "data elided: " + upload.elided_data().strip("<>")
        return Body(size=upload.content_length, mime=mime, text=text, note=note, elided=note is not None)
    length = request.headers.get("content-length")
    if isinstance(request.stream, httpx.ByteStream):
        content = request.content
        return _bounded(content, mime, limit, secret) if content else None
    if length is None or length == "0":
        return None
    size = int(length) if length.isdigit() else -1
    return Body(size=size, mime=mime, note="streamed body, not kept")


def _ms(start: float | None, end: float | None) -> float | None:
    if start is None or end is None:
        return None
    return max(0.0, (end - start) * 1000.0)


def _phases(started: float, marks: dict[str, float], headers_at: float | None, end: float) -> Timings:
    """Phases from httpcore's trace marks; a phase that failed ends at its failure."""

    def first(*names: str) -> float | None:
        for name in names:
            if name in marks:
                return marks[name]
        return None

    if not marks:
        # No trace (an in-process transport): only the answer's side is known.
        return Timings(wait=_ms(started, headers_at or end), receive=_ms(headers_at, end if headers_at else None))
    connect_at = marks.get("connect_tcp.started")
    request_at = marks.get("send_request_headers.started")
    sent_at = first(
        "send_request_body.complete",
        "send_request_body.failed",
        "send_request_headers.complete",
        "send_request_headers.failed",
    )
    answered_at = marks.get("receive_response_headers.complete") or headers_at
    return Timings(
        blocked=_ms(started, connect_at or request_at or end),
        connect=_ms(
            connect_at, first("start_tls.complete", "start_tls.failed", "connect_tcp.complete", "connect_tcp.failed")
        ),
        ssl=_ms(marks.get("start_tls.started"), first("start_tls.complete", "start_tls.failed")),
        send=_ms(request_at, sent_at),
        wait=_ms(sent_at, answered_at or marks.get("receive_response_headers.failed")),
        receive=_ms(answered_at, end if answered_at else None),
        traced=True,
    )


