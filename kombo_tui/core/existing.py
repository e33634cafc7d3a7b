"""Before sending, what is already there: an application's (or candidate's) current attachments.

A connector engineer about to attach ``Resume.pdf`` wants to know whether a ``Resume.pdf`` is
already on the application. Listing the attachments is a live read from the ATS and counts
against Kombo's concurrency limit for the integration, so it is done only on demand and once
per target: :class:`AttachmentsCache` keeps each answer (the app holds one per session, the
CLI one per command), shares one request between callers asking at the same time, and is told
to forget a target after a send changed it.
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING, Literal

from . import clock

if TYPE_CHECKING:
    from .client import KomboClient
    from .payload import PreparedUpload

__all__ = ["AttachmentsCache", "ExistingAttachment", "ExistingAttachments", "TargetKey"]

TargetKind = Literal["application", "candidate"]

TargetKey = tuple[str, TargetKind, str]
"""``(integration_id, kind, id)``: whose attachments."""


@dataclass(frozen=True)
class ExistingAttachment:
    """One file already on the target, as the ATS lists it."""

    id: str
    name: str
    """Its file name (empty when the ATS gives none)."""
    type: str | None
    """CV, COVER_LETTER or OTHER."""
    content_type: str | None
    created: str | None
    """When the ATS says it was created (ISO 8601 as given; None when unknown)."""


@dataclass(frozen=True)
class ExistingAttachments:
    """A target's attachments at one moment."""

    key: TargetKey
    items: tuple[ExistingAttachment, ...]
    fetched_at: datetime

    def same_named(self, name: str) -> list[ExistingAttachment]:
        """The attachments called exactly ``name`` (as Verify matches a sent file)."""
        return [item for item in self.items if item.name == name]

    def has(self, name: str) -> bool:
        """Whether a file called ``name`` is already there."""
        return bool(self.same_named(name))


def target_key(upload: PreparedUpload) -> TargetKey:
    """Whose attachments an upload would join."""
    kind: TargetKind = "candidate" if upload.candidate_id else "application"
    return (upload.integration_id, kind, upload.target_id)


class AttachmentsCache:
    """Each target's attachments, fetched once on demand (see the module's docstring).

    Use from one event loop. ``fetch`` raises the client's errors
    (:class:`~kombo_tui.core.errors.KomboError`) and caches only answers.
    """

    def __init__(self) -> None:
        self._found: dict[TargetKey, ExistingAttachments] = {}
        self._pending: dict[TargetKey, asyncio.Task[ExistingAttachments]] = {}
        self.fetches = 0
        """Requests made (each counts against the concurrency limit)."""

    def cached(self, key: TargetKey) -> ExistingAttachments | None:
        """What was fetched for ``key``, without asking (None when never fetched)."""
        return self._found.get(key)

    def forget(self, key: TargetKey | None = None) -> None:
        """Drop one target's answer (after a send to it), or every answer."""
        if key is None:
            self._found.clear()
        else:
            self._found.pop(key, None)

    async def for_upload(self, client: KomboClient, upload: PreparedUpload, *, refresh: bool = False) -> ExistingAttachments:
        """The attachments of the upload's application (or candidate)."""
        return await self.fetch(client, target_key(upload), refresh=refresh)

    async def fetch(self, client: KomboClient, key: TargetKey, *, refresh: bool = False) -> ExistingAttachments:
        """The target's attachments: the cached answer, or one request (shared by concurrent callers)."""
        if not refresh and key in self._found:
            return self._found[key]
        task = self._pending.get(key)
        if task is None:
            task = asyncio.ensure_future(self._load(client, key))
            self._pending[key] = task
            task.add_done_callback(lambda _done: self._pending.pop(key, None))
        return await asyncio.shield(task)

    async def _load(self, client: KomboClient, key: TargetKey) -> ExistingAttachments:
        integration_id, kind, target_id = key
        self.fetches += 1
        if kind == "candidate":
            found = await client.get_candidate_attachments(target_id, integration_id=integration_id)
        else:
            found = await client.get_application_attachments(target_id, integration_id=integration_id)
        result = ExistingAttachments(
            key=key,
            items=tuple(
                ExistingAttachment(
                    id=a.id,
                    name=a.file_name or "",
                    type=a.type,
                    content_type=a.content_type,
                    created=a.remote_created_at,
                )
                for a in found
            ),
            fetched_at=clock.utc_now(),
        )
        self._found[key] = result
        return result
