"""The shared engine: outcomes, verification, history."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone
from pathlib import Path

import httpx
import pytest

from kombo_tui.core.client import KomboClient
from kombo_tui.core.engine import send_upload, verify_upload
from kombo_tui.core.history import History
from kombo_tui.core.payload import Draft, prepare


def _attachments(*items: tuple[str, str, str | None]) -> httpx.Response:
    return httpx.Response(
        200,
        json={
            "status": "success",
            "data": {"results": [{"id": i, "file_name": n, "remote_created_at": c, "type": "CV"} for i, n, c in items]},
            "warnings": [],
        },
    )


@pytest.fixture
def upload(tmp_path: Path):  # type: ignore[no-untyped-def]
    path = tmp_path / "cv.pdf"
    path.write_bytes(b"%PDF-1.4\n%%EOF\n")
    return prepare(Draft(integration_id="lever:x", application_id="APP1", file=path, type="CV"))


async def test_verify_judges_newness_by_ids_then_by_time(upload) -> None:  # type: ignore[no-untyped-def]
    now = datetime.now(timezone.utc)
    old = (now - timedelta(days=3)).isoformat()
    fresh = now.isoformat()
    answers = [_attachments(("a1", "cv.pdf", old), ("a2", "other.pdf", fresh))]
    client = KomboClient("sk_engine_test_1", base_url="http://x/v1", transport=httpx.MockTransport(lambda r: answers[0]))
    async with client:
        by_ids = await verify_upload(client, upload, before={"a1"})
        assert by_ids.found is True and by_ids.new_since_send is False
        by_time = await verify_upload(client, upload, since=now)
        assert by_time.found is True and by_time.new_since_send is False
        answers[0] = _attachments(("a1", "cv.pdf", old), ("a3", "cv.pdf", fresh))
        assert (await verify_upload(client, upload, since=now)).new_since_send is True
        answers[0] = _attachments(("a4", "cv.pdf", None))
        assert (await verify_upload(client, upload, since=now)).new_since_send is None
        answers[0] = _attachments()
        absent = await verify_upload(client, upload, since=now)
        assert absent.found is False and "no attachment with this name" in absent.summary()


async def test_outcome_is_recorded_in_history(upload, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    posted = []

    def handler(request: httpx.Request) -> httpx.Response:
        if request.method == "POST":
            request.read()
            posted.append(request)
            return httpx.Response(503, text="<html>down</html>")
        # Not there before the send, there after it: evidence that this send landed.
        return _attachments(("n1", "cv.pdf", datetime.now(timezone.utc).isoformat())) if posted else _attachments()

    history = History(tmp_path / "h.sqlite3")
    client = KomboClient("sk_engine_test_1", base_url="http://x/v1", transport=httpx.MockTransport(handler))
    async with client:
        outcome = await send_upload(client, upload, verify=True, history=history, environment="EU", candidate="Jane Doe")
    assert outcome.status == "unknown"
    assert outcome.verification is not None and outcome.verification.found
    [entry] = history.entries()
    assert entry.outcome == "verified_present" and entry.verified == "present"
    assert entry.candidate == "Jane Doe" and entry.sha256 == upload.fingerprint.sha256


async def test_cancel_after_the_body_is_recorded_as_unknown(upload, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    import asyncio

    sent_all = asyncio.Event()

    async def handler(request: httpx.Request) -> httpx.Response:
        await request.aread()
        sent_all.set()
        await asyncio.sleep(30)  # the answer never comes in time
        return httpx.Response(200)

    history = History(tmp_path / "h.sqlite3")
    client = KomboClient("sk_engine_test_1", base_url="http://x/v1", transport=httpx.MockTransport(handler))
    async with client:
        task = asyncio.create_task(send_upload(client, upload, history=history, environment="EU"))
        await asyncio.wait_for(sent_all.wait(), 5)
        task.cancel()
        with pytest.raises(asyncio.CancelledError):
            await task
    [entry] = history.entries()
    assert entry.outcome == "unknown" and "cancelled after the whole body" in (entry.error_message or "")


async def test_batch_records_candidate_and_job(upload, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    from kombo_tui.core.engine import send_batch

    def handler(request: httpx.Request) -> httpx.Response:
        request.read()
        return httpx.Response(200, json={"status": "success", "data": {}, "warnings": []})

    history = History(tmp_path / "h.sqlite3")
    client = KomboClient("sk_engine_test_1", base_url="http://x/v1", transport=httpx.MockTransport(handler))
    async with client:
        outcomes = await send_batch(client, [upload], history=history, environment="EU", context=[("Jane Doe", "Engineer")])
    assert [o.status for o in outcomes] == ["sent"]
    [entry] = history.entries()
    assert (entry.candidate, entry.job) == ("Jane Doe", "Engineer")


def test_name_with_undecodable_bytes_is_a_name_problem(tmp_path: Path) -> None:
    from kombo_tui.core.errors import InputError

    path = tmp_path / "cv.pdf"
    path.write_bytes(b"%PDF-1.4\n%%EOF\n")
    with pytest.raises(InputError) as info:
        prepare(Draft(integration_id="x:y", application_id="A", file=path, name="cv-\udcff.pdf"))
    assert [p.field for p in info.value.problems] == ["name"]


def _batch(tmp_path: Path, count: int) -> list:  # type: ignore[type-arg]
    uploads = []
    for i in range(count):
        path = tmp_path / f"cv{i}.pdf"
        path.write_bytes(b"%PDF-1.4\n%%EOF\n" + bytes([i]))
        uploads.append(prepare(Draft(integration_id="lever:x", application_id=f"APP{i}", file=path, type="CV")))
    return uploads


class _LimitedKombo:
    """A fake Kombo whose integration takes ``capacity`` actions at once and says so on each answer."""

    def __init__(self, capacity: int | None) -> None:
        self.capacity = capacity
        self.in_flight = 0
        self.seen_at_start: dict[str, int] = {}

    async def __call__(self, request: httpx.Request) -> httpx.Response:
        import asyncio

        await request.aread()
        self.in_flight += 1
        self.seen_at_start[request.url.path.split("/")[-2]] = self.in_flight
        await asyncio.sleep(0.02)
        headers = {}
        if self.capacity is not None:
            headers["Concurrency-Remaining"] = str(max(0, self.capacity - self.in_flight))
        self.in_flight -= 1
        return httpx.Response(200, json={"status": "success", "data": {}, "warnings": []}, headers=headers)


async def test_batch_starts_no_more_than_concurrency_remaining_allows(tmp_path: Path) -> None:
    from kombo_tui.core.engine import send_batch

    kombo = _LimitedKombo(capacity=2)
    client = KomboClient("sk_engine_test_1", base_url="http://x/v1", transport=httpx.MockTransport(kombo))
    async with client:
        outcomes = await send_batch(client, _batch(tmp_path, 8), concurrency=4)
    assert [o.status for o in outcomes] == ["sent"] * 8
    # The first four start before any answer; after that Kombo's count rules.
    assert max(kombo.seen_at_start[f"APP{i}"] for i in range(4)) == 4
    assert max(kombo.seen_at_start[f"APP{i}"] for i in range(4, 8)) <= 2


async def test_batch_without_the_header_keeps_its_concurrency_and_zero_never_stalls(tmp_path: Path) -> None:
    from kombo_tui.core.engine import send_batch

    kombo = _LimitedKombo(capacity=None)
    client = KomboClient("sk_engine_test_1", base_url="http://x/v1", transport=httpx.MockTransport(kombo))
    async with client:
        outcomes = await send_batch(client, _batch(tmp_path, 8), concurrency=4)
    assert [o.status for o in outcomes] == ["sent"] * 8
    assert max(kombo.seen_at_start[f"APP{i}"] for i in range(4, 8)) == 4

    kombo = _LimitedKombo(capacity=0)  # "0 remaining" on every answer: one at a time, never none
    client = KomboClient("sk_engine_test_1", base_url="http://x/v1", transport=httpx.MockTransport(kombo))
    async with client:
        outcomes = await send_batch(client, _batch(tmp_path, 8), concurrency=4)
    assert [o.status for o in outcomes] == ["sent"] * 8
    assert max(kombo.seen_at_start[f"APP{i}"] for i in range(4, 8)) == 1


async def test_batch_paces_each_integration_by_its_own_limit(tmp_path: Path) -> None:
    """One governor (core.pace.Pace) per integration, as bulk runs use: Kombo's limit of one
    integration never slows another's uploads."""
    import asyncio

    from kombo_tui.core.engine import send_batch

    in_flight: dict[str, int] = {}
    seen: dict[str, list[int]] = {}
    together: list[int] = []

    async def kombo(request: httpx.Request) -> httpx.Response:
        await request.aread()
        integration = request.headers["x-integration-id"]
        in_flight[integration] = in_flight.get(integration, 0) + 1
        seen.setdefault(integration, []).append(in_flight[integration])
        together.append(sum(in_flight.values()))
        await asyncio.sleep(0.02)
        remaining = max(0, 1 - in_flight[integration])
        in_flight[integration] -= 1
        return httpx.Response(200, json={"status": "success", "data": {}, "warnings": []},
                              headers={"Concurrency-Limit": "1", "Concurrency-Remaining": str(remaining)})

    uploads = []
    for i in range(8):
        path = tmp_path / f"cv{i}.pdf"
        path.write_bytes(b"%PDF-1.4\n%%EOF\n" + bytes([i]))
        uploads.append(prepare(Draft(integration_id=("lever:a", "lever:b")[i % 2], application_id=f"APP{i}", file=path, type="CV")))
    client = KomboClient("sk_engine_test_1", base_url="http://x/v1", transport=httpx.MockTransport(kombo))
    async with client:
        outcomes = await send_batch(client, uploads, concurrency=2)
    assert [o.status for o in outcomes] == ["sent"] * 8
    for integration in ("lever:a", "lever:b"):
        first, *later = seen[integration]
        assert first <= 2 and max(later[2:]) == 1, seen  # after the first answers: Kombo's limit of 1
    assert max(together[4:]) == 2, together  # ... each: the two integrations still run side by side


