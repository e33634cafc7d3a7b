"""Rich display: short text reprs, escaped HTML cards and tables, to_pandas, short errors."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

import kombo_tui as kt
from kombo_tui.core.client import UploadResult
from kombo_tui.core.errors import ApiError, Notice, Problem
from kombo_tui.core.history import History, HistoryEntry, HistoryList
from kombo_tui.core.models import Application, ApplicationList
from kombo_tui.core.outcome import SendOutcome, Verification

HOSTILE = '<script>alert("x")</script>\x1b[2J'


def _upload(tmp_path: Path) -> kt.PreparedUpload:
    name = tmp_path / "cv.pdf"
    name.write_bytes(b"%PDF-1.4\n" + b"0" * 5000 + b"\n%%EOF\n")
    upload = kt.prepare_file(name, integration_id="greenhouse:x", application_id="A" * 400, name=HOSTILE + ".pdf")
    upload.warnings.append(Notice("file", "sniff_note", HOSTILE))
    return upload


def _error(log_url: str) -> ApiError:
    return ApiError(status=400, code="REMOTE.INPUT_INVALID", title=None, message=HOSTILE * 40, log_url=log_url)


def test_text_reprs_are_short_and_inert(tmp_path: Path) -> None:
    upload = _upload(tmp_path)
    outcome = SendOutcome("error", upload, error=_error("https://app.kombo.dev/logs/1"), history_id=7)
    entry = HistoryEntry("prod", "greenhouse:x", "A" * 400, HOSTILE * 20, "CV", "error", error_code="X" * 300)
    shown = [
        repr(upload),
        repr(outcome),
        repr(Verification(found=True, total=3)),
        repr(entry),
        repr(ApplicationList([Application(id=HOSTILE * 50)] * 60)),
        repr(HistoryList([entry] * 60)),
    ]
    for text in shown:
        assert len(text) < 300, text
        assert "\x1b" not in text and "\n" not in text
    assert repr(outcome).startswith("SendOutcome(error: ")
    assert "REMOTE.INPUT_INVALID" in repr(outcome) and "history #7" in repr(outcome)


def test_html_escapes_every_value_and_links_only_https(tmp_path: Path) -> None:
    upload = _upload(tmp_path)
    for log in ("https://app.kombo.dev/logs/1", 'javascript:alert(1)"><b>', "https:///no-host", "https://x.example/\x1b]8;;"):
        outcome = SendOutcome("error", upload, error=_error(log))
        page = outcome._repr_html_()
        assert "<script>" not in page and "&lt;script&gt;" in page
        assert ">error</span>" in page  # the status badge
        assert "REMOTE.INPUT_INVALID" in page and ">hint</th>" in page and ">log</th>" in page
        if log == "https://app.kombo.dev/logs/1":
            assert '<a href="https://app.kombo.dev/logs/1"' in page
        else:  # the same rule as the app and the CLI (core.net.safe_link): shown as text
            assert "<a href" not in page
    assert "javascript:alert(1)&quot;&gt;&lt;b&gt;" in SendOutcome("error", upload, error=_error('javascript:alert(1)"><b>'))._repr_html_()
    sent = SendOutcome("sent", upload, result=UploadResult(warnings=[HOSTILE], attempts=1, elapsed=0.1))
    page = sent._repr_html_()
    assert ">sent</span>" in page and "<script>" not in page and page.count("<li>") == 2  # Kombo's + ours
    assert "<script>" not in upload._repr_html_() and "greenhouse:x" in upload._repr_html_()
    assert "verified_present" in Verification(found=True, new_since_send=True)._repr_html_()
    assert ">unknown</span>" in Verification(found=True)._repr_html_()  # a name alone proves nothing


def test_history_lists_and_entries_display(tmp_path: Path) -> None:
    history = History(tmp_path / "h.sqlite3")
    history.record(HistoryEntry("prod", "gh:x", "APP", HOSTILE, "CV", "error", error_code="E", log_url="http://x/"))
    entries = history.entries()
    assert isinstance(entries, HistoryList) and len(entries) == 1
    page = entries._repr_html_()
    assert "<script>" not in page and "1 history entries" in page and "<a href" not in page
    assert "<script>" not in entries[0]._repr_html_() and ">error</span>" in entries[0]._repr_html_()
    frame = entries.to_pandas()
    assert list(frame["outcome"]) == ["error"]


def test_application_lists_show_a_table_and_convert_to_pandas() -> None:
    apps = ApplicationList(
        Application.model_validate({"id": f"A{i}", "candidate": {"id": "c", "first_name": HOSTILE}}) for i in range(60)
    )
    page = apps._repr_html_()
    assert "60 applications (first 50 shown)" in page and page.count("<tr>") == 51
    assert "<script>" not in page
    frame = apps.to_pandas()
    assert frame.shape[0] == 60 and "candidate" in frame.columns


def test_to_pandas_without_pandas_says_what_to_install(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(sys.modules, "pandas", None)
    with pytest.raises(ImportError, match="pip install pandas"):
        ApplicationList().to_pandas()


def test_core_errors_render_short_in_ipython() -> None:
    error = _error("https://app.kombo.dev/logs/1")
    lines = error._render_traceback_()
    assert lines[0].startswith("ApiError: REMOTE.INPUT_INVALID") and lines[-1].startswith("hint: ")
    many = kt.InputError([Problem("a", "one"), Problem("b", "two")])
    assert many._render_traceback_()[:3] == ["InputError:", "  - a: one", "  - b: two"]
