"""Wire models, field for field with Kombo's OpenAPI.

Request models are strict (they are what we send); response models are lenient (unknown
fields are kept, unknown enum values and error codes still parse) because Kombo adds fields
and codes over time and a support tool must never crash on a new one.
"""

from __future__ import annotations

from typing import Any, Generic, Literal, TypeVar

from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    StrictBool,
    StrictStr,
    field_validator,
)

from .enums import AttachmentType, OracleCategory
from .files.mime import CONTENT_TYPE_RE

__all__ = [
    "ATS_ERROR_CODES",
    "CONTENT_TYPE_RE",
    "Application",
    "ApplicationList",
    "Attachment",
    "AttachmentBody",
    "AttachmentRestrictions",
    "AttachmentType",
    "Candidate",
    "ErrorBody",
    "ErrorEnvelope",
    "GreenhouseFields",
    "IntegrationDetails",
    "Job",
    "OracleCategory",
    "OracleFields",
    "Page",
    "PageEnvelope",
    "RemoteFields",
    "RequestBody",
    "SuccessEnvelope",
    "Tool",
    "TypeRestriction",
    "Warning",
    "WorkableFields",
]

ATS_ERROR_CODES: tuple[str, ...] = (
    "PLATFORM.RATE_LIMIT_EXCEEDED",
    "PLATFORM.CONCURRENCY_LIMIT_EXCEEDED",
    "PLATFORM.INTEGRATION_NOT_FOUND",
    "PLATFORM.INPUT_INVALID",
    "PLATFORM.UNKNOWN_ERROR",
    "PLATFORM.IP_NOT_WHITELISTED",
    "PLATFORM.AUTHENTICATION_INVALID",
    "PLATFORM.TASK_TIMED_OUT",
    "INTEGRATION.PERMISSION_MISSING",
    "INTEGRATION.AUTHENTICATION_INVALID",
    "INTEGRATION.QA_FAILED",
    "INTEGRATION.SETUP_SYNC_PENDING",
    "INTEGRATION.SETUP_INCOMPLETE",
    "INTEGRATION.INACTIVE",
    "INTEGRATION.MODEL_NOT_AVAILABLE",
    "INTEGRATION.MODEL_DISABLED",
    "INTEGRATION.ACTION_NOT_AVAILABLE",
    "INTEGRATION.ACTION_DISABLED",
    "REMOTE.SERVICE_UNAVAILABLE",
    "REMOTE.RATE_LIMIT_EXCEEDED",
    "REMOTE.INPUT_INVALID",
    "REMOTE.UNKNOWN_HTTP_ERROR",
    "ATS.JOB_CLOSED",
    "ATS.APPLICATION_ALREADY_EXISTS",
)
"""The 24 error codes of Kombo's ATS endpoints (SDK 1.4.0)."""


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", populate_by_name=True, defer_build=True)


class _Lenient(BaseModel):
    model_config = ConfigDict(extra="allow", populate_by_name=True, defer_build=True)


class _Listed(BaseModel):
    """Items of long lists (20,000 applications): unknown fields are tolerated but not kept,
    which halves the time to parse a page."""

    model_config = ConfigDict(extra="ignore", populate_by_name=True, defer_build=True)


# --------------------------------------------------------------------------- request


class AttachmentBody(_Strict):
    """``attachment`` of the request body."""

    name: str = Field(min_length=1)
    """File name as the ATS will show it; should carry an extension (``Resume.pdf``)."""
    type: AttachmentType
    content_type: str | None = None
    """MIME type; required with ``data``, optional with ``data_url``."""
    data: str | None = None
    """Base64 of the file."""
    data_url: str | None = None
    """A URL Kombo downloads the file from, without auth headers."""

    @field_validator("content_type")
    @classmethod
    def _content_type(cls, value: str | None) -> str | None:
        if value is not None and not CONTENT_TYPE_RE.match(value):
            raise ValueError(f"{value!r} is not a MIME type of the form type/subtype")
        return value


class OracleFields(_Strict):
    override_document_category: OracleCategory | None = None
    multi_post_to_all_current_applications: StrictBool | None = None


class GreenhousePostHeaders(_Strict):
    on_behalf_of: StrictStr | None = Field(default=None, alias="On-Behalf-Of")


class GreenhouseFields(_Strict):
    post_headers: GreenhousePostHeaders | None = None


class WorkableFields(_Strict):
    on_behalf_of_user_remote_id: StrictStr | None = None


class RemoteFields(BaseModel):
    """``remote_fields``: passed through to specific ATSs.

    The known families are typed; anything else is kept as given (the spec's object is open).
    """

    model_config = ConfigDict(extra="allow", populate_by_name=True, defer_build=True)

    oracle: OracleFields | None = None
    greenhouse: GreenhouseFields | None = None
    workable: WorkableFields | None = None


class RequestBody(_Strict):
    """Body of ``POST /ats/applications/{application_id}/attachments``."""

    attachment: AttachmentBody
    remote_fields: RemoteFields | None = None


# --------------------------------------------------------------------------- responses


class Warning(_Lenient):  # noqa: A001 - the spec's name
    message: str


class SuccessEnvelope(_Lenient):
    status: Literal["success"]
    data: Any = None
    warnings: list[Warning] = Field(default_factory=list)


class ErrorBody(_Lenient):
    code: str | None = None
    """Kept as a string even when not one of :data:`ATS_ERROR_CODES`."""
    title: str | None = None
    message: str = ""
    log_url: str | None = None


