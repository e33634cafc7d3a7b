"""A bulk plan built from a folder of files named after candidates' emails or application ids.

After a migration, files often come as one folder: ``jane@example.com.pdf``,
``52khNyyy2cvhDsPwMip4mk1K.pdf``. :func:`plan_from_folder` turns such a folder into an
ordinary CSV plan (written beside the journal, so it can be read, kept and rerun), which then
goes through the one plan check and runner like any other plan. Nothing is guessed: a file
whose name matches no application, or more than one, is a problem of that file, and the
run is blocked by it as by an invalid row (unless invalid rows are skipped).

The naming rule, for each regular file directly in the folder:

- ``KEY.ext`` — the file goes onto KEY's application, under its own name;
- ``KEY - Anything.ext`` — the part after the first ``" - "`` is the attachment's name
  (``jane@example.com - CV Jane Doe.pdf`` is sent as ``CV Jane Doe.pdf``).

KEY is an email address (anything with an ``@``; looked up with ``GET /ats/candidates?email=``,
case-insensitively, and it must lead to exactly one application) or an application id
(letters, digits, ``_ - . :``; checked with ``GET /ats/applications?ids=``). Hidden files
(``.name``) and sub-folders are skipped; a name that is not UTF-8 or has control characters,
a symbolic link that leads out of the folder (or nowhere), and anything that is not a
regular file are problems of that entry.
"""

from __future__ import annotations

import asyncio
import csv
import hashlib
import io
import os
import re
import stat
import unicodedata
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

from ..config.file import data_dir
from ..errors import InputError, KomboError
from ..hints import counted
from ..text import clip, one_line

if TYPE_CHECKING:
    from ..client import KomboClient

__all__ = [
    "FolderEntry",
    "FolderPlan",
    "FolderProblem",
    "default_plan_path",
    "parse_name",
    "plan_from_folder",
    "scan_folder",
    "write_folder_plan",
]

SEPARATOR = " - "
"""Between the key and the attachment's name in ``KEY - Name.ext``."""

MAX_EMAIL = 254
"""The longest email address (RFC 5321's path limit)."""

MAX_ID = 128
"""The longest application id taken from a file name."""

LOOKUP_CONCURRENCY = 8
"""Email and id look-ups in flight at once (reads are not under Kombo's action limit)."""

ID_BATCH = 100
"""Application ids checked per ``GET /ats/applications?ids=`` request."""

MAX_PAGES = 4
"""Pages of candidates read for one email (more means the email is anything but unique)."""

SHOWN_IDS = 3
"""Application ids named in an "ambiguous" problem."""

_EMAIL = re.compile(r"[^@\s]{1,64}@[^@\s]+\.[^@\s.]+")
_ID = re.compile(r"[A-Za-z0-9][A-Za-z0-9_.:-]*")


@dataclass(frozen=True)
class FolderEntry:
    """One file of the folder, as its name reads."""

    path: Path
    name: str
    """The name on disk (may hold anything a file system allows: show it with ``one_line``)."""
    kind: str | None = None
    """``email`` or ``application_id`` (None with a problem)."""
    key: str | None = None
    attachment_name: str | None = None
    """The part after ``" - "``, when the name has one (else the file keeps its own name)."""
    problem: str | None = None


@dataclass(frozen=True)
class FolderProblem:
    """A file that is not in the plan, and why."""

    name: str
    """The file's name as on disk (hostile: shown through ``one_line``)."""
    reason: str

    def __str__(self) -> str:
        return f"{clip(one_line(self.name), 120)}: {self.reason}"

    def to_json(self) -> dict[str, str]:
        return {"file": one_line(self.name), "problem": self.reason}


@dataclass
class FolderPlan:
    """What :func:`plan_from_folder` made of a folder."""

    folder: Path
    plan: Path
    """The CSV plan written (only the files that matched one application)."""
    rows: int = 0
    problems: list[FolderProblem] = field(default_factory=list)
    """Files left out of the plan (no match, several, unreadable names, links out)."""
    left_out: Path | None = None
    """A CSV of every file left out and why (beside the plan), when there are any."""
    skipped: int = 0
    """Hidden files and sub-folders (not considered)."""

    def to_json(self) -> dict[str, object]:
        return {
            "folder": str(self.folder),
            "plan": str(self.plan),
            "rows": self.rows,
            "skipped": self.skipped,
            "problems": [p.to_json() for p in self.problems],
            "left_out": str(self.left_out) if self.left_out else None,
        }


