"""The Bulk screen's pure parts: rows by number, filters, inert cells, the summary lines."""

from __future__ import annotations

from pathlib import Path

from kombo_tui.core.bulk import BulkProgress, CheckedRow, IntegrationFacts, JobRow, PlanCheck, PlanRow
from kombo_tui.core.bulk.folder import FolderPlan, FolderProblem
from kombo_tui.core.errors import Problem
from kombo_tui.tui.bulk_view import BulkRows, RowCells, check_lines, duration, progress_line
from kombo_tui.tui.text import plain


def _job(number: int, status: str, **kw: object) -> JobRow:
    spec = {"application_id": f"app-{number}", "file": f"/data/files/cv-{number}.pdf"}
    return JobRow(number=number, status=status, spec=spec, **kw)  # type: ignore[arg-type]


def test_rows_take_the_checks_verdict_then_the_journals_and_filter_by_outcome() -> None:
    rows = BulkRows()
    bad = CheckedRow(PlanRow(1, application_id="app-1", file=Path("/x/a.pdf")), None, [Problem("type", "'RESUME' is not a type")])
    earlier = CheckedRow(PlanRow(2, application_id="app-2", file=Path("/x/b.pdf")), None, [], earlier="sent")
    rows.checked(bad)
    rows.checked(earlier)
    rows.finished(_job(3, "refused", error_code="PLATFORM.INPUT_INVALID", message="no such application"))
    rows.finished(_job(4, "unknown", message="the answer was lost"))
    rows.finished(_job(5, "sent", attachment_id="att-1", warnings=["added to the candidate"]))
    assert [r[1] for r in rows.rows] == ["invalid", "already_sent", "refused", "unknown", "sent"]
    assert rows.rows[2][3] == "cv-3.pdf" and "PLATFORM.INPUT_INVALID · no such application" == rows.rows[2][4]
    assert "added to the candidate" in rows.rows[4][4] and "att-1" in rows.rows[4][4]
    assert [r[0] for r in rows.view("failures")] == [1, 3, 4]
    assert [r[0] for r in rows.view("refused")] == [3]
    assert [r[0] for r in rows.view("unknown")] == [4]
    assert [r[0] for r in rows.view("invalid")] == [1]
    assert rows.view("all") is rows.rows
    rows.finished(_job(3, "sent"))  # retried after the fix: replaced, not appended
    assert len(rows) == 5 and rows.counts() == {"invalid": 1, "already_sent": 1, "sent": 2, "unknown": 1}


def test_a_checked_row_shows_the_status_the_runner_will_journal() -> None:
    """One status per row, decided once (``runner.status_of``) and shown as is."""
    from kombo_tui.core.bulk.runner import status_of

    rows = BulkRows()
    fresh = CheckedRow(PlanRow(1, application_id="app-1", file=Path("/x/a.pdf")), None, [])
    caught = CheckedRow(PlanRow(2, application_id="app-2", file=Path("/x/b.pdf")), None, [], earlier="sending")
    for checked in (fresh, caught):
        rows.checked(checked)
    assert [r[1] for r in rows.rows] == [status_of(fresh)[0], status_of(caught)[0]] == ["pending", "unknown"]
    assert "verified before sending" in rows.rows[1][4]
    assert [RowCells(rows.rows)[i][1] for i in range(2)] == ["· pending", "? unknown"]


def test_cells_are_inert_and_bounded() -> None:
    rows = BulkRows()
    rows.finished(JobRow(number=1, status="refused", spec={"application_id": "a\x1b[2J", "file": "/x/evil\x07.pdf"},
                         message="[b]bold[/b]\n" + "x" * 5000))
    cells = RowCells(rows.rows)[0]
    assert cells[0] == "1" and cells[1] == "✗ refused"
    assert "\x1b" not in "".join(cells) and "\\x1b[2J" in cells[2] and "\\x07" in cells[3]
    assert "[b]bold[/b]\\n" in cells[4] and len(cells[4]) <= 300
    assert len(RowCells(rows.rows)[0:1]) == 1


def test_the_check_and_run_lines_say_what_stands() -> None:
    check = PlanCheck(rows=10, invalid=2, already_sent=1, bytes=2048)
    check.integrations["gh:1"] = IntegrationFacts("gh:1", status="INACTIVE", tool="Greenhouse",
                                                  problem="integration gh:1 is INACTIVE")
    folder = FolderPlan(Path("/f"), Path("/p.csv"), rows=8, skipped=1,
                        problems=[FolderProblem(f"f{i}\x1b.pdf", "no candidate") for i in range(5)])
    text = plain(*check_lines(check, folder))
    assert "10 rows · 8 valid · 2 invalid · 1 already sent · 2 KB of files" in text
    assert "Greenhouse, INACTIVE" in text and "✗ integration gh:1 is INACTIVE" in text
    assert "8 files matched one application · 5 left out" in text and "f0\\x1b.pdf: no candidate" in text
    assert "… and 2 more" in text and "\x1b" not in text
    # In flight: the rows the table shows sending now (the last ended row's snapshot is older).
    progress = BulkProgress(total=100, done=25, finished_this_run=25, failures=1, in_flight=0, elapsed=5.0)
    running = plain(progress_line("running", progress, {"sent": 24, "refused": 1, "sending": 4}))
    assert "25/100 rows · 5.0/s · ETA 0:15 · 4 in flight · 24 on the applications · 1 failure" in running
    first = plain(progress_line("running", None, {"pending": 9, "sending": 1}))  # no row has ended yet
    assert first.endswith("running · 1 in flight"), first
    done = plain(progress_line("done", progress, {"sent": 24}))
    assert "ETA" not in done and "in flight" not in done
    assert duration(None) == "--" and duration(3725) == "1:02:05"
