"""The send flow, driven through its states by plain pytest (no app, no Pilot).

ctrl+s → confirm (built from the requests that leave, earlier sends looked up first) → sending →
sent / unknown / cancelled / not sent → Verify; and which keys work when, with the reason.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from kombo_tui.core.errors import ApiError, InputError, KomboError, TransportError
from kombo_tui.core.history import HistoryEntry
from kombo_tui.core.outcome import SendOutcome
from kombo_tui.core.payload import PreparedUpload
from kombo_tui.core.retry import RetryNotice
from kombo_tui.tui import present
from kombo_tui.tui.flows.send import Confirm, SendFlow, StartUpload, StartVerify
from kombo_tui.tui.flows.target import TargetFlow
from kombo_tui.tui.inspect import inspect
from kombo_tui.tui.services import ReplayPlan, VerifyReport
from kombo_tui.tui.state import DraftView, FileView, PickedApplication, ResultView, upload_key
from kombo_tui.tui.text import plain

GREENHOUSE = "greenhouse:abc"
PDF = b"%PDF-1.4\n%\xe2\xe3\xcf\xd3\n1 0 obj<</Type/Catalog>>endobj\ntrailer<<>>\n%%EOF\n"
ANA = PickedApplication(id="APP1", candidate="Ana Ruiz", job="Engineer")
REFUSED = ApiError(status=400, code="ATS.BAD", title="Bad", message="nope", log_url="https://app.kombo.dev/logs/1")


class Log:
    """Earlier sends by file name, and who asked (the audit log's answer to "sent before?")."""

    def __init__(self, **entries: list[HistoryEntry]) -> None:
        self.entries = entries
        self.asked: list[str] = []

    def __call__(self, upload: PreparedUpload) -> list[HistoryEntry]:
        self.asked.append(upload.name)
        return self.entries.get(upload.name.replace(".", "_"), [])


def _entry(outcome: str, entry_id: int, name: str = "cv.pdf") -> HistoryEntry:
    return HistoryEntry(environment="SANDBOX", integration_id=GREENHOUSE, application_id="APP1", file_name=name,
                        type="CV", outcome=outcome, at="2025-03-03T09:12:40+00:00", id=entry_id)


def _ready(path: Path, body: bytes = PDF) -> FileView:
    path.write_bytes(body)
    view = inspect(path, path.name)
    assert view is not None and view.state == "ready"
    return view


@pytest.fixture
def cv(tmp_path: Path) -> FileView:
    return _ready(tmp_path / "cv.pdf")


def _draft(view: FileView) -> DraftView:
    return DraftView(integration_id=GREENHOUSE, application_id="APP1", file=view.path, type="CV")


def _confirm(flow: SendFlow, view: FileView, target: TargetFlow | None = None) -> Confirm:
    confirm = flow.request(_draft(view), view, target or TargetFlow(), remote_error=None, problems=())
    assert confirm is not None
    return confirm


def _upload(flow: SendFlow, view: FileView) -> StartUpload:
    start = flow.chosen(_confirm(flow, view), "send")
    assert isinstance(start, StartUpload)
    flow.begin(start.uploads)
    flow.show_sending(start.uploads)
    return start


def _keys(flow: SendFlow) -> dict[str, bool | None]:
    return {action: flow.check_action(action) for action in ("send", "cancel_upload", "verify", "copy_log_url", "help")}


# ---------------------------------------------------------------------- before sending


def test_nothing_sent_yet_only_send_works_and_the_others_say_why() -> None:
    flow = SendFlow(Log())
    assert _keys(flow) == {"send": True, "cancel_upload": False, "verify": False, "copy_log_url": False, "help": True}
    assert flow.why_off("verify").startswith("Nothing to verify yet")
    assert flow.why_off("copy_log_url").startswith("No log URL to copy")
    assert flow.verify_requested() is None


def test_a_file_still_being_read_or_a_missing_target_sends_nothing(tmp_path: Path, cv: FileView) -> None:
    log = Log()
    flow = SendFlow(log)
    reading = FileView("inspecting", cv.path, cv.display)
    assert flow.request(_draft(cv), reading, TargetFlow(), remote_error=None, problems=()) is None
    assert flow.result.kind == "invalid" and "still being read" in flow.result.headline
    untargeted = DraftView(file=cv.path)
    assert flow.request(untargeted, cv, TargetFlow(), remote_error="bad json", problems=()) is None
    assert flow.result.kind == "invalid" and any("integration" in line for line in flow.result.lines)
    assert any("remote_fields: bad json" in line for line in flow.result.lines)
    assert log.asked == []  # the log is asked about requests that can leave only


def test_the_confirm_is_built_from_the_requests_that_leave_after_the_log_was_asked(cv: FileView) -> None:
    log = Log(cv_pdf=[_entry("sent", 4), _entry("sent", 2)])
    flow = SendFlow(log)
    target = TargetFlow()
    target.application_picked(DraftView(integration_id=GREENHOUSE), ANA)
    confirm = _confirm(flow, cv, target)
    assert log.asked == ["cv.pdf"] and confirm.previous == [log.entries["cv_pdf"]]
    [upload] = confirm.uploads
    assert (upload.application_id, upload.name, upload.type.value) == ("APP1", "cv.pdf", "CV")
    body = plain(*confirm.spec.body)
    assert "Ana Ruiz" in body and "Engineer" in body and "cv.pdf" in body
    assert confirm.spec.screen_id == "confirm" and confirm.spec.title.startswith("Already sent")
    start = flow.chosen(confirm, "send")
    assert isinstance(start, StartUpload)
    assert start.uploads is confirm.uploads  # exactly what Confirm showed
    assert start.accept == frozenset({4, 2})  # past the sends it showed, and no others
    assert flow.chosen(confirm, "cancel") is None and flow.chosen(confirm, None) is None


def test_an_earlier_unknown_outcome_asks_to_verify_first_and_points_verify_at_it(cv: FileView) -> None:
    flow = SendFlow(Log(cv_pdf=[_entry("unknown", 7)]))
    confirm = _confirm(flow, cv)
    assert confirm.spec.screen_id == "resend" and confirm.spec.focus == "verify"
    check = flow.chosen(confirm, "verify")
    assert isinstance(check, StartVerify) and check.was_unknown
    assert check.sent is flow.last_send
    assert flow.last_send.rows == [(confirm.uploads[0], 7, present.parse_time(_entry("unknown", 7).at))]


# ---------------------------------------------------------------------- sending


def test_sending_then_sent_then_verified(cv: FileView) -> None:
    flow = SendFlow(Log())
    start = _upload(flow, cv)
    [upload] = start.uploads
    assert flow.sending and flow.result.kind == "sending" and flow.progress == (0, upload.content_length)
    assert _keys(flow) == {"send": None, "cancel_upload": True, "verify": False, "copy_log_url": False, "help": True}
    assert flow.why_off("verify").startswith("Verify waits") and "Esc cancels" in flow.why_off("send")
    assert flow.request(_draft(cv), cv, TargetFlow(), remote_error=None, problems=()) is None  # one at a time
    assert flow.progressed(0, 100, upload.content_length) == (100, upload.content_length)
    flow.retried(RetryNotice(attempt=1, max_attempts=3, delay=2.0, reason="rate limited", method="POST", path="/x"))
    assert flow.result.kind == "sending" and flow.result.retries == ("retrying in 2.0s (attempt 2 of 3): rate limited",)
    touched = flow.sent([SendOutcome("sent", upload, history_id=5)], None)
    assert touched == [upload] and not flow.sending
    assert flow.result.kind == "sent" and flow.last_send.rows[0][:2] == (upload, 5)
    assert _keys(flow)["verify"] is True and _keys(flow)["cancel_upload"] is False
    check = flow.verify_requested()
    assert check == StartVerify(flow.last_send, was_unknown=False)
    flow.verifying()
    assert flow.result.kind == "sent" and flow.result.verification == "checking the application's attachments…"
    flow.verified(VerifyReport("✓ cv.pdf is on the application", True, ("note: x",), frozenset()))
    assert flow.result.kind == "sent" and flow.result.verification_found is True
    assert flow.result.verification == "✓ cv.pdf is on the application" and flow.result.lines[-1] == "note: x"
    # Sending again: Verify waits for it (the last send is kept, not checked mid-upload).
    _upload(flow, cv)
    assert flow.last_send.uploads and _keys(flow)["verify"] is False and flow.verify_requested() is None


def test_an_unknown_outcome_marks_the_file_until_verify_settles_it(cv: FileView) -> None:
    flow = SendFlow(Log())
    [upload] = _upload(flow, cv).uploads
    flow.sent([SendOutcome("unknown", upload, error=TransportError("dropped", sent=True), history_id=9)], None)
    assert flow.result.kind == "unknown" and flow.last_send.unknown_key == upload_key(upload)
    assert flow.result.can_verify
    # The next ctrl+s of the same file asks first, though the log has nothing (unknown here).
    assert _confirm(flow, cv).spec.screen_id == "resend"
    check = flow.verify_requested()
    assert check is not None and check.was_unknown
    flow.verifying()
    flow.verify_failed(KomboError("offline"))
    assert flow.result.verification == "could not check: offline" and flow.result.kind == "unknown"
    assert flow.last_send.unknown_key == upload_key(upload)  # still unsettled
    flow.verifying()
    flow.verified(VerifyReport("✓ it landed", True, (), frozenset({upload_key(upload)})))
    assert flow.last_send.unknown_key is None
    assert _confirm(flow, cv).spec.screen_id == "confirm"


def test_an_error_keeps_its_log_url_for_copying(cv: FileView) -> None:
    flow = SendFlow(Log())
    [upload] = _upload(flow, cv).uploads
    flow.sent([SendOutcome("error", upload, error=REFUSED)], None)
    assert flow.result.kind == "error" and flow.check_action("copy_log_url") is True


def test_cancelled_before_the_whole_body_left_is_not_sent(cv: FileView) -> None:
    log = Log()
    flow = SendFlow(log)
    [upload] = _upload(flow, cv).uploads
    flow.progressed(0, 10, upload.content_length)
    flow.cancelled([upload])
    assert not flow.sending and flow.result.kind == "cancelled"
    assert flow.last_send.uploads == (upload,) and flow.last_send.history_ids == (None,)
    assert flow.last_send.unknown_key is None and log.asked == ["cv.pdf"]  # only the confirm asked


def test_cancelled_after_the_whole_body_left_is_unknown_and_verify_updates_the_cores_row(cv: FileView) -> None:
    log = Log()
    flow = SendFlow(log)
    [upload] = _upload(flow, cv).uploads
    log.entries["cv_pdf"] = [_entry("unknown", 12)]  # what the core wrote on cancel
    flow.progressed(0, upload.content_length, upload.content_length)
    flow.cancelled([upload])
    assert flow.result.kind == "unknown" and flow.result.can_verify
    assert flow.last_send.history_ids == (12,) and flow.last_send.unknown_key == upload_key(upload)
    assert flow.verify_requested() == StartVerify(flow.last_send, was_unknown=True)


def test_limits_or_a_missing_client_send_nothing(cv: FileView) -> None:
    flow = SendFlow(Log())
    _upload(flow, cv)
    flow.refused(InputError.single("file", "too big for this integration"))
    assert not flow.sending and flow.result.kind == "invalid"
    assert flow.result.lines[-1] == "• (the integration's published limits; nothing was sent)"
    _upload(flow, cv)
    flow.failed(KomboError("the sandbox could not start"))
    assert not flow.sending and flow.result == ResultView("error", "✗ Not sent", message="the sandbox could not start")
    _upload(flow, cv)
    flow.stopped()  # however it ended
    assert not flow.sending and flow.check_action("send") is True


# ---------------------------------------------------------------------- a batch


def test_a_batch_reads_its_rows_sends_them_together_and_says_how_each_went(tmp_path: Path, cv: FileView) -> None:
    flow = SendFlow(Log())
    letter = _ready(tmp_path / "cover_letter.pdf", PDF + b"% letter\n")
    assert letter.path is not None
    row = flow.file_added(letter.path, "cover_letter.pdf")
    assert row.state == "inspecting" and row.type == "COVER_LETTER" and flow.extra_files == (row,)
    other = flow.file_added(tmp_path / "x.pdf", "x.pdf")
    flow.file_removed(other.key)
    # A row still being read stops the send, on its row.
    assert flow.request(_draft(cv), cv, TargetFlow(), remote_error=None, problems=()) is None
    assert flow.extra_files[0].error == "still being read — try again in a moment"
    flow.file_read(row.key, letter)
    flow.type_chosen(row.key, "OTHER")
    assert flow.extra_files[0].state == "ready" and flow.extra_files[0].type == "OTHER"
    assert flow.extra_files[0].error is None
    start = _upload(flow, cv)
    assert [u.name for u in start.uploads] == ["cv.pdf", "cover_letter.pdf"]
    assert [r.result_kind for r in flow.extra_files] == ["sending"]
    total = sum(u.content_length for u in start.uploads)
    assert flow.progressed(1, 30, start.uploads[1].content_length) == (30, total)
    assert flow.progressed(0, 20, start.uploads[0].content_length) == (50, total)
    outcomes = [SendOutcome("sent", start.uploads[0]), SendOutcome("error", start.uploads[1], error=REFUSED)]
    rows = flow.extra_files
    flow.sent(outcomes, None)
    assert flow.result == present.batch_view(outcomes, rows).view and flow.result.kind == "error"
    assert flow.first_file_result == (("✓ sent", "$success"),)
    assert flow.extra_files[0].result_kind == "error"
    assert flow.last_send.uploads == tuple(start.uploads)
    _upload(flow, cv)
    flow.failed(KomboError("down"))
    assert [(r.result, r.result_kind) for r in flow.extra_files] == [(None, "idle")]


def test_replay_waits_for_an_upload_in_flight_and_then_is_the_one_file_it_was(tmp_path: Path, cv: FileView) -> None:
    flow = SendFlow(Log())
    flow.file_added(tmp_path / "x.pdf", "x.pdf")
    flow.begin([])
    assert flow.replay_waits()
    assert flow.result.lines[-1] == "Replay waits: an upload is in flight."
    flow.stopped()
    assert not flow.replay_waits()
    plan = ReplayPlan(GREENHOUSE, "application", "APP1", None, "cv.pdf", "cv.pdf", "CV", None, None,
                      "Replaying cv.pdf", ("a note",), ("a warning",))
    flow.replayed(plan)
    assert flow.extra_files == () and flow.result == ResultView("idle", "Replaying cv.pdf", lines=("a note",),
                                                                warnings=("a warning",))
