"""ZIP packages for the sniff and ooxml tests, built with :mod:`zipfile` (never byte by byte)."""

from __future__ import annotations

import io
import os
import zipfile

DOCX = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
PPTX = "application/vnd.openxmlformats-officedocument.presentationml.presentation"
DOCM = "application/vnd.ms-word.document.macroEnabled.12"
ODT = "application/vnd.oasis.opendocument.text"
ODS = "application/vnd.oasis.opendocument.spreadsheet"
EPUB = "application/epub+zip"

D, S = zipfile.ZIP_DEFLATED, zipfile.ZIP_STORED

Entry = tuple[str, bytes, int]


class _Unseekable(io.RawIOBase):
    """A sink zipfile cannot seek back in, so it writes sizes in data descriptors."""

    def __init__(self) -> None:
        self.data = bytearray()

    def writable(self) -> bool:
        return True

    def write(self, b: bytes) -> int:  # type: ignore[override]
        self.data += b
        return len(b)


def build_zip(entries: list[Entry], *, streamed: bool = False, zip64: bool = False) -> bytes:
    """A ZIP with ``entries`` (name, content, method) in this order.

    Args:
        entries: The parts, in the order they are written.
        streamed: Write each part's sizes in a data descriptor after it (as a streaming
            writer does) instead of in its local header.
        zip64: Write ZIP64 extra fields for every part.
    """
    sink: io.BytesIO | _Unseekable = _Unseekable() if streamed else io.BytesIO()
    with zipfile.ZipFile(sink, "w") as archive:
        for name, data, method in entries:
            info = zipfile.ZipInfo(name, date_time=(2024, 1, 1, 0, 0, 0))
            info.compress_type = method
            with archive.open(info, "w", force_zip64=zip64) as handle:
                handle.write(data)
    return bytes(sink.data) if isinstance(sink, _Unseekable) else sink.getvalue()


def content_types(main: str, part: str, *, padding: int = 0) -> bytes:
    """An OOXML ``[Content_Types].xml`` naming ``part`` as the main part of type ``main``.

    Args:
        main: The main part's type without ``.main+xml``.
        part: The main part's name (``word/document.xml``).
        padding: Bytes of XML comment to add before the closing tag.
    """
    return (
        '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
        '<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types">'
        '<Default Extension="rels" ContentType="application/vnd.openxmlformats-package.relationships+xml"/>'
        '<Default Extension="jpeg" ContentType="image/jpeg"/>'
        f'<Override PartName="/{part}" ContentType="{main}.main+xml"/>'
        + (f"<!--{'x' * padding}-->" if padding else "")
        + "</Types>"
    ).encode()


def thumbnail(size: int) -> bytes:
    """``size`` bytes that start like a JPEG and do not compress."""
    return b"\xff\xd8\xff\xe0\x00\x10JFIF\x00" + os.urandom(max(0, size - 11))


def ooxml(
    main: str = DOCX, part: str = "word/document.xml", *, first: list[Entry] | None = None,
    middle: list[Entry] | None = None, last: list[Entry] | None = None, padding: int = 0,
    streamed: bool = False, zip64: bool = False,
) -> bytes:
    """An OOXML package: ``first``, ``[Content_Types].xml``, ``_rels/.rels``, ``middle``, the body, ``last``.

    Args:
        main: The main part's type without ``.main+xml`` (DOCX by default).
        part: The main part's name.
        first: Parts written before everything else.
        middle: Parts written between the package parts and the body (e.g. a thumbnail).
        last: Parts written after the body.
        padding: See :func:`content_types`.
        streamed: See :func:`build_zip`.
        zip64: See :func:`build_zip`.
    """
    entries = [
        *(first or []),
        ("[Content_Types].xml", content_types(main, part, padding=padding), D),
        ("_rels/.rels", b"<Relationships/>", D),
        *(middle or []),
        (part, b"<document/>", D),
        *(last or []),
    ]
    return build_zip(entries, streamed=streamed, zip64=zip64)


def ooxml_with_thumbnail(main: str, part: str, *, streamed: bool = False) -> bytes:
    """OOXML as some writers (e.g. Word for Mac) lay it out: a 9 kB thumbnail before the body.

    libmagic only scans a few KB between local headers, so it cannot see ``word/`` and
    answers ``application/zip``.
    """
    return ooxml(main, part, middle=[("docProps/thumbnail.jpeg", thumbnail(9000), S)], streamed=streamed)


def docx_with_a_thumbnail_first(size: int) -> bytes:
    """A DOCX whose first part is a stored thumbnail of ``size`` bytes (before every package part)."""
    return ooxml(first=[("docProps/thumbnail.jpeg", thumbnail(size), S)])


def docx_with_extra_parts(count: int) -> bytes:
    """A DOCX (thumbnail before the body, so libmagic says ZIP) with ``count`` more empty parts."""
    extra = [(f"customXml/item{i}.xml", b"", S) for i in range(count)]
    return ooxml(middle=[("docProps/thumbnail.jpeg", thumbnail(9000), S)], last=extra)


def docx_with_padded_content_types(padding: int) -> bytes:
    """A DOCX (thumbnail before the body) whose ``[Content_Types].xml`` is ``padding`` bytes longer."""
    return ooxml(middle=[("docProps/thumbnail.jpeg", thumbnail(9000), S)], padding=padding)


def odt_with_deflated_mimetype() -> bytes:
    """An ODT whose ``mimetype`` entry is compressed (against the spec; libmagic gives up)."""
    return build_zip([("mimetype", ODT.encode(), D), ("content.xml", b"<x/>", D)])


def plain_zip() -> bytes:
    """A ZIP that is no document: a text file and a (stored) picture."""
    return build_zip([("notes.txt", b"hello", D), ("photo.jpeg", thumbnail(300), S)])
