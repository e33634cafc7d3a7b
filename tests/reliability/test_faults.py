"""Fault matrix: every way the network or the server can fail, through the real CLI.

For each: the right message, the right exit code, no crash, and no duplicate upload (the
sandbox's stored attachments are counted). Everything runs on loopback.
"""

from __future__ import annotations

import json
import socket
import threading
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from kombo_tui.cli import ExitCode, main
from kombo_tui.sandbox.app import SandboxConfig
from kombo_tui.sandbox.data import DEFAULT_INTEGRATION_ID, SANDBOX_API_KEY
from kombo_tui.sandbox.server import SandboxServer

PDF = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"


@pytest.fixture
def cv(tmp_path: Path) -> Path:
    path = tmp_path / "Jane_Doe_CV.pdf"
    path.write_bytes(PDF)
    return path


@pytest.fixture
def sandbox_at(monkeypatch: pytest.MonkeyPatch) -> Iterator[Callable[..., SandboxServer]]:
    started: list[SandboxServer] = []

    def start(**config: object) -> SandboxServer:
        server = SandboxServer(SandboxConfig(**config)).start()  # type: ignore[arg-type]
        started.append(server)
        monkeypatch.setenv("KOMBO_API_KEY", SANDBOX_API_KEY)
        monkeypatch.setenv("KOMBO_BASE_URL", server.base_url)
        return server

    yield start
    for server in started:
        server.stop()


def first_application(server: SandboxServer) -> str:
    import httpx

    r = httpx.get(
        f"{server.base_url}/ats/applications",
        params={"page_size": 1},
        headers={"Authorization": f"Bearer {SANDBOX_API_KEY}", "X-Integration-Id": DEFAULT_INTEGRATION_ID},
    )
    return str(r.json()["data"]["results"][0]["id"])


class Scripted:
    """A raw loopback server answering each connection with the next scripted behaviour."""

    def __init__(self, behaviours: list[Callable[[socket.socket], None]]) -> None:
        self.behaviours = behaviours
        self.connections = 0
        self.sock = socket.socket()
        self.sock.bind(("127.0.0.1", 0))
        self.sock.listen(8)
        self.port = self.sock.getsockname()[1]
        self.thread = threading.Thread(target=self._serve, daemon=True)
        self.thread.start()

    def _serve(self) -> None:
        while True:
            try:
                conn, _ = self.sock.accept()
            except OSError:
                return
            behaviour = self.behaviours[min(self.connections, len(self.behaviours) - 1)]
            self.connections += 1
            threading.Thread(target=self._run, args=(behaviour, conn), daemon=True).start()

    @staticmethod
    def _run(behaviour: Callable[[socket.socket], None], conn: socket.socket) -> None:
        with conn:
            try:
                behaviour(conn)
            except OSError:
                pass

    def close(self) -> None:
        self.sock.close()


def read_request(conn: socket.socket) -> bytes:
    data = b""
    while b"\r\n\r\n" not in data:
        chunk = conn.recv(65536)
        if not chunk:
            return data
        data += chunk
    head, _, body = data.partition(b"\r\n\r\n")
    length = next(
        (int(line.split(b":")[1]) for line in head.split(b"\r\n") if line.lower().startswith(b"content-length")), 0
    )
    while len(body) < length:
        chunk = conn.recv(65536)
        if not chunk:
            break
        body += chunk
    return body


def answer(status: str, body: bytes, ctype: str = "application/json", extra: str = "", length: int | None = None) -> Callable[[socket.socket], None]:
    def behaviour(conn: socket.socket) -> None:
        read_request(conn)
        n = len(body) if length is None else length
        # One answer per connection, said so: a client must not reuse a socket this server closes.
        conn.sendall(
            f"HTTP/1.1 {status}\r\ncontent-type: {ctype}\r\ncontent-length: {n}\r\nconnection: close\r\n{extra}\r\n".encode() + body
        )

    return behaviour


