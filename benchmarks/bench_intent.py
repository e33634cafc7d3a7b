"""Benchmark: what an upload's write-ahead intent costs (``History.claim``), target ≤ 2 ms.

Each upload's intent is recorded before its first byte, in the transaction that looks for an
earlier or concurrent send of the same identity; its outcome is written over it afterwards
(``History.record`` with the claim's id). This times both against a history that already holds ``--rows`` rows,
through one held connection (a bulk run) and through a connection per call (a single send),
and prints the median and the 95th percentile. Run by hand:

    python benchmarks/bench_intent.py [--uploads 500] [--rows 20000]
"""

from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from kombo_tui.core.engine import entry_from_outcome
from kombo_tui.core.files.checks import Fingerprint
from kombo_tui.core.history import History, HistoryEntry
from kombo_tui.core.outcome import SendOutcome
from kombo_tui.core.payload import prepare_fields

ENVIRONMENT = "https://api.kombo.dev/v1"


def _entries(cv: Path, count: int, prefix: str) -> list[HistoryEntry]:
    out = []
    for i in range(count):
        upload = prepare_fields(
            integration_id="greenhouse:bench", application_id=f"{prefix}-{i:06d}", file=cv, type="CV",
            known_fingerprint=Fingerprint(size=cv.stat().st_size, sha256=f"{i:064x}", mtime_ns=0),
        )
        out.append(entry_from_outcome(SendOutcome("unknown", upload), environment=ENVIRONMENT))
    return out


def _time(history: History, entries: list[HistoryEntry]) -> tuple[list[float], list[float]]:
    claims, settles = [], []
    for entry in entries:
        started = time.perf_counter()
        assert history.claim(entry) == []
        claims.append((time.perf_counter() - started) * 1000)
        entry.outcome = "sent"
        started = time.perf_counter()
        history.record(entry)  # the outcome, written over the claim
        settles.append((time.perf_counter() - started) * 1000)
    return claims, settles


def _line(what: str, values: list[float]) -> str:
    p95 = statistics.quantiles(values, n=20)[-1]
    return f"  {what:<28} median {statistics.median(values):.2f} ms, p95 {p95:.2f} ms"


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--uploads", type=int, default=500)
    parser.add_argument("--rows", type=int, default=20_000)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        cv = Path(tmp) / "cv.pdf"
        cv.write_bytes(b"%PDF-1.4\n%%EOF\n")
        history = History(Path(tmp) / "history.sqlite3")
        with history.held_open():
            for entry in _entries(cv, args.rows, "old"):
                history.record(entry)
        print(f"intent record against a history of {args.rows:,} rows, {args.uploads} uploads each way")
        with history.held_open():
            claims, settles = _time(history, _entries(cv, args.uploads, "held"))
        print(_line("claim, held connection", claims))
        print(_line("outcome, held connection", settles))
        claims, settles = _time(history, _entries(cv, args.uploads, "fresh"))
        print(_line("claim, connection per call", claims))
        print(_line("outcome, connection per call", settles))


if __name__ == "__main__":
    main()
