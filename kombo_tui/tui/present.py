"""Every sentence the main screen shows about a send, as pure functions from state to views.

The screen keeps state and runs workers; what a user reads about a send — the confirm
dialog, the result of one file or of a batch, a cancelled upload, a Verify — is built here
from plain values and returned as data (:class:`~kombo_tui.tui.state.ResultView`,
:class:`ChoiceSpec`, :class:`BatchResult`). Nothing here imports Textual or touches a
screen, so plain pytest checks these sentences (``tests/tui/test_present.py``) and the
screen only assigns what comes back.

Styled text is built as :data:`~kombo_tui.tui.text.Line` pieces ``(text, style)``, never as
markup: a value from the user, the file system or Kombo is placed as text (control characters
made visible by :func:`~kombo_tui.tui.text.safe_line`), so no ``[`` in it can style the screen
or bind a click to an action.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, replace
from datetime import datetime
from typing import TYPE_CHECKING, Any

from kombo_tui.core.connectors import is_supported, tool_id_of, tool_label
from kombo_tui.core.errors import ApiError, InputError, KomboError, TransportError
from kombo_tui.core.hints import counted, hint_for

from .state import AttachmentsView, BatchFile, IntegrationView, PickedApplication, ResultKind, ResultView
from .text import Line, Piece, format_bytes, local_time, safe_line

if TYPE_CHECKING:
    from kombo_tui.core.errors import Notice
    from kombo_tui.core.history import HistoryEntry
    from kombo_tui.core.models import AttachmentRestrictions
    from kombo_tui.core.outcome import SendOutcome, Verification
    from kombo_tui.core.payload import PreparedUpload
    from kombo_tui.core.retry import RetryNotice

__all__ = [
    "ATTACHMENT_PANEL_NOTICES",
    "FILE_NOTICES",
    "OUTCOME_STYLES",
    "BatchResult",
    "ChoiceSpec",
    "OutcomeStyle",
    "attachments_unavailable",
    "batch_view",
    "cancelled_view",
    "confirm_spec",
    "describe",
    "error_fields",
    "first_unknown",
    "not_sent_view",
    "outcome_label",
    "outcome_style",
    "outcome_view",
    "parse_time",
    "previous_lines",
    "result_line",
    "retry_line",
    "sending_view",
    "notice_line",
    "short_error",
    "sorted_notices",
    "verification_line",
    "with_exchanges",
]


# ---------------------------------------------------------------------- outcomes: one style


@dataclass(frozen=True)
class OutcomeStyle:
    """How an outcome (or a state of the result panel) is written."""

    style: str
    """The Textual style it is written in (a theme variable such as ``$success``)."""
    mark: str = ""
    """``✓``, ``✗`` or ``?`` for the outcomes of a send."""
    label: str = ""
    """The outcome in a word or two, as the History table shows it."""


OUTCOME_STYLES: dict[str, OutcomeStyle] = {
    "idle": OutcomeStyle("dim"),
    "invalid": OutcomeStyle("$warning"),
    "sending": OutcomeStyle("$accent"),
    "verifying": OutcomeStyle("$accent"),
    "cancelled": OutcomeStyle("$warning"),
    "sent": OutcomeStyle("$success", "✓", "sent"),
    "error": OutcomeStyle("$error", "✗", "error"),
    "unknown": OutcomeStyle("$warning", "?", "unknown"),
    "file_changed": OutcomeStyle("$error", "✗", "changed"),
    "verified_present": OutcomeStyle("$success", "✓", "verified"),
    "verified_absent": OutcomeStyle("$error", "✗", "not there"),
}
"""Every outcome of a send (and every state of the result panel): its colour, mark and label.

The result panel, the File panel's batch rows, the batch summary and the History screen all
read this one table.
"""


def outcome_style(kind: str, default: str = "dim") -> str:
    """The style of an outcome or result kind (``default`` for one not in the table)."""
    known = OUTCOME_STYLES.get(kind)
    return known.style if known is not None else default


def outcome_label(outcome: str) -> str:
    """``✓ sent``, ``? unknown``…: a recorded outcome as History shows it (else the raw value)."""
    known = OUTCOME_STYLES.get(outcome)
    return f"{known.mark} {known.label}" if known is not None and known.label else outcome


def result_line(text: str, kind: str) -> Line:
    """``text`` in the colour of a send's outcome (anything but sent or unknown is an error)."""
    return ((safe_line(text), outcome_style(kind, "$error")),)


