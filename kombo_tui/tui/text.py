"""Plain text for terminal lines: sizes, times and names made safe to print.

Pure functions with no Textual import, shared by the widgets, the screens and the presenters
(:mod:`kombo_tui.tui.present`), so that every one of them writes a size, a time or a file name
the same way.
"""

from __future__ import annotations

from datetime import datetime

__all__ = ["format_bytes", "local_time", "printable"]


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


_BIDI = set(range(0x202A, 0x202F)) | set(range(0x2066, 0x206A))


def printable(text: str) -> str:
    """Text safe to put on a terminal line: control and bidi characters shown as escapes.

    File names may hold newlines, escape sequences or bytes that are not UTF-8 (Python keeps
    those as lone surrogates): each becomes a visible ``\\n`` / ``\\x1b`` / ``\\xff``, so the
    screen shows what is really there and nothing can move the cursor or break a frame.
    """
    if text.isprintable() and text.isascii():
        return text
    out = []
    for ch in text:
        code = ord(ch)
        if 0xDC80 <= code <= 0xDCFF:  # a byte that was not UTF-8 (surrogateescape)
            out.append(f"\\x{code - 0xDC00:02x}")
        elif ch == "\n":
            out.append("\\n")
        elif ch == "\t":
            out.append("\\t")
        elif ch == "\r":
            out.append("\\r")
        elif code < 32 or 0x7F <= code < 0xA0:
            out.append(f"\\x{code:02x}")
        elif 0xD800 <= code <= 0xDFFF or code in _BIDI:
            out.append(f"\\u{code:04x}")
        else:
            out.append(ch)
    return "".join(out)
