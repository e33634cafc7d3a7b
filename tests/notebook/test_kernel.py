"""In a real Jupyter kernel: Interrupt during ``kt.send`` leaves nothing running and nothing
unrecorded, and ``examples/demo.ipynb`` runs (re-run refused, force, history, HTML reprs)."""

from __future__ import annotations

import json
import threading
import time
from pathlib import Path

import pytest

from kombo_tui.core.history import History

from .helpers import counting_sandbox, pdf
from .kernel import ROOT, kernel, run, stdout

MB = 1024 * 1024

pytestmark = [pytest.mark.timeout(240), pytest.mark.slow]


def _interrupt_when(manager: object, marker: Path, deadline: float = 60) -> threading.Thread:
    def go() -> None:
        end = time.monotonic() + deadline
        while not marker.exists() and time.monotonic() < end:
            time.sleep(0.02)
        manager.interrupt_kernel()  # type: ignore[attr-defined]

    thread = threading.Thread(target=go, daemon=True)
    thread.start()
    return thread


def test_interrupting_the_kernel_mid_upload_stops_it_and_records_it(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    server, counter = counting_sandbox(latency=2.0)
    with server, kernel(monkeypatch, tmp_path) as (manager, client):
        where = server.where
        big, small = pdf(tmp_path / "big.pdf", 6 * MB), pdf(tmp_path / "small.pdf", 20_000)
        reply, _ = run(
            client,
            "import os, threading, time\nimport kombo_tui as kt\n"
            f"where = {where!r}\n"
            "app = kt.list_applications(limit=1, **where)[0].id\n"
            "def slow_from(marker, when):\n"
            "    def report(sent, total):\n"
            "        if when(sent, total) and not os.path.exists(marker):\n"
            "            open(marker, 'w').close()\n"
            "        time.sleep(0.05)\n"
            "    return report\n",
        )
        assert reply["status"] == "ok", reply

        # 1. during the body: stopped before the last byte, nothing stored
        marker = tmp_path / "started"
        interrupter = _interrupt_when(manager, marker)
        reply, _ = run(
            client,
            f"kt.send({str(big)!r}, application_id=app, progress=slow_from({str(marker)!r}, lambda s, t: True), **where)",
        )
        interrupter.join()
        assert reply["status"] == "error" and reply["ename"] == "KeyboardInterrupt", reply
        assert "before the last byte" in reply["evalue"]

        # 2. after the last byte, while the sandbox sits on it: the outcome is unknown
        marker = tmp_path / "complete"
        interrupter = _interrupt_when(manager, marker)
        reply, _ = run(
            client,
            f"kt.send({str(small)!r}, application_id=app, progress=slow_from({str(marker)!r}, lambda s, t: s >= t), **where)",
        )
        interrupter.join()
        assert reply["status"] == "error" and reply["ename"] == "KeyboardInterrupt", reply
        assert "outcome is unknown" in reply["evalue"] and "verify=True" in reply["evalue"]

        reply, messages = run(
            client,
            "print(sorted(t.name for t in threading.enumerate() if t.name.startswith('kombo-tui')))",
        )
        assert stdout(messages).strip() == "[]"  # no worker left behind

        time.sleep(3.0)  # longer than the sandbox's latency: a send still running would land now
        entries = History().entries()
        by_file = {e.file_name: e for e in entries}
        assert by_file["big.pdf"].outcome == "error" and by_file["small.pdf"].outcome == "unknown"
        stored = [
            a.file_name
            for a in server.sandbox.attachments(where["integration_id"], _app_id(entries))
        ]
        assert "big.pdf" not in stored
        recorded = {e.file_name for e in entries if e.outcome in ("sent", "unknown")}
        assert set(stored) <= recorded  # no stored copy the history does not know about
        assert counter.received < 6 * MB + 20_000 * 2


def _app_id(entries: list) -> str:  # type: ignore[type-arg]
    return str(entries[0].application_id)


def test_the_demo_notebook_runs_in_a_real_kernel(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    import nbformat
    from nbclient import NotebookClient

    from .kernel import kernel_env

    source = ROOT / "examples" / "demo.ipynb"
    notebook = nbformat.read(source, as_version=4)
    assert all(not c.get("outputs") and c.get("execution_count") is None for c in notebook.cells if c.cell_type == "code"), (
        "keep examples/demo.ipynb without outputs"
    )
    kernel_env(monkeypatch, tmp_path)
    NotebookClient(notebook, timeout=120, kernel_name="python3", resources={"metadata": {"path": str(tmp_path)}}).execute()
    outputs = {c.metadata.get("tags", ["-"])[0]: c.outputs for c in notebook.cells if c.cell_type == "code" and c.metadata.get("tags")}

    def data(tag: str, kind: str) -> str:
        return "".join(str(o.get("data", {}).get(kind, "")) for o in outputs[tag])

    def text(tag: str) -> str:
        return "".join(o.get("text", "") for o in outputs[tag] if o.output_type == "stream")

    assert "Kombo sandbox" in data("sandbox", "text/html")
    assert "applications" in data("applications", "text/html") and "<table>" in data("applications", "text/html")
    assert json.loads(text("preview"))["attachment"]["name"] == "Jane_Doe_CV.pdf"
    assert ">sent</span>" in data("send", "text/html") and len(data("send", "text/plain")) < 300
    assert "already sent successfully" in text("rerun") and "force=True" in text("rerun")
    assert ">sent</span>" in data("force", "text/html")
    history = data("history", "text/html")
    assert "2 history entries" in history
    assert "application/vnd.jupyter.widget-view+json" in json.dumps([o.get("data", {}) for o in outputs["widget"]])
    errors = [o for c in notebook.cells for o in c.get("outputs", []) if o.output_type == "error"]
    assert not errors