# ---------------------------------------------------------------------- notices

FILE_NOTICES = frozenset({"sniff_note", "generic_mime"})
"""Notices about what the file is: shown under it in the File panel."""
ATTACHMENT_PANEL_NOTICES = frozenset({"name_without_extension"})
"""Notices the attachment panel already shows beside its field (not repeated in the payload)."""


def notice_line(notice: Notice, upload: PreparedUpload, restrictions: AttachmentRestrictions | None) -> str:
    """A notice as the screen words it.

    The types an integration accepts are named as the Target panel's Limits line names them
    (``pdf doc docx``): a list of full MIME names would fill the narrow panels. Every other
    notice is the core's own sentence.
    """
    if notice.code == "mime_not_accepted" and restrictions is not None:
        rule = restrictions.for_type(upload.type)
        if rule is not None and rule.accepted_mime_types:
            from kombo_tui.core.files.mime import short_name

            accepted = ", ".join(short_name(m) for m in rule.accepted_mime_types)
            return f"{upload.content_type} is not among the types this integration accepts for {upload.type.value}: {accepted}"
    return notice.message


def sorted_notices(upload: PreparedUpload, restrictions: AttachmentRestrictions | None) -> tuple[list[str], list[str]]:
    """The preview's notices, by where they show: ``(File panel, payload and confirm dialog)``.

    Routed by :attr:`~kombo_tui.core.errors.Notice.code`, never by their wording: what the
    file is goes under the file; the rest goes with the payload, except what the attachment
    panel says beside its field. The integration's published limits show in both places.
    """
    from kombo_tui.core.payload import restriction_warnings  # pydantic: not before the first frame

    limits = [notice_line(n, upload, restrictions) for n in restriction_warnings(upload, restrictions)]
    file_notes = [n.message for n in upload.warnings if n.code in FILE_NOTICES]
    payload_notes = [n.message for n in upload.warnings if n.code not in FILE_NOTICES | ATTACHMENT_PANEL_NOTICES]
    return file_notes + limits, payload_notes + limits


# ---------------------------------------------------------------------- the integration


def attachments_unavailable(integration: IntegrationView) -> str | None:
    """Why the integration cannot take attachments now, as the Target panel and Confirm say it
    (None: available, unknown, or a tool Kombo falls back to the candidate for).

    ``coverage_status`` says whether the tool supports the action at all; an action that is
    supported but unavailable is switched off by the integration's scope config (the *Add
    attachments* permission), by the customer, or by the integration's state.
    """
    from kombo_tui.core.connectors import ACTION_ID

    details = integration.details
    if details is None or not is_supported(details.tool.id or tool_id_of(details.id)):
        return None
    action = details.write_action(ACTION_ID)
    if action is None or action.is_available:
        return None
    if action.opted_out_by_customer:
        return "turned off by the customer"
    coverage = (action.coverage_status or "").upper()
    if coverage and coverage != "SUPPORTED":
        return f"{coverage.lower().replace('_', ' ')} for this tool"
    if (action.scope_config_setting or "").upper() == "DISABLED":
        return "no Add attachments permission in its scope config"
    if details.status and details.status != "ACTIVE":
        return f"the integration is {details.status.lower()}"
    if details.setup_status and details.setup_status != "COMPLETED":
        return "the integration's setup is not complete"
    return "Kombo does not say why"


# ---------------------------------------------------------------------- errors


def short_error(exc: KomboError) -> str:
    """``CODE: message`` (or ``HTTP 502``) for Kombo's errors; the error's own text otherwise."""
    if isinstance(exc, ApiError):
        return f"{exc.label}: {exc.message}" if exc.message else exc.label
    return str(exc)


def error_fields(error: KomboError | None) -> dict[str, Any]:
    """The :class:`ResultView` fields that show an error (code, title, message, log_url)."""
    if isinstance(error, ApiError):
        return {"code": error.label, "title": error.title, "message": error.message, "log_url": error.log_url}
    if error is not None:
        return {"message": str(error)}
    return {}


# ---------------------------------------------------------------------- before sending

