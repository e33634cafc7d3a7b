"""The batched "already sent?" lookup agrees with the one-by-one rule, and a held connection
behaves like a connection per operation."""

from __future__ import annotations

import sqlite3
import threading
from pathlib import Path

import pytest

from kombo_tui.core.errors import DuplicateUploadError
from kombo_tui.core.files import Fingerprint
from kombo_tui.core.history import History, HistoryEntry
from kombo_tui.core.payload import PreparedUpload, prepare_fields

SHA_A = "a" * 64
SHA_B = "b" * 64


def _upload(app: str = "APP1", sha: str | None = SHA_A, *, integration: str = "greenhouse:x",
            candidate: str | None = None, tmp: Path) -> PreparedUpload:
    if sha is None:
        return prepare_fields(integration_id=integration, application_id=app,
                              data_url="https://files.example/cv.pdf", type="CV")
    path = tmp / "cv.pdf"
    path.write_bytes(b"%PDF-1.4\n%%EOF\n")
    return prepare_fields(
        integration_id=integration, application_id="" if candidate else app, candidate_id=candidate,
        file=path, type="CV", known_fingerprint=Fingerprint(size=15, sha256=sha, mtime_ns=0),
    )


def _entry(**kw: object) -> HistoryEntry:
    base: dict[str, object] = dict(environment="EU", integration_id="greenhouse:x", application_id="APP1",
                                   file_name="cv.pdf", type="CV", outcome="sent", sha256=SHA_A)
    base.update(kw)
    return HistoryEntry(**base)  # type: ignore[arg-type]


def _ids(entries: list[HistoryEntry]) -> list[int | None]:
    return [e.id for e in entries]


def _populated(tmp_path: Path) -> History:
    history = History(tmp_path / "h.sqlite3")
    for entry in (
        _entry(outcome="sent", at="2026-01-01T00:00:00+00:00"),
        _entry(outcome="sent", at="2026-01-02T00:00:00+00:00"),  # a forced resend: both count, newest first
        _entry(outcome="error", error_code="REMOTE.INPUT_INVALID"),  # refused: never counts
        _entry(application_id="APP2", outcome="unknown"),  # unknown: counts
        _entry(application_id="APP3", outcome="verified_absent"),  # verified absent: does not
        _entry(application_id="APP3", outcome="file_changed"),
        _entry(application_id="APP4", outcome="verified_present"),
        _entry(application_id="APP5", environment="SANDBOX"),  # other environment
        _entry(application_id="APP6", integration_id="lever:y"),  # other integration
        _entry(application_id="APP7", sha256=SHA_B),  # other file
        _entry(application_id="", candidate_id="CAND1"),  # through the candidate endpoint
        _entry(application_id="", candidate_id="CAND2", outcome="error"),
    ):
        history.record(entry)
    return history


def test_the_batch_answers_exactly_what_earlier_sends_answers_one_by_one(tmp_path: Path) -> None:
    history = _populated(tmp_path)
    uploads = [
        _upload("APP1", tmp=tmp_path),
        _upload("APP2", tmp=tmp_path),
        _upload("APP3", tmp=tmp_path),
        _upload("APP4", tmp=tmp_path),
        _upload("APP5", tmp=tmp_path),
        _upload("APP6", tmp=tmp_path),
        _upload("APP6", tmp=tmp_path, integration="lever:y"),
        _upload("APP7", tmp=tmp_path),
        _upload("APP7", SHA_B, tmp=tmp_path),
        _upload("APP1", None, tmp=tmp_path),  # data_url: no sha256, never matches
        _upload(candidate="CAND1", tmp=tmp_path),
        _upload(candidate="CAND2", tmp=tmp_path),
        _upload(candidate="APP1", tmp=tmp_path),  # a candidate id equal to an application id
        _upload("CAND1", tmp=tmp_path),  # and the other way round
        _upload("APP1", tmp=tmp_path),  # the same key twice in one batch
    ]
    batch = history.earlier_sends_many(uploads, "EU")
    assert [_ids(found) for found in batch] == [_ids(history.earlier_sends(u, "EU")) for u in uploads]
    outcomes = [[e.outcome for e in found] for found in batch]
    assert outcomes == [
        ["sent", "sent"], ["unknown"], [], ["verified_present"], [], [], ["sent"], [], ["sent"], [],
        ["sent"], [], [], [], ["sent", "sent"],
    ]
    assert batch[0][0].at == "2026-01-02T00:00:00+00:00"  # newest first
    assert history.earlier_sends_many(uploads, "SANDBOX")[4][0].application_id == "APP5"
    assert history.earlier_sends_many([], "EU") == []


