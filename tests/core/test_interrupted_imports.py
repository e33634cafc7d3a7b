"""Ctrl-C during the library's first imports: it waits for them, and later calls still work.

Each case runs in a fresh interpreter (imports happen once per process). The interrupt is
sent at an exact point: a finder on ``sys.meta_path`` raises SIGINT when ``asyncio.events``
is looked up, which is in the middle of importing :mod:`asyncio` — where an unguarded
interrupt leaves asyncio half initialised and every later ``kt.send`` fails with a NameError.
"""

from __future__ import annotations

import json
import subprocess
import sys
import textwrap
from pathlib import Path

from kombo_tui.sandbox.data import DEFAULT_INTEGRATION_ID, SANDBOX_API_KEY
from tests.bulk.helpers import SandboxProcess, child_env

APPLICATION = "52khNyyy2cvhDsPwMip4mk1K"


def _child(tmp_path: Path, body: str) -> dict[str, object]:
    script = tmp_path / "child.py"
    script.write_text(textwrap.dedent(body))
    done = subprocess.run([sys.executable, str(script)], env=child_env(tmp_path), capture_output=True, text=True,
                          timeout=120, cwd=tmp_path)
    assert done.returncode == 0, done.stderr
    return json.loads(done.stdout.strip().splitlines()[-1])  # type: ignore[no-any-return]


def test_an_interrupt_in_the_middle_of_the_first_imports_breaks_no_later_call(tmp_path: Path) -> None:
    (tmp_path / "cv.pdf").write_bytes(b"%PDF-1.4\n%%EOF\n")
    with SandboxProcess(tmp_path) as sandbox:
        found = _child(tmp_path, f"""
            import json, os, signal, sys

            class InterruptMidImport:
                fired = False
                def find_spec(self, name, path=None, target=None):
                    if name == "asyncio.events" and not self.fired:
                        self.fired = True
                        os.kill(os.getpid(), signal.SIGINT)  # lands inside `import asyncio`
                    return None

            assert "asyncio" not in sys.modules
            sys.meta_path.insert(0, InterruptMidImport())
            import kombo_tui as kt
            where = dict(application_id={APPLICATION!r}, integration_id={DEFAULT_INTEGRATION_ID!r},
                         base_url={sandbox.base_url!r}, api_key={SANDBOX_API_KEY!r})
            first = None
            try:
                kt.send("cv.pdf", name="first.pdf", **where)
            except KeyboardInterrupt:
                first = "interrupted"
            fired = sys.meta_path[0].fired
            outcome = kt.send("cv.pdf", name="second.pdf", **where)
            print(json.dumps({{"fired": fired, "first": first, "second": outcome.status,
                              "send_loaded": "send" in vars(kt)}}))
        """)
        assert found == {"fired": True, "first": "interrupted", "second": "sent", "send_loaded": True}
        assert "second.pdf" in sandbox.stored_names([APPLICATION])[APPLICATION]


def test_the_first_send_imports_nothing_outside_the_guarded_list(tmp_path: Path) -> None:
    """The guarded list is the whole of what a first send imports, so it cannot go stale unseen."""
    (tmp_path / "cv.pdf").write_bytes(b"%PDF-1.4\n%%EOF\n")
    with SandboxProcess(tmp_path) as sandbox:
        found = _child(tmp_path, f"""
            import json, sys
            import kombo_tui as kt
            kt.send  # the guarded imports
            before = set(sys.modules)
            outcome = kt.send("cv.pdf", application_id={APPLICATION!r}, integration_id={DEFAULT_INTEGRATION_ID!r},
                              base_url={sandbox.base_url!r}, api_key={SANDBOX_API_KEY!r})
            print(json.dumps({{"status": outcome.status, "new": sorted(set(sys.modules) - before)}}))
        """)
    assert found == {"status": "sent", "new": []}
