"""The commands around sending: ``sniff``, ``history``, ``sandbox``, ``serve``, and the app itself.

Each imports what it needs when it runs; opening the app imports textual only here, inside
:func:`cmd_tui`, so the headless commands never load it.
"""

from __future__ import annotations

import argparse
import os
import sys
from collections.abc import Sequence
from typing import Any

from ..core.errors import InputError, Problem
from ..core.text import one_line
from .diagnostics import ExitCode, Output, bad_input, link_line
from .parser import build_tui_parser

__all__ = ["cmd_history", "cmd_sandbox", "cmd_serve", "cmd_sniff", "cmd_tui", "tui_arguments"]


def cmd_sniff(args: argparse.Namespace, out: Output) -> int:
    """``kombo-tui sniff``: each file's MIME type, found the way ``send`` finds it."""
    from ..core.files.checks import check_file
    from ..core.files.naming import suggest_type
    from ..core.files.sniff import sniff_file

    results: list[dict[str, Any]] = []
    failed = False
    for path in args.files:
        try:
            st = check_file(path)
            found = sniff_file(path)
        except InputError as exc:
            failed = True
            for problem in exc.problems:
                out.note(f"kombo-tui: error: {problem}")
            results.append({"file": str(path), "ok": False, "error": str(exc.problems[0].message)})
            continue
        suggestion = suggest_type(path.name)
        row = {
            "file": str(path),
            "ok": True,
            "size": st.st_size,
            "mime": found.mime,
            "source": found.source,
            "generic": found.generic,
            "description": found.description,
            "note": found.note,
            "suggested_type": suggestion.value if suggestion else None,
        }
        results.append(row)
        if not out.json_mode:
            flags = []
            if found.source != "libmagic":
                flags.append(f"guessed from {found.source}")
            if found.generic:
                flags.append("generic")
            extra = f"  [{', '.join(flags)}]" if flags else ""
            kind = f"  type: {row['suggested_type']}" if row["suggested_type"] else ""
            shown = one_line(str(path))
            out.line(f"{shown}: {one_line(found.mime)} ({st.st_size:,} bytes){extra}{kind}")
            if found.note:
                out.warn(f"{shown}: {one_line(found.note)}")
    if out.json_mode:
        out.document({"ok": not failed, "files": results})
    return ExitCode.BAD_INPUT if failed else ExitCode.OK


def cmd_history(args: argparse.Namespace, out: Output) -> int:
    """``kombo-tui history``: the local audit log, newest first.

    A history that cannot be read (corrupt, unreadable) raises ``sqlite3.Error`` or
    ``OSError``, which :func:`kombo_tui.cli.main` reports as bad input.
    """
    from ..core.history import History

    history = History()
    har = getattr(args, "har", None)
    entry_id = getattr(args, "id", None)
    if har is not None and entry_id is None:
        return bad_input(out, [Problem("har", "--har writes one send's exchanges: give its --id N")])
    if entry_id is not None:
        found = history.entry(entry_id)
        if found is None:
            return bad_input(out, [Problem("id", f"no history entry {entry_id}")])
        entries = [found]
    else:
        entries = history.entries(limit=max(1, args.limit), search=args.search)
    written = None
    if har is not None and entry_id is not None:
        from ..core.wire.export import check_output

        check_output(har, field="har")
        try:
            written = history.export_har(entry_id, har)
        except LookupError as exc:
            return bad_input(out, [Problem("har", str(exc))])
        out.note(f"wrote {written} exchange(s) of entry {entry_id} to {one_line(str(har))}")
    if out.json_mode:
        doc: dict[str, Any] = {"ok": True, "entries": [e.to_json() for e in entries]}
        if written is not None:
            doc["har"] = {"path": str(har), "exchanges": written}
        out.document(doc)
        return ExitCode.OK
    if not entries:
        out.info("no uploads recorded yet")
        return ExitCode.OK
    # Every field was stored from a server's answer or a file name: each is one inert line.
    for e in entries:
        who = " / ".join(one_line(p) for p in (e.candidate, e.job) if p)
        code = f"  {one_line(e.error_code)}" if e.error_code else ""
        to = f"candidate {one_line(e.candidate_id)}" if e.candidate_id else one_line(e.application_id)
        out.line(
            f"#{e.id}  {one_line(e.at)}  {one_line(e.outcome):<16} {one_line(e.environment):<8} {one_line(e.file_name)} "
            f"({one_line(e.type)}, {e.size or 0:,} B) → {to} via "
            f"{one_line(e.integration_id)}{'  ' + who if who else ''}{code}"
        )
        if e.log_url:
            out.line(f"    {link_line(e.log_url)}")
    return ExitCode.OK