CANDIDATE_NOTE = "⚠ To the candidate, not an application: Kombo recommends the application endpoint."
"""Said wherever the candidate endpoint is chosen (it is for a candidate with no suitable application)."""

ATTACHMENTS_SHOWN = 3
"""Existing attachments listed in the Target panel; the rest are counted ("+K more")."""
ATTACHMENT_NAME_WIDTH = 28
"""Most characters of an existing attachment's name shown (it comes from the ATS)."""


def attachments_lines(view: AttachmentsView, *, limit: int = ATTACHMENTS_SHOWN) -> list[Line]:
    """The Target panel's "Attached" row: what is already on the target (none while no target).

    Same-named attachments (the file about to be sent would be a second copy) come first, are
    marked and explained on a last line; at most ``limit`` are listed, the rest counted. Names,
    types and dates come from the ATS: each is clipped and made inert.
    """
    if view.key is None:
        return []
    if view.state == "idle":
        return [(("F12 lists them (one request)", "dim"),)]
    if view.state == "loading":
        return [(("listing…", "dim"),)]
    if view.state == "error" or view.found is None:
        return [((f"✗ could not list them: {safe_line(view.error or 'unknown error', 200)}", "$error"),
                 (" · F12 retries", "dim"))]
    items = view.found.items
    if not items:
        return [(("nothing yet", "dim"), (" · F12 refreshes", "dim"))]
    same = view.found.same_named(view.name) if view.name else []
    ordered = [*same, *(item for item in items if item not in same)]
    lines: list[Line] = []
    for item in ordered[:limit]:
        name = safe_line(item.name or "(no name)", ATTACHMENT_NAME_WIDTH)
        facts = "  ".join(part for part in (safe_line(item.type or "", 14), _day(item.created)) if part)
        if item in same:
            lines.append(((f"⚠ {name}", "b $warning"), (f"  {facts}", "dim")))
        else:
            lines.append(((name, ""), (f"  {facts}", "dim")))
    footer: list[Piece] = []
    if len(ordered) > limit:
        footer.append((f"+{len(ordered) - limit:,} more · ", "dim"))
    if same:
        footer.append(("⚠ same name as your file", "$warning"))
    elif footer:
        footer.append(("F12 refreshes", "dim"))
    if footer:
        lines.append(tuple(footer))
    return lines


def _day(created: str | None) -> str:
    """An attachment's creation date as ``2025-03-01`` (local time); a value that is not a date is clipped."""
    if not created:
        return ""
    return safe_line(local_time(created.replace("Z", "+00:00"))[:10], 10)


def describe(upload: PreparedUpload) -> str:
    """One line about a prepared file: name · size · type · content type (or its data_url).

    Safe to show: every part is made visible with :func:`~kombo_tui.tui.text.safe_line`.
    """
    name = safe_line(upload.name)
    if upload.file is not None:
        return f"{name}  ·  {format_bytes(upload.size)}  ·  {upload.type.value}  ·  {safe_line(upload.content_type)}"
    return f"{name}  ·  {upload.type.value}  ·  from {safe_line(upload.data_url or '')}"


def not_sent_view(problems: Sequence[str]) -> ResultView:
    """Why nothing was sent, one bullet per problem."""
    return ResultView("invalid", "Not sent — fix these first:", lines=tuple(problems), hint="Nothing was sent.")


def previous_lines(named: Sequence[tuple[str, Sequence[HistoryEntry]]], *, unknown_in_session: bool) -> list[Line]:
    """The confirm dialog's warning about earlier sends of these files to this application.

    Args:
        named: Each file's name (empty for a single file) with its earlier sends, newest first.
        unknown_in_session: The last send of this file in this session ended unknown and the
            audit log has no row saying so (it could not be written).
    """
    lines: list[Line] = []
    if unknown_in_session:
        lines.append(
            (("⚠ The last send of this file here ended with an unknown outcome: it may already be there.", "b $warning"),)
        )
    for name, previous in named:
        which = f"{safe_line(name)}: " if name else ""
        for entry in previous[:3]:
            colour = "$warning" if entry.unsettled else "$error"
            outcome = {
                "unknown": "unknown — may be there",
                "sending": "in flight, or stopped mid-send — may be there",
            }.get(entry.outcome, entry.outcome.replace("_", " "))
            said = (
                f"⚠ {which}{'already' if which else 'Already'} sent on {safe_line(local_time(entry.at))} "
                f"(outcome {safe_line(outcome)}), {safe_line(entry.environment)}"
            )
            lines.append(((said, f"b {colour}"),))
        if len(previous) > 3:
            lines.append(((f"  … and {counted(len(previous) - 3, 'earlier send')} (F9 shows them all)", "$error"),))
    if any(previous for _, previous in named) or unknown_in_session:
        lines.append((("Sending again attaches a second copy. Verify re-reads the application's attachments.", "dim"),))
    return lines


