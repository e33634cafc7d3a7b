"""Upload validation: every wrong field is PLATFORM.INPUT_INVALID naming it; limits are REMOTE.*."""

from __future__ import annotations

import base64
import hashlib
import json
from collections.abc import Callable
from typing import Any

import httpx
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from sandbox_helpers import b64, first_application_id, pdf_body, sandbox_of

from kombo_tui.sandbox.validation import InputProblems, base64_stats, parse_upload_body

GOOD = {
    "name": "Resume.pdf",
    "type": "CV",
    "content_type": "application/pdf",
    "data": "JVBERi0xLjcK",
}


def with_attachment(**changes: Any) -> dict[str, Any]:
    attachment = dict(GOOD)
    for key, value in changes.items():
        if value is _DROP:
            attachment.pop(key, None)
        else:
            attachment[key] = value
    return {"attachment": attachment}


_DROP = object()

# body → the field the error message must name
INVALID_BODIES: list[tuple[str, Any, str]] = [
    ("attachment missing", {}, "attachment: required"),
    ("attachment not an object", {"attachment": "cv.pdf"}, "attachment: expected an object"),
    ("attachment is a list", {"attachment": [GOOD]}, "attachment: expected an object"),
    (
        "unknown top-level key",
        {**with_attachment(), "attachments": []},
        "attachments: unknown field",
    ),
    (
        "unknown attachment key",
        with_attachment(**{"content-type": "application/pdf"}),
        "attachment.content-type: unknown field",
    ),
    ("name missing", with_attachment(name=_DROP), "attachment.name: required"),
    ("name blank", with_attachment(name="   "), "attachment.name: must not be blank"),
    ("name empty", with_attachment(name=""), "attachment.name: must not be blank"),
    ("name not a string", with_attachment(name=42), "attachment.name: expected a string"),
    ("type missing", with_attachment(type=_DROP), "attachment.type: required"),
    (
        "type unknown",
        with_attachment(type="RESUME"),
        "attachment.type: must be one of CV, COVER_LETTER, OTHER",
    ),
    ("type lower case", with_attachment(type="cv"), "attachment.type"),
    ("type null", with_attachment(type=None), "attachment.type"),
    (
        "content_type missing with data",
        with_attachment(content_type=_DROP),
        "attachment.content_type: required when attachment.data is given",
    ),
    ("content_type without slash", with_attachment(content_type="pdf"), "attachment.content_type"),
    (
        "content_type with parameters",
        with_attachment(content_type="text/plain; charset=utf-8"),
        "attachment.content_type",
    ),
    (
        "content_type with space",
        with_attachment(content_type="application/ pdf"),
        "attachment.content_type",
    ),
    (
        "content_type non-ascii",
        with_attachment(content_type="application/pdfé"),
        "attachment.content_type",
    ),
    (
        "content_type null",
        with_attachment(content_type=None),
        "attachment.content_type: expected a string",
    ),
    (
        "both data and data_url",
        with_attachment(data_url="https://files.example.com/cv.pdf"),
        "attachment: give either data or data_url, not both",
    ),
    (
        "neither data nor data_url",
        with_attachment(data=_DROP),
        "either attachment.data or attachment.data_url is required",
    ),
    ("data not a string", with_attachment(data=123), "attachment.data: expected a base64 string"),
    ("data null", with_attachment(data=None), "attachment.data: expected a base64 string"),
    (
        "data with line breaks",
        with_attachment(data="JVBE\nRi0xLjcK"),
        "attachment.data: not valid base64",
    ),
    ("data urlsafe alphabet", with_attachment(data="-_-_"), "attachment.data: not valid base64"),
    ("data unpadded", with_attachment(data="JVBERi0xLjc"), "attachment.data: not valid base64"),
    (
        "data with data: prefix",
        with_attachment(data="data:application/pdf;base64,JVBERi0xLjcK"),
        "attachment.data: not valid base64",
    ),
    (
        "data padding in the middle",
        with_attachment(data="QQ==QUFB"),
        "attachment.data: not valid base64",
    ),
    ("data empty file", with_attachment(data=""), "attachment.data: the file is empty"),
    (
        "data_url not a string",
        with_attachment(data=_DROP, data_url=7),
        "attachment.data_url: expected a URL string",
    ),
    (
        "data_url ftp",
        with_attachment(data=_DROP, data_url="ftp://files.example.com/cv.pdf"),
        "attachment.data_url: must be an http or https URL",
    ),
    (
        "data_url file",
        with_attachment(data=_DROP, data_url="file:///etc/passwd"),
        "attachment.data_url: must be an http or https URL",
    ),
    ("data_url relative", with_attachment(data=_DROP, data_url="/cv.pdf"), "attachment.data_url"),
    (
        "data_url no host",
        with_attachment(data=_DROP, data_url="https:///cv.pdf"),
        "attachment.data_url: the URL has no host",
    ),
    (
        "data_url bad port",
        with_attachment(data=_DROP, data_url="https://example.com:99999/cv.pdf"),
        "attachment.data_url: not a valid URL",
    ),
    (
        "remote_fields not an object",
        {**with_attachment(), "remote_fields": []},
        "remote_fields: expected an object",
    ),
    (
        "remote_fields null",
        {**with_attachment(), "remote_fields": None},
        "remote_fields: expected an object",
    ),
    (
        "oracle not an object",
        {**with_attachment(), "remote_fields": {"oracle": "MISC"}},
        "remote_fields.oracle: expected an object",
    ),
    (
        "oracle category unknown",
        {
            **with_attachment(),
            "remote_fields": {"oracle": {"override_document_category": "RESUME"}},
        },
        "remote_fields.oracle.override_document_category: must be one of",
    ),
    (
        "oracle multi_post string",
        {
            **with_attachment(),
            "remote_fields": {"oracle": {"multi_post_to_all_current_applications": "true"}},
        },
        "remote_fields.oracle.multi_post_to_all_current_applications: expected a boolean",
    ),
    (
        "oracle multi_post number",
        {
            **with_attachment(),
            "remote_fields": {"oracle": {"multi_post_to_all_current_applications": 1}},
        },
        "remote_fields.oracle.multi_post_to_all_current_applications: expected a boolean",
    ),
    (
        "oracle unknown key",
        {**with_attachment(), "remote_fields": {"oracle": {"category": "MISC"}}},
        "remote_fields.oracle.category: unknown field",
    ),
    (
        "greenhouse On-Behalf-Of number",
        {
            **with_attachment(),
            "remote_fields": {"greenhouse": {"post_headers": {"On-Behalf-Of": 4080001}}},
        },
        "remote_fields.greenhouse.post_headers.On-Behalf-Of: expected a string or null",
    ),
    (
        "greenhouse header misspelt",
        {
            **with_attachment(),
            "remote_fields": {"greenhouse": {"post_headers": {"on_behalf_of": "4080001"}}},
        },
        "remote_fields.greenhouse.post_headers.on_behalf_of: unknown header",
    ),
    (
        "greenhouse post_headers list",
        {**with_attachment(), "remote_fields": {"greenhouse": {"post_headers": ["On-Behalf-Of"]}}},
        "remote_fields.greenhouse.post_headers: expected an object",
    ),
    (
        "greenhouse unknown key",
        {**with_attachment(), "remote_fields": {"greenhouse": {"headers": {}}}},
        "remote_fields.greenhouse.headers: unknown field",
    ),
    (
        "workable user id number",
        {**with_attachment(), "remote_fields": {"workable": {"on_behalf_of_user_remote_id": 5}}},
        "remote_fields.workable.on_behalf_of_user_remote_id: expected a string",
    ),
    (
        "workable user id null",
        {**with_attachment(), "remote_fields": {"workable": {"on_behalf_of_user_remote_id": None}}},
        "remote_fields.workable.on_behalf_of_user_remote_id: expected a string",
    ),
]


