"""Reproduce a prepared upload outside kombo-tui: the JSON body in a file plus a curl command.

The command never contains the API key: it reads ``$KOMBO_API_KEY`` from the shell that runs
it. The body is written to a file and sent with ``--data-binary @file`` so a 50 MB CV does not
end up on a command line (or in the clipboard). UI-free: the TUI and scripts both use it.
"""

from __future__ import annotations

import os
import secrets
import shlex
import stat
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from ..payload import PreparedUpload, ProgressCallback
from ..text import one_line

if TYPE_CHECKING:
    from .exchanges import Exchange

__all__ = [
    "DEFAULT_BODY_NAME",
    "KEY_PLACEHOLDER",
    "ExchangeCurl",
    "check_output",
    "curl_command",
    "exchange_curl",
    "refuse_special",
    "request_line",
    "upload_url",
    "write_body",
    "write_private",
    "write_script",
]

DEFAULT_BODY_NAME = "body.json"
"""File name the body is written to when the caller does not choose one."""

KEY_PLACEHOLDER = "$KOMBO_API_KEY"
"""What stands for the API key wherever a request is shown: the key itself never is."""


def upload_url(upload: PreparedUpload, base_url: str, kind: str | None = None, *, readable: bool = False) -> str:
    """The endpoint URL for this upload, with the application (or candidate) id percent-encoded.

    An application not chosen yet shows as ``{application_id}`` (``{candidate_id}`` when
    ``kind`` is ``"candidate"``), percent-encoded like any other id, so the URL stays one that
    could be sent; ``readable`` leaves the placeholder as it is (for a screen).
    """
    return f"{base_url.rstrip('/')}/{upload.endpoint_path(kind, readable=readable)}"


def request_line(upload: PreparedUpload, base_url: str) -> dict[str, Any]:
    """The request's method, URL and headers, exactly as sent except for the key.

    The one template behind the curl export and the CLI's preview and dry run; an unset
    integration shows as ``{integration_id}``.

    Returns:
        ``{"method": "POST", "url": ..., "headers": {...}}``.
    """
    return {
        "method": "POST",
        "url": upload_url(upload, base_url),
        "headers": {
            "Authorization": f"Bearer {KEY_PLACEHOLDER}",
            "X-Integration-Id": upload.integration_id or "{integration_id}",
            "Content-Type": "application/json",
            "Content-Length": str(upload.content_length),
        },
    }


def check_output(
    path: Path | str, *, field: str, protect: Iterable[tuple[Path, str]] = (), suffixes: tuple[str, ...] = ()
) -> Path:
    """Refuse an output path that would hurt, before anything is sent or written.

    What is there already must be a regular file: a symbolic link (written through, it could
    land anywhere; replaced, it surprises whoever planted it on purpose), a device
    (``/dev/null``), a pipe, a socket or a folder is refused. The folder must exist. ``protect`` names files that must not be overwritten (the plan, say) with what
    they are; ``suffixes`` the extensions the output may have.

    Raises:
        InputError: on ``field``, naming the problem.
    """
    from ..errors import InputError

    target = Path(path)
    problem = _special_file(target)
    if problem is None and not target.parent.is_dir():
        problem = f"its folder {target.parent} does not exist"
    if problem is None and suffixes and target.suffix.lower() not in suffixes:
        problem = f"must end in {' or '.join(suffixes)}"
    for other, what in protect:
        if problem is None and _same_file(target, other):
            problem = f"is {what}: refusing to overwrite it"
    if problem is not None:
        raise InputError.single(field, f"{one_line(str(target))} {problem}")
    return target


def _special_file(target: Path) -> str | None:
    try:
        mode = os.lstat(target).st_mode
    except OSError:
        return None
    if stat.S_ISDIR(mode):
        return "is a folder; give a file name"
    if stat.S_ISLNK(mode):
        return "is a symbolic link: refusing to write through it or over it (remove it, or give another name)"
    if not stat.S_ISREG(mode):
        return "is a device, a pipe or a socket, not a file: refusing to replace it"
    return None


def _same_file(a: Path, b: Path) -> bool:
    try:
        return a.resolve() == b.resolve() or (a.exists() and b.exists() and os.path.samefile(a, b))
    except (OSError, RuntimeError):
        return False


