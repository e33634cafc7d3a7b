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


def test_the_demo_notebook_runs_twice_in_one_kernel_and_leaves_no_dead_object(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    """Run All, then Run All again in the same kernel: every cell runs clean both times, the
    sandbox is the same one, the first run's form still works, and the saved outputs say in
    words what happened (progress that ended, the form's state) for a reader without widgets."""
    import nbformat
    from nbclient import NotebookClient

    from .kernel import kernel_env

    source = ROOT / "examples" / "demo.ipynb"
    notebook = nbformat.read(source, as_version=4)
    assert all(not c.get("outputs") and c.get("execution_count") is None for c in notebook.cells if c.cell_type == "code"), (
        "keep examples/demo.ipynb without outputs"
    )
    assert "sb.stop()" not in "".join(c.source for c in notebook.cells if c.cell_type == "code")
    kernel_env(monkeypatch, tmp_path)
    client = NotebookClient(notebook, timeout=120, kernel_name="python3", resources={"metadata": {"path": str(tmp_path)}})
    runs: list[dict[str, list[dict[str, object]]]] = []
    with client.setup_kernel():
        for _ in range(2):
            for index, cell in enumerate(notebook.cells):
                if cell.cell_type == "code":
                    cell.outputs = []
                    client.execute_cell(cell, index)
            runs.append({c.metadata["tags"][0]: json.loads(json.dumps(c.outputs)) for c in notebook.cells
                         if c.cell_type == "code" and c.metadata.get("tags")})
        # the first run's objects still work after the second run (nothing points at a stopped server)
        probe = nbformat.v4.new_code_cell(
            "first = form\nfirst.load_applications()\nprint(len(first.applications), app.running, sb.running)"
        )
        notebook.cells.append(probe)
        client.execute_cell(probe, len(notebook.cells) - 1)

    def data(n: int, tag: str, kind: str) -> str:
        return "".join(str(o.get("data", {}).get(kind, "")) for o in runs[n][tag])  # type: ignore[union-attr]

    def text(n: int, tag: str) -> str:
        return "".join(str(o.get("text", "")) for o in runs[n][tag] if o["output_type"] == "stream")

    for n in (0, 1):
        errors = [o for outputs in runs[n].values() for o in outputs if o["output_type"] == "error"]
        assert not errors, errors
        assert "Kombo sandbox" in data(n, "sandbox", "text/html")
        assert "<table>" in data(n, "applications", "text/html")
        assert json.loads(text(n, "preview"))["attachment"]["name"] == "Jane_Doe_CV.pdf"
        assert ">sent</span>" in data(n, "send", "text/html") and len(data(n, "send", "text/plain")) < 600
        assert "already sent successfully" in text(n, "rerun") and "force=True" in text(n, "rerun")
        assert ">sent</span>" in data(n, "force", "text/html")
        assert f"{2 * (n + 1)} history entries" in data(n, "history", "text/html")
        assert "<th>message</th>" in data(n, "history", "text/html")
        # static words: the bars ended (not "0%"), the form says what it is, the app link is there
        assert "applications: 8 applications of 8 — done" in data(n, "applications", "text/plain")
        assert "Jane_Doe_CV.pdf: " in data(n, "send", "text/plain") and "(100%) — sent" in data(n, "send", "text/plain")
        assert "0%" not in data(n, "send", "text/plain").replace("100%", "")
        widget = data(n, "widget", "text/plain")
        assert widget.startswith("kombo-tui send form: integration greenhouse:sandbox-greenhouse") and "VBox" not in widget
        assert "application/vnd.jupyter.widget-view+json" in json.dumps(runs[n]["widget"])
        assert "kombo-tui in the browser (running): http://127.0.0.1:" in data(n, "serve", "text/plain")
        assert "open the app in a new tab" in data(n, "serve", "text/html")
    assert data(0, "sandbox", "text/plain") == data(1, "sandbox", "text/plain")  # the same sandbox, same port
    assert data(0, "serve", "text/plain") == data(1, "serve", "text/plain")  # the same app server
    assert "".join(o.get("text", "") for o in probe.outputs).split() == ["60", "True", "True"]


def test_an_interrupt_during_a_form_send_ends_in_a_clear_result(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    """Interrupt (■) while the form sends from a cell: the form says the upload was not sent
    (it was cancelled before its last byte and recorded so), and is ready for the next send."""
    server, _counter = counting_sandbox(latency=2.0)
    with server, kernel(monkeypatch, tmp_path) as (manager, client):
        big = pdf(tmp_path / "big.pdf", 6 * MB)
        marker = tmp_path / "started"
        reply, _ = run(
            client,
            "import os, time\nimport kombo_tui as kt\n"
            f"form = kt.widget(**{server.where!r})\nform.load_applications()\n"
            f"form.path.value = {str(big)!r}\n"
            "track = form._track\n"
            "def paced(sent, total):\n"
            "    track(sent, total)\n"
            f"    open({str(marker)!r}, 'w').close()\n"
            "    time.sleep(0.05)\n"
            "form._track = paced\n",
        )
        assert reply["status"] == "ok", reply
        interrupter = _interrupt_when(manager, marker)
        reply, _ = run(client, "form.send()")
        interrupter.join()
        assert reply["status"] == "error" and reply["ename"] == "KeyboardInterrupt", reply
        assert "before the last byte" in reply["evalue"]
        reply, messages = run(
            client,
            "print(form.status.value)\nprint('nothing was stored' in form.result.value, '>not sent</span>' in form.result.value)\n"
            "print(repr(form.path.value), form.progress.bar_style, form.send_button.disabled)\n"
            "print(form.summary())",
        )
        lines = stdout(messages).splitlines()
        assert lines[:3] == ["interrupted: not sent", "True True", "'' danger False"]
        assert "last send: interrupted: not sent: kombo-tui: the upload was cancelled before the last byte" in lines[3]
    assert server.sandbox.upload_count() == 0
    assert History().entries()[0].outcome == "error"
