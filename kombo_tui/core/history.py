"""A local audit trail of uploads, in SQLite (file mode 0600).

Each row says when, where to (environment, integration, application, candidate and job when
known), what (file name, size, sha256, MIME, type, remote fields) and how it ended (outcome,
warnings, error code, ``log_url``). Never the file's bytes, never the API key. Writes are
single transactions in WAL mode with a busy timeout, so a crash mid-write loses at most
that row and several instances can write at once.

A row that cannot be written (disk full, database locked or corrupt) after a send is not
dropped: :meth:`History.save_pending` appends it to ``history-pending.jsonl`` beside the
database (mode 0600), and the next successful :meth:`History.record` moves those rows in.
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

__all__ = ["History", "HistoryEntry", "HistoryWriteWarning", "default_history_path"]


class HistoryWriteWarning(UserWarning):
    """A send's outcome could not be written to the history (it went to the pending file)."""

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

    @property
    def pending_path(self) -> Path:
        """Where rows go that could not be written to the database (JSON lines, 0600)."""
        return self.path.with_name(self.path.stem + "-pending.jsonl")

    def save_pending(self, entry: HistoryEntry) -> Path:
        """Append ``entry`` to :attr:`pending_path` (0600, never through a symlink); returns it.

        Raises:
            OSError: the pending file cannot be written either.
        """
        self.pending_path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
        self._append_pending(json.dumps(entry.to_json(), ensure_ascii=True, default=str) + "\n")
        return self.pending_path

    def _append_pending(self, text: str) -> None:
        flags = os.O_WRONLY | os.O_CREAT | os.O_APPEND | getattr(os, "O_NOFOLLOW", 0)
        fd = os.open(self.pending_path, flags, 0o600)
        try:
            if hasattr(os, "fchmod"):
                os.fchmod(fd, 0o600)
            os.write(fd, text.encode("ascii"))
        finally:
            os.close(fd)

    def _move_pending(self, conn: sqlite3.Connection) -> None:
        """Insert the rows of the pending file (claimed by an atomic rename, so only once)."""
        if not self.pending_path.exists():
            return
        claimed = self.pending_path.with_name(f"{self.pending_path.name}.{os.getpid()}.claimed")
        try:
            os.replace(self.pending_path, claimed)
            text = claimed.read_text(encoding="ascii")
        except OSError:
            return
        rows = []
        for line in text.splitlines():
            try:
                data = json.loads(line) if len(line) < 1024 * 1024 else None
                entry = HistoryEntry(**{k: v for k, v in data.items() if k != "id"}) if isinstance(data, dict) else None
            except (ValueError, TypeError, RecursionError):
                entry = None
            if entry is not None:
                rows.append(_row(entry))
        if rows:
            columns = ", ".join(rows[0])
            marks = ", ".join(f":{k}" for k in rows[0])
            conn.execute("BEGIN IMMEDIATE")
            try:
                conn.executemany(f"INSERT INTO uploads ({columns}) VALUES ({marks})", rows)
                conn.execute("COMMIT")
            except BaseException:
                conn.execute("ROLLBACK")
                self._append_pending(text)  # keep them for the next try
                claimed.unlink(missing_ok=True)
                raise
        claimed.unlink(missing_ok=True)

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
        """Insert one entry in a single transaction; returns its id.

        Rows left in the pending file by an earlier failed write are moved in afterwards
        (best effort: a failure there leaves them pending and does not fail this record).
        """
        row = _row(entry)
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
            try:
                self._move_pending(conn)
            except sqlite3.Error:
                pass
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


def _row(entry: HistoryEntry) -> dict[str, Any]:
    row = asdict(entry)
    row.pop("id")
    row["remote_fields"] = json.dumps(entry.remote_fields) if entry.remote_fields else None
    row["warnings"] = json.dumps(entry.warnings)
    return row


def _entry(row: sqlite3.Row) -> HistoryEntry:
    """A row as an entry; stored JSON is read within limits and a bad value never hides the row."""
    data = dict(row)
    data["remote_fields"] = _stored_json(data["remote_fields"], "remote_fields", dict)
    warnings = _stored_json(data["warnings"], "warnings", list)
    data["warnings"] = [str(w) for w in warnings] if warnings is not None else ["(the stored warnings could not be read)"]
    return HistoryEntry(**data)


def _stored_json(text: object, column: str, kind: type) -> Any:
    """The JSON in a column (None when empty, unreadable, too large or too deep)."""
    from .errors import InputError
    from .jsonload import load_json

    if not text or not isinstance(text, (str, bytes)):
        return kind() if kind is list and not text else None
    try:
        value = load_json(text, field=f"history.{column}")
    except InputError:
        return None
    return value if isinstance(value, kind) else None
