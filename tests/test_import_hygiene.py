"""The core, the sandbox and the CLI never load the UI toolkit."""

from __future__ import annotations

import subprocess
import sys

import pytest


@pytest.mark.parametrize(
    "modules",
    [
        "kombo_tui",
        "kombo_tui.core.models, kombo_tui.core.sniff, kombo_tui.core.payload, kombo_tui.core.client, "
        "kombo_tui.core.settings, kombo_tui.core.engine, kombo_tui.core.hints, kombo_tui.core.connectors",
        "kombo_tui.cli",
        "kombo_tui.sandbox.app, kombo_tui.sandbox.server, kombo_tui.sandbox.data",
    ],
)
def test_no_textual_after_import(modules: str) -> None:
    code = (
        f"import {modules}\n"
        "import sys\n"
        "bad = sorted(m for m in sys.modules if m == 'textual' or m.startswith(('textual.', 'kombo_tui.tui')))\n"
        "print(','.join(bad))\n"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert done.stdout.strip() == "", f"{modules} loaded {done.stdout.strip()}"


def test_cli_help_does_not_load_textual() -> None:
    code = (
        "import sys\n"
        "from kombo_tui.cli import main\n"
        "try:\n    main(['send', '--help'])\nexcept SystemExit:\n    pass\n"
        "print('TEXTUAL' if 'textual' in sys.modules else 'CLEAN', file=sys.stderr)\n"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert done.stderr.strip().endswith("CLEAN")
