"""The batched "already sent?" lookup agrees with the one-by-one rule, and a held connection
behaves like a connection per operation."""

from __future__ import annotations

from pathlib import Path

from kombo_tui.core.files.checks import Fingerprint
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
        _upload("APP1", None, tmp=tmp_path),  # data_url: none recorded here
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
    assert not history.path.exists()
