"""Helpers shared by the sandbox tests (plain functions; fixtures live in conftest.py)."""

from __future__ import annotations

import base64
from typing import Any

import httpx

from kombo_tui.sandbox.app import Sandbox
from kombo_tui.sandbox.data import DEFAULT_INTEGRATION_ID, SANDBOX_API_KEY

AUTH = {"Authorization": f"Bearer {SANDBOX_API_KEY}"}
RATE_HEADERS = ("ratelimit-limit", "ratelimit-remaining", "ratelimit-reset")


def headers(integration_id: str | None = DEFAULT_INTEGRATION_ID) -> dict[str, str]:
    """Auth plus (optionally) the integration header."""
    out = dict(AUTH)
    if integration_id is not None:
        out["X-Integration-Id"] = integration_id
    return out


def b64(data: bytes) -> str:
    return base64.b64encode(data).decode("ascii")


def pdf_body(size: int = 2048, **attachment: Any) -> dict[str, Any]:
    """An upload body with a small PDF-ish file; keyword arguments override attachment keys."""
    content = (b"%PDF-1.7\n" + b"x" * size)[:size]
    body_attachment: dict[str, Any] = {
        "name": "Resume.pdf",
        "type": "CV",
        "content_type": "application/pdf",
        "data": b64(content),
    }
    body_attachment.update(attachment)
    return {"attachment": body_attachment}


def sandbox_of(client: httpx.AsyncClient) -> Sandbox:
    sandbox: Sandbox = client.sandbox_app.state.sandbox  # type: ignore[attr-defined]
    return sandbox


async def first_application_id(client: httpx.AsyncClient, integration_id: str | None = None) -> str:
    """The id of the first application (optionally of another integration)."""
    extra = {"X-Integration-Id": integration_id} if integration_id else {}
    response = await client.get("/ats/applications", params={"page_size": 1}, headers=extra)
    assert response.status_code == 200, response.text
    application_id: str = response.json()["data"]["results"][0]["id"]
    return application_id


def assert_error(
    response: httpx.Response, status: int, code: str, *, in_message: str = ""
) -> dict[str, Any]:
    """Kombo's error envelope with this status and code (and a message containing the words)."""
    assert response.status_code == status, response.text
    body = response.json()
    assert body["status"] == "error"
    assert set(body["error"]) == {"code", "title", "message", "log_url"}
    assert body["error"]["code"] == code
    assert in_message in body["error"]["message"]
    for name in RATE_HEADERS:
        assert name in response.headers
    error: dict[str, Any] = body["error"]
    return error
