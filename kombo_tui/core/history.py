"""A local audit trail of uploads, in SQLite (file mode 0600).

Each row says when, where to (environment, integration, application, candidate and job when
known), what (file name, size, sha256, MIME, type, remote fields) and how it ended (outcome,
warnings, error code, ``log_url``). Never the file's bytes, never the API key. Writes are
single transactions in WAL mode with a busy timeout, so a crash mid-write loses at most
that row and several instances can write at once.
"""

from __future__ import annotations

import json
import os
import sqlite3
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import asdict, dataclass, field
from datetime import datetime, timezone
from pathlib import Path
from typing import TYPE_CHECKING, Any

from .config import data_dir
from .errors import DuplicateUploadError, Problem

if TYPE_CHECKING:
    from .payload import PreparedUpload

__all__ = ["History", "HistoryEntry", "default_history_path"]

_SCHEMA = """
CREATE TABLE IF NOT EXISTS uploads (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    at TEXT NOT NULL,
    environment TEXT NOT NULL,
    integration_id TEXT NOT NULL,
    application_id TEXT NOT NULL,
    candidate TEXT,
    job TEXT,
    file_name TEXT NOT NULL,
    size INTEGER,
    sha256 TEXT,
    mime TEXT,
    type TEXT NOT NULL,
    remote_fields TEXT,
    outcome TEXT NOT NULL,
    warnings TEXT NOT NULL DEFAULT '[]',
    error_code TEXT,
    error_message TEXT,
    log_url TEXT,
    verified TEXT
);
CREATE INDEX IF NOT EXISTS uploads_by_target ON uploads (application_id, sha256);
CREATE INDEX IF NOT EXISTS uploads_by_time ON uploads (at);
"""


def default_history_path() -> Path:
    return data_dir() / "history.sqlite3"


@dataclass
class HistoryEntry:
    """One upload attempt as recorded."""

    environment: str
    integration_id: str
    application_id: str
    file_name: str
    type: str
    outcome: str
    """sent, error, unknown, file_changed — or verified_present / verified_absent after Verify."""
    size: int | None = None
    sha256: str | None = None
    mime: str | None = None
    candidate: str | None = None
    job: str | None = None
    remote_fields: dict[str, Any] | None = None
    warnings: list[str] = field(default_factory=list)
    error_code: str | None = None
    error_message: str | None = None
    log_url: str | None = None
    verified: str | None = None
    at: str = field(default_factory=lambda: datetime.now(timezone.utc).isoformat(timespec="seconds"))
    id: int | None = None

    def to_json(self) -> dict[str, Any]:
        return asdict(self)


