"""``kombo-tui send`` and ``kombo-tui preview``: from flags to requests, and how each send ended.

Flags (or a ``--manifest``) become drafts, every draft is validated before anything is sent,
then the uploads go through the core's engine and each outcome is reported on stdout/stderr
(or in the one ``--json`` document) with its exit code. ``send`` starts hashing the files
before it imports the heavy modules, so the sha256 of a large file costs nothing extra.
"""

from __future__ import annotations

import argparse
import json
import os
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

from ..core.errors import AlreadyThereError, ApiError, InputError, Problem
from ..core.text import inert, one_line
from .diagnostics import ExitCode, Output, describe_error
from .parser import remote_fields_from_args

if TYPE_CHECKING:
    from ..core.client import KomboClient
    from ..core.files.checks import Fingerprint
    from ..core.outcome import SendOutcome
    from ..core.payload import PreparedUpload
    from ..core.target import Target

__all__ = ["CLI_CHUNK_SIZE", "cmd_preview", "cmd_send", "report_outcome", "resolve_target", "shown_name"]

CLI_CHUNK_SIZE = 3 * 1024 * 1024
"""Raw bytes per streamed chunk for headless sends: no UI to keep responsive, so bigger."""

NO_KEY_ADVICE = "set KOMBO_API_KEY (environment or .env), save one in the app, or use --sandbox"

CANDIDATE_NOTE = (
    "note: sending to the candidate (POST /ats/candidates/{id}/attachments); Kombo recommends the "
    "application endpoint (--application), which falls back to the candidate by itself"
)


# --------------------------------------------------------------------------- drafts


def resolve_target(args: argparse.Namespace) -> Target:
    """The target of ``--sandbox`` / ``--region`` / ``--base-url`` (the sandbox is not started)."""
    from ..core.target import Target

    spec = None
    if getattr(args, "sandbox", False):
        from ..sandbox.embedded import embedded

        spec = embedded()
    return Target.resolve(
        sandbox=spec, region=args.region, base_url=args.base_url, trust_env_file=getattr(args, "trust_env_file", False)
    )


MAX_MANIFEST_BYTES = 1024 * 1024
"""The largest --manifest accepted (1 MiB: thousands of entries)."""


def _read_manifest(path: Path) -> list[dict[str, Any]]:
    from ..core.jsonload import load_json

    try:
        with path.open("rb") as fh:
            raw = fh.read(MAX_MANIFEST_BYTES + 1)
    except OSError as exc:
        raise InputError.single("manifest", f"cannot read {path}: {exc.strerror}") from None
    # Size and depth are checked before parsing: a deep document never reaches json.loads.
    entries = load_json(raw, field="manifest", max_bytes=MAX_MANIFEST_BYTES, max_depth=3)
    if not isinstance(entries, list) or not entries:
        raise InputError.single("manifest", 'must be a non-empty JSON list like [{"file": "cv.pdf", "type": "CV"}]')
    known = {"file", "type", "name", "content_type"}
    for i, entry in enumerate(entries):
        if not isinstance(entry, dict) or not isinstance(entry.get("file"), str):
            raise InputError.single(f"manifest[{i}]", 'each entry needs "file": "path"')
        extra = set(entry) - known
        if extra:
            raise InputError.single(f"manifest[{i}]", f"unknown keys {sorted(extra)}; known: {sorted(known)}")
        for key in ("type", "name", "content_type"):
            if entry.get(key) is not None and not isinstance(entry[key], str):
                raise InputError.single(f"manifest[{i}].{key}", f"must be text, not {entry[key]!r}")
    base = path.parent
    resolved = [{**e, "file": base / Path(e["file"]).expanduser()} for e in entries]
    from ..core.files.checks import credential_place

    for i, entry in enumerate(resolved):
        # A manifest can rename what it uploads: a key file must not go out as "cv.pdf".
        if (why := credential_place(entry["file"])) is not None:
            raise InputError.single(f"manifest[{i}].file", f"{entry['file']} is {why}: kombo-tui never uploads it")
    return resolved


