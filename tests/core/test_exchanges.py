"""The exchange log: what the client sent and got back, retries and their waits, bounds, listeners."""

from __future__ import annotations

import asyncio
import base64
import json
from pathlib import Path

import httpx
import pytest

from kombo_tui.core.client import KomboClient
from kombo_tui.core.engine import send_upload
from kombo_tui.core.errors import ApiError, TransportError
from kombo_tui.core.payload import Draft, prepare
from kombo_tui.core.retry import RetryPolicy
from kombo_tui.core.wire.exchanges import MASK, UPLOAD_EXTENSION, Body, Exchange, ExchangeLog, redact_header
from kombo_tui.sandbox.app import DroppedConnection, SandboxConfig
from kombo_tui.sandbox.server import SandboxServer

from .wire import CONFIG, KEY, in_process, on_loopback, pdf, recording_sleep, upload_for


def _serialized(log: ExchangeLog) -> str:
    return json.dumps([e.to_dict() for e in log.entries()]) + repr(log.entries())


async def test_a_send_records_each_request_and_answer_without_the_key_or_the_file(tmp_path: Path) -> None:
    log = ExchangeLog()
    client, _ = in_process(log)
    path = pdf(tmp_path)
    async with client:
        await client.check_api_key()
        upload = await upload_for(client, path)
        outcome = await send_upload(client, upload, verify=True)
    assert outcome.status == "sent"

    lines = [(e.kind, e.method, e.path.split("?")[0], e.status) for e in log.entries()]
    app_path = f"/v1/ats/applications/{upload.application_id}/attachments"
    assert lines == [
        ("http", "GET", "/v1/check-api-key", 200),
        ("http", "GET", "/v1/ats/applications", 200),
        ("http", "GET", app_path, 200),  # verify: the attachments before
        ("http", "POST", app_path, 200),
        ("http", "GET", app_path, 200),  # verify: the attachments after
    ]
    post = log.entries()[3]
    assert post.complete and post.error is None
    assert post.header("authorization", response=False) == f"Bearer {MASK}"
    assert post.header("x-integration-id", response=False) == upload.integration_id
    body = post.request_body
    assert body is not None and body.elided and body.size == upload.content_length
    assert body.text is not None and json.loads(body.text)["attachment"]["data"] == upload.elided_data()
    assert body.note is not None and upload.fingerprint is not None
    assert upload.fingerprint.sha256 in body.note and f"{upload.size:,} bytes" in body.note
    assert post.upload is upload  # by reference: the full body can be exported, never copied
    assert post.response_body is not None and post.response_body.text is not None
    assert json.loads(post.response_body.text)["status"] == "success"
    assert post.header("content-type") == "application/json"
    pretty = post.response_body.pretty()
    assert pretty is not None and pretty.startswith("{\n  ")
    assert all(e.timings.wait is not None and e.timings.receive is not None for e in log.entries())
    assert not any(e.timings.traced for e in log.entries())  # in-process: no httpcore trace

    serialized = _serialized(log)
    assert KEY not in serialized
    assert base64.b64encode(path.read_bytes()[:3000]).decode() not in serialized


async def test_each_retry_of_a_rate_limited_upload_is_recorded_with_its_wait(tmp_path: Path) -> None:
    log = ExchangeLog()
    apps: list[object] = []

    def reset_on_second(n: int) -> None:
        if n == 2:  # the window ends during the second wait
            apps[0].state.sandbox.rate_limiter.reset()  # type: ignore[attr-defined]

    sleep, slept = recording_sleep(reset_on_second)
    client, app = in_process(log, SandboxConfig(api_key=KEY, rate_limit=1, rate_window=60), sleep=sleep)
    apps.append(app)
    async with client:
        upload = await upload_for(client, pdf(tmp_path))
        result = await client.add_application_attachment(upload)
    assert result.attempts == 3

    entries = log.entries()
    assert [(e.kind, e.method, e.status) for e in entries] == [
        ("http", "GET", 200),
        ("http", "POST", 429),
        ("wait", "POST", None),
        ("http", "POST", 429),
        ("wait", "POST", None),
        ("http", "POST", 200),
    ]
    first_wait, second_wait = entries[2], entries[4]
    assert [first_wait.wait_seconds, second_wait.wait_seconds] == slept
    assert (first_wait.follows, second_wait.follows) == (entries[1].id, entries[3].id)
    assert (first_wait.attempt, second_wait.attempt) == (1, 2)
    assert first_wait.wait_reason is not None and "PLATFORM.RATE_LIMIT_EXCEEDED" in first_wait.wait_reason
    assert f"Retry-After: {entries[1].header('retry-after')}" in first_wait.wait_reason
    assert first_wait.url.endswith(f"/ats/applications/{upload.application_id}/attachments")
    assert entries[1].response_body is not None and entries[1].response_body.text is not None
    assert "RATE_LIMIT_EXCEEDED" in entries[1].response_body.text
    assert KEY not in _serialized(log)


