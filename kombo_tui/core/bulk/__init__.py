"""Bulk uploads: a plan of many files for many applications, sent once each, crash-safe.

- :mod:`.plan`: reading a plan (CSV or JSON Lines), streamed;
- :mod:`.check`: the whole-plan check before the first byte;
- :mod:`.journal`: where every row stands (SQLite beside the history), for resuming;
- :mod:`.runner`: :func:`run_bulk`, which ties them together (paced per integration by
  :class:`~kombo_tui.core.pace.Pace`, the governor batch sends use too);
- :mod:`.report`: what a run says about itself (:class:`BulkReport`, :class:`BulkProgress`),
  :class:`BulkControl` to stop it, and the per-row report file (CSV or JSON);
- :mod:`.folder`: a plan made from a folder of files.
"""

from __future__ import annotations

from .check import CheckedRow, IntegrationFacts, PlanCheck, check_plan
from .journal import JobRow, Journal, default_journal_path
from .plan import PlanRow, read_plan
from .report import BulkControl, BulkProgress, BulkReport, write_report
from .runner import run_bulk

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
