"""Render the app's main states to screenshots/*.svg for the README.

    python scripts/make_screenshots.py            # every state
    python scripts/make_screenshots.py filled error
    python scripts/make_screenshots.py browser    # browser.png, through the Chromium end-to-end test

The states are the ones the snapshot tests check (tests/tui/states.py, and the Bulk, Exchanges
and Target-panel snapshots of their own test modules): in-process sandbox, 120×40, fixed sample
files in a temporary working directory, no blinking cursor, no clock.
"""

from __future__ import annotations

import asyncio
import os
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

os.environ.setdefault("XDG_CONFIG_HOME", tempfile.mkdtemp(prefix="kombo-shots-config-"))
os.environ["TZ"] = "UTC"  # the history state shows fixed times
time.tzset()
for name in [n for n in os.environ if n.startswith("KOMBO_")]:
    del os.environ[name]

from textual.widgets import Input, TextArea  # noqa: E402

from kombo_tui.core import clock  # noqa: E402
from kombo_tui.tui.screens import main as main_module  # noqa: E402
from tests.tui.states import SIZE, STATES, State, frozen_utc_now, write_sample_files  # noqa: E402

clock.utc_now = frozen_utc_now  # as the snapshot tests: the core stamps at the sandbox's frozen instant

OUT = ROOT / "screenshots"


def more_states(folder: Path) -> tuple[State, ...]:
    """The snapshot states kept beside their own tests: the Bulk screen after a run with a
    refusal (failures shown), the Exchanges list and one exchange's detail, and the Target
    panel listing what the application already holds (the file to send marked)."""
    from tests.tui import test_bulk, test_exchanges, test_snapshot_target

    test_bulk.write_plan(folder, 5)
    return (
        State("bulk", test_bulk._refusing_app, test_bulk._failures),
        State("exchanges", test_exchanges.sandbox_app, test_exchanges._exchanges_screen),
        State("exchange_detail", test_exchanges.sandbox_app, test_exchanges._exchange_detail),
        State("target_attachments", test_snapshot_target._app, test_snapshot_target._attachments_marked),
    )


async def render(state: State, folder: Path) -> Path:
    # Each state starts with an empty audit log, as each snapshot test does: a send logged by
    # one state would make the next one ask "send again?".
    os.environ["XDG_DATA_HOME"] = tempfile.mkdtemp(prefix="kombo-shots-data-")
    app = state.make()
    async with app.run_test(size=SIZE) as pilot:
        await state.run_before(pilot)
        await pilot.pause()
        path = OUT / f"{state.name}.svg"
        app.save_screenshot(filename=path.name, path=str(OUT))
    return path


def browser_shot() -> None:
    """Run the browser end-to-end test and keep the page it captured as screenshots/browser.png."""
    import subprocess

    env = {**os.environ, "SCREENSHOT_BROWSER_PNG": str(OUT / "browser.png")}
    test = str(ROOT / "tests" / "e2e" / "test_browser.py")
    subprocess.run([sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", test], env=env, check=True)
    print(OUT / "browser.png")


async def main(names: list[str]) -> None:
    OUT.mkdir(exist_ok=True)
    if not names or "browser" in names:
        browser_shot()
    Input.cursor_blink._default = False  # type: ignore[attr-defined]
    TextArea.cursor_blink._default = False  # type: ignore[attr-defined]
    main_module.CHECK_DELAY = 0.01
    with tempfile.TemporaryDirectory(prefix="kombo-shots-") as tmp:
        folder = Path(tmp)
        write_sample_files(folder)
        os.chdir(folder)
        for state in (*STATES, *more_states(folder)):
            if names and state.name not in names:
                continue
            print(await render(state, folder))


if __name__ == "__main__":
    asyncio.run(main(sys.argv[1:]))