def cmd_sandbox(args: argparse.Namespace, out: Output) -> int:
    """``kombo-tui sandbox``: serve the Kombo-compatible sandbox on loopback until Ctrl-C."""
    from ..core.net import is_loopback_host
    from ..sandbox.app import SandboxConfig
    from ..sandbox.server import serve_forever

    if not is_loopback_host(args.host):
        return bad_input(out, [Problem("host", f"{args.host!r} is not a loopback address; the sandbox serves 127.0.0.1 only")])
    if not 0 <= args.error_rate <= 1:
        return bad_input(out, [Problem("error-rate", "must be between 0 and 1")])
    extra: dict[str, Any] = {}
    if args.seed is not None:
        extra["seed"] = args.seed
    if args.max_body_mb is not None:
        extra["max_body_bytes"] = int(args.max_body_mb * 1024 * 1024)
    try:
        config = SandboxConfig(
            latency=args.latency,
            rate_limit=args.rate_limit,
            rate_window=args.rate_window,
            concurrency_limit=args.concurrency_limit,
            error_rate=args.error_rate,
            drop_after_store=args.drop_after_store,
            **extra,
        )
    except ValueError as exc:
        return bad_input(out, [Problem("sandbox", str(exc))])
    try:
        serve_forever(args.host, args.port, config, out=out.out, log_level=args.log_level)
    except OSError as exc:
        return bad_input(out, [Problem("port", f"cannot listen on {args.host}:{args.port}: {exc.strerror}")])
    except KeyboardInterrupt:
        out.note("sandbox stopped")
        return ExitCode.INTERRUPTED
    return ExitCode.OK


def tui_arguments(args: argparse.Namespace) -> list[str]:
    """The TUI's arguments for the same target flags (each browser session runs it with them)."""
    flags: list[str] = []
    if args.sandbox:
        flags.append("--sandbox")
    if args.region:
        flags += ["--region", args.region]
    if args.base_url:
        flags += ["--base-url", args.base_url]
    if args.integration:
        flags += ["--integration", args.integration]
    if args.application:
        flags += ["--application", args.application]
    return flags


def cmd_serve(args: argparse.Namespace, out: Output) -> int:
    """``kombo-tui serve``: the app in a browser tab, on loopback only, behind a token.

    Every refusal (a non-loopback host, an unsafe ``--base-url``, a bad token in
    ``KOMBO_TUI_SERVE_TOKEN``, a port in use) is bad input (exit 2), checked before any
    server starts.
    """
    from ..core.net import check_base_url, is_loopback_host

    if not is_loopback_host(args.host):
        return bad_input(out, [Problem("host", f"{args.host!r} is not a loopback address; the app would be open to the network with your key")])
    if args.base_url:
        try:
            check_base_url(args.base_url)
        except InputError as exc:
            return bad_input(out, exc.problems)
    from ..web.guard import TOKEN_ENV, resolve_token
    from ..web.server import serve, session_command

    try:
        token = resolve_token(os.environ)
    except ValueError as exc:
        return bad_input(out, [Problem(TOKEN_ENV, str(exc))])
    try:
        serve(
            session_command(tui_arguments(args)),
            token=token,
            host=args.host,
            port=args.port,
            max_sessions=args.max_sessions,
            public_url=args.public_url,
            out=out.err,
        )
    except ValueError as exc:
        return bad_input(out, [Problem("serve", str(exc))])
    except OSError as exc:
        return bad_input(out, [Problem("port", f"cannot listen on {args.host}:{args.port}: {exc.strerror}")])
    return ExitCode.OK


def cmd_tui(argv: Sequence[str]) -> int:
    """Open the terminal app (the default without a command); textual is imported only here."""
    args = build_tui_parser().parse_args(argv)
    try:
        from ..tui.app import run_app
    except ImportError as exc:  # pragma: no cover - the TUI ships with the package
        print(f"kombo-tui: the terminal app is not available: {exc}", file=sys.stderr)
        return ExitCode.BAD_INPUT
    return int(
        run_app(
            sandbox=bool(args.sandbox),
            region=args.region,
            base_url=args.base_url,
            integration=args.integration,
            application=args.application,
            file=str(args.file) if args.file else None,
            trust_env_file=bool(args.trust_env_file),
        )
        or 0
    )
