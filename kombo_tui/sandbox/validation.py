"""Request validation, written independently of the client's models.

The sandbox is a second opinion on what our client sends, so it re-implements the spec's
rules here instead of reusing :mod:`kombo_tui.core.models`: every problem is reported with
the field it concerns (``attachment.content_type``, ``page_size``, ...).

Strictness choices where the spec is open (documented so nobody is surprised):

- unknown keys at the top level of the body and inside ``attachment`` are rejected (a typo
  such as ``"atachment"`` or ``"content-type"`` would otherwise silently lose data);
- unknown remote-field *families* (``remote_fields.bamboohr``) are accepted and ignored, but
  unknown keys inside the known families (oracle, greenhouse, workable) are rejected;
- ``null`` is only accepted where the spec says nullable (``On-Behalf-Of``);
- ``data`` must be strict base64 (standard alphabet, padded, no whitespace).
"""

from __future__ import annotations

import binascii
import hashlib
import json
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlsplit

from kombo_tui.core.files.mime import CONTENT_TYPE_RE
from kombo_tui.core.models import AttachmentType, OracleCategory

__all__ = [
    "CONTENT_TYPE_PATTERN",
    "CONTROL_CHARACTERS",
    "DATE_TIME_PATTERN",
    "EMAIL_PATTERN",
    "Base64Stats",
    "InputProblem",
    "InputProblems",
    "Query",
    "UploadRequest",
    "base64_stats",
    "decode_body",
    "parse_upload_body",
]

CONTENT_TYPE_PATTERN = CONTENT_TYPE_RE
"""``attachment.content_type`` per the spec: core's :data:`~kombo_tui.core.files.mime.CONTENT_TYPE_RE`
(``\\w`` as in JavaScript: ASCII only). A pattern is a fact, not a rule of the client, so the
second opinion shares it."""

CONTROL_CHARACTERS = re.compile("[\x00-\x1f\x7f-\x9f]")
"""C0 controls, DEL and C1 controls: never part of an ID or a path segment."""

EMAIL_PATTERN = re.compile(
    r"(?=[^@]{1,64}@)[A-Za-z0-9!#$%&'*+/=?^_`{|}~-]+(?:\.[A-Za-z0-9!#$%&'*+/=?^_`{|}~-]+)*"
    r"@[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?(?:\.[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?)*"
)
"""The candidates ``email`` filter (``format: email``): a dot-atom local part of at most 64
characters, ``@``, and a host name (labels of letters, digits and inner hyphens). ASCII only; no
quoted local parts, comments or address literals. Use with ``fullmatch``."""

DATE_TIME_PATTERN = re.compile(r"^\d{4}-\d{2}-\d{2}(T\d{2}:\d{2}:\d{2}(\.\d+)?)?Z?$")
"""The spec's pattern for ``updated_after`` / ``remote_created_after``."""

_TYPES = tuple(t.value for t in AttachmentType)
_ORACLE_CATEGORIES = tuple(c.value for c in OracleCategory)
_TOP_LEVEL_KEYS = ("attachment", "remote_fields")
_ATTACHMENT_KEYS = ("name", "type", "content_type", "data", "data_url")
_GREENHOUSE_HEADER = "On-Behalf-Of"


@dataclass(frozen=True)
class InputProblem:
    """One invalid field.

    Deliberately independent of :class:`kombo_tui.core.errors.Problem`: the sandbox is a
    second opinion on the client, so it shares none of the client's validation code.
    """

    field: str
    message: str

    def __str__(self) -> str:
        return f"{self.field}: {self.message}"


class InputProblems(Exception):
    """The request is invalid (``PLATFORM.INPUT_INVALID``); one entry per field."""

    def __init__(self, problems: list[InputProblem]) -> None:
        self.problems = problems
        super().__init__("; ".join(str(p) for p in problems))

    @classmethod
    def one(cls, field_name: str, message: str) -> InputProblems:
        return cls([InputProblem(field_name, message)])


