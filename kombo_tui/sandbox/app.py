"""The sandbox's ASGI app: a Kombo-compatible API under ``/v1`` backed by the demo data.

Build it with :func:`create_app`; serve it with :mod:`kombo_tui.sandbox.server` (uvicorn on
loopback) or mount it in-process with ``httpx.ASGITransport``. What was uploaded is kept in
``app.state.sandbox`` (a :class:`Sandbox`) so tests can look.

Request pipeline (every ``/v1`` request, in this order; :meth:`_Pipeline.run`):

1. latency (read endpoints sleep here; action endpoints sleep while holding their slot);
2. ``Authorization: Bearer <key>`` → 401 ``PLATFORM.AUTHENTICATION_INVALID``;
3. rate limit per key → 429 ``PLATFORM.RATE_LIMIT_EXCEEDED`` (``ratelimit-reset``, ``Retry-After``);
4. injected 5xx (``error_rate``), before any work is done;
5. ATS endpoints: ``X-Integration-Id`` → 400 ``PLATFORM.INPUT_INVALID`` when missing, 404
   ``PLATFORM.INTEGRATION_NOT_FOUND`` when unknown, 409 ``INTEGRATION.SETUP_INCOMPLETE``;
6. path parameters: a control character (C0, DEL, C1; raw or percent-encoded) → 400
   ``PLATFORM.INPUT_INVALID`` naming the parameter;
7. action endpoints (attachment uploads and reads): a concurrency slot per integration → 429
   ``PLATFORM.CONCURRENCY_LIMIT_EXCEEDED`` (no ``Retry-After``: back off, as Kombo says);
8. the endpoint itself (:mod:`.endpoints`);
9. finish (:meth:`_Pipeline.finish`): errors become Kombo's envelope, rate-limit (and
   concurrency) headers are added, the interaction is logged.

Every response carries ``ratelimit-limit`` / ``ratelimit-remaining`` / ``ratelimit-reset``;
action endpoints add ``Concurrency-Limit`` / ``Concurrency-Remaining``.

Which endpoint answers is decided by :mod:`.routing`, on the *raw* (still percent-encoded)
path: an application id containing ``/``, ``?``, ``#`` or ``..`` arrives intact when the
client encodes it, and is visibly mangled when it does not. Starlette routes nothing itself
(:class:`_EveryRequest` hands it every HTTP request, whatever its path or method): its path
regexes stop at a newline and its 404/405 answers are plain text, and every answer of the
sandbox is Kombo's JSON envelope — an unknown path or method too. The one exception is the
plain-text help at ``/``.

The other pieces: :mod:`.config` (``SandboxConfig``), :mod:`.state` (``Sandbox``), :mod:`.errors`
(the error envelope and the faults it can fake), :mod:`.wire` (records → JSON), :mod:`.fetch`
(``data_url`` downloads). ``SandboxConfig``, ``Sandbox``, ``Interaction`` and
``DroppedConnection`` are re-exported here, where callers have always imported them from.
"""

from __future__ import annotations

import asyncio
import logging
from typing import NoReturn

from starlette.applications import Starlette
from starlette.requests import ClientDisconnect, Request
from starlette.responses import Response
from starlette.routing import BaseRoute, Match, NoMatchFound, request_response
from starlette.types import Receive, Scope, Send

from kombo_tui.core.text import one_line

from . import routing
from .config import SandboxConfig
from .data import INTEGRATIONS, SandboxIntegration, get_integration
from .endpoints import Context
from .errors import (
    ApiFailure,
    BodyStreamFailed,
    DroppedConnection,
    InjectedFailure,
    error_response,
)
from .state import Interaction, Sandbox
from .validation import CONTROL_CHARACTERS

__all__ = [
    "DroppedConnection",
    "Interaction",
    "Sandbox",
    "SandboxConfig",
    "create_app",
]

_log = logging.getLogger("kombo_tui.sandbox")

def create_app(config: SandboxConfig | None = None) -> Starlette:
    """A new sandbox app with its own state (``app.state.sandbox``).

    Args:
        config: How the sandbox behaves; the defaults when None.
    """
    sandbox = Sandbox(config or SandboxConfig())
    pipeline = _Pipeline(sandbox)
    app = Starlette(routes=[_EveryRequest(pipeline)])
    app.state.sandbox = sandbox
    return app


