"""Issue 5's bad-input matrix through the TUI: a clear message in a widget, nothing sent.

Every case counts what the in-process sandbox stored (``app.sandbox_state.store``).
"""

from __future__ import annotations

import os
import time
from collections.abc import Callable
from pathlib import Path

import httpx
import pytest
from textual.widgets import Input, TextArea

from kombo_tui.tui.app import KomboApp
from kombo_tui.tui.widgets.file_panel import FilePanel

from .states import GREENHOUSE, PDF, SIZE, first_application, settle
from .test_flow import fill, send, text_of

ORACLE = "oraclerecruiting:sandbox-oracle"


def stored(app: KomboApp) -> int:
    return len(app.sandbox_state.store.all())  # type: ignore[attr-defined]


async def refused(pilot, app: KomboApp) -> str:  # type: ignore[no-untyped-def]
    """Press ctrl+s: no confirm dialog, an 'invalid' result, nothing stored. Returns the text shown."""
    screen = app.screen
    await pilot.press("ctrl+s")
    await settle(pilot)
    assert app.screen is screen, "a confirm dialog opened for bad input"
    assert screen.result.kind == "invalid", screen.result  # type: ignore[attr-defined]
    assert stored(app) == 0
    return text_of(app, "#result-text")


def _fifo(folder: Path) -> str:
    os.mkfifo(folder / "pipe")
    return "pipe"


def _loop(folder: Path) -> str:
    os.symlink("loop", folder / "loop")
    return "loop"


@pytest.mark.parametrize(
    ("make_path", "expected"),
    [
        (lambda f: "missing.pdf", "no file at missing.pdf"),
        (lambda f: "folder", "is a folder"),
        (lambda f: "empty.pdf", "is empty"),
        (_fifo, "pipe"),
        (lambda f: "/dev/zero", "/dev/zero"),
        (_loop, "symbolic link loop"),
    ],
    ids=["missing", "directory", "empty", "fifo", "dev-zero", "symlink-loop"],
)
async def test_bad_path(files: Path, make_app: Callable[..., KomboApp], make_path, expected: str) -> None:  # type: ignore[no-untyped-def]
    path = make_path(files)
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        started = time.monotonic()
        screen = await fill(pilot, GREENHOUSE, first_application(GREENHOUSE), path)
        await pilot.pause(0.8)  # problems are told after a typing pause
        assert time.monotonic() - started < 5, "reading the path blocked"
        assert screen.file_view.state == "error"
        info = text_of(app, "#file-info")
        assert expected in info, info
        assert "file" in await refused(pilot, app)
        # The same path as a further file of a batch: its row says why, nothing is sent.
        screen.query_one("#path", Input).value = "Jane_Doe_CV.pdf"
        await settle(pilot)
        await pilot.press("ctrl+n")
        app.focused.value = path  # type: ignore[union-attr]
        await pilot.press("enter")
        await settle(pilot)
        assert screen.extra_files[0].state == "error"
        assert screen.extra_files[0].error
        await refused(pilot, app)


@pytest.mark.parametrize(
    "name",
    [
        "Jane \"the CV\" O'Doe.pdf",
        "cv\nsecond line.pdf",
        os.fsdecode(b"cv-\xff\xfe-latin1-\xe9.pdf"),
    ],
    ids=["quotes", "newline", "non-utf8"],
)
async def test_odd_file_names_are_shown_safely_and_sent_intact(
    files: Path, make_app: Callable[..., KomboApp], name: str
) -> None:
    (files / name).write_bytes(PDF)
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        screen = await fill(pilot, GREENHOUSE, first_application(GREENHOUSE), "")
        screen.query_one(FilePanel).set_path(name)  # as the file dialog does
        await settle(pilot)
        assert "\udcff" not in screen.query_one("#path", Input).value
        assert screen.file_view.state == "ready", screen.file_view
        info = text_of(app, "#file-info")
        assert "\n" not in info.split("·")[0] and "\udcff" not in info  # escaped, one line
        app.save_screenshot(path=str(files), filename="shot.svg")  # renders without crashing
        await send(pilot)
        assert screen.result.kind == "sent", screen.result
        [item] = app.sandbox_state.store.all()  # type: ignore[attr-defined]
        assert item.file_name == name.encode("utf-8", "surrogateescape").decode("utf-8", "replace") or item.file_name == name


