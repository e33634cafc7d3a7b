"""A hostile Kombo for tests: the sandbox's answers with every string made an attack.

:class:`HostileKombo` wraps the sandbox's ASGI app (so every endpoint the client uses answers
in Kombo's shapes) and rewrites each answer:

- ``mode="data"``: every free-text string of a JSON answer (names, titles, ids, labels,
  ``warnings``) gets one of :data:`PAYLOADS` appended — markup, escapes, unclosed tags, a
  trailing backslash, 100 kB of text — and each upload's answer carries the payload as a
  warning;
- ``mode="error"``: every answer is Kombo's error envelope with the payload in ``code``,
  ``title``, ``message`` and ``log_url`` (status 400, or 500 with ``status=500``);
- ``mode="deep"``: every answer is JSON nested 100,000 levels deep;
- the *answer* modes let the sandbox take each upload (it is stored: the upload went out),
  then answer the POST pathologically — ``"huge"`` 50 MB, ``"bomb"`` a gzip body inflating to
  256 MB, ``"endless"`` a body that never ends (64 kB chunks, until 200 MB), ``"drip"`` a byte
  every 0.2 s (for a minute), ``"redirect"`` a 307 to another host; reads answer as usual.

Strings that look like enum values, dates or e-mails are kept, so the answers still parse:
what the tool shows is hostile, not malformed.

Use :func:`hostile_server` for a loopback HTTP server (the CLI), or the app with
``httpx.ASGITransport`` (the library).
"""

from __future__ import annotations

import asyncio
import json
import re
import zlib
from collections.abc import Iterator, MutableMapping
from contextlib import contextmanager
from typing import Any

from kombo_tui.sandbox.app import create_app
from kombo_tui.sandbox.server import SandboxServer

OSC52 = "\x1b]52;c;ZXZpbCBjbGlwYm9hcmQ=\x07"
CLEAR = "\x1b[2J\x1b[H"
OSC8 = "\x1b]8;;https://evil.example/\x1b\\click me\x1b]8;;\x1b\\"

PAYLOADS: dict[str, str] = {
    "markup": "[bold red]owned[/bold red]",
    "click": "[ @click=app.quit]quit[/]",
    "capital_tag": "[ Reverse]x",
    "close_tag": "[/",
    "unclosed": "[link=https://evil.example",
    "trailing_backslash": "oops\\",
    "osc52": OSC52,
    "clear_screen": CLEAR,
    "osc8": OSC8,
    "c1_csi": "\x9b2J",
    "cr_overwrite": "fine\rEVIL",
    "bidi": "cv\u202efdp.exe",
    "newline_fake_line": "x\nwarning: sent to production",
    "long_100k": "A" * 100_000 + "\x1b[2J",
}
"""Every attack string, by name."""

CONTROL_RE = re.compile(r"[\x00-\x08\x0b-\x1f\x7f-\x9f]")
"""A raw control character (newline and tab excepted) — must never reach a terminal."""

_KEEP = re.compile(
    r"^(?:[A-Z][A-Z0-9_.]*|\d{4}-\d\d-\d\d(?:T[\d:.]+(?:Z|[+-]\d\d:\d\d)?)?|[^@\s]+@[^@\s]+\.[a-z]+|"
    r"https?://\S*|[a-z]+/[\w.+-]+|success|error|ats|hris|[a-z_]+)$"
)


def _poison(value: Any, payload: str) -> Any:
    if isinstance(value, str):
        return value if _KEEP.match(value) else value + payload
    if isinstance(value, list):
        return [_poison(v, payload) for v in value]
    if isinstance(value, dict):
        return {k: _poison(v, payload) for k, v in value.items()}
    return value


