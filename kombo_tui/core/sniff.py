"""What is this file? MIME detection, file checks, a type suggestion and a fingerprint.

Everything here reads a **bounded prefix** of a file (:data:`PREFIX_SIZE` bytes), decides
from ``os.stat`` before opening anything (so a FIFO or a device can never block), and opens
with ``O_NONBLOCK``. MIME detection uses libmagic through python-magic when both are present,
imported lazily on first use; without them it falls back to a guess from the file name and
says so (:attr:`Sniffed.is_guess`).

libmagic's answer is refined where it is too generic: an Office Open XML or OpenDocument file
that libmagic reports as ``application/zip`` (it only looks at the first few ZIP entries, e.g.
a DOCX with a thumbnail before ``word/``) is identified from its ``[Content_Types].xml``,
its ``mimetype`` entry or its entry names.

Typical use::

    stat = check_file(path)            # raises InputError(field="file") with a clear message
    sniffed = sniff_file(path)         # Sniffed(mime=..., source="libmagic", generic=..., note=...)
    kind = suggest_type(path.name)     # AttachmentType.CV / COVER_LETTER / None
    print_ = fingerprint(path)         # Fingerprint(size, sha256, mtime_ns), streamed
"""

from __future__ import annotations

import functools
import os
import re
import struct
import unicodedata
import zlib
from dataclasses import dataclass
from typing import Any, Literal

from .files import Fingerprint, check_file, fingerprint, open_regular, read_prefix
from .mime import (
    _ALWAYS_GENERIC,
    _CONTAINER_FAMILY,
    _CONTAINERS,
    _WEAK,
    DOCX,
    EMPTY,
    OCTET_STREAM,
    PPTX,
    XLSX,
    mime_for_name,
)
from .mime import (
    MIME_RE as _MIME_RE,
)
from .mime import (
    canonical as _canonical,
)
from .mime import (
    extension_of as _extension,
)
from .mime import (
    is_textual as _textual,
)
from .models import AttachmentType

__all__ = [
    "PREFIX_SIZE",
    "Fingerprint",
    "Sniffed",
    "check_file",
    "fingerprint",
    "magic_available",
    "mime_for_name",
    "sniff_bytes",
    "sniff_file",
    "suggest_type",
]

PREFIX_SIZE = 64 * 1024
"""How many bytes of a file are read to sniff it (never more)."""

Source = Literal["libmagic", "extension", "none"]

@dataclass(frozen=True)
class Sniffed:
    """The result of sniffing a file: its MIME type and how sure we are.

    Attributes:
        mime: The MIME type, e.g. ``application/pdf``.
        source: Where :attr:`mime` comes from: ``"libmagic"`` (the content), ``"extension"``
            (a guess from the file name, because libmagic is unavailable) or ``"none"``
            (nothing to go on: no usable content or name).
        generic: True when :attr:`mime` says little: ``application/octet-stream``, an empty
            file, or ``text/plain`` / ``application/zip`` when the name promises something
            specific (``.pdf``, ``.docx``). The user should check or override it.
        description: libmagic's human-readable description (``PDF document, version 1.4``),
            or None without libmagic.
        note: A plain-language remark for the user when something deserves attention, e.g.
            ``the name says .pdf but the content looks like image/png``; None otherwise.
        name_mime: The MIME type the file name implies (None without a known extension).
    """

    mime: str
    source: Source
    generic: bool
    description: str | None = None
    note: str | None = None
    name_mime: str | None = None

    @property
    def is_guess(self) -> bool:
        """True when the MIME does not come from the content (no libmagic, or nothing to read)."""
        return self.source != "libmagic"


# --------------------------------------------------------------------------- libmagic


@functools.lru_cache(maxsize=1)
def _load_magic() -> tuple[Any | None, str | None]:
    """Import python-magic and check that libmagic works.

    Returns:
        ``(module, None)`` when usable, else ``(None, reason)`` with a plain-language reason.
    """
    try:
        import magic
    except ImportError as exc:
        # python-magic raises ImportError("failed to find libmagic...") when the C library is
        # missing; a missing python-magic raises ModuleNotFoundError.
        if "libmagic" in str(exc):
            return None, "libmagic is not installed"
        return None, "python-magic is not installed"
    except (OSError, AttributeError) as exc:
        # Older python-magic, or a libmagic without the expected symbols.
        return None, f"libmagic could not be loaded ({exc})"
    try:
        magic.from_buffer(b"%PDF-1.4\n", mime=True)
    except Exception as exc:  # noqa: BLE001 - MagicException (no database) and ctypes errors
        return None, f"libmagic does not work here ({exc})"
    return magic, None


