"""One vocabulary for how a send ended: the predicates, the history's "already sent?" query and
a send's own outcome all give the same answer for every outcome."""

from __future__ import annotations

import typing
from pathlib import Path

import pytest

from kombo_tui.core.engine import entry_from_outcome
from kombo_tui.core.history import History
from kombo_tui.core.outcome import Outcome, SendOutcome, Verification, landed, unsettled
from tests.core.test_history import _entry, _pdf_upload

EVERY = typing.get_args(Outcome)


def test_each_outcome_is_landed_unsettled_or_neither_never_both() -> None:
    assert {o for o in EVERY if landed(o)} == {"sent", "verified_present"}
    assert {o for o in EVERY if unsettled(o)} == {"sending", "unknown"}
    assert not landed(None) and not unsettled(None)


@pytest.mark.parametrize("outcome", EVERY)
def test_the_history_query_counts_exactly_what_landed_or_may_have(tmp_path: Path, outcome: str) -> None:
    history = History(tmp_path / "h.sqlite3")
    history.record(_entry(outcome=outcome))
    [entry] = history.entries()
    assert (entry.landed, entry.unsettled) == (landed(outcome), unsettled(outcome))
    found = history.earlier_sends(_pdf_upload(tmp_path), "SANDBOX")
    assert bool(found) == (entry.landed or entry.unsettled)


def _verification(evidence: str | None) -> Verification:
    """A verification whose evidence is ``present`` (a new match), ``absent`` or None (failed)."""
    if evidence == "present":
        return Verification(found=True, new_since_send=True)
    if evidence == "absent":
        return Verification(found=False)
    return Verification(found=None)


@pytest.mark.parametrize(
    ("status", "evidence", "outcome"),
    [("sent", None, "sent"), ("unknown", None, "unknown"), ("unknown", "present", "verified_present"),
     ("unknown", "absent", "verified_absent"), ("unknown", "failed", "unknown"), ("error", None, "error"),
     ("file_changed", None, "file_changed")],
)
def test_a_send_settled_by_verify_is_recorded_as_what_verify_found(
    tmp_path: Path, status: str, evidence: str | None, outcome: str
) -> None:
    sent = SendOutcome(status, _pdf_upload(tmp_path))  # type: ignore[arg-type]
    if evidence is not None:
        sent.verification = _verification(None if evidence == "failed" else evidence)
    assert sent.outcome == outcome
    assert (sent.landed, sent.unsettled) == (landed(outcome), unsettled(outcome))
    assert entry_from_outcome(sent, environment="SANDBOX").outcome == outcome