def _stored(request: httpx.Request) -> httpx.Response:
    request.read()
    return httpx.Response(200, json={"status": "success", "data": {"id": "att1"}, "warnings": []})


async def test_a_claim_made_ahead_is_the_sends_one_record_and_a_withdrawn_one_lets_it_go_later(
    upload, tmp_path: Path  # type: ignore[no-untyped-def]
) -> None:
    from kombo_tui.core.engine import claim_send, withdraw_claim
    from kombo_tui.core.errors import DuplicateUploadError

    history = History(tmp_path / "h.sqlite3")
    # Claimed while waiting for a turn: recorded as in flight before any byte, refusing a second claim.
    claim = await claim_send(history, upload, environment="EU", candidate="Jane Doe")
    [entry] = history.entries()
    assert entry.id == claim.id and entry.outcome == "sending"
    with pytest.raises(DuplicateUploadError):
        await claim_send(history, upload, environment="EU")
    # Its turn never came: the claim is taken back, as if never made, and the upload may go later.
    withdraw_claim(history, claim)
    assert history.entries() == []
    assert not history.withdraw(claim.id or 0)  # once
    again = await claim_send(history, upload, environment="EU")
    client = KomboClient("sk_engine_test_1", base_url="http://x/v1", transport=httpx.MockTransport(_stored))
    async with client:
        outcome = await send_upload(client, upload, history=history, environment="EU", claimed=again)
    assert outcome.status == "sent" and outcome.history_id == again.id
    # The send wrote its outcome over its claim, and claimed nothing more; a sent record stays.
    assert [(e.id, e.outcome) for e in history.entries()] == [(again.id, "sent")]
    assert not history.withdraw(again.id or 0) and len(history.entries()) == 1


