"""What was uploaded to the sandbox: metadata only (name, type, MIME, size, sha256), never bytes.

The store is shared between the server thread and tests that inspect it, so it locks.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass, field
from typing import Any

__all__ = ["FILES_BASE_URL", "AttachmentStore", "StoredAttachment"]

FILES_BASE_URL = "https://sandbox.invalid/files/"
"""Attachments are listed with ``data_url = FILES_BASE_URL + id`` (a host that never resolves)."""


@dataclass(frozen=True)
class StoredAttachment:
    """One file as the sandbox's "ATS" keeps it."""

    id: str
    """Kombo id of the attachment."""
    remote_id: str
    integration_id: str
    candidate_id: str
    application_id: str | None
    """The application it sits on; None when it was added to the candidate."""
    file_name: str
    type: str
    """CV | COVER_LETTER | OTHER"""
    content_type: str
    size: int
    sha256: str
    created_at: str
    """ISO date-time (UTC) of the upload."""
    upload_id: int
    """Sequence number of the request that stored it (one request may store several copies)."""
    source: str = "data"
    """``data`` or ``data_url``: how the bytes came."""
    remote_fields: dict[str, Any] = field(default_factory=dict)
    """The remote fields that applied (e.g. the Oracle document category used)."""

    @property
    def data_url(self) -> str:
        return FILES_BASE_URL + self.id

    def to_json(self, *, candidate_view: bool = False) -> dict[str, Any]:
        """As an item of ``GET /ats/applications/{id}/attachments``.

        ``candidate_view`` adds ``application_id`` and ``candidate_id`` as
        ``GET /ats/candidates/{id}/attachments`` has them.
        """
        ids = (
            {"application_id": self.application_id, "candidate_id": self.candidate_id}
            if candidate_view
            else {}
        )
        return {
            "id": self.id,
            **ids,
            "remote_id": self.remote_id,
            "type": self.type,
            "data_url": self.data_url,
            "file_name": self.file_name,
            "content_type": self.content_type,
            "remote_created_at": self.created_at,
            "remote_updated_at": self.created_at,
        }


class AttachmentStore:
    """All stored attachments, in upload order."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._items: list[StoredAttachment] = []
        self._uploads = 0

    def next_upload_id(self) -> int:
        """Reserve the sequence number of a new upload request."""
        with self._lock:
            self._uploads += 1
            return self._uploads

    def add(self, items: list[StoredAttachment]) -> None:
        with self._lock:
            self._items.extend(items)

    def upload_count(self) -> int:
        """Number of upload requests that stored something."""
        with self._lock:
            return len({item.upload_id for item in self._items})

    def all(self) -> list[StoredAttachment]:
        with self._lock:
            return list(self._items)

    def on_application(
        self, integration_id: str, application_id: str, candidate_id: str
    ) -> list[StoredAttachment]:
        """Files visible on an application: its own, plus those added to its candidate."""
        with self._lock:
            return [
                item
                for item in self._items
                if item.integration_id == integration_id
                and (
                    item.application_id == application_id
                    or (item.application_id is None and item.candidate_id == candidate_id)
                )
            ]

    def on_candidate(self, integration_id: str, candidate_id: str) -> list[StoredAttachment]:
        """Files of a candidate, including those on any of their applications."""
        with self._lock:
            return [
                item
                for item in self._items
                if item.integration_id == integration_id and item.candidate_id == candidate_id
            ]

    def clear(self) -> None:
        with self._lock:
            self._items.clear()
            self._uploads = 0
