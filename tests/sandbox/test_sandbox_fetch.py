"""``attachment.data_url``: downloaded only from what the configuration allows, and no oracle.

The sandbox runs next to services that listen on loopback only. Before ``fetch_allow``, any
loopback URL was fetched and the error echoed what the target answered (``HTTP 404``,
``ConnectError: ...``): a client could map this machine's open ports through the sandbox.
"""

from __future__ import annotations

import functools
import hashlib
import http.server
import socket
import threading
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from sandbox_helpers import assert_error, first_application_id, headers, sandbox_of

from kombo_tui.sandbox.app import SandboxConfig
from kombo_tui.sandbox.data import dataset
from kombo_tui.sandbox.server import SandboxServer


def url_body(url: str, **extra: Any) -> dict[str, Any]:
    return {"attachment": {"name": "cv.pdf", "type": "CV", "data_url": url, **extra}}


def _file_server(routes: dict[str, httpx.Response]) -> httpx.MockTransport:
    def handler(request: httpx.Request) -> httpx.Response:
        if request.url.path == "/slow":
            raise httpx.ReadTimeout("timed out", request=request)
        if request.url.path == "/refused":
            raise httpx.ConnectError("connection refused by SECRET-SERVICE", request=request)
        return routes.get(request.url.path, httpx.Response(404, text="SECRET-BODY not found"))

    return httpx.MockTransport(handler)


async def test_data_url_is_fetched(make_client: Callable[..., httpx.AsyncClient]) -> None:
    content = b"%PDF-1.7\n" + b"y" * 3000
    transport = _file_server(
        {
            "/cv.pdf": httpx.Response(
                200, content=content, headers={"Content-Type": "application/pdf; qs=0.9"}
            ),
            "/big.pdf": httpx.Response(
                200, content=b"z" * 5000, headers={"Content-Type": "application/pdf"}
            ),
            "/untyped": httpx.Response(200, content=b"abc", headers={"Content-Type": "SECRET"}),
            "/teapot": httpx.Response(418, text="SECRET-BODY", headers={"X-Secret": "SECRET"}),
        }
    )
    config = SandboxConfig(
        fetch_transport=transport, fetch_max_bytes=4096, fetch_allow=("https://files.example.com",)
    )
    async with make_client(config) as c:
        application_id = await first_application_id(c)
        path = f"/ats/applications/{application_id}/attachments"

        ok = await c.post(path, json=url_body("https://files.example.com/cv.pdf"))
        assert ok.status_code == 200, ok.text
        [stored] = sandbox_of(c).attachments("greenhouse:sandbox-greenhouse", application_id)
        assert stored.content_type == "application/pdf"  # from the response header
        assert stored.size == len(content) and stored.sha256 == hashlib.sha256(content).hexdigest()
        assert stored.source == "data_url"

        given = await c.post(
            path,
            json=url_body("https://files.example.com/cv.pdf", content_type="application/msword"),
        )
        assert given.status_code == 200
        attachments = sandbox_of(c).attachments("greenhouse:sandbox-greenhouse", application_id)
        assert attachments[-1].content_type == "application/msword"

        # Failures of an allowed download: fixed words, nothing the file server said.
        for url, words in (
            ("https://files.example.com/missing.pdf", "did not answer 200 OK"),
            ("https://files.example.com/teapot", "did not answer 200 OK"),
            ("https://files.example.com/big.pdf", "larger than 4,096 bytes"),
            ("https://files.example.com/slow", "timed out"),
            ("https://files.example.com/refused", "could not be reached"),
            ("https://files.example.com/untyped", "attachment.content_type"),
        ):
            response = await c.post(path, json=url_body(url))
            error = assert_error(response, 400, "REMOTE.INPUT_INVALID", in_message=words)
            assert (
                "attachment.data_url" in error["message"]
                or "attachment.content_type" in error["message"]
            )
            assert "SECRET" not in response.text, url
            for status in ("404", "418"):
                assert status not in error["message"], url
        assert sandbox_of(c).upload_count() == 2


# Every one of these reaches this machine (or could, through a resolver's shorthand).
THIS_MACHINE = (
    "http://127.0.0.1:9/cv.pdf",
    "http://127.0.0.1:8000/cv.pdf",
    "http://localhost/cv.pdf",
    "http://LOCALHOST./cv.pdf",
    "http://[::1]:8000/cv.pdf",
    "http://files.localhost/cv.pdf",
    "http://127.1:8000/cv.pdf",
    "http://0x7f.1/cv.pdf",
    "http://2130706433/cv.pdf",
    "http://0.0.0.0:8000/cv.pdf",
    "http://[::ffff:127.0.0.1]/cv.pdf",
    "http://169.254.169.254/latest/meta-data",
    "http://10.0.0.1/cv.pdf",
)


