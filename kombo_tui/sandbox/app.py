"""The sandbox's ASGI app: a Kombo-compatible API under ``/v1`` backed by the demo data.

Build it with :func:`create_app`; serve it with :mod:`kombo_tui.sandbox.server` (uvicorn on
loopback) or mount it in-process with ``httpx.ASGITransport``. What was uploaded is kept in
``app.state.sandbox`` (a :class:`Sandbox`) so tests can look.

Request pipeline (every ``/v1`` request, in this order):

1. latency (read endpoints sleep here; action endpoints sleep while holding their slot);
2. ``Authorization: Bearer <key>`` → 401 ``PLATFORM.AUTHENTICATION_INVALID``;
3. rate limit per key → 429 ``PLATFORM.RATE_LIMIT_EXCEEDED`` (``ratelimit-reset``, ``Retry-After``);
4. injected 5xx (``error_rate``), before any work is done;
5. ATS endpoints: ``X-Integration-Id`` → 400 ``PLATFORM.INPUT_INVALID`` when missing, 404
   ``PLATFORM.INTEGRATION_NOT_FOUND`` when unknown, 409 ``INTEGRATION.SETUP_INCOMPLETE``;
6. action endpoints (attachment uploads and reads): a concurrency slot per integration → 429
   ``PLATFORM.CONCURRENCY_LIMIT_EXCEEDED`` (no ``Retry-After``: back off, as Kombo says);
7. the endpoint itself.

Every response carries ``ratelimit-limit`` / ``ratelimit-remaining`` / ``ratelimit-reset``;
action endpoints add ``Concurrency-Limit`` / ``Concurrency-Remaining``.

Routing works on the *raw* (still percent-encoded) path, so an application id containing
``/``, ``?``, ``#`` or ``..`` arrives intact when the client encodes it, and is visibly
mangled when it does not.
"""

from __future__ import annotations

import asyncio
import dataclasses
import hashlib
import ipaddress
import json
import logging
import random
import threading
import time
from collections import deque
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import unquote

import httpx
from starlette.applications import Starlette
from starlette.requests import ClientDisconnect, Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route
from starlette.types import Receive, Scope, Send

from kombo_tui.core.connectors import ACTION_ID

from . import wire
from .data import (
    DEFAULT_SEED,
    INTEGRATIONS,
    SANDBOX_API_KEY,
    Application,
    Candidate,
    Dataset,
    SandboxIntegration,
    attachment_restrictions,
    dataset,
    get_integration,
)
from .limits import ConcurrencyGate, ErrorInjector, RateLimiter
from .store import AttachmentStore, StoredAttachment
from .validation import (
    CONTENT_TYPE_PATTERN,
    InputProblems,
    Query,
    UploadRequest,
    base64_stats,
    decode_body,
    parse_upload_body,
)

__all__ = [
    "DroppedConnection",
    "Interaction",
    "Sandbox",
    "SandboxConfig",
    "create_app",
]

LOG_URL_BASE = "https://app.kombo.dev/sandbox/logs?interactionId="

_log = logging.getLogger("kombo_tui.sandbox")

_MB = 1024 * 1024


@dataclass(frozen=True)
class SandboxConfig:
    """How the sandbox behaves, including the ways it can be told to misbehave."""

    api_key: str = SANDBOX_API_KEY
    """The only bearer token accepted."""
    latency: float = 0.0
    """Seconds to wait before answering. Uploads wait while holding their concurrency slot."""
    rate_limit: int | None = None
    """Requests per ``rate_window`` per key; None: unlimited (headers report a nominal 10,000)."""
    rate_window: float = 60.0
    """Length of the rate-limit window in seconds."""
    concurrency_limit: int = 30
    """Action requests (attachment uploads and reads) in flight per integration."""
    error_rate: float = 0.0
    """Share of requests answered with a 5xx (0..1, deterministic, cycling 500/502/503)."""
    drop_after_store: bool = False
    """Store each upload, then drop the connection before the response is complete."""
    fetch_timeout: float = 10.0
    """Timeout in seconds for downloading ``attachment.data_url``."""
    fetch_max_bytes: int = 50 * _MB
    """Largest file fetched from a ``data_url``."""
    seed: int = DEFAULT_SEED
    """Seed of the demo data (and of upload ids)."""
    max_body_bytes: int = 100 * _MB
    """Largest request body accepted (413 ``PLATFORM.INPUT_INVALID`` above it)."""
    environment_id: str = "sandbox"
    """What ``GET /check-api-key`` reports."""
    fetch_remote: bool = False
    """Download ``data_url`` from any host; by default only loopback URLs are fetched, so
    the sandbox never reaches beyond this machine unless asked to."""
    fetch_transport: httpx.AsyncBaseTransport | None = field(
        default=None, repr=False, compare=False
    )
    """Transport used to fetch ``data_url`` (tests inject one; None: the network)."""

    def __post_init__(self) -> None:
        problems = []
        if self.latency < 0:
            problems.append("latency must be >= 0")
        if self.rate_limit is not None and self.rate_limit < 1:
            problems.append("rate_limit must be >= 1 or None")
        if self.rate_window <= 0:
            problems.append("rate_window must be > 0")
        if self.concurrency_limit < 1:
            problems.append("concurrency_limit must be >= 1")
        if not 0 <= self.error_rate <= 1:
            problems.append("error_rate must be between 0 and 1")
        if self.fetch_timeout <= 0:
            problems.append("fetch_timeout must be > 0")
        if self.fetch_max_bytes < 1 or self.max_body_bytes < 1:
            problems.append("fetch_max_bytes and max_body_bytes must be >= 1")
        if not self.api_key.strip():
            problems.append("api_key must not be blank")
        if problems:
            raise ValueError("; ".join(problems))


@dataclass(frozen=True)
class Interaction:
    """One request as the sandbox's "dashboard log" keeps it."""

    id: str
    method: str
    path: str
    integration_id: str | None
    status: int
    code: str | None


