"""The bulk journal: where each row of a job stands, surviving any crash.

One SQLite file in the data dir, beside the history (mode 0600, WAL). A job is identified by
the plan's content and its target, so rerunning the same command finds the same job (an edited
plan is another job; what its rows may already have put on their applications is known to the
history, by each upload's identity, and verified before anything is sent). Each row
moves ``pending → sending → sent / refused / failed / unknown``; ``sending`` is committed
*before* the first byte of the upload leaves, so a row caught there by a crash is verified
against the application's attachments before anything is sent again. Other statuses:
``invalid`` (the check refused it; never sent) and ``already_sent`` (the history or a
verification says it is on the application).

While a job runs, an advisory lock (``flock``, released by the kernel even on ``kill -9``)
keeps a second process from running the same job at once.
"""

from __future__ import annotations

import fcntl
import hashlib
import json
import os
import sqlite3
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import IO, Any

from ..config.file import data_dir
from ..errors import InputError, JournalError
from ..history import roll_back, use_wal

__all__ = ["DONE", "JobRow", "JobRows", "Journal", "default_journal_path", "job_id_for"]

DONE = frozenset({"sent", "already_sent"})
"""Statuses of rows that are on their application."""

TO_DO = ("pending", "sending", "unknown")
"""Statuses the runner works on (``sending`` and ``unknown`` are verified first)."""

RETRYABLE_ON_RERUN = ("refused", "failed")
"""Statuses a rerun puts back to ``pending`` (they are known not to be on the application)."""

_SCHEMA = """
CREATE TABLE IF NOT EXISTS jobs (
    job_id TEXT PRIMARY KEY,
    plan TEXT NOT NULL,
    target TEXT NOT NULL,
    environment TEXT NOT NULL,
    created_at REAL NOT NULL,
    updated_at REAL NOT NULL
);
CREATE TABLE IF NOT EXISTS rows (
    job_id TEXT NOT NULL,
    number INTEGER NOT NULL,
    integration_id TEXT,
    application_id TEXT,
    name TEXT,
    spec TEXT NOT NULL,
    sha256 TEXT,
    size INTEGER,
    mtime_ns INTEGER,
    status TEXT NOT NULL,
    earlier TEXT,
    warnings TEXT NOT NULL DEFAULT '[]',
    error_code TEXT,
    message TEXT,
    log_url TEXT,
    attachment_id TEXT,
    sending_at REAL,
    attempts INTEGER NOT NULL DEFAULT 0,
    PRIMARY KEY (job_id, number)
);
CREATE INDEX IF NOT EXISTS rows_by_status ON rows (job_id, integration_id, status, number);
"""


def default_journal_path() -> Path:
    """``bulk.sqlite3`` in the data dir (beside ``history.sqlite3``)."""
    return data_dir() / "bulk.sqlite3"


def job_id_for(plan_sha256: str, target: str, default_integration: str | None) -> str:
    """The job of a plan's content sent to a target (base URL and default integration)."""
    text = "\0".join((plan_sha256, target, default_integration or ""))
    return hashlib.sha256(text.encode()).hexdigest()[:20]


@dataclass
class JobRow:
    """One row as the journal keeps it."""

    number: int
    status: str
    spec: dict[str, Any]
    sha256: str | None = None
    size: int | None = None
    mtime_ns: int | None = None
    earlier: str | None = None
    warnings: list[str] | None = None
    error_code: str | None = None
    message: str | None = None
    log_url: str | None = None
    attachment_id: str | None = None
    sending_at: float | None = None

    def to_json(self) -> dict[str, Any]:
        return {
            "row": self.number,
            "integration_id": self.spec.get("integration_id"),
            "application_id": self.spec.get("application_id"),
            "file": self.spec.get("file"),
            "data_url": self.spec.get("data_url"),
            "name": self.spec.get("name"),
            "outcome": self.status,
            "attachment_id": self.attachment_id,
            "warnings": self.warnings or [],
            "error_code": self.error_code,
            "message": self.message,
            "log_url": self.log_url,
        }

    def __repr__(self) -> str:
        from ..display import job_row_text

        return job_row_text(self)


class JobRows(list[JobRow]):
    """A job's rows, as ``BulkReport.rows()`` returns them: a list whose notebook display is a
    table with the failures first, and ``to_pandas()``."""

    def __repr__(self) -> str:
        from ..display import job_rows_text

        return job_rows_text(self)

    def to_pandas(self) -> Any:
        """A ``pandas.DataFrame``, one row per plan row, failures first (needs pandas)."""
        from ..display import job_rows_frame

        return job_rows_frame(self)

    def _repr_html_(self) -> str:
        from ..display import job_rows_html

        return job_rows_html(self)


_COLUMNS = "number, status, spec, sha256, size, mtime_ns, earlier, warnings, error_code, message, log_url, attachment_id, sending_at"