def refuse_special(target: Path) -> None:
    """Raise :class:`OSError` when ``target`` is a link, device, pipe, socket or folder (at write time)."""
    problem = _special_file(target)
    if problem is not None:
        raise OSError(f"{target} {problem}")


def write_private(path: Path | str, chunks: Iterable[bytes], mode: int = 0o600) -> Path:
    """Write ``chunks`` to ``path`` with ``mode``, never through a planted symlink.

    Anything at ``path`` but a regular file is refused (:func:`refuse_special`). The bytes go
    to a new file in the same directory (``O_CREAT | O_EXCL | O_NOFOLLOW``, so nothing that
    exists is opened), its mode is set on the descriptor, and it is renamed over ``path``: a
    file with a looser mode is replaced whole, and a symlink planted in the meantime is
    replaced itself, its target never written or chmod-ed.

    Raises:
        OSError: ``path`` cannot be written (the temporary file is removed).
    """
    target = Path(path)
    refuse_special(target)
    flags = os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_NOFOLLOW", 0) | getattr(os, "O_CLOEXEC", 0)
    for _ in range(100):
        temporary = target.with_name(f".{target.name}.{secrets.token_hex(6)}.tmp")
        try:
            fd = os.open(temporary, flags, mode)
        except FileExistsError:
            continue
        break
    else:  # pragma: no cover - 100 random names taken
        raise FileExistsError(f"no free temporary name beside {target}")
    try:
        if hasattr(os, "fchmod"):
            os.fchmod(fd, mode)  # whatever the umask said
        with os.fdopen(fd, "wb") as fh:
            for chunk in chunks:
                fh.write(chunk)
        os.replace(temporary, target)
    except BaseException:
        temporary.unlink(missing_ok=True)
        raise
    return target


def write_body(upload: PreparedUpload, path: Path | str, progress: ProgressCallback | None = None) -> Path:
    """Stream the exact JSON body of ``upload`` to ``path`` (mode 0600: it holds the file).

    Memory stays flat whatever the file size (the body is produced chunk by chunk). Written
    through :func:`write_private`: a symlink at ``path`` is refused, never followed.

    Raises:
        FileChangedError: the file changed since it was chosen (nothing is left behind).
        OSError: ``path`` cannot be written.
    """
    return write_private(path, upload.iter_body(progress), 0o600)


def write_script(command: str, path: Path | str) -> Path:
    """Write a shell script running ``command`` (mode 0700), never through a planted symlink."""
    text = "#!/bin/sh\n# Needs KOMBO_API_KEY in the environment.\n" + command + "\n"
    return write_private(path, [text.encode("utf-8")], 0o700)


def curl_command(upload: PreparedUpload, base_url: str, body_path: Path | str = DEFAULT_BODY_NAME) -> str:
    """A copy-pasteable curl command sending ``body_path`` exactly as kombo-tui would.

    The key stays in the environment (``$KOMBO_API_KEY``, expanded by the shell inside double
    quotes); every other value is quoted with :func:`shlex.quote`.
    """
    request = request_line(upload, base_url)
    headers = request["headers"]
    lines = [
        f"curl --fail-with-body -sS -X {request['method']} " + shlex.quote(request["url"]),
        # Double quotes, so the shell running the command expands the key from its environment.
        f'  -H "Authorization: {headers["Authorization"]}"',
        "  -H " + shlex.quote(f"X-Integration-Id: {headers['X-Integration-Id']}"),
        "  -H " + shlex.quote(f"Content-Type: {headers['Content-Type']}"),
        # Content-Length is left to curl, which counts the body file itself.
        "  --data-binary " + shlex.quote(f"@{body_path}"),
    ]
    return " \\\n".join(lines)


# --------------------------------------------------------------------------- a recorded exchange

INLINE_BODY_LIMIT = 64 * 1024
"""Largest recorded body put on the command line itself (larger ones would flood a clipboard)."""

_LEFT_TO_CURL = frozenset({"host", "content-length", "connection", "accept-encoding", "transfer-encoding", "expect"})
"""Headers curl writes itself (or that would make it ask for an encoding it does not decode)."""


