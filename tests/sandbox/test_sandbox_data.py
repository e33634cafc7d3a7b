"""The demo data: deterministic, realistic enough, and the big integration is big and fast."""

from __future__ import annotations

import dataclasses
import re
import time
from collections import Counter

import pytest

from kombo_tui.core.connectors import SUPPORTED_TOOLS
from kombo_tui.sandbox import data
from kombo_tui.sandbox.data import (
    DEFAULT_INTEGRATION_ID,
    INTEGRATIONS,
    SANDBOX_API_KEY,
    SandboxIntegration,
    dataset,
)

KOMBO_ID = re.compile(r"^[1-9A-HJ-NP-Za-km-z]{24}$")
# The spec's email pattern (components: email_address).
EMAIL = re.compile(r"^(?!\.)(?!.*\.\.)([\w'+-.]*)[\w+-]@([\da-z][\da-z-]*\.)+[a-z]{2,}$")


def test_public_constants() -> None:
    assert SANDBOX_API_KEY == "sk_sandbox_kombo_tui_demo"
    assert DEFAULT_INTEGRATION_ID == "greenhouse:sandbox-greenhouse"
    assert [i.id for i in INTEGRATIONS] == [
        "greenhouse:sandbox-greenhouse",
        "oraclerecruiting:sandbox-oracle",
        "workable:sandbox-workable",
        "lever:sandbox-lever",
        "personio:sandbox-personio",
        "teamtailor:sandbox-inactive",
        "recruitee:sandbox-no-permission",
        "smartrecruiters:sandbox-setup-incomplete",
        "workday:sandbox-big",
    ]
    for integration in INTEGRATIONS:
        assert isinstance(integration, SandboxIntegration)
        assert integration.id.split(":")[0] == integration.tool_id
        assert integration.demonstrates
    with pytest.raises(dataclasses.FrozenInstanceError):
        INTEGRATIONS[0].status = "INACTIVE"  # type: ignore[misc]


def test_each_branch_is_represented() -> None:
    by_id = {i.id: i for i in INTEGRATIONS}
    assert by_id["personio:sandbox-personio"].tool_id not in SUPPORTED_TOOLS
    assert all(
        i.tool_id in SUPPORTED_TOOLS for i in INTEGRATIONS if i.id != "personio:sandbox-personio"
    )
    assert by_id["teamtailor:sandbox-inactive"].status == "INACTIVE"
    assert by_id["recruitee:sandbox-no-permission"].has_attachment_permission is False
    assert by_id["smartrecruiters:sandbox-setup-incomplete"].setup_status == "INCOMPLETE"
    assert by_id["workday:sandbox-big"].application_count == 20_000
    assert by_id["greenhouse:sandbox-greenhouse"].application_count == 60
    assert by_id["oraclerecruiting:sandbox-oracle"].application_count == 40


@pytest.mark.parametrize("integration", INTEGRATIONS, ids=lambda i: i.id)
def test_application_counts_match(integration: SandboxIntegration) -> None:
    ds = dataset(integration.id)
    assert len(ds.live_applications) == integration.application_count
    assert all(a.deleted is None for a in ds.live_applications)
    deleted = [a for a in ds.applications if a.deleted is not None]
    assert len(deleted) == integration.application_count // 40
    assert len({a.id for a in ds.applications}) == len(ds.applications)


def test_big_integration_has_exactly_20000() -> None:
    # How fast it is built is benchmarks/bench_sandbox.py's to measure, not a test's.
    integration = data.INTEGRATIONS_BY_ID["workday:sandbox-big"]
    ds = data._generate(integration, seed=4242)  # uncached on purpose
    assert len(ds.live_applications) == 20_000
    assert len(ds.applications) == 20_500


def test_same_seed_same_data_other_seed_other_data() -> None:
    integration = data.INTEGRATIONS_BY_ID["oraclerecruiting:sandbox-oracle"]
    one = data._generate(integration, seed=7)
    two = data._generate(integration, seed=7)
    other = data._generate(integration, seed=8)

    def fingerprint(ds: data.Dataset) -> list[tuple[str, ...]]:
        return [
            (
                a.id,
                a.remote_id,
                a.candidate.full_name,
                a.candidate.email,
                a.job.name,
                a.stage.name,
                a.outcome,
                str(a.created),
                str(a.deleted),
            )
            for a in ds.applications
        ]

    assert fingerprint(one) == fingerprint(two)
    assert fingerprint(one) != fingerprint(other)
    assert [a.id for a in one.applications] != [a.id for a in other.applications]


