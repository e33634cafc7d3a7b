"""Benchmark: `kombo-tui send` of a 50 MB file vs the official kombo SDK vs a raw-socket floor.

Each client runs as its own process against one loopback server that reads and discards
the body and answers Kombo's success envelope. Wall time and peak RSS (``wait4``'s
``ru_maxrss``) are taken per process, and so is the *first body byte*: how long after the
process was launched the server received the first byte of the request body (both ends read
``time.monotonic()``, one system-wide clock on Linux), i.e. what starting Python, importing
and preparing cost before the upload itself moves. Run by hand:

    python benchmarks/bench_send.py [--size-mb 50] [--runs 3]

The SDK column needs ``kombo==1.4.0`` (installed by the ``test`` extra).
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

KEY = "sk_bench_key"
APP = "APP1"
INTEGRATION = "greenhouse:bench"
RESPONSE = b'{"status":"success","data":{},"warnings":[]}'

FIRST_BODY_BYTES: list[float] = []
"""``time.monotonic()`` when each request's first body byte arrived, in arrival order."""


def serve(sock: socket.socket) -> None:
    """Accept connections; read each request's body fully, discard it, answer 200."""
    while True:
        try:
            conn, _ = sock.accept()
        except OSError:
            return
        threading.Thread(target=handle, args=(conn,), daemon=True).start()


def handle(conn: socket.socket) -> None:
    with conn:
        buf = b""
        while True:
            while b"\r\n\r\n" not in buf:
                chunk = conn.recv(65536)
                if not chunk:
                    return
                buf += chunk
            head, _, rest = buf.partition(b"\r\n\r\n")
            length = 0
            for line in head.split(b"\r\n")[1:]:
                name, _, value = line.partition(b":")
                if name.strip().lower() == b"content-length":
                    length = int(value.strip())
            if length:
                if not rest:
                    rest = conn.recv(65536)
                    if not rest:
                        return
                FIRST_BODY_BYTES.append(time.monotonic())
            remaining = length - len(rest)
            while remaining > 0:
                chunk = conn.recv(min(1 << 20, remaining))
                if not chunk:
                    return
                remaining -= len(chunk)
            buf = b""
            conn.sendall(
                b"HTTP/1.1 200 OK\r\ncontent-type: application/json\r\n"
                + f"content-length: {len(RESPONSE)}\r\n\r\n".encode()
                + RESPONSE
            )


SDK_SCRIPT = """
import base64, sys
from kombo import Kombo
path, base = sys.argv[1], sys.argv[2]
data = base64.b64encode(open(path, "rb").read()).decode()
with Kombo(api_key="%s", integration_id="%s", server_url=base) as k:
    k.ats.add_application_attachment(application_id="%s", attachment={
        "name": "cv.pdf", "type": "CV", "content_type": "application/pdf", "data": data})
""" % (KEY, INTEGRATION, APP)

FLOOR_SCRIPT = """
import base64, os, socket, sys
path, port = sys.argv[1], int(sys.argv[2])
size = os.path.getsize(path)
head = b'{"attachment":{"name":"cv.pdf","type":"CV","content_type":"application/pdf","data":"'
tail = b'"}}'
length = len(head) + 4 * ((size + 2) // 3) + len(tail)
s = socket.create_connection(("127.0.0.1", port))
s.sendall(("POST /v1/ats/applications/%s/attachments HTTP/1.1\\r\\nhost: 127.0.0.1\\r\\n"
           "authorization: Bearer %s\\r\\nx-integration-id: %s\\r\\n"
           "content-type: application/json\\r\\ncontent-length: %%d\\r\\n\\r\\n" %% length).encode())
s.sendall(head)
with open(path, "rb") as f:
    while chunk := f.read(3 << 18):
        s.sendall(base64.b64encode(chunk))
s.sendall(tail)
resp = b""
while b"success" not in resp:
    resp += s.recv(65536)
""" % (APP, KEY, INTEGRATION)


