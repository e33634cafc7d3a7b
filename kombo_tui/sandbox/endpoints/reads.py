"""Read endpoints: check-api-key, integration details, tools, the three lists, action metadata.

The list endpoints (applications, candidates, jobs) share one idiom: each declares its
filters as a table of :class:`Filter` rows (query parameter, how to read it, which items it
keeps), :func:`parse_list_query` reads the common parameters, the filters and the cursor in
that order, and :meth:`ListQuery.select` keeps the items every predicate accepts. Cursors
are opaque to clients: a checksummed (kind, integration, offset) triple, so a cursor from
another list, integration or a hand edit is refused with ``PLATFORM.INPUT_INVALID``.

Blank filters follow the spec, parameter by parameter: the enum lists whose description says
"leave this blank to get results matching all values" (``outcomes``, ``statuses``,
``employment_types``, ``visibilities``) treat a blank value as not given; the deprecated
single-value enums (``outcome``, ``status``) take exactly one of their values; the ID and code
lists (``ids``, ``job_ids``, ``job_codes``, ...) refuse a blank value; ``email`` must be an
email address. Every refusal is ``PLATFORM.INPUT_INVALID`` naming the parameter.
"""

from __future__ import annotations

import base64
import hashlib
import json
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any, Generic, NamedTuple, TypeVar

from starlette.responses import Response

from .. import wire
from ..data import Application, Candidate, Job, get_integration
from ..errors import ApiFailure, input_invalid
from ..validation import InputProblems, Query
from . import Context, success

__all__ = [
    "Filter",
    "ListQuery",
    "application_action_meta",
    "candidate_action_meta",
    "check_api_key",
    "integration_details",
    "list_applications",
    "list_candidates",
    "list_jobs",
    "parse_list_query",
    "tools",
]

T = TypeVar("T")
Predicate = Callable[[T], bool]

# --------------------------------------------------------------------------- general endpoints


async def check_api_key(ctx: Context) -> Response:
    """``GET /check-api-key``."""
    env = ctx.config.environment_id
    return success({"environment_id": env, "customer_id": env}, with_warnings=False)


async def integration_details(ctx: Context) -> Response:
    """``GET /integrations/{integration_id}``."""
    integration_id = ctx.params["integration_id"]
    integration = get_integration(integration_id)
    if integration is None:
        raise ApiFailure(
            404,
            "PLATFORM.INTEGRATION_NOT_FOUND",
            f"No integration with ID {integration_id!r} exists in this environment.",
        )
    return success(wire.integration_json(integration), with_warnings=False)


async def tools(ctx: Context) -> Response:
    """``GET /tools/{category}`` (only ``ats`` lists any)."""
    category = ctx.params["category"]
    if category not in ("hris", "ats", "assessment", "lms"):
        raise ApiFailure(
            400,
            "PLATFORM.INPUT_INVALID",
            f"category: must be one of hris, ats, assessment, lms (got {category!r})",
        )
    listed = (
        [wire.tool_json(tool_id, label) for tool_id, label in wire.TOOL_LABELS.items()]
        if category == "ats"
        else []
    )
    return success({"tools": listed}, with_warnings=False)


async def application_action_meta(ctx: Context) -> Response:
    """``GET /ats/actions/ats_add_application_attachment``: the attachment restrictions."""
    return success(
        {"attachment_restrictions": wire.restrictions_json(ctx.ats)}, with_warnings=False
    )


async def candidate_action_meta(ctx: Context) -> Response:
    """``GET /ats/actions/ats_add_candidate_attachment``: the same restrictions."""
    return await application_action_meta(ctx)


# --------------------------------------------------------------------------- list queries


@dataclass(frozen=True)
class Filter(Generic[T]):
    """One filter parameter of a list endpoint."""

    name: str
    """The query parameter."""
    read: Callable[[Query, str], Any]
    """Reads it (None when absent); raises InputProblems naming it when malformed."""
    keep: Callable[[Any], Predicate[T]]
    """The value read → the predicate that keeps matching items."""


@dataclass(frozen=True)
class ListQuery(Generic[T]):
    """A list request, parsed: page size, deleted items or not, where to start, predicates."""

    page_size: int
    include_deleted: bool
    offset: int
    predicates: tuple[Predicate[T], ...]

    def select(self, items: list[T]) -> list[T]:
        """The items every predicate keeps (the list itself when there is no filter)."""
        if not self.predicates:
            return items
        return [item for item in items if all(keep(item) for keep in self.predicates)]


