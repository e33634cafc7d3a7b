"""The API's enumerations, as plain Enums: where a file shows up, and Oracle's categories.

They live apart from :mod:`.models` (which re-exports them) because building a request needs
them and nothing else of the wire models: importing them must not import pydantic, so a
send from the command line can put its first byte on the wire sooner.
"""

from __future__ import annotations

from enum import Enum

__all__ = ["AttachmentType", "OracleCategory"]


class AttachmentType(str, Enum):
    """Where the file shows up in the ATS."""

    CV = "CV"
    COVER_LETTER = "COVER_LETTER"
    OTHER = "OTHER"


class OracleCategory(str, Enum):
    """``remote_fields.oracle.override_document_category``."""

    IRC_CANDIDATE_RESUME = "IRC_CANDIDATE_RESUME"
    IRC_CANDIDATE_COVERLETTER = "IRC_CANDIDATE_COVERLETTER"
    MISC = "MISC"
    IRC_INTERNAL = "IRC_INTERNAL"
