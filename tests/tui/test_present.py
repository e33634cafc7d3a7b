"""What the main screen says about a send, checked as plain functions (no app, no Pilot).

:mod:`kombo_tui.tui.present` builds every result view and the confirm dialog from plain
values; :mod:`kombo_tui.tui.inspect` inspects a file for the screen; ``LastSend`` in
:mod:`kombo_tui.tui.state` remembers the last send.
"""

from __future__ import annotations

import os
from dataclasses import replace
from pathlib import Path

import pytest

from kombo_tui.core.errors import ApiError, InputError, Notice, TransportError
from kombo_tui.core.history import HistoryEntry
from kombo_tui.core.models import AttachmentRestrictions, IntegrationDetails
from kombo_tui.core.outcome import SendOutcome, Verification
from kombo_tui.core.payload import Draft, PreparedUpload, prepare
from kombo_tui.core.retry import RetryNotice
from kombo_tui.tui import present
from kombo_tui.tui.inspect import inspect, path_problem
from kombo_tui.tui.state import (
    BatchFile,
    IntegrationView,
    LastSend,
    PickedApplication,
    upload_key,
)
from kombo_tui.tui.text import plain

PDF = b"%PDF-1.4\n%\xe2\xe3\xcf\xd3\n1 0 obj<</Type/Catalog>>endobj\ntrailer<<>>\n%%EOF\n"
GREENHOUSE = "greenhouse:abc"
REFUSED = ApiError(status=400, code="ATS.BAD", title="Bad", message="nope", log_url="https://app.kombo.dev/logs/1")


def _upload(folder: Path, name: str = "cv.pdf", body: bytes = PDF) -> PreparedUpload:
    path = folder / name
    path.write_bytes(body)
    return prepare(Draft(integration_id=GREENHOUSE, application_id="APP1", file=path, type="CV"))


def _entry(outcome: str, at: str = "2025-03-03T09:12:40+00:00", entry_id: int = 1) -> HistoryEntry:
    return HistoryEntry(
        environment="SANDBOX", integration_id=GREENHOUSE, application_id="APP1", file_name="cv.pdf",
        type="CV", outcome=outcome, at=at, id=entry_id,
    )


@pytest.fixture
def upload(tmp_path: Path) -> PreparedUpload:
    return _upload(tmp_path)


# ---------------------------------------------------------------------- outcomes


def test_one_table_styles_every_outcome() -> None:
    assert present.outcome_style("sent") == "$success"
    assert present.outcome_style("file_changed") == "$error"
    assert present.outcome_style("idle") == "dim"
    assert present.outcome_style("something new") == "dim"
    assert present.outcome_label("unknown") == "? unknown"
    assert present.outcome_label("verified_absent") == "✗ not there"
    assert present.outcome_label("sending") == "sending"  # not an outcome a send is recorded with
    assert present.result_line("✓ sent [x]", "sent") == (("✓ sent [x]", "$success"),)
    assert present.result_line("✗ not sent", "file_changed") == (("✗ not sent", "$error"),)


def test_errors_read_as_code_and_message() -> None:
    assert present.short_error(REFUSED) == "ATS.BAD: nope"
    assert present.short_error(ApiError(status=502, code=None, title=None, message="")) == "HTTP 502"
    assert present.short_error(TransportError("connection refused", sent=False)) == "connection refused"
    assert present.error_fields(REFUSED) == {
        "code": "ATS.BAD", "title": "Bad", "message": "nope", "log_url": "https://app.kombo.dev/logs/1"
    }
    assert present.error_fields(TransportError("down", sent=True)) == {"message": "down"}
    assert present.error_fields(None) == {}


def test_sent_names_the_candidate_when_the_picked_application_is_the_target(upload: PreparedUpload) -> None:
    outcome = SendOutcome("sent", upload)
    view = present.outcome_view(outcome, PickedApplication("APP1", candidate="Ava Thompson"))
    assert view.kind == "sent" and view.headline == "✓ Sent cv.pdf to Ava Thompson"
    assert view.lines == (f"CV · application/pdf · {len(PDF)} bytes",)
    assert view.can_verify
    other = present.outcome_view(outcome, PickedApplication("APP2", candidate="Someone Else"))
    assert other.headline == "✓ Sent cv.pdf to APP1"


