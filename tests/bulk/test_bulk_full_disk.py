"""A full disk mid-bulk: one clear message, never a traceback, and a rerun that ends the job exactly once.

The disk fills for the child process only: ``RLIMIT_FSIZE`` caps every file it writes (the
journal and the history grow past the cap after a few rows), with ``SIGXFSZ`` ignored so the
write fails with ``EFBIG`` as it would with ``ENOSPC``. The sandbox runs in its own process,
so the rerun sees what the first run stored.
"""

from __future__ import annotations

import resource
import signal
import subprocess
import sys
from collections import Counter
from pathlib import Path

import pytest

from kombo_tui.sandbox.data import DEFAULT_INTEGRATION_ID

from .helpers import SandboxProcess, child_env, write_plan

pytestmark = pytest.mark.slow


def _capped(limit: int):  # type: ignore[no-untyped-def]
    def apply() -> None:
        signal.signal(signal.SIGXFSZ, signal.SIG_IGN)
        resource.setrlimit(resource.RLIMIT_FSIZE, (limit, limit))

    return apply


@pytest.mark.parametrize("limit", [40_000, 120_000, 250_000])
def test_a_full_disk_stops_the_run_with_one_message_and_a_rerun_finishes_it(tmp_path: Path, limit: int) -> None:
    with SandboxProcess(tmp_path) as sandbox:
        files = [tmp_path / "cv.txt"]
        files[0].write_text("a plain CV\n")
        apps = sandbox.application_ids(30)
        wanted = write_plan(tmp_path / "plan.csv", files, apps, 30)
        command = [sys.executable, "-m", "kombo_tui", "bulk", str(tmp_path / "plan.csv"), "--base-url", sandbox.base_url,
                   "--integration", DEFAULT_INTEGRATION_ID, "--recheck-after", "0"]
        env = child_env(tmp_path)
        first = subprocess.run(command, env=env, capture_output=True, text=True, timeout=120, preexec_fn=_capped(limit))
        assert "Traceback" not in first.stderr and "Warning:" not in first.stderr, first.stderr
        assert first.returncode in (2, 4), first.stderr
        if first.returncode == 4:  # stopped mid-run: the reason, what may have left, how to go on
            assert "the run stopped: " in first.stderr and "rerun the same command to resume" in first.stderr
            assert "bulk journal" in first.stderr or "the history" in first.stderr
        else:  # the journal could not even be made: named, nothing sent
            assert "cannot use the bulk journal" in first.stderr
            assert not [n for names in sandbox.stored_names(apps).values() for n in names if n.startswith("row-")]

        again = subprocess.run(command, env=env, capture_output=True, text=True, timeout=120)
        assert again.returncode == 0, again.stderr
        stored = sandbox.stored_names(apps)
        landed = Counter((app, name) for app, names in stored.items() for name in names if name.startswith("row-"))
        assert landed == Counter(wanted)  # every row exactly once
