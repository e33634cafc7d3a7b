"""The command line: the TUI by default, plus headless ``send``, ``preview``, ``sniff``,
``sandbox``.

The headless commands are an API for scripts: stdout carries data (with ``--json`` exactly
one JSON document), stderr carries diagnostics, and the exit codes are :class:`ExitCode`.
This module never imports textual at import time; only the command that opens the TUI does.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
from collections.abc import Sequence
from dataclasses import dataclass
from enum import IntEnum
from pathlib import Path
from typing import IO, Any

from ._version import __version__
from .core.errors import ApiError, InputError, KomboError, Problem, TransportError

# Heavier modules (asyncio, pydantic, settings, httpx) are imported by the commands that use
# them: opening the TUI should not pay for them before its first frame.

__all__ = ["ExitCode", "main"]

# httpx imports its own command-line tool, and with it rich, whenever rich is installed (it is:
# textual needs it). We never use that tool; skipping it saves ~60 ms on every command.
sys.modules.setdefault("httpx._main", None)  # type: ignore[arg-type]


class ExitCode(IntEnum):
    """Exit codes of the headless commands (scripts rely on them)."""

    OK = 0
    """Sent (warnings go to stderr and into --json output)."""
    BAD_INPUT = 2
    """Bad input: nothing was sent."""
    API_ERROR = 3
    """Kombo answered with an error."""
    TRANSPORT = 4
    """Network failure; stderr says whether the body may have been received."""
    INTERRUPTED = 130


CLI_CHUNK_SIZE = 3 * 1024 * 1024
"""Raw bytes per streamed chunk for headless sends: no UI to keep responsive, so bigger."""

SUBCOMMANDS = ("send", "preview", "sniff", "sandbox", "history", "serve")


# --------------------------------------------------------------------------- parsers


def _add_target_args(p: argparse.ArgumentParser) -> None:
    where = p.add_mutually_exclusive_group()
    where.add_argument("--sandbox", action="store_true", help="use the embedded sandbox (no account needed)")
    where.add_argument("--region", choices=("eu", "us", "ca"), help="Kombo region (default: eu)")
    where.add_argument("--base-url", metavar="URL", help="custom API base URL (https; http only to loopback)")
    p.add_argument("--integration", metavar="ID", help="integration id, e.g. greenhouse:abc (or KOMBO_INTEGRATION_ID)")
    p.add_argument("--application", metavar="ID", help="Kombo application id (from GET /ats/applications)")


def _add_send_args(p: argparse.ArgumentParser) -> None:
    p.add_argument("files", nargs="*", type=Path, metavar="FILE", help="the file(s) to attach")
    p.add_argument("--data-url", metavar="URL", help="let Kombo download the file from this URL instead")
    p.add_argument("--manifest", type=Path, metavar="JSON", help='several files: [{"file": ..., "type": ..., "name": ..., "content_type": ...}]')
    _add_target_args(p)
    p.add_argument("--type", action="append", metavar="TYPE", help="CV, COVER_LETTER or OTHER, once per file (default: guessed from the name, else OTHER)")
    p.add_argument("--name", action="append", metavar="NAME", help="file name shown in the ATS, once per file (default: the file's name)")
    p.add_argument("--content-type", action="append", metavar="MIME", help="MIME type, once per file (default: sniffed from the content)")
    p.add_argument("--remote-fields", metavar="JSON", help="remote_fields as JSON, or @file.json")
    p.add_argument("--oracle-category", metavar="C", help="Oracle document category (IRC_CANDIDATE_RESUME, ...)")
    p.add_argument("--oracle-multi-post", action="store_true", help="Oracle: post to all current applications")
    p.add_argument("--greenhouse-on-behalf-of", metavar="ID", help="Greenhouse On-Behalf-Of user id")
    p.add_argument("--workable-on-behalf-of", metavar="ID", help="Workable on_behalf_of_user_remote_id")
    p.add_argument("--json", action="store_true", help="print one JSON document on stdout")


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="kombo-tui",
        description="Add a CV, cover letter or other file to a candidate's application in any ATS Kombo connects.",
        epilog="Commands: send, preview, sniff, sandbox, history, serve. Run 'kombo-tui COMMAND --help'. "
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
        "--force",
        action="store_true",
        help="send even though the history shows this file already sent (or with an unknown outcome) to this application",
    )

    preview = sub.add_parser("preview", help="show the request without sending", description="Show the exact request; never sends.")
    _add_send_args(preview)
    preview.add_argument("--full", action="store_true", help="include the whole base64 data")

    sniff = sub.add_parser("sniff", help="detect files' MIME types", description="Detect MIME types the way send does.")
    sniff.add_argument("files", nargs="+", type=Path, metavar="FILE")
    sniff.add_argument("--json", action="store_true", help="print one JSON document on stdout")

    history = sub.add_parser("history", help="show the local audit log of uploads", description="Show the local audit log (newest first).")
    history.add_argument("--search", metavar="TEXT", help="only rows mentioning TEXT (file, candidate, job, ids, code)")
    history.add_argument("--limit", type=int, default=50, metavar="N", help="at most N rows (default 50)")
    history.add_argument("--json", action="store_true", help="print one JSON document on stdout")

    serve = sub.add_parser("serve", help="serve the terminal app in a web browser", description="Serve the app as a web page (textual-serve) on loopback; each browser tab runs its own app.")
    _add_target_args(serve)
    serve.add_argument("--host", default="127.0.0.1", help="address to bind (default 127.0.0.1)")
    serve.add_argument("--port", type=int, default=8000, help="port (default 8000)")

    sandbox = sub.add_parser("sandbox", help="run the embedded Kombo sandbox", description="Serve a Kombo-compatible API on loopback until Ctrl-C.")
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
    parser = argparse.ArgumentParser(
        prog="kombo-tui",
        description="Open the terminal app. Commands: send, preview, sniff, sandbox, history, serve (kombo-tui COMMAND --help).",
    )
    parser.add_argument("--version", action="version", version=f"kombo-tui {__version__}")
    _add_target_args(parser)
    parser.add_argument("file", nargs="?", type=Path, metavar="FILE", help="a file to start with")
    return parser


# --------------------------------------------------------------------------- output


@dataclass
class Output:
    """stdout for data, stderr for diagnostics; --json keeps stdout to one document."""

    json_mode: bool
    out: IO[str]
    err: IO[str]

    def info(self, text: str) -> None:
        print(text, file=self.err if self.json_mode else self.out)

    def note(self, text: str) -> None:
        print(text, file=self.err)

    def warn(self, text: str) -> None:
        print(f"warning: {text}", file=self.err)

    def document(self, doc: dict[str, Any]) -> None:
        json.dump(doc, self.out, indent=2, ensure_ascii=False)
        self.out.write("\n")


def _bad_input(out: Output, problems: list[Problem], **extra: Any) -> int:
    for problem in problems:
        out.note(f"kombo-tui: error: {problem}")
    if out.json_mode:
        out.document(
            {
                "ok": False,
                "status": "bad_input",
                "error": {"kind": "InputError", "problems": [{"field": p.field, "message": p.message} for p in problems]},
                **extra,
            }
        )
    return ExitCode.BAD_INPUT


# --------------------------------------------------------------------------- send / preview


def _remote_from_args(args: argparse.Namespace) -> dict[str, Any] | None:
    """``--remote-fields`` merged with the per-connector flags."""
    from .core.payload import parse_remote_fields

    remote = parse_remote_fields(args.remote_fields) or None
    flags: dict[tuple[str, ...], Any] = {}
    if args.oracle_category:
        flags[("oracle", "override_document_category")] = args.oracle_category
    if args.oracle_multi_post:
        flags[("oracle", "multi_post_to_all_current_applications")] = True
    if args.greenhouse_on_behalf_of:
        flags[("greenhouse", "post_headers", "On-Behalf-Of")] = args.greenhouse_on_behalf_of
    if args.workable_on_behalf_of:
        flags[("workable", "on_behalf_of_user_remote_id")] = args.workable_on_behalf_of
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


def _read_manifest(path: Path) -> list[dict[str, Any]]:
    try:
        entries = json.loads(path.read_text(encoding="utf-8"))
    except OSError as exc:
        raise InputError.single("manifest", f"cannot read {path}: {exc.strerror}") from None
    except (ValueError, UnicodeDecodeError) as exc:
        raise InputError.single("manifest", f"{path} is not valid JSON ({exc})") from None
    if not isinstance(entries, list) or not entries:
        raise InputError.single("manifest", 'must be a non-empty JSON list like [{"file": "cv.pdf", "type": "CV"}]')
    known = {"file", "type", "name", "content_type"}
    for i, entry in enumerate(entries):
        if not isinstance(entry, dict) or not isinstance(entry.get("file"), str):
            raise InputError.single(f"manifest[{i}]", 'each entry needs "file": "path"')
        extra = set(entry) - known
        if extra:
            raise InputError.single(f"manifest[{i}]", f"unknown keys {sorted(extra)}; known: {sorted(known)}")
    base = path.parent
    return [{**e, "file": base / Path(e["file"]).expanduser()} for e in entries]


def _per_file(values: list[str] | None, count: int, flag: str) -> list[str | None]:
    if not values:
        return [None] * count
    if len(values) != count:
        raise InputError.single(flag.lstrip("-"), f"give {flag} once per file ({count} file(s), {len(values)} {flag})")
    return list(values)


def _drafts_from_args(args: argparse.Namespace, default_integration: str | None) -> list[Any]:
    """One Draft per file (or one for --data-url); raises InputError for bad flags."""
    from .core.payload import Draft

    remote = _remote_from_args(args)
    common = {
        "integration_id": args.integration or default_integration,
        "application_id": args.application,
        "remote_fields": remote,
    }
    if args.manifest is not None:
        if args.files or args.data_url:
            raise InputError.single("manifest", "give files either on the command line or in --manifest, not both")
        return [
            Draft(**common, file=e["file"], type=e.get("type"), name=e.get("name"), content_type=e.get("content_type"))
            for e in _read_manifest(args.manifest)
        ]
    files: list[Path | None] = list(args.files) or [None]
    if args.data_url and args.files and len(args.files) > 1:
        raise InputError.single("data_url", "--data-url sends one file; do not combine it with several files")
    types = _per_file(args.type, len(files), "--type")
    names = _per_file(args.name, len(files), "--name")
    ctypes = _per_file(args.content_type, len(files), "--content-type")
    return [
        Draft(**common, file=f, data_url=args.data_url, type=t, name=n, content_type=c)
        for f, t, n, c in zip(files, types, names, ctypes)
    ]


class _EarlyHashes:
    """Hash the files in background threads while the command loads its modules.

    hashlib releases the GIL, so a large file's sha256 is taken for free during imports.
    Any problem is left for :func:`prepare` to report properly.
    """

    def __init__(self, paths: Sequence[Path]) -> None:
        import threading

        self._found: dict[Path, Any] = {}
        self._threads = [threading.Thread(target=self._hash, args=(p,), daemon=True) for p in paths]
        for thread in self._threads:
            thread.start()

    def _hash(self, path: Path) -> None:
        from .core.files import check_file, fingerprint

        try:
            check_file(path)  # refuses FIFOs and devices without opening them
            self._found[path] = fingerprint(path)
        except Exception:  # noqa: BLE001 - prepare() checks again and says what is wrong
            pass

    def get(self, path: Path | None) -> Any:
        for thread in self._threads:
            thread.join()
        return self._found.get(path) if path is not None else None


def _prepare_all(
    drafts: list[Any], *, require_target: bool = True, hashes: _EarlyHashes | None = None
) -> list[Any]:
    """Validate every draft before anything is sent; problems name the file when several."""
    from .core.payload import prepare

    uploads = []
    problems: list[Problem] = []
    for draft in drafts:
        try:
            known = hashes.get(draft.file) if hashes is not None else None
            uploads.append(prepare(draft, require_target=require_target, known_fingerprint=known))
        except InputError as exc:
            for problem in exc.problems:
                if len(drafts) > 1 and draft.file is not None and problem.field not in ("integration", "application"):
                    problem = Problem(f"{draft.file}: {problem.field}", problem.message)
                if problem not in problems:
                    problems.append(problem)
    if problems:
        raise InputError(problems)
    return uploads


@dataclass
class Target:
    base_url: str
    api_key: Any  # SecretStr | None
    env_label: str
    key_source: str
    integration_id: str | None
    timeout: float
    upload_timeout: float
    server: Any = None

    def close(self) -> None:
        if self.server is not None:
            self.server.stop()
            self.server = None


def _resolve_target(args: argparse.Namespace, *, start_sandbox: bool = True) -> Target:
    """Settings → where to send and with which key. Starts the sandbox for --sandbox."""
    from pydantic import SecretStr

    from .core.settings import environment_label, load_settings

    if getattr(args, "sandbox", False):
        from .sandbox.data import DEFAULT_INTEGRATION_ID, SANDBOX_API_KEY

        server = None
        base_url = "http://127.0.0.1:0/v1"
        if start_sandbox:
            from .sandbox.server import SandboxServer

            server = SandboxServer()
            server.start()
            base_url = server.base_url
        return Target(
            base_url=base_url,
            api_key=SecretStr(SANDBOX_API_KEY),
            env_label="SANDBOX",
            key_source="sandbox",
            integration_id=DEFAULT_INTEGRATION_ID,
            timeout=30.0,
            upload_timeout=300.0,
            server=server,
        )
    settings = load_settings(region=args.region, base_url=args.base_url)
    base_url = settings.resolved_base_url()
    return Target(
        base_url=base_url,
        api_key=settings.api_key,
        env_label=environment_label(base_url),
        key_source=settings.key_source,
        integration_id=settings.integration_id,
        timeout=settings.timeout,
        upload_timeout=settings.upload_timeout,
    )


def _request_line(target: Target, upload: Any) -> dict[str, Any]:
    from .core.net import encode_path_segment

    app = encode_path_segment(upload.application_id) if upload.application_id else "{application_id}"
    return {
        "method": "POST",
        "url": f"{target.base_url}/ats/applications/{app}/attachments",
        "headers": {
            "Authorization": "Bearer $KOMBO_API_KEY",
            "X-Integration-Id": upload.integration_id or "{integration_id}",
            "Content-Type": "application/json",
            "Content-Length": str(upload.content_length),
        },
    }


def _cmd_preview(args: argparse.Namespace, out: Output) -> int:
    try:
        target = _resolve_target(args, start_sandbox=False)
        # A preview may leave the target open: it shows placeholders instead.
        uploads = _prepare_all(_drafts_from_args(args, target.integration_id), require_target=False)
    except InputError as exc:
        return _bad_input(out, exc.problems)
    docs = []
    for upload in uploads:
        for warning in upload.warnings:
            out.warn(f"{upload.name}: {warning}" if len(uploads) > 1 else warning)
        request = _request_line(target, upload)
        if out.json_mode:
            docs.append({**request, "body": upload.preview(full=args.full), "request": upload.describe()})
            continue
        out.out.write(f"{request['method']} {request['url']}\n")
        for name, value in request["headers"].items():
            out.out.write(f"{name}: {value}\n")
        out.out.write("\n")
        if args.full:
            for chunk in upload.iter_body():  # streamed: flat memory for any size
                out.out.write(chunk.decode())
            out.out.write("\n")
        else:
            out.out.write(json.dumps(upload.preview(), indent=2, ensure_ascii=False) + "\n")
    if out.json_mode:
        if len(docs) == 1:
            out.document({"ok": True, "status": "preview", **docs[0]})
        else:
            out.document({"ok": True, "status": "preview", "requests": docs})
    return ExitCode.OK


def _progress_printer(out: Output) -> Any:
    if out.json_mode or not out.err.isatty():
        return None
    last = [-1]

    def show(sent: int, total: int) -> None:
        pct = int(sent * 100 / total) if total else 100
        if pct != last[0]:
            last[0] = pct
            out.err.write(f"\rsending… {pct:3d}% of {total:,} bytes")
            if sent >= total:
                out.err.write("\n")
            out.err.flush()

    return show


def _duplicate_problems(history: Any, uploads: list[Any], environment: str) -> list[Problem]:
    problems = []
    for upload in uploads:
        if upload.fingerprint is None:
            continue
        earlier = history.previous_uploads(
            upload.application_id,
            upload.fingerprint.sha256,
            environment=environment,
            integration_id=upload.integration_id,
        )
        if not earlier:
            continue
        last = earlier[0]
        state = "with an unknown outcome" if last.outcome == "unknown" else "successfully"
        problems.append(
            Problem(
                "file",
                f"{upload.name} (sha256 {upload.fingerprint.sha256[:12]}…) was already sent {state} to "
                f"application {upload.application_id} at {last.at}; "
                + ("check with --verify first, or " if last.outcome == "unknown" else "")
                + "pass --force to send it again",
            )
        )
    return problems


def _cmd_send(args: argparse.Namespace, out: Output) -> int:
    hashes = _EarlyHashes(args.files)  # first: it overlaps with the imports below

    from .core.client import KomboClient
    from .core.engine import send_batch
    from .core.history import History

    try:
        target = _resolve_target(args, start_sandbox=False)
        uploads = _prepare_all(_drafts_from_args(args, target.integration_id), hashes=hashes)
    except InputError as exc:
        return _bad_input(out, exc.problems)
    if target.api_key is None:
        return _bad_input(
            out,
            [
                Problem(
                    "api_key",
                    "no API key: set KOMBO_API_KEY (environment or .env), save one in the app, or use --sandbox",
                )
            ],
        )
    many = len(uploads) > 1
    for upload in uploads:
        upload.chunk_size = CLI_CHUNK_SIZE
        prefix = f"{upload.name}: " if many else ""
        for warning in upload.warnings:
            out.warn(f"{prefix}{warning}")
        if upload.type_suggested:
            out.note(f"{prefix}type {upload.type.value} (guessed from the name; set --type to choose)")
    if args.dry_run:
        if out.json_mode:
            docs = [{**_request_line(target, u), "body": u.preview(), "request": u.describe()} for u in uploads]
            out.document({"ok": True, "status": "dry_run", **docs[0]} if not many else {"ok": True, "status": "dry_run", "requests": docs})
        else:
            for u in uploads:
                out.info(f"dry run: would send {u.name} ({u.type.value}, {u.content_type}, {u.size:,} bytes)")
            out.info(f"  to application {uploads[0].application_id} via {uploads[0].integration_id} ({target.env_label})")
        return ExitCode.OK

    history = History()
    # An in-process sandbox starts empty on every run: earlier sandbox sends cannot be there.
    if not args.force and not args.sandbox:
        problems = _duplicate_problems(history, uploads, target.env_label)
        if problems:
            return _bad_input(out, problems)

    if args.sandbox:
        target = _resolve_target(args)
    api_key = target.api_key
    sent_fully: dict[int, bool] = {}
    printer = _progress_printer(out) if not many else None

    def progress(index: int, sent: int, total: int) -> None:
        sent_fully[index] = sent >= total
        if printer is not None:
            printer(sent, total)

    try:
        client = KomboClient(
            api_key,  # type: ignore[arg-type]
            base_url=target.base_url,
            timeout=target.timeout,
            upload_timeout=target.upload_timeout,
        )
    except InputError as exc:
        target.close()
        return _bad_input(out, exc.problems)

    async def run() -> Any:
        async with client:
            return await send_batch(
                client,
                uploads,
                progress=progress,
                verify=args.verify,
                history=history,
                environment=target.env_label,
                on_retry=lambda n: out.note(
                    f"retrying in {n.delay:.1f}s (attempt {n.attempt + 1} of {n.max_attempts}): {n.reason}"
                ),
            )

    import asyncio

    try:
        outcomes = asyncio.run(run())
    except KeyboardInterrupt:
        if any(sent_fully.values()):
            out.note("kombo-tui: interrupted after a whole body was sent: the outcome is unknown; "
                     "check the application's attachments (send --verify) before resending")
        else:
            out.note("kombo-tui: interrupted before any body was complete: nothing was stored")
        return ExitCode.INTERRUPTED
    finally:
        target.close()

    codes = [_report_outcome(out, o, target.env_label, many) for o in outcomes]
    if out.json_mode:
        docs = [o.to_json() for o in outcomes]
        for doc in docs:
            doc["environment"] = target.env_label
        if many:
            out.document({"ok": all(c == ExitCode.OK for c in codes), "status": "batch", "results": docs})
        else:
            out.document(docs[0])
    for severity in (ExitCode.TRANSPORT, ExitCode.API_ERROR, ExitCode.BAD_INPUT):
        if severity in codes:
            return severity
    return ExitCode.OK


def _report_outcome(out: Output, outcome: Any, env_label: str, many: bool) -> ExitCode:
    """Tell the user how one send ended; return its exit code."""
    upload = outcome.upload
    prefix = f"{upload.name}: " if many else ""
    for warning in outcome.warnings:
        out.warn(prefix + warning)
    for note in outcome.notes:
        out.warn(prefix + note)
    if outcome.status == "sent":
        if not out.json_mode:
            out.info(
                f"sent {upload.name} ({upload.type.value}, {upload.content_type}, {upload.size:,} bytes) "
                f"to application {upload.application_id} via {upload.integration_id} ({env_label})"
            )
        if outcome.verification is not None:
            out.note(f"{prefix}verify: {outcome.verification.summary()}")
        return ExitCode.OK
    error = outcome.error
    assert error is not None
    if many:
        out.note(f"{upload.name}: not sent ({outcome.status})")
    _describe_error(out, error)
    if outcome.verification is not None:
        out.note(f"{prefix}verify: {outcome.verification.summary()}")
        if outcome.landed and outcome.status == "unknown":
            out.note(f"{prefix}the answer was lost, but the file is on the application: do not send it again")
            return ExitCode.OK
    elif outcome.status == "unknown":
        out.note(f"{prefix}check the application's attachments (send --verify) before resending")
    if isinstance(error, ApiError):
        return ExitCode.API_ERROR
    if outcome.status == "file_changed":
        return ExitCode.BAD_INPUT
    return ExitCode.TRANSPORT


def _describe_error(out: Output, error: KomboError) -> None:
    from .core.hints import hint_for

    if isinstance(error, ApiError):
        out.note(f"kombo-tui: Kombo answered HTTP {error.status}: {error.code or 'no error code'}")
        if error.title:
            out.note(f"  {error.title}")
        if error.message:
            out.note(f"  {error.message}")
        if error.log_url:
            out.note(f"  log: {error.log_url}")
    elif isinstance(error, TransportError):
        out.note(f"kombo-tui: {error}")
        out.note(
            "  the body may have been received: the outcome is unknown"
            if error.sent
            else "  nothing was received by the server"
        )
    else:
        out.note(f"kombo-tui: {error}")
    hint = hint_for(error)
    if hint:
        out.note(f"  hint: {hint}")


# --------------------------------------------------------------------------- sniff


def _cmd_sniff(args: argparse.Namespace, out: Output) -> int:
    from .core.files import check_file
    from .core.naming import suggest_type
    from .core.sniff import sniff_file

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
            out.out.write(f"{path}: {found.mime} ({st.st_size:,} bytes){extra}{kind}\n")
            if found.note:
                out.warn(f"{path}: {found.note}")
    if out.json_mode:
        out.document({"ok": not failed, "files": results})
    return ExitCode.BAD_INPUT if failed else ExitCode.OK


# --------------------------------------------------------------------------- history


def _cmd_history(args: argparse.Namespace, out: Output) -> int:
    from .core.history import History

    entries = History().entries(limit=max(1, args.limit), search=args.search)
    if out.json_mode:
        out.document({"ok": True, "entries": [e.to_json() for e in entries]})
        return ExitCode.OK
    if not entries:
        out.info("no uploads recorded yet")
        return ExitCode.OK
    for e in entries:
        who = " / ".join(p for p in (e.candidate, e.job) if p)
        code = f"  {e.error_code}" if e.error_code else ""
        out.out.write(
            f"{e.at}  {e.outcome:<16} {e.environment:<8} {e.file_name} ({e.type}, {e.size or 0:,} B) "
            f"→ {e.application_id} via {e.integration_id}{'  ' + who if who else ''}{code}\n"
        )
        if e.log_url:
            out.out.write(f"    log: {e.log_url}\n")
    return ExitCode.OK


# --------------------------------------------------------------------------- sandbox


def _cmd_sandbox(args: argparse.Namespace, out: Output) -> int:
    from .core.net import is_loopback_host
    from .sandbox.app import SandboxConfig
    from .sandbox.server import serve_forever

    if not is_loopback_host(args.host):
        return _bad_input(out, [Problem("host", f"{args.host!r} is not a loopback address; the sandbox serves 127.0.0.1 only")])
    if not 0 <= args.error_rate <= 1:
        return _bad_input(out, [Problem("error-rate", "must be between 0 and 1")])
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
        return _bad_input(out, [Problem("sandbox", str(exc))])
    try:
        serve_forever(args.host, args.port, config, out=out.out, log_level=args.log_level)
    except OSError as exc:
        return _bad_input(out, [Problem("port", f"cannot listen on {args.host}:{args.port}: {exc.strerror}")])
    except KeyboardInterrupt:
        out.note("sandbox stopped")
        return ExitCode.INTERRUPTED
    return ExitCode.OK


# --------------------------------------------------------------------------- serve


def tui_command(args: argparse.Namespace) -> list[str]:
    """The command line that opens the TUI with the same target flags."""
    cmd = [sys.executable, "-m", "kombo_tui"]
    if args.sandbox:
        cmd.append("--sandbox")
    if args.region:
        cmd += ["--region", args.region]
    if args.base_url:
        cmd += ["--base-url", args.base_url]
    if args.integration:
        cmd += ["--integration", args.integration]
    if args.application:
        cmd += ["--application", args.application]
    return cmd


def _cmd_serve(args: argparse.Namespace, out: Output) -> int:
    import shlex

    from .core.net import is_loopback_host

    if not is_loopback_host(args.host):
        return _bad_input(out, [Problem("host", f"{args.host!r} is not a loopback address; the app would be open to the network with your key")])
    if args.base_url:
        from .core.net import check_base_url

        check_base_url(args.base_url)
    from textual_serve.server import Server

    command = " ".join(shlex.quote(part) for part in tui_command(args))
    out.note(f"kombo-tui in the browser: http://{args.host}:{args.port}  (Ctrl-C to stop)")
    Server(command, host=args.host, port=args.port, title="kombo-tui").serve()
    return ExitCode.OK


# --------------------------------------------------------------------------- TUI


def _cmd_tui(argv: Sequence[str]) -> int:
    args = build_tui_parser().parse_args(argv)
    try:
        from .tui.app import run_app
    except ImportError as exc:  # pragma: no cover - the TUI ships with the package
        print(f"kombo-tui: the terminal app is not available: {exc}", file=sys.stderr)
        return ExitCode.BAD_INPUT
    return int(run_app(args) or 0)


# --------------------------------------------------------------------------- main


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of the ``kombo-tui`` command."""
    argv = list(sys.argv[1:] if argv is None else argv)
    if not argv or (argv[0] not in SUBCOMMANDS and argv[0] not in ("-h", "--help")):
        try:
            return _cmd_tui(argv)
        except KeyboardInterrupt:
            return ExitCode.INTERRUPTED
    for stream in (sys.stdout, sys.stderr):
        # File names may hold bytes that are not UTF-8: show them escaped rather than crash.
        if hasattr(stream, "reconfigure"):
            stream.reconfigure(errors="backslashreplace")
    parser = build_parser()
    try:
        args = parser.parse_args(argv)
    except SystemExit as exc:
        return ExitCode.BAD_INPUT if exc.code not in (0, None) else ExitCode.OK
    from .core.settings import ConfigError

    out = Output(json_mode=bool(getattr(args, "json", False)), out=sys.stdout, err=sys.stderr)
    handlers = {
        "send": _cmd_send,
        "preview": _cmd_preview,
        "sniff": _cmd_sniff,
        "sandbox": _cmd_sandbox,
        "history": _cmd_history,
        "serve": _cmd_serve,
    }
    try:
        return int(handlers[args.command](args, out))
    except KeyboardInterrupt:
        out.note("kombo-tui: interrupted")
        return ExitCode.INTERRUPTED
    except ConfigError as exc:
        return _bad_input(out, [Problem("config", str(exc))])
    except BrokenPipeError:  # e.g. piped into head
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
        return ExitCode.OK


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
