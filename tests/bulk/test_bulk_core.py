"""The bulk core's parts: the pace that follows Kombo, stopping and resuming, the journal, the history."""

from __future__ import annotations

import asyncio
import stat
from pathlib import Path

import pytest

import kombo_tui as kt
from kombo_tui.core.bulk import BulkControl, BulkProgress, Journal
from kombo_tui.core.history import History
from kombo_tui.core.pace import Pace
from kombo_tui.core.retry import RetryNotice
from kombo_tui.sandbox.data import DEFAULT_INTEGRATION_ID, SANDBOX_API_KEY, dataset
from kombo_tui.sandbox.server import SandboxServer


def _apps(n: int) -> list[str]:
    return [a.id for a in dataset(DEFAULT_INTEGRATION_ID).applications if a.deleted is None][:n]


def _plan(tmp_path: Path, n: int) -> Path:
    (tmp_path / "cv.txt").write_text("a plain CV\n")
    plan = tmp_path / "plan.csv"
    plan.write_text("application_id,file,type,name\n" + "".join(f"{a},cv.txt,CV,cv-{i}.txt\n" for i, a in enumerate(_apps(n))))
    return plan


def test_pace_opens_to_kombos_limit_leaves_room_for_others_and_backs_off() -> None:
    async def go() -> None:
        pace = Pace(cap=20)
        assert pace.window == 1
        await pace.acquire()
        pace.answered({"Concurrency-Limit": "8", "Concurrency-Remaining": "7"}, ours_at_start=1)
        assert (pace.limit, pace.window) == (8, 8)
        # 0 of 8 slots left while 6 of them were ours: other clients use 2.
        pace.answered({"concurrency-limit": "8", "concurrency-remaining": "0"}, ours_at_start=6)
        assert pace.ceiling == 6 and pace.window == 6
        pace.running = 6
        # Decided by the code Kombo sent, never by the reason's words.
        pace.limited_by_kombo(RetryNotice(1, 5, 1.0, "rate limit? no: too many at once", "POST", "x",
                                          "PLATFORM.CONCURRENCY_LIMIT_EXCEEDED"))
        assert pace.window == 3 and pace.paused_until == 0
        pace.limited_by_kombo(RetryNotice(1, 5, 0.3, "slow down", "POST", "x", "PLATFORM.RATE_LIMIT_EXCEEDED"))
        assert pace.paused_until > 0 and pace.limited == 2
        assert Pace(cap=4).cap == 4
        capped = Pace(cap=4)
        capped.answered({"Concurrency-Limit": "30", "Concurrency-Remaining": "29"}, ours_at_start=1)
        assert capped.window == 4

    asyncio.run(go())


def test_stop_ends_with_130_and_a_rerun_finishes_the_rest_once(tmp_path: Path) -> None:
    plan = _plan(tmp_path, 12)
    control = BulkControl()
    seen: list[BulkProgress] = []

    def progress(p: BulkProgress) -> None:
        if p.row is None:  # the snapshot before any row: where the job stands (nothing done yet)
            assert p.done == 0 and p.total == 12 and not seen
            return
        seen.append(p)
        if len(seen) == 3:
            control.stop()

    with SandboxServer() as server:
        first = kt.bulk(plan, api_key=SANDBOX_API_KEY, base_url=server.base_url, integration_id=DEFAULT_INTEGRATION_ID,
                        concurrency=1, progress=progress, control=control)
        assert first.exit_code == 130 and first.interrupted
        assert first.counts.get("pending", 0) > 0
        assert seen[0].total == 12 and seen[-1].done == len(seen)
        # The row that was waiting for its slot had been claimed in the history; the claim was
        # taken back, so nothing is left "in flight" for the rerun to verify.
        log = History().entries()
        assert [e.outcome for e in log] == ["sent"] * first.counts["sent"]
        second = kt.bulk(plan, api_key=SANDBOX_API_KEY, base_url=server.base_url, integration_id=DEFAULT_INTEGRATION_ID)
        assert second.exit_code == 0 and second.resumed and second.counts == {"sent": 12}
        names = [s.file_name for s in server.sandbox.store.all()]
        assert sorted(names) == sorted(set(names)) and len(names) == 12


def test_the_journal_is_private_and_rows_sent_earlier_are_not_sent_again(tmp_path: Path) -> None:
    plan = _plan(tmp_path, 2)
    app = _apps(1)[0]
    with SandboxServer() as server:
        single = kt.send(tmp_path / "cv.txt", api_key=SANDBOX_API_KEY, base_url=server.base_url,
                         integration_id=DEFAULT_INTEGRATION_ID, application_id=app, name="cv-0.txt", type="CV")
        assert single.status == "sent"
        report = kt.bulk(plan, api_key=SANDBOX_API_KEY, base_url=server.base_url, integration_id=DEFAULT_INTEGRATION_ID)
        assert report.exit_code == 0 and report.counts == {"already_sent": 1, "sent": 1}
        assert server.sandbox.store.upload_count() == 2
    assert stat.S_IMODE(report.journal_path.stat().st_mode) == 0o600
    with Journal(report.journal_path) as journal:
        assert journal.counts(report.job_id) == {"already_sent": 1, "sent": 1}
    history = kt.History().entries()
    assert sum(1 for e in history if e.outcome == "sent") == 2


