"""The sandbox's endpoints: each takes a :class:`Context` and returns a Starlette response.

- :mod:`.reads`: check-api-key, integration details, tools, the three list endpoints and the
  action metadata;
- :mod:`.attachments`: attachment reads and uploads (and the remote-field rules).

By the time an endpoint runs, the pipeline (:mod:`kombo_tui.sandbox.app`) has authenticated
the request, counted it against the limits and, for ATS endpoints, resolved the integration
(:attr:`Context.integration`). Endpoints raise :class:`~kombo_tui.sandbox.errors.ApiFailure`
to answer with an error. This package never imports the router, so the route table can
point at these functions without an import cycle.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any

from starlette.requests import Request
from starlette.responses import JSONResponse, Response

from ..config import SandboxConfig
from ..data import SandboxIntegration
from ..state import Sandbox
from ..validation import Query

__all__ = ["Context", "Handler", "success"]


@dataclass
class Context:
    """One request on its way through the pipeline, as the endpoint sees it."""

    request: Request
    sandbox: Sandbox
    params: dict[str, str]
    """Path parameters captured by the route (already percent-decoded)."""
    interaction_id: str
    integration: SandboxIntegration | None = None
    """Set from ``X-Integration-Id`` before an ATS endpoint runs."""
    body_consumed: bool = False
    """Whether the request body was read (otherwise an error answer drains it first)."""

    @property
    def config(self) -> SandboxConfig:
        """The sandbox's configuration at the time of the call."""
        return self.sandbox.config

    @property
    def ats(self) -> SandboxIntegration:
        """The integration of an ATS endpoint (the pipeline resolved it)."""
        assert self.integration is not None, "not an ATS endpoint"
        return self.integration

    @property
    def query(self) -> Query:
        """The query string, with typed access that names the parameter in every problem."""
        multi: dict[str, list[str]] = {}
        for key, value in self.request.query_params.multi_items():
            multi.setdefault(key, []).append(value)
        return Query(multi)


Handler = Callable[[Context], Awaitable[Response]]
"""What the route table points at."""


def success(
    data: Any, warnings: list[str] | None = None, *, with_warnings: bool = True
) -> JSONResponse:
    """Kombo's success envelope (``warnings`` is left out where the spec has none)."""
    body: dict[str, Any] = {"status": "success", "data": data}
    if with_warnings:
        body["warnings"] = [{"message": message} for message in (warnings or [])]
    return JSONResponse(body)
