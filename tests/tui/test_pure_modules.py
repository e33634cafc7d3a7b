"""The TUI's plain-Python modules load without Textual.

The presenters, the services, the file inspection, the session and the state records are plain
Python so that plain pytest (and a screen under test) can use them; a subprocess proves that
importing them loads no Textual. (The import contracts in pyproject.toml keep screens off the app.)
"""

from __future__ import annotations

import subprocess
import sys

PURE = (
    "kombo_tui.tui.bulk_view",
    "kombo_tui.tui.columns",
    "kombo_tui.tui.inspect",
    "kombo_tui.tui.perf",
    "kombo_tui.tui.present",
    "kombo_tui.tui.services",
    "kombo_tui.tui.session",
    "kombo_tui.tui.state",
    "kombo_tui.tui.text",
)


def test_pure_modules_do_not_import_textual() -> None:
    code = (
        "import importlib, sys\n"
        f"for name in {PURE!r}:\n"
        "    importlib.import_module(name)\n"
        "print(sorted(m for m in sys.modules if m == 'textual' or m.startswith('textual.')))\n"
    )
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert result.stdout.strip() == "[]"
