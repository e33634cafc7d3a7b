"""``kombo-tui bulk PLAN``: many files onto many applications, checked first, resumable.

The plan is checked whole before the first byte (``--dry-run`` stops there); then the rows
are sent through the core's bulk runner, with a progress line on a terminal (rows done of
all, rate, ETA, failures; nothing with ``--json``). Ctrl-C stops starting rows and lets the
ones in flight finish (a second Ctrl-C abandons them; they are verified on resume), then says
how to resume: run the same command again. Exit codes: 0 every row sent or already there,
2 plan invalid (nothing sent), 3 some rows refused or failed, 4 some outcomes still unknown
after verification, 130 interrupted.
"""

from __future__ import annotations

import argparse
import os
import sys
import time
from pathlib import Path
from typing import TYPE_CHECKING, Any

from ..core.errors import InputError
from ..core.hints import counted
from .diagnostics import ExitCode, Output

if TYPE_CHECKING:
    from ..core.bulk import BulkProgress, BulkReport, CheckedRow

__all__ = ["cmd_bulk"]

SHOWN_PROBLEMS = 50
"""Invalid rows listed on stderr (the report has them all)."""


def _duration(seconds: float | None) -> str:
    if seconds is None:
        return "--"
    seconds = int(seconds)
    return f"{seconds // 3600}:{seconds // 60 % 60:02d}:{seconds % 60:02d}" if seconds >= 3600 else f"{seconds // 60}:{seconds % 60:02d}"


class _Progress:
    """The one progress line on a terminal (redrawn at most 5 times a second)."""

    def __init__(self, out: Output) -> None:
        self.err = out.err
        self.live = not out.json_mode and out.err.isatty()
        self.last = 0.0
        self.drawn = False

    def __call__(self, p: BulkProgress) -> None:
        if not self.live:
            return
        now = time.monotonic()
        if now - self.last < 0.2 and p.done < p.total:
            return
        self.last = now
        self.err.write(
            f"\r{p.done:,}/{p.total:,} rows  {p.rate:.1f}/s  ETA {_duration(p.eta)}  "
            f"failures {p.failures:,}  in flight {p.in_flight}   "
        )
        self.err.flush()
        self.drawn = True

    def end(self) -> None:
        if self.drawn:
            self.err.write("\n")
            self.drawn = False


