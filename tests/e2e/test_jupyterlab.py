"""The notebook door in a real JupyterLab, driven in headless Chromium as a user would.

JupyterLab (a test dependency) serves a copy of ``examples/demo.ipynb`` on loopback with a
private token and private Jupyter, IPython and XDG directories; Chromium opens it, runs all
cells from the Run menu, then uses the form: Load applications, choose one, type the file's
path, read the preview, Send — and checks what the page shows and what the history recorded.
Skips (saying why) where Debian's chromium is not installed. Every non-loopback request is
aborted and every host but 127.0.0.1 is mapped to "not found".
"""

from __future__ import annotations

import re
import shutil
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")
TOKEN = "lab-test-token-0123456789abcdef"

pytestmark = [
    pytest.mark.browser,
    pytest.mark.slow,
    pytest.mark.timeout(300),
    pytest.mark.skipif(CHROMIUM is None, reason="no Chromium on this machine (Debian: apt-get install chromium)"),
]


SLOW_FORM = """\
from kombo_tui.sandbox.config import SandboxConfig
slow_sb = kt.SandboxServer(SandboxConfig(latency=3.0))
big = Path("big.pdf")
big.write_bytes(b"%PDF-1.4\\n" + b"0" * (8 * 1024 * 1024) + b"\\n%%EOF\\n")
slow = kt.widget(**slow_sb.where)
slow.load_applications()
slow.path.value = str(big)
slow"""


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@pytest.fixture
def lab(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Iterator[str]:
    """JupyterLab serving a folder holding the demo notebook; yields its base URL."""
    from tests.notebook.kernel import kernel_env

    kernel_env(monkeypatch, tmp_path)
    root = tmp_path / "notebooks"
    root.mkdir()
    import nbformat

    notebook = nbformat.read(ROOT / "examples" / "demo.ipynb", as_version=4)
    # One cell more: a form on a slow sandbox (3 s before it reads a body), to press Cancel in.
    notebook.cells.append(nbformat.v4.new_code_cell(SLOW_FORM))
    nbformat.write(notebook, root / "demo.ipynb")
    port = _free_port()
    log = (tmp_path / "lab.log").open("w")
    proc = subprocess.Popen(
        [sys.executable, "-m", "jupyterlab", "--no-browser", "--allow-root", "--ServerApp.ip=127.0.0.1",
         f"--port={port}", f"--IdentityProvider.token={TOKEN}", f"--ServerApp.root_dir={root}",
         "--LabApp.news_url=", "--LabApp.check_for_updates_class=jupyterlab.NeverCheckForUpdate"],
        stdout=subprocess.DEVNULL, stderr=log,
    )
    deadline = time.monotonic() + 60
    while True:
        try:
            socket.create_connection(("127.0.0.1", port), 0.2).close()
            break
        except OSError:
            if time.monotonic() > deadline or proc.poll() is not None:
                proc.kill()
                pytest.fail("JupyterLab did not start: " + (tmp_path / "lab.log").read_text()[-2000:])
            time.sleep(0.1)
    yield f"http://127.0.0.1:{port}"
    proc.terminate()
    try:
        proc.wait(timeout=30)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.wait(timeout=10)
    log.close()


def test_the_demo_runs_and_the_form_sends_in_a_real_jupyterlab(lab: str, tmp_path: Path) -> None:
    from playwright.sync_api import expect, sync_playwright

    import kombo_tui as kt

    with sync_playwright() as pw:
        browser = pw.chromium.launch(
            executable_path=CHROMIUM,
            args=["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                  "--disable-background-networking", "--disable-component-update", "--disable-sync",
                  "--host-resolver-rules=MAP * ~NOTFOUND, EXCLUDE 127.0.0.1"],
        )
        page = browser.new_page(viewport={"width": 1400, "height": 1700})
        page_errors: list[str] = []
        page.on("pageerror", lambda e: page_errors.append(str(e)))

        def only_loopback(route):  # type: ignore[no-untyped-def]
            if route.request.url.startswith(("http://127.0.0.1", "ws://127.0.0.1")):
                route.continue_()
            else:
                route.abort()

        page.route("**/*", only_loopback)
        page.goto(f"{lab}/lab/tree/demo.ipynb?token={TOKEN}")
        page.wait_for_selector(".jp-Notebook", timeout=90_000)
        choose = page.locator(".jp-Dialog button", has_text="Select")  # "Select Kernel", may be asked once
        idle = page.locator(".jp-Notebook-ExecutionIndicator[data-status='idle']")
        deadline = time.monotonic() + 120
        while not idle.count():
            assert time.monotonic() < deadline, "the kernel never became idle"
            if choose.count():
                choose.first.click()
            page.wait_for_timeout(200)

        # Run → Run All Cells, then wait until every code cell has its number and none runs.
        started = "() => [...document.querySelectorAll('.jp-CodeCell .jp-InputPrompt')].some(e => /\\[(\\*|\\d+)\\]/.test(e.textContent))"
        def clear_dialogs() -> None:
            """A dialog JupyterLab opens on its own (the kernel choice, late; a notice) takes the clicks."""
            for _ in range(25):
                if not page.locator(".jp-Dialog").count():
                    return
                if choose.count():
                    choose.first.click()
                else:
                    page.keyboard.press("Escape")
                page.wait_for_timeout(200)

        for attempt in range(3):  # (under load the first click can land before the menu is live)
            clear_dialogs()
            page.locator(".lm-MenuBar-itemLabel", has_text="Run").first.click()
            page.locator(".lm-Menu-itemLabel", has_text="Run All Cells").first.click()
            try:
                page.wait_for_function(started, timeout=20_000)
                break
            except Exception:  # noqa: BLE001 - not started: close any menu and ask again
                page.keyboard.press("Escape")
                assert attempt < 2, "Run All Cells never started the cells"
        # Every code cell numbered, none running. A cell that raises stops Run All and leaves the
        # cells after it blank: fail at once with what the page shows, not after a long timeout.
        prompts = "() => [...document.querySelectorAll('.jp-CodeCell .jp-InputPrompt')].map(e => e.textContent.trim())"
        deadline, stopped_since = time.monotonic() + 180, None
        while True:
            shown_prompts = page.evaluate(prompts)
            if shown_prompts and all(re.search(r"\[\d+\]", t) for t in shown_prompts):
                break
            running = any("*" in t for t in shown_prompts)
            stopped_since = None if running else (stopped_since or time.monotonic())
            if time.monotonic() > deadline or (stopped_since and time.monotonic() - stopped_since > 15):
                text = page.locator(".jp-Notebook").inner_text()
                log = (tmp_path / "lab.log").read_text(errors="replace")
                pytest.fail(f"Run All did not finish: prompts {shown_prompts}\n--- page (end) ---\n"
                            f"{text[-4000:]}\n--- lab log (end) ---\n{log[-3000:]}")
            clear_dialogs()
            page.wait_for_timeout(250)
        notebook = page.locator(".jp-Notebook")
        shown = notebook.inner_text()
        assert "Traceback" not in shown and "Error displaying widget" not in shown
        assert "(100%) — sent" in shown  # the bar ended in words
        assert "2 history entries" in shown and "kombo-tui in the browser" in shown

        forms = page.locator(".jp-OutputArea-output", has=page.locator(".widget-button", has_text="Load applications"))
        forms.nth(1).wait_for(timeout=60_000)  # widgets render after their cell ends
        assert forms.count() == 2
        form = forms.first
        form.locator(".widget-button", has_text="Load applications").click()
        page.wait_for_function(
            "() => [...document.querySelectorAll('.widget-html')].some(e => /Applications: 60 loaded/.test(e.textContent))",
            timeout=60_000,
        )
        chooser = form.locator(".widget-select select")
        def options() -> list[str]:  # (the widget draws spaces as no-break spaces)
            return [t.replace("\xa0", " ") for t in chooser.locator("option").all_inner_texts()]

        # The count is drawn before the options reach the page: wait for the 60th.
        chooser.locator("option").nth(59).wait_for(state="attached", timeout=60_000)
        labels = options()
        assert len(labels) == 60 and all(label.count(" · ") == 3 for label in labels)  # candidate · email · job · id
        email, application_id = labels[5].split(" · ")[1], labels[5].split(" · ")[3]
        form.locator(".widget-text", has_text="Search").locator("input").fill(email)  # search by email
        page.wait_for_function(
            "() => [...document.querySelectorAll('.widget-html')].some(e => /match the search/.test(e.textContent))",
            timeout=30_000,
        )
        # The count is drawn before the options reach the page: wait for as many as it says.
        said = form.locator(".widget-html", has_text="match the search").first.inner_text()
        matches = re.search(r"(\d+) of \d+ loaded match", said.replace("\xa0", " "))
        assert matches is not None, said
        expect(chooser.locator("option")).to_have_count(int(matches.group(1)), timeout=30_000)
        found = options()
        assert labels[5] in found and all(email in label for label in found) and len(found) < 60
        chooser.select_option(index=found.index(labels[5]))
        form.locator(".widget-text", has_text="File path").locator("input").fill("Jane_Doe_CV.pdf")
        form.locator(".widget-text", has_text="File path").locator("input").press("Enter")
        page.wait_for_function(
            f"() => [...document.querySelectorAll('.widget-html')].some(e => e.textContent.includes('POST /ats/applications/{application_id}/attachments'))",
            timeout=60_000,
        )
        form.locator(".widget-button", has_text="Send").first.click()
        page.wait_for_function(
            "() => [...document.querySelectorAll('.widget-html')].some(e => /history\\s*#3/.test(e.textContent))",
            timeout=60_000,
        )
        # The form forgets the file after the send (the widgets sync a moment after the history line).
        expect(form).to_contain_text("File to send: none yet", timeout=30_000)
        assert "sent" in form.inner_text()
        expect(form.locator(".widget-button", has_text="Cancel")).to_be_disabled(timeout=30_000)  # (synced a moment later)
        form.screenshot(path=str(tmp_path / "form-after-send.png"))

        # The kernel stays free while the form sends: Cancel stops the upload, and says how it ended.
        slow = forms.nth(1)
        slow.locator(".widget-button", has_text="Send").first.click()
        page.wait_for_function(
            "() => [...document.querySelectorAll('.widget-label')].some(e => /^sending… [0-9.]+ of/.test(e.textContent))",
            timeout=60_000,
        )
        assert slow.locator(".widget-button", has_text="Send").first.is_disabled()
        slow.locator(".widget-button", has_text="Cancel").click()
        page.wait_for_function(
            "() => [...document.querySelectorAll('.widget-label')].some(e => /^cancelled: /.test(e.textContent))",
            timeout=60_000,
        )
        expect(slow).to_contain_text(re.compile(r"cancelled before the last byte:\s+nothing was stored"), timeout=30_000)
        expect(slow.locator(".widget-button", has_text="Send").first).to_be_enabled(timeout=30_000)
        slow.screenshot(path=str(tmp_path / "form-after-cancel.png"))
        browser.close()
    assert not page_errors, page_errors
    entries = kt.History().entries()
    assert entries[0].file_name == "big.pdf" and entries[0].outcome == "error"  # the cancelled one, not stored
    sent = entries[1]
    assert sent.outcome == "sent" and sent.application_id == application_id and sent.file_name == "Jane_Doe_CV.pdf"
