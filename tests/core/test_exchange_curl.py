"""A recorded exchange as curl: the key stays in the shell, hostile values stay single arguments,
and an upload whose base64 was not recorded is never sent with another body."""

from __future__ import annotations

import shutil
import subprocess
from datetime import datetime, timezone
from pathlib import Path

import pytest

from kombo_tui.core.wire.exchanges import Body, Exchange, Timings
from kombo_tui.core.wire.export import exchange_curl
from kombo_tui.core.wire.text import phases, request_line, status_line, wait_status

URL = "https://api.kombo.dev/v1/ats/applications/app%201/attachments"
KEY = "sk_live_must_never_appear"


def exchange(**changes: object) -> Exchange:
    values: dict[str, object] = {
        "id": 7,
        "kind": "http",
        "started": datetime(2025, 3, 3, 9, 0, tzinfo=timezone.utc),
        "method": "POST",
        "url": URL,
        "request_headers": [
            ("Host", "api.kombo.dev"),
            ("Authorization", "Bearer ••••"),
            ("X-Integration-Id", "greenhouse:abc"),
            ("Content-Type", "application/json"),
            ("Content-Length", "1234"),
            ("Accept-Encoding", "gzip"),
        ],
        "status": 201,
        "complete": True,
    }
    values.update(changes)
    return Exchange(**values)  # type: ignore[arg-type]


def run_in_shell(command: str, cwd: Path) -> list[str]:
    """Run the command in sh with ``curl`` replaced by a function printing its arguments."""
    sh = shutil.which("sh")
    assert sh is not None
    script = "curl() { for a in \"$@\"; do printf '%s\\0' \"$a\"; done; }\n" + command + "\n"
    done = subprocess.run(
        [sh, "-c", script], cwd=cwd, capture_output=True, env={"KOMBO_API_KEY": KEY, "PATH": "/usr/bin:/bin"}, timeout=10
    )
    return done.stdout.decode().split("\0")[:-1]


def test_a_json_body_goes_inline_and_the_key_comes_from_the_environment(tmp_path: Path) -> None:
    body = '{"name":"@/etc/passwd","note":"it\'s $(rm -rf ~) `x`"}'
    found = exchange_curl(exchange(request_body=Body(size=len(body), mime="application/json", text=body)))
    assert found.exact and found.note is None and found.body_file is None
    assert KEY not in found.command and "$KOMBO_API_KEY" in found.command
    argv = run_in_shell(found.command, tmp_path)
    assert argv[:5] == ["--fail-with-body", "-sS", "-X", "POST", URL]
    assert f"Authorization: Bearer {KEY}" in argv  # expanded by the shell that runs it
    assert "X-Integration-Id: greenhouse:abc" in argv
    assert not any(a.lower().startswith(("host:", "content-length:", "accept-encoding:")) for a in argv)
    # --data-raw: a body starting with @ is not a file name; nothing in it is expanded.
    assert argv[-2:] == ["--data-raw", body]


def test_hostile_header_and_path_values_stay_single_arguments(tmp_path: Path) -> None:
    url = "https://api.kombo.dev/v1/x';touch pwned;'/$(id)?q=`id`&a=b c"
    headers = [
        ("X-Integration-Id", "a' ; touch pwned ; echo '"),
        ("X-Quote", '"$KOMBO_API_KEY" $(id)'),
        ("X-Escape", "evil\x1b]52;c;cGF3bmVk\x07"),
        ("X-Newline", "a\r\nInjected: yes"),
        ("Cookie", "••••"),
    ]
    found = exchange_curl(exchange(method="GET", url=url, request_headers=headers))
    argv = run_in_shell(found.command, tmp_path)
    assert not (tmp_path / "pwned").exists()
    assert argv[4] == url
    assert "X-Integration-Id: a' ; touch pwned ; echo '" in argv
    assert 'X-Quote: "$KOMBO_API_KEY" $(id)' in argv  # single-quoted: not expanded
    assert KEY not in "".join(argv)
    # Control characters never reach the command (nor the clipboard): those headers are left out, said so.
    assert "\x1b" not in found.command and "\r" not in found.command
    assert not any(a.startswith(("X-Escape", "X-Newline", "Cookie")) for a in argv)
    assert not found.exact and found.note is not None
    assert "'X-Escape' left out" in found.note and "'Cookie' left out" in found.note
    assert found.command.startswith("# header 'X-Escape' left out")


