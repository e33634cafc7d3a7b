"""``kt.widget()`` driven as a user would: set the fields, click Send, read the result."""

from __future__ import annotations

import json
from datetime import datetime, timezone
from pathlib import Path

import kombo_tui as kt

from .helpers import pdf


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
        assert "already sent successfully" in form.result.value and "force=True" in form.result.value
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
