"""A local audit trail of uploads, in SQLite (file mode 0600).

Each row says when, where to (environment, integration, application — or the candidate of a
candidate-endpoint upload —, candidate and job names when known), what (file name, where the
file was, size, sha256, MIME, type, remote fields) and how it ended (outcome, warnings, error code,
``log_url``). Never the file's bytes, never the API key. Writes are single transactions in
WAL mode with a busy timeout, so a crash mid-write loses at most that row and several
instances can write at once.

Each send's HTTP exchanges (:mod:`.exchanges`: headers with the key masked, statuses,
timings, the upload's body with its data elided, small answer bodies) are kept beside its
row, bounded per send (:data:`EXCHANGES_BUDGET`), and come back as exchanges or as a HAR
file (:meth:`History.exchanges`, :meth:`History.export_har`).

"Was this already sent?" has one answer, one query: :meth:`History.earlier_sends` asks it
for one upload, :meth:`History.earlier_sends_many` for a bulk plan's rows (a few hundred
keys per query), and both go through the same SQL. :meth:`History.held_open` keeps one
connection for a run that records many sends.

The schema is versioned (``PRAGMA user_version``); an older database is migrated in place
when first opened (columns and tables are only ever added), so it stays readable.

A row that cannot be written (disk full, database locked or corrupt) after a send is not
dropped: :meth:`History.save_pending` appends it to ``history-pending.jsonl`` beside the
database (mode 0600), and the next successful :meth:`History.record` moves those rows in.
"""

from __future__ import annotations

import json
import os
import sqlite3
import threading
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import asdict, dataclass, field
from datetime import datetime, timezone
from pathlib import Path
from typing import TYPE_CHECKING, Any

from .config import data_dir
from .errors import DuplicateUploadError, Problem

if TYPE_CHECKING:
    from .display import HistoryList
    from .exchanges import Exchange
    from .payload import PreparedUpload

__all__ = [
    "EXCHANGES_BUDGET",
    "SCHEMA_VERSION",
    "History",
    "HistoryEntry",
    "HistoryWriteWarning",
    "default_history_path",
]

SCHEMA_VERSION = 3
"""1: uploads only. 2: ``uploads.candidate_id`` and the ``exchanges`` table. 3: ``uploads.file_path``
(where the sent file was, so a send can be replayed)."""

EXCHANGES_BUDGET = 256 * 1024
"""Most bytes of exchanges (as JSON) kept per send: bodies go first, then the middle exchanges."""

_LANDED = ("sent", "unknown", "verified_present")
"""Outcomes of a send that may have put the file on its target: the "already sent?" rule."""

_LANDED_SQL = "(" + ", ".join(f"'{outcome}'" for outcome in _LANDED) + ")"

_LOOKUP_CHUNK = 200
"""Keys per "already sent?" query (4 parameters each: within SQLite's oldest limit of 999)."""

_BODY_KEEP = 16 * 1024
"""An answer or request body longer than this is kept as a note in the history."""


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

# Version 2, applied to a database of any earlier version (each step checks what is there).
_SCHEMA_2 = """
CREATE TABLE IF NOT EXISTS exchanges (
    upload_id INTEGER PRIMARY KEY REFERENCES uploads (id) ON DELETE CASCADE,
    data TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS uploads_by_candidate ON uploads (candidate_id, sha256);
"""


def default_history_path() -> Path:
    return data_dir() / "history.sqlite3"


@dataclass
class HistoryEntry:
    """One upload attempt as recorded."""

    environment: str
    integration_id: str
    application_id: str
    """Empty for an upload to a candidate (see ``candidate_id``)."""
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
    candidate_id: str | None = None
    """The Kombo candidate id of an upload through the candidate endpoint (else None)."""
    file_path: str | None = None
    """Where the sent file was (absolute, as text; None for a ``data_url`` upload and for rows
    written before version 3). The path only: never the file's bytes."""
    at: str = field(default_factory=lambda: datetime.now(timezone.utc).isoformat(timespec="seconds"))
    id: int | None = None

    def to_json(self) -> dict[str, Any]:
        return asdict(self)

    def __repr__(self) -> str:
        from .display import entry_text

        return entry_text(self)

    def _repr_html_(self) -> str:
        from .display import entry_html

        return entry_html(self)


