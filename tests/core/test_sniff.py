"""Tests for kombo_tui.core.files.sniff: MIME detection, ZIP refinement, type suggestion.

Every file is built here (or by ``assets/make_assets.py``, loaded by path) in a temporary
directory; the committed demo files in ``assets/`` are checked as well. libmagic (Debian
``libmagic1``) is expected on this machine; its absence is simulated, never skipped.
"""

from __future__ import annotations

import hashlib
import importlib.abc
import importlib.util
import io
import os
import struct
import subprocess
import sys
import zipfile
import zlib
from pathlib import Path
from types import ModuleType, SimpleNamespace
from xml.etree import ElementTree

import pytest

from kombo_tui.core.files import checks as files
from kombo_tui.core.files import mime as mime_module
from kombo_tui.core.files import naming, sniff
from kombo_tui.core.files.checks import check_file
from kombo_tui.core.files.naming import suggest_type
from kombo_tui.core.files.sniff import (
    PREFIX_SIZE,
    Sniffed,
    magic_available,
    mime_for_name,
    sniff_bytes,
    sniff_file,
)
from kombo_tui.core.models import AttachmentType

from .zips import (
    DOCM,
    DOCX,
    ODT,
    PPTX,
    XLSX,
    D,
    S,
    build_zip,
    docx_with_a_thumbnail_first,
    docx_with_extra_parts,
    docx_with_padded_content_types,
    odt_with_deflated_mimetype,
    ooxml_with_thumbnail,
    plain_zip,
)

REPO = Path(__file__).resolve().parents[2]
ASSETS = REPO / "assets"


