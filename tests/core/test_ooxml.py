"""Tests for kombo_tui.core.files.ooxml: telling DOCX, XLSX, ODT... from a ZIP's central directory.

``refine`` is given whole archives (in memory or an already-opened regular file); libmagic is
not involved here (tests/core/test_sniff.py checks the two together).
"""

from __future__ import annotations

import io
import os
from collections.abc import Callable
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from kombo_tui.core.files import ooxml
from kombo_tui.core.files.checks import open_regular

from .zips import (
    DOCM,
    DOCX,
    EPUB,
    ODS,
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
    thumbnail,
)


class CountingFile(io.BytesIO):
    """An in-memory file that counts the bytes read from it."""

    def __init__(self, data: bytes) -> None:
        super().__init__(data)
        self.bytes_read = 0

    def read(self, n: int | None = -1) -> bytes:
        data = super().read(n)
        self.bytes_read += len(data)
        return data


def _refine(data: bytes) -> str | None:
    return ooxml.refine(io.BytesIO(data))


IDENTIFIED: dict[str, tuple[Callable[[], bytes], str]] = {
    "docx-thumbnail-first-100kB": (lambda: docx_with_a_thumbnail_first(100_000), DOCX),
    "docx-thumbnail-first-1MB": (lambda: docx_with_a_thumbnail_first(1_000_000), DOCX),
    "docx-streamed": (lambda: ooxml_with_thumbnail(DOCX, "word/document.xml", streamed=True), DOCX),
    "docx-zip64": (
        lambda: build_zip([("[Content_Types].xml", b'ContentType="' + DOCX.encode() + b'.main+xml"', D)], zip64=True),
        DOCX,
    ),
    "xlsx": (lambda: ooxml_with_thumbnail(XLSX, "xl/workbook.xml"), XLSX),
    "pptx": (lambda: ooxml_with_thumbnail(PPTX, "ppt/presentation.xml"), PPTX),
    "docm": (lambda: ooxml_with_thumbnail("application/vnd.ms-word.document.macroEnabled", "word/document.xml"), DOCM),
    "odt-deflated-mimetype": (odt_with_deflated_mimetype, ODT),
    "ods-stored-mimetype": (lambda: build_zip([("mimetype", ODS.encode(), S), ("content.xml", b"<x/>", D)]), ODS),
    "epub": (lambda: build_zip([("mimetype", EPUB.encode(), S), ("META-INF/container.xml", b"<c/>", D)]), EPUB),
    "docx-by-folder-after-rels": (
        lambda: build_zip([("_rels/.rels", b"<r/>", D), ("x.bin", thumbnail(9000), S), ("word/document.xml", b"<w/>", D)]),
        DOCX,
    ),
    "xlsx-by-folder-without-main-part": (
        lambda: build_zip([("[Content_Types].xml", b"<Types/>", D), ("xl/workbook.xml", b"<w/>", D)]),
        XLSX,
    ),
}


@pytest.mark.parametrize("case", IDENTIFIED, ids=list(IDENTIFIED))
def test_refine_identifies_documents_whatever_the_order_of_their_parts(case: str) -> None:
    build, mime = IDENTIFIED[case]
    assert _refine(build()) == mime


NOT_DOCUMENTS: dict[str, Callable[[], bytes]] = {
    "plain-zip": plain_zip,
    "word-folder-without-package-parts": lambda: build_zip([("readme.txt", b"hi", D), ("word/b.txt", b"b", D)]),
    "mimetype-not-among-the-first-three": lambda: build_zip(
        [("a", b"", S), ("b", b"", S), ("c", b"", S), ("mimetype", ODT.encode(), S)]
    ),
    "mimetype-that-is-no-mime": lambda: build_zip([("mimetype", b"hello there", S), ("content.xml", b"<x/>", D)]),
    "empty-zip": lambda: build_zip([]),
    "not-a-zip": lambda: b"%PDF-1.4\n" * 100,
    "nothing": lambda: b"",
}


@pytest.mark.parametrize("case", NOT_DOCUMENTS, ids=list(NOT_DOCUMENTS))
def test_refine_leaves_other_content_alone(case: str) -> None:
    assert _refine(NOT_DOCUMENTS[case]()) is None


def test_refine_reads_the_directory_and_one_part_not_the_whole_file() -> None:
    data = docx_with_a_thumbnail_first(1_000_000)
    file = CountingFile(data)
    assert ooxml.refine(file) == DOCX
    assert file.bytes_read < 4096 < len(data)


def test_too_many_parts_are_not_refined_and_the_reads_stay_within_the_budget() -> None:
    data = docx_with_extra_parts(ooxml.MAX_ENTRIES)
    file = CountingFile(data)
    assert ooxml.refine(file) is None
    assert file.bytes_read <= ooxml.READ_BUDGET
    assert _refine(docx_with_extra_parts(ooxml.MAX_ENTRIES - 10)) == DOCX  # just under the limit


def test_a_directory_bigger_than_the_budget_is_never_read() -> None:
    # 90 parts with 50,000-character names: a ~4.5 MB central directory.
    long_names = [(f"customXml/{i:02d}{'x' * 50_000}.xml", b"", S) for i in range(90)]
    data = build_zip([("[Content_Types].xml", b'ContentType="' + DOCX.encode() + b'.main+xml"', D), *long_names])
    file = CountingFile(data)
    assert ooxml.refine(file) is None
    assert file.bytes_read < 1024  # the end record only


def test_an_oversized_content_types_part_is_not_read() -> None:
    data = docx_with_padded_content_types(ooxml.MAX_PART_SIZE)
    file = CountingFile(data)
    assert ooxml.refine(file) is None
    assert file.bytes_read < 2048  # the end record and the directory, not the part
    assert _refine(docx_with_padded_content_types(ooxml.MAX_PART_SIZE - 1024)) == DOCX


def test_refine_works_on_the_descriptor_of_the_safe_open(tmp_path: Path) -> None:
    path = tmp_path / "cv.docx"
    path.write_bytes(docx_with_a_thumbnail_first(100_000))
    fd, _ = open_regular(path)
    try:
        os.lseek(fd, 1234, os.SEEK_SET)  # wherever the prefix read left it
        with os.fdopen(fd, "rb", closefd=False) as file:
            assert ooxml.refine(file) == DOCX
        assert os.fstat(fd).st_size == path.stat().st_size  # still open: the caller closes it
    finally:
        os.close(fd)


_VALID = ooxml_with_thumbnail(DOCX, "word/document.xml")


@settings(max_examples=300, deadline=None)
@given(
    cut=st.integers(min_value=0, max_value=len(_VALID)),
    flips=st.lists(st.tuples(st.integers(min_value=0, max_value=len(_VALID) - 1), st.integers(1, 255)), max_size=4),
)
def test_a_damaged_zip_never_raises(cut: int, flips: list[tuple[int, int]]) -> None:
    data = bytearray(_VALID)
    for at, mask in flips:
        data[at] ^= mask
    assert _refine(bytes(data[:cut])) in {None, DOCX}


@settings(max_examples=200, deadline=None)
@given(st.binary(max_size=2048))
def test_arbitrary_bytes_after_a_zip_signature_never_raise(tail: bytes) -> None:
    assert _refine(b"PK\x03\x04" + tail) is None
