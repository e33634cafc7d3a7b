"""The script contract of the headless commands: exit codes, and what goes to stdout or stderr.

stdout carries data (with ``--json`` exactly one JSON document and nothing else), stderr
carries diagnostics (errors, warnings, progress), and the process ends with an
:class:`ExitCode`. Every command reports through :class:`Output`, so the contract lives here.

:class:`Output` is also where untrusted text is made safe for a terminal: every human line
goes through :func:`~kombo_tui.core.text.inert` (control characters shown escaped, newlines
and tabs kept), while :meth:`Output.document` writes exact values (JSON escapes them). Fields
known to come from outside (a server's message, a file name) are passed through
:func:`~kombo_tui.core.text.one_line` where the line is built, so they cannot fake a line.
"""

from __future__ import annotations

import json
import re
from collections.abc import Sequence
from dataclasses import dataclass
from enum import IntEnum
from typing import Any, TextIO

from ..core.errors import ApiError, KomboError, Problem, TransportError
from ..core.net import safe_link
from ..core.text import inert, one_line

__all__ = ["ExitCode", "Output", "bad_input", "describe_error", "link_line"]


class ExitCode(IntEnum):
    """Exit codes of the headless commands (scripts rely on them)."""

    OK = 0
    """Sent (warnings go to stderr and into --json output)."""
    BAD_INPUT = 2
    """Bad input: nothing was sent."""
    API_ERROR = 3
    """Kombo answered with an error."""
    TRANSPORT = 4
    """Network failure; stderr says whether the body may have been received."""
    INTERRUPTED = 130


# Outside JSON strings a document is ASCII, so escaping these anywhere keeps it valid.
_JSON_UNSAFE = re.compile("[\x7f-\x9f\u061c\u200e\u200f\u202a-\u202e\u2028\u2029\u2066-\u2069\ufeff\ud800-\udfff]")


@dataclass
class Output:
    """stdout for data, stderr for diagnostics; --json keeps stdout to one document.

    Every human line is made inert before it reaches the terminal; the JSON document is exact.
    """

    json_mode: bool
    out: TextIO
    err: TextIO

    def info(self, text: str) -> None:
        """A line of data for people: stdout, or stderr when stdout is the JSON document."""
        print(inert(text), file=self.err if self.json_mode else self.out)

    def line(self, text: str) -> None:
        """A line of data on stdout (never in --json mode: stdout is the document then)."""
        self.out.write(inert(text) + "\n")

    def note(self, text: str) -> None:
        """A diagnostic line (stderr)."""
        print(inert(text), file=self.err)

    def warn(self, text: str) -> None:
        """A warning (stderr), prefixed ``warning:``."""
        print(f"warning: {inert(text)}", file=self.err)

    def document(self, doc: dict[str, Any]) -> None:
        """The one JSON document of a --json run (stdout).

        Values stay exact; characters JSON would let through raw but a terminal obeys (DEL,
        C1 controls, bidi overrides, line separators, lone surrogates) are written as
        ``\\uXXXX`` escapes, which any JSON reader turns back into the same value.
        """
        text = json.dumps(doc, indent=2, ensure_ascii=False)
        self.out.write(_JSON_UNSAFE.sub(lambda m: f"\\u{ord(m.group()):04x}", text))
        self.out.write("\n")


CLI_FIELDS = {
    "integration": "--integration or KOMBO_INTEGRATION_ID",
    "application": "--application",
    "name": "--name",
}
"""Where the command line takes each field (said beside a field left empty)."""


def bad_input(out: Output, problems: Sequence[Problem], **extra: Any) -> ExitCode:
    """Report input problems (one line each on stderr, and the JSON document); exit code 2."""
    problems = [p.worded(CLI_FIELDS) for p in problems]
    for problem in problems:
        out.note(f"kombo-tui: error: {problem}")
    if out.json_mode:
        out.document(
            {
                "ok": False,
                "status": "bad_input",
                "error": {"kind": "InputError", "problems": [{"field": p.field, "message": p.message} for p in problems]},
                **extra,
            }
        )
    return ExitCode.BAD_INPUT


def describe_error(out: Output, error: KomboError) -> None:
    """Tell on stderr what went wrong: Kombo's code and log, or what the network did, and a hint."""
    from ..core.hints import hint_for

    if isinstance(error, ApiError):
        label = one_line(error.label)
        out.note(f"kombo-tui: Kombo answered {label}" + (f" (HTTP {error.status})" if error.code else ""))
        if error.title:
            out.note(f"  {one_line(error.title)}")
        if error.message:
            out.note(f"  {one_line(error.message)}")
        if error.log_url:
            out.note(f"  {link_line(error.log_url)}")
    elif isinstance(error, TransportError):
        out.note(f"kombo-tui: {error}")
        out.note(
            "  the body may have been received: the outcome is unknown"
            if error.sent
            else "  nothing was received by the server"
        )
    else:
        out.note(f"kombo-tui: {error}")
    hint = hint_for(error)
    if hint:
        out.note(f"  hint: {hint}")


def link_line(log_url: str) -> str:
    """``log: <url>`` for an https link; anything else marked as such and shown as inert text."""
    if safe_link(log_url) is not None:
        return f"log: {log_url}"
    return f"log (not an https link, not opened): {one_line(log_url)}"