def test_stopping_during_the_check_sends_nothing_and_exits_130(tmp_path: Path) -> None:
    from kombo_tui.core.bulk import CheckedRow

    plan = _plan(tmp_path, 5)
    control = BulkControl()

    def checked(row: CheckedRow) -> None:
        if row.row.number == 2:
            control.stop()

    async def go(base_url: str) -> tuple[int, int]:
        from kombo_tui.core.bulk import run_bulk
        from kombo_tui.core.target import Target

        target = Target.resolve(base_url=base_url, api_key=SANDBOX_API_KEY, integration_id=DEFAULT_INTEGRATION_ID)
        report = await run_bulk(plan, target, on_checked=checked, control=control)
        return report.exit_code, report.check.rows

    with SandboxServer() as server:
        # The check stops at once (not after the whole plan), and nothing is sent.
        assert asyncio.run(go(server.base_url)) == (130, 2)
        assert server.sandbox.store.upload_count() == 0


def test_a_row_is_looked_for_counting_from_its_bodys_last_byte(tmp_path: Path) -> None:
    """A large body may still be streaming long after its first byte: the wait before a row is
    looked for again (``recheck_after``) starts when its last byte left."""
    import time

    import httpx

    from kombo_tui.core.bulk import BulkReport, run_bulk
    from kombo_tui.core.client import KomboClient
    from kombo_tui.core.target import Target
    from kombo_tui.sandbox.app import SandboxConfig, create_app

    class SlowBodyThen503(httpx.AsyncBaseTransport):
        """Reads the upload's first chunk, holds the rest 0.3 s, then answers 503 (nothing stored)."""

        def __init__(self) -> None:
            self.inner = httpx.ASGITransport(app=create_app(SandboxConfig()))
            self.first_byte: float | None = None

        async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
            if request.method != "POST":
                return await self.inner.handle_async_request(request)
            async for _ in request.stream:  # type: ignore[union-attr]
                if self.first_byte is None:
                    self.first_byte = time.time()
                    await asyncio.sleep(0.3)  # the body's middle, on the wire
            return httpx.Response(503, json={"status": "error", "error": {"code": None, "title": "down"}})

    (tmp_path / "big.pdf").write_bytes(b"%PDF-1.4\n" + b"0" * 2_000_000 + b"\n%%EOF\n")
    plan = tmp_path / "plan.csv"
    plan.write_text(f"application_id,file,type\n{_apps(1)[0]},big.pdf,CV\n")
    transport = SlowBodyThen503()

    async def go() -> BulkReport:
        target = Target.resolve(base_url="http://sandbox.kombo-tui.localhost/v1", api_key=SANDBOX_API_KEY, integration_id=DEFAULT_INTEGRATION_ID)
        client = KomboClient(SANDBOX_API_KEY, base_url=target.base_url, integration_id=DEFAULT_INTEGRATION_ID, transport=transport)
        async with client:
            return await run_bulk(plan, target, client=client)

    report = asyncio.run(go())
    [row] = report.rows()
    assert row.status == "unknown" and transport.first_byte is not None
    assert row.sending_at is not None and row.sending_at >= transport.first_byte + 0.25


def test_a_run_blocked_by_invalid_rows_leaves_the_next_run_the_first(tmp_path: Path) -> None:
    plan = _plan(tmp_path, 2)
    with plan.open("a") as out:
        out.write(f"{_apps(1)[0]},cv.txt,RESUME,resume.txt\n")  # an invalid type
    where = {"api_key": SANDBOX_API_KEY, "integration_id": DEFAULT_INTEGRATION_ID}
    with SandboxServer() as server:
        blocked = kt.bulk(plan, base_url=server.base_url, **where)
        assert blocked.blocked and server.sandbox.store.upload_count() == 0
        first = kt.bulk(plan, base_url=server.base_url, skip_invalid=True, **where)
        assert first.job_id == blocked.job_id and first.sent_this_run == 2
        assert not first.resumed  # nothing of the job had run before
        again = kt.bulk(plan, base_url=server.base_url, skip_invalid=True, **where)
        assert again.resumed and again.sent_this_run == 0



def test_abandoning_leaves_no_record_in_flight_for_a_row_that_never_began(tmp_path: Path) -> None:
    from kombo_tui.core.bulk import run_bulk, runner
    from kombo_tui.core.target import Target
    from kombo_tui.sandbox.config import SandboxConfig

    plan = _plan(tmp_path, 8)
    control = BulkControl()

    class WatchedPace(Pace):
        waiting: asyncio.Event | None = None

        async def acquire(self) -> int:
            if self.running >= self.window:  # a claimed row now waits for the one slot
                assert WatchedPace.waiting is not None
                WatchedPace.waiting.set()
            return await super().acquire()

    async def go(base_url: str) -> bool:
        WatchedPace.waiting = asyncio.Event()
        target = Target.resolve(base_url=base_url, api_key=SANDBOX_API_KEY, integration_id=DEFAULT_INTEGRATION_ID)
        running = asyncio.create_task(run_bulk(plan, target, history=History(), concurrency=1, control=control))
        await WatchedPace.waiting.wait()
        control.abandon()  # the row in flight is cancelled, and the claimed one waiting for its slot
        return (await running).interrupted

    with pytest.MonkeyPatch.context() as patch, SandboxServer(SandboxConfig(latency=0.2)) as server:
        patch.setattr(runner, "Pace", WatchedPace)
        assert asyncio.run(go(server.base_url))
        log = History().entries()
        # The row in flight may have landed (unknown, verified on resume); the claim of the one
        # that never began was taken back.
        [entry] = log
        assert entry.file_name == "cv-0.txt" and entry.outcome in ("unknown", "error")  # after or before its body ended
        patch.undo()
        second = kt.bulk(plan, api_key=SANDBOX_API_KEY, base_url=server.base_url, integration_id=DEFAULT_INTEGRATION_ID,
                         recheck_after=0)
        assert second.exit_code == 0
        names = [s.file_name for s in server.sandbox.store.all()]
        assert sorted(names) == [f"cv-{i}.txt" for i in range(8)]