async def test_nothing_is_fetched_unless_configured(
    make_client: Callable[..., httpx.AsyncClient],
) -> None:
    fetched: list[str] = []

    def handler(request: httpx.Request) -> httpx.Response:
        fetched.append(str(request.url))
        return httpx.Response(200, content=b"%PDF-1.7", headers={"Content-Type": "application/pdf"})

    async with make_client(SandboxConfig(fetch_transport=httpx.MockTransport(handler))) as c:
        application_id = await first_application_id(c)
        path = f"/ats/applications/{application_id}/attachments"
        for url in (*THIS_MACHINE, "https://files.example.com/cv.pdf"):
            refused = await c.post(path, json=url_body(url))
            error = assert_error(refused, 400, "PLATFORM.INPUT_INVALID", in_message="fetch_allow")
            assert error["message"].startswith("attachment.data_url: "), url
        assert fetched == []
        assert sandbox_of(c).upload_count() == 0


async def test_only_allowed_urls_are_fetched(
    make_client: Callable[..., httpx.AsyncClient],
) -> None:
    fetched: list[str] = []

    def handler(request: httpx.Request) -> httpx.Response:
        fetched.append(str(request.url))
        if request.url.path.startswith("/hop"):
            target = request.url.path.removeprefix("/hop")
            return httpx.Response(302, headers={"Location": f"http://127.0.0.1:{target}"})
        return httpx.Response(200, content=b"%PDF-1.7", headers={"Content-Type": "application/pdf"})

    config = SandboxConfig(
        fetch_transport=httpx.MockTransport(handler),
        fetch_allow=("http://127.0.0.1:8000", "http://127.0.0.1:8001/files/", "http://[::1]:8002/cv.pdf"),
    )
    async with make_client(config) as c:
        application_id = await first_application_id(c)
        path = f"/ats/applications/{application_id}/attachments"
        allowed = (
            "http://127.0.0.1:8000/anything.pdf",
            "http://127.0.0.1:8000",
            "http://127.0.0.1:8001/files/cv.pdf",
            "http://[::1]:8002/cv.pdf",
            "http://[::1]:8002/cv.pdf/again",
            "http://127.0.0.1:8000/hop8001/files/cv.pdf",  # a redirect to an allowed URL
        )
        for url in allowed:
            response = await c.post(path, json=url_body(url))
            assert response.status_code == 200, (url, response.text)
        fetched_before = len(fetched)
        refused = (
            "http://127.0.0.1:8003/cv.pdf",  # another port
            "https://127.0.0.1:8000/cv.pdf",  # another scheme
            "http://127.0.0.1:80001/cv.pdf",  # a string prefix of the allowed origin
            "http://127.0.0.1:8000@files.example.com/cv.pdf",  # user info, host elsewhere
            "http://127.1:8000/cv.pdf",  # the same address, spelled otherwise
            "http://localhost:8000/cv.pdf",
            "http://127.0.0.1:8001/filesystem/cv.pdf",  # not below /files/
            "http://127.0.0.1:8001/files/%2e%2e/secret",  # climbs out of /files/
            "http://127.0.0.1:8001/files/..%5csecret",
            "http://127.0.0.1:8001/cv.pdf",
            "http://[::1]:8002/cv.pdfx",
        )
        for url in refused:
            response = await c.post(path, json=url_body(url))
            assert_error(response, 400, "PLATFORM.INPUT_INVALID", in_message="attachment.data_url")
        assert len(fetched) == fetched_before, fetched[fetched_before:]
        # A redirect to a URL outside the list is stopped before it is requested.
        redirected = await c.post(path, json=url_body("http://127.0.0.1:8000/hop9/x"))
        error = assert_error(redirected, 400, "PLATFORM.INPUT_INVALID", in_message="redirects")
        assert "9" not in error["message"].split("fetch_allow")[0].replace("attachment.data_url", "")
        assert fetched[-1] == "http://127.0.0.1:8000/hop9/x"
        assert sandbox_of(c).upload_count() == len(allowed)


async def test_fetch_remote_reaches_the_network_but_not_this_machine(
    make_client: Callable[..., httpx.AsyncClient],
) -> None:
    fetched: list[str] = []

    def handler(request: httpx.Request) -> httpx.Response:
        fetched.append(str(request.url))
        if request.url.path == "/hop":
            return httpx.Response(302, headers={"Location": "http://127.0.0.1:22/"})
        return httpx.Response(200, content=b"%PDF-1.7", headers={"Content-Type": "application/pdf"})

    config = SandboxConfig(fetch_transport=httpx.MockTransport(handler), fetch_remote=True)
    async with make_client(config) as c:
        application_id = await first_application_id(c)
        path = f"/ats/applications/{application_id}/attachments"
        ok = await c.post(path, json=url_body("https://files.example.com/cv.pdf"))
        assert ok.status_code == 200, ok.text
        for url in (*THIS_MACHINE, "https://files.example.com/hop"):
            response = await c.post(path, json=url_body(url))
            assert_error(response, 400, "PLATFORM.INPUT_INVALID", in_message="attachment.data_url")
        assert fetched == ["https://files.example.com/cv.pdf", "https://files.example.com/hop"]


