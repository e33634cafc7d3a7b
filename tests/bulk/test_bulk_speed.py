"""What keeps bulk fast, each part shown to do what it claims: facts asked for early and once,
a file hashed once per state, one trip to a thread per small body, a freed slot taken at
once, one history connection per run."""

from __future__ import annotations

import asyncio
import os
import sqlite3
from pathlib import Path

import pytest

from kombo_tui.core.bulk import check as check_module
from kombo_tui.core.bulk.check import FileMemo, IntegrationFacts, PlanCheck, check_plan
from kombo_tui.core.errors import FileChangedError
from kombo_tui.core.history import History
from kombo_tui.core.pace import Pace
from kombo_tui.core.payload import prepare_fields
from kombo_tui.sandbox.data import DEFAULT_INTEGRATION_ID, SANDBOX_API_KEY, dataset
from kombo_tui.sandbox.server import SandboxServer


def test_facts_are_asked_once_per_integration_before_its_rows_come_out(tmp_path: Path) -> None:
    (tmp_path / "cv.txt").write_text("a plain CV\n")
    plan = tmp_path / "plan.csv"
    rows = ["integration_id,application_id,file,type,name"]
    rows += [f"{'gh:ok' if i % 2 else 'gh:off'},APP{i},cv.txt,CV,cv-{i}.txt" for i in range(1, 9)]
    plan.write_text("\n".join(rows) + "\n")
    asked: list[str] = []
    answered = asyncio.Event()

    async def facts(integration_id: str) -> IntegrationFacts:
        asked.append(integration_id)
        await answered.wait()  # Kombo answers only once every row was read
        found = IntegrationFacts(integration_id, status="ACTIVE")
        if integration_id == "gh:off":
            found.problem = "integration gh:off is INACTIVE"
        return found

    async def go() -> tuple[list[tuple[int, bool, list[str]]], PlanCheck]:
        summary = PlanCheck()
        out = []
        loop = asyncio.get_running_loop()
        loop.call_soon(answered.set)
        async for checked in check_plan(plan, facts=facts, history=None, environment="EU", summary=summary):
            out.append((checked.row.number, checked.valid, [p.field for p in checked.problems]))
        return out, summary

    out, summary = asyncio.run(go())
    assert asked == ["gh:ok", "gh:off"]
    assert [n for n, _, _ in out] == list(range(1, 9))
    assert [valid for _, valid, _ in out] == [True, False] * 4
    assert all(fields == ["integration"] for _, valid, fields in out if not valid)
    assert list(summary.integrations) == ["gh:ok", "gh:off"] and summary.invalid == 4


def test_a_stop_during_the_check_leaves_no_request_behind(tmp_path: Path) -> None:
    (tmp_path / "cv.txt").write_text("a plain CV\n")
    plan = tmp_path / "plan.csv"
    plan.write_text("integration_id,application_id,file,type,name\n" + "".join(f"gh:{i},APP{i},cv.txt,CV,cv-{i}.txt\n" for i in range(3)))
    cancelled: list[str] = []

    async def facts(integration_id: str) -> IntegrationFacts:
        try:
            await asyncio.sleep(30)
        except asyncio.CancelledError:
            cancelled.append(integration_id)
            raise
        return IntegrationFacts(integration_id)

    async def go() -> None:
        rows = check_plan(plan, facts=facts, history=None, environment="EU")
        reading = asyncio.ensure_future(rows.__anext__())
        await asyncio.sleep(0.05)  # every row read, the first chunk waits for its facts
        reading.cancel()
        with pytest.raises(asyncio.CancelledError):
            await reading
        await rows.aclose()
        await asyncio.sleep(0)

    asyncio.run(go())
    assert sorted(cancelled) == ["gh:0", "gh:1", "gh:2"]


