"""Serving: loopback only, free ports, clean start/stop, and the ``kombo-tui sandbox`` banner."""

from __future__ import annotations

import io
import logging
import os
import re
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import httpx
import pytest
from sandbox_helpers import headers

import kombo_tui.sandbox
from kombo_tui.sandbox.app import SandboxConfig
from kombo_tui.sandbox.data import INTEGRATIONS, SANDBOX_API_KEY, dataset
from kombo_tui.sandbox.server import SandboxServer, check_loopback, describe, serve_forever


@pytest.mark.parametrize(
    "host", ["0.0.0.0", "::", "10.0.0.1", "192.168.1.20", "example.com", "", "8.8.8.8"]
)
def test_non_loopback_hosts_are_refused(host: str) -> None:
    with pytest.raises(ValueError, match="loopback"):
        SandboxServer(host=host)
    with pytest.raises(ValueError, match="loopback"):
        serve_forever(host=host, port=0, out=io.StringIO())


@pytest.mark.parametrize(
    "host", ["127.0.0.1", "127.0.0.2", "localhost", "LOCALHOST", "demo.localhost", "::1", "[::1]"]
)
def test_loopback_hosts_are_accepted(host: str) -> None:
    check_loopback(host)


def test_a_name_under_localhost_binds_127_0_0_1() -> None:
    # The CLI accepts `--host demo.localhost` (core's loopback rule); the server used to refuse
    # it with a ValueError. It binds 127.0.0.1 itself rather than trusting a resolver.
    with SandboxServer(host="demo.localhost") as server:
        assert re.fullmatch(r"http://127\.0\.0\.1:\d+/v1", server.base_url)
        assert httpx.get(server.base_url + "/check-api-key", headers=headers(None)).status_code == 200


def test_start_stop_and_base_url() -> None:
    server = SandboxServer()
    assert not server.running
    _ = server.base_url  # the first use starts it (a notebook needs no explicit start)
    assert server.running
    server.start()
    try:
        assert re.fullmatch(r"http://127\.0\.0\.1:\d+/v1", server.base_url)
        assert server.port == int(server.base_url.rsplit(":", 1)[1].split("/")[0])
        response = httpx.get(server.base_url + "/check-api-key", headers=headers(None))
        assert response.status_code == 200
        assert server.app.state.sandbox is server.sandbox
        assert server.start() is server  # starting a running server again is harmless
    finally:
        server.stop()
    port = server.port
    with pytest.raises(httpx.TransportError):
        httpx.get(f"http://127.0.0.1:{port}/v1/check-api-key", timeout=2)
    # The port is free again.
    with socket.socket() as probe:
        probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        probe.bind(("127.0.0.1", port))
    server.stop()  # stopping twice is harmless


def test_two_servers_get_two_ports_and_separate_state() -> None:
    with SandboxServer() as one, SandboxServer(SandboxConfig(api_key="sk_other")) as two:
        assert one.base_url != two.base_url
        assert httpx.get(one.base_url + "/check-api-key", headers=headers(None)).status_code == 200
        assert httpx.get(two.base_url + "/check-api-key", headers=headers(None)).status_code == 401
        other = {"Authorization": "Bearer sk_other"}
        assert httpx.get(two.base_url + "/check-api-key", headers=other).status_code == 200


def test_ipv6_loopback() -> None:
    if not socket.has_ipv6:
        pytest.fail("this machine has no IPv6 support")
    try:
        with socket.socket(socket.AF_INET6) as probe:
            probe.bind(("::1", 0))
    except OSError as exc:
        pytest.fail(f"::1 is not usable here: {exc}")
    with SandboxServer(host="::1") as server:
        assert server.base_url.startswith("http://[::1]:")
        assert (
            httpx.get(server.base_url + "/check-api-key", headers=headers(None)).status_code == 200
        )


def test_describe_lists_everything() -> None:
    text = describe(
        "http://127.0.0.1:1234/v1", SandboxConfig(latency=0.5, rate_limit=10, error_rate=0.1)
    )
    assert "http://127.0.0.1:1234/v1" in text
    assert SANDBOX_API_KEY in text
    for integration in INTEGRATIONS:
        assert integration.id in text
        assert integration.demonstrates in text
    assert "4080001" in text  # Greenhouse On-Behalf-Of users
    assert "latency 0.5s" in text and "rate limit 10/60s" in text and "error rate 10%" in text
    assert "Ctrl-C" in text


