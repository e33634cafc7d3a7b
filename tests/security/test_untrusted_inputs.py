"""Issue 10's core and CLI defences, each with the attack it stops.

https-only log links, bounded JSON everywhere the tool reads it, history failures that are
told and kept, manifest entries that show their real file and cannot reach the config
directory, and ``str()`` of errors that is safe for a terminal.
"""

from __future__ import annotations

import asyncio
import json
import os
import stat
from pathlib import Path

import httpx
import pytest

from kombo_tui.cli import ExitCode, main
from kombo_tui.core.errors import ApiError, ConfigError, InputError, Notice, Problem
from kombo_tui.core.net import safe_link
from kombo_tui.sandbox.data import DEFAULT_INTEGRATION_ID, SANDBOX_API_KEY
from tests.hostile import CONTROL_RE, HostileKombo, hostile_server

PDF = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"
TARGET = ["--integration", DEFAULT_INTEGRATION_ID, "--application", "APP1"]


def _cli(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    code = main(list(argv))
    out, err = capsys.readouterr()
    assert "Traceback" not in err
    return code, out, err


@pytest.fixture
def cv(tmp_path: Path) -> Path:
    path = tmp_path / "cv.pdf"
    path.write_bytes(PDF)
    return path


@pytest.fixture
def never_called(monkeypatch: pytest.MonkeyPatch) -> list[httpx.Request]:
    """Any request the CLI tries is recorded here (and refused): bad input sends nothing."""
    tried: list[httpx.Request] = []

    async def refuse(self: object, request: httpx.Request) -> httpx.Response:
        tried.append(request)
        raise httpx.ConnectError("tests: nothing may be sent", request=request)

    monkeypatch.setattr(httpx.AsyncHTTPTransport, "handle_async_request", refuse)
    monkeypatch.setenv("KOMBO_API_KEY", SANDBOX_API_KEY)
    monkeypatch.setenv("KOMBO_BASE_URL", "https://api.kombo.dev/v1")
    return tried


# --------------------------------------------------------------------------- log_url


@pytest.mark.parametrize(
    ("url", "link"),
    [
        ("https://app.kombo.dev/logs/abc", True),
        ("HTTPS://app.kombo.dev/logs/abc", True),
        ("http://app.kombo.dev/logs/abc", False),
        ("http://127.0.0.1:8765/logs/sbx1", True),  # the embedded sandbox's own log pages
        ("http://localhost:8765/logs/sbx1", True),
        ("http://[::1]:8765/logs/sbx1", True),
        ("http://127.0.0.1.evil.example/logs/1", False),
        ("http://evil.example:80@127.0.0.1/x", False),
        ("file:///etc/passwd", False),
        ("javascript:alert(1)", False),
        ("https://", False),
        ("https://user:pw@evil.example/", False),
        ("https://evil.example/\x1b]52;c;eA==\x07", False),
        ("https://evil.example/ spaced", False),
        ("", False),
    ],
)
def test_only_https_and_loopback_log_urls_are_links(url: str, link: bool) -> None:
    assert (safe_link(url) == url) is link


def test_a_non_https_log_url_is_shown_marked_and_inert(capsys: pytest.CaptureFixture[str], cv: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("KOMBO_API_KEY", SANDBOX_API_KEY)
    with hostile_server("file:///etc/passwd", mode="error") as (server, _):
        monkeypatch.setenv("KOMBO_BASE_URL", server.base_url)
        code, _, err = _cli(capsys, "send", str(cv), *TARGET)
    assert code == ExitCode.API_ERROR
    assert "log (not an https link, not opened): file:///etc/passwd" in err
    assert "  log: file:" not in err


# --------------------------------------------------------------------------- errors' str()


def test_errors_str_is_one_inert_line_and_attributes_stay_exact() -> None:
    evil = "boom\x1b[2J\nwarning: fake\x9b"
    error = ApiError(status=400, code=evil, title=evil, message=evil, log_url=evil)
    for text in (str(error), error.summary(), str(InputError.single("file", evil)), str(Problem("f", evil)), str(Notice("file", "sniff_note", evil))):
        assert CONTROL_RE.search(text) is None and "\n" not in text
        assert "\\x1b[2J" in text
    assert error.message == evil and error.log_url == evil


# --------------------------------------------------------------------------- deep and large JSON


@pytest.mark.parametrize("depth", [900, 100_000])
@pytest.mark.parametrize("how", ["inline", "file"])
def test_deep_remote_fields_are_bad_input_and_nothing_is_sent(
    depth: int, how: str, cv: Path, tmp_path: Path, never_called: list[httpx.Request], capsys: pytest.CaptureFixture[str]
) -> None:
    deep = '{"greenhouse":' + "[" * depth + "]" * depth + "}"
    value = deep
    if how == "file":
        (tmp_path / "rf.json").write_text(deep)
        value = f"@{tmp_path / 'rf.json'}"
    for json_flag in ([], ["--json"]):
        code, out, err = _cli(capsys, "send", str(cv), *TARGET, "--remote-fields", value, *json_flag)
        assert code == ExitCode.BAD_INPUT
        assert "remote_fields: nests" in err and "the limit is" in err
        if json_flag:
            assert json.loads(out)["status"] == "bad_input"
    assert never_called == []


@pytest.mark.parametrize("depth", [900, 100_000])
def test_a_deep_manifest_is_bad_input_and_nothing_is_sent(
    depth: int, cv: Path, tmp_path: Path, never_called: list[httpx.Request], capsys: pytest.CaptureFixture[str]
) -> None:
    manifest = tmp_path / "m.json"
    manifest.write_text('[{"file": "cv.pdf", "name": ' + "[" * depth + "]" * depth + "}]")
    code, _, err = _cli(capsys, "send", "--manifest", str(manifest), *TARGET)
    assert code == ExitCode.BAD_INPUT
    assert "manifest: nests" in err
    assert never_called == []


def test_a_huge_manifest_is_refused_before_parsing(tmp_path: Path, never_called: list[httpx.Request], capsys: pytest.CaptureFixture[str]) -> None:
    manifest = tmp_path / "m.json"
    manifest.write_text('[{"file": "cv.pdf", "name": "' + "x" * (2 * 1024 * 1024) + '"}]')
    code, _, err = _cli(capsys, "send", "--manifest", str(manifest), *TARGET)
    assert code == ExitCode.BAD_INPUT and "bytes of JSON; the limit is" in err
    assert never_called == []


def test_a_huge_or_deep_config_file_is_a_config_error(tmp_path: Path) -> None:
    from kombo_tui.core.config.file import MAX_CONFIG_BYTES, read_config

    path = tmp_path / "config.toml"
    path.write_text("region = 'eu'\n" + "# padding\n" * (MAX_CONFIG_BYTES // 10 + 1))
    path.chmod(0o600)
    with pytest.raises(ConfigError, match="the limit is"):
        read_config(path)
    path.write_text("x = " + "[" * 5000 + "]" * 5000 + "\n")
    with pytest.raises(ConfigError, match="nests too deep"):
        read_config(path)


def test_history_reads_stored_json_within_limits(capsys: pytest.CaptureFixture[str]) -> None:
    from kombo_tui.core.history import History, HistoryEntry

    history = History()
    entry_id = history.record(
        HistoryEntry(environment="EU", integration_id="a:b", application_id="APP", file_name="cv.pdf", type="CV", outcome="sent")
    )
    with history._connect() as conn:  # a database written by something else
        conn.execute(
            "UPDATE uploads SET remote_fields = ?, warnings = ? WHERE id = ?",
            ("[" * 100_000 + "]" * 100_000, "[" * 100_000 + "]" * 100_000, entry_id),
        )
    code, out, err = _cli(capsys, "history")
    assert code == ExitCode.OK and "cv.pdf" in out
    code, out, _ = _cli(capsys, "history", "--json")
    entry = json.loads(out)["entries"][0]
    assert entry["remote_fields"] is None
    assert entry["warnings"] == ["(the stored warnings could not be read)"]


# --------------------------------------------------------------------------- history writes


def _corrupt(path: Path) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    for extra in (path.with_name(path.name + "-wal"), path.with_name(path.name + "-shm")):
        extra.unlink(missing_ok=True)
    path.write_bytes(b"not a database any more " * 100)


def test_a_history_that_breaks_after_prepare_is_told_and_the_record_kept(
    cv: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    from kombo_tui.core.history import History, default_history_path

    db = default_history_path()
    monkeypatch.setenv("KOMBO_API_KEY", SANDBOX_API_KEY)
    with hostile_server("") as (server, app):
        from tests.security.test_hostile_matrix import _app_id

        app_id = _app_id(app)
        monkeypatch.setenv("KOMBO_BASE_URL", server.base_url)
        # The resend check opens the database before anything is sent; it breaks mid-send.
        app.on_request = lambda scope: _corrupt(db) if scope["method"] == "POST" else None
        code, out, err = _cli(capsys, "send", str(cv), "--integration", DEFAULT_INTEGRATION_ID, "--application", app_id, "--json")
    assert code == ExitCode.OK  # the send's own exit code
    doc = json.loads(out)
    assert doc["status"] == "sent" and "history_error" in doc
    assert "warning: could not write the history" in err
    history = History(db)
    assert "kept in" in err and str(history.pending_path) in err
    assert stat.S_IMODE(history.pending_path.stat().st_mode) == 0o600
    pending = [json.loads(line) for line in history.pending_path.read_text().splitlines()]
    assert [p["file_name"] for p in pending] == ["cv.pdf"] and pending[0]["outcome"] == "sent"
    # Once the database works again, the next write moves the kept row in.
    db.unlink()
    from kombo_tui.core.history import HistoryEntry

    History(db).record(HistoryEntry(environment="X", integration_id="a:b", application_id="B", file_name="later.pdf", type="CV", outcome="sent"))
    assert not history.pending_path.exists()
    names = [e.file_name for e in History(db).entries()]
    assert sorted(names) == ["cv.pdf", "later.pdf"]
    # ... and the resend check now knows the file was sent.
    code, _, err = _cli(capsys, "send", str(cv), "--integration", DEFAULT_INTEGRATION_ID, "--application", app_id)
    assert code == ExitCode.BAD_INPUT and "already sent" in err


def test_the_library_sends_nothing_when_the_history_cannot_record_the_intent(tmp_path: Path, cv: Path) -> None:
    from kombo_tui.core.client import KomboClient
    from kombo_tui.core.engine import send_upload
    from kombo_tui.core.errors import HistoryUnavailableError
    from kombo_tui.core.history import History
    from kombo_tui.core.payload import Draft, prepare
    from tests.security.test_hostile_matrix import _app_id

    app = HostileKombo("")
    app_id = _app_id(app)
    history = History(tmp_path / "h" / "history.sqlite3")
    history.entries()
    history.path.parent.mkdir(parents=True)
    history.path.mkdir()  # a directory where the database should be: every write fails
    upload = prepare(Draft(integration_id=DEFAULT_INTEGRATION_ID, application_id=app_id, file=cv))
    before = app.requests

    async def run() -> object:
        async with KomboClient(SANDBOX_API_KEY, base_url="http://sandbox.localhost/v1", transport=httpx.ASGITransport(app=app)) as client:
            return await send_upload(client, upload, history=history, environment="SANDBOX")

    with pytest.raises(HistoryUnavailableError, match="nothing was sent") as info:
        asyncio.run(run())
    assert str(history.path) in str(info.value)
    assert app.requests == before  # not one request left


def test_a_value_the_history_cannot_store_does_not_lose_the_outcome(tmp_path: Path) -> None:
    from kombo_tui.core.engine import _record
    from kombo_tui.core.history import History, HistoryWriteWarning
    from kombo_tui.core.outcome import SendOutcome
    from kombo_tui.core.payload import Draft, prepare

    cv = tmp_path / "cv.pdf"
    cv.write_bytes(PDF)
    upload = prepare(Draft(integration_id="a:b", application_id="APP", file=cv))
    nested: list[object] = []
    deep = nested
    for _ in range(5000):  # json.dumps of this raises RecursionError
        deep.append([])
        deep = deep[0]  # type: ignore[assignment]
    upload.remote_fields = {"x": nested}
    outcome = SendOutcome("sent", upload)
    history = History(tmp_path / "history.sqlite3")
    with pytest.warns(HistoryWriteWarning):
        _record(history, outcome, "EU", None, None)
    assert outcome.history_error and "RecursionError" in outcome.history_error


# --------------------------------------------------------------------------- manifests


def test_manifest_rows_show_the_real_file_beside_a_name(
    cv: Path, tmp_path: Path, never_called: list[httpx.Request], capsys: pytest.CaptureFixture[str]
) -> None:
    other = tmp_path / "notes.txt"
    other.write_text("hello\n")
    real = os.path.realpath(other)
    manifest = tmp_path / "m.json"
    manifest.write_text(json.dumps([{"file": "notes.txt", "name": "cv"}, {"file": "cv.pdf"}]))
    code, out, err = _cli(capsys, "send", "--manifest", str(manifest), *TARGET, "--dry-run")
    assert code == ExitCode.OK
    assert f"would send cv [file {real}]" in out
    assert "would send cv.pdf (" in out  # a row whose name is its file's needs no path
    # The same warnings as a single send of that file under that name, naming the real file.
    _, _, single = _cli(capsys, "send", str(other), "--name", "cv", *TARGET, "--dry-run")
    single_warnings = [line.split("]: ", 1)[1] for line in single.splitlines() if line.startswith("warning:")]
    assert single_warnings
    for warning in single_warnings:
        assert f"warning: cv [file {real}]: {warning}" in err


@pytest.mark.parametrize("which", ["config_file", "other_file_in_config_dir", "symlink_to_config"])
def test_a_manifest_cannot_upload_from_the_config_dir(
    which: str, tmp_path: Path, never_called: list[httpx.Request], capsys: pytest.CaptureFixture[str]
) -> None:
    from kombo_tui.core.config.file import config_path, save_config

    path = save_config({"region": "eu"})
    assert path == config_path()
    if which == "other_file_in_config_dir":
        path = path.with_name("notes.pdf")
        path.write_bytes(PDF)
    elif which == "symlink_to_config":
        link = tmp_path / "innocent.pdf"
        link.symlink_to(path)
        path = link
    manifest = tmp_path / "m.json"
    manifest.write_text(json.dumps([{"file": str(path), "name": "Jane CV.pdf", "content_type": "application/pdf"}]))
    code, _, err = _cli(capsys, "send", "--manifest", str(manifest), *TARGET)
    assert code == ExitCode.BAD_INPUT
    assert "manifest[0].file:" in err and "config directory" in err
    assert never_called == []
