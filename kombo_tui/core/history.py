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
import time
from collections.abc import Collection, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from . import clock
from .config.file import data_dir
from .errors import DuplicateUploadError, Problem
from .outcome import LANDED, UNSETTLED, Settles

if TYPE_CHECKING:
    from .payload import PreparedUpload
    from .wire.exchanges import Exchange

__all__ = [
    "EXCHANGES_BUDGET",
    "SCHEMA_VERSION",
    "History",
    "HistoryEntry",
    "HistoryList",
    "HistoryWriteWarning",
    "default_history_path",
    "resend_problem",
    "roll_back",
    "use_wal",
]

SCHEMA_VERSION = 4
"""1: uploads only. 2: ``uploads.candidate_id`` and the ``exchanges`` table. 3: ``uploads.file_path``
(where the sent file was, so a send can be replayed). 4: ``uploads.identity`` (the upload's
:attr:`~.identity.UploadIdentity.key`: what "already sent?" and the write-ahead claim match on)."""

EXCHANGES_BUDGET = 256 * 1024
"""Most bytes of exchanges (as JSON) kept per send: bodies go first, then the middle exchanges."""

_LANDED_SQL = "(" + ", ".join(f"'{outcome}'" for outcome in sorted(LANDED | UNSETTLED)) + ")"
"""The "already sent?" rule as SQL: an earlier send that landed, or that may have."""

_LOOKUP_CHUNK = 200
"""Keys per "already sent?" query (2 parameters each: within SQLite's oldest limit of 999)."""

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
class HistoryEntry(Settles):
    """One upload attempt as recorded."""

    environment: str
    integration_id: str
    application_id: str
    """Empty for an upload to a candidate (see ``candidate_id``)."""
    file_name: str
    type: str
    outcome: str
    """How it ended (:mod:`.outcome`): sending, sent, error, unknown, file_changed — or
    verified_present / verified_absent after Verify."""
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
    identity: str | None = None
    """The upload's identity key (:mod:`.identity`); None for rows written before version 4
    that could not be keyed."""
    at: str = field(default_factory=lambda: clock.utc_now().isoformat(timespec="seconds"))
    id: int | None = None

    def to_json(self) -> dict[str, Any]:
        return asdict(self)

    def __repr__(self) -> str:
        from .display import entry_text

        return entry_text(self)

    def _repr_html_(self) -> str:
        from .display import entry_html

        return entry_html(self)


class HistoryList(list[HistoryEntry]):
    """History entries, newest first, as :meth:`History.entries` returns them: a list that
    shows itself in a notebook."""

    def to_pandas(self) -> Any:
        """A ``pandas.DataFrame`` with one row per entry (needs pandas)."""
        from .display import data_frame

        return data_frame([e.to_json() for e in self])

    def __repr__(self) -> str:
        from .display import history_list_text

        return history_list_text(self)

    def _repr_html_(self) -> str:
        from .display import history_list_html

        return history_list_html(self)


