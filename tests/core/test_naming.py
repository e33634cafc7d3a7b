"""Tests for kombo_tui.core.files.naming: the CV / cover-letter suggestion from a file name."""

from __future__ import annotations

import pytest

from kombo_tui.core.files.naming import suggest_type
from kombo_tui.core.models import AttachmentType

SUGGESTIONS = [
    ("Jane_Doe_CV.pdf", AttachmentType.CV),
    ("cv.pdf", AttachmentType.CV),
    ("CV2024.docx", AttachmentType.CV),
    ("JaneDoeCV.pdf", AttachmentType.CV),
    ("MyResume.pdf", AttachmentType.CV),
    ("resume-jane.pdf", AttachmentType.CV),
    ("Résumé Jane Doe.PDF", AttachmentType.CV),
    ("RESUME.PDF", AttachmentType.CV),
    ("Lebenslauf_Müller.pdf", AttachmentType.CV),
    ("Tabellarischer-Lebenslauf.pdf", AttachmentType.CV),
    ("Curriculum Vitae.docx", AttachmentType.CV),
    ("/home/jane/Documents/cv_final_v3.pdf", AttachmentType.CV),
    ("Jane_Doe_Cover_Letter.docx", AttachmentType.COVER_LETTER),
    ("CoverLetter.pdf", AttachmentType.COVER_LETTER),
    ("coverletter.pdf", AttachmentType.COVER_LETTER),
    ("cover-letter-acme.pdf", AttachmentType.COVER_LETTER),
    ("Anschreiben.pdf", AttachmentType.COVER_LETTER),
    ("Bewerbungsanschreiben_Jane.pdf", AttachmentType.COVER_LETTER),
    ("Motivationsschreiben.pdf", AttachmentType.COVER_LETTER),
    ("motivation_letter.pdf", AttachmentType.COVER_LETTER),
    ("Lettre de motivation.odt", AttachmentType.COVER_LETTER),
    ("portfolio.png", None),
    ("recover.pdf", None),
    ("discovery_notes.pdf", None),
    ("cvs_receipt.pdf", None),
    ("resumed_work.txt", None),
    ("cv_and_cover_letter.pdf", None),
    ("Lebenslauf_und_Anschreiben.pdf", None),
    ("letter_of_recommendation.pdf", None),
    ("", None),
    ("cv", AttachmentType.CV),
    ("notes.cv", None),
]


@pytest.mark.parametrize(("name", "expected"), SUGGESTIONS, ids=[s[0] or "empty" for s in SUGGESTIONS])
def test_suggest_type(name: str, expected: AttachmentType | None) -> None:
    assert suggest_type(name) is expected
