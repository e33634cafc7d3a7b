"""The sandbox across notebook cells, and the progress displays."""

from __future__ import annotations

import sys
from pathlib import Path

import httpx
import pytest

import kombo_tui as kt
from kombo_tui.core.progress import make_progress

from .helpers import pdf


def test_the_sandbox_starts_on_first_use_and_describes_itself() -> None:
    server = kt.SandboxServer()
    try:
        assert "not started" in repr(server) and not server.running
        where = server.where  # first use starts it
        assert server.running and where["api_key"] == kt.SANDBOX_API_KEY
        assert where["base_url"].startswith("http://127.0.0.1:") and where["base_url"].endswith("/v1")
        assert where["integration_id"] == "greenhouse:sandbox-greenhouse"
        text = repr(server)
        assert server.base_url in text and kt.SANDBOX_API_KEY in text and "greenhouse:sandbox-greenhouse" in text
        assert len(text) < 300 and " at 0x" not in text
        assert server.start() is server  # re-running the cell that starts it is harmless
        assert "sk_sandbox" in server._repr_html_() and "workable:sandbox-workable" in server._repr_html_()
        assert len(kt.list_applications(limit=3, **where)) == 3
    finally:
        server.stop()


def test_the_sandbox_401_tells_a_notebook_user_where_the_key_is() -> None:
    with kt.SandboxServer() as server:
        answer = httpx.get(f"{server.base_url}/check-api-key", headers={"Authorization": "Bearer nope"})
    assert answer.status_code == 401
    message = answer.json()["error"]["message"]
    assert "kombo_tui.SANDBOX_API_KEY" in message and "sb.where" in message


def test_progress_true_falls_back_to_a_text_line(monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]) -> None:
    monkeypatch.setitem(sys.modules, "tqdm.auto", None)
    bar = make_progress(True, desc="cv.pdf", total=4 * 1024 * 1024)
    bar(2 * 1024 * 1024, 4 * 1024 * 1024)
    bar(4 * 1024 * 1024, 4 * 1024 * 1024)
    bar.close()
    err = capsys.readouterr().err
    assert "cv.pdf: 4.0 MB of 4.0 MB (100%)" in err and err.endswith("\n")


def test_progress_uses_tqdm_when_installed(capsys: pytest.CaptureFixture[str]) -> None:
    bar = make_progress(True, desc="applications", unit="applications", total=None, in_bytes=False)
    bar(250, None)
    bar(500, None)
    bar.close()
    assert "applications: 500" in capsys.readouterr().err


def test_send_and_list_report_progress(tmp_path: Path) -> None:
    seen: list[tuple[int, int | None]] = []
    with kt.SandboxServer() as server:
        apps = kt.list_applications(progress=lambda n, total: seen.append((n, total)), **server.where)
        assert seen[-1] == (60, None) and len(apps) == 60
        seen.clear()
        outcome = kt.send(pdf(tmp_path / "cv.pdf", 900_000), application_id=apps[0].id, progress=lambda s, t: seen.append((s, t)), **server.where)
    assert outcome.status == "sent"
    assert seen[-1][0] == seen[-1][1] == outcome.upload.content_length and len(seen) > 1


def test_in_a_kernel_the_bar_is_a_widget_whose_saved_text_ends_in_words(monkeypatch: pytest.MonkeyPatch) -> None:
    """What a saved notebook keeps of a bar: its text/plain, rewritten at the end with how it ended."""
    import kombo_tui.core.progress as progress

    shown: list[dict[str, object]] = []

    class Handle:
        def update(self, bundle: dict[str, object], raw: bool = False) -> None:
            shown.append(bundle)

    def display(bundle: dict[str, object], raw: bool = False, display_id: bool = False) -> Handle:
        shown.append(bundle)
        return Handle()

    import IPython.display

    monkeypatch.setattr(progress, "in_kernel", lambda: True)
    monkeypatch.setattr(IPython.display, "display", display)
    bar = make_progress(True, desc="cv.pdf", total=2 * 1024 * 1024)
    assert shown[0]["text/plain"] == "cv.pdf: 0.0 MB of 2.0 MB (0%)"
    assert "application/vnd.jupyter.widget-view+json" in shown[0]
    bar(2 * 1024 * 1024, 2 * 1024 * 1024)
    bar.close("sent")
    assert shown[-1]["text/plain"] == "cv.pdf: 2.0 MB of 2.0 MB (100%) — sent"
    listing = make_progress(True, desc="applications", unit="applications", total=2000, in_bytes=False)
    listing(60, 2000)
    listing.note("waiting")
    assert shown[-1]["text/plain"] == "applications: 60 applications of 2,000 · waiting"
    listing.close("done")
    assert shown[-1]["text/plain"] == "applications: 60 applications — done"
    interrupted = make_progress(True, desc="big.pdf", total=4 * 1024 * 1024)
    interrupted(1024 * 1024, 4 * 1024 * 1024)
    interrupted.close("interrupted: not sent")
    assert shown[-1]["text/plain"] == "big.pdf: 1.0 MB of 4.0 MB (25%) — interrupted: not sent"