def parse_list_query(ctx: Context, kind: str, filters: Sequence[Filter[T]]) -> ListQuery[T]:
    """Read ``page_size``, ``include_deleted``, the filters and ``cursor``, in that order.

    Args:
        ctx: The request.
        kind: The list (``applications``, ...); a cursor from another list is refused.
        filters: The endpoint's filter table.

    Raises:
        ApiFailure: ``PLATFORM.INPUT_INVALID`` naming the first bad parameter.
    """
    try:
        query = ctx.query
        page_size = query.page_size()
        include_deleted = query.boolean("include_deleted")
        query.boolean("ignore_unsupported_filters")
        predicates: list[Predicate[T]] = []
        for row in filters:
            value = row.read(query, row.name)
            if value is not None:
                predicates.append(row.keep(value))
        offset = _decode_cursor(query.text("cursor"), kind, ctx.ats.id)
    except InputProblems as problems:
        raise input_invalid(problems) from None
    return ListQuery(page_size, include_deleted, offset, tuple(predicates))


def _page(ctx: Context, kind: str, items: list[T], query: ListQuery[Any]) -> tuple[list[T], str | None]:
    page = items[query.offset : query.offset + query.page_size]
    end = query.offset + len(page)
    next_cursor = _encode_cursor(kind, ctx.ats.id, end) if end < len(items) else None
    return page, next_cursor


def _csv(
    allowed: tuple[str, ...] | None = None, *, blank_is_all: bool = False
) -> Callable[[Query, str], list[str] | None]:
    return lambda query, name: query.csv(name, allowed, blank_is_all=blank_is_all)


def _one_of(allowed: tuple[str, ...]) -> Callable[[Query, str], list[str] | None]:
    def read(query: Query, name: str) -> list[str] | None:
        value = query.one_of(name, allowed)
        return None if value is None else [value]

    return read


def _is_in(attribute: Callable[[T], object]) -> Callable[[list[str]], Predicate[T]]:
    def keep(values: list[str]) -> Predicate[T]:
        wanted = frozenset(values)
        return lambda item: attribute(item) in wanted

    return keep


def _equal_folded(attribute: Callable[[T], str]) -> Callable[[str], Predicate[T]]:
    def keep(value: str) -> Predicate[T]:
        folded = value.strip().casefold()
        return lambda item: attribute(item).casefold() == folded

    return keep


# Kombo reports changes 90 seconds after the remote update (``changed_at``).
_CHANGED_LAG = 90

# --------------------------------------------------------------------------- applications

_OUTCOMES = ("PENDING", "HIRED", "DECLINED")

_APPLICATION_FILTERS: tuple[Filter[Application], ...] = (
    Filter("updated_after", Query.date_time, lambda t: lambda a: a.updated + _CHANGED_LAG > t),
    Filter("remote_created_after", Query.date_time, lambda t: lambda a: a.created > t),
    Filter("ids", _csv(), _is_in(lambda a: a.id)),
    Filter("remote_ids", _csv(), _is_in(lambda a: a.remote_id)),
    Filter("outcomes", _csv(_OUTCOMES, blank_is_all=True), _is_in(lambda a: a.outcome)),
    Filter("outcome", _one_of(_OUTCOMES), _is_in(lambda a: a.outcome)),
    Filter("job_ids", _csv(), _is_in(lambda a: a.job.id)),
    Filter("job_remote_ids", _csv(), _is_in(lambda a: a.job.remote_id)),
    Filter("current_stage_ids", _csv(), _is_in(lambda a: a.stage.id)),
)


async def list_applications(ctx: Context) -> Response:
    """``GET /ats/applications``: the hot path (20,000 items), encoded from a cache."""
    query = parse_list_query(ctx, "applications", _APPLICATION_FILTERS)
    data = ctx.sandbox.dataset(ctx.ats.id)
    items = query.select(data.applications if query.include_deleted else data.live_applications)
    page, next_cursor = _page(ctx, "applications", items, query)
    body = wire.page_bytes(next_cursor, (wire.application_bytes(a, data) for a in page))
    if next_cursor is not None:
        # While the client reads this page, encode the next one (each item once, cached).
        start = query.offset + len(page)
        wire.encode_ahead(items[start : start + query.page_size], data)
    return Response(body, media_type="application/json")


# --------------------------------------------------------------------------- candidates


def _applied_to_any(job_ids: frozenset[str]) -> Predicate[Candidate]:
    return lambda c: any(a.job.id in job_ids for a in c.applications)