_MISSING: Any = object()


@dataclass(frozen=True)
class UploadRequest:
    """A valid upload body, taken apart."""

    name: str
    type: str
    content_type: str | None
    data: str | None
    data_url: str | None
    remote_fields: dict[str, Any] = field(default_factory=dict)
    oracle_category: str | None = None
    oracle_multi_post: bool | None = None
    greenhouse_on_behalf_of_given: bool = False
    greenhouse_on_behalf_of: str | None = None
    workable_on_behalf_of: str | None = None


def _type_name(value: object) -> str:
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "boolean"
    if isinstance(value, (int, float)):
        return "number"
    if isinstance(value, str):
        return "string"
    if isinstance(value, list):
        return "array"
    return "object"


def decode_body(body: bytes | bytearray) -> str:
    """The body as text (JSON is UTF-8); raises :class:`InputProblems` for ``body``."""
    try:
        return body.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise InputProblems.one(
            "body", f"the request body is not UTF-8 (byte {exc.start})"
        ) from None


def parse_upload_body(body: str | bytes | bytearray, *, allow_oracle: bool = True) -> UploadRequest:
    """Validate an attachment upload body; raises :class:`InputProblems` naming every bad field.

    ``allow_oracle`` is False for ``POST /ats/candidates/{id}/attachments``, whose
    ``remote_fields`` has no ``oracle`` block. Pass the body already decoded (see
    :func:`decode_body`) to keep only one copy of a large body alive while parsing.
    """
    text = body if isinstance(body, str) else decode_body(body)
    if not text or text.isspace():
        raise InputProblems.one("body", "the request body is empty; expected a JSON object")
    try:
        document = json.loads(text)
    except json.JSONDecodeError as exc:
        raise InputProblems.one(
            "body", f"not valid JSON ({exc.msg} at line {exc.lineno} column {exc.colno})"
        ) from None
    del text
    if not isinstance(document, dict):
        raise InputProblems.one("body", f"expected a JSON object, got {_type_name(document)}")

    problems: list[InputProblem] = []
    for key in document:
        if key not in _TOP_LEVEL_KEYS:
            problems.append(InputProblem(key, "unknown field (expected attachment, remote_fields)"))

    attachment = document.get("attachment", _MISSING)
    name = kind = content_type = data = data_url = None
    if attachment is _MISSING:
        problems.append(InputProblem("attachment", "required"))
    elif not isinstance(attachment, dict):
        problems.append(
            InputProblem("attachment", f"expected an object, got {_type_name(attachment)}")
        )
    else:
        name, kind, content_type, data, data_url = _check_attachment(attachment, problems)

    remote = _check_remote_fields(document.get("remote_fields", _MISSING), allow_oracle, problems)

    if problems:
        raise InputProblems(problems)
    assert name is not None and kind is not None
    return UploadRequest(
        name=name,
        type=kind,
        content_type=content_type,
        data=data,
        data_url=data_url,
        **remote,
    )


