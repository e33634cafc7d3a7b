"""Hostile requests: every answer of the sandbox is Kombo's JSON envelope, never a crash.

Before: a newline in a path segment (``%0A``) got Starlette's plain-text 404, a raw one
uvicorn's plain-text 400, a path outside ``/v1`` a plain-text 404, and an unusual method
Starlette's plain-text 405. The in-process app is driven through raw ASGI calls (so a path
can hold any byte, as no HTTP client would send it) and the uvicorn server through a raw
socket (so the bytes reach its parser unchanged).
"""

from __future__ import annotations

import json
import socket
from collections.abc import Iterator
from typing import Any
from urllib.parse import unquote

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from starlette.applications import Starlette
from starlette.types import Message

from kombo_tui.sandbox.app import create_app
from kombo_tui.sandbox.data import DEFAULT_INTEGRATION_ID, INTEGRATIONS, SANDBOX_API_KEY, dataset
from kombo_tui.sandbox.server import SandboxServer

APPLICATION_ID = "GRKdd9dibYKKCrmGRSMJf3wu"
GOOD_HEADERS = [
    (b"host", b"sandbox"),
    (b"authorization", f"Bearer {SANDBOX_API_KEY}".encode()),
    (b"x-integration-id", DEFAULT_INTEGRATION_ID.encode()),
]


class Answer:
    """What came back: status, headers (lower-case names) and body."""

    def __init__(self, status: int, headers: dict[str, str], body: bytes) -> None:
        self.status = status
        self.headers = headers
        self.body = body

    def envelope(self) -> dict[str, Any]:
        """The body as Kombo's JSON envelope (asserting it is one)."""
        assert self.headers.get("content-type", "").startswith("application/json"), (
            self.status,
            self.headers,
            self.body[:200],
        )
        doc: dict[str, Any] = json.loads(self.body)
        assert doc["status"] in ("success", "error"), doc
        if doc["status"] == "error":
            assert set(doc["error"]) == {"code", "title", "message", "log_url"}, doc
            assert isinstance(doc["error"]["message"], str) and doc["error"]["message"]
        else:
            assert "data" in doc
        return doc


async def asgi_call(
    app: Starlette,
    method: str,
    target: bytes,
    headers: list[tuple[bytes, bytes]] | None = None,
    body: bytes = b"",
) -> Answer:
    """One request straight into the ASGI app, its target passed as raw bytes (as a server
    would: ``raw_path`` undecoded, ``path`` percent-decoded)."""
    raw_path, _, query = target.partition(b"?")
    scope = {
        "type": "http",
        "asgi": {"version": "3.0"},
        "http_version": "1.1",
        "method": method,
        "scheme": "http",
        "path": unquote(raw_path.decode("latin-1")),
        "raw_path": raw_path,
        "query_string": query,
        "root_path": "",
        "headers": GOOD_HEADERS if headers is None else headers,
        "client": ("127.0.0.1", 50000),
        "server": ("127.0.0.1", 80),
    }
    sent: list[Message] = []
    delivered = False

    async def receive() -> Message:
        nonlocal delivered
        if delivered:
            return {"type": "http.disconnect"}
        delivered = True
        return {"type": "http.request", "body": body, "more_body": False}

    async def send(message: Message) -> None:
        sent.append(message)

    await app(scope, receive, send)
    start = next(m for m in sent if m["type"] == "http.response.start")
    content = b"".join(m.get("body", b"") for m in sent if m["type"] == "http.response.body")
    names = {k.decode("latin-1").lower(): v.decode("latin-1") for k, v in start["headers"]}
    return Answer(start["status"], names, content)


def socket_call(port: int, method: bytes, target: bytes) -> Answer:
    """One request over a raw socket: the target's bytes reach uvicorn's parser unchanged."""
    with socket.create_connection(("127.0.0.1", port), timeout=10) as sock:
        sock.sendall(
            method + b" " + target + b" HTTP/1.1\r\nHost: 127.0.0.1\r\n"
            + b"".join(k + b": " + v + b"\r\n" for k, v in GOOD_HEADERS[1:])
            + b"Content-Length: 0\r\nConnection: close\r\n\r\n"
        )
        data = b""
        while chunk := sock.recv(65536):
            data += chunk
    head, _, body = data.partition(b"\r\n\r\n")
    status_line, *lines = head.decode("latin-1").split("\r\n")
    headers = {}
    for line in lines:
        name, _, value = line.partition(":")
        headers[name.strip().lower()] = value.strip()
    return Answer(int(status_line.split()[1]), headers, body)