def first_unknown(previous: Sequence[Sequence[HistoryEntry]]) -> HistoryEntry | None:
    """The first earlier send (file by file, newest first) whose outcome is unknown (or that is
    still in flight, or whose program stopped mid-send)."""
    return next((entry for entries in previous for entry in entries if entry.unsettled), None)


@dataclass(frozen=True)
class ChoiceSpec:
    """What the confirm dialog shows: title, body lines and ``(label, value, variant)`` buttons."""

    title: str
    body: tuple[Line, ...]
    """Styled lines (outside values placed as text, never as markup)."""
    choices: tuple[tuple[str, str, str], ...]
    focus: str
    """The value of the button focused first."""
    screen_id: str
    """``confirm``, or ``resend`` when a send of these bytes may already be there."""


def confirm_spec(
    uploads: Sequence[PreparedUpload],
    integration: IntegrationView,
    picked: PickedApplication | None,
    problems: Sequence[str],
    previous: Sequence[Sequence[HistoryEntry]],
    *,
    unknown_here: bool,
    picked_candidate: PickedApplication | None = None,
) -> ChoiceSpec:
    """The dialog shown before sending: where to, which files, and any earlier send of them.

    Args:
        uploads: The files about to be sent (the first one is the main file).
        integration: What the integration check found (the tool's name, whether it can attach).
        picked: The chosen application (names are known when it came from the picker).
        problems: The preview's warnings, shown as they are.
        previous: For each upload, its earlier sends to this application (the audit log).
        unknown_here: The last send of the first file in this session ended unknown.
        picked_candidate: The candidate chosen in the candidate picker (named only when the
            upload goes to that very candidate).
    """
    upload = uploads[0]
    details = integration.details
    tool = details.tool.label if details else tool_label(tool_id_of(upload.integration_id))
    # Names only from a pick of this very target: what is shown is computed from the request.
    shown = picked.names(upload) if picked else None
    who = shown.candidate if shown and shown.candidate else "(candidate not looked up)"
    if upload.candidate_id and picked_candidate is not None and picked_candidate.id == upload.candidate_id:
        who = picked_candidate.candidate or who
    job = shown.job if shown and shown.job else "(job unknown)"
    tool = safe_line(tool)
    lines: list[Line] = [
        (("Tool", "b"), (f"         {tool}  ", ""), (f"({safe_line(upload.integration_id)})", "dim")),
        (("Candidate", "b"), (f"    {safe_line(who)}", "")),
        (("Job", "b"), (f"          {safe_line(job)}", "")),
        (("Application", "b"), (f"  {safe_line(upload.application_id)}", ""))
        if not upload.candidate_id
        else (("Candidate id", "b"), (f" {safe_line(upload.candidate_id)}", "")),
    ]
    if upload.candidate_id:
        lines.append(((CANDIDATE_NOTE, "$warning"),))
    for index, item in enumerate(uploads):
        label: Line = (("File", "b"), ("        ", "")) if len(uploads) == 1 else ((f"File {index + 1}", "b"), ("      ", ""))
        lines.append((*label, (f" {describe(item)}", "")))
    if details is not None and not is_supported(details.tool.id):
        lines.append(((f"⚠ {tool} cannot attach to applications: Kombo adds the file to the candidate.", "$warning"),))
    unavailable = attachments_unavailable(integration)
    if unavailable:
        lines.append(((f"⚠ Attachments are not available for this integration ({safe_line(unavailable)}): "
                       "Kombo is likely to refuse the upload.", "b $error"),))
    for warning in problems:
        lines.append(((f"⚠ {safe_line(warning)}", "$warning"),))

    unknown_entry = first_unknown(previous)
    unknown = unknown_entry is not None or unknown_here
    if any(previous) or unknown:
        named = [(u.name if len(uploads) > 1 else "", entries) for u, entries in zip(uploads, previous, strict=True)]
        lines[:0] = [*previous_lines(named, unknown_in_session=unknown_here and unknown_entry is None), ()]

    count = "these files" if len(uploads) > 1 else "this file"
    if unknown:
        return ChoiceSpec(
            "Send again after an unknown outcome?",
            tuple(lines),
            (("Verify first", "verify", "primary"), ("Send again anyway", "send", "warning"), ("Cancel  esc", "cancel", "default")),
            focus="verify",
            screen_id="resend",
        )
    if any(previous):
        return ChoiceSpec(
            f"Already sent to this {upload.target_kind} — send {count} again?",
            tuple(lines),
            (("Send again", "send", "warning"), ("Cancel  esc", "cancel", "default")),
            focus="cancel",
            screen_id="confirm",
        )
    return ChoiceSpec(
        f"Send {count}?" if len(uploads) == 1 else f"Send these {len(uploads)} files?",
        tuple(lines),
        (("Send  enter", "send", "success"), ("Cancel  esc", "cancel", "default")),
        focus="send",
        screen_id="confirm",
    )


