"""``kt.serve()``: the browser-mode app started from a cell (no shell), as a link or an IFrame."""

from __future__ import annotations

import asyncio

import httpx
import pytest

import kombo_tui as kt

pytestmark = pytest.mark.timeout(120)


def test_serve_starts_the_app_server_from_a_cell_and_returns_a_link() -> None:
    with kt.SandboxServer() as sandbox:

        async def cell() -> kt.notebook.AppLink:  # a notebook cell: a loop is running
            return kt.serve(**sandbox.where)

        link = asyncio.run(cell())
        try:
            assert link.running and link.url.startswith("http://127.0.0.1:") and "?token=" in link.url
            page = httpx.get(link.url, timeout=20)
            assert page.status_code == 200 and "<html" in page.text.lower()
            assert httpx.get(link.url.split("?")[0], timeout=20).status_code == 403  # the token is required
            command = " ".join(link._server.command)
            assert f"--base-url {sandbox.where['base_url']}" in command
            assert f"--integration {sandbox.where['integration_id']}" in command
            assert kt.SANDBOX_API_KEY not in command  # the key goes to each app process on a pipe
            shown = link._repr_html_()
            assert f'href="{link.url.replace("&", "&amp;")}"' in shown and "<iframe" not in shown  # no proxy: a link
            assert repr(link) == f"<kombo-tui in the browser (running): {link.url}>"
            assert kt.serve(**sandbox.where) is link  # re-running the cell: the same server
        finally:
            link.stop()
        assert not link.running and "stopped" in repr(link)
        with pytest.raises(httpx.ConnectError):
            httpx.get(link.url, timeout=5)


def test_through_a_proxy_the_app_shows_in_an_iframe_as_wide_as_the_output() -> None:
    link = kt.serve(sandbox=True, public_url="http://127.0.0.1:18888/proxy/18001/", height=500)
    try:
        assert link.proxied_url is not None and link.proxied_url.startswith("http://127.0.0.1:18888/proxy/18001/?token=")
        shown = link._repr_html_()
        assert "<iframe" in shown and "width:100%" in shown and "height:500px" in shown
        assert "width=1000" not in shown and "Click outside the frame" in shown
        assert link._server.command[-1] == "--sandbox"
    finally:
        link.stop()


def test_serve_refuses_a_base_url_that_would_leak_the_key() -> None:
    with pytest.raises(kt.InputError):
        kt.serve(base_url="http://example.com/v1", api_key="sk_x")


def test_with_jupyter_server_proxy_the_proxied_address_is_found_and_admitted(monkeypatch: pytest.MonkeyPatch) -> None:
    """jupyter-server-proxy installed and one Jupyter server running: the cell shows the app
    framed through Jupyter's origin, and the server admits requests that come through it."""
    import importlib.util

    import jupyter_server.serverapp

    real_find_spec = importlib.util.find_spec
    monkeypatch.setattr(importlib.util, "find_spec",
                        lambda name, *a: object() if name == "jupyter_server_proxy" else real_find_spec(name, *a))
    monkeypatch.setattr(jupyter_server.serverapp, "list_running_servers",
                        lambda *a, **k: iter([{"url": "http://127.0.0.1:18888/", "port": 18888}]))
    link = kt.serve(sandbox=True, max_sessions=1)
    try:
        port = link._server.port
        assert link.proxied_url is not None
        assert link.proxied_url.startswith(f"http://127.0.0.1:18888/proxy/{port}/?token=")
        assert f'src="{link.proxied_url.replace("&", "&amp;")}"' in link._repr_html_()
        token = link.url.split("token=")[1]
        # as jupyter-server-proxy forwards it: Jupyter's Host, the proxied path stripped
        proxied = httpx.get(f"http://127.0.0.1:{port}/?token={token}", headers={"Host": "127.0.0.1:18888"}, timeout=20)
        assert proxied.status_code == 200
        stranger = httpx.get(f"http://127.0.0.1:{port}/?token={token}", headers={"Host": "evil.example:18888"}, timeout=20)
        assert stranger.status_code == 403
    finally:
        link.stop()
