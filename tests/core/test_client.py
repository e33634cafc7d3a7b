"""The client against scripted transports: errors, retries, encoding, streaming."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path

import httpx
import pytest

from kombo_tui.core.answers import parse_error
from kombo_tui.core.client import KomboClient
from kombo_tui.core.errors import ApiError, TransportError
from kombo_tui.core.models import ATS_ERROR_CODES
from kombo_tui.core.net import encode_path_segment
from kombo_tui.core.payload import Draft, prepare
from kombo_tui.core.retry import RetryPolicy

KEY = "sk_test_client_key_123"


def _client(handler: Callable[[httpx.Request], httpx.Response], **kw: object) -> tuple[KomboClient, list[float]]:
    slept: list[float] = []

    async def fake_sleep(seconds: float) -> None:
        slept.append(seconds)

    client = KomboClient(
        KEY,
        base_url="http://kombo.test/v1",
        integration_id="greenhouse:abc",
        transport=httpx.MockTransport(handler),
        sleep=fake_sleep,
        **kw,  # type: ignore[arg-type]
    )
    return client, slept


def _error(status: int, code: str | None, **headers: str) -> httpx.Response:
    return httpx.Response(
        status,
        json={
            "status": "error",
            "error": {"code": code, "title": "T", "message": f"msg {code}", "log_url": "https://app.kombo.dev/x/logs?interactionId=1"},
        },
        headers=headers,
    )


@pytest.fixture
def upload(tmp_path: Path):  # type: ignore[no-untyped-def]
    path = tmp_path / "cv.txt"
    path.write_bytes(b"hello world " * 1000)
    return prepare(Draft(integration_id="greenhouse:abc", application_id="APP 1/..?#%", file=path, type="CV"))


@pytest.mark.parametrize("code", [*ATS_ERROR_CODES, "PLATFORM.SOMETHING_NEW", None])
def test_every_error_code_parses(code: str | None) -> None:
    err = parse_error(_error(400, code))
    assert isinstance(err, ApiError)
    assert err.code == code
    assert err.title == "T"
    assert err.message == f"msg {code}"
    assert err.log_url == "https://app.kombo.dev/x/logs?interactionId=1"
    assert err.status == 400
    assert err.label == (code or "HTTP 400")
    assert err.summary().startswith(f"{err.label}: msg {code}")


@pytest.mark.parametrize(
    ("response", "fragment"),
    [
        (httpx.Response(502, text="<html><body>Bad gateway</body></html>", headers={"content-type": "text/html"}), "non-JSON body (text/html"),
        (httpx.Response(500, content=b""), "empty body"),
        (httpx.Response(500, content=b"{\"status\":\"error\",\"err"), "non-JSON"),
        (httpx.Response(418, json={"hello": "world"}), "not Kombo's error envelope"),
    ],
)
def test_odd_bodies_still_become_api_errors(response: httpx.Response, fragment: str) -> None:
    err = parse_error(response)
    assert err.code is None
    assert fragment in err.message
    assert err.status == response.status_code


async def test_upload_streams_exact_body_and_encodes_the_path(upload) -> None:  # type: ignore[no-untyped-def]
    seen: dict[str, object] = {}

    def handler(request: httpx.Request) -> httpx.Response:
        body = request.read()
        seen.update(path=request.url.raw_path, headers=request.headers, body=body)
        return httpx.Response(200, json={"status": "success", "data": {}, "warnings": [{"message": "w1"}]})

    client, _ = _client(handler)
    async with client:
        result = await client.add_application_attachment(upload)
    assert result.warnings == ["w1"]
    assert seen["path"] == b"/v1/ats/applications/APP%201%2F..%3F%23%25/attachments"
    headers = seen["headers"]
    assert isinstance(headers, httpx.Headers)
    assert headers["authorization"] == f"Bearer {KEY}"
    assert headers["x-integration-id"] == "greenhouse:abc"
    assert int(headers["content-length"]) == len(seen["body"]) == upload.content_length  # type: ignore[arg-type]
    assert json.loads(seen["body"])["attachment"]["type"] == "CV"  # type: ignore[arg-type]


@pytest.mark.parametrize(("raw", "encoded"), [("..", "%2E%2E"), (".", "%2E"), ("a/b", "a%2Fb"), ("a?b#c%d", "a%3Fb%23c%25d"), ("x..y", "x..y")])
def test_path_segment_encoding(raw: str, encoded: str) -> None:
    assert encode_path_segment(raw) == encoded


async def test_dot_dot_id_stays_in_its_segment(upload) -> None:  # type: ignore[no-untyped-def]
    paths: list[bytes] = []

    def handler(request: httpx.Request) -> httpx.Response:
        paths.append(request.url.raw_path)
        return httpx.Response(200, json={"status": "success", "data": {"results": []}})

    client, _ = _client(handler)
    async with client:
        await client.get_application_attachments("..")
    assert paths == [b"/v1/ats/applications/%2E%2E/attachments"]


@pytest.mark.parametrize(
    ("code", "delays"),
    [("PLATFORM.RATE_LIMIT_EXCEEDED", [2.0, 2.0]), ("PLATFORM.CONCURRENCY_LIMIT_EXCEEDED", [1.0, 2.0])],
)
async def test_upload_retries_limits_honouring_reset(upload, code: str, delays: list[float]) -> None:  # type: ignore[no-untyped-def]
    calls: list[int] = []

    def handler(request: httpx.Request) -> httpx.Response:
        request.read()
        calls.append(1)
        if len(calls) < 3:
            return _error(429, code, **{"ratelimit-reset": "2"})
        return httpx.Response(200, json={"status": "success", "data": {}, "warnings": []})

    notices: list[object] = []
    client, slept = _client(handler, retry=RetryPolicy(jitter=0.0), on_retry=notices.append)
    async with client:
        result = await client.add_application_attachment(upload)
    assert result.attempts == 3
    assert slept == delays  # the window reset for rate limits, exponential backoff for concurrency
    assert len(notices) == 2


async def test_upload_retry_is_bounded(upload) -> None:  # type: ignore[no-untyped-def]
    def handler(request: httpx.Request) -> httpx.Response:
        request.read()
        return _error(429, "PLATFORM.RATE_LIMIT_EXCEEDED", **{"retry-after": "1"})

    client, slept = _client(handler, retry=RetryPolicy(max_attempts=3, jitter=0.0))
    async with client:
        with pytest.raises(ApiError) as info:
            await client.add_application_attachment(upload)
    assert info.value.code == "PLATFORM.RATE_LIMIT_EXCEEDED"
    assert len(slept) == 2


@pytest.mark.parametrize("status", [500, 502, 503, 504])
async def test_upload_never_retries_5xx(upload, status: int) -> None:  # type: ignore[no-untyped-def]
    calls: list[int] = []

    def handler(request: httpx.Request) -> httpx.Response:
        request.read()
        calls.append(1)
        return _error(status, "PLATFORM.UNKNOWN_ERROR")

    client, slept = _client(handler)
    async with client:
        with pytest.raises(ApiError):
            await client.add_application_attachment(upload)
    assert calls == [1] and slept == []


async def test_upload_read_timeout_is_unknown_outcome(upload) -> None:  # type: ignore[no-untyped-def]
    calls: list[int] = []

    def handler(request: httpx.Request) -> httpx.Response:
        request.read()
        calls.append(1)
        raise httpx.ReadTimeout("timed out", request=request)

    client, _ = _client(handler)
    async with client:
        with pytest.raises(TransportError) as info:
            await client.add_application_attachment(upload)
    assert info.value.sent is True and info.value.kind == "timeout"
    assert calls == [1]


@pytest.mark.parametrize(
    ("exc", "kind"),
    [
        (httpx.ConnectError("[Errno -2] Name or service not known"), "dns"),
        (httpx.ConnectError("[SSL: CERTIFICATE_VERIFY_FAILED] certificate verify failed"), "tls"),
        (httpx.ConnectError("[Errno 111] Connection refused"), "connect"),
        (httpx.ConnectTimeout("timed out"), "timeout"),
    ],
)
async def test_connect_failures_say_nothing_was_sent(upload, exc: Exception, kind: str) -> None:  # type: ignore[no-untyped-def]
    def handler(request: httpx.Request) -> httpx.Response:
        raise exc

    client, _ = _client(handler, retry=RetryPolicy(max_attempts=1))
    async with client:
        with pytest.raises(TransportError) as info:
            await client.add_application_attachment(upload)
    assert info.value.sent is False
    assert info.value.kind == kind
    assert KEY not in str(info.value)


async def test_reads_retry_5xx_and_network_errors() -> None:
    calls: list[int] = []

    def handler(request: httpx.Request) -> httpx.Response:
        calls.append(1)
        if len(calls) == 1:
            raise httpx.ReadError("reset")
        if len(calls) == 2:
            return httpx.Response(503, text="busy")
        return httpx.Response(200, json={"status": "success", "data": {"environment_id": "env1"}})

    client, slept = _client(handler, retry=RetryPolicy(jitter=0.0))
    async with client:
        data = await client.check_api_key()
    assert data == {"environment_id": "env1"} and len(slept) == 2


@pytest.mark.parametrize(
    "exc",
    [
        httpx.ConnectError("[Errno 111] Connection refused"),
        httpx.ConnectError("[Errno -2] Name or service not known"),
        httpx.ConnectError("[SSL: CERTIFICATE_VERIFY_FAILED] certificate verify failed"),
    ],
)
async def test_reads_fail_at_once_when_the_host_cannot_be_reached(exc: Exception) -> None:
    calls: list[int] = []

    def handler(request: httpx.Request) -> httpx.Response:
        calls.append(1)
        raise exc

    client, slept = _client(handler)
    async with client:
        with pytest.raises(TransportError):
            await client.check_api_key()
    assert calls == [1] and slept == []


async def test_reads_do_not_retry_client_errors() -> None:
    calls: list[int] = []

    def handler(request: httpx.Request) -> httpx.Response:
        calls.append(1)
        return _error(401, "PLATFORM.AUTHENTICATION_INVALID")

    client, _ = _client(handler)
    async with client:
        with pytest.raises(ApiError) as info:
            await client.check_api_key()
    assert info.value.code == "PLATFORM.AUTHENTICATION_INVALID" and calls == [1]


async def test_pages_and_filters_are_sent_as_kombo_expects() -> None:
    queries: list[dict[str, str]] = []

    def handler(request: httpx.Request) -> httpx.Response:
        queries.append(dict(request.url.params))
        nxt = None if "cursor" in request.url.params else "c2"
        return httpx.Response(200, json={"status": "success", "data": {"next": nxt, "results": [{"id": f"a{len(queries)}"}]}})

    client, _ = _client(handler)
    async with client:
        pages = [p async for p in client.iter_applications(job_ids=["j1", "j2"], outcomes=["PENDING"])]
    assert [a.id for p in pages for a in p.results] == ["a1", "a2"]
    assert queries[0] == {"page_size": "250", "job_ids": "j1,j2", "outcomes": "PENDING"}
    assert queries[1]["cursor"] == "c2" and queries[1]["job_ids"] == "j1,j2"


def test_plain_http_is_refused_off_loopback() -> None:
    from kombo_tui.core.errors import InputError

    with pytest.raises(InputError, match="in clear"):
        KomboClient(KEY, base_url="http://api.example.com/v1")
    KomboClient(KEY, base_url="http://127.0.0.1:9/v1")
    KomboClient(KEY, base_url="https://api.us.kombo.dev/v1")


def test_repr_never_shows_the_key() -> None:
    client = KomboClient(KEY, base_url="https://api.kombo.dev/v1")
    assert KEY not in repr(client)
    assert KEY not in repr(client.http.headers)


def test_concurrency_limit_ignores_the_rate_window_reset() -> None:
    concurrency = parse_error(_error(429, "PLATFORM.CONCURRENCY_LIMIT_EXCEEDED", **{"ratelimit-reset": "57"}))
    assert concurrency.retry_after is None  # back off from ~1 s instead of waiting out the window
    rate = parse_error(_error(429, "PLATFORM.RATE_LIMIT_EXCEEDED", **{"ratelimit-reset": "57"}))
    assert rate.retry_after == 57.0
    told = parse_error(_error(429, "PLATFORM.CONCURRENCY_LIMIT_EXCEEDED", **{"retry-after": "3"}))
    assert told.retry_after == 3.0


async def test_mis_shaped_answer_is_a_clear_error() -> None:
    def handler(request: httpx.Request) -> httpx.Response:
        return httpx.Response(200, json={"status": "success", "data": {"next": None, "results": [{"no_id": 1}]}})

    client, _ = _client(handler)
    async with client:
        with pytest.raises(ApiError, match=r"does not match the API \(data.results.0.id"):
            await client.list_applications()


async def test_the_first_read_sends_its_request_while_the_models_load(monkeypatch: pytest.MonkeyPatch) -> None:
    """The wire models (pydantic) load in a worker thread once the read's request is on its way."""
    import threading

    from kombo_tui.core import client as client_module

    requested = threading.Event()
    loads: list[bool] = []
    real_load = client_module._load_models

    def load():  # type: ignore[no-untyped-def]
        loads.append(requested.wait(10))  # the request reached Kombo first (or this waited in vain)
        return real_load()

    def kombo(request: httpx.Request) -> httpx.Response:
        requested.set()
        data = {"id": "gh:1", "tool": {"id": "greenhouse", "label": "Greenhouse"}, "status": "ACTIVE"}
        return httpx.Response(200, json={"status": "success", "data": data})

    monkeypatch.setattr(client_module, "_wire_models", None)
    monkeypatch.setattr(client_module, "_load_models", load)
    async with KomboClient("sk_client_test_1", base_url="http://x/v1", transport=httpx.MockTransport(kombo)) as client:
        details = await client.get_integration("gh:1")
    assert details.status == "ACTIVE" and details.tool.label == "Greenhouse"
    assert loads == [True]
