"""What format is this file? MIME detection from content, with a clear word about doubt.

MIME detection uses libmagic through python-magic when both are present, imported lazily on
first use; without them the answer is a guess from the file name, and :class:`Sniffed` says
so (:attr:`Sniffed.is_guess`). libmagic sees a **bounded prefix** of the file
(:data:`PREFIX_SIZE` bytes), read through :func:`kombo_tui.core.files.checks.open_regular`, which
never blocks on a FIFO or a device. The answer is then judged against the name: a PNG called
``cv.pdf``, or a bare ZIP called ``letter.docx``, comes with a note for the user.

A ZIP that libmagic cannot identify further (it only looks at the first few entries, so a
DOCX with a big thumbnail first is "just a ZIP") is handed to :mod:`kombo_tui.core.files.ooxml`,
which reads the archive's central directory. The rest lives next door: the MIME vocabulary in
:mod:`~kombo_tui.core.files.mime`, the file checks and the fingerprint in :mod:`~kombo_tui.core.files.checks`,
the CV / cover-letter suggestion in :mod:`~kombo_tui.core.files.naming` (all still importable from
here, as they used to live here).

Typical use::

    sniffed = sniff_file(path)         # Sniffed(mime=..., source="libmagic", generic=..., note=...)
    sniffed = sniff_bytes(data, "cv.pdf")
"""

from __future__ import annotations

import functools
import io
import os
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, BinaryIO, Literal

from .checks import Fingerprint, check_file, fingerprint, open_regular, read_prefix
from .mime import _ALWAYS_GENERIC, _CONTAINER_FAMILY, _CONTAINERS, _WEAK, EMPTY, OCTET_STREAM, mime_for_name
from .mime import canonical as _canonical
from .mime import extension_of as _extension
from .mime import is_textual as _textual
from .naming import suggest_type

__all__ = [
    "PREFIX_SIZE",
    "Fingerprint",
    "Sniffed",
    "check_file",
    "fingerprint",
    "magic_available",
    "mime_for_name",
    "sniff_bytes",
    "sniff_file",
    "suggest_type",
]

PREFIX_SIZE = 64 * 1024
"""How many bytes of a file libmagic is shown (a ZIP's directory may be read as well, see :mod:`.ooxml`)."""

Source = Literal["libmagic", "extension", "none"]


@dataclass(frozen=True)
class Sniffed:
    """The result of sniffing a file: its MIME type and how sure we are.

    Attributes:
        mime: The MIME type, e.g. ``application/pdf``.
        source: Where :attr:`mime` comes from: ``"libmagic"`` (the content), ``"extension"``
            (a guess from the file name, because libmagic is unavailable) or ``"none"``
            (nothing to go on: no usable content or name).
        generic: True when :attr:`mime` says little: ``application/octet-stream``, an empty
            file, or ``text/plain`` / ``application/zip`` when the name promises something
            specific (``.pdf``, ``.docx``). The user should check or override it.
        description: libmagic's human-readable description (``PDF document, version 1.4``),
            or None without libmagic.
        note: A plain-language remark for the user when something deserves attention, e.g.
            ``the name says .pdf but the content looks like image/png``; None otherwise.
        name_mime: The MIME type the file name implies (None without a known extension).
    """

    mime: str
    source: Source
    generic: bool
    description: str | None = None
    note: str | None = None
    name_mime: str | None = None

    @property
    def is_guess(self) -> bool:
        """True when the MIME does not come from the content (no libmagic, or nothing to read)."""
        return self.source != "libmagic"


# --------------------------------------------------------------------------- libmagic


@functools.lru_cache(maxsize=1)
def _load_magic() -> tuple[Any | None, str | None]:
    """Import python-magic and check that libmagic works.

    Returns:
        ``(module, None)`` when usable, else ``(None, reason)`` with a plain-language reason.
    """
    try:
        import magic
    except ImportError as exc:
        # python-magic raises ImportError("failed to find libmagic...") when the C library is
        # missing; a missing python-magic raises ModuleNotFoundError.
        if "libmagic" in str(exc):
            return None, "libmagic is not installed"
        return None, "python-magic is not installed"
    except (OSError, AttributeError) as exc:
        # Older python-magic, or a libmagic without the expected symbols.
        return None, f"libmagic could not be loaded ({exc})"
    try:
        magic.from_buffer(b"%PDF-1.4\n", mime=True)
    except Exception as exc:  # noqa: BLE001 - MagicException (no database) and ctypes errors
        return None, f"libmagic does not work here ({exc})"
    return magic, None


def magic_available() -> bool:
    """Whether python-magic and libmagic are installed and working.

    Returns:
        True when MIME types are detected from content; False when they are guessed from names.
    """
    return _load_magic()[0] is not None




# --------------------------------------------------------------------------- sniffing

_ZIP_LOCAL_HEADER = b"PK\x03\x04"
_ZIP_ANSWERS = frozenset({OCTET_STREAM, "application/zip", "application/x-zip-compressed"})
"""libmagic's answers for a ZIP it could not identify further (worth asking :mod:`.ooxml`)."""


