"""Before sending, what is already there: fetched once per target, shared, forgotten on request."""

from __future__ import annotations

import asyncio
from pathlib import Path

from kombo_tui.core.engine import send_upload
from kombo_tui.core.existing import AttachmentsCache, target_key
from kombo_tui.core.wire.exchanges import ExchangeLog

from .wire import in_process, pdf, upload_for


async def test_fetched_once_and_a_same_named_file_is_found(tmp_path: Path) -> None:
    log = ExchangeLog()
    client, _ = in_process(log)
    cache = AttachmentsCache()
    async with client:
        upload = await upload_for(client, pdf(tmp_path, name="Resume.pdf"))
        key = target_key(upload)
        before = await asyncio.gather(*(cache.for_upload(client, upload) for _ in range(3)))
        assert cache.fetches == 1 and all(b is before[0] for b in before)
        assert not before[0].has("Resume.pdf")
        assert (await send_upload(client, upload)).status == "sent"
        assert cache.cached(key) is before[0]  # still the old answer: nothing is fetched unasked
        cache.forget(key)
        after = await cache.for_upload(client, upload)
    assert cache.fetches == 2
    [same] = after.same_named("Resume.pdf")
    assert same.type == "CV" and same.content_type == "application/pdf" and same.created
    gets = [e for e in log.entries() if e.method == "GET" and e.path.endswith("/attachments")]
    assert len(gets) == 2


async def test_a_candidate_targets_the_candidate_listing(tmp_path: Path) -> None:
    from kombo_tui.core.payload import prepare_fields
    from kombo_tui.sandbox.data import DEFAULT_INTEGRATION_ID, dataset

    log = ExchangeLog()
    client, _ = in_process(log)
    candidate = dataset(DEFAULT_INTEGRATION_ID).candidates[2].id
    upload = prepare_fields(integration_id=DEFAULT_INTEGRATION_ID, candidate_id=candidate,
                           file=pdf(tmp_path, name="Letter.pdf"), type="COVER_LETTER")
    cache = AttachmentsCache()
    async with client:
        outcome = await send_upload(client, upload, verify=True)
        found = await cache.for_upload(client, upload)
    assert outcome.status == "sent" and outcome.verification is not None and outcome.verification.found
    assert "on the candidate" in outcome.verification.summary()
    assert found.has("Letter.pdf")
    assert all(e.path.startswith(f"/v1/ats/candidates/{candidate}/") for e in log.entries())
