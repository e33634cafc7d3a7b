"""The one MIME vocabulary: extensions, spellings, families, short names, Kombo's pattern.

The sniffer, the payload checks, the app's short labels and the sandbox's accepted types all
read these tables, so a type is spelled one way everywhere: compare through :func:`canonical`.
RTF is ``application/rtf`` (IANA's registration; ``text/rtf`` is accepted as an alias).
"""

from __future__ import annotations

import functools
import mimetypes
import re

__all__ = [
    "CONTENT_TYPE_RE",
    "DOCX",
    "MIME_RE",
    "OCTET_STREAM",
    "canonical",
    "extension_of",
    "is_textual",
    "mime_for_name",
    "same_type",
    "short_name",
]

OCTET_STREAM = "application/octet-stream"
EMPTY = "application/x-empty"

DOCX = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
PPTX = "application/vnd.openxmlformats-officedocument.presentationml.presentation"

# Extensions that matter for CVs and cover letters, mapped explicitly so the answer does not
# depend on this machine's /etc/mime.types (Python's built-in table lacks .docx, .odt, ...).
_EXTENSION_MIME: dict[str, str] = {
    ".pdf": "application/pdf",
    ".doc": "application/msword",
    ".dot": "application/msword",
    ".docx": DOCX,
    ".dotx": "application/vnd.openxmlformats-officedocument.wordprocessingml.template",
    ".docm": "application/vnd.ms-word.document.macroEnabled.12",
    ".xls": "application/vnd.ms-excel",
    ".xlsx": XLSX,
    ".xlsm": "application/vnd.ms-excel.sheet.macroEnabled.12",
    ".ppt": "application/vnd.ms-powerpoint",
    ".pptx": PPTX,
    ".pptm": "application/vnd.ms-powerpoint.presentation.macroEnabled.12",
    ".odt": "application/vnd.oasis.opendocument.text",
    ".ott": "application/vnd.oasis.opendocument.text-template",
    ".ods": "application/vnd.oasis.opendocument.spreadsheet",
    ".odp": "application/vnd.oasis.opendocument.presentation",
    ".odg": "application/vnd.oasis.opendocument.graphics",
    ".rtf": "application/rtf",
    ".txt": "text/plain",
    ".text": "text/plain",
    ".md": "text/markdown",
    ".markdown": "text/markdown",
    ".csv": "text/csv",
    ".html": "text/html",
    ".htm": "text/html",
    ".xml": "application/xml",
    ".json": "application/json",
    ".png": "image/png",
    ".jpg": "image/jpeg",
    ".jpeg": "image/jpeg",
    ".jpe": "image/jpeg",
    ".gif": "image/gif",
    ".webp": "image/webp",
    ".heic": "image/heic",
    ".heif": "image/heif",
    ".tif": "image/tiff",
    ".tiff": "image/tiff",
    ".bmp": "image/bmp",
    ".svg": "image/svg+xml",
    ".zip": "application/zip",
    ".7z": "application/x-7z-compressed",
    ".rar": "application/vnd.rar",
    ".gz": "application/gzip",
    ".epub": "application/epub+zip",
    ".pages": "application/vnd.apple.pages",
    ".numbers": "application/vnd.apple.numbers",
    ".key": "application/vnd.apple.keynote",
    ".msg": "application/vnd.ms-outlook",
    ".eml": "message/rfc822",
    ".vcf": "text/vcard",
    ".mp4": "video/mp4",
    ".mov": "video/quicktime",
    ".mp3": "audio/mpeg",
}

# Spellings of the same type (libmagic and mimetypes do not always agree).
_ALIASES: dict[str, str] = {
    "text/rtf": "application/rtf",
    "text/richtext": "application/rtf",
    "text/xml": "application/xml",
    "application/x-zip-compressed": "application/zip",
    "application/x-zip": "application/zip",
    "image/jpg": "image/jpeg",
    "image/pjpeg": "image/jpeg",
    "image/x-png": "image/png",
    "image/x-ms-bmp": "image/bmp",
    "application/x-pdf": "application/pdf",
    "application/x-gzip": "application/gzip",
    "text/x-vcard": "text/vcard",
    "text/x-markdown": "text/markdown",
    "text/x-csv": "text/csv",
    "application/csv": "text/csv",
    "application/javascript": "text/javascript",
    "application/x-rar": "application/vnd.rar",
    "application/x-rar-compressed": "application/vnd.rar",
    "audio/x-wav": "audio/wav",
    "image/x-icon": "image/vnd.microsoft.icon",
}

# Never a useful answer on its own.
_ALWAYS_GENERIC = frozenset({OCTET_STREAM, EMPTY, "inode/x-empty", "application/x-unknown"})

