"""Inert text: nothing from outside reaches the terminal as a control sequence."""

from __future__ import annotations

import pytest

from kombo_tui.core.text import clip, inert, one_line

HOSTILE = [
    ("\x1b]52;c;ZXZpbA==\x07", "\\x1b]52;c;ZXZpbA==\\x07"),  # OSC 52 clipboard write
    ("\x1b[2J", "\\x1b[2J"),  # clear screen
    ("\x1b]8;;https://evil.example\x1b\\link\x1b]8;;\x1b\\", "\\x1b]8;;https://evil.example\\x1b\\link\\x1b]8;;\\x1b\\"),
    ("abc\rXYZ", "abc\\rXYZ"),
    ("\x9b31m", "\\x9b31m"),  # C1 CSI
    ("\x7f", "\\x7f"),
    ("cv\u202egnp.pdf", "cv\\u202egnp.pdf"),  # right-to-left override
    ("cv-\udcff.pdf", "cv-\\xff.pdf"),  # a byte that was not UTF-8
]


@pytest.mark.parametrize(("raw", "shown"), HOSTILE)
def test_controls_become_visible(raw: str, shown: str) -> None:
    assert inert(raw) == shown
    assert one_line(raw) == shown
    assert all(ch.isprintable() for ch in one_line(raw))


def test_inert_keeps_newlines_and_tabs_one_line_does_not() -> None:
    assert inert("a\nb\tc") == "a\nb\tc"
    assert one_line("a\nb\tc") == "a\\nb\\tc"


def test_plain_text_is_unchanged() -> None:
    for text in ("Jane Doe – CV.pdf", "Zoë Ångström", "履歴書.pdf", "[bold]not markup[/]"):
        assert inert(text) == text == one_line(text)


def test_clip() -> None:
    assert clip("abcdef", 4) == "abc…"
    assert clip("abc", 4) == "abc"
    assert clip("abc", 0) == ""
