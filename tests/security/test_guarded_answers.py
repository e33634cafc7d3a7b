"""Every answer is bounded and scrubbed before anything sees it (``answers.GuardedAnswers``).

A server that echoes the key anywhere, answers with 50 MB, a gzip bomb or one byte every so
often: the key never reaches an outcome, an error, the exchange log, the history or a HAR; a
too-large or too-slow answer ends as an unknown outcome (the upload did go out), recorded.
"""

from __future__ import annotations

import asyncio
import gzip
import json
from collections.abc import AsyncIterator, Callable
from pathlib import Path

import httpx
import pytest

from kombo_tui.core.answers import MAX_ANSWER_BYTES
from kombo_tui.core.client import KomboClient
from kombo_tui.core.engine import send_upload
from kombo_tui.core.errors import ApiError, TransportError
from kombo_tui.core.history import History
from kombo_tui.core.payload import prepare_fields
from kombo_tui.core.wire.exchanges import ExchangeLog
from kombo_tui.core.wire.har import to_har

KEY = "sk_guarded_secret_key_42"
PDF = b"%PDF-1.4\n1 0 obj<</Type/Catalog>>endobj\ntrailer<<>>\n%%EOF\n"


def _client(handler: Callable[[httpx.Request], httpx.Response], log: ExchangeLog, **kwargs: object) -> KomboClient:
    return KomboClient(KEY, base_url="http://kombo.localhost/v1", transport=httpx.MockTransport(handler),
                       exchanges=log, integration_id="g:1", **kwargs)  # type: ignore[arg-type]


def _upload(tmp_path: Path):  # type: ignore[no-untyped-def]
    cv = tmp_path / "cv.pdf"
    cv.write_bytes(PDF)
    return prepare_fields(integration_id="g:1", application_id="APP1", file=cv)


def _everywhere(log: ExchangeLog, history: History, *texts: object) -> str:
    har = json.dumps(to_har(log.entries()), ensure_ascii=False)
    rows = json.dumps([e.to_json() for e in history.entries()], ensure_ascii=False)
    return "\n".join([har, rows, *map(str, texts)])


@pytest.mark.parametrize("where", ["header", "warning", "error", "log_url", "redirect"])
async def test_a_key_the_server_echoes_is_scrubbed_by_value_everywhere(tmp_path: Path, where: str) -> None:
    def handler(request: httpx.Request) -> httpx.Response:
        if request.method == "GET":
            return httpx.Response(200, json={"status": "success", "data": {"results": [], "next": None}})
        request.read()
        echoed = f"your key is {KEY}"
        if where == "header":
            return httpx.Response(200, headers={"X-Echo": echoed}, json={"status": "success", "data": {}, "warnings": []})
        if where == "warning":
            return httpx.Response(200, json={"status": "success", "data": {}, "warnings": [{"message": echoed}]})
        if where == "redirect":
            return httpx.Response(302, headers={"Location": f"https://evil.example/?k={KEY}"})
        error = {"code": "PLATFORM.INPUT_INVALID", "title": "t", "message": echoed if where == "error" else "m",
                 "log_url": f"https://app.kombo.dev/logs/{KEY}" if where == "log_url" else None}
        return httpx.Response(400, json={"status": "error", "error": error})

    log, history = ExchangeLog(), History(tmp_path / "h.sqlite3")
    async with _client(handler, log) as client:
        outcome = await send_upload(client, _upload(tmp_path), verify=True, history=history, environment="EU")
    shown = _everywhere(log, history, outcome, outcome.to_json(), outcome.error, outcome.warnings)
    assert KEY not in shown
    assert "••••" in shown  # the echo is there, masked


async def test_a_huge_answer_is_not_read_past_the_limit_and_the_upload_stays_unknown(tmp_path: Path) -> None:
    def handler(request: httpx.Request) -> httpx.Response:
        request.read()
        return httpx.Response(200, content=b"x" * (MAX_ANSWER_BYTES + 1), headers={"content-type": "application/json"})

    log, history = ExchangeLog(), History(tmp_path / "h.sqlite3")
    async with _client(handler, log) as client:
        outcome = await send_upload(client, _upload(tmp_path), history=history, environment="EU")
    assert outcome.status == "unknown" and isinstance(outcome.error, TransportError)
    assert "larger than 16 MB" in str(outcome.error)
    assert [e.outcome for e in history.entries()] == ["unknown"]


async def test_a_gzip_bomb_is_cut_off_as_it_inflates(tmp_path: Path) -> None:
    bomb = gzip.compress(b"\0" * (MAX_ANSWER_BYTES * 4))  # 64 MB of zeros in ~65 kB

    def handler(request: httpx.Request) -> httpx.Response:
        if request.method == "POST":
            request.read()
        return httpx.Response(200, content=bomb, headers={"content-encoding": "gzip", "content-type": "application/json"})

    log = ExchangeLog()
    async with _client(handler, log) as client:
        with pytest.raises(TransportError, match="larger than 16 MB"):
            await client.get_integration("g:1")
        outcome = await send_upload(client, _upload(tmp_path), history=History(tmp_path / "h.sqlite3"), environment="EU")
    assert outcome.status == "unknown"


async def test_a_gzipped_answer_within_the_limit_is_read(tmp_path: Path) -> None:
    body = gzip.compress(json.dumps({"status": "error", "error": {"code": "X", "title": "t", "message": KEY}}).encode())

    def handler(request: httpx.Request) -> httpx.Response:
        return httpx.Response(404, content=body, headers={"content-encoding": "gzip", "content-type": "application/json"})

    async with _client(handler, ExchangeLog()) as client:
        with pytest.raises(ApiError) as info:
            await client.get_integration("g:1")
    assert info.value.code == "X" and KEY not in str(info.value) and "••••" in (info.value.message or "")


class _Drip(httpx.AsyncByteStream):
    """One byte, then another every 0.1 s, for ever."""

    async def __aiter__(self) -> AsyncIterator[bytes]:
        while True:
            yield b" "
            await asyncio.sleep(0.1)


@pytest.mark.real_delays  # the subject is a deadline
async def test_a_dripping_answer_ends_at_the_upload_timeout(tmp_path: Path) -> None:
    def handler(request: httpx.Request) -> httpx.Response:
        request.read()
        return httpx.Response(200, stream=_Drip(), headers={"content-type": "application/json"})

    history = History(tmp_path / "h.sqlite3")
    async with _client(handler, ExchangeLog(), upload_timeout=0.5) as client:
        started = asyncio.get_running_loop().time()
        outcome = await send_upload(client, _upload(tmp_path), history=history, environment="EU")
        took = asyncio.get_running_loop().time() - started
    assert outcome.status == "unknown" and "timed out" in str(outcome.error)
    assert took < 3  # the whole answer had 0.5 s: it would drip for ever
    assert [e.outcome for e in history.entries()] == ["unknown"]
