"""Reproduce a prepared upload outside kombo-tui: the JSON body in a file plus a curl command.

The command never contains the API key: it reads ``$KOMBO_API_KEY`` from the shell that runs
it. The body is written to a file and sent with ``--data-binary @file`` so a 50 MB CV does not
end up on a command line (or in the clipboard). UI-free: the TUI and scripts both use it.
"""

from __future__ import annotations

import os
import secrets
import shlex
from collections.abc import Iterable
from pathlib import Path
from typing import Any

from .payload import PreparedUpload, ProgressCallback

__all__ = [
    "DEFAULT_BODY_NAME",
    "KEY_PLACEHOLDER",
    "curl_command",
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


def upload_url(upload: PreparedUpload, base_url: str) -> str:
    """The endpoint URL for this upload, with the application (or candidate) id percent-encoded.

    An application not chosen yet shows as ``{application_id}``, percent-encoded like any
    other id, so the URL stays one that could be sent.
    """
    return f"{base_url.rstrip('/')}/{upload.endpoint_path()}"


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


def write_private(path: Path | str, chunks: Iterable[bytes], mode: int = 0o600) -> Path:
    """Write ``chunks`` to ``path`` with ``mode``, never through a planted symlink.

    The bytes go to a new file in the same directory (``O_CREAT | O_EXCL | O_NOFOLLOW``, so
    nothing that exists is opened), its mode is set on the descriptor, and it is renamed over
    ``path``: whatever was there — a file with a looser mode, or a symlink to somewhere else —
    is replaced itself, and a symlink's target is never written or chmod-ed.

    Raises:
        OSError: ``path`` cannot be written (the temporary file is removed).
    """
    target = Path(path)
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
    through :func:`write_private`: a symlink planted at ``path`` is replaced, never followed.

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
