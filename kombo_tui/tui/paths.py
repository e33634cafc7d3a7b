"""Paths as people give them: typed with completion, pasted, or dropped onto the terminal.

Dropping a file onto a terminal pastes its path, often quoted (``'/a b/cv.pdf'``), with
escaped spaces (``/a\\ b/cv.pdf``) or as a ``file://`` URL. :func:`clean_path` undoes that.
"""

from __future__ import annotations

import os
import shlex
from pathlib import Path
from urllib.parse import unquote, urlsplit

from textual.suggester import Suggester

__all__ = ["PathSuggester", "clean_path", "resolve_path", "short_path"]


def clean_path(text: str) -> str:
    """The path inside a pasted or dropped string (unquoted, unescaped, ``~`` kept)."""
    if "\n" in text.strip() and os.path.lexists(os.path.expanduser(text)):
        return text  # a real name with a newline in it (chosen in the dialog): keep it whole
    value = text.strip().replace("\r", "").split("\n")[0].strip()
    if not value:
        return ""
    if value.startswith("file://"):
        return unquote(urlsplit(value).path)
    if len(value) >= 2 and value[0] == value[-1] and value[0] in "'\"":
        return value[1:-1]
    if "\\" in value or value[0] in "'\"":
        try:
            parts = shlex.split(value)
        except ValueError:
            return value
        if len(parts) == 1:
            return parts[0]
    return value


def short_path(path: Path, cwd: Path | None = None) -> str:
    """A short form for the screen: relative to the working directory when inside it, else to ``~``.

    (The core's own path helper only makes a name printable; this one makes it short.)
    """
    base = cwd or Path.cwd()
    try:
        return str(path.relative_to(base))
    except ValueError:
        home = Path.home()
        try:
            return "~/" + str(path.relative_to(home))
        except ValueError:
            return str(path)


def resolve_path(text: str) -> tuple[Path, str]:
    """The absolute path a typed path means, and how to name it on screen.

    ``~`` is expanded and a relative path is taken from the working directory; the name shown
    is the text as typed when it was relative, else :func:`short_path`.
    """
    path = Path(os.path.expanduser(text))
    if not path.is_absolute():
        path = Path.cwd() / path
    shown = text if not os.path.isabs(text) else short_path(path)
    return path, shown


class PathSuggester(Suggester):
    """Completes the last component of a path from the file system (directories get a ``/``)."""

    def __init__(self) -> None:
        super().__init__(use_cache=False, case_sensitive=True)

    async def get_suggestion(self, value: str) -> str | None:
        if not value or "\n" in value:
            return None
        raw = clean_path(value) if value[0] in "'\"" else value
        expanded = os.path.expanduser(raw)
        directory, _, prefix = expanded.rpartition(os.sep)
        if not _:
            directory = "."
        elif not directory:
            directory = os.sep
        try:
            names = sorted(
                entry.name + (os.sep if entry.is_dir() else "")
                for entry in os.scandir(directory)
                if entry.name.startswith(prefix) and (prefix.startswith(".") or not entry.name.startswith("."))
            )
        except OSError:
            return None
        if not names or names[0] == prefix:
            return None
        return value + names[0][len(prefix) :]
