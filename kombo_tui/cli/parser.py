"""The command line's grammar: the headless commands' parser and the app's.

The per-connector flags of ``send`` and ``preview`` (``--oracle-category``, ...) are generated
from the remote-field specs in :mod:`kombo_tui.core.connectors`, so a field added there gets
its flag, and :func:`remote_fields_from_args` puts each flag's value at the field's path.
"""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import Any

from .._version import __version__

__all__ = ["SUBCOMMANDS", "add_debug_args", "build_parser", "build_tui_parser", "remote_fields_from_args"]

SUBCOMMANDS = ("send", "preview", "sniff", "sandbox", "history", "serve", "bulk")


def add_target_args(p: argparse.ArgumentParser) -> None:
    """Where to send: sandbox, region or base URL; and the integration and application."""
    where = p.add_mutually_exclusive_group()
    where.add_argument("--sandbox", action="store_true", help="use the embedded sandbox (no account needed)")
    where.add_argument("--region", choices=("eu", "us", "ca"), help="Kombo region (default: eu)")
    where.add_argument("--base-url", metavar="URL", help="custom API base URL (https; http only to loopback)")
    p.add_argument(
        "--trust-env-file",
        action="store_true",
        help="let a .env in this folder set the base URL, region or integration for a key from elsewhere "
        "(refused by default: a received folder could send your key where it likes)",
    )
    p.add_argument("--integration", metavar="ID", help="integration id, e.g. greenhouse:abc (or KOMBO_INTEGRATION_ID)")
    p.add_argument("--application", metavar="ID", help="Kombo application id (from GET /ats/applications)")


def add_debug_args(p: argparse.ArgumentParser, *, har: bool = True) -> None:
    """``-v/--verbose`` (and ``--har FILE``, ``--har-full``): see :mod:`kombo_tui.cli.debugging`.

    Any command that talks to Kombo adopts them with this one call (``har=False`` for one
    that sends nothing, like ``preview``).
    """
    p.add_argument(
        "-v",
        "--verbose",
        action="count",
        default=0,
        help="print each HTTP exchange on stderr as HTTPie does: request and response lines, headers "
        "(key masked) and timings; twice (-vv) also the bodies (file data elided)",
    )
    if har:
        p.add_argument(
            "--har",
            type=Path,
            metavar="FILE",
            help="write the exchanges to FILE as HAR 1.2 for browser dev tools, Charles, Postman... "
            "(key masked, file data elided; mode 0600; a symlink there is replaced, never followed)",
        )
        p.add_argument("--har-full", action="store_true", help="with --har: keep the file's whole base64 data in it")


def _add_remote_field_flags(p: argparse.ArgumentParser) -> None:
    from ..core.connectors import REMOTE_FIELD_FAMILIES

    for family in REMOTE_FIELD_FAMILIES:
        for spec in family.fields:
            if not spec.cli_flag:
                continue
            if spec.kind == "bool":
                p.add_argument(spec.cli_flag, action="store_true", help=spec.cli_help)
            else:
                p.add_argument(spec.cli_flag, metavar=spec.cli_metavar or None, help=spec.cli_help)


def _add_send_args(p: argparse.ArgumentParser) -> None:
    p.add_argument("files", nargs="*", type=Path, metavar="FILE", help="the file(s) to attach")
    p.add_argument("--data-url", metavar="URL", help="let Kombo download the file from this URL instead")
    p.add_argument("--manifest", type=Path, metavar="JSON", help='several files: [{"file": ..., "type": ..., "name": ..., "content_type": ...}]')
    add_target_args(p)
    p.add_argument(
        "--candidate",
        metavar="ID",
        help="send to this Kombo candidate instead of an application (POST /ats/candidates/{id}/attachments; "
        "Kombo recommends the application endpoint; no Oracle fields)",
    )
    p.add_argument("--type", action="append", metavar="TYPE", help="CV, COVER_LETTER or OTHER, once per file (default: guessed from the name, else OTHER)")
    p.add_argument("--name", action="append", metavar="NAME", help="file name shown in the ATS, once per file (default: the file's name)")
    p.add_argument("--content-type", action="append", metavar="MIME", help="MIME type, once per file (default: sniffed from the content)")
    p.add_argument("--remote-fields", metavar="JSON", help="remote_fields as JSON, or @file.json")
    _add_remote_field_flags(p)
    p.add_argument("--json", action="store_true", help="print one JSON document on stdout")


