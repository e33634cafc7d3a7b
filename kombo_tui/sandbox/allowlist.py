"""Which ``data_url`` targets the sandbox may download from (``SandboxConfig.fetch_allow``).

Kombo downloads ``attachment.data_url`` from the internet. The sandbox runs on a developer's
machine, next to services that listen on loopback only: a fetcher that downloads whatever URL
a client names makes the sandbox a probe of those services (is port N open, what does it
answer). So the sandbox downloads only from URLs a test or a demo configured:

- each entry of ``fetch_allow`` is an http(s) origin (``http://127.0.0.1:8000``: anything it
  serves) or an origin with a path (``http://127.0.0.1:8000/files/``: that folder;
  ``http://127.0.0.1:8000/cv.pdf``: that file and anything below it as a folder);
- ``fetch_remote`` additionally allows every host that is not this machine, for demos that want
  the network. Host names are not resolved beforehand, so a public name that points at this
  machine is still fetched: turn it on only where that is acceptable.

URLs are compared parsed (as httpx will request them), never as strings: scheme, host (lower
case, IDNA), port (the scheme's default when absent) and path on segment boundaries. So
``http://127.0.0.1:8000@evil.example/``, ``http://127.0.0.1:80001/``,
``http://files.example.com.evil.example/`` and ``/files/%2e%2e/secret`` do not pass for an
allowed entry. Every redirect is checked again (:mod:`.fetch`).
"""

from __future__ import annotations

import ipaddress
import socket
from dataclasses import dataclass
from urllib.parse import unquote, urlsplit

import httpx

from kombo_tui.core.net import is_loopback_host

__all__ = ["AllowRule", "is_allowed", "parse_rule"]

_DEFAULT_PORTS = {"http": 80, "https": 443}


@dataclass(frozen=True)
class AllowRule:
    """One parsed ``fetch_allow`` entry."""

    scheme: str
    host: str
    port: int
    path: str
    """``/`` for a whole origin; otherwise the path prefix (a folder when it ends in ``/``)."""

    def admits(self, url: httpx.URL) -> bool:
        """Whether ``url`` is on this rule's origin and below its path."""
        if (url.scheme, url.host, _port_of(url)) != (self.scheme, self.host, self.port):
            return False
        path = url.path or "/"
        if self.path.endswith("/"):
            return path.startswith(self.path)
        return path == self.path or path.startswith(self.path + "/")


def parse_rule(entry: str) -> AllowRule:
    """Parse one ``fetch_allow`` entry.

    Raises:
        ValueError: the entry is not an http(s) URL with a host, or it carries user info, a
            query, a fragment or a ``.``/``..`` segment.
    """
    if not isinstance(entry, str):
        raise ValueError(f"fetch_allow: {entry!r} is not a URL string")
    try:
        url = httpx.URL(entry.strip())
    except httpx.InvalidURL as exc:
        raise ValueError(f"fetch_allow: {entry!r} is not a URL ({exc})") from None
    if url.scheme not in _DEFAULT_PORTS or not url.host:
        raise ValueError(f"fetch_allow: {entry!r} is not an http(s) URL with a host")
    if url.userinfo or url.query or url.fragment:
        raise ValueError(f"fetch_allow: {entry!r} must be an origin or a path, without user info, query or fragment")
    if _has_dot_segment(urlsplit(entry.strip()).path):  # before httpx resolves them away
        raise ValueError(f"fetch_allow: {entry!r} has a '.' or '..' segment")
    return AllowRule(url.scheme, url.host, _port_of(url), url.path or "/")


def is_allowed(url: httpx.URL, rules: tuple[AllowRule, ...], *, remote: bool) -> bool:
    """Whether the sandbox may request ``url``.

    Args:
        url: The URL about to be requested (the first one, or a redirect's target).
        rules: The parsed ``fetch_allow`` entries.
        remote: ``fetch_remote``: also any http(s) host that is not this machine.
    """
    if url.scheme not in _DEFAULT_PORTS or not url.host:
        return False
    if _has_dot_segment(url.path) or "\\" in unquote(url.path):
        return False  # a server may resolve these after our prefix check
    if any(rule.admits(url) for rule in rules):
        return True
    return remote and not _is_this_machine(url.host)


def _port_of(url: httpx.URL) -> int:
    return url.port if url.port is not None else _DEFAULT_PORTS.get(url.scheme, 0)


def _has_dot_segment(path: str) -> bool:
    return any(segment in (".", "..") for segment in unquote(path).split("/"))


def _is_this_machine(host: str) -> bool:
    """Loopback names, and any IP literal that is not a global address (this machine, the LAN,
    link-local metadata services), however it is spelled (``127.1``, ``0x7f.1``, ``::ffff:…``)."""
    name = host.strip("[]").rstrip(".").lower()
    if is_loopback_host(name):
        return True
    try:
        address: ipaddress.IPv4Address | ipaddress.IPv6Address = ipaddress.ip_address(name)
    except ValueError:
        try:
            # The resolver accepts the BSD shorthands (127.1, 0x7f.1, 2130706433) as addresses.
            address = ipaddress.IPv4Address(socket.inet_aton(name))
        except OSError:
            return False
    if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped is not None:
        address = address.ipv4_mapped
    return not address.is_global