# Correct but vague: generic when the name promises something more specific.
_CONTAINERS = {
    "application/zip": "ZIP archive",
    "application/x-ole-storage": "OLE compound document",
    "application/CDFV2": "OLE compound document",
    "application/vnd.ms-office": "Microsoft Office document",
}
_WEAK = frozenset({"text/plain", "application/xml", *_CONTAINERS})

# What each container may legitimately hold, by the MIME the name implies.
_ZIP_FAMILY = frozenset(
    {
        DOCX,
        XLSX,
        PPTX,
        _EXTENSION_MIME[".dotx"],
        _EXTENSION_MIME[".docm"],
        _EXTENSION_MIME[".xlsm"],
        _EXTENSION_MIME[".pptm"],
        _EXTENSION_MIME[".odt"],
        _EXTENSION_MIME[".ott"],
        _EXTENSION_MIME[".ods"],
        _EXTENSION_MIME[".odp"],
        _EXTENSION_MIME[".odg"],
        "application/epub+zip",
        "application/vnd.apple.pages",
        "application/vnd.apple.numbers",
        "application/vnd.apple.keynote",
    }
)
_OLE_FAMILY = frozenset(
    {"application/msword", "application/vnd.ms-excel", "application/vnd.ms-powerpoint",
     "application/vnd.ms-outlook"}
)
_CONTAINER_FAMILY = {
    "application/zip": _ZIP_FAMILY,
    "application/x-ole-storage": _OLE_FAMILY,
    "application/CDFV2": _OLE_FAMILY,
    "application/vnd.ms-office": _OLE_FAMILY,
}

_TEXTUAL_APPLICATION = frozenset(
    {"application/json", "application/xml", "text/javascript", "application/x-yaml",
     "application/yaml", "image/svg+xml"}
)

MIME_RE = re.compile(r"^[\w.+-]+/[\w.+-]+\Z", re.ASCII)
"""A MIME type as libmagic or a user may write it (``+`` allowed, e.g. ``image/svg+xml``)."""

CONTENT_TYPE_RE = re.compile(r"^[\w.-]+/[\w.-]+\Z", re.ASCII)
"""Kombo's pattern for ``attachment.content_type``. The spec's ``\\w`` is the JavaScript one:
ASCII letters, digits and ``_`` only; ``\\Z`` because Python's ``$`` would also accept a trailing
newline. The client's models and the sandbox's validator both use this."""


def extension_of(name: str | None) -> str | None:
    """The last suffix of ``name`` as written (``.PDF``), or None."""
    if not name:
        return None
    base = re.split(r"[\\/]", name)[-1]
    stem, dot, ext = base.rpartition(".")
    if not dot or not stem.strip(".") or not ext or " " in ext:
        return None
    return "." + ext


def mime_for_name(name: str | None) -> str | None:
    """The MIME type a file name implies, from its extension (case-insensitive).

    Uses a fixed table for the formats that matter here, then Python's built-in table (not
    the machine's ``/etc/mime.types``, so the answer is the same everywhere).

    Args:
        name: A file name or path.

    Returns:
        The MIME type, or None for no or an unknown extension.
    """
    ext = extension_of(name)
    if ext is None:
        return None
    lower = ext.lower()
    if lower in _EXTENSION_MIME:
        return _EXTENSION_MIME[lower]
    guessed, _ = _builtin_mimetypes().guess_type("x" + lower, strict=False)
    return guessed


@functools.lru_cache(maxsize=1)
def _builtin_mimetypes() -> mimetypes.MimeTypes:
    return mimetypes.MimeTypes()


def canonical(mime: str) -> str:
    """One spelling per type: ``text/rtf`` → ``application/rtf``, ``image/jpg`` → ``image/jpeg``."""
    mime = mime.strip()
    return _ALIASES.get(mime, _ALIASES.get(mime.lower(), mime))


def is_textual(mime: str) -> bool:
    """True for ``text/*`` and the application types that are text (JSON, XML, YAML, SVG)."""
    return mime.startswith("text/") or mime in _TEXTUAL_APPLICATION


_SHORT: dict[str, str] = {
    "application/pdf": "pdf",
    "application/msword": "doc",
    DOCX: "docx",
    "application/vnd.oasis.opendocument.text": "odt",
    "application/rtf": "rtf",
    "text/plain": "txt",
    "image/png": "png",
    "image/jpeg": "jpeg",
}


def short_name(mime: str) -> str:
    """A label for narrow places: ``docx`` for the long Word type, the MIME itself otherwise."""
    return _SHORT.get(canonical(mime), mime)


def same_type(a: str, b: str) -> bool:
    """Whether two MIME spellings name the same type (``text/rtf`` and ``application/rtf``)."""
    return canonical(a).lower() == canonical(b).lower()
