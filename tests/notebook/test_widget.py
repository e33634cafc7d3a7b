"""``kt.widget()`` driven as a user would: set the fields, click Send, read the result."""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Callable
from datetime import datetime, timezone
from pathlib import Path

import kombo_tui as kt
import kombo_tui.core.api
import kombo_tui.notebook

from .helpers import counting_sandbox, pdf, stored


def test_the_form_sends_through_the_core_and_shows_the_result(tmp_path: Path) -> None:
    with kt.SandboxServer() as server:
        form = kt.widget(**server.where)
        assert "greenhouse:sandbox-greenhouse" in form.integration.options
        assert [w.description for w in form.remote_box.children] == ["On-Behalf-Of user id"]
        form.load_applications()
        target = form.applications[5]
        form.search.value = target.candidate.full_name
        assert form.application.value == target.id
        form.path.value = str(pdf(tmp_path / "cv.pdf", 300_000))
        form.type.value = "CV"
        form.remote_box.children[0].value = "4080002"
        body = json.loads(form.preview.value.split("<pre>")[1].split("</pre>")[0].replace("&quot;", '"'))
        assert body["remote_fields"] == {"greenhouse": {"post_headers": {"On-Behalf-Of": "4080002"}}}
        assert body["attachment"]["type"] == "CV" and body["attachment"]["name"] == "cv.pdf"

        form.send_button.click()
        assert form.outcome is not None and form.outcome.status == "sent"
        assert ">sent</span>" in form.result.value
        assert form.progress.value == form.progress.max == form.outcome.upload.content_length
        [stored] = server.sandbox.attachments("greenhouse:sandbox-greenhouse", target.id)[-1:]
        assert stored.file_name == "cv.pdf"
        assert kt.History().entries()[0].application_id == target.id

        assert form.path.value == "" and "none yet" in form.file_label.value  # forgotten after the send
        form.path.value = str(tmp_path / "cv.pdf")
        form.send_button.click()  # the same file again: the duplicate check of every front door
        assert form.outcome is None and isinstance(form.error, kt.DuplicateUploadError)
        assert "already sent successfully" in form.result.value
        assert "tick “force” and Send" in form.result.value and "force=True" not in form.result.value  # the form's terms
        form.force.value = True
        form.send_button.click()
        assert form.outcome is not None and form.outcome.status == "sent"


def test_the_form_refuses_inline_and_takes_an_uploaded_file(tmp_path: Path) -> None:
    with kt.SandboxServer() as server:
        form = kt.widget(**server.where)
        form.send_button.click()
        assert isinstance(form.error, kt.InputError) and ">refused</span>" in form.result.value
        form.load_applications()
        big = b"%PDF-1.4\n" + b"0" * (11 * 1024 * 1024) + b"\n%%EOF\n"
        form.upload.value = ({"name": "../big.pdf", "type": "application/pdf", "size": len(big), "content": memoryview(big), "last_modified": datetime.now(timezone.utc)},)
        form.type.value = "CV"
        assert "big.pdf" in form.preview.value
        form.send_button.click()
        assert isinstance(form.error, kt.InputError) and "limit of 10,485,760 bytes" in form.result.value
        assert server.sandbox.upload_count() == 0


def test_the_form_never_sends_a_file_chosen_before_the_last_send(tmp_path: Path) -> None:
    """Pick a CV, send it; then a pick that never reaches the kernel (the browser dropped a large
    file): Send has no file, says why, and the first CV does not go to the newly chosen application."""
    with kt.SandboxServer() as server:
        form = kt.widget(**server.where)
        form.load_applications()
        first, second = form.applications[0].id, form.applications[1].id
        form.application.value = first
        cv = pdf(tmp_path / "first-cv.pdf", 2_000)
        form.upload.value = ({"name": "first-cv.pdf", "type": "application/pdf", "size": 2_000,
                              "content": memoryview(cv.read_bytes()), "last_modified": datetime.now(timezone.utc)},)
        assert "first-cv.pdf" in form.file_label.value
        form.force.value = True
        form.send_button.click()
        assert form.outcome is not None and form.outcome.status == "sent"
        assert form.upload.value == () and not form.force.value  # a fresh form for the next file
        form.application.value = second  # ... and the 12 MB pick never arrived
        form.send_button.click()
        assert form.outcome is None and isinstance(form.error, kt.InputError)
        assert "did not reach the kernel" in form.result.value and "none yet" in form.file_label.value
        assert server.sandbox.attachments("greenhouse:sandbox-greenhouse", second) == []
        assert server.sandbox.upload_count() == 1