def _check_attachment(
    attachment: dict[str, Any], problems: list[InputProblem]
) -> tuple[str | None, str | None, str | None, str | None, str | None]:
    for key in attachment:
        if key not in _ATTACHMENT_KEYS:
            problems.append(
                InputProblem(
                    f"attachment.{key}",
                    "unknown field (expected name, type, content_type, data, data_url)",
                )
            )

    name = attachment.get("name", _MISSING)
    if name is _MISSING:
        problems.append(InputProblem("attachment.name", "required"))
        name = None
    elif not isinstance(name, str):
        problems.append(
            InputProblem("attachment.name", f"expected a string, got {_type_name(name)}")
        )
        name = None
    elif not name.strip():
        problems.append(InputProblem("attachment.name", "must not be blank"))
        name = None

    kind = attachment.get("type", _MISSING)
    if kind is _MISSING:
        problems.append(InputProblem("attachment.type", "required (CV, COVER_LETTER or OTHER)"))
        kind = None
    elif kind not in _TYPES:
        problems.append(
            InputProblem(
                "attachment.type", f"must be one of CV, COVER_LETTER, OTHER (got {kind!r})"
            )
        )
        kind = None

    content_type = attachment.get("content_type", _MISSING)
    if content_type is _MISSING:
        content_type = None
    elif not isinstance(content_type, str):
        problems.append(
            InputProblem(
                "attachment.content_type", f"expected a string, got {_type_name(content_type)}"
            )
        )
        content_type = None
    elif not CONTENT_TYPE_RE.match(content_type):
        problems.append(
            InputProblem(
                "attachment.content_type",
                f"{content_type!r} does not match ^[\\w.-]+\\/[\\w.-]+$ (a MIME type like application/pdf)",
            )
        )
        content_type = None

    data = attachment.get("data", _MISSING)
    data_url = attachment.get("data_url", _MISSING)
    if data is not _MISSING and data_url is not _MISSING:
        problems.append(InputProblem("attachment", "give either data or data_url, not both"))
    elif data is _MISSING and data_url is _MISSING:
        problems.append(
            InputProblem(
                "attachment.data", "either attachment.data or attachment.data_url is required"
            )
        )

    if data is _MISSING:
        data = None
    elif not isinstance(data, str):
        problems.append(
            InputProblem("attachment.data", f"expected a base64 string, got {_type_name(data)}")
        )
        data = None
    elif "content_type" not in attachment:
        problems.append(
            InputProblem("attachment.content_type", "required when attachment.data is given")
        )

    if data_url is _MISSING:
        data_url = None
    elif not isinstance(data_url, str):
        problems.append(
            InputProblem(
                "attachment.data_url", f"expected a URL string, got {_type_name(data_url)}"
            )
        )
        data_url = None
    else:
        problem = _url_problem(data_url)
        if problem:
            problems.append(InputProblem("attachment.data_url", problem))
            data_url = None

    return name, kind, content_type, data, data_url


def _url_problem(url: str) -> str | None:
    try:
        parts = urlsplit(url)
        parts.port  # noqa: B018 - raises ValueError on a bad port
    except ValueError as exc:
        return f"not a valid URL ({exc})"
    if parts.scheme not in ("http", "https"):
        return f"must be an http or https URL (got {url[:80]!r})"
    if not parts.hostname:
        return "the URL has no host"
    if any(ch.isspace() for ch in url):
        return "the URL contains whitespace"
    return None


@dataclass(frozen=True)
class _Value:
    """A remote field that holds a value: what it accepts and where the value is kept."""

    keep_as: str
    """The :class:`UploadRequest` field that receives it."""
    expected: str = ""
    """What it must be, for the message (``a boolean``); unused when ``choices`` is given."""
    accepts: Callable[[Any], bool] = lambda value: False
    choices: tuple[str, ...] = ()

    def problem(self, value: Any) -> str | None:
        """None when the value is acceptable, else what is wrong with it."""
        if self.choices:
            if value in self.choices:
                return None
            return f"must be one of {', '.join(self.choices)} (got {value!r})"
        return None if self.accepts(value) else f"expected {self.expected}, got {_type_name(value)}"


@dataclass(frozen=True)
class _Object:
    """A remote-field object: its known keys (anything else is a problem)."""

    fields: dict[str, _Value | _Object]
    unknown: str = "unknown field"