@pytest.fixture
def scripted(monkeypatch: pytest.MonkeyPatch) -> Iterator[Callable[..., Scripted]]:
    made: list[Scripted] = []

    def make(*behaviours: Callable[[socket.socket], None], scheme: str = "http") -> Scripted:
        server = Scripted(list(behaviours))
        made.append(server)
        monkeypatch.setenv("KOMBO_API_KEY", "sk_fault_key")
        monkeypatch.setenv("KOMBO_BASE_URL", f"{scheme}://127.0.0.1:{server.port}/v1")
        return server

    yield make
    for server in made:
        server.close()


def send(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    code = main(["send", *argv])
    out, err = capsys.readouterr()
    return code, out, err


SUCCESS = json.dumps({"status": "success", "data": {}, "warnings": []}).encode()
# The scripted servers answer every request the same way: these tests are about the upload,
# so the pre-flight read of the integration's limits is left out (tested in test_cli_debugging).
ARGS = ["--integration", DEFAULT_INTEGRATION_ID, "--application", "APP1", "--skip-limits"]


# --------------------------------------------------------------------------- nothing sent


def test_connection_refused(monkeypatch: pytest.MonkeyPatch, cv: Path, capsys: pytest.CaptureFixture[str]) -> None:
    sock = socket.socket()
    sock.bind(("127.0.0.1", 0))
    port = sock.getsockname()[1]
    sock.close()
    monkeypatch.setenv("KOMBO_API_KEY", "k")
    monkeypatch.setenv("KOMBO_BASE_URL", f"http://127.0.0.1:{port}/v1")
    code, _, err = send(capsys, str(cv), *ARGS)
    assert code == ExitCode.TRANSPORT
    assert "could not connect" in err and "nothing was received" in err


def test_dns_failure(monkeypatch: pytest.MonkeyPatch, cv: Path, capsys: pytest.CaptureFixture[str]) -> None:
    real = socket.getaddrinfo

    def fake(host: object, *args: object, **kw: object) -> object:
        name = host.decode() if isinstance(host, bytes) else host  # asyncio passes IDNA bytes
        if name == "kombo-dns-failure.invalid":
            raise socket.gaierror(socket.EAI_NONAME, "Name or service not known")
        return real(host, *args, **kw)  # type: ignore[arg-type]

    monkeypatch.setattr(socket, "getaddrinfo", fake)
    monkeypatch.setenv("KOMBO_API_KEY", "k")
    monkeypatch.setenv("KOMBO_BASE_URL", "https://kombo-dns-failure.invalid/v1")
    code, _, err = send(capsys, str(cv), *ARGS)
    assert code == ExitCode.TRANSPORT
    assert "DNS lookup failed" in err and "nothing was received" in err


def test_tls_failure(scripted: Callable[..., Scripted], cv: Path, capsys: pytest.CaptureFixture[str]) -> None:
    def not_tls(conn: socket.socket) -> None:
        conn.recv(1024)
        conn.sendall(b"this is not TLS\r\n\r\n")

    scripted(not_tls, scheme="https")
    code, _, err = send(capsys, str(cv), *ARGS)
    assert code == ExitCode.TRANSPORT
    assert "TLS handshake failed" in err and "nothing was received" in err


def test_write_timeout_means_nothing_stored(
    scripted: Callable[..., Scripted], tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    stop = threading.Event()

    def never_reads(conn: socket.socket) -> None:
        stop.wait(10)

    big = tmp_path / "big.pdf"
    big.write_bytes(b"%PDF-1.4\n" + bytes(30 * 1024 * 1024))
    scripted(never_reads)
    monkeypatch.setenv("KOMBO_TIMEOUT", "0.5")
    code, _, err = send(capsys, str(big), *ARGS)
    stop.set()
    assert code == ExitCode.TRANSPORT
    assert "timed out" in err
    assert "the outcome is unknown" not in err  # the body never completed


# --------------------------------------------------------------------------- outcome unknown


def test_read_timeout_is_unknown_and_not_resent(
    sandbox_at: Callable[..., SandboxServer], cv: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    server = sandbox_at()
    app_id = first_application(server)
    server.sandbox.configure(latency=1.5)
    monkeypatch.setenv("KOMBO_UPLOAD_TIMEOUT", "0.4")
    code, _, err = send(capsys, str(cv), "--integration", DEFAULT_INTEGRATION_ID, "--application", app_id)
    assert code == ExitCode.TRANSPORT
    assert "timed out" in err and "outcome is unknown" in err and "--verify" in err
    time.sleep(1.6)  # the server finishes its work
    assert server.sandbox.store.upload_count() <= 1
    # A plain resend is refused: the history knows the outcome is unknown.
    server.sandbox.configure(latency=0)
    code, _, err = send(capsys, str(cv), "--integration", DEFAULT_INTEGRATION_ID, "--application", app_id)
    assert code == ExitCode.BAD_INPUT and "unknown outcome" in err
    assert server.sandbox.store.upload_count() <= 1


def test_stored_then_dropped_is_unknown_and_verify_finds_it(
    sandbox_at: Callable[..., SandboxServer], cv: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    server = sandbox_at()
    app_id = first_application(server)
    server.sandbox.configure(drop_after_store=True)
    code, _, err = send(capsys, str(cv), "--integration", DEFAULT_INTEGRATION_ID, "--application", app_id, "--verify", "--json")
    assert server.sandbox.store.upload_count() == 1
    assert "outcome is unknown" in err
    assert "the file is on the application" in err
    assert code == ExitCode.OK  # verified: it landed, do not send again
    assert "do not send it again" in err


def test_5xx_html_body_is_not_retried(scripted: Callable[..., Scripted], cv: Path, capsys: pytest.CaptureFixture[str]) -> None:
    server = scripted(answer("502 Bad Gateway", b"<html><body><h1>502</h1></body></html>", ctype="text/html"))
    code, out, err = send(capsys, str(cv), *ARGS, "--json")
    assert code == ExitCode.API_ERROR
    assert "non-JSON body (text/html" in err
    assert "Verify the application's attachments" in err
    assert json.loads(out)["status"] == "unknown"
    assert server.connections == 1


@pytest.mark.parametrize(
    ("behaviour", "fragment"),
    [
        (answer("200 OK", b'{"status":"succ', length=200), "connection broke"),
        (answer("200 OK", b"<html>ok</html>", ctype="text/html"), "not Kombo's success envelope"),
    ],
    ids=["truncated", "non-json-200"],
)
def test_broken_success_answers_are_unknown(
    scripted: Callable[..., Scripted], cv: Path, capsys: pytest.CaptureFixture[str], behaviour: Callable[[socket.socket], None], fragment: str
) -> None:
    server = scripted(behaviour)
    code, _, err = send(capsys, str(cv), *ARGS)
    assert code == ExitCode.TRANSPORT
    assert fragment in err and "outcome is unknown" in err
    assert server.connections == 1


# --------------------------------------------------------------------------- retried


@pytest.mark.real_delays  # waits out a real rate-limit window
def test_rate_limit_with_reset_is_retried_once_stored(
    sandbox_at: Callable[..., SandboxServer], cv: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    server = sandbox_at(rate_limit=1, rate_window=1.0)
    app_id = first_application(server)  # uses up the window
    code, _, err = send(capsys, str(cv), "--integration", DEFAULT_INTEGRATION_ID, "--application", app_id)
    assert code == ExitCode.OK, err
    assert "retrying in" in err and "PLATFORM.RATE_LIMIT_EXCEEDED" in err
    assert server.sandbox.store.upload_count() == 1


def test_429_without_headers_uses_backoff(scripted: Callable[..., Scripted], cv: Path, capsys: pytest.CaptureFixture[str]) -> None:
    limited = json.dumps(
        {"status": "error", "error": {"code": "PLATFORM.CONCURRENCY_LIMIT_EXCEEDED", "title": None, "message": "busy", "log_url": None}}
    ).encode()
    server = scripted(answer("429 Too Many Requests", limited), answer("200 OK", SUCCESS))
    code, _, err = send(capsys, str(cv), *ARGS)
    assert code == ExitCode.OK, err
    assert "retrying in 1." in err  # base delay 1 s (+ jitter)
    assert server.connections == 2


def test_latency_is_survived(sandbox_at: Callable[..., SandboxServer], cv: Path, capsys: pytest.CaptureFixture[str]) -> None:
    server = sandbox_at(latency=0.3)
    app_id = first_application(server)
    code, _, _ = send(capsys, str(cv), "--integration", DEFAULT_INTEGRATION_ID, "--application", app_id)
    assert code == ExitCode.OK
    assert server.sandbox.store.upload_count() == 1


def test_sandbox_5xx_share_on_upload_is_unknown_not_retried(
    sandbox_at: Callable[..., SandboxServer], cv: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    server = sandbox_at()
    app_id = first_application(server)
    server.sandbox.configure(error_rate=1.0)
    code, out, err = send(capsys, str(cv), "--integration", DEFAULT_INTEGRATION_ID, "--application", app_id, "--json")
    assert code == ExitCode.API_ERROR
    assert json.loads(out)["status"] == "unknown"
    assert server.sandbox.store.upload_count() == 0


def test_connect_timeout(monkeypatch: pytest.MonkeyPatch, cv: Path, capsys: pytest.CaptureFixture[str]) -> None:
    # A listener that never accepts, with its accept queue already full: new SYNs are dropped.
    sock = socket.socket()
    sock.bind(("127.0.0.1", 0))
    sock.listen(0)
    port = sock.getsockname()[1]
    fillers = []
    for _ in range(4):
        filler = socket.socket()
        filler.setblocking(False)
        filler.connect_ex(("127.0.0.1", port))
        fillers.append(filler)
    time.sleep(0.2)
    monkeypatch.setenv("KOMBO_API_KEY", "k")
    monkeypatch.setenv("KOMBO_BASE_URL", f"http://127.0.0.1:{port}/v1")
    monkeypatch.setenv("KOMBO_TIMEOUT", "0.5")
    try:
        code, _, err = send(capsys, str(cv), *ARGS)
    finally:
        for filler in fillers:
            filler.close()
        sock.close()
    assert code == ExitCode.TRANSPORT
    assert "timed out connecting" in err and "nothing was received" in err


def test_verify_after_an_unknown_outcome_checks_first_then_sends_only_if_absent(
    sandbox_at: Callable[..., SandboxServer], cv: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """Regression: the CLI told the user to resend with --verify, then refused that resend
    unless --force was given too (the library already checked first). Same rule in both."""
    server = sandbox_at()
    app_id = first_application(server)
    target = ("--integration", DEFAULT_INTEGRATION_ID, "--application", app_id)
    server.sandbox.configure(error_rate=1.0)  # a 5xx before any work: unknown, nothing stored
    code, _, err = send(capsys, str(cv), *target)
    assert code == ExitCode.API_ERROR and "--verify" in err
    server.sandbox.configure(error_rate=0.0)
    code, _, err = send(capsys, str(cv), *target, "--verify")
    assert code == ExitCode.OK, err
    assert server.sandbox.store.upload_count() == 1
    # Now it is there: a verifying resend of an unknown outcome says so and sends nothing (exit 0).
    server.sandbox.configure(drop_after_store=True)
    other = cv.with_name("other.pdf")
    other.write_bytes(cv.read_bytes() + b"%more\n")
    code, _, err = send(capsys, str(other), *target)
    assert code == ExitCode.TRANSPORT and "outcome is unknown" in err
    server.sandbox.configure(drop_after_store=False)
    code, _, err = send(capsys, str(other), *target, "--verify")
    assert code == ExitCode.OK and f"is already on application {app_id}" in err and "not sent again" in err, err
    assert "--force sends another copy" in err
    assert server.sandbox.store.upload_count() == 2
