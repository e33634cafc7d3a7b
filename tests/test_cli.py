"""The CLI contract: exit codes, one-line errors, --json, and nothing sent on bad input."""

from __future__ import annotations

import json
import os
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import jsonschema
import pytest

from kombo_tui.cli import ExitCode, main

SCHEMA = json.loads(
    (Path(__file__).parents[1] / "tests/data/add_application_attachment.request.json").read_text()
)
KEY = "sk_cli_test_key_do_not_print_42"
PDF = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"


class Recorder:
    """A loopback server that records every request and answers with a scripted response."""

    def __init__(self) -> None:
        self.requests: list[dict[str, Any]] = []
        self.status = 200
        self.body: dict[str, Any] = {"status": "success", "data": {}, "warnings": []}
        recorder = self

        class Handler(BaseHTTPRequestHandler):
            def _answer(self) -> None:
                length = int(self.headers.get("content-length") or 0)
                raw = self.rfile.read(length) if length else b""
                recorder.requests.append(
                    {"method": self.command, "path": self.path, "headers": dict(self.headers), "body": raw}
                )
                payload = json.dumps(recorder.body).encode()
                self.send_response(recorder.status)
                self.send_header("content-type", "application/json")
                self.send_header("content-length", str(len(payload)))
                self.end_headers()
                self.wfile.write(payload)

            do_GET = do_POST = _answer

            def log_message(self, *args: Any) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()
        self.base_url = f"http://127.0.0.1:{self.server.server_address[1]}/v1"

    @property
    def posts(self) -> list[dict[str, Any]]:
        """The uploads (the reads before them, e.g. the integration's limits, left out)."""
        return [r for r in self.requests if r["method"] == "POST"]

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture
def server(monkeypatch: pytest.MonkeyPatch) -> Iterator[Recorder]:
    rec = Recorder()
    monkeypatch.setenv("KOMBO_API_KEY", KEY)
    monkeypatch.setenv("KOMBO_BASE_URL", rec.base_url)
    yield rec
    rec.close()


@pytest.fixture
def cv(tmp_path: Path) -> Path:
    path = tmp_path / "Jane_Doe_CV.pdf"
    path.write_bytes(PDF)
    return path


BASE = ["--integration", "greenhouse:abc", "--application", "APP1"]


