"""How the core's results look in a notebook: short text reprs, HTML cards and tables.

It exists so the models stay about data: each result class keeps a one-line ``__repr__`` and
``_repr_html_`` that call in here, and everything about presentation lives in this module.
Every value shown comes from a file name, an ATS or the network and is treated as hostile:
text reprs go through :func:`~.text.one_line` and are clipped, HTML is escaped, and a log link
is a link only when it is ``https``. Only the standard library is imported; pandas is an
optional import of ``to_pandas()``.
"""

from __future__ import annotations

import html
from collections.abc import Iterable, Sequence
from typing import TYPE_CHECKING, Any

from .errors import render_tracebacks_with
from .net import safe_link
from .text import clip, one_line

if TYPE_CHECKING:
    from .bulk.journal import JobRow
    from .bulk.report import BulkReport
    from .errors import KomboError
    from .history import HistoryEntry
    from .models import Application
    from .outcome import SendOutcome, Verification
    from .payload import PreparedUpload

__all__ = [
    "application_list_html",
    "application_list_text",
    "bulk_done_text",
    "bulk_report_html",
    "bulk_report_text",
    "data_frame",
    "entry_html",
    "entry_text",
    "error_lines",
    "history_list_html",
    "history_list_text",
    "job_row_text",
    "job_rows_frame",
    "job_rows_html",
    "job_rows_text",
    "outcome_html",
    "outcome_text",
    "upload_html",
    "upload_text",
    "verification_html",
    "verification_text",
]

REPR_LIMIT = 280
"""Longest text repr (the issue's budget is under 300 characters)."""

_COLOURS = {
    "sent": "#1a7f37",
    "verified_present": "#1a7f37",
    "error": "#cf222e",
    "file_changed": "#cf222e",
    "verified_absent": "#9a6700",
    "unknown": "#9a6700",
    "sending": "#9a6700",
    "already_sent": "#1a7f37",
    "refused": "#cf222e",
    "failed": "#cf222e",
    "invalid": "#cf222e",
    "pending": "#57606a",
}


def _t(value: object, limit: int = 80) -> str:
    """A value for a text repr: one line, controls escaped, clipped."""
    return clip(one_line(str(value)), limit)


def _h(value: object) -> str:
    """A value for HTML: escaped (quotes too)."""
    return html.escape(str(value), quote=True)


def _short(text: str) -> str:
    return clip(text, REPR_LIMIT)


def _badge(status: str) -> str:
    colour = _COLOURS.get(status, "#57606a")
    return (
        f'<span style="background:{colour};color:#fff;border-radius:0.8em;padding:0.1em 0.6em;'
        f'font-weight:600">{_h(status)}</span>'
    )


def _link(url: str | None) -> str:
    """A log link only when it is https; anything else is shown as escaped text."""
    if not url:
        return ""
    link = safe_link(url)
    if link is not None:
        return f'<a href="{_h(link)}" target="_blank" rel="noopener noreferrer">{_h(link)}</a>'
    return _h(url)


def _rows(rows: Iterable[tuple[str, str]]) -> str:
    cells = "".join(
        f'<tr><th style="text-align:left;padding-right:1em;vertical-align:top">{_h(k)}</th>'
        f'<td style="text-align:left">{v}</td></tr>'
        for k, v in rows
        if v
    )
    return f"<table>{cells}</table>"


def _list(items: Sequence[str]) -> str:
    return "<ul>" + "".join(f"<li>{_h(i)}</li>" for i in items) + "</ul>" if items else ""


# ---------------------------------------------------------------------------- errors


def error_rows(error: KomboError | None) -> list[tuple[str, str]]:
    """HTML rows for an error: code, message, hint and log link."""
    if error is None:
        return []
    from .errors import ApiError
    from .hints import hint_for

    rows = [("error", _h(type(error).__name__))]
    if isinstance(error, ApiError):
        rows += [("code", _h(error.label)), ("message", _h(error.message)), ("log", _link(error.log_url))]
    else:
        rows.append(("message", _h(str(error))))
    rows.append(("hint", _h(hint_for(error))))
    return rows


def error_lines(error: KomboError) -> list[str]:
    """What IPython shows for a core error (``_render_traceback_``): the message and the hint."""
    from .hints import hint_for

    name = type(error).__name__
    problems = getattr(error, "problems", None) or []
    if len(problems) > 1:
        lines = [f"{name}:", *(f"  - {one_line(str(p))}" for p in problems)]
    else:
        lines = [f"{name}: {one_line(str(error))}"]
    hint = hint_for(error)
    if hint:
        lines.append(f"hint: {one_line(hint)}")
    return lines