def parse_time(at: str) -> datetime | None:
    """An audit-log time (ISO 8601), or None when it cannot be read."""
    try:
        return datetime.fromisoformat(at)
    except ValueError:
        return None


# ---------------------------------------------------------------------- while and after sending


def sending_view(uploads: Sequence[PreparedUpload], total: int) -> ResultView:
    """The result panel while the body of ``total`` bytes goes out."""
    what = uploads[0].name if len(uploads) == 1 else f"{len(uploads)} files"
    return ResultView("sending", f"Sending {what}…", lines=(f"{total:,} bytes of JSON",))


def retry_line(notice: RetryNotice) -> str:
    """One automatic retry, as the result panel lists it while it waits."""
    return f"retrying in {notice.delay:.1f}s (attempt {notice.attempt + 1} of {notice.max_attempts}): {notice.reason}"


def with_exchanges(view: ResultView, outcomes: Sequence[SendOutcome]) -> ResultView:
    """``view`` linked to the exchanges of these sends (the Result panel's F4 line)."""
    scopes = tuple(o.exchange_scope for o in outcomes if o.exchange_scope)
    if not scopes:
        return view
    found = [e for o in outcomes for e in o.exchanges]
    waits = sum(1 for e in found if e.kind == "wait")
    count = str(len(found) - waits) + (f" + {counted(waits, 'wait')}" if waits else "")
    return replace(view, exchange_scopes=scopes, exchanges=count)


def outcome_view(outcome: SendOutcome, picked: PickedApplication | None) -> ResultView:
    """The result panel after sending one file (linked to its exchanges).

    Args:
        outcome: What the engine reported.
        picked: The chosen application: its candidate names the target when it is the one sent to.
    """
    return with_exchanges(_outcome_view(outcome, picked), [outcome])


def _outcome_view(outcome: SendOutcome, picked: PickedApplication | None) -> ResultView:
    upload = outcome.upload
    named = picked.names(upload) if picked else None
    target = named.candidate if named and named.candidate else upload.target_id
    retries = tuple(f"retried after: {r.reason}" for r in outcome.retries)
    if outcome.status == "sent":
        return ResultView(
            "sent",
            f"✓ Sent {upload.name} to {target}",
            lines=(f"{upload.type.value} · {upload.content_type or 'no content type'} · {format_bytes(upload.size)}",)
            if upload.file
            else (),
            warnings=tuple(outcome.warnings),
            retries=retries,
            can_verify=True,
        )
    error = outcome.error
    hint = hint_for(error) if error else None
    if outcome.status == "unknown":
        return ResultView(
            "unknown",
            "? Outcome unknown — the file may or may not be on the application",
            **error_fields(error),
            hint=hint,
            can_verify=True,
            retries=retries,
        )
    if outcome.status == "file_changed":
        return ResultView("file_changed", "✗ The file changed while sending — stopped before the end", message=str(error), hint=hint)
    if isinstance(error, TransportError):
        return ResultView("error", "✗ Could not reach Kombo — nothing was received", message=str(error), hint=hint, retries=retries)
    if isinstance(error, InputError):  # refused here (the history's claim): no request left
        return ResultView("error", "✗ Not sent", message=str(error), hint=hint)
    return ResultView(
        "error",
        "✗ Kombo refused the request — nothing was stored",
        **error_fields(error),
        hint=hint,
        retries=retries,
    )