class History:
    """The audit log. Cheap to create; opens a connection per operation."""

    def __init__(self, path: Path | None = None) -> None:
        self.path = path or default_history_path()
        self._ready = False

    @contextmanager
    def _connect(self) -> Iterator[sqlite3.Connection]:
        if not self._ready:
            self.path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
            if not self.path.exists():
                os.close(os.open(self.path, os.O_WRONLY | os.O_CREAT, 0o600))
            os.chmod(self.path, 0o600)
        conn = sqlite3.connect(self.path, timeout=10.0, isolation_level=None)
        try:
            conn.row_factory = sqlite3.Row
            conn.execute("PRAGMA busy_timeout = 10000")
            if not self._ready:
                conn.execute("PRAGMA journal_mode = WAL")
                conn.executescript(_SCHEMA)
                self._ready = True
            yield conn
        finally:
            conn.close()

    def record(self, entry: HistoryEntry) -> int:
        """Insert one entry in a single transaction; returns its id."""
        row = asdict(entry)
        row.pop("id")
        row["remote_fields"] = json.dumps(entry.remote_fields) if entry.remote_fields else None
        row["warnings"] = json.dumps(entry.warnings)
        columns = ", ".join(row)
        marks = ", ".join(f":{k}" for k in row)
        with self._connect() as conn:
            conn.execute("BEGIN IMMEDIATE")
            try:
                cursor = conn.execute(f"INSERT INTO uploads ({columns}) VALUES ({marks})", row)
                conn.execute("COMMIT")
            except BaseException:
                conn.execute("ROLLBACK")
                raise
        entry.id = int(cursor.lastrowid or 0)
        return entry.id

    def set_verified(self, entry_id: int, verified: str, outcome: str | None = None) -> None:
        """Record what Verify found (and, optionally, the outcome it resolves to)."""
        with self._connect() as conn:
            if outcome:
                conn.execute("UPDATE uploads SET verified = ?, outcome = ? WHERE id = ?", (verified, outcome, entry_id))
            else:
                conn.execute("UPDATE uploads SET verified = ? WHERE id = ?", (verified, entry_id))

    def entries(self, *, limit: int = 500, search: str | None = None) -> list[HistoryEntry]:
        """Newest first; ``search`` matches file, candidate, job, application, integration, code."""
        sql = "SELECT * FROM uploads"
        args: list[Any] = []
        if search:
            like = f"%{search.lower()}%"
            cols = ("file_name", "candidate", "job", "application_id", "integration_id", "error_code", "outcome", "sha256")
            sql += " WHERE " + " OR ".join(f"lower(coalesce({c}, '')) LIKE ?" for c in cols)
            args.extend([like] * len(cols))
        sql += " ORDER BY id DESC LIMIT ?"
        args.append(limit)
        if not self.path.exists():
            return []
        with self._connect() as conn:
            rows = conn.execute(sql, args).fetchall()
        return [_entry(r) for r in rows]

    def previous_uploads(
        self,
        application_id: str,
        sha256: str,
        *,
        environment: str | None = None,
        integration_id: str | None = None,
    ) -> list[HistoryEntry]:
        """Earlier attempts of the same file to the same application that may have landed.

        Application ids belong to one environment and integration: pass them to keep a
        sandbox run from shadowing production (and the other way round).
        """
        if not self.path.exists():
            return []
        sql = (
            "SELECT * FROM uploads WHERE application_id = ? AND sha256 = ? "
            "AND outcome IN ('sent', 'unknown', 'verified_present')"
        )
        args: list[Any] = [application_id, sha256]
        if environment is not None:
            sql += " AND environment = ?"
            args.append(environment)
        if integration_id is not None:
            sql += " AND integration_id = ?"
            args.append(integration_id)
        with self._connect() as conn:
            rows = conn.execute(sql + " ORDER BY id DESC", args).fetchall()
        return [_entry(r) for r in rows]

    def earlier_sends(self, upload: PreparedUpload, environment: str) -> list[HistoryEntry]:
        """Was this already sent? Earlier sends that may have landed, newest first.

        The same file (sha256) to the same application through the same integration in the
        same environment, with an outcome of sent, unknown or verified present. Uploads by
        ``data_url`` have no sha256 and never match.
        """
        if upload.fingerprint is None:
            return []
        return self.previous_uploads(
            upload.application_id,
            upload.fingerprint.sha256,
            environment=environment,
            integration_id=upload.integration_id,
        )

    def refuse_resends(
        self,
        uploads: Sequence[PreparedUpload],
        environment: str,
        *,
        verify: str = "verify=True",
        force: str = "force=True",
    ) -> None:
        """Raise if any of ``uploads`` was already sent (see :meth:`earlier_sends`).

        Args:
            verify: how the caller's user asks for verification (``--verify`` on the CLI).
            force: how the caller's user sends anyway (``--force`` on the CLI).

        Raises:
            DuplicateUploadError: one problem per upload already sent, saying when and how it
                ended; after an unknown outcome it says to verify first.
        """
        problems = []
        for upload in uploads:
            earlier = self.earlier_sends(upload, environment)
            if earlier:
                problems.append(_resend_problem(upload, earlier[0], verify=verify, force=force))
        if problems:
            raise DuplicateUploadError(problems)


def _resend_problem(upload: PreparedUpload, last: HistoryEntry, *, verify: str, force: str) -> Problem:
    assert upload.fingerprint is not None
    unknown = last.outcome == "unknown"
    state = "with an unknown outcome" if unknown else "successfully"
    return Problem(
        "file",
        f"{upload.name} (sha256 {upload.fingerprint.sha256[:12]}…) was already sent {state} to "
        f"application {upload.application_id} at {last.at}; "
        + (f"check with {verify} first, or " if unknown else "")
        + f"pass {force} to send it again",
    )


def _entry(row: sqlite3.Row) -> HistoryEntry:
    data = dict(row)
    data["remote_fields"] = json.loads(data["remote_fields"]) if data["remote_fields"] else None
    data["warnings"] = json.loads(data["warnings"] or "[]")
    return HistoryEntry(**data)
