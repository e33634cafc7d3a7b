"""Tests for kombo_tui.core.files.checks: the never-blocking open, check_file and fingerprint.

Every opener of a user-chosen path (``check_file``, ``sniff_file``, ``fingerprint``) must refuse
a directory, FIFO, socket, device, unreadable or empty file with one clear line, and never block.
"""

from __future__ import annotations

import hashlib
import os
import socket
import stat
import tempfile
import time
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from kombo_tui.core.errors import FileChangedError, InputError
from kombo_tui.core.files.checks import Fingerprint, check_file, fingerprint, show_path
from kombo_tui.core.files.sniff import sniff_file

PDF = b"%PDF-1.4\n1 0 obj\n<< /Type /Catalog >>\nendobj\n%%EOF\n"


def _write(tmp_path: Path, name: str, data: bytes) -> Path:
    path = tmp_path / name
    path.write_bytes(data)
    return path


# --------------------------------------------------------------------------- check_file


def _problem(excinfo: pytest.ExceptionInfo[InputError]) -> str:
    error = excinfo.value
    assert len(error.problems) == 1
    assert error.problems[0].field == "file"
    message = error.problems[0].message
    assert "\n" not in message
    return message


def test_check_file_accepts_a_regular_file(tmp_path: Path) -> None:
    path = _write(tmp_path, "cv.pdf", PDF)
    result = check_file(path)
    assert stat.S_ISREG(result.st_mode) and result.st_size == path.stat().st_size
    assert check_file(str(path)).st_size == result.st_size


def test_missing(tmp_path: Path) -> None:
    with pytest.raises(InputError) as excinfo:
        check_file(tmp_path / "nope.pdf")
    assert _problem(excinfo) == f"'{tmp_path / 'nope.pdf'}' does not exist"


def test_directory(tmp_path: Path) -> None:
    with pytest.raises(InputError) as excinfo:
        check_file(tmp_path)
    assert _problem(excinfo) == f"'{tmp_path}' is a directory, not a file"


@pytest.mark.timeout(5)
def test_fifo_never_blocks(tmp_path: Path) -> None:
    fifo = tmp_path / "cv.pdf"
    os.mkfifo(fifo)
    started = time.monotonic()
    for call in (check_file, sniff_file, fingerprint):
        with pytest.raises(InputError) as excinfo:
            call(fifo)
        message = _problem(excinfo)
        assert str(fifo) in message and "named pipe (FIFO)" in message
    assert time.monotonic() - started < 2