def test_more_rows_than_one_query_takes(tmp_path: Path) -> None:
    history = History(tmp_path / "h.sqlite3")
    with history.held_open():
        for i in range(0, 450, 3):
            history.record(_entry(application_id=f"APP{i}"))
    uploads = [_upload(f"APP{i}", tmp=tmp_path) for i in range(450)]
    found = history.earlier_sends_many(uploads, "EU")
    assert [i for i, entries in enumerate(found) if entries] == list(range(0, 450, 3))
    assert all(entries[0].application_id == f"APP{i}" for i, entries in enumerate(found) if entries)


def test_no_history_file_means_nothing_sent_and_nothing_created(tmp_path: Path) -> None:
    history = History(tmp_path / "none" / "h.sqlite3")
    with history.held_open():
        assert history.earlier_sends_many([_upload(tmp=tmp_path)], "EU") == [[]]
        assert history.previous_uploads("APP1", SHA_A) == []
    assert not history.path.exists()


def test_previous_uploads_keep_their_optional_filters(tmp_path: Path) -> None:
    history = _populated(tmp_path)
    assert [e.application_id for e in history.previous_uploads("APP5", SHA_A)] == ["APP5"]
    assert history.previous_uploads("APP5", SHA_A, environment="EU") == []
    assert [e.integration_id for e in history.previous_uploads("APP6", SHA_A)] == ["lever:y"]
    assert history.previous_uploads("APP6", SHA_A, integration_id="greenhouse:x") == []
    assert [e.candidate_id for e in history.previous_candidate_uploads("CAND1", SHA_A)] == ["CAND1"]
    assert history.previous_candidate_uploads("CAND2", SHA_A) == []
    assert history.previous_uploads("", SHA_A) == []


def test_refuse_resends_names_each_upload_already_sent(tmp_path: Path) -> None:
    history = _populated(tmp_path)
    uploads = [_upload("APP1", tmp=tmp_path), _upload("APP3", tmp=tmp_path), _upload("APP2", tmp=tmp_path)]
    with pytest.raises(DuplicateUploadError) as info:
        history.refuse_resends(uploads, "EU")
    messages = [p.message for p in info.value.problems]
    assert len(messages) == 2
    assert "to application APP1" in messages[0] and "successfully" in messages[0]
    assert "to application APP2" in messages[1] and "unknown outcome" in messages[1]
    history.refuse_resends([_upload("APP2", tmp=tmp_path)], "EU", verifying=True)  # verify decides


def test_a_held_connection_is_one_connection_for_all_threads_and_closes_after(tmp_path: Path) -> None:
    history = History(tmp_path / "h.sqlite3")
    opened: list[sqlite3.Connection] = []
    real_open = history._open

    def counting_open() -> sqlite3.Connection:
        conn = real_open()
        opened.append(conn)
        return conn

    history._open = counting_open  # type: ignore[method-assign]
    with history.held_open():
        workers = [
            threading.Thread(target=lambda n=n: [history.record(_entry(application_id=f"T{n}-{i}")) for i in range(20)])
            for n in range(4)
        ]
        for w in workers:
            w.start()
        for w in workers:
            w.join()
        assert len(history.entries(limit=1000)) == 80
    assert len(opened) == 1
    with pytest.raises(sqlite3.ProgrammingError):
        opened[0].execute("SELECT 1")  # closed when the block ended
    history.record(_entry(application_id="after"))  # and a connection per operation again
    assert len(opened) == 2
    assert len({e.application_id for e in History(history.path).entries(limit=1000)}) == 81


def test_a_database_error_drops_the_held_connection(tmp_path: Path) -> None:
    history = History(tmp_path / "h.sqlite3")
    with history.held_open():
        history.record(_entry())
        first = history._held
        with pytest.raises(sqlite3.Error), history._connect() as conn:
            conn.execute("SELECT * FROM no_such_table")
        assert history._held is None
        history.record(_entry(application_id="APP2"))
        assert history._held is not None and history._held is not first
    assert len(history.entries()) == 2