def run(cmd: list[str], env: dict[str, str]) -> tuple[float, float, float, int]:
    """Run one process; return (wall s, first body byte s after launch, peak RSS MiB, exit code)."""
    seen = len(FIRST_BODY_BYTES)
    start = time.perf_counter()
    launched = time.monotonic()
    proc = subprocess.Popen(cmd, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    _, status, usage = os.wait4(proc.pid, 0)
    wall = time.perf_counter() - start
    code = os.waitstatus_to_exitcode(status)
    if code != 0 and proc.stderr is not None:
        sys.stderr.write(proc.stderr.read().decode(errors="replace"))
    first = FIRST_BODY_BYTES[seen] - launched if len(FIRST_BODY_BYTES) > seen else float("nan")
    return wall, first, usage.ru_maxrss / 1024, code


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--size-mb", type=int, default=50)
    parser.add_argument("--runs", type=int, default=3)
    args = parser.parse_args()

    sock = socket.socket()
    sock.bind(("127.0.0.1", 0))
    sock.listen(16)
    port = sock.getsockname()[1]
    threading.Thread(target=serve, args=(sock,), daemon=True).start()
    base = f"http://127.0.0.1:{port}/v1"

    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "cv.pdf"
        with path.open("wb") as fh:
            fh.write(b"%PDF-1.7\n")
            for _ in range(args.size_mb):
                fh.write(os.urandom(1 << 20))
        # As after a normal install: bytecode may be written and reused (some shells set
        # PYTHONDONTWRITEBYTECODE, which would make every run compile the project again).
        env = {
            k: v
            for k, v in os.environ.items()
            if not k.startswith("KOMBO_") and k != "PYTHONDONTWRITEBYTECODE"
        }
        env.update(KOMBO_API_KEY=KEY, KOMBO_BASE_URL=base, XDG_DATA_HOME=str(Path(tmp) / "data"))
        py = sys.executable
        clients = {
            "kombo-tui send": [py, "-m", "kombo_tui", "send", str(path), "--integration", INTEGRATION,
                               "--application", APP, "--type", "CV", "--force"],
            "kombo SDK 1.4.0": [py, "-c", SDK_SCRIPT, str(path), base],
            "raw-socket floor": [py, "-c", FLOOR_SCRIPT, str(path), str(port)],
        }
        results: dict[str, tuple[float, float, float]] = {}
        for name, cmd in clients.items():
            run(cmd, env)  # warm-up, not counted: bytecode and page cache as in daily use
            walls, firsts, rss = [], [], []
            for _ in range(args.runs):
                wall, first, peak, code = run(cmd, env)
                if code != 0:
                    print(f"{name}: exit {code}", file=sys.stderr)
                    break
                walls.append(wall)
                firsts.append(first)
                rss.append(peak)
            if walls:
                results[name] = (statistics.median(walls), statistics.median(firsts), max(rss))
    sock.close()

    print(f"\nUpload of a {args.size_mb} MB file over loopback (median of {args.runs} runs; peak RSS max)\n")
    print("| client | wall (s) | first body byte (s) | peak RSS (MiB) |")
    print("|---|---:|---:|---:|")
    for name, (wall, first, peak) in results.items():
        print(f"| {name} | {wall:.2f} | {first:.3f} | {peak:.0f} |")
    if "kombo-tui send" in results and "kombo SDK 1.4.0" in results:
        ours, sdk = results["kombo-tui send"][0], results["kombo SDK 1.4.0"][0]
        print(f"\nkombo-tui / SDK wall: {ours / sdk:.2f} (target ≤ 0.33); "
              f"kombo-tui first body byte {results['kombo-tui send'][1]:.3f} s after launch (target ≤ 0.25); "
              f"kombo-tui peak RSS {results['kombo-tui send'][2]:.0f} MiB (target ≤ 80)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
