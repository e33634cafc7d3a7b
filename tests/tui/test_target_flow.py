"""The target flow, driven through its states by plain pytest (no app, no Pilot).

:class:`~kombo_tui.tui.flows.target.TargetFlow` keeps the integration as checked, the pick and
what is already attached; each event takes the draft and returns it with the effects to run.
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path
from types import SimpleNamespace

import pytest

from kombo_tui.core.errors import ApiError
from kombo_tui.core.models import AttachmentRestrictions, IntegrationDetails
from kombo_tui.core.payload import Draft, PreparedUpload, prepare
from kombo_tui.tui import services
from kombo_tui.tui.flows.target import CheckIntegration, ListAttachments, ListShown, TargetFlow
from kombo_tui.tui.state import AttachmentsView, DraftView, IntegrationView, PickedApplication

GREENHOUSE = "greenhouse:abc"
PDF = b"%PDF-1.4\n%\xe2\xe3\xcf\xd3\n1 0 obj<</Type/Catalog>>endobj\ntrailer<<>>\n%%EOF\n"
NOT_FOUND = ApiError(status=404, code="PLATFORM.INTEGRATION_NOT_FOUND", title="Not found", message="no such integration")
ANA = PickedApplication(id="APP1", candidate="Ana Ruiz", email="ana@example.com", job="Engineer")


class Client:
    """Answers attachment listings (one file per target) and counts them."""

    def __init__(self) -> None:
        self.asked: list[str] = []

    async def get_application_attachments(self, target: str, *, integration_id: str) -> list[SimpleNamespace]:
        self.asked.append(target)
        return [SimpleNamespace(id="a1", file_name="old.pdf", type="CV", content_type="application/pdf", remote_created_at=None)]


def _details(tool: str = "greenhouse") -> IntegrationDetails:
    return IntegrationDetails.model_validate({"id": GREENHOUSE, "tool": {"id": tool, "label": "Greenhouse"}})


def _upload(folder: Path, **target: str) -> PreparedUpload:
    path = folder / "cv.pdf"
    path.write_bytes(PDF)
    return prepare(Draft(integration_id=GREENHOUSE, file=path, type="CV", **(target or {"application_id": "APP1"})))


async def _list(flow: TargetFlow, draft: DraftView, client: Client, *, refresh: bool = False) -> AttachmentsView:
    """What the screen's worker does for a :class:`ListAttachments` effect."""
    key = draft.target_key()
    assert key is not None
    cache = flow.listing(key)
    assert flow.attachments.state == "loading" and flow.attachments.key == key
    return flow.listed(draft, key, await services.list_attachments(cache, client, key, refresh=refresh))  # type: ignore[arg-type]


# ---------------------------------------------------------------------- the integration


def test_an_edited_integration_is_checked_after_a_pause_and_a_cleared_one_stops_checking() -> None:
    flow = TargetFlow()
    draft = DraftView()
    step = flow.integration_edited(draft, GREENHOUSE)
    assert step.draft.integration_id == GREENHOUSE and step.effects == (CheckIntegration(GREENHOUSE),)
    assert flow.integration == IntegrationView(GREENHOUSE, checking=True)
    # The same value again (a message echoing what the draft has): nothing to do.
    again = flow.integration_edited(step.draft, GREENHOUSE)
    assert again.draft is step.draft and again.effects == ()
    cleared = flow.integration_edited(step.draft, "")
    assert cleared.draft.integration_id is None and cleared.effects == (CheckIntegration(""),)
    assert flow.integration == IntegrationView()


def test_a_checked_integration_then_its_restrictions_become_the_known_limits() -> None:
    flow = TargetFlow()
    flow.check_soon(GREENHOUSE)
    assert services.known_limits(flow.integration) == {}  # still checking: none known
    view = flow.checked(GREENHOUSE, _details())
    assert view.details is not None and not view.checking and not view.restrictions_known
    limits = AttachmentRestrictions.model_validate({"types": {}})
    view = flow.restrictions_read(limits)
    assert view.details is not None and view.restrictions is limits and view.restrictions_known
    assert services.known_limits(flow.integration) == {GREENHOUSE: limits}
    # Unreadable restrictions are known to be unknown (the send reads none again).
    assert services.known_limits(flow.restrictions_read(None)) == {GREENHOUSE: None}


