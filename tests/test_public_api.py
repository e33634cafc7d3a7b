"""The library surface: what `import kombo_tui` offers, and the documented example runs."""

from __future__ import annotations

import asyncio
import re
import subprocess
import sys
from pathlib import Path

import pytest

import kombo_tui

ROOT = Path(__file__).resolve().parents[1]


def test_every_export_resolves() -> None:
    for name in kombo_tui.__all__:
        assert getattr(kombo_tui, name) is not None, name
    with pytest.raises(AttributeError):
        kombo_tui.no_such_thing  # noqa: B018


def test_readme_documents_the_public_api() -> None:
    readme = (ROOT / "README.md").read_text()
    section = readme.split("## Python", 1)[1].split("\n## ", 1)[0]
    documented = set(re.findall(r"`kt\.(\w+)`", section))
    assert documented, "the README's Python section lists the API as `kt.name`"
    assert documented <= set(kombo_tui.__all__)
    for name in ("send", "preview", "list_applications", "prepare_file", "KomboClient", "SandboxServer"):
        assert name in documented


def test_documented_example_runs() -> None:
    done = subprocess.run(
        [sys.executable, str(ROOT / "examples" / "quickstart.py")], capture_output=True, text=True, timeout=120
    )
    assert done.returncode == 0, done.stderr
    lines = done.stdout.splitlines()
    assert lines[1] == "Jane_Doe_CV.pdf CV application/pdf"
    assert lines[2].startswith("sent ")
    assert lines[3].startswith("the file is on the application")


async def test_sync_helpers_work_under_a_running_loop() -> None:
    asyncio.get_running_loop()  # as in a notebook cell

    async def answer() -> int:
        await asyncio.sleep(0)
        return 42

    assert kombo_tui.run_sync(answer()) == 42
    with pytest.raises(ZeroDivisionError):

        async def boom() -> None:
            raise ZeroDivisionError("boom")

        kombo_tui.run_sync(boom())


def test_send_without_a_key_is_an_input_error(tmp_path: Path) -> None:
    cv = tmp_path / "cv.txt"
    cv.write_text("hello")
    with pytest.raises(kombo_tui.InputError, match="api_key"):
        kombo_tui.send(cv, integration_id="lever:x", application_id="A")


class _Kombo:
    """A loopback stand-in that counts uploads and answers success."""

    def __init__(self) -> None:
        import threading
        from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

        self.posts = 0
        kombo = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                self.rfile.read(int(self.headers.get("content-length") or 0))
                kombo.posts += 1
                payload = b'{"status":"success","data":{},"warnings":[]}'
                self.send_response(200)
                self.send_header("content-type", "application/json")
                self.send_header("content-length", str(len(payload)))
                self.end_headers()
                self.wfile.write(payload)

            def log_message(self, *args: object) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        threading.Thread(target=self.server.serve_forever, daemon=True).start()
        self.base_url = f"http://127.0.0.1:{self.server.server_address[1]}/v1"

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()


def test_send_records_every_send_and_refuses_the_same_file_twice(tmp_path: Path) -> None:
    kombo = _Kombo()
    cv = tmp_path / "cv.pdf"
    cv.write_bytes(b"%PDF-1.4\n%%EOF\n")
    where = {"api_key": "sk_library_test_key", "base_url": kombo.base_url, "integration_id": "lever:x", "application_id": "APP1"}
    try:
        first = kombo_tui.send(cv, **where)
        assert first.status == "sent" and first.history_id is not None
        [entry] = kombo_tui.History().entries()
        assert (entry.id, entry.outcome, entry.application_id) == (first.history_id, "sent", "APP1")
        assert entry.sha256 == first.upload.fingerprint.sha256  # type: ignore[union-attr]

        with pytest.raises(kombo_tui.DuplicateUploadError, match=r"already sent successfully to application APP1 at \d{4}-") as info:
            kombo_tui.send(cv, **where)
        assert isinstance(info.value, kombo_tui.InputError) and "force=True" in str(info.value)
        assert kombo.posts == 1

        forced = kombo_tui.send(cv, force=True, **where)
        assert forced.status == "sent" and kombo.posts == 2
        assert [e.id for e in kombo_tui.History().entries()] == [forced.history_id, first.history_id]

        unrecorded = kombo_tui.send(cv, history=False, **where)  # no history: no record, no check
        assert unrecorded.history_id is None and kombo.posts == 3
        assert len(kombo_tui.History().entries()) == 2
    finally:
        kombo.close()


def test_refusal_after_an_unknown_outcome_points_to_verify(tmp_path: Path) -> None:
    from kombo_tui.core.history import History, HistoryEntry

    kombo = _Kombo()
    cv = tmp_path / "cv.pdf"
    cv.write_bytes(b"%PDF-1.4\n%%EOF\n")
    upload = kombo_tui.prepare_file(cv, integration_id="lever:x", application_id="APP1")
    history = History(tmp_path / "own.sqlite3")
    history.record(
        HistoryEntry(
            environment=kombo.base_url.replace("127.0.0.1", "LocalHost") + "/",  # any spelling of it
            integration_id="lever:x",
            application_id="APP1",
            file_name="cv.pdf",
            type="CV",
            outcome="unknown",
            sha256=upload.fingerprint.sha256,  # type: ignore[union-attr]
        )
    )
    try:
        with pytest.raises(kombo_tui.DuplicateUploadError, match="with an unknown outcome.*check with verify=True first"):
            kombo_tui.send(cv, api_key="sk_library_test_key", base_url=kombo.base_url, integration_id="lever:x",
                           application_id="APP1", history=history)
        assert kombo.posts == 0
    finally:
        kombo.close()
