"""Fuzzing: the response parser never crashes, and generated requests never make the sandbox fail.

The second part is our equivalent of a schemathesis run: hypothesis generates request bodies
around the endpoint's schema (valid and broken), they go to the in-process sandbox, and every
answer must be a 2xx/4xx in one of Kombo's envelopes — never a 5xx.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import httpx
import jsonschema
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from kombo_tui.core.answers import parse_error
from kombo_tui.core.models import ErrorEnvelope, SuccessEnvelope
from kombo_tui.sandbox.app import create_app
from kombo_tui.sandbox.data import DEFAULT_INTEGRATION_ID, SANDBOX_API_KEY

SCHEMAS = Path(__file__).parents[2] / "tests" / "data"
ERROR_SCHEMA = json.loads((SCHEMAS / "error_response.json").read_text())
REQUEST_SCHEMA = json.loads((SCHEMAS / "add_application_attachment.request.json").read_text())

json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(max_size=20),
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=10), inner, max_size=4),
    max_leaves=12,
)


@settings(max_examples=300, deadline=None)
@given(status=st.integers(min_value=400, max_value=599), body=st.binary(max_size=300) | json_values.map(lambda v: json.dumps(v).encode()))
def test_parse_error_never_crashes(status: int, body: bytes) -> None:
    err = parse_error(httpx.Response(status, content=body))
    assert err.status == status
    assert isinstance(err.message, str) and err.message
    assert err.code is None or isinstance(err.code, str)


@settings(max_examples=200, deadline=None)
@given(
    error=st.fixed_dictionaries(
        {
            "code": st.none() | st.text(max_size=40),
            "title": st.none() | st.text(max_size=40),
            "message": st.text(max_size=80),
            "log_url": st.none() | st.text(max_size=40),
        }
    )
)
def test_any_error_envelope_keeps_its_fields(error: dict[str, Any]) -> None:
    err = parse_error(httpx.Response(400, json={"status": "error", "error": error}))
    assert (err.code, err.title, err.log_url) == (error["code"], error["title"], error["log_url"])
    assert err.message == error["message"]


B64 = st.binary(min_size=1, max_size=64).map(lambda b: __import__("base64").b64encode(b).decode())
attachment = st.fixed_dictionaries(
    {},
    optional={
        "name": st.text(max_size=30) | json_values,
        "type": st.sampled_from(["CV", "COVER_LETTER", "OTHER", "cv", ""]) | json_values,
        "content_type": st.sampled_from(["application/pdf", "text/plain", "pdf", "a/b/c", ""]) | json_values,
        "data": B64 | st.text(max_size=20) | json_values,
        "data_url": st.sampled_from(["ftp://x/y", "not a url", "http://"]) | json_values,
    },
)
remote_fields = st.fixed_dictionaries(
    {},
    optional={
        "oracle": st.fixed_dictionaries(
            {},
            optional={
                "override_document_category": st.sampled_from(["MISC", "IRC_INTERNAL", "NOPE"]) | json_values,
                "multi_post_to_all_current_applications": st.booleans() | json_values,
            },
        )
        | json_values,
        "greenhouse": st.fixed_dictionaries({}, optional={"post_headers": st.fixed_dictionaries({}, optional={"On-Behalf-Of": st.none() | st.text(max_size=8) | json_values})}) | json_values,
        "workable": st.fixed_dictionaries({}, optional={"on_behalf_of_user_remote_id": st.text(max_size=8) | json_values}) | json_values,
    },
)
bodies = st.fixed_dictionaries({}, optional={"attachment": attachment | json_values, "remote_fields": remote_fields | json_values}) | json_values


@settings(max_examples=250, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(body=bodies, raw=st.booleans(), app_id=st.sampled_from(["first", "missing", "../x", "%2F"]))
async def test_generated_requests_never_get_a_5xx(body: Any, raw: bool, app_id: str) -> None:
    app = create_app()
    async with httpx.AsyncClient(
        transport=httpx.ASGITransport(app=app),
        base_url="http://sandbox/v1",
        headers={"Authorization": f"Bearer {SANDBOX_API_KEY}", "X-Integration-Id": DEFAULT_INTEGRATION_ID},
    ) as client:
        if app_id == "first":
            listed = await client.get("/ats/applications", params={"page_size": 1})
            app_id = listed.json()["data"]["results"][0]["id"]
        content = json.dumps(body).encode() if not raw else json.dumps(body)[:-1].encode() or b"{"
        response = await client.post(
            f"/ats/applications/{httpx.URL(app_id).raw_path.decode()}/attachments",
            content=content,
            headers={"content-type": "application/json"},
        )
    assert response.status_code < 500, response.text
    payload = response.json()
    if response.status_code == 200:
        SuccessEnvelope.model_validate(payload)
        jsonschema.validate(body, REQUEST_SCHEMA)  # only valid bodies may succeed
    else:
        jsonschema.validate(payload, ERROR_SCHEMA)
        ErrorEnvelope.model_validate(payload)
