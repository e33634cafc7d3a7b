"""Nothing written that can hurt: output paths are checked before anything is sent, special files
are never replaced, the plan is never overwritten, and reports are private and formula-safe."""

from __future__ import annotations

import csv
import os
import stat
from pathlib import Path

import pytest

import kombo_tui as kt
from kombo_tui.cli import main
from kombo_tui.cli.diagnostics import ExitCode
from kombo_tui.sandbox.data import DEFAULT_INTEGRATION_ID, SANDBOX_API_KEY, dataset
from kombo_tui.sandbox.server import SandboxServer

HOSTILE = ["=HYPERLINK(\"https://evil.example\",\"x\")", "+cmd|' /C calc'!A0", "@SUM(1+1)", "-2+3"]


def _plan(tmp_path: Path, names: list[str]) -> Path:
    apps = [a.id for a in dataset(DEFAULT_INTEGRATION_ID).live_applications[: len(names)]]
    (tmp_path / "cv.txt").write_text("a plain CV\n")
    plan = tmp_path / "plan.csv"
    with plan.open("w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle)
        writer.writerow(["application_id", "file", "type", "name"])
        for app, name in zip(apps, names, strict=True):
            writer.writerow([app, "cv.txt", "CV", f"{name}.txt"])
    return plan


@pytest.mark.parametrize(
    ("report", "said"),
    [
        ("plan.csv", "is the plan: refusing to overwrite it"),
        ("cv.txt", "must end in .csv or .json"),
        ("missing/report.csv", "does not exist"),
        ("fifo.csv", "is a device, a pipe or a socket"),
        ("folder.csv", "is a folder"),
        ("link.csv", "is a symbolic link: refusing"),
        ("rows.csv", "is the file of the plan's row 2: refusing to overwrite it"),
    ],
)
def test_a_bad_report_path_is_refused_before_any_row_is_sent(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch, report: str, said: str
) -> None:
    plan = _plan(tmp_path, ["one", "two"])
    os.mkfifo(tmp_path / "fifo.csv")
    (tmp_path / "folder.csv").mkdir()
    (tmp_path / "victim.csv").write_text("keep me")
    (tmp_path / "link.csv").symlink_to(tmp_path / "victim.csv")
    (tmp_path / "rows.csv").write_text("candidate,score\n")  # a CSV the plan sends, on row 2
    rows = plan.read_text().splitlines()
    rows[2] = rows[2].replace("cv.txt", "rows.csv")
    plan.write_text("\n".join(rows) + "\n")
    before = plan.read_bytes()
    with SandboxServer() as server:
        monkeypatch.setenv("KOMBO_API_KEY", SANDBOX_API_KEY)
        code = main(["bulk", str(plan), "--base-url", server.base_url, "--integration", DEFAULT_INTEGRATION_ID,
                     "--report", str(tmp_path / report)])
        assert code == ExitCode.BAD_INPUT and said in capsys.readouterr().err
        assert server.sandbox.store.upload_count() == 0  # nothing sent: the refusal came first
    assert plan.read_bytes() == before
    assert stat.S_ISFIFO(os.lstat(tmp_path / "fifo.csv").st_mode)
    assert (tmp_path / "victim.csv").read_text() == "keep me" and (tmp_path / "link.csv").is_symlink()
    assert (tmp_path / "rows.csv").read_text() == "candidate,score\n"


def test_har_may_not_name_a_file_the_command_sends(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    cv = tmp_path / "cv.har"  # an odd name for a CV, but it is what the command sends
    cv.write_bytes(b"%PDF-1.4\n%%EOF\n")
    code = main(["send", str(cv), "--name", "cv.pdf", "--sandbox", "--integration", DEFAULT_INTEGRATION_ID,
                 "--application", "APP1", "--har", str(cv)])
    assert code == ExitCode.BAD_INPUT and "is a file this command sends: refusing to overwrite it" in capsys.readouterr().err
    assert cv.read_bytes() == b"%PDF-1.4\n%%EOF\n"


def test_har_outputs_never_replace_a_device_or_a_pipe(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    os.mkfifo(tmp_path / "pipe.har")
    (tmp_path / "cv.pdf").write_bytes(b"%PDF-1.4\n%%EOF\n")
    for har in ("/dev/null", str(tmp_path / "pipe.har")):
        code = main(["send", str(tmp_path / "cv.pdf"), "--sandbox", "--integration", DEFAULT_INTEGRATION_ID,
                     "--application", "APP1", "--har", har])
        assert code == ExitCode.BAD_INPUT and "is a device, a pipe or a socket" in capsys.readouterr().err
        assert main(["history", "--id", "1", "--har", har]) == ExitCode.BAD_INPUT
        capsys.readouterr()
    assert stat.S_ISCHR(os.stat("/dev/null").st_mode) and stat.S_ISFIFO(os.lstat(tmp_path / "pipe.har").st_mode)


def test_a_report_is_private_and_outside_text_never_starts_a_formula(tmp_path: Path) -> None:
    plan = _plan(tmp_path, HOSTILE)
    report = tmp_path / "out.csv"
    with SandboxServer() as server:
        done = kt.bulk(plan, api_key=SANDBOX_API_KEY, base_url=server.base_url, integration_id=DEFAULT_INTEGRATION_ID)
        assert done.exit_code == 0
    from kombo_tui.core.bulk import Journal, write_report

    with Journal(done.journal_path) as journal:
        assert write_report(report, journal.rows(done.job_id), done.to_json()) == len(HOSTILE)
    assert stat.S_IMODE(report.stat().st_mode) == 0o600
    names = [row["name"] for row in csv.DictReader(report.open(encoding="utf-8", newline=""))]
    assert names == [f"'{name}.txt" for name in HOSTILE]
    assert all(not cell.startswith(("=", "+", "-", "@", "\t", "\r")) for cell in names)