def test_unknown_refused_unreachable_and_changed(upload: PreparedUpload) -> None:
    unknown = present.outcome_view(SendOutcome("unknown", upload, error=TransportError("dropped", sent=True)), None)
    assert unknown.kind == "unknown" and unknown.can_verify and unknown.message == "dropped" and unknown.hint
    refused = present.outcome_view(SendOutcome("error", upload, error=REFUSED), None)
    assert (refused.kind, refused.code, refused.log_url) == ("error", "ATS.BAD", REFUSED.log_url)
    assert refused.headline == "✗ Kombo refused the request — nothing was stored"
    unreachable = present.outcome_view(SendOutcome("error", upload, error=TransportError("refused", sent=False)), None)
    assert unreachable.headline == "✗ Could not reach Kombo — nothing was received"
    changed = present.outcome_view(SendOutcome("file_changed", upload, error=InputError.single("file", "changed")), None)
    assert changed.kind == "file_changed" and not changed.can_verify


def test_batch_view_returns_every_row_instead_of_writing_them(tmp_path: Path) -> None:
    first = _upload(tmp_path, "cv.pdf")
    second = _upload(tmp_path, "letter.pdf", PDF + b"% letter\n")
    third = _upload(tmp_path, "other.pdf", PDF + b"% other\n")
    rows = (
        BatchFile(7, tmp_path / "letter.pdf", "letter.pdf", state="ready"),
        BatchFile(9, tmp_path / "other.pdf", "other.pdf", state="ready"),
    )
    outcomes = [
        SendOutcome("sent", first),
        SendOutcome("unknown", second, error=TransportError("dropped", sent=True)),
        SendOutcome("error", third, error=REFUSED),
    ]
    batch = present.batch_view(outcomes, rows)
    assert batch.view.kind == "unknown"
    assert batch.view.headline == "? 1 of 3 sent; the outcome of some is unknown"
    assert batch.view.lines == (
        "✓ cv.pdf (CV): sent",
        "? letter.pdf (CV): outcome unknown — verify before sending again",
        "✗ other.pdf (CV): not sent: ATS.BAD — nope",
    )
    assert batch.view.log_url == REFUSED.log_url and batch.view.hint
    assert batch.first_result == (("✓ sent", "$success"),)
    assert [(r.key, r.result, r.result_kind) for r in batch.extra_files] == [
        (7, "? outcome unknown — verify before sending again", "unknown"),
        (9, "✗ not sent: ATS.BAD — nope", "error"),
    ]
    assert rows[0].result is None  # the rows given are left as they were
    all_sent = present.batch_view([SendOutcome("sent", first), SendOutcome("sent", second)], rows[:1])
    assert (all_sent.view.kind, all_sent.view.headline) == ("sent", "✓ Sent all 2 files")


def test_cancelled_before_and_after_the_whole_body(tmp_path: Path) -> None:
    first, second = _upload(tmp_path, "a.pdf"), _upload(tmp_path, "b.pdf", PDF + b"%b\n")
    partial = present.cancelled_view([first], [], (1_000, 5_000))
    assert partial.kind == "cancelled" and partial.lines == ("1,000 of 5,000 bytes were sent.",)
    out = present.cancelled_view([first, second], [second], (5_000, 5_000))
    assert out.kind == "unknown" and out.can_verify and out.lines == ("sent in full: b.pdf",)
    assert present.cancelled_view([first], [first], (5_000, 5_000)).lines == ()


def test_sending_retry_and_verification_lines(upload: PreparedUpload) -> None:
    assert present.sending_view([upload], 1234).headline == "Sending cv.pdf…"
    assert present.sending_view([upload, upload], 1234).lines == ("1,234 bytes of JSON",)
    notice = RetryNotice(attempt=1, max_attempts=3, delay=2.0, reason="rate limited", method="POST", path="/x")
    assert present.retry_line(notice) == "retrying in 2.0s (attempt 2 of 3): rate limited"
    absent = Verification(found=False, total=2)
    assert present.verification_line(absent, was_unknown=True, name=None).endswith("it did not land; sending again is safe")
    assert present.verification_line(absent, was_unknown=False, name="cv.pdf").startswith("cv.pdf: no attachment")