def test_an_integration_that_cannot_be_read_says_why_and_what_to_do() -> None:
    flow = TargetFlow()
    flow.check_soon(GREENHOUSE)
    view = flow.check_failed(GREENHOUSE, NOT_FOUND)
    assert not view.checking and view.details is None
    assert view.error is not None and "no such integration" in view.error
    assert view.hint is not None and "integration id" in view.hint
    assert services.known_limits(view) == {}


# ---------------------------------------------------------------------- application or candidate


def test_a_typed_application_id_has_no_names_and_editing_a_picked_id_drops_them() -> None:
    flow = TargetFlow()
    draft = flow.application_edited(DraftView(integration_id=GREENHOUSE), "APP9")
    assert draft.application_id == "APP9" and flow.picked == PickedApplication(id="APP9")
    step = flow.application_picked(draft, ANA)
    assert flow.picked is not None and flow.picked.candidate == "Ana Ruiz" and flow.picked.integration_id == GREENHOUSE
    # The same id echoed by the field keeps the names; another id drops them; empty drops the pick.
    assert flow.application_edited(step.draft, "APP1").application_id == "APP1" and flow.picked.candidate == "Ana Ruiz"
    assert flow.application_edited(step.draft, "APP2").application_id == "APP2"
    assert flow.picked == PickedApplication(id="APP2")
    assert flow.application_edited(step.draft, "").application_id is None and flow.picked is None


def test_picking_an_application_while_switched_to_the_candidate_switches_back_and_says_so() -> None:
    flow = TargetFlow()
    draft = DraftView(integration_id=GREENHOUSE, candidate_id="C1", target="candidate")
    step = flow.application_picked(draft, ANA)
    assert step.draft.target == "application" and step.draft.application_id == "APP1"
    assert step.draft.candidate_id == "C1"  # kept: F2 switches back to it
    assert step.switched_to == "application" and step.answer is not None and "Switched" in step.answer[0][0]
    assert step.effects == (ListShown(),)
    plain_pick = flow.application_picked(step.draft, ANA)
    assert plain_pick.switched_to is None and plain_pick.answer is None


def test_a_picked_candidate_keeps_names_only_for_its_own_id_and_integration(tmp_path: Path) -> None:
    flow = TargetFlow()
    draft = DraftView(integration_id=GREENHOUSE, target="candidate")
    step = flow.candidate_picked(draft, PickedApplication(id="C1", candidate="Ana Ruiz"))
    assert step.draft.candidate_id == "C1" and step.effects == (ListShown(),)
    assert flow.picked_candidate is not None and flow.picked_candidate.integration_id == GREENHOUSE
    to_her = _upload(tmp_path, candidate_id="C1")
    assert flow.candidate_names(to_her) is flow.picked_candidate
    assert flow.candidate_names(_upload(tmp_path, candidate_id="C2")) is None
    assert flow.candidate_names(_upload(tmp_path)) is None  # the application endpoint
    flow.candidate_edited(step.draft, "C1")
    assert flow.picked_candidate is not None  # the field echoing the pick
    assert flow.candidate_edited(step.draft, "C2").candidate_id == "C2" and flow.picked_candidate is None
    # A candidate without names (a typed id through the picker's field) keeps none.
    flow.candidate_picked(draft, PickedApplication(id="C3"))
    assert flow.picked_candidate is None


def test_the_picker_needs_the_integration_first() -> None:
    flow = TargetFlow()
    why = flow.why_no_pick(DraftView(target="candidate"))
    assert why is not None and "candidates" in why[0][0]
    assert flow.why_no_pick(DraftView(integration_id=GREENHOUSE)) is None


# ---------------------------------------------------------------------- what is already there