def test_dataset_is_cached_per_integration_and_seed() -> None:
    assert dataset("lever:sandbox-lever") is dataset("lever:sandbox-lever")
    assert dataset("lever:sandbox-lever") is dataset("lever:sandbox-lever", data.DEFAULT_SEED)
    assert dataset("lever:sandbox-lever") is dataset("lever:sandbox-lever", seed=data.DEFAULT_SEED)
    assert dataset("lever:sandbox-lever", 1) is not dataset("lever:sandbox-lever", 2)
    with pytest.raises(KeyError):
        dataset("lever:nope")


def test_people_look_real() -> None:
    ds = dataset("workday:sandbox-big")
    emails = [c.email for c in ds.candidates]
    assert len(set(emails)) == len(emails), "emails must be unique"
    assert all(EMAIL.match(e) for e in emails)
    assert all(
        e.split("@")[1].endswith(("example.com", "example.org", "example.net")) for e in emails
    )
    names = {c.full_name for c in ds.candidates}
    assert len(names) > 3000
    assert any(not name.isascii() for name in names), "international names with accents"
    # Emails are derived from the names (folded to ASCII).
    anna = next(c for c in ds.candidates if c.first_name == "Łukasz")
    assert "lukasz" in anna.email or anna.email.startswith("l.")
    for candidate in ds.candidates[:200]:
        assert KOMBO_ID.match(candidate.id)
        assert 1 <= len(candidate.applications) <= 3


def test_stages_outcomes_and_dates_are_consistent() -> None:
    ds = dataset("workday:sandbox-big")
    outcomes = Counter(a.outcome for a in ds.live_applications)
    assert set(outcomes) == {"PENDING", "HIRED", "DECLINED"}
    assert outcomes["PENDING"] > outcomes["HIRED"]
    for application in ds.applications:
        assert KOMBO_ID.match(application.id)
        assert application.stage in application.job.stages
        assert application.created <= application.updated <= data.REFERENCE_TIME
        if application.outcome == "HIRED":
            assert application.stage.name == "Hired"
        elif application.outcome == "DECLINED":
            assert application.rejection_reason
            assert application.rejected_at == application.updated
            assert application.stage.name != "Hired"
        else:
            assert application.rejection_reason is None
            assert application.stage.name != "Hired"
        assert application.job.status != "DRAFT"
    stage_names = {s.name for j in ds.jobs for s in j.stages}
    assert {"Application Review", "Phone Screen", "Offer", "Hired"} <= stage_names
    assert {j.status for j in ds.jobs} == {"OPEN", "CLOSED", "DRAFT", "ARCHIVED"}
    assert len({j.department for j in ds.jobs}) >= 8


def test_iso_dates() -> None:
    assert data.iso(data.REFERENCE_TIME) == "2026-01-15T09:00:00.000Z"
    assert data.iso(0) == "1970-01-01T00:00:00.000Z"
    assert data.iso(951_868_799) == "2000-02-29T23:59:59.000Z"
    for moment in range(1_600_000_000, 1_800_000_000, 9_876_543):
        assert data.iso(moment) == time.strftime("%Y-%m-%dT%H:%M:%S.000Z", time.gmtime(moment))


def test_restrictions_per_tool() -> None:
    by_id = data.INTEGRATIONS_BY_ID
    greenhouse = data.attachment_restrictions(by_id["greenhouse:sandbox-greenhouse"])
    assert greenhouse is not None
    assert greenhouse["CV"].max_file_size_bytes == 10 * 1024 * 1024
    assert "application/pdf" in (greenhouse["CV"].accepted_mime_types or ())
    oracle = data.attachment_restrictions(by_id["oraclerecruiting:sandbox-oracle"])
    assert oracle is not None and oracle["CV"].max_file_size_bytes == 5 * 1024 * 1024
    lever = data.attachment_restrictions(by_id["lever:sandbox-lever"])
    assert lever is not None and lever["CV"].accepted_mime_types is None
    workable = data.attachment_restrictions(by_id["workable:sandbox-workable"])
    assert workable is not None and workable["COVER_LETTER"].is_supported is False
    assert workable["COVER_LETTER"].to_json() == {"is_supported": False}
    assert data.attachment_restrictions(by_id["personio:sandbox-personio"]) is None