async def test_answered_is_told_before_the_history_is_written(upload, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    from kombo_tui.core.outcome import SendOutcome

    history = History(tmp_path / "h.sqlite3")
    told: list[tuple[str, str]] = []

    def answered(outcome: SendOutcome) -> None:
        # Kombo has answered; the record still says "in flight" (a governor frees its slot here).
        [entry] = history.entries()
        told.append((outcome.status, entry.outcome))

    client = KomboClient("sk_engine_test_1", base_url="http://x/v1", transport=httpx.MockTransport(_stored))
    async with client:
        outcome = await send_upload(client, upload, history=history, environment="EU", answered=answered)
    assert told == [("sent", "sending")]
    assert outcome.status == "sent" and history.entries()[0].outcome == "sent"


async def test_a_claim_cancelled_while_it_is_written_is_taken_back(upload, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    import asyncio
    import threading

    from kombo_tui.core.engine import claim_send

    entered, go_on = threading.Event(), threading.Event()

    class SlowHistory(History):
        def claim(self, entry, **kwargs):  # type: ignore[no-untyped-def]
            entered.set()
            go_on.wait(10)
            return super().claim(entry, **kwargs)

    history = SlowHistory(tmp_path / "h.sqlite3")
    task = asyncio.create_task(claim_send(history, upload, environment="EU"))
    assert await asyncio.to_thread(entered.wait, 10)
    task.cancel()  # e.g. a bulk run abandoned while this row waited for its turn
    go_on.set()
    with pytest.raises(asyncio.CancelledError):
        await task
    # Written by its thread after the cancel, then taken back: nothing says it is in flight.
    assert history.entries() == []
