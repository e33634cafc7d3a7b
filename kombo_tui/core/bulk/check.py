"""The whole-plan check that runs before the first byte of a bulk job is sent.

Every row is validated the way a single send validates it (:func:`~..payload.prepare`:
the file, its MIME sniff, type, name, remote fields), and then against the rest of the plan
and the world: duplicates inside the plan, rows the history says were already sent, and each
integration's status and published attachment limits (fetched once per integration). Rows
stream through; what is kept is one small digest per row (for duplicates) and one
fingerprint per distinct file, so a 100,000-row plan that reuses a few files stays small.
Each integration's facts are asked for when its first row is read and awaited when that
row's chunk is settled, and the history is asked about :data:`HISTORY_CHUNK` rows at a time
(:meth:`~..history.History.earlier_sends_many`, one query per chunk rather than one
connection and query per row), so rows come out in small bursts, still in plan order.
"""

from __future__ import annotations

import asyncio
import hashlib
import os
import stat
from collections import OrderedDict
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

from ..connectors import ACTION_ID
from ..draft import Draft
from ..errors import ApiError, FileChangedError, InputError, KomboError, Notice, Problem
from ..files.checks import Fingerprint, check_file, fingerprint
from ..files.sniff import Sniffed, sniff_file
from ..outcome import landed
from ..payload import PreparedUpload, prepare, restriction_warnings
from .plan import PlanRow, read_plan

if TYPE_CHECKING:
    from ..client import KomboClient
    from ..history import History
    from ..models import AttachmentRestrictions

__all__ = ["CheckedRow", "FileMemo", "IntegrationFacts", "PlanCheck", "check_plan", "fetch_facts", "file_state"]

FACTS_AT_ONCE = 4
"""Integrations whose status and limits are read at the same time."""

YIELD_EVERY = 50
"""Rows checked between two turns of the event loop."""

HISTORY_CHUNK = 500
"""Rows checked before the history is asked about all of them at once (then they are yielded)."""

FILE_CACHE_SIZE = 4096
"""Distinct files whose sha256 and sniff are remembered during one check."""

BLOCKING_LIMITS = frozenset({"type_not_accepted", "too_large", "mime_not_accepted"})
"""Restriction notices that Kombo would refuse anyway: in a bulk plan they make a row invalid."""


@dataclass
class IntegrationFacts:
    """What Kombo says about one integration of the plan (fetched once)."""

    integration_id: str
    status: str | None = None
    setup_status: str | None = None
    tool: str | None = None
    action_available: bool | None = None
    restrictions: AttachmentRestrictions | None = None
    problem: str | None = None
    """Why no row of this integration can be sent (inactive, unknown, no permission)."""
    note: str | None = None
    """What could not be checked (the rows stay valid)."""

    def to_json(self) -> dict[str, object]:
        return {
            "integration_id": self.integration_id,
            "tool": self.tool,
            "status": self.status,
            "setup_status": self.setup_status,
            "action_available": self.action_available,
            "restrictions": self.restrictions.model_dump() if self.restrictions is not None else None,
            "problem": self.problem,
            "note": self.note,
        }


async def fetch_facts(client: KomboClient, integration_id: str) -> IntegrationFacts:
    """The integration's status, write action and attachment limits (never raises for Kombo).

    The limits are asked for alongside the status (two round trips at once, not one after
    the other) and set aside when the status says no row can be sent.
    """
    facts = IntegrationFacts(integration_id)
    asking = asyncio.ensure_future(client.get_integration(integration_id))
    limits = asyncio.ensure_future(client.get_attachment_restrictions(integration_id))
    try:
        try:
            details = await asking
        except ApiError as exc:
            if exc.status == 404:
                facts.problem = f"Kombo does not know integration {integration_id} ({exc.label})"
            else:
                facts.note = f"could not read the integration's status: {exc.summary()}"
            return facts
        except KomboError as exc:
            facts.note = f"could not read the integration's status: {exc}"
            return facts
        facts.status, facts.setup_status, facts.tool = details.status, details.setup_status, details.tool.label
        action = details.write_action(ACTION_ID)
        facts.action_available = action.is_available if action is not None else None
        if details.status and details.status != "ACTIVE":
            facts.problem = f"integration {integration_id} is {details.status}"
        elif details.setup_status == "INCOMPLETE":
            facts.problem = f"the setup of integration {integration_id} is incomplete"
        elif facts.action_available is False:
            facts.problem = f"adding attachments is not available on integration {integration_id} (scope config)"
        if facts.problem is None:
            try:
                facts.restrictions = await limits
            except KomboError as exc:
                facts.note = f"published attachment limits unknown ({exc})"
        return facts
    finally:
        for request in (asking, limits):
            if not request.done():
                request.cancel()
        # Retrieved, so a failure nobody waited for is not reported as never retrieved.
        await asyncio.gather(asking, limits, return_exceptions=True)


