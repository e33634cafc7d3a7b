"""``kt.bulk`` as a notebook user meets it: a bar with ``progress=True``, a callback's error
raised, "N of M done — re-run to resume" on an interrupt, the wait before re-checking rows
caught in flight shown with its reason and time left, and the report as tables and a DataFrame."""

from __future__ import annotations

import asyncio
import signal
import sqlite3
import threading
import time
from pathlib import Path

import pytest

import kombo_tui as kt
from kombo_tui.core.bulk import BulkProgress, Journal
from kombo_tui.sandbox.data import DEFAULT_INTEGRATION_ID, dataset


def _plan(tmp_path: Path, n: int, name: str = "plan.csv") -> Path:
    apps = [a.id for a in dataset(DEFAULT_INTEGRATION_ID).applications if a.deleted is None][:n]
    (tmp_path / "cv.txt").write_text("a plain CV\n")
    plan = tmp_path / name
    plan.write_text("application_id,file,type,name\n" + "".join(f"{a},cv.txt,CV,{name}-{i}.txt\n" for i, a in enumerate(apps)))
    return plan


def test_progress_true_shows_a_bar_that_ends_in_words(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    with kt.SandboxServer() as server:
        report = kt.bulk(_plan(tmp_path, 5), progress=True, **server.where)
    assert report.exit_code == 0
    err = capsys.readouterr().err
    assert "bulk:" in err and "5/5" in err and "done" in err


def test_an_error_in_the_progress_callback_stops_the_run_and_is_raised(tmp_path: Path) -> None:
    plan = _plan(tmp_path, 6)
    calls: list[BulkProgress] = []

    def broken(p: BulkProgress) -> None:
        calls.append(p)
        if p.row is not None:
            raise ValueError("my progress bar broke")

    with kt.SandboxServer() as server:
        with pytest.raises(ValueError, match="my progress bar broke") as raised:
            kt.bulk(plan, progress=broken, concurrency=1, **server.where)
        assert any("the bulk run stopped" in n and "re-run with the same plan to resume" in n for n in raised.value.__notes__)
        assert calls[0].row is None and calls[0].done == 0 and calls[0].total == 6  # where it stood before any row
        assert server.sandbox.upload_count() < 6
        again = kt.bulk(plan, **server.where)  # resumes: each row once
        assert again.exit_code == 0 and again.resumed and server.sandbox.upload_count() == 6


def test_an_interrupt_says_how_many_rows_are_done_and_how_to_resume(tmp_path: Path) -> None:
    plan = _plan(tmp_path, 8)

    def interrupt_after_three(p: BulkProgress) -> None:
        if p.done == 3 and p.row is not None:
            # The kernel's Interrupt: SIGINT to the main thread, which waits on the run.
            signal.pthread_kill(threading.main_thread().ident or 0, signal.SIGINT)

    async def cell(where: dict[str, str]) -> None:  # a notebook cell: an event loop is running
        kt.bulk(plan, progress=interrupt_after_three, concurrency=1, **where)

    with kt.SandboxServer() as server:
        loop = asyncio.new_event_loop()  # (not asyncio.run, whose own SIGINT handler defers the interrupt)
        try:
            with pytest.raises(KeyboardInterrupt) as raised:
                loop.run_until_complete(cell(server.where))
        finally:
            loop.close()
        message = str(raised.value)
        assert message.startswith("kombo-tui: bulk interrupted: ") and " of 8 rows done" in message
        assert "re-run with the same plan to resume" in message
        done = int(message.split("interrupted: ")[1].split(" of ")[0])
        assert 3 <= done < 8 and server.sandbox.upload_count() >= done
        again = kt.bulk(plan, recheck_after=0.2, **server.where)  # rows caught in flight: looked for first
        assert again.exit_code == 0 and server.sandbox.upload_count() == 8


def test_the_wait_before_rechecking_rows_caught_in_flight_is_shown(tmp_path: Path) -> None:
    plan = _plan(tmp_path, 3)
    with kt.SandboxServer() as server:
        first = kt.bulk(plan, **server.where)
        # As after a crash mid-send: row 2 is "sending", its send began just now.
        db = sqlite3.connect(first.journal_path)
        db.execute("UPDATE rows SET status = 'sending', sending_at = ? WHERE job_id = ? AND number = 2",
                   (time.time(), first.job_id))
        db.commit()
        db.close()
        notes: list[str] = []
        firsts: list[BulkProgress] = []

        def seen(p: BulkProgress) -> None:
            if p.note:
                notes.append(p.note)
            elif p.row is None:
                firsts.append(p)

        again = kt.bulk(plan, progress=seen, recheck_after=1.5, **server.where)
    assert firsts and firsts[0].done == 2 and firsts[0].total == 3  # the bar starts where the job stands
    assert notes and all("row 2 was caught in flight by an earlier run" in n for n in notes)
    import re

    left = re.search(r"re-checking it on the application in (\d+) s \(", notes[0])
    assert left is not None and 1 <= int(left.group(1)) <= 2
    assert again.counts.get("sending", 0) == 0
    with Journal(first.journal_path) as journal:
        assert journal.counts(first.job_id).get("sending", 0) == 0


def test_the_report_is_a_table_with_failures_first_and_a_dataframe(tmp_path: Path) -> None:
    plan = _plan(tmp_path, 4)
    text = plan.read_text().splitlines()
    text[2] = "no-such-application,cv.txt,CV,x.txt"  # Kombo refuses this row
    plan.write_text("\n".join(text) + "\n")
    with kt.SandboxServer() as server:
        report = kt.bulk(plan, **server.where)
    assert report.exit_code == 3 and report.counts == {"sent": 3, "refused": 1}
    assert repr(report).startswith("<bulk job ") and "3 sent" in repr(report) and "1 refused" in repr(report)
    assert "PlanCheck" not in repr(report) and len(repr(report)) < 300
    page = report._repr_html_()
    assert page.index(">refused</span> 1") < page.index(">sent</span> 3")  # counts, failures first
    assert "4 of 4 rows done" in page and "exit code 3" in page
    rows = report.rows()
    assert repr(rows) == "<4 bulk rows: 1 refused, 3 sent>" and repr(rows[1]).startswith("JobRow(#2 refused")
    table = rows._repr_html_()
    assert table.index(">refused</span>") < table.index(">sent</span>") and "1 needing a look" in table
    frame = report.to_pandas()
    assert list(frame["outcome"]) == ["refused", "sent", "sent", "sent"] and frame.iloc[0]["row"] == 2
    assert frame.iloc[0]["error_code"] and frame.iloc[0]["message"]