# (method, target, expected status, the path parameter the message must name, if any)
PERCENT_ENCODED: list[tuple[str, bytes, int, str | None]] = [
    ("GET", f"/v1/ats/applications/{APPLICATION_ID}%0A/attachments".encode(), 400, "application_id"),
    ("POST", b"/v1/ats/applications/a%0Ab/attachments", 400, "application_id"),
    ("GET", b"/v1/ats/applications/a%0Db/attachments", 400, "application_id"),
    ("GET", b"/v1/ats/applications/%00/attachments", 400, "application_id"),
    ("GET", b"/v1/ats/applications/a%09b/attachments", 400, "application_id"),
    ("GET", b"/v1/ats/applications/%1B%5B2J/attachments", 400, "application_id"),
    ("GET", b"/v1/ats/applications/a%7Fb/attachments", 400, "application_id"),
    ("GET", b"/v1/ats/applications/a%C2%85b/attachments", 400, "application_id"),
    ("POST", b"/v1/ats/candidates/%C2%9B31m/attachments", 400, "candidate_id"),
    ("GET", b"/v1/integrations/x%0Ay", 400, "integration_id"),
    ("GET", b"/v1/tools/ats%00", 400, "category"),
    ("GET", b"/v1/ats/applications/a%0Ab/attachments?page_size=%0A", 400, "application_id"),
    ("GET", b"/v1/ats/applications%0A", 404, None),
    ("GET", b"/v1/ats/applications/x/attachments%0A", 404, None),
    ("GET", b"/v1/ats/nope%0A", 404, None),
    ("GET", b"/v1%0A/check-api-key", 404, None),
    ("GET", b"/%0A", 404, None),
    ("GET", b"/nope", 404, None),
    ("GET", b"/v1/ats/applications/%FF/attachments", 404, None),
    ("GET", b"/v1/ats/applications/..%2F..%2Fcheck-api-key/attachments", 404, None),
    ("GET", b"/v1/" + b"a%0A" * 3000, 404, None),
    ("TRACE", b"/v1/check-api-key", 405, None),
    ("BREW", b"/v1/ats/applications", 405, None),
    ("BREW", b"/v1/nope", 404, None),
]

RAW = [
    b"/v1/ats/applications/a\nb/attachments",
    b"/v1/ats/applications/a\rb/attachments",
    b"/v1/ats/applications/a\x00b/attachments",
    b"/v1/ats/applications/a\tb/attachments",
    b"/v1/ats/applications/a b/attachments",
    b"/v1/ats/applications/\x1b[2J/attachments",
    b"/v1/ats/applications/a\x7fb/attachments",
    b"/v1/ats/applications/a\x85b/attachments",
    b"/v1/ats/applications/a\xc2\x85b/attachments",
    b"/v1/integrations/x\ny",
]


def _check(answer: Answer, status: int, param: str | None) -> None:
    doc = answer.envelope()
    assert answer.status == status, (answer.status, doc)
    assert doc["status"] == "error"
    assert doc["error"]["code"] == "PLATFORM.INPUT_INVALID"
    if param is not None:
        assert doc["error"]["message"].startswith(f"{param}: must not contain control"), doc


@pytest.mark.parametrize(("method", "target", "status", "param"), PERCENT_ENCODED, ids=repr)
async def test_hostile_encoded_paths_in_process(
    method: str, target: bytes, status: int, param: str | None
) -> None:
    _check(await asgi_call(create_app(), method, target), status, param)


@pytest.mark.parametrize("target", RAW, ids=repr)
async def test_hostile_raw_paths_in_process(target: bytes) -> None:
    answer = await asgi_call(create_app(), "GET", target)
    doc = answer.envelope()
    assert answer.status in (400, 404), doc
    assert doc["error"]["code"] == "PLATFORM.INPUT_INVALID"