async def test_listing_is_asked_for_then_cached_and_a_new_target_starts_unlisted() -> None:
    flow = TargetFlow()
    client = Client()
    nothing = flow.list_requested(DraftView(integration_id=GREENHOUSE))
    assert nothing.effects == () and nothing.answer is not None and "application id (or F3)" in nothing.answer[0][0]
    assert flow.attachments == AttachmentsView() and flow.cache is None  # nothing asked
    draft = DraftView(integration_id=GREENHOUSE, application_id="APP1")
    key = (GREENHOUSE, "application", "APP1")
    assert flow.list_requested(draft).effects == (ListAttachments(key, refresh=False),)
    view = await _list(flow, draft, client)
    assert view.state == "ready" and view.found is not None and view.found.has("old.pdf")
    # Listed already: F12 asks again.
    assert flow.list_requested(draft).effects == (ListAttachments(key, refresh=True),)
    # The file's name follows the draft; another target starts unlisted, the first comes back cached.
    assert flow.follow(draft, "cv.pdf").name == "cv.pdf"
    other = draft.updated(application_id="APP2")
    assert flow.follow(other, "cv.pdf") == AttachmentsView((GREENHOUSE, "application", "APP2"), name="cv.pdf")
    back = flow.follow(draft, "cv.pdf")
    assert back.state == "ready" and back.found is view.found and client.asked == ["APP1"]


async def test_a_listing_that_comes_back_after_the_user_moved_on_is_not_shown() -> None:
    flow = TargetFlow()
    draft = DraftView(integration_id=GREENHOUSE, application_id="APP1")
    key = draft.target_key()
    assert key is not None
    cache = flow.listing(key)
    moved = draft.updated(application_id="APP2")
    flow.follow(moved, None)
    flow.listed(moved, key, await services.list_attachments(cache, Client(), key))  # type: ignore[arg-type]
    assert flow.attachments.key == (GREENHOUSE, "application", "APP2") and flow.attachments.state == "idle"
    failed = flow.list_failed(moved, moved.target_key(), NOT_FOUND)  # type: ignore[arg-type]
    assert failed.state == "error" and failed.error is not None and "no such integration" in failed.error


async def test_a_send_to_the_shown_target_forgets_its_listing_and_lists_it_again(tmp_path: Path) -> None:
    flow = TargetFlow()
    upload = _upload(tmp_path)
    assert flow.attachments_changed([upload]) == ()  # nothing ever listed: nothing to forget
    draft = DraftView(integration_id=GREENHOUSE, application_id="APP1")
    await _list(flow, draft, Client())
    assert flow.cache is not None and flow.cache.cached((GREENHOUSE, "application", "APP1")) is not None
    assert flow.attachments_changed([upload]) == (ListAttachments((GREENHOUSE, "application", "APP1"), refresh=True),)
    assert flow.cache.cached((GREENHOUSE, "application", "APP1")) is None
    # A send elsewhere (the shown list is another target's) forgets that one, lists nothing.
    flow.follow(draft.updated(application_id="APP2"), None)
    assert flow.attachments_changed([upload]) == ()


def test_replay_restores_the_target_with_the_names_the_log_kept() -> None:
    flow = TargetFlow()
    plan = SimpleNamespace(target="application", target_id="APP1", picked=ANA)
    draft = flow.replayed(DraftView(candidate_id="C1", target="candidate"), plan)  # type: ignore[arg-type]
    assert draft.target == "application" and draft.application_id == "APP1" and flow.picked is ANA
    plan = SimpleNamespace(target="candidate", target_id="C9", picked=None)
    draft = flow.replayed(draft, plan)  # type: ignore[arg-type]
    assert draft.target == "candidate" and draft.candidate_id == "C9" and flow.picked is ANA


@pytest.mark.parametrize("module", ["kombo_tui.tui.flows.target", "kombo_tui.tui.flows.send"])
def test_the_flows_load_neither_textual_nor_the_heavy_core(module: str) -> None:
    code = (
        f"import importlib, sys\nimportlib.import_module({module!r})\n"
        "print(sorted(m for m in sys.modules if m.split('.')[0] in ('textual', 'httpx', 'pydantic')))\n"
    )
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert result.stdout.strip() == "[]"
