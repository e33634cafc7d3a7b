"""The Kombo API client: one ``httpx.AsyncClient``, one error language, one retry policy.

Every failure becomes a :class:`~kombo_tui.core.errors.KomboError`. Uploads are not
idempotent, so they are retried automatically only when Kombo says the request was
rejected before any work (rate or concurrency limit, HTTP 429). After a timeout, a dropped
connection or a 5xx the outcome is unknown: :class:`TransportError` with ``sent=True`` or an
:class:`ApiError` with a 5xx status, and the caller verifies with
:meth:`KomboClient.get_application_attachments` before resending. Reads may retry on
5xx and network failures. The policy and its notices are in :mod:`.retry`; the guard every
answer passes, and how an answer becomes data or an error, in :mod:`.answers`.

Sending an upload needs no pydantic: the wire models (and pydantic with them) are imported by
the reads that parse them, so the command line's first byte goes out before pydantic loads.
Reading an integration loads them in a worker thread while Kombo answers.
"""

from __future__ import annotations

import asyncio
import functools
import ssl
import time
from collections.abc import AsyncIterator, Callable, Mapping, Sequence
from dataclasses import dataclass, field
from importlib import import_module
from types import ModuleType
from typing import TYPE_CHECKING, Any, TypeVar

import httpx

from .._version import __version__
from . import retry as _retry
from .answers import GuardedAnswers, LoopbackPinned, answer_json, parse_error, transport_error
from .config.file import Secret, SecretText
from .connectors import ACTION_ID
from .errors import ApiError, FileChangedError, TransportError
from .net import REGIONS, check_base_url, encode_path_segment
from .payload import PreparedUpload, ProgressCallback
from .retry import RetryNotice, RetryPolicy

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

__all__ = ["KomboClient", "UploadResult"]

M = TypeVar("M", bound="BaseModel")


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
                failure = self._scrub(transport_error(exc, sent=True, what=f"GET {path}"))
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
            await (self._sleep or _retry.backoff_sleep)(delay)

    def _may_retry(self, attempt: int, started: float, delay: float) -> bool:
        if attempt >= self.retry.max_attempts:
            return False
        return time.monotonic() - started + delay <= self.retry.max_total_seconds

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
        iid = integration_id or self.integration_id or ""
        path = f"integrations/{encode_path_segment(iid)}"
        models = _models_meanwhile()
        data = await self._get(path)
        details: IntegrationDetails = _validate((await models).IntegrationDetails, data, path)
        return details

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
            return None  # a send that reads only this loads no pydantic before its body is out
        # Already loading when the integration was read alongside (a bulk check).
        models = await _models_meanwhile()
        restrictions: AttachmentRestrictions = _validate(models.AttachmentRestrictions, raw, "attachment_restrictions")
        return restrictions

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
                raise self._scrub(transport_error(exc, sent=done[0], what=what)) from None
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
            await (self._sleep or _retry.backoff_sleep)(delay)


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


_wire_models: ModuleType | None = None
""":mod:`.models`, once a read loaded it (see :func:`_models_meanwhile`)."""


def _models_meanwhile() -> asyncio.Future[ModuleType]:
    """The wire models, for a read about to send its request.

    Loaded (with pydantic, about 0.1 s) in a worker thread on first use, so the first read's
    request leaves at once and the models load while Kombo answers, instead of before the
    request (a bulk check's pre-flight waits for the round trip, not for both).
    """
    loop = asyncio.get_running_loop()
    if _wire_models is not None:
        loaded = loop.create_future()
        loaded.set_result(_wire_models)
        return loaded
    return asyncio.ensure_future(asyncio.to_thread(_load_models))


def _load_models() -> ModuleType:
    global _wire_models
    _wire_models = import_module(".models", __package__)
    return _wire_models


def _validate(model: type[M], data: Any, where: str) -> M:
    from pydantic import ValidationError

    try:
        return model.model_validate(data)
    except ValidationError as exc:
        raise _mismatch(where, exc) from None
