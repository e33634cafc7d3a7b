"""Browser mode's secrets without a server: the key's pipe into the app process, the redactor."""

from __future__ import annotations

import io
import logging
import os
import subprocess
import sys

import pytest

from kombo_tui.web.app_process import KEY_ENV, KEY_FD_ENV, take_key
from kombo_tui.web.redaction import REDACTED, RedactingFormatter, RedactingStream, Redactor


def test_the_app_process_takes_the_key_from_its_pipe_and_closes_it() -> None:
    read_end, write_end = os.pipe()
    os.write(write_end, b"sk_from_the_pipe_123\n")
    os.close(write_end)
    environ = {KEY_FD_ENV: str(read_end)}
    assert take_key(environ)
    assert environ == {KEY_ENV: "sk_from_the_pipe_123"}
    with pytest.raises(OSError):
        os.fstat(read_end)


@pytest.mark.parametrize("named", [None, "", "x", "1", "987654"])
def test_no_pipe_no_key(named: str | None) -> None:
    environ = {} if named is None else {KEY_FD_ENV: named}
    assert not take_key(environ)
    assert environ == {}


def test_the_app_process_entry_runs_kombo_tui_with_its_arguments() -> None:
    done = subprocess.run(
        [sys.executable, "-m", "kombo_tui.web.app_process", "--version"], capture_output=True, text=True, timeout=60
    )
    assert done.returncode == 0, done.stderr
    assert done.stdout.startswith("kombo-tui ")


def test_the_redactor_blanks_secrets_and_bearer_credentials() -> None:
    redact = Redactor(["sk_live_secret_value", None, "", "abc"])
    text = "key=sk_live_secret_value auth='Bearer sk_other_key_9' abc stays"
    assert redact(text) == f"key={REDACTED} auth='Bearer {REDACTED}' abc stays"


def test_log_lines_are_plain_and_redacted() -> None:
    redact = Redactor(["sk_live_secret_value"])
    record = logging.LogRecord("kombo_tui.web", logging.ERROR, __file__, 1, "boom %s", ("sk_live_secret_value",), None)
    try:
        environment = {"KOMBO_API_KEY": "sk_live_secret_value"}  # noqa: F841 - a local a rich traceback would show
        raise RuntimeError("failed")
    except RuntimeError:
        record.exc_info = sys.exc_info()
    line = RedactingFormatter(redact).format(record)
    assert "boom [redacted]" in line and "RuntimeError: failed" in line
    assert "sk_live_secret_value" not in line and "environment" not in line
    sink = io.StringIO()
    stream = RedactingStream(sink, redact)
    stream.write("stderr of an app: sk_live_secret_value\n")
    assert sink.getvalue() == f"stderr of an app: {REDACTED}\n"


def test_the_app_process_entry_loads_no_web_server() -> None:
    """Every browser tab starts one: it must not pay for aiohttp or textual-serve."""
    code = (
        "import sys, kombo_tui.web.app_process\n"
        "print(','.join(sorted(m for m in sys.modules if m.split('.')[0] in ('aiohttp', 'textual_serve', 'textual', 'jinja2'))))\n"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True, timeout=60)
    assert done.stdout.strip() == ""
