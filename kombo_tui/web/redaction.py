"""Keeps secrets out of what the browser-mode server prints and logs.

textual-serve's own logging shows tracebacks *with their local variables*, and when an app
process failed to start those included the child's environment, API key and all. The server
therefore logs through one plain handler of its own: no rich tracebacks, no locals, every
line passed through a :class:`Redactor` that blanks the token, the API key and any
``Bearer …`` credential. The same redactor wraps ``sys.stdout`` and ``sys.stderr`` while the
server runs, because textual-serve copies each app process's stderr (where a crashing app
prints its own traceback) to ``sys.stdout``.
"""

from __future__ import annotations

import io
import logging
import re
import sys
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from typing import IO

__all__ = ["REDACTED", "RedactingFormatter", "RedactingStream", "Redactor", "secrets_kept_out"]

REDACTED = "[redacted]"

_BEARER = re.compile(r"(?i)(bearer\s+)[^\s'\",}]+")
_SHORTEST_SECRET = 6  # shorter strings would blank ordinary words


class Redactor:
    """Replaces known secrets and bearer credentials in text with ``[redacted]``."""

    def __init__(self, secrets: Iterable[str | None]) -> None:
        """Args:
        secrets: The values to blank; empty, None and very short values are ignored.
        """
        kept = {s for s in secrets if s and len(s) >= _SHORTEST_SECRET}
        self._secrets = sorted(kept, key=len, reverse=True)

    def __call__(self, text: str) -> str:
        """The text with every secret replaced."""
        for secret in self._secrets:
            if secret in text:
                text = text.replace(secret, REDACTED)
        return _BEARER.sub(rf"\g<1>{REDACTED}", text)


class RedactingFormatter(logging.Formatter):
    """A plain formatter (tracebacks without locals) whose every line is redacted."""

    def __init__(self, redactor: Redactor, fmt: str | None = None) -> None:
        super().__init__(fmt)
        self._redact = redactor

    def format(self, record: logging.LogRecord) -> str:
        return self._redact(super().format(record))


class RedactingStream(io.TextIOBase):
    """A text stream that redacts what is written, then passes it on."""

    def __init__(self, inner: IO[str], redactor: Redactor) -> None:
        super().__init__()
        self._inner = inner
        self._redact = redactor

    def write(self, text: str) -> int:
        self._inner.write(self._redact(text))
        return len(text)

    def flush(self) -> None:
        self._inner.flush()

    def isatty(self) -> bool:
        return self._inner.isatty()

    def writable(self) -> bool:
        return True

    @property
    def encoding(self) -> str:  # type: ignore[override]
        return getattr(self._inner, "encoding", None) or "utf-8"


@contextmanager
def secrets_kept_out(redactor: Redactor, err: IO[str]) -> Iterator[None]:
    """While inside: log to ``err`` through a redacting plain handler; redact stdout and stderr.

    Args:
        redactor: What to blank.
        err: Where log lines go (the server's stderr).
    """
    handler = logging.StreamHandler(err)
    handler.setFormatter(RedactingFormatter(redactor, "kombo-tui serve: %(levelname)s: %(message)s"))
    root = logging.getLogger()
    ours = logging.getLogger("kombo_tui.web")
    saved_level = ours.level
    root.addHandler(handler)
    ours.setLevel(logging.INFO)
    saved_streams = sys.stdout, sys.stderr
    sys.stdout = RedactingStream(sys.stdout, redactor)
    sys.stderr = RedactingStream(sys.stderr, redactor)
    try:
        yield
    finally:
        sys.stdout, sys.stderr = saved_streams
        root.removeHandler(handler)
        ours.setLevel(saved_level)
