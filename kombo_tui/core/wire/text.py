"""How one recorded exchange is written as text: the one home of its lines and of its waterfall.

The CLI's ``-v`` (:mod:`kombo_tui.cli.debugging`) and the app's Exchanges screen show the same
facts about an :class:`~kombo_tui.core.wire.exchanges.Exchange` — its request line, its status line,
what a retry wait was for, where its time went — and write them with these functions, so the
two front doors cannot drift apart. Every string from outside goes through
:func:`~kombo_tui.core.text.one_line`: the result is safe for one terminal line.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from ..text import one_line

if TYPE_CHECKING:
    from .exchanges import Exchange, Timings

__all__ = ["Phase", "path_of", "phases", "request_line", "status_line", "wait_line", "wait_status"]


def path_of(exchange: Exchange) -> str:
    """The URL's path and query, or the URL itself when it does not parse (a HAR from elsewhere)."""
    try:
        return exchange.path
    except Exception:  # noqa: BLE001 - httpx.InvalidURL and friends: show what is there
        return exchange.url


def request_line(exchange: Exchange) -> str:
    """``POST /ats/applications/…/attachments HTTP/1.1``."""
    version = exchange.http_version or "HTTP/1.1"
    return f"{one_line(exchange.method)} {one_line(path_of(exchange))} {version}"


def status_line(exchange: Exchange) -> str:
    """``HTTP/1.1 201 Created``, or ``(no response) <what went wrong>`` when no answer came."""
    if exchange.status is None:
        return f"(no response) {one_line(exchange.error or 'no answer')}"
    return f"{exchange.http_version or 'HTTP/1.1'} {exchange.status} {one_line(exchange.reason)}".rstrip()


def wait_line(exchange: Exchange) -> str:
    """A retry wait in one sentence: how long, before retrying what, and why."""
    seconds = exchange.wait_seconds or 0.0
    attempt = f" (attempt {exchange.attempt} failed)" if exchange.attempt else ""
    reason = one_line(exchange.wait_reason or "")
    return f"waiting {seconds:.1f} s before retrying {one_line(exchange.method)} {one_line(path_of(exchange))}{attempt}: {reason}"


def wait_status(wait: Exchange, caused_by: Exchange | None) -> str:
    """What a list row says of a wait: ``wait 1.2 s (429)`` (the status of the answer that caused it)."""
    seconds = wait.wait_seconds or 0.0
    if caused_by is None:
        cause = ""
    elif caused_by.status is not None:
        cause = f" ({caused_by.status})"
    else:
        cause = " (no response)"
    return f"wait {seconds:.1f} s{cause}"


@dataclass(frozen=True)
class Phase:
    """One bar of an exchange's waterfall, in milliseconds from the start of the exchange."""

    name: str
    start: float
    length: float


_PHASES = (("blocked", "blocked"), ("dns", "dns"), ("connect", "connect"), ("ssl", "tls"), ("send", "send"), ("wait", "wait"), ("receive", "receive"))


def phases(timings: Timings) -> list[Phase]:
    """The known phases one after the other, as a network tab's waterfall draws them.

    ``connect`` is shown without its TLS part (HAR counts TLS inside connect), so the bars do
    not overlap and add up to the exchange's time; unknown phases are left out.
    """
    out: list[Phase] = []
    at = 0.0
    for field_name, label in _PHASES:
        value = getattr(timings, field_name)
        if value is None:
            continue
        if field_name == "connect" and timings.ssl is not None:
            value = max(0.0, value - timings.ssl)
        out.append(Phase(label, at, value))
        at += value
    return out