_CANDIDATE_FILTERS: tuple[Filter[Candidate], ...] = (
    Filter("updated_after", Query.date_time, lambda t: lambda c: c.updated + _CHANGED_LAG > t),
    Filter("ids", _csv(), _is_in(lambda c: c.id)),
    Filter("remote_ids", _csv(), _is_in(lambda c: c.remote_id)),
    Filter("job_ids", _csv(), lambda ids: _applied_to_any(frozenset(ids))),
    Filter("email", Query.email, _equal_folded(lambda c: c.email)),
    Filter("first_name", Query.text, _equal_folded(lambda c: c.first_name)),
    Filter("last_name", Query.text, _equal_folded(lambda c: c.last_name)),
)


async def list_candidates(ctx: Context) -> Response:
    """``GET /ats/candidates`` (each with its applications)."""
    query = parse_list_query(ctx, "candidates", _CANDIDATE_FILTERS)
    data = ctx.sandbox.dataset(ctx.ats.id)
    every = data.candidates
    items = query.select(every if query.include_deleted else [c for c in every if c.deleted is None])
    page, next_cursor = _page(ctx, "candidates", items, query)
    body = wire.page_bytes(
        next_cursor, (wire.candidate_bytes(c, data, query.include_deleted) for c in page)
    )
    return Response(body, media_type="application/json")


# --------------------------------------------------------------------------- jobs


class _JobRow(NamedTuple):
    """A job and its wire JSON (some filters look at computed fields such as ``post_url``)."""

    job: Job
    doc: dict[str, Any]


_JOB_STATUSES = ("OPEN", "CLOSED", "DRAFT", "ARCHIVED")
_EMPLOYMENT_TYPES = ("FULL_TIME", "PART_TIME", "CONTRACT", "SEASONAL", "INTERNSHIP")
_VISIBILITIES = ("PUBLIC", "INTERNAL", "UNLISTED", "CONFIDENTIAL")

_JOB_FILTERS: tuple[Filter[_JobRow], ...] = (
    Filter("updated_after", Query.date_time, lambda t: lambda r: r.job.updated + _CHANGED_LAG > t),
    Filter("remote_created_after", Query.date_time, lambda t: lambda r: r.job.created > t),
    Filter("ids", _csv(), _is_in(lambda r: r.job.id)),
    Filter("remote_ids", _csv(), _is_in(lambda r: r.job.remote_id)),
    Filter("job_codes", _csv(), _is_in(lambda r: r.job.job_code)),
    Filter("post_url", Query.text, lambda url: lambda r: r.doc["post_url"] == url),
    Filter("statuses", _csv(_JOB_STATUSES, blank_is_all=True), _is_in(lambda r: r.job.status)),
    Filter("status", _one_of(_JOB_STATUSES), _is_in(lambda r: r.job.status)),
    Filter(
        "employment_types",
        _csv(_EMPLOYMENT_TYPES, blank_is_all=True),
        _is_in(lambda r: r.job.employment_type),
    ),
    Filter(
        "visibilities", _csv(_VISIBILITIES, blank_is_all=True), _is_in(lambda r: r.doc["visibility"])
    ),
    Filter(
        "name_contains",
        Query.text,
        lambda part: lambda r: part.casefold() in r.job.name.casefold(),
    ),
)


async def list_jobs(ctx: Context) -> Response:
    """``GET /ats/jobs``."""
    query = parse_list_query(ctx, "jobs", _JOB_FILTERS)
    data = ctx.sandbox.dataset(ctx.ats.id)
    rows = query.select([_JobRow(job, wire.job_json(job, data)) for job in data.jobs])
    page, next_cursor = _page(ctx, "jobs", [row.doc for row in rows], query)
    return success({"next": next_cursor, "results": page}, with_warnings=False)


# --------------------------------------------------------------------------- cursors


def _encode_cursor(kind: str, integration_id: str, offset: int) -> str:
    raw = json.dumps([kind, integration_id, offset], separators=(",", ":")).encode()
    check = hashlib.sha256(raw).hexdigest()[:8]
    return base64.urlsafe_b64encode(raw + b"|" + check.encode()).decode().rstrip("=")


def _decode_cursor(cursor: str | None, kind: str, integration_id: str) -> int:
    """The offset a cursor stands for; PLATFORM.INPUT_INVALID if it is not one of ours."""
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
        raise input_invalid(problem) from None
    if (
        got_kind != kind
        or got_integration != integration_id
        or not isinstance(offset, int)
        or offset < 0
    ):
        raise input_invalid(problem)
    return offset
