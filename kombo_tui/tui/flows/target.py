"""Where the file goes: the integration (checked once typing pauses), the application or the
candidate (typed, or picked with names), and what is already attached there (listed on demand).

The draft stays the screen's (the file and attachment fields edit it too): each event takes the
draft and returns it as the event leaves it, in a :class:`TargetStep` with the effects to run.
The records this flow keeps are :attr:`TargetFlow.integration`, :attr:`~TargetFlow.picked`,
:attr:`~TargetFlow.picked_candidate` and :attr:`~TargetFlow.attachments`.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from typing import TYPE_CHECKING, Union

from .. import present
from ..state import AttachmentsView, DraftView, IntegrationView, PickedApplication, TargetKind
from ..text import Line

if TYPE_CHECKING:
    from collections.abc import Iterable

    from kombo_tui.core.errors import KomboError
    from kombo_tui.core.existing import AttachmentsCache, TargetKey
    from kombo_tui.core.models import AttachmentRestrictions, IntegrationDetails
    from kombo_tui.core.payload import PreparedUpload

    from ..services import ReplayPlan

__all__ = [
    "CheckIntegration",
    "ListAttachments",
    "ListShown",
    "TargetEffect",
    "TargetFlow",
    "TargetStep",
    "nothing_yet",
]


def nothing_yet(text: str) -> Line:
    """An answer saying why a key had nothing to do yet (or what it did instead)."""
    return ((text, "$warning"),)


@dataclass(frozen=True)
class CheckIntegration:
    """Effect: check this integration once typing pauses (``""``: stop checking)."""

    integration_id: str


@dataclass(frozen=True)
class ListShown:
    """Effect: list the attachments of the draft's target as F12 does (after a pick, once the
    new draft is shown)."""


@dataclass(frozen=True)
class ListAttachments:
    """Effect: list ``key``'s attachments (``refresh``: ask again, not from the cache)."""

    key: TargetKey
    refresh: bool = False


TargetEffect = Union[CheckIntegration, ListShown, ListAttachments]


@dataclass(frozen=True)
class TargetStep:
    """What one event did: the draft after it, and what the screen does next."""

    draft: DraftView
    effects: tuple[TargetEffect, ...] = ()
    answer: Line | None = None
    """What to say in the Result panel's first line (None: nothing)."""
    switched_to: TargetKind | None = None
    """The endpoint the form was switched to by the event (the panels show it)."""


