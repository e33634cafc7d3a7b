"""Demo records → Kombo's wire JSON, with every key the spec (and SDK 1.4.0) requires.

The endpoints hand records from :mod:`.data` to these functions and send what comes back.
List pages are the hot path (20,000 applications): items are encoded once, cached on the
data set (:func:`application_bytes`, :func:`candidate_bytes`), joined into a page without
re-parsing (:func:`page_bytes`), and the next page is encoded while the client reads this
one (:func:`encode_ahead`).
"""

from __future__ import annotations

import hashlib
import json
import threading
from collections.abc import Iterable
from functools import lru_cache
from typing import Any

from kombo_tui.core.connectors import ACTION_ID, SUPPORTED_TOOLS

from .data import (
    Application,
    Candidate,
    Dataset,
    Job,
    SandboxIntegration,
    Stage,
    attachment_restrictions,
    iso,
)

__all__ = [
    "CANDIDATE_ACTION_ID",
    "encode",
    "page_bytes",
    "TOOL_LABELS",
    "application_json",
    "candidate_json",
    "existing_cv_json",
    "integration_json",
    "job_json",
    "restrictions_json",
    "tool_json",
]

CANDIDATE_ACTION_ID = "ats_add_candidate_attachment"

TOOL_LABELS: dict[str, str] = {**SUPPORTED_TOOLS, "personio": "Personio"}
"""Every tool ``GET /tools/ats`` lists (the supported ones, plus Personio which is not)."""

_READ_MODELS = (
    ("ats_applications", "Applications"),
    ("ats_candidates", "Candidates"),
    ("ats_jobs", "Jobs"),
    ("ats_application_attachments", "Application attachments"),
)


_ENCODER = json.JSONEncoder(ensure_ascii=False, separators=(",", ":"), allow_nan=False)


def encode(value: Any) -> bytes:
    """Compact UTF-8 JSON, as the sandbox sends it."""
    return _ENCODER.encode(value).encode("utf-8")


def page_bytes(next_cursor: str | None, items: Iterable[bytes]) -> bytes:
    """A list endpoint's whole success body, from already encoded items."""
    return b"".join(
        (
            b'{"status":"success","data":{"next":',
            encode(next_cursor),
            b',"results":[',
            b",".join(items),
            b"]}}",
        )
    )


def application_bytes(app: Application, dataset: Dataset) -> bytes:
    """:func:`application_json` encoded, cached on the data set (pages are served often)."""
    key = _application_key(app)
    cached = dataset.wire_cache.get(key)
    if cached is None:
        cached = dataset.wire_cache[key] = encode(application_json(app, dataset.integration))
    return cached


def _application_key(app: Application) -> tuple[str, str, bool]:
    return ("application", app.id, False)


def encode_ahead(applications: list[Application], dataset: Dataset) -> None:
    """Encode these applications into the cache in a short-lived thread (a page the client is
    about to ask for), unless they are all there already."""
    if all(_application_key(app) in dataset.wire_cache for app in applications):
        return

    def encode_all() -> None:
        for app in applications:
            application_bytes(app, dataset)

    threading.Thread(target=encode_all, name="kombo-sandbox-encode", daemon=True).start()


def candidate_bytes(candidate: Candidate, dataset: Dataset, include_deleted: bool) -> bytes:
    """:func:`candidate_json` encoded, cached on the data set."""
    key = ("candidate", candidate.id, include_deleted)
    cached = dataset.wire_cache.get(key)
    if cached is None:
        cached = dataset.wire_cache[key] = encode(
            candidate_json(candidate, dataset.integration, include_deleted)
        )
    return cached


def _asset(tool_id: str, name: str) -> str:
    return f"https://sandbox.invalid/assets/tools/{tool_id}/{name}.svg"


def _remote_url(integration: SandboxIntegration, kind: str, remote_id: str) -> str:
    return f"https://{integration.tool_id}.sandbox.invalid/{kind}/{remote_id}"


def _location_json(city: str | None, country: str, raw: str) -> dict[str, Any]:
    """A ``location`` object; the sandbox knows no state, street or zip code."""
    return {
        "city": city,
        "country": country,
        "raw": raw,
        "state": None,
        "street_1": None,
        "street_2": None,
        "zip_code": None,
    }


