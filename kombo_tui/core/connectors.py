"""Which ATS connectors support adding attachments to applications, and their remote fields.

Pure data, no I/O. The list is the "Supported integrations" accordion of Kombo's
*Add attachment to application* page; for any other tool Kombo adds the file to the
candidate instead (and says so in a warning). At run time ``GET /tools/ats`` is the
authority; this list is what we show before asking.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Literal

__all__ = [
    "ACTION_ID",
    "ORACLE_CATEGORIES",
    "REMOTE_FIELD_FAMILIES",
    "SUPPORTED_TOOLS",
    "FieldSpec",
    "RemoteFieldFamily",
    "families_for_tool",
    "is_supported",
    "tool_id_of",
    "tool_label",
]

ACTION_ID = "ats_add_application_attachment"
"""The write action behind the endpoint (``write_actions[].id``, ``/ats/actions/{id}``)."""

ORACLE_CATEGORIES: tuple[str, ...] = ("IRC_CANDIDATE_RESUME", "IRC_CANDIDATE_COVERLETTER", "MISC", "IRC_INTERNAL")
"""``remote_fields.oracle.override_document_category`` values (kept equal to models.OracleCategory;
spelled out so importing this module stays cheap)."""

SUPPORTED_TOOLS: dict[str, str] = {
    "workday": "Workday",
    "successfactors": "SAP SuccessFactors",
    "smartrecruiters": "SmartRecruiters",
    "factorial": "Factorial",
    "oraclerecruiting": "Oracle Recruiting Cloud",
    "lever": "Lever",
    "icims": "iCIMS",
    "cornerstonetalentlink": "Cornerstone TalentLink",
    "recruitee": "Recruitee",
    "recruiterflow": "RecruiterFlow",
    "greenhouse": "Greenhouse (V1)",
    "greenhousev3": "Greenhouse (V3)",
    "teamtailor": "Teamtailor",
    "ashby": "Ashby",
    "onlyfy": "Onlyfy",
    "ukgpro": "UKG Pro",
    "ukgready": "UKG Ready",
    "adpworkforcenow": "ADP Workforce Now",
    "bullhorn4salesforce": "Bullhorn for Salesforce",
    "bullhorn": "Bullhorn",
    "bullhornlogin": "Bullhorn Login",
    "workable": "Workable",
    "jobvite": "Jobvite",
    "fountain": "Fountain",
    "welcometothejungle": "Welcome to the Jungle",
    "dvinci": "d.vinci",
    "dvinciadmin": "d.vinci admin",
    "traffit": "TRAFFIT",
    "erecruiter": "eRecruiter",
    "abacusumantis": "Abacus Umantis",
    "umantis": "Haufe Umantis",
    "taleez": "Taleez",
    "hrworks": "HR WORKS",
    "otys": "OTYS",
    "zohorecruit": "Zoho Recruit",
    "jobdiva": "JobDiva",
    "paradox": "Paradox",
    "recruitcrm": "Recruit CRM",
    "jazzhr": "JazzHR",
    "bite": "BITE",
    "homerun": "Homerun",
    "carerix": "Carerix",
    "inrecruiting": "InRecruiting by Zucchetti",
    "jobadder": "JobAdder",
    "hr4you": "HR4YOU",
    "odoo": "Odoo",
    "covetorest": "Coveto (REST API)",
    "mercury": "Mercury",
    "crelate": "Crelate",
    "manatal": "Manatal",
    "avionte": "Avionté",
    "asymbl": "Asymbl",
    "breezyhr": "Breezy HR",
    "reachmee": "ReachMee",
    "sandbox": "Kombo Sandbox",
    "loxo": "Loxo",
}
"""Tool id → label, in the order Kombo's docs list them."""


@dataclass(frozen=True)
class FieldSpec:
    """One remote field: where it goes in ``remote_fields`` and how to ask for it."""

    path: tuple[str, ...]
    """Keys below ``remote_fields``, e.g. ``("greenhouse", "post_headers", "On-Behalf-Of")``."""
    label: str
    kind: Literal["select", "bool", "text"]
    help: str
    choices: tuple[str, ...] = ()
    cli_flag: str = ""
    """The ``kombo-tui send`` flag that sets this field (the CLI's parser is built from these)."""
    cli_help: str = ""
    """The flag's one-line ``--help`` text."""
    cli_metavar: str = ""
    """The flag's value placeholder in ``--help`` (none for a ``bool`` field: it takes no value)."""


@dataclass(frozen=True)
class RemoteFieldFamily:
    """The remote fields Kombo passes through to one ATS family."""

    key: str
    """The key under ``remote_fields`` (``oracle``, ``greenhouse``, ``workable``)."""
    label: str
    tools: tuple[str, ...]
    """Tool ids whose integrations read this family."""
    fields: tuple[FieldSpec, ...] = field(default_factory=tuple)


REMOTE_FIELD_FAMILIES: tuple[RemoteFieldFamily, ...] = (
    RemoteFieldFamily(
        key="oracle",
        label="Oracle Recruiting Cloud",
        tools=("oraclerecruiting",),
        fields=(
            FieldSpec(
                path=("oracle", "override_document_category"),
                label="Document category",
                kind="select",
                help="Overrides the document category Oracle files the attachment under.",
                choices=ORACLE_CATEGORIES,
                cli_flag="--oracle-category",
                cli_help="Oracle document category (IRC_CANDIDATE_RESUME, ...)",
                cli_metavar="C",
            ),
            FieldSpec(
                path=("oracle", "multi_post_to_all_current_applications"),
                label="Post to all current applications",
                kind="bool",
                help="Also attach the file to every current application of the candidate.",
                cli_flag="--oracle-multi-post",
                cli_help="Oracle: post to all current applications",
            ),
        ),
    ),
    RemoteFieldFamily(
        key="greenhouse",
        label="Greenhouse",
        tools=("greenhouse", "greenhousev3"),
        fields=(
            FieldSpec(
                path=("greenhouse", "post_headers", "On-Behalf-Of"),
                label="On-Behalf-Of user id",
                kind="text",
                help="Greenhouse user shown as having added the file (Kombo sends a default).",
                cli_flag="--greenhouse-on-behalf-of",
                cli_help="Greenhouse On-Behalf-Of user id",
                cli_metavar="ID",
            ),
        ),
    ),
    RemoteFieldFamily(
        key="workable",
        label="Workable",
        tools=("workable",),
        fields=(
            FieldSpec(
                path=("workable", "on_behalf_of_user_remote_id"),
                label="On behalf of user (remote id)",
                kind="text",
                help="Workable user shown in the UI as the one who added the file.",
                cli_flag="--workable-on-behalf-of",
                cli_help="Workable on_behalf_of_user_remote_id",
                cli_metavar="ID",
            ),
        ),
    ),
)


def tool_id_of(integration_id: str) -> str:
    """The tool part of an integration id (``greenhouse:abc`` → ``greenhouse``)."""
    return integration_id.split(":", 1)[0].strip().lower()


def is_supported(tool_id: str) -> bool:
    """Whether the tool adds attachments to the application (else: to the candidate)."""
    return tool_id in SUPPORTED_TOOLS


def tool_label(tool_id: str) -> str:
    return SUPPORTED_TOOLS.get(tool_id, tool_id)


def families_for_tool(tool_id: str) -> list[RemoteFieldFamily]:
    """The remote-field families an integration of this tool reads (possibly none)."""
    return [f for f in REMOTE_FIELD_FAMILIES if tool_id in f.tools]
