"""Connector debugging from the command line: -v/-vv, --har, history's HAR, --candidate, --check-existing."""

from __future__ import annotations

import json
import os
import stat
from collections.abc import Iterator
from datetime import datetime, timezone
from pathlib import Path

import pytest

from kombo_tui.cli import ExitCode, main
from kombo_tui.cli.debugging import format_exchange
from kombo_tui.core.history import History
from kombo_tui.core.wire.exchanges import Body, Exchange
from kombo_tui.core.wire.har import read_har, validate_har
from kombo_tui.sandbox.data import SANDBOX_API_KEY, dataset
from kombo_tui.sandbox.server import SandboxServer

PDF = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n" + b"x" * 300
INTEGRATION = "greenhouse:sandbox-greenhouse"


@pytest.fixture(scope="module")
def sandbox() -> Iterator[SandboxServer]:
    with SandboxServer() as running:
        yield running


@pytest.fixture
def env(sandbox: SandboxServer, monkeypatch: pytest.MonkeyPatch) -> SandboxServer:
    monkeypatch.setenv("KOMBO_API_KEY", SANDBOX_API_KEY)
    monkeypatch.setenv("KOMBO_BASE_URL", sandbox.base_url)
    monkeypatch.setenv("KOMBO_INTEGRATION_ID", INTEGRATION)
    return sandbox


@pytest.fixture
def cv(tmp_path: Path) -> Path:
    path = tmp_path / "Jane_Doe_CV.pdf"
    path.write_bytes(PDF)
    return path


_next_app = iter(range(100))


def application() -> str:
    """A fresh live application per test (the sandbox server is shared by the module)."""
    return dataset(INTEGRATION).live_applications[next(_next_app)].id


