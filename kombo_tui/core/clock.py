"""The core's one clock for what it stamps: when a send started, when a history row was written.

Everything that stamps a time asks :func:`utc_now` here (looked up at each call), so a test can
freeze the core's clock and a sandbox's (``SandboxConfig.clock``) at the same instant, and the
judgement "was this attachment created after the send began?" holds on any day.
"""

from __future__ import annotations

from datetime import datetime, timezone

__all__ = ["utc_now"]


def utc_now() -> datetime:
    """Now, in UTC, timezone-aware."""
    return datetime.now(timezone.utc)
