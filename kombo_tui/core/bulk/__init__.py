"""Bulk uploads: a plan of many files for many applications, sent once each, crash-safe.

- :mod:`.plan`: reading a plan (CSV or JSON Lines), streamed;
- :mod:`.check`: the whole-plan check before the first byte;
- :mod:`.journal`: where every row stands (SQLite beside the history), for resuming;
- :mod:`.pace`: per-integration concurrency that follows Kombo's headers and 429s;
- :mod:`.runner`: :func:`run_bulk`, which ties them together;
- :mod:`.report`: the per-row report (CSV or JSON).
"""

from __future__ import annotations

from .check import CheckedRow, IntegrationFacts, PlanCheck, check_plan
from .journal import JobRow, Journal, default_journal_path
from .plan import PlanRow, read_plan
from .report import write_report
from .runner import BulkControl, BulkProgress, BulkReport, run_bulk

__all__ = [
    "BulkControl",
    "BulkProgress",
    "BulkReport",
    "CheckedRow",
    "IntegrationFacts",
    "Journal",
    "JobRow",
    "PlanCheck",
    "PlanRow",
    "check_plan",
    "default_journal_path",
    "read_plan",
    "run_bulk",
    "write_report",
]
