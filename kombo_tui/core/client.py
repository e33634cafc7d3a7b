"""The Kombo API client: one ``httpx.AsyncClient``, one error language, one retry policy.

Every failure becomes a :class:`~kombo_tui.core.errors.KomboError`. Uploads are not
idempotent, so they are retried automatically only when Kombo says the request was
rejected before any work (rate or concurrency limit, HTTP 429). After a timeout, a dropped
connection or a 5xx the outcome is unknown: :class:`TransportError` with ``sent=True`` or an
:class:`ApiError` with a 5xx status, and the caller verifies with
:meth:`KomboClient.get_application_attachments` before resending. Reads may retry on
5xx and network failures.

Sending an upload needs no pydantic: the wire models (and pydantic with them) are imported by
the reads that parse them, so the command line's first byte goes out before pydantic loads.
"""

from __future__ import annotations

import asyncio
import email.utils
import functools
import json
import random
import ssl
import time
import zlib
from collections.abc import AsyncIterator, Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, TypeVar
from urllib.parse import urlsplit

import httpx

from .._version import __version__
from .config.file import Secret, SecretText
from .connectors import ACTION_ID
from .errors import ApiError, FileChangedError, TransportError
from .net import REGIONS, check_base_url, encode_path_segment
from .payload import PreparedUpload, ProgressCallback
from .text import one_line

if TYPE_CHECKING:
    from pydantic import BaseModel, ValidationError

    from .models import (
        Application,
        Attachment,
        AttachmentRestrictions,
        Candidate,
        IntegrationDetails,
        Job,
        Page,
        Tool,
    )
    from .wire.exchanges import ExchangeLog

__all__ = [
    "KomboClient",
    "LoopbackPinned",
    "RetryNotice",
    "RetryPolicy",
    "UploadResult",
    "answer_json",
    "encode_path_segment",
]

M = TypeVar("M", bound="BaseModel")


@dataclass(frozen=True)
class RetryPolicy:
    """Bounded exponential backoff with jitter; server hints win when present."""

    max_attempts: int = 5
    """Attempts in all, the first included."""
    max_total_seconds: float = 90.0
    """No retry is started if it would end beyond this many seconds from the first attempt."""
    base_delay: float = 1.0
    max_delay: float = 30.0
    jitter: float = 0.2
    """Up to this share of the delay is added at random."""

    def delay(self, attempt: int, hint: float | None) -> float:
        """Seconds to wait before attempt ``attempt + 1`` (``attempt`` starts at 1)."""
        if hint is not None and hint >= 0:
            base = min(hint, self.max_delay)
        else:
            base = min(self.base_delay * 2 ** (attempt - 1), self.max_delay)
        return base + random.uniform(0, base * self.jitter)


NO_RETRY = RetryPolicy(max_attempts=1)


async def backoff_sleep(seconds: float) -> None:
    """How a client waits before a retry, unless it was given its own ``sleep`` (looked up at
    each wait, so a test suite can make the waits instant where they are not the subject)."""
    await asyncio.sleep(seconds)


@dataclass(frozen=True)
class RetryNotice:
    """Told to ``on_retry`` before each automatic retry, so the user sees it."""

    attempt: int
    """The attempt that failed (1-based)."""
    max_attempts: int
    delay: float
    reason: str
    method: str
    path: str
    code: str | None = None
    """Kombo's error code when Kombo refused (``PLATFORM.RATE_LIMIT_EXCEEDED``, …): what callers
    decide on, never :attr:`reason`'s wording. None for a transport failure."""


@dataclass(frozen=True)
class UploadResult:
    """A successful upload."""

    warnings: list[str]
    """Kombo's interaction warnings (e.g. the file went to the candidate instead)."""
    attempts: int
    elapsed: float
    status_code: int = 200
    data: Any = None
    headers: Mapping[str, str] = field(default_factory=dict)


