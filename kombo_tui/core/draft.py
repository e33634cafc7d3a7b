"""What the user has chosen so far, before it is checked: the :class:`Draft`.

A plain frozen dataclass (no pydantic: building and sending a request never imports it), the
one place the nine fields of an upload's choices are named. The app's view state
(:class:`~kombo_tui.tui.state.DraftView`) derives from it; :func:`~.payload.prepare` turns a
Draft into a request.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass, fields, replace
from pathlib import Path
from typing import Any

from .errors import InputError

__all__ = ["Draft"]

_TEXT = ("integration_id", "application_id", "candidate_id", "data_url", "name", "type", "content_type")


@dataclass(frozen=True)
class Draft:
    """What the user has chosen so far; immutable (change it with :meth:`updated`).

    Raises:
        InputError: a field of the wrong kind (a number for a name, say); a path given as
            text becomes a :class:`~pathlib.Path`.
    """

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
    """Tool-specific fields, e.g. ``{"greenhouse": {"post_headers": {"On-Behalf-Of": "42"}}}``."""

    def __post_init__(self) -> None:
        for name in _TEXT:
            value = getattr(self, name)
            if value is not None and not isinstance(value, str):
                raise InputError.single(name, f"must be text, not {type(value).__name__}")
        if self.file is not None and not isinstance(self.file, Path):
            if not isinstance(self.file, (str, os.PathLike)):
                raise InputError.single("file", f"must be a path, not {type(self.file).__name__}")
            object.__setattr__(self, "file", Path(self.file))
        if self.remote_fields is not None and not isinstance(self.remote_fields, dict):
            raise InputError.single("remote_fields", f"must be a JSON object, not {type(self.remote_fields).__name__}")

    @staticmethod
    def taken_from(source: Mapping[str, Any] | object, **changes: Any) -> Draft:
        """A Draft of the fields ``source`` has by these names (a mapping's keys or an object's
        attributes, e.g. a bulk plan's row or its journal spec; missing ones are None), then ``changes``.

        Raises:
            InputError: a field of the wrong kind, named.
        """
        if isinstance(source, Mapping):
            found = {f.name: source.get(f.name) for f in fields(Draft)}
        else:
            found = {f.name: getattr(source, f.name, None) for f in fields(Draft)}
        return Draft(**(found | changes))

    def fields(self) -> dict[str, Any]:
        """The nine choices by name (a subclass's own fields left out): ``prepare_fields(**d.fields())``."""
        return {f.name: getattr(self, f.name) for f in fields(Draft)}

    def updated(self, **changes: Any) -> Any:
        """A copy with ``changes`` (of the same class)."""
        return replace(self, **changes)
