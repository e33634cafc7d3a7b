"""The core, the sandbox and the CLI never load the UI toolkit; a send does not load pydantic."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest


@pytest.mark.parametrize(
    "modules",
    [
        "kombo_tui",
        "kombo_tui.core.models, kombo_tui.core.files.sniff, kombo_tui.core.payload, kombo_tui.core.client, "
        "kombo_tui.core.config.settings, kombo_tui.core.engine, kombo_tui.core.hints, kombo_tui.core.connectors",
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


def test_a_send_loads_neither_pydantic_nor_textual_before_its_body_is_on_the_wire(tmp_path: Path) -> None:
    """The send path is benchmarked from process start to the first body byte: it stays lean."""
    cv = tmp_path / "cv.pdf"
    cv.write_bytes(b"%PDF-1.4\n%%EOF\n")
    code = (
        "import json, sys, threading\n"
        "from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer\n"
        "seen = {}\n"
        "class Handler(BaseHTTPRequestHandler):\n"
        "    def do_POST(self):\n"
        "        seen.update({m: m in sys.modules for m in ('pydantic', 'pydantic_settings', 'textual')})\n"
        "        self.rfile.read(int(self.headers['content-length']))\n"
        "        body = b'{\"status\":\"success\",\"data\":{},\"warnings\":[]}'\n"
        "        self.send_response(200)\n"
        "        self.send_header('content-length', str(len(body)))\n"
        "        self.end_headers()\n"
        "        self.wfile.write(body)\n"
        "    def do_GET(self):\n"  # the limits read before a send: none published (else real retry waits)
        "        body = b'{\"status\":\"success\",\"data\":{},\"warnings\":[]}'\n"
        "        self.send_response(200)\n"
        "        self.send_header('content-length', str(len(body)))\n"
        "        self.end_headers()\n"
        "        self.wfile.write(body)\n"
        "    def log_message(self, *args):\n"
        "        pass\n"
        "server = ThreadingHTTPServer(('127.0.0.1', 0), Handler)\n"
        "threading.Thread(target=server.serve_forever, daemon=True).start()\n"
        "import os\n"
        "os.environ['KOMBO_BASE_URL'] = f'http://127.0.0.1:{server.server_address[1]}/v1'\n"
        "from kombo_tui.cli import main\n"
        f"code = main(['send', {str(cv)!r}, '--integration', 'lever:x', '--application', 'APP1', '--type', 'CV'])\n"
        "print(json.dumps({'code': code, 'seen': seen}))\n"
    )
    env = {k: v for k, v in os.environ.items() if not k.startswith("KOMBO_")}
    env["KOMBO_API_KEY"] = "sk_import_hygiene_test"
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True, env=env, cwd=tmp_path)
    result = json.loads(done.stdout.strip().splitlines()[-1])
    assert result == {"code": 0, "seen": {"pydantic": False, "pydantic_settings": False, "textual": False}}, done.stderr
