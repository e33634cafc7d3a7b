"""HAR 1.2 export: structure, no key, timings order, streamed full bodies, failures and waits."""

from __future__ import annotations

import asyncio
import copy
import io
import json
import os
import stat
import tracemalloc
from pathlib import Path
from typing import Any

import pytest

from kombo_tui._version import __version__
from kombo_tui.core.errors import FileChangedError, TransportError
from kombo_tui.core.wire.exchanges import MASK, ExchangeLog
from kombo_tui.core.wire.har import HarError, read_har, to_har, validate_har, write_har
from kombo_tui.sandbox.app import DroppedConnection, SandboxConfig
from kombo_tui.sandbox.server import SandboxServer

from .wire import CONFIG, KEY, in_process, on_loopback, pdf, recording_sleep, upload_for

PHASES = ("blocked", "dns", "connect", "ssl", "send", "wait", "receive")


def _loopback_send(tmp_path: Path, config: SandboxConfig = CONFIG) -> ExchangeLog:
    log = ExchangeLog()
    path = pdf(tmp_path, size=1_000_000)

    async def go(server: SandboxServer) -> None:
        async with on_loopback(server, log) as client:
            await client.check_api_key()
            upload = await upload_for(client, path)
            try:
                await client.add_application_attachment(upload)
            except TransportError:
                pass
            await client.get_application_attachments(upload.application_id)

    with SandboxServer(config) as server:
        asyncio.run(go(server))
    return log