@dataclass
class CheckedRow:
    """One row after the check."""

    row: PlanRow
    upload: PreparedUpload | None
    problems: list[Problem] = field(default_factory=list)
    warnings: list[Notice] = field(default_factory=list)
    earlier: str | None = None
    """The history's outcome of an earlier send of the same file to the same application."""
    duplicate_of: int | None = None

    @property
    def valid(self) -> bool:
        return not self.problems


@dataclass
class PlanCheck:
    """Counts of a check, and the integrations' facts."""

    rows: int = 0
    invalid: int = 0
    warned: int = 0
    already_sent: int = 0
    bytes: int = 0
    integrations: dict[str, IntegrationFacts] = field(default_factory=dict)

    def to_json(self) -> dict[str, object]:
        return {
            "rows": self.rows,
            "valid": self.rows - self.invalid,
            "invalid": self.invalid,
            "with_warnings": self.warned,
            "already_sent": self.already_sent,
            "bytes": self.bytes,
            "integrations": [f.to_json() for f in self.integrations.values()],
        }


def file_state(path: Path) -> tuple[str, int, int, int, int, int] | None:
    """What tells one state of a file from another without reading it: path, device, inode,
    size, modification and change times. None when it is not a non-empty regular file (the
    full checks, which run then, say why)."""
    try:
        st = os.stat(path)
    except (OSError, ValueError):
        return None
    if not stat.S_ISREG(st.st_mode) or st.st_size == 0:
        return None
    return (os.fspath(path), st.st_dev, st.st_ino, st.st_size, st.st_mtime_ns, st.st_ctime_ns)


class FileMemo:
    """sha256 and sniff per distinct file state (:func:`file_state`), least recently used dropped.

    A file seen before in the same state costs one ``stat``; a new one is checked (readable,
    regular, not empty), hashed and sniffed once.
    """

    def __init__(self) -> None:
        self._seen: OrderedDict[tuple[str, int, int, int, int, int], tuple[Fingerprint | None, Sniffed]] = OrderedDict()

    def _known(self, key: tuple[str, int, int, int, int, int]) -> tuple[Fingerprint | None, Sniffed] | None:
        known = self._seen.get(key)
        if known is not None:
            self._seen.move_to_end(key)
        return known

    def _keep(self, key: tuple[str, int, int, int, int, int], found: tuple[Fingerprint | None, Sniffed]) -> None:
        self._seen[key] = found
        if len(self._seen) > FILE_CACHE_SIZE:
            self._seen.popitem(last=False)

    def get(self, path: Path) -> tuple[Fingerprint | None, Sniffed | None]:
        """The file's fingerprint and sniff; (None, None) when it cannot be read (prepare reports it)."""
        key = file_state(path)
        if key is None:
            return None, None
        known = self._known(key)
        if known is not None and known[0] is not None:
            return known
        try:
            check_file(path)
            found = (fingerprint(path), known[1] if known is not None else sniff_file(path))
        except (InputError, FileChangedError, OSError):
            return None, None
        self._keep(key, found)
        return found

    def sniffed(self, path: Path) -> Sniffed | None:
        """The file's sniff alone (a sender that knows the fingerprint); None when it cannot be read."""
        key = file_state(path)
        if key is None:
            return None
        known = self._known(key)
        if known is not None:
            return known[1]
        try:
            check_file(path)
            found = sniff_file(path)
        except (InputError, FileChangedError, OSError):
            return None
        self._keep(key, (None, found))
        return found


