"""What makes two uploads "the same upload": one identity, built in one place, for every door.

An upload is the same as an earlier one when it goes to the same **environment** (Kombo's
region, a custom base URL, or one sandbox instance), through the same **integration**, to the
same **target** (an application, or a candidate through the candidate endpoint), with the same
**content** (the file's sha256, or the canonical ``data_url``), under the same **name** and
**type**. The history keys its "already sent?" and write-ahead records on :attr:`UploadIdentity.key`;
nothing else hashes URLs or plans.

The environment is canonical, so spelling cannot make a second copy: the scheme and host are
lower-case, a default port (80 for http, 443 for https) is dropped, a trailing slash is dropped,
and every loopback alias (``localhost``, names under it, ``127.0.0.0/8``, ``::1``) is one host,
``loopback``. An embedded sandbox is its own environment per process (``sandbox:<instance>``):
a restarted sandbox starts empty, so what an earlier one stored says nothing about it.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from typing import TYPE_CHECKING
from urllib.parse import urlsplit, urlunsplit

from .net import REGIONS, is_loopback_host

if TYPE_CHECKING:
    from .payload import PreparedUpload

__all__ = ["UploadIdentity", "canonical_environment", "canonical_url", "environment_of_label", "upload_identity"]

_DEFAULT_PORTS = {"http": 80, "https": 443}

SANDBOX_PREFIX = "sandbox:"


def canonical_url(url: str, *, keep_query: bool = True) -> str:
    """``url`` with its scheme and host lower-cased, a default port and the fragment dropped,
    and loopback aliases written ``loopback``. The path (and query) keep their case: servers
    may tell them apart.

    >>> canonical_url("HTTP://LocalHost:80/v1/")
    'http://loopback/v1'
    """
    parts = urlsplit(url.strip())
    scheme = parts.scheme.lower()
    host = (parts.hostname or "").lower()
    try:
        port = parts.port
    except ValueError:
        port = None
    if is_loopback_host(host):
        host = "loopback"
    elif ":" in host:
        host = f"[{host}]"
    netloc = host if port is None or port == _DEFAULT_PORTS.get(scheme) else f"{host}:{port}"
    path = parts.path.rstrip("/")
    return urlunsplit((scheme, netloc, path, parts.query if keep_query else "", ""))


def canonical_environment(base_url: str, *, instance: str | None = None) -> str:
    """Where uploads land, as one string however the base URL was spelled.

    Args:
        base_url: the API base URL requests go to.
        instance: the embedded sandbox's instance (each process's sandbox starts empty).
    """
    if instance:
        return SANDBOX_PREFIX + instance
    return canonical_url(base_url, keep_query=False)


def environment_of_label(label: str) -> str:
    """The canonical environment of a label an older version stored (``EU``, ``US``, ``CA``);
    other labels are kept as they are (they name no scheme or path, so they match nothing new)."""
    url = REGIONS.get(label.lower())
    return canonical_environment(url) if url else label


def _canonical(environment: str) -> str:
    """Any spelling of an environment, canonical: a base URL, a region's label, or already canonical."""
    if "://" in environment:
        return canonical_environment(environment)
    return environment_of_label(environment)


@dataclass(frozen=True)
class UploadIdentity:
    """One upload's identity (see the module's docstring). ``environment`` may be spelled any
    way (a base URL, or a region's label as older versions recorded it): :attr:`key` makes it
    canonical."""

    environment: str
    integration_id: str
    target_kind: str
    """``application`` or ``candidate``."""
    target_id: str
    content: str
    """``sha256:<hex>`` of the file, or ``url:<canonical data_url>``."""
    name: str
    type: str

    @property
    def key(self) -> str:
        """A stable digest of every field (what the history indexes)."""
        text = "\x1f".join(
            (_canonical(self.environment), self.integration_id, self.target_kind, self.target_id, self.content, self.name, self.type)
        )
        return hashlib.sha256(text.encode("utf-8", "surrogatepass")).hexdigest()


def upload_identity(upload: PreparedUpload, environment: str) -> UploadIdentity:
    """The identity of ``upload`` sent to ``environment`` (a canonical environment)."""
    if upload.fingerprint is not None:
        content = f"sha256:{upload.fingerprint.sha256}"
    else:
        content = f"url:{canonical_url(upload.data_url or '')}"
    return UploadIdentity(
        environment, upload.integration_id, upload.target_kind, upload.target_id, content, upload.name, upload.type.value
    )
