"""Reading Kombo's answers: unknown fields never break parsing; what we keep is what we use."""

from __future__ import annotations

from kombo_tui.core.models import Application, Attachment, Candidate, ErrorEnvelope

APPLICATION = {
    "id": "A1",
    "remote_id": "r1",
    "outcome": "PENDING",
    "candidate_id": "C1",
    "job_id": "J1",
    "changed_at": "2025-07-08T18:06:56.000Z",
    "custom_fields": {"x": 1},
    "remote_data": {"anything": [1, 2, 3]},
    "a_field_from_next_year": True,
    "candidate": {
        "id": "C1",
        "first_name": "Hana",
        "last_name": "Laurent",
        "email_addresses": [{"email_address": "hana@example.net", "type": "PERSONAL", "new": 1}],
        "tags": [],
    },
    "current_stage": {"id": "S1", "name": "Offer", "index": 5},
    "job": {"id": "J1", "name": "Working Student Marketing", "surprise": None},
}


def test_applications_parse_with_unknown_fields_and_keep_the_known_ones() -> None:
    app = Application.model_validate(APPLICATION)
    assert (app.id, app.outcome, app.job and app.job.name) == ("A1", "PENDING", "Working Student Marketing")
    assert app.candidate is not None and app.candidate.first_name == "Hana"
    assert app.current_stage is not None and app.current_stage.name == "Offer"
    # List items do not carry unknown fields around (20,000 of them are loaded at once).
    assert app.model_extra in (None, {})


def test_candidates_with_nested_applications() -> None:
    candidate = Candidate.model_validate(
        {"id": "C1", "first_name": "Hana", "applications": [{"id": "A1", "job": {"id": "J1"}, "more": 2}]}
    )
    assert [a.id for a in candidate.applications] == ["A1"]


def test_attachments_keep_unknown_fields_for_json_output() -> None:
    attachment = Attachment.model_validate({"id": "T1", "file_name": "cv.pdf", "remote_data": {"k": "v"}})
    assert attachment.model_dump(exclude_none=True)["remote_data"] == {"k": "v"}


def test_error_envelopes_with_unknown_and_null_codes() -> None:
    for code in ("SOMETHING.NEW", None):
        envelope = ErrorEnvelope.model_validate(
            {"status": "error", "error": {"code": code, "title": None, "message": "m", "log_url": None}}
        )
        assert envelope.error.code == code