def magic_available() -> bool:
    """Whether python-magic and libmagic are installed and working.

    Returns:
        True when MIME types are detected from content; False when they are guessed from names.
    """
    return _load_magic()[0] is not None


# --------------------------------------------------------------------------- ZIP refinement


@dataclass(frozen=True)
class _ZipEntry:
    name: str
    data: bytes | None
    """The (decompressed, bounded) content, or its beginning when the prefix cuts it."""
    complete: bool = False
    """True when :attr:`data` is the whole entry."""


_LOCAL_HEADER = b"PK\x03\x04"
_MAX_ENTRIES = 32
_MAX_ENTRY_DATA = 256 * 1024


def _zip_entries(prefix: bytes) -> list[_ZipEntry]:
    """Walk the ZIP local file headers found in ``prefix`` (no central directory needed).

    Stops quietly at the end of the prefix, at anything unexpected or after
    :data:`_MAX_ENTRIES`. Stored and deflated content is kept (at most
    :data:`_MAX_ENTRY_DATA` bytes of it), whole or as far as the prefix goes.
    """
    entries: list[_ZipEntry] = []
    pos = 0
    end = len(prefix)
    while len(entries) < _MAX_ENTRIES and prefix.startswith(_LOCAL_HEADER, pos) and pos + 30 <= end:
        flags, method = struct.unpack_from("<HH", prefix, pos + 6)
        csize, _usize, name_len, extra_len = struct.unpack_from("<IIHH", prefix, pos + 18)
        name_at = pos + 30
        data_at = name_at + name_len + extra_len
        if data_at > end:
            break
        raw_name = prefix[name_at : name_at + name_len]
        name = raw_name.decode("utf-8" if flags & 0x800 else "cp437", "replace")
        if csize == 0xFFFFFFFF:  # ZIP64: the real size is in extra field 0x0001
            csize = _zip64_csize(prefix[name_at + name_len : data_at])
        encrypted = bool(flags & 0x1)
        data: bytes | None = None
        complete = False
        next_at: int | None = None
        if flags & 0x8 and method == 8 and not encrypted:
            # Sizes follow the data (streamed ZIP): find the end by inflating.
            inflater = zlib.decompressobj(-15)
            try:
                out = inflater.decompress(prefix[data_at:], _MAX_ENTRY_DATA)
            except zlib.error:
                break
            data = out
            complete = inflater.eof
            if inflater.eof:
                data_end = end - len(inflater.unused_data)
                found = prefix.find(_LOCAL_HEADER, data_end, data_end + 32)
                next_at = found if found >= 0 else None
        elif flags & 0x8 or csize is None:
            found = prefix.find(_LOCAL_HEADER, data_at)
            next_at = found if found >= 0 else None
        else:
            data_end = data_at + csize
            if not encrypted:
                # A truncated entry still yields its beginning (enough for [Content_Types].xml).
                data = _inflate(method, prefix[data_at : min(data_end, end)])
                complete = data is not None and data_end <= end
            next_at = data_end if data_end < end else None
        entries.append(_ZipEntry(name, data, complete))
        if next_at is None:
            break
        pos = next_at
    return entries


def _zip64_csize(extra: bytes) -> int | None:
    at = 0
    while at + 4 <= len(extra):
        header_id, size = struct.unpack_from("<HH", extra, at)
        if header_id == 0x0001 and size >= 16:
            return int(struct.unpack_from("<Q", extra, at + 12)[0])
        at += 4 + size
    return None


def _inflate(method: int, data: bytes) -> bytes | None:
    if method == 0:
        return data[:_MAX_ENTRY_DATA]
    if method == 8:
        try:
            return zlib.decompressobj(-15).decompress(data, _MAX_ENTRY_DATA)
        except zlib.error:
            return None
    return None


