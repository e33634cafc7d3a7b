"""The official ``kombo`` SDK 1.4.0, unchanged, against the sandbox on a loopback port.

If the sandbox's envelopes drift from Kombo's, the SDK's strict response models fail here.
"""

from __future__ import annotations

import base64
import threading
from collections.abc import Callable
from typing import Any

import httpx
import pytest
from kombo import Kombo, errors

from kombo_tui.sandbox.app import SandboxConfig
from kombo_tui.sandbox.data import INTEGRATIONS, SANDBOX_API_KEY, dataset
from kombo_tui.sandbox.server import SandboxServer

KomboFactory = Callable[..., Kombo]

PDF = b"%PDF-1.7\n1 0 obj <<>> endobj\ntrailer <<>>\n%%EOF\n"


def attachment(**changes: Any) -> dict[str, Any]:
    out: dict[str, Any] = {
        "name": "Resume.pdf",
        "type": "CV",
        "content_type": "application/pdf",
        "data": base64.b64encode(PDF).decode(),
    }
    out.update(changes)
    return {k: v for k, v in out.items() if v is not None}


def ats_error(call: Callable[[], Any]) -> errors.KomboAtsError:
    with pytest.raises(errors.KomboAtsError) as caught:
        call()
    return caught.value


def live_application(integration_id: str, index: int = 0) -> str:
    return dataset(integration_id).live_applications[index].id


# --------------------------------------------------------------------------- reads


def test_check_api_key(kombo: KomboFactory) -> None:
    with kombo() as k:
        response = k.general.check_api_key()
    assert response.data.environment_id == "sandbox"


@pytest.mark.parametrize("integration", INTEGRATIONS, ids=lambda i: i.id)
def test_every_integration_validates_in_the_sdk(kombo: KomboFactory, integration: Any) -> None:
    with kombo() as k:
        details = k.general.get_integration_details(integration_id=integration.id)
    data = details.data
    assert data.id == integration.id
    assert data.tool.id == integration.tool_id
    assert data.status == integration.status
    assert data.setup_status == integration.setup_status
    action = next(a for a in data.write_actions if a.id == "ats_add_application_attachment")
    assert action.is_available is (
        integration.status == "ACTIVE"
        and integration.setup_status == "COMPLETED"
        and integration.has_attachment_permission
        and integration.id != "personio:sandbox-personio"
    )


def test_tools(kombo: KomboFactory) -> None:
    with kombo() as k:
        tools = k.general.get_tools(category="ats").data.tools
    greenhouse = next(t for t in tools if t.id == "greenhouse")
    coverage = {a.id: a.coverage_status for a in greenhouse.coverage.write_actions}
    assert coverage["ats_add_application_attachment"] == "SUPPORTED"


def test_get_applications_across_every_page(kombo: KomboFactory) -> None:
    integration_id = "oraclerecruiting:sandbox-oracle"
    with kombo(integration_id) as k:
        page = k.ats.get_applications(page_size=7)
        ids: list[str] = []
        pages = 0
        while page is not None:
            pages += 1
            ids += [a.id for a in page.result.data.results]
            page = page.next()
    assert pages == 6  # 40 applications, 7 per page
    assert len(ids) == 40 == len(set(ids))
    assert ids == [a.id for a in dataset(integration_id).live_applications]


def test_get_applications_with_filters(kombo: KomboFactory) -> None:
    integration_id = "lever:sandbox-lever"
    ds = dataset(integration_id)
    with kombo(integration_id) as k:
        response = k.ats.get_applications(outcomes=["HIRED", "DECLINED"], page_size=250)
    got = [a.id for a in response.result.data.results]
    assert got == [a.id for a in ds.live_applications if a.outcome in ("HIRED", "DECLINED")]
    assert all(a.current_stage is not None for a in response.result.data.results)


def test_candidates_and_jobs_validate(kombo: KomboFactory) -> None:
    integration_id = "workable:sandbox-workable"
    candidate = dataset(integration_id).candidates[3]
    with kombo(integration_id) as k:
        by_email = k.ats.get_candidates(email=candidate.email.upper()).result.data.results
        assert [c.id for c in by_email] == [candidate.id]
        assert by_email[0].applications[0].job is not None
        jobs = k.ats.get_jobs(page_size=250).result.data.results
        assert len(jobs) == len(dataset(integration_id).jobs)
        assert all(job.stages for job in jobs)
        everyone = k.ats.get_candidates(page_size=250).result.data.results
        assert [c.id for c in everyone] == [
            c.id for c in dataset(integration_id).candidates if c.deleted is None
        ]
        with_deleted = k.ats.get_candidates(page_size=250, include_deleted=True).result.data.results
        assert len(with_deleted) == len(dataset(integration_id).candidates) > len(everyone)
        assert [c.remote_deleted_at is not None for c in with_deleted].count(True) == len(
            with_deleted
        ) - len(everyone)


