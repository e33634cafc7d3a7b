"""Downloading ``attachment.data_url``, as Kombo does, without keeping the bytes.

Only the size, the sha256 and the content type are kept. By default the sandbox downloads
from loopback hosts only (core's rule, :func:`kombo_tui.core.net.is_loopback_host`, checked for
the first request and for every redirect), so a demo never reaches beyond this machine unless
it was started with ``fetch_remote``.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass

import httpx

from kombo_tui.core.mime import CONTENT_TYPE_RE
from kombo_tui.core.net import is_loopback_host

from .config import SandboxConfig
from .errors import ApiFailure

__all__ = ["FileFacts", "fetch"]


@dataclass(frozen=True)
class FileFacts:
    """What the sandbox keeps of an uploaded file."""

    size: int
    sha256: str
    content_type: str
    source: str
    """``data`` or ``data_url``: how the file arrived."""


async def fetch(url: str, content_type: str | None, config: SandboxConfig) -> FileFacts:
    """Download ``url`` and describe the file.

    Args:
        url: ``attachment.data_url`` (already validated as an http(s) URL).
        content_type: ``attachment.content_type`` if given; otherwise the response's header.
        config: Timeout, size limit, transport and whether non-loopback hosts are allowed.

    Raises:
        ApiFailure: ``REMOTE.INPUT_INVALID`` naming ``attachment.data_url`` (or
            ``attachment.content_type``) when the file cannot be used.
    """
    limit = config.fetch_max_bytes
    digest = hashlib.sha256()
    size = 0

    def failed(reason: str) -> ApiFailure:
        return ApiFailure(
            400,
            "REMOTE.INPUT_INVALID",
            f"attachment.data_url: could not download the file: {reason}",
        )

    async def check_host(request: httpx.Request) -> None:
        # Runs for the first request and for every redirect.
        host = request.url.host
        if not config.fetch_remote and not is_loopback_host(host):
            raise ApiFailure(
                400,
                "REMOTE.INPUT_INVALID",
                f"attachment.data_url: the sandbox only downloads from loopback addresses "
                f"(127.0.0.1, ::1, localhost), not from {host!r}. Serve the file locally, "
                "or start the sandbox with remote fetching allowed (fetch_remote).",
            )

    try:
        async with httpx.AsyncClient(
            transport=config.fetch_transport,
            timeout=config.fetch_timeout,
            follow_redirects=True,
            max_redirects=5,
            trust_env=False,
            event_hooks={"request": [check_host]},
        ) as client:
            async with client.stream("GET", url) as response:
                if response.status_code != 200:
                    raise failed(f"the server answered HTTP {response.status_code}.")
                declared = response.headers.get("content-length", "")
                if declared.isdigit() and int(declared) > limit:
                    raise failed(f"the file is larger than {limit:,} bytes.")
                async for chunk in response.aiter_bytes():
                    size += len(chunk)
                    if size > limit:
                        raise failed(f"the file is larger than {limit:,} bytes.")
                    digest.update(chunk)
                header = response.headers.get("content-type", "")
    except ApiFailure:
        raise
    except httpx.TimeoutException:
        raise failed(f"timed out after {config.fetch_timeout:g} seconds.") from None
    except httpx.HTTPError as exc:
        raise failed(f"{type(exc).__name__}: {exc}".rstrip(": ") + ".") from None

    if content_type is None:
        media_type = header.split(";", 1)[0].strip().lower()
        if not media_type or not CONTENT_TYPE_RE.match(media_type):
            raise ApiFailure(
                400,
                "REMOTE.INPUT_INVALID",
                "attachment.content_type: not given, and the data_url response has no "
                f"usable Content-Type header (got {header or 'none'!r}). Give attachment.content_type.",
            )
        content_type = media_type
    return FileFacts(size, digest.hexdigest(), content_type, "data_url")

