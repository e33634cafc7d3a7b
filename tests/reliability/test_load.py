"""Load: 30 concurrent uploads against a tight concurrency limit: none lost, none doubled."""

from __future__ import annotations

from pathlib import Path

import httpx
import pytest

from kombo_tui.core.client import KomboClient
from kombo_tui.core.engine import send_batch
from kombo_tui.core.payload import Draft, prepare
from kombo_tui.core.retry import RetryPolicy
from kombo_tui.sandbox.app import SandboxConfig, create_app
from kombo_tui.sandbox.data import DEFAULT_INTEGRATION_ID, SANDBOX_API_KEY


@pytest.mark.real_delays  # the backoff is what spreads 30 uploads over 4 slots
async def test_thirty_concurrent_uploads_land_exactly_once(tmp_path: Path) -> None:
    app = create_app(SandboxConfig(concurrency_limit=4, latency=0.05))
    transport = httpx.ASGITransport(app=app)
    notices = []
    async with KomboClient(
        SANDBOX_API_KEY,
        base_url="http://sandbox/v1",
        transport=transport,
        retry=RetryPolicy(max_attempts=30, base_delay=0.05, max_delay=0.4, max_total_seconds=60),
        on_retry=notices.append,
    ) as client:
        page = await client.list_applications(integration_id=DEFAULT_INTEGRATION_ID, page_size=30)
        uploads = []
        for i, application in enumerate(page.results):
            path = tmp_path / f"cv-{i}.pdf"
            path.write_bytes(b"%PDF-1.4\n" + f"candidate {i}\n".encode() * 50)
            uploads.append(
                prepare(Draft(integration_id=DEFAULT_INTEGRATION_ID, application_id=application.id, file=path, type="CV"))
            )
        assert len(uploads) == 30
        outcomes = await send_batch(client, uploads, concurrency=30)
    assert [o.status for o in outcomes] == ["sent"] * 30
    assert notices, "the concurrency limit was never hit: the test proves nothing"
    assert all("CONCURRENCY_LIMIT_EXCEEDED" in n.reason for n in notices)
    store = app.state.sandbox.store
    assert store.upload_count() == 30
    stored = [(s.application_id, s.file_name) for s in store.all()]
    assert sorted(stored) == sorted((u.application_id, u.name) for u in uploads)
