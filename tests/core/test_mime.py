"""The one MIME vocabulary: canonical spellings, short names, and Kombo's content-type pattern."""

from __future__ import annotations

import pytest

from kombo_tui.core.files import mime


@pytest.mark.parametrize(
    ("spelling", "canonical"),
    [
        ("text/rtf", "application/rtf"),
        ("application/rtf", "application/rtf"),
        ("image/jpg", "image/jpeg"),
        (" application/x-pdf ", "application/pdf"),
        ("application/pdf", "application/pdf"),
    ],
)
def test_canonical_spelling(spelling: str, canonical: str) -> None:
    assert mime.canonical(spelling) == canonical


def test_same_type_ignores_spelling_and_case() -> None:
    assert mime.same_type("text/rtf", "application/rtf")
    assert mime.same_type("Application/PDF", "application/pdf")
    assert not mime.same_type("application/pdf", "image/png")


def test_extension_table_speaks_the_canonical_spelling() -> None:
    for ext in (".rtf", ".pdf", ".docx", ".jpg", ".csv"):
        found = mime.mime_for_name("cv" + ext)
        assert found is not None and mime.canonical(found) == found


@pytest.mark.parametrize(
    ("long", "short"),
    [
        (mime.DOCX, "docx"),
        ("application/rtf", "rtf"),
        ("text/rtf", "rtf"),
        ("application/pdf", "pdf"),
        ("application/x-thing", "application/x-thing"),
    ],
)
def test_short_names(long: str, short: str) -> None:
    assert mime.short_name(long) == short


@pytest.mark.parametrize(
    ("value", "ok"),
    [
        ("application/pdf", True),
        ("application/vnd.openxmlformats-officedocument.wordprocessingml.document", True),
        ("text/x_custom-1.0", True),
        ("image/svg+xml", False),  # '+' is outside Kombo's pattern
        ("ápplication/pdf", False),  # the spec's \w is ASCII (JavaScript), not Unicode
        ("application/ｐdf", False),
        ("application/pdf\n", False),
        ("application", False),
    ],
)
def test_client_and_sandbox_agree_on_the_content_type_pattern(value: str, ok: bool) -> None:
    """Regression: the client accepted non-ASCII letters that the sandbox (and Kombo) refuse."""
    from kombo_tui.core.models import AttachmentBody
    from kombo_tui.sandbox import validation

    assert bool(mime.CONTENT_TYPE_RE.match(value)) is ok
    assert bool(validation.CONTENT_TYPE_PATTERN.match(value)) is ok
    if ok:
        AttachmentBody(name="a.pdf", type="CV", content_type=value, data="QQ==")
    else:
        with pytest.raises(ValueError):
            AttachmentBody(name="a.pdf", type="CV", content_type=value, data="QQ==")
