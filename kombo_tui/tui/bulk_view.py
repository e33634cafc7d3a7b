"""What the Bulk screen shows, without Textual: the rows of a job, its filters, and the summary lines.

A bulk job can have 100,000 rows. :class:`BulkRows` keeps one small tuple per row (plain
strings and an int: the garbage collector does not track such tuples), indexed by row number,
and is written by the run's thread while the screen reads it: a row is replaced whole, never
edited in place. The table's cells are built only for the rows on screen
(:class:`RowCells`), through :func:`~kombo_tui.tui.text.safe_line`: file names, ids and
Kombo's messages are hostile text.

The statuses are the journal's (:mod:`kombo_tui.core.bulk.journal`), shown as they are: a row
only checked (no run yet) shows the status the runner gives it (``pending``, ``already_sent``,
``unknown``, ``invalid``: :func:`~kombo_tui.core.bulk.runner.status_of`).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING, overload

from kombo_tui.core.hints import counted
from kombo_tui.core.text import clip

from .columns import Column
from .text import Line, format_bytes, safe_line

if TYPE_CHECKING:
    from kombo_tui.core.bulk import BulkProgress, BulkReport, CheckedRow, JobRow, PlanCheck
    from kombo_tui.core.bulk.folder import FolderPlan

__all__ = [
    "COLUMNS",
    "FILTERS",
    "BulkRows",
    "RowCells",
    "check_lines",
    "duration",
    "progress_line",
    "report_line",
]

COLUMNS = (
    Column("Row", 6),
    Column("Status", 15),
    Column("Application", 24, 12, crop="middle"),
    Column("File", 22, 12),
    Column("Message", 32, 14),
)
"""Every column fits 80 columns, narrowed; Enter on a row shows its whole message."""

FILTERS: dict[str, frozenset[str] | None] = {
    "all": None,
    "failures": frozenset({"refused", "failed", "unknown", "sending", "invalid"}),
    "refused": frozenset({"refused", "failed"}),
    "unknown": frozenset({"unknown", "sending"}),
    "invalid": frozenset({"invalid"}),
}
"""Filter name → the statuses it shows (None: every row)."""

STATUS_LABELS = {
    "pending": "· pending",
    "sending": "↑ sending",
    "sent": "✓ sent",
    "already_sent": "✓ already there",
    "refused": "✗ refused",
    "failed": "✗ failed",
    "unknown": "? unknown",
    "invalid": "✗ invalid",
}

Row = tuple[int, str, str, str, str]
"""(number, status, application id, file, message) — raw values, made safe when shown."""


class BulkRows:
    """Every row of the job by number; a filter is a list of row indexes, rebuilt on demand."""

    def __init__(self) -> None:
        self.rows: list[Row] = []

    def __len__(self) -> int:
        return len(self.rows)

    def _put(self, row: Row) -> None:
        index = row[0] - 1
        if index < len(self.rows):
            self.rows[index] = row
        else:
            while len(self.rows) < index:  # never: plans number their rows 1, 2, 3...
                self.rows.append((len(self.rows) + 1, "pending", "", "", ""))
            self.rows.append(row)

    def checked(self, checked: CheckedRow) -> None:
        """A row's verdict from the plan check (called from the run's thread)."""
        from kombo_tui.core.bulk.runner import status_of

        row = checked.row
        upload = checked.upload
        application = upload.application_id if upload is not None else (row.application_id or "")
        file = str(row.file.name) if row.file is not None else (row.data_url or "")
        status, message = status_of(checked)  # the runner's own verdict, shown as is
        if message is None:
            message = "; ".join(str(w) for w in checked.warnings)
        self._put((row.number, status, application, file, message))

    def finished(self, row: JobRow) -> None:
        """A row as the journal has it (after a row ends, or when a run ends)."""
        spec = row.spec
        file = spec.get("file") or spec.get("data_url") or ""
        if spec.get("file"):
            file = file.rsplit("/", 1)[-1]
        parts = [p for p in (row.error_code, row.message) if p]
        if row.warnings:
            parts.extend(row.warnings)
        if row.attachment_id and row.status in ("sent", "already_sent"):
            parts.append(f"attachment {row.attachment_id}")
        self._put((row.number, row.status, str(spec.get("application_id") or ""), str(file), " · ".join(parts)))

    def counts(self) -> dict[str, int]:
        """Rows per status."""
        out: dict[str, int] = {}
        for row in list(self.rows):
            out[row[1]] = out.get(row[1], 0) + 1
        return out

    def view(self, name: str) -> Sequence[Row]:
        """The rows a filter shows (the list itself for ``all``: nothing copied)."""
        statuses = FILTERS.get(name)
        if statuses is None:
            return self.rows
        return [row for row in list(self.rows) if row[1] in statuses]


class RowCells(Sequence[tuple[str, ...]]):
    """The table's cells, built only for the rows on screen."""

    def __init__(self, rows: Sequence[Row]) -> None:
        self._rows = rows
        self._len = len(rows)
        """Frozen at creation: the run's thread may append meanwhile, the table is set again."""

    def __len__(self) -> int:
        return self._len

    @overload
    def __getitem__(self, index: int) -> tuple[str, ...]: ...
    @overload
    def __getitem__(self, index: slice) -> Sequence[tuple[str, ...]]: ...
    def __getitem__(self, index: int | slice) -> tuple[str, ...] | Sequence[tuple[str, ...]]:
        if isinstance(index, slice):
            return [self[i] for i in range(*index.indices(self._len))]
        number, status, application, file, message = self._rows[index]
        return (
            f"{number:,}",
            STATUS_LABELS.get(status, safe_line(status, 20)),
            safe_line(application, 80),
            safe_line(file, 120),
            safe_line(message, 300),
        )