def test_a_file_is_hashed_and_sniffed_once_per_state(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    hashed: list[Path] = []
    real = check_module.fingerprint

    def counting(path: Path) -> object:
        hashed.append(path)
        return real(path)

    monkeypatch.setattr(check_module, "fingerprint", counting)
    cv = tmp_path / "cv.txt"
    cv.write_text("first\n")
    memo = FileMemo()
    first = memo.get(cv)
    assert memo.get(cv) == first and memo.sniffed(cv) == first[1] and len(hashed) == 1
    cv.write_text("second, longer\n")
    second = memo.get(cv)
    assert second[0] is not None and first[0] is not None and second[0].sha256 != first[0].sha256
    assert len(hashed) == 2
    (tmp_path / "empty.txt").write_bytes(b"")
    assert memo.get(tmp_path / "empty.txt") == (None, None)
    assert memo.get(tmp_path / "missing.txt") == (None, None)
    assert memo.get(tmp_path) == (None, None)
    assert memo.sniffed(tmp_path / "missing.txt") is None
    only_sniffed = FileMemo()
    assert only_sniffed.sniffed(cv) == second[1] and len(hashed) == 2
    assert only_sniffed.get(cv) == second and len(hashed) == 3  # the sniff was kept, the hash was not known


def test_a_small_body_costs_one_trip_to_a_thread_and_a_large_one_streams(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    trips = [0]
    real = asyncio.to_thread

    async def counting(func: object, *args: object) -> object:
        trips[0] += 1
        return await real(func, *args)  # type: ignore[arg-type]

    monkeypatch.setattr(asyncio, "to_thread", counting)
    cv = tmp_path / "cv.pdf"
    cv.write_bytes(b"%PDF-1.4\n" + os.urandom(5000))
    upload = prepare_fields(integration_id="gh:1", application_id="APP1", file=cv, type="CV")

    async def body(chunk_size: int) -> tuple[bytes, list[int]]:
        upload.chunk_size = chunk_size
        seen: list[int] = []
        parts = [part async for part in upload.aiter_body(lambda sent, total: seen.append(sent))]
        return b"".join(parts), seen

    whole = b"".join(upload.iter_body())
    small, progress = asyncio.run(body(3 * 1024 * 1024))
    assert small == whole and progress[-1] == len(whole) == upload.content_length and trips[0] == 1
    trips[0] = 0
    large, progress = asyncio.run(body(300))
    assert large == whole and progress[-1] == len(whole) and trips[0] == 17  # 5009 bytes in 300-byte chunks
    assert progress == sorted(progress) and len(progress) > 17

    cv.write_bytes(b"%PDF-1.4\n" + os.urandom(5000))  # same size, other content
    with pytest.raises(FileChangedError):
        asyncio.run(body(300))
    data_url = prepare_fields(integration_id="gh:1", application_id="APP1", data_url="https://files.example/cv.pdf", type="CV")
    trips[0] = 0

    async def url_body() -> bytes:
        return b"".join([part async for part in data_url.aiter_body()])

    assert asyncio.run(url_body()) == b"".join(data_url.iter_body()) and trips[0] == 0


def test_a_freed_slot_is_taken_on_the_next_turn_of_the_loop() -> None:
    async def go() -> None:
        pace = Pace(cap=4)
        assert await pace.acquire() == 1
        waiting = asyncio.ensure_future(pace.acquire())
        for _ in range(3):
            await asyncio.sleep(0)
        assert not waiting.done()  # the window is one until Kombo names its limit
        pace.release()
        for _ in range(3):
            await asyncio.sleep(0)
        assert waiting.done() and waiting.result() == 1  # not after the 0.5 s safety timer

    asyncio.run(go())


def test_a_run_records_every_row_through_one_history_connection(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from kombo_tui.core.bulk import run_bulk
    from kombo_tui.core.target import Target

    (tmp_path / "cv.txt").write_text("a plain CV\n")
    apps = [a.id for a in dataset(DEFAULT_INTEGRATION_ID).applications if a.deleted is None][:6]
    plan = tmp_path / "plan.csv"
    plan.write_text("application_id,file,type,name\n" + "".join(f"{a},cv.txt,CV,cv-{i}.txt\n" for i, a in enumerate(apps)))
    history = History(tmp_path / "h.sqlite3")
    opened: list[sqlite3.Connection] = []
    real_open = history._open

    def counting_open() -> sqlite3.Connection:
        opened.append(real_open())
        return opened[-1]

    monkeypatch.setattr(history, "_open", counting_open)

    async def go(base_url: str) -> int:
        target = Target.resolve(base_url=base_url, api_key=SANDBOX_API_KEY, integration_id=DEFAULT_INTEGRATION_ID)
        report = await run_bulk(plan, target, history=history, journal_path=tmp_path / "bulk.sqlite3")
        return report.exit_code

    with SandboxServer() as server:
        assert asyncio.run(go(server.base_url)) == 0
        assert server.sandbox.store.upload_count() == 6
    assert len(opened) == 1 and history._held is None
    assert sorted(e.file_name for e in history.entries()) == [f"cv-{i}.txt" for i in range(6)]


def _six_rows(tmp_path: Path) -> Path:
    (tmp_path / "cv.txt").write_text("a plain CV\n")
    apps = [a.id for a in dataset(DEFAULT_INTEGRATION_ID).applications if a.deleted is None][:6]
    plan = tmp_path / "plan.csv"
    plan.write_text("application_id,file,type,name\n" + "".join(f"{a},cv.txt,CV,cv-{i}.txt\n" for i, a in enumerate(apps)))
    return plan


def test_a_slot_is_free_at_kombos_answer_and_the_next_row_is_claimed_while_it_waits(tmp_path: Path) -> None:
    """One slot: the next row is claimed in the history while the row before it is in flight,
    and it starts while that row's outcome is still being written."""
    import threading

    from kombo_tui.core.bulk import run_bulk
    from kombo_tui.core.bulk.journal import JobRow
    from kombo_tui.core.client import KomboClient
    from kombo_tui.core.target import Target

    events: list[str] = []
    second_started = threading.Event()
    overlapped: list[bool] = []

    class SlowHistory(History):
        def claim(self, entry, **kwargs):  # type: ignore[no-untyped-def]
            events.append(f"claim {entry.file_name}")
            return super().claim(entry, **kwargs)

        def record(self, entry, **kwargs):  # type: ignore[no-untyped-def]
            if entry.file_name == "cv-0.txt" and entry.outcome == "sent":
                # Held until the next row has started (or, if it cannot start before this
                # record, until the deadline says so).
                overlapped.append(second_started.wait(10))
            return super().record(entry, **kwargs)

    def sending(row: JobRow) -> None:
        events.append(f"send {row.spec['name']}")
        if row.spec["name"] == "cv-1.txt":
            second_started.set()

    real_add = KomboClient.add_attachment

    async def add(self, upload, **kwargs):  # type: ignore[no-untyped-def]
        try:
            return await real_add(self, upload, **kwargs)
        finally:
            events.append(f"answer {upload.name}")

    async def go(base_url: str) -> int:
        target = Target.resolve(base_url=base_url, api_key=SANDBOX_API_KEY, integration_id=DEFAULT_INTEGRATION_ID)
        report = await run_bulk(_six_rows(tmp_path), target, history=SlowHistory(tmp_path / "h.sqlite3"),
                                journal_path=tmp_path / "bulk.sqlite3", concurrency=1, on_sending=sending)
        return report.exit_code

    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(KomboClient, "add_attachment", add)
        with SandboxServer() as server:
            assert asyncio.run(go(server.base_url)) == 0
            assert server.sandbox.store.upload_count() == 6
    assert overlapped == [True]
    assert events.index("claim cv-1.txt") < events.index("answer cv-0.txt") < events.index("send cv-1.txt")
    assert events.count("claim cv-1.txt") == 1


def test_the_integrations_request_moves_on_while_the_rows_are_checked(tmp_path: Path) -> None:
    """A request takes several turns of the loop; while one is out, every row gives it one."""
    (tmp_path / "cv.txt").write_text("a plain CV\n")
    plan = tmp_path / "plan.csv"
    plan.write_text("application_id,file,type,name\n" + "".join(f"APP{i},cv.txt,CV,cv-{i}.txt\n" for i in range(200)))
    checked_when_done: list[int] = []
    checked = [0]
    real_check = check_module._check_row

    def counting(*args):  # type: ignore[no-untyped-def]
        checked[0] += 1
        return real_check(*args)

    async def facts(integration_id: str) -> IntegrationFacts:
        for _ in range(6):  # connect, write the request, read the answer...
            await asyncio.sleep(0)
        checked_when_done.append(checked[0])
        return IntegrationFacts(integration_id)

    async def go() -> int:
        rows = 0
        async for _ in check_plan(plan, facts=facts, history=None, environment="sandbox", default_integration="gh:x"):
            rows += 1
        return rows

    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(check_module, "_check_row", counting)
        assert asyncio.run(go()) == 200
    # Six turns took about six rows, not six times fifty.
    assert checked_when_done and checked_when_done[0] <= 12