@pytest.mark.timeout(5)
def test_path_swapped_for_a_fifo_after_stat_still_never_blocks(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """If the path becomes a FIFO between stat and open, O_NONBLOCK keeps open() from hanging
    and the fstat on the descriptor catches it."""
    fifo = tmp_path / "cv.pdf"
    os.mkfifo(fifo)
    regular = os.stat(_write(tmp_path, "real.pdf", b"%PDF-1.4\n"))
    real_stat = os.stat

    def stale_stat(path: str | os.PathLike[str], *args: Any, **kwargs: Any) -> os.stat_result:
        return regular if Path(os.fspath(path)) == fifo else real_stat(path, *args, **kwargs)

    monkeypatch.setattr(os, "stat", stale_stat)
    with pytest.raises(InputError) as excinfo:
        sniff_file(fifo)
    assert "named pipe" in _problem(excinfo)


@pytest.mark.timeout(5)
def test_socket(tmp_path: Path) -> None:
    path = Path(tempfile.mkdtemp(prefix="ks")) / "s"  # short: AF_UNIX paths are limited
    server = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    try:
        server.bind(str(path))
        with pytest.raises(InputError) as excinfo:
            sniff_file(path)
        assert _problem(excinfo) == f"'{path}' is a socket, not a regular file"
    finally:
        server.close()
        path.unlink(missing_ok=True)
        path.parent.rmdir()


@pytest.mark.timeout(5)
@pytest.mark.parametrize("device", ["/dev/null", "/dev/zero"])
def test_character_devices(device: str) -> None:
    for call in (check_file, sniff_file, fingerprint):
        with pytest.raises(InputError) as excinfo:
            call(device)
        assert _problem(excinfo) == f"'{device}' is a character device, not a regular file"


def test_block_device(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    # Creating a block device node needs privileges a test should not assume; fake its stat.
    fake = os.stat_result((stat.S_IFBLK | 0o660, 0, 0, 1, 0, 0, 0, 0, 0, 0))
    monkeypatch.setattr(os, "stat", lambda path, *a, **k: fake)
    with pytest.raises(InputError) as excinfo:
        check_file("/dev/sda")
    assert _problem(excinfo) == "'/dev/sda' is a block device, not a regular file"


def test_unreadable(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    path = _write(tmp_path, "secret.pdf", PDF)
    path.chmod(0)
    if os.access(path, os.R_OK):
        # Running as root (as in our CI containers): chmod 000 does not stop root from reading,
        # so make open() fail the way it does for an ordinary user.
        real_open = os.open

        def denied(file: str | os.PathLike[str], flags: int, *args: Any, **kwargs: Any) -> int:
            if Path(os.fspath(file)) == path:
                raise PermissionError(13, "Permission denied", os.fspath(file))
            return real_open(file, flags, *args, **kwargs)

        monkeypatch.setattr(os, "open", denied)
    try:
        for call in (check_file, sniff_file, fingerprint):
            with pytest.raises(InputError) as excinfo:
                call(path)
            assert _problem(excinfo) == f"'{path}' cannot be read: permission denied"
    finally:
        path.chmod(0o644)


def test_unreachable_parent(monkeypatch: pytest.MonkeyPatch) -> None:
    # As root a chmod 000 folder stays searchable; raise what stat() raises for a normal user.
    def denied(path: object, *args: object, **kwargs: object) -> os.stat_result:
        raise PermissionError(13, "Permission denied", path)

    monkeypatch.setattr(os, "stat", denied)
    with pytest.raises(InputError) as excinfo:
        check_file("/private/cv.pdf")
    assert _problem(excinfo) == "'/private/cv.pdf' cannot be reached: permission denied"


def test_empty(tmp_path: Path) -> None:
    path = _write(tmp_path, "cv.pdf", b"")
    for call in (check_file, sniff_file, fingerprint):
        with pytest.raises(InputError) as excinfo:
            call(path)
        assert _problem(excinfo) == f"'{path}' is empty (0 bytes)"


@pytest.mark.timeout(5)
def test_symlink_loop(tmp_path: Path) -> None:
    a, b = tmp_path / "a.pdf", tmp_path / "b.pdf"
    a.symlink_to(b)
    b.symlink_to(a)
    with pytest.raises(InputError) as excinfo:
        sniff_file(a)
    assert _problem(excinfo) == f"'{a}' is a symbolic link loop (too many levels of symbolic links)"
    self_loop = tmp_path / "self.pdf"
    self_loop.symlink_to(self_loop)
    with pytest.raises(InputError) as excinfo:
        check_file(self_loop)
    assert "symbolic link loop" in _problem(excinfo)


def test_dangling_symlink(tmp_path: Path) -> None:
    link = tmp_path / "cv.pdf"
    link.symlink_to(tmp_path / "gone.pdf")
    with pytest.raises(InputError) as excinfo:
        check_file(link)
    assert _problem(excinfo) == (
        f"'{link}' is a broken symbolic link: its target '{tmp_path / 'gone.pdf'}' does not exist"
    )


def test_odd_paths(tmp_path: Path) -> None:
    regular = _write(tmp_path, "cv.pdf", b"%PDF-1.4\n")
    cases = {
        str(regular / "child.pdf"): "does not exist (a part of the path is not a directory)",
        "": "no file given (the path is empty)",
        "cv\0.pdf": "is not a valid path",
        "cv\n.pdf": "does not exist",
    }
    for path, expected in cases.items():
        with pytest.raises(InputError) as excinfo:
            check_file(path)
        assert expected in _problem(excinfo)
    with pytest.raises(InputError) as excinfo:
        check_file("cv\n.pdf")
    assert _problem(excinfo) == "'cv\\n.pdf' does not exist"


# --------------------------------------------------------------------------- fingerprint


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(data=st.binary(min_size=1, max_size=20_000), chunk_size=st.integers(min_value=1, max_value=8192))
def test_fingerprint_matches_hashlib(data: bytes, chunk_size: int) -> None:
    # The autouse env fixture in conftest is function-scoped; it is safe to share across examples.
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "f.bin"
        path.write_bytes(data)
        calls: list[tuple[int, int]] = []
        result = fingerprint(path, chunk_size=chunk_size, progress=lambda done, total: calls.append((done, total)))
        assert result == Fingerprint(len(data), hashlib.sha256(data).hexdigest(), path.stat().st_mtime_ns)
        assert calls[0] == (0, len(data)) and calls[-1] == (len(data), len(data))
        assert [done for done, _ in calls] == sorted(done for done, _ in calls)
        assert len(calls) == 1 + -(-len(data) // chunk_size)


def test_fingerprint_of_a_bigger_file_streams(tmp_path: Path) -> None:
    data = os.urandom(3 * 1024 * 1024 + 17)
    path = _write(tmp_path, "big.bin", data)
    calls: list[tuple[int, int]] = []
    result = fingerprint(path, progress=lambda d, t: calls.append((d, t)))
    assert result.sha256 == hashlib.sha256(data).hexdigest() and result.size == len(data)
    assert [d for d, _ in calls] == [0, 1 << 20, 2 << 20, 3 << 20, len(data)]


def test_fingerprint_notices_a_file_changing_while_hashed(tmp_path: Path) -> None:
    path = _write(tmp_path, "cv.pdf", os.urandom(4096))

    def grow(done: int, total: int) -> None:
        if done == 1024:
            with path.open("ab") as handle:
                handle.write(b"more")

    with pytest.raises(FileChangedError, match="changed while it was being read"):
        fingerprint(path, chunk_size=1024, progress=grow)


def test_fingerprint_rejects_bad_chunk_size(tmp_path: Path) -> None:
    with pytest.raises(ValueError):
        fingerprint(_write(tmp_path, "a", b"x"), chunk_size=0)


def test_show_path_quotes_escapes_and_shortens() -> None:
    assert show_path("cv.pdf") == "'cv.pdf'"
    assert show_path(Path("a") / "cv.pdf") == "'a/cv.pdf'"
    assert show_path("cv\n.pdf") == "'cv\\n.pdf'"
    assert show_path("x" * 300) == "'" + "x" * 110 + "…" + "x" * 110 + "'"