class TargetFlow:
    """The integration as checked, the application or candidate as chosen, what is there."""

    def __init__(self) -> None:
        self.integration = IntegrationView()
        """What ``GET /integrations/{id}`` and the action's restrictions said."""
        self.picked: PickedApplication | None = None
        """The application the draft goes to, with names when it was picked."""
        self.picked_candidate: PickedApplication | None = None
        """The candidate chosen in the candidate picker (its ``id`` is the candidate's)."""
        self.attachments = AttachmentsView()
        """What is already on the draft's target (listed on demand)."""
        self.cache: AttachmentsCache | None = None
        """Every listing asked for so far, by target (None until the first)."""

    # ------------------------------------------------------------------ the integration

    def integration_edited(self, draft: DraftView, value: str) -> TargetStep:
        """The integration field changed: check it once typing pauses (or stop checking)."""
        if value == (draft.integration_id or ""):
            return TargetStep(draft)
        return TargetStep(draft.updated(integration_id=value or None), (self.check_soon(value),))

    def check_soon(self, value: str) -> CheckIntegration:
        """Say the integration is being checked (none when ``value`` is empty)."""
        self.integration = IntegrationView(value, checking=True) if value else IntegrationView()
        return CheckIntegration(value)

    def check_failed(self, integration_id: str, error: KomboError) -> IntegrationView:
        """The check could not read the integration: why, and what to do about it."""
        from kombo_tui.core.hints import hint_for

        self.integration = IntegrationView(integration_id, error=present.short_error(error), hint=hint_for(error))
        return self.integration

    def checked(self, integration_id: str, details: IntegrationDetails) -> IntegrationView:
        """The integration exists (its restrictions are read next)."""
        self.integration = IntegrationView(integration_id, details=details)
        return self.integration

    def restrictions_read(self, restrictions: AttachmentRestrictions | None) -> IntegrationView:
        """The action's published limits, or None when none are published (or they could not be read)."""
        self.integration = replace(self.integration, restrictions=restrictions, restrictions_known=True)
        return self.integration

    # ------------------------------------------------------------------ the application or candidate

    def application_edited(self, draft: DraftView, value: str) -> DraftView:
        """A typed application id: a pick's names go once the id is another one's."""
        if self.picked is not None and self.picked.id != value:
            self.picked = PickedApplication(id=value) if value else None
        elif self.picked is None and value:
            self.picked = PickedApplication(id=value)
        return draft.updated(application_id=value or None)

    def candidate_edited(self, draft: DraftView, value: str) -> DraftView:
        """A typed candidate id: the picked candidate's names go once the id is another one's."""
        if self.picked_candidate is not None and self.picked_candidate.id != value:
            self.picked_candidate = None
        return draft.updated(candidate_id=value or None)

    def target_switched(self, draft: DraftView, kind: TargetKind) -> DraftView:
        """F2: the file goes to the application, or to the candidate (both ids are kept)."""
        return draft.updated(target=kind)

    def why_no_pick(self, draft: DraftView) -> Line | None:
        """Why the picker cannot open yet (None: it can)."""
        if draft.integration_id:
            return None
        return nothing_yet(f"Enter the integration id first: the picker lists its {draft.target}s.")

    def application_picked(self, draft: DraftView, picked: PickedApplication) -> TargetStep:
        """An application from the picker: the draft goes to it (switched to the application
        endpoint if need be), with its names, and its attachments are listed."""
        switched = draft.target == "candidate"  # switched to the candidate while the picker was open
        answer = (("Switched to the application endpoint: an application was picked (F2 switches back).", "$accent"),)
        draft = draft.updated(application_id=picked.id, target="application")
        self.picked = replace(picked, integration_id=draft.integration_id)  # its names belong to this one
        return TargetStep(
            draft, (ListShown(),), answer=answer if switched else None, switched_to="application" if switched else None
        )

    def candidate_picked(self, draft: DraftView, picked: PickedApplication) -> TargetStep:
        """A candidate from the picker: the draft's candidate id, names kept only from a pick."""
        draft = draft.updated(candidate_id=picked.id)
        # Names only from a pick (F2's typed id has none), under the integration it was picked in.
        self.picked_candidate = replace(picked, integration_id=draft.integration_id) if picked.candidate else None
        return TargetStep(draft, (ListShown(),))

    def candidate_names(self, upload: PreparedUpload) -> PickedApplication | None:
        """The picked candidate, when ``upload`` goes to that candidate through that integration."""
        chosen = self.picked_candidate
        if chosen is None or chosen.id != upload.candidate_id or chosen.integration_id != upload.integration_id:
            return None
        return chosen

    def replayed(self, draft: DraftView, plan: ReplayPlan) -> DraftView:
        """History's Replay: the past send's target (an application with the names the log kept)."""
        if plan.target == "candidate":
            return draft.updated(candidate_id=plan.target_id, target="candidate")
        draft = draft.updated(application_id=plan.target_id, target="application")
        self.picked = plan.picked
        return draft

    # ------------------------------------------------------------------ what is already there

    def follow(self, draft: DraftView, name: str | None) -> AttachmentsView:
        """Point the list at the draft's target (a cached listing, else none yet) and at the
        name of the file about to be sent (a same-named attachment is marked)."""
        key = draft.target_key()
        view = self.attachments
        if view.key != key:
            cached = self.cache.cached(key) if self.cache is not None and key is not None else None
            view = AttachmentsView(key, "ready", found=cached) if cached is not None else AttachmentsView(key)
        if view != self.attachments or view.name != name:
            self.attachments = replace(view, name=name)
        return self.attachments

    def list_requested(self, draft: DraftView) -> TargetStep:
        """F12 (or a pick): list the target's attachments; asked again when already listed."""
        key = draft.target_key()
        if key is None:
            self.attachments = AttachmentsView()
            which = "candidate id" if draft.target == "candidate" else "application id (or F3)"
            return TargetStep(draft, answer=nothing_yet(f"Nothing to list yet: enter the integration and the {which} first."))
        shown = self.attachments
        return TargetStep(draft, (ListAttachments(key, refresh=shown.key == key and shown.state != "idle"),))

    def listing(self, key: TargetKey) -> AttachmentsCache:
        """A listing of ``key`` starts: say so; the cache it goes through."""
        from kombo_tui.core.existing import AttachmentsCache

        if self.cache is None:
            self.cache = AttachmentsCache()
        self.attachments = AttachmentsView(key, "loading", name=self.attachments.name)
        return self.cache

    def listed(self, draft: DraftView, key: TargetKey, view: AttachmentsView) -> AttachmentsView:
        """A listing came back: shown if the draft still goes to ``key`` (the user may have moved on)."""
        if draft.target_key() == key:
            self.attachments = replace(view, name=self.attachments.name)
        return self.attachments

    def list_failed(self, draft: DraftView, key: TargetKey, error: KomboError) -> AttachmentsView:
        """No client to list with (e.g. the sandbox could not start)."""
        return self.listed(draft, key, AttachmentsView(key, "error", error=present.short_error(error)))

    def attachments_changed(self, uploads: Iterable[PreparedUpload]) -> tuple[ListAttachments, ...]:
        """A send (or Verify) touched these targets: their listings are forgotten; the shown one,
        once listed, is listed again."""
        if self.cache is None:
            return ()
        from kombo_tui.core.existing import target_key

        keys = {target_key(u) for u in uploads}
        for key in keys:
            self.cache.forget(key)
        shown = self.attachments
        if shown.key is not None and shown.key in keys and shown.state in ("ready", "error"):
            return (ListAttachments(shown.key, refresh=True),)
        return ()
