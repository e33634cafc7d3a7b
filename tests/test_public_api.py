"""The library surface: what `import kombo_tui` offers, and the documented example runs."""

from __future__ import annotations

import asyncio
import re
import subprocess
import sys
from pathlib import Path

import pytest

import kombo_tui

ROOT = Path(__file__).resolve().parents[1]


def test_every_export_resolves() -> None:
    for name in kombo_tui.__all__:
        assert getattr(kombo_tui, name) is not None, name
    with pytest.raises(AttributeError):
        kombo_tui.no_such_thing  # noqa: B018


def test_readme_documents_the_public_api() -> None:
    readme = (ROOT / "README.md").read_text()
    section = readme.split("## Python", 1)[1].split("\n## ", 1)[0]
    documented = set(re.findall(r"`kt\.(\w+)`", section))
    assert documented, "the README's Python section lists the API as `kt.name`"
    assert documented <= set(kombo_tui.__all__)
    for name in ("send", "preview", "list_applications", "prepare_file", "KomboClient", "SandboxServer"):
        assert name in documented


def test_documented_example_runs() -> None:
    done = subprocess.run(
        [sys.executable, str(ROOT / "examples" / "quickstart.py")], capture_output=True, text=True, timeout=120
    )
    assert done.returncode == 0, done.stderr
    lines = done.stdout.splitlines()
    assert lines[1] == "Jane_Doe_CV.pdf CV application/pdf"
    assert lines[2].startswith("sent ")
    assert lines[3].startswith("the file is on the application")


async def test_sync_helpers_work_under_a_running_loop() -> None:
    asyncio.get_running_loop()  # as in a notebook cell

    async def answer() -> int:
        await asyncio.sleep(0)
        return 42

    assert kombo_tui.run_sync(answer()) == 42
    with pytest.raises(ZeroDivisionError):

        async def boom() -> None:
            1 / 0

        kombo_tui.run_sync(boom())


def test_send_without_a_key_is_an_input_error(tmp_path: Path) -> None:
    cv = tmp_path / "cv.txt"
    cv.write_text("hello")
    with pytest.raises(kombo_tui.InputError, match="api_key"):
        kombo_tui.send(cv, integration_id="lever:x", application_id="A")
