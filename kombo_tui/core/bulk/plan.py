"""Reading a bulk plan: one row per file to put on one application, streamed.

A plan is CSV with a header row, or JSON Lines (``.jsonl`` / ``.ndjson``, one object per line),
with the columns ``integration_id, application_id, file, type, name, content_type,
remote_fields`` (a JSON object) and optionally ``data_url`` instead of ``file``. Rows are read
one at a time, so a plan of 100,000 rows never sits in memory whole. Relative paths resolve
against the plan's folder, and rows carry the resolved path so it is what people see.
"""

from __future__ import annotations

import csv
import hashlib
import io
import json
import os
import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from ..errors import InputError, Problem
from ..files.checks import show_path
from ..jsonload import load_json

__all__ = ["COLUMNS", "PlanRow", "outside", "plan_digest", "plan_format", "read_plan"]

COLUMNS = ("integration_id", "application_id", "file", "data_url", "type", "name", "content_type", "remote_fields")
"""Every column a plan may have; ``file`` or ``data_url`` per row, the rest optional but the ids."""

_CONTROL = re.compile(r"[\x00-\x1f\x7f-\x9f]")
"""Control characters: never in an id, a path, a name or a type of a plan row."""

MAX_LINE_BYTES = 1024 * 1024
"""A JSON Lines row longer than this is refused (remote fields are a few hundred bytes)."""


@dataclass
class PlanRow:
    """One row of a plan, as written (``file`` already resolved against the plan's folder)."""

    number: int
    """1-based row number (data rows; a CSV header is not counted)."""
    integration_id: str | None = None
    application_id: str | None = None
    file: Path | None = None
    data_url: str | None = None
    type: str | None = None
    name: str | None = None
    content_type: str | None = None
    remote_fields: dict[str, Any] | None = None
    problems: list[Problem] = field(default_factory=list)
    """What is wrong with the row as read (bad JSON, unknown columns)."""


def plan_format(path: Path) -> str:
    """``jsonl`` for ``.jsonl`` / ``.ndjson`` / ``.json`` plans, else ``csv``."""
    return "jsonl" if path.suffix.lower() in (".jsonl", ".ndjson", ".json") else "csv"


def plan_digest(path: Path) -> str:
    """The sha256 of the plan's bytes (a job is the plan's content plus its target)."""
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def read_plan(
    path: Path, *, default_integration: str | None = None, allow_outside: bool = False, files_root: Path | None = None
) -> Iterator[PlanRow]:
    """Yield the plan's rows one by one.

    Args:
        path: the plan (CSV with a header, or JSON Lines).
        default_integration: for rows without an ``integration_id``.
        allow_outside: let rows name files outside the plan's folder (an absolute path, a
            ``..`` path, a link out of it); otherwise such a row gets a problem saying so.
        files_root: the folder the files must be in, when not the plan's own (a plan built
            from a folder lives beside the journal and names that folder's files).

    Raises:
        InputError: the plan cannot be read at all (missing, not UTF-8, no header, unknown
            columns). Problems of single rows are put on the rows instead.
    """
    base = path.resolve().parent
    root = files_root.resolve() if files_root is not None else base
    try:
        handle = path.open("r", encoding="utf-8-sig", newline="")
    except OSError as exc:
        raise InputError.single("plan", f"cannot read {path}: {exc.strerror}") from None
    with handle:
        raw_rows = _jsonl_rows(handle) if plan_format(path) == "jsonl" else _csv_rows(handle)
        try:
            for number, raw, problems in raw_rows:
                for key, value in raw.items():
                    if isinstance(value, str) and key != "remote_fields" and _CONTROL.search(value):
                        problems.append(Problem(key, "contains a control character (newline, tab, NUL, ESC, …)"))
                row = _row(number, raw, problems, base, default_integration)
                if row.file is not None and not allow_outside and (why := outside(row.file, root)):
                    row.problems.append(Problem(
                        "file", f"{show_path(row.file)} is outside {show_path(root)} ({why}); "
                        "pass --allow-outside (allow_outside=True) to send it"))
                yield row
        except UnicodeDecodeError as exc:
            raise InputError.single("plan", f"{path} is not UTF-8 text ({exc.reason})") from None
        except csv.Error as exc:  # e.g. a cell over the field limit
            raise InputError.single("plan", f"{path} is not a CSV plan this tool reads ({exc})") from None