# ---------------------------------------------------------------------- confirm


def _details(tool: str, label: str) -> IntegrationView:
    details = IntegrationDetails.model_validate({"id": f"{tool}:x", "tool": {"id": tool, "label": label}})
    return IntegrationView(f"{tool}:x", details=details)


def test_confirm_first_send(upload: PreparedUpload) -> None:
    spec = present.confirm_spec(
        [upload], _details("greenhouse", "Greenhouse"), PickedApplication("APP1", candidate="Ava", job="Chef"),
        ["a [warning]"], [[]], unknown_here=False,
    )
    assert (spec.title, spec.focus, spec.screen_id) == ("Send this file?", "send", "confirm")
    assert [value for _, value, _ in spec.choices] == ["send", "cancel"]
    assert spec.body[:3] == (
        (("Tool", "b"), ("         Greenhouse  ", ""), ("(greenhouse:abc)", "dim")),
        (("Candidate", "b"), ("    Ava", "")),
        (("Job", "b"), ("          Chef", "")),
    )
    assert (("⚠ a [warning]", "$warning"),) in spec.body


def test_confirm_after_earlier_sends_and_unknown_outcomes(tmp_path: Path) -> None:
    first, second = _upload(tmp_path, "a.pdf"), _upload(tmp_path, "b.pdf", PDF + b"%b\n")
    again = present.confirm_spec([first], IntegrationView(), None, [], [[_entry("sent")]], unknown_here=False)
    assert (again.title, again.focus) == ("Already sent to this application — send this file again?", "cancel")
    assert (("Candidate", "b"), ("    (candidate not looked up)", "")) in again.body
    assert again.body[0][0][0].startswith("⚠ Already sent on ") and again.body[0][0][1] == "b $error"
    unknown = _entry("unknown", entry_id=5)
    resend = present.confirm_spec([first, second], IntegrationView(), None, [], [[], [unknown]], unknown_here=False)
    assert (resend.screen_id, resend.focus) == ("resend", "verify")
    assert resend.title == "Send again after an unknown outcome?"
    assert "b.pdf: already sent on" in plain(*resend.body) and ("File 2", "b") in resend.body[-1]
    assert present.first_unknown([[], [unknown]]) is unknown
    here = present.confirm_spec([first], IntegrationView(), None, [], [[]], unknown_here=True)
    assert here.screen_id == "resend" and "ended with an unknown outcome" in plain(*here.body)


def test_confirm_warns_when_the_tool_cannot_attach_to_applications(upload: PreparedUpload) -> None:
    spec = present.confirm_spec([upload], _details("personio", "Personio"), None, [], [[]], unknown_here=False)
    assert "Personio cannot attach to applications" in plain(*spec.body)


def test_previous_lines_show_three_and_count_the_rest() -> None:
    entries = [_entry("error", entry_id=i) for i in range(5)]
    lines = present.previous_lines([("", entries)], unknown_in_session=False)
    assert len(lines) == 5
    assert "… and 2 earlier sends (F9 shows them all)" in plain(lines[3])
    assert lines[-1][0][1] == "dim" and plain(lines[-1]).startswith("Sending again attaches a second copy.")
    assert present.previous_lines([("", [])], unknown_in_session=False) == []
    assert present.parse_time("not a time") is None


def test_notices_are_routed_by_code_and_limits_name_types_short(tmp_path: Path) -> None:
    scan = tmp_path / "scan"
    scan.write_bytes(b"\x00\x01\x02\x03" * 4096)
    upload = prepare(Draft(integration_id=GREENHOUSE, application_id="APP1", file=scan, type="OTHER"))
    assert {n.code for n in upload.warnings} >= {"generic_mime", "name_without_extension"}
    docx = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"
    restrictions = AttachmentRestrictions.model_validate(
        {"types": {"OTHER": {"is_supported": True, "accepted_mime_types": ["application/pdf", docx]}}}
    )
    file_notes, payload_notes = present.sorted_notices(upload, restrictions)
    limit = "application/octet-stream is not among the types this integration accepts for OTHER: pdf, docx"
    assert file_notes[-1] == limit and payload_notes[-1] == limit
    generic = next(n.message for n in upload.warnings if n.code == "generic_mime")
    assert generic in file_notes and generic not in payload_notes
    assert not any("extension" in note for note in file_notes + payload_notes)  # the attachment panel says it
    assert present.sorted_notices(upload, None) == (file_notes[:-1], payload_notes[:-1])
    other = Notice("file", "too_large", "file is too large")
    assert present.notice_line(other, upload, restrictions) == "file is too large"


