"""How the app looks to an agent all day on a laptop: readable in both themes, usable at 80×24.

The contrast test walks what every screen draws (each character's colour against its
background, as the terminal gets it) in the dark and the light theme; the size tests open
each screen at 80×24 and measure its inputs, its key bar and its tables.
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from .contrast import AA, too_faint
from .screens import EVERY, THEMES, Look, prepare


@pytest.fixture(autouse=True)
def _here(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("TZ", "UTC")
    time.tzset()
    prepare(tmp_path)
    yield tmp_path
    monkeypatch.undo()
    time.tzset()


@pytest.mark.parametrize("theme", THEMES)
@pytest.mark.parametrize("look", EVERY, ids=[look.name for look in EVERY])
async def test_every_text_on_every_screen_reads_at_wcag_aa(look: Look, theme: str) -> None:
    app = look.make(theme)
    async with app.run_test(size=(120, 40)) as pilot:
        await look.drive(pilot)
        faint = too_faint(app)
    assert not faint, f"{len(faint)} runs of text below {AA}:1 in {theme}:\n" + "\n".join(map(str, faint))