@pytest.mark.parametrize(
    ("case", "body", "expected"), INVALID_BODIES, ids=[c[0] for c in INVALID_BODIES]
)
async def test_invalid_body_is_input_invalid_naming_the_field(
    client: httpx.AsyncClient, case: str, body: Any, expected: str
) -> None:
    application_id = await first_application_id(client)
    response = await client.post(f"/ats/applications/{application_id}/attachments", json=body)
    assert response.status_code == 400, response.text
    error = response.json()["error"]
    assert response.json()["status"] == "error"
    assert error["code"] == "PLATFORM.INPUT_INVALID"
    assert error["title"]
    assert expected in error["message"]
    assert error["log_url"].startswith("http://sandbox/logs/sbx")
    assert sandbox_of(client).upload_count() == 0


@pytest.mark.parametrize(
    ("raw", "content_type", "expected"),
    [
        (b"", "application/json", "body: the request body is empty"),
        (b"{", "application/json", "body: not valid JSON"),
        (b"\xff\xfe{}", "application/json", "body:"),
        (b"[]", "application/json", "body: expected a JSON object, got array"),
        (b'"attachment"', "application/json", "body: expected a JSON object, got string"),
        (b"null", "application/json", "body: expected a JSON object, got null"),
        (
            json.dumps(pdf_body()).encode(),
            "text/plain",
            "body: expected Content-Type application/json",
        ),
        (json.dumps(pdf_body()).encode(), "", "body: expected Content-Type application/json"),
    ],
)
async def test_non_json_bodies(
    client: httpx.AsyncClient, raw: bytes, content_type: str, expected: str
) -> None:
    application_id = await first_application_id(client)
    request_headers = {"Content-Type": content_type} if content_type else {}
    response = await client.post(
        f"/ats/applications/{application_id}/attachments", content=raw, headers=request_headers
    )
    assert response.status_code == 400, response.text
    assert response.json()["error"]["code"] == "PLATFORM.INPUT_INVALID"
    assert expected in response.json()["error"]["message"]