# ---------------------------------------------------------------------- the last send


def test_last_send_marks_and_clears_an_unknown_outcome(tmp_path: Path) -> None:
    first, second = _upload(tmp_path, "a.pdf"), _upload(tmp_path, "b.pdf", PDF + b"%b\n")
    empty = LastSend()
    unknown = empty.after([SendOutcome("unknown", first, history_id=3)])
    assert unknown.unknown_key == upload_key(first)
    assert unknown.rows == [(first, 3, unknown.started[0])]
    assert unknown.after([SendOutcome("error", first, error=REFUSED)]).unknown_key == upload_key(first)
    assert unknown.after([SendOutcome("sent", first), SendOutcome("sent", second)]).unknown_key == upload_key(first)
    assert unknown.after([SendOutcome("sent", first)]).unknown_key is None
    pointed = unknown.verifying(second, 8)
    assert pointed.rows == [(second, 8, None)] and pointed.unknown_key == upload_key(first)
    assert upload_key(replace(first, name="other.pdf")) != upload_key(first)


# ---------------------------------------------------------------------- inspecting a file


def test_inspect_reports_progress_and_a_ready_file(tmp_path: Path) -> None:
    path = tmp_path / "cv.pdf"
    path.write_bytes(PDF)
    seen: list[tuple[int, float]] = []
    view = inspect(path, "cv.pdf", on_progress=lambda size, share: seen.append((size, share)))
    assert view is not None and view.state == "ready" and view.size == len(PDF)
    assert view.sniffed is not None and view.sniffed.mime == "application/pdf"
    assert view.fingerprint is not None and seen[0] == (len(PDF), 0.0) and seen[-1][1] == 1.0


def test_inspect_says_what_is_wrong_in_the_users_words(tmp_path: Path) -> None:
    empty = tmp_path / "empty.pdf"
    empty.write_bytes(b"")
    view = inspect(empty, "empty.pdf")
    assert view is not None and view.state == "error"
    assert view.error and "empty" in view.error and str(tmp_path) not in view.error
    (tmp_path / "folder").mkdir()
    assert path_problem(tmp_path / "folder", "folder") == "folder is a folder — keep typing (→ completes) or press ctrl+o"
    assert path_problem(tmp_path / "missing.pdf", "missing.pdf") == "no file at missing.pdf"
    assert view.error == "empty.pdf is empty (0 bytes)"
    os.symlink("nowhere", tmp_path / "broken")
    assert path_problem(tmp_path / "broken", "broken") == "broken is a broken symbolic link: its target 'nowhere' does not exist"


def test_inspect_stops_when_cancelled(tmp_path: Path) -> None:
    path = tmp_path / "big.pdf"
    path.write_bytes(PDF + b"\0" * (3 << 20))
    assert inspect(path, "big.pdf", cancelled=lambda: True) is None


def test_an_upload_the_history_refused_reads_not_sent_never_kombo_refused(tmp_path: Path) -> None:
    from kombo_tui.core.errors import DuplicateUploadError, Problem
    from kombo_tui.core.outcome import SendOutcome
    from kombo_tui.core.payload import prepare_fields
    from kombo_tui.tui.present import outcome_view

    cv = tmp_path / "cv.pdf"
    cv.write_bytes(b"%PDF-1.4\n%%EOF\n")
    upload = prepare_fields(integration_id="g:1", application_id="APP1", file=cv)
    refused = DuplicateUploadError(Problem("file", "cv.pdf is being sent (history #3)"))
    view = outcome_view(SendOutcome("error", upload, error=refused), None)
    assert view.headline == "✗ Not sent" and "history #3" in (view.message or "")
