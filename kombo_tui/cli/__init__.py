"""The command line: the terminal app by default, plus headless ``send``, ``preview``, ``sniff``, ``bulk``,
``sandbox``, ``history`` and ``serve``.

The headless commands are an API for scripts (see :mod:`.diagnostics`): stdout carries data
(with ``--json`` exactly one JSON document), stderr carries diagnostics, and the exit code
is an :class:`ExitCode`. :func:`main` is the one place where every failure a command can meet
becomes an exit code and a message, so no command ends in a traceback. Textual is imported
only by the command that opens the app; the other modules load when their command runs.

- :mod:`.parser`: the flags; :mod:`.send`: ``send`` and ``preview``; :mod:`.bulk`: ``bulk``;
  :mod:`.commands`: ``sniff``, ``history``, ``sandbox``, ``serve`` and the app.
"""

from __future__ import annotations

import argparse
import gc
import os
import sys
from collections.abc import Callable, Sequence

from ..core.errors import (
    ApiError,
    ConfigError,
    FileChangedError,
    InputError,
    KomboError,
    Problem,
    TransportError,
)
from .diagnostics import ExitCode, Output, bad_input, describe_error
from .parser import SUBCOMMANDS, build_parser, build_tui_parser

__all__ = ["ExitCode", "build_parser", "build_tui_parser", "main", "run"]

# httpx imports its own command-line tool, and with it rich, whenever rich is installed (it is:
# textual needs it). We never use that tool; skipping it saves ~60 ms on every command.
sys.modules.setdefault("httpx._main", None)  # type: ignore[arg-type]

Command = Callable[[argparse.Namespace, Output], int]


def _command(name: str) -> Command:
    if name in ("send", "preview"):
        from . import send

        return send.cmd_send if name == "send" else send.cmd_preview
    if name == "bulk":
        from . import bulk

        return bulk.cmd_bulk
    from . import commands

    handlers: dict[str, Command] = {
        "sniff": commands.cmd_sniff,
        "sandbox": commands.cmd_sandbox,
        "history": commands.cmd_history,
        "serve": commands.cmd_serve,
    }
    return handlers[name]


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of the ``kombo-tui`` command; returns the exit code."""
    argv = list(sys.argv[1:] if argv is None else argv)
    if not argv or (argv[0] not in SUBCOMMANDS and argv[0] not in ("-h", "--help")):
        from .commands import cmd_tui

        return _run(lambda: cmd_tui(argv), Output(json_mode=False, out=sys.stdout, err=sys.stderr))
    for stream in (sys.stdout, sys.stderr):
        # File names may hold bytes that are not UTF-8: show them escaped rather than crash.
        if hasattr(stream, "reconfigure"):
            stream.reconfigure(errors="backslashreplace")
    try:
        args = build_parser().parse_args(argv)
    except SystemExit as exc:
        return ExitCode.BAD_INPUT if exc.code not in (0, None) else ExitCode.OK
    out = Output(json_mode=bool(getattr(args, "json", False)), out=sys.stdout, err=sys.stderr)
    handler = _command(args.command)
    return _run(lambda: handler(args, out), out)


def run() -> int:
    """The ``kombo-tui`` script and ``python -m kombo_tui``: :func:`main`, then a quick exit.

    The interpreter's last garbage collection walks every object the process ever made (the
    import graph, pydantic's schemas): 0.1 s after a bulk run. By then every file and database
    is closed, so the survivors are frozen out of that walk (they are still released).
    """
    code = main()
    gc.freeze()
    return code


def _run(command: Callable[[], int], out: Output) -> int:
    """Run a command; the one place where a failure becomes an exit code and a message."""
    try:
        return int(command())
    except KeyboardInterrupt:
        out.note("kombo-tui: interrupted")
        return ExitCode.INTERRUPTED
    except InputError as exc:  # DuplicateUploadError too: nothing was sent
        return bad_input(out, exc.problems)
    except ConfigError as exc:
        return bad_input(out, [Problem("config", str(exc))])
    except KomboError as exc:
        return _kombo_failure(out, exc)
    except BrokenPipeError:  # e.g. piped into head: the reader has all it wanted
        # Point stdout at /dev/null so the interpreter's final flush cannot fail again.
        try:
            os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        except (OSError, ValueError):  # stdout without a file descriptor: nothing to flush there
            pass
        return ExitCode.OK
    except OSError as exc:  # the local system refused something (a file, a port): nothing was sent
        where = f" ({exc.filename})" if exc.filename else ""
        return bad_input(out, [Problem("system", f"{exc.strerror or exc}{where}")])
    except Exception as exc:
        # The history is the only SQLite user. Checked through sys.modules so that commands
        # which never touch it do not import sqlite3 just to name its error class.
        sqlite3 = sys.modules.get("sqlite3")
        if sqlite3 is None or not isinstance(exc, sqlite3.Error):
            raise
        from ..core.history import default_history_path

        path = default_history_path()
        return bad_input(out, [Problem("history", f"cannot use the local history {path}: {exc} (move it aside to start a new one)")])


def _kombo_failure(out: Output, error: KomboError) -> ExitCode:
    """A core error that escaped a command (the send path reports its own outcomes)."""
    describe_error(out, error)
    if isinstance(error, ApiError):
        code = ExitCode.API_ERROR
    elif isinstance(error, TransportError):
        code = ExitCode.TRANSPORT
    else:
        code = ExitCode.BAD_INPUT
    if out.json_mode:
        from ..core.outcome import error_json

        status = "unknown" if isinstance(error, TransportError) and error.sent else "error"
        if isinstance(error, FileChangedError):
            status = "file_changed"
        out.document({"ok": False, "status": status, "error": error_json(error)})
    return code


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