def _slowed(form: kt.notebook.SendForm, at: Callable[[int, int | None], bool]) -> threading.Event:
    """Pace the form's upload (each progress step takes 20 ms) and set the event once ``at`` holds."""
    reached = threading.Event()
    track = form._track

    def paced(sent: int, total: int | None) -> None:
        track(sent, total)
        if at(sent, total):
            reached.set()
        time.sleep(0.02)

    form._track = paced  # type: ignore[method-assign]
    return reached


def test_cancel_mid_body_says_nothing_was_stored_and_leaves_a_fresh_form(tmp_path: Path) -> None:
    server, counter = counting_sandbox(latency=2.0)
    with server:
        form = kt.widget(**server.where)
        form.load_applications()
        form.path.value = str(pdf(tmp_path / "big.pdf", 6 * 1024 * 1024))
        form.force.value = True
        assert form.cancel_button.disabled
        reached = _slowed(form, lambda sent, total: 0 < sent)
        worker = form.send_in_background()
        assert reached.wait(30)
        assert form.send_button.disabled and not form.cancel_button.disabled and form.status.value.startswith("sending")
        form.cancel_button.click()
        worker.join(30)
        assert not worker.is_alive()
        assert form.outcome is None and isinstance(form.error, kt.core.api.SendCancelled)
        assert form.error.outcome == "not_sent"
        assert ">not sent</span>" in form.result.value and "nothing was stored" in form.result.value
        assert form.progress.bar_style == "danger" and form.status.value == "cancelled: not sent"
        assert not form.send_button.disabled and form.cancel_button.disabled
        assert form.path.value == "" and not form.force.value  # a fresh form: file forgotten, force unticked
        [entry] = kt.History().entries()
        assert entry.outcome == "error" and "cancelled before the body was complete" in (entry.error_message or "")
        assert stored(server) == 0 and counter.received < 6 * 1024 * 1024
        assert "last send: cancelled: not sent" in repr(form) and "nothing was stored" in repr(form)


def test_cancel_after_the_last_byte_says_the_outcome_is_unknown(tmp_path: Path) -> None:
    server, counter = counting_sandbox(latency=2.0)
    with server:
        form = kt.widget(**server.where)
        form.load_applications()
        form.path.value = str(pdf(tmp_path / "small.pdf", 20_000))
        reached = _slowed(form, lambda sent, total: total is not None and sent >= total)
        worker = form.send_in_background()
        assert reached.wait(30)
        form.cancel()
        worker.join(30)
        assert isinstance(form.error, kt.core.api.SendCancelled) and form.error.outcome == "unknown"
        assert ">unknown</span>" in form.result.value and "Tick “verify” and Send again" in form.result.value
        assert "verify=True" not in form.result.value
        assert kt.History().entries()[0].outcome == "unknown"

        # ticking verify and sending again checks first (the sandbox stored it meanwhile, or not)
        form.path.value = str(tmp_path / "small.pdf")
        form.verify.value = True
        counter.wait_idle()  # the cancelled request has been handled (stored or not) by now
        form.send()
        assert form.outcome is not None or isinstance(form.error, kt.DuplicateUploadError)
        assert stored(server) == 1  # landed once, never twice


