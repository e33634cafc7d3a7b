"""How every answer from Kombo is guarded and turned into data or an error.

Before anything else sees an answer, :class:`GuardedAnswers` reads it whole within a size and
a time limit (decompressing here, so a gzip bomb is cut off) and masks the API key wherever the
server echoed it; :class:`LoopbackPinned` makes ``localhost`` names really reach loopback. Then
:func:`answer_json` parses a body within a depth limit, :func:`parse_error` turns any non-2xx
answer into an :class:`~kombo_tui.core.errors.ApiError` whatever its body, and
:func:`transport_error` names a network failure as a
:class:`~kombo_tui.core.errors.TransportError` (``sent`` says if the outcome is unknown).
"""

from __future__ import annotations

import asyncio
import json
import zlib
from typing import Any
from urllib.parse import urlsplit

import httpx

from .errors import ApiError, TransportError
from .retry import retry_hint
from .text import one_line

__all__ = [
    "MAX_ANSWER_BYTES",
    "MAX_ANSWER_DEPTH",
    "GuardedAnswers",
    "LoopbackPinned",
    "answer_json",
    "parse_error",
    "transport_error",
]


MAX_ANSWER_DEPTH = 200
"""The deepest JSON answer parsed: Kombo's models nest a few levels (remote data a few more)."""


def answer_json(body: bytes) -> Any:
    """A server's JSON answer, refused (``ValueError``) when nested deeper than :data:`MAX_ANSWER_DEPTH`.

    ``json.loads`` recurses once per level: a hostile answer of 100,000 ``[`` would end in a
    ``RecursionError`` instead of an error the caller can report.
    """
    from .jsonload import json_depth

    if body.count(b"[") + body.count(b"{") > MAX_ANSWER_DEPTH:
        depth = json_depth(body.decode("utf-8", "replace"))
        if depth > MAX_ANSWER_DEPTH:
            raise ValueError(f"the answer nests {depth} levels deep (limit {MAX_ANSWER_DEPTH})")
    return json.loads(body)


def parse_error(response: httpx.Response) -> ApiError:
    """Turn any non-2xx response into an :class:`ApiError`, whatever its body."""
    body = response.content
    try:
        payload = answer_json(body) if body else None
    except (ValueError, UnicodeDecodeError):
        payload = None
    if isinstance(payload, dict) and isinstance(payload.get("error"), dict):
        err = payload["error"]
        code = err.get("code")
        hint = retry_hint(response.headers, window_reset=code != "PLATFORM.CONCURRENCY_LIMIT_EXCEEDED")
        title = err.get("title")
        message = err.get("message")
        log_url = err.get("log_url")
        return ApiError(
            status=response.status_code,
            code=code if isinstance(code, str) else None,
            title=title if isinstance(title, str) else None,
            message=message if isinstance(message, str) else "",
            log_url=log_url if isinstance(log_url, str) else None,
            retry_after=hint,
        )
    hint = retry_hint(response.headers)
    ctype = response.headers.get("content-type", "").split(";")[0].strip() or "no content type"
    if 300 <= response.status_code < 400:
        message = (f"HTTP {response.status_code}: a redirect to {_redirect_host(response.headers.get('location'))}, "
                   "not followed (the key and the file go only where you chose)")
    elif not body:
        message = f"HTTP {response.status_code} with an empty body"
    elif payload is None:
        message = f"HTTP {response.status_code} with a non-JSON body ({ctype}, {len(body):,} bytes)"
    else:
        message = f"HTTP {response.status_code} with JSON that is not Kombo's error envelope"
    return ApiError(
        status=response.status_code,
        code=None,
        title=response.reason_phrase or None,
        message=message,
        log_url=None,
        retry_after=hint,
    )


def _redirect_host(location: str | None) -> str:
    """The host a redirect points at, as inert text (never followed, so only named)."""
    try:
        host = urlsplit(location or "").hostname
    except ValueError:
        host = None
    return one_line(host) if host else "an address it did not say"


def transport_error(exc: httpx.HTTPError, *, sent: bool, what: str) -> TransportError:
    text = str(exc) or type(exc).__name__
    lower = text.lower()
    if isinstance(exc, httpx.ConnectTimeout):
        return TransportError(f"{what}: timed out connecting ({text})", sent=False, kind="timeout")
    if isinstance(exc, httpx.ConnectError):
        if any(s in lower for s in ("name or service", "nodename", "getaddrinfo", "name resolution", "no address")):
            return TransportError(f"{what}: DNS lookup failed ({text})", sent=False, kind="dns")
        if any(s in lower for s in ("ssl", "certificate", "tls")):
            return TransportError(f"{what}: TLS handshake failed ({text})", sent=False, kind="tls")
        return TransportError(f"{what}: could not connect ({text})", sent=False, kind="connect")
    if isinstance(exc, httpx.PoolTimeout):
        return TransportError(f"{what}: no free connection ({text})", sent=False, kind="timeout")
    if isinstance(exc, httpx.TimeoutException):
        return TransportError(f"{what}: timed out ({type(exc).__name__})", sent=sent, kind="timeout")
    if isinstance(exc, httpx.RemoteProtocolError):
        return TransportError(f"{what}: the connection broke ({text})", sent=sent, kind="protocol")
    return TransportError(f"{what}: {text}", sent=sent, kind="network")


