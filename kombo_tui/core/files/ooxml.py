"""Which document format is this ZIP? (DOCX, XLSX, PPTX, their macro variants, ODF, EPUB)

libmagic looks only at the first few local headers of a ZIP, so an Office file whose first
part is a thumbnail, a font or anything but ``[Content_Types].xml`` / ``word/`` comes back as
a generic ``application/zip``. :func:`refine` asks the ZIP's central directory instead, with
stdlib :mod:`zipfile`, so the order of the parts, ZIP64 and streamed entries do not matter:

1. a ``mimetype`` part among the first three (ODF and EPUB store their MIME there);
2. the main part's content type in ``[Content_Types].xml`` (OOXML);
3. a ``word/``, ``xl/`` or ``ppt/`` folder next to ``[Content_Types].xml`` or ``_rels/.rels``.

A ZIP is hostile input, so the work is bounded: all reads together stay under
:data:`READ_BUDGET` (checked *before* each read: zipfile trusts the sizes the archive claims),
an archive listing more than :data:`MAX_ENTRIES` parts or a part bigger than
:data:`MAX_PART_SIZE` is not refined, and a corrupt, encrypted or truncated archive is simply
not refined: :func:`refine` answers None and never raises.
"""

from __future__ import annotations

import os
import re
import zipfile
from typing import BinaryIO

from .mime import DOCX, MIME_RE, PPTX, XLSX

__all__ = ["MAX_ENTRIES", "MAX_PART_SIZE", "READ_BUDGET", "refine"]

MAX_ENTRIES = 10_000
"""More parts than this in the central directory: not a document, do not refine."""

MAX_PART_SIZE = 256 * 1024
"""The largest ``mimetype`` or ``[Content_Types].xml`` part read (uncompressed bytes)."""

READ_BUDGET = 4 * 1024 * 1024
"""The most bytes :func:`refine` reads from the file, all reads together."""

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
_FOLDERS = (("word/", DOCX), ("xl/", XLSX), ("ppt/", PPTX))


class _Refused(Exception):
    """The archive asks for more work than a document should need."""


class _Budgeted:
    """A read-only view of a seekable binary file that reads at most ``budget`` bytes in all."""

    def __init__(self, raw: BinaryIO, budget: int) -> None:
        self._raw = raw
        self._left = budget

    def read(self, n: int | None = -1) -> bytes:
        if n is None or n < 0:
            here = self._raw.tell()
            n = self._raw.seek(0, os.SEEK_END) - here
            self._raw.seek(here)
        if n > self._left:
            raise _Refused(f"a read of {n} bytes is over the budget")
        data = self._raw.read(n)
        self._left -= len(data)
        return data

    def seek(self, offset: int, whence: int = os.SEEK_SET) -> int:
        return self._raw.seek(offset, whence)

    def tell(self) -> int:
        return self._raw.tell()

    def seekable(self) -> bool:
        return True


def refine(file: BinaryIO) -> str | None:
    """The specific MIME of a document packaged as a ZIP, or None when it cannot be told.

    Args:
        file: The whole ZIP, open for binary reading and seekable: a regular file opened by
            :func:`kombo_tui.core.files.checks.open_regular` (``os.fdopen(fd, "rb", closefd=False)``)
            or an :class:`io.BytesIO`. Its position is not restored.

    Returns:
        E.g. the DOCX, ``application/vnd.ms-word.document.macroEnabled.12`` or
        ``application/vnd.oasis.opendocument.text`` type; None for any other ZIP, an archive
        over the limits above, or one that is corrupt, truncated or encrypted.
    """
    try:
        with zipfile.ZipFile(_Budgeted(file, READ_BUDGET)) as archive:
            return _identify(archive)
    except Exception:  # noqa: BLE001 - hostile bytes raise BadZipFile, EOFError, zlib.error, NotImplementedError, RuntimeError (encrypted), UnicodeDecodeError, _Refused…: no refinement
        return None


def _identify(archive: zipfile.ZipFile) -> str | None:
    parts = archive.infolist()
    if len(parts) > MAX_ENTRIES:
        return None
    for info in parts[:3]:
        if info.filename == "mimetype":
            text = _read(archive, info).decode("ascii", "replace").strip()
            if MIME_RE.match(text):
                return text
    names = {info.filename: info for info in parts}
    if "[Content_Types].xml" in names:
        for match in _MAIN_PART_RE.finditer(_read(archive, names["[Content_Types].xml"])):
            main = match.group(1).decode("ascii")
            if main.startswith("application/vnd.openxmlformats-officedocument."):
                return main
            if main in _MACRO_MAIN_PARTS:
                return _MACRO_MAIN_PARTS[main]
    if "[Content_Types].xml" in names or "_rels/.rels" in names:
        for folder, mime in _FOLDERS:
            if any(name.startswith(folder) for name in names):
                return mime
    return None


def _read(archive: zipfile.ZipFile, info: zipfile.ZipInfo) -> bytes:
    """A whole part of at most :data:`MAX_PART_SIZE` bytes (however large it claims to be)."""
    if info.file_size > MAX_PART_SIZE:
        raise _Refused(f"{info.filename} claims {info.file_size} bytes")
    with archive.open(info) as part:
        data = part.read(MAX_PART_SIZE + 1)
    if len(data) > MAX_PART_SIZE:
        raise _Refused(f"{info.filename} is over {MAX_PART_SIZE} bytes")
    return data
