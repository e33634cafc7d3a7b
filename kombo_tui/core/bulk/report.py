"""The bulk report: one line per row with its outcome, as CSV or JSON (by the file's extension).

Each row says where it went, its outcome (``sent``, ``already_sent``, ``refused``, ``failed``,
``unknown``, ``invalid``, or ``pending`` / ``sending`` when a run was stopped), the attachment
id when a verification saw it, Kombo's warnings, the error code, message and ``log_url``.
Rows are streamed from the journal, so a report of 100,000 rows is written in constant memory.
"""

from __future__ import annotations

import csv
import json
import os
from collections.abc import Iterable
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

    The file is written beside its final name and renamed into place, so a crash never
    leaves half a report under the name.
    """
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    count = 0
    with tmp.open("w", encoding="utf-8", newline="") as handle:
        if path.suffix.lower() == ".json":
            handle.write('{"summary": ' + json.dumps(summary or {}, ensure_ascii=False) + ', "rows": [\n')
            for row in rows:
                handle.write((",\n" if count else "") + json.dumps(row.to_json(), ensure_ascii=False))
                count += 1
            handle.write("\n]}\n")
        else:
            writer = csv.writer(handle)
            writer.writerow(REPORT_COLUMNS)
            for row in rows:
                data = row.to_json()
                data["warnings"] = " | ".join(data["warnings"])
                writer.writerow(["" if data[c] is None else data[c] for c in REPORT_COLUMNS])
                count += 1
    tmp.replace(path)
    return count