async def test_several_problems_are_reported_together(client: httpx.AsyncClient) -> None:
    application_id = await first_application_id(client)
    response = await client.post(
        f"/ats/applications/{application_id}/attachments",
        json={"attachment": {"name": "", "type": "PHOTO", "content_type": "pdf", "data": "x"}},
    )
    message = response.json()["error"]["message"]
    for field_name in ("attachment.name", "attachment.type", "attachment.content_type"):
        assert field_name in message


async def test_json_content_type_with_charset_is_fine(client: httpx.AsyncClient) -> None:
    application_id = await first_application_id(client)
    response = await client.post(
        f"/ats/applications/{application_id}/attachments",
        content=json.dumps(pdf_body()).encode(),
        headers={"Content-Type": "application/json; charset=utf-8"},
    )
    assert response.status_code == 200, response.text


async def test_unknown_remote_field_family_is_accepted_with_a_warning(
    client: httpx.AsyncClient,
) -> None:
    application_id = await first_application_id(client)
    body = {
        **pdf_body(),
        "remote_fields": {
            "bamboohr": {"anything": 1},
            "oracle": {"override_document_category": "MISC"},
        },
    }
    response = await client.post(f"/ats/applications/{application_id}/attachments", json=body)
    assert response.status_code == 200, response.text
    messages = [w["message"] for w in response.json()["warnings"]]
    assert any("remote_fields.bamboohr was ignored" in m for m in messages)
    assert any("remote_fields.oracle was ignored" in m for m in messages)


async def test_oversized_body_is_refused_413(make_client: Callable[..., httpx.AsyncClient]) -> None:
    from kombo_tui.sandbox.app import SandboxConfig

    async with make_client(SandboxConfig(max_body_bytes=10_000)) as c:
        application_id = await first_application_id(c)
        response = await c.post(
            f"/ats/applications/{application_id}/attachments", json=pdf_body(20_000)
        )
        assert response.status_code == 413
        assert response.json()["error"]["code"] == "PLATFORM.INPUT_INVALID"
        assert "body" in response.json()["error"]["message"]
        assert sandbox_of(c).upload_count() == 0


# --------------------------------------------------------------------------- limits of the tool


async def test_file_above_the_tools_limit_is_remote_input_invalid(
    client: httpx.AsyncClient,
) -> None:
    application_id = await first_application_id(client, "oraclerecruiting:sandbox-oracle")
    limit = 5 * 1024 * 1024
    headers = {"X-Integration-Id": "oraclerecruiting:sandbox-oracle"}
    at_limit = await client.post(
        f"/ats/applications/{application_id}/attachments", json=pdf_body(limit), headers=headers
    )
    assert at_limit.status_code == 200, at_limit.text
    over = await client.post(
        f"/ats/applications/{application_id}/attachments", json=pdf_body(limit + 1), headers=headers
    )
    assert over.status_code == 400
    error = over.json()["error"]
    assert error["code"] == "REMOTE.INPUT_INVALID"
    assert "5,242,881 bytes" in error["message"] and "5,242,880" in error["message"]
    assert sandbox_of(client).upload_count() == 1


async def test_mime_not_accepted_is_remote_input_invalid(client: httpx.AsyncClient) -> None:
    application_id = await first_application_id(client)
    response = await client.post(
        f"/ats/applications/{application_id}/attachments",
        json=pdf_body(content_type="image/gif"),
    )
    assert response.status_code == 400
    error = response.json()["error"]
    assert error["code"] == "REMOTE.INPUT_INVALID"
    assert "attachment.content_type" in error["message"] and "image/gif" in error["message"]
    assert "application/pdf" in error["message"]


async def test_images_are_fine_as_other_but_not_as_cv_on_greenhouse(
    client: httpx.AsyncClient,
) -> None:
    application_id = await first_application_id(client)
    path = f"/ats/applications/{application_id}/attachments"
    as_cv = await client.post(path, json=pdf_body(content_type="image/png", name="scan.png"))
    as_other = await client.post(
        path, json=pdf_body(content_type="image/png", name="scan.png", type="OTHER")
    )
    assert as_cv.json()["error"]["code"] == "REMOTE.INPUT_INVALID"
    assert as_other.status_code == 200