async def test_a_failed_read_is_recorded_then_its_retry_wait(tmp_path: Path) -> None:
    log = ExchangeLog()
    sleep, slept = recording_sleep()
    client, app = in_process(
        log, SandboxConfig(api_key=KEY, error_rate=1.0), sleep=sleep, retry=RetryPolicy(max_attempts=2)
    )
    async with client:
        with pytest.raises(ApiError):
            await client.check_api_key()
    kinds = [(e.kind, e.status) for e in log.entries()]
    assert kinds == [("http", 500), ("wait", None), ("http", 502)]
    assert log.entries()[1].wait_seconds == slept[0]


def test_a_dropped_connection_is_an_exchange_without_an_answer(tmp_path: Path) -> None:
    log = ExchangeLog()
    path = pdf(tmp_path)

    async def go(server: SandboxServer) -> None:
        async with on_loopback(server, log) as client:
            upload = await upload_for(client, path)
            with pytest.raises(TransportError) as caught:
                await client.add_application_attachment(upload)
            assert caught.value.sent
            await client.get_application_attachments(upload.application_id)

    with SandboxServer(SandboxConfig(api_key=KEY, drop_after_store=True)) as server:
        asyncio.run(go(server))
    post = next(e for e in log.entries() if e.method == "POST")
    assert post.complete and post.status is None
    assert post.error is not None and post.error.startswith("no response")
    assert "HTTP 200" in post.error and "RemoteProtocolError" in post.error
    assert post.body_sent is True  # the body went out: the outcome is unknown, not "not sent"
    assert "HTTP 200 headers came, then:" in post.error  # what did arrive is said (the answer is read whole, guarded)
    assert post.response_body is None
    assert log.entries()[-1].status == 200  # the verification after it
    assert KEY not in _serialized(log)


async def test_a_dropped_connection_in_process_is_recorded_too(tmp_path: Path) -> None:
    log = ExchangeLog()
    client, _ = in_process(log, SandboxConfig(api_key=KEY, drop_after_store=True))
    async with client:
        upload = await upload_for(client, pdf(tmp_path))
        with pytest.raises(DroppedConnection):
            await client.add_application_attachment(upload)
    post = log.entries()[-1]
    assert post.status is None and post.error is not None
    assert post.error.startswith("no response: DroppedConnection")


def test_timings_over_loopback_are_ordered_and_reuse_the_connection(tmp_path: Path) -> None:
    log = ExchangeLog()
    path = pdf(tmp_path, size=3_000_000)

    async def go(server: SandboxServer) -> None:
        async with on_loopback(server, log) as client:
            await client.check_api_key()
            upload = await upload_for(client, path)
            await client.add_application_attachment(upload)

    with SandboxServer(CONFIG) as server:
        asyncio.run(go(server))
    first, second, post = log.entries()
    for exchange in (first, second, post):
        t = exchange.timings
        assert t.traced and exchange.server_address == "127.0.0.1"
        assert exchange.duration is not None and exchange.body_sent is True
        phases = [t.blocked, t.send, t.wait, t.receive]
        assert all(p is not None and p >= 0 for p in phases)
        known = [p for p in (t.blocked, t.connect, t.send, t.wait, t.receive) if p is not None]
        assert sum(known) <= exchange.duration * 1000 + 1
        assert t.dns is None and t.ssl is None  # no separate DNS figure; no TLS on loopback
    assert first.timings.connect is not None and first.timings.connect > 0  # a new connection
    assert second.timings.connect is None and post.timings.connect is None  # reused
    assert post.timings.send is not None and second.timings.send is not None
    assert post.timings.send > second.timings.send  # 4 MB of body vs none
    assert [e.started for e in log.entries()] == sorted(e.started for e in log.entries())


