"""Chaos: a bulk run SIGKILLed at random moments, rerun until it exits 0, leaves every row exactly once.

Between kills the plan is re-saved with its rows in another order and the base URL is spelled
another way: rows in flight are known to the history by their identity, not only to the killed
job's journal, so an edited plan (another job) verifies them before sending.

The sandbox runs in its own process (latency, a concurrency limit, and faults: a share of
5xx, a rate limit's 429s, or every upload's connection dropped after the file is stored);
the bulk command runs in another, killed with SIGKILL many times. Afterwards the sandbox's
public attachments endpoint must show each row's file on its application exactly once.
"""

from __future__ import annotations

import random
import subprocess
import sys
import time
from collections import Counter
from pathlib import Path

import pytest

from .helpers import SandboxProcess, child_env, write_plan

ROWS = 240
KILLS = 12
BUDGET = 60.0


def _edit(plan: Path, command: list[str], rng: random.Random) -> None:
    """Between kills, as an operator would: the plan re-saved with its rows in another order (a
    new job for the journal), and the base URL spelled another way (the same environment)."""
    if rng.random() < 0.5:
        header, *rows = plan.read_text(encoding="utf-8").splitlines(keepends=True)
        rng.shuffle(rows)
        plan.write_text(header + "".join(rows), encoding="utf-8")
    if rng.random() < 0.5:
        at = command.index("--base-url") + 1
        url = command[at]
        command[at] = url.replace("127.0.0.1", "localhost") if "127.0.0.1" in url else url.replace("localhost", "127.0.0.1")


def _chaos(tmp_path: Path, *sandbox_flags: str, seed: int) -> tuple[int, list[int]]:
    rng = random.Random(seed)
    home = tmp_path / "home"
    files = []
    for i in range(5):
        f = tmp_path / f"f{i}.txt"
        f.write_text(f"plain text file number {i}\n")
        files.append(f)
    with SandboxProcess(home, "--latency", "0.03", "--concurrency-limit", "6", *sandbox_flags) as sandbox:
        apps = sandbox.application_ids(50)
        plan = tmp_path / "plan.csv"
        wanted = write_plan(plan, files, apps, ROWS)
        command = [sys.executable, "-m", "kombo_tui", "bulk", str(plan), "--base-url", sandbox.base_url,
                   "--integration", "greenhouse:sandbox-greenhouse", "--recheck-after", "0.3", "--json"]
        env = child_env(home)
        started = time.monotonic()
        kills = 0
        codes: list[int] = []
        while kills < KILLS:
            proc = subprocess.Popen(command, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
            time.sleep(rng.uniform(0.3, 1.2))
            if proc.poll() is not None:
                codes.append(proc.returncode)
                if proc.returncode == 0:
                    break
                continue
            proc.kill()
            proc.wait()
            kills += 1
            _edit(plan, command, rng)
        while not codes or codes[-1] != 0:
            assert time.monotonic() - started < BUDGET, f"no clean run within {BUDGET} s: {codes}"
            done = subprocess.run(command, env=env, capture_output=True, text=True, timeout=BUDGET)
            codes.append(done.returncode)
            assert done.returncode in (0, 3, 4), done.stderr
        on_apps = sandbox.stored_names(apps)
    ours = {name for _, name in wanted}
    seen = Counter((app, name) for app, names in on_apps.items() for name in names if name in ours)
    missing = [w for w in wanted if seen[w] == 0]
    twice = {k: n for k, n in seen.items() if n > 1}
    assert not missing, f"{len(missing)} rows never landed, e.g. {missing[:3]}"
    assert not twice, f"{len(twice)} rows landed more than once, e.g. {list(twice.items())[:3]}"
    assert sum(seen.values()) == ROWS
    return kills, codes


@pytest.mark.slow
@pytest.mark.parametrize(
    ("flags", "seed"),
    [
        pytest.param((), 1, id="clean"),
        pytest.param(("--error-rate", "0.08", "--rate-limit", "150", "--rate-window", "1"), 2, id="5xx-and-429"),
        pytest.param(("--drop-after-store",), 3, id="drop-after-store"),
    ],
)
def test_sigkill_and_rerun_sends_every_row_exactly_once(tmp_path: Path, flags: tuple[str, ...], seed: int) -> None:
    kills, codes = _chaos(tmp_path, *flags, seed=seed)
    assert codes[-1] == 0
    assert kills >= 1 or codes[0] == 0