_REMOTE_FIELD_RULES: dict[str, _Object] = {
    "oracle": _Object(
        {
            "override_document_category": _Value("oracle_category", choices=_ORACLE_CATEGORIES),
            "multi_post_to_all_current_applications": _Value(
                "oracle_multi_post", "a boolean", lambda value: isinstance(value, bool)
            ),
        }
    ),
    "greenhouse": _Object(
        {
            "post_headers": _Object(
                {
                    _GREENHOUSE_HEADER: _Value(
                        "greenhouse_on_behalf_of",
                        "a string or null",
                        lambda value: value is None or isinstance(value, str),
                    )
                },
                unknown=f"unknown header (only {_GREENHOUSE_HEADER})",
            )
        }
    ),
    "workable": _Object(
        {
            "on_behalf_of_user_remote_id": _Value(
                "workable_on_behalf_of", "a string", lambda value: isinstance(value, str)
            )
        }
    ),
}
"""The remote-field families the sandbox checks (per the spec); other families are ignored."""


def _check_remote_fields(
    remote: Any, allow_oracle: bool, problems: list[InputProblem]
) -> dict[str, Any]:
    out: dict[str, Any] = {}
    if remote is _MISSING:
        return out
    if not isinstance(remote, dict):
        problems.append(
            InputProblem("remote_fields", f"expected an object, got {_type_name(remote)}")
        )
        return out
    out["remote_fields"] = remote
    for family, rules in _REMOTE_FIELD_RULES.items():
        if family not in remote:
            continue
        if family == "oracle" and not allow_oracle:
            problems.append(
                InputProblem(
                    "remote_fields.oracle",
                    "not allowed on this endpoint (candidate attachments take greenhouse and workable only)",
                )
            )
            continue
        _check_object(remote[family], rules, f"remote_fields.{family}", problems, out)
    # An explicit null On-Behalf-Of counts as given (it asks for Kombo's default user).
    out["greenhouse_on_behalf_of_given"] = "greenhouse_on_behalf_of" in out
    return out


def _check_object(
    value: Any, rules: _Object, path: str, problems: list[InputProblem], out: dict[str, Any]
) -> None:
    """Check one object against its rules: unknown keys first, then each known key in order."""
    if not isinstance(value, dict):
        problems.append(InputProblem(path, f"expected an object, got {_type_name(value)}"))
        return
    for key in value:
        if key not in rules.fields:
            problems.append(InputProblem(f"{path}.{key}", rules.unknown))
    for key, rule in rules.fields.items():
        if key not in value:
            continue
        if isinstance(rule, _Object):
            _check_object(value[key], rule, f"{path}.{key}", problems, out)
            continue
        problem = rule.problem(value[key])
        if problem is None:
            out[rule.keep_as] = value[key]
        else:
            problems.append(InputProblem(f"{path}.{key}", problem))


# --------------------------------------------------------------------------- base64


@dataclass(frozen=True)
class Base64Stats:
    """Size and digest of decoded base64, computed chunk by chunk."""

    size: int
    sha256: str


_CHUNK_CHARS = 4 * 256 * 1024  # 1 MiB of base64 text → 768 KiB of bytes per step


def base64_stats(text: str, field_name: str = "attachment.data") -> Base64Stats:
    """Decode strict base64 in chunks; return the byte count and sha256 (bytes are not kept).

    Strict means: standard alphabet (``A-Z a-z 0-9 + /``), length a multiple of 4, ``=``
    padding only at the very end, no whitespace or line breaks.
    """
    if len(text) % 4:
        raise InputProblems.one(
            field_name,
            f"not valid base64: length {len(text)} is not a multiple of 4 (missing padding?)",
        )
    digest = hashlib.sha256()
    size = 0
    last = len(text) - _CHUNK_CHARS
    for start in range(0, len(text), _CHUNK_CHARS):
        chunk = text[start : start + _CHUNK_CHARS]
        if start < last and chunk.endswith("="):
            raise InputProblems.one(
                field_name, "not valid base64: padding in the middle of the data"
            )
        try:
            raw = binascii.a2b_base64(chunk, strict_mode=True)
        except (binascii.Error, ValueError) as exc:
            position = _first_bad_char(chunk)
            where = f" at character {start + position}" if position is not None else ""
            raise InputProblems.one(field_name, f"not valid base64{where} ({exc})") from None
        digest.update(raw)
        size += len(raw)
    return Base64Stats(size=size, sha256=digest.hexdigest())