def cmd_bulk(args: argparse.Namespace, out: Output) -> int:
    """``kombo-tui bulk``: check the plan, then send it (or resume it)."""
    import asyncio
    import signal

    from ..core.bulk import BulkControl, run_bulk
    from ..core.history import History
    from .send import NO_KEY_ADVICE, resolve_target

    if args.concurrency < 1:
        raise InputError.single("concurrency", "must be at least 1")
    if (args.plan is None) == (args.from_folder is None):
        raise InputError.single("plan", "give a PLAN file or --from-folder DIR (one of them)")
    if args.plan is not None and not args.plan.is_file():
        raise InputError.single("plan", f"{args.plan} is not a file")
    if args.report is not None:  # before anything is sent: a bad report path is known now
        from ..core.wire.export import check_output

        protect = [(args.plan, "the plan")] if args.plan is not None else []
        if args.plan is not None and os.path.lexists(args.report):
            from ..core.bulk import read_plan

            # A file the plan sends must survive the run: only rows of the same name can be it.
            named = Path(args.report).name
            protect += [(row.file, f"the file of the plan's row {row.number}")
                        for row in read_plan(args.plan, allow_outside=True) if row.file is not None and row.file.name == named]
        check_output(args.report, field="report", protect=protect, suffixes=(".csv", ".json"))
    target = resolve_target(args)
    if args.integration:
        target.integration_id = args.integration
    target.require_key(NO_KEY_ADVICE)
    folder_problems = 0
    if args.from_folder is not None:
        folder_problems = _from_folder(args, out, target)
        if folder_problems and not args.skip_invalid and not args.dry_run:
            target.close()
            out.note("kombo-tui: some files match no single application: nothing was sent "
                     "(rename them, or pass --skip-invalid to send the rest)")
            return int(ExitCode.BAD_INPUT)
    shown = [0]
    progress = _Progress(out)
    control = BulkControl()

    def checked(row: CheckedRow) -> None:
        if out.json_mode:
            return
        where = f"row {row.row.number}"
        if row.row.file is not None:
            where += f" ({row.row.file})"
        if not row.valid:
            if shown[0] < SHOWN_PROBLEMS:
                for problem in row.problems:
                    out.note(f"kombo-tui: {where}: {problem}")
            shown[0] += 1
        elif args.dry_run and row.warnings and shown[0] < SHOWN_PROBLEMS:
            for warning in row.warnings:
                out.warn(f"{where}: {warning}")

    async def go() -> BulkReport:
        loop = asyncio.get_running_loop()
        main_task = asyncio.current_task()
        presses = [0]

        def interrupt() -> None:
            presses[0] += 1
            progress.end()
            if presses[0] == 1:
                out.note("kombo-tui: stopping: no new rows; waiting for the rows in flight (Ctrl-C again to abandon them)")
                control.stop()
            elif control.tasks and presses[0] == 2:
                control.abandon()
            elif main_task is not None:
                # Nothing in flight to abandon (still checking, or waiting on a slow server), or
                # asked a third time: stop now. Rows in flight are cancelled and recorded.
                main_task.cancel()

        try:
            loop.add_signal_handler(signal.SIGINT, interrupt)
        except (NotImplementedError, RuntimeError):  # not the main thread
            pass
        try:
            with target:
                target.start()
                out.note(f"kombo-tui: requests go to {target.describe()}")
                history = None if args.no_history else History()
                if history is None:
                    out.note("kombo-tui: --no-history: no duplicate check across runs and doors, and nothing is recorded")
                return await run_bulk(
                    args.plan, target, history=history, concurrency=args.concurrency,
                    dry_run=args.dry_run, skip_invalid=args.skip_invalid, allow_outside=args.allow_outside, progress=progress,
                    files_root=args.from_folder,
                    on_checked=checked, control=control, recheck_after=args.recheck_after,
                )
        finally:
            try:
                loop.remove_signal_handler(signal.SIGINT)
            except (NotImplementedError, RuntimeError):
                pass

    import warnings

    from ..core.history import HistoryWriteWarning

    try:
        with warnings.catch_warnings(record=True) as caught:
            # A history write that failed after a send: told once per distinct problem, as
            # warning lines, after the run (never a Python warning with a source line).
            warnings.simplefilter("always", HistoryWriteWarning)
            try:
                report = asyncio.run(go())
            finally:
                progress.end()
                _history_warnings(out, [str(w.message) for w in caught if issubclass(w.category, HistoryWriteWarning)])
    except asyncio.CancelledError:
        out.note("kombo-tui: interrupted: any row in flight was cancelled and recorded (a rerun verifies it before sending)")
        return int(ExitCode.INTERRUPTED)
    if shown[0] > SHOWN_PROBLEMS:
        out.note(f"kombo-tui: … and {shown[0] - SHOWN_PROBLEMS:,} more invalid rows" + (" (see the report)" if args.report else " (--report FILE lists them all)"))
    if args.report and not report.dry_run:
        from ..core.bulk import write_report
        from ..core.bulk.journal import Journal

        with Journal(report.journal_path) as journal:
            write_report(args.report, journal.rows(report.job_id), report.to_json())
    code = report.exit_code
    if folder_problems and code == 0:
        # A dry run (the unmatched files would stop the run), or --skip-invalid: files were left out.
        code = int(ExitCode.BAD_INPUT)
    _summary(args, out, report, code, folder_problems)
    return code


def _history_warnings(out: Output, messages: list[str]) -> None:
    distinct = list(dict.fromkeys(messages))
    for message in distinct[:3]:
        out.warn(message)
    if len(distinct) > 3:
        out.warn(f"… and {len(distinct) - 3:,} more history writes failed (each record is in the pending file)")


