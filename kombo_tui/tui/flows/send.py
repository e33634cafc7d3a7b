"""How the file leaves: ctrl+s → the confirm → the upload (progress, retry notices, a batch's
rows) → its result, a cancel, or Verify; and which of those keys do something right now.

The contracts kept here: what the confirm shows is built from the requests that will leave
(:class:`Confirm` carries both, and "Send" sends exactly those); earlier sends of the same bytes
are looked up before asking; the send is written to the audit log before its first byte (the
core engine does that, :func:`kombo_tui.tui.services.send` calls it).

The records this flow keeps: :attr:`SendFlow.result`, :attr:`~SendFlow.sending`,
:attr:`~SendFlow.last_send`, the batch's rows (:attr:`~SendFlow.extra_files`, sent together with
the first file) and :attr:`~SendFlow.first_file_result`.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace
from typing import TYPE_CHECKING

from kombo_tui.core.net import safe_link

from .. import present, services
from ..state import BatchFile, DraftView, FileView, LastSend, PickedApplication, ResultView, upload_key
from ..text import Line

if TYPE_CHECKING:
    from pathlib import Path

    from kombo_tui.core.errors import InputError, KomboError
    from kombo_tui.core.history import HistoryEntry
    from kombo_tui.core.outcome import SendOutcome
    from kombo_tui.core.payload import PreparedUpload
    from kombo_tui.core.retry import RetryNotice

    from ..present import ChoiceSpec
    from ..services import ReplayPlan, VerifyReport
    from .target import TargetFlow

__all__ = ["Confirm", "SendFlow", "StartUpload", "StartVerify"]

_WHY_OFF = {
    "copy_log_url": "No log URL to copy: Kombo's errors carry one, shown here after a failed send.",
    "send": "An upload is in flight: wait for its result here, or Esc cancels it.",
}


@dataclass(frozen=True)
class Confirm:
    """Effect: ask before sending. The dialog (:attr:`spec`) is built from :attr:`uploads`, the
    requests that leave when the answer is "send"."""

    uploads: list[PreparedUpload]
    previous: list[list[HistoryEntry]]
    """Each file's earlier sends of the same bytes to the same target (from the audit log)."""
    spec: ChoiceSpec


@dataclass(frozen=True)
class StartUpload:
    """Effect: send these requests, past exactly the earlier sends the confirm showed."""

    uploads: list[PreparedUpload]
    accept: frozenset[int]


@dataclass(frozen=True)
class StartVerify:
    """Effect: re-read the target's attachments for ``sent``'s files."""

    sent: LastSend
    was_unknown: bool