def _job_row(r: sqlite3.Row | tuple[Any, ...]) -> JobRow:
    return JobRow(
        number=r[0],
        status=r[1],
        spec=json.loads(r[2]),
        sha256=r[3],
        size=r[4],
        mtime_ns=r[5],
        earlier=r[6],
        warnings=json.loads(r[7] or "[]"),
        error_code=r[8],
        message=r[9],
        log_url=r[10],
        attachment_id=r[11],
        sending_at=r[12],
    )


class _Connection:
    """The journal's SQLite connection, whose every failure is a :class:`JournalError` naming
    the file — never a bare ``sqlite3`` error that a caller could take for the history's."""

    def __init__(self, path: Path) -> None:
        self.path = path
        try:
            self.db = sqlite3.connect(path, timeout=10.0, isolation_level=None)
        except sqlite3.Error as exc:
            raise JournalError(str(path), exc) from exc

    def execute(self, sql: str, params: Any = ()) -> sqlite3.Cursor:
        try:
            return self.db.execute(sql, params)
        except sqlite3.Error as exc:
            raise JournalError(str(self.path), exc) from exc

    def executemany(self, sql: str, params: Any) -> sqlite3.Cursor:
        try:
            return self.db.executemany(sql, params)
        except sqlite3.Error as exc:
            raise JournalError(str(self.path), exc) from exc

    def executescript(self, script: str) -> None:
        try:
            self.db.executescript(script)
        except sqlite3.Error as exc:
            raise JournalError(str(self.path), exc) from exc

    def rollback(self) -> None:
        roll_back(self.db)


