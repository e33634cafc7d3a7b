"""What the Exchanges screen writes about each exchange: rows, filter, detail and waterfall.

Pure functions from recorded :class:`~kombo_tui.core.wire.exchanges.Exchange` objects (their real
start times, durations and timings come in as data, so tests can freeze them) to plain cells
and :data:`~kombo_tui.tui.text.Line` pieces. The sentences shared with the CLI's ``-v`` (request
line, status line, wait, waterfall phases) come from :mod:`kombo_tui.core.wire.text`. Nothing
here imports Textual; every string from outside is made inert and bounded.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

from kombo_tui.core.hints import counted
from kombo_tui.core.wire.text import path_of, phases, request_line, status_line, wait_line, wait_status

from .columns import Column
from .text import Line, format_bytes, safe_block, safe_line

if TYPE_CHECKING:
    from kombo_tui.core.wire.exchanges import Body, Exchange, Timings

__all__ = [
    "BODY_LIMIT",
    "COLUMNS",
    "BodyBlock",
    "cells",
    "causes",
    "detail",
    "format_duration",
    "highlighted_header",
    "matches",
    "scope_summary",
    "waterfall",
]

COLUMNS = (
    Column("#", 3),
    Column("Started", 12, drop=2),
    Column("Method", 6),
    Column("Path", 41, 20, crop="middle"),
    Column("Status", 18, 12),
    Column("Time", 8, drop=1),
    Column("Size", 9, drop=3),
)
"""Number, method, path and status always (at 80 columns too); the rest as the width allows."""
PATH_WIDTH = COLUMNS[3][1]
STATUS_WIDTH = COLUMNS[4][1]

BODY_LIMIT = 20_000
"""Most characters of a body shown in the detail view (the log keeps at most 64 KiB)."""
BAR_WIDTH = 40
"""Cells of the waterfall's longest bar."""

_HIGHLIGHTED = ("ratelimit", "x-ratelimit", "retry-after", "concurrency", "x-concurrency")
"""Answer headers a connector engineer looks for first (rate and concurrency budgets)."""


def middle(text: str, width: int) -> str:
    """``text`` cut in the middle to ``width`` (a path's ids and its last segment both stay)."""
    if len(text) <= width:
        return text
    head = (width - 1) // 2
    return text[:head] + "…" + text[len(text) - (width - 1 - head) :]


def format_duration(seconds: float | None) -> str:
    """``85 ms`` below a second, ``1.24 s`` above; ``…`` while unknown."""
    if seconds is None:
        return "…"
    if seconds < 1:
        return f"{seconds * 1000:.0f} ms"
    return f"{seconds:.2f} s"


def causes(exchanges: Iterable[Exchange]) -> dict[int, Exchange]:
    """The exchanges by id, so a wait can name the answer that caused it."""
    return {e.id: e for e in exchanges}


def _status_cell(exchange: Exchange) -> str:
    if exchange.status is not None:
        return safe_line(f"{exchange.status} {exchange.reason}".rstrip(), STATUS_WIDTH)
    if not exchange.complete:
        return "… in flight"
    error = (exchange.error or "no response").removeprefix("no response: ")
    return safe_line(f"— {error}", STATUS_WIDTH)


def cells(exchange: Exchange, by_id: dict[int, Exchange]) -> tuple[str, ...]:
    """One row of the list: number, start, method, path, status, time, size (inert text)."""
    started = exchange.started.astimezone().strftime("%H:%M:%S.%f")[:12]
    if exchange.kind == "wait":
        cause = by_id.get(exchange.follows) if exchange.follows is not None else None
        retried = middle(safe_line(path_of(exchange)), PATH_WIDTH) if exchange.url else "(before a retry)"
        return (
            str(exchange.id),
            started,
            "wait",
            retried,
            wait_status(exchange, cause),
            format_duration(exchange.wait_seconds),
            "",
        )
    size = format_bytes(exchange.size) if exchange.response_body is not None else ""
    return (
        str(exchange.id),
        started,
        safe_line(exchange.method, 10),
        middle(safe_line(path_of(exchange)), PATH_WIDTH),
        _status_cell(exchange),
        format_duration(exchange.duration) if exchange.complete else "…",
        size,
    )


def matches(row: Sequence[str], exchange: Exchange, query: str) -> bool:
    """Whether a row shows what the filter asks for (method, path, status or error; any case)."""
    wanted = query.strip().lower()
    if not wanted:
        return True
    haystack = " ".join((row[2], row[3], row[4], exchange.wait_reason or "")).lower()
    return all(word in haystack for word in wanted.split())


def scope_summary(exchanges: Sequence[Exchange]) -> str:
    """``3 exchanges, 1 retry wait`` (what the Result panel links to)."""
    http = sum(1 for e in exchanges if e.kind == "http")
    waits = len(exchanges) - http
    text = counted(http, "exchange")
    return text + (f", {counted(waits, 'retry wait')}" if waits else "")