_MAIN_PART_RE = re.compile(rb"""ContentType\s*=\s*["']([\w.+/-]+?)\.main\+xml["']""")
_MACRO_MAIN_PARTS = {
    "application/vnd.ms-word.document.macroEnabled": "application/vnd.ms-word.document.macroEnabled.12",
    "application/vnd.ms-word.template.macroEnabledTemplate": "application/vnd.ms-word.template.macroEnabled.12",
    "application/vnd.ms-excel.sheet.macroEnabled": "application/vnd.ms-excel.sheet.macroEnabled.12",
    "application/vnd.ms-excel.template.macroEnabled": "application/vnd.ms-excel.template.macroEnabled.12",
    "application/vnd.ms-powerpoint.presentation.macroEnabled": "application/vnd.ms-powerpoint.presentation.macroEnabled.12",
    "application/vnd.ms-powerpoint.slideshow.macroEnabled": "application/vnd.ms-powerpoint.slideshow.macroEnabled.12",
    "application/vnd.ms-powerpoint.template.macroEnabled": "application/vnd.ms-powerpoint.template.macroEnabled.12",
}


def _office_mime(prefix: bytes) -> str | None:
    """The specific MIME of an OOXML / ODF / EPUB file from the ZIP entries in ``prefix``."""
    entries = _zip_entries(prefix)
    if not entries:
        return None
    for entry in entries[:3]:
        # ODF and EPUB: a `mimetype` entry (first and stored, by the spec) holding the MIME.
        if entry.name == "mimetype" and entry.data is not None and entry.complete:
            text = entry.data.decode("ascii", "replace").strip()
            if _MIME_RE.match(text):
                return text
    names = [entry.name for entry in entries]
    for entry in entries:
        if entry.name == "[Content_Types].xml" and entry.data is not None:
            for match in _MAIN_PART_RE.finditer(entry.data):
                main = match.group(1).decode("ascii")
                if main.startswith("application/vnd.openxmlformats-officedocument."):
                    return main
                if main in _MACRO_MAIN_PARTS:
                    return _MACRO_MAIN_PARTS[main]
    if "[Content_Types].xml" in names or "_rels/.rels" in names:
        for folder, mime in (("word/", DOCX), ("xl/", XLSX), ("ppt/", PPTX)):
            if any(n.startswith(folder) for n in names):
                return mime
    return None


# --------------------------------------------------------------------------- sniffing


def sniff_bytes(prefix: bytes | bytearray | memoryview, name: str | None = None) -> Sniffed:
    """Sniff content already in memory (only the first :data:`PREFIX_SIZE` bytes are used).

    Args:
        prefix: The start of the file (or all of it).
        name: The file name, to compare the content with its extension and as the fallback
            when libmagic is missing.

    Returns:
        What the content is, where that answer comes from and any remark for the user.
    """
    data = bytes(memoryview(prefix)[:PREFIX_SIZE])
    name_mime = mime_for_name(name)
    if not data:
        return Sniffed(EMPTY, "none", True, None, "there is no content (0 bytes)", name_mime)
    module, reason = _load_magic()
    if module is not None:
        try:
            mime = str(module.from_buffer(data, mime=True))
            description: str | None = str(module.from_buffer(data))
        except Exception as exc:  # noqa: BLE001 - any libmagic failure means "fall back"
            reason = f"libmagic failed ({exc})"
        else:
            return _from_content(mime, description, data, name, name_mime)
    return _from_name(name, name_mime, reason or "libmagic is not available")


def _from_name(name: str | None, name_mime: str | None, reason: str) -> Sniffed:
    if name_mime is None:
        ext = _extension(name)
        why = f"the extension {ext} is unknown" if ext else "the name has no extension"
        return Sniffed(OCTET_STREAM, "none", True, None, f"{reason} and {why}: type unknown", None)
    generic = name_mime in _ALWAYS_GENERIC
    return Sniffed(
        name_mime, "extension", generic, None, f"{reason}: guessed from the extension", name_mime
    )


def _from_content(
    mime: str, description: str | None, data: bytes, name: str | None, name_mime: str | None
) -> Sniffed:
    mime = _canonical(mime) or OCTET_STREAM
    if data.startswith(_LOCAL_HEADER) and mime in {OCTET_STREAM, "application/zip", "application/x-zip-compressed"}:
        refined = _office_mime(data)
        if refined is not None:
            mime = refined
    generic, note = _judge(mime, name, name_mime)
    return Sniffed(mime, "libmagic", generic, description, note, name_mime)