class LoopbackPinned(httpx.AsyncBaseTransport):
    """Connect to 127.0.0.1 for ``localhost`` and ``*.localhost`` names, never asking DNS.

    Such names count as loopback (plain http is allowed to them), so they must really reach
    loopback: a resolver (or a hostile DNS server) could map ``demo.localhost`` anywhere, and
    the key would travel there in clear. Each request keeps its ``Host`` header (and TLS
    server name), only the address it connects to is pinned.
    """

    def __init__(self, inner: httpx.AsyncBaseTransport) -> None:
        self._inner = inner

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        host = request.url.host
        if host == "localhost" or host.endswith(".localhost"):
            request.extensions = {**request.extensions, "sni_hostname": host}
            request.url = request.url.copy_with(host="127.0.0.1")
        return await self._inner.handle_async_request(request)

    async def aclose(self) -> None:
        await self._inner.aclose()


MAX_ANSWER_BYTES = 16 * 1024 * 1024
"""The most bytes of one answer read (after decompression): Kombo's answers are a few kB, a page
of applications well under a MB; anything larger is a broken or hostile server."""

_SECRET_MASK = "••••".encode()


class GuardedAnswers(httpx.AsyncBaseTransport):
    """Every answer, before anything else sees it: bounded, decompressed here, the key scrubbed.

    The one boundary where a server's bytes enter the core. An answer is read whole, within
    :data:`MAX_ANSWER_BYTES` (a gzip bomb is cut off as it inflates, never inflated in full) and
    within the request's read timeout *in all* (a server that drips one byte at a time cannot
    hold a send for ever); then the API key, wherever the server echoed it (a header, a warning,
    an error message, a ``log_url``, a redirect), is replaced by a mask, so no output, record or
    export made from an answer can carry it. Past a limit the answer is a read error: the caller
    reports the outcome as unknown (the request did go out).
    """

    def __init__(self, inner: httpx.AsyncBaseTransport, secret: str, *, max_bytes: int = MAX_ANSWER_BYTES) -> None:
        self._inner = inner
        # A very short "key" (tests, typos) would mangle ordinary text and protects nothing.
        self._secret = secret.encode() if len(secret) >= 8 else None
        self._max = max_bytes

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        response = await self._inner.handle_async_request(request)
        timeout = request.extensions.get("timeout", {}).get("read")
        try:
            if timeout is None:
                content = await self._read(response, request)
            else:
                content = await asyncio.wait_for(self._read(response, request), timeout)
        except asyncio.TimeoutError:
            raise httpx.ReadTimeout(
                f"HTTP {response.status_code} headers came, then the answer took longer than {timeout:g} s to "
                "arrive in full", request=request
            ) from None
        except httpx.RequestError as exc:  # say that the headers came: the server did answer, in part
            raise type(exc)(f"HTTP {response.status_code} headers came, then: {exc}", request=request) from None
        finally:
            await response.aclose()
        headers = [
            (name, value)
            for name, value in (response.headers.raw if isinstance(response.headers, httpx.Headers) else response.headers)
            if name.lower() not in (b"content-encoding", b"content-length", b"transfer-encoding")
        ]
        if self._secret is not None:
            headers = [(name, value.replace(self._secret, _SECRET_MASK)) for name, value in headers]
            content = content.replace(self._secret, _SECRET_MASK)
        return httpx.Response(
            response.status_code, headers=headers, content=content, extensions=response.extensions, request=request
        )

    async def _read(self, response: httpx.Response, request: httpx.Request) -> bytes:
        try:
            content = response.content  # read (and decoded) already: an in-process app, a mock
        except httpx.ResponseNotRead:
            pass
        else:
            if len(content) > self._max:
                raise httpx.ReadError(f"the answer is larger than {self._max // (1024 * 1024)} MB", request=request)
            return content
        encoding = response.headers.get("content-encoding", "identity").strip().lower()
        if encoding in ("gzip", "x-gzip", "deflate"):
            wbits = 16 + zlib.MAX_WBITS if "gzip" in encoding else zlib.MAX_WBITS
            decoder: Any = zlib.decompressobj(wbits)
        elif encoding in ("", "identity"):
            decoder = None
        else:
            raise httpx.DecodingError(f"the answer is encoded as {encoding!r}, which is not read", request=request)
        parts: list[bytes] = []
        size = 0
        async for chunk in response.aiter_raw():
            if decoder is not None:
                try:
                    chunk = decoder.decompress(chunk, self._max - size + 1)
                except zlib.error as exc:
                    raise httpx.DecodingError(f"the answer's {encoding} data is broken ({exc})", request=request) from None
            size += len(chunk)
            if size > self._max or (decoder is not None and decoder.unconsumed_tail):
                raise httpx.ReadError(
                    f"the answer is larger than {self._max // (1024 * 1024)} MB (not read further)", request=request
                )
            parts.append(chunk)
        return b"".join(parts)

    async def aclose(self) -> None:
        await self._inner.aclose()