class History:
    """The audit log. Cheap to create; opens a connection per operation (see :meth:`held_open`)."""

    def __init__(self, path: Path | None = None, *, busy_timeout: float = 10.0) -> None:
        self.path = path or default_history_path()
        self.busy_timeout = busy_timeout
        """Seconds to wait for another writer (thread or process) before giving up."""
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
                entry = HistoryEntry(**data) if isinstance(data, dict) else None
            except (ValueError, TypeError, RecursionError):
                entry = None
            if entry is not None:
                rows.append(entry)
        if rows:
            conn.execute("BEGIN IMMEDIATE")
            try:
                for entry in rows:
                    _insert(conn, entry)
                conn.execute("COMMIT")
            except BaseException:
                roll_back(conn)
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
        conn = sqlite3.connect(self.path, timeout=self.busy_timeout, isolation_level=None, check_same_thread=False)
        try:
            conn.row_factory = sqlite3.Row
            conn.execute(f"PRAGMA busy_timeout = {int(self.busy_timeout * 1000)}")
            if not self._ready:
                use_wal(conn, self.busy_timeout)
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
        """Insert one entry (or, with its ``id`` set, write over that row), and its send's
        exchanges, in a single transaction; returns its id.

        The exchanges are stored bounded (:data:`EXCHANGES_BUDGET`), as the exchange log
        recorded them: the key is already masked and an upload's data elided. Rows left in
        the pending file by an earlier failed write are moved in afterwards (best effort: a
        failure there leaves them pending and does not fail this record).
        """
        stored = _bounded_exchanges(exchanges) if exchanges else None
        with self._connect() as conn:
            conn.execute("BEGIN IMMEDIATE")
            try:
                entry.id = _insert(conn, entry)
                if stored is not None:
                    conn.execute("INSERT OR REPLACE INTO exchanges (upload_id, data) VALUES (?, ?)", (entry.id, stored))
                conn.execute("COMMIT")
            except BaseException:
                roll_back(conn)
                raise
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
        from .wire.exchanges import Exchange

        if not self.path.exists():
            return []
        with self._connect() as conn:
            row = conn.execute("SELECT data FROM exchanges WHERE upload_id = ?", (entry_id,)).fetchone()
        if row is None:
            return []
        try:
            return [Exchange.from_dict(item) for item in json.loads(row["data"])]
        except (ValueError, TypeError, KeyError, AttributeError, RecursionError) as exc:
            raise LookupError(f"the exchanges kept for history entry {entry_id} cannot be read ({exc})") from None

    def export_har(self, entry_id: int, path: str | os.PathLike[str]) -> int:
        """Write one send's exchanges as a HAR 1.2 file (mode 0600, replacing, never following,
        a symlink); returns how many exchanges it holds.

        Raises:
            LookupError: no such entry, or no exchanges were kept for it.
            OSError: the file cannot be written.
        """
        from .wire.har import write_har

        if self.entry(entry_id) is None:
            raise LookupError(f"no history entry {entry_id}")
        found = self.exchanges(entry_id)
        if not found:
            raise LookupError(f"history entry {entry_id} has no recorded exchanges")
        write_har(found, path)
        return len(found)

    def withdraw(self, entry_id: int) -> bool:
        """Take back a claim (:meth:`claim`) whose upload never began: its row goes, if it
        still says ``sending``. Returns whether it went."""
        with self._connect() as conn:
            return conn.execute("DELETE FROM uploads WHERE id = ? AND outcome = 'sending'", (entry_id,)).rowcount > 0

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
        if not self.path.exists():
            return HistoryList()
        with self._connect() as conn:
            rows = conn.execute(sql, args).fetchall()
        return HistoryList(_entry(r) for r in rows)

    def earlier_sends(self, upload: PreparedUpload, environment: str) -> list[HistoryEntry]:
        """Was this already sent? Earlier sends of the same upload that may have landed, or are
        in flight, newest first.

        "The same upload" is its identity (:func:`~.identity.upload_identity`: environment,
        integration, target, content, name, type); "may have landed" is an outcome of sending
        (a write-ahead record: in flight, or its process died), sent, unknown or verified present.
        """
        return self.earlier_sends_many([upload], environment)[0]

    def earlier_sends_many(self, uploads: Sequence[PreparedUpload], environment: str) -> list[list[HistoryEntry]]:
        """:meth:`earlier_sends` of many uploads in a few queries: one answer per upload, in order."""
        from .identity import upload_identity

        return self._earlier([upload_identity(u, environment).key for u in uploads])

    def _earlier(self, keys: Sequence[str], conn: sqlite3.Connection | None = None) -> list[list[HistoryEntry]]:
        """The one query behind every "may it have landed?" answer, for many identity keys.

        The keys go in chunks of :data:`_LOOKUP_CHUNK`, each chunk one query joining a
        ``VALUES`` list to the index on ``identity``; the answer holds, per key and in order,
        the matching entries newest first.
        """
        found: list[list[HistoryEntry]] = [[] for _ in keys]
        if not keys or (conn is None and not self.path.exists()):
            return found
        numbered = list(enumerate(keys))
        with self._connect() if conn is None else _as_is(conn) as db:
            for start in range(0, len(numbered), _LOOKUP_CHUNK):
                chunk = numbered[start : start + _LOOKUP_CHUNK]
                values = ", ".join("(?, ?)" for _ in chunk)
                sql = (
                    f"WITH wanted (k, identity) AS (VALUES {values}) "
                    "SELECT wanted.k AS wanted_k, uploads.* FROM wanted JOIN uploads "
                    f"ON uploads.identity = wanted.identity WHERE uploads.outcome IN {_LANDED_SQL} "
                    "ORDER BY uploads.id DESC"
                )
                for row in db.execute(sql, [value for item in chunk for value in item]):
                    data = dict(row)
                    found[data.pop("wanted_k")].append(_entry(data))
        return found

    def claim(self, entry: HistoryEntry, *, force: bool = False, accept: Collection[int] = ()) -> list[HistoryEntry]:
        """Write-ahead: record ``entry`` as *sending* unless the same upload may already be there.

        Its outcome is written over the record later by :meth:`record` (``entry.id`` set).

        The check for an earlier or concurrent send of the same identity and the insert are
        one ``BEGIN IMMEDIATE`` transaction, so of any number of threads or processes claiming
        one upload, exactly one gets it. On success ``entry.id`` is set and ``[]`` returned;
        otherwise nothing is written and the earlier records come back, newest first.

        Args:
            entry: the upload's row (its ``identity`` set); its outcome is written as ``sending``.
            force: send again whatever the history holds (the user said so).
            accept: ids of earlier records the user saw and chose to send past (any other
                record, e.g. one written since, still refuses).

        Raises:
            HistoryUnavailableError: the history cannot be written; nothing may be sent.
        """
        from .errors import HistoryUnavailableError

        if not entry.identity:
            raise ValueError("a claimed entry needs its identity")
        entry.outcome = "sending"
        try:
            with self._connect() as conn:
                conn.execute("BEGIN IMMEDIATE")
                try:
                    earlier = [] if force else [e for e in self._earlier([entry.identity], conn)[0] if e.id not in accept]
                    if not earlier:
                        entry.id = _insert(conn, entry)
                    conn.execute("COMMIT")
                except BaseException:
                    roll_back(conn)
                    raise
        except (sqlite3.Error, OSError) as exc:
            entry.id = None
            raise HistoryUnavailableError(
                Problem(
                    "history",
                    f"the history {self.path} cannot record this upload before it is sent ({exc}); nothing was "
                    "sent. Free the file (another program may hold it), or send without a history on purpose",
                )
            ) from exc
        return earlier

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
            if earlier and not (verifying and earlier[0].unsettled):
                problems.append(resend_problem(upload, earlier[0], verify=verify, force=force))
        if problems:
            raise DuplicateUploadError(problems)