def _from_folder(args: argparse.Namespace, out: Output, target: Any) -> int:
    """Build the plan of ``--from-folder`` (it becomes ``args.plan``); returns the files left out."""
    import asyncio

    from ..core.bulk.folder import plan_from_folder

    if not target.integration_id:
        raise InputError.single("integration", "--from-folder needs --integration ID (the applications' integration)")

    async def go() -> Any:
        async with target.client() as client:  # the sandbox, if any, stays up for the run
            return await plan_from_folder(args.from_folder, client, integration_id=target.integration_id)

    try:
        built = asyncio.run(go())
    except BaseException:
        target.close()
        raise
    args.plan = built.plan
    if not out.json_mode:
        out.info(f"folder: {built.folder} -> plan {built.plan} ({built.rows:,} files matched, "
                 f"{len(built.problems):,} left out, {built.skipped:,} hidden or sub-folders skipped)")
    for problem in built.problems[:SHOWN_PROBLEMS]:
        out.note(f"kombo-tui: {problem}")
    if len(built.problems) > SHOWN_PROBLEMS:
        out.note(f"kombo-tui: … and {len(built.problems) - SHOWN_PROBLEMS:,} more files left out (all listed in {built.left_out})")
    return len(built.problems)


def _summary(args: argparse.Namespace, out: Output, report: BulkReport, code: int, left_out: int) -> None:
    check = report.check
    counts = report.counts
    if out.json_mode:
        doc = report.to_json()
        doc["exit_code"], doc["ok"] = code, code == 0
        if args.from_folder is not None:
            doc["files_left_out"] = left_out
        if not report.dry_run:
            doc["problems"] = [
                r.to_json() for r, _ in zip(_not_done(report), range(1000), strict=False)
            ]
        out.document(doc)
        return
    out.info(f"plan: {report.plan} ({check.rows:,} rows, {check.rows - check.invalid:,} valid, {check.invalid:,} invalid, "
             f"{check.already_sent:,} already sent, {check.bytes / 1e6:,.1f} MB of files)")
    for facts in check.integrations.values():
        state = facts.problem or ", ".join(x for x in (facts.status, facts.setup_status) if x) or "status unknown"
        out.info(f"  {facts.integration_id}: {state}" + (f" ({facts.note})" if facts.note else ""))
    if report.dry_run:
        out.info("dry run: nothing was sent" + ("; the invalid rows would stop the run (fix them or pass --skip-invalid)" if report.blocked else ""))
        return
    if report.blocked:
        out.note("kombo-tui: the plan has invalid rows: nothing was sent (fix them, or pass --skip-invalid to send the rest)")
        return
    parts = [f"{counts.get(k, 0):,} {k.replace('_', ' ')}" for k in ("sent", "already_sent", "refused", "failed", "unknown", "invalid", "pending", "sending") if counts.get(k)]
    out.info(f"job {report.job_id}: " + (", ".join(parts) or "nothing to do") + f" in {report.elapsed:.1f} s" + (" (resumed)" if report.resumed else ""))
    import shlex

    command = "kombo-tui " + shlex.join(sys.argv[1:]) if sys.argv[1:2] == ["bulk"] else f"kombo-tui bulk {shlex.quote(str(args.plan))} ..."
    if report.fault is not None:
        began = (f"{counted(report.began_sending, 'row')} had started sending before that (the history has each; a "
                 "rerun verifies those caught mid-send before sending anything again)" if report.began_sending
                 else "no row was sent")
        out.note(f"kombo-tui: the run stopped: {report.fault}")
        out.note(f"kombo-tui: {began}. Free some space (or move the file aside), then rerun the same command "
                 f"to resume: {command}")
    elif report.interrupted:
        out.note(f"kombo-tui: interrupted; rerun the same command to resume: {command}")
    elif report.exit_code == ExitCode.TRANSPORT:
        out.note(f"kombo-tui: some outcomes are unknown; rerun the same command to verify them (and send what is absent): {command}")
    elif report.exit_code == ExitCode.API_ERROR:
        out.note("kombo-tui: some rows were refused or failed" + (f"; see {args.report}" if args.report else " (--report FILE lists them)") + "; a rerun tries them again")
    elif left_out and code == ExitCode.BAD_INPUT and not counts.get("invalid"):
        out.note(f"kombo-tui: {left_out:,} of the folder's files were left out, not sent; rename them and rerun to send them")
    elif report.exit_code == ExitCode.BAD_INPUT:
        out.note(f"kombo-tui: {counts['invalid']:,} invalid rows were skipped, not sent"
                 + (f" (see {args.report})" if args.report else " (--report FILE lists them)")
                 + "; fix them and rerun the same command to send them")


def _not_done(report: BulkReport) -> Any:
    from ..core.bulk.journal import Journal

    with Journal(report.journal_path) as journal:
        yield from journal.rows(report.job_id, statuses=("refused", "failed", "unknown", "invalid", "pending", "sending"))