def sniff_bytes(content: bytes | bytearray | memoryview, name: str | None = None) -> Sniffed:
    """Sniff content already in memory.

    libmagic sees the first :data:`PREFIX_SIZE` bytes. A ZIP that libmagic calls generic is
    refined into DOCX, XLSX, ODT... only when ``content`` is the whole ZIP (its directory is
    at the end); the beginning of one is not refined.

    Args:
        content: The file's content, or its beginning.
        name: The file name, to compare the content with its extension and as the fallback
            when libmagic is missing.

    Returns:
        What the content is, where that answer comes from and any remark for the user.
    """
    view = memoryview(content)
    return _sniff(bytes(view[:PREFIX_SIZE]), name, lambda: _refine(io.BytesIO(view)))


def sniff_file(path: str | os.PathLike[str], *, name: str | None = None) -> Sniffed:
    """Sniff a file on disk from its first :data:`PREFIX_SIZE` bytes (and a ZIP's directory).

    The file is opened by :func:`~kombo_tui.core.files.checks.open_regular`, so a directory, FIFO,
    device, empty or unreadable file raises :class:`~kombo_tui.core.errors.InputError` instead
    of blocking or reading forever. A huge (or sparse) file costs one bounded read; a ZIP that
    libmagic calls generic costs a bounded look at its central directory as well.

    Args:
        path: The file.
        name: The name to judge the extension by (default: the path's last component, the
            name of a symlink rather than of its target).

    Returns:
        What the content is (see :class:`Sniffed`).

    Raises:
        InputError: The path is not a readable, non-empty regular file (field ``file``).
    """
    fd, _ = open_regular(path)
    try:
        data = read_prefix(fd, path, PREFIX_SIZE)
        judged_name = name if name is not None else os.path.basename(os.fspath(path))
        return _sniff(data, judged_name, lambda: _refine(os.fdopen(fd, "rb", closefd=False)))
    finally:
        os.close(fd)


def _refine(file: BinaryIO) -> str | None:
    from . import ooxml  # zipfile is imported only when a ZIP needs a closer look

    with file:
        return ooxml.refine(file)


def _sniff(data: bytes, name: str | None, refine: Callable[[], str | None]) -> Sniffed:
    name_mime = mime_for_name(name)
    if not data:
        return Sniffed(EMPTY, "none", True, None, "there is no content (0 bytes)", name_mime)
    module, reason = _load_magic()
    if module is not None:
        try:
            mime = _canonical(str(module.from_buffer(data, mime=True))) or OCTET_STREAM
            description: str | None = str(module.from_buffer(data))
        except Exception as exc:  # noqa: BLE001 - any libmagic failure means "fall back"
            reason = f"libmagic failed ({exc})"
        else:
            if mime in _ZIP_ANSWERS and data.startswith(_ZIP_LOCAL_HEADER):
                mime = refine() or mime
            generic, note = _judge(mime, name, name_mime)
            return Sniffed(mime, "libmagic", generic, description, note, name_mime)
    return _from_name(name, name_mime, reason or "libmagic is not available")


def _from_name(name: str | None, name_mime: str | None, reason: str) -> Sniffed:
    if name_mime is None:
        ext = _extension(name)
        why = f"the extension {ext} is unknown" if ext else "the name has no extension"
        return Sniffed(OCTET_STREAM, "none", True, None, f"{reason} and {why}: type unknown", None)
    generic = name_mime in _ALWAYS_GENERIC
    return Sniffed(
        name_mime, "extension", generic, None, f"{reason}: guessed from the extension", name_mime
    )


def _judge(mime: str, name: str | None, name_mime: str | None) -> tuple[bool, str | None]:
    """Whether ``mime`` (from the content) is generic, and what to tell the user about it."""
    ext = _extension(name)
    if name_mime in _ALWAYS_GENERIC:  # e.g. ".bin": the name promises nothing
        name_mime = None
    agrees = name_mime is None or _canonical(mime) == _canonical(name_mime)
    if mime in _ALWAYS_GENERIC:
        if mime in {EMPTY, "inode/x-empty"}:
            return True, "there is no content (0 bytes)"
        if name_mime is not None:
            return True, f"the name says {ext} but libmagic cannot tell what the content is ({mime})"
        return True, f"libmagic cannot tell what the content is ({mime})"
    if agrees:
        return False, None
    assert name_mime is not None and ext is not None
    if mime in _WEAK:
        if mime in _CONTAINER_FAMILY and name_mime in _CONTAINER_FAMILY[mime]:
            return True, (
                f"the content is a {_CONTAINERS[mime]} ({mime}) that may hold a {ext} file, "
                "but it could not be confirmed"
            )
        if mime == "text/plain" and _textual(name_mime):
            return True, f"libmagic only sees plain text; the name suggests {name_mime}"
        return True, f"the name says {ext} but the content looks like {mime}"
    return False, f"the name says {ext} but the content looks like {mime}"