def duration(seconds: float | None) -> str:
    """``1:05`` or ``2:03:04``; ``--`` when unknown."""
    if seconds is None:
        return "--"
    whole = int(seconds)
    if whole >= 3600:
        return f"{whole // 3600}:{whole // 60 % 60:02d}:{whole % 60:02d}"
    return f"{whole // 60}:{whole % 60:02d}"


def check_lines(check: PlanCheck, folder: FolderPlan | None = None, *, problems_shown: int = 3) -> list[Line]:
    """The check's summary: counts, each integration's facts, the files a folder left out."""
    valid = check.rows - check.invalid
    lines: list[Line] = [(
        ("Check  ", "b"),
        (f"{check.rows:,} rows · ", ""),
        (f"{valid:,} valid", "$success" if valid else "dim"),
        (" · ", ""),
        (f"{check.invalid:,} invalid", "$error" if check.invalid else "dim"),
        (f" · {check.already_sent:,} already sent · {format_bytes(check.bytes)} of files", ""),
    )]
    for facts in check.integrations.values():
        state = ", ".join(x for x in (facts.tool, facts.status, facts.setup_status) if x) or "status unknown"
        line: list[tuple[str, str]] = [("       ", ""), (safe_line(facts.integration_id, 80), "b"), (f"  {safe_line(state, 80)}", "")]
        if facts.problem:
            line.append((f"  ✗ {safe_line(facts.problem, 200)}", "$error"))
        if facts.note:
            line.append((f"  ⚠ {safe_line(facts.note, 200)}", "$warning"))
        lines.append(tuple(line))
    if folder is not None:
        left = len(folder.problems)
        lines.append((
            ("Folder ", "b"),
            (f"{folder.rows:,} files matched one application · ", ""),
            (f"{left:,} left out", "$error" if left else "dim"),
            (f" · {folder.skipped:,} hidden or sub-folders skipped", "dim"),
        ))
        for problem in folder.problems[:problems_shown]:
            lines.append((("       ✗ ", "$error"), (clip(str(problem), 100), "")))
        if left > problems_shown:
            where = f": all listed in {safe_line(folder.left_out, 120)}" if folder.left_out else ""
            lines.append((("       ", ""), (f"… and {left - problems_shown:,} more{where}", "dim")))
    return lines


def progress_line(state: str, progress: BulkProgress | None, counts: dict[str, int]) -> Line:
    """The run's line: state, rows done of all, rate; ETA and rows in flight while it runs; outcomes."""
    live = state in ("running", "pausing")
    pieces: list[tuple[str, str]] = [("Run    ", "b"), (state, "$accent" if live else "")]
    if progress is not None:
        share = progress.done / progress.total if progress.total else 1.0
        filled = int(share * 20)
        pieces.append((f"  {'█' * filled}{'░' * (20 - filled)} ", "$success"))
        pieces.append((f"{progress.done:,}/{progress.total:,} rows · {progress.rate:.1f}/s", ""))
        if live:
            pieces.append((f" · ETA {duration(progress.eta)}", "dim"))
    if live:  # the rows being sent now, as the table shows them (before any row has ended too)
        pieces.append((f" · {counts.get('sending', 0):,} in flight", "dim"))
    failures = sum(counts.get(s, 0) for s in ("refused", "failed", "unknown"))
    there = counts.get("sent", 0) + counts.get("already_sent", 0)
    if there:
        pieces.append((f" · {there:,} on the applications", "$success"))
    if failures:
        pieces.append((f" · {counted(failures, 'failure')}", "$error"))
    return tuple(pieces)


def report_line(report: BulkReport) -> Line:
    """What a run ended with, and what to do next."""
    counts = report.counts
    if report.blocked:
        return (("✗ The plan has invalid rows: nothing was sent. Fix them, or tick "
                 "'send the valid rows' to skip them.", "$error"),)
    parts = ", ".join(f"{counts[k]:,} {k.replace('_', ' ')}" for k in
                      ("sent", "already_sent", "refused", "failed", "unknown", "invalid", "pending", "sending") if counts.get(k))
    took = f" in {report.elapsed:.1f} s" + (" (resumed)" if report.resumed else "")
    if report.fault is not None:
        return (("✗ Stopped: ", "$error"),
                (f"{report.fault}. {parts or 'No row finished'}{took}. Free some space (or move the file aside), "
                 "then Resume (ctrl+r): rows caught mid-send are verified first.", ""))
    if report.interrupted:
        return (("‖ Paused: ", "$warning"), (f"{parts}{took}. Resume (ctrl+r) carries on with the same job.", ""))
    code = report.exit_code
    if code == 0:
        return (("✓ Done: ", "$success"), (f"{parts or 'nothing to do'}{took}.", ""))
    if code == 2:
        return (("✗ Done, invalid rows skipped: ", "$error"),
                (f"{parts}{took}. The invalid rows were not sent: fix them, then run the plan again.", ""))
    if code == 3:
        return (("✗ Done with refusals: ", "$error"),
                (f"{parts}{took}. Fix the files or the plan, then Retry refused (f6).", ""))
    return (("? Done, some outcomes unknown: ", "$warning"),
            (f"{parts}{took}. Resume (ctrl+r) verifies them and sends what is absent.", ""))
