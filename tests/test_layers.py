"""The layers hold: import-linter checks the contracts written in pyproject.toml.

This complements tests/test_import_hygiene.py, which runs in a subprocess because the linter
cannot tell a module-scope import from a deferred one: the contracts say which package may
know which, the hygiene test says what a front door actually loads when it starts.
"""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def test_import_contracts_are_kept() -> None:
    exe = shutil.which("lint-imports", path=str(Path(sys.executable).parent))
    assert exe is not None, "import-linter is a test dependency (pip install -e '.[test]')"
    done = subprocess.run([exe, "--no-cache"], cwd=ROOT, capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stdout + done.stderr
    assert "BROKEN" not in done.stdout and " KEPT" in done.stdout