class Sandbox:
    """The sandbox's state: configuration, uploaded files, limits and a log of interactions.

    Reachable as ``app.state.sandbox``. Safe to read from another thread than the server's.
    """

    def __init__(self, config: SandboxConfig) -> None:
        self.store = AttachmentStore()
        self.interactions: deque[Interaction] = deque(maxlen=2000)
        self._lock = threading.Lock()
        self._id_rng = random.Random(f"kombo-tui-sandbox/{config.seed}/uploads")
        self._interaction_counter = 0
        self.config = config
        self.rate_limiter = RateLimiter(config.rate_limit, config.rate_window)
        self.concurrency = ConcurrencyGate(config.concurrency_limit)
        self.errors = ErrorInjector(config.error_rate)

    # ------------------------------------------------------------------ configuration

    def configure(self, **changes: Any) -> SandboxConfig:
        """Change settings while running (e.g. ``configure(error_rate=0.5)``); limits restart."""
        self.config = dataclasses.replace(self.config, **changes)
        self.rate_limiter = RateLimiter(self.config.rate_limit, self.config.rate_window)
        self.concurrency = ConcurrencyGate(self.config.concurrency_limit)
        self.errors = ErrorInjector(self.config.error_rate)
        return self.config

    def reset(self) -> None:
        """Forget uploads, interactions and limit counters (the demo data stays)."""
        self.store.clear()
        with self._lock:
            self.interactions.clear()
        self.rate_limiter.reset()
        self.errors = ErrorInjector(self.config.error_rate)

    # ------------------------------------------------------------------ data and uploads

    def dataset(self, integration_id: str) -> Dataset:
        """The demo data of an integration (for this sandbox's seed)."""
        return dataset(integration_id, self.config.seed)

    def attachments(self, integration_id: str, application_id: str) -> list[StoredAttachment]:
        """Files uploaded to the sandbox that show on this application (seeded CVs excluded).

        That is the application's own uploads plus those added to its candidate.
        """
        application = self.dataset(integration_id).applications_by_id.get(application_id)
        if application is None:
            return []
        return self.store.on_application(integration_id, application_id, application.candidate.id)

    def candidate_attachments(
        self, integration_id: str, candidate_id: str
    ) -> list[StoredAttachment]:
        """Files uploaded to the sandbox for this candidate (on them or any application)."""
        return self.store.on_candidate(integration_id, candidate_id)

    def upload_count(self) -> int:
        """How many upload requests stored a file."""
        return self.store.upload_count()

    def record(self, interaction: Interaction) -> None:
        """Add a request to the log (the last 2,000 are kept)."""
        with self._lock:
            self.interactions.append(interaction)

    def recent_interactions(self) -> list[Interaction]:
        """A copy of the log, oldest first (safe while the server is running)."""
        with self._lock:
            return list(self.interactions)

    def new_id(self) -> str:
        """A fresh Kombo-style id (24 base58 characters)."""
        alphabet = "123456789ABCDEFGHJKLMNPQRSTUVWXYZabcdefghijkmnopqrstuvwxyz"
        with self._lock:
            return "".join(self._id_rng.choices(alphabet, k=24))

    def new_interaction_id(self) -> str:
        with self._lock:
            self._interaction_counter += 1
            number = self._interaction_counter
        digest = hashlib.sha256(f"{self.config.seed}/{number}".encode()).hexdigest()
        return f"sbx{digest[:21]}"


# --------------------------------------------------------------------------- errors


_TITLES = {
    "PLATFORM.INPUT_INVALID": "The input is invalid.",
    "PLATFORM.AUTHENTICATION_INVALID": "The API key is invalid.",
    "PLATFORM.INTEGRATION_NOT_FOUND": "The integration could not be found.",
    "PLATFORM.RATE_LIMIT_EXCEEDED": "You have exceeded the rate limit.",
    "PLATFORM.CONCURRENCY_LIMIT_EXCEEDED": "Too many concurrent action requests.",
    "PLATFORM.UNKNOWN_ERROR": "An unknown error occurred.",
    "INTEGRATION.INACTIVE": "The integration is inactive.",
    "INTEGRATION.PERMISSION_MISSING": "A required permission is missing.",
    "INTEGRATION.SETUP_INCOMPLETE": "The integration's setup is not complete.",
    "REMOTE.INPUT_INVALID": "The remote system rejected the input.",
}


class ApiFailure(Exception):
    """Raised by endpoint code; turned into Kombo's error envelope by the dispatcher."""

    def __init__(
        self,
        status: int,
        code: str,
        message: str,
        headers: dict[str, str] | None = None,
        *,
        log: bool = True,
    ) -> None:
        super().__init__(message)
        self.status = status
        self.code = code
        self.message = message
        self.headers = headers or {}
        self.log = log


def _input_invalid(problems: InputProblems, status: int = 400) -> ApiFailure:
    return ApiFailure(status, "PLATFORM.INPUT_INVALID", str(problems))


class _BodyStreamFailed(Exception):
    """Reading the request body failed on the client's side; carries the original error."""

    def __init__(self, original: Exception) -> None:
        super().__init__(str(original))
        self.original = original


class DroppedConnection(Exception):
    """Raised after a stored upload's response was started, to drop the connection.

    Under uvicorn the client sees the connection close before the body it was promised
    (``httpx.RemoteProtocolError`` while reading the response). In-process,
    ``httpx.ASGITransport`` re-raises this very exception from the request; with
    ``raise_app_exceptions=False`` it instead returns the 200 it was started with, carrying
    only the first half of the JSON body (so parsing it fails).
    """


