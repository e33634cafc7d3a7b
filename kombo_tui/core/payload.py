"""From what the user chose (a :class:`Draft`) to a validated, streamable request.

:func:`prepare` checks everything before a byte is sent and reports every problem by its
field (:func:`prepare_fields` does the same from a Draft's fields given as keywords). The
resulting :class:`PreparedUpload` streams the JSON body: base64 is produced chunk by chunk
while sending, with an exact ``Content-Length``, so memory stays flat
whatever the file size. While streaming it re-checks the size and sha256 taken when the
file was chosen and stops before the last byte if the file changed.
"""

from __future__ import annotations

import asyncio
import base64
import hashlib
import json
import os
import re
from collections.abc import AsyncIterator, Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any
from urllib.parse import unquote, urlsplit

from .draft import Draft
from .enums import AttachmentType
from .errors import FileChangedError, InputError, Notice, Problem
from .files.checks import Fingerprint, check_file, credential_place, fingerprint, show_path
from .files.mime import CONTENT_TYPE_RE, mime_for_name, same_type, short_name
from .files.naming import NO_EXTENSION, lacks_extension, suggest_type
from .files.sniff import Sniffed, sniff_file

if TYPE_CHECKING:
    from .models import AttachmentRestrictions

# Nothing here imports pydantic: building and streaming a request does not need it (the
# command line's first byte goes out sooner); remote fields are validated with pydantic only
# when given. The Draft (a plain dataclass) lives in .draft and is importable from here too.

__all__ = [
    "CHUNK_SIZE",
    "Draft",
    "PreparedUpload",
    "base64_length",
    "display_path",
    "parse_remote_fields",
    "prepare",
    "prepare_fields",
    "restriction_warnings",
]


CHUNK_SIZE = 3 * 256 * 1024
"""Raw bytes read per chunk: a multiple of 3 so each chunk's base64 has no padding."""

ProgressCallback = Callable[[int, int], None]
"""``progress(bytes_of_body_sent, content_length)``."""