class ErrorEnvelope(_Lenient):
    status: Literal["error"]
    error: ErrorBody


class ToolRef(_Lenient):
    id: str
    label: str
    internal_label: str | None = None
    logo_url: str | None = None
    icon_url: str | None = None


class ActionStatus(_Lenient):
    id: str
    label: str | None = None
    is_available: bool = False
    coverage_status: str | None = None
    scope_config_setting: str | None = None
    opted_out_by_customer: bool | None = None


class EndUser(_Lenient):
    organization_name: str | None = None
    creator_email: str | None = None
    origin_id: str | None = None


class IntegrationDetails(_Lenient):
    """``GET /integrations/{integration_id}`` → ``data``."""

    id: str
    tool: ToolRef
    category: str | None = None
    status: str | None = None
    """ACTIVE | INVALID | INACTIVE"""
    setup_status: str | None = None
    """INCOMPLETE | FINAL_SYNC_PENDING | COMPLETED"""
    end_user: EndUser | None = None
    created_at: str | None = None
    beta: bool | None = None
    write_actions: list[ActionStatus] = Field(default_factory=list)
    read_models: list[ActionStatus] = Field(default_factory=list)

    def write_action(self, action_id: str) -> ActionStatus | None:
        return next((a for a in self.write_actions if a.id == action_id), None)


class Tool(_Lenient):
    """``GET /tools/{category}`` → ``data.tools[]``."""

    id: str
    label: str
    coverage: dict[str, Any] | None = None


class TypeRestriction(_Lenient):
    is_supported: bool
    max_file_size_bytes: float | None = None
    accepted_mime_types: list[str] | None = None


class AttachmentRestrictions(_Lenient):
    """``attachment_restrictions`` of the action-metadata endpoint (None = unknown)."""

    types: dict[str, TypeRestriction]

    def for_type(self, kind: AttachmentType | str) -> TypeRestriction | None:
        key = kind.value if isinstance(kind, AttachmentType) else kind
        return self.types.get(key)


class EmailAddress(_Listed):
    email_address: str
    type: str | None = None


class CandidateRef(_Listed):
    id: str
    remote_id: str | None = None
    first_name: str | None = None
    last_name: str | None = None
    email_addresses: list[EmailAddress] | None = None

    @property
    def full_name(self) -> str:
        return " ".join(p for p in (self.first_name, self.last_name) if p) or "(no name)"

    @property
    def email(self) -> str | None:
        return self.email_addresses[0].email_address if self.email_addresses else None


class StageRef(_Listed):
    id: str | None = None
    remote_id: str | None = None
    name: str | None = None
    index: int | None = None


class JobRef(_Listed):
    id: str
    remote_id: str | None = None
    name: str | None = None


class Application(_Listed):
    """One item of ``GET /ats/applications``."""

    id: str
    remote_id: str | None = None
    outcome: str | None = None
    candidate_id: str | None = None
    job_id: str | None = None
    changed_at: str | None = None
    remote_created_at: str | None = None
    remote_updated_at: str | None = None
    remote_deleted_at: str | None = None
    candidate: CandidateRef | None = None
    current_stage: StageRef | None = None
    job: JobRef | None = None


class ApplicationList(list[Application]):
    """Applications, as ``kt.list_applications`` returns them: a list that shows itself in a
    notebook."""

    def records(self) -> list[dict[str, Any]]:
        """One flat dict per application (for tables)."""
        return [
            {
                "id": a.id,
                "candidate": a.candidate.full_name if a.candidate else None,
                "email": a.candidate.email if a.candidate else None,
                "job": a.job.name if a.job else None,
                "stage": a.current_stage.name if a.current_stage else None,
                "outcome": a.outcome,
                "remote_id": a.remote_id,
            }
            for a in self
        ]

    def to_pandas(self) -> Any:
        """A ``pandas.DataFrame`` of :meth:`records` (needs pandas)."""
        from .display import data_frame

        return data_frame(self.records())

    def __repr__(self) -> str:
        from .display import application_list_text

        return application_list_text(self)

    def _repr_html_(self) -> str:
        from .display import application_list_html

        return application_list_html(self.records())


class CandidateApplication(_Listed):
    id: str
    remote_id: str | None = None
    outcome: str | None = None
    changed_at: str | None = None
    current_stage: StageRef | None = None
    job: JobRef | None = None


class Candidate(CandidateRef):
    """One item of ``GET /ats/candidates`` (with its applications)."""

    applications: list[CandidateApplication] = Field(default_factory=list)


class Job(_Listed):
    id: str
    remote_id: str | None = None
    name: str | None = None
    status: str | None = None


class Attachment(_Lenient):
    """One item of ``GET /ats/applications/{id}/attachments``."""

    id: str
    type: str | None = None
    remote_id: str | None = None
    data_url: str | None = None
    file_name: str | None = None
    content_type: str | None = None
    remote_created_at: str | None = None
    remote_updated_at: str | None = None


T = TypeVar("T")


class Page(BaseModel, Generic[T]):
    """One cursor page: ``data.results`` and ``data.next``."""

    results: list[T]
    next: str | None = None


class PageEnvelope(BaseModel, Generic[T]):
    """A page in its success envelope: ``{"status": "success", "data": {"next": ..., "results": [...]}}``.

    The client validates a whole answer in one pass from bytes (~3x faster than ``json.loads``
    and validating each item).
    """

    status: Literal["success"]
    data: Page[T]