async def check_plan(
    path: Path,
    *,
    facts: Callable[[str], Awaitable[IntegrationFacts]] | None,
    history: History | None,
    environment: str,
    default_integration: str | None = None,
    summary: PlanCheck | None = None,
    allow_outside: bool = False,
    files_root: Path | None = None,
) -> AsyncIterator[CheckedRow]:
    """Check the plan row by row; yields each row's verdict (the counts go to ``summary``).

    Args:
        path: the plan.
        facts: fetches an integration's facts (called once per integration); None skips
            the integration checks (nothing contacted).
        history: the audit log, for rows already sent (None: not consulted).
        environment: the canonical environment (:attr:`Target.history_environment`): earlier sends are looked up by identity there.
        default_integration: for rows without ``integration_id``.
        allow_outside, files_root: which files rows may name (see :func:`.plan.read_plan`).

    Raises:
        InputError: the plan as a whole cannot be read.
    """
    total = summary if summary is not None else PlanCheck()
    memo = FileMemo()
    seen: dict[bytes, int] = {}
    waiting: list[CheckedRow] = []
    fetching: dict[str, asyncio.Future[IntegrationFacts]] = {}
    asking: set[asyncio.Future[IntegrationFacts]] = set()
    """The integrations' facts still on their way."""
    gate = asyncio.Semaphore(FACTS_AT_ONCE)

    async def fetch(integration_id: str) -> IntegrationFacts:
        assert facts is not None
        async with gate:
            return await facts(integration_id)

    try:
        for row in read_plan(
            path, default_integration=default_integration, allow_outside=allow_outside, files_root=files_root
        ):
            checked = _check_row(row, memo, seen)
            waiting.append(checked)
            iid = checked.upload.integration_id if checked.upload is not None else None
            if facts is not None and iid is not None and iid not in fetching:
                # Asked now, awaited when the chunk is settled: the rows after this one are
                # checked while Kombo answers.
                fetching[iid] = asyncio.ensure_future(fetch(iid))
                asking.add(fetching[iid])
                fetching[iid].add_done_callback(asking.discard)
            if asking or row.number % YIELD_EVERY == 0:
                # Let the loop turn: requests go out, answers come in, a UI stays live. While
                # Kombo is asked about an integration, after every row: its request and its
                # answer take several turns, each of which would otherwise wait for 50 rows.
                await asyncio.sleep(0)
            if len(waiting) >= HISTORY_CHUNK:
                async for done in _settled(waiting, fetching, history, environment, total):
                    yield done
                waiting.clear()
        async for done in _settled(waiting, fetching, history, environment, total):
            yield done
    finally:
        for task in fetching.values():
            if not task.done():
                task.cancel()
            elif not task.cancelled():
                task.exception()  # seen (a stop before its chunk was settled is no failure)


async def _settled(
    waiting: list[CheckedRow],
    fetching: dict[str, asyncio.Future[IntegrationFacts]],
    history: History | None,
    environment: str,
    total: PlanCheck,
) -> AsyncIterator[CheckedRow]:
    """The rows with their integration's facts and the history's verdict (asked once for all
    of them), counted."""
    for checked in waiting:
        upload = checked.upload
        if upload is None or upload.integration_id not in fetching:
            continue
        found = total.integrations.get(upload.integration_id)
        if found is None:
            found = total.integrations[upload.integration_id] = await fetching[upload.integration_id]
        if found.problem:
            checked.problems.append(Problem("integration", found.problem))
        for notice in restriction_warnings(upload, found.restrictions):
            if notice.code in BLOCKING_LIMITS:
                checked.problems.append(Problem(notice.field, notice.message))
            else:
                checked.warnings.append(notice)
    valid = [c for c in waiting if c.valid and c.upload is not None]
    if history is not None and valid:
        uploads = [c.upload for c in valid if c.upload is not None]
        for checked, earlier in zip(valid, history.earlier_sends_many(uploads, environment), strict=True):
            if earlier:
                checked.earlier = earlier[0].outcome
    for checked in waiting:
        total.rows += 1
        if not checked.valid:
            total.invalid += 1
        elif checked.warnings:
            total.warned += 1
        if checked.valid and landed(checked.earlier):
            total.already_sent += 1
        if checked.valid and checked.upload is not None and checked.upload.file is not None:
            total.bytes += checked.upload.size
        yield checked


def _check_row(row: PlanRow, memo: FileMemo, seen: dict[bytes, int]) -> CheckedRow:
    """The row on its own and against the plan's earlier rows (the integration's facts and
    the history come when its chunk is settled)."""
    known_fp, known_sniff = memo.get(row.file) if row.file is not None and not row.data_url else (None, None)
    upload: PreparedUpload | None = None
    problems = list(row.problems)
    try:
        upload = prepare(Draft.taken_from(row), known_fingerprint=known_fp, known_sniffed=known_sniff)
    except InputError as exc:
        problems.extend(exc.problems)
    checked = CheckedRow(row, upload, problems, list(upload.warnings) if upload else [])
    if upload is None:
        return checked
    keys = [("name", upload.name)]
    if upload.fingerprint is not None:
        keys.append(("file", upload.fingerprint.sha256))
    for kind, value in keys:
        key = hashlib.blake2b(
            "\0".join((kind, upload.integration_id, upload.application_id, value)).encode("utf-8", "replace"),
            digest_size=16,
        ).digest()
        first = seen.get(key)
        if first is None:
            seen[key] = row.number
        elif checked.duplicate_of is None:
            checked.duplicate_of = first
            what = "name" if kind == "name" else "file content (sha256)"
            checked.problems.append(Problem("row", f"same application and {what} as row {first}: it would be on the application twice"))
    return checked