def _stage_json(stage: Stage) -> dict[str, Any]:
    return {
        "id": stage.id,
        "remote_id": stage.remote_id,
        "name": stage.name,
        "index": stage.index,
        "status": "ACTIVE",
        "custom_fields": {},
    }


def application_json(app: Application, integration: SandboxIntegration) -> dict[str, Any]:
    """One item of ``GET /ats/applications``."""
    candidate = app.candidate
    job = app.job
    return {
        "id": app.id,
        "remote_id": app.remote_id,
        "outcome": app.outcome,
        "rejection_reason_name": app.rejection_reason,
        "rejected_at": iso(app.rejected_at) if app.rejected_at is not None else None,
        "current_stage_id": app.stage.id,
        "job_id": job.id,
        "candidate_id": candidate.id,
        "screening_question_answers": [],
        "custom_fields": {},
        "integration_fields": [],
        "remote_url": _remote_url(integration, "applications", app.remote_id),
        "changed_at": iso(app.updated + 90),
        "remote_deleted_at": iso(app.deleted) if app.deleted is not None else None,
        "remote_created_at": iso(app.created),
        "remote_updated_at": iso(app.updated),
        "remote_data": None,
        "candidate": {
            "id": candidate.id,
            "remote_id": candidate.remote_id,
            "first_name": candidate.first_name,
            "last_name": candidate.last_name,
            "email_addresses": [{"email_address": candidate.email, "type": "PERSONAL"}],
            "phone_numbers": [{"phone_number": candidate.phone, "type": "MOBILE"}],
            "social_media": [],
            "source": candidate.source,
            "remote_url": _remote_url(integration, "candidates", candidate.remote_id),
            "tags": _tags_json(candidate),
        },
        "current_stage": _stage_json(app.stage),
        "job": {"id": job.id, "remote_id": job.remote_id, "name": job.name},
        "interviews": [],
        "offers": [],
    }


def _tags_json(candidate: Candidate) -> list[dict[str, Any]]:
    return [
        {"id": _derived_id(f"tag/{name}"), "remote_id": None, "name": name}
        for name in candidate.tags
    ]


def candidate_json(
    candidate: Candidate, integration: SandboxIntegration, include_deleted: bool
) -> dict[str, Any]:
    """One item of ``GET /ats/candidates`` (with its applications nested)."""
    applications = [
        {
            "id": app.id,
            "remote_id": app.remote_id,
            "outcome": app.outcome,
            "rejection_reason_name": app.rejection_reason,
            "rejected_at": iso(app.rejected_at) if app.rejected_at is not None else None,
            "remote_url": _remote_url(integration, "applications", app.remote_id),
            "changed_at": iso(app.updated + 90),
            "remote_created_at": iso(app.created),
            "remote_updated_at": iso(app.updated),
            "current_stage": {
                "id": app.stage.id,
                "name": app.stage.name,
                "remote_id": app.stage.remote_id,
                "index": app.stage.index,
            },
            "job": {"id": app.job.id, "name": app.job.name, "remote_id": app.job.remote_id},
        }
        for app in candidate.applications
        if include_deleted or app.deleted is None
    ]
    first_name = candidate.first_name
    deleted = candidate.deleted
    handle = candidate.email.split("@", 1)[0].replace(".", "-").replace("_", "-")
    return {
        "id": candidate.id,
        "remote_id": candidate.remote_id,
        "first_name": first_name,
        "last_name": candidate.last_name,
        "company": candidate.company,
        "title": candidate.title,
        "confidential": False,
        "source": candidate.source,
        "phone_numbers": [{"phone_number": candidate.phone, "type": "MOBILE"}],
        "email_addresses": [{"email_address": candidate.email, "type": "PERSONAL"}],
        "social_media": [
            {
                "link": f"https://linkedin.sandbox.invalid/in/{handle}",
                "type": "LINKEDIN",
                "username": handle,
            }
        ],
        "location": _location_json(
            candidate.city, candidate.country, f"{candidate.city}, {candidate.country}"
        ),
        "custom_fields": {},
        "integration_fields": [],
        "remote_url": _remote_url(integration, "candidates", candidate.remote_id),
        "remote_created_at": iso(candidate.created),
        "remote_updated_at": iso(candidate.updated),
        "remote_data": None,
        "changed_at": iso(candidate.updated + 90),
        "remote_deleted_at": iso(deleted) if deleted is not None else None,
        "applications": applications,
        "tags": [
            {"id": tag["id"], "name": tag["name"], "remote_id": tag["remote_id"]}
            for tag in _tags_json(candidate)
        ],
    }