async def test_unsupported_type_is_remote_input_invalid(client: httpx.AsyncClient) -> None:
    integration = "workable:sandbox-workable"
    application_id = await first_application_id(client, integration)
    response = await client.post(
        f"/ats/applications/{application_id}/attachments",
        json=pdf_body(type="COVER_LETTER"),
        headers={"X-Integration-Id": integration},
    )
    assert response.status_code == 400
    error = response.json()["error"]
    assert error["code"] == "REMOTE.INPUT_INVALID"
    assert "COVER_LETTER" in error["message"] and "Workable" in error["message"]


async def test_unknown_mime_list_accepts_anything(client: httpx.AsyncClient) -> None:
    integration = "lever:sandbox-lever"
    application_id = await first_application_id(client, integration)
    response = await client.post(
        f"/ats/applications/{application_id}/attachments",
        json=pdf_body(content_type="application/x-made-up", name="odd.bin"),
        headers={"X-Integration-Id": integration},
    )
    assert response.status_code == 200, response.text


# --------------------------------------------------------------------------- unit level


def test_parse_upload_body_returns_the_parts() -> None:
    body = {
        "attachment": {
            "name": "CV.pdf",
            "type": "CV",
            "content_type": "application/pdf",
            "data": "AAAA",
        },
        "remote_fields": {
            "oracle": {
                "override_document_category": "MISC",
                "multi_post_to_all_current_applications": True,
            },
            "greenhouse": {"post_headers": {"On-Behalf-Of": None}},
            "workable": {"on_behalf_of_user_remote_id": "2a1000"},
        },
    }
    parsed = parse_upload_body(json.dumps(body).encode())
    assert parsed.name == "CV.pdf" and parsed.type == "CV" and parsed.data == "AAAA"
    assert parsed.oracle_category == "MISC" and parsed.oracle_multi_post is True
    assert parsed.greenhouse_on_behalf_of_given is True and parsed.greenhouse_on_behalf_of is None
    assert parsed.workable_on_behalf_of == "2a1000"


def test_candidate_endpoint_refuses_oracle_fields() -> None:
    body = {"attachment": GOOD, "remote_fields": {"oracle": {"override_document_category": "MISC"}}}
    with pytest.raises(InputProblems) as caught:
        parse_upload_body(json.dumps(body).encode(), allow_oracle=False)
    assert caught.value.problems[0].field == "remote_fields.oracle"


@settings(max_examples=60, deadline=None)
@given(st.binary(max_size=5000))
def test_base64_stats_match_the_bytes(raw: bytes) -> None:
    stats = base64_stats(base64.b64encode(raw).decode())
    assert stats.size == len(raw)
    assert stats.sha256 == hashlib.sha256(raw).hexdigest()


@settings(max_examples=40, deadline=None)
@given(
    st.binary(min_size=1, max_size=600),
    st.integers(min_value=0, max_value=10_000),
    st.sampled_from([" ", "\n", "-", "_", "*", "é"]),
)
def test_base64_stats_reject_any_foreign_character(raw: bytes, where: int, char: str) -> None:
    text = base64.b64encode(raw).decode()
    position = where % (len(text) + 1)
    broken = text[:position] + char + text[position:]
    with pytest.raises(InputProblems) as caught:
        base64_stats(broken)
    assert caught.value.problems[0].field == "attachment.data"


def test_base64_stats_works_across_chunks() -> None:
    raw = bytes(range(256)) * 20_000  # 5 MB: several chunks
    stats = base64_stats(b64(raw))
    assert stats.size == len(raw)
    assert stats.sha256 == hashlib.sha256(raw).hexdigest()


async def test_a_big_upload_keeps_at_most_two_copies_of_the_body(
    make_client: Callable[..., httpx.AsyncClient],
) -> None:
    import os
    import tracemalloc

    integration_id = "workday:sandbox-big"  # 25 MB limit
    raw = os.urandom(12 * 1024 * 1024)
    body = json.dumps(
        {
            "attachment": {
                "name": "big.pdf",
                "type": "OTHER",
                "content_type": "application/pdf",
                "data": b64(raw),
            }
        }
    ).encode()
    digest = hashlib.sha256(raw).hexdigest()
    del raw
    async with make_client(integration_id=integration_id) as c:
        application_id = await first_application_id(c)
        tracemalloc.start()
        try:
            before = tracemalloc.get_traced_memory()[0]
            response = await c.post(
                f"/ats/applications/{application_id}/attachments",
                content=body,
                headers={"Content-Type": "application/json"},
            )
            peak = tracemalloc.get_traced_memory()[1] - before
        finally:
            tracemalloc.stop()
        assert response.status_code == 200, response.text
        [stored] = sandbox_of(c).attachments(integration_id, application_id)
        assert stored.sha256 == digest
        # Buffer + text, then text + the parsed base64 string: two copies, not three or more.
        assert peak < 2.3 * len(body), f"peak {peak / len(body):.2f}x the body"
