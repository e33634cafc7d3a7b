"""Text from outside made inert: what a terminal line may show of a server's or a file's string.

Everything that comes from outside — Kombo's answers, candidate data, file names, plans — can
hold escape sequences (a clipboard write, a screen clear, a hyperlink), carriage returns that
overwrite a line, bidi overrides that reorder it, or bytes that were not UTF-8 (kept by Python
as lone surrogates). Every front door shows such strings through these two functions, so the
terminal sees only printable characters and the user sees what is really there.

``--json`` output keeps exact values: JSON escapes control characters itself.
"""

from __future__ import annotations

__all__ = ["clip", "inert", "one_line"]

_BIDI = frozenset(range(0x202A, 0x202F)) | frozenset(range(0x2066, 0x206A)) | {0x200E, 0x200F, 0x061C}
_NAMED = {"\n": "\\n", "\t": "\\t", "\r": "\\r"}


def _escape(ch: str, keep: str) -> str:
    if ch in keep:
        return ch
    code = ord(ch)
    if ch in _NAMED:
        return _NAMED[ch]
    if 0xDC80 <= code <= 0xDCFF:  # a byte that was not UTF-8 (surrogateescape)
        return f"\\x{code - 0xDC00:02x}"
    if code < 0x20 or 0x7F <= code < 0xA0:  # C0, DEL and C1 controls
        return f"\\x{code:02x}"
    if 0xD800 <= code <= 0xDFFF or code in _BIDI or code in (0x2028, 0x2029, 0xFEFF):
        return f"\\u{code:04x}"
    return ch


def _visible(text: str, keep: str) -> str:
    if text.isascii() and text.isprintable():
        return text
    return "".join(_escape(ch, keep) for ch in text)


def one_line(text: str) -> str:
    """``text`` for one terminal line: every control, bidi or non-UTF-8 character as an escape.

    >>> one_line("cv\\x1b[2J.pdf")
    'cv\\\\x1b[2J.pdf'
    """
    return _visible(text, "")


def inert(text: str) -> str:
    """``text`` for a block of lines: newlines and tabs kept, every other control made visible.

    >>> inert("line one\\nline two\\x1b]52;c;ZXZpbA==\\x07")
    'line one\\nline two\\\\x1b]52;c;ZXZpbA==\\\\x07'
    """
    return _visible(text, "\n\t")


def clip(text: str, limit: int) -> str:
    """``text`` cut to at most ``limit`` characters, with ``…`` where it was cut."""
    if limit < 1:
        return ""
    return text if len(text) <= limit else text[: limit - 1] + "…"
