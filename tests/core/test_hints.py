"""Every error the tool can meet comes with advice, and the advice fits the failure."""

from __future__ import annotations

import pytest

from kombo_tui.core.errors import ApiError, FileChangedError, InputError, TransportError
from kombo_tui.core.hints import HINTS, hint_for
from kombo_tui.core.models import ATS_ERROR_CODES


@pytest.mark.parametrize("code", ATS_ERROR_CODES)
def test_every_documented_code_has_its_own_hint(code: str) -> None:
    hint = hint_for(ApiError(status=400, code=code, title=None, message="m"))
    assert hint == HINTS[code] and hint.endswith(".")


def test_permission_missing_says_where_to_fix_it() -> None:
    hint = hint_for(ApiError(status=403, code="INTEGRATION.PERMISSION_MISSING", title=None, message="m"))
    assert "Add attachments" in hint and "scope config" in hint


def test_unknown_codes_fall_back_by_status() -> None:
    server = hint_for(ApiError(status=502, code="SOMETHING.NEW", title=None, message="m"))
    limited = hint_for(ApiError(status=429, code=None, title=None, message="m"))
    other = hint_for(ApiError(status=418, code=None, title=None, message="m"))
    assert "Verify" in server
    assert limited == HINTS["PLATFORM.RATE_LIMIT_EXCEEDED"]
    assert "log link" in other


@pytest.mark.parametrize(
    ("kind", "words"),
    [
        ("dns", "could not be resolved"),
        ("tls", "TLS handshake"),
        ("connect", "refused or did not answer"),
        ("timeout", "Check the network"),
    ],
)
def test_transport_failures_before_sending_say_what_to_check(kind: str, words: str) -> None:
    assert words in hint_for(TransportError("x", sent=False, kind=kind))


def test_a_failure_after_sending_is_an_unknown_outcome() -> None:
    hint = hint_for(TransportError("x", sent=True, kind="timeout"))
    assert "unknown" in hint and "Verify" in hint


def test_local_problems() -> None:
    assert "Choose it again" in hint_for(FileChangedError("changed"))
    assert "nothing was sent" in hint_for(InputError("bad"))


def test_counted_nouns() -> None:
    from kombo_tui.core.hints import counted

    assert counted(1, "attachment") == "1 attachment"
    assert counted(0, "attachment") == "0 attachments"
    assert counted(1204, "match", "matches") == "1,204 matches"