def build_parser() -> argparse.ArgumentParser:
    """The parser of the headless commands (``kombo-tui COMMAND ...``)."""
    parser = argparse.ArgumentParser(
        prog="kombo-tui",
        description="Add a CV, cover letter or other file to a candidate's application in any ATS Kombo connects.",
        epilog="Commands: send, preview, sniff, bulk, sandbox, history, serve. Run 'kombo-tui COMMAND --help'. "
        "Without a command the terminal app opens.",
    )
    parser.add_argument("--version", action="version", version=f"kombo-tui {__version__}")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")

    send = sub.add_parser("send", help="send a file (headless)", description="Send a file to an application.")
    _add_send_args(send)
    send.add_argument("--dry-run", action="store_true", help="validate and show what would be sent; send nothing")
    send.add_argument(
        "--verify",
        action="store_true",
        help="list the application's attachments before and after sending, and say whether the file is there",
    )
    send.add_argument(
        "--check-existing",
        action="store_true",
        help="before sending, list what is on the application (or candidate) and note a same-named file; "
        "this read counts against Kombo's concurrency limit for the integration",
    )
    send.add_argument(
        "--skip-limits",
        action="store_true",
        help="do not read the integration's published size and MIME limits before sending "
        "(by default a file above them is refused before its first byte, exit 2)",
    )
    add_debug_args(send)
    send.add_argument(
        "--force",
        action="store_true",
        help="send even though the history shows this file already sent (or with an unknown outcome) to this application",
    )
    send.add_argument(
        "--no-history",
        action="store_true",
        help="send without the local history: no duplicate check, no record of the send (by default a send "
        "the history cannot record first is refused, exit 2)",
    )

    preview = sub.add_parser("preview", help="show the request without sending", description="Show the exact request; never sends.")
    _add_send_args(preview)
    preview.add_argument("--full", action="store_true", help="include the whole base64 data")
    add_debug_args(preview, har=False)

    sniff = sub.add_parser("sniff", help="detect files' MIME types", description="Detect MIME types the way send does.")
    sniff.add_argument("files", nargs="+", type=Path, metavar="FILE")
    sniff.add_argument("--json", action="store_true", help="print one JSON document on stdout")

    history = sub.add_parser("history", help="show the local audit log of uploads", description="Show the local audit log (newest first).")
    history.add_argument("--search", metavar="TEXT", help="only rows mentioning TEXT (file, candidate, job, ids, code)")
    history.add_argument("--limit", type=int, default=50, metavar="N", help="at most N rows (default 50)")
    history.add_argument("--id", type=int, metavar="N", help="only the entry with this id")
    history.add_argument(
        "--har",
        type=Path,
        metavar="FILE",
        help="with --id: write that send's recorded exchanges to FILE as HAR 1.2 (key masked, file data elided)",
    )
    history.add_argument("--json", action="store_true", help="print one JSON document on stdout")

    serve = sub.add_parser(
        "serve",
        help="serve the terminal app in a web browser",
        description="Serve the app as a web page (textual-serve) on loopback; each browser tab runs its own app. "
        "Open the printed URL: it carries the access token (set it with KOMBO_TUI_SERVE_TOKEN).",
    )
    add_target_args(serve)
    serve.add_argument("--host", default="127.0.0.1", help="loopback address to bind (default 127.0.0.1)")
    serve.add_argument("--port", type=int, default=8000, help="port (default 8000)")
    serve.add_argument("--max-sessions", type=int, default=3, metavar="N", help="browser sessions (app processes) at once (default 3)")
    serve.add_argument(
        "--public-url",
        metavar="URL",
        help="the https address a proxy (e.g. a Jupyter server) shows the app under: allowed as one more Host and Origin",
    )

    add_bulk_parser(sub)

    sandbox = sub.add_parser(
        "sandbox",
        help="run the embedded Kombo sandbox",
        description="Serve a Kombo-compatible API on loopback until Ctrl-C.",
        epilog=_sandbox_integrations(),
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    sandbox.add_argument("--host", default="127.0.0.1", help="loopback address to bind (default 127.0.0.1)")
    sandbox.add_argument("--port", type=int, default=8765, help="port (default 8765; 0 picks a free one)")
    sandbox.add_argument("--latency", type=float, default=0.0, metavar="SECONDS", help="delay every answer")
    sandbox.add_argument("--rate-limit", type=int, metavar="N", help="allow N requests per window, then 429")
    sandbox.add_argument("--rate-window", type=float, default=60.0, metavar="SECONDS", help="rate-limit window")
    sandbox.add_argument("--concurrency-limit", type=int, default=30, metavar="N", help="actions in flight per integration")
    sandbox.add_argument("--error-rate", type=float, default=0.0, metavar="SHARE", help="share of requests answered 5xx (0-1)")
    sandbox.add_argument("--drop-after-store", action="store_true", help="store uploads, then drop the connection")
    sandbox.add_argument("--seed", type=int, help="seed of the demo data (default: fixed, so data is the same every run)")
    sandbox.add_argument("--max-body-mb", type=float, metavar="MB", help="largest request body accepted (default 100)")
    sandbox.add_argument("--log-level", default="warning", choices=("critical", "error", "warning", "info", "debug"), help="server log level")
    return parser


def build_tui_parser() -> argparse.ArgumentParser:
    """The parser of ``kombo-tui [target flags] [FILE]``, which opens the app."""
    parser = argparse.ArgumentParser(
        prog="kombo-tui",
        description="Open the terminal app. Commands: send, preview, sniff, bulk, sandbox, history, serve (kombo-tui COMMAND --help).",
    )
    parser.add_argument("--version", action="version", version=f"kombo-tui {__version__}")
    add_target_args(parser)
    parser.add_argument("file", nargs="?", type=Path, metavar="FILE", help="a file to start with")
    return parser


def remote_fields_from_args(args: argparse.Namespace) -> dict[str, Any] | None:
    """``--remote-fields`` merged with the per-connector flags (each flag wins at its path).

    Raises:
        InputError: ``--remote-fields`` is not valid JSON (or its ``@file`` cannot be read).
    """
    from ..core.connectors import REMOTE_FIELD_FAMILIES
    from ..core.payload import parse_remote_fields

    remote = parse_remote_fields(args.remote_fields) or None
    flags: dict[tuple[str, ...], Any] = {}
    for family in REMOTE_FIELD_FAMILIES:
        for spec in family.fields:
            if not spec.cli_flag:
                continue
            value = getattr(args, spec.cli_flag.lstrip("-").replace("-", "_"))
            if value:
                flags[spec.path] = True if spec.kind == "bool" else value
    if flags:
        remote = dict(remote or {})
        for path, value in flags.items():
            node = remote
            for key in path[:-1]:
                child = node.get(key)
                node[key] = child = dict(child) if isinstance(child, dict) else {}
                node = child
            node[path[-1]] = value
    return remote


def _sandbox_integrations() -> str:
    """The sandbox's integrations for ``kombo-tui sandbox --help`` (``X-Integration-Id`` values)."""
    from ..sandbox.integrations import INTEGRATIONS, SANDBOX_API_KEY

    width = max(len(i.id) for i in INTEGRATIONS)
    lines = [f"  {i.id:<{width}}  {i.demonstrates}" for i in INTEGRATIONS]
    return f"integrations (X-Integration-Id; the key is {SANDBOX_API_KEY}):\n" + "\n".join(lines)


def add_bulk_parser(sub: Any) -> None:
    """The ``bulk`` subcommand's flags."""
    p = sub.add_parser(
        "bulk",
        help="send a plan of many files to many applications (checked first, resumable)",
        description="Send every row of PLAN (CSV with a header, or JSON Lines) once. Rerun the same command to resume.",
        epilog="Exit codes: 0 all sent or already there; 2 plan invalid, nothing sent; 3 some rows refused; "
        "4 some outcomes unknown after verification; 130 interrupted (rerun to resume).",
    )
    p.add_argument("plan", type=Path, metavar="PLAN", nargs="?", help="columns: integration_id, application_id, file (or data_url), type, name, content_type, remote_fields")
    p.add_argument("--from-folder", type=Path, metavar="DIR", help="instead of PLAN: a plan from DIR's files, named EMAIL.ext, APPLICATION_ID.ext or 'KEY - Name.ext' (written beside the journal and shown)")
    where = p.add_mutually_exclusive_group()
    where.add_argument("--sandbox", action="store_true", help="use the embedded sandbox (no account needed)")
    where.add_argument("--region", choices=("eu", "us", "ca"), help="Kombo region (default: eu)")
    where.add_argument("--base-url", metavar="URL", help="custom API base URL (https; http only to loopback)")
    p.add_argument("--integration", metavar="ID", help="integration for rows without integration_id (or KOMBO_INTEGRATION_ID)")
    p.add_argument("--dry-run", action="store_true", help="check the whole plan and print the check; send nothing")
    p.add_argument("--concurrency", type=int, default=32, metavar="N", help="at most N uploads in flight per integration (default 32; Kombo's limit applies below it)")
    p.add_argument("--skip-invalid", action="store_true", help="send the valid rows even if some are invalid (they are reported)")
    p.add_argument("--no-history", action="store_true", help="send without the local history: no duplicate check across runs and doors, nothing recorded (by default a run the history cannot record is refused)")
    p.add_argument("--allow-outside", action="store_true", help="let rows name files outside the plan's folder (an absolute or .. path, a link out); refused by default")
    p.add_argument("--report", type=Path, metavar="FILE", help="write every row's outcome to FILE (.json for JSON, else CSV)")
    p.add_argument("--recheck-after", type=float, default=30.0, metavar="SECONDS", help="on resume, wait this long after a row was caught in flight before looking for it (default 30)")
    p.add_argument("--json", action="store_true", help="print one JSON document on stdout; no progress")