def shown_name(upload: PreparedUpload) -> str:
    """The upload's name for a terminal line, with the real path when the name hides it.

    A manifest or ``--name`` can call any file ``cv.pdf``: the user sees which file goes out.
    """
    name = one_line(upload.name)
    if upload.file is None:
        return name
    real = os.path.realpath(upload.file)
    if os.path.basename(real) == upload.name and upload.file.name == upload.name:
        return name
    return f"{name} [file {one_line(real)}]"


def _per_file(values: list[str] | None, count: int, flag: str) -> list[str | None]:
    if not values:
        return [None] * count
    if len(values) != count:
        raise InputError.single(flag.lstrip("-"), f"give {flag} once per file ({count} file(s), {len(values)} {flag})")
    return list(values)


def drafts_from_args(args: argparse.Namespace, default_integration: str | None) -> list[dict[str, Any]]:
    """One draft per file (or one for --data-url), as the keywords of a
    :class:`~kombo_tui.core.draft.Draft`: :func:`prepare_all` builds and checks each, so a
    field of the wrong kind in a manifest is one more problem listed, not the first raised.

    Raises:
        InputError: flags that do not fit together, or an unusable manifest.
    """
    remote = remote_fields_from_args(args)
    integration_id = args.integration or default_integration
    candidate_id = getattr(args, "candidate", None)
    if candidate_id is not None and args.application:
        raise InputError.single("candidate", "give --application or --candidate, not both")
    if args.manifest is not None:
        if args.files or args.data_url:
            raise InputError.single("manifest", "give files either on the command line or in --manifest, not both")
        return [
            {
                "integration_id": integration_id,
                "application_id": args.application,
                "candidate_id": candidate_id,
                "remote_fields": remote,
                "file": e["file"],
                "type": e.get("type"),
                "name": e.get("name"),
                "content_type": e.get("content_type"),
            }
            for e in _read_manifest(args.manifest)
        ]
    files: list[Path | None] = list(args.files) or [None]
    if args.data_url and args.files and len(args.files) > 1:
        raise InputError.single("data_url", "--data-url sends one file; do not combine it with several files")
    types = _per_file(args.type, len(files), "--type")
    names = _per_file(args.name, len(files), "--name")
    ctypes = _per_file(args.content_type, len(files), "--content-type")
    return [
        {
            "integration_id": integration_id,
            "application_id": args.application,
            "candidate_id": candidate_id,
            "remote_fields": remote,
            "file": f,
            "data_url": args.data_url,
            "type": t,
            "name": n,
            "content_type": c,
        }
        for f, t, n, c in zip(files, types, names, ctypes, strict=True)
    ]


class EarlyHashes:
    """Hash the files in background threads while the command loads its modules.

    hashlib releases the GIL, so a large file's sha256 is taken for free during imports.
    Any problem is left for :func:`~kombo_tui.core.payload.prepare` to report properly.
    """

    def __init__(self, paths: Sequence[Path]) -> None:
        import threading

        self._found: dict[Path, Fingerprint] = {}
        self._threads = [threading.Thread(target=self._hash, args=(p,), daemon=True) for p in paths]
        for thread in self._threads:
            thread.start()

    def _hash(self, path: Path) -> None:
        from ..core.files.checks import check_file, fingerprint

        try:
            check_file(path)  # refuses FIFOs and devices without opening them
            self._found[path] = fingerprint(path)
        except Exception:  # noqa: BLE001 - prepare() checks again and says what is wrong
            pass

    def get(self, path: Path | None) -> Fingerprint | None:
        """The file's fingerprint once every hash is done (None when it could not be taken)."""
        for thread in self._threads:
            thread.join()
        return self._found.get(path) if path is not None else None


def prepare_all(
    drafts: list[dict[str, Any]], *, require_target: bool = True, hashes: EarlyHashes | None = None
) -> list[PreparedUpload]:
    """Validate every draft before anything is sent; problems name the file when several.

    Raises:
        InputError: every problem of every draft.
    """
    from ..core.payload import prepare_fields

    uploads = []
    problems: list[Problem] = []
    for draft in drafts:
        file = draft.get("file")
        try:
            known = hashes.get(file) if hashes is not None else None
            uploads.append(prepare_fields(**draft, require_target=require_target, known_fingerprint=known))
        except InputError as exc:
            for problem in exc.problems:
                if len(drafts) > 1 and file is not None and problem.field not in ("integration", "application", "candidate"):
                    problem = Problem(f"{file}: {problem.field}", problem.message)
                if problem not in problems:
                    problems.append(problem)
    if problems:
        raise InputError(problems)
    return uploads


