"""Is this path a file we may read, and what is its content's identity?

Everything that touches a user-chosen path goes through :func:`open_regular`: its type is
decided from ``os.stat`` before anything is opened (so a FIFO or a device can never block),
the open uses ``O_NONBLOCK``, and the type is checked again on the descriptor. On top of it:

- :func:`check_file` proves a path is a readable, non-empty regular file;
- :func:`read_prefix` reads a bounded prefix (what :mod:`kombo_tui.core.files.sniff` looks at);
- :func:`fingerprint` streams a SHA-256 of the whole content (what an upload is checked
  against just before it is sent).

Every failure is an :class:`~kombo_tui.core.errors.InputError` on field ``file`` whose one-line
message names the path (quoted by :func:`show_path`) and says what is wrong.

Typical use::

    stat = check_file(path)            # raises InputError(field="file") with a clear message
    print_ = fingerprint(path)         # Fingerprint(size, sha256, mtime_ns), streamed
"""

from __future__ import annotations

import errno
import hashlib
import os
import stat
from collections.abc import Callable
from dataclasses import dataclass
from functools import lru_cache

from ..errors import FileChangedError, InputError

__all__ = ["Fingerprint", "check_file", "credential_place", "fingerprint", "open_regular", "read_prefix", "show_path"]

_CREDENTIAL_DIRS = (".ssh", ".aws", ".gnupg")
"""Folders under the home directory that hold keys and credentials, never a candidate's document."""

_CREDENTIAL_SUFFIXES = (".pem", ".key")


@dataclass(frozen=True)
class Fingerprint:
    """Identity of a file's content at the moment it was chosen.

    Attributes:
        size: Size in bytes.
        sha256: Hex SHA-256 of the whole content.
        mtime_ns: Modification time in nanoseconds.
    """

    size: int
    sha256: str
    mtime_ns: int


def show_path(path: str | os.PathLike[str]) -> str:
    """Quote a path for a one-line message (control characters escaped, long paths cut).

    Args:
        path: The path as the user gave it.

    Returns:
        ``'cv.pdf'`` in single quotes, or its ``repr`` when it holds unprintable characters.
    """
    text = os.fsdecode(os.fspath(path))
    if len(text) > 240:
        text = text[:110] + "…" + text[-110:]
    if not text.isprintable():
        return repr(text)
    return f"'{text}'"


def _reason(exc: OSError) -> str:
    return exc.strerror.lower() if exc.strerror else str(exc)


_KINDS = (
    (stat.S_ISDIR, "is a directory, not a file"),
    (stat.S_ISFIFO, "is a named pipe (FIFO), not a regular file"),
    (stat.S_ISSOCK, "is a socket, not a regular file"),
    (stat.S_ISCHR, "is a character device, not a regular file"),
    (stat.S_ISBLK, "is a block device, not a regular file"),
)


def _kind_problem(mode: int) -> str | None:
    for test, message in _KINDS:
        if test(mode):
            return message
    return None if stat.S_ISREG(mode) else "is not a regular file"


def _stat_problem(path: str | os.PathLike[str], exc: OSError, shown: str) -> str:
    if exc.errno == errno.ELOOP:
        return f"{shown} is a symbolic link loop (too many levels of symbolic links)"
    if isinstance(exc, FileNotFoundError):
        try:
            is_link = stat.S_ISLNK(os.lstat(path).st_mode)
        except OSError:
            is_link = False
        if is_link:
            try:
                target = os.readlink(path)
            except OSError:
                return f"{shown} is a broken symbolic link (its target does not exist)"
            return f"{shown} is a broken symbolic link: its target {show_path(target)} does not exist"
        return f"{shown} does not exist"
    if exc.errno == errno.ENOTDIR:
        return f"{shown} does not exist (a part of the path is not a directory)"
    if isinstance(exc, PermissionError):
        return f"{shown} cannot be reached: permission denied"
    if exc.errno == errno.ENAMETOOLONG:
        return f"{shown} is too long a name"
    return f"{shown} cannot be opened: {_reason(exc)}"


_OPEN_FLAGS = (
    os.O_RDONLY
    | getattr(os, "O_NONBLOCK", 0)
    | getattr(os, "O_CLOEXEC", 0)
    | getattr(os, "O_NOCTTY", 0)
    | getattr(os, "O_BINARY", 0)
)


@lru_cache(maxsize=8)
def _credential_places(home: str, config: str) -> tuple[tuple[str, str], ...]:
    """The key folders under ``home`` and kombo-tui's ``config`` folder, resolved, each ending
    in a separator (once per pair: a plan of many rows does not resolve them again for each)."""
    resolved = os.path.realpath(home)
    places = [(os.path.join(resolved, d), f"~/{d}") for d in _CREDENTIAL_DIRS]
    places.append((os.path.realpath(config), "kombo-tui's config directory"))
    return tuple((place.rstrip(os.sep) + os.sep, why) for place, why in places)


def credential_place(path: str | os.PathLike[str]) -> str | None:
    """Why ``path`` is a place for keys, never a document to upload (None when it is not).

    ``~/.ssh``, ``~/.aws``, ``~/.gnupg``, kombo-tui's own config directory (it holds the API
    key), a ``.env`` file, ``*.pem`` and ``*.key`` — judged on the real path, symlinks resolved,
    so neither a link nor an attachment name can disguise one.
    """
    from ..config.file import config_path

    try:
        # Strings, not Paths: a plan's check asks this for every row.
        real = os.path.realpath(path)
        places = _credential_places(os.path.expanduser("~"), os.fspath(config_path().parent))
    except (OSError, ValueError):
        return None
    for place, why in places:
        if real.startswith(place) or real == place[:-1]:
            return f"inside {why}"
    name = os.path.basename(real).lower()
    if name == ".env" or name.startswith(".env."):
        return "a .env file"
    if name.endswith(_CREDENTIAL_SUFFIXES):
        return f"a {os.path.splitext(name)[1]} file (keys and certificates)"
    return None