def test_serve_forever_prints_and_serves_until_interrupted() -> None:
    code = (
        "import sys\n"
        "from kombo_tui.sandbox.server import serve_forever\n"
        "try:\n"
        "    serve_forever('127.0.0.1', 0)\n"
        "except KeyboardInterrupt:\n"
        "    print('STOPPED', flush=True)\n"
    )
    env = {**os.environ, "PYTHONUNBUFFERED": "1"}
    process = subprocess.Popen(
        [sys.executable, "-c", code],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env=env,
    )
    try:
        assert process.stdout is not None
        lines: list[str] = []
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            line = process.stdout.readline()
            if not line:
                break
            lines.append(line)
            if "Ctrl-C" in line:
                break
        banner = "".join(lines)
        match = re.search(r"Base URL\s+(http://127\.0\.0\.1:\d+/v1)", banner)
        assert match, banner
        assert SANDBOX_API_KEY in banner
        for integration in INTEGRATIONS:
            assert integration.id in banner
        base_url = match.group(1)
        for _ in range(50):
            try:
                response = httpx.get(base_url + "/check-api-key", headers=headers(None), timeout=2)
                break
            except httpx.TransportError:
                time.sleep(0.1)
        assert response.status_code == 200
        process.send_signal(signal.SIGINT)
        out, err = process.communicate(timeout=20)
        assert "STOPPED" in out
        assert "Traceback" not in err
    finally:
        if process.poll() is None:
            process.kill()
            process.wait()


def test_sandbox_never_reads_the_shared_folder_nor_imports_textual() -> None:
    package = Path(kombo_tui.sandbox.__file__).parent
    for source in package.glob("*.py"):
        text = source.read_text(encoding="utf-8")
        assert "shared/spec" not in text and "KOMBO-API-FACTS" not in text, source
        assert "import textual" not in text and "from textual" not in text, source
        assert "kombo_tui.tui" not in text, source


def _record(exc: BaseException) -> logging.LogRecord:
    return logging.LogRecord("uvicorn.error", logging.ERROR, __file__, 1, "boom", None, (type(exc), exc, None))


def test_drop_filter_hides_deliberate_drops_and_survives_looping_chains() -> None:
    from kombo_tui.sandbox.app import DroppedConnection
    from kombo_tui.sandbox.server import _DropFilter

    drop_filter = _DropFilter()
    dropped = RuntimeError("wrapped")
    dropped.__cause__ = DroppedConnection()
    assert drop_filter.filter(_record(dropped)) is False
    # Exception chains can loop (a → b → a); the filter must end, not spin the server thread.
    first, second = ValueError("a"), OSError("b")
    first.__context__, second.__context__ = second, first
    assert drop_filter.filter(_record(first)) is True


def test_a_client_that_hangs_up_mid_body_is_no_server_error() -> None:
    """A cancelled upload: the body stops halfway and the socket closes. Nothing is stored and
    uvicorn logs no 'Exception in ASGI application'."""
    errors: list[logging.LogRecord] = []

    class Keep(logging.Handler):
        def emit(self, record: logging.LogRecord) -> None:
            errors.append(record)

    keep = Keep(logging.ERROR)
    uvicorn_log = logging.getLogger("uvicorn.error")
    try:
        with SandboxServer() as server:
            uvicorn_log.addHandler(keep)  # after start: uvicorn's logging set-up resets handlers
            application = dataset("greenhouse:sandbox-greenhouse").live_applications[0].id
            head = (
                f"POST /v1/ats/applications/{application}/attachments HTTP/1.1\r\nhost: 127.0.0.1\r\n"
                f"authorization: Bearer {SANDBOX_API_KEY}\r\n"
                "x-integration-id: greenhouse:sandbox-greenhouse\r\n"
                "content-type: application/json\r\ncontent-length: 100000\r\n\r\n"
            )
            with socket.create_connection(("127.0.0.1", server.port)) as sock:
                sock.sendall(head.encode() + b'{"attachment": {"name": "cv.pdf", "data": "JVBER')
                time.sleep(0.2)
            time.sleep(0.5)  # the server meets the hang-up
            assert server.sandbox.upload_count() == 0
            # The server still answers afterwards.
            ok = httpx.get(f"{server.base_url}/check-api-key", headers=headers())
            assert ok.status_code == 200
    finally:
        uvicorn_log.removeHandler(keep)
    assert [r.getMessage() for r in errors] == []
