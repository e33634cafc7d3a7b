"""The audit log: what it keeps, what it never keeps, and that it survives crashes and company."""

from __future__ import annotations

import os
import signal
import sqlite3
import stat
import subprocess
import sys
import time
from pathlib import Path

from kombo_tui.core.history import History, HistoryEntry


def _entry(**kw: object) -> HistoryEntry:
    base: dict[str, object] = dict(
        environment="SANDBOX",
        integration_id="greenhouse:x",
        application_id="APP1",
        file_name="cv.pdf",
        type="CV",
        outcome="sent",
        size=10,
        sha256="ab" * 32,
        mime="application/pdf",
        warnings=["w"],
    )
    base.update(kw)
    return HistoryEntry(**base)  # type: ignore[arg-type]


def test_record_list_search(tmp_path: Path) -> None:
    history = History(tmp_path / "h.sqlite3")
    assert history.entries() == []
    first = history.record(_entry(candidate="Jane Doe", job="Engineer"))
    history.record(_entry(file_name="letter.docx", type="COVER_LETTER", outcome="error", error_code="REMOTE.INPUT_INVALID"))
    rows = history.entries()
    assert [r.file_name for r in rows] == ["letter.docx", "cv.pdf"]
    assert rows[1].warnings == ["w"] and rows[1].candidate == "Jane Doe"
    assert [r.id for r in history.entries(search="jane")] == [first]
    assert [r.file_name for r in history.entries(search="remote.input")] == ["letter.docx"]
    assert stat.S_IMODE((tmp_path / "h.sqlite3").stat().st_mode) == 0o600


def _pdf_upload(tmp_path: Path, app: str = "APP1"):  # type: ignore[no-untyped-def]
    from kombo_tui.core.files.checks import Fingerprint
    from kombo_tui.core.payload import prepare_fields

    path = tmp_path / "cv.pdf"
    path.write_bytes(b"%PDF-1.4\n%%EOF\n")
    return prepare_fields(integration_id="greenhouse:x", application_id=app, file=path, type="CV",
                          known_fingerprint=Fingerprint(size=10, sha256="ab" * 32, mtime_ns=0))


def test_earlier_sends_only_count_what_may_have_landed(tmp_path: Path) -> None:
    history = History(tmp_path / "h.sqlite3")
    history.record(_entry(outcome="error"))
    history.record(_entry(outcome="verified_absent"))
    assert history.earlier_sends(_pdf_upload(tmp_path), "SANDBOX") == []
    history.record(_entry(outcome="unknown"))
    history.record(_entry(outcome="sending", at="2026-01-01T00:00:01+00:00"))
    assert [e.outcome for e in history.earlier_sends(_pdf_upload(tmp_path), "SANDBOX")] == ["sending", "unknown"]
    assert history.earlier_sends(_pdf_upload(tmp_path, "APP2"), "SANDBOX") == []


def test_set_verified(tmp_path: Path) -> None:
    history = History(tmp_path / "h.sqlite3")
    row = history.record(_entry(outcome="unknown"))
    history.set_verified(row, "present", outcome="verified_present")
    [entry] = history.entries()
    assert entry.verified == "present" and entry.outcome == "verified_present"


WRITER = """
import sys
from pathlib import Path
from kombo_tui.core.history import History, HistoryEntry
h = History(Path(sys.argv[1]))
for i in range(int(sys.argv[2])):
    h.record(HistoryEntry(environment="EU", integration_id="x", application_id=f"{sys.argv[3]}-{i}",
                          file_name="f", type="CV", outcome="sent"))
"""


def test_concurrent_instances_lose_nothing(tmp_path: Path) -> None:
    path = tmp_path / "h.sqlite3"
    History(path).entries()  # nothing yet, and no file created by reading
    procs = [
        subprocess.Popen([sys.executable, "-c", WRITER, str(path), "40", f"p{n}"]) for n in range(4)
    ]
    assert all(p.wait(timeout=60) == 0 for p in procs)
    entries = History(path).entries(limit=1000)
    assert len(entries) == 160
    assert len({e.application_id for e in entries}) == 160