def _retry_hint(headers: httpx.Headers, *, window_reset: bool = True) -> float | None:
    """Seconds to wait as the server says: ``Retry-After``, else ``ratelimit-reset``.

    ``ratelimit-reset`` is about the rate-limit window; it says nothing about when a
    concurrency slot frees up, so it is ignored for concurrency-limit answers.
    """
    names = ("retry-after", "ratelimit-reset") if window_reset else ("retry-after",)
    for name in names:
        raw = headers.get(name)
        if raw is None:
            continue
        raw = raw.strip()
        try:
            return max(0.0, float(raw))
        except ValueError:
            pass
        try:
            when = email.utils.parsedate_to_datetime(raw)
        except (TypeError, ValueError):
            continue
        return max(0.0, when.timestamp() - time.time())
    return None


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
        hint = _retry_hint(response.headers, window_reset=code != "PLATFORM.CONCURRENCY_LIMIT_EXCEEDED")
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
    hint = _retry_hint(response.headers)
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


def _transport_error(exc: httpx.HTTPError, *, sent: bool, what: str) -> TransportError:
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


class KomboClient:
    """Async client for the endpoints kombo-tui needs.

    Args:
        api_key: the Kombo API key (kept as a :class:`~.config.Secret`; never logged).
        base_url: API base, e.g. ``https://api.kombo.dev/v1`` (EU, default).
        integration_id: default ``X-Integration-Id`` for ATS endpoints.
        transport: an httpx transport (tests mount the sandbox with ``httpx.ASGITransport``).
        timeout: seconds for reads.
        upload_timeout: seconds to wait for an upload's answer.
        retry: policy for automatic retries.
        on_retry: called before each retry so the user can see it.
        exchanges: records every request, answer and retry wait (None: nothing is recorded,
            at no cost).

    Use as ``async with KomboClient(...) as client:``.
    """

    def __init__(
        self,
        api_key: SecretText | str,
        *,
        base_url: str = REGIONS["eu"],
        integration_id: str | None = None,
        transport: httpx.AsyncBaseTransport | None = None,
        timeout: float = 30.0,
        upload_timeout: float = 300.0,
        retry: RetryPolicy | None = None,
        on_retry: Callable[[RetryNotice], None] | None = None,
        sleep: Callable[[float], Any] | None = None,
        exchanges: ExchangeLog | None = None,
    ) -> None:
        raw = api_key if isinstance(api_key, str) else api_key.get_secret_value()
        raw = raw.strip()
        if not raw or any(not (33 <= ord(ch) <= 126) for ch in raw):
            from .errors import InputError

            # Never echo the key: say only what is wrong with it.
            raise InputError.single(
                "api_key", "the API key is empty or contains spaces, control or non-ASCII characters"
            )
        self._key = Secret(raw)
        self.base_url = check_base_url(base_url) if transport is None else base_url.rstrip("/")
        self.integration_id = integration_id
        self.exchanges = exchanges
        self._transport = transport
        self.timeout = timeout
        self.upload_timeout = upload_timeout
        self.retry = retry or RetryPolicy()
        self.on_retry = on_retry
        self._sleep = sleep
        self._http: httpx.AsyncClient | None = None

    def __repr__(self) -> str:
        return f"KomboClient(base_url={self.base_url!r}, integration_id={self.integration_id!r})"

    # ------------------------------------------------------------------ lifecycle

    @property
    def http(self) -> httpx.AsyncClient:
        if self._http is None:
            transport = self._transport
            if transport is None and self.base_url.startswith("http://"):
                # Plain http is only ever allowed to loopback (check_base_url): no proxy should
                # see it, and TLS is never used there, so the CA bundle (~20 ms) is not loaded;
                # a context that trusts nothing keeps any stray TLS fail-closed.
                transport = httpx.AsyncHTTPTransport(verify=ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT))
            if self._transport is None:
                host = httpx.URL(self.base_url).host
                if host == "localhost" or host.endswith(".localhost"):
                    transport = LoopbackPinned(transport or httpx.AsyncHTTPTransport())
            transport = GuardedAnswers(transport or httpx.AsyncHTTPTransport(), self._key.get_secret_value())
            make: Callable[..., httpx.AsyncClient] = httpx.AsyncClient
            if self.exchanges is not None:
                from .wire.recording import RecordingClient

                make = functools.partial(RecordingClient, exchanges=self.exchanges)
            self._http = make(
                base_url=self.base_url + "/",
                transport=transport,
                timeout=httpx.Timeout(self.timeout),
                headers={
                    "Authorization": f"Bearer {self._key.get_secret_value()}",
                    "Accept": "application/json",
                    "User-Agent": f"kombo-tui/{__version__}",
                },
                follow_redirects=False,
            )
        return self._http

    async def aclose(self) -> None:
        if self._http is not None:
            await self._http.aclose()
            self._http = None

    async def __aenter__(self) -> KomboClient:
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.aclose()

    # ------------------------------------------------------------------ plumbing

    def _integration_header(self, integration_id: str | None) -> dict[str, str]:
        iid = integration_id or self.integration_id
        if not iid:
            from .errors import InputError

            raise InputError.single("integration", "no integration id given")
        return {"X-Integration-Id": iid}

    def _scrub(self, error: TransportError) -> TransportError:
        """Make sure no exception text carries the key (some transports quote header values)."""
        key = self._key.get_secret_value()
        # A very short "key" (tests, typos) would mangle ordinary words and protects nothing.
        if len(key) >= 8 and key in str(error):
            return TransportError(str(error).replace(key, "***"), sent=error.sent, kind=error.kind)
        return error

    def _notify(self, notice: RetryNotice) -> None:
        if self.exchanges is not None:
            self.exchanges.wait(
                notice.delay,
                notice.reason,
                method=notice.method,
                url=f"{self.base_url}/{notice.path}",
                attempt=notice.attempt,
            )
        if self.on_retry is not None:
            self.on_retry(notice)

    async def _get(
        self,
        path: str,
        *,
        params: Mapping[str, Any] | None = None,
        headers: Mapping[str, str] | None = None,
        raw: bool = False,
    ) -> Any:
        """GET with retries on limits, 5xx and network failures (not DNS, TLS or refused connects).

        Returns the envelope's ``data``, or with ``raw`` the successful response itself.
        """
        clean = {k: v for k, v in (params or {}).items() if v is not None}
        started = time.monotonic()
        attempt = 0
        while True:
            attempt += 1
            reason: str
            hint: float | None = None
            try:
                response = await self.http.get(path, params=clean, headers=headers)
            except httpx.HTTPError as exc:
                failure = self._scrub(_transport_error(exc, sent=True, what=f"GET {path}"))
                if failure.kind in _SETUP_FAILURES:
                    raise failure from None
                error: Exception = failure
                reason = str(error)
            else:
                if response.status_code == 200:
                    return response if raw else _success_data(response, f"GET {path}")
                error = parse_error(response)
                assert isinstance(error, ApiError)
                if not (error.is_limit or error.status >= 500 or error.code in _READ_RETRY_CODES):
                    raise error
                hint = error.retry_after
                reason = error.summary()
            delay = self.retry.delay(attempt, hint)
            if not self._may_retry(attempt, started, delay):
                raise error
            code = error.code if isinstance(error, ApiError) else None
            self._notify(RetryNotice(attempt, self.retry.max_attempts, delay, reason, "GET", path, code))
            await (self._sleep or backoff_sleep)(delay)

    def _may_retry(self, attempt: int, started: float, delay: float) -> bool:
        if attempt >= self.retry.max_attempts:
            return False
        return time.monotonic() - started + delay <= self.retry.max_total_seconds

    async def _get_model(self, model: type[M], path: str, **kwargs: Any) -> M:
        data = await self._get(path, **kwargs)
        return _validate(model, data, path)

    async def _get_page(self, model: type[M], path: str, **kwargs: Any) -> Page[M]:
        from pydantic import ValidationError

        from .models import PageEnvelope

        response = await self._get(path, raw=True, **kwargs)
        try:
            envelope = PageEnvelope[model].model_validate_json(response.content)  # type: ignore[valid-type]
        except ValidationError as exc:
            raise _mismatch(f"GET {path}", exc) from None
        page: Page[M] = envelope.data
        return page

    # ------------------------------------------------------------------ general endpoints

    async def check_api_key(self) -> dict[str, Any]:
        """``GET /check-api-key`` → ``{"environment_id": ...}``."""
        data = await self._get("check-api-key")
        return data if isinstance(data, dict) else {}

    async def get_integration(self, integration_id: str | None = None) -> IntegrationDetails:
        """``GET /integrations/{id}``: tool, status, setup status, write actions."""
        from .models import IntegrationDetails

        iid = integration_id or self.integration_id or ""
        return await self._get_model(IntegrationDetails, f"integrations/{encode_path_segment(iid)}")

    async def get_tools(self, category: str = "ats") -> list[Tool]:
        """``GET /tools/{category}``: tools enabled in this environment, with coverage."""
        from .models import Tool

        data = await self._get(f"tools/{encode_path_segment(category)}")
        tools = data.get("tools", []) if isinstance(data, dict) else []
        return [_validate(Tool, t, "tools") for t in tools]

    # ------------------------------------------------------------------ ATS reads

    async def list_applications(
        self,
        *,
        integration_id: str | None = None,
        cursor: str | None = None,
        page_size: int = 250,
        ids: Sequence[str] | None = None,
        job_ids: Sequence[str] | None = None,
        outcomes: Sequence[str] | None = None,
        updated_after: str | None = None,
        include_deleted: bool | None = None,
    ) -> Page[Application]:
        """One page of ``GET /ats/applications`` (page_size 1–250)."""
        from .models import Application

        params = {
            "cursor": cursor,
            "page_size": page_size,
            "ids": _csv(ids),
            "job_ids": _csv(job_ids),
            "outcomes": _csv(outcomes),
            "updated_after": updated_after,
            "include_deleted": None if include_deleted is None else str(include_deleted).lower(),
        }
        return await self._get_page(
            Application,
            "ats/applications",
            params=params,
            headers=self._integration_header(integration_id),
        )

    async def iter_applications(self, **kwargs: Any) -> AsyncIterator[Page[Application]]:
        """Every page of applications, following ``next`` cursors (filters kept)."""
        cursor: str | None = kwargs.pop("cursor", None)
        while True:
            page = await self.list_applications(cursor=cursor, **kwargs)
            yield page
            if not page.next:
                return
            cursor = page.next

    async def list_candidates(
        self,
        *,
        integration_id: str | None = None,
        email: str | None = None,
        first_name: str | None = None,
        last_name: str | None = None,
        cursor: str | None = None,
        page_size: int = 100,
    ) -> Page[Candidate]:
        """``GET /ats/candidates`` with their applications (email is case-insensitive)."""
        from .models import Candidate

        params = {
            "email": email,
            "first_name": first_name,
            "last_name": last_name,
            "cursor": cursor,
            "page_size": page_size,
        }
        return await self._get_page(
            Candidate, "ats/candidates", params=params, headers=self._integration_header(integration_id)
        )

    async def list_jobs(
        self,
        *,
        integration_id: str | None = None,
        name_contains: str | None = None,
        cursor: str | None = None,
        page_size: int = 100,
    ) -> Page[Job]:
        """``GET /ats/jobs``."""
        from .models import Job

        params = {"name_contains": name_contains, "cursor": cursor, "page_size": page_size}
        return await self._get_page(
            Job, "ats/jobs", params=params, headers=self._integration_header(integration_id)
        )

    async def get_attachment_restrictions(
        self, integration_id: str | None = None
    ) -> AttachmentRestrictions | None:
        """Per-type size and MIME limits (``GET /ats/actions/ats_add_application_attachment``).

        None when Kombo does not know them.
        """
        data = await self._get(f"ats/actions/{ACTION_ID}", headers=self._integration_header(integration_id))
        raw = data.get("attachment_restrictions") if isinstance(data, dict) else None
        if raw is None:
            return None
        from .models import AttachmentRestrictions  # only when there is something to validate

        return _validate(AttachmentRestrictions, raw, "attachment_restrictions")

    async def get_application_attachments(
        self, application_id: str, *, integration_id: str | None = None
    ) -> list[Attachment]:
        """``GET /ats/applications/{id}/attachments``: what the ATS has now."""
        from .models import Attachment

        path = f"ats/applications/{encode_path_segment(application_id)}/attachments"
        data = await self._get(path, headers=self._integration_header(integration_id))
        results = data.get("results", []) if isinstance(data, dict) else []
        return [_validate(Attachment, r, path) for r in results]

    async def get_candidate_attachments(
        self, candidate_id: str, *, integration_id: str | None = None
    ) -> list[Attachment]:
        """``GET /ats/candidates/{id}/attachments``: the candidate's files and those of all
        their applications."""
        from .models import Attachment

        path = f"ats/candidates/{encode_path_segment(candidate_id)}/attachments"
        data = await self._get(path, headers=self._integration_header(integration_id))
        results = data.get("results", []) if isinstance(data, dict) else []
        return [_validate(Attachment, r, path) for r in results]

    async def get_upload_target_attachments(self, upload: PreparedUpload) -> list[Attachment]:
        """What is on the upload's application (or candidate) now."""
        if upload.candidate_id:
            return await self.get_candidate_attachments(upload.candidate_id, integration_id=upload.integration_id)
        return await self.get_application_attachments(upload.application_id, integration_id=upload.integration_id)

    # ------------------------------------------------------------------ the upload

    async def add_attachment(
        self,
        upload: PreparedUpload,
        *,
        progress: ProgressCallback | None = None,
        on_retry: Callable[[RetryNotice], None] | None = None,
    ) -> UploadResult:
        """Upload to the endpoint the upload names: its application, or its candidate."""
        return await self._post_upload(upload.endpoint_path(), upload, progress, on_retry)

    async def add_application_attachment(
        self,
        upload: PreparedUpload,
        *,
        progress: ProgressCallback | None = None,
        on_retry: Callable[[RetryNotice], None] | None = None,
    ) -> UploadResult:
        """``POST /ats/applications/{id}/attachments`` with a streamed body.

        Retries only rate/concurrency limits. Raises :class:`ApiError` for Kombo's errors,
        :class:`TransportError` (``sent`` says if the outcome is unknown) for the network,
        :class:`FileChangedError` if the file changed since it was chosen.
        """
        path = f"ats/applications/{encode_path_segment(upload.application_id)}/attachments"
        return await self._post_upload(path, upload, progress, on_retry)

    async def add_candidate_attachment(
        self,
        candidate_id: str,
        upload: PreparedUpload,
        *,
        progress: ProgressCallback | None = None,
        on_retry: Callable[[RetryNotice], None] | None = None,
    ) -> UploadResult:
        """``POST /ats/candidates/{id}/attachments`` (Kombo recommends the application one)."""
        path = f"ats/candidates/{encode_path_segment(candidate_id)}/attachments"
        return await self._post_upload(path, upload, progress, on_retry)

    async def _post_upload(
        self,
        path: str,
        upload: PreparedUpload,
        progress: ProgressCallback | None,
        on_retry: Callable[[RetryNotice], None] | None,
    ) -> UploadResult:
        headers = {
            **self._integration_header(upload.integration_id),
            "Content-Type": "application/json",
            "Content-Length": str(upload.content_length),
        }
        started = time.monotonic()
        attempt = 0
        what = f"POST {path}"
        while True:
            attempt += 1
            done = [False]
            changed: list[FileChangedError] = []

            def track(sent: int, total: int, _done: list[bool] = done) -> None:
                if sent >= total:
                    _done[0] = True
                if progress is not None:
                    progress(sent, total)

            async def body(_changed: list[FileChangedError] = changed) -> AsyncIterator[bytes]:
                # Whatever the transport makes of an exception in the body (an in-process
                # app may turn it into a 500), a changed file is reported as such.
                try:
                    async for chunk in upload.aiter_body(track):
                        yield chunk
                except FileChangedError as exc:
                    _changed.append(exc)
                    raise

            request = self.http.build_request(
                "POST",
                path,
                headers=headers,
                content=body(),
                timeout=httpx.Timeout(self.timeout, read=self.upload_timeout),
                extensions=None if self.exchanges is None else self.exchanges.upload_extensions(upload),
            )
            try:
                response = await self.http.send(request)
            except FileChangedError:
                raise
            except httpx.HTTPError as exc:
                if changed:
                    raise changed[0] from None
                raise self._scrub(_transport_error(exc, sent=done[0], what=what)) from None
            except Exception:
                if changed:
                    raise changed[0] from None
                raise
            if changed:
                await response.aclose()
                raise changed[0]
            if response.status_code == 200:
                try:
                    data = _success_data(response, what)
                except ApiError:
                    raise TransportError(
                        f"{what}: HTTP 200 but the answer is not Kombo's success envelope; "
                        "the file may have been stored",
                        sent=True,
                        kind="protocol",
                    ) from None
                warnings = _warnings(response)
                return UploadResult(
                    warnings=warnings,
                    attempts=attempt,
                    elapsed=time.monotonic() - started,
                    data=data,
                    headers=dict(response.headers),
                )
            error = parse_error(response)
            delay = self.retry.delay(attempt, error.retry_after)
            if not error.is_limit or not self._may_retry(attempt, started, delay):
                raise error
            notice = RetryNotice(attempt, self.retry.max_attempts, delay, error.summary(), "POST", path, error.code)
            self._notify(notice)
            if on_retry is not None:
                on_retry(notice)
            await (self._sleep or backoff_sleep)(delay)