class History:
    """The audit log. Cheap to create; opens a connection per operation (see :meth:`held_open`)."""

    def __init__(self, path: Path | None = None) -> None:
        self.path = path or default_history_path()
        self._ready = False
        self._held_lock = threading.RLock()
        self._holding = 0
        self._held: sqlite3.Connection | None = None

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
    def held_open(self) -> Iterator[History]:
        """Keep one connection for every operation inside the block (from any thread, one at a time).

        A bulk run records a row per upload: without this, each record opens the database
        and, closing it as the last connection, checkpoints its WAL — milliseconds of I/O
        per row. Each record is still its own committed transaction. The connection is
        opened by the first operation that needs one (a block that only reads a history
        that does not exist creates nothing) and closed when the block ends; after a
        database error it is dropped and the next operation opens a fresh one.
        """
        with self._held_lock:
            self._holding += 1
        try:
            yield self
        finally:
            with self._held_lock:
                self._holding -= 1
                if self._holding == 0 and self._held is not None:
                    self._held.close()
                    self._held = None

    def _open(self) -> sqlite3.Connection:
        if not self._ready:
            self.path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
            if not self.path.exists():
                os.close(os.open(self.path, os.O_WRONLY | os.O_CREAT, 0o600))
            os.chmod(self.path, 0o600)
        conn = sqlite3.connect(self.path, timeout=10.0, isolation_level=None, check_same_thread=False)
        try:
            conn.row_factory = sqlite3.Row
            conn.execute("PRAGMA busy_timeout = 10000")
            if not self._ready:
                conn.execute("PRAGMA journal_mode = WAL")
                _migrate(conn)
                self._ready = True
        except BaseException:
            conn.close()
            raise
        return conn

    @contextmanager
    def _connect(self) -> Iterator[sqlite3.Connection]:
        if self._holding:
            with self._held_lock:
                if self._held is None:
                    self._held = self._open()
                try:
                    yield self._held
                except sqlite3.Error:
                    self._held.close()
                    self._held = None
                    raise
            return
        conn = self._open()
        try:
            yield conn
        finally:
            conn.close()

    def record(self, entry: HistoryEntry, *, exchanges: Sequence[Exchange] | None = None) -> int:
        """Insert one entry (and its send's exchanges) in a single transaction; returns its id.

        The exchanges are stored bounded (:data:`EXCHANGES_BUDGET`), as the exchange log
        recorded them: the key is already masked and an upload's data elided. Rows left in
        the pending file by an earlier failed write are moved in afterwards (best effort: a
        failure there leaves them pending and does not fail this record).
        """
        row = _row(entry)
        columns = ", ".join(row)
        marks = ", ".join(f":{k}" for k in row)
        stored = _bounded_exchanges(exchanges) if exchanges else None
        with self._connect() as conn:
            conn.execute("BEGIN IMMEDIATE")
            try:
                cursor = conn.execute(f"INSERT INTO uploads ({columns}) VALUES ({marks})", row)
                if stored is not None:
                    conn.execute(
                        "INSERT INTO exchanges (upload_id, data) VALUES (?, ?)", (cursor.lastrowid, stored)
                    )
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

    def entry(self, entry_id: int) -> HistoryEntry | None:
        """One entry by id (None when there is no such entry)."""
        if not self.path.exists():
            return None
        with self._connect() as conn:
            row = conn.execute("SELECT * FROM uploads WHERE id = ?", (entry_id,)).fetchone()
        return _entry(row) if row is not None else None

    def exchanges(self, entry_id: int) -> list[Exchange]:
        """The HTTP exchanges of one send, in the order they started ([] when none were kept:
        an older version sent it, or the client recorded nothing)."""
        from .exchanges import Exchange

        if not self.path.exists():
            return []
        with self._connect() as conn:
            row = conn.execute("SELECT data FROM exchanges WHERE upload_id = ?", (entry_id,)).fetchone()
        if row is None:
            return []
        return [Exchange.from_dict(item) for item in json.loads(row["data"])]

    def export_har(self, entry_id: int, path: str | os.PathLike[str]) -> int:
        """Write one send's exchanges as a HAR 1.2 file (mode 0600, replacing, never following,
        a symlink); returns how many exchanges it holds.

        Raises:
            LookupError: no such entry, or no exchanges were kept for it.
            OSError: the file cannot be written.
        """
        from .har import write_har

        if self.entry(entry_id) is None:
            raise LookupError(f"no history entry {entry_id}")
        found = self.exchanges(entry_id)
        if not found:
            raise LookupError(f"history entry {entry_id} has no recorded exchanges")
        write_har(found, path)
        return len(found)

    def set_verified(self, entry_id: int, verified: str, outcome: str | None = None) -> None:
        """Record what Verify found (and, optionally, the outcome it resolves to)."""
        with self._connect() as conn:
            if outcome:
                conn.execute("UPDATE uploads SET verified = ?, outcome = ? WHERE id = ?", (verified, outcome, entry_id))
            else:
                conn.execute("UPDATE uploads SET verified = ? WHERE id = ?", (verified, entry_id))

    def entries(self, *, limit: int = 500, search: str | None = None) -> HistoryList:
        """Newest first; ``search`` matches file, candidate, job, application, integration, code."""
        sql = "SELECT * FROM uploads"
        args: list[Any] = []
        if search:
            like = f"%{search.lower()}%"
            cols = (
                "file_name",
                "candidate",
                "job",
                "application_id",
                "candidate_id",
                "integration_id",
                "error_code",
                "outcome",
                "sha256",
            )
            sql += " WHERE " + " OR ".join(f"lower(coalesce({c}, '')) LIKE ?" for c in cols)
            args.extend([like] * len(cols))
        sql += " ORDER BY id DESC LIMIT ?"
        args.append(limit)
        from .display import HistoryList

        if not self.path.exists():
            return HistoryList()
        with self._connect() as conn:
            rows = conn.execute(sql, args).fetchall()
        return HistoryList(_entry(r) for r in rows)

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
        return self._previous("application_id", [(application_id, sha256, integration_id)], environment)[0]

    def previous_candidate_uploads(
        self,
        candidate_id: str,
        sha256: str,
        *,
        environment: str | None = None,
        integration_id: str | None = None,
    ) -> list[HistoryEntry]:
        """:meth:`previous_uploads` for uploads through the candidate endpoint."""
        return self._previous("candidate_id", [(candidate_id, sha256, integration_id)], environment)[0]

    def _previous(
        self, column: str, keys: Sequence[tuple[str, str, str | None]], environment: str | None
    ) -> list[list[HistoryEntry]]:
        """The one query behind every "may it have landed?" answer, for many keys at once.

        ``keys`` are ``(target id, sha256, integration id or None for any)``; the answer holds,
        per key and in the same order, the matching entries newest first. A key with an empty
        target matches nothing. The keys go in chunks of :data:`_LOOKUP_CHUNK` through one
        connection, each chunk one query joining a ``VALUES`` list to the index on
        ``(column, sha256)``.
        """
        found: list[list[HistoryEntry]] = [[] for _ in keys]
        wanted = [(i, target, sha256, integration) for i, (target, sha256, integration) in enumerate(keys) if target]
        if not wanted or not self.path.exists():
            return found
        with self._connect() as conn:
            for start in range(0, len(wanted), _LOOKUP_CHUNK):
                chunk = wanted[start : start + _LOOKUP_CHUNK]
                values = ", ".join("(?, ?, ?, ?)" for _ in chunk)
                sql = (
                    f"WITH wanted (k, target, sha256, integration_id) AS (VALUES {values}) "
                    f"SELECT wanted.k AS wanted_k, uploads.* FROM wanted JOIN uploads "
                    f"ON uploads.{column} = wanted.target AND uploads.sha256 = wanted.sha256 "
                    f"WHERE uploads.outcome IN {_LANDED_SQL} "
                    "AND (wanted.integration_id IS NULL OR uploads.integration_id = wanted.integration_id)"
                )
                args: list[Any] = [value for key in chunk for value in key]
                if environment is not None:
                    sql += " AND uploads.environment = ?"
                    args.append(environment)
                for row in conn.execute(sql + " ORDER BY uploads.id DESC", args):
                    data = dict(row)
                    found[data.pop("wanted_k")].append(_entry(data))
        return found

    def earlier_sends(self, upload: PreparedUpload, environment: str) -> list[HistoryEntry]:
        """Was this already sent? Earlier sends that may have landed, newest first.

        The same file (sha256) to the same application through the same integration in the
        same environment, with an outcome of sent, unknown or verified present. Uploads by
        ``data_url`` have no sha256 and never match.
        An upload to a candidate is checked against earlier uploads to the same candidate.
        """
        return self.earlier_sends_many([upload], environment)[0]

    def earlier_sends_many(self, uploads: Sequence[PreparedUpload], environment: str) -> list[list[HistoryEntry]]:
        """:meth:`earlier_sends` of many uploads in a few queries: one answer per upload, in order.

        The same rule, asked once per chunk of uploads instead of once per upload (a bulk
        plan's check asks it for every row).
        """
        found: list[list[HistoryEntry]] = [[] for _ in uploads]
        for column in ("application_id", "candidate_id"):
            positions: list[int] = []
            keys: list[tuple[str, str, str | None]] = []
            for i, upload in enumerate(uploads):
                if upload.fingerprint is None or bool(upload.candidate_id) != (column == "candidate_id"):
                    continue
                target = upload.candidate_id if upload.candidate_id else upload.application_id
                positions.append(i)
                keys.append((target or "", upload.fingerprint.sha256, upload.integration_id))
            if keys:
                for i, entries in zip(positions, self._previous(column, keys, environment), strict=True):
                    found[i] = entries
        return found

    def refuse_resends(
        self,
        uploads: Sequence[PreparedUpload],
        environment: str,
        *,
        verify: str = "verify=True",
        force: str = "force=True",
        verifying: bool = False,
    ) -> None:
        """Raise if any of ``uploads`` was already sent (see :meth:`earlier_sends`).

        Args:
            verify: how the caller's user asks for verification (``--verify`` on the CLI).
            force: how the caller's user sends anyway (``--force`` on the CLI).
            verifying: the user asked to verify: an upload whose last send has an unknown
                outcome passes here, and :func:`~kombo_tui.core.engine.settle_unknown` decides.

        Raises:
            DuplicateUploadError: one problem per upload already sent, saying when and how it
                ended; after an unknown outcome it says to verify first.
        """
        problems = []
        for upload, earlier in zip(uploads, self.earlier_sends_many(uploads, environment), strict=True):
            if earlier and not (verifying and earlier[0].outcome == "unknown"):
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
        f"{upload.target_kind} {upload.target_id} at {last.at}; "
        + (f"check with {verify} first, or " if unknown else "")
        + f"pass {force} to send it again",
    )