def parse_name(name: str) -> tuple[str, str, str | None] | str:
    """Read a file name by the folder rule: ``(kind, key, attachment_name)``, or the problem.

    >>> parse_name("jane@example.com - CV Jane.pdf")
    ('email', 'jane@example.com', 'CV Jane.pdf')
    >>> parse_name("52khNyyy2cvhDsPwMip4mk1K.pdf")
    ('application_id', '52khNyyy2cvhDsPwMip4mk1K', None)
    """
    try:
        name.encode("utf-8")
    except UnicodeEncodeError:
        return "the name is not UTF-8 text: rename the file"
    if any(unicodedata.category(c) in ("Cc", "Cf", "Zl", "Zp") for c in name):
        return "the name has control or invisible formatting characters: rename the file"
    attachment: str | None = None
    if SEPARATOR in name:
        key, attachment = name.split(SEPARATOR, 1)
        attachment = attachment.strip()
        if not attachment or attachment.startswith("."):
            return f"nothing usable after {SEPARATOR.strip()!r} for the attachment's name"
    else:
        key, _ext = os.path.splitext(name)
    key = key.strip()
    if not key:
        return "no email or application id before the extension"
    if "@" in key:
        if len(key) > MAX_EMAIL or not _EMAIL.fullmatch(key):
            return "looks like an email but is not one (name it EMAIL.ext or EMAIL - Name.ext)"
        return ("email", key, attachment)
    if len(key) > MAX_ID or not _ID.fullmatch(key):
        return "neither an email nor an application id (letters, digits, _ - . :)"
    return ("application_id", key, attachment)


def scan_folder(folder: Path) -> Iterator[FolderEntry | None]:
    """Every entry directly in ``folder``, sorted by name; None for one skipped (hidden, sub-folder).

    Raises:
        InputError: ``folder`` is not a readable folder.
    """
    try:
        root = folder.resolve(strict=True)
        names = sorted(os.listdir(root))
    except OSError as exc:
        raise InputError.single("folder", f"cannot read the folder {folder}: {exc.strerror}") from None
    if not root.is_dir():
        raise InputError.single("folder", f"{folder} is not a folder")
    for name in names:
        if name.startswith("."):
            yield None
            continue
        path = root / name
        try:
            st = os.lstat(path)
        except OSError as exc:
            yield FolderEntry(path, name, problem=f"cannot read it ({exc.strerror})")
            continue
        if stat.S_ISLNK(st.st_mode):
            try:
                real = path.resolve(strict=True)
                st = os.stat(real)
            except (OSError, RuntimeError):
                yield FolderEntry(path, name, problem="a symbolic link that leads nowhere")
                continue
            if not real.is_relative_to(root):
                yield FolderEntry(path, name, problem="a symbolic link out of the folder: not followed (copy the file in)")
                continue
        if stat.S_ISDIR(st.st_mode):
            yield None
            continue
        if not stat.S_ISREG(st.st_mode):
            yield FolderEntry(path, name, problem="not a regular file")
            continue
        parsed = parse_name(name)
        if isinstance(parsed, str):
            yield FolderEntry(path, name, problem=parsed)
            continue
        kind, key, attachment = parsed
        yield FolderEntry(path, name, kind, key, attachment)


def default_plan_path(folder: Path, integration_id: str) -> Path:
    """Where the plan of a folder is written: ``bulk-plans/`` in the data dir, beside the journal.

    One file per folder and integration, so building the plan again replaces it (and an
    unchanged folder gives the same plan, hence the same job: a rerun resumes it).
    """
    where = hashlib.sha256(f"{folder.resolve()}\0{integration_id}".encode("utf-8", "surrogateescape")).hexdigest()[:12]
    label = re.sub(r"[^A-Za-z0-9_.-]+", "-", folder.resolve().name)[:40].strip("-.") or "folder"
    return data_dir() / "bulk-plans" / f"{label}-{where}.csv"


