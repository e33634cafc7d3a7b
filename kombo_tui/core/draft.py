"""What the user has chosen so far, before it is checked: the :class:`Draft`.

A pydantic model (so values from a notebook or a form are coerced and checked for type), kept
apart from :mod:`.payload` so that building and sending a request never imports pydantic;
``from kombo_tui.core.payload import Draft`` still works. :func:`~.payload.prepare` turns a
Draft into a request.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from pydantic import BaseModel, ConfigDict

__all__ = ["Draft"]


class Draft(BaseModel):
    """What the user has chosen so far; immutable (replace with ``model_copy(update=...)``)."""

    model_config = ConfigDict(frozen=True, arbitrary_types_allowed=True)

    integration_id: str | None = None
    application_id: str | None = None
    candidate_id: str | None = None
    """Send through Kombo's candidate endpoint instead (``application_id`` then stays empty);
    Kombo recommends the application endpoint."""
    file: Path | None = None
    """A local file to send as ``data`` (base64)."""
    data_url: str | None = None
    """Or a URL Kombo downloads the file from."""
    name: str | None = None
    """File name shown in the ATS; defaults to the file's name."""
    type: str | None = None
    """CV, COVER_LETTER or OTHER; suggested from the name when empty."""
    content_type: str | None = None
    """MIME type; sniffed from the file when empty."""
    remote_fields: dict[str, Any] | None = None
