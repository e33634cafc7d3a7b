"""What a bulk run says about itself, and how it is stopped: :class:`BulkReport` (how the job
stands after a run), :class:`BulkProgress` (a snapshot after each row), :class:`BulkControl`;
and the per-row report file.

The report file has one line per row with its outcome, as CSV or JSON (by the file's extension).
Each row says where it went, its outcome (``sent``, ``already_sent``, ``refused``, ``failed``,
``unknown``, ``invalid``, or ``pending`` / ``sending`` when a run was stopped), the attachment
id when a verification saw it, Kombo's warnings, the error code, message and ``log_url``.
Rows are streamed from the journal, so a report of 100,000 rows is written in constant memory.
"""

from __future__ import annotations

import asyncio
import csv
import io
import json
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from .journal import JobRow, JobRows, Journal

if TYPE_CHECKING:
    from ..errors import KomboError
    from .check import PlanCheck

__all__ = ["REPORT_COLUMNS", "BulkControl", "BulkProgress", "BulkReport", "write_report"]

REPORT_COLUMNS = (
    "row", "integration_id", "application_id", "file", "data_url", "name", "outcome",
    "attachment_id", "warnings", "error_code", "message", "log_url",
)



class BulkControl:
    """Stop a running job from outside: :meth:`stop` lets in-flight rows finish, :meth:`abandon` cancels them."""

    def __init__(self) -> None:
        self.stopping = False
        self.abandoning = False
        self.tasks: set[asyncio.Task[None]] = set()
        """The rows in flight (the runner adds and removes them)."""
        self.report: BulkReport | None = None
        """The run's report as it stands (set when the run starts; its job and journal name
        where an interrupted run's rows are)."""

    def stop(self) -> None:
        """Start no more rows; the ones in flight finish and are recorded."""
        self.stopping = True

    def abandon(self) -> None:
        """Cancel the rows in flight too (each is recorded: ``sending`` rows are verified on resume)."""
        self.stopping = self.abandoning = True
        for task in list(self.tasks):
            task.cancel()


@dataclass
class BulkProgress:
    """A snapshot for progress displays (after each row)."""

    total: int
    """Valid rows of the plan."""
    done: int
    """Rows finished (whatever the outcome), this run and earlier ones."""
    finished_this_run: int
    failures: int
    """Refused, failed and unknown rows so far."""
    in_flight: int
    elapsed: float
    row: JobRow | None = None
    """The row just finished (None for the first snapshot and for a note)."""
    note: str | None = None
    """Why the run is waiting, with the time left (rows caught in flight by an earlier run are
    re-checked only ``recheck_after`` seconds after their send began)."""

    @property
    def rate(self) -> float:
        """Rows per second in this run."""
        return self.finished_this_run / self.elapsed if self.elapsed > 0 else 0.0

    @property
    def eta(self) -> float | None:
        """Seconds left at the current rate (None before the first row)."""
        rate = self.rate
        return (self.total - self.done) / rate if rate > 0 else None