@pytest.fixture(scope="module")
def running() -> Iterator[SandboxServer]:
    with SandboxServer() as server:
        yield server


@pytest.mark.parametrize(("method", "target", "status", "param"), PERCENT_ENCODED, ids=repr)
def test_hostile_encoded_paths_on_uvicorn(
    running: SandboxServer, method: str, target: bytes, status: int, param: str | None
) -> None:
    _check(socket_call(running.port, method.encode(), target), status, param)


@pytest.mark.parametrize("target", RAW, ids=repr)
def test_hostile_raw_paths_on_uvicorn(running: SandboxServer, target: bytes) -> None:
    """uvicorn's parser refuses these before the app sees them; the refusal is an envelope too."""
    answer = socket_call(running.port, b"GET", target)
    _check(answer, 400, None)
    assert "Malformed HTTP request" in answer.envelope()["error"]["message"]


def _complete(data: bytes) -> bool:
    head, _, body = data.partition(b"\r\n\r\n")
    for line in head.split(b"\r\n"):
        name, _, value = line.partition(b":")
        if name.strip().lower() == b"content-length":
            return len(body) >= int(value)
    return False


def test_a_header_uvicorn_cannot_parse_gets_an_envelope(running: SandboxServer) -> None:
    with socket.create_connection(("127.0.0.1", running.port), timeout=10) as sock:
        sock.sendall(b"GET /v1/check-api-key HTTP/1.1\r\nHost: x\r\nBad\x01Header: 1\r\n\r\n")
        data = b""
        while b"\r\n\r\n" not in data or not _complete(data):
            chunk = sock.recv(65536)  # a busy machine may hand over the head and the body apart
            if not chunk:
                break
            data += chunk
    head, _, body = data.partition(b"\r\n\r\n")
    assert head.startswith(b"HTTP/1.1 400 ") and b"content-type: application/json" in head
    assert json.loads(body)["error"]["code"] == "PLATFORM.INPUT_INVALID"


async def test_the_help_page_at_the_root_stays() -> None:
    answer = await asgi_call(create_app(), "GET", b"/")
    assert answer.status == 200 and answer.headers["content-type"].startswith("text/plain")
    assert b"kombo-tui sandbox" in answer.body


# --------------------------------------------------------------------------- fuzzing

_APP: Starlette | None = None


def _fuzz_app() -> Starlette:
    """One app for every example (building the demo data once); no misbehaviour knob set."""
    global _APP
    if _APP is None:
        _APP = create_app()
    return _APP