def run(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    code = main(list(argv))
    out, err = capsys.readouterr()
    assert SANDBOX_API_KEY not in out and SANDBOX_API_KEY not in err
    return code, out, err


def b64_of_file() -> str:
    import base64

    return base64.b64encode(PDF).decode()


# --------------------------------------------------------------------------- --har


def test_har_of_a_send_validates_has_no_key_and_timings_in_order(
    env: SandboxServer, cv: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    har = tmp_path / "send.har"
    code, _, _ = run(capsys, "send", str(cv), "--application", application(), "--verify", "--har", str(har))
    assert code == ExitCode.OK
    text = har.read_text(encoding="utf-8")
    assert SANDBOX_API_KEY not in text and b64_of_file() not in text
    assert stat.S_IMODE(har.stat().st_mode) == 0o600
    doc = json.loads(text)
    assert validate_har(doc) == []
    entries = doc["log"]["entries"]
    # the integration's limits, the attachments before, the upload, the attachments after
    assert [e["request"]["method"] for e in entries] == ["GET", "GET", "POST", "GET"]
    assert entries[0]["request"]["url"].endswith("/ats/actions/ats_add_application_attachment")
    assert entries[2]["response"]["status"] == 200
    assert {"name": "Authorization", "value": "Bearer ••••"} in entries[2]["request"]["headers"]
    starts = [datetime.fromisoformat(e["startedDateTime"]) for e in entries]
    assert starts == sorted(starts)
    for entry in entries:
        timings = entry["timings"]
        assert all(timings[k] >= 0 for k in ("send", "wait", "receive"))
        assert entry["time"] == pytest.approx(
            sum(timings[k] for k in ("blocked", "dns", "connect", "send", "wait", "receive") if timings[k] > 0), abs=0.01
        )
    # Read back as exchanges, in the order they ran.
    exchanges = read_har(har)
    assert [e.method for e in exchanges] == ["GET", "GET", "POST", "GET"]
    assert exchanges[2].request_body is not None and exchanges[2].request_body.elided


def test_har_full_keeps_the_data(env: SandboxServer, cv: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    har = tmp_path / "full.har"
    code, _, _ = run(capsys, "send", str(cv), "--application", application(), "--har", str(har), "--har-full")
    assert code == ExitCode.OK
    doc = json.loads(har.read_text(encoding="utf-8"))
    assert validate_har(doc) == []
    [_limits, post] = doc["log"]["entries"]
    assert json.loads(post["request"]["postData"]["text"])["attachment"]["data"] == b64_of_file()
    assert SANDBOX_API_KEY not in har.read_text(encoding="utf-8")


def test_har_refuses_a_symlink_before_sending_and_never_writes_through_it(
    env: SandboxServer, cv: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    victim = tmp_path / "victim.txt"
    victim.write_text("keep me")
    link = tmp_path / "out.har"
    link.symlink_to(victim)
    code, _, err = run(capsys, "send", str(cv), "--application", application(), "--har", str(link))
    assert code == ExitCode.BAD_INPUT and "is a symbolic link: refusing" in err
    assert victim.read_text() == "keep me" and link.is_symlink()
    assert History().entries() == []  # refused before anything was sent


@pytest.mark.parametrize("where", ["missing/out.har", "."])
def test_an_unusable_har_path_is_bad_input_before_sending(
    env: SandboxServer, cv: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str], where: str
) -> None:
    app = application()
    code, out, err = run(capsys, "send", str(cv), "--application", app, "--har", str(tmp_path / where), "--json")
    assert code == ExitCode.BAD_INPUT
    assert json.loads(out)["status"] == "bad_input" and "har" in err
    assert History().entries() == []  # nothing was sent


def test_har_full_needs_har(env: SandboxServer, cv: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code, _, err = run(capsys, "send", str(cv), "--application", application(), "--har-full")
    assert code == ExitCode.BAD_INPUT and "--har-full needs --har" in err


# --------------------------------------------------------------------------- -v / -vv


def test_verbose_prints_status_line_and_headers_without_key_or_body(
    env: SandboxServer, cv: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    code, out, err = run(capsys, "send", str(cv), "--application", application(), "-v", "--json")
    assert code == ExitCode.OK
    json.loads(out)  # stdout is still the one document
    assert "POST /v1/ats/applications/" in err and "/attachments HTTP/1.1" in err
    assert "HTTP/1.1 200 OK" in err
    assert "Authorization: Bearer ••••" in err
    assert "concurrency-remaining:" in err.lower()
    assert '"attachment"' not in err and '"status": "success"' not in err  # bodies only with -vv


def test_double_verbose_shows_bodies_with_the_data_elided(
    env: SandboxServer, cv: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    code, _, err = run(capsys, "send", str(cv), "--application", application(), "-vv")
    assert code == ExitCode.OK
    assert '"name": "Jane_Doe_CV.pdf"' in err
    assert f'"data": "<base64 of {len(PDF)} bytes' in err
    assert b64_of_file() not in err
    assert '"status": "success"' in err  # the answer's body


def test_verbose_shows_a_refused_answer(env: SandboxServer, cv: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code, _, err = run(capsys, "send", str(cv), "--application", "no-such-app", "-vv")
    assert code == ExitCode.API_ERROR
    assert "HTTP/1.1 404 Not Found" in err and "PLATFORM.INPUT_INVALID" in err


def test_preview_verbose_prints_the_unsent_request(cv: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code, out, err = run(capsys, "preview", str(cv), "--application", "APP1", "--integration", "x:y", "-vv", "--json")
    assert code == ExitCode.OK
    json.loads(out)
    assert "(preview: not sent)" in err and "POST /v1/ats/applications/APP1/attachments HTTP/1.1" in err
    assert "Authorization: Bearer ••••" in err and b64_of_file() not in err


def test_every_printed_string_is_inert() -> None:
    hostile = "\x1b]52;c;ZXZpbA==\x07\x1b[2J"
    exchange = Exchange(
        id=1,
        kind="http",
        started=datetime.now(timezone.utc),
        method="GET",
        url="http://127.0.0.1/v1/x",
        request_headers=[("X-Integration-Id", hostile)],
        status=400,
        reason="Bad" + hostile,
        response_headers=[("x-note" + hostile, hostile)],
        response_body=Body(size=10, mime="text/plain", text="line\n" + hostile, note=hostile),
        complete=True,
    )
    for level in (1, 2):
        text = format_exchange(exchange, level)
        assert "\x1b" not in text and "\x07" not in text
        assert "\\x1b]52" in text
    wait = Exchange(id=2, kind="wait", started=exchange.started, method="POST", url="http://h/v1/y",
                    wait_seconds=1.5, wait_reason=hostile, attempt=1, complete=True)
    line = format_exchange(wait, 1)
    assert "\x1b" not in line and "waiting 1.5 s" in line


# --------------------------------------------------------------------------- history


def test_history_keeps_each_sends_exchanges_and_exports_them_as_har(
    env: SandboxServer, cv: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    code, _, _ = run(capsys, "send", str(cv), "--application", application(), "--verify")
    assert code == ExitCode.OK
    [entry] = History().entries()
    assert entry.id is not None
    code, out, _ = run(capsys, "history")
    assert out.startswith(f"#{entry.id}  ")  # the id that --id takes
    kept = History().exchanges(entry.id)
    assert [e.method for e in kept] == ["GET", "POST", "GET"]
    assert all(e.status == 200 and e.timings.wait is not None for e in kept)
    har = tmp_path / "history.har"
    code, out, err = run(capsys, "history", "--id", str(entry.id), "--har", str(har), "--json")
    assert code == ExitCode.OK
    doc = json.loads(out)
    assert doc["har"]["exchanges"] == 3 and doc["entries"][0]["id"] == entry.id
    text = har.read_text(encoding="utf-8")
    assert validate_har(json.loads(text)) == [] and SANDBOX_API_KEY not in text and b64_of_file() not in text
    assert stat.S_IMODE(os.stat(har).st_mode) == 0o600
    # The history database itself holds neither the key nor the file.
    raw = History().path.read_bytes()
    assert SANDBOX_API_KEY.encode() not in raw and b64_of_file().encode() not in raw


def test_history_har_needs_an_existing_id(env: SandboxServer, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code, _, err = run(capsys, "history", "--har", str(tmp_path / "x.har"))
    assert code == ExitCode.BAD_INPUT and "--id" in err
    code, _, err = run(capsys, "history", "--id", "99", "--har", str(tmp_path / "x.har"))
    assert code == ExitCode.BAD_INPUT and "no history entry 99" in err


def test_history_lines_are_inert(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    from kombo_tui.core.history import HistoryEntry

    History().record(
        HistoryEntry(environment="EU", integration_id="g:1", application_id="A\x1b[2J", file_name="cv\x1b]52;c;x\x07.pdf",
                     type="CV", outcome="sent", log_url="https://x/\x1b[1m")
    )
    code, out, _ = run(capsys, "history")
    assert code == ExitCode.OK
    assert "\x1b" not in out and "\x07" not in out and "cv\\x1b]52" in out


# --------------------------------------------------------------------------- --candidate, --check-existing


def test_candidate_target(env: SandboxServer, cv: Path, capsys: pytest.CaptureFixture[str]) -> None:
    candidate = dataset(INTEGRATION).candidates[5].id
    code, out, err = run(capsys, "send", str(cv), "--candidate", candidate, "--verify", "--json")
    assert code == ExitCode.OK, err
    doc = json.loads(out)
    assert doc["request"]["candidate_id"] == candidate and doc["verification"]["found"] is True
    assert "Kombo recommends the application endpoint" in err
    [entry] = History().entries()
    assert entry.candidate_id == candidate and entry.application_id == ""
    assert [e.path for e in History().exchanges(entry.id or 0) if e.method == "POST"] == [
        f"/v1/ats/candidates/{candidate}/attachments"
    ]
    # The same duplicate check as for an application.
    code, _, err = run(capsys, "send", str(cv), "--candidate", candidate)
    assert code == ExitCode.BAD_INPUT and f"already sent successfully to candidate {candidate}" in err


@pytest.mark.parametrize(
    ("extra", "message"),
    [
        (["--application", "APP1"], "give --application or --candidate, not both"),
        (["--oracle-category", "MISC"], "remote_fields.oracle"),
    ],
)
def test_candidate_refusals(
    env: SandboxServer, cv: Path, capsys: pytest.CaptureFixture[str], extra: list[str], message: str
) -> None:
    code, _, err = run(capsys, "send", str(cv), "--candidate", "C1", *extra)
    assert code == ExitCode.BAD_INPUT and message in err


def test_check_existing_notes_a_same_named_file(env: SandboxServer, cv: Path, capsys: pytest.CaptureFixture[str]) -> None:
    app = application()
    # A name no other test of this shared sandbox sends, so the first send finds none of it.
    cv = cv.rename(cv.with_name("Checked_First_CV.pdf"))
    code, _, err = run(capsys, "send", str(cv), "--application", app, "--check-existing")
    assert code == ExitCode.OK and "same name as yours" not in err
    code, _, err = run(capsys, "send", str(cv), "--application", app, "--check-existing", "--force", "-v")
    assert code == ExitCode.OK
    assert f"note: application {app} already has " in err  # the attachments listed, ours marked
    assert "\n  Checked_First_CV.pdf (CV, created 20" in err and "← same name as yours: sending adds another" in err
    assert err.count(f"GET /v1/ats/applications/{app}/attachments") == 1  # one read, then the upload


def test_check_existing_is_explained_in_help(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit):
        from kombo_tui.cli.parser import build_parser

        build_parser().parse_args(["send", "--help"])
    text = " ".join(capsys.readouterr().out.split())
    assert "--check-existing" in text and "concurrency limit" in text
    assert "--candidate" in text and "recommends the application endpoint" in text


def test_send_refuses_a_file_above_the_integrations_limit_before_its_first_byte(
    env: SandboxServer, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    big = tmp_path / "big_cv.pdf"
    big.write_bytes(PDF + b"\0" * (11 * 1024 * 1024))  # the sandbox's CV limit is 10 MiB

    def posts() -> int:
        return len([i for i in env.sandbox.interactions if i.method == "POST"])

    before = posts()
    code, _, err = run(capsys, "send", str(big), "--application", application(), "--type", "CV")
    assert code == ExitCode.BAD_INPUT
    assert "above this integration's limit of 10,485,760 bytes for CV" in err
    assert posts() == before
    # --skip-limits lets Kombo itself judge (the sandbox then refuses it, after the upload)
    code, _, _ = run(capsys, "send", str(big), "--application", application(), "--type", "CV", "--skip-limits")
    assert code == ExitCode.API_ERROR
    assert posts() == before + 1
