"""The right file, once: one identity per upload, and a write-ahead claim every door goes through.

Each test sends through a real sandbox on loopback (or the engine with a mock) and counts what
the sandbox stored: however the base URL is spelled, however many threads or processes send,
however a plan is edited between runs, each upload is stored at most once.
"""

from __future__ import annotations

import concurrent.futures
import os
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

import httpx
import pytest

import kombo_tui as kt
from kombo_tui.core.engine import entry_from_outcome
from kombo_tui.core.errors import DuplicateUploadError, HistoryUnavailableError
from kombo_tui.core.history import History, HistoryEntry
from kombo_tui.core.identity import canonical_environment, upload_identity
from kombo_tui.core.outcome import SendOutcome
from kombo_tui.core.payload import prepare_fields
from kombo_tui.sandbox.config import SandboxConfig
from kombo_tui.sandbox.data import DEFAULT_INTEGRATION_ID, SANDBOX_API_KEY, dataset
from kombo_tui.sandbox.server import SandboxServer

PDF = b"%PDF-1.4\n%\xe2\xe3\xcf\xd3\n1 0 obj<</Type/Catalog>>endobj\ntrailer<<>>\n%%EOF\n"


def _apps(n: int) -> list[str]:
    return [a.id for a in dataset(DEFAULT_INTEGRATION_ID).applications if a.deleted is None][:n]


def _cv(tmp_path: Path, name: str = "cv.pdf", body: bytes = PDF) -> Path:
    path = tmp_path / name
    path.write_bytes(body)
    return path


@pytest.mark.parametrize(
    ("spelling", "canonical"),
    [
        ("https://api.kombo.dev/v1", "https://api.kombo.dev/v1"),
        ("HTTPS://API.Kombo.dev:443/v1/", "https://api.kombo.dev/v1"),
        ("https://api.kombo.dev:8443/v1", "https://api.kombo.dev:8443/v1"),
        ("http://127.0.0.1:8123/v1", "http://loopback:8123/v1"),
        ("http://localhost:8123/v1", "http://loopback:8123/v1"),
        ("http://LOCALHOST:8123/v1/", "http://loopback:8123/v1"),
        ("http://[::1]:8123/v1", "http://loopback:8123/v1"),
        ("http://sandbox.kombo-tui.localhost:80/v1", "http://loopback/v1"),
    ],
)
def test_every_spelling_of_an_environment_is_one(spelling: str, canonical: str) -> None:
    assert canonical_environment(spelling) == canonical


def test_the_identity_covers_every_field_and_nothing_else(tmp_path: Path) -> None:
    cv = _cv(tmp_path)

    def key(env: str = "EU", **changes: object) -> str:
        fields: dict[str, object] = dict(integration_id="g:1", application_id="APP1", file=cv, type="CV")
        fields.update(changes)
        return upload_identity(prepare_fields(**fields), env).key  # type: ignore[arg-type]

    base = key()
    assert key("https://API.kombo.dev:443/v1/") == base  # a region's label is its URL
    assert key(remote_fields={"greenhouse": {"post_headers": {"On-Behalf-Of": "1"}}}) == base
    different = [
        key("US"), key(integration_id="g:2"), key(application_id="APP2"), key(name="other.pdf"),
        key(type="OTHER"), key(file=_cv(tmp_path, "cv2.pdf", PDF + b" ")),
        key(application_id="", candidate_id="APP1"), key("sandbox:one"), key("sandbox:two"),
    ]
    assert base not in different and len(set(different)) == len(different)
    by_url = [
        key(file=None, data_url=url, name="cv.pdf")
        for url in ("https://files.example/cv.pdf", "HTTPS://Files.Example:443/cv.pdf#page=2")
    ]
    assert by_url[0] == by_url[1] != key(file=None, data_url="https://files.example/CV.pdf", name="cv.pdf")


def test_one_file_through_three_spellings_of_the_url_is_stored_once(tmp_path: Path) -> None:
    cv = _cv(tmp_path)
    [app] = _apps(1)
    with SandboxServer() as server:
        port = server.base_url.split(":")[2].split("/")[0]
        results = []
        for host in ("127.0.0.1", "localhost", "LOCALHOST"):
            try:
                kt.send(cv, api_key=SANDBOX_API_KEY, base_url=f"http://{host}:{port}/v1",
                        integration_id=DEFAULT_INTEGRATION_ID, application_id=app, check_limits=False)
                results.append("sent")
            except DuplicateUploadError:
                results.append("refused")
        assert results == ["sent", "refused", "refused"]
        assert server.sandbox.store.upload_count() == 1


