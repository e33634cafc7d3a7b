"""The admission rules of browser mode (token, Host, Origin, public URL), without a server."""

from __future__ import annotations

import pytest

from kombo_tui.web.guard import TOKEN_ENV, Guard, parse_public_url, resolve_token

TOKEN = "t0ken-for-the-guard-tests"


def test_a_random_token_unless_the_environment_sets_one() -> None:
    first, second = resolve_token({}), resolve_token({TOKEN_ENV: "  "})
    assert first != second and len(first) >= 40 and len(second) >= 40
    assert resolve_token({TOKEN_ENV: TOKEN}) == TOKEN


@pytest.mark.parametrize(
    "weak", ["short", "has spaces in it, sixteen+", "ünicode-token-value-x", "a/b?c=d&e=fffffffff"]
)
def test_a_weak_or_unquotable_token_is_refused(weak: str) -> None:
    with pytest.raises(ValueError, match=TOKEN_ENV):
        resolve_token({TOKEN_ENV: weak})


def test_only_loopback_names_with_the_port_are_allowed_hosts() -> None:
    guard = Guard(TOKEN, 8123)
    for host in ("127.0.0.1:8123", "localhost:8123", "LOCALHOST:8123", "[::1]:8123"):
        assert guard.host_allowed(host), host
    for refused in (
        None,
        "",
        "evil.example",
        "evil.example:8123",
        "127.0.0.1",
        "127.0.0.1:80",
        "localhost:8124",
        "127.0.0.1.nip.io:8123",
        "sub.localhost:8123",
        "0.0.0.0:8123",
    ):
        assert not guard.host_allowed(refused), refused


def test_the_bound_loopback_address_is_allowed_too() -> None:
    assert Guard(TOKEN, 9000, "127.0.0.2").host_allowed("127.0.0.2:9000")
    assert Guard(TOKEN, 9000, "::1").host_allowed("[::1]:9000")
    assert not Guard(TOKEN, 9000).host_allowed("127.0.0.2:9000")


def test_the_websocket_origin_must_be_the_pages_own() -> None:
    guard = Guard(TOKEN, 8123)
    assert guard.origin_allowed("http://127.0.0.1:8123", "127.0.0.1:8123")
    assert guard.origin_allowed("http://localhost:8123", "localhost:8123")
    for origin in (
        None,
        "",
        "null",
        "https://evil.example",
        "http://127.0.0.1:8123.evil.example",
        "https://127.0.0.1:8123",
        "http://localhost:8123",
        "http://127.0.0.1:9999",
    ):
        assert not guard.origin_allowed(origin, "127.0.0.1:8123"), origin


def test_a_public_url_adds_exactly_one_host_and_origin() -> None:
    public = parse_public_url("https://Hub.Example.com:443/user/ana/proxy/8123")
    assert (public.host, public.path, public.origin) == (
        "hub.example.com",
        "/user/ana/proxy/8123/",
        "https://hub.example.com",
    )
    guard = Guard(TOKEN, 8123, public=public)
    assert guard.host_allowed("hub.example.com") and guard.is_public("HUB.example.com")
    assert not guard.host_allowed("hub.example.com:8123")
    assert guard.origin_allowed("https://hub.example.com", "hub.example.com")
    assert guard.origin_allowed("https://hub.example.com", "127.0.0.1:8123")  # a proxy that rewrites Host
    assert not guard.origin_allowed("http://hub.example.com", "hub.example.com")
    assert parse_public_url("https://hub.example.com:8443/").host == "hub.example.com:8443"


@pytest.mark.parametrize(
    "url",
    [
        "http://hub.example.com/",
        "ftp://hub.example.com/",
        "https:///nohost",
        "https://u:p@hub.example.com/",
        "https://hub.example.com/?token=x",
        "https://hub.example.com:99999/",
    ],
)
def test_an_unsafe_public_url_is_refused(url: str) -> None:
    with pytest.raises(ValueError):
        parse_public_url(url)


def test_the_token_is_compared_whole_and_the_cookie_is_named_per_port() -> None:
    guard = Guard(TOKEN, 8123)
    assert guard.token_valid(TOKEN)
    for wrong in (None, "", TOKEN[:-1], TOKEN + "x", TOKEN.upper(), "ü" * 30):
        assert not guard.token_valid(wrong), wrong
    assert guard.cookie_name == "kombo-tui-token-8123" != Guard(TOKEN, 8124).cookie_name
