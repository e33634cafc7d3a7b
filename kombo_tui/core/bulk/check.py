"""The whole-plan check that runs before the first byte of a bulk job is sent.

Every row is validated the way a single send validates it (:func:`~..payload.prepare_fields`:
the file, its MIME sniff, type, name, remote fields), and then against the rest of the plan
and the world: duplicates inside the plan, rows the history says were already sent, and each
integration's status and published attachment limits (fetched once per integration). Rows
stream through; what is kept is one small digest per row (for duplicates) and one
fingerprint per distinct file, so a 100,000-row plan that reuses a few files stays small.
"""

from __future__ import annotations

import hashlib
import os
from collections import OrderedDict
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

from ..connectors import ACTION_ID
from ..errors import ApiError, FileChangedError, InputError, KomboError, Notice, Problem
from ..files import Fingerprint, check_file, fingerprint
from ..payload import PreparedUpload, prepare_fields, restriction_warnings
from ..sniff import Sniffed, sniff_file
from .plan import PlanRow, read_plan

if TYPE_CHECKING:
    from ..client import KomboClient
    from ..history import History
    from ..models import AttachmentRestrictions

__all__ = ["CheckedRow", "IntegrationFacts", "PlanCheck", "check_plan", "fetch_facts"]

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
    """The integration's status, write action and attachment limits (never raises for Kombo)."""
    facts = IntegrationFacts(integration_id)
    try:
        details = await client.get_integration(integration_id)
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
            facts.restrictions = await client.get_attachment_restrictions(integration_id)
        except KomboError as exc:
            facts.note = f"published attachment limits unknown ({exc})"
    return facts


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


class _FileMemo:
    """sha256 and sniff per distinct file (path, size, mtime), least recently used dropped."""

    def __init__(self) -> None:
        self._seen: OrderedDict[tuple[str, int, int], tuple[Fingerprint, Sniffed]] = OrderedDict()

    def get(self, path: Path) -> tuple[Fingerprint | None, Sniffed | None]:
        try:
            st = check_file(path)
        except InputError:
            return None, None  # prepare_fields reports it
        key = (os.fspath(path), st.st_size, st.st_mtime_ns)
        known = self._seen.get(key)
        if known is not None:
            self._seen.move_to_end(key)
            return known
        try:
            found = (fingerprint(path), sniff_file(path))
        except (InputError, FileChangedError, OSError):
            return None, None
        self._seen[key] = found
        if len(self._seen) > FILE_CACHE_SIZE:
            self._seen.popitem(last=False)
        return found


async def check_plan(
    path: Path,
    *,
    facts: Callable[[str], Awaitable[IntegrationFacts]] | None,
    history: History | None,
    environment: str,
    default_integration: str | None = None,
    summary: PlanCheck | None = None,
) -> AsyncIterator[CheckedRow]:
    """Check the plan row by row; yields each row's verdict (the counts go to ``summary``).

    Args:
        path: the plan.
        facts: fetches an integration's facts (called once per integration); None skips
            the integration checks (nothing contacted).
        history: the audit log, for rows already sent (None: not consulted).
        environment: the target's environment label (history rows are kept per environment).
        default_integration: for rows without ``integration_id``.

    Raises:
        InputError: the plan as a whole cannot be read.
    """
    total = summary if summary is not None else PlanCheck()
    memo = _FileMemo()
    seen: dict[bytes, int] = {}
    for row in read_plan(path, default_integration=default_integration):
        checked = await _check_row(row, memo, seen, facts, history, environment, total)
        total.rows += 1
        if not checked.valid:
            total.invalid += 1
        elif checked.warnings:
            total.warned += 1
        if checked.valid and checked.earlier in ("sent", "verified_present"):
            total.already_sent += 1
        if checked.valid and checked.upload is not None and checked.upload.file is not None:
            total.bytes += checked.upload.size
        yield checked


async def _check_row(
    row: PlanRow,
    memo: _FileMemo,
    seen: dict[bytes, int],
    facts: Callable[[str], Awaitable[IntegrationFacts]] | None,
    history: History | None,
    environment: str,
    total: PlanCheck,
) -> CheckedRow:
    known_fp, known_sniff = memo.get(row.file) if row.file is not None and not row.data_url else (None, None)
    upload: PreparedUpload | None = None
    problems = list(row.problems)
    try:
        upload = prepare_fields(
            integration_id=row.integration_id,
            application_id=row.application_id,
            file=row.file,
            data_url=row.data_url,
            name=row.name,
            type=row.type,
            content_type=row.content_type,
            remote_fields=row.remote_fields,
            known_fingerprint=known_fp,
            known_sniffed=known_sniff,
        )
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
    if facts is not None:
        found = total.integrations.get(upload.integration_id)
        if found is None:
            found = total.integrations[upload.integration_id] = await facts(upload.integration_id)
        if found.problem:
            checked.problems.append(Problem("integration", found.problem))
        for notice in restriction_warnings(upload, found.restrictions):
            if notice.code in BLOCKING_LIMITS:
                checked.problems.append(Problem(notice.field, notice.message))
            else:
                checked.warnings.append(notice)
    if history is not None and checked.valid:
        earlier = history.earlier_sends(upload, environment)
        if earlier:
            checked.earlier = earlier[0].outcome
    return checked