@dataclass(frozen=True)
class ExchangeCurl:
    """A recorded exchange as a curl command, and how faithful it is."""

    command: str
    """The command, safe to paste into a POSIX shell: the key is ``$KOMBO_API_KEY``."""
    exact: bool
    """True when running it sends the request that was recorded (the key aside)."""
    note: str | None = None
    """What the command cannot send and what to do about it (also in its comment lines)."""
    body_file: str | None = None
    """The file the command reads the body from (it must hold the exact body)."""


def _safe_for_shell(text: str) -> bool:
    """No control character at all: such a value is never put on a command line (even quoted,
    a pasted ESC or newline reaches the terminal or splits the header)."""
    return text.isprintable()


def exchange_curl(
    exchange: Exchange, *, body_file: str | None = None, missing_body: str = DEFAULT_BODY_NAME
) -> ExchangeCurl:
    """The curl command repeating a recorded exchange, never silently with another body.

    The key is never in it (``Authorization: Bearer $KOMBO_API_KEY``, expanded by the shell);
    every other value is quoted with :func:`shlex.quote`, and a header holding a control
    character is left out (and said so). The body:

    - a small recorded body that is exactly what was sent goes on the command line
      (``--data-raw``: a body starting with ``@`` is not read as a file name);
    - an upload's body, whose base64 was not recorded, is read from ``body_file`` when the
      caller wrote the exact body there (:func:`write_body`); without it, the command refuses
      to run until ``missing_body`` exists (``test -s body.json &&``) and its comment says
      how to write it — it never sends the elided JSON as if it were the upload;
    - a body that was not kept is treated the same way.

    Args:
        exchange: An HTTP exchange (a retry wait has no request).
        body_file: Where the exact body of an upload was written.
        missing_body: The file the command reads a body that was not recorded from.

    Raises:
        ValueError: a retry wait, or a request line with control characters (not a request
            this client could have sent).
    """
    if exchange.kind != "http":
        raise ValueError("a retry wait is not a request")
    if not _safe_for_shell(exchange.url) or not exchange.method.isalpha():
        raise ValueError("the recorded request line holds characters a command must not")
    notes: list[str] = []
    parts = [f"curl --fail-with-body -sS -X {shlex.quote(exchange.method)} {shlex.quote(exchange.url)}"]
    for name, value in exchange.request_headers:
        lower = name.lower()
        if lower in _LEFT_TO_CURL:
            continue
        if lower == "authorization":
            scheme = value.partition(" ")[0] if value.partition(" ")[0].isalpha() else "Bearer"
            # Double quotes: the shell running the command expands the key from its environment.
            parts.append(f'-H "Authorization: {scheme} {KEY_PLACEHOLDER}"')
            continue
        if not (_safe_for_shell(name) and _safe_for_shell(value)):
            notes.append(f"header {one_line(name)!r} left out: it holds control characters")
            continue
        if "••••" in value:
            notes.append(f"header {one_line(name)!r} left out: its secret was not recorded")
            continue
        parts.append("-H " + shlex.quote(f"{name}: {value}"))
    body = exchange.request_body
    exact = True
    guard: str | None = None
    used_file: str | None = None
    if body is not None and body.size != 0:
        text = body.text
        inline = (
            text is not None
            and not body.elided
            and "••••" not in text
            and len(text) <= INLINE_BODY_LIMIT
            and all(ch in "\n\t" or ch.isprintable() for ch in text)
        )
        if inline and text is not None:
            parts.append("--data-raw " + shlex.quote(text))
        elif body_file is not None:
            used_file = body_file
            parts.append("--data-binary " + shlex.quote(f"@{body_file}"))
        else:
            exact = False
            used_file = missing_body
            guard = used_file
            if body.elided:
                what = one_line(body.note or "the file's base64 was elided")
                notes.append(
                    f"the upload's base64 was not recorded ({what}): {used_file} must hold the exact body."
                    " F7 Export curl in the main screen writes it for the file in the form"
                )
            else:
                notes.append(f"the body ({body.size:,} bytes) was not recorded as sent: {used_file} must hold it")
            parts.append("--data-binary " + shlex.quote(f"@{used_file}"))
    command = " \\\n  ".join(parts)
    if guard is not None:
        # Without the body file curl would send an empty body with a warning: refuse instead.
        command = f"test -s {shlex.quote(guard)} && " + command
    comments = "".join(f"# {one_line(n)}\n" for n in notes)
    return ExchangeCurl(comments + command, exact=exact and not notes, note="; ".join(notes) or None, body_file=used_file)