def resend_problem(
    upload: PreparedUpload, last: HistoryEntry, *, verify: str | None = None, force: str | None = None
) -> Problem:
    """Why ``upload`` is not sent again: how its last send (``last``) ended, and what to do.

    Args:
        verify, force: how the caller's user verifies and sends anyway (``--verify`` and
            ``--force`` on the CLI); None for a door-neutral wording.
    """
    unknown = last.unsettled
    state = {"sending": "(still in flight, or its program stopped before the answer)", "unknown": "with an unknown outcome"}.get(
        last.outcome, "successfully"
    )
    what = f"sha256 {upload.fingerprint.sha256[:12]}…" if upload.fingerprint else f"from {upload.data_url}"
    if verify is None or force is None:
        advice = ("verify it first, or " if unknown else "") + "send it again on purpose"
    else:
        advice = (f"check with {verify} first, or " if unknown else "") + f"pass {force} to send it again"
    return Problem(
        "file",
        f"{upload.name} ({what}) was already sent {state} to {upload.target_kind} {upload.target_id} "
        f"at {last.at} (history #{last.id}); nothing was sent: {advice}",
    )


def roll_back(conn: sqlite3.Connection) -> None:
    """Roll back the open transaction, if there still is one: a failed write (a full disk) may
    have ended it already, and "cannot rollback" must never hide the error that led here."""
    if conn.in_transaction:
        try:
            conn.execute("ROLLBACK")
        except sqlite3.Error:
            pass