async def test_the_log_keeps_at_most_max_entries_and_its_byte_budget() -> None:
    answer = json.dumps({"status": "success", "data": {"pad": "x" * 20_000}, "warnings": []}).encode()
    big = json.dumps({"status": "success", "data": {"pad": "y" * 500_000}, "warnings": []}).encode()

    answers = [answer]

    def handler(request: httpx.Request) -> httpx.Response:
        return httpx.Response(200, content=answers[-1], headers={"content-type": "application/json"})

    log = ExchangeLog(max_entries=10, max_bytes=100_000, body_limit=25_000)
    client = KomboClient(KEY, base_url="http://kombo.test/v1", transport=httpx.MockTransport(handler), exchanges=log)
    async with client:
        for _ in range(15):
            await client.check_api_key()
        assert len(log) <= 10 and log.total_bytes <= 100_000
        assert len(log) == 4  # four 20 kB answers fit in 100 kB, ten do not
        answers.append(big)
        await client.check_api_key()
    kept = log.entries()
    assert kept[-1].id == 16 and [e.id for e in kept] == sorted(e.id for e in kept)
    assert log.evicted == 16 - len(kept) and log.total_bytes <= 100_000
    body = kept[-1].response_body
    assert body is not None and body.text is None and body.size == len(big)
    assert body.note == f"{len(big):,} bytes, not kept"

    answers.append(answer)
    many = ExchangeLog(max_entries=5)
    client = KomboClient(KEY, base_url="http://kombo.test/v1", transport=httpx.MockTransport(handler), exchanges=many)
    async with client:
        for _ in range(12):
            await client.check_api_key()
    assert [e.id for e in many.entries()] == [8, 9, 10, 11, 12] and many.evicted == 7


def test_bounds_are_checked() -> None:
    with pytest.raises(ValueError):
        ExchangeLog(max_entries=0)
    with pytest.raises(ValueError):
        ExchangeLog(max_bytes=1000, body_limit=500)


async def test_listeners_hear_each_completed_exchange_and_one_that_fails_breaks_nothing(
    caplog: pytest.LogCaptureFixture,
) -> None:
    log = ExchangeLog()
    heard: list[Exchange] = []

    def broken(exchange: Exchange) -> None:
        raise RuntimeError("listener bug")

    unsubscribe = log.subscribe(heard.append)
    log.subscribe(broken)
    client, _ = in_process(log)
    async with client:
        await client.check_api_key()
        unsubscribe()
        await client.check_api_key()
    assert len(heard) == 1 and heard[0].complete and heard[0].status == 200
    assert len(log) == 2
    assert "an exchange listener failed" in caplog.text


async def test_scope_tags_the_exchanges_of_concurrent_sends(tmp_path: Path) -> None:
    log = ExchangeLog()
    client, _ = in_process(log)
    async with client:
        first = await upload_for(client, pdf(tmp_path, name="a.pdf"))
        second = prepare(Draft(integration_id=first.integration_id, application_id=first.application_id,
                               file=pdf(tmp_path, name="b.pdf"), type="CV"))

        async def send(label: str, upload: object) -> None:
            with log.scope(label):
                await send_upload(client, upload, verify=True)  # type: ignore[arg-type]

        await asyncio.gather(send("a", first), send("b", second))
    mine = log.entries(scope="a")
    assert [e.method for e in mine] == ["GET", "POST", "GET"]
    post = next(e for e in mine if e.method == "POST")
    assert post.upload is first
    theirs = log.entries(scope="b")
    # Each send's own scope nests in the caller's ("b/send-…"), so both finds work.
    assert len(theirs) == 3 and all((e.scope or "").startswith("b/send-") for e in theirs)
    assert not {e.id for e in theirs} & {e.id for e in mine}
    assert log.entries()[0].scope is None  # the listing before, outside any scope
    assert [e.id for e in log.entries(since=mine[0].id)] == [e.id for e in log.entries() if e.id > mine[0].id]


