"""A sandbox in its own process, and plans for it (shared by the bulk tests and the benchmark)."""

from __future__ import annotations

import os
import re
import signal
import subprocess
import sys
import time
from pathlib import Path

import httpx

from kombo_tui.sandbox.data import DEFAULT_INTEGRATION_ID, SANDBOX_API_KEY

REPO = Path(__file__).resolve().parents[2]


def child_env(home: Path) -> dict[str, str]:
    """An environment for child processes: this checkout first, private data dirs, the sandbox key."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("KOMBO_")}
    env.update(
        PYTHONPATH=str(REPO),
        XDG_DATA_HOME=str(home / "data"),
        XDG_CONFIG_HOME=str(home / "config"),
        KOMBO_API_KEY=SANDBOX_API_KEY,
    )
    return env


class SandboxProcess:
    """``python -m kombo_tui sandbox --port 0 ...`` in its own process group; killed on exit."""

    def __init__(self, home: Path, *flags: str) -> None:
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "kombo_tui", "sandbox", "--port", "0", *flags],
            stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, env=child_env(home),
            start_new_session=True,
        )
        self.base_url = ""
        deadline = time.monotonic() + 20
        assert self.proc.stdout is not None
        while time.monotonic() < deadline:
            line = self.proc.stdout.readline()
            found = re.search(r"Base URL\s+(http://127\.0\.0\.1:\d+/v1)", line)
            if found:
                self.base_url = found.group(1)
                break
            if not line and self.proc.poll() is not None:
                break
        if not self.base_url:
            self.stop()
            raise RuntimeError("the sandbox process did not start")

    def stop(self) -> None:
        if self.proc.poll() is None:
            os.killpg(self.proc.pid, signal.SIGKILL)
        self.proc.wait(10)

    def __enter__(self) -> SandboxProcess:
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()

    def client(self) -> httpx.Client:
        return httpx.Client(
            base_url=self.base_url + "/",
            headers={"Authorization": f"Bearer {SANDBOX_API_KEY}", "X-Integration-Id": DEFAULT_INTEGRATION_ID},
            timeout=30,
        )

    def application_ids(self, count: int) -> list[str]:
        with self.client() as http:
            data = http.get("ats/applications", params={"page_size": count}).json()["data"]
        return [a["id"] for a in data["results"]][:count]

    def stored_names(self, application_ids: list[str]) -> dict[str, list[str]]:
        """File names on each application, read through the public attachments endpoint."""
        out: dict[str, list[str]] = {}
        with self.client() as http:
            for app in set(application_ids):
                for _ in range(20):  # the sandbox may be injecting 5xx
                    answer = http.get(f"ats/applications/{app}/attachments")
                    if answer.status_code == 200:
                        break
                    time.sleep(0.05)
                out[app] = [a["file_name"] for a in answer.json()["data"]["results"]]
        return out


def write_plan(path: Path, files: list[Path], applications: list[str], rows: int, prefix: str = "row") -> list[tuple[str, str]]:
    """A CSV plan of ``rows`` rows over files and applications; returns (application, name) per row.

    No application gets the same file twice (the check refuses that as a duplicate), so
    ``rows`` must not exceed ``len(files) * len(applications)``.
    """
    assert rows <= len(files) * len(applications)
    wanted = []
    with path.open("w", encoding="utf-8") as handle:
        handle.write("application_id,file,type,name\n")
        for i in range(rows):
            app = applications[i % len(applications)]
            file = files[(i // len(applications)) % len(files)]
            name = f"{prefix}-{i:06d}{file.suffix}"
            handle.write(f"{app},{file.name},OTHER,{name}\n")
            wanted.append((app, name))
    return wanted
