"""Reading JSON the user hands us (remote fields, manifests, plans) within size and depth limits.

``json.loads`` recurses once per nesting level: a few thousand ``[`` end in ``RecursionError``
(or, deep enough, in a crash of the interpreter), and a huge document is parsed whole before
anyone can say no. :func:`load_json` measures both first, in one linear scan without recursion,
and refuses with an :class:`~kombo_tui.core.errors.InputError` naming the field — before
anything is sent.
"""

from __future__ import annotations

import json
import re
from typing import Any

from .errors import InputError

__all__ = ["MAX_JSON_BYTES", "MAX_JSON_DEPTH", "json_depth", "load_json"]

MAX_JSON_BYTES = 1024 * 1024
"""The largest JSON document accepted by default (1 MiB): remote fields are a few hundred bytes."""
MAX_JSON_DEPTH = 32
"""The deepest nesting accepted by default; Kombo's remote fields nest three levels."""

# A JSON string (with its escapes) or one bracket: strings are skipped whole, so a "[" inside
# a string does not count.
_TOKENS = re.compile(r'"(?:[^"\\]|\\.)*"?|[\[\]{}]')


def json_depth(text: str) -> int:
    """The deepest nesting of ``[``/``{`` in ``text`` (0 for a scalar), without parsing it."""
    depth = deepest = 0
    for match in _TOKENS.finditer(text):
        token = match.group()
        if token in "[{":
            depth += 1
            deepest = max(deepest, depth)
        elif token in "]}":
            depth -= 1
    return deepest


def load_json(
    text: str | bytes,
    *,
    field: str,
    max_bytes: int = MAX_JSON_BYTES,
    max_depth: int = MAX_JSON_DEPTH,
) -> Any:
    """Parse ``text`` as JSON once it is known to be small and shallow enough.

    Args:
        text: The document.
        field: What it is, for the message (``remote_fields``, ``manifest``).
        max_bytes: Refuse a longer document.
        max_depth: Refuse deeper nesting.

    Raises:
        InputError: too large, too deep, or not JSON — naming ``field``.
    """
    size = len(text) if isinstance(text, bytes) else len(text.encode("utf-8", "surrogatepass"))
    if size > max_bytes:
        raise InputError.single(field, f"is {size:,} bytes of JSON; the limit is {max_bytes:,}")
    if isinstance(text, bytes):
        try:
            text = text.decode("utf-8")
        except UnicodeDecodeError as exc:
            raise InputError.single(field, f"is not UTF-8 text ({exc.reason} at byte {exc.start})") from None
    depth = json_depth(text)
    if depth > max_depth:
        raise InputError.single(field, f"nests {depth} levels deep; the limit is {max_depth}")
    try:
        return json.loads(text)
    except json.JSONDecodeError as exc:
        raise InputError.single(field, f"is not valid JSON ({exc.msg}, line {exc.lineno} column {exc.colno})") from None
    except RecursionError:  # pragma: no cover - the depth check comes first
        raise InputError.single(field, "nests too deep") from None