# --------------------------------------------------------------------------- preview


def cmd_preview(args: argparse.Namespace, out: Output) -> int:
    """``kombo-tui preview``: the exact request (key and, unless --full, data elided); never sends."""
    from ..core.wire.export import request_line

    target = resolve_target(args)
    # A preview may leave the target open: it shows placeholders instead.
    uploads = prepare_all(drafts_from_args(args, target.integration_id), require_target=False)
    docs = []
    many = len(uploads) > 1
    for upload in uploads:
        for warning in upload.warnings:
            out.warn(f"{shown_name(upload)}: {warning}" if many or shown_name(upload) != one_line(upload.name) else str(warning))
        request = request_line(upload, target.base_url)
        if getattr(args, "verbose", 0):
            from .debugging import format_exchange, preview_exchange

            out.err.write("(preview: not sent)\n" + format_exchange(preview_exchange(upload, target.base_url), args.verbose))
        if out.json_mode:
            docs.append({**request, "body": upload.preview(full=args.full), "request": upload.describe()})
            continue
        if upload.file is not None and shown_name(upload) != one_line(upload.name):
            out.note(f"file: {shown_name(upload)}")
        # Human lines go through Output (inert): the names and fields in them came from outside.
        out.line(f"{request['method']} {request['url']}")
        for name, value in request["headers"].items():
            out.line(f"{name}: {value}")
        out.line("")
        if args.full:
            for chunk in upload.iter_body():  # streamed: flat memory for any size
                out.out.write(inert(chunk.decode("utf-8", "surrogateescape")))
            out.line("")
        else:
            out.line(json.dumps(upload.preview(), indent=2, ensure_ascii=False))
    if out.json_mode:
        if len(docs) == 1:
            out.document({"ok": True, "status": "preview", **docs[0]})
        else:
            out.document({"ok": True, "status": "preview", "requests": docs})
    return ExitCode.OK


# --------------------------------------------------------------------------- send


def _progress_printer(out: Output) -> Callable[[int, int], None] | None:
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


def _dry_run(out: Output, target: Target, uploads: list[PreparedUpload]) -> int:
    from ..core.wire.export import request_line

    if out.json_mode:
        docs = [{**request_line(u, target.base_url), "body": u.preview(), "request": u.describe()} for u in uploads]
        if len(docs) == 1:
            out.document({"ok": True, "status": "dry_run", **docs[0]})
        else:
            out.document({"ok": True, "status": "dry_run", "requests": docs})
    else:
        for u in uploads:
            out.info(f"dry run: would send {shown_name(u)} ({u.type.value}, {one_line(str(u.content_type))}, {u.size:,} bytes)")
        first = uploads[0]
        out.info(
            f"  to {first.target_kind} {one_line(first.target_id)} via {one_line(str(first.integration_id))} "
            f"({one_line(target.environment)})"
        )
    return ExitCode.OK