def test_eight_threads_sending_one_file_store_it_once(tmp_path: Path) -> None:
    cv = _cv(tmp_path)
    [app] = _apps(1)
    with SandboxServer() as server:

        def one(_: int) -> str:
            try:
                kt.send(cv, api_key=SANDBOX_API_KEY, base_url=server.base_url, integration_id=DEFAULT_INTEGRATION_ID,
                        application_id=app, check_limits=False)
            except DuplicateUploadError:
                return "refused"
            return "sent"

        with concurrent.futures.ThreadPoolExecutor(8) as pool:
            results = list(pool.map(one, range(8)))
        assert sorted(results) == ["refused"] * 7 + ["sent"]
        assert server.sandbox.store.upload_count() == 1
        assert [e.outcome for e in History().entries()] == ["sent"]


def test_two_processes_sending_one_file_store_it_once(tmp_path: Path) -> None:
    cv = _cv(tmp_path)
    [app] = _apps(1)
    with SandboxServer() as server:
        env = {**os.environ, "KOMBO_API_KEY": SANDBOX_API_KEY}
        command = [sys.executable, "-c", "import sys; from kombo_tui.cli import main; sys.exit(main())", "send", str(cv), "--base-url", server.base_url,
                   "--integration", DEFAULT_INTEGRATION_ID, "--application", app, "--skip-limits"]
        procs = [subprocess.Popen(command, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE) for _ in range(2)]
        codes = sorted(p.wait(timeout=60) for p in procs)
        errors = b"".join(p.stderr.read() for p in procs if p.stderr is not None).decode()
        assert codes == [0, 2], errors
        assert "already sent" in errors or "is being sent" in errors
        assert server.sandbox.store.upload_count() == 1


def test_no_send_when_the_history_cannot_record_the_intent(tmp_path: Path) -> None:
    cv = _cv(tmp_path)
    [app] = _apps(1)
    with SandboxServer() as server:
        # Locked by another writer past the wait, then a data dir that cannot hold a history.
        locked = History(tmp_path / "h.sqlite3", busy_timeout=0.1)
        locked.entries()
        holder = sqlite3.connect(locked.path, isolation_level=None)
        locked.record(HistoryEntry(environment="EU", integration_id="x", application_id="y", file_name="z",
                                      type="CV", outcome="sent"))
        holder.execute("BEGIN EXCLUSIVE")
        unwritable = History(_cv(tmp_path, "a-file") / "history.sqlite3")
        try:
            for history in (locked, unwritable):
                with pytest.raises(HistoryUnavailableError, match="nothing was sent") as info:
                    kt.send(cv, api_key=SANDBOX_API_KEY, base_url=server.base_url, integration_id=DEFAULT_INTEGRATION_ID,
                            application_id=app, check_limits=False, history=history)
                assert str(history.path) in str(info.value)
            assert server.sandbox.store.upload_count() == 0
        finally:
            holder.execute("ROLLBACK")
            holder.close()
        outcome = kt.send(cv, api_key=SANDBOX_API_KEY, base_url=server.base_url, integration_id=DEFAULT_INTEGRATION_ID,
                          application_id=app, check_limits=False, history=False)  # the explicit opt-out
        assert outcome.status == "sent" and server.sandbox.store.upload_count() == 1


def test_an_unsettled_claim_is_verified_by_evidence_before_any_resend(tmp_path: Path) -> None:
    """A send whose process died leaves its write-ahead record "sending". A resend in any door
    verifies first; a same-named *older* attachment is not proof that the send landed."""
    cv = _cv(tmp_path)
    [app] = _apps(1)
    hours_ago = [1.0]  # the sandbox's clock: the first copy is stamped an hour back

    def clock() -> float:
        return time.time() - 3600 * hours_ago[0]

    with SandboxServer(SandboxConfig(clock=clock)) as server:
        base = dict(api_key=SANDBOX_API_KEY, base_url=server.base_url, integration_id=DEFAULT_INTEGRATION_ID,
                    application_id=app, check_limits=False)
        kt.send(cv, history=False, **base)  # an older copy of the same name, sent outside the history
        hours_ago[0] = 0
        [older] = server.sandbox.store.all()
        history = History()
        upload = prepare_fields(integration_id=DEFAULT_INTEGRATION_ID, application_id=app, file=cv)
        dead = entry_from_outcome(SendOutcome("unknown", upload), environment=server.base_url)
        assert history.claim(dead) == [] and dead.id is not None  # ... and then the process died
        with pytest.raises(DuplicateUploadError, match="still in flight"):
            kt.send(cv, **base)
        outcome = kt.send(cv, verify=True, **base)  # the older file is not this send's: it did not land
        assert outcome.status == "sent"
        assert server.sandbox.store.upload_count() == 2
        assert history.entry(dead.id).outcome == "verified_absent"  # type: ignore[union-attr]
        assert older.id in {s.id for s in server.sandbox.store.all()}


