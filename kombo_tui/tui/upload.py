"""Keep the event loop free while a body streams.

``PreparedUpload.aiter_body`` produces each ~1 MiB chunk (read, sha256, base64) on the event
loop, and on loopback the socket accepts many chunks without ever suspending, so the UI froze
for 100+ ms at a time. :func:`cooperative` returns the same upload whose chunks are produced
in a worker thread, one await per chunk. (Reported to core: ideally ``aiter_body`` does this.)
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from dataclasses import fields

from kombo_tui.core.payload import PreparedUpload, ProgressCallback


class CooperativeUpload(PreparedUpload):
    """A :class:`PreparedUpload` whose async body yields to the loop between chunks."""

    async def aiter_body(self, progress: ProgressCallback | None = None) -> AsyncIterator[bytes]:
        chunks = self.iter_body()
        total = self.content_length
        sent = 0
        while True:
            chunk = await asyncio.to_thread(next, chunks, None)
            if chunk is None:
                return
            sent += len(chunk)
            yield chunk
            if progress is not None:
                progress(sent, total)


def cooperative(upload: PreparedUpload) -> PreparedUpload:
    """The same request, streamed without blocking the event loop."""
    if isinstance(upload, CooperativeUpload):
        return upload
    return CooperativeUpload(**{f.name: getattr(upload, f.name) for f in fields(upload)})