# --------------------------------------------------------------------------- uploads


def test_add_application_attachment_and_see_it(kombo: KomboFactory, server: SandboxServer) -> None:
    integration_id = "lever:sandbox-lever"
    application_id = live_application(integration_id, 3)
    with kombo(integration_id) as k:
        response = k.ats.add_application_attachment(
            application_id=application_id, attachment=attachment(name="Plain CV.pdf")
        )
        assert response.warnings == []
        listed = k.ats.get_application_attachments(application_id=application_id)
    names = [a.file_name for a in listed.data.results]
    assert names.count("Plain CV.pdf") == 1
    [stored] = [
        s
        for s in server.sandbox.attachments(integration_id, application_id)
        if s.file_name == "Plain CV.pdf"
    ]
    assert stored.size == len(PDF)


def test_fallback_to_candidate_for_unsupported_tool(
    kombo: KomboFactory, server: SandboxServer
) -> None:
    integration_id = "personio:sandbox-personio"
    application_id = live_application(integration_id, 1)
    with kombo(integration_id) as k:
        response = k.ats.add_application_attachment(
            application_id=application_id, attachment=attachment()
        )
        listed = k.ats.get_application_attachments(application_id=application_id)
    assert len(response.warnings) == 1
    assert "added to the candidate instead" in response.warnings[0].message
    assert "Resume.pdf" in [a.file_name for a in listed.data.results]
    candidate_id = dataset(integration_id).applications_by_id[application_id].candidate.id
    assert [
        s.application_id for s in server.sandbox.candidate_attachments(integration_id, candidate_id)
    ] == [None]


def test_greenhouse_remote_fields(kombo: KomboFactory, server: SandboxServer) -> None:
    integration_id = "greenhouse:sandbox-greenhouse"
    application_id = live_application(integration_id, 5)
    with kombo(integration_id) as k:
        with_user = k.ats.add_application_attachment(
            application_id=application_id,
            attachment=attachment(name="by-user.pdf"),
            remote_fields={"greenhouse": {"post_headers": {"on_behalf_of": "4080002"}}},
        )
        without = k.ats.add_application_attachment(
            application_id=application_id, attachment=attachment(name="default.pdf")
        )
    assert with_user.warnings == []
    assert "No On-Behalf-Of given" in without.warnings[0].message
    stored = {s.file_name: s for s in server.sandbox.attachments(integration_id, application_id)}
    assert stored["by-user.pdf"].remote_fields == {"on_behalf_of": "4080002"}
    assert stored["default.pdf"].remote_fields == {"on_behalf_of": "4080001"}


def test_oracle_remote_fields(kombo: KomboFactory, server: SandboxServer) -> None:
    integration_id = "oraclerecruiting:sandbox-oracle"
    ds = dataset(integration_id)
    candidate = next(c for c in ds.candidates if sum(a.is_current for a in c.applications) >= 2)
    current = [a for a in candidate.applications if a.is_current]
    with kombo(integration_id) as k:
        response = k.ats.add_application_attachment(
            application_id=current[0].id,
            attachment=attachment(name="oracle.pdf", type="OTHER"),
            remote_fields={
                "oracle": {
                    "override_document_category": "MISC",
                    "multi_post_to_all_current_applications": True,
                }
            },
        )
    assert "multi_post_to_all_current_applications" in response.warnings[0].message
    for application in current:
        [copy] = [
            s
            for s in server.sandbox.attachments(integration_id, application.id)
            if s.file_name == "oracle.pdf"
        ]
        assert copy.remote_fields == {"document_category": "MISC", "multi_post": True}