async def test_300_char_attachment_name_is_sent_intact(files: Path, make_app: Callable[..., KomboApp]) -> None:
    long_name = "Ä" * 150 + "b" * 146 + ".pdf"  # 300 characters (no file system allows such a file name)
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        screen = await fill(pilot, GREENHOUSE, first_application(GREENHOUSE), "Jane_Doe_CV.pdf")
        screen.query_one("#name", Input).value = long_name
        await settle(pilot)
        assert "longer than 255 bytes" in " ".join(screen.preview_problems)
        await send(pilot)
        assert screen.result.kind == "sent"
        assert app.sandbox_state.store.all()[0].file_name == long_name  # type: ignore[attr-defined]


async def test_bad_content_type(files: Path, make_app: Callable[..., KomboApp]) -> None:
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        screen = await fill(pilot, GREENHOUSE, first_application(GREENHOUSE), "Jane_Doe_CV.pdf")
        screen.query_one("#content-type", Input).value = "application/pdf; charset=x"
        await settle(pilot)
        assert "not a MIME type" in text_of(app, "#content-type-note")
        assert "content_type" in await refused(pilot, app)


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ('{"oracle": {"override_document_category": ', "JSON"),
        ('{"oracle": {"override_document_category": "NOT_A_CATEGORY"}}', "NOT_A_CATEGORY"),
        ("[1, 2]", "object"),
    ],
    ids=["broken-json", "unknown-oracle-category", "not-an-object"],
)
async def test_bad_raw_remote_fields(files: Path, make_app: Callable[..., KomboApp], raw: str, expected: str) -> None:
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        screen = await fill(pilot, ORACLE, first_application(ORACLE), "Jane_Doe_CV.pdf")
        screen.query_one("#raw-json", TextArea).text = raw
        await settle(pilot)
        note = text_of(app, "#raw-note")
        assert expected.lower() in note.lower(), note
        assert "remote_fields" in await refused(pilot, app)


class GrowDuringUpload(httpx.AsyncBaseTransport):
    """Appends to the file as the POST starts, before the body is streamed."""

    def __init__(self, inner: httpx.AsyncBaseTransport, path: Path) -> None:
        self.inner = inner
        self.path = path

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        if request.method == "POST":
            with self.path.open("ab") as fh:
                fh.write(b"more bytes written while sending")
        return await self.inner.handle_async_request(request)


async def test_file_that_grows_during_upload(files: Path, make_app: Callable[..., KomboApp]) -> None:
    big = files / "growing.pdf"
    big.write_bytes(PDF + b"0" * 3_000_000)  # several chunks
    app = make_app(wrap=lambda inner: GrowDuringUpload(inner, big))
    async with app.run_test(size=SIZE) as pilot:
        screen = await fill(pilot, GREENHOUSE, first_application(GREENHOUSE), "growing.pdf")
        await send(pilot)
        assert screen.result.kind == "file_changed", screen.result
        shown = text_of(app, "#result-text")
        assert "changed" in shown and "grew" in shown
        assert stored(app) == 0


async def test_2gb_sparse_file_never_freezes_the_ui(files: Path, make_app: Callable[..., KomboApp]) -> None:
    with (files / "huge.pdf").open("wb") as fh:
        fh.write(PDF)
        fh.truncate(2 * 1024**3)
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        screen = await fill(pilot, GREENHOUSE, first_application(GREENHOUSE), "Jane_Doe_CV.pdf")
        screen.query_one("#path", Input).value = "huge.pdf"
        # The loop keeps turning while the file is hashed in a thread: the thread's progress
        # reaches the screen while the 2 GB file is still being read (on the loop, the whole
        # file would be read before any of it was shown).
        for _ in range(500):
            view = screen.file_view
            if view.path is not None and view.path.name == "huge.pdf" and view.size:
                break
            await pilot.pause(0.01)
        view = screen.file_view
        assert view.state == "inspecting" and view.size == 2 * 1024**3
        assert "2 GB" in text_of(app, "#file-info") and "reading" in text_of(app, "#file-info")
        text = await refused(pilot, app)
        assert "still being read" in text
        # Choosing another file stops hashing the big one at once.
        screen.query_one("#path", Input).value = "Jane_Doe_CV.pdf"
        await settle(pilot)
        assert screen.file_view.state == "ready"
        assert stored(app) == 0
