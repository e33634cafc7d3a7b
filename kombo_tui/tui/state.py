"""Immutable records of the main screen's state; the screen owns them, panels are bound to them.

The ``…View`` names are historical: each is a frozen state record (what the screen knows),
not a widget. The screen replaces a record whole (``dataclasses.replace``), which is what
makes Textual's reactives notice the change.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal

from kombo_tui.core.draft import Draft

if TYPE_CHECKING:
    from kombo_tui.core.existing import ExistingAttachments, TargetKey
    from kombo_tui.core.files.checks import Fingerprint
    from kombo_tui.core.files.sniff import Sniffed
    from kombo_tui.core.models import AttachmentRestrictions, IntegrationDetails
    from kombo_tui.core.outcome import SendOutcome
    from kombo_tui.core.payload import PreparedUpload


Source = Literal["data", "data_url"]
"""How an upload's bytes travel: inline as base64 (``data``) or fetched by Kombo (``data_url``)."""

TargetKind = Literal["application", "candidate"]
"""Which endpoint the file goes to: the application's (recommended) or the candidate's."""


@dataclass(frozen=True)
class DraftView(Draft):
    """What the user has chosen so far, as the screen keeps it: the core's :class:`Draft` (its
    nine fields, named there once) and how the screen holds them.

    Both ways the bytes can travel are kept (the file once it is ready, the URL as typed);
    :attr:`source` says which one is sent, so switching back and forth loses neither. Both
    targets are kept too (the application id and the candidate id as typed): :attr:`target`
    says which one is sent.
    """

    source: Source = "data"
    """How the bytes travel: the file's content (``data``) or a URL Kombo fetches (``data_url``)."""
    target: TargetKind = "application"
    """Where the file goes: the application id or the candidate id (both are kept, as for
    :attr:`source`, so switching back and forth loses neither)."""

    @property
    def by_url(self) -> bool:
        """The bytes travel as ``data_url`` (no file needed)."""
        return self.source == "data_url"

    @property
    def target_id(self) -> str:
        """The id of the chosen target ("" when not given)."""
        return (self.candidate_id if self.target == "candidate" else self.application_id) or ""

    def target_key(self) -> TargetKey | None:
        """Whose attachments the draft would join (None until integration and id are given)."""
        if not self.integration_id or not self.target_id:
            return None
        return (self.integration_id, self.target, self.target_id)

    def updated(self, **changes: Any) -> DraftView:
        return replace(self, **changes)

    def to_core(self) -> Draft:
        """The core's draft: the file or the URL, whichever :attr:`source` says is sent, to the
        target :attr:`target` says."""
        chosen = self.fields()
        chosen["data_url" if self.source == "data" else "file"] = None
        chosen["candidate_id" if self.target == "application" else "application_id"] = None
        return Draft(**chosen)


@dataclass(frozen=True)
class Initial:
    """What the main screen starts with (from the command line, the settings or the sandbox)."""

    integration: str = ""
    application: str = ""
    file: str = ""


@dataclass(frozen=True)
class IntegrationView:
    """What ``GET /integrations/{id}`` and the action restrictions said."""

    integration_id: str = ""
    checking: bool = False
    details: IntegrationDetails | None = None
    error: str | None = None
    hint: str | None = None
    restrictions: AttachmentRestrictions | None = None
    restrictions_known: bool = False
    """True once the restrictions were fetched (``restrictions`` None then means "unknown")."""


AttachmentsState = Literal["idle", "loading", "ready", "error"]


@dataclass(frozen=True)
class AttachmentsView:
    """What is already on the target (listed on demand: each listing is a request)."""

    key: TargetKey | None = None
    """Whose attachments: ``(integration, kind, id)``; None while no target is given."""
    state: AttachmentsState = "idle"
    found: ExistingAttachments | None = None
    error: str | None = None
    name: str | None = None
    """The name of the file about to be sent (a same-named attachment is marked)."""


@dataclass(frozen=True)
class PickedApplication:
    """The chosen application; names are known when it came from the picker."""

    id: str
    candidate: str | None = None
    email: str | None = None
    job: str | None = None
    stage: str | None = None
    outcome: str | None = None
    integration_id: str | None = None
    """The integration it was picked (or replayed) under; None for a typed id (no names)."""

    def names(self, upload: PreparedUpload) -> PickedApplication | None:
        """This pick, when it describes where ``upload`` goes: the same application through the
        same integration (never a candidate-endpoint upload). Otherwise None: its names belong
        to another target and must not be shown for, or recorded with, this one."""
        if upload.candidate_id or self.id != upload.application_id:
            return None
        if self.integration_id is not None and self.integration_id != upload.integration_id:
            return None
        return self

    def describe(self) -> str:
        if not self.candidate:
            return "entered by id (candidate not looked up)"
        who = self.candidate + (f" <{self.email}>" if self.email else "")
        job = f" — {self.job}" if self.job else ""
        stage = f" · {self.stage}" if self.stage else ""
        return who + job + stage