async def test_a_lost_answer_with_only_an_older_same_named_file_is_not_sent(tmp_path: Path) -> None:
    from kombo_tui.core.client import KomboClient
    from kombo_tui.core.engine import send_upload

    older = {"id": "old", "remote_id": "r", "file_name": "cv.pdf", "remote_created_at": "2020-01-01T00:00:00Z"}

    def handler(request: httpx.Request) -> httpx.Response:
        if request.method == "POST":
            request.read()
            return httpx.Response(503, text="down")  # nothing was stored
        return httpx.Response(200, json={"status": "success", "data": {"results": [older], "next": None}})

    upload = prepare_fields(integration_id="g:1", application_id="APP1", file=_cv(tmp_path))
    history = History(tmp_path / "h.sqlite3")
    client = KomboClient("sk_once_test_key_1", base_url="http://x/v1", transport=httpx.MockTransport(handler))
    async with client:
        outcome = await send_upload(client, upload, verify=True, history=history, environment="EU")
    assert outcome.status == "unknown" and not outcome.landed
    assert outcome.verification is not None and outcome.verification.evidence == "absent"
    assert "only older files" in outcome.verification.summary()
    assert [e.outcome for e in history.entries()] == ["verified_absent"]


def test_a_killed_bulk_run_then_an_edited_plan_stores_every_row_once(tmp_path: Path) -> None:
    """Rows in flight when a run died are known to the history, not only to that job's journal:
    a rerun of an edited plan (another job) verifies them, and sends only what is absent."""
    apps = _apps(5)
    for i in range(5):
        _cv(tmp_path, f"cv-{i}.pdf", PDF + str(i).encode())
    rows = [f"{app},cv-{i}.pdf,CV" for i, app in enumerate(apps)]
    with SandboxServer() as server:
        base = dict(api_key=SANDBOX_API_KEY, base_url=server.base_url, integration_id=DEFAULT_INTEGRATION_ID)
        history = History()
        # The killed run: rows 0-3 were claimed ("sending"); rows 0 and 1 landed, 2 and 3 did not.
        for i, app in enumerate(apps[:4]):
            upload = prepare_fields(integration_id=DEFAULT_INTEGRATION_ID, application_id=app, file=tmp_path / f"cv-{i}.pdf")
            assert history.claim(entry_from_outcome(
                SendOutcome("unknown", upload), environment=server.base_url.replace("127.0.0.1", "localhost"))) == []
            if i < 2:
                kt.send(upload.file, application_id=app, history=False, check_limits=False, **base)
        # The edited plan: the forgotten row 4 appended, the rows in another order.
        plan = tmp_path / "edited.csv"
        plan.write_text("application_id,file,type\n" + "\n".join(reversed(rows)) + "\n")
        report = kt.bulk(plan, recheck_after=0, **base)
        assert report.exit_code == 0, report.rows()
        stored = sorted(s.file_name for s in server.sandbox.store.all())
        assert stored == [f"cv-{i}.pdf" for i in range(5)]  # each once
        statuses = {r.spec["file"].rsplit("/", 1)[-1]: r.status for r in report.rows()}
        assert statuses == {f"cv-{i}.pdf": "sent" for i in range(5)} | {"cv-0.pdf": "already_sent", "cv-1.pdf": "already_sent"}
        again = kt.bulk(plan, recheck_after=0, **base)
        assert again.sent_this_run == 0 and server.sandbox.store.upload_count() == 5