@dataclass
class BulkReport:
    """How a job stands after a run; the rows themselves stay in the journal (:meth:`rows`)."""

    job_id: str
    plan: str
    environment: str
    journal_path: Path
    check: PlanCheck
    resumed: bool = False
    dry_run: bool = False
    blocked: bool = False
    """Invalid rows and no ``skip_invalid``: nothing was sent."""
    interrupted: bool = False
    counts: dict[str, int] = field(default_factory=dict)
    elapsed: float = 0.0
    sent_this_run: int = 0
    limited: int = 0
    """429s answered by Kombo during this run (retried by the client)."""
    fault: KomboError | None = None
    """What stopped the run before its end (the journal or the history could not be written)."""
    began_sending: int = 0
    """Rows whose upload started this run (whatever became of them)."""

    @property
    def exit_code(self) -> int:
        """0 every row on its application; else the worst of what is left.

        130 interrupted, 4 unknowns (or rows left), 3 refusals, 2 invalid rows — nothing sent
        when ``blocked``, only those rows left unsent under ``skip_invalid``: a run that skipped
        rows never says it did everything.
        """
        if self.blocked:
            return 2
        if self.fault is not None:
            # Stopped by a local failure: unknown if anything may have left, else nothing was sent.
            return 4 if self.began_sending else 2
        if self.interrupted:
            return 130
        if any(self.counts.get(s, 0) for s in ("unknown", "sending", "pending")):
            return 4
        if self.counts.get("refused", 0) or self.counts.get("failed", 0):
            return 3
        if self.counts.get("invalid", 0):
            return 2
        return 0

    def rows(self) -> JobRows:
        """Every row with its outcome (read from the journal): a list with a table as its
        notebook display (failures first) and ``to_pandas()``."""
        if self.dry_run:
            return JobRows()
        with Journal(self.journal_path) as journal:
            return JobRows(journal.rows(self.job_id))

    def done_text(self) -> str:
        """``3 of 12 rows done (2 in flight, verified before any resend) — re-run to resume``."""
        from ..display import bulk_done_text

        return bulk_done_text(self.counts)

    def to_pandas(self) -> Any:
        """The rows as a ``pandas.DataFrame`` (failures first; needs pandas)."""
        return self.rows().to_pandas()

    def __repr__(self) -> str:
        from ..display import bulk_report_text

        return bulk_report_text(self)

    def _repr_html_(self) -> str:
        from ..display import bulk_report_html

        return bulk_report_html(self)

    def to_json(self) -> dict[str, Any]:
        return {
            "job_id": self.job_id,
            "plan": self.plan,
            "environment": self.environment,
            "resumed": self.resumed,
            "dry_run": self.dry_run,
            "blocked": self.blocked,
            "interrupted": self.interrupted,
            "check": self.check.to_json(),
            "counts": self.counts,
            "elapsed_seconds": round(self.elapsed, 3),
            "sent_this_run": self.sent_this_run,
            "limited": self.limited,
            "fault": str(self.fault) if self.fault is not None else None,
            "exit_code": self.exit_code,
        }


def write_report(path: Path, rows: Iterable[JobRow], summary: dict[str, Any] | None = None) -> int:
    """Write the report (JSON for ``.json``, else CSV); returns the number of rows written.

    The report names candidates' files and applications: it is written 0600, beside its final
    name and renamed into place (a crash never leaves half a report under the name; a symlink,
    device, pipe or folder at the name is refused). CSV cells that a
    spreadsheet would run as a formula (``=``, ``+``, ``-``, ``@``, a tab or a carriage return
    first: names from a plan, messages from a server) start with ``'``.
    """
    from ..wire.export import write_private

    count = [0]

    def json_chunks() -> Iterator[bytes]:
        yield ('{"summary": ' + json.dumps(summary or {}, ensure_ascii=False) + ', "rows": [\n').encode()
        for row in rows:
            yield ((",\n" if count[0] else "") + json.dumps(row.to_json(), ensure_ascii=False)).encode()
            count[0] += 1
        yield b"\n]}\n"

    def csv_chunks() -> Iterator[bytes]:
        buffer = io.StringIO()
        writer = csv.writer(buffer)
        writer.writerow(REPORT_COLUMNS)
        for row in rows:
            data = row.to_json()
            data["warnings"] = " | ".join(data["warnings"])
            writer.writerow([_cell(data[c]) for c in REPORT_COLUMNS])
            count[0] += 1
            if buffer.tell() > 64 * 1024:
                yield buffer.getvalue().encode("utf-8")
                buffer.seek(0)
                buffer.truncate()
        yield buffer.getvalue().encode("utf-8")

    write_private(path, json_chunks() if path.suffix.lower() == ".json" else csv_chunks(), 0o600)
    return count[0]


_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def _cell(value: object) -> object:
    """A CSV cell a spreadsheet shows as text: outside text never starts a formula."""
    if value is None:
        return ""
    if isinstance(value, str) and value.startswith(_FORMULA_START):
        return "'" + value
    return value
