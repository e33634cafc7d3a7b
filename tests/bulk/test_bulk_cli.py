"""``kombo-tui bulk`` and ``kt.bulk`` against the embedded sandbox: check, exit codes, resume, report."""

from __future__ import annotations

import csv
import json
import sqlite3
from pathlib import Path

import pytest

import kombo_tui as kt
from kombo_tui.cli import main
from kombo_tui.core.bulk import read_plan
from kombo_tui.core.history import History
from kombo_tui.sandbox.data import DEFAULT_INTEGRATION_ID, SANDBOX_API_KEY, dataset
from kombo_tui.sandbox.server import SandboxServer


def _apps(n: int) -> list[str]:
    return [a.id for a in dataset(DEFAULT_INTEGRATION_ID).applications if a.deleted is None][:n]


def _plan(tmp_path: Path, rows: list[str]) -> Path:
    (tmp_path / "cv.txt").write_text("a plain CV\n")
    (tmp_path / "other.txt").write_text("another file\n")
    plan = tmp_path / "plan.csv"
    plan.write_text("application_id,file,type,name\n" + "".join(r + "\n" for r in rows))
    return plan


def test_plan_reads_csv_and_jsonl_and_resolves_paths_against_the_plan(tmp_path: Path) -> None:
    (tmp_path / "sub").mkdir()
    plan = tmp_path / "sub" / "p.jsonl"
    plan.write_text('{"application_id": "A", "file": "cv.pdf", "remote_fields": {"x": {}}}\n\n[1]\n')
    rows = list(read_plan(plan, default_integration="gh:1"))
    assert rows[0].file == tmp_path / "sub" / "cv.pdf"
    assert rows[0].integration_id == "gh:1" and rows[0].remote_fields == {"x": {}}
    assert rows[1].number == 2 and "JSON object" in str(rows[1].problems[0])
    csv_plan = tmp_path / "p.csv"
    csv_plan.write_text('application_id,file,remote_fields\nB,cv.pdf,"{""a"": 1}"\nC,cv.pdf,not json\n')
    rows = list(read_plan(csv_plan))
    assert rows[0].remote_fields == {"a": 1} and rows[0].file == tmp_path / "cv.pdf"
    assert rows[1].problems and rows[1].problems[0].field == "remote_fields"