@pytest.mark.parametrize(
    "entry",
    [
        "127.0.0.1:8000",
        "ftp://127.0.0.1/",
        "http://",
        "http://user:pw@127.0.0.1/",
        "http://127.0.0.1/?x=1",
        "http://127.0.0.1/files/../",
        7,
    ],
)
def test_fetch_allow_entries_are_checked(entry: Any) -> None:
    with pytest.raises(ValueError, match="fetch_allow"):
        SandboxConfig(fetch_allow=(entry,))


def test_fetch_allow_is_not_one_string() -> None:
    with pytest.raises(ValueError, match="not one string"):
        SandboxConfig(fetch_allow="http://127.0.0.1:8000")  # type: ignore[arg-type]
    assert SandboxConfig(fetch_allow=["http://127.0.0.1:8000"]).fetch_allow == (  # type: ignore[arg-type]
        "http://127.0.0.1:8000",
    )


# --------------------------------------------------------------------------- real sockets


@pytest.fixture
def file_server(tmp_path: Path) -> Iterator[tuple[int, bytes]]:
    """A static file server on a loopback port serving ``cv.pdf``: (port, content)."""
    content = b"%PDF-1.7\n" + bytes(range(256)) * 100
    (tmp_path / "cv.pdf").write_bytes(content)

    class Quiet(http.server.SimpleHTTPRequestHandler):
        def log_message(self, format: str, *args: Any) -> None:  # noqa: A002 - the stdlib signature
            pass

    files = http.server.ThreadingHTTPServer(
        ("127.0.0.1", 0), functools.partial(Quiet, directory=str(tmp_path))
    )
    thread = threading.Thread(target=files.serve_forever, daemon=True)
    thread.start()
    try:
        yield files.server_address[1], content
    finally:
        files.shutdown()
        files.server_close()


def test_data_url_from_a_real_loopback_server(file_server: tuple[int, bytes]) -> None:
    port, content = file_server
    url = f"http://127.0.0.1:{port}/cv.pdf"
    config = SandboxConfig(fetch_allow=(f"http://127.0.0.1:{port}/",))
    with SandboxServer(config) as server:
        application_id = dataset("greenhouse:sandbox-greenhouse").live_applications[8].id
        upload = f"{server.base_url}/ats/applications/{application_id}/attachments"
        response = httpx.post(upload, json=url_body(url), headers=headers())
        assert response.status_code == 200, response.text
        [stored] = server.sandbox.attachments("greenhouse:sandbox-greenhouse", application_id)
        assert stored.sha256 == hashlib.sha256(content).hexdigest()
        assert stored.content_type == "application/pdf"  # SimpleHTTPRequestHandler's guess
        missing = httpx.post(upload, json=url_body(url + ".missing"), headers=headers())
        error = assert_error(missing, 400, "REMOTE.INPUT_INVALID", in_message="200 OK")
        assert "404" not in error["message"] and "File not found" not in missing.text


def test_no_port_oracle_on_loopback(file_server: tuple[int, bytes]) -> None:
    """Open, closed and listening-but-silent ports get the same answer, and none is contacted."""
    port, _ = file_server
    listener = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    listener.bind(("127.0.0.1", 0))
    listener.listen(8)
    listener.setblocking(False)
    closed = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    closed.bind(("127.0.0.1", 0))  # bound, not listening: connections are refused
    try:
        with SandboxServer() as server:
            application_id = dataset("greenhouse:sandbox-greenhouse").live_applications[8].id
            upload = f"{server.base_url}/ats/applications/{application_id}/attachments"
            answers = set()
            for target in (port, listener.getsockname()[1], closed.getsockname()[1]):
                response = httpx.post(
                    upload, json=url_body(f"http://127.0.0.1:{target}/cv.pdf"), headers=headers()
                )
                error = assert_error(response, 400, "PLATFORM.INPUT_INVALID")
                answers.add(error["message"])
            assert len(answers) == 1
            with pytest.raises(BlockingIOError):
                listener.accept()  # the sandbox never connected
            assert server.sandbox.upload_count() == 0
    finally:
        listener.close()
        closed.close()