def job_json(job: Job, dataset: Dataset) -> dict[str, Any]:
    """One item of ``GET /ats/jobs``."""
    integration = dataset.integration
    users = dataset.users
    recruiter = users[job.index % 2 * 4 % len(users)] if users else None
    manager = users[2 + job.index % 2] if len(users) > 3 else None
    hiring_team = []
    for user, role in ((recruiter, "RECRUITER"), (manager, "HIRING_MANAGER")):
        if user is None:
            continue
        hiring_team.append(
            {
                "id": _derived_id(f"{integration.id}/user/{user.remote_id}"),
                "remote_id": user.remote_id,
                "first_name": user.first_name,
                "last_name": user.last_name,
                "email": user.email,
                "hiring_team_roles": [role],
                "job_roles": [
                    {
                        "remote_id": role.lower(),
                        "remote_label": role.replace("_", " ").title(),
                        "unified_type": role,
                        "scope": "JOB",
                    }
                ],
            }
        )
    post_url = (
        f"https://careers.sandbox.invalid/{integration.tool_id}/jobs/{job.remote_id}"
        if job.status == "OPEN"
        else None
    )
    description = (
        f"<p>We are hiring a {job.name} for our {job.department} team in {job.city}.</p>"
        "<p>This is sandbox demo data.</p>"
    )
    return {
        "id": job.id,
        "remote_id": job.remote_id,
        "name": job.name,
        "job_code": job.job_code,
        "description": description,
        "confidential": False,
        "weekly_hours": job.weekly_hours,
        "employment_type": job.employment_type,
        "status": job.status,
        "visibility": "PUBLIC" if job.status == "OPEN" else "INTERNAL",
        "category": job.category,
        "department": job.department,
        "post_url": post_url,
        "experience_level": job.experience_level,
        "remote_work_status": job.remote_work_status,
        "salary_amount": None,
        "salary_amount_from": job.salary_from,
        "salary_amount_to": job.salary_to,
        "salary_currency": job.currency,
        "salary_period": "YEAR",
        "location": (
            _location_json(None, job.country, job.city)
            if job.city.startswith("Remote")
            else _location_json(job.city, job.country, f"{job.city}, {job.country}")
        ),
        "custom_fields": {},
        "integration_fields": [],
        "remote_url": _remote_url(integration, "jobs", job.remote_id),
        "opened_at": iso(job.opened) if job.opened is not None else None,
        "closed_at": iso(job.closed) if job.closed is not None else None,
        "remote_created_at": iso(job.created),
        "remote_updated_at": iso(job.updated),
        "contact_id": None,
        "remote_data": None,
        "changed_at": iso(job.updated + 90),
        "remote_deleted_at": None,
        "stages": [{**_stage_json(stage), "remote_data": None} for stage in job.stages],
        "screening_questions": [],
        "job_postings": [
            {
                "id": _derived_id(f"{job.id}/posting"),
                "remote_id": f"{job.remote_id}-posting",
                "title": job.name,
                "description_html": description,
                "status": "ACTIVE" if job.status == "OPEN" else "INACTIVE",
                "visibility": "PUBLIC",
                "url": post_url,
                "remote_data": None,
            }
        ]
        if job.status != "DRAFT"
        else [],
        "hiring_team": hiring_team,
    }


_B58 = "123456789ABCDEFGHJKLMNPQRSTUVWXYZabcdefghijkmnopqrstuvwxyz"


@lru_cache(maxsize=8192)
def _derived_id(key: str) -> str:
    """A stable Kombo-style id derived from a key (for objects made up on demand)."""
    number = int.from_bytes(hashlib.blake2b(key.encode(), digest_size=18).digest(), "big")
    chars = []
    for _ in range(24):
        number, rest = divmod(number, 58)
        chars.append(_B58[rest])
    return "".join(chars)