def _load_make_assets() -> ModuleType:
    spec = importlib.util.spec_from_file_location("make_assets", ASSETS / "make_assets.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


make_assets = _load_make_assets()


@pytest.fixture(autouse=True)
def _fresh_magic_loader() -> object:
    """Each test sees a freshly probed libmagic (some tests simulate its absence)."""
    loader = sniff._load_magic  # the real, cached one (tests may swap the attribute)
    loader.cache_clear()
    yield
    loader.cache_clear()


RTF = rb"{\rtf1\ansi\deff0 {\fonttbl {\f0 Times New Roman;}} \f0\fs24 Jane Doe\par Curriculum Vitae\par }"
HTML = b"<!DOCTYPE html>\n<html><head><title>Jane Doe</title></head><body><h1>CV</h1></body></html>\n"
TEXT = b"Jane Doe\nSenior Backend Engineer\nBerlin, Germany\n"
TEXT_DE = "Jürgen Müller – Lebenslauf\nMünchen, Deutschland\n".encode()


def _libmagic_mime(data: bytes) -> str:
    """What libmagic says about the part of ``data`` that sniffing shows it."""
    import magic

    return str(magic.from_buffer(data[:PREFIX_SIZE], mime=True))


def _write(tmp_path: Path, name: str, data: bytes) -> Path:
    path = tmp_path / name
    path.write_bytes(data)
    return path


# --------------------------------------------------------------------------- sniffing real files


def test_libmagic_is_available_on_this_machine() -> None:
    # DESIGN §6: libmagic1 is installed on our machines; everything below relies on it.
    assert magic_available() is True


# (file name, content, expected mime, generic, piece of the note or None)
REAL_FILES = [
    ("Jane_Doe_CV.pdf", make_assets.make_pdf(), "application/pdf", False, None),
    ("cover_letter.docx", make_assets.make_docx(), DOCX, False, None),
    ("cover_letter_b.docx", make_assets.make_docx(order="docprops"), DOCX, False, None),
    ("letter.odt", make_assets.make_odt(), ODT, False, None),
    ("portfolio.png", make_assets.make_png(), "image/png", False, None),
    ("photo.jpg", make_assets.make_jpeg(), "image/jpeg", False, None),
    ("photo.JPEG", make_assets.make_jpeg(), "image/jpeg", False, None),
    ("pixel.gif", make_assets.make_gif(), "image/gif", False, None),
    ("cv.txt", TEXT, "text/plain", False, None),
    ("lebenslauf.txt", TEXT_DE, "text/plain", False, None),
    ("cv.rtf", RTF, "application/rtf", False, None),
    ("cv.html", HTML, "text/html", False, None),
    ("bundle.zip", plain_zip(), "application/zip", False, None),
    ("no_extension", make_assets.make_pdf(), "application/pdf", False, None),
    ("weird.xyz", make_assets.make_pdf(), "application/pdf", False, None),
    # Lying or weak names.
    ("cv.pdf", make_assets.make_png(), "image/png", False, "the name says .pdf but the content looks like image/png"),
    ("cv.PDF", TEXT, "text/plain", True, "the name says .PDF but the content looks like text/plain"),
    ("letter.docx", make_assets.make_pdf(), "application/pdf", False, "the name says .docx"),
    ("notes.md", b"# Jane Doe\n\n- Python\n", "text/plain", True, "the name suggests text/markdown"),
    ("letter.docx", plain_zip(), "application/zip", True, "may hold a .docx file, but it could not be confirmed"),
    ("cv.pdf", bytes(4096), "application/octet-stream", True, "the name says .pdf but libmagic cannot tell"),
    ("blob", bytes(4096), "application/octet-stream", True, "libmagic cannot tell what the content is"),
]


@pytest.mark.parametrize(
    ("name", "data", "mime", "generic", "note"),
    REAL_FILES,
    ids=[f"{i}-{case[0]}" for i, case in enumerate(REAL_FILES)],
)
def test_sniff_file_real_content(
    tmp_path: Path, name: str, data: bytes, mime: str, generic: bool, note: str | None
) -> None:
    result = sniff_file(_write(tmp_path, name, data))
    assert result.mime == mime
    assert result.source == "libmagic"
    assert result.is_guess is False
    assert result.generic is generic
    assert result.description  # libmagic's text is always there
    if note is None:
        assert result.note is None
    else:
        assert result.note is not None and note in result.note
    assert result.name_mime == mime_for_name(name)


def test_sniff_descriptions_are_libmagic_text(tmp_path: Path) -> None:
    assert sniff_file(_write(tmp_path, "a.pdf", make_assets.make_pdf())).description == (
        "PDF document, version 1.4, 1 pages"
    )
    assert sniff_file(_write(tmp_path, "a.png", make_assets.make_png(64, 48))).description == (
        "PNG image data, 64 x 48, 8-bit/color RGB, non-interlaced"
    )


def test_name_argument_overrides_the_path_name(tmp_path: Path) -> None:
    path = _write(tmp_path, "upload.tmp", make_assets.make_png())
    result = sniff_file(path, name="Jane_Doe_CV.pdf")
    assert result.mime == "image/png"
    assert result.note == "the name says .pdf but the content looks like image/png"


def test_symlink_is_judged_by_its_own_name(tmp_path: Path) -> None:
    target = _write(tmp_path, "blob-1234", make_assets.make_png())
    link = tmp_path / "cv.pdf"
    link.symlink_to(target)
    result = sniff_file(link)
    assert result.mime == "image/png"
    assert result.note is not None and ".pdf" in result.note


# --------------------------------------------------------------------------- refinement of ZIPs

REFINED = [
    ("thumbnail.docx", lambda: ooxml_with_thumbnail(DOCX, "word/document.xml"), DOCX),
    ("thumbnail-streamed.docx", lambda: ooxml_with_thumbnail(DOCX, "word/document.xml", streamed=True), DOCX),
    ("thumbnail-first-100kB.docx", lambda: docx_with_a_thumbnail_first(100_000), DOCX),
    ("thumbnail.xlsx", lambda: ooxml_with_thumbnail(XLSX, "xl/workbook.xml"), XLSX),
    ("thumbnail.pptx", lambda: ooxml_with_thumbnail(PPTX, "ppt/presentation.xml"), PPTX),
    ("macros.docm", lambda: ooxml_with_thumbnail("application/vnd.ms-word.document.macroEnabled", "word/document.xml"), DOCM),
    ("deflated-mimetype.odt", odt_with_deflated_mimetype, ODT),
    (
        "rels-first.docx",
        lambda: build_zip([("_rels/.rels", b"<r/>", D), ("word/document.xml", b"<w/>", D), ("x.bin", os.urandom(9000), S)]),
        DOCX,
    ),
]


@pytest.mark.parametrize(("name", "build", "mime"), REFINED, ids=[r[0] for r in REFINED])
def test_office_files_libmagic_calls_zip_are_refined(tmp_path: Path, name: str, build, mime: str) -> None:  # type: ignore[no-untyped-def]
    data = build()
    # The premise: libmagic alone is too vague here (if this starts failing, libmagic improved).
    assert _libmagic_mime(data) == "application/zip"
    result = sniff_file(_write(tmp_path, name, data))
    assert (result.mime, result.source, result.generic, result.note) == (mime, "libmagic", False, None)
    assert sniff_bytes(data, name) == result


def test_a_docx_whose_first_part_is_a_100kb_thumbnail_is_a_docx(tmp_path: Path) -> None:
    """Review §3.5: the part before [Content_Types].xml and word/ is bigger than the 64 KiB
    prefix, which the old local-header walker never got past (it answered generic ZIP)."""
    data = docx_with_a_thumbnail_first(100_000)
    assert len(data) > 100_000 > PREFIX_SIZE
    with zipfile.ZipFile(io.BytesIO(data)) as archive:
        assert archive.namelist()[0] == "docProps/thumbnail.jpeg"
        assert archive.testzip() is None
    result = sniff_file(_write(tmp_path, "Jane_Doe_CV.docx", data))
    assert (result.mime, result.generic, result.note) == (DOCX, False, None)


def test_sniff_bytes_refines_only_a_whole_zip() -> None:
    data = ooxml_with_thumbnail(DOCX, "word/document.xml")
    assert sniff_bytes(data, "letter.docx").mime == DOCX
    # The beginning of the same file (everything but the end of its central directory): libmagic
    # still says ZIP, and without the directory nothing is refined.
    for cut in (len(data) // 2, len(data) - 1):
        result = sniff_bytes(data[:cut], "letter.docx")
        assert (result.mime, result.generic) == ("application/zip", True)
        assert result.note is not None and "could not be confirmed" in result.note


@pytest.mark.parametrize("cut", ["inside-the-mimetype-part", "before-the-directory", "inside-the-directory"])
def test_a_truncated_zip_is_not_refined(cut: str) -> None:
    data = odt_with_deflated_mimetype()
    with zipfile.ZipFile(io.BytesIO(data)) as archive:
        mimetype = archive.getinfo("mimetype")
        directory = archive.start_dir
    at = {
        "inside-the-mimetype-part": mimetype.header_offset + 30 + len("mimetype") + mimetype.compress_size // 2,
        "before-the-directory": directory,
        "inside-the-directory": directory + 20,
    }[cut]
    result = sniff_bytes(data[:at], "letter.odt")
    assert result.mime in {"application/zip", "application/octet-stream"}
    assert result.generic is True


def _damaged_content_types(data: bytes) -> bytes:
    """Flip one byte in the middle of the compressed [Content_Types].xml (the CRC no longer matches)."""
    with zipfile.ZipFile(io.BytesIO(data)) as archive:
        info = archive.getinfo("[Content_Types].xml")
    at = info.header_offset + 30 + len(info.filename) + len(info.extra) + info.compress_size // 2
    return data[:at] + bytes([data[at] ^ 0xFF]) + data[at + 1 :]


CORRUPT = {
    "truncated-end-record": lambda data: data[:-10],
    "directory-signature-overwritten": lambda data: data.replace(b"PK\x01\x02", b"XX\x01\x02", 1),
    "content-types-crc-mismatch": _damaged_content_types,
}


@pytest.mark.parametrize("damage", CORRUPT, ids=list(CORRUPT))
def test_a_corrupt_zip_gets_the_generic_answer_without_raising(tmp_path: Path, damage: str) -> None:
    data = CORRUPT[damage](ooxml_with_thumbnail(DOCX, "word/document.xml"))
    assert _libmagic_mime(data) == "application/zip"
    for result in (sniff_file(_write(tmp_path, "letter.docx", data)), sniff_bytes(data, "letter.docx")):
        assert (result.mime, result.source, result.generic) == ("application/zip", "libmagic", True)
        assert result.note == (
            "the content is a ZIP archive (application/zip) that may hold a .docx file, but it could not be confirmed"
        )


def test_a_zip_over_the_limits_is_not_refined(tmp_path: Path) -> None:
    from kombo_tui.core.files import ooxml

    too_many_parts = docx_with_extra_parts(ooxml.MAX_ENTRIES)
    huge_content_types = docx_with_padded_content_types(ooxml.MAX_PART_SIZE)
    for data in (too_many_parts, huge_content_types):
        assert _libmagic_mime(data) == "application/zip"
        result = sniff_file(_write(tmp_path, "letter.docx", data))
        assert (result.mime, result.generic) == ("application/zip", True)


def test_zip_with_a_word_folder_but_no_package_parts_stays_zip(tmp_path: Path) -> None:
    # (libmagic itself calls any ZIP whose *first* entry is under word/ a DOCX; ours needs
    # [Content_Types].xml or _rels/.rels as well.)
    data = build_zip([("readme.txt", b"hi", D), ("word/b.txt", b"b", D), ("xl/c.txt", b"c", D)])
    assert _libmagic_mime(data) == "application/zip"
    result = sniff_file(_write(tmp_path, "archive.zip", data))
    assert (result.mime, result.generic, result.note) == ("application/zip", False, None)


def test_docx_renamed_to_pdf_is_flagged(tmp_path: Path) -> None:
    result = sniff_file(_write(tmp_path, "cv.pdf", ooxml_with_thumbnail(DOCX, "word/document.xml")))
    assert result.mime == DOCX
    assert result.note == f"the name says .pdf but the content looks like {DOCX}"


# --------------------------------------------------------------------------- sniff_bytes


def test_sniff_bytes_gives_libmagic_the_prefix_and_zipfile_only_a_whole_zip(monkeypatch: pytest.MonkeyPatch) -> None:
    import magic

    from kombo_tui.core.files import ooxml

    seen: list[int] = []
    refined: list[int] = []
    real_refine = ooxml.refine

    def recording(data: bytes, mime: bool = False) -> str:
        seen.append(len(data))
        return str(magic.from_buffer(data, mime=mime))

    def recording_refine(file: io.BytesIO) -> str | None:
        refined.append(len(file.getbuffer()))
        return real_refine(file)

    monkeypatch.setattr(sniff, "_load_magic", lambda: (SimpleNamespace(from_buffer=recording), None))
    monkeypatch.setattr(ooxml, "refine", recording_refine)
    text_then_binary = b"Jane Doe from Berlin.\n" * (PREFIX_SIZE // 22 + 1) + bytes(range(256)) * 4096
    for given in (text_then_binary, memoryview(text_then_binary), bytearray(text_then_binary)):
        assert sniff_bytes(given, "cv.txt").mime == "text/plain"
    assert seen and set(seen) == {PREFIX_SIZE}
    assert refined == []  # not a ZIP: zipfile is never asked
    seen.clear()
    docx = docx_with_a_thumbnail_first(100_000)
    for given in (docx, memoryview(docx), bytearray(docx)):
        assert sniff_bytes(given, "cv.docx").mime == DOCX
    assert set(seen) == {PREFIX_SIZE}
    assert refined == [len(docx)] * 3  # the whole ZIP


def test_sniff_bytes_empty() -> None:
    result = sniff_bytes(b"", "cv.pdf")
    assert (result.mime, result.source, result.generic) == ("application/x-empty", "none", True)
    assert result.is_guess and result.note == "there is no content (0 bytes)"


def test_sniffed_is_frozen() -> None:
    result = sniff_bytes(b"%PDF-1.4\n", "a.pdf")
    with pytest.raises(AttributeError):
        result.mime = "x/y"  # type: ignore[misc]
    assert Sniffed("a/b", "extension", False).is_guess is True
    assert Sniffed("a/b", "none", True).is_guess is True
    assert Sniffed("a/b", "libmagic", False).is_guess is False


# --------------------------------------------------------------------------- without libmagic


def test_extension_fallback_when_libmagic_is_missing(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(sniff, "_load_magic", lambda: (None, "libmagic is not installed"))
    assert magic_available() is False
    # The content is a PNG, but without libmagic only the name can be used: a guess, said so.
    result = sniff_file(_write(tmp_path, "Jane_Doe_CV.pdf", make_assets.make_png()))
    assert result == Sniffed(
        mime="application/pdf",
        source="extension",
        generic=False,
        description=None,
        note="libmagic is not installed: guessed from the extension",
        name_mime="application/pdf",
    )
    assert result.is_guess
    docx = sniff_file(_write(tmp_path, "letter.DOCX", make_assets.make_docx()))
    assert (docx.mime, docx.source) == (DOCX, "extension")
    odt = sniff_bytes(b"whatever", "letter.odt")
    assert odt.mime == ODT


def test_fallback_without_a_usable_name(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(sniff, "_load_magic", lambda: (None, "libmagic is not installed"))
    for name, why in (("README", "the name has no extension"), ("data.qqqz", "the extension .qqqz is unknown")):
        result = sniff_file(_write(tmp_path, name, b"hello"))
        assert (result.mime, result.source, result.generic) == ("application/octet-stream", "none", True)
        assert result.is_guess
        assert result.note == f"libmagic is not installed and {why}: type unknown"


def _forget_magic(monkeypatch: pytest.MonkeyPatch) -> None:
    for module in [m for m in sys.modules if m == "magic" or m.startswith("magic.")]:
        monkeypatch.delitem(sys.modules, module)


def test_loader_reports_missing_libmagic(monkeypatch: pytest.MonkeyPatch) -> None:
    """The real python-magic import path when the C library is absent: ImportError."""
    import ctypes
    import ctypes.util

    _forget_magic(monkeypatch)
    monkeypatch.setattr(ctypes.util, "find_library", lambda name: None)

    def no_library(*args: object, **kwargs: object) -> None:
        raise OSError("libmagic.so.1: cannot open shared object file")

    monkeypatch.setattr(ctypes, "CDLL", no_library)
    assert sniff._load_magic() == (None, "libmagic is not installed")
    assert magic_available() is False
    result = sniff_bytes(make_assets.make_pdf(), "cv.pdf")
    assert (result.source, result.note) == ("extension", "libmagic is not installed: guessed from the extension")


def test_loader_reports_missing_python_magic(monkeypatch: pytest.MonkeyPatch) -> None:
    _forget_magic(monkeypatch)
    monkeypatch.setitem(sys.modules, "magic", None)  # import magic -> ImportError
    assert sniff._load_magic() == (None, "python-magic is not installed")
    assert sniff_bytes(b"x", "a.png").note == "python-magic is not installed: guessed from the extension"


@pytest.mark.parametrize("error", [OSError("no libmagic"), AttributeError("magic_open")])
def test_loader_survives_oserror_and_attributeerror_on_import(
    monkeypatch: pytest.MonkeyPatch, error: Exception
) -> None:
    class Exploding(importlib.abc.MetaPathFinder):
        def find_spec(self, fullname: str, path: object, target: object = None) -> None:
            if fullname == "magic":
                raise error
            return None

    _forget_magic(monkeypatch)
    monkeypatch.setattr(sys, "meta_path", [Exploding(), *sys.meta_path])
    module, reason = sniff._load_magic()
    assert module is None and reason is not None and reason.startswith("libmagic could not be loaded")
    assert sniff_bytes(b"x", "a.pdf").source == "extension"


def test_loader_survives_a_broken_magic_database(monkeypatch: pytest.MonkeyPatch) -> None:
    def broken(*args: object, **kwargs: object) -> str:
        raise RuntimeError("could not find any valid magic files!")

    _forget_magic(monkeypatch)
    monkeypatch.setitem(sys.modules, "magic", SimpleNamespace(from_buffer=broken))
    module, reason = sniff._load_magic()
    assert module is None and reason == "libmagic does not work here (could not find any valid magic files!)"


def test_runtime_libmagic_failure_falls_back(monkeypatch: pytest.MonkeyPatch) -> None:
    def fails(data: bytes, mime: bool = False) -> str:
        raise RuntimeError("boom")

    monkeypatch.setattr(sniff, "_load_magic", lambda: (SimpleNamespace(from_buffer=fails), None))
    result = sniff_bytes(make_assets.make_pdf(), "cv.pdf")
    assert (result.mime, result.source, result.note) == (
        "application/pdf",
        "extension",
        "libmagic failed (boom): guessed from the extension",
    )


def test_importing_sniff_imports_neither_magic_nor_textual() -> None:
    code = (
        "import sys, kombo_tui.core.files.sniff as s\n"
        "assert 'magic' not in sys.modules, 'magic imported eagerly'\n"
        "assert 'textual' not in sys.modules, 'textual imported by the core'\n"
        "s.sniff_bytes(b'%PDF-1.4', 'a.pdf')\n"
        "assert 'magic' in sys.modules\n"
        "assert 'textual' not in sys.modules\n"
    )
    done = subprocess.run([sys.executable, "-c", code], cwd=REPO, capture_output=True, text=True, timeout=60)
    assert done.returncode == 0, done.stderr


# --------------------------------------------------------------------------- big files


@pytest.mark.timeout(20)
def test_sparse_2gb_file_sniffs_with_a_bounded_read(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = tmp_path / "huge.pdf"
    with path.open("wb") as handle:
        handle.truncate(2 * 1024**3)

    def no_fingerprint(*args: object, **kwargs: object) -> None:
        raise AssertionError("sniffing must not hash the file")

    monkeypatch.setattr(files, "fingerprint", no_fingerprint)
    monkeypatch.setattr(hashlib, "sha256", no_fingerprint)
    read_sizes: list[int] = []
    real_read = os.read

    def counting_read(fd: int, n: int) -> bytes:
        data = real_read(fd, n)
        read_sizes.append(len(data))
        return data

    monkeypatch.setattr(os, "read", counting_read)
    assert check_file(path).st_size == 2 * 1024**3
    result = sniff_file(path)
    assert sum(read_sizes) <= PREFIX_SIZE  # the head only, whatever the size
    assert (result.mime, result.generic) == ("application/octet-stream", True)
    assert result.note == "the name says .pdf but libmagic cannot tell what the content is (application/octet-stream)"


# --------------------------------------------------------------------------- mime_for_name


def test_names_that_moved_out_of_sniff_are_still_importable_from_it() -> None:
    # Notebooks and scripts wrote `from kombo_tui.core.files.sniff import check_file, ...`.
    moved = {
        "Fingerprint": files.Fingerprint,
        "check_file": files.check_file,
        "fingerprint": files.fingerprint,
        "suggest_type": naming.suggest_type,
        "mime_for_name": mime_module.mime_for_name,
    }
    for name, home in moved.items():
        assert getattr(sniff, name) is home, name
        assert name in sniff.__all__


def test_mime_for_name_is_machine_independent() -> None:
    assert mime_for_name("a.docx") == DOCX
    assert mime_for_name("A.ODT") == ODT
    assert mime_for_name("x/y/cv.pdf") == "application/pdf"
    assert mime_for_name("archive.tar.gz") == "application/gzip"
    assert mime_for_name(".bashrc") is None
    assert mime_for_name("README") is None
    assert mime_for_name(None) is None
    assert mime_for_name("clip.wav") == "audio/x-wav"  # Python's built-in table


# --------------------------------------------------------------------------- committed assets


def test_assets_are_small_and_sniff_as_advertised() -> None:
    expected = {
        "Jane_Doe_CV.pdf": ("application/pdf", None, AttachmentType.CV),
        "Jane_Doe_Cover_Letter.docx": (DOCX, None, AttachmentType.COVER_LETTER),
        "portfolio.png": ("image/png", None, None),
        "misleading-cv.pdf": ("image/png", "the name says .pdf but the content looks like image/png", AttachmentType.CV),
    }
    for name, (mime, note, kind) in expected.items():
        path = ASSETS / name
        assert path.stat().st_size < 20_000, name
        result = sniff_file(path)
        assert (result.mime, result.source, result.note) == (mime, "libmagic", note), name
        assert suggest_type(name) is kind


def test_assets_match_the_generator(tmp_path: Path) -> None:
    written = {p.name: p for p in make_assets.main(tmp_path)}
    assert set(written) == {"Jane_Doe_CV.pdf", "Jane_Doe_Cover_Letter.docx", "portfolio.png", "misleading-cv.pdf"}
    # Uncompressed formats byte for byte; compressed ones by content (zlib builds may differ).
    assert (ASSETS / "Jane_Doe_CV.pdf").read_bytes() == written["Jane_Doe_CV.pdf"].read_bytes()
    for name in ("portfolio.png", "misleading-cv.pdf"):
        assert _png_pixels((ASSETS / name).read_bytes()) == _png_pixels(written[name].read_bytes())
    assert _zip_contents(ASSETS / "Jane_Doe_Cover_Letter.docx") == _zip_contents(written["Jane_Doe_Cover_Letter.docx"])


def _zip_contents(path: Path) -> list[tuple[str, bytes]]:
    with zipfile.ZipFile(path) as archive:
        return [(info.filename, archive.read(info)) for info in archive.infolist()]


def _png_pixels(data: bytes) -> tuple[bytes, bytes]:
    """(IHDR, decompressed IDAT) after checking the signature and every chunk's CRC."""
    assert data[:8] == b"\x89PNG\r\n\x1a\n"
    at, chunks = 8, dict[bytes, bytes]()
    while at < len(data):
        (length,) = struct.unpack(">I", data[at : at + 4])
        kind, body = data[at + 4 : at + 8], data[at + 8 : at + 8 + length]
        (crc,) = struct.unpack(">I", data[at + 8 + length : at + 12 + length])
        assert zlib.crc32(kind + body) == crc, kind
        chunks[kind] = chunks.get(kind, b"") + body
        at += 12 + length
    assert b"IEND" in chunks
    width, height = struct.unpack(">II", chunks[b"IHDR"][:8])
    pixels = zlib.decompress(chunks[b"IDAT"])
    assert len(pixels) == height * (1 + 3 * width)
    return chunks[b"IHDR"], pixels


def test_pdf_asset_is_structurally_valid() -> None:
    data = (ASSETS / "Jane_Doe_CV.pdf").read_bytes()
    assert data.startswith(b"%PDF-1.4\n") and data.endswith(b"%%EOF\n")
    startxref = int(data[data.rindex(b"startxref") + 10 :].split()[0])
    assert data[startxref:].startswith(b"xref\n0 7\n")
    table = data[startxref:].split(b"\n")[2:9]
    assert table[0] == b"0000000000 65535 f "
    for number, row in enumerate(table[1:], start=1):
        offset = int(row[:10])
        assert data[offset:].startswith(f"{number} 0 obj\n".encode()), number
    length = int(data.split(b"/Length ")[1].split()[0])
    stream = data.split(b"stream\n", 1)[1]
    assert stream[length:].startswith(b"endstream")
    assert b"(Jane Doe) Tj" in data


def test_docx_asset_is_a_valid_package() -> None:
    with zipfile.ZipFile(ASSETS / "Jane_Doe_Cover_Letter.docx") as archive:
        assert archive.testzip() is None
        names = archive.namelist()
        assert names[0] == "[Content_Types].xml"
        assert {"_rels/.rels", "word/document.xml", "docProps/core.xml"} <= set(names)
        for name in names:
            ElementTree.fromstring(archive.read(name))  # well-formed XML
        document = archive.read("word/document.xml").decode()
        assert "Dear Hiring Team," in document


def test_odt_builder_follows_odf_packaging() -> None:
    data = make_assets.make_odt()
    with zipfile.ZipFile(io.BytesIO(data)) as archive:
        first = archive.infolist()[0]
        assert (first.filename, first.compress_type) == ("mimetype", zipfile.ZIP_STORED)
        assert archive.read("mimetype") == ODT.encode()
        assert "META-INF/manifest.xml" in archive.namelist()
    assert data[30:38] == b"mimetype" and data[38 : 38 + len(ODT)] == ODT.encode()