class SendFlow:
    """The send from ctrl+s to Verify.

    Args:
        previous_sends: Earlier sends of an upload's bytes to its target, from the audit log
            (:func:`kombo_tui.tui.services.previous_sends`; an unreadable log gives none).
    """

    def __init__(self, previous_sends: Callable[[PreparedUpload], list[HistoryEntry]]) -> None:
        self.previous_sends = previous_sends
        self.sending = False
        """An upload is in flight."""
        self.result = ResultView()
        """The outcome of the last send (or why nothing was sent)."""
        self.last_send = LastSend()
        """What Verify re-checks, and whether a resend must ask first."""
        self.extra_files: tuple[BatchFile, ...] = ()
        """Further files for the same target, sent together with the first."""
        self.first_file_result: Line = ()
        """After a batch: what happened to the first file."""
        self.progress = (0, 0)
        """Bytes of the upload in flight taken by the transport so far, of the total."""
        self._batch_progress: dict[int, tuple[int, int]] = {}
        self._retries: list[str] = []
        self._before_verify = ResultView()
        self._next_key = 0

    # ------------------------------------------------------------------ which keys work now

    def check_action(self, action: str) -> bool | None:
        """Whether ``action`` is on (True), off (False) or shown but off (None) right now."""
        if action == "send":
            return None if self.sending else True
        if action == "cancel_upload":
            return self.sending
        if action == "verify":
            return bool(self.last_send.uploads) and not self.sending
        if action == "copy_log_url":
            return safe_link(self.result.log_url) is not None
        return True

    def why_off(self, action: str) -> str:
        """Why ``action``'s key does nothing now (said where the result is shown)."""
        if action == "verify":
            if self.sending:
                return "Verify waits: an upload is in flight (Esc cancels it)."
            return "Nothing to verify yet: F5 re-reads the application's attachments after a send (F12 lists them now)."
        return _WHY_OFF.get(action, _WHY_OFF["send"])

    # ------------------------------------------------------------------ before sending

    def request(
        self,
        draft: DraftView,
        file_view: FileView,
        target: TargetFlow,
        *,
        remote_error: str | None,
        problems: Sequence[str],
    ) -> Confirm | None:
        """ctrl+s: the requests to send and the confirm built from them, or (None) why not.

        Args:
            problems: The payload's problems, repeated in the confirm.
        """
        if self.sending:
            return None
        if file_view.state == "inspecting" and not draft.by_url:
            self.result = ResultView("invalid", "Not sent: the file is still being read. Try again in a moment.")
            return None
        check = services.check_send(
            draft, file_view, self.extra_files, remote_error, services.known_limits(target.integration)
        )
        self.extra_files = check.extra_files
        if check.problems:
            self.result = present.not_sent_view(check.problems)
            return None
        uploads = check.uploads
        previous = [self.previous_sends(u) for u in uploads]  # before asking, never after
        spec = present.confirm_spec(
            uploads,
            target.integration,
            target.picked,
            problems,
            previous,
            unknown_here=self.last_send.unknown_key == upload_key(uploads[0]),
            picked_candidate=target.candidate_names(uploads[0]),
        )
        return Confirm(uploads, previous, spec)

    def chosen(self, confirm: Confirm, value: str | None) -> StartUpload | StartVerify | None:
        """The confirm's answer: send, verify the earlier send first, or nothing."""
        if value == "send":  # past the earlier sends Confirm showed, and no others
            accept = frozenset(e.id for entries in confirm.previous for e in entries if e.id is not None)
            return StartUpload(confirm.uploads, accept)
        if value != "verify":
            return None
        unknown = present.first_unknown(confirm.previous)
        if unknown is not None:
            upload = next(u for u, entries in zip(confirm.uploads, confirm.previous, strict=True) if unknown in entries)
            self.last_send = self.last_send.verifying(upload, unknown.id, present.parse_time(unknown.at))
        elif not self.last_send.uploads:
            self.last_send = self.last_send.verifying(confirm.uploads[0])
        return StartVerify(self.last_send, was_unknown=True)

    # ------------------------------------------------------------------ sending

    def begin(self, uploads: Sequence[PreparedUpload]) -> None:
        """The upload starts: in flight, nothing taken yet (the result follows in :meth:`show_sending`)."""
        self.sending = True
        self.progress = (0, sum(u.content_length for u in uploads))
        self._batch_progress = {i: (0, u.content_length) for i, u in enumerate(uploads)}
        self._retries = []

    def show_sending(self, uploads: Sequence[PreparedUpload]) -> None:
        """Say what is being sent; a batch's rows read "sending…"."""
        self.result = present.sending_view(uploads, self.progress[1])
        self.first_file_result = ()
        if len(uploads) > 1:
            self.extra_files = tuple(replace(f, result="sending…", result_kind="sending") for f in self.extra_files)

    def progressed(self, index: int, sent: int, size: int) -> tuple[int, int]:
        """File ``index`` has ``sent`` of its ``size`` bytes out: the whole upload's progress."""
        self._batch_progress[index] = (sent, size)  # whether each body went out in full (on cancel)
        if len(self._batch_progress) == 1:
            self.progress = (sent, size)
        else:
            self.progress = (sum(s for s, _ in self._batch_progress.values()), self.progress[1])
        return self.progress

    def retried(self, notice: RetryNotice) -> None:
        """The engine waits and retries (a rate or concurrency limit): said under the result."""
        self._retries.append(present.retry_line(notice))
        self.result = replace(self.result, retries=tuple(self._retries))

    def sent(self, outcomes: list[SendOutcome], picked: PickedApplication | None) -> list[PreparedUpload]:
        """The outcome of every file; returns the uploads whose targets it changed."""
        self.sending = False
        self.last_send = self.last_send.after(outcomes)
        if len(outcomes) == 1:
            result = present.outcome_view(outcomes[0], picked)
            notes = outcomes[0].notes
        else:
            batch = present.batch_view(outcomes, self.extra_files)
            self.first_file_result = batch.first_result
            self.extra_files = batch.extra_files
            result = batch.view
            notes = [n for o in outcomes for n in o.notes]
        if notes:
            result = replace(result, lines=result.lines + tuple(f"note: {n}" for n in dict.fromkeys(notes)))
        self.result = result
        return [o.upload for o in outcomes]

    def refused(self, error: InputError) -> None:
        """The integration's published limits refuse a file: nothing was sent."""
        self._not_sent(present.not_sent_view(services.limits_problems(error)))

    def failed(self, error: KomboError) -> None:
        """Nothing could be sent (e.g. the sandbox could not start)."""
        self._not_sent(ResultView("error", "✗ Not sent", message=str(error)))

    def _not_sent(self, result: ResultView) -> None:
        self.sending = False
        self.result = result
        self.extra_files = tuple(replace(f, result=None, result_kind="idle") for f in self.extra_files)

    def cancelled(self, uploads: Sequence[PreparedUpload]) -> None:
        """Esc during the upload: a file whose body went out in full may have arrived (unknown)."""
        complete = [uploads[i] for i, (sent, total) in self._batch_progress.items() if total and sent >= total]
        # The core logged each of these as "unknown" (the body was out): Verify updates that row.
        rows = {id(u): self._cancelled_row(u) for u in complete}
        unknown_key = upload_key(uploads[0]) if uploads[0] in complete else self.last_send.unknown_key
        self.last_send = LastSend(tuple(uploads), tuple(rows.get(id(u)) for u in uploads), (None,) * len(uploads), unknown_key)
        self.sending = False
        self.extra_files = tuple(replace(f, result=None, result_kind="idle") for f in self.extra_files)
        self.result = present.cancelled_view(uploads, complete, self.progress)

    def _cancelled_row(self, upload: PreparedUpload) -> int | None:
        """The audit-log row the core wrote for a send cancelled after its body went out."""
        return next((entry.id for entry in self.previous_sends(upload) if entry.outcome == "unknown"), None)

    def stopped(self) -> None:
        """The upload is over, however it ended."""
        self.sending = False

    # ------------------------------------------------------------------ verify

    def verify_requested(self) -> StartVerify | None:
        """F5: re-check the last send (None: nothing sent yet, or an upload in flight)."""
        if self.last_send.uploads and not self.sending:
            return StartVerify(self.last_send, was_unknown=self.result.kind == "unknown")
        return None

    def verifying(self) -> None:
        self._before_verify = self.result
        self.result = replace(self.result, verification="checking the application's attachments…", verification_found=None)

    def verify_failed(self, error: KomboError) -> None:
        self.result = replace(self._before_verify, verification=f"could not check: {error}", verification_found=None)

    def verified(self, report: VerifyReport) -> None:
        """What Verify found; an unknown outcome it settled asks no more before the next send."""
        if self.last_send.unknown_key in report.resolved:
            self.last_send = replace(self.last_send, unknown_key=None)
        before = self._before_verify
        self.result = replace(
            before, verification=report.summary, verification_found=report.found, lines=before.lines + report.notes
        )

    # ------------------------------------------------------------------ the batch's further files

    def file_added(self, path: Path, shown: str) -> BatchFile:
        """Another file for the same target (read next): its row, typed by its name."""
        from kombo_tui.core.files.naming import suggest_type

        suggested = suggest_type(path.name)
        self._next_key += 1
        item = BatchFile(self._next_key, path, shown, type=suggested.value if suggested else "OTHER")
        self.extra_files = (*self.extra_files, item)
        return item

    def file_read(self, key: int, view: FileView) -> None:
        """Row ``key``'s file was checked, sniffed and hashed."""
        self.extra_files = tuple(
            replace(
                item,
                state=view.state,
                error=view.error,
                sniffed=view.sniffed,
                fingerprint=view.fingerprint,
                size=view.size,
            )
            if item.key == key
            else item
            for item in self.extra_files
        )

    def file_removed(self, key: int) -> None:
        self.extra_files = tuple(item for item in self.extra_files if item.key != key)

    def type_chosen(self, key: int, value: str) -> None:
        """Row ``key``'s type: its problem (a type the limits refuse) goes with the old one."""
        self.extra_files = tuple(
            replace(item, type=value, error=None if item.state == "ready" else item.error) if item.key == key else item
            for item in self.extra_files
        )

    # ------------------------------------------------------------------ replay

    def replay_waits(self) -> bool:
        """History's Replay while an upload is in flight: it waits (said under the result)."""
        if self.sending:
            self.result = replace(self.result, lines=(*self.result.lines, "Replay waits: an upload is in flight."))
        return self.sending

    def replayed(self, plan: ReplayPlan) -> None:
        """A past send reopened in the form: the one file it was, and what to know about it."""
        self.extra_files = ()
        self.result = ResultView("idle", plan.headline, lines=plan.notes, warnings=plan.warnings)