def test_workable_remote_fields(kombo: KomboFactory, server: SandboxServer) -> None:
    integration_id = "workable:sandbox-workable"
    application_id = live_application(integration_id, 2)
    user = dataset(integration_id).users[4].remote_id
    with kombo(integration_id) as k:
        response = k.ats.add_application_attachment(
            application_id=application_id,
            attachment=attachment(name="workable.pdf"),
            remote_fields={"workable": {"on_behalf_of_user_remote_id": user}},
        )
        error = ats_error(
            lambda: k.ats.add_application_attachment(
                application_id=application_id,
                attachment=attachment(name="workable.pdf"),
                remote_fields={"workable": {"on_behalf_of_user_remote_id": "ghost"}},
            )
        )
    assert response.warnings == []
    assert error.data.error.code == "REMOTE.INPUT_INVALID"
    [stored] = [
        s
        for s in server.sandbox.attachments(integration_id, application_id)
        if s.file_name == "workable.pdf"
    ]
    assert stored.remote_fields == {"on_behalf_of": user}


def test_candidate_attachments_in_the_sdk(kombo: KomboFactory) -> None:
    integration_id = "greenhouse:sandbox-greenhouse"
    candidate = dataset(integration_id).candidates[6]
    with kombo(integration_id) as k:
        k.ats.add_candidate_attachment(
            candidate_id=candidate.id, attachment=attachment(name="candidate-level.pdf")
        )
        listed = k.ats.get_candidate_attachments(candidate_id=candidate.id).data.results
    [mine] = [a for a in listed if a.file_name == "candidate-level.pdf"]
    assert mine.candidate_id == candidate.id and mine.application_id is None


# --------------------------------------------------------------------------- every error as the SDK sees it


def test_auth_error(kombo: KomboFactory) -> None:
    with kombo(api_key="sk_wrong") as k:
        with pytest.raises(errors.KomboGeneralError) as general:
            k.general.check_api_key()
        ats = ats_error(lambda: k.ats.get_applications())
    assert general.value.data.error.code == "PLATFORM.AUTHENTICATION_INVALID"
    assert general.value.status_code == 401
    assert ats.data.error.code == "PLATFORM.AUTHENTICATION_INVALID"


def test_not_found_errors(kombo: KomboFactory, server: SandboxServer) -> None:
    with kombo("greenhouse:does-not-exist") as k:
        with pytest.raises(errors.KomboGeneralError) as details:
            k.general.get_integration_details(integration_id="greenhouse:does-not-exist")
        unknown_integration = ats_error(lambda: k.ats.get_applications())
    with kombo() as k:
        unknown_application = ats_error(
            lambda: k.ats.add_application_attachment(
                application_id="no-such-app", attachment=attachment()
            )
        )
    assert details.value.data.error.code == "PLATFORM.INTEGRATION_NOT_FOUND"
    assert unknown_integration.data.error.code == "PLATFORM.INTEGRATION_NOT_FOUND"
    assert unknown_application.status_code == 404
    assert unknown_application.data.error.code == "PLATFORM.INPUT_INVALID"
    assert "no-such-app" in unknown_application.data.error.message
    log_url = unknown_application.data.error.log_url
    origin = server.base_url.removesuffix("/v1")
    assert log_url is not None and log_url.startswith(f"{origin}/logs/sbx")  # the sandbox's own log page
    page = httpx.get(log_url)
    assert page.status_code == 200 and "POST /v1/ats/applications/no-such-app/attachments" in page.text
    assert "404 PLATFORM.INPUT_INVALID" in page.text


@pytest.mark.parametrize(
    ("changes", "field"),
    [
        ({"content_type": "pdf"}, "attachment.content_type"),
        ({"content_type": None}, "attachment.content_type"),
        ({"name": "  "}, "attachment.name"),
        ({"data": "not base64!"}, "attachment.data"),
        ({"data": None}, "attachment.data"),
        ({"data_url": "https://files.example.com/cv.pdf"}, "attachment"),
        ({"data": None, "data_url": "ftp://files.example.com/cv.pdf"}, "attachment.data_url"),
    ],
)
def test_input_invalid_per_field(kombo: KomboFactory, changes: dict[str, Any], field: str) -> None:
    with kombo() as k:
        error = ats_error(
            lambda: k.ats.add_application_attachment(
                application_id=live_application("greenhouse:sandbox-greenhouse"),
                attachment=attachment(**changes),
            )
        )
    assert error.status_code == 400
    assert error.data.error.code == "PLATFORM.INPUT_INVALID"
    assert error.data.error.message.startswith(field)