render_tracebacks_with(error_lines)


# ---------------------------------------------------------------------------- uploads


def upload_text(upload: PreparedUpload) -> str:
    """``PreparedUpload(cv.pdf CV application/pdf 120,334 B → greenhouse:x/APP1, 1 warning)``."""
    warn = f", {len(upload.warnings)} warning(s)" if upload.warnings else ""
    return _short(
        f"PreparedUpload({_t(upload.name, 60)} {upload.type.value} {_t(upload.content_type or '-', 40)} "
        f"{upload.size:,} B → {_t(upload.integration_id or '-', 40)}/{_t(upload.application_id or '-', 40)}{warn})"
    )


def _upload_rows(upload: PreparedUpload) -> list[tuple[str, str]]:
    target = f"{upload.integration_id or '-'} / application {upload.application_id or '-'}"
    source = upload.data_url if upload.data_url else f"{upload.size:,} bytes"
    return [
        ("target", _h(target)),
        ("file", _h(f"{upload.name} ({upload.type.value}, {upload.content_type or 'no content type'})")),
        ("source", _h(source)),
        ("warnings", _list([str(w) for w in upload.warnings])),
    ]


def upload_html(upload: PreparedUpload) -> str:
    """A card with the target, the file and the warnings."""
    return f"<div><b>Prepared upload</b> {_badge('ready')}{_rows(_upload_rows(upload))}</div>"


# ---------------------------------------------------------------------------- outcomes


def verification_text(verification: Verification) -> str:
    found = {True: "found", False: "not found", None: "not checked"}[verification.found]
    return _short(f"Verification({found}, {verification.total} attachment(s), new={verification.new_since_send})")


def verification_html(verification: Verification) -> str:
    status = f"verified_{verification.evidence}" if verification.evidence else "unknown"
    return f"<div><b>Verification</b> {_badge(status)} {_h(verification.summary())}</div>"


def outcome_text(outcome: SendOutcome) -> str:
    """``SendOutcome(sent: cv.pdf → greenhouse:x/APP1, 1 warning, history #3)``."""
    upload = outcome.upload
    parts = [f"{outcome.status}: {_t(upload.name, 60)} → {_t(upload.integration_id, 40)}/{_t(upload.application_id, 40)}"]
    if outcome.error is not None:
        parts.append(_t(outcome.error, 90))
    if outcome.warnings:
        parts.append(f"{len(outcome.warnings)} warning(s)")
    if outcome.history_id is not None:
        parts.append(f"history #{outcome.history_id}")
    return _short(f"SendOutcome({', '.join(parts)})")


def outcome_html(outcome: SendOutcome) -> str:
    """A card: status badge, target, file, warnings, error (code, message, hint, log link)."""
    rows = _upload_rows(outcome.upload)
    rows[3] = ("warnings", _list([*outcome.warnings, *(str(w) for w in outcome.upload.warnings), *outcome.notes]))
    rows += error_rows(outcome.error)
    if outcome.verification is not None:
        rows.append(("verified", _h(outcome.verification.summary())))
    if outcome.history_id is not None:
        rows.append(("history", _h(f"#{outcome.history_id}")))
    return f"<div><b>Send</b> {_badge(outcome.status)}{_rows(rows)}</div>"


# ---------------------------------------------------------------------------- history


def entry_text(entry: HistoryEntry) -> str:
    ident = f"#{entry.id} " if entry.id is not None else ""
    code = f" {_t(entry.error_code, 40)}" if entry.error_code else ""
    return _short(
        f"HistoryEntry({ident}{entry.at} {entry.outcome}{code}: {_t(entry.file_name, 60)} → "
        f"{_t(entry.integration_id, 40)}/{_t(entry.application_id, 40)})"
    )


def entry_html(entry: HistoryEntry) -> str:
    rows = [
        ("when", _h(entry.at)),
        ("target", _h(f"{entry.environment} · {entry.integration_id} / application {entry.application_id}")),
        ("file", _h(f"{entry.file_name} ({entry.type}, {entry.mime or '-'}, {entry.size or 0:,} bytes)")),
        ("warnings", _list(entry.warnings)),
        ("code", _h(entry.error_code or "")),
        ("message", _h(entry.error_message or "")),
        ("log", _link(entry.log_url)),
    ]
    return f"<div><b>History #{_h(entry.id)}</b> {_badge(entry.outcome)}{_rows(rows)}</div>"


