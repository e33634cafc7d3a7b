"""Where requests may go: Kombo's regions, the loopback rule, base-URL checks, path segments.

One home for these facts, shared by the client, the settings, the CLI, the app and the sandbox.
Nothing here imports pydantic or httpx, so the cheapest front door can use it.

Loopback means ``localhost`` and the names under it (reserved for loopback by RFC 6761; the
app's in-process sandbox is ``sandbox.kombo-tui.localhost``), ``127.0.0.0/8`` and ``::1``.
"""

from __future__ import annotations

import ipaddress
from urllib.parse import quote, urlsplit

from .errors import InputError

__all__ = [
    "REGIONS",
    "check_base_url",
    "encode_path_segment",
    "environment_label",
    "is_loopback_host",
    "safe_link",
]

REGIONS: dict[str, str] = {
    "eu": "https://api.kombo.dev/v1",
    "us": "https://api.us.kombo.dev/v1",
    "ca": "https://api.ca.kombo.dev/v1",
}
"""Kombo's API base URLs per region (EU is the default)."""


def is_loopback_host(host: str | None) -> bool:
    """True for ``localhost`` (and names under it), 127.0.0.0/8 and ``::1``.

    Brackets around an IPv6 address and letter case are ignored.
    """
    if not host:
        return False
    host = host.strip("[]").lower()
    if host == "localhost" or host.endswith(".localhost"):
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def check_base_url(url: str) -> str:
    """Validate a base URL: https anywhere, plain http only to a loopback host.

    Returns:
        The URL without surrounding blanks or a trailing slash.

    Raises:
        InputError: on field ``base_url``.
    """
    parts = urlsplit(url.strip())
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise InputError.single("base_url", f"{url!r} is not an http(s) URL with a host")
    if parts.scheme == "http" and not is_loopback_host(parts.hostname):
        raise InputError.single(
            "base_url",
            f"refusing plain http to {parts.hostname}: the API key would travel in clear; "
            "use https (plain http is allowed only to a loopback host)",
        )
    if parts.username or parts.password:
        raise InputError.single("base_url", "credentials in the URL are not allowed")
    return url.strip().rstrip("/")


def encode_path_segment(value: str) -> str:
    """Percent-encode ``value`` into exactly one path segment.

    ``/ ? # %`` and spaces are encoded; an id made only of dots (``.``, ``..``) is encoded
    too, so it can never climb out of its place in the path.
    """
    encoded = quote(value, safe="")
    if encoded and set(encoded) == {"."}:
        encoded = encoded.replace(".", "%2E")
    return encoded


def environment_label(base_url: str, *, sandbox: bool = False) -> str:
    """The badge shown to the user: SANDBOX, EU, US, CA or the custom host.

    ``base_url`` may also be a canonical environment (:mod:`.identity`): ``sandbox:<instance>``
    is SANDBOX."""
    if sandbox or base_url.startswith("sandbox:"):
        return "SANDBOX"
    for region, url in REGIONS.items():
        if base_url.rstrip("/") == url:
            return region.upper()
    host = urlsplit(base_url).netloc
    return host or base_url


def safe_link(url: str | None) -> str | None:
    """``url`` when it may be opened or copied as a link, else None (show it as inert text).

    Only ``https`` URLs with a host, and ``http`` ones on this machine's loopback (the embedded
    sandbox's log pages), with nothing but printable ASCII qualify: a ``log_url`` from a server
    could otherwise point a browser command at ``file:///etc/passwd``, a ``javascript:`` page
    or an escape sequence.

    >>> safe_link("https://app.kombo.dev/logs/1"), safe_link("file:///etc/passwd")
    ('https://app.kombo.dev/logs/1', None)
    >>> safe_link("http://127.0.0.1:8765/logs/sbx1"), safe_link("http://example.com/logs/1")
    ('http://127.0.0.1:8765/logs/sbx1', None)
    """
    if not url or not all(33 <= ord(ch) <= 126 for ch in url):
        return None
    try:
        parts = urlsplit(url)
    except ValueError:
        return None
    scheme = parts.scheme.lower()
    if not parts.hostname or parts.username or parts.password:
        return None
    if scheme == "https" or (scheme == "http" and is_loopback_host(parts.hostname)):
        return url
    return None