def test_crash_mid_write_keeps_the_database_usable(tmp_path: Path) -> None:
    path = tmp_path / "h.sqlite3"
    History(path).record(_entry())
    proc = subprocess.Popen([sys.executable, "-c", WRITER, str(path), "100000", "crash"])
    time.sleep(1.0)
    os.kill(proc.pid, signal.SIGKILL)
    proc.wait()
    conn = sqlite3.connect(path)
    assert conn.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
    conn.close()
    history = History(path)
    count = len(history.entries(limit=1_000_000))
    assert count >= 1
    history.record(_entry(file_name="after.pdf"))
    assert history.entries(limit=1)[0].file_name == "after.pdf"


def test_earlier_sends_stay_within_environment_and_integration(tmp_path: Path) -> None:
    history = History(tmp_path / "h.sqlite3")
    history.record(_entry(environment="SANDBOX"))
    history.record(_entry(environment="SANDBOX", integration_id="lever:y", application_id="APP2"))
    assert history.earlier_sends(_pdf_upload(tmp_path), "https://api.kombo.dev/v1") == []
    assert len(history.earlier_sends(_pdf_upload(tmp_path), "SANDBOX")) == 1
    assert history.earlier_sends(_pdf_upload(tmp_path, "APP2"), "SANDBOX") == []  # sent through lever:y


def test_earlier_sends_and_refused_resends(tmp_path: Path) -> None:
    import pytest

    from kombo_tui.core.errors import DuplicateUploadError, InputError
    from kombo_tui.core.payload import Draft, prepare

    path = tmp_path / "cv.pdf"
    path.write_bytes(b"%PDF-1.4\n%%EOF\n")
    upload = prepare(Draft(integration_id="greenhouse:x", application_id="APP1", file=path, type="CV"))
    assert upload.fingerprint is not None
    history = History(tmp_path / "h.sqlite3")
    history.refuse_resends([upload], "EU")  # nothing recorded yet: no complaint
    history.record(_entry(environment="EU", sha256=upload.fingerprint.sha256, outcome="unknown", at="2026-01-02T03:04:05+00:00"))
    history.record(_entry(environment="SANDBOX", sha256=upload.fingerprint.sha256))
    assert [e.environment for e in history.earlier_sends(upload, "EU")] == ["EU"]
    assert history.earlier_sends(upload, "US") == []
    with pytest.raises(DuplicateUploadError) as info:
        history.refuse_resends([upload], "EU", verify="--verify", force="--force")
    assert isinstance(info.value, InputError)
    [problem] = info.value.problems
    assert problem.field == "file"
    assert "with an unknown outcome to application APP1 at 2026-01-02T03:04:05+00:00" in problem.message
    assert "check with --verify first, or pass --force" in problem.message
    data_url = prepare(Draft(integration_id="greenhouse:x", application_id="APP1", data_url="https://x.example/cv.pdf", type="CV"))
    assert history.earlier_sends(data_url, "EU") == []  # a data_url is its own content (see test_identity)


def test_a_newer_versions_history_and_a_broken_stored_exchange_are_read_without_a_traceback(tmp_path: Path) -> None:
    import pytest

    history = History(tmp_path / "h.sqlite3")
    row = history.record(_entry())
    with sqlite3.connect(history.path) as conn:
        conn.execute("ALTER TABLE uploads ADD COLUMN added_by_a_newer_version TEXT")
        conn.execute("INSERT INTO exchanges (upload_id, data) VALUES (?, ?)", (row, '[{"kind": 5, "started": []}]'))
    assert [e.id for e in History(history.path).entries()] == [row]
    with pytest.raises(LookupError, match="cannot be read"):
        History(history.path).exchanges(row)
    with pytest.raises(LookupError, match="cannot be read"):
        History(history.path).export_har(row, tmp_path / "x.har")