@dataclass(frozen=True)
class BatchResult:
    """A batch's outcome for every place that shows it."""

    view: ResultView
    """The result panel: a headline and one line per file."""
    first_result: Line
    """What happened to the File panel's main file."""
    extra_files: tuple[BatchFile, ...]
    """The further files, each row with its own result."""


def batch_view(outcomes: Sequence[SendOutcome], extra_files: Sequence[BatchFile]) -> BatchResult:
    """One line per file in the result panel; each row of the File panel gets its own result.

    Args:
        outcomes: One per file, the main file first, then ``extra_files`` in order.
        extra_files: The File panel's further rows as they are now.
    """
    lines: list[str] = []
    warnings: list[str] = []
    results: list[tuple[str, ResultKind]] = []
    for outcome in outcomes:
        upload, error = outcome.upload, outcome.error
        if outcome.status == "sent":
            text = "sent"
        elif outcome.status == "unknown":
            text = "outcome unknown — verify before sending again"
        elif isinstance(error, ApiError):
            text = f"not sent: {error.code or f'HTTP {error.status}'}" + (f" — {error.message}" if error.message else "")
        else:
            text = f"not sent: {error}"
        mark = OUTCOME_STYLES[outcome.status].mark
        results.append((f"{mark} {text}", outcome.status))
        lines.append(f"{mark} {upload.name} ({upload.type.value}): {text}")
        warnings.extend(f"{upload.name}: {w}" for w in outcome.warnings)
    by_key = dict(zip((f.key for f in extra_files), results[1:], strict=False))
    rows = tuple(
        replace(f, result=by_key[f.key][0], result_kind=by_key[f.key][1]) if f.key in by_key else f for f in extra_files
    )
    statuses = [o.status for o in outcomes]
    sent = statuses.count("sent")
    first_error = next((o.error for o in outcomes if isinstance(o.error, ApiError)), None)
    kind: ResultKind
    if sent == len(outcomes):
        kind, headline = "sent", f"✓ Sent all {len(outcomes)} files"
    elif "unknown" in statuses:
        kind, headline = "unknown", f"? {sent} of {len(outcomes)} sent; the outcome of some is unknown"
    else:
        kind, headline = "error", f"✗ {sent} of {len(outcomes)} sent"
    view = ResultView(
        kind,
        headline,
        lines=tuple(lines),
        warnings=tuple(warnings),
        log_url=first_error.log_url if first_error else None,
        hint="F5 verifies every file of the batch." if kind == "unknown" else None,
        can_verify=True,
    )
    return BatchResult(with_exchanges(view, outcomes), result_line(*results[0]), rows)


def cancelled_view(
    uploads: Sequence[PreparedUpload], complete: Sequence[PreparedUpload], progress: tuple[int, int]
) -> ResultView:
    """The result panel after the user cancelled an upload.

    Args:
        uploads: Every file of the send.
        complete: Those whose whole body had gone out: Kombo may have stored them.
        progress: ``(sent, total)`` bytes when the upload stopped.
    """
    if complete:
        names = ", ".join(u.name for u in complete)
        return ResultView(
            "unknown",
            "? Cancelled after the whole body was sent — outcome unknown",
            lines=(f"sent in full: {names}",) if len(uploads) > 1 else (),
            hint="Kombo may have stored the file. Verify (F5) before sending again.",
            can_verify=True,
        )
    sent, total = progress
    return ResultView(
        "cancelled",
        "Cancelled — the body was not sent completely, so nothing was stored.",
        lines=(f"{sent:,} of {total:,} bytes were sent.",),
    )


def verification_line(check: Verification, *, was_unknown: bool, name: str | None) -> str:
    """What Verify found about one file (``name`` prefixes it in a batch)."""
    summary = check.summary()
    if was_unknown and check.evidence == "absent":
        summary += " — it did not land; sending again is safe"
    elif was_unknown and check.evidence == "present":
        summary += " — it landed; do not send again"
    elif was_unknown and check.found:
        summary += " — the outcome stays unknown"
    return summary if name is None else f"{name}: {summary}"