def _row(entry: HistoryEntry) -> dict[str, Any]:
    row = asdict(entry)
    row.pop("id")
    row["remote_fields"] = json.dumps(entry.remote_fields) if entry.remote_fields else None
    row["warnings"] = json.dumps(entry.warnings)
    return row


def _entry(row: sqlite3.Row | dict[str, Any]) -> HistoryEntry:
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


def _migrate(conn: sqlite3.Connection) -> None:
    """Bring a database of any earlier version to :data:`SCHEMA_VERSION` (only ever adds)."""
    version = int(conn.execute("PRAGMA user_version").fetchone()[0])
    if version >= SCHEMA_VERSION:
        return
    conn.execute("BEGIN IMMEDIATE")  # one migrator at a time; each step checks what is there
    try:
        for statement in _SCHEMA.split(";"):
            if statement.strip():
                conn.execute(statement)
        columns = {row[1] for row in conn.execute("PRAGMA table_info(uploads)")}
        if "candidate_id" not in columns:
            conn.execute("ALTER TABLE uploads ADD COLUMN candidate_id TEXT")
        if "file_path" not in columns:
            conn.execute("ALTER TABLE uploads ADD COLUMN file_path TEXT")
        for statement in _SCHEMA_2.split(";"):
            if statement.strip():
                conn.execute(statement)
        conn.execute(f"PRAGMA user_version = {SCHEMA_VERSION}")
        conn.execute("COMMIT")
    except BaseException:
        conn.execute("ROLLBACK")
        raise