def existing_cv_json(
    app: Application, integration: SandboxIntegration, *, candidate_view: bool = False
) -> dict[str, Any]:
    """The CV a seeded application already carries (before anyone uploads anything).

    ``candidate_view`` adds ``application_id`` / ``candidate_id`` (candidate attachments).
    """
    created = iso(app.created + 60)
    candidate = app.candidate
    attachment_id = _derived_id(f"{app.id}/existing-cv")
    ids = {"application_id": app.id, "candidate_id": candidate.id} if candidate_view else {}
    return {
        "id": attachment_id,
        **ids,
        "remote_id": f"{app.remote_id}-cv",
        "type": "CV",
        "data_url": f"https://sandbox.invalid/files/{attachment_id}",
        "file_name": f"{candidate.first_name}_{candidate.last_name}_CV.pdf".replace(" ", "_"),
        "content_type": "application/pdf",
        "remote_created_at": created,
        "remote_updated_at": created,
    }


def restrictions_json(integration: SandboxIntegration) -> dict[str, Any] | None:
    """``data.attachment_restrictions`` of the action-metadata endpoints."""
    limits = attachment_restrictions(integration)
    if limits is None:
        return None
    return {"types": {kind: limits[kind].to_json() for kind in ("CV", "COVER_LETTER", "OTHER")}}


def integration_json(integration: SandboxIntegration) -> dict[str, Any]:
    """``data`` of ``GET /integrations/{id}``."""
    supported = integration.supports_application_attachments
    active = integration.status == "ACTIVE" and integration.setup_status == "COMPLETED"
    permitted = integration.has_attachment_permission
    setting = "ENABLED" if permitted else "DISABLED"

    def action(action_id: str, label: str, coverage: str) -> dict[str, Any]:
        return {
            "id": action_id,
            "label": label,
            "is_available": coverage == "SUPPORTED" and active and permitted,
            "coverage_status": coverage,
            "scope_config_setting": setting,
            "opted_out_by_customer": False,
            "fields": [],
        }

    return {
        "id": integration.id,
        "tool": {
            "id": integration.tool_id,
            "label": integration.tool_label,
            "internal_label": None,
            "logo_url": _asset(integration.tool_id, "logo"),
            "icon_url": _asset(integration.tool_id, "icon"),
        },
        "category": "ATS",
        "status": integration.status,
        "setup_status": integration.setup_status,
        "end_user": {
            "organization_name": f"{integration.tool_label} Sandbox Inc.",
            "creator_email": f"it-admin@{integration.tool_id}-sandbox.example.com",
            "origin_id": integration.id.split(":", 1)[1],
        },
        "scope_config": {
            "id": _derived_id(f"scope/{integration.id}"),
            "name": "Sandbox: read + attachments" if permitted else "Sandbox: read only",
        },
        "data_expired_at": None,
        "created_at": "2025-09-01T08:00:00.000Z",
        "beta": False,
        "read_models": [
            {
                "id": model_id,
                "label": label,
                "is_available": integration.setup_status == "COMPLETED",
                "coverage_status": "SUPPORTED",
                "scope_config_setting": "ENABLED",
                "opted_out_by_customer": False,
                "fields": [],
            }
            for model_id, label in _READ_MODELS
        ],
        "write_actions": [
            action(
                ACTION_ID,
                "Add attachment to application",
                "SUPPORTED" if supported else "UNSUPPORTED",
            ),
            action(CANDIDATE_ACTION_ID, "Add attachment to candidate", "SUPPORTED"),
        ],
    }


def tool_json(tool_id: str, label: str) -> dict[str, Any]:
    """One item of ``GET /tools/ats``."""
    supported = tool_id in SUPPORTED_TOOLS
    return {
        "id": tool_id,
        "label": label,
        "internal_label": None,
        "assets": {
            "logo_url": _asset(tool_id, "logo"),
            "icon_url": _asset(tool_id, "icon"),
            "icon_black_url": _asset(tool_id, "icon-black"),
        },
        "paid_api_details_markdown": None,
        "fast_track_details_markdown": None,
        "partner_only_details_markdown": None,
        "connection_guide_url": None,
        "coverage": {
            "read_models": [
                {"id": model_id, "label": model_label, "coverage_status": "SUPPORTED", "fields": []}
                for model_id, model_label in _READ_MODELS
            ],
            "write_actions": [
                {
                    "id": ACTION_ID,
                    "label": "Add attachment to application",
                    "coverage_status": "SUPPORTED" if supported else "UNSUPPORTED",
                    "fields": [],
                },
                {
                    "id": CANDIDATE_ACTION_ID,
                    "label": "Add attachment to candidate",
                    "coverage_status": "SUPPORTED",
                    "fields": [],
                },
            ],
            "features": [],
        },
    }
