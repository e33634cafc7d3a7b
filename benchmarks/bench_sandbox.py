"""Benchmark the embedded sandbox over loopback (run by hand: ``python benchmarks/bench_sandbox.py``).

(a) list all 20,000 applications of ``workday:sandbox-big`` with page_size 250 (target < 2 s);
(b) 1,000 sequential uploads of a 100 KB file.

(a) goes through the project's own client (``KomboClient.iter_applications``, pydantic models);
(b) uses plain httpx, so it measures the sandbox alone.
"""

from __future__ import annotations

import argparse
import base64
import contextlib
import os
import socket
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import asyncio

import httpx

from kombo_tui.core.client import KomboClient
from kombo_tui.sandbox.data import SANDBOX_API_KEY, dataset
from kombo_tui.sandbox.server import SandboxServer

BIG = "workday:sandbox-big"
UPLOAD_TARGET = "lever:sandbox-lever"


def list_all(base_url: str, key: str, integration_id: str = BIG, page_size: int = 250) -> list[str]:
    """Every application id of the integration, through the project's own client."""
    async def go() -> list[str]:
        ids: list[str] = []
        async with KomboClient(key, base_url=base_url, integration_id=integration_id) as client:
            async for page in client.iter_applications(page_size=page_size):
                ids.extend(app.id for app in page.results)
        return ids

    return asyncio.run(go())


def upload_many(
    base_url: str,
    key: str,
    application_id: str,
    content: bytes,
    count: int,
    integration_id: str = UPLOAD_TARGET,
) -> list[float]:
    """``count`` sequential uploads of ``content``; the seconds each one took."""
    headers = {"Authorization": f"Bearer {key}", "X-Integration-Id": integration_id}
    body = {
        "attachment": {
            "name": "bench.pdf",
            "type": "OTHER",
            "content_type": "application/pdf",
            "data": base64.b64encode(content).decode("ascii"),
        }
    }
    timings: list[float] = []
    with httpx.Client(base_url=base_url, headers=headers, timeout=60) as client:
        path = f"/ats/applications/{application_id}/attachments"
        for _ in range(count):
            started = time.perf_counter()
            response = client.post(path, json=body)
            response.raise_for_status()
            timings.append(time.perf_counter() - started)
    return timings


def _timed(func: Callable[[], object]) -> tuple[float, object]:
    started = time.perf_counter()
    result = func()
    return time.perf_counter() - started, result


@contextlib.contextmanager
def _sandbox_process() -> Iterator[str]:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    proc = subprocess.Popen(
        [sys.executable, "-m", "kombo_tui", "sandbox", "--port", str(port)], stdout=subprocess.DEVNULL
    )
    try:
        deadline = time.monotonic() + 20
        while True:
            try:
                socket.create_connection(("127.0.0.1", port), timeout=0.2).close()
                break
            except OSError:
                if time.monotonic() > deadline:
                    raise
                time.sleep(0.05)
        yield f"http://127.0.0.1:{port}/v1"
    finally:
        proc.terminate()
        proc.wait(timeout=10)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--uploads", type=int, default=1000, help="number of sequential uploads")
    parser.add_argument("--size", type=int, default=100 * 1024, help="upload size in bytes")
    args = parser.parse_args(argv)

    rows: list[tuple[str, str, str]] = []
    with SandboxServer() as server:
        generate_seconds, _ = _timed(lambda: dataset(BIG))
        rows.append(
            ("generate workday:sandbox-big (20,000 apps)", f"{generate_seconds:.3f} s", "< 0.5 s")
        )

        # The listing runs against a sandbox in its own process (as `kombo-tui sandbox`), so
        # client and server do not share one interpreter lock.
        with _sandbox_process() as base_url:
            for label in ("cold: first request builds the data", "warm"):
                list_seconds, ids = _timed(lambda: list_all(base_url, SANDBOX_API_KEY))
                assert isinstance(ids, list) and len(ids) == 20_000 == len(set(ids)), "incomplete"
                rows.append(
                    (f"list 20,000 applications, project client ({label})", f"{list_seconds:.3f} s", "< 2 s")
                )

        content = (b"%PDF-1.7\n" + os.urandom(args.size))[: args.size]
        application_id = dataset(UPLOAD_TARGET).live_applications[0].id
        upload_seconds, timings = _timed(
            lambda: upload_many(
                server.base_url, SANDBOX_API_KEY, application_id, content, args.uploads
            )
        )
        assert isinstance(timings, list)
        assert server.sandbox.upload_count() == args.uploads
        per_upload = sorted(timings)
        median_ms = per_upload[len(per_upload) // 2] * 1000
        p95_ms = per_upload[int(len(per_upload) * 0.95) - 1] * 1000
        rows.append(
            (
                f"{args.uploads:,} sequential uploads of {args.size // 1024} KB",
                f"{upload_seconds:.3f} s",
                "",
            )
        )
        rows.append(("  per upload (mean)", f"{upload_seconds / args.uploads * 1000:.2f} ms", ""))
        rows.append(("  per upload (median / p95)", f"{median_ms:.2f} / {p95_ms:.2f} ms", ""))

    width = max(len(r[0]) for r in rows)
    print(f"{'measure':<{width}}  {'result':>16}  target")
    print(f"{'-' * width}  {'-' * 16}  ------")
    for name, value, target in rows:
        print(f"{name:<{width}}  {value:>16}  {target}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
