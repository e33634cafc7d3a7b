"""Attachment endpoints: reading an application's or candidate's files, and uploading one.

An upload passes these checks, in order, each answering in Kombo's envelope:

1. the integration is active and its scope config has the *Add attachments* permission;
2. the body is JSON within ``max_body_bytes`` and valid (:mod:`..validation`, every bad field
   named);
3. the application (or candidate) exists and is not deleted;
4. the tool's restrictions (from the action-metadata endpoint): type supported, MIME type
   accepted, size within the limit;
5. the remote fields fit the tool (:func:`remote_fields`): another tool's family is ignored
   with a warning, an unknown On-Behalf-Of user is ``REMOTE.INPUT_INVALID``.

Then the file is stored (its facts, never its bytes) where the tool puts it: on the
application, on the candidate (a tool without application attachments, with a warning), or
on every current application of the candidate (Oracle's multi-post).
"""

from __future__ import annotations

import time
from typing import Any

from starlette.responses import JSONResponse, Response

from kombo_tui.core.connectors import families_for_tool
from kombo_tui.core.files.mime import same_type

from .. import wire
from ..config import MB
from ..data import Application, Candidate, SandboxIntegration, attachment_restrictions
from ..errors import ApiFailure, BodyStreamFailed, DroppingResponse, input_invalid
from ..fetch import FileFacts, fetch
from ..store import StoredAttachment
from ..validation import InputProblems, UploadRequest, base64_stats, decode_body, parse_upload_body
from . import Context, success

__all__ = [
    "add_application_attachment",
    "add_candidate_attachment",
    "get_application_attachments",
    "get_candidate_attachments",
    "remote_fields",
]

_ORACLE_DEFAULT_CATEGORY = {
    "CV": "IRC_CANDIDATE_RESUME",
    "COVER_LETTER": "IRC_CANDIDATE_COVERLETTER",
    "OTHER": "MISC",
}
"""The document category Oracle files an attachment under when none is given."""

# --------------------------------------------------------------------------- reads


async def get_application_attachments(ctx: Context) -> Response:
    """``GET /ats/applications/{application_id}/attachments``."""
    integration = ctx.ats
    _check_active(integration)
    application = _application(ctx)
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
    store = ctx.sandbox.store
    stored = store.on_application(integration.id, application.id, application.candidate.id)
    if not integration.supports_application_attachments:
        stored = store.on_candidate(integration.id, application.candidate.id)
    results.extend(item.to_json() for item in stored)
    return success({"results": results}, warnings)


async def get_candidate_attachments(ctx: Context) -> Response:
    """``GET /ats/candidates/{candidate_id}/attachments``."""
    integration = ctx.ats
    _check_active(integration)
    candidate = _candidate(ctx)
    results = [
        wire.existing_cv_json(a, integration, candidate_view=True)
        for a in candidate.applications
        if a.has_existing_cv
    ]
    results.extend(
        item.to_json(candidate_view=True)
        for item in ctx.sandbox.store.on_candidate(integration.id, candidate.id)
    )
    return success({"results": results}, [])


# --------------------------------------------------------------------------- uploads


async def add_application_attachment(ctx: Context) -> Response:
    """``POST /ats/applications/{application_id}/attachments``."""
    return await _upload(ctx, to_candidate=False)


async def add_candidate_attachment(ctx: Context) -> Response:
    """``POST /ats/candidates/{candidate_id}/attachments``."""
    return await _upload(ctx, to_candidate=True)


async def _upload(ctx: Context, *, to_candidate: bool) -> Response:
    integration = ctx.ats
    _check_active(integration)
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
        text = decode_body(await _read_body(ctx))
        upload = parse_upload_body(text, allow_oracle=not to_candidate)
    except InputProblems as problems:
        raise input_invalid(problems) from None
    del text

    if to_candidate:
        candidate = _candidate(ctx)
        application: Application | None = None
    else:
        application = _application(ctx)
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

    facts = await _file_facts(ctx, upload)
    if facts.size == 0:
        field_name = "attachment.data" if facts.source == "data" else "attachment.data_url"
        raise ApiFailure(
            400, "PLATFORM.INPUT_INVALID", f"{field_name}: the file is empty (0 bytes)."
        )
    if type_limits is not None and type_limits.accepted_mime_types is not None:
        # One type, several spellings (text/rtf is application/rtf): compare canonical forms.
        if not any(same_type(facts.content_type, m) for m in type_limits.accepted_mime_types):
            raise ApiFailure(
                400,
                "REMOTE.INPUT_INVALID",
                f"attachment.content_type: {tool} does not accept {facts.content_type!r} files "
                f"for {upload.type}. Accepted: {', '.join(type_limits.accepted_mime_types)}.",
            )
    if type_limits is not None and type_limits.max_file_size_bytes is not None:
        if facts.size > type_limits.max_file_size_bytes:
            raise ApiFailure(
                400,
                "REMOTE.INPUT_INVALID",
                f"attachment: the file is {facts.size:,} bytes; {tool} accepts at most "
                f"{type_limits.max_file_size_bytes:,} bytes "
                f"({type_limits.max_file_size_bytes / MB:g} MB) for {upload.type}.",
            )

    warnings: list[str] = []
    applied = remote_fields(ctx, upload, warnings, to_candidate=to_candidate)

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

    sandbox = ctx.sandbox
    upload_id = sandbox.store.next_upload_id()
    created_at = _iso(ctx.config.clock())
    stored = [
        StoredAttachment(
            id=sandbox.new_id(),
            remote_id=f"sbx-{upload_id}-{n}",
            integration_id=integration.id,
            candidate_id=candidate.id,
            application_id=target.id if target is not None else None,
            file_name=upload.name,
            type=upload.type,
            content_type=facts.content_type,
            size=facts.size,
            sha256=facts.sha256,
            created_at=created_at,
            upload_id=upload_id,
            source=facts.source,
            remote_fields=applied,
        )
        for n, target in enumerate(targets, start=1)
    ]
    sandbox.store.add(stored)

    body_json = {
        "status": "success",
        "data": {},
        "warnings": [{"message": message} for message in warnings],
    }
    if ctx.config.drop_after_store:
        return DroppingResponse(wire.encode(body_json), media_type="application/json")
    return JSONResponse(body_json)


