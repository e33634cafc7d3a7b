"""What the main screen's workers call, checked as plain functions (no app, no Pilot)."""

from __future__ import annotations

import os
import stat
from pathlib import Path
from typing import Any

import pytest

from kombo_tui.core.history import History
from kombo_tui.tui import services
from kombo_tui.tui.inspect import inspect
from kombo_tui.tui.perf import Throttle
from kombo_tui.tui.state import BatchFile, DraftView, FileView

PDF = b"%PDF-1.4\n%\xe2\xe3\xcf\xd3\n1 0 obj<</Type/Catalog>>endobj\ntrailer<<>>\n%%EOF\n"
TARGET: dict[str, Any] = {"integration_id": "greenhouse:abc", "application_id": "APP1"}


def _ready(path: Path, body: bytes = PDF) -> FileView:
    path.write_bytes(body)
    view = inspect(path, path.name)
    assert view is not None and view.state == "ready"
    return view


def _row(key: int, view: FileView, **kw: Any) -> BatchFile:
    assert view.path is not None
    return BatchFile(key, view.path, view.display, state="ready", size=view.size, sniffed=view.sniffed,
                     fingerprint=view.fingerprint, **kw)


def test_preview_waits_for_the_file_and_says_so(tmp_path: Path) -> None:
    waiting = services.preview(DraftView(), FileView("inspecting"), restrictions=None, remote_error=None)
    assert waiting.upload is None and waiting.problems == ("reading the file…",)
    idle = services.preview(DraftView(), FileView(), restrictions=None, remote_error="bad json")
    assert idle.problems == ("remote_fields: bad json",)


def test_preview_of_a_ready_file_needs_no_target(tmp_path: Path) -> None:
    view = _ready(tmp_path / "cv.pdf")
    shown = services.preview(DraftView(file=view.path), view, restrictions=None, remote_error=None)
    assert shown.upload is not None and shown.upload.content_type == "application/pdf"
    assert shown.problems == () and shown.file_warnings == ()


def test_preview_of_a_bad_data_url_lists_the_problem() -> None:
    draft = DraftView(data_url="ftp://x/cv.pdf", name="cv.pdf", source="data_url")
    shown = services.preview(draft, FileView(), restrictions=None, remote_error=None)
    assert shown.upload is None and any("data_url" in p for p in shown.problems)


def test_check_send_needs_the_target_and_blocks_on_any_bad_file(tmp_path: Path) -> None:
    first = _ready(tmp_path / "cv.pdf")
    letter = _ready(tmp_path / "letter.pdf", PDF + b"% letter\n")
    untargeted = services.check_send(DraftView(file=first.path), first, (), None)
    assert not untargeted.uploads and any("integration" in p for p in untargeted.problems)
    draft = DraftView(file=first.path, **TARGET)
    rows = (_row(1, letter, type="COVER_LETTER"), BatchFile(2, tmp_path / "slow.pdf", "slow.pdf"))
    blocked = services.check_send(draft, first, rows, None)
    assert not blocked.uploads
    assert blocked.problems == ("• slow.pdf: still being read — try again in a moment",)
    assert [r.error for r in blocked.extra_files] == [None, "still being read — try again in a moment"]
    ok = services.check_send(draft, first, rows[:1], None)
    assert [u.name for u in ok.uploads] == ["cv.pdf", "letter.pdf"] and ok.uploads[1].type.value == "COVER_LETTER"


def test_the_same_file_twice_in_a_batch_is_refused(tmp_path: Path) -> None:
    first = _ready(tmp_path / "cv.pdf")
    again = _ready(tmp_path / "copy.pdf")  # same bytes
    draft = DraftView(file=first.path, **TARGET)
    uploads, rows = services.prepare_batch(draft, services.prepare_upload(draft, first, require_target=True), [_row(1, again)])
    assert uploads is None and rows[0].error == "the same file is already in this batch"


def test_previous_sends_of_an_unreadable_log_are_none(tmp_path: Path) -> None:
    view = _ready(tmp_path / "cv.pdf")
    upload = services.prepare_upload(DraftView(file=view.path, **TARGET), view, require_target=True)
    broken = tmp_path / "history.sqlite3"
    broken.write_bytes(b"not a database")
    assert services.previous_sends(History(broken), "SANDBOX", upload) == []