class Journal:
    """The journal of bulk jobs (one connection; use from one thread).

    Raises (any method):
        JournalError: the file cannot be created, read or written.
    """

    def __init__(self, path: Path | None = None) -> None:
        self.path = path or default_journal_path()
        try:
            self.path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
            if not self.path.exists():
                os.close(os.open(self.path, os.O_WRONLY | os.O_CREAT, 0o600))
            os.chmod(self.path, 0o600)
        except OSError as exc:
            raise JournalError(str(self.path), exc) from exc
        self._db = _Connection(self.path)
        try:
            self._db.execute("PRAGMA busy_timeout = 10000")
            try:
                use_wal(self._db.db, 10.0)
            except sqlite3.Error as exc:
                raise JournalError(str(self.path), exc) from exc
            self._db.execute("PRAGMA synchronous = NORMAL")
            self._db.executescript(_SCHEMA)
        except JournalError:
            self._db.db.close()
            raise
        self._lock: IO[bytes] | None = None

    def close(self) -> None:
        self.unlock()
        self._db.db.close()

    def __enter__(self) -> Journal:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # ------------------------------------------------------------------ jobs

    def lock(self, job_id: str) -> None:
        """Hold the job's lock until :meth:`unlock` (or the process ends, however it ends).

        Raises:
            InputError: another process runs this job now.
        """
        handle = open(self.path.with_name(f"bulk-{job_id}.lock"), "ab")
        try:
            fcntl.flock(handle.fileno(), fcntl.LOCK_EX | fcntl.LOCK_NB)
        except OSError:
            handle.close()
            raise InputError.single("plan", f"job {job_id} is already running in another process") from None
        self._lock = handle

    def unlock(self) -> None:
        if self._lock is not None:
            self._lock.close()
            self._lock = None

    def open_job(self, job_id: str, *, plan: str, target: str, environment: str) -> bool:
        """Create the job if new; True when it existed (this run resumes it)."""
        now = time.time()
        cur = self._db.execute(
            "INSERT OR IGNORE INTO jobs (job_id, plan, target, environment, created_at, updated_at) VALUES (?,?,?,?,?,?)",
            (job_id, plan, target, environment, now, now),
        )
        return cur.rowcount == 0

    # ------------------------------------------------------------------ loading the check

    def load(self, job_id: str, rows: Iterator[tuple[int, dict[str, Any], str, tuple[Any, ...]]]) -> None:
        """Store the checked rows: ``(number, spec, status, (sha256, size, mtime_ns, earlier, warnings, message))``.

        A row already sent, already there, in flight (``sending``) or ``unknown`` keeps its
        status; any other takes the check's verdict.
        """
        sql = (
            "INSERT INTO rows (job_id, number, integration_id, application_id, name, spec, status, "
            "sha256, size, mtime_ns, earlier, warnings, message) VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?) "
            "ON CONFLICT (job_id, number) DO UPDATE SET status = excluded.status, spec = excluded.spec, "
            "sha256 = excluded.sha256, size = excluded.size, mtime_ns = excluded.mtime_ns, "
            "earlier = excluded.earlier, warnings = excluded.warnings, message = excluded.message, "
            "error_code = NULL, log_url = NULL "
            "WHERE rows.status NOT IN ('sent', 'already_sent', 'sending', 'unknown')"
        )

        def params() -> Iterator[tuple[Any, ...]]:
            for number, spec, status, (sha, size, mtime, earlier, warnings, message) in rows:
                yield (
                    job_id, number, spec.get("integration_id"), spec.get("application_id"), spec.get("name"),
                    json.dumps(spec, ensure_ascii=False, separators=(",", ":")), status,
                    sha, size, mtime, earlier, json.dumps(warnings), message,
                )

        self._db.execute("BEGIN IMMEDIATE")
        try:
            self._db.executemany(sql, params())
            self._db.execute("UPDATE jobs SET updated_at = ? WHERE job_id = ?", (time.time(), job_id))
            self._db.execute("COMMIT")
        except BaseException:
            self._db.rollback()
            raise

    # ------------------------------------------------------------------ the runner's view

    def integrations(self, job_id: str) -> list[str]:
        """Integrations with rows to work on."""
        marks = ",".join("?" * len(TO_DO))
        cur = self._db.execute(
            f"SELECT DISTINCT integration_id FROM rows WHERE job_id = ? AND status IN ({marks})", (job_id, *TO_DO)
        )
        return [r[0] for r in cur.fetchall()]

    def next_rows(self, job_id: str, integration_id: str, after: int, limit: int = 200) -> list[JobRow]:
        """Rows of one integration still to do, in plan order, after row number ``after``."""
        marks = ",".join("?" * len(TO_DO))
        cur = self._db.execute(
            f"SELECT {_COLUMNS} FROM rows WHERE job_id = ? AND integration_id = ? AND status IN ({marks}) "
            "AND number > ? ORDER BY number LIMIT ?",
            (job_id, integration_id, *TO_DO, after, limit),
        )
        return [_job_row(r) for r in cur.fetchall()]

    def mark_sending(self, job_id: str, number: int) -> float:
        """Committed before the first byte leaves; returns the time recorded."""
        now = time.time()
        self._db.execute(
            "UPDATE rows SET status = 'sending', sending_at = ?, attempts = attempts + 1 WHERE job_id = ? AND number = ?",
            (now, job_id, number),
        )
        return now

    def mark_body_sent(self, job_id: str, number: int) -> float:
        """The body's last byte left: a later look for this row waits from now, not from its
        first byte (a large body may still be landing). Returns the time recorded."""
        now = time.time()
        self._db.execute(
            "UPDATE rows SET sending_at = ? WHERE job_id = ? AND number = ? AND status = 'sending'", (now, job_id, number)
        )
        return now

    def finish(
        self,
        job_id: str,
        number: int,
        status: str,
        *,
        warnings: list[str] | None = None,
        error_code: str | None = None,
        message: str | None = None,
        log_url: str | None = None,
        attachment_id: str | None = None,
    ) -> None:
        """Record where a row ended (or ``pending`` again when it may simply be retried)."""
        self._db.execute(
            "UPDATE rows SET status = ?, warnings = ?, error_code = ?, message = ?, log_url = ?, "
            "attachment_id = coalesce(?, attachment_id) WHERE job_id = ? AND number = ?",
            (status, json.dumps(warnings or []), error_code, message, log_url, attachment_id, job_id, number),
        )

    def reopen_failures(self, job_id: str) -> int:
        """Put refused and failed rows back to pending (a rerun tries them again)."""
        cur = self._db.execute(
            "UPDATE rows SET status = 'pending' WHERE job_id = ? AND status IN ('refused', 'failed')", (job_id,)
        )
        return cur.rowcount

    def started(self, job_id: str) -> bool:
        """Whether a run of the job has worked on a row (sent one, or finished it without sending).

        A check alone (a run blocked by invalid rows, or stopped during its check) leaves no
        such row: the next run is still the job's first.
        """
        cur = self._db.execute(
            "SELECT 1 FROM rows WHERE job_id = ? AND (attempts > 0 OR status IN ('sent', 'refused', 'failed')) LIMIT 1",
            (job_id,),
        )
        return cur.fetchone() is not None

    def counts(self, job_id: str) -> dict[str, int]:
        cur = self._db.execute("SELECT status, count(*) FROM rows WHERE job_id = ? GROUP BY status", (job_id,))
        return {status: n for status, n in cur.fetchall()}

    def rows(self, job_id: str, *, statuses: tuple[str, ...] | None = None) -> Iterator[JobRow]:
        """Every row of the job in plan order (streamed in pages)."""
        after = 0
        while True:
            sql = f"SELECT {_COLUMNS} FROM rows WHERE job_id = ? AND number > ?"
            args: list[Any] = [job_id, after]
            if statuses:
                sql += f" AND status IN ({','.join('?' * len(statuses))})"
                args.extend(statuses)
            page = self._db.execute(sql + " ORDER BY number LIMIT 1000", args).fetchall()
            if not page:
                return
            for r in page:
                yield _job_row(r)
            after = page[-1][0]
