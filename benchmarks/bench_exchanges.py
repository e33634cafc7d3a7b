"""Benchmark: what recording exchanges costs the 50 MB send (target: ≤ 5 % wall, no RSS).

The same upload as ``bench_send.py`` (its loopback server reads and discards the body and
answers Kombo's success envelope), sent through the core — ``prepare`` then
``KomboClient.add_application_attachment`` — once without an exchange log and once with
one, each in its own process, alternating so that drift on a shared machine hits both
alike. Reported per mode: the process's wall time, the send's own time (measured inside the
process) and peak RSS (``wait4``'s ``ru_maxrss``). Run by hand:

    python benchmarks/bench_exchanges.py [--size-mb 50] [--runs 7]
"""

from __future__ import annotations

import argparse
import os
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).parent))
from bench_send import APP, INTEGRATION, KEY, serve

SCRIPT = """
import asyncio, sys, time
from pathlib import Path
from kombo_tui.core.client import KomboClient
from kombo_tui.core.payload import Draft, prepare

path, base, mode = sys.argv[1], sys.argv[2], sys.argv[3]

async def main():
    log = None
    if mode == "log":
        from kombo_tui.core.wire.exchanges import ExchangeLog
        log = ExchangeLog()
    upload = prepare(Draft(integration_id=%r, application_id=%r, file=Path(path), type="CV",
                           content_type="application/pdf"))
    started = time.perf_counter()
    async with KomboClient(%r, base_url=base, exchanges=log) as client:
        await client.add_application_attachment(upload)
    elapsed = time.perf_counter() - started
    if log is not None:
        [exchange] = log.entries()
        assert exchange.status == 200 and exchange.timings.traced, exchange
    print(elapsed)

asyncio.run(main())
""" % (INTEGRATION, APP, KEY)


def run(cmd: list[str], env: dict[str, str]) -> tuple[float, float, float]:
    """One process: (wall s, send s, peak RSS MiB)."""
    start = time.perf_counter()
    proc = subprocess.Popen(cmd, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    _, status, usage = os.wait4(proc.pid, 0)
    wall = time.perf_counter() - start
    assert proc.stdout is not None and proc.stderr is not None
    out, err = proc.stdout.read().decode(), proc.stderr.read().decode(errors="replace")
    if os.waitstatus_to_exitcode(status) != 0:
        sys.stderr.write(err)
        raise SystemExit(f"{cmd[-1]} run failed")
    return wall, float(out.strip()), usage.ru_maxrss / 1024


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--size-mb", type=int, default=50)
    parser.add_argument("--runs", type=int, default=7)
    args = parser.parse_args()

    sock = socket.socket()
    sock.bind(("127.0.0.1", 0))
    sock.listen(16)
    port = sock.getsockname()[1]
    threading.Thread(target=serve, args=(sock,), daemon=True).start()
    base = f"http://127.0.0.1:{port}/v1"

    results: dict[str, list[tuple[float, float, float]]] = {"no log": [], "log": []}
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "cv.pdf"
        with path.open("wb") as fh:
            fh.write(b"%PDF-1.7\n")
            for _ in range(args.size_mb):
                fh.write(os.urandom(1 << 20))
        env = {k: v for k, v in os.environ.items() if not k.startswith("KOMBO_") and k != "PYTHONDONTWRITEBYTECODE"}
        commands = {mode: [sys.executable, "-c", SCRIPT, str(path), base, mode] for mode in ("none", "log")}
        run(commands["none"], env)  # warm-up: bytecode and page cache as in daily use
        run(commands["log"], env)
        for index in range(args.runs):
            order = ("none", "log") if index % 2 == 0 else ("log", "none")
            for mode in order:
                results["log" if mode == "log" else "no log"].append(run(commands[mode], env))
    sock.close()

    print(f"\nUpload of a {args.size_mb} MB file over loopback through the core "
          f"(median of {args.runs} alternating runs; peak RSS max)\n")
    print("| exchange log | process wall (s) | send (s) | peak RSS (MiB) |")
    print("|---|---:|---:|---:|")
    medians: dict[str, tuple[float, float, float]] = {}
    for name, rows in results.items():
        wall = statistics.median(r[0] for r in rows)
        send = statistics.median(r[1] for r in rows)
        rss = max(r[2] for r in rows)
        medians[name] = (wall, send, rss)
        print(f"| {name} | {wall:.3f} | {send:.3f} | {rss:.1f} |")
    off, on = medians["no log"], medians["log"]
    print(f"\nwith / without: process wall {on[0] / off[0] - 1:+.1%}, send {on[1] / off[1] - 1:+.1%} "
          f"(target ≤ +5 %); peak RSS {on[2] - off[2]:+.1f} MiB")
    return 0


if __name__ == "__main__":
    sys.exit(main())
