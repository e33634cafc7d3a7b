"""The Bulk screen lists a plan's rows that name files outside its folder, and never sends them."""

from __future__ import annotations

import asyncio
from pathlib import Path

import pytest

from .states import PDF, SIZE, sandbox_app
from .test_bulk import _apps, open_bulk, stored, table, text, until


@pytest.mark.parametrize("how", ["dotdot", "absolute", "link"])
def test_rows_outside_the_plans_folder_are_listed_as_invalid_and_not_sent(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, how: str
) -> None:
    folder = tmp_path / "plan"
    folder.mkdir()
    monkeypatch.chdir(folder)
    (folder / "cv.pdf").write_bytes(PDF)
    secret = tmp_path / "elsewhere.pdf"
    secret.write_bytes(PDF)
    named = {"dotdot": "../elsewhere.pdf", "absolute": str(secret), "link": "inside.pdf"}[how]
    if how == "link":
        (folder / "inside.pdf").symlink_to(secret)
    a, b = _apps(2)
    (folder / "plan.csv").write_text(f"application_id,file,type,name\n{a},cv.pdf,CV,cv.pdf\n{b},{named},CV,other.pdf\n")

    async def go() -> None:
        app = sandbox_app()
        async with app.run_test(size=SIZE) as pilot:
            screen = await open_bulk(pilot, "plan.csv")
            assert "2 rows · 1 valid · 1 invalid" in text(screen, "#bulk-check")
            [row] = [r for r in table(screen) if r[1] == "✗ invalid"]
            assert "is outside" in row[4]
            await pilot.press("ctrl+s")  # invalid rows stop the run
            await until(pilot, screen, "checked")
            assert stored(app) == []

    asyncio.run(go())