def _run(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    code = main(list(argv))
    out, err = capsys.readouterr()
    assert KEY not in out and KEY not in err
    return code, out, err


def test_send_ok(server: Recorder, cv: Path, capsys: pytest.CaptureFixture[str]) -> None:
    server.body = {"status": "success", "data": {}, "warnings": [{"message": "added to the candidate instead"}]}
    code, out, err = _run(capsys, "send", str(cv), *BASE)
    assert code == ExitCode.OK
    assert "sent Jane_Doe_CV.pdf (CV, application/pdf" in out
    assert "warning: added to the candidate instead" in err
    [limits, req] = server.requests
    assert (limits["method"], limits["path"]) == ("GET", "/v1/ats/actions/ats_add_application_attachment")
    assert req["path"] == "/v1/ats/applications/APP1/attachments"
    assert req["headers"]["Authorization"] == f"Bearer {KEY}"
    assert req["headers"]["X-Integration-Id"] == "greenhouse:abc"
    jsonschema.validate(json.loads(req["body"]), SCHEMA)


@pytest.mark.parametrize(
    "extra",
    [
        [],
        ["--type", "OTHER", "--name", "Résumé final.pdf", "--content-type", "application/pdf"],
        ["--oracle-category", "IRC_CANDIDATE_RESUME", "--oracle-multi-post"],
        ["--greenhouse-on-behalf-of", "4242"],
        ["--workable-on-behalf-of", "u-7"],
        ["--remote-fields", '{"greenhouse": {"post_headers": {"On-Behalf-Of": null}}}'],
    ],
)
def test_every_request_validates_against_the_schema(
    server: Recorder, cv: Path, capsys: pytest.CaptureFixture[str], extra: list[str]
) -> None:
    code, _, _ = _run(capsys, "send", str(cv), *BASE, *extra)
    assert code == ExitCode.OK
    body = json.loads(server.requests[-1]["body"])
    jsonschema.validate(body, SCHEMA)
    assert int(server.requests[-1]["headers"]["Content-Length"]) == len(server.requests[-1]["body"])


def test_send_data_url_validates(server: Recorder, capsys: pytest.CaptureFixture[str]) -> None:
    code, _, _ = _run(capsys, "send", "--data-url", "https://files.example.com/cv.pdf", "--type", "CV", *BASE)
    assert code == ExitCode.OK
    body = json.loads(server.requests[-1]["body"])
    jsonschema.validate(body, SCHEMA)
    assert "data" not in body["attachment"]


def test_send_json_is_one_document(server: Recorder, cv: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = _run(capsys, "send", str(cv), *BASE, "--json")
    assert code == ExitCode.OK
    doc = json.loads(out)
    assert doc["ok"] is True and doc["status"] == "sent"
    assert doc["request"]["sha256"] and doc["request"]["size"] == len(PDF)


def test_application_id_is_one_path_segment(server: Recorder, cv: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code, _, _ = _run(capsys, "send", str(cv), "--integration", "greenhouse:abc", "--application", "../../check-api-key?x=1#f%")
    assert code == ExitCode.OK
    assert server.requests[-1]["path"] == "/v1/ats/applications/..%2F..%2Fcheck-api-key%3Fx%3D1%23f%25/attachments"


def test_api_error_exit_3(server: Recorder, cv: Path, capsys: pytest.CaptureFixture[str]) -> None:
    server.status = 403
    server.body = {
        "status": "error",
        "error": {
            "code": "INTEGRATION.PERMISSION_MISSING",
            "title": "Permission missing",
            "message": "Add attachments is not enabled",
            "log_url": "https://app.kombo.dev/x/logs?interactionId=9",
        },
    }
    code, _, err = _run(capsys, "send", str(cv), *BASE)
    assert code == ExitCode.API_ERROR
    assert "INTEGRATION.PERMISSION_MISSING" in err
    assert "https://app.kombo.dev/x/logs?interactionId=9" in err
    assert "scope config" in err  # the hint
    code, out, _ = _run(capsys, "send", str(cv), *BASE, "--json")
    doc = json.loads(out)
    assert code == 3 and doc["error"]["code"] == "INTEGRATION.PERMISSION_MISSING"


def test_transport_error_exit_4(monkeypatch: pytest.MonkeyPatch, cv: Path, capsys: pytest.CaptureFixture[str]) -> None:
    import socket

    sock = socket.socket()
    sock.bind(("127.0.0.1", 0))
    port = sock.getsockname()[1]
    sock.close()  # nothing listens there now
    monkeypatch.setenv("KOMBO_API_KEY", KEY)
    monkeypatch.setenv("KOMBO_BASE_URL", f"http://127.0.0.1:{port}/v1")
    code, _, err = _run(capsys, "send", str(cv), *BASE)
    assert code == ExitCode.TRANSPORT
    assert "nothing was received" in err


def _bad_inputs(tmp: Path) -> list[tuple[str, list[str], str]]:
    empty = tmp / "empty.pdf"
    empty.write_bytes(b"")
    fifo = tmp / "pipe.pdf"
    os.mkfifo(fifo)
    cv = tmp / "cv.pdf"
    cv.write_bytes(PDF)
    return [
        ("missing path", ["send", str(tmp / "nope.pdf"), *BASE], "file"),
        ("directory", ["send", str(tmp), *BASE], "file"),
        ("empty file", ["send", str(empty), *BASE], "file"),
        ("fifo", ["send", str(fifo), *BASE], "file"),
        ("device", ["send", "/dev/zero", *BASE], "file"),
        ("both file and url", ["send", str(cv), "--data-url", "https://x.example/cv.pdf", *BASE], "file"),
        ("neither", ["send", *BASE], "file"),
        ("url not http", ["send", "--data-url", "file:///etc/passwd", "--type", "CV", *BASE], "data_url"),
        ("bad content type", ["send", str(cv), "--content-type", "pdf", *BASE], "content_type"),
        ("bad type", ["send", str(cv), "--type", "RESUME", *BASE], "type"),
        ("bad remote json", ["send", str(cv), "--remote-fields", "{nope", *BASE], "remote_fields"),
        ("bad oracle category", ["send", str(cv), "--oracle-category", "RESUME", *BASE], "remote_fields.oracle"),
        ("no integration", ["send", str(cv), "--application", "APP1"], "integration"),
        ("no application", ["send", str(cv), "--integration", "greenhouse:abc"], "application"),
    ]


@pytest.mark.timeout(20)
def test_bad_input_exit_2_one_line_nothing_sent(
    server: Recorder, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    for label, argv, field in _bad_inputs(tmp_path):
        code, out, err = _run(capsys, *argv)
        assert code == ExitCode.BAD_INPUT, label
        lines = [line for line in err.splitlines() if line.startswith("kombo-tui: error:")]
        assert len(lines) >= 1, (label, err)
        assert any(f"error: {field}" in line for line in lines), (label, err)
        assert out == "", label
        code, out, _ = _run(capsys, *argv, "--json")
        doc = json.loads(out)
        assert code == 2 and doc["status"] == "bad_input", label
    assert server.requests == []


def test_unreadable_file(server: Recorder, cv: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch) -> None:
    real_open = os.open

    def deny(path: Any, flags: int, *args: Any, **kw: Any) -> int:
        if str(path) == str(cv):
            raise PermissionError(13, "Permission denied", str(path))
        return real_open(path, flags, *args, **kw)

    monkeypatch.setattr(os, "open", deny)
    code, _, err = _run(capsys, "send", str(cv), *BASE)
    assert code == ExitCode.BAD_INPUT and "error: file" in err
    assert server.requests == []


def test_missing_api_key(cv: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code, _, err = _run(capsys, "send", str(cv), *BASE)
    assert code == ExitCode.BAD_INPUT
    assert "error: api_key: no API key" in err


def test_plain_http_base_url_refused(monkeypatch: pytest.MonkeyPatch, cv: Path, capsys: pytest.CaptureFixture[str]) -> None:
    monkeypatch.setenv("KOMBO_API_KEY", KEY)
    code, _, err = _run(capsys, "send", str(cv), *BASE, "--base-url", "http://api.example.com/v1")
    assert code == ExitCode.BAD_INPUT and "in clear" in err


def test_dry_run_sends_nothing(server: Recorder, cv: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = _run(capsys, "send", str(cv), *BASE, "--dry-run", "--json")
    assert code == 0 and server.requests == []
    assert json.loads(out)["status"] == "dry_run"


def test_preview_elides_and_never_sends(server: Recorder, cv: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = _run(capsys, "preview", str(cv), *BASE, "--json")
    assert code == 0 and server.requests == []
    doc = json.loads(out)
    assert doc["headers"]["Authorization"] == "Bearer $KOMBO_API_KEY"
    assert doc["body"]["attachment"]["data"].startswith("<base64 of")
    jsonschema.validate({**doc["body"], "attachment": {**doc["body"]["attachment"], "data": "AA=="}}, SCHEMA)
    code, out, _ = _run(capsys, "preview", str(cv), "--full")
    assert code == 0
    body = out.split("\n\n", 1)[1]
    jsonschema.validate(json.loads(body), SCHEMA)


def test_sniff(cv: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = _run(capsys, "sniff", str(cv), "--json")
    doc = json.loads(out)
    assert code == 0 and doc["files"][0]["mime"] == "application/pdf"
    assert doc["files"][0]["suggested_type"] == "CV"
    code, out, err = _run(capsys, "sniff", str(cv), str(tmp_path / "missing"))
    assert code == ExitCode.BAD_INPUT
    assert "application/pdf" in out and "error: file" in err


def test_second_send_of_the_same_file_needs_force(server: Recorder, cv: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert _run(capsys, "send", str(cv), *BASE)[0] == ExitCode.OK
    code, _, err = _run(capsys, "send", str(cv), *BASE)
    assert code == ExitCode.BAD_INPUT
    assert "already sent successfully to application APP1" in err and "--force" in err
    assert len(server.posts) == 1
    assert _run(capsys, "send", str(cv), *BASE, "--force")[0] == ExitCode.OK
    assert len(server.posts) == 2
    code, out, _ = _run(capsys, "history", "--json")
    entries = json.loads(out)["entries"]
    assert [e["outcome"] for e in entries] == ["sent", "sent"]
    assert entries[0]["file_name"] == "Jane_Doe_CV.pdf" and entries[0]["size"] == len(PDF)
    code, out, _ = _run(capsys, "history")
    assert code == 0 and "Jane_Doe_CV.pdf" in out


def test_batch_send_each_file_with_its_type(server: Recorder, cv: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    letter = tmp_path / "letter.txt"
    letter.write_text("Dear hiring team, ...\n")
    code, out, _ = _run(capsys, "send", str(cv), str(letter), "--type", "CV", "--type", "COVER_LETTER", *BASE, "--json")
    assert code == ExitCode.OK
    doc = json.loads(out)
    assert doc["status"] == "batch" and doc["ok"] is True
    assert [r["request"]["type"] for r in doc["results"]] == ["CV", "COVER_LETTER"]
    bodies = sorted((json.loads(r["body"])["attachment"]["type"] for r in server.posts))
    assert bodies == ["COVER_LETTER", "CV"]


def test_batch_with_one_bad_file_sends_nothing(server: Recorder, cv: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code, _, err = _run(capsys, "send", str(cv), str(tmp_path / "missing.pdf"), *BASE)
    assert code == ExitCode.BAD_INPUT
    assert "missing.pdf: file" in err
    code, _, err = _run(capsys, "send", str(cv), str(cv), "--type", "CV", *BASE)
    assert code == ExitCode.BAD_INPUT and "once per file" in err
    assert server.requests == []


def test_batch_reports_each_result(server: Recorder, cv: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    server.status = 400
    server.body = {"status": "error", "error": {"code": "REMOTE.INPUT_INVALID", "title": None, "message": "too big", "log_url": None}}
    other = tmp_path / "other.txt"
    other.write_text("notes\n")
    code, out, err = _run(capsys, "send", str(cv), str(other), *BASE, "--json")
    assert code == ExitCode.API_ERROR
    doc = json.loads(out)
    assert [r["status"] for r in doc["results"]] == ["error", "error"]
    assert err.count("not sent (error)") == 2


def test_manifest(server: Recorder, cv: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    manifest = tmp_path / "batch.json"
    manifest.write_text(json.dumps([{"file": cv.name, "type": "CV", "name": "Jane CV.pdf"}, {"file": cv.name, "type": "OTHER"}]))
    code, _, _ = _run(capsys, "send", "--manifest", str(manifest), *BASE)
    assert code == ExitCode.OK
    names = sorted(json.loads(r["body"])["attachment"]["name"] for r in server.posts)
    assert names == ["Jane CV.pdf", "Jane_Doe_CV.pdf"]
    manifest.write_text('[{"path": "x"}]')
    code, _, err = _run(capsys, "send", "--manifest", str(manifest), *BASE)
    assert code == ExitCode.BAD_INPUT and "manifest[0]" in err
    manifest.write_text(json.dumps([{"file": cv.name, "type": 5}]))
    code, _, err = _run(capsys, "send", "--manifest", str(manifest), *BASE)
    assert code == ExitCode.BAD_INPUT and "error: manifest[0].type: must be text, not 5" in err


def test_serve_with_a_plain_http_base_url_is_bad_input(monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]) -> None:
    import textual_serve.server

    def never(*args: Any, **kwargs: Any) -> None:
        raise AssertionError("the server must not start")

    monkeypatch.setattr(textual_serve.server.Server, "serve", never)
    code, out, err = _run(capsys, "serve", "--base-url", "http://example.com")
    assert code == ExitCode.BAD_INPUT
    assert "kombo-tui: error: base_url: refusing plain http to example.com" in err
    assert "Traceback" not in err and out == ""


@pytest.mark.parametrize("damage", ["corrupt", "unreadable"])
def test_a_broken_history_is_bad_input_not_a_traceback(
    damage: str, server: Recorder, cv: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    from kombo_tui.core.history import default_history_path

    path = default_history_path()
    path.parent.mkdir(parents=True, exist_ok=True)
    if damage == "corrupt":
        path.write_bytes(b"this is not an SQLite database, just some text " * 50)
    else:
        path.mkdir()  # a directory where the database should be: sqlite cannot open it
    code, out, err = _run(capsys, "history")
    assert code == ExitCode.BAD_INPUT and out == ""
    assert f"kombo-tui: error: history: cannot use the local history {path}" in err
    code, out, _ = _run(capsys, "history", "--json")
    assert code == ExitCode.BAD_INPUT and json.loads(out)["status"] == "bad_input"
    code, _, err = _run(capsys, "send", str(cv), *BASE)  # the resend check reads the history first
    assert code == ExitCode.BAD_INPUT and "error: history" in err
    assert server.requests == []


@pytest.mark.parametrize(
    ("failure", "exit_code", "status"),
    [
        (KeyboardInterrupt(), ExitCode.INTERRUPTED, None),
        (OSError(28, "No space left on device", "/tmp/x"), ExitCode.BAD_INPUT, "bad_input"),
        (BrokenPipeError(32, "Broken pipe"), ExitCode.OK, None),
        ("api", ExitCode.API_ERROR, "error"),
        ("transport", ExitCode.TRANSPORT, "unknown"),
    ],
)
def test_every_failure_of_a_command_maps_to_an_exit_code(
    failure: object, exit_code: ExitCode, status: str | None, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str], cv: Path
) -> None:
    from kombo_tui.cli import commands
    from kombo_tui.core.errors import ApiError, TransportError

    if failure == "api":
        failure = ApiError(status=503, code=None, title=None, message="down")
    elif failure == "transport":
        failure = TransportError("the connection broke", sent=True, kind="protocol")

    def fail(*args: Any) -> int:
        assert isinstance(failure, BaseException)
        raise failure

    monkeypatch.setattr(commands, "cmd_sniff", fail)
    code, out, err = _run(capsys, "sniff", str(cv), "--json")
    assert code == exit_code and "Traceback" not in err
    if status is not None:
        assert json.loads(out)["status"] == status
    if isinstance(failure, ApiError):
        assert "Kombo answered HTTP 503" in err


def test_an_invalid_setting_is_bad_input(monkeypatch: pytest.MonkeyPatch, cv: Path, capsys: pytest.CaptureFixture[str]) -> None:
    monkeypatch.setenv("KOMBO_API_KEY", KEY)
    monkeypatch.setenv("KOMBO_REGION", "EU")  # regions are lower-case: eu, us, ca
    code, out, err = _run(capsys, "send", str(cv), *BASE, "--json")
    assert code == ExitCode.BAD_INPUT and "Traceback" not in err
    assert "kombo-tui: error: config: setting region (KOMBO_REGION" in err
    assert json.loads(out)["status"] == "bad_input"


# ---------------------------------------------------------------------- issue 20: the CLI's answers


def _sandbox_cv(tmp_path: Path) -> tuple[Path, str]:
    from kombo_tui.sandbox.data import DEFAULT_INTEGRATION_ID, dataset

    path = tmp_path / "Jane_Doe_CV.pdf"
    path.write_bytes(PDF)
    return path, dataset(DEFAULT_INTEGRATION_ID).live_applications[0].id


def test_a_missing_file_is_one_problem_not_two(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code, out, err = _run(capsys, "send", str(tmp_path / "nofile.pdf"), "--sandbox", *BASE)
    assert code == ExitCode.BAD_INPUT
    assert "file:" in err and "does not exist" in err
    assert "content_type" not in err


def test_missing_fields_name_the_clis_flags_and_the_librarys_arguments(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    import kombo_tui as kt
    from kombo_tui.core.errors import InputError

    cv, _ = _sandbox_cv(tmp_path)
    code, _, err = _run(capsys, "send", str(cv), "--sandbox", "--integration", "greenhouse:abc")
    assert code == ExitCode.BAD_INPUT and "application: no application id given (--application)" in err
    with pytest.raises(InputError) as caught:
        kt.preview(cv, integration_id="greenhouse:abc", require_target=True)
    assert "no application id given (application_id= or candidate_id=)" in str(caught.value)
    assert "--" not in str(caught.value)


def test_check_existing_lists_what_is_on_the_application(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    from kombo_tui.sandbox.data import DEFAULT_INTEGRATION_ID, SANDBOX_API_KEY
    from kombo_tui.sandbox.server import SandboxServer

    cv, app = _sandbox_cv(tmp_path)
    other = tmp_path / "Other_Letter.pdf"
    other.write_bytes(PDF + b"%another file\n")
    monkeypatch.setenv("KOMBO_API_KEY", SANDBOX_API_KEY)
    with SandboxServer() as server:
        where = ["--base-url", server.base_url, "--integration", DEFAULT_INTEGRATION_ID, "--application", app]
        before = len(server.sandbox.store.on_application(DEFAULT_INTEGRATION_ID, app, ""))
        assert _run(capsys, "send", str(other), *where)[0] == ExitCode.OK
        code, _, err = _run(capsys, "send", str(cv), *where, "--check-existing", "--name", "Other_Letter.pdf")
    assert code == ExitCode.OK, err
    head, listed = err.split(f"note: application {app} already has ", 1)
    lines = [line for line in listed.splitlines() if line.startswith("  ")]
    assert listed.startswith(f"{len(lines)} attachment") and len(lines) >= 1 + before
    [mine] = [line for line in lines if line.startswith("  Other_Letter.pdf (")]
    assert mine.endswith("← same name as yours: sending adds another")
    assert all("same name" not in line for line in lines if line is not mine)


def test_verify_finding_an_unknown_send_landed_exits_0_without_sending(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    from kombo_tui.sandbox.config import SandboxConfig
    from kombo_tui.sandbox.data import DEFAULT_INTEGRATION_ID, SANDBOX_API_KEY
    from kombo_tui.sandbox.server import SandboxServer

    cv, app = _sandbox_cv(tmp_path)
    monkeypatch.setenv("KOMBO_API_KEY", SANDBOX_API_KEY)
    with SandboxServer(SandboxConfig(drop_after_store=True)) as server:
        where = ["--base-url", server.base_url, "--integration", DEFAULT_INTEGRATION_ID, "--application", app]
        code, _, err = _run(capsys, "send", str(cv), *where)
        assert code == ExitCode.TRANSPORT and server.sandbox.store.upload_count() == 1, err
        code, out, err = _run(capsys, "send", str(cv), *where, "--verify", "--json")
        assert code == ExitCode.OK, err
        assert f"is already on application {app}" in err and "not sent again" in err
        doc = json.loads(out)
        assert doc["ok"] is True and doc["status"] == "already_there" and doc["application_id"] == app
        assert server.sandbox.store.upload_count() == 1  # nothing sent twice


def test_the_script_returns_mains_code_and_leaves_the_last_collection_little_to_walk() -> None:
    """``kombo-tui`` and ``python -m kombo_tui`` run :func:`run`: main's exit code, with what the
    process made frozen out of the interpreter's final garbage collection (a faster exit)."""
    import subprocess
    import sys

    script = (
        "import gc, sys\n"
        "from kombo_tui.cli import run\n"
        "sys.argv = ['kombo-tui', 'sniff', '/nonexistent/cv.pdf']\n"
        "code = run()\n"
        "print(code, gc.get_freeze_count() > 1000)\n"
    )
    done = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, timeout=60)
    assert done.stdout.split() == [str(int(ExitCode.BAD_INPUT)), "True"], done.stderr