def test_the_har_of_a_send_validates_holds_no_key_and_reads_back_in_order(tmp_path: Path) -> None:
    log = _loopback_send(tmp_path)
    target = tmp_path / "send.har"
    write_har(log.entries(), target)

    text = target.read_text(encoding="utf-8")
    assert KEY not in text
    assert stat.S_IMODE(target.stat().st_mode) == 0o600
    assert [p.name for p in tmp_path.iterdir() if p.name.startswith(".send.har")] == []
    doc = json.loads(text)
    assert validate_har(doc) == []
    assert doc["log"]["version"] == "1.2"
    assert doc["log"]["creator"] == {"name": "kombo-tui", "version": __version__}

    entries = doc["log"]["entries"]
    assert [e["request"]["method"] for e in entries] == ["GET", "GET", "POST", "GET"]
    started = [e["startedDateTime"] for e in entries]
    assert started == sorted(started)
    for entry in entries:
        timings = entry["timings"]
        assert all(timings[p] >= 0 or timings[p] == -1 for p in PHASES)
        assert all(timings[p] >= 0 for p in ("send", "wait", "receive"))
        assert timings["_traced"] is True and timings["dns"] == -1
        assert entry["serverIPAddress"] == "127.0.0.1"
        assert {"name": "Authorization", "value": f"Bearer {MASK}"} in entry["request"]["headers"]
    assert entries[0]["timings"]["connect"] > 0 and entries[1]["timings"]["connect"] == -1
    assert entries[1]["request"]["queryString"] == [{"name": "page_size", "value": "1"}]

    post = entries[2]["request"]
    assert post["postData"]["mimeType"] == "application/json" and post["postData"]["_elided"] is True
    assert json.loads(post["postData"]["text"])["attachment"]["data"].startswith("<base64 of 1,000,000 bytes")
    assert post["bodySize"] == log.entries()[2].request_body.size  # type: ignore[union-attr]
    assert entries[2]["response"]["status"] == 200
    assert json.loads(entries[2]["response"]["content"]["text"])["status"] == "success"

    back = read_har(target)
    assert [(e.method, e.status) for e in back] == [(e.method, e.status) for e in log.entries()]
    assert [e.started for e in back] == sorted(e.started for e in back)
    for mine, theirs in zip(log.entries(), back, strict=True):
        assert theirs.started == mine.started.replace(microsecond=mine.started.microsecond // 1000 * 1000)
        assert theirs.timings.connect == (round(mine.timings.connect, 3) if mine.timings.connect else None)
        assert theirs.request_headers == mine.request_headers


def test_a_dropped_connection_is_an_entry_with_status_0_and_an_error(tmp_path: Path) -> None:
    log = _loopback_send(tmp_path, SandboxConfig(api_key=KEY, drop_after_store=True))
    doc = to_har(log.entries())
    assert validate_har(doc) == []
    post = doc["log"]["entries"][2]
    assert post["response"]["status"] == 0
    assert post["response"]["_error"] == post["_error"]
    assert post["_error"].startswith("no response: RemoteProtocolError: HTTP 200 headers came, then:")
    assert post["_bodySent"] is True
    assert doc["log"]["entries"][3]["response"]["status"] == 200  # the verification
    [back] = [e for e in read_har(doc) if e.method == "POST"]
    assert back.status is None and back.error == post["_error"]


async def test_an_in_process_failure_and_the_untraced_timings_still_validate(tmp_path: Path) -> None:
    log = ExchangeLog()
    client, _ = in_process(log, SandboxConfig(api_key=KEY, drop_after_store=True))
    async with client:
        upload = await upload_for(client, pdf(tmp_path))
        with pytest.raises(DroppedConnection):
            await client.add_application_attachment(upload)
    doc = to_har(log.entries())
    assert validate_har(doc) == []
    listing, post = doc["log"]["entries"]
    assert listing["timings"]["_traced"] is False and "comment" in listing["timings"]
    assert listing["timings"]["blocked"] == -1 and listing["timings"]["send"] == 0
    assert post["response"]["status"] == 0 and post["_error"].startswith("no response: DroppedConnection")


async def test_retry_waits_ride_on_the_entry_whose_answer_caused_them(tmp_path: Path) -> None:
    log = ExchangeLog()
    apps: list[Any] = []
    sleep, slept = recording_sleep(lambda n: apps[0].state.sandbox.rate_limiter.reset() if n == 2 else None)
    client, app = in_process(log, SandboxConfig(api_key=KEY, rate_limit=1, rate_window=60), sleep=sleep)
    apps.append(app)
    async with client:
        upload = await upload_for(client, pdf(tmp_path))
        await client.add_application_attachment(upload)
    doc = to_har(log.entries())
    assert validate_har(doc) == []
    entries = doc["log"]["entries"]
    assert [e["response"]["status"] for e in entries] == [200, 429, 429, 200]
    waits = [e.get("_retryWait") for e in entries]
    assert waits[0] is None and waits[3] is None
    assert [w["seconds"] for w in waits[1:3]] == slept
    assert [w["attempt"] for w in waits[1:3]] == [1, 2]
    assert "Retry-After" in waits[1]["reason"]
    assert waits[1]["startedDateTime"] >= entries[1]["startedDateTime"]

    back = read_har(doc)
    assert [(e.kind, e.status) for e in back] == [(e.kind, e.status) for e in log.entries()]
    assert [e.follows for e in back if e.kind == "wait"] == [e.follows for e in log.entries() if e.kind == "wait"]


async def test_a_full_har_streams_the_real_body_without_holding_it(tmp_path: Path) -> None:
    log = ExchangeLog()
    client, _ = in_process(log)
    path = pdf(tmp_path, size=9_000_000)
    async with client:
        upload = await upload_for(client, path)
        await client.add_application_attachment(upload)
    expected = b"".join(upload.iter_body()).decode()

    target = tmp_path / "full.har"
    tracemalloc.start()
    try:
        write_har(log.entries(), target, full=True)
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert peak < 6_000_000  # the body alone is 12 MB of base64: at most a few chunks at a time
    doc = json.loads(target.read_text(encoding="utf-8"))
    assert validate_har(doc) == []
    post = doc["log"]["entries"][1]["request"]["postData"]
    assert post["text"] == expected and "_elided" not in post
    assert doc["log"]["entries"][1]["request"]["bodySize"] == len(expected)

    elided = io.StringIO()
    write_har(log.entries(), elided)
    assert len(elided.getvalue()) < 20_000 and KEY not in elided.getvalue()

    # The file changed since it was sent: its bytes are no longer the ones sent, so refuse.
    path.write_bytes(b"%PDF-1.7\nsomething else entirely")
    again = tmp_path / "again.har"
    with pytest.raises(FileChangedError):
        write_har(log.entries(), again, full=True)
    assert not again.exists() and sorted(os.listdir(tmp_path)) == ["cv.pdf", "full.har"]


def _valid_doc() -> dict[str, Any]:
    doc = to_har([])
    doc["log"]["entries"] = [
        {
            "startedDateTime": "2026-12-01T10:00:00.000+00:00",
            "time": 12.5,
            "request": {"method": "GET", "url": "http://kombo.test/v1/x", "httpVersion": "HTTP/1.1",
                        "cookies": [], "headers": [{"name": "Accept", "value": "*/*"}], "queryString": [],
                        "headersSize": -1, "bodySize": 0},
            "response": {"status": 200, "statusText": "OK", "httpVersion": "HTTP/1.1", "cookies": [],
                         "headers": [], "content": {"size": 2, "mimeType": "application/json", "text": "{}"},
                         "redirectURL": "", "headersSize": -1, "bodySize": 2},
            "cache": {},
            "timings": {"blocked": -1, "dns": -1, "connect": 2.5, "ssl": 1.0, "send": 1, "wait": 8, "receive": 1},
        }
    ]
    return doc


@pytest.mark.parametrize(
    ("path", "value", "problem"),
    [
        (("log", "version"), "1.1", "log.version: expected '1.2'"),
        (("log", "creator"), None, "log.creator: missing"),
        (("log", "entries", 0, "startedDateTime"), "yesterday", "startedDateTime: not ISO 8601"),
        (("log", "entries", 0, "request", "url"), None, "log.entries[0].request.url: missing"),
        (("log", "entries", 0, "request", "headers", 0, "value"), 5, "request.headers[0].value: expected str"),
        (("log", "entries", 0, "response", "status"), "200", "response.status: expected int"),
        (("log", "entries", 0, "response", "content", "mimeType"), None, "content.mimeType: missing"),
        (("log", "entries", 0, "cache"), None, "log.entries[0].cache: missing"),
        (("log", "entries", 0, "timings", "wait"), -1, "timings.wait: must not be negative"),
        (("log", "entries", 0, "timings", "connect"), -2, "timings.connect: expected a number >= 0 or -1"),
        (("log", "entries", 0, "time"), 99, "time: 99 is not the sum of its timings (12.500)"),
        (("log", "entries", 0, "request", "bodySize"), True, "request.bodySize: expected int, got bool"),
    ],
)
def test_the_validator_names_what_is_wrong(path: tuple[Any, ...], value: Any, problem: str) -> None:
    doc = _valid_doc()
    assert validate_har(doc) == []
    broken = copy.deepcopy(doc)
    holder: Any = broken
    for key in path[:-1]:
        holder = holder[key]
    if value is None:
        del holder[path[-1]]
    else:
        holder[path[-1]] = value
    problems = validate_har(broken)
    assert any(problem in p for p in problems), problems
    with pytest.raises(HarError) as caught:
        read_har(broken)
    assert caught.value.problems == problems


def test_the_validator_refuses_what_is_not_a_har() -> None:
    assert validate_har([]) == ["$: expected an object, got list"]
    assert validate_har({"log": {"version": "1.2", "creator": {"name": "x", "version": "1"}, "entries": [3]}}) == [
        "log.entries[0]: expected an object, got int"
    ]


def test_a_har_from_another_tool_and_a_wait_without_its_exchange_read_back() -> None:
    doc = _valid_doc()
    doc["log"]["entries"][0]["startedDateTime"] = "2026-12-01T10:00:00.250Z"  # as browsers write it
    back = read_har(doc)
    assert len(back) == 1 and back[0].status == 200 and back[0].started.utcoffset() is not None
    assert back[0].timings.connect == 2.5 and back[0].timings.blocked is None and not back[0].timings.traced

    log = ExchangeLog(max_entries=1)
    log.wait(2.0, "HTTP 429", method="POST", url="http://kombo.test/v1/x", attempt=1)
    loose = to_har(log.entries())
    assert validate_har(loose) == [] and loose["log"]["entries"] == []
    [wait] = read_har(loose)
    assert (wait.kind, wait.wait_seconds, wait.method, wait.follows) == ("wait", 2.0, "POST", None)
