#!/usr/bin/env python3
"""Write the small demo files in ``assets/`` (standard library only, deterministic).

Run ``python assets/make_assets.py`` to regenerate them. The builders are also imported by
``tests/core/test_sniff.py`` so the tests and the demo files share one definition of
"a minimal valid PDF / DOCX / ODT / PNG".

Files written (each well under 20 KB):

- ``Jane_Doe_CV.pdf``: a real one-page PDF 1.4 with a few lines of text (Helvetica).
- ``Jane_Doe_Cover_Letter.docx``: a minimal valid Office Open XML word-processing document.
- ``portfolio.png``: a small valid PNG (a colour gradient).
- ``misleading-cv.pdf``: actually a PNG; demonstrates the lying-extension warning.
"""

from __future__ import annotations

import struct
import sys
import zipfile
import zlib
from pathlib import Path
from xml.sax.saxutils import escape

__all__ = [
    "make_docx",
    "make_gif",
    "make_jpeg",
    "make_odt",
    "make_pdf",
    "make_png",
    "main",
]

_ZIP_DATE = (2024, 1, 1, 0, 0, 0)
"""Fixed timestamp for ZIP entries so the output does not depend on the clock."""

CV_LINES = [
    "Jane Doe",
    "Senior Backend Engineer - Berlin, Germany",
    "jane.doe@example.com - +49 30 1234567",
    "",
    "Experience",
    "2020-today  Staff Engineer, Example GmbH: payments platform, Python, Postgres",
    "2016-2020   Backend Engineer, Sample AG: APIs for 40 ATS integrations",
    "",
    "Education",
    "2010-2016   M.Sc. Computer Science, TU Berlin",
    "",
    "Skills: Python, Go, SQL, distributed systems, technical writing",
]

COVER_LETTER_PARAGRAPHS = [
    "Dear Hiring Team,",
    "I am writing to apply for the Senior Backend Engineer position. For the past eight "
    "years I have built and operated APIs that connect HR systems, most recently a payments "
    "platform handling millions of requests a day.",
    "I would love to bring that experience to your team.",
    "Kind regards,",
    "Jane Doe",
]


# --------------------------------------------------------------------------- PDF


def _pdf_string(text: str) -> bytes:
    """A PDF literal string in WinAnsi-ish Latin-1, with ``\\``, ``(`` and ``)`` escaped."""
    raw = text.encode("latin-1", "replace")
    return b"(" + raw.replace(b"\\", b"\\\\").replace(b"(", b"\\(").replace(b")", b"\\)") + b")"


def make_pdf(lines: list[str] | None = None, *, title: str = "Jane Doe - CV") -> bytes:
    """A valid one-page PDF 1.4 (A4) showing ``lines`` in Helvetica, with a correct xref table.

    Args:
        lines: Text lines, top to bottom; defaults to a short CV.
        title: The document title stored in the info dictionary.

    Returns:
        The complete PDF file.
    """
    lines = CV_LINES if lines is None else lines
    ops = [b"BT", b"/F1 20 Tf", b"56 780 Td", b"24 TL"]
    for index, line in enumerate(lines):
        if index == 1:
            ops += [b"/F1 11 Tf", b"16 TL"]
        ops.append(_pdf_string(line) + b" Tj T*")
    ops.append(b"ET")
    content = b"\n".join(ops) + b"\n"

    objects = [
        b"<< /Type /Catalog /Pages 2 0 R >>",
        b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
        b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] "
        b"/Resources << /Font << /F1 4 0 R >> >> /Contents 5 0 R >>",
        b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica /Encoding /WinAnsiEncoding >>",
        b"<< /Length " + str(len(content)).encode() + b" >>\nstream\n" + content + b"endstream",
        b"<< /Title " + _pdf_string(title) + b" /Producer (kombo-tui make_assets.py) >>",
    ]
    out = bytearray(b"%PDF-1.4\n%\xe2\xe3\xcf\xd3\n")
    offsets = []
    for number, body in enumerate(objects, start=1):
        offsets.append(len(out))
        out += f"{number} 0 obj\n".encode() + body + b"\nendobj\n"
    xref_at = len(out)
    out += f"xref\n0 {len(objects) + 1}\n".encode()
    out += b"0000000000 65535 f \n"
    for offset in offsets:
        out += f"{offset:010d} 00000 n \n".encode()
    out += (
        f"trailer\n<< /Size {len(objects) + 1} /Root 1 0 R /Info {len(objects)} 0 R >>\n"
        f"startxref\n{xref_at}\n%%EOF\n"
    ).encode()
    return bytes(out)