def cmd_send(args: argparse.Namespace, out: Output) -> int:
    """``kombo-tui send``: validate everything, refuse a resend, send, report each outcome."""
    hashes = EarlyHashes(args.files)  # first: it overlaps with the imports below

    from ..core.engine import refuse_over_limits, send_batch, settle_unknown
    from ..core.history import History
    from .debugging import WireDebug

    target = resolve_target(args)
    uploads = prepare_all(drafts_from_args(args, target.integration_id), hashes=hashes)
    target.require_key(NO_KEY_ADVICE)
    debug = WireDebug.from_args(args, out)
    inputs = [(u.file, "a file this command sends") for u in uploads if u.file is not None]
    if getattr(args, "manifest", None) is not None:
        inputs.append((args.manifest, "the manifest"))
    debug.check(inputs)
    if any(u.candidate_id for u in uploads):
        out.note(CANDIDATE_NOTE)
    many = len(uploads) > 1
    for upload in uploads:
        upload.chunk_size = CLI_CHUNK_SIZE
        disguised = shown_name(upload) != one_line(upload.name)
        prefix = f"{shown_name(upload)}: " if many or disguised else ""
        for warning in upload.warnings:
            out.warn(f"{prefix}{warning}")
        if upload.type_suggested:
            out.note(f"{prefix}type {upload.type.value} (guessed from the name; set --type to choose)")
    if args.dry_run:
        return _dry_run(out, target, uploads)

    history = None if args.no_history else History()
    if history is None:
        out.note("kombo-tui: --no-history: no duplicate check, and this send is not recorded")
    # The same rule in every environment: the embedded sandbox is one of its own per run
    # (it starts empty), so nothing sent to an earlier one counts against it.
    where = target.history_environment
    if history is not None and not args.force:
        history.refuse_resends(uploads, where, verify="--verify", force="--force", verifying=args.verify)
    unsettled = [] if history is None or args.force or not args.verify else [
        (upload, earlier[0])
        for upload in uploads
        if (earlier := history.earlier_sends(upload, where)) and earlier[0].unsettled
    ]

    sent_fully: dict[int, bool] = {}
    already: list[PreparedUpload] = []
    """Files --verify found on their target (an earlier send with an unknown outcome landed)."""
    printer = _progress_printer(out) if not many else None

    def progress(index: int, sent: int, total: int) -> None:
        sent_fully[index] = sent >= total
        if printer is not None:
            printer(sent, total)

    with target, debug:
        client = target.client(exchanges=debug.log)
        out.note(f"kombo-tui: requests go to {target.describe()}")

        async def run() -> list[SendOutcome]:
            async with client:
                if not args.skip_limits:
                    await refuse_over_limits(client, uploads)
                if args.check_existing:
                    await note_existing(out, client, uploads)
                for upload, last in unsettled:
                    assert history is not None  # nothing is unsettled without one
                    try:
                        await settle_unknown(client, upload, last, history, force="--force")
                    except AlreadyThereError:  # that send landed: the file is where it was wanted
                        already.append(upload)
                remaining = [u for u in uploads if u not in already]
                if not remaining:
                    return []
                return await send_batch(
                    client,
                    remaining,
                    progress=progress,
                    verify=args.verify,
                    history=history,
                    environment=where,
                    force=args.force,
                    on_retry=lambda n: out.note(
                        f"retrying in {n.delay:.1f}s (attempt {n.attempt + 1} of {n.max_attempts}): {n.reason}"
                    ),
                )

        import asyncio
        import warnings

        from ..core.history import HistoryWriteWarning

        try:
            with warnings.catch_warnings():
                # Told on stderr by report_outcome, as a warning line naming the history problem.
                warnings.simplefilter("ignore", HistoryWriteWarning)
                outcomes = asyncio.run(run())
        except KeyboardInterrupt:
            if any(sent_fully.values()):
                out.note("kombo-tui: interrupted after a whole body was sent: the outcome is unknown; "
                         "check the application's attachments (send --verify) before resending")
            else:
                out.note("kombo-tui: interrupted before any body was complete: nothing was stored")
            return ExitCode.INTERRUPTED

    for upload in already:
        out.note(
            f"kombo-tui: {shown_name(upload)} is already on {upload.target_kind} {one_line(upload.target_id)}: "
            "the earlier send whose outcome was unknown landed (verified); not sent again (--force sends another copy)"
        )
    codes = [report_outcome(out, o, target.environment, many) for o in outcomes]
    if out.json_mode:
        docs = [_already_json(u) for u in already] + [o.to_json() for o in outcomes]
        for doc in docs:
            doc["environment"] = target.environment
        if len(docs) > 1 or many:
            out.document({"ok": all(c == ExitCode.OK for c in codes), "status": "batch", "results": docs})
        else:
            out.document(docs[0])
    for severity in (ExitCode.TRANSPORT, ExitCode.API_ERROR, ExitCode.BAD_INPUT):
        if severity in codes:
            return severity
    return ExitCode.OK


