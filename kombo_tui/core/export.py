"""Reproduce a prepared upload outside kombo-tui: the JSON body in a file plus a curl command.

The command never contains the API key: it reads ``$KOMBO_API_KEY`` from the shell that runs
it. The body is written to a file and sent with ``--data-binary @file`` so a 50 MB CV does not
end up on a command line (or in the clipboard). UI-free: the TUI and scripts both use it.
"""

from __future__ import annotations

import os
import shlex
from pathlib import Path

from .net import encode_path_segment
from .payload import PreparedUpload, ProgressCallback

__all__ = ["DEFAULT_BODY_NAME", "curl_command", "upload_url", "write_body"]

DEFAULT_BODY_NAME = "body.json"
"""File name the body is written to when the caller does not choose one."""


def upload_url(upload: PreparedUpload, base_url: str) -> str:
    """The endpoint URL for this upload, with the application id percent-encoded."""
    app = encode_path_segment(upload.application_id) if upload.application_id else "%7Bapplication_id%7D"
    return f"{base_url.rstrip('/')}/ats/applications/{app}/attachments"


def write_body(upload: PreparedUpload, path: Path | str, progress: ProgressCallback | None = None) -> Path:
    """Stream the exact JSON body of ``upload`` to ``path`` (written 0600: it holds the file).

    Memory stays flat whatever the file size (the body is produced chunk by chunk).

    Raises:
        FileChangedError: the file changed since it was chosen (the partial body is removed).
        OSError: ``path`` cannot be written.
    """
    target = Path(path)
    fd = os.open(target, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    try:
        with os.fdopen(fd, "wb") as fh:
            for chunk in upload.iter_body(progress):
                fh.write(chunk)
    except BaseException:
        target.unlink(missing_ok=True)
        raise
    return target


def curl_command(upload: PreparedUpload, base_url: str, body_path: Path | str = DEFAULT_BODY_NAME) -> str:
    """A copy-pasteable curl command sending ``body_path`` exactly as kombo-tui would.

    The key stays in the environment (``$KOMBO_API_KEY``, expanded by the shell inside double
    quotes); every other value is quoted with :func:`shlex.quote`.
    """
    integration = upload.integration_id or "{integration_id}"
    lines = [
        "curl --fail-with-body -sS -X POST " + shlex.quote(upload_url(upload, base_url)),
        '  -H "Authorization: Bearer $KOMBO_API_KEY"',
        "  -H " + shlex.quote(f"X-Integration-Id: {integration}"),
        "  -H 'Content-Type: application/json'",
        "  --data-binary " + shlex.quote(f"@{body_path}"),
    ]
    return " \\\n".join(lines)
