"""``-v/--verbose`` and ``--har``: what went over the wire, for an engineer debugging a connector.

``-v`` prints each HTTP exchange to stderr as it completes, the way HTTPie's ``--verbose``
does: the request line and headers, then the status line and the answer's headers, and the
timings; ``-vv`` adds the bodies (an upload's base64 data elided to its size and sha256).
Each retry wait shows as a line of its own. The key is always ``Bearer ••••``, and every
string from outside (headers, bodies, errors) is printed inert (:mod:`kombo_tui.core.text`).

``--har FILE`` writes the exchanges as HAR 1.2 (:mod:`kombo_tui.core.wire.har`) when the command
ends, whatever its outcome: private (0600), atomically, replacing a symlink at FILE rather
than writing through it. ``--har-full`` keeps the upload's data in it.

A command adopts all of this with :func:`kombo_tui.cli.parser.add_debug_args` on its parser
and :class:`WireDebug` around its client::

    debug = WireDebug.from_args(args, out)
    debug.check()                          # a bad --har path is bad input, before any send
    with debug:
        client = target.client(exchanges=debug.log)
        ...
"""

from __future__ import annotations

import argparse
from collections.abc import Callable, Iterable
from pathlib import Path
from types import TracebackType
from typing import TYPE_CHECKING, TextIO

from ..core.errors import FileChangedError, InputError
from ..core.text import inert, one_line
from ..core.wire.exchanges import Body, Exchange, ExchangeLog
from ..core.wire.text import request_line, status_line, wait_line
from .diagnostics import Output

if TYPE_CHECKING:
    from ..core.payload import PreparedUpload

__all__ = ["CLI_LOG_LIMITS", "WireDebug", "format_exchange", "format_request"]

CLI_LOG_LIMITS = {"max_entries": 20_000, "max_bytes": 64 * 1024 * 1024, "body_limit": 1024 * 1024}
"""A command's log keeps every exchange of a large batch (each is small: bodies are elided)."""


def _header_lines(pairs: list[tuple[str, str]]) -> list[str]:
    return [f"{one_line(name)}: {one_line(value)}" for name, value in pairs]


def _body_lines(body: Body | None) -> list[str]:
    if body is None:
        return []
    lines: list[str] = []
    text = body.pretty()
    if text is not None:
        lines.append(inert(text))
    if body.note and not (body.elided and text is not None):  # an elided body says so in its text
        lines.append(f"[{one_line(body.note)}]")
    return ["", *lines] if lines else []


def _timing_line(exchange: Exchange) -> str:
    t = exchange.timings
    parts = [
        f"{name} {value:.1f} ms"
        for name, value in (
            ("connect", t.connect),
            ("tls", t.ssl),
            ("send", t.send),
            ("wait", t.wait),
            ("receive", t.receive),
        )
        if value is not None
    ]
    total = f"{exchange.duration:.3f} s" if exchange.duration is not None else "?"
    return f"[{total}" + (": " + ", ".join(parts) if parts else "") + "]"


def format_request(exchange: Exchange, level: int) -> list[str]:
    """The request half of an exchange: its line and headers; with ``level`` 2 its body."""
    lines = [request_line(exchange)]
    lines += _header_lines(exchange.request_headers)
    if level >= 2:
        lines += _body_lines(exchange.request_body)
    return lines


def format_exchange(exchange: Exchange, level: int) -> str:
    """One exchange as HTTPie's ``--verbose`` shows it (``level`` 1: headers, 2: bodies too).

    A retry wait is one line; an exchange without an answer ends with what went wrong.
    """
    if exchange.kind == "wait":
        return f"… {wait_line(exchange)}\n"
    lines = format_request(exchange, level)
    lines.append("")
    lines.append(status_line(exchange))
    if exchange.status is None:
        if exchange.response_headers:  # the answer broke off after its headers
            lines += _header_lines(exchange.response_headers)
    else:
        lines += _header_lines(exchange.response_headers)
        if level >= 2:
            lines += _body_lines(exchange.response_body)
    lines.append(_timing_line(exchange))
    return "\n".join(lines) + "\n\n"


