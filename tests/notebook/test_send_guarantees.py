"""``kt.send`` in a notebook: limits before streaming, verify after an unknown outcome,
an Interrupt that cancels and waits, and the check that refuses the app inside a running loop."""

from __future__ import annotations

import asyncio
import os
import signal
import threading
from pathlib import Path

import pytest

import kombo_tui as kt
from kombo_tui.core.api import RunningLoopError, refuse_inside_running_loop
from kombo_tui.core.history import History, HistoryEntry

from .helpers import counting_sandbox, pdf, stored

MB = 1024 * 1024


def test_a_file_above_the_integrations_limit_is_refused_before_any_body_byte(tmp_path: Path) -> None:
    server, counter = counting_sandbox()
    with server:
        app_id = kt.list_applications(server.where["integration_id"], limit=1, **_key(server))[0].id
        cv = pdf(tmp_path / "cv.pdf", 20 * MB)
        with pytest.raises(kt.InputError) as caught:
            kt.send(cv, application_id=app_id, type="CV", **server.where)
        assert "limit of 10,485,760 bytes for CV" in str(caught.value)
        assert [n.code for n in caught.value.notices] == ["too_large"]
        assert counter.posts == 0 and counter.received == 0
        assert not [i for i in server.sandbox.interactions if i.method == "POST"]
        assert stored(server) == 0
        assert History().entries() == []
        # the same file is sent when the caller opts out of the check (the sandbox then refuses it)
        outcome = kt.send(cv, application_id=app_id, type="CV", check_limits=False, **server.where)
        assert outcome.status == "error" and counter.received > 20 * MB


def test_a_mime_type_the_integration_does_not_accept_is_refused(tmp_path: Path) -> None:
    with kt.SandboxServer() as server:
        app_id = kt.list_applications(server.where["integration_id"], limit=1, **_key(server))[0].id
        png = tmp_path / "photo.png"
        png.write_bytes(b"\x89PNG\r\n\x1a\n" + b"\0" * 64)
        with pytest.raises(kt.InputError, match="image/png is not among the types"):
            kt.send(png, application_id=app_id, type="CV", content_type="image/png", **server.where)


def _key(server: kt.SandboxServer) -> dict[str, str]:
    return {"api_key": server.api_key, "base_url": server.base_url}


def _unknown_entry(server: kt.SandboxServer, upload: kt.PreparedUpload) -> int:
    from kombo_tui.core.target import Target

    environment = Target.resolve(base_url=server.base_url, api_key=server.api_key).history_environment
    return History().record(
        HistoryEntry(
            environment=environment,
            integration_id=upload.integration_id,
            application_id=upload.application_id,
            file_name=upload.name,
            type=upload.type.value,
            outcome="unknown",
            sha256=upload.fingerprint.sha256 if upload.fingerprint else None,
        )
    )


def test_after_an_unknown_outcome_verify_checks_first_then_sends_only_if_absent(tmp_path: Path) -> None:
    with kt.SandboxServer() as server:
        app_id = kt.list_applications(server.where["integration_id"], limit=1, **_key(server))[0].id
        cv = pdf(tmp_path / "cv.pdf", 4000)
        upload = kt.prepare_file(cv, application_id=app_id, integration_id=server.where["integration_id"])
        earlier = _unknown_entry(server, upload)
        with pytest.raises(kt.DuplicateUploadError, match="unknown outcome.*verify=True"):
            kt.send(cv, application_id=app_id, **server.where)
        outcome = kt.send(cv, application_id=app_id, verify=True, **server.where)
        assert outcome.status == "sent" and stored(server) == 1
        by_id = {e.id: e for e in History().entries()}
        assert by_id[earlier].outcome == "verified_absent"
        # now it is there: a second unknown attempt is settled as present, and nothing is sent
        second = _unknown_entry(server, upload)
        History().set_verified(outcome.history_id or 0, "absent", "verified_absent")  # hide the sent row
        with pytest.raises(kt.DuplicateUploadError, match="the application has it now"):
            kt.send(cv, application_id=app_id, verify=True, **server.where)
        assert stored(server) == 1
        assert {e.id: e for e in History().entries()}[second].outcome == "verified_present"


def test_an_interrupt_cancels_the_upload_on_the_worker_loop_and_records_it(tmp_path: Path) -> None:
    server, counter = counting_sandbox(latency=1.0)
    with server:
        where = server.where
        app_id = kt.list_applications(where["integration_id"], limit=1, **_key(server))[0].id
        cv = pdf(tmp_path / "cv.pdf", 6 * MB)
        started = threading.Event()

        def slow(sent: int, total: int | None) -> None:
            started.set()
            threading.Event().wait(0.05)  # a slow link: the body takes seconds

        def interrupt() -> None:
            started.wait(10)
            os.kill(os.getpid(), signal.SIGINT)

        async def cell() -> kt.SendOutcome:
            # as in a notebook cell: a loop is running, so the send runs on a worker thread
            return kt.send(cv, application_id=app_id, progress=slow, **where)

        loop = asyncio.new_event_loop()
        threading.Thread(target=interrupt, daemon=True).start()
        try:
            with pytest.raises(KeyboardInterrupt, match="before the last byte"):
                loop.run_until_complete(cell())
        finally:
            loop.close()
        assert not [t for t in threading.enumerate() if t.name == "kombo-tui-sync" and t.is_alive()]
        threading.Event().wait(2.0)  # longer than the sandbox's latency: a background send would land
        assert stored(server) == 0
        [entry] = History().entries()
        assert entry.outcome == "error" and "cancelled before the body was complete" in (entry.error_message or "")
        assert counter.received < 6 * MB


async def test_the_app_refuses_to_run_inside_a_running_loop() -> None:
    with pytest.raises(RunningLoopError) as caught:
        refuse_inside_running_loop()
    message = str(caught.value)
    assert "kt.serve()" in message and "kombo-tui serve" in message and "jupyter-server-proxy" in message
    assert "README" in message and "!kombo-tui serve &" not in message


def test_outside_a_running_loop_the_app_may_run() -> None:
    refuse_inside_running_loop()  # returns: nothing to refuse
    assert isinstance(RunningLoopError("x"), kt.KomboError)