# A wrong host, a refused port or a bad certificate is not fixed by waiting: reads fail at once
# with the reason instead of spending ~15 s on backoff first.
_SETUP_FAILURES = frozenset({"dns", "tls", "connect"})

# Reads only: Kombo says these are safe to retry.
_READ_RETRY_CODES = frozenset({"REMOTE.RATE_LIMIT_EXCEEDED", "REMOTE.SERVICE_UNAVAILABLE"})


def _csv(values: Sequence[str] | None) -> str | None:
    return ",".join(values) if values else None


def _success_data(response: httpx.Response, what: str) -> Any:
    try:
        payload = answer_json(response.content)
    except (ValueError, UnicodeDecodeError):
        raise ApiError(
            status=response.status_code, code=None, title=None, message=f"{what}: answer is not JSON"
        ) from None
    if not isinstance(payload, dict) or payload.get("status") != "success":
        raise ApiError(
            status=response.status_code, code=None, title=None, message=f"{what}: not a success envelope"
        )
    return payload.get("data")


def _warnings(response: httpx.Response) -> list[str]:
    payload = answer_json(response.content)
    out: list[str] = []
    for item in payload.get("warnings") or []:
        if isinstance(item, dict) and isinstance(item.get("message"), str):
            out.append(item["message"])
        elif isinstance(item, str):
            out.append(item)
    return out


def _mismatch(where: str, exc: ValidationError) -> ApiError:
    """A 200 whose body does not have the shape the API documents."""
    first = exc.errors()[0]
    loc = ".".join(str(p) for p in first["loc"])
    return ApiError(
        status=200,
        code=None,
        title="Unexpected answer",
        message=f"{where}: the answer does not match the API ({loc}: {first['msg']})",
    )


def _validate(model: type[M], data: Any, where: str) -> M:
    from pydantic import ValidationError

    try:
        return model.model_validate(data)
    except ValidationError as exc:
        raise _mismatch(where, exc) from None
