"""How a send ended: one vocabulary, and one answer to "did it land?", for the engine, the
history, bulk runs and every door.

An outcome is a plain string (it is stored in the history and written in JSON as is):

- ``sending``: the write-ahead record of a send in flight, or of one whose program stopped;
- ``sent``: Kombo answered 200 — the file is on its target;
- ``unknown``: the whole body left but no answer came (or a 5xx did): it may have landed;
- ``error``: refused, or stopped before the body was whole — nothing was stored;
- ``file_changed``: the file changed while it was read, the send stopped before the end;
- ``verified_present`` / ``verified_absent``: what Verify found after an unknown outcome.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Literal

__all__ = ["LANDED", "UNSETTLED", "Outcome", "Settles", "SendStatus", "landed", "unsettled"]

SendStatus = Literal["sent", "error", "unknown", "file_changed"]
"""How one send call ended (:attr:`~kombo_tui.core.engine.SendOutcome.status`)."""

Outcome = Literal["sending", "sent", "error", "unknown", "file_changed", "verified_present", "verified_absent"]
"""Every outcome a history row can hold."""

LANDED: frozenset[str] = frozenset({"sent", "verified_present"})
"""Outcomes known to have put the file on its target."""

UNSETTLED: frozenset[str] = frozenset({"sending", "unknown"})
"""Outcomes that may or may not have landed: verify before sending again."""


def landed(outcome: str | None) -> bool:
    """The file is known to be on its target."""
    return outcome in LANDED


def unsettled(outcome: str | None) -> bool:
    """Nobody knows yet whether the file landed (verify before sending again)."""
    return outcome in UNSETTLED


class Settles:
    """The two predicates on whatever has an :data:`Outcome` (a history row, a send's result)."""

    if TYPE_CHECKING:

        @property
        def outcome(self) -> str: ...

    @property
    def landed(self) -> bool:
        """The file is known to be on its target."""
        return landed(self.outcome)

    @property
    def unsettled(self) -> bool:
        """It may or may not have landed: verify before sending again."""
        return unsettled(self.outcome)