def test_invalid_rows_send_nothing_exit_2_and_skip_invalid_sends_the_rest(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    a, b = _apps(2)
    plan = _plan(tmp_path, [f"{a},cv.txt,CV,one.txt", f"{a},missing.txt,CV,two.txt", f"{a},cv.txt,CV,one.txt", f"{b},cv.txt,OTHER,x.txt"])
    assert main(["bulk", str(plan), "--sandbox", "--dry-run"]) == 2
    err = capsys.readouterr().err
    assert "row 2" in err and "row 3" in err and "same application and name as row 1" in err
    assert main(["bulk", str(plan), "--sandbox", "--json"]) == 2
    doc = json.loads(capsys.readouterr().out)
    assert doc["blocked"] and doc["counts"].get("sent", 0) == 0
    report = tmp_path / "report.csv"
    # Skipped rows are not "everything done": exit 2, and the summary says what was left out.
    assert main(["bulk", str(plan), "--sandbox", "--skip-invalid", "--report", str(report)]) == 2
    rows = list(csv.DictReader(report.open()))
    assert [r["outcome"] for r in rows] == ["sent", "invalid", "invalid", "sent"]
    assert rows[1]["message"]
    err = capsys.readouterr().err
    assert "2 invalid rows were skipped, not sent" in err and str(report) in err


def test_rerun_resumes_the_same_job_and_sends_nothing_twice(tmp_path: Path) -> None:
    apps = _apps(6)
    plan = _plan(tmp_path, [f"{app},cv.txt,CV,cv-{i}.txt" for i, app in enumerate(apps)])
    with SandboxServer() as server:
        first = kt.bulk(plan, api_key=SANDBOX_API_KEY, base_url=server.base_url, integration_id=DEFAULT_INTEGRATION_ID)
        assert first.exit_code == 0 and first.counts == {"sent": 6} and not first.resumed
        seen: list[int] = []
        again = kt.bulk(plan, api_key=SANDBOX_API_KEY, base_url=server.base_url, integration_id=DEFAULT_INTEGRATION_ID,
                        progress=lambda p: seen.append(p.done))
        # one snapshot, where the job stands (all 6 done); no row was worked on
        assert again.resumed and again.job_id == first.job_id and again.sent_this_run == 0 and seen == [6]
        assert server.sandbox.store.upload_count() == 6
        assert {r.status for r in again.rows()} == {"sent"}


def test_a_row_caught_sending_by_a_crash_is_verified_not_resent(tmp_path: Path) -> None:
    from kombo_tui.core.bulk import Journal

    apps = _apps(3)
    plan = _plan(tmp_path, [f"{app},cv.txt,CV,cv-{i}.txt" for i, app in enumerate(apps)])
    with SandboxServer() as server:
        report = kt.bulk(plan, api_key=SANDBOX_API_KEY, base_url=server.base_url, integration_id=DEFAULT_INTEGRATION_ID)
        # As if the process died after the upload landed but before the journal heard of it;
        # and row 3 as if it died before its first byte (nothing stored). Either way the
        # history holds the write-ahead record of the send, still "sending".
        with Journal(report.journal_path) as journal:
            journal.mark_sending(report.job_id, 2)
            journal.mark_sending(report.job_id, 3)
        with sqlite3.connect(History().path) as conn:
            changed = conn.execute("UPDATE uploads SET outcome = 'sending' WHERE file_name IN ('cv-1.txt', 'cv-2.txt')")
            assert changed.rowcount == 2
        stored = [s for s in server.sandbox.store.all() if s.file_name != "cv-2.txt"]
        server.sandbox.store.clear()
        server.sandbox.store.add(stored)
        resumed = kt.bulk(plan, api_key=SANDBOX_API_KEY, base_url=server.base_url, integration_id=DEFAULT_INTEGRATION_ID,
                          recheck_after=0)
        assert resumed.exit_code == 0
        names = sorted(s.file_name for s in server.sandbox.store.all())
        assert names == ["cv-0.txt", "cv-1.txt", "cv-2.txt"]
        outcome = {r.number: r for r in resumed.rows()}
        assert outcome[2].attachment_id and "verified" in (outcome[2].message or "")


def test_refused_rows_exit_3_with_code_and_log_url(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    plan = _plan(tmp_path, ["NO-SUCH-APP,cv.txt,CV,cv.txt"])
    report = tmp_path / "r.json"
    assert main(["bulk", str(plan), "--sandbox", "--json", "--report", str(report)]) == 3
    doc = json.loads(capsys.readouterr().out)
    assert doc["counts"] == {"refused": 1}
    row = json.loads(report.read_text())["rows"][0]
    assert row["outcome"] == "refused" and row["error_code"] and row["log_url"]


def test_ctrl_c_twice_stops_a_check_that_waits_on_a_slow_server(tmp_path: Path) -> None:
    """Nothing in flight to wait for (the check waits on Kombo's answer): a second Ctrl-C ends it."""
    import signal
    import subprocess
    import sys
    import time

    from .helpers import SandboxProcess, child_env

    home = tmp_path / "home"
    with SandboxProcess(home, "--latency", "60") as sandbox:  # every answer takes a minute
        plan = _plan(tmp_path, ["NO-SUCH-APP-1,cv.txt,CV,cv.txt"])
        proc = subprocess.Popen(
            [sys.executable, "-m", "kombo_tui", "bulk", str(plan), "--base-url", sandbox.base_url,
             "--integration", DEFAULT_INTEGRATION_ID],
            env=child_env(home), stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
        )
        assert proc.stderr is not None
        said = proc.stderr.readline()  # before the first request
        assert "requests go to" in said
        proc.send_signal(signal.SIGINT)  # the check is waiting on the integration's facts (60 s away)
        assert "stopping" in proc.stderr.readline()  # the first press was taken (signals do not queue)
        proc.send_signal(signal.SIGINT)
        started = time.monotonic()
        code = proc.wait(timeout=30)
        rest = proc.stderr.read()
    assert code == 130 and time.monotonic() - started < 20, rest
    assert "interrupted" in rest and "Traceback" not in rest


def test_a_broken_journal_is_named_as_the_journal_not_the_history(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    from kombo_tui.core.bulk.journal import default_journal_path

    (a,) = _apps(1)
    plan = _plan(tmp_path, [f"{a},cv.txt,CV,one.txt"])
    journal = default_journal_path()
    journal.parent.mkdir(parents=True, exist_ok=True)
    journal.write_bytes(b"this is not a database" * 100)
    assert main(["bulk", str(plan), "--sandbox"]) == 2
    err = capsys.readouterr().err
    assert f"cannot use the bulk journal {journal}" in err and "history" not in err
    assert History().entries() == []  # nothing sent