def test_each_send_starts_fresh(tmp_path: Path) -> None:
    with kt.SandboxServer() as server:
        form = kt.widget(**server.where)
        form.load_applications()
        form.path.value = str(pdf(tmp_path / "cv.pdf", 3_000))
        form.send()
        assert form.progress.bar_style == "success" and ">sent</span>" in form.result.value
        form.path.value = str(tmp_path / "cv.pdf")
        form.send()  # refused: a duplicate
        assert form.progress.bar_style == "" and form.progress.value == 0 and ">refused</span>" in form.result.value
        assert form.path.value == str(tmp_path / "cv.pdf")  # a refusal keeps the file, to tick force
        form.application.value = form.applications[3].id  # the refusal was about other fields
        assert form.result.value == ""


def test_the_chooser_shows_every_application_in_full_counts_them_and_searches_any_part() -> None:
    with kt.SandboxServer() as server:
        form = kt.widget(**server.where)
        form.load_applications(limit=12)
        assert len(form.applications) == 12
        assert "12 loaded" in form.apps_status.value and "Load all" in form.apps_status.value
        assert form.load_all_button.layout.display != "none"
        app = form.applications[7]
        label = dict((v, k) for k, v in form.application.options)[app.id]
        assert label == " · ".join([app.candidate.full_name, app.candidate.email, app.job.name, app.id])
        for needle in (app.candidate.email, app.job.name, app.id, app.candidate.full_name.upper()):
            form.search.value = needle
            assert app.id in [v for _k, v in form.application.options], needle
            matches = len(form.application.options)
            assert f"{matches:,} of 12 loaded" in form.apps_status.value
        form.search.value = app.candidate.email
        assert form.application.value == app.id
        form.load_all_button.click()
        assert len(form.applications) == 60 and form.load_all_button.layout.display == "none"
        assert "Load all" not in form.apps_status.value


def test_a_failed_load_is_shown_by_the_load_button_not_under_send() -> None:
    form = kt.widget(base_url="http://127.0.0.1:9/v1", api_key="sk_test_x", integration_id="greenhouse:x")
    form.load_applications()
    assert ">refused</span>" in form.apps_status.value and "could not load the applications" in form.apps_status.value
    assert form.result.value == ""


def test_every_label_is_shown_in_full_with_a_tooltip_and_in_the_forms_terms() -> None:
    from ipywidgets.widgets.widget_description import DescriptionWidget

    with kt.SandboxServer() as server:
        form = kt.widget(**server.where)

        def walk(widget: object) -> list[object]:
            children = getattr(widget, "children", ())
            return [widget, *(w for c in children for w in walk(c))]

        described = [w for w in walk(form.box) if isinstance(w, DescriptionWidget) and w.description]
        assert len(described) >= 10
        for w in described:
            if hasattr(w.style, "description_width"):
                assert w.style.description_width == "initial", w.description
            assert w.tooltip and w.description.split(":")[0] in w.tooltip, w.description
        assert form.upload.tooltip
        form.integration.value = "oracle:sandbox-oracle"
        assert '"oracle"' in form.remote_json.placeholder
        form.send()
        text = form.result.value
        assert "--" not in text.replace("<!--", "") and "=True" not in text
        assert "choose a file with Upload file, or type its File path" in form.preview.value
        assert "name:" not in form.preview.value  # no file yet: its name is not the point
        assert "data_url" not in form.preview.value
        form.path.value = "x.pdf"
        assert "choose one under Application" in form.preview.value and "--application" not in form.preview.value


def test_the_forms_text_says_what_happened(tmp_path: Path) -> None:
    with kt.SandboxServer() as server:
        form = kt.widget(**server.where)
        assert "VBox" not in form._bundle()["text/plain"]
        assert "application/vnd.jupyter.widget-view+json" in form._bundle()
        form.load_applications()
        form.path.value = str(pdf(tmp_path / "cv.pdf", 3_000))
        outcome = form.send()
        assert outcome is not None
        text = form._bundle()["text/plain"]
        assert f"last send: sent cv.pdf to application {outcome.upload.target_id} (history #{outcome.history_id})" in text
