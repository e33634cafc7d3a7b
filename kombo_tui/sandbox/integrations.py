"""Who the sandbox is: its API key, its integrations and the behaviour each demonstrates.

Small and cheap to import (the app's integration suggestions and the CLI's help read it
before anything is served); the generated data behind each integration is :mod:`.data`.
"""

from __future__ import annotations

from dataclasses import dataclass

from kombo_tui.core.connectors import SUPPORTED_TOOLS

__all__ = [
    "DEFAULT_INTEGRATION_ID",
    "INTEGRATIONS",
    "INTEGRATIONS_BY_ID",
    "SANDBOX_API_KEY",
    "SandboxIntegration",
    "get_integration",
]

SANDBOX_API_KEY = "sk_sandbox_kombo_tui_demo"
"""The only API key the sandbox accepts by default."""

DEFAULT_INTEGRATION_ID = "greenhouse:sandbox-greenhouse"
"""The integration demos start with."""


@dataclass(frozen=True)
class SandboxIntegration:
    """One integration the sandbox serves, and the branch of behaviour it demonstrates."""

    id: str
    """Integration id as sent in ``X-Integration-Id`` (``<tool>:<id>``)."""
    tool_id: str
    tool_label: str
    status: str
    """ACTIVE | INVALID | INACTIVE"""
    setup_status: str
    """INCOMPLETE | FINAL_SYNC_PENDING | COMPLETED"""
    has_attachment_permission: bool
    """Whether the scope config enables *Add attachments*."""
    application_count: int
    """Number of (not deleted) applications served by ``GET /ats/applications``."""
    demonstrates: str
    """One line for humans: what this integration is for."""

    @property
    def supports_application_attachments(self) -> bool:
        """False for tools where Kombo adds the file to the candidate instead."""
        return self.tool_id in SUPPORTED_TOOLS


INTEGRATIONS: list[SandboxIntegration] = [
    SandboxIntegration(
        id="greenhouse:sandbox-greenhouse",
        tool_id="greenhouse",
        tool_label="Greenhouse",
        status="ACTIVE",
        setup_status="COMPLETED",
        has_attachment_permission=True,
        application_count=60,
        demonstrates="Greenhouse remote field post_headers.On-Behalf-Of (warning when omitted)",
    ),
    SandboxIntegration(
        id="oraclerecruiting:sandbox-oracle",
        tool_id="oraclerecruiting",
        tool_label="Oracle Recruiting Cloud",
        status="ACTIVE",
        setup_status="COMPLETED",
        has_attachment_permission=True,
        application_count=40,
        demonstrates="Oracle remote fields: document category and multi-post; 5 MB limit",
    ),
    SandboxIntegration(
        id="workable:sandbox-workable",
        tool_id="workable",
        tool_label="Workable",
        status="ACTIVE",
        setup_status="COMPLETED",
        has_attachment_permission=True,
        application_count=40,
        demonstrates="Workable remote field on_behalf_of_user_remote_id; no cover letters",
    ),
    SandboxIntegration(
        id="lever:sandbox-lever",
        tool_id="lever",
        tool_label="Lever",
        status="ACTIVE",
        setup_status="COMPLETED",
        has_attachment_permission=True,
        application_count=40,
        demonstrates="supported tool without remote fields; accepted MIME types unknown",
    ),
    SandboxIntegration(
        id="personio:sandbox-personio",
        tool_id="personio",
        tool_label="Personio",
        status="ACTIVE",
        setup_status="COMPLETED",
        has_attachment_permission=True,
        application_count=30,
        demonstrates="tool not on the supported list: success, file added to the candidate (warning)",
    ),
    SandboxIntegration(
        id="teamtailor:sandbox-inactive",
        tool_id="teamtailor",
        tool_label="Teamtailor",
        status="INACTIVE",
        setup_status="COMPLETED",
        has_attachment_permission=True,
        application_count=15,
        demonstrates="inactive integration: reads work, uploads fail with INTEGRATION.INACTIVE",
    ),
    SandboxIntegration(
        id="recruitee:sandbox-no-permission",
        tool_id="recruitee",
        tool_label="Recruitee",
        status="ACTIVE",
        setup_status="COMPLETED",
        has_attachment_permission=False,
        application_count=20,
        demonstrates="scope config without 'Add attachments': uploads fail with INTEGRATION.PERMISSION_MISSING",
    ),
    SandboxIntegration(
        id="smartrecruiters:sandbox-setup-incomplete",
        tool_id="smartrecruiters",
        tool_label="SmartRecruiters",
        status="ACTIVE",
        setup_status="INCOMPLETE",
        has_attachment_permission=True,
        application_count=0,
        demonstrates="setup incomplete: everything fails with INTEGRATION.SETUP_INCOMPLETE (HTTP 409)",
    ),
    SandboxIntegration(
        id="workday:sandbox-big",
        tool_id="workday",
        tool_label="Workday",
        status="ACTIVE",
        setup_status="COMPLETED",
        has_attachment_permission=True,
        application_count=20_000,
        demonstrates="20,000 applications: paging and picker performance",
    ),
]
"""Every integration of the sandbox, in the order they are presented."""

INTEGRATIONS_BY_ID: dict[str, SandboxIntegration] = {i.id: i for i in INTEGRATIONS}


def get_integration(integration_id: str) -> SandboxIntegration | None:
    """The sandbox integration with this id, or None."""
    return INTEGRATIONS_BY_ID.get(integration_id)
