"""A hostile Kombo on loopback answers an upload pathologically; ``kombo-tui send`` copes.

Each case runs the real CLI in its own process against :func:`tests.hostile.hostile_server`
(the sandbox takes the upload, then the answer is 50 MB, a gzip bomb, endless, dripping or a
redirect to another host). In every case: a clear message and no traceback, an exit code that
says the outcome is not known to be good, peak memory under 150 MiB, a bounded time, the
upload stored by the server and recorded in the history (never missing), and the key nowhere
in what was printed or recorded.
"""

from __future__ import annotations

import json
import subprocess
import sys
import time
from pathlib import Path

import pytest

from kombo_tui.sandbox.data import DEFAULT_INTEGRATION_ID, SANDBOX_API_KEY, dataset
from tests.bulk.helpers import child_env
from tests.hostile import ANSWER_MODES, hostile_server

PDF = b"%PDF-1.4\n1 0 obj<</Type/Catalog>>endobj\ntrailer<<>>\n%%EOF\n"
MAX_RSS_MIB = 150

pytestmark = pytest.mark.slow

_MEASURED = """
import sys
from kombo_tui.cli import main
code = main(sys.argv[2:])
# This process's own peak (VmHWM starts afresh at exec; ru_maxrss would keep the forking
# test worker's), in KiB.
peak = next(line.split()[1] for line in open("/proc/self/status") if line.startswith("VmHWM:"))
with open(sys.argv[1], "w") as out:
    out.write(peak)
sys.exit(code)
"""


@pytest.mark.parametrize("mode", ANSWER_MODES)
def test_a_pathological_answer_to_an_upload_ends_clearly_bounded_and_recorded(tmp_path: Path, mode: str) -> None:
    cv = tmp_path / "cv.pdf"
    cv.write_bytes(PDF)
    application = dataset(DEFAULT_INTEGRATION_ID).live_applications[0].id
    env = {**child_env(tmp_path), "KOMBO_UPLOAD_TIMEOUT": "3", "KOMBO_TIMEOUT": "3"}
    rss = tmp_path / "rss"
    with hostile_server(SANDBOX_API_KEY, mode=mode) as (server, hostile):
        started = time.monotonic()
        done = subprocess.run(
            [sys.executable, "-c", _MEASURED, str(rss), "send", str(cv), "--base-url", server.base_url,
             "--integration", DEFAULT_INTEGRATION_ID, "--application", application],
            env=env, capture_output=True, text=True, timeout=90, cwd=tmp_path,
        )
        took = time.monotonic() - started
        stored = [s.file_name for s in hostile.inner.state.sandbox.store.all()]
    said = done.stdout + done.stderr
    assert "Traceback" not in said, said
    if mode == "redirect":  # an error, and the other host is named and never contacted
        assert done.returncode == 3 and "a redirect to elsewhere.example, not followed" in done.stderr, said
    else:  # the answer could not be read: the outcome is unknown, and says why
        assert done.returncode == 4 and "unknown" in done.stderr, said
    assert SANDBOX_API_KEY not in said
    peak_mib = int(rss.read_text()) / 1024
    assert peak_mib < MAX_RSS_MIB, f"{mode}: peak RSS {peak_mib:.0f} MiB"
    assert took < 30, f"{mode}: took {took:.1f} s"
    assert stored == ["cv.pdf"]  # the upload went out, once

    history = subprocess.run([sys.executable, "-m", "kombo_tui", "history", "--json"], env=env,
                             capture_output=True, text=True, timeout=60, cwd=tmp_path)
    assert history.returncode == 0, history.stderr
    rows = json.loads(history.stdout)
    rows = rows.get("entries", rows) if isinstance(rows, dict) else rows
    assert [(r["file_name"], r["outcome"]) for r in rows] == [("cv.pdf", "error" if mode == "redirect" else "unknown")], rows
    assert SANDBOX_API_KEY not in history.stdout