class _EveryRequest(BaseRoute):
    """The one Starlette route: every HTTP request goes to the pipeline, whatever its path
    (newlines and other control characters included) or method."""

    def __init__(self, pipeline: _Pipeline) -> None:
        self.app = request_response(pipeline.handle)

    def matches(self, scope: Scope) -> tuple[Match, Scope]:
        """Every HTTP request (the sandbox serves no websockets)."""
        return (Match.FULL, {}) if scope["type"] == "http" else (Match.NONE, {})

    def url_path_for(self, name: str, /, **path_params: object) -> NoReturn:
        """The sandbox names no routes."""
        raise NoMatchFound(name, path_params)

    async def handle(self, scope: Scope, receive: Receive, send: Send) -> None:
        """Answer through the pipeline."""
        await self.app(scope, receive, send)


class _Pipeline:
    """The request pipeline around the endpoints (the numbered steps of the module docstring)."""

    def __init__(self, sandbox: Sandbox) -> None:
        self.sandbox = sandbox

    async def handle(self, request: Request) -> Response:
        """Entry point for every request (Starlette calls it with the request)."""
        path, segments = routing.split_path(request.scope)
        if not segments or segments[0] != "v1":
            return _index(request, path, self.sandbox)
        interaction_id = self.sandbox.new_interaction_id()
        matched = routing.match(segments[1:])
        if matched is None:
            failure = ApiFailure(
                404, "PLATFORM.INPUT_INVALID", f"No endpoint {request.method} {path}"
            )
            return await self.finish(request, None, None, failure, interaction_id, None)
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
            return await self.finish(request, None, None, failure, interaction_id, None)
        ctx = Context(request, self.sandbox, params, interaction_id)
        try:
            response = await self.run(route, ctx)
        except ApiFailure as failure:
            return await self.finish(request, route, ctx, failure, interaction_id, None)
        except BodyStreamFailed as failed:
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
        except Exception:  # noqa: BLE001 - a sandbox bug: answer like Kombo would, and log it
            _log.exception("sandbox: unexpected error in %s %s", request.method, path)
            bug = ApiFailure(
                500,
                "PLATFORM.UNKNOWN_ERROR",
                "The sandbox failed unexpectedly while handling this request (a bug in kombo-tui's sandbox).",
            )
            return await self.finish(request, route, ctx, bug, interaction_id, None)
        return await self.finish(request, route, ctx, None, interaction_id, response)

    async def run(self, route: routing.Route, ctx: Context) -> Response:
        """Steps 1-8: latency, auth, rate, injected 5xx, integration, path parameters,
        concurrency, endpoint."""
        config = self.sandbox.config
        request = ctx.request
        if config.latency and not route.action:
            await asyncio.sleep(config.latency)

        key = _authenticate(request, config.api_key)
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
            raise InjectedFailure(injected)

        if route.ats:
            ctx.integration = _integration_from_header(request)
            if ctx.integration.setup_status == "INCOMPLETE":
                raise ApiFailure(
                    409,
                    "INTEGRATION.SETUP_INCOMPLETE",
                    f"The setup of integration {ctx.integration.id} is not complete yet: no data "
                    "is available and no actions can be performed. Ask the customer to finish "
                    "connecting it.",
                )

        _check_path_params(ctx.params)

        endpoint = route.methods["GET" if request.method == "HEAD" else request.method]
        if not route.action:
            return await endpoint(ctx)

        gate = self.sandbox.concurrency
        integration_id = ctx.ats.id
        remaining = gate.try_acquire(integration_id)
        if remaining is None:
            raise ApiFailure(
                429,
                "PLATFORM.CONCURRENCY_LIMIT_EXCEEDED",
                f"More than {gate.limit} action requests are in flight for integration "
                f"{integration_id}. Retry with exponential backoff.",
                _concurrency_headers(gate.limit, 0),
            )
        try:
            if config.latency:
                await asyncio.sleep(config.latency)
            response = await endpoint(ctx)
        except ApiFailure as failure:
            failure.headers.update(_concurrency_headers(gate.limit, remaining))
            raise
        finally:
            gate.release(integration_id)
        response.headers.update(_concurrency_headers(gate.limit, remaining))
        return response

    async def finish(
        self,
        request: Request,
        route: routing.Route | None,
        ctx: Context | None,
        failure: ApiFailure | None,
        interaction_id: str,
        response: Response | None,
    ) -> Response:
        """Step 9: the error envelope, limit headers and the interaction log, for any answer."""
        if failure is not None:
            response = error_response(failure, interaction_id, _origin(request))
            if request.method == "POST" and not (ctx and ctx.body_consumed):
                await self._drain(request)
        assert response is not None
        decision = getattr(request.state, "rate", None) or self.sandbox.rate_limiter.peek(
            _key_of(request) or "-"
        )
        response.headers.update(decision.headers())
        if route is not None and route.action and "concurrency-limit" not in response.headers:
            gate = self.sandbox.concurrency
            key = ctx.integration.id if ctx and ctx.integration else ""
            response.headers.update(_concurrency_headers(gate.limit, gate.remaining(key)))
        self.sandbox.record(
            Interaction(
                id=interaction_id,
                method=request.method,
                path=request.scope["path"],  # not request.url: that fails on a non-UTF-8 query
                integration_id=ctx.integration.id if ctx and ctx.integration else None,
                status=response.status_code,
                code=failure.code if failure else None,
            )
        )
        return response

    async def _drain(self, request: Request) -> None:
        """Read (and forget) an unread request body so the client gets our answer, not a reset."""
        budget = self.sandbox.config.max_body_bytes * 2
        try:
            async for chunk in request.stream():
                budget -= len(chunk)
                if budget < 0:
                    break
        except Exception:  # noqa: BLE001 - the client went away; nothing to drain
            pass