# --------------------------------------------------------------------------- ZIP-based


def _zip(entries: list[tuple[str, bytes, int]]) -> bytes:
    """A ZIP with the entries in the given order: ``(name, data, compress_type)``."""
    import io

    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        for name, data, compress_type in entries:
            info = zipfile.ZipInfo(name, date_time=_ZIP_DATE)
            info.compress_type = compress_type
            info.external_attr = 0o644 << 16
            archive.writestr(info, data)
    return buffer.getvalue()


_D = zipfile.ZIP_DEFLATED
_S = zipfile.ZIP_STORED


def make_docx(paragraphs: list[str] | None = None, *, order: str = "word") -> bytes:
    """A minimal valid DOCX (Office Open XML word-processing document).

    Args:
        paragraphs: Paragraph texts; defaults to a short cover letter.
        order: ``"word"`` puts the parts in the order Microsoft Word writes them
            (``[Content_Types].xml``, ``_rels/.rels``, ``word/...``); ``"docprops"`` puts
            ``docProps/`` parts before ``word/`` as some other generators do, which is
            harder for libmagic to recognise from a prefix.

    Returns:
        The complete .docx file.
    """
    paragraphs = COVER_LETTER_PARAGRAPHS if paragraphs is None else paragraphs
    content_types = (
        '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
        '<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types">'
        '<Default Extension="rels" ContentType="application/vnd.openxmlformats-package.relationships+xml"/>'
        '<Default Extension="xml" ContentType="application/xml"/>'
        '<Override PartName="/word/document.xml" ContentType="application/vnd.openxmlformats-officedocument.wordprocessingml.document.main+xml"/>'
        '<Override PartName="/docProps/core.xml" ContentType="application/vnd.openxmlformats-package.core-properties+xml"/>'
        "</Types>"
    )
    rels = (
        '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
        '<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">'
        '<Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/officeDocument" Target="word/document.xml"/>'
        '<Relationship Id="rId2" Type="http://schemas.openxmlformats.org/package/2006/relationships/metadata/core-properties" Target="docProps/core.xml"/>'
        "</Relationships>"
    )
    body = "".join(
        f'<w:p><w:r><w:t xml:space="preserve">{escape(text)}</w:t></w:r></w:p>' for text in paragraphs
    )
    document = (
        '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
        '<w:document xmlns:w="http://schemas.openxmlformats.org/wordprocessingml/2006/main">'
        f"<w:body>{body}<w:sectPr/></w:body></w:document>"
    )
    core = (
        '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
        '<cp:coreProperties xmlns:cp="http://schemas.openxmlformats.org/package/2006/metadata/core-properties" '
        'xmlns:dc="http://purl.org/dc/elements/1.1/">'
        "<dc:title>Cover letter</dc:title><dc:creator>Jane Doe</dc:creator></cp:coreProperties>"
    )
    parts = {
        "ct": ("[Content_Types].xml", content_types.encode(), _D),
        "rels": ("_rels/.rels", rels.encode(), _D),
        "doc": ("word/document.xml", document.encode(), _D),
        "core": ("docProps/core.xml", core.encode(), _D),
    }
    if order == "word":
        keys = ["ct", "rels", "doc", "core"]
    elif order == "docprops":
        keys = ["core", "rels", "ct", "doc"]
    else:
        raise ValueError(f"unknown order {order!r}")
    return _zip([parts[k] for k in keys])


def make_odt(paragraphs: list[str] | None = None) -> bytes:
    """A minimal valid ODT (OpenDocument text): ``mimetype`` first and stored uncompressed.

    Args:
        paragraphs: Paragraph texts; defaults to a short cover letter.

    Returns:
        The complete .odt file.
    """
    paragraphs = COVER_LETTER_PARAGRAPHS if paragraphs is None else paragraphs
    mime = "application/vnd.oasis.opendocument.text"
    body = "".join(f"<text:p>{escape(text)}</text:p>" for text in paragraphs)
    content = (
        '<?xml version="1.0" encoding="UTF-8"?>\n'
        '<office:document-content xmlns:office="urn:oasis:names:tc:opendocument:xmlns:office:1.0" '
        'xmlns:text="urn:oasis:names:tc:opendocument:xmlns:text:1.0" office:version="1.2">'
        f"<office:body><office:text>{body}</office:text></office:body></office:document-content>"
    )
    manifest = (
        '<?xml version="1.0" encoding="UTF-8"?>\n'
        '<manifest:manifest xmlns:manifest="urn:oasis:names:tc:opendocument:xmlns:manifest:1.0" '
        'manifest:version="1.2">'
        f'<manifest:file-entry manifest:full-path="/" manifest:version="1.2" manifest:media-type="{mime}"/>'
        '<manifest:file-entry manifest:full-path="content.xml" manifest:media-type="text/xml"/>'
        "</manifest:manifest>"
    )
    return _zip(
        [
            ("mimetype", mime.encode(), _S),
            ("content.xml", content.encode(), _D),
            ("META-INF/manifest.xml", manifest.encode(), _D),
        ]
    )