def _already_json(upload: PreparedUpload) -> dict[str, object]:
    """``--json``'s document for a file ``--verify`` found already there (nothing sent)."""
    return {
        "ok": True,
        "status": "already_there",
        "name": upload.name,
        "integration_id": upload.integration_id,
        f"{upload.target_kind}_id": upload.target_id,
        "message": "an earlier send with an unknown outcome landed (verified); not sent again",
    }


EXISTING_LISTED = 20
"""Most attachments ``--check-existing`` lists per application (the rest are counted)."""


async def note_existing(out: Output, client: KomboClient, uploads: Sequence[PreparedUpload]) -> None:
    """``--check-existing``: list on stderr what is already on each target, before sending.

    One read per application (or candidate), however many files go to it: every attachment
    there (name, type, creation; at most :data:`EXISTING_LISTED`, the rest counted), one
    of the same name as a file about to be sent marked. A read that fails is told and does
    not stop the send.
    """
    from ..core.errors import KomboError
    from ..core.existing import AttachmentsCache, target_key
    from ..core.text import one_line

    cache = AttachmentsCache()
    names: dict[object, list[str]] = {}
    for upload in uploads:
        names.setdefault(target_key(upload), []).append(upload.name)
    listed: set[object] = set()
    for upload in uploads:
        key = target_key(upload)
        if key in listed:
            continue
        listed.add(key)
        where = f"{upload.target_kind} {one_line(upload.target_id)}"
        try:
            existing = await cache.for_upload(client, upload)
        except KomboError as exc:
            out.note(f"note: could not list the {upload.target_kind}'s attachments: {one_line(str(exc))}")
            continue
        items = existing.items
        if not items:
            out.note(f"note: {where} has no attachments yet")
            continue
        out.note(f"note: {where} already has {len(items):,} attachment{'s' if len(items) != 1 else ''}:")
        ours = names[key]
        for found in items[:EXISTING_LISTED]:
            created = f", created {one_line(found.created)}" if found.created else ""
            same = any(found in existing.same_named(name) for name in ours)
            mark = " ← same name as yours: sending adds another" if same else ""
            out.note(f"  {one_line(found.name)} ({one_line(found.type or '?')}{created}){mark}")
        if len(items) > EXISTING_LISTED:
            out.note(f"  … and {len(items) - EXISTING_LISTED:,} more")


def report_outcome(out: Output, outcome: SendOutcome, env_label: str, many: bool) -> ExitCode:
    """Tell the user how one send ended; return its exit code."""
    upload = outcome.upload
    prefix = f"{shown_name(upload)}: " if many else ""
    for warning in outcome.warnings:  # Kombo's words: one inert line each
        out.warn(prefix + one_line(warning))
    for note in outcome.notes:
        out.warn(prefix + note)
    if outcome.status == "sent":
        if not out.json_mode:
            out.info(
                f"sent {shown_name(upload)} ({upload.type.value}, {one_line(str(upload.content_type))}, {upload.size:,} bytes) "
                f"to {upload.target_kind} {one_line(upload.target_id)} via {one_line(str(upload.integration_id))} ({one_line(env_label)})"
            )
        if outcome.verification is not None:
            out.note(f"{prefix}verify: {outcome.verification.summary()}")
        return ExitCode.OK
    error = outcome.error
    assert error is not None
    if many:
        out.note(f"{shown_name(upload)}: not sent ({outcome.status})")
    describe_error(out, error)
    if outcome.verification is not None:
        out.note(f"{prefix}verify: {outcome.verification.summary()}")
        if outcome.landed:
            out.note(f"{prefix}the answer was lost, but the file is on the application: do not send it again")
            return ExitCode.OK
    elif outcome.status == "unknown":
        out.note(f"{prefix}check the application's attachments (send --verify) before resending")
    if isinstance(error, ApiError):
        return ExitCode.API_ERROR
    if outcome.status == "file_changed" or isinstance(error, InputError):
        return ExitCode.BAD_INPUT
    return ExitCode.TRANSPORT