def use_wal(conn: sqlite3.Connection, timeout: float) -> None:
    """Put the database in WAL mode. Switching needs the database to itself and SQLite does not
    wait for that (no busy handler): when two processes or threads open a new file at once, the
    switch is tried again until it is done or ``timeout`` seconds have passed."""
    deadline = time.monotonic() + timeout
    while True:
        try:
            conn.execute("PRAGMA journal_mode = WAL")
            return
        except sqlite3.OperationalError as exc:
            if "locked" not in str(exc) or time.monotonic() > deadline:
                raise
            time.sleep(0.005)


def _insert(conn: sqlite3.Connection, entry: HistoryEntry) -> int:
    """Insert ``entry``, or write over its row when it has an id (a claimed send settling).
    An entry made without its identity is keyed from its own fields where they say enough."""
    if entry.identity is None:
        entry.identity = _identity_of(entry)
    row = _row(entry)
    if entry.id is not None:
        # Only over the same upload's record: a row kept pending may come back to a database
        # that was replaced since, where its id names another row.
        sets = ", ".join(f"{k} = :{k}" for k in row)
        sql = f"UPDATE uploads SET {sets} WHERE id = :id AND identity IS :identity"
        if conn.execute(sql, {**row, "id": entry.id}).rowcount:
            return entry.id
    columns = ", ".join(row)
    marks = ", ".join(f":{k}" for k in row)
    cursor = conn.execute(f"INSERT INTO uploads ({columns}) VALUES ({marks})", row)
    return int(cursor.lastrowid or 0)


@contextmanager
def _as_is(conn: sqlite3.Connection) -> Iterator[sqlite3.Connection]:
    yield conn


def _row(entry: HistoryEntry) -> dict[str, Any]:
    row = asdict(entry)
    row.pop("id")
    row["remote_fields"] = json.dumps(entry.remote_fields) if entry.remote_fields else None
    row["warnings"] = json.dumps(entry.warnings)
    return row


def _entry(row: sqlite3.Row | dict[str, Any]) -> HistoryEntry:
    """A row as an entry; stored JSON is read within limits and a bad value never hides the row."""
    known = _ENTRY_FIELDS
    data = {k: v for k, v in dict(row).items() if k in known}  # a newer version's columns are left out
    data["remote_fields"] = _stored_json(data.get("remote_fields"), "remote_fields", dict)
    warnings = _stored_json(data.get("warnings"), "warnings", list)
    data["warnings"] = [str(w) for w in warnings] if warnings is not None else ["(the stored warnings could not be read)"]
    return HistoryEntry(**data)


_ENTRY_FIELDS = frozenset(HistoryEntry.__dataclass_fields__)


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
        if "identity" not in columns:
            conn.execute("ALTER TABLE uploads ADD COLUMN identity TEXT")
            _key_older_rows(conn)
        conn.execute("CREATE INDEX IF NOT EXISTS uploads_by_identity ON uploads (identity)")
        conn.execute(f"PRAGMA user_version = {SCHEMA_VERSION}")
        conn.execute("COMMIT")
    except BaseException:
        roll_back(conn)
        raise


def _identity_of(entry: HistoryEntry) -> str | None:
    """The identity key of a row made without one (an older version's, or a hand-made entry):
    only where it says enough — a file's sha256 (a ``data_url`` was not kept) and an environment
    a region's label names or a later version wrote (a custom host's label names no scheme or
    path: such rows stay unkeyed and match nothing)."""
    from .identity import UploadIdentity

    if not entry.sha256:
        return None
    kind, target = ("candidate", entry.candidate_id) if entry.candidate_id else ("application", entry.application_id)
    return UploadIdentity(
        entry.environment, entry.integration_id, kind, target, f"sha256:{entry.sha256}", entry.file_name, entry.type
    ).key


def _key_older_rows(conn: sqlite3.Connection) -> None:
    """Give rows of versions before 4 their identity (see :func:`_identity_of`)."""
    keyed = [(_identity_of(_entry(row)), row["id"]) for row in conn.execute("SELECT * FROM uploads WHERE sha256 IS NOT NULL")]
    conn.executemany("UPDATE uploads SET identity = ? WHERE id = ?", keyed)


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
