"""The sandbox's endpoints in-process: envelopes, headers, auth, paging, filters, uploads."""

from __future__ import annotations

import asyncio
import hashlib
import re
from collections.abc import Callable
from typing import Any

import httpx
import pytest
from sandbox_helpers import (
    AUTH,
    RATE_HEADERS,
    assert_error,
    b64,
    first_application_id,
    headers,
    pdf_body,
    sandbox_of,
)

from kombo_tui.core.connectors import ACTION_ID, SUPPORTED_TOOLS
from kombo_tui.sandbox.app import SandboxConfig
from kombo_tui.sandbox.data import INTEGRATIONS, SANDBOX_API_KEY, dataset

ISO = re.compile(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z$")


# --------------------------------------------------------------------------- auth and headers


@pytest.mark.parametrize(
    "authorization",
    [
        None,
        "",
        "Bearer",
        "Bearer ",
        "Basic c2s6",
        "Token " + SANDBOX_API_KEY,
        SANDBOX_API_KEY,
        "Bearer wrong-key",
        "Bearer " + SANDBOX_API_KEY + "x",
        "Bearer a b",
    ],
)
@pytest.mark.parametrize(
    "path", ["/check-api-key", "/ats/applications", "/integrations/lever:sandbox-lever"]
)
async def test_bad_or_missing_key_is_401(
    make_client: Callable[..., httpx.AsyncClient], authorization: str | None, path: str
) -> None:
    async with make_client() as c:
        c.headers.pop("Authorization")
        if authorization is not None:
            c.headers["Authorization"] = authorization
        response = await c.get(path)
        error = assert_error(response, 401, "PLATFORM.AUTHENTICATION_INVALID")
        assert SANDBOX_API_KEY not in error["message"]


async def test_bearer_scheme_is_case_insensitive(client: httpx.AsyncClient) -> None:
    response = await client.get(
        "/check-api-key", headers={"Authorization": f"bearer {SANDBOX_API_KEY}"}
    )
    assert response.status_code == 200


async def test_check_api_key(client: httpx.AsyncClient) -> None:
    response = await client.get("/check-api-key")
    assert response.status_code == 200
    assert response.json() == {
        "status": "success",
        "data": {"environment_id": "sandbox", "customer_id": "sandbox"},
    }
    assert response.headers["ratelimit-limit"] == "10000"
    assert response.headers["ratelimit-remaining"] == "9999"
    assert 1 <= int(response.headers["ratelimit-reset"]) <= 60


async def test_every_response_carries_rate_headers(client: httpx.AsyncClient) -> None:
    application_id = await first_application_id(client)
    responses = [
        await client.get("/check-api-key"),
        await client.get("/nope"),
        await client.delete("/check-api-key"),
        await client.get("/ats/jobs", headers={"X-Integration-Id": "unknown:x"}),
        await client.get(f"/ats/applications/{application_id}/attachments"),
        await client.post(f"/ats/applications/{application_id}/attachments", json={}),
    ]
    for response in responses:
        for name in RATE_HEADERS:
            assert name in response.headers, (response.request.url, name)
    # Action endpoints also say how much concurrency is left.
    for response in responses[-2:]:
        assert response.headers["concurrency-limit"] == "30"
        assert response.headers["concurrency-remaining"] == "29"
    assert "concurrency-limit" not in responses[0].headers
    remaining = [int(r.headers["ratelimit-remaining"]) for r in responses]
    assert remaining == sorted(remaining, reverse=True)


async def test_ats_endpoints_need_the_integration_header(
    make_client: Callable[..., httpx.AsyncClient],
) -> None:
    async with make_client(integration_id=None) as c:
        for path in (
            "/ats/applications",
            "/ats/candidates",
            "/ats/jobs",
            f"/ats/actions/{ACTION_ID}",
        ):
            assert_error(
                await c.get(path), 400, "PLATFORM.INPUT_INVALID", in_message="X-Integration-Id"
            )
        assert_error(
            await c.get("/ats/jobs", headers={"X-Integration-Id": "  "}),
            400,
            "PLATFORM.INPUT_INVALID",
            in_message="X-Integration-Id",
        )
        assert_error(
            await c.get("/ats/jobs", headers={"X-Integration-Id": "greenhouse:nope"}),
            404,
            "PLATFORM.INTEGRATION_NOT_FOUND",
            in_message="greenhouse:nope",
        )
        # General endpoints do not need it.
        assert (await c.get("/check-api-key")).status_code == 200


async def test_unknown_route_and_method(client: httpx.AsyncClient) -> None:
    assert_error(
        await client.get("/ats/offers"), 404, "PLATFORM.INPUT_INVALID", in_message="/v1/ats/offers"
    )
    error = assert_error(await client.put("/ats/applications"), 405, "PLATFORM.INPUT_INVALID")
    assert "PUT" in error["message"]
    root = await client.get("http://sandbox/")
    assert root.status_code == 200 and "greenhouse:sandbox-greenhouse" in root.text


# --------------------------------------------------------------------------- general endpoints


@pytest.mark.parametrize("integration", INTEGRATIONS, ids=lambda i: i.id)
async def test_integration_details(client: httpx.AsyncClient, integration: Any) -> None:
    response = await client.get(f"/integrations/{integration.id}")
    assert response.status_code == 200
    data = response.json()["data"]
    assert data["id"] == integration.id
    assert data["tool"]["id"] == integration.tool_id
    assert data["category"] == "ATS"
    assert data["status"] == integration.status
    assert data["setup_status"] == integration.setup_status
    assert data["data_expired_at"] is None
    action = next(a for a in data["write_actions"] if a["id"] == ACTION_ID)
    expected_available = (
        integration.status == "ACTIVE"
        and integration.setup_status == "COMPLETED"
        and integration.has_attachment_permission
        and integration.tool_id in SUPPORTED_TOOLS
    )
    assert action["is_available"] is expected_available
    assert action["coverage_status"] == (
        "SUPPORTED" if integration.tool_id in SUPPORTED_TOOLS else "UNSUPPORTED"
    )
    assert action["scope_config_setting"] == (
        "ENABLED" if integration.has_attachment_permission else "DISABLED"
    )


async def test_integration_details_unknown(client: httpx.AsyncClient) -> None:
    assert_error(
        await client.get("/integrations/greenhouse:missing"), 404, "PLATFORM.INTEGRATION_NOT_FOUND"
    )


async def test_tools(client: httpx.AsyncClient) -> None:
    tools = (await client.get("/tools/ats")).json()["data"]["tools"]
    by_id = {t["id"]: t for t in tools}
    assert set(SUPPORTED_TOOLS) <= set(by_id)

    def coverage(tool_id: str) -> str:
        actions = by_id[tool_id]["coverage"]["write_actions"]
        status: str = next(a for a in actions if a["id"] == ACTION_ID)["coverage_status"]
        return status

    assert coverage("greenhouse") == "SUPPORTED"
    assert coverage("workday") == "SUPPORTED"
    assert coverage("personio") == "UNSUPPORTED"
    assert (await client.get("/tools/hris")).json()["data"]["tools"] == []
    assert_error(
        await client.get("/tools/crm"), 400, "PLATFORM.INPUT_INVALID", in_message="category"
    )


# --------------------------------------------------------------------------- paging and filters


async def test_applications_pages_cover_everything_once(
    make_client: Callable[..., httpx.AsyncClient],
) -> None:
    async with make_client(integration_id="workday:sandbox-big") as c:
        seen: list[str] = []
        cursor = None
        pages = 0
        while True:
            params: dict[str, Any] = {"page_size": 250}
            if cursor:
                params["cursor"] = cursor
            data = (await c.get("/ats/applications", params=params)).json()["data"]
            seen += [a["id"] for a in data["results"]]
            pages += 1
            cursor = data["next"]
            if cursor is None:
                break
        assert pages == 80
        assert len(seen) == 20_000 == len(set(seen))
        assert seen == [a.id for a in dataset("workday:sandbox-big").live_applications]


async def test_the_next_page_is_encoded_while_the_client_reads_this_one(
    make_client: Callable[..., httpx.AsyncClient],
) -> None:
    seed = 90210  # a data set of its own: the encoded items are cached per data set
    async with make_client(SandboxConfig(seed=seed)) as c:
        data = dataset("greenhouse:sandbox-greenhouse", seed)
        ids = [a.id for a in data.live_applications]
        first = (await c.get("/ats/applications", params={"page_size": 10})).json()["data"]
        assert [a["id"] for a in first["results"]] == ids[:10]
        cached = lambda chunk: [("application", i, False) in data.wire_cache for i in chunk]  # noqa: E731
        deadline = asyncio.get_running_loop().time() + 5
        while not all(cached(ids[10:20])):
            assert asyncio.get_running_loop().time() < deadline, "page 2 was never encoded ahead"
            await asyncio.sleep(0.01)
        assert not any(cached(ids[20:30]))  # one page ahead, not the whole list
        second = (await c.get("/ats/applications", params={"page_size": 10, "cursor": first["next"]})).json()
        assert [a["id"] for a in second["data"]["results"]] == ids[10:20]


async def test_default_page_size_is_100(make_client: Callable[..., httpx.AsyncClient]) -> None:
    async with make_client(integration_id="workday:sandbox-big") as c:
        data = (await c.get("/ats/applications")).json()["data"]
        assert len(data["results"]) == 100
        assert isinstance(data["next"], str)


@pytest.mark.parametrize("value", ["0", "251", "-1", "abc", "10.5", "", "１０"])
async def test_page_size_out_of_range(client: httpx.AsyncClient, value: str) -> None:
    for path in ("/ats/applications", "/ats/candidates", "/ats/jobs"):
        assert_error(
            await client.get(path, params={"page_size": value}),
            400,
            "PLATFORM.INPUT_INVALID",
            in_message="page_size",
        )


@pytest.mark.parametrize("value", ["1", "250"])
async def test_page_size_bounds_are_accepted(client: httpx.AsyncClient, value: str) -> None:
    response = await client.get("/ats/applications", params={"page_size": value})
    assert len(response.json()["data"]["results"]) == min(int(value), 60)


async def test_cursor_is_opaque_and_checked(client: httpx.AsyncClient) -> None:
    first = (await client.get("/ats/applications", params={"page_size": 5})).json()["data"]
    cursor = first["next"]
    assert cursor and not cursor.isdigit()  # opaque, not a plain offset
    second = (
        await client.get("/ats/applications", params={"page_size": 5, "cursor": cursor})
    ).json()["data"]
    assert {a["id"] for a in first["results"]}.isdisjoint(a["id"] for a in second["results"])
    for bad in ("abc", cursor[:-2], cursor + "x", "5"):
        assert_error(
            await client.get("/ats/applications", params={"cursor": bad}),
            400,
            "PLATFORM.INPUT_INVALID",
            in_message="cursor",
        )
    # A cursor of another integration or endpoint is refused.
    assert_error(
        await client.get(
            "/ats/applications",
            params={"cursor": cursor},
            headers={"X-Integration-Id": "lever:sandbox-lever"},
        ),
        400,
        "PLATFORM.INPUT_INVALID",
    )
    assert_error(
        await client.get("/ats/candidates", params={"cursor": cursor}),
        400,
        "PLATFORM.INPUT_INVALID",
    )


async def test_application_shape(client: httpx.AsyncClient) -> None:
    application = (await client.get("/ats/applications", params={"page_size": 1})).json()["data"][
        "results"
    ][0]
    for key in (
        "id",
        "remote_id",
        "outcome",
        "rejection_reason_name",
        "rejected_at",
        "current_stage_id",
        "job_id",
        "candidate_id",
        "custom_fields",
        "integration_fields",
        "remote_url",
        "changed_at",
        "remote_deleted_at",
        "remote_created_at",
        "remote_updated_at",
        "remote_data",
        "candidate",
        "current_stage",
        "job",
        "interviews",
        "offers",
    ):
        assert key in application
    assert application["outcome"] in ("PENDING", "HIRED", "DECLINED")
    assert ISO.match(application["changed_at"]) and ISO.match(application["remote_created_at"])
    assert application["candidate"]["email_addresses"][0]["email_address"]
    assert application["job"]["id"] == application["job_id"]
    assert application["current_stage"]["id"] == application["current_stage_id"]


async def test_application_filters(make_client: Callable[..., httpx.AsyncClient]) -> None:
    integration_id = "workday:sandbox-big"
    ds = dataset(integration_id)
    async with make_client(integration_id=integration_id) as c:

        async def ids_for(**params: Any) -> list[str]:
            params.setdefault("page_size", 250)
            collected: list[str] = []
            while True:
                data = (await c.get("/ats/applications", params=params)).json()["data"]
                collected += [a["id"] for a in data["results"]]
                if not data["next"]:
                    return collected
                params["cursor"] = data["next"]

        hired = await ids_for(outcomes="HIRED")
        assert hired == [a.id for a in ds.live_applications if a.outcome == "HIRED"]
        two = await ids_for(outcomes="HIRED,DECLINED")
        assert len(two) == sum(a.outcome in ("HIRED", "DECLINED") for a in ds.live_applications)
        job = ds.jobs[3]
        assert await ids_for(job_ids=job.id) == [a.id for a in ds.live_applications if a.job is job]
        wanted = [ds.live_applications[5].id, ds.live_applications[7].id]
        assert await ids_for(ids=",".join(wanted)) == wanted
        assert await ids_for(remote_ids=ds.live_applications[9].remote_id) == [
            ds.live_applications[9].id
        ]
        with_deleted = await ids_for(include_deleted="true")
        assert len(with_deleted) == 20_500
        recent = await ids_for(updated_after="2026-01-01T00:00:00Z")
        assert 0 < len(recent) < 20_000
        assert await ids_for(updated_after="2026-01-01") == recent
        assert await ids_for(outcomes="HIRED", job_ids=job.id) == [
            a.id for a in ds.live_applications if a.job is job and a.outcome == "HIRED"
        ]

        for params, name in (
            ({"outcomes": "WON"}, "outcomes"),
            ({"include_deleted": "yes"}, "include_deleted"),
            ({"updated_after": "01/02/2026"}, "updated_after"),
            ({"updated_after": "2026-13-45"}, "updated_after"),
            ({"remote_created_after": "yesterday"}, "remote_created_after"),
        ):
            assert_error(
                await c.get("/ats/applications", params=params),
                400,
                "PLATFORM.INPUT_INVALID",
                in_message=name,
            )


async def test_candidates_by_email_case_insensitive(client: httpx.AsyncClient) -> None:
    candidate = dataset("greenhouse:sandbox-greenhouse").candidates[4]
    response = await client.get("/ats/candidates", params={"email": candidate.email.upper()})
    results = response.json()["data"]["results"]
    assert [r["id"] for r in results] == [candidate.id]
    nested = results[0]["applications"]
    assert [a["id"] for a in nested] == [a.id for a in candidate.applications if a.deleted is None]
    assert nested[0]["job"]["name"] == candidate.applications[0].job.name
    by_name = (
        await client.get(
            "/ats/candidates",
            params={
                "first_name": candidate.first_name.lower(),
                "last_name": candidate.last_name.upper(),
            },
        )
    ).json()["data"]["results"]
    assert candidate.id in [r["id"] for r in by_name]
    assert all(r["first_name"] == candidate.first_name for r in by_name)
    none = (await client.get("/ats/candidates", params={"email": "nobody@example.com"})).json()[
        "data"
    ]
    assert none == {"next": None, "results": []}


async def test_jobs_name_contains(client: httpx.AsyncClient) -> None:
    jobs = dataset("greenhouse:sandbox-greenhouse").jobs
    word = jobs[0].name.split()[0]
    results = (await client.get("/ats/jobs", params={"name_contains": word.lower()})).json()[
        "data"
    ]["results"]
    assert results and all(word.lower() in r["name"].lower() for r in results)
    assert {r["id"] for r in results} == {j.id for j in jobs if word.lower() in j.name.lower()}
    open_jobs = (await client.get("/ats/jobs", params={"statuses": "OPEN"})).json()["data"][
        "results"
    ]
    assert open_jobs and all(r["status"] == "OPEN" for r in open_jobs)
    assert_error(
        await client.get("/ats/jobs", params={"statuses": "LIVE"}),
        400,
        "PLATFORM.INPUT_INVALID",
        in_message="statuses",
    )


async def test_setup_incomplete_is_409_everywhere(client: httpx.AsyncClient) -> None:
    headers_ = {"X-Integration-Id": "smartrecruiters:sandbox-setup-incomplete"}
    for method, path in (
        ("GET", "/ats/applications"),
        ("GET", "/ats/jobs"),
        ("GET", f"/ats/actions/{ACTION_ID}"),
        ("POST", "/ats/applications/x/attachments"),
    ):
        response = await client.request(
            method, path, headers=headers_, json=pdf_body() if method == "POST" else None
        )
        assert_error(response, 409, "INTEGRATION.SETUP_INCOMPLETE")


# --------------------------------------------------------------------------- action metadata


async def test_attachment_restrictions(client: httpx.AsyncClient) -> None:
    async def restrictions(integration_id: str, action: str = ACTION_ID) -> Any:
        response = await client.get(
            f"/ats/actions/{action}", headers={"X-Integration-Id": integration_id}
        )
        assert response.status_code == 200
        assert response.json()["status"] == "success"
        return response.json()["data"]["attachment_restrictions"]

    greenhouse = await restrictions("greenhouse:sandbox-greenhouse")
    assert set(greenhouse["types"]) == {"CV", "COVER_LETTER", "OTHER"}
    assert greenhouse["types"]["CV"]["is_supported"] is True
    assert greenhouse["types"]["CV"]["max_file_size_bytes"] == 10_485_760
    assert "application/pdf" in greenhouse["types"]["CV"]["accepted_mime_types"]
    assert (await restrictions("oraclerecruiting:sandbox-oracle"))["types"]["OTHER"][
        "max_file_size_bytes"
    ] == 5_242_880
    assert (await restrictions("lever:sandbox-lever"))["types"]["CV"]["accepted_mime_types"] is None
    assert (await restrictions("workable:sandbox-workable"))["types"]["COVER_LETTER"] == {
        "is_supported": False
    }
    assert await restrictions("personio:sandbox-personio") is None
    assert (
        await restrictions("greenhouse:sandbox-greenhouse", "ats_add_candidate_attachment")
    ) == greenhouse


# --------------------------------------------------------------------------- uploads


async def test_upload_is_stored_as_metadata_and_listed(client: httpx.AsyncClient) -> None:
    application_id = await first_application_id(client)
    content = b"%PDF-1.7\n" + bytes(range(256)) * 40
    body = {
        "attachment": {
            "name": "Lebenslauf Jürgen.pdf",
            "type": "CV",
            "content_type": "application/pdf",
            "data": b64(content),
        },
        "remote_fields": {"greenhouse": {"post_headers": {"On-Behalf-Of": "4080003"}}},
    }
    response = await client.post(f"/ats/applications/{application_id}/attachments", json=body)
    assert response.status_code == 200, response.text
    assert response.json() == {"status": "success", "data": {}, "warnings": []}

    sandbox = sandbox_of(client)
    assert sandbox.upload_count() == 1
    [stored] = sandbox.attachments("greenhouse:sandbox-greenhouse", application_id)
    assert stored.file_name == "Lebenslauf Jürgen.pdf"
    assert stored.size == len(content)
    assert stored.sha256 == hashlib.sha256(content).hexdigest()
    assert stored.content_type == "application/pdf" and stored.type == "CV"
    assert stored.remote_fields == {"on_behalf_of": "4080003"}
    assert not any(isinstance(v, bytes) for v in vars(stored).values())

    listed = (await client.get(f"/ats/applications/{application_id}/attachments")).json()
    assert listed["status"] == "success" and listed["warnings"] == []
    mine = [a for a in listed["data"]["results"] if a["id"] == stored.id]
    assert mine == [
        {
            "id": stored.id,
            "remote_id": stored.remote_id,
            "type": "CV",
            "data_url": f"https://sandbox.invalid/files/{stored.id}",
            "file_name": "Lebenslauf Jürgen.pdf",
            "content_type": "application/pdf",
            "remote_created_at": stored.created_at,
            "remote_updated_at": stored.created_at,
        }
    ]


async def test_greenhouse_without_on_behalf_of_warns(client: httpx.AsyncClient) -> None:
    application_id = await first_application_id(client)
    response = await client.post(f"/ats/applications/{application_id}/attachments", json=pdf_body())
    [warning] = response.json()["warnings"]
    assert "No On-Behalf-Of given" in warning["message"] and "default user" in warning["message"]
    null_given = await client.post(
        f"/ats/applications/{application_id}/attachments",
        json={
            **pdf_body(),
            "remote_fields": {"greenhouse": {"post_headers": {"On-Behalf-Of": None}}},
        },
    )
    assert "No On-Behalf-Of given" in null_given.json()["warnings"][0]["message"]


@pytest.mark.parametrize(
    "integration_id",
    ["greenhouse:sandbox-greenhouse", "oraclerecruiting:sandbox-oracle", "workable:sandbox-workable"],
)
@pytest.mark.parametrize("content_type", ["text/rtf", "application/rtf", "Text/RTF"])
async def test_an_rtf_cv_is_accepted_whichever_way_rtf_is_spelled(
    client: httpx.AsyncClient, integration_id: str, content_type: str
) -> None:
    # libmagic calls RTF text/rtf, the restrictions list application/rtf: one type.
    application_id = await first_application_id(client, integration_id)
    body = pdf_body(name="cv.rtf", content_type=content_type, data=b64(b"{\\rtf1 Jane}"))
    response = await client.post(
        f"/ats/applications/{application_id}/attachments",
        json=body,
        headers={"X-Integration-Id": integration_id},
    )
    assert response.status_code == 200, response.text
    [stored] = sandbox_of(client).attachments(integration_id, application_id)
    assert stored.content_type == content_type  # stored as given


async def test_a_type_outside_the_restrictions_is_still_refused(client: httpx.AsyncClient) -> None:
    application_id = await first_application_id(client)
    body = pdf_body(content_type="application/zip")
    response = await client.post(f"/ats/applications/{application_id}/attachments", json=body)
    assert_error(response, 400, "REMOTE.INPUT_INVALID", in_message="application/rtf")
    assert sandbox_of(client).upload_count() == 0


async def test_unknown_on_behalf_of_user_is_remote_error(client: httpx.AsyncClient) -> None:
    application_id = await first_application_id(client)
    response = await client.post(
        f"/ats/applications/{application_id}/attachments",
        json={
            **pdf_body(),
            "remote_fields": {"greenhouse": {"post_headers": {"On-Behalf-Of": "999"}}},
        },
    )
    assert_error(response, 400, "REMOTE.INPUT_INVALID", in_message="On-Behalf-Of")
    assert sandbox_of(client).upload_count() == 0


async def test_workable_on_behalf_of(client: httpx.AsyncClient) -> None:
    integration_id = "workable:sandbox-workable"
    application_id = await first_application_id(client, integration_id)
    user = dataset(integration_id).users[1].remote_id
    path = f"/ats/applications/{application_id}/attachments"
    h = {"X-Integration-Id": integration_id}
    good = await client.post(
        path,
        json={**pdf_body(), "remote_fields": {"workable": {"on_behalf_of_user_remote_id": user}}},
        headers=h,
    )
    assert good.status_code == 200 and good.json()["warnings"] == []
    assert sandbox_of(client).attachments(integration_id, application_id)[0].remote_fields == {
        "on_behalf_of": user
    }
    bad = await client.post(
        path,
        json={
            **pdf_body(),
            "remote_fields": {"workable": {"on_behalf_of_user_remote_id": "nobody"}},
        },
        headers=h,
    )
    assert_error(bad, 400, "REMOTE.INPUT_INVALID", in_message="on_behalf_of_user_remote_id")


async def test_oracle_category_and_multi_post(client: httpx.AsyncClient) -> None:
    integration_id = "oraclerecruiting:sandbox-oracle"
    ds = dataset(integration_id)
    candidate = next(c for c in ds.candidates if sum(a.is_current for a in c.applications) >= 2)
    current = [a for a in candidate.applications if a.is_current]
    target = current[0]
    h = {"X-Integration-Id": integration_id}
    sandbox = sandbox_of(client)

    plain = await client.post(
        f"/ats/applications/{target.id}/attachments", json=pdf_body(type="COVER_LETTER"), headers=h
    )
    assert plain.status_code == 200, plain.text
    [stored] = sandbox.attachments(integration_id, target.id)
    assert stored.remote_fields == {
        "document_category": "IRC_CANDIDATE_COVERLETTER",
        "multi_post": False,
    }

    multi = await client.post(
        f"/ats/applications/{target.id}/attachments",
        json={
            **pdf_body(),
            "remote_fields": {
                "oracle": {
                    "override_document_category": "IRC_INTERNAL",
                    "multi_post_to_all_current_applications": True,
                }
            },
        },
        headers=h,
    )
    assert multi.status_code == 200, multi.text
    assert f"{len(current)} application(s)" in multi.json()["warnings"][0]["message"]
    for application in current:
        copies = [
            s
            for s in sandbox.attachments(integration_id, application.id)
            if s.remote_fields.get("multi_post")
        ]
        assert len(copies) == 1
        assert copies[0].remote_fields["document_category"] == "IRC_INTERNAL"
    assert sandbox.upload_count() == 2


async def test_not_supported_tool_falls_back_to_candidate(client: httpx.AsyncClient) -> None:
    integration_id = "personio:sandbox-personio"
    ds = dataset(integration_id)
    candidate = next(
        c
        for c in ds.candidates
        if len(c.applications) >= 2 and all(a.deleted is None for a in c.applications)
    )
    first, second = candidate.applications[:2]
    h = {"X-Integration-Id": integration_id}
    response = await client.post(
        f"/ats/applications/{first.id}/attachments", json=pdf_body(), headers=h
    )
    assert response.status_code == 200, response.text
    [warning] = response.json()["warnings"]
    assert (
        "not supported" in warning["message"]
        and "added to the candidate instead" in warning["message"]
    )
    [stored] = sandbox_of(client).candidate_attachments(integration_id, candidate.id)
    assert stored.application_id is None
    # Candidate-level files show on every application of the candidate.
    listed = (await client.get(f"/ats/applications/{second.id}/attachments", headers=h)).json()
    assert stored.id in [a["id"] for a in listed["data"]["results"]]
    assert "stores attachments on the candidate" in listed["warnings"][0]["message"]


async def test_candidate_attachment_endpoint(client: httpx.AsyncClient) -> None:
    integration_id = "greenhouse:sandbox-greenhouse"
    candidate = dataset(integration_id).candidates[0]
    path = f"/ats/candidates/{candidate.id}/attachments"
    response = await client.post(path, json=pdf_body(type="OTHER"))
    assert response.status_code == 200, response.text
    listed = (await client.get(path)).json()["data"]["results"]
    mine = [a for a in listed if a["file_name"] == "Resume.pdf"]
    assert len(mine) == 1
    assert mine[0]["candidate_id"] == candidate.id and mine[0]["application_id"] is None
    oracle = await client.post(
        path,
        json={
            **pdf_body(),
            "remote_fields": {"oracle": {"multi_post_to_all_current_applications": True}},
        },
    )
    assert_error(oracle, 400, "PLATFORM.INPUT_INVALID", in_message="remote_fields.oracle")
    assert_error(
        await client.post("/ats/candidates/nope/attachments", json=pdf_body()),
        404,
        "PLATFORM.INPUT_INVALID",
        in_message="candidate_id",
    )


async def test_unknown_and_deleted_application(client: httpx.AsyncClient) -> None:
    assert_error(
        await client.post("/ats/applications/unknown-id/attachments", json=pdf_body()),
        404,
        "PLATFORM.INPUT_INVALID",
        in_message="'unknown-id'",
    )
    deleted = next(
        a for a in dataset("greenhouse:sandbox-greenhouse").applications if a.deleted is not None
    )
    assert_error(
        await client.post(f"/ats/applications/{deleted.id}/attachments", json=pdf_body()),
        404,
        "PLATFORM.INPUT_INVALID",
        in_message="deleted",
    )
    # The remote id is not the Kombo id.
    remote = dataset("greenhouse:sandbox-greenhouse").live_applications[0].remote_id
    assert_error(
        await client.get(f"/ats/applications/{remote}/attachments"),
        404,
        "PLATFORM.INPUT_INVALID",
        in_message="remote id",
    )


@pytest.mark.parametrize("weird", ["a/b", "../../check-api-key", "x?y=1", "x#y", "sp ace", "ü"])
async def test_percent_encoded_ids_arrive_intact(client: httpx.AsyncClient, weird: str) -> None:
    from urllib.parse import quote

    response = await client.post(
        f"/ats/applications/{quote(weird, safe='')}/attachments", json=pdf_body()
    )
    error = assert_error(response, 404, "PLATFORM.INPUT_INVALID")
    assert repr(weird) in error["message"]


async def test_inactive_and_permission_missing(client: httpx.AsyncClient) -> None:
    for integration_id, status, code in (
        ("teamtailor:sandbox-inactive", 403, "INTEGRATION.INACTIVE"),
        ("recruitee:sandbox-no-permission", 403, "INTEGRATION.PERMISSION_MISSING"),
    ):
        h = {"X-Integration-Id": integration_id}
        application_id = await first_application_id(client, integration_id)  # reads work
        response = await client.post(
            f"/ats/applications/{application_id}/attachments", json=pdf_body(), headers=h
        )
        assert_error(response, status, code)
    # The permission is about writing: reading attachments still works without it.
    h = {"X-Integration-Id": "recruitee:sandbox-no-permission"}
    application_id = await first_application_id(client, "recruitee:sandbox-no-permission")
    assert (
        await client.get(f"/ats/applications/{application_id}/attachments", headers=h)
    ).status_code == 200
    h = {"X-Integration-Id": "teamtailor:sandbox-inactive"}
    application_id = await first_application_id(client, "teamtailor:sandbox-inactive")
    assert_error(
        await client.get(f"/ats/applications/{application_id}/attachments", headers=h),
        403,
        "INTEGRATION.INACTIVE",
    )
    assert sandbox_of(client).upload_count() == 0


async def test_interactions_are_logged(client: httpx.AsyncClient) -> None:
    await client.get("/check-api-key")
    await client.get("/ats/applications", headers={"X-Integration-Id": "nope:x"})
    log = sandbox_of(client).recent_interactions()
    assert [(i.method, i.status, i.code) for i in log] == [
        ("GET", 200, None),
        ("GET", 404, "PLATFORM.INTEGRATION_NOT_FOUND"),
    ]
    assert len({i.id for i in log}) == 2


async def test_a_sandbox_bug_still_answers_in_kombos_envelope(
    client: httpx.AsyncClient, monkeypatch: pytest.MonkeyPatch
) -> None:
    from kombo_tui.sandbox import routing

    async def broken(ctx: Any) -> Any:
        raise RuntimeError("boom")

    matched = routing.match(["ats", "jobs"])
    assert matched is not None
    monkeypatch.setitem(matched[0].methods, "GET", broken)
    error = assert_error(
        await client.get("/ats/jobs"), 500, "PLATFORM.UNKNOWN_ERROR", in_message="sandbox"
    )
    assert "boom" not in error["message"]


async def test_head_is_answered_like_get(client: httpx.AsyncClient) -> None:
    response = await client.head("/check-api-key")
    assert response.status_code == 200
    assert "ratelimit-limit" in response.headers


def test_auth_header_helper() -> None:
    assert headers(None) == AUTH