def test_a_request_line_with_control_characters_is_refused() -> None:
    with pytest.raises(ValueError):
        exchange_curl(exchange(url="https://x/\x1b[2J"))
    with pytest.raises(ValueError):
        exchange_curl(exchange(method="GET;id"))
    with pytest.raises(ValueError):
        exchange_curl(exchange(kind="wait"))


def _elided_upload() -> Exchange:
    text = '{"attachment":{"name":"cv.pdf","data":"<base64 of 1,000 bytes (1,336 chars), sha256 ab12>"}}'
    note = "data elided: base64 of 1,000 bytes (1,336 chars), sha256 ab12"
    return exchange(request_body=Body(size=1500, mime="application/json", text=text, note=note, elided=True))


def test_an_elided_upload_never_sends_the_recorded_json(tmp_path: Path) -> None:
    found = exchange_curl(_elided_upload(), missing_body="kombo-upload.json")
    assert not found.exact and found.body_file == "kombo-upload.json"
    assert found.note is not None and "base64 was not recorded" in found.note and "F7 Export curl" in found.note
    assert "<base64 of" not in found.command.split("\n")[-1]  # the elided JSON is only in the comment
    assert "--data-raw" not in found.command
    # Without the body file, nothing is sent at all (curl would send an empty body instead).
    assert run_in_shell(found.command, tmp_path) == []
    (tmp_path / "kombo-upload.json").write_text('{"attachment": {}}')
    argv = run_in_shell(found.command, tmp_path)
    assert argv[-2:] == ["--data-binary", "@kombo-upload.json"]


def test_an_upload_whose_exact_body_was_written_is_exact(tmp_path: Path) -> None:
    found = exchange_curl(_elided_upload(), body_file="kombo-exchange-7.json")
    assert found.exact and found.note is None and found.body_file == "kombo-exchange-7.json"
    assert not found.command.startswith(("#", "test"))
    assert run_in_shell(found.command, tmp_path)[-2:] == ["--data-binary", "@kombo-exchange-7.json"]


def test_a_body_that_was_not_kept_is_not_invented(tmp_path: Path) -> None:
    found = exchange_curl(exchange(request_body=Body(size=99_000, mime="application/json", note="99,000 bytes, not kept")))
    assert not found.exact and found.note is not None and "99,000 bytes" in found.note
    assert run_in_shell(found.command, tmp_path) == []


def test_the_lines_both_front_doors_write() -> None:
    ok = exchange(http_version="HTTP/1.1", reason="Created", url="https://x/v1/a?b=1")
    assert request_line(ok) == "POST /v1/a?b=1 HTTP/1.1"
    assert status_line(ok) == "HTTP/1.1 201 Created"
    dropped = exchange(status=None, error="no response: RemoteProtocolError\x1b[2J")
    assert status_line(dropped) == "(no response) no response: RemoteProtocolError\\x1b[2J"
    wait = exchange(kind="wait", wait_seconds=1.23, status=None)
    assert wait_status(wait, exchange(status=429)) == "wait 1.2 s (429)"
    assert wait_status(wait, dropped) == "wait 1.2 s (no response)"


def test_the_waterfall_puts_tls_after_connect_and_adds_up() -> None:
    timings = Timings(blocked=1.0, connect=30.0, ssl=20.0, send=5.0, wait=100.0, receive=4.0, traced=True)
    bars = phases(timings)
    assert [(p.name, p.start, p.length) for p in bars] == [
        ("blocked", 0.0, 1.0),
        ("connect", 1.0, 10.0),
        ("tls", 11.0, 20.0),
        ("send", 31.0, 5.0),
        ("wait", 36.0, 100.0),
        ("receive", 136.0, 4.0),
    ]
    assert phases(Timings(wait=3.0, receive=None)) == [type(bars[0])("wait", 0.0, 3.0)]