def preview_exchange(upload: PreparedUpload, base_url: str) -> Exchange:
    """The request ``preview`` would send, as an unanswered exchange (for ``preview -v``)."""
    import json
    from datetime import datetime, timezone

    from ..core.wire.export import request_line as upload_request_line

    request = upload_request_line(upload, base_url)
    note = None
    if upload.file is not None and upload.fingerprint is not None:
        note = "data elided: " + upload.elided_data().strip("<>")
    return Exchange(
        id=0,
        kind="http",
        started=datetime.now(timezone.utc),
        method=request["method"],
        url=request["url"],
        request_headers=[
            (name, "Bearer ••••" if name == "Authorization" else value) for name, value in request["headers"].items()
        ],
        request_body=Body(
            size=upload.content_length,
            mime="application/json",
            text=json.dumps(upload.preview(), ensure_ascii=False),
            note=note,
            elided=note is not None,
        ),
    )


class WireDebug:
    """A command's exchange log, its ``-v`` printer and its ``--har`` file.

    The log always exists (a send keeps its exchanges in the history); printing and the
    HAR happen only when asked.
    """

    def __init__(self, *, verbosity: int = 0, har: Path | None = None, har_full: bool = False, err: TextIO) -> None:
        self.verbosity = verbosity
        self.har = har
        self.har_full = har_full
        self.err = err
        self.log = ExchangeLog(**CLI_LOG_LIMITS)
        self._unsubscribe: Callable[[], None] | None = None

    @classmethod
    def from_args(cls, args: argparse.Namespace, out: Output) -> WireDebug:
        """From the flags :func:`~kombo_tui.cli.parser.add_debug_args` added."""
        return cls(
            verbosity=int(getattr(args, "verbose", 0) or 0),
            har=getattr(args, "har", None),
            har_full=bool(getattr(args, "har_full", False)),
            err=out.err,
        )

    def check(self, inputs: Iterable[tuple[Path, str]] = ()) -> None:
        """Refuse an unusable ``--har`` before anything is sent.

        Args:
            inputs: The command's own input files, with what each is: never overwritten.

        Raises:
            InputError: ``--har-full`` without ``--har``, a link, device or folder, a missing
                folder, or one of ``inputs``.
        """
        if self.har_full and self.har is None:
            raise InputError.single("har-full", "--har-full needs --har FILE")
        if self.har is None:
            return
        from ..core.wire.export import check_output

        check_output(self.har, field="har", protect=inputs)

    def show(self, exchange: Exchange) -> None:
        """Print one exchange (the log's listener; runs on the event loop)."""
        self.err.write(format_exchange(exchange, self.verbosity))
        self.err.flush()

    def __enter__(self) -> WireDebug:
        if self.verbosity > 0:
            self._unsubscribe = self.log.subscribe(self.show)
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        if self._unsubscribe is not None:
            self._unsubscribe()
            self._unsubscribe = None
        self.write_har()

    def write_har(self) -> bool:
        """Write ``--har`` (if asked); a failure is told on stderr. True when a file was written."""
        if self.har is None:
            return False
        from ..core.wire.har import write_har

        found = [e for e in self.log.entries() if e.complete]
        if not found:
            self.err.write(f"kombo-tui: no exchange to write to {one_line(str(self.har))}: nothing was sent\n")
            return False
        try:
            write_har(found, self.har, full=self.har_full)
        except (OSError, FileChangedError) as exc:
            reason = exc.strerror if isinstance(exc, OSError) and exc.strerror else str(exc)
            self.err.write(f"kombo-tui: could not write {one_line(str(self.har))}: {one_line(reason)}\n")
            return False
        if self.log.evicted:
            self.err.write(f"warning: the HAR lacks the {self.log.evicted:,} oldest exchanges (over the log's bounds)\n")
        return True