def write_folder_plan(path: Path, rows: list[tuple[str, str, Path, str | None, str | None]]) -> None:
    """Write a plan of ``(integration_id, application_id, file, type, name)`` rows (0600, atomically)."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow(("integration_id", "application_id", "file", "type", "name"))
    for integration_id, application_id, file, kind, name in rows:
        writer.writerow((integration_id, application_id, str(file), kind or "", name or ""))
    path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC | getattr(os, "O_NOFOLLOW", 0), 0o600)
    with os.fdopen(fd, "w", encoding="utf-8", newline="") as handle:
        handle.write(buffer.getvalue())
    os.replace(tmp, path)


async def plan_from_folder(
    folder: Path,
    client: KomboClient,
    *,
    integration_id: str,
    plan_path: Path | None = None,
    type: str | None = None,  # noqa: A002 - the plan's column
    on_progress: Callable[[int, int], None] | None = None,
) -> FolderPlan:
    """Match every file of ``folder`` to one application and write the plan.

    Args:
        folder: the files, named ``KEY.ext`` or ``KEY - Name.ext`` (see the module).
        client: reads candidates and applications of ``integration_id``.
        integration_id: where the applications are (every row of the plan gets it).
        plan_path: where to write the plan (default :func:`default_plan_path`).
        type: the attachment type of every row (default: the plan's default, CV).
        on_progress: called with (looked up, to look up) as the look-ups finish.

    Returns:
        The plan written and the files left out of it, each with its reason.

    Raises:
        InputError: the folder cannot be read, or no integration id.
    """
    if not integration_id:
        raise InputError.single("integration_id", "a folder plan needs the integration its applications are in")
    out = FolderPlan(folder=folder, plan=plan_path or default_plan_path(folder, integration_id))
    entries: list[FolderEntry] = []
    for entry in scan_folder(folder):
        if entry is None:
            out.skipped += 1
        elif entry.problem is not None:
            out.problems.append(FolderProblem(entry.name, entry.problem))
        else:
            entries.append(entry)
    emails = sorted({e.key.lower() for e in entries if e.kind == "email" and e.key})
    ids = sorted({e.key for e in entries if e.kind == "application_id" and e.key})
    found: dict[tuple[str, str], str] = {}
    """(kind, key) → the application id, or a problem prefixed with ``!``."""
    todo = len(emails) + len(ids)
    done = [0]
    gate = asyncio.Semaphore(LOOKUP_CONCURRENCY)

    def tick(n: int) -> None:
        done[0] += n
        if on_progress is not None:
            on_progress(done[0], todo)

    async def by_email(email: str) -> None:
        async with gate:
            found[("email", email)] = await _email_application(client, integration_id, email)
        tick(1)

    async def by_ids(batch: list[str]) -> None:
        async with gate:
            known = await _known_applications(client, integration_id, batch)
        for one in batch:
            found[("application_id", one)] = known if isinstance(known, str) else (
                one if one in known else f"!no application {one} in integration {integration_id}")
        tick(len(batch))

    await asyncio.gather(
        *(by_email(e) for e in emails),
        *(by_ids(ids[i : i + ID_BATCH]) for i in range(0, len(ids), ID_BATCH)),
    )
    rows: list[tuple[str, str, Path, str | None, str | None]] = []
    for entry in entries:
        assert entry.kind is not None and entry.key is not None
        verdict = found[(entry.kind, entry.key.lower() if entry.kind == "email" else entry.key)]
        if verdict.startswith("!"):
            out.problems.append(FolderProblem(entry.name, verdict[1:]))
            continue
        rows.append((integration_id, verdict, entry.path, type, entry.attachment_name))
    write_folder_plan(out.plan, rows)
    out.rows = len(rows)
    out.left_out = _write_left_out(out.plan.with_name(out.plan.stem + "-left-out.csv"), out.problems)
    return out


def _write_left_out(path: Path, problems: list[FolderProblem]) -> Path | None:
    """The files left out, as ``file,problem`` CSV (names made inert); None (and no file) when none."""
    if not problems:
        path.unlink(missing_ok=True)
        return None
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow(("file", "problem"))
    for problem in problems:
        writer.writerow((one_line(problem.name), problem.reason))
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC | getattr(os, "O_NOFOLLOW", 0), 0o600)
    with os.fdopen(fd, "w", encoding="utf-8", newline="") as handle:
        handle.write(buffer.getvalue())
    os.replace(tmp, path)
    return path


async def _email_application(client: KomboClient, integration_id: str, email: str) -> str:
    """The one application of the candidates with ``email``, or ``!`` and why not.

    Only candidates that carry exactly this address (letter case aside) count: a server that
    matched loosely (a prefix, a domain, any candidate) must not put a file on someone else.
    """
    applications: list[str] = []
    others = 0
    cursor: str | None = None
    try:
        for _ in range(MAX_PAGES):
            page = await client.list_candidates(integration_id=integration_id, email=email, cursor=cursor, page_size=100)
            for candidate in page.results:
                addresses = {(e.email_address or "").strip().lower() for e in candidate.email_addresses or ()}
                if email.lower() in addresses:
                    applications.extend(a.id for a in candidate.applications)
                else:
                    others += 1
            cursor = page.next
            if not cursor:
                break
    except KomboError as exc:
        return f"!could not look up {email} ({clip(one_line(str(exc)), 200)})"
    unique = sorted(set(applications))
    if not unique:
        loose = f" ({counted(others, 'candidate')} with other addresses came back, left out)" if others else ""
        return f"!no candidate with an application has the email {email}{loose}"
    if len(unique) > 1 or cursor:
        shown = ", ".join(one_line(a)[:40] for a in unique[:SHOWN_IDS]) + (", …" if len(unique) > SHOWN_IDS or cursor else "")
        more = "more than" if cursor else "exactly"
        return (f"!{email} has {more} {len(unique)} applications ({shown}): name the file after the "
                "application id instead")
    return unique[0]


async def _known_applications(client: KomboClient, integration_id: str, ids: list[str]) -> set[str] | str:
    """The ids among ``ids`` that are applications of the integration, or ``!`` and why unknown."""
    known: set[str] = set()
    try:
        async for page in client.iter_applications(integration_id=integration_id, ids=ids, page_size=250):
            known.update(a.id for a in page.results)
    except KomboError as exc:
        return f"!could not look the application up ({clip(one_line(str(exc)), 200)})"
    return known