_ANY_BYTE = st.binary(max_size=12)
_TEXTISH = st.text(max_size=12).map(lambda s: s.encode("utf-8", "surrogatepass"))
_ENCODED = st.text(max_size=8).map(
    lambda s: "".join(f"%{b:02X}" for b in s.encode("utf-8", "surrogatepass")).encode()
)
_SEGMENT = st.sampled_from(
    [b"ats", b"applications", b"candidates", b"jobs", b"attachments", b"actions", b"tools",
     b"integrations", b"check-api-key", b"ats_add_application_attachment", b"..", b".", b"",
     APPLICATION_ID.encode(), DEFAULT_INTEGRATION_ID.encode()]
) | _ANY_BYTE | _TEXTISH | _ENCODED
_FREE_PATH = st.tuples(
    st.sampled_from([b"v1", b"v1", b"x", b""]), st.lists(_SEGMENT, max_size=5)
).map(lambda t: b"/" + b"/".join((t[0], *t[1])))
_REAL_ID = st.sampled_from(
    [APPLICATION_ID.encode(), b"ats", b"hris", DEFAULT_INTEGRATION_ID.encode()]
    + [a.id.encode() for a in dataset(DEFAULT_INTEGRATION_ID).live_applications[:3]]
    + [c.id.encode() for c in dataset(DEFAULT_INTEGRATION_ID).candidates[:3]]
)
_ROUTES = [
    "/v1/check-api-key",
    "/v1/integrations/{}",
    "/v1/tools/{}",
    "/v1/ats/applications",
    "/v1/ats/applications/{}/attachments",
    "/v1/ats/candidates",
    "/v1/ats/candidates/{}/attachments",
    "/v1/ats/jobs",
    "/v1/ats/actions/ats_add_application_attachment",
    "/v1/ats/actions/ats_add_candidate_attachment",
]
_ROUTED_PATH = st.tuples(st.sampled_from(_ROUTES), _REAL_ID | _SEGMENT).map(
    lambda t: t[0].encode().replace(b"{}", t[1])
)
_PATH = _ROUTED_PATH | _ROUTED_PATH | _ROUTED_PATH | _FREE_PATH
_PARAM = st.sampled_from(
    ["page_size", "cursor", "updated_after", "include_deleted", "ignore_unsupported_filters",
     "ids", "remote_ids", "outcome", "outcomes", "job_ids", "job_remote_ids",
     "current_stage_ids", "remote_created_after", "email", "first_name", "last_name",
     "job_codes", "post_url", "status", "statuses", "employment_types", "visibilities",
     "name_contains"]
).map(str.encode) | _ANY_BYTE
_VALUE = (
    st.sampled_from([b"", b"1", b"250", b"0", b"true", b"HIRED", b"OPEN,", b"a@b.co",
                     b"2025-01-01", b"2025-01-01T00:00:00.5Z", b"%0A", b"%FF", b"%"])
    | _ANY_BYTE
    | _TEXTISH
    | _ENCODED
)
_QUERY = st.lists(st.tuples(_PARAM, _VALUE), max_size=4).map(
    lambda pairs: b"&".join(k + b"=" + v for k, v in pairs)
) | _ANY_BYTE
_HEADER_VALUE = st.binary(max_size=40) | _TEXTISH
_GOOD_AUTH = f"Bearer {SANDBOX_API_KEY}".encode()
_AUTH = st.one_of(
    st.just(_GOOD_AUTH), st.just(_GOOD_AUTH), st.just(_GOOD_AUTH), st.none(),
    st.sampled_from([b"", b"Bearer", b"Bearer " + _GOOD_AUTH]), _HEADER_VALUE,
)
_INTEGRATION = st.one_of(
    st.just(DEFAULT_INTEGRATION_ID.encode()), st.just(DEFAULT_INTEGRATION_ID.encode()),
    st.sampled_from([i.id.encode() for i in INTEGRATIONS]), st.none(), _HEADER_VALUE,
)
_EXTRA = st.lists(
    st.tuples(
        st.sampled_from([b"content-type", b"content-length", b"accept", b"x-integration-id",
                         b"authorization", b"host", b"cookie"]) | st.binary(min_size=1, max_size=12),
        _HEADER_VALUE,
    ),
    max_size=3,
)


@settings(max_examples=400, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    method=st.sampled_from(["GET"] * 6 + ["POST", "HEAD", "DELETE", "OPTIONS", "PATCH"]),
    path=_PATH,
    query=_QUERY,
    authorization=_AUTH,
    integration=_INTEGRATION,
    extra=_EXTRA,
    body=st.binary(max_size=64) | st.sampled_from([b"{}", b'{"attachment": {}}', b"[", b"null"]),
)
async def test_random_requests_always_get_an_envelope(
    method: str,
    path: bytes,
    query: bytes,
    authorization: bytes | None,
    integration: bytes | None,
    extra: list[tuple[bytes, bytes]],
    body: bytes,
) -> None:
    headers = [(b"host", b"sandbox")]
    if authorization is not None:
        headers.append((b"authorization", authorization))
    if integration is not None:
        headers.append((b"x-integration-id", integration))
    headers += [(name.lower(), value) for name, value in extra]
    target = path + (b"?" + query if query else b"")
    answer = await asgi_call(_fuzz_app(), method, target, headers, body)
    assert 200 <= answer.status < 300 or 400 <= answer.status < 500, (answer.status, answer.body[:300])
    if path == b"/":  # the help page
        assert answer.status == 200 and answer.headers["content-type"].startswith("text/plain")
    elif method == "HEAD":
        assert answer.headers.get("content-type", "").startswith("application/json")
    else:
        answer.envelope()