def _bounded_exchanges(exchanges: Sequence[Exchange]) -> str:
    """The exchanges as JSON within :data:`EXCHANGES_BUDGET`: large bodies become notes, then
    (still too large: a long retry run) the middle exchanges go, the first and last kept."""
    items = [_trim_bodies(e.to_dict()) for e in exchanges if e.complete]
    text = json.dumps(items, ensure_ascii=False)
    while len(text.encode()) > EXCHANGES_BUDGET and len(items) > 2:
        del items[len(items) // 2]
        text = json.dumps(items, ensure_ascii=False)
    if len(text.encode()) > EXCHANGES_BUDGET:
        for item in items:
            for key in ("request_body", "response_body"):
                body = item.get(key)
                if body and body.get("text") is not None:
                    body.update(text=None, note=f"{body.get('size', -1):,} bytes, not kept in the history")
        text = json.dumps(items, ensure_ascii=False)
    return text


def _trim_bodies(item: dict[str, Any]) -> dict[str, Any]:
    for key in ("request_body", "response_body"):
        body = item.get(key)
        text = body.get("text") if body else None
        if body and text is not None and len(text) > _BODY_KEEP:
            # An upload's body is kept elided already; anything this long is an answer body.
            body.update(text=None, note=f"{body.get('size', -1):,} bytes, not kept in the history")
    return item
