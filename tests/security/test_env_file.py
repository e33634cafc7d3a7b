"""A ``.env`` in a received folder may not decide where the user's key and files go.

A folder of CVs with a hidden ``.env`` holding only ``KOMBO_BASE_URL=…`` used to send the key
from the environment (or the config file) and the files to that server, even on ``--dry-run``.
Now the base URL, region or integration of a ``.env`` is used only with a key from that same
file, or when the user trusts it on purpose; otherwise every door refuses before any request,
naming the file.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest

import kombo_tui as kt
from kombo_tui.cli import main
from kombo_tui.cli.diagnostics import ExitCode
from kombo_tui.core.errors import ConfigError
from kombo_tui.core.target import Target

KEY = "sk_users_own_key_123456"
PDF = b"%PDF-1.4\n1 0 obj<</Type/Catalog>>endobj\ntrailer<<>>\n%%EOF\n"


class Elsewhere:
    """A server a hostile .env points to: it counts whatever reaches it."""

    def __init__(self) -> None:
        self.requests = 0
        counter = self

        class Handler(BaseHTTPRequestHandler):
            def _any(self) -> None:
                counter.requests += 1
                self.rfile.read(int(self.headers.get("content-length") or 0))
                body = b'{"status":"success","data":{},"warnings":[]}'
                self.send_response(200)
                self.send_header("content-type", "application/json")
                self.send_header("content-length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            do_GET = do_POST = _any

            def log_message(self, *args: object) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.base_url = f"http://127.0.0.1:{self.server.server_address[1]}/v1"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()


@pytest.fixture
def elsewhere(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Elsewhere]:
    server = Elsewhere()
    folder = tmp_path / "received"
    folder.mkdir()
    (folder / "cv.pdf").write_bytes(PDF)
    (folder / ".env").write_text(f"KOMBO_BASE_URL={server.base_url}\nKOMBO_INTEGRATION_ID=greenhouse:theirs\n")
    monkeypatch.chdir(folder)
    monkeypatch.setenv("KOMBO_API_KEY", KEY)
    yield server
    server.server.shutdown()


SEND = ["send", "cv.pdf", "--application", "APP1"]


@pytest.mark.parametrize("extra", [[], ["--dry-run"]])
def test_the_cli_refuses_a_env_that_steers_a_key_from_elsewhere(
    elsewhere: Elsewhere, capsys: pytest.CaptureFixture[str], extra: list[str]
) -> None:
    assert main([*SEND, *extra]) == ExitCode.BAD_INPUT
    err = capsys.readouterr().err
    assert str(Path(".env").resolve()) in err and "KOMBO_BASE_URL, KOMBO_INTEGRATION_ID" in err
    assert "--trust-env-file" in err and KEY not in err
    assert elsewhere.requests == 0


def test_trusting_it_on_purpose_or_a_key_from_the_same_file_is_allowed(
    elsewhere: Elsewhere, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    assert main([*SEND, "--trust-env-file", "--skip-limits"]) == ExitCode.OK
    assert elsewhere.requests == 1
    capsys.readouterr()
    # The same folder's own key: the file decides about its own key only.
    monkeypatch.delenv("KOMBO_API_KEY")
    Path(".env").write_text(Path(".env").read_text() + "KOMBO_API_KEY=sk_the_files_own_key_1\n")
    target = Target.resolve()
    assert target.base_url == elsewhere.base_url and target.key_source == ".env"


def test_giving_the_place_yourself_leaves_the_env_out(elsewhere: Elsewhere) -> None:
    target = Target.resolve(base_url="https://api.us.kombo.dev/v1", integration_id="greenhouse:mine")
    assert target.base_url == "https://api.us.kombo.dev/v1" and target.integration_id == "greenhouse:mine"
    with pytest.raises(ConfigError, match="KOMBO_BASE_URL"):  # a region does not outrank a base URL
        Target.resolve(region="us", integration_id="greenhouse:mine")


def test_the_library_and_the_app_refuse_it_too(elsewhere: Elsewhere) -> None:
    with pytest.raises(ConfigError, match="trust_env_file=True"):
        kt.send("cv.pdf", application_id="APP1")
    with pytest.raises(ConfigError, match=r"\.env"):
        kt.send("cv.pdf", application_id="APP1", api_key="sk_an_argument_key_1")  # an argument's key too
    assert elsewhere.requests == 0
    from kombo_tui.tui.session import Connection

    connection = Connection()  # the app asks (below); until then the file is left out
    assert connection.env_file_question is not None and connection.problem is None
    assert connection.base_url == "https://api.kombo.dev/v1"
    assert Connection(trust_env_file=True).base_url == elsewhere.base_url


@pytest.mark.parametrize("answer", ["ignore", "trust"])
async def test_the_app_asks_and_does_what_it_was_told(elsewhere: Elsewhere, answer: str) -> None:
    from textual.widgets import Button, Static

    from kombo_tui.tui.app import make_app

    app = make_app()
    async with app.run_test(size=(120, 40)) as pilot:
        for _ in range(200):  # the question comes once the main screen's fields are mounted
            if app.screen.id == "env-file-question":
                break
            await pilot.pause(0.02)
        said = str(app.screen.query_one(".dialog-body", Static).render())
        assert "KOMBO_BASE_URL" in said and str(Path(".env").resolve()) in said
        assert elsewhere.requests == 0  # nothing went there while asking
        app.screen.query_one(f"#choice-{answer}", Button).press()
        connection = app.session.connection
        for _ in range(200):  # the choice is taken when the dialog is dismissed
            if connection.env_file_question is None:
                break
            await pilot.pause(0.02)
        expected = elsewhere.base_url if answer == "trust" else "https://api.kombo.dev/v1"
        assert connection.base_url == expected and connection.env_file_question is None
