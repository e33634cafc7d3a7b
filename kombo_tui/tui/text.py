"""Plain text for terminal lines: sizes, times, and outside strings made safe to show.

Pure functions with no Textual import, shared by the widgets, the screens and the presenters
(:mod:`kombo_tui.tui.present`), so that every one of them writes a size, a time or a file name
the same way. Every string from outside (the server, candidate data, file names, the audit
log, warnings) reaches the screen through :func:`safe_line` or :func:`safe_block` and, when styled, as
:data:`Line` pieces — never as markup.
"""

from __future__ import annotations

from datetime import datetime

from kombo_tui.core.text import clip, inert, one_line

__all__ = ["BLOCK_LIMIT", "LINE_LIMIT", "Line", "Piece", "format_bytes", "local_time", "plain", "safe_block", "safe_line"]


def format_bytes(size: int) -> str:
    """``1.2 MB`` style (powers of 1024, as ATS limits are usually written)."""
    value = float(size)
    for unit in ("bytes", "KB", "MB", "GB"):
        if value < 1024 or unit == "GB":
            if unit == "bytes":
                return f"{int(value):,} bytes"
            return f"{value:.1f} {unit}".replace(".0 ", " ")
        value /= 1024
    return f"{size:,} bytes"  # pragma: no cover


def local_time(at: str) -> str:
    """``2024-05-01 12:30`` in the local time zone (the audit log stores UTC ISO 8601)."""
    try:
        return datetime.fromisoformat(at).astimezone().strftime("%Y-%m-%d %H:%M")
    except ValueError:
        return at[:16]


LINE_LIMIT = 400
"""Most characters of one outside string shown on a line (a 100 kB name must not fill the screen)."""
BLOCK_LIMIT = 4000
"""Most characters of one outside message shown as a block of lines."""


def safe_line(text: object, limit: int = LINE_LIMIT) -> str:
    """An outside string for one terminal line: every control character visible, cut at ``limit``.

    File names may hold newlines, escape sequences or bytes that are not UTF-8 (Python keeps
    those as lone surrogates), and a server's strings anything at all: each becomes a visible
    ``\\n`` / ``\\x1b`` / ``\\xff`` (:func:`kombo_tui.core.text.one_line`), so the screen shows
    what is really there and nothing can move the cursor, write the clipboard or break a frame.
    """
    return clip(one_line(str(text)), limit)


def safe_block(text: object, limit: int = BLOCK_LIMIT) -> str:
    """An outside message for a block of lines: newlines and tabs kept, other controls visible."""
    return clip(inert(str(text)), limit)


Piece = tuple[str, str]
"""A run of text and the Textual style it is shown in (``""`` for none). Never read as markup."""
Line = tuple[Piece, ...]
"""One line of styled text, as the presenters build it without importing Textual.

The widgets turn lines into Textual ``Content`` (:func:`kombo_tui.tui.widgets.common.content`):
text from outside is placed as text, so no ``[`` in a candidate's name, a file name or a
server's message can style the screen or bind a click to an action.
"""


def plain(*lines: Line) -> str:
    """The text of styled lines without their styles, one per line (what a reader sees)."""
    return "\n".join("".join(text for text, _ in line) for line in lines)