def test_each_run_of_the_embedded_sandbox_is_an_environment_of_its_own() -> None:
    """It starts empty: what an earlier run stored says nothing about it (one rule, every door)."""
    from kombo_tui.core.target import Target
    from kombo_tui.sandbox.embedded import embedded

    first, second = Target.resolve(sandbox=embedded()), Target.resolve(sandbox=embedded())
    assert first.history_environment == first.history_environment != second.history_environment
    assert first.history_environment.startswith("sandbox:")
    with first:
        first.start()
        running = first.history_environment
        assert running == first.history_environment  # the same run
    first.start()  # stopped, then started again: a new, empty sandbox
    try:
        assert first.history_environment != running
    finally:
        first.close()


def test_one_plan_run_at_once_through_two_spellings_of_the_url_stores_each_row_once(tmp_path: Path) -> None:
    apps = _apps(12)
    for i in range(12):
        _cv(tmp_path, f"cv-{i}.pdf", PDF + str(i).encode())
    plan = tmp_path / "plan.csv"
    plan.write_text("application_id,file,type\n" + "".join(f"{a},cv-{i}.pdf,CV\n" for i, a in enumerate(apps)))
    with SandboxServer(SandboxConfig(latency=0.05, concurrency_limit=4)) as server:
        port = server.base_url.split(":")[2].split("/")[0]

        def run(host: str) -> object:
            return kt.bulk(plan, api_key=SANDBOX_API_KEY, base_url=f"http://{host}:{port}/v1",
                           integration_id=DEFAULT_INTEGRATION_ID, recheck_after=0)

        with concurrent.futures.ThreadPoolExecutor(2) as pool:
            list(pool.map(run, ["127.0.0.1", "localhost"]))
        stored = sorted(s.file_name for s in server.sandbox.store.all())
        assert stored == sorted(f"cv-{i}.pdf" for i in range(12))  # each once
        # A rerun through a third spelling finishes whatever was left unsettled, and sends nothing twice.
        again = run("LOCALHOST")
        assert server.sandbox.store.upload_count() == 12, again


def test_data_url_rows_have_an_identity_an_edited_plan_does_not_resend_them(tmp_path: Path) -> None:
    def files(request: httpx.Request) -> httpx.Response:
        return httpx.Response(200, content=PDF, headers={"content-type": "application/pdf"})

    config = SandboxConfig(fetch_allow=("https://files.example",), fetch_transport=httpx.MockTransport(files))
    apps = _apps(3)
    rows = [f"{a},https://files.example/cv-{i}.pdf,CV,cv-{i}.pdf" for i, a in enumerate(apps)]
    plan = tmp_path / "plan.csv"
    with SandboxServer(config) as server:
        base = dict(api_key=SANDBOX_API_KEY, base_url=server.base_url, integration_id=DEFAULT_INTEGRATION_ID)
        plan.write_text("application_id,data_url,type,name\n" + "\n".join(rows[:2]) + "\n")
        assert kt.bulk(plan, **base).exit_code == 0
        # Edited: a row added, and the URLs spelled another way (same files).
        edited = [r.replace("https://files.example/", "HTTPS://Files.Example:443/") for r in rows]
        plan.write_text("application_id,data_url,type,name\n" + "\n".join(edited) + "\n")
        report = kt.bulk(plan, **base)
        assert report.exit_code == 0 and report.sent_this_run == 1
        assert sorted(s.file_name for s in server.sandbox.store.all()) == ["cv-0.pdf", "cv-1.pdf", "cv-2.pdf"]


def test_a_data_url_sent_once_is_refused_the_second_time_in_words(tmp_path: Path) -> None:
    def files(request: httpx.Request) -> httpx.Response:
        return httpx.Response(200, content=PDF, headers={"content-type": "application/pdf"})

    config = SandboxConfig(fetch_allow=("https://files.example",), fetch_transport=httpx.MockTransport(files))
    [app] = _apps(1)
    with SandboxServer(config) as server:
        base = dict(api_key=SANDBOX_API_KEY, base_url=server.base_url, integration_id=DEFAULT_INTEGRATION_ID,
                    application_id=app, check_limits=False, type="CV")
        assert kt.send(data_url="https://files.example/cv.pdf", **base).status == "sent"
        with pytest.raises(DuplicateUploadError, match=r"\(from HTTPS://Files\.Example/cv\.pdf\) was already sent"):
            kt.send(data_url="HTTPS://Files.Example/cv.pdf", name="cv.pdf", **base)
        assert server.sandbox.store.upload_count() == 1
