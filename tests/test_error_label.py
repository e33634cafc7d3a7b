"""One spelling of an error's name for the history, the bulk journal, reports and the app."""

from __future__ import annotations

from pathlib import Path

import pytest

from kombo_tui.core.engine import entry_from_outcome
from kombo_tui.core.errors import ApiError, FileChangedError, InputError, Problem, TransportError, error_label
from kombo_tui.core.outcome import SendOutcome
from kombo_tui.core.payload import prepare_fields
from kombo_tui.tui.present import error_fields, short_error


@pytest.mark.parametrize(
    ("error", "label"),
    [
        (ApiError(status=400, code="PLATFORM.INPUT_INVALID", title=None, message="m", log_url=None), "PLATFORM.INPUT_INVALID"),
        (ApiError(status=502, code=None, title="Bad Gateway", message="HTTP 502 with a non-JSON body", log_url=None), "HTTP 502"),
        (TransportError("timed out", sent=True, kind="timeout"), "TRANSPORT timeout"),
        (FileChangedError("changed"), "FILE_CHANGED"),
        (InputError([Problem("file", "missing")]), None),
        (None, None),
    ],
)
def test_every_door_names_an_error_the_same_way(tmp_path: Path, error: Exception | None, label: str | None) -> None:
    assert error_label(error) == label
    cv = tmp_path / "cv.pdf"
    cv.write_bytes(b"%PDF-1.4\n%%EOF\n")
    upload = prepare_fields(integration_id="g:1", application_id="APP1", file=cv)
    status = "unknown" if isinstance(error, TransportError) else "error"
    entry = entry_from_outcome(SendOutcome(status, upload, error=error), environment="EU")  # type: ignore[arg-type]
    assert entry.error_code == label  # the history (and from it the notebook's table)
    if isinstance(error, ApiError):  # the app's Result panel
        assert error_fields(error)["code"] == label and short_error(error).startswith(label)