# ---------------------------------------------------------------------------- lists


def _table(headers: Sequence[str], rows: Iterable[Sequence[str]], caption: str) -> str:
    head = "".join(f"<th>{_h(h)}</th>" for h in headers)
    body = "".join("<tr>" + "".join(f"<td>{c}</td>" for c in row) + "</tr>" for row in rows)
    return f"<table><caption>{_h(caption)}</caption><thead><tr>{head}</tr></thead><tbody>{body}</tbody></table>"


def _pandas() -> Any:
    try:
        import pandas
    except ImportError:
        raise ImportError("to_pandas() needs pandas: pip install pandas") from None
    return pandas


HTML_ROWS = 50
"""Rows shown in a list's HTML table (the rest are counted)."""


def application_list_text(apps: Sequence[Application]) -> str:
    """``<60 applications: Jane Doe (APP1), …>``."""
    shown = ", ".join(f"{_t(a.candidate.full_name if a.candidate else '?', 30)} ({_t(a.id, 30)})" for a in apps[:3])
    more = ", …" if len(apps) > 3 else ""
    return _short(f"<{len(apps)} applications{': ' if shown else ''}{shown}{more}>")


def application_list_html(records: Sequence[dict[str, Any]]) -> str:
    """The first :data:`HTML_ROWS` applications (their flat records) as a table, the rest counted."""
    headers = ["id", "candidate", "email", "job", "stage", "outcome"]
    rows = ([_h(r[k] or "") for k in headers] for r in records[:HTML_ROWS])
    rest = f" (first {HTML_ROWS} shown)" if len(records) > HTML_ROWS else ""
    return _table(headers, rows, f"{len(records)} applications{rest}")


def history_list_text(entries: Sequence[HistoryEntry]) -> str:
    """``<12 history entries: #12 sent cv.pdf, …>``."""
    shown = ", ".join(f"#{e.id} {e.outcome} {_t(e.file_name, 30)}" for e in entries[:3])
    more = ", …" if len(entries) > 3 else ""
    return _short(f"<{len(entries)} history entries{': ' if shown else ''}{shown}{more}>")


def history_list_html(entries: Sequence[HistoryEntry]) -> str:
    """The newest :data:`HTML_ROWS` entries as a table, the rest counted."""
    headers = ["#", "when", "outcome", "file", "target", "code", "message", "log"]
    rows = (
        [
            _h(e.id),
            _h(e.at),
            _badge(e.outcome),
            _h(e.file_name),
            _h(f"{e.integration_id} / {e.application_id}"),
            _h(e.error_code or ""),
            _h(_t(e.error_message or "", 200)),
            _link(e.log_url),
        ]
        for e in entries[:HTML_ROWS]
    )
    rest = f" (newest {HTML_ROWS} shown)" if len(entries) > HTML_ROWS else ""
    return _table(headers, rows, f"{len(entries)} history entries{rest}")


def data_frame(records: list[dict[str, Any]]) -> Any:
    """A ``pandas.DataFrame`` of flat records (needs pandas: the error says how to get it)."""
    return _pandas().DataFrame(records)


# ---------------------------------------------------------------------------- bulk

FAILED = ("refused", "failed", "unknown", "invalid", "sending", "pending")
"""Bulk row statuses that need the user's eye, shown first (in this order)."""

_ORDER = {status: i for i, status in enumerate((*FAILED, "sent", "already_sent"))}


def _failures_first(rows: Iterable[JobRow]) -> list[JobRow]:
    return sorted(rows, key=lambda r: (_ORDER.get(r.status, len(_ORDER)), r.number))


def bulk_done_text(counts: dict[str, int]) -> str:
    """``3 of 12 rows done (2 caught in flight, verified before any resend) — re-run to resume``."""
    total = sum(n for s, n in counts.items() if s != "invalid")
    left = sum(counts.get(s, 0) for s in ("pending", "sending", "unknown"))
    text = f"{total - left:,} of {total:,} rows done"
    if counts.get("sending") or counts.get("unknown"):
        caught = counts.get("sending", 0) + counts.get("unknown", 0)
        text += f" ({caught:,} caught in flight or unknown: verified on the application before any resend)"
    return text + (" — re-run with the same plan to resume" if left else "")