class HostileKombo:
    """An ASGI app: the sandbox, with every answer made hostile (see the module docstring)."""

    def __init__(self, payload: str, *, mode: str = "data", status: int = 400) -> None:
        self.payload = payload
        self.mode = mode
        self.status = status
        self.inner = create_app()
        self.requests = 0
        self.on_request: Any = None
        """Called with the ASGI scope before each HTTP request is answered (tests hook in here)."""

    async def __call__(self, scope: MutableMapping[str, Any], receive: Any, send: Any) -> None:
        if scope["type"] != "http":
            await self.inner(scope, receive, send)
            return
        self.requests += 1
        if self.on_request is not None:
            self.on_request(scope)
        if self.mode == "error":
            body = json.dumps(
                {
                    "status": "error",
                    "error": {
                        "code": self.payload,
                        "title": self.payload,
                        "message": self.payload,
                        "log_url": self.payload,
                    },
                }
            ).encode()
            await _answer(send, self.status, body)
            return
        if self.mode == "deep":
            await _answer(send, 200, b'{"status":"success","data":' + b"[" * 100_000 + b"]" * 100_000 + b"}")
            return
        if self.mode in ANSWER_MODES and scope["method"] == "POST":
            await self.inner(scope, receive, _drop)  # the sandbox stores the upload; its answer is replaced
            await _pathological(send, self.mode, self.payload)
            return
        start: dict[str, Any] = {}
        chunks: list[bytes] = []

        async def capture(message: MutableMapping[str, Any]) -> None:
            if message["type"] == "http.response.start":
                start.update(message)
            elif message["type"] == "http.response.body":
                chunks.append(message.get("body", b""))

        await self.inner(scope, receive, capture)
        raw = b"".join(chunks)
        try:
            doc = json.loads(raw)
        except ValueError:
            doc = None
        if isinstance(doc, dict):
            doc = _poison(doc, self.payload)
            if doc.get("status") == "success" and scope["method"] == "POST":
                doc["warnings"] = [{"message": self.payload}, self.payload]
            raw = json.dumps(doc).encode()
        await _answer(send, start.get("status", 200), raw)


ANSWER_MODES = ("huge", "bomb", "endless", "drip", "redirect")
"""Modes that answer an upload pathologically after the sandbox stored it."""

_BOMB: list[bytes] = []


def _bomb() -> bytes:
    """A gzip body of 256 MB of zeros (about 250 kB), made once."""
    if not _BOMB:
        packer = zlib.compressobj(9, zlib.DEFLATED, 31)
        zeros = b"\0" * (1 << 20)
        _BOMB.append(b"".join([*(packer.compress(zeros) for _ in range(256)), packer.flush()]))
    return _BOMB[0]


async def _drop(message: MutableMapping[str, Any]) -> None:
    return None


async def _pathological(send: Any, mode: str, payload: str) -> None:
    headers = [(b"content-type", b"application/json")]
    if mode == "redirect":
        location = f"https://elsewhere.example/steal?k={payload}".encode()
        await send({"type": "http.response.start", "status": 307, "headers": [*headers, (b"location", location)]})
        await send({"type": "http.response.body", "body": b"{}"})
        return
    if mode == "bomb":
        await send({"type": "http.response.start", "status": 200, "headers": [*headers, (b"content-encoding", b"gzip")]})
        await send({"type": "http.response.body", "body": _bomb()})
        return
    await send({"type": "http.response.start", "status": 200, "headers": headers})
    if mode == "huge":
        chunk = b" " * (1 << 20)
        for _ in range(50):
            await send({"type": "http.response.body", "body": chunk, "more_body": True})
        await send({"type": "http.response.body", "body": b"{}"})
        return
    if mode == "endless":
        chunk = b" " * (64 << 10)
        for _ in range(200 * 16):  # 200 MB: for the client, without end
            await send({"type": "http.response.body", "body": chunk, "more_body": True})
        await send({"type": "http.response.body", "body": b"{}"})
        return
    for _ in range(300):  # drip: a minute, a byte at a time
        await send({"type": "http.response.body", "body": b" ", "more_body": True})
        await asyncio.sleep(0.2)
    await send({"type": "http.response.body", "body": b"{}"})


async def _answer(send: Any, status: int, body: bytes) -> None:
    await send(
        {
            "type": "http.response.start",
            "status": status,
            "headers": [(b"content-type", b"application/json"), (b"content-length", str(len(body)).encode())],
        }
    )
    await send({"type": "http.response.body", "body": body})


@contextmanager
def hostile_server(payload: str, *, mode: str = "data", status: int = 400) -> Iterator[tuple[SandboxServer, HostileKombo]]:
    """A loopback HTTP server answering as :class:`HostileKombo` (``server.base_url`` ends in /v1)."""
    server = SandboxServer()
    app = HostileKombo(payload, mode=mode, status=status)
    server.app = app  # type: ignore[assignment]
    with server:
        yield server, app
