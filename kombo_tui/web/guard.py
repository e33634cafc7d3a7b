"""Who may use the served app: the token, the Host allowlist and the websocket's Origin.

The rules are Jupyter Server's, for a page that can read local files and send them with a
production key:

- **Token.** A random secret in the printed URL (``?token=…``), or the one set in
  ``KOMBO_TUI_SERVE_TOKEN``. The first page that carries it gets it back as a cookie (HttpOnly,
  SameSite=Strict, path ``/``), so the assets and the websocket need nothing in their URLs.
  Compared in constant time.
- **Host.** Only ``127.0.0.1:PORT``, ``localhost:PORT`` and ``[::1]:PORT`` (plus the bound
  loopback address, and the ``--public-url`` host when one is given). A DNS-rebinding page
  reaches the port under its own name, so its requests name a foreign Host and are refused.
- **Origin.** The websocket is opened only from the page's own origin: ``http://`` plus the
  request's allowed loopback Host, or the public URL's origin. A missing Origin is refused too
  (every browser sends one on a websocket).

Pure functions over strings, so the rules read (and test) without a server.
"""

from __future__ import annotations

import hmac
import ipaddress
import re
import secrets
from collections.abc import Mapping
from dataclasses import dataclass
from urllib.parse import urlsplit

from kombo_tui.core.net import is_loopback_host

__all__ = [
    "TOKEN_ENV",
    "TOKEN_PARAM",
    "Guard",
    "PublicUrl",
    "new_token",
    "parse_public_url",
    "resolve_token",
]

TOKEN_ENV = "KOMBO_TUI_SERVE_TOKEN"
"""The environment variable that sets the token instead of a random one."""

TOKEN_PARAM = "token"
"""The query parameter that carries the token (``/?token=…``)."""

_TOKEN_RE = re.compile(r"[A-Za-z0-9._~-]{16,256}", re.ASCII)
_LOOPBACK_NAMES = ("127.0.0.1", "localhost", "[::1]")


def new_token() -> str:
    """A fresh random token (256 bits, URL-safe)."""
    return secrets.token_urlsafe(32)


def resolve_token(environ: Mapping[str, str]) -> str:
    """The token from ``KOMBO_TUI_SERVE_TOKEN`` when set, else a new random one.

    Args:
        environ: The process environment (``os.environ``).

    Raises:
        ValueError: the variable is set but too short or holds characters a URL would need
            to escape.
    """
    value = environ.get(TOKEN_ENV, "").strip()
    if not value:
        return new_token()
    if not _TOKEN_RE.fullmatch(value):
        raise ValueError(f"{TOKEN_ENV} must be 16 to 256 characters from A-Z a-z 0-9 . _ ~ -")
    return value


@dataclass(frozen=True)
class PublicUrl:
    """Where a proxy (a Jupyter server, say) shows the app: one more allowed host and origin."""

    scheme: str
    """``https``, or ``http`` for a loopback host."""
    host: str
    """As a browser writes it in the Host header: lower case, default port left out."""
    path: str
    """The proxy's path prefix, ending with ``/``."""

    @property
    def origin(self) -> str:
        """``scheme://host``, as a browser sends it in the Origin header."""
        return f"{self.scheme}://{self.host}"

    @property
    def url(self) -> str:
        """The page's address through the proxy."""
        return f"{self.origin}{self.path}"


def parse_public_url(url: str) -> PublicUrl:
    """Check a ``--public-url`` value.

    Args:
        url: An https URL (plain http only to a loopback host), no credentials, query or
            fragment, e.g. ``https://hub.example.com/user/ana/proxy/8000/``.

    Raises:
        ValueError: the URL is not usable.
    """
    parts = urlsplit(url.strip())
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise ValueError(f"{url!r} is not an http(s) URL with a host")
    if parts.scheme == "http" and not is_loopback_host(parts.hostname):
        raise ValueError("the public URL must be https (the token would travel in clear)")
    if parts.username or parts.password or parts.query or parts.fragment:
        raise ValueError("the public URL takes no credentials, query or fragment")
    host = parts.hostname.lower()
    if ":" in host:
        host = f"[{host}]"
    try:
        port = parts.port
    except ValueError as exc:
        raise ValueError(f"{url!r} has an invalid port") from exc
    if port is not None and port != {"http": 80, "https": 443}[parts.scheme]:
        host = f"{host}:{port}"
    path = parts.path if parts.path.endswith("/") else parts.path + "/"
    return PublicUrl(parts.scheme, host, path)


@dataclass(frozen=True)
class Guard:
    """The admission rules of one server: its token, port, bound address and public URL."""

    token: str
    port: int
    bind_host: str = "127.0.0.1"
    public: PublicUrl | None = None

    @property
    def cookie_name(self) -> str:
        """Per port: browsers share cookies between the ports of one host."""
        return f"kombo-tui-token-{self.port}"

    @property
    def loopback_hosts(self) -> frozenset[str]:
        """The Host values a loopback client may send."""
        names = set(_LOOPBACK_NAMES)
        try:
            address = ipaddress.ip_address(self.bind_host.strip("[]"))
        except ValueError:
            pass
        else:
            if address.is_loopback:
                names.add(f"[{address}]" if address.version == 6 else str(address))
        hosts = {f"{name}:{self.port}" for name in names}
        if self.port == 80:  # a browser leaves the default port out of the Host header
            hosts |= names
        return frozenset(hosts)

    def host_allowed(self, host: str | None) -> bool:
        """True for an allowed loopback Host, or the public URL's host."""
        if not host:
            return False
        host = host.lower()
        return host in self.loopback_hosts or self.is_public(host)

    def is_public(self, host: str) -> bool:
        """True when the request came through the public URL's host."""
        return self.public is not None and host.lower() == self.public.host

    def token_valid(self, candidate: str | None) -> bool:
        """Constant-time comparison with the token."""
        if not candidate:
            return False
        return hmac.compare_digest(candidate.encode("utf-8", "replace"), self.token.encode("utf-8"))

    def origin_allowed(self, origin: str | None, host: str) -> bool:
        """True when a websocket's Origin is the page's own origin.

        Args:
            origin: The Origin header (None when absent: refused).
            host: The request's Host header, already allowed by :meth:`host_allowed`.
        """
        if not origin:
            return False
        origin = origin.lower()
        host = host.lower()
        if host in self.loopback_hosts and origin == f"http://{host}":
            return True
        return self.public is not None and origin == self.public.origin