# --------------------------------------------------------------------------- images


def _png_chunk(kind: bytes, data: bytes) -> bytes:
    return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))


def make_png(width: int = 64, height: int = 48) -> bytes:
    """A valid 8-bit RGB PNG showing a colour gradient.

    Args:
        width: Image width in pixels.
        height: Image height in pixels.

    Returns:
        The complete .png file.
    """
    rows = bytearray()
    for y in range(height):
        rows.append(0)  # filter: none
        for x in range(width):
            rows += bytes((x * 255 // max(width - 1, 1), y * 255 // max(height - 1, 1), 160))
    header = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    return (
        b"\x89PNG\r\n\x1a\n"
        + _png_chunk(b"IHDR", header)
        + _png_chunk(b"IDAT", zlib.compress(bytes(rows), 9))
        + _png_chunk(b"IEND", b"")
    )


def make_gif() -> bytes:
    """The classic valid 1x1 transparent GIF89a (43 bytes)."""
    return (
        b"GIF89a\x01\x00\x01\x00\x80\x00\x00\x00\x00\x00\xff\xff\xff"
        b"!\xf9\x04\x01\x00\x00\x00\x00"
        b",\x00\x00\x00\x00\x01\x00\x01\x00\x00\x02\x02D\x01\x00;"
    )


def make_jpeg() -> bytes:
    """A valid 8x8 grey baseline JPEG (JFIF), encoded by hand.

    One component, a quantisation table of ones, and one-symbol Huffman tables: the only
    block has DC difference 0 (category 0, code ``0``) followed by end-of-block (code ``0``),
    so the entropy-coded scan is the single byte ``0b00111111`` (two zero bits, padded with
    ones). Every pixel decodes to 128.
    """

    def segment(marker: int, payload: bytes) -> bytes:
        return bytes((0xFF, marker)) + struct.pack(">H", len(payload) + 2) + payload

    one_code_of_length_1 = bytes([1] + [0] * 15)
    return (
        b"\xff\xd8"
        + segment(0xE0, b"JFIF\x00\x01\x01\x00\x00\x01\x00\x01\x00\x00")
        + segment(0xDB, b"\x00" + b"\x01" * 64)
        + segment(0xC0, b"\x08" + struct.pack(">HH", 8, 8) + b"\x01\x01\x11\x00")
        + segment(0xC4, b"\x00" + one_code_of_length_1 + b"\x00")  # DC table 0: symbol 0
        + segment(0xC4, b"\x10" + one_code_of_length_1 + b"\x00")  # AC table 0: EOB
        + segment(0xDA, b"\x01\x01\x00\x00\x3f\x00")
        + b"\x3f"
        + b"\xff\xd9"
    )


# --------------------------------------------------------------------------- main


def main(target: Path | None = None) -> list[Path]:
    """Write the demo files into ``target`` (default: this script's folder).

    Args:
        target: Destination folder.

    Returns:
        The paths written.
    """
    target = Path(__file__).resolve().parent if target is None else target
    target.mkdir(parents=True, exist_ok=True)
    files = {
        "Jane_Doe_CV.pdf": make_pdf(),
        "Jane_Doe_Cover_Letter.docx": make_docx(),
        "portfolio.png": make_png(),
        "misleading-cv.pdf": make_png(32, 32),
    }
    written = []
    for name, data in files.items():
        path = target / name
        path.write_bytes(data)
        written.append(path)
    return written


if __name__ == "__main__":
    for written_path in main(Path(sys.argv[1]) if len(sys.argv) > 1 else None):
        print(f"{written_path} ({written_path.stat().st_size} bytes)")