def highlighted_header(name: str) -> bool:
    """Rate and concurrency budgets and ``Retry-After``: shown in the accent colour."""
    return name.lower().startswith(_HIGHLIGHTED)


@dataclass(frozen=True)
class BodyBlock:
    """A body to show under its heading: its text (pretty JSON when it is JSON) or why not."""

    text: str | None
    """Inert, bounded text (None when the body was not kept)."""
    json: bool
    """True when ``text`` is JSON (the screen highlights it)."""
    note: str | None
    """What was elided or not kept."""


def body_block(body: Body) -> BodyBlock:
    """A recorded body for the detail view: pretty JSON (base64 already elided by the core)."""
    pretty = body.pretty()
    text = safe_block(pretty, BODY_LIMIT) if pretty is not None else None
    is_json = False
    if body.text is not None:
        try:
            json.loads(body.text)
            is_json = True
        except ValueError:
            pass
    # An elided body says so in its own text (the ``data`` field): the note would repeat it.
    note = safe_line(body.note) if body.note and not (body.elided and text is not None) else None
    if pretty is not None and len(pretty) > BODY_LIMIT:
        more = f"shown: the first {BODY_LIMIT:,} of {len(pretty):,} characters"
        note = f"{note} · {more}" if note else more
    return BodyBlock(text, is_json, note)


def _headers(pairs: Sequence[tuple[str, str]]) -> list[Line]:
    lines: list[Line] = []
    for name, value in pairs:
        style = "b $accent" if highlighted_header(name) else "b"
        lines.append(((safe_line(name, 80), style), (": ", "dim"), (safe_line(value, 2000), "")))
    return lines or [(("(none)", "dim"),)]


DetailPart = Line | BodyBlock
"""A line of the detail view, or a body block (the screen highlights JSON in it)."""


def detail(exchange: Exchange, by_id: dict[int, Exchange]) -> list[DetailPart]:
    """The detail view of one exchange, top to bottom, as a network tab shows it."""
    parts: list[DetailPart] = []
    if exchange.kind == "wait":
        cause = by_id.get(exchange.follows) if exchange.follows is not None else None
        parts.append(((wait_line(exchange), "b $warning"),))
        if cause is not None:
            parts.append((("caused by #", "dim"), (str(cause.id), ""), (" · ", "dim"), (status_line(cause), "")))
        return parts
    parts.append(((request_line(exchange), "b"),))
    if exchange.server_address:
        parts.append((("server ", "dim"), (safe_line(exchange.server_address), "")))
    parts.append(())
    parts.append((("Request headers", "b $text-primary"),))
    parts.extend(_headers(exchange.request_headers))
    if exchange.request_body is not None:
        parts.append(())
        parts.append((("Request body", "b $text-primary"), (f"  {_size(exchange.request_body)}", "dim")))
        parts.append(body_block(exchange.request_body))
    parts.append(())
    answered = exchange.status is not None
    style = "b $error" if not answered or (exchange.status or 0) >= 400 else "b $success"
    parts.append(((status_line(exchange), style),))
    if exchange.body_sent is False and not answered:
        parts.append((("the request body did not go out in full", "$warning"),))
    parts.append((("Response headers", "b $text-primary"),))
    parts.extend(_headers(exchange.response_headers))
    if exchange.response_body is not None:
        parts.append(())
        parts.append((("Response body", "b $text-primary"), (f"  {_size(exchange.response_body)}", "dim")))
        parts.append(body_block(exchange.response_body))
    parts.append(())
    parts.append((("Timings", "b $text-primary"), (f"  total {format_duration(exchange.duration)}", "dim")))
    parts.extend(waterfall(exchange.timings))
    return parts


def _size(body: Body) -> str:
    kind = safe_line(body.mime, 60) or "no content type"
    size = f"{body.size:,} bytes" if body.size >= 0 else "size unknown"
    return f"{size} · {kind}"


def waterfall(timings: Timings, width: int = BAR_WIDTH) -> list[Line]:
    """The phases as bars on one time axis, scaled to their sum (a text network-tab waterfall)."""
    bars = phases(timings)
    total = sum(p.length for p in bars)
    if not bars:
        return [(("no timings recorded", "dim"),)]
    lines: list[Line] = []
    for phase in bars:
        start = round(phase.start / total * width) if total else 0
        length = max(1, round(phase.length / total * width)) if total else 1
        start = min(start, width - 1)
        length = min(length, width - start)
        bar = " " * start + "█" * length + " " * (width - start - length)
        colour = {"wait": "$accent", "receive": "$success", "send": "$warning"}.get(phase.name, "$primary")
        lines.append(((f"{phase.name:<8}", "dim"), ("▕", "dim"), (bar, colour), ("▏", "dim"), (f" {phase.length:9.1f} ms", "")))
    if not timings.traced:
        lines.append((("in-process or untraced transport: the time before the answer counts as wait", "dim"),))
    return lines