@pytest.mark.parametrize(
    ("integration_id", "code", "status"),
    [
        ("recruitee:sandbox-no-permission", "INTEGRATION.PERMISSION_MISSING", 403),
        ("teamtailor:sandbox-inactive", "INTEGRATION.INACTIVE", 403),
        ("smartrecruiters:sandbox-setup-incomplete", "INTEGRATION.SETUP_INCOMPLETE", 409),
    ],
)
def test_integration_state_errors(
    kombo: KomboFactory, integration_id: str, code: str, status: int
) -> None:
    ds = dataset(integration_id)
    application_id = ds.live_applications[0].id if ds.live_applications else "anything"
    with kombo(integration_id) as k:
        error = ats_error(
            lambda: k.ats.add_application_attachment(
                application_id=application_id, attachment=attachment()
            )
        )
    assert error.data.error.code == code
    assert error.status_code == status


def test_size_limit_and_mime(kombo: KomboFactory) -> None:
    oracle = "oraclerecruiting:sandbox-oracle"
    too_big = base64.b64encode(b"%PDF" + b"0" * (5 * 1024 * 1024)).decode()
    with kombo(oracle) as k:
        size = ats_error(
            lambda: k.ats.add_application_attachment(
                application_id=live_application(oracle), attachment=attachment(data=too_big)
            )
        )
    with kombo() as k:
        mime = ats_error(
            lambda: k.ats.add_application_attachment(
                application_id=live_application("greenhouse:sandbox-greenhouse"),
                attachment=attachment(content_type="image/gif", name="cv.gif"),
            )
        )
    assert size.data.error.code == "REMOTE.INPUT_INVALID"
    assert "5,242,880" in size.data.error.message
    assert mime.data.error.code == "REMOTE.INPUT_INVALID"
    assert "image/gif" in mime.data.error.message


def test_rate_limit_in_the_sdk() -> None:
    with SandboxServer(SandboxConfig(rate_limit=2, rate_window=60)) as server:
        with Kombo(
            api_key=SANDBOX_API_KEY,
            integration_id="lever:sandbox-lever",
            server_url=server.base_url,
        ) as k:
            k.general.check_api_key()
            k.ats.get_jobs()
            limited = ats_error(lambda: k.ats.get_applications())
            with pytest.raises(errors.KomboGeneralError) as general:
                k.general.check_api_key()
    assert limited.status_code == 429
    assert limited.data.error.code == "PLATFORM.RATE_LIMIT_EXCEEDED"
    assert int(limited.headers["ratelimit-reset"]) > 0
    assert limited.headers["retry-after"] == limited.headers["ratelimit-reset"]
    assert general.value.data.error.code == "PLATFORM.RATE_LIMIT_EXCEEDED"


def test_concurrency_limit_in_the_sdk() -> None:
    integration_id = "lever:sandbox-lever"
    # The slot is held for 2 s; the barrier makes the three calls start together even on a
    # busy machine, so exactly one gets the slot.
    config = SandboxConfig(latency=2.0, concurrency_limit=1)
    outcomes: list[str] = []
    lock = threading.Lock()
    ready = threading.Barrier(3)
    with SandboxServer(config) as server:

        def upload(index: int) -> None:
            with Kombo(
                api_key=SANDBOX_API_KEY, integration_id=integration_id, server_url=server.base_url
            ) as k:
                ready.wait(10)
                try:
                    k.ats.add_application_attachment(
                        application_id=live_application(integration_id, index),
                        attachment=attachment(),
                    )
                    result = "ok"
                except errors.KomboAtsError as exc:
                    result = exc.data.error.code or "?"
            with lock:
                outcomes.append(result)

        threads = [threading.Thread(target=upload, args=(i,)) for i in range(3)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(20)
        assert server.sandbox.upload_count() == outcomes.count("ok")
    assert sorted(outcomes) == ["PLATFORM.CONCURRENCY_LIMIT_EXCEEDED"] * 2 + ["ok"]


def test_injected_5xx_in_the_sdk() -> None:
    with SandboxServer(SandboxConfig(error_rate=1.0)) as server:
        with Kombo(
            api_key=SANDBOX_API_KEY,
            integration_id="lever:sandbox-lever",
            server_url=server.base_url,
        ) as k:
            json_500 = ats_error(lambda: k.ats.get_jobs())
            with pytest.raises(errors.SDKDefaultError) as html_502:
                k.ats.get_jobs()
    assert json_500.status_code == 500
    assert json_500.data.error.code == "PLATFORM.UNKNOWN_ERROR"
    assert html_502.value.status_code == 502