def _csv_rows(handle: io.TextIOBase) -> Iterator[tuple[int, dict[str, Any], list[Problem]]]:
    reader = csv.DictReader(handle)
    header = reader.fieldnames
    if not header:
        raise InputError.single("plan", "the CSV plan has no header row")
    names = [h.strip() for h in header]
    twice = sorted({n for n in names if names.count(n) > 1})
    if twice:
        raise InputError.single("plan", f"columns appear twice in the header: {', '.join(twice)}")
    unknown = sorted(set(names) - set(COLUMNS))
    if unknown:
        raise InputError.single("plan", f"unknown columns {unknown}; known: {', '.join(COLUMNS)}")
    if "application_id" not in names or not ({"file", "data_url"} & set(names)):
        raise InputError.single("plan", "the header needs application_id and file (or data_url)")
    reader.fieldnames = names
    for number, record in enumerate(reader, start=1):
        if any(isinstance(v, str) and ("\n" in v or "\r" in v) for v in record.values()):
            # A quote left open swallows the rows after it into one cell: those rows (and this
            # one) would be sent wrong, or not at all. The whole plan stops here.
            raise InputError.single(
                "plan",
                f"row {number} has a cell that runs over several lines (a stray \" left open?): "
                "the rows after it would be read into it; fix the plan",
            )
        problems = []
        if None in record:
            problems.append(Problem("plan", f"row {number} has more cells than the header"))
            record.pop(None, None)
        yield number, {k: v for k, v in record.items() if v not in (None, "")}, problems


def _jsonl_rows(handle: io.TextIOBase) -> Iterator[tuple[int, dict[str, Any], list[Problem]]]:
    number = 0
    for line in handle:
        if not line.strip():
            continue
        number += 1
        try:
            value = load_json(line, field=f"row {number}", max_bytes=MAX_LINE_BYTES)
        except InputError as exc:
            yield number, {}, list(exc.problems)
            continue
        if not isinstance(value, dict):
            yield number, {}, [Problem(f"row {number}", "must be a JSON object")]
            continue
        unknown = sorted(set(value) - set(COLUMNS))
        problems = [Problem(f"row {number}", f"unknown keys {unknown}")] if unknown else []
        yield number, {k: v for k, v in value.items() if v not in (None, "")}, problems


def _row(number: int, raw: dict[str, Any], problems: list[Problem], base: Path, default: str | None) -> PlanRow:
    row = PlanRow(number=number, problems=problems)
    for key in ("integration_id", "application_id", "data_url", "type", "name", "content_type"):
        value = raw.get(key)
        if value is None:
            continue
        if not isinstance(value, str):
            row.problems.append(Problem(key, f"must be text, not {value!r}"))
            continue
        setattr(row, key, value.strip() if key != "name" else value)
    row.integration_id = row.integration_id or default
    file = raw.get("file")
    if isinstance(file, str) and file.strip():
        given = Path(file.strip()).expanduser()
        row.file = given if given.is_absolute() else base / given
    elif file is not None:
        row.problems.append(Problem("file", f"must be a path, not {file!r}"))
    remote = raw.get("remote_fields")
    if isinstance(remote, str):
        try:
            remote = load_json(remote, field="remote_fields")
        except InputError as exc:
            row.problems.extend(exc.problems)
            remote = None
    if remote is not None and not isinstance(remote, dict):
        row.problems.append(Problem("remote_fields", "must be a JSON object"))
        remote = None
    row.remote_fields = remote or None
    return row


def outside(file: Path, folder: Path) -> str | None:
    """How ``file`` lies outside ``folder`` (symlinks resolved), or None when it is inside.

    A plan someone sent can name any readable file (``~/.aws/credentials`` as "Resume.pdf");
    files out of the plan's folder are listed and refused unless the user allows them.
    """
    try:
        real = file.resolve()
    except (OSError, RuntimeError):  # a symlink loop: the file check names it
        return None
    if real == folder or folder in real.parents:
        return None
    spelled = Path(os.path.normpath(file))
    if spelled == folder or folder in spelled.parents:
        return "a link out of the folder"  # inside as written, outside once links are followed
    if ".." in file.parts:
        return "a path with .. in it"
    return "an absolute path elsewhere"


def row_json(row: PlanRow) -> str:
    """The row's fields as compact JSON (what the journal keeps to send it later)."""
    return json.dumps(
        {
            "integration_id": row.integration_id,
            "application_id": row.application_id,
            "file": str(row.file) if row.file else None,
            "data_url": row.data_url,
            "type": row.type,
            "name": row.name,
            "content_type": row.content_type,
            "remote_fields": row.remote_fields,
        },
        ensure_ascii=False,
        separators=(",", ":"),
    )