def open_regular(path: str | os.PathLike[str], *, display: str | None = None) -> tuple[int, os.stat_result]:
    """Open ``path`` for reading if it is a readable, non-empty regular file.

    The type is decided from ``os.stat`` before opening (a FIFO is never opened), the open uses
    ``O_NONBLOCK`` and the type is checked again on the descriptor, in case the path changed
    in between.

    Args:
        path: The file the user chose.
        display: How messages name the file (as the user typed it); default: the path,
            quoted by :func:`show_path`.

    Returns:
        The open descriptor (the caller closes it) and its ``fstat``.

    Raises:
        InputError: With field ``file`` and a one-line message naming the path and the problem.
    """
    try:
        if not os.fspath(path):
            raise InputError.single("file", "no file given (the path is empty)")
    except TypeError as exc:
        raise InputError.single("file", f"{path!r} is not a path") from exc

    def shown() -> str:  # only for a message: quoting a path costs more than the stat
        return show_path(path) if display is None else display

    try:
        before = os.stat(path)
    except ValueError as exc:  # embedded NUL
        raise InputError.single("file", f"{shown()} is not a valid path ({exc})") from exc
    except OSError as exc:
        raise InputError.single("file", _stat_problem(path, exc, shown())) from exc
    problem = _kind_problem(before.st_mode)
    if problem:
        raise InputError.single("file", f"{shown()} {problem}")
    try:
        fd = os.open(path, _OPEN_FLAGS)
    except PermissionError as exc:
        raise InputError.single("file", f"{shown()} cannot be read: permission denied") from exc
    except OSError as exc:
        raise InputError.single("file", _stat_problem(path, exc, shown())) from exc
    try:
        after = os.fstat(fd)
        problem = _kind_problem(after.st_mode)
        if problem:
            raise InputError.single("file", f"{shown()} {problem}")
        if after.st_size == 0:
            raise InputError.single("file", f"{shown()} is empty (0 bytes)")
    except BaseException:
        os.close(fd)
        raise
    return fd, after


def check_file(path: str | os.PathLike[str], *, display: str | None = None) -> os.stat_result:
    """Check that ``path`` is a non-empty regular file this process can read.

    Never blocks: the type comes from ``os.stat`` before anything is opened, and the file is
    opened with ``O_NONBLOCK`` (and closed again) to prove it is readable.

    Args:
        path: The file the user chose.
        display: How messages name the file (an app passes what the user typed, not the
            long absolute path); default: the path, quoted by :func:`show_path`.

    Returns:
        The file's ``stat`` (taken on the open descriptor).

    Raises:
        InputError: With one problem on field ``file`` whose message names the path and says
            what is wrong: it does not exist, is a broken symlink or a symlink loop, is a
            directory, a FIFO, a socket or a device, cannot be read, or is empty.
    """
    fd, result = open_regular(path, display=display)
    os.close(fd)
    return result


def read_prefix(fd: int, path: str | os.PathLike[str], size: int) -> bytes:
    """Read at most ``size`` bytes from the current position of an open regular file.

    Args:
        fd: A descriptor from :func:`open_regular`.
        path: The path it was opened from (for the error message).
        size: The most bytes to read.

    Returns:
        The bytes read (fewer than ``size`` at the end of the file).

    Raises:
        InputError: Reading failed (field ``file``).
    """
    chunks: list[bytes] = []
    remaining = size
    while remaining > 0:
        try:
            chunk = os.read(fd, remaining)
        except BlockingIOError:  # cannot happen for a regular file; never wait for one
            break
        except OSError as exc:
            raise InputError.single("file", f"{show_path(path)} could not be read: {_reason(exc)}") from exc
        if not chunk:
            break
        chunks.append(chunk)
        remaining -= len(chunk)
    return b"".join(chunks)


def fingerprint(
    path: str | os.PathLike[str],
    *,
    chunk_size: int = 1 << 20,
    progress: Callable[[int, int], None] | None = None,
) -> Fingerprint:
    """Hash a file with SHA-256, streaming it in chunks (memory stays flat).

    Args:
        path: The file (checked like :func:`check_file`).
        chunk_size: Bytes read per step.
        progress: Called as ``progress(done, total)`` once before reading and after each chunk.

    Returns:
        Size, SHA-256 and modification time of the content that was hashed.

    Raises:
        InputError: The path is not a readable, non-empty regular file.
        FileChangedError: The file changed (size or modification time) while being hashed.
        ValueError: ``chunk_size`` is not positive.
    """
    if chunk_size <= 0:
        raise ValueError("chunk_size must be positive")
    fd, before = open_regular(path)
    try:
        digest = hashlib.sha256()
        total = before.st_size
        done = 0
        if progress is not None:
            progress(0, total)
        while True:
            try:
                chunk = os.read(fd, chunk_size)
            except OSError as exc:
                raise InputError.single("file", f"{show_path(path)} could not be read: {_reason(exc)}") from exc
            if not chunk:
                break
            digest.update(chunk)
            done += len(chunk)
            if progress is not None:
                progress(done, total)
        after = os.fstat(fd)
    finally:
        os.close(fd)
    if done != total or (after.st_size, after.st_mtime_ns) != (before.st_size, before.st_mtime_ns):
        raise FileChangedError(f"{show_path(path)} changed while it was being read; choose it again")
    return Fingerprint(size=done, sha256=digest.hexdigest(), mtime_ns=before.st_mtime_ns)