class _DroppingResponse(Response):
    """Announces a full JSON body, sends a piece of it, then fails."""

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        await send(
            {
                "type": "http.response.start",
                "status": self.status_code,
                "headers": self.raw_headers,
            }
        )
        await send(
            {
                "type": "http.response.body",
                "body": self.body[: len(self.body) // 2],
                "more_body": True,
            }
        )
        raise DroppedConnection("sandbox: upload stored, connection dropped (drop_after_store)")


# --------------------------------------------------------------------------- routing


Handler = Callable[["_Context"], Awaitable[Response]]


@dataclass(frozen=True)
class _Route:
    pattern: tuple[str, ...]
    """Path segments after ``v1``; ``{name}`` captures one segment."""
    methods: dict[str, str]
    """HTTP method → name of the _Api method."""
    ats: bool = False
    """Needs ``X-Integration-Id``."""
    action: bool = False
    """Counts against the per-integration concurrency limit."""
    general_errors: bool = False
    """Errors use the general error codes (PLATFORM.* only)."""


_ROUTES: tuple[_Route, ...] = (
    _Route(("check-api-key",), {"GET": "check_api_key"}, general_errors=True),
    _Route(
        ("integrations", "{integration_id}"), {"GET": "integration_details"}, general_errors=True
    ),
    _Route(("tools", "{category}"), {"GET": "tools"}, general_errors=True),
    _Route(("ats", "applications"), {"GET": "list_applications"}, ats=True),
    _Route(
        ("ats", "applications", "{application_id}", "attachments"),
        {"GET": "get_application_attachments", "POST": "add_application_attachment"},
        ats=True,
        action=True,
    ),
    _Route(("ats", "candidates"), {"GET": "list_candidates"}, ats=True),
    _Route(
        ("ats", "candidates", "{candidate_id}", "attachments"),
        {"GET": "get_candidate_attachments", "POST": "add_candidate_attachment"},
        ats=True,
        action=True,
    ),
    _Route(("ats", "jobs"), {"GET": "list_jobs"}, ats=True),
    _Route(("ats", "actions", ACTION_ID), {"GET": "application_action_meta"}, ats=True),
    _Route(
        ("ats", "actions", wire.CANDIDATE_ACTION_ID), {"GET": "candidate_action_meta"}, ats=True
    ),
)


def _match(segments: list[str]) -> tuple[_Route, dict[str, str]] | None:
    for route in _ROUTES:
        if len(route.pattern) != len(segments):
            continue
        params: dict[str, str] = {}
        for want, got in zip(route.pattern, segments, strict=True):
            if want.startswith("{"):
                params[want[1:-1]] = got
            elif want != got:
                break
        else:
            return route, params
    return None


@dataclass
class _Context:
    request: Request
    route: _Route
    params: dict[str, str]
    interaction_id: str
    integration: SandboxIntegration | None = None
    body_consumed: bool = False

    @property
    def query(self) -> Query:
        multi: dict[str, list[str]] = {}
        for key, value in self.request.query_params.multi_items():
            multi.setdefault(key, []).append(value)
        return Query(multi)


def _success(
    data: Any, warnings: list[str] | None = None, *, with_warnings: bool = True
) -> JSONResponse:
    body: dict[str, Any] = {"status": "success", "data": data}
    if with_warnings:
        body["warnings"] = [{"message": message} for message in (warnings or [])]
    return JSONResponse(body)


# --------------------------------------------------------------------------- the API


class _Api:
    """Endpoint implementations and the request pipeline around them."""

    def __init__(self, sandbox: Sandbox) -> None:
        self.sandbox = sandbox

    @property
    def config(self) -> SandboxConfig:
        return self.sandbox.config

    # ------------------------------------------------------------------ pipeline

    async def handle(self, request: Request) -> Response:
        """Entry point for every request (Starlette calls it with the request)."""
        raw_path = request.scope.get("raw_path") or request.scope["path"].encode()
        path = raw_path.decode("latin-1").split("?", 1)[0]
        segments = [unquote(s) for s in path.split("/")[1:]]
        if not segments or segments[0] != "v1":
            return self._index(request)
        interaction_id = self.sandbox.new_interaction_id()
        matched = _match(segments[1:])
        if matched is None:
            failure = ApiFailure(
                404, "PLATFORM.INPUT_INVALID", f"No endpoint {request.method} {path}"
            )
            return await self._finish(request, None, failure, interaction_id, None)
        route, params = matched
        if request.method not in route.methods and not (
            request.method == "HEAD" and "GET" in route.methods
        ):
            failure = ApiFailure(
                405,
                "PLATFORM.INPUT_INVALID",
                f"Method {request.method} is not allowed on {path} "
                f"(allowed: {', '.join(sorted(route.methods))})",
                {"Allow": ", ".join(sorted(route.methods))},
            )
            return await self._finish(request, None, failure, interaction_id, None)
        context = _Context(request, route, params, interaction_id)
        try:
            response = await self._pipeline(context)
        except ApiFailure as failure:
            return await self._finish(request, context, failure, interaction_id, None)
        except _BodyStreamFailed as failed:
            original = failed.original
            if isinstance(original, ClientDisconnect):
                # The client hung up mid-body (a cancelled or aborted upload): nothing was
                # stored and nobody is listening for an answer.
                _log.info("sandbox: %s %s: the client left before its body ended; nothing stored", request.method, path)
                return Response(status_code=400)
            # In-process, the client's own exception while producing the body: not ours to
            # answer; let it propagate (without the wrapper, whose cause would loop back).
            failed.__cause__ = failed.__context__ = None
            raise original from None
        except Exception:  # a sandbox bug: answer like Kombo would, and say so in the log
            _log.exception("sandbox: unexpected error in %s %s", request.method, path)
            bug = ApiFailure(
                500,
                "PLATFORM.UNKNOWN_ERROR",
                "The sandbox failed unexpectedly while handling this request (a bug in kombo-tui's sandbox).",
            )
            return await self._finish(request, context, bug, interaction_id, None)
        return await self._finish(request, context, None, interaction_id, response)

    async def _pipeline(self, ctx: _Context) -> Response:
        config = self.config
        route = ctx.route
        request = ctx.request
        if config.latency and not route.action:
            await asyncio.sleep(config.latency)

        key = self._authenticate(request)
        decision = self.sandbox.rate_limiter.hit(key)
        request.state.rate = decision
        if not decision.allowed:
            raise ApiFailure(
                429,
                "PLATFORM.RATE_LIMIT_EXCEEDED",
                f"Rate limit of {decision.limit} requests per {config.rate_window:g} seconds "
                f"exceeded. Try again in {decision.reset} seconds.",
                {"Retry-After": str(decision.reset)},
            )

        injected = self.sandbox.errors.next()
        if injected is not None:
            raise _Injected(injected)

        if route.ats:
            ctx.integration = self._integration_from_header(request)
            if ctx.integration.setup_status == "INCOMPLETE":
                raise ApiFailure(
                    409,
                    "INTEGRATION.SETUP_INCOMPLETE",
                    f"The setup of integration {ctx.integration.id} is not complete yet: no data "
                    "is available and no actions can be performed. Ask the customer to finish "
                    "connecting it.",
                )

        method_name = route.methods["GET" if request.method == "HEAD" else request.method]
        handler: Handler = getattr(self, method_name)
        if not route.action:
            return await handler(ctx)

        assert ctx.integration is not None
        gate = self.sandbox.concurrency
        integration_id = ctx.integration.id
        remaining = gate.try_acquire(integration_id)
        if remaining is None:
            raise ApiFailure(
                429,
                "PLATFORM.CONCURRENCY_LIMIT_EXCEEDED",
                f"More than {gate.limit} action requests are in flight for integration "
                f"{integration_id}. Retry with exponential backoff.",
                self._concurrency_headers(gate.limit, 0),
            )
        try:
            if config.latency:
                await asyncio.sleep(config.latency)
            response = await handler(ctx)
        except ApiFailure as failure:
            failure.headers.update(self._concurrency_headers(gate.limit, remaining))
            raise
        finally:
            gate.release(integration_id)
        response.headers.update(self._concurrency_headers(gate.limit, remaining))
        return response

    @staticmethod
    def _concurrency_headers(limit: int, remaining: int) -> dict[str, str]:
        return {"Concurrency-Limit": str(limit), "Concurrency-Remaining": str(remaining)}

    async def _finish(
        self,
        request: Request,
        ctx: _Context | None,
        failure: ApiFailure | None,
        interaction_id: str,
        response: Response | None,
    ) -> Response:
        if failure is not None:
            response = self._error_response(failure, interaction_id, ctx)
            if request.method == "POST" and not (ctx and ctx.body_consumed):
                await self._drain(request)
        assert response is not None
        decision = getattr(request.state, "rate", None) or self.sandbox.rate_limiter.peek(
            _key_of(request) or "-"
        )
        response.headers.update(decision.headers())
        if ctx is not None and ctx.route.action and "concurrency-limit" not in response.headers:
            gate = self.sandbox.concurrency
            key = ctx.integration.id if ctx.integration else ""
            response.headers.update(self._concurrency_headers(gate.limit, gate.remaining(key)))
        self.sandbox.record(
            Interaction(
                id=interaction_id,
                method=request.method,
                path=request.url.path,
                integration_id=ctx.integration.id if ctx and ctx.integration else None,
                status=response.status_code,
                code=failure.code if failure else None,
            )
        )
        return response

    async def _drain(self, request: Request) -> None:
        """Read (and forget) an unread request body so the client gets our answer, not a reset."""
        budget = self.config.max_body_bytes * 2
        try:
            async for chunk in request.stream():
                budget -= len(chunk)
                if budget < 0:
                    break
        except Exception:  # noqa: BLE001 - the client went away; nothing to drain
            pass

    def _error_response(
        self, failure: ApiFailure, interaction_id: str, ctx: _Context | None
    ) -> Response:
        if isinstance(failure, _Injected):
            return failure.response(interaction_id)
        log_url = LOG_URL_BASE + interaction_id if failure.log else None
        body = {
            "status": "error",
            "error": {
                "code": failure.code,
                "title": _TITLES.get(failure.code),
                "message": failure.message,
                "log_url": log_url,
            },
        }
        return JSONResponse(body, status_code=failure.status, headers=failure.headers)

    def _authenticate(self, request: Request) -> str:
        key = _key_of(request)
        if key is None:
            header = request.headers.get("authorization")
            if header is None:
                message = "No API key given: send the header Authorization: Bearer <API key>."
            else:
                message = "Malformed Authorization header: expected 'Bearer <API key>'."
            raise ApiFailure(401, "PLATFORM.AUTHENTICATION_INVALID", message, log=False)
        if key != self.config.api_key:
            raise ApiFailure(
                401,
                "PLATFORM.AUTHENTICATION_INVALID",
                "The API key is not valid for this sandbox (the sandbox key is printed by "
                "`kombo-tui sandbox`).",
                log=False,
            )
        return key

    def _integration_from_header(self, request: Request) -> SandboxIntegration:
        value = request.headers.get("x-integration-id")
        if value is None or not value.strip():
            raise ApiFailure(
                400,
                "PLATFORM.INPUT_INVALID",
                "X-Integration-Id: header is required for this endpoint "
                "(ID of the integration you want to interact with).",
            )
        integration = get_integration(value.strip())
        if integration is None:
            raise ApiFailure(
                404,
                "PLATFORM.INTEGRATION_NOT_FOUND",
                f"No integration with ID {value.strip()!r} exists in this environment.",
            )
        return integration

    def _index(self, request: Request) -> Response:
        """Plain-text help at ``/``; anything else outside ``/v1`` is a plain 404."""
        if request.url.path not in ("/", ""):
            return Response(
                "Not Found: the API lives under /v1\n", status_code=404, media_type="text/plain"
            )
        lines = [
            "kombo-tui sandbox: a Kombo-compatible API for demos and tests.",
            f"Base URL: {request.base_url}v1",
            "Integrations (X-Integration-Id):",
            *(f"  {i.id}  ({i.demonstrates})" for i in INTEGRATIONS),
        ]
        return Response("\n".join(lines) + "\n", media_type="text/plain")

    # ------------------------------------------------------------------ general endpoints

    async def check_api_key(self, ctx: _Context) -> Response:
        env = self.config.environment_id
        return _success({"environment_id": env, "customer_id": env}, with_warnings=False)

    async def integration_details(self, ctx: _Context) -> Response:
        integration_id = ctx.params["integration_id"]
        integration = get_integration(integration_id)
        if integration is None:
            raise ApiFailure(
                404,
                "PLATFORM.INTEGRATION_NOT_FOUND",
                f"No integration with ID {integration_id!r} exists in this environment.",
            )
        return _success(wire.integration_json(integration), with_warnings=False)

    async def tools(self, ctx: _Context) -> Response:
        category = ctx.params["category"]
        if category not in ("hris", "ats", "assessment", "lms"):
            raise ApiFailure(
                400,
                "PLATFORM.INPUT_INVALID",
                f"category: must be one of hris, ats, assessment, lms (got {category!r})",
            )
        tools = (
            [wire.tool_json(tool_id, label) for tool_id, label in wire.TOOL_LABELS.items()]
            if category == "ats"
            else []
        )
        return _success({"tools": tools}, with_warnings=False)

    # ------------------------------------------------------------------ model endpoints

    def _page(
        self, ctx: _Context, kind: str, items: list[Any], page_size: int
    ) -> tuple[list[Any], str | None]:
        assert ctx.integration is not None
        offset = _decode_cursor(ctx.query.text("cursor"), kind, ctx.integration.id)
        page = items[offset : offset + page_size]
        end = offset + len(page)
        next_cursor = _encode_cursor(kind, ctx.integration.id, end) if end < len(items) else None
        return page, next_cursor

    async def list_applications(self, ctx: _Context) -> Response:
        assert ctx.integration is not None
        try:
            query = ctx.query
            page_size = query.page_size()
            include_deleted = query.boolean("include_deleted")
            query.boolean("ignore_unsupported_filters")
            updated_after = query.date_time("updated_after")
            created_after = query.date_time("remote_created_after")
            ids = query.csv("ids")
            remote_ids = query.csv("remote_ids")
            outcomes = query.csv("outcomes", ("PENDING", "HIRED", "DECLINED"))
            outcome = query.csv("outcome", ("PENDING", "HIRED", "DECLINED"))
            job_ids = query.csv("job_ids")
            job_remote_ids = query.csv("job_remote_ids")
            stage_ids = query.csv("current_stage_ids")
            cursor_check = query.text("cursor")
            _decode_cursor(cursor_check, "applications", ctx.integration.id)
        except InputProblems as problems:
            raise _input_invalid(problems) from None

        data = self.sandbox.dataset(ctx.integration.id)
        items: list[Application] = data.applications if include_deleted else data.live_applications
        filters: list[Callable[[Application], bool]] = []
        if ids is not None:
            wanted = set(ids)
            filters.append(lambda a: a.id in wanted)
        if remote_ids is not None:
            wanted_remote = set(remote_ids)
            filters.append(lambda a: a.remote_id in wanted_remote)
        for values in (outcomes, outcome):
            if values is not None:
                wanted_outcomes = set(values)
                filters.append(lambda a, w=wanted_outcomes: a.outcome in w)  # type: ignore[misc]
        if job_ids is not None:
            wanted_jobs = set(job_ids)
            filters.append(lambda a: a.job.id in wanted_jobs)
        if job_remote_ids is not None:
            wanted_job_remote = set(job_remote_ids)
            filters.append(lambda a: a.job.remote_id in wanted_job_remote)
        if stage_ids is not None:
            wanted_stages = set(stage_ids)
            filters.append(lambda a: a.stage.id in wanted_stages)
        if updated_after is not None:
            filters.append(lambda a: a.updated + 90 > updated_after)
        if created_after is not None:
            filters.append(lambda a: a.created > created_after)
        if filters:
            items = [a for a in items if all(f(a) for f in filters)]
        page, next_cursor = self._page(ctx, "applications", items, page_size)
        body = wire.page_bytes(next_cursor, (wire.application_bytes(a, data) for a in page))
        if next_cursor is not None:
            # While the client reads this page, encode the next one (each item once, cached).
            offset = _decode_cursor(next_cursor, "applications", ctx.integration.id)
            wire.encode_ahead(items[offset : offset + page_size], data)
        return Response(body, media_type="application/json")

    async def list_candidates(self, ctx: _Context) -> Response:
        assert ctx.integration is not None
        try:
            query = ctx.query
            page_size = query.page_size()
            include_deleted = query.boolean("include_deleted")
            query.boolean("ignore_unsupported_filters")
            updated_after = query.date_time("updated_after")
            ids = query.csv("ids")
            remote_ids = query.csv("remote_ids")
            job_ids = query.csv("job_ids")
            email = query.text("email")
            first_name = query.text("first_name")
            last_name = query.text("last_name")
            _decode_cursor(query.text("cursor"), "candidates", ctx.integration.id)
        except InputProblems as problems:
            raise _input_invalid(problems) from None

        data = self.sandbox.dataset(ctx.integration.id)
        items: list[Candidate] = data.candidates
        if not include_deleted:
            items = [c for c in items if c.deleted is None]
        if ids is not None:
            wanted = set(ids)
            items = [c for c in items if c.id in wanted]
        if remote_ids is not None:
            wanted = set(remote_ids)
            items = [c for c in items if c.remote_id in wanted]
        if email is not None:
            folded = email.strip().casefold()
            items = [c for c in items if c.email.casefold() == folded]
        if first_name is not None:
            folded = first_name.strip().casefold()
            items = [c for c in items if c.first_name.casefold() == folded]
        if last_name is not None:
            folded = last_name.strip().casefold()
            items = [c for c in items if c.last_name.casefold() == folded]
        if job_ids is not None:
            wanted = set(job_ids)
            items = [c for c in items if any(a.job.id in wanted for a in c.applications)]
        if updated_after is not None:
            items = [c for c in items if c.updated + 90 > updated_after]
        page, next_cursor = self._page(ctx, "candidates", items, page_size)
        body = wire.page_bytes(
            next_cursor, (wire.candidate_bytes(c, data, include_deleted) for c in page)
        )
        return Response(body, media_type="application/json")

    async def list_jobs(self, ctx: _Context) -> Response:
        assert ctx.integration is not None
        try:
            query = ctx.query
            page_size = query.page_size()
            query.boolean("include_deleted")
            query.boolean("ignore_unsupported_filters")
            updated_after = query.date_time("updated_after")
            created_after = query.date_time("remote_created_after")
            ids = query.csv("ids")
            remote_ids = query.csv("remote_ids")
            job_codes = query.csv("job_codes")
            post_url = query.text("post_url")
            statuses = query.csv("statuses", ("OPEN", "CLOSED", "DRAFT", "ARCHIVED"))
            status = query.csv("status", ("OPEN", "CLOSED", "DRAFT", "ARCHIVED"))
            employment_types = query.csv(
                "employment_types", ("FULL_TIME", "PART_TIME", "CONTRACT", "SEASONAL", "INTERNSHIP")
            )
            visibilities = query.csv(
                "visibilities", ("PUBLIC", "INTERNAL", "UNLISTED", "CONFIDENTIAL")
            )
            name_contains = query.text("name_contains")
            _decode_cursor(query.text("cursor"), "jobs", ctx.integration.id)
        except InputProblems as problems:
            raise _input_invalid(problems) from None

        data = self.sandbox.dataset(ctx.integration.id)
        rendered = [wire.job_json(job, data) for job in data.jobs]
        items = []
        for job, doc in zip(data.jobs, rendered, strict=True):
            if ids is not None and job.id not in ids:
                continue
            if remote_ids is not None and job.remote_id not in remote_ids:
                continue
            if job_codes is not None and job.job_code not in job_codes:
                continue
            if post_url is not None and doc["post_url"] != post_url:
                continue
            if statuses is not None and job.status not in statuses:
                continue
            if status is not None and job.status not in status:
                continue
            if employment_types is not None and job.employment_type not in employment_types:
                continue
            if visibilities is not None and doc["visibility"] not in visibilities:
                continue
            if name_contains is not None and name_contains.casefold() not in job.name.casefold():
                continue
            if updated_after is not None and job.updated + 90 <= updated_after:
                continue
            if created_after is not None and job.created <= created_after:
                continue
            items.append(doc)
        page, next_cursor = self._page(ctx, "jobs", items, page_size)
        return _success({"next": next_cursor, "results": page}, with_warnings=False)

    # ------------------------------------------------------------------ action metadata

    async def application_action_meta(self, ctx: _Context) -> Response:
        assert ctx.integration is not None
        return _success(
            {"attachment_restrictions": wire.restrictions_json(ctx.integration)},
            with_warnings=False,
        )

    async def candidate_action_meta(self, ctx: _Context) -> Response:
        return await self.application_action_meta(ctx)

    # ------------------------------------------------------------------ attachment reads

    def _application(self, ctx: _Context) -> Application:
        assert ctx.integration is not None
        application_id = ctx.params["application_id"]
        data = self.sandbox.dataset(ctx.integration.id)
        application = data.applications_by_id.get(application_id)
        if application is None:
            raise ApiFailure(
                404,
                "PLATFORM.INPUT_INVALID",
                f"application_id: no application with ID {application_id!r} in integration "
                f"{ctx.integration.id} (use the Kombo id from GET /ats/applications, not the remote id).",
            )
        if application.deleted is not None:
            raise ApiFailure(
                404,
                "PLATFORM.INPUT_INVALID",
                f"application_id: application {application_id!r} was deleted in "
                f"{ctx.integration.tool_label}.",
            )
        return application

    def _candidate(self, ctx: _Context) -> Candidate:
        assert ctx.integration is not None
        candidate_id = ctx.params["candidate_id"]
        candidate = self.sandbox.dataset(ctx.integration.id).candidates_by_id.get(candidate_id)
        if candidate is None:
            raise ApiFailure(
                404,
                "PLATFORM.INPUT_INVALID",
                f"candidate_id: no candidate with ID {candidate_id!r} in integration "
                f"{ctx.integration.id}.",
            )
        return candidate

    def _check_active(self, integration: SandboxIntegration) -> None:
        if integration.status != "ACTIVE":
            raise ApiFailure(
                403,
                "INTEGRATION.INACTIVE",
                f"Integration {integration.id} is {integration.status.lower()}: actions are not "
                "performed. Re-enable it in the Kombo dashboard.",
            )

    async def get_application_attachments(self, ctx: _Context) -> Response:
        assert ctx.integration is not None
        integration = ctx.integration
        self._check_active(integration)
        application = self._application(ctx)
        warnings = []
        if integration.supports_application_attachments:
            results = (
                [wire.existing_cv_json(application, integration)]
                if application.has_existing_cv
                else []
            )
        else:
            results = [
                wire.existing_cv_json(a, integration)
                for a in application.candidate.applications
                if a.has_existing_cv
            ]
            warnings.append(
                f"{integration.tool_label} stores attachments on the candidate: these are the "
                "attachments of the application's candidate."
            )
        stored = self.sandbox.store.on_application(
            integration.id, application.id, application.candidate.id
        )
        if not integration.supports_application_attachments:
            stored = self.sandbox.store.on_candidate(integration.id, application.candidate.id)
        results.extend(item.to_json() for item in stored)
        return _success({"results": results}, warnings)

    async def get_candidate_attachments(self, ctx: _Context) -> Response:
        assert ctx.integration is not None
        integration = ctx.integration
        self._check_active(integration)
        candidate = self._candidate(ctx)
        results = [
            wire.existing_cv_json(a, integration, candidate_view=True)
            for a in candidate.applications
            if a.has_existing_cv
        ]
        results.extend(
            item.to_json(candidate_view=True)
            for item in self.sandbox.store.on_candidate(integration.id, candidate.id)
        )
        return _success({"results": results}, [])

    # ------------------------------------------------------------------ uploads

    async def add_application_attachment(self, ctx: _Context) -> Response:
        return await self._upload(ctx, to_candidate=False)

    async def add_candidate_attachment(self, ctx: _Context) -> Response:
        return await self._upload(ctx, to_candidate=True)

    async def _read_body(self, ctx: _Context) -> bytearray:
        request = ctx.request
        limit = self.config.max_body_bytes
        declared = request.headers.get("content-length")
        too_big = ApiFailure(
            413,
            "PLATFORM.INPUT_INVALID",
            f"body: the request body is larger than the sandbox's limit of {limit:,} bytes.",
        )
        if declared is not None and declared.isdigit() and int(declared) > limit:
            # Do not read (and discard) a body this large just to refuse it.
            ctx.body_consumed = True
            raise too_big
        media_type = request.headers.get("content-type", "").split(";", 1)[0].strip().lower()
        if media_type != "application/json":
            raise ApiFailure(
                400,
                "PLATFORM.INPUT_INVALID",
                f"body: expected Content-Type application/json (got {media_type or 'none'!r}).",
            )
        buffer = bytearray()
        ctx.body_consumed = True
        try:
            async for chunk in request.stream():
                buffer += chunk
                if len(buffer) > limit:
                    ctx.body_consumed = False
                    raise too_big
        except ApiFailure:
            raise
        except Exception as exc:
            raise _BodyStreamFailed(exc) from exc
        return buffer  # not bytes(buffer): that would copy the whole body once more

    async def _upload(self, ctx: _Context, *, to_candidate: bool) -> Response:
        assert ctx.integration is not None
        integration = ctx.integration
        self._check_active(integration)
        if not integration.has_attachment_permission:
            raise ApiFailure(
                403,
                "INTEGRATION.PERMISSION_MISSING",
                f"The scope config of integration {integration.id} does not enable the "
                "permission 'Add attachments'. Enable it in the Kombo dashboard.",
            )
        try:
            # Decode straight from the read buffer so the raw bytes are freed before parsing:
            # at most two body-sized copies are alive at any time (buffer + text, then
            # text + the parsed base64 string).
            text = decode_body(await self._read_body(ctx))
            upload = parse_upload_body(text, allow_oracle=not to_candidate)
        except InputProblems as problems:
            raise _input_invalid(problems) from None
        del text

        if to_candidate:
            candidate = self._candidate(ctx)
            application: Application | None = None
        else:
            application = self._application(ctx)
            candidate = application.candidate

        limits = attachment_restrictions(integration)
        type_limits = limits.get(upload.type) if limits is not None else None
        tool = integration.tool_label
        if type_limits is not None and not type_limits.is_supported:
            raise ApiFailure(
                400,
                "REMOTE.INPUT_INVALID",
                f"attachment.type: {tool} does not accept attachments of type {upload.type}.",
            )

        size, sha256, content_type, source = await self._file_facts(upload)
        if size == 0:
            field_name = "attachment.data" if source == "data" else "attachment.data_url"
            raise ApiFailure(
                400, "PLATFORM.INPUT_INVALID", f"{field_name}: the file is empty (0 bytes)."
            )
        if type_limits is not None and type_limits.accepted_mime_types is not None:
            if content_type.lower() not in type_limits.accepted_mime_types:
                raise ApiFailure(
                    400,
                    "REMOTE.INPUT_INVALID",
                    f"attachment.content_type: {tool} does not accept {content_type!r} files "
                    f"for {upload.type}. Accepted: {', '.join(type_limits.accepted_mime_types)}.",
                )
        if type_limits is not None and type_limits.max_file_size_bytes is not None:
            if size > type_limits.max_file_size_bytes:
                raise ApiFailure(
                    400,
                    "REMOTE.INPUT_INVALID",
                    f"attachment: the file is {size:,} bytes; {tool} accepts at most "
                    f"{type_limits.max_file_size_bytes:,} bytes "
                    f"({type_limits.max_file_size_bytes / _MB:g} MB) for {upload.type}.",
                )

        warnings: list[str] = []
        applied = self._remote_fields(integration, upload, warnings, to_candidate=to_candidate)

        # Where the file lands.
        targets: list[Application | None]
        if to_candidate:
            targets = [None]
        elif not integration.supports_application_attachments:
            targets = [None]
            warnings.insert(
                0,
                f"Adding attachments to applications is not supported for {tool}; the "
                "attachment was added to the candidate instead.",
            )
        elif upload.oracle_multi_post:
            assert application is not None
            others = [a for a in candidate.applications if a.is_current and a is not application]
            targets = [application, *others]
            warnings.append(
                f"Oracle: multi_post_to_all_current_applications posted the file to "
                f"{len(targets)} application(s) of the candidate."
            )
        else:
            targets = [application]

        upload_id = self.sandbox.store.next_upload_id()
        created_at = _now_iso()
        stored = [
            StoredAttachment(
                id=self.sandbox.new_id(),
                remote_id=f"sbx-{upload_id}-{n}",
                integration_id=integration.id,
                candidate_id=candidate.id,
                application_id=target.id if target is not None else None,
                file_name=upload.name,
                type=upload.type,
                content_type=content_type,
                size=size,
                sha256=sha256,
                created_at=created_at,
                upload_id=upload_id,
                source=source,
                remote_fields=applied,
            )
            for n, target in enumerate(targets, start=1)
        ]
        self.sandbox.store.add(stored)

        body_json = {
            "status": "success",
            "data": {},
            "warnings": [{"message": message} for message in warnings],
        }
        if self.config.drop_after_store:
            return _DroppingResponse(wire.encode(body_json), media_type="application/json")
        return JSONResponse(body_json)

    def _remote_fields(
        self,
        integration: SandboxIntegration,
        upload: UploadRequest,
        warnings: list[str],
        *,
        to_candidate: bool,
    ) -> dict[str, Any]:
        """Check remote fields against this tool; the effective values, for the store."""
        tool_id = integration.tool_id
        applied: dict[str, Any] = {}
        families = set(upload.remote_fields)
        own = {
            "greenhouse": "greenhouse",
            "greenhousev3": "greenhouse",
            "oraclerecruiting": "oracle",
            "workable": "workable",
        }.get(tool_id)
        for family in sorted(families - {own} if own else families):
            warnings.append(
                f"remote_fields.{family} was ignored: integration {integration.id} is "
                f"{integration.tool_label}."
            )
        data = self.sandbox.dataset(integration.id)
        users = {user.remote_id: user for user in data.users}

        if own == "greenhouse":
            if upload.greenhouse_on_behalf_of_given and upload.greenhouse_on_behalf_of is not None:
                user = users.get(upload.greenhouse_on_behalf_of)
                if user is None:
                    raise ApiFailure(
                        400,
                        "REMOTE.INPUT_INVALID",
                        "remote_fields.greenhouse.post_headers.On-Behalf-Of: Greenhouse has no "
                        f"user with ID {upload.greenhouse_on_behalf_of!r} "
                        f"(sandbox users: {', '.join(users)}).",
                    )
                applied["on_behalf_of"] = user.remote_id
            else:
                default = data.users[0]
                applied["on_behalf_of"] = default.remote_id
                warnings.append(
                    "No On-Behalf-Of given; Kombo used the default user "
                    f"({default.first_name} {default.last_name}, {default.remote_id}) as the "
                    "author in Greenhouse."
                )
        elif own == "workable":
            if upload.workable_on_behalf_of is not None:
                user = users.get(upload.workable_on_behalf_of)
                if user is None:
                    raise ApiFailure(
                        400,
                        "REMOTE.INPUT_INVALID",
                        "remote_fields.workable.on_behalf_of_user_remote_id: Workable has no "
                        f"user with ID {upload.workable_on_behalf_of!r} "
                        f"(sandbox users: {', '.join(users)}).",
                    )
                applied["on_behalf_of"] = user.remote_id
        elif own == "oracle" and not to_candidate:
            default_category = {
                "CV": "IRC_CANDIDATE_RESUME",
                "COVER_LETTER": "IRC_CANDIDATE_COVERLETTER",
                "OTHER": "MISC",
            }[upload.type]
            applied["document_category"] = upload.oracle_category or default_category
            applied["multi_post"] = bool(upload.oracle_multi_post)
        return applied

    async def _file_facts(self, upload: UploadRequest) -> tuple[int, str, str, str]:
        """Size, sha256, content type and source of the file, without keeping its bytes."""
        if upload.data is not None:
            try:
                stats = base64_stats(upload.data)
            except InputProblems as problems:
                raise _input_invalid(problems) from None
            assert upload.content_type is not None
            return stats.size, stats.sha256, upload.content_type, "data"
        assert upload.data_url is not None
        return await self._fetch(upload.data_url, upload.content_type)

    async def _fetch(self, url: str, content_type: str | None) -> tuple[int, str, str, str]:
        config = self.config
        limit = config.fetch_max_bytes
        digest = hashlib.sha256()
        size = 0

        def failed(reason: str) -> ApiFailure:
            return ApiFailure(
                400,
                "REMOTE.INPUT_INVALID",
                f"attachment.data_url: could not download the file: {reason}",
            )

        async def check_host(request: httpx.Request) -> None:
            # Runs for the first request and for every redirect.
            host = request.url.host
            if not config.fetch_remote and not _is_loopback_host(host):
                raise ApiFailure(
                    400,
                    "REMOTE.INPUT_INVALID",
                    f"attachment.data_url: the sandbox only downloads from loopback addresses "
                    f"(127.0.0.1, ::1, localhost), not from {host!r}. Serve the file locally, "
                    "or start the sandbox with remote fetching allowed (fetch_remote).",
                )

        try:
            async with httpx.AsyncClient(
                transport=config.fetch_transport,
                timeout=config.fetch_timeout,
                follow_redirects=True,
                max_redirects=5,
                trust_env=False,
                event_hooks={"request": [check_host]},
            ) as client:
                async with client.stream("GET", url) as response:
                    if response.status_code != 200:
                        raise failed(f"the server answered HTTP {response.status_code}.")
                    declared = response.headers.get("content-length", "")
                    if declared.isdigit() and int(declared) > limit:
                        raise failed(f"the file is larger than {limit:,} bytes.")
                    async for chunk in response.aiter_bytes():
                        size += len(chunk)
                        if size > limit:
                            raise failed(f"the file is larger than {limit:,} bytes.")
                        digest.update(chunk)
                    header = response.headers.get("content-type", "")
        except ApiFailure:
            raise
        except httpx.TimeoutException:
            raise failed(f"timed out after {config.fetch_timeout:g} seconds.") from None
        except httpx.HTTPError as exc:
            raise failed(f"{type(exc).__name__}: {exc}".rstrip(": ") + ".") from None

        if content_type is None:
            media_type = header.split(";", 1)[0].strip().lower()
            if not media_type or not CONTENT_TYPE_PATTERN.match(media_type):
                raise ApiFailure(
                    400,
                    "REMOTE.INPUT_INVALID",
                    "attachment.content_type: not given, and the data_url response has no "
                    f"usable Content-Type header (got {header or 'none'!r}). Give attachment.content_type.",
                )
            content_type = media_type
        return size, digest.hexdigest(), content_type, "data_url"


class _Injected(ApiFailure):
    """A 5xx the sandbox was told to produce (``error_rate``)."""

    def __init__(self, status: int) -> None:
        code = "PLATFORM.UNKNOWN_ERROR"
        super().__init__(status, code, "Injected failure (sandbox error_rate).")

    def response(self, interaction_id: str) -> Response:
        if self.status == 500:
            body = {
                "status": "error",
                "error": {
                    "code": "PLATFORM.UNKNOWN_ERROR",
                    "title": _TITLES["PLATFORM.UNKNOWN_ERROR"],
                    "message": "An unexpected error occurred while handling the request "
                    "(sandbox error_rate).",
                    "log_url": LOG_URL_BASE + interaction_id,
                },
            }
            return JSONResponse(body, status_code=500)
        if self.status == 502:
            html = (
                "<html>\r\n<head><title>502 Bad Gateway</title></head>\r\n<body>\r\n"
                "<center><h1>502 Bad Gateway</h1></center>\r\n"
                "<hr><center>sandbox-load-balancer</center>\r\n</body>\r\n</html>\r\n"
            )
            return Response(html, status_code=502, media_type="text/html")
        html = (
            "<html>\r\n<head><title>503 Service Temporarily Unavailable</title></head>\r\n"
            "<body>\r\n<center><h1>503 Service Temporarily Unavailable</h1></center>\r\n"
            "<hr><center>sandbox-load-balancer</center>\r\n</body>\r\n</html>\r\n"
        )
        return Response(html, status_code=503, media_type="text/html")


# --------------------------------------------------------------------------- helpers


def _is_loopback_host(host: str) -> bool:
    if host.lower() == "localhost":
        return True
    try:
        return ipaddress.ip_address(host.strip("[]")).is_loopback
    except ValueError:
        return False


def _key_of(request: Request) -> str | None:
    """The bearer token, or None when the header is missing, blank or not ``Bearer <token>``."""
    header = request.headers.get("authorization")
    if header is None:
        return None
    scheme, _, token = header.strip().partition(" ")
    token = token.strip()
    if scheme.lower() != "bearer" or not token or " " in token:
        return None
    return token


def _encode_cursor(kind: str, integration_id: str, offset: int) -> str:
    import base64

    raw = json.dumps([kind, integration_id, offset], separators=(",", ":")).encode()
    check = hashlib.sha256(raw).hexdigest()[:8]
    return base64.urlsafe_b64encode(raw + b"|" + check.encode()).decode().rstrip("=")


def _decode_cursor(cursor: str | None, kind: str, integration_id: str) -> int:
    """The offset a cursor stands for; PLATFORM.INPUT_INVALID if it is not one of ours."""
    import base64

    if cursor is None:
        return 0
    problem = InputProblems.one(
        "cursor",
        "invalid cursor: pass data.next of the previous page unchanged (with the same filters)",
    )
    try:
        padded = cursor + "=" * (-len(cursor) % 4)
        raw, _, check = base64.urlsafe_b64decode(padded.encode()).rpartition(b"|")
        if hashlib.sha256(raw).hexdigest()[:8].encode() != check:
            raise ValueError("checksum")
        got_kind, got_integration, offset = json.loads(raw)
    except (ValueError, TypeError):
        raise _input_invalid(problem) from None
    if (
        got_kind != kind
        or got_integration != integration_id
        or not isinstance(offset, int)
        or offset < 0
    ):
        raise _input_invalid(problem)
    return offset


def _now_iso() -> str:
    now = time.time()
    return time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(now)) + f".{int(now % 1 * 1000):03d}Z"


_ALL_METHODS = ["GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"]


def create_app(config: SandboxConfig | None = None) -> Starlette:
    """A new sandbox app with its own state (``app.state.sandbox``)."""
    sandbox = Sandbox(config or SandboxConfig())
    api = _Api(sandbox)
    app = Starlette(
        routes=[
            Route("/", api.handle, methods=_ALL_METHODS),
            Route("/{path:path}", api.handle, methods=_ALL_METHODS),
        ]
    )
    app.state.sandbox = sandbox
    return app