_B64_CHARS = frozenset("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/=")


def _first_bad_char(chunk: str) -> int | None:
    for i, ch in enumerate(chunk):
        if ch not in _B64_CHARS:
            return i
    return None


# --------------------------------------------------------------------------- query strings


class Query:
    """Typed access to query parameters; every problem names the parameter."""

    def __init__(self, multi: dict[str, list[str]]) -> None:
        """``multi``: parameter name → every value it was given, in order."""
        self._multi = multi

    def text(self, name: str) -> str | None:
        values = self._multi.get(name)
        if not values:
            return None
        return values[-1]

    def csv(
        self, name: str, allowed: tuple[str, ...] | None = None, *, blank_is_all: bool = False
    ) -> list[str] | None:
        """A comma-separated list (repeated parameters are merged); None when absent.

        Args:
            name: The parameter.
            allowed: The values the list may hold (an enum list); None: any.
            blank_is_all: The spec says "leave this blank to get results matching all
                values": a blank list is None (no filter). Otherwise a blank list is refused.
        """
        values = self._multi.get(name)
        if values is None:
            return None
        items = [item.strip() for value in values for item in value.split(",")]
        items = [item for item in items if item]
        if not items:
            if blank_is_all:
                return None
            raise InputProblems.one(
                name, "must not be blank: give a comma-separated list, or leave the parameter out"
            )
        if allowed is not None:
            bad = [item for item in items if item not in allowed]
            if bad:
                raise InputProblems.one(name, f"{bad[0]!r} is not one of {', '.join(allowed)}")
        return items

    def one_of(self, name: str, allowed: tuple[str, ...]) -> str | None:
        """One value of an enum (blanks around it ignored); None when absent."""
        value = self.text(name)
        if value is None:
            return None
        if value.strip() not in allowed:
            raise InputProblems.one(name, f"must be one of {', '.join(allowed)} (got {value!r})")
        return value.strip()

    def email(self, name: str) -> str | None:
        """An email address (the spec's ``format: email``, kept to plain ASCII); None when absent."""
        value = self.text(name)
        if value is None:
            return None
        if len(value) > 254 or not EMAIL_PATTERN.fullmatch(value):
            raise InputProblems.one(name, f"must be an email address like jane@example.com (got {value!r})")
        return value

    def boolean(self, name: str, default: bool = False) -> bool:
        value = self.text(name)
        if value is None:
            return default
        if value in ("true", "false"):
            return value == "true"
        raise InputProblems.one(name, f"must be true or false (got {value!r})")

    def page_size(self) -> int:
        value = self.text("page_size")
        if value is None:
            return 100
        if not value.isascii() or not value.isdigit() or not 1 <= int(value) <= 250:
            raise InputProblems.one(
                "page_size", f"must be an integer between 1 and 250 (got {value!r})"
            )
        return int(value)

    def date_time(self, name: str) -> float | None:
        """An ISO date(-time) as epoch seconds (UTC), per the spec's pattern."""
        value = self.text(name)
        if value is None:
            return None
        match = DATE_TIME_PATTERN.match(value)
        if not match:
            raise InputProblems.one(
                name, f"must be a date-time like 2025-01-31T12:00:00Z (got {value!r})"
            )
        from datetime import datetime, timezone

        text = value.rstrip("Z")
        try:
            if "T" in text:
                main, _, fraction = text.partition(".")
                moment = datetime.strptime(main, "%Y-%m-%dT%H:%M:%S")
                seconds = moment.replace(tzinfo=timezone.utc).timestamp()
                return seconds + (float("0." + fraction) if fraction else 0.0)
            moment = datetime.strptime(text, "%Y-%m-%d")
            return moment.replace(tzinfo=timezone.utc).timestamp()
        except ValueError:
            raise InputProblems.one(name, f"{value!r} is not a real date") from None