def test_export_writes_the_body_and_a_script_without_the_key(tmp_path: Path) -> None:
    view = _ready(tmp_path / "cv.pdf")
    upload = services.prepare_upload(DraftView(file=view.path, **TARGET), view, require_target=True)
    command, body, script = services.export_curl(upload, "https://api.kombo.dev/v1", tmp_path)
    assert body.stat().st_size == upload.content_length
    assert stat.S_IMODE(os.stat(script).st_mode) == 0o700
    assert "$KOMBO_API_KEY" in script.read_text() and command in script.read_text()
    assert f"--data-binary @{tmp_path}/kombo-upload.json" in command  # runs from any folder


@pytest.mark.parametrize("planted", ["kombo-upload.sh", "kombo-upload.json", "both"])
def test_export_never_follows_a_planted_symlink(tmp_path: Path, planted: str) -> None:
    view = _ready(tmp_path / "cv.pdf")
    upload = services.prepare_upload(DraftView(file=view.path, **TARGET), view, require_target=True)
    folder, elsewhere = tmp_path / "work", tmp_path / "elsewhere"
    folder.mkdir()
    elsewhere.mkdir()
    names = ["kombo-upload.sh", "kombo-upload.json"] if planted == "both" else [planted]
    for name in names:
        target = elsewhere / f"{name}.target"
        target.write_text("precious\n")
        target.chmod(0o644)
        (folder / name).symlink_to(target)
    before = sorted(p.name for p in folder.iterdir())
    with pytest.raises(OSError, match="is a symbolic link: refusing"):
        services.export_curl(upload, "https://api.kombo.dev/v1", folder)
    for name in names:  # refused before either file was written: the links and their targets as they were
        target = elsewhere / f"{name}.target"
        assert (folder / name).is_symlink()
        assert target.read_text() == "precious\n" and stat.S_IMODE(target.stat().st_mode) == 0o644
    assert sorted(p.name for p in folder.iterdir()) == before  # nothing written, no temporary left


def test_export_writes_private_files_over_an_earlier_export(tmp_path: Path) -> None:
    view = _ready(tmp_path / "cv.pdf")
    upload = services.prepare_upload(DraftView(file=view.path, **TARGET), view, require_target=True)
    folder = tmp_path / "work"
    folder.mkdir()
    (folder / "kombo-upload.sh").write_text("old")  # an earlier script, 0644: it becomes 0700
    (folder / "kombo-upload.sh").chmod(0o644)
    _, body, script = services.export_curl(upload, "https://api.kombo.dev/v1", folder)
    for path, mode in ((body, 0o600), (script, 0o700)):
        st = os.lstat(path)
        assert stat.S_ISREG(st.st_mode) and stat.S_IMODE(st.st_mode) == mode, (path, oct(st.st_mode))
    assert body.stat().st_size == upload.content_length and "$KOMBO_API_KEY" in script.read_text()
    assert sorted(p.name for p in folder.iterdir()) == ["kombo-upload.json", "kombo-upload.sh"]  # no temporary left


def test_a_failed_export_leaves_what_was_there(tmp_path: Path) -> None:
    from kombo_tui.core.wire.export import write_private

    existing = tmp_path / "kombo-upload.json"
    existing.write_text("earlier body")

    def broken() -> Any:
        yield b"half"
        raise OSError("disk full")

    with pytest.raises(OSError, match="disk full"):
        write_private(existing, broken())
    assert existing.read_text() == "earlier body" and [p.name for p in tmp_path.iterdir()] == ["kombo-upload.json"]


class FakeTimer:
    def __init__(self, calls: list[tuple[float, Any]], delay: float, callback: Any) -> None:
        self.stopped = False
        calls.append((delay, callback))

    def stop(self) -> None:
        self.stopped = True


def test_throttle_shows_at_most_once_per_interval_and_always_the_last(monkeypatch: pytest.MonkeyPatch) -> None:
    now = [100.0]
    monkeypatch.setattr("kombo_tui.tui.perf.time.monotonic", lambda: now[0])
    shown: list[float] = []
    timers: list[tuple[float, Any]] = []
    throttle = Throttle(0.05, lambda: shown.append(now[0]), lambda delay, cb: FakeTimer(timers, delay, cb))
    throttle.restart()
    now[0] += 0.01
    throttle.update()
    throttle.update()
    assert shown == [] and len(timers) == 1 and timers[0][0] == pytest.approx(0.04)
    now[0] += 0.04
    timers[0][1]()  # the timer fires
    assert shown == [pytest.approx(100.05)]
    now[0] += 0.001
    throttle.update(final=True)
    assert shown == [pytest.approx(100.05), pytest.approx(100.051)]