def _authenticate(request: Request, api_key: str) -> str:
    """Step 2: the request's bearer token, if it is the sandbox's key."""
    key = _key_of(request)
    if key is None:
        header = request.headers.get("authorization")
        if header is None:
            message = "No API key given: send the header Authorization: Bearer <API key>."
        else:
            message = "Malformed Authorization header: expected 'Bearer <API key>'."
        raise ApiFailure(401, "PLATFORM.AUTHENTICATION_INVALID", message, log=False)
    if key != api_key:
        raise ApiFailure(
            401,
            "PLATFORM.AUTHENTICATION_INVALID",
            "The API key is not valid for this sandbox: use its key, kombo_tui.SANDBOX_API_KEY "
            "(in a notebook, pass **sb.where of a kombo_tui.SandboxServer to the helpers; "
            "`kombo-tui sandbox` prints it too).",
            log=False,
        )
    return key


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


def _integration_from_header(request: Request) -> SandboxIntegration:
    """Step 5: the integration ``X-Integration-Id`` names."""
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


def _check_path_params(params: dict[str, str]) -> None:
    """Step 6: no control character in a path parameter (an ID never holds one)."""
    for name, value in params.items():
        if CONTROL_CHARACTERS.search(value):
            raise ApiFailure(
                400,
                "PLATFORM.INPUT_INVALID",
                f"{name}: must not contain control characters (got {value!r})",
            )


def _concurrency_headers(limit: int, remaining: int) -> dict[str, str]:
    return {"Concurrency-Limit": str(limit), "Concurrency-Remaining": str(remaining)}


def _origin(request: Request) -> str | None:
    """The sandbox's origin as this client reached it (for ``log_url``), if it is a sane one."""
    try:
        origin = str(request.base_url).rstrip("/")
    except Exception:  # noqa: BLE001 - a Host header no URL can hold: no link, the error stands
        return None
    return origin if all(33 <= ord(ch) <= 126 for ch in origin) else None


def _log_page(request: Request, path: str, sandbox: Sandbox) -> Response | None:
    """``GET /logs/<interaction>``: what the sandbox recorded of one request (its stand-in for
    Kombo's dashboard log, where every ``log_url`` it gives points)."""
    parts = path.strip("/").split("/")
    if request.method not in ("GET", "HEAD") or len(parts) != 2 or parts[0] != "logs":
        return None
    found = next((i for i in sandbox.recent_interactions() if i.id == parts[1]), None)
    if found is None:
        return Response(f"No interaction {parts[1]!r} in this sandbox's log (it keeps the last 2,000).\n",
                        status_code=404, media_type="text/plain")
    lines = [  # what clients sent (path, integration) as inert text
        f"kombo-tui sandbox: interaction {found.id}",
        f"Request      {one_line(found.method)} {one_line(found.path)}",
        f"Integration  {one_line(found.integration_id or '-')}",
        f"Answer       {found.status}" + (f" {found.code}" if found.code else ""),
        "",
        "This is the embedded sandbox's log; Kombo's dashboard knows nothing of it.",
    ]
    return Response("\n".join(lines) + "\n", media_type="text/plain")


def _index(request: Request, path: str, sandbox: Sandbox) -> Response:
    """Plain-text help at ``/``, an interaction at ``/logs/<id>``; anything else outside
    ``/v1`` is Kombo's 404 envelope."""
    page = _log_page(request, path, sandbox)
    if page is not None:
        return page
    if path not in ("/", ""):
        failure = ApiFailure(
            404,
            "PLATFORM.INPUT_INVALID",
            f"No endpoint {request.method} {path}: the API lives under /v1",
            log=False,
        )
        return error_response(failure, "")
    lines = [
        "kombo-tui sandbox: a Kombo-compatible API for demos and tests.",
        f"Base URL: {request.base_url}v1",
        "Integrations (X-Integration-Id):",
        *(f"  {i.id}  ({i.demonstrates})" for i in INTEGRATIONS),
    ]
    return Response("\n".join(lines) + "\n", media_type="text/plain")
