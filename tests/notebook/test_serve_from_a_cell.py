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