FileState = Literal["none", "inspecting", "ready", "error"]


@dataclass(frozen=True)
class FileView:
    """The chosen file as inspected in a worker (size, MIME, sha256)."""

    state: FileState = "none"
    path: Path | None = None
    display: str = ""
    size: int | None = None
    sniffed: Sniffed | None = None
    fingerprint: Fingerprint | None = None
    error: str | None = None
    hashed: float = 0.0
    """Share of the file hashed so far (0–1)."""


ResultKind = Literal[
    "idle", "invalid", "sending", "sent", "error", "unknown", "file_changed", "cancelled", "verifying"
]


@dataclass(frozen=True)
class ResultView:
    """The outcome of the last send (or why nothing was sent)."""

    kind: ResultKind = "idle"
    headline: str = ""
    lines: tuple[str, ...] = ()
    warnings: tuple[str, ...] = ()
    code: str | None = None
    title: str | None = None
    message: str | None = None
    log_url: str | None = None
    hint: str | None = None
    verification: str | None = None
    verification_found: bool | None = None
    can_verify: bool = False
    retries: tuple[str, ...] = field(default_factory=tuple)
    exchange_scopes: tuple[str, ...] = ()
    """The exchange-log scopes of the send shown (F4 opens the Exchanges screen on them)."""
    exchanges: str | None = None
    """How many exchanges those scopes hold (``3``, ``2 + 1 wait``), for the panel's F4 line."""


@dataclass(frozen=True)
class BatchFile:
    """A further file for the same application (a batch): its own type and, once sent, result."""

    key: int
    """Stable id of the row (paths may repeat while the user fixes a mistake)."""
    path: Path
    display: str
    state: FileState = "inspecting"
    size: int | None = None
    sniffed: Sniffed | None = None
    fingerprint: Fingerprint | None = None
    type: str = "OTHER"
    error: str | None = None
    """Why this file cannot be sent (shown on its row)."""
    result: str | None = None
    """After sending: what happened to this file."""
    result_kind: ResultKind = "idle"


UploadKey = tuple[str, str, str, str]
"""What makes two sends "the same": integration, target (application, or ``candidate:`` and its
id), name and content (sha256 or data_url)."""


def upload_key(upload: PreparedUpload) -> UploadKey:
    """The identity of an upload for "was this already sent?" (see :data:`UploadKey`)."""
    sha = upload.fingerprint.sha256 if upload.fingerprint else (upload.data_url or "")
    target = f"candidate:{upload.candidate_id}" if upload.candidate_id else upload.application_id
    return (upload.integration_id, target, upload.name, sha)


@dataclass(frozen=True, eq=False)
class LastSend:
    """The last send from this screen: what Verify re-checks, and whether to ask before a resend.

    ``uploads``, ``history_ids`` and ``started`` run in parallel (one entry per file).
    Compared by identity: a new send is a new record.
    """

    uploads: tuple[PreparedUpload, ...] = ()
    history_ids: tuple[int | None, ...] = ()
    """Each file's audit-log row (Verify records what it found there)."""
    started: tuple[datetime | None, ...] = ()
    """When each send began (Verify looks for attachments added since)."""
    unknown_key: UploadKey | None = None
    """The file whose last send here ended unknown and was not verified since (None: none)."""

    @property
    def rows(self) -> list[tuple[PreparedUpload, int | None, datetime | None]]:
        """``(upload, history id, started)`` per file."""
        return list(zip(self.uploads, self.history_ids, self.started, strict=True))

    def verifying(self, upload: PreparedUpload, history_id: int | None = None, started: datetime | None = None) -> LastSend:
        """The same record, Verify pointed at one file (the unknown marker kept)."""
        return replace(self, uploads=(upload,), history_ids=(history_id,), started=(started,))

    def after(self, outcomes: list[SendOutcome]) -> LastSend:
        """The record after a send: its files, and the unknown marker moved on.

        The first file's outcome decides the marker: unknown marks it; a single file sent
        clears it; anything else (an error, a batch) leaves it as it was.
        """
        first = outcomes[0]
        key = self.unknown_key
        if first.unsettled:
            key = upload_key(first.upload)
        elif len(outcomes) == 1 and first.status == "sent":
            key = None
        return LastSend(
            tuple(o.upload for o in outcomes),
            tuple(o.history_id for o in outcomes),
            tuple(o.started_at for o in outcomes),
            key,
        )