def base64_length(size: int) -> int:
    """Length of the padded base64 of ``size`` bytes: 4·⌈n/3⌉."""
    return 4 * ((size + 2) // 3)


@dataclass
class PreparedUpload:
    """A validated request, ready to stream. Build it with :func:`prepare`."""

    integration_id: str
    application_id: str
    name: str
    type: AttachmentType
    content_type: str | None
    file: Path | None = None
    data_url: str | None = None
    fingerprint: Fingerprint | None = None
    sniffed: Sniffed | None = None
    remote_fields: dict[str, Any] | None = None
    warnings: list[Notice] = field(default_factory=list)
    """Things worth a second look that do not stop the upload."""
    candidate_id: str | None = None
    """Set for Kombo's ``POST /ats/candidates/{id}/attachments`` (``application_id`` is then
    empty). Kombo recommends the application endpoint; this one is for a candidate with no
    suitable application, and its ``remote_fields`` have no ``oracle`` block."""
    type_suggested: bool = False
    """True when ``type`` was chosen from the file name, not given."""
    chunk_size: int = CHUNK_SIZE
    """Raw bytes per streamed chunk (a multiple of 3). Larger is faster; smaller keeps a UI's
    event loop freer, since each chunk is handed over in one piece."""

    # ------------------------------------------------------------------ target

    @property
    def target_kind(self) -> str:
        """``"candidate"`` or ``"application"``: which endpoint this upload goes to."""
        return "candidate" if self.candidate_id else "application"

    @property
    def target_id(self) -> str:
        """The id in the endpoint's path (the candidate's or the application's)."""
        return self.candidate_id or self.application_id

    def endpoint_path(self, kind: str | None = None, *, readable: bool = False) -> str:
        """The path below the base URL, the id percent-encoded (a placeholder when not chosen).

        Args:
            kind: ``"application"`` or ``"candidate"``: the endpoint meant while no id is
                given yet (a form switched to the candidate shows the candidate's path).
            readable: the placeholder as ``{candidate_id}`` (for people), not percent-encoded
                (for a URL that tools such as curl take as it is).
        """
        from .net import encode_path_segment

        if self.target_id or kind is None:
            kind = self.target_kind
        if not self.target_id and readable:
            return f"ats/{kind}s/{{{kind}_id}}/attachments"
        target = encode_path_segment(self.target_id or f"{{{kind}_id}}")
        return f"ats/{kind}s/{target}/attachments"

    def __repr__(self) -> str:
        from .display import upload_text

        return upload_text(self)

    def _repr_html_(self) -> str:
        from .display import upload_html

        return upload_html(self)

    # ------------------------------------------------------------------ body layout

    def _attachment_meta(self) -> dict[str, Any]:
        meta: dict[str, Any] = {"name": self.name, "type": self.type.value}
        if self.content_type is not None:
            meta["content_type"] = self.content_type
        if self.data_url is not None:
            meta["data_url"] = self.data_url
        return meta

    def _head_tail(self) -> tuple[bytes, bytes]:
        meta = json.dumps(self._attachment_meta(), ensure_ascii=False, separators=(",", ":"))
        tail_fields = ""
        if self.remote_fields:
            tail_fields = ',"remote_fields":' + json.dumps(
                self.remote_fields, ensure_ascii=False, separators=(",", ":")
            )
        if self.file is None:
            return (f'{{"attachment":{meta}{tail_fields}}}').encode(), b""
        head = '{"attachment":' + meta[:-1] + ',"data":"'
        tail = '"}' + tail_fields + "}"
        return head.encode(), tail.encode()

    @property
    def size(self) -> int:
        """Bytes of the file (0 for a ``data_url`` upload)."""
        return self.fingerprint.size if self.fingerprint else 0

    @property
    def content_length(self) -> int:
        """Exact length of the JSON body in bytes."""
        head, tail = self._head_tail()
        return len(head) + base64_length(self.size) + len(tail) if self.file else len(head)

    # ------------------------------------------------------------------ streaming

    def iter_body(self, progress: ProgressCallback | None = None) -> Iterator[bytes]:
        """The JSON body, chunk by chunk.

        Raises:
            FileChangedError: the file's size or sha256 differs from the fingerprint; raised
                before the last chunk, so the server never receives a complete body.
        """
        if self.chunk_size <= 0 or self.chunk_size % 3:
            raise ValueError("chunk_size must be a positive multiple of 3 (base64 works in 3-byte groups)")
        head, tail = self._head_tail()
        total = self.content_length
        sent = len(head)
        if self.file is None:
            if progress:
                progress(sent, total)
            yield head
            return
        assert self.fingerprint is not None
        expected = self.fingerprint.size
        yield head
        if progress:
            progress(sent, total)
        digest = hashlib.sha256()
        read = 0
        try:
            fh = open(self.file, "rb")
        except OSError as exc:
            raise FileChangedError(f"{self.file} can no longer be read: {exc.strerror}") from None
        try:
            while True:
                chunk = fh.read(self.chunk_size)
                if not chunk:
                    break
                read += len(chunk)
                if read > expected:
                    raise FileChangedError(
                        f"{self.file.name} grew while sending (chosen at {expected:,} bytes); "
                        "upload stopped before completion — choose the file again"
                    )
                digest.update(chunk)
                if read == expected:
                    if fh.read(1):
                        raise FileChangedError(
                            f"{self.file.name} grew while sending (chosen at {expected:,} bytes); "
                            "upload stopped before completion — choose the file again"
                        )
                    if digest.hexdigest() != self.fingerprint.sha256:
                        raise FileChangedError(
                            f"{self.file.name} changed since it was chosen (sha256 differs); "
                            "upload stopped before completion — choose the file again"
                        )
                encoded = base64.b64encode(chunk)
                sent += len(encoded)
                yield encoded
                if progress:
                    progress(sent, total)
        finally:
            fh.close()
        if read != expected:
            raise FileChangedError(
                f"{self.file.name} shrank while sending ({read:,} of {expected:,} bytes); "
                "upload stopped before completion — choose the file again"
            )
        sent += len(tail)
        yield tail
        if progress:
            progress(sent, total)

    async def aiter_body(self, progress: ProgressCallback | None = None) -> AsyncIterator[bytes]:
        """:meth:`iter_body` for an async sender, without blocking the event loop.

        Each chunk of the file (read, hash, base64) is produced in a worker thread: on
        loopback a socket accepts many chunks without ever suspending, so producing them on
        the loop would freeze a UI. The JSON head (no file I/O) goes at once, and the tail
        comes back with the last chunk: a small file costs one trip to a thread, not four.
        ``progress`` runs on the loop, after the transport took a chunk.
        """
        chunks = self.iter_body()
        total = self.content_length
        budget = self.chunk_size

        def batch() -> tuple[list[bytes], bool]:
            # The next chunks up to about one chunk's worth, and whether that was the end: the
            # last data chunk, the JSON tail and the end come back from one trip to the thread.
            out: list[bytes] = []
            size = 0
            for chunk in chunks:
                out.append(chunk)
                size += len(chunk)
                if size >= budget:
                    return out, False
            return out, True

        # The JSON head needs no file I/O: it leaves without a trip to a thread.
        pending, finished = [next(chunks)], self.file is None
        sent = 0
        while True:
            for chunk in pending:
                yield chunk
                sent += len(chunk)
                if progress is not None:
                    progress(sent, total)
            if finished:
                return
            pending, finished = await asyncio.to_thread(batch)

    # ------------------------------------------------------------------ previews

    def elided_data(self) -> str:
        """What stands in for ``data`` in a redacted preview."""
        fp = self.fingerprint
        if fp is None:
            return ""
        return f"<base64 of {fp.size:,} bytes ({base64_length(fp.size):,} chars), sha256 {fp.sha256}>"

    def preview(self, *, full: bool = False) -> dict[str, Any]:
        """The body as a dict; ``data`` elided to its size and sha256 unless ``full``.

        ``full`` reads the whole file into memory: use :meth:`iter_body` for large files.
        """
        attachment = self._attachment_meta()
        if self.file is not None:
            if full:
                attachment["data"] = b"".join(self.iter_body())[
                    len(self._head_tail()[0]) : -len(self._head_tail()[1])
                ].decode()
            else:
                attachment["data"] = self.elided_data()
        body: dict[str, Any] = {"attachment": attachment}
        if self.remote_fields:
            body["remote_fields"] = self.remote_fields
        return body

    def describe(self) -> dict[str, Any]:
        """Everything about the request except the key and the file bytes (for --json/history)."""
        return {
            "integration_id": self.integration_id,
            "application_id": self.application_id,
            **({"candidate_id": self.candidate_id} if self.candidate_id else {}),
            "name": self.name,
            "type": self.type.value,
            "type_suggested": self.type_suggested,
            "content_type": self.content_type,
            "content_type_source": self.sniffed.source if self.sniffed else None,
            "file": display_path(self.file) if self.file else None,
            "data_url": self.data_url,
            "size": self.fingerprint.size if self.fingerprint else None,
            "sha256": self.fingerprint.sha256 if self.fingerprint else None,
            "remote_fields": self.remote_fields,
            "content_length": self.content_length,
            "warnings": [str(w) for w in self.warnings],
        }


# --------------------------------------------------------------------------- validation


def parse_remote_fields(value: str | dict[str, Any] | None) -> dict[str, Any] | None:
    """Parse and validate ``remote_fields`` (JSON text, ``@file.json`` or a dict).

    Raises:
        InputError: with fields named like ``remote_fields.oracle.override_document_category``.
    """
    if value is None or value == "":
        return None
    if isinstance(value, str):
        from .jsonload import MAX_JSON_BYTES, load_json

        text: str | bytes = value
        if value.startswith("@"):
            source = Path(value[1:]).expanduser()
            try:
                with source.open("rb") as fh:
                    text = fh.read(MAX_JSON_BYTES + 1)  # load_json refuses anything longer
            except OSError as exc:
                raise InputError.single("remote_fields", f"cannot read {source}: {exc.strerror}") from None
        # Size and depth first (no RecursionError on deep input), then the JSON itself.
        value = load_json(text, field="remote_fields")
    if not isinstance(value, dict):
        raise InputError.single("remote_fields", "must be a JSON object like {\"greenhouse\": {...}}")
    from pydantic import ValidationError

    from .models import RemoteFields

    try:
        model = RemoteFields.model_validate(value)
    except ValidationError as exc:
        raise InputError(
            [
                Problem(
                    "remote_fields." + ".".join(str(p) for p in err["loc"]),
                    _pydantic_message(err),
                )
                for err in exc.errors()
            ]
        ) from None
    dumped = model.model_dump(by_alias=True, exclude_none=True)
    # Keep explicit nulls the user wrote inside known families (On-Behalf-Of may be null).
    return _merge_nulls(value, dumped)


def _merge_nulls(given: dict[str, Any], dumped: dict[str, Any]) -> dict[str, Any]:
    out = dict(dumped)
    for key, val in given.items():
        if val is None:
            out[key] = None
        elif isinstance(val, dict) and isinstance(out.get(key), dict):
            out[key] = _merge_nulls(val, out[key])
        elif isinstance(val, dict) and key not in out:
            out[key] = val
    return out


def _pydantic_message(err: Any) -> str:
    if err["type"] == "enum":
        expected = err.get("ctx", {}).get("expected", "")
        return f"{err['input']!r} is not one of {expected}"
    if err["type"] == "extra_forbidden":
        return "is not a known field"
    return str(err["msg"])


def display_path(path: str | os.PathLike[str]) -> str:
    """A path as text for people and JSON: undecodable bytes become U+FFFD."""
    return os.fsencode(path).decode("utf-8", errors="replace")


def _default_name(file: Path | None, data_url: str | None) -> str | None:
    if file is not None:
        return display_path(file.name)
    if data_url:
        path = urlsplit(data_url).path
        last = unquote(path.rsplit("/", 1)[-1])
        return last or None
    return None


def _check_data_url(url: str) -> Problem | None:
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.netloc:
        return Problem("data_url", f"{url!r} is not an http(s) URL")
    if any(ch.isspace() for ch in url):
        return Problem("data_url", "must not contain spaces (percent-encode them)")
    return None


def prepare(
    draft: Draft,
    *,
    known_fingerprint: Fingerprint | None = None,
    known_sniffed: Sniffed | None = None,
    require_target: bool = True,
) -> PreparedUpload:
    """Validate a draft and prepare the request. Nothing is sent.

    Args:
        draft: what the user chose.
        known_fingerprint: size/sha256 taken when the file was chosen (else taken now).
        known_sniffed: the MIME sniffed when the file was chosen (else sniffed now).
        require_target: False for previews, which may leave integration and application open.

    Raises:
        InputError: every problem found, each naming its field.
    """
    return _checked(draft, known_fingerprint, known_sniffed, require_target)


_ID_CONTROL = re.compile("[\x00-\x1f\x7f]")
"""A control character in an id (C0 or DEL)."""

_SURROGATE = re.compile("[\ud800-\udfff]")
"""A lone surrogate: bytes of a file name that were not UTF-8."""


def prepare_fields(
    *,
    known_fingerprint: Fingerprint | None = None,
    known_sniffed: Sniffed | None = None,
    require_target: bool = True,
    **choices: Any,
) -> PreparedUpload:
    """:func:`prepare` from a :class:`Draft`'s fields given as keywords
    (``prepare_fields(application_id="A1", file=path, type="CV")``).

    Raises:
        InputError: every problem found, each naming its field (a field of the wrong kind too).
        TypeError: a keyword that is not one of the Draft's fields.
    """
    return prepare(Draft(**choices), known_fingerprint=known_fingerprint, known_sniffed=known_sniffed,
                   require_target=require_target)


def _checked(
    draft: Draft, known_fingerprint: Fingerprint | None, known_sniffed: Sniffed | None, require_target: bool
) -> PreparedUpload:
    """Every check of :func:`prepare`, on the draft's fields."""
    file, data_url, type_ = draft.file, draft.data_url, draft.type
    problems: list[Problem] = []
    warnings: list[Notice] = []

    integration_id = (draft.integration_id or "").strip()
    if not integration_id and require_target:
        problems.append(Problem("integration", "no integration id given", missing=True))
    application_id = (draft.application_id or "").strip()
    candidate_id = (draft.candidate_id or "").strip() or None
    if application_id and candidate_id:
        problems.append(Problem("candidate", "give either an application or a candidate, not both"))
    elif not application_id and not candidate_id and require_target:
        problems.append(Problem("application", "no application id given", missing=True))
    for label, value in (("application", application_id), ("candidate", candidate_id or "")):
        if _ID_CONTROL.search(value):
            problems.append(Problem(label, "contains control characters"))

    if file is not None and data_url:
        problems.append(Problem("file", "give either a file or a data_url, not both"))
    elif file is None and not data_url:
        problems.append(Problem("file", "give a file to send (or a data_url for Kombo to fetch)"))

    fp: Fingerprint | None = None
    sniffed: Sniffed | None = None
    credential = credential_place(file) if file is not None and not data_url else None
    if file is not None and credential is not None:
        problems.append(Problem("file", f"{show_path(file)} is {credential}: kombo-tui never uploads it"))
    elif file is not None and not data_url:
        try:
            check_file(file)
            sniffed = known_sniffed or sniff_file(file)
            fp = known_fingerprint or fingerprint(file)
        except InputError as exc:
            problems.extend(exc.problems)
        except FileChangedError as exc:
            problems.append(Problem("file", str(exc)))
        except OSError as exc:
            problems.append(Problem("file", f"cannot read {file}: {exc.strerror}"))
    if data_url:
        problem = _check_data_url(data_url)
        if problem:
            problems.append(problem)

    name = (draft.name if draft.name is not None else _default_name(file, data_url)) or ""
    if not name.strip():
        problems.append(Problem("name", "the attachment needs a name", missing=True))
    elif _SURROGATE.search(name):
        problems.append(Problem("name", "contains bytes that are not valid text (UTF-8); give a readable name"))
    elif lacks_extension(name):
        warnings.append(Notice("name", "name_without_extension", f"name {name!r} {NO_EXTENSION}"))
    said = mime_for_name(name) if name.strip() else None
    if said is not None and sniffed is not None and sniffed.source == "libmagic" and not sniffed.generic:
        if not same_type(said, sniffed.mime):
            warnings.append(
                Notice(
                    "name",
                    "name_contradicts_content",
                    f"the name {name!r} says {short_name(said)}, but the content is {short_name(sniffed.mime)}",
                )
            )
    if len(name.encode("utf-8", "replace")) > 255:
        warnings.append(
            Notice("name", "name_too_long", "name is longer than 255 bytes; some ATSs cut or refuse long names")
        )

    kind: AttachmentType | None = None
    suggested = False
    if type_:
        try:
            kind = AttachmentType(type_.strip().upper())
        except ValueError:
            problems.append(Problem("type", f"{type_!r} is not one of CV, COVER_LETTER, OTHER"))
    else:
        kind = suggest_type(name) or AttachmentType.OTHER
        suggested = True

    content_type = draft.content_type.strip() if draft.content_type else None
    if content_type is not None:
        if not CONTENT_TYPE_RE.match(content_type):
            problems.append(
                Problem("content_type", f"{content_type!r} is not a MIME type like application/pdf")
            )
    elif sniffed is not None:
        content_type = sniffed.mime
        if not CONTENT_TYPE_RE.match(content_type):
            problems.append(
                Problem(
                    "content_type",
                    f"the file looks like {content_type}, which Kombo's pattern type/subtype "
                    "(letters, digits, . _ -) does not accept; set the content type",
                )
            )
    if sniffed is not None:
        if sniffed.note:
            warnings.append(Notice("file", "sniff_note", sniffed.note))
        if content_type == sniffed.mime and sniffed.generic:
            warnings.append(
                Notice(
                    "content_type",
                    "generic_mime",
                    f"content type {content_type} is generic; Kombo asks for a meaningful one: "
                    "set the content type",
                )
            )
    # A file that could not be read has its own problem; its type cannot be known, so the
    # missing content type is not a second problem (fix the file, the type follows).
    unreadable = any(p.field == "file" for p in problems)
    if file is not None and content_type is None and not data_url and not unreadable:
        problems.append(Problem("content_type", "required when sending the file's data"))

    remote: dict[str, Any] | None = None
    try:
        remote = parse_remote_fields(draft.remote_fields)
    except InputError as exc:
        problems.extend(exc.problems)
    if candidate_id and remote and "oracle" in remote:
        problems.append(
            Problem(
                "remote_fields.oracle",
                "the candidate endpoint takes no oracle fields (greenhouse and workable only); "
                "send to the application instead",
            )
        )

    if problems:
        raise InputError(problems)
    assert kind is not None
    return PreparedUpload(
        integration_id=integration_id,
        application_id=application_id,
        name=name,
        type=kind,
        content_type=content_type,
        file=file if not data_url else None,
        data_url=data_url,
        fingerprint=fp,
        sniffed=sniffed,
        remote_fields=remote,
        warnings=warnings,
        candidate_id=candidate_id,
        type_suggested=suggested,
    )


def restriction_warnings(
    upload: PreparedUpload, restrictions: AttachmentRestrictions | None
) -> list[Notice]:
    """What the integration's published limits say about this upload (size, MIME, type)."""
    if restrictions is None:
        return []
    rule = restrictions.for_type(upload.type)
    if rule is None:
        return []
    if not rule.is_supported:
        return [
            Notice("type", "type_not_accepted", f"this integration does not accept attachments of type {upload.type.value}")
        ]
    out: list[Notice] = []
    if rule.max_file_size_bytes is not None and upload.size > rule.max_file_size_bytes:
        out.append(
            Notice(
                "file",
                "too_large",
                f"file is {upload.size:,} bytes, above this integration's limit of "
                f"{int(rule.max_file_size_bytes):,} bytes for {upload.type.value}",
            )
        )
    if (
        rule.accepted_mime_types is not None
        and upload.content_type is not None
        and not any(same_type(upload.content_type, accepted) for accepted in rule.accepted_mime_types)
    ):
        out.append(
            Notice(
                "content_type",
                "mime_not_accepted",
                f"{upload.content_type} is not among the types this integration accepts for "
                f"{upload.type.value}: {', '.join(rule.accepted_mime_types)}",
            )
        )
    return out