def _counts_text(counts: dict[str, int]) -> str:
    return ", ".join(f"{n:,} {s}" for s, n in sorted(counts.items(), key=lambda kv: _ORDER.get(kv[0], 99)))


def bulk_report_text(report: BulkReport) -> str:
    """``<bulk job 1a2b… exit 0: 10 sent, 2 already_sent (12 rows, 3.1 s)>``."""
    state = "interrupted, " if report.interrupted else "blocked (plan invalid), " if report.blocked else ""
    dry = "dry run, " if report.dry_run else ""
    check = report.check
    counts = _counts_text(report.counts) or f"{check.rows:,} rows checked, {check.invalid:,} invalid"
    return _short(f"<bulk job {report.job_id[:8]}…: {dry}{state}exit {report.exit_code}: {counts} ({report.elapsed:.1f} s)>")


def _job_cells(row: JobRow) -> list[str]:
    data = row.to_json()
    return [
        _h(row.number),
        _badge(row.status),
        _h(data["file"] or data["data_url"] or ""),
        _h(f"{data['integration_id'] or ''} / {data['application_id'] or ''}"),
        _h(data["error_code"] or ""),
        _h(_t(data["message"] or "", 200)),
        _link(data["log_url"]),
        _h(data["attachment_id"] or ""),
        _list([_t(w, 200) for w in data["warnings"]]),
    ]


_JOB_HEADERS = ["row", "outcome", "file", "target", "code", "message", "log", "attachment", "warnings"]


def job_rows_html(rows: Sequence[JobRow], caption: str | None = None) -> str:
    ordered = _failures_first(rows)
    failing = sum(1 for r in rows if r.status in FAILED)
    rest = f" (first {HTML_ROWS} shown)" if len(rows) > HTML_ROWS else ""
    return _table(
        _JOB_HEADERS, (_job_cells(r) for r in ordered[:HTML_ROWS]),
        caption or f"{len(rows):,} rows, {failing:,} needing a look (shown first){rest}",
    )


def job_rows_text(rows: Sequence[JobRow]) -> str:
    counts: dict[str, int] = {}
    for r in rows:
        counts[r.status] = counts.get(r.status, 0) + 1
    return _short(f"<{len(rows):,} bulk rows: {_counts_text(counts)}>")


def job_row_text(row: JobRow) -> str:
    data = row.to_json()
    code = f" {_t(row.error_code, 40)}" if row.error_code else ""
    return _short(
        f"JobRow(#{row.number} {row.status}{code}: {_t(data['file'] or data['data_url'] or '-', 60)} → "
        f"{_t(data['integration_id'] or '-', 40)}/{_t(data['application_id'] or '-', 40)})"
    )


def job_rows_frame(rows: Sequence[JobRow]) -> Any:
    records = []
    for r in _failures_first(rows):
        data = r.to_json()
        data["warnings"] = " | ".join(data["warnings"])
        records.append(data)
    return data_frame(records)


def bulk_report_html(report: BulkReport) -> str:
    """Counts first, then what stopped or failed, then the rows (failures first)."""
    state = (
        "interrupted" if report.interrupted else "blocked: the plan has invalid rows, nothing was sent"
        if report.blocked else "dry run: checked, nothing sent" if report.dry_run else "finished"
    )
    counts = "".join(
        f"<li>{_badge(s)} {n:,}</li>" for s, n in sorted(report.counts.items(), key=lambda kv: _ORDER.get(kv[0], 99))
    )
    facts = [
        ("job", _h(report.job_id)),
        ("plan", _h(report.plan)),
        ("environment", _h(report.environment)),
        ("state", _h(f"{state} (exit code {report.exit_code}{', resumed' if report.resumed else ''})")),
        ("progress", _h(report.done_text())),
        ("this run", _h(f"{report.sent_this_run:,} sent in {report.elapsed:.1f} s"
                        + (f"; Kombo rate-limited {report.limited:,} times" if report.limited else ""))),
    ]
    head = f'<div><b>Bulk job</b><ul style="list-style:none;padding-left:0">{counts}</ul>{_rows(facts)}</div>'
    if report.dry_run:
        check = report.check
        return head + _rows([("check", _h(f"{check.rows:,} rows, {check.invalid:,} invalid, "
                                          f"{check.already_sent:,} already sent, {check.bytes:,} bytes"))])
    return head + job_rows_html(report.rows())
