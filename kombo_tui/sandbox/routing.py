"""Which endpoint answers a request: the route table, matched on the *raw* path.

Why the router is hand-written instead of Starlette's: Starlette matches routes against the
*decoded* path, so ``%2F`` inside an application id would already be a ``/`` and split the
id into two segments (``a%2Fb`` would look like ``a`` followed by ``b``). This router splits
the raw, still percent-encoded path (``scope["raw_path"]``) on ``/`` first and decodes each
segment afterwards, so an id containing ``/``, ``?``, ``#`` or ``..`` arrives intact when the
client encodes it, and a client that forgets to encode is *visibly* wrong (a 404) instead of
quietly reaching another endpoint. Starlette only sees two catch-all routes (see
:func:`kombo_tui.sandbox.app.create_app`).
"""

from __future__ import annotations

from dataclasses import dataclass
from urllib.parse import unquote

from starlette.types import Scope

from kombo_tui.core.connectors import ACTION_ID

from . import wire
from .endpoints import Handler, attachments, reads

__all__ = ["ROUTES", "Route", "match", "split_path"]


@dataclass(frozen=True)
class Route:
    """One endpoint path of Kombo's API (below ``/v1``)."""

    pattern: tuple[str, ...]
    """Path segments after ``v1``; ``{name}`` captures one segment."""
    methods: dict[str, Handler]
    """HTTP method → the endpoint that answers it (``HEAD`` is answered like ``GET``)."""
    ats: bool = False
    """Needs ``X-Integration-Id``."""
    action: bool = False
    """Counts against the per-integration concurrency limit."""
    general_errors: bool = False
    """Errors use the general error codes (PLATFORM.* only)."""


ROUTES: tuple[Route, ...] = (
    Route(("check-api-key",), {"GET": reads.check_api_key}, general_errors=True),
    Route(
        ("integrations", "{integration_id}"),
        {"GET": reads.integration_details},
        general_errors=True,
    ),
    Route(("tools", "{category}"), {"GET": reads.tools}, general_errors=True),
    Route(("ats", "applications"), {"GET": reads.list_applications}, ats=True),
    Route(
        ("ats", "applications", "{application_id}", "attachments"),
        {
            "GET": attachments.get_application_attachments,
            "POST": attachments.add_application_attachment,
        },
        ats=True,
        action=True,
    ),
    Route(("ats", "candidates"), {"GET": reads.list_candidates}, ats=True),
    Route(
        ("ats", "candidates", "{candidate_id}", "attachments"),
        {
            "GET": attachments.get_candidate_attachments,
            "POST": attachments.add_candidate_attachment,
        },
        ats=True,
        action=True,
    ),
    Route(("ats", "jobs"), {"GET": reads.list_jobs}, ats=True),
    Route(("ats", "actions", ACTION_ID), {"GET": reads.application_action_meta}, ats=True),
    Route(
        ("ats", "actions", wire.CANDIDATE_ACTION_ID),
        {"GET": reads.candidate_action_meta},
        ats=True,
    ),
)


def split_path(scope: Scope) -> tuple[str, list[str]]:
    """The raw path (without the query) and its segments, each percent-decoded on its own.

    ``/v1/ats/applications/a%2Fb/attachments`` → ``["v1", "ats", "applications", "a/b",
    "attachments"]``.
    """
    raw_path = scope.get("raw_path") or scope["path"].encode()
    path = raw_path.decode("latin-1").split("?", 1)[0]
    return path, [unquote(segment) for segment in path.split("/")[1:]]


def match(segments: list[str]) -> tuple[Route, dict[str, str]] | None:
    """The route for the segments after ``v1``, with the captured parameters; None if none."""
    for route in ROUTES:
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