async def test_without_a_log_the_client_is_plain_httpx_and_nothing_reaches_the_transport(tmp_path: Path) -> None:
    seen: list[dict[str, object]] = []

    def handler(request: httpx.Request) -> httpx.Response:
        seen.append(dict(request.extensions))
        request.read()
        return httpx.Response(200, json={"status": "success", "data": {}, "warnings": []})

    upload = prepare(Draft(integration_id="lever:x", application_id="A1", file=pdf(tmp_path), type="CV"))
    for log in (None, ExchangeLog()):
        client = KomboClient(KEY, base_url="http://kombo.test/v1", transport=httpx.MockTransport(handler),
                             exchanges=log)
        async with client:
            assert (type(client.http) is httpx.AsyncClient) == (log is None)
            await client.add_application_attachment(upload)
    assert len(seen) == 2 and all(UPLOAD_EXTENSION not in s for s in seen)
    assert "trace" not in seen[0] and "trace" in seen[1]


async def test_the_key_is_scrubbed_from_errors_and_answers() -> None:
    def handler(request: httpx.Request) -> httpx.Response:
        if request.url.path.endswith("check-api-key"):
            raise httpx.ConnectError(f"refused while sending Authorization: Bearer {KEY}")
        return httpx.Response(200, json={"status": "success", "data": {"echo": KEY}, "warnings": []})

    log = ExchangeLog()
    client = KomboClient(KEY, base_url="http://kombo.test/v1", transport=httpx.MockTransport(handler), exchanges=log)
    async with client:
        with pytest.raises(TransportError):
            await client.check_api_key()
        await client.get_tools()
    failed, echoed = log.entries()
    assert failed.status is None and failed.error is not None
    assert failed.error.startswith("no response: ConnectError") and MASK in failed.error
    assert echoed.response_body is not None and echoed.response_body.text is not None
    assert MASK in echoed.response_body.text
    assert KEY not in _serialized(log)


def test_secret_headers_are_masked_keeping_the_scheme() -> None:
    assert redact_header("Authorization", f"Bearer {KEY}") == f"Bearer {MASK}"
    assert redact_header("authorization", KEY) == MASK
    assert redact_header("Proxy-Authorization", "Basic dXNlcjpwdw==") == f"Basic {MASK}"
    assert redact_header("Cookie", "a=b; c=d") == MASK
    assert redact_header("X-Integration-Id", "greenhouse:x") == "greenhouse:x"


def test_an_exchange_survives_its_json_form() -> None:
    log = ExchangeLog()
    wait = log.wait(1.5, "HTTP 429", method="GET", url="http://kombo.test/v1/tools/ats", attempt=1)
    again = Exchange.from_dict(json.loads(json.dumps(wait.to_dict())))
    assert again.to_dict() == wait.to_dict()
    body = Body(size=3, mime="text/plain", text="abc")
    assert Body.from_dict(body.to_dict()) == body and body.pretty() == "abc"


async def test_a_refused_connection_is_recorded_with_the_time_spent_connecting() -> None:
    import socket

    with socket.socket() as probe:  # a loopback port nobody listens on
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    log = ExchangeLog()
    async with KomboClient(KEY, base_url=f"http://127.0.0.1:{port}/v1", exchanges=log) as client:
        with pytest.raises(TransportError) as caught:
            await client.check_api_key()
    assert caught.value.kind == "connect"
    [refused] = log.entries()
    assert refused.status is None and refused.error is not None
    assert refused.error.startswith("no response: ConnectError")
    t = refused.timings
    assert t.traced and t.connect is not None and t.send is None and t.wait is None
    assert refused.body_sent is False