async def _read_body(ctx: Context) -> bytearray:
    request = ctx.request
    limit = ctx.config.max_body_bytes
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
        raise BodyStreamFailed(exc) from exc
    return buffer  # not bytes(buffer): that would copy the whole body once more


async def _file_facts(ctx: Context, upload: UploadRequest) -> FileFacts:
    """Size, sha256, content type and source of the file, without keeping its bytes."""
    if upload.data is not None:
        try:
            stats = base64_stats(upload.data)
        except InputProblems as problems:
            raise input_invalid(problems) from None
        assert upload.content_type is not None
        return FileFacts(stats.size, stats.sha256, upload.content_type, "data")
    assert upload.data_url is not None
    return await fetch(upload.data_url, upload.content_type, ctx.config)


def remote_fields(
    ctx: Context, upload: UploadRequest, warnings: list[str], *, to_candidate: bool
) -> dict[str, Any]:
    """Check the upload's remote fields against this tool; the effective values, for the store.

    Args:
        ctx: The request (its integration decides which family applies).
        upload: The validated body.
        warnings: Appended to: a family of another tool was ignored, a default was used.
        to_candidate: A candidate upload (Oracle's fields do not apply).

    Raises:
        ApiFailure: ``REMOTE.INPUT_INVALID`` for an On-Behalf-Of user the tool does not know.
    """
    integration = ctx.ats
    applied: dict[str, Any] = {}
    own = {family.key for family in families_for_tool(integration.tool_id)}
    for family in sorted(set(upload.remote_fields) - own):
        warnings.append(
            f"remote_fields.{family} was ignored: integration {integration.id} is "
            f"{integration.tool_label}."
        )
    data = ctx.sandbox.dataset(integration.id)
    users = {user.remote_id: user for user in data.users}

    if "greenhouse" in own:
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
    if "workable" in own:
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
    if "oracle" in own and not to_candidate:
        default_category = _ORACLE_DEFAULT_CATEGORY[upload.type]
        applied["document_category"] = upload.oracle_category or default_category
        applied["multi_post"] = bool(upload.oracle_multi_post)
    return applied


# --------------------------------------------------------------------------- lookups


def _application(ctx: Context) -> Application:
    integration = ctx.ats
    application_id = ctx.params["application_id"]
    data = ctx.sandbox.dataset(integration.id)
    application = data.applications_by_id.get(application_id)
    if application is None:
        raise ApiFailure(
            404,
            "PLATFORM.INPUT_INVALID",
            f"application_id: no application with ID {application_id!r} in integration "
            f"{integration.id} (use the Kombo id from GET /ats/applications, not the remote id).",
        )
    if application.deleted is not None:
        raise ApiFailure(
            404,
            "PLATFORM.INPUT_INVALID",
            f"application_id: application {application_id!r} was deleted in "
            f"{integration.tool_label}.",
        )
    return application


def _candidate(ctx: Context) -> Candidate:
    integration = ctx.ats
    candidate_id = ctx.params["candidate_id"]
    candidate = ctx.sandbox.dataset(integration.id).candidates_by_id.get(candidate_id)
    if candidate is None:
        raise ApiFailure(
            404,
            "PLATFORM.INPUT_INVALID",
            f"candidate_id: no candidate with ID {candidate_id!r} in integration "
            f"{integration.id}.",
        )
    return candidate


def _check_active(integration: SandboxIntegration) -> None:
    if integration.status != "ACTIVE":
        raise ApiFailure(
            403,
            "INTEGRATION.INACTIVE",
            f"Integration {integration.id} is {integration.status.lower()}: actions are not "
            "performed. Re-enable it in the Kombo dashboard.",
        )


def _iso(now: float) -> str:
    return time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(now)) + f".{int(now % 1 * 1000):03d}Z"
