"""The first frame paints before the heavy parts load: no pydantic, no HTTP client, no sandbox
server nor its generated data, no history database, no one-call API (measured by
``benchmarks/bench_tui.py startup``)."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

from tests.bulk.helpers import child_env

HEAVY = ("pydantic", "pydantic_settings", "httpx", "sqlite3", "uvicorn", "starlette", "kombo_tui.core.api",
         "kombo_tui.sandbox.server", "kombo_tui.sandbox.data", "magic")

_CHILD = """
import json, sys
from textual.screen import Screen
HEAVY = %r
loaded = {}
paint = Screen._compositor_refresh
def first_paint(self, *args, **kwargs):
    if not loaded:
        loaded.update({name: name in sys.modules for name in HEAVY})
        self.app.call_later(self.app.exit)
    return paint(self, *args, **kwargs)
Screen._compositor_refresh = first_paint
from kombo_tui.tui.app import make_app
make_app(sandbox=True).run(headless=True, size=(120, 40))  # the way the command runs it
print(json.dumps(loaded))
"""


def test_the_first_frame_loads_none_of_the_heavy_parts(tmp_path: Path) -> None:
    done = subprocess.run([sys.executable, "-c", _CHILD % (HEAVY,)], env=child_env(tmp_path), capture_output=True,
                          text=True, timeout=120, cwd=tmp_path)
    assert done.returncode == 0, done.stderr
    loaded = json.loads(done.stdout.strip().splitlines()[-1])
    assert set(loaded) == set(HEAVY)  # the frame was painted and looked at
    assert [name for name, there in loaded.items() if there] == []
