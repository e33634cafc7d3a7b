"""The bulk report: one line per row with its outcome, as CSV or JSON (by the file's extension).

Each row says where it went, its outcome (``sent``, ``already_sent``, ``refused``, ``failed``,
``unknown``, ``invalid``, or ``pending`` / ``sending`` when a run was stopped), the attachment
id when a verification saw it, Kombo's warnings, the error code, message and ``log_url``.
Rows are streamed from the journal, so a report of 100,000 rows is written in constant memory.
"""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import Any

from .journal import JobRow

__all__ = ["REPORT_COLUMNS", "write_report"]

REPORT_COLUMNS = (
    "row", "integration_id", "application_id", "file", "data_url", "name", "outcome",
    "attachment_id", "warnings", "error_code", "message", "log_url",
)


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
