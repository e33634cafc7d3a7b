"""Downloading ``attachment.data_url``, as Kombo does, without keeping the bytes.

Only the size, the sha256 and the content type are kept. The sandbox downloads only from what
its configuration allows (:mod:`.allowlist`: ``fetch_allow`` entries, and with ``fetch_remote``
any host that is not this machine), checked before the first request and again for every
redirect. A URL that is not allowed is answered with ``PLATFORM.INPUT_INVALID`` without being
contacted.

Failures of an allowed download are reported with fixed messages (no status code, reason,
header or exception text of the file server), so the answer never tells a client more about
the server than "it did not hand over a usable file".
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from typing import TYPE_CHECKING

import httpx

from kombo_tui.core.files.mime import CONTENT_TYPE_RE

from .allowlist import is_allowed
from .errors import ApiFailure

if TYPE_CHECKING:
    from .config import SandboxConfig

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
        config: Timeout, size limit, transport and which URLs may be fetched.

    Raises:
        ApiFailure: ``PLATFORM.INPUT_INVALID`` naming ``attachment.data_url`` when the URL (or
            a redirect) is not allowed; ``REMOTE.INPUT_INVALID`` naming
            ``attachment.data_url`` (or ``attachment.content_type``) when the file cannot be
            used.
    """
    limit = config.fetch_max_bytes
    rules = config.fetch_rules()
    digest = hashlib.sha256()
    size = 0

    def failed(reason: str) -> ApiFailure:
        return ApiFailure(
            400,
            "REMOTE.INPUT_INVALID",
            f"attachment.data_url: could not download the file: {reason}",
        )

    def refused(what: str) -> ApiFailure:
        return ApiFailure(
            400,
            "PLATFORM.INPUT_INVALID",
            f"attachment.data_url: {what} not one the sandbox may download from. The sandbox "
            "fetches only URLs its configuration allows (SandboxConfig.fetch_allow); send the "
            "file as attachment.data instead.",
        )

    try:
        first = httpx.URL(url)
    except httpx.InvalidURL:
        raise refused("the URL is") from None
    if not is_allowed(first, rules, remote=config.fetch_remote):
        raise refused("the URL is")

    async def check_redirect(request: httpx.Request) -> None:
        # Runs for the first request (allowed above) and for every redirect.
        if not is_allowed(request.url, rules, remote=config.fetch_remote):
            raise refused("it redirects to a URL that is")

    try:
        async with httpx.AsyncClient(
            transport=config.fetch_transport,
            timeout=config.fetch_timeout,
            follow_redirects=True,
            max_redirects=5,
            trust_env=False,
            event_hooks={"request": [check_redirect]},
        ) as client:
            async with client.stream("GET", first) as response:
                if response.status_code != 200:
                    raise failed("the file server did not answer 200 OK.")
                declared = response.headers.get("content-length", "")
                if declared.isascii() and declared.isdigit() and int(declared) > limit:
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
    except httpx.TooManyRedirects:
        raise failed("too many redirects.") from None
    except httpx.HTTPError:
        raise failed("the file server could not be reached or broke off the transfer.") from None

    if content_type is None:
        media_type = header.split(";", 1)[0].strip().lower()
        if not media_type or not CONTENT_TYPE_RE.match(media_type):
            raise ApiFailure(
                400,
                "REMOTE.INPUT_INVALID",
                "attachment.content_type: not given, and the data_url response has no "
                "usable Content-Type header. Give attachment.content_type.",
            )
        content_type = media_type
    return FileFacts(size, digest.hexdigest(), content_type, "data_url")