def _judge(mime: str, name: str | None, name_mime: str | None) -> tuple[bool, str | None]:
    """Whether ``mime`` (from the content) is generic, and what to tell the user about it."""
    ext = _extension(name)
    if name_mime in _ALWAYS_GENERIC:  # e.g. ".bin": the name promises nothing
        name_mime = None
    agrees = name_mime is None or _canonical(mime) == _canonical(name_mime)
    if mime in _ALWAYS_GENERIC:
        if mime in {EMPTY, "inode/x-empty"}:
            return True, "there is no content (0 bytes)"
        if name_mime is not None:
            return True, f"the name says {ext} but libmagic cannot tell what the content is ({mime})"
        return True, f"libmagic cannot tell what the content is ({mime})"
    if agrees:
        return False, None
    assert name_mime is not None and ext is not None
    if mime in _WEAK:
        if mime in _CONTAINER_FAMILY and name_mime in _CONTAINER_FAMILY[mime]:
            return True, (
                f"the content is a {_CONTAINERS[mime]} ({mime}) that may hold a {ext} file, "
                "but it could not be confirmed"
            )
        if mime == "text/plain" and _textual(name_mime):
            return True, f"libmagic only sees plain text; the name suggests {name_mime}"
        return True, f"the name says {ext} but the content looks like {mime}"
    return False, f"the name says {ext} but the content looks like {mime}"


def sniff_file(path: str | os.PathLike[str], *, name: str | None = None) -> Sniffed:
    """Sniff a file on disk from its first :data:`PREFIX_SIZE` bytes.

    The file is checked first (:func:`check_file`), so a directory, FIFO, device, empty or
    unreadable file raises :class:`~kombo_tui.core.errors.InputError` instead of blocking or
    reading forever. A huge (or sparse) file costs one bounded read.

    Args:
        path: The file.
        name: The name to judge the extension by (default: the path's last component, the
            name of a symlink rather than of its target).

    Returns:
        What the content is (see :class:`Sniffed`).

    Raises:
        InputError: The path is not a readable, non-empty regular file (field ``file``).
    """
    fd, _ = open_regular(path)
    try:
        data = read_prefix(fd, path, PREFIX_SIZE)
    finally:
        os.close(fd)
    return sniff_bytes(data, name if name is not None else os.path.basename(os.fspath(path)))


# --------------------------------------------------------------------------- type suggestion

_CV_WORDS = frozenset({"cv", "resume", "lebenslauf", "curriculum", "vitae"})
_COVER_WORDS = frozenset(
    {"cover", "coverletter", "anschreiben", "motivation", "motivationsschreiben", "lettre",
     "motivationletter", "motivationsbrief"}
)
_CV_SUFFIXES = ("lebenslauf",)
_COVER_SUFFIXES = ("anschreiben", "motivationsschreiben")
_WORD_RE = re.compile(r"[A-Z]+(?=[A-Z][a-z])|[A-Z]?[a-z]+|[A-Z]+|\d+")


def _words(file_name: str) -> list[str]:
    base = re.split(r"[\\/]", file_name)[-1]
    ext = _extension(base)
    if ext is not None:
        base = base[: -len(ext)]
    plain = "".join(
        c for c in unicodedata.normalize("NFKD", base) if not unicodedata.combining(c)
    ).replace("ß", "ss")
    return [w.lower() for w in _WORD_RE.findall(plain)]


def suggest_type(file_name: str) -> AttachmentType | None:
    """Suggest CV or COVER_LETTER from words in a file name (the user decides otherwise).

    Words are split on punctuation, digits and camelCase, compared case- and
    accent-insensitively: ``cv``, ``resume``/``résumé``, ``lebenslauf``, ``curriculum`` mean
    a CV; ``cover``/``coverletter``, ``anschreiben``, ``motivation``/``motivationsschreiben``,
    ``lettre`` mean a cover letter. German compounds ending in ``-lebenslauf`` or
    ``-anschreiben`` count too. A name with words of both kinds is ambiguous.

    Args:
        file_name: A file name or path, e.g. ``Jane_Doe_CV_2024.pdf``.

    Returns:
        The suggested type, or None when the name does not say (or says both).
    """
    words = _words(file_name)
    cv = any(w in _CV_WORDS or w.endswith(_CV_SUFFIXES) for w in words)
    cover = any(w in _COVER_WORDS or w.endswith(_COVER_SUFFIXES) for w in words)
    if cv and not cover:
        return AttachmentType.CV
    if cover and not cv:
        return AttachmentType.COVER_LETTER
    return None
