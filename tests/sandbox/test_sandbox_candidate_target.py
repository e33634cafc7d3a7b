"""The candidate target end to end: kombo-tui and the official SDK 1.4.0 on one loopback sandbox.

What one sends through ``POST /ats/candidates/{id}/attachments`` the other sees, with the
candidate endpoint's own remote-field rules (Greenhouse and Workable, no Oracle block).
"""

from __future__ import annotations

import base64
import json
from collections.abc import Callable
from pathlib import Path

import pytest
from kombo import Kombo

from kombo_tui.cli import ExitCode, main
from kombo_tui.core.client import KomboClient
from kombo_tui.core.existing import AttachmentsCache
from kombo_tui.core.payload import prepare_fields
from kombo_tui.sandbox.data import SANDBOX_API_KEY, dataset
from kombo_tui.sandbox.server import SandboxServer

PDF = b"%PDF-1.7\n1 0 obj <<>> endobj\ntrailer <<>>\n%%EOF\n"


def test_sdk_candidate_upload_is_seen_by_kombo_tui(
    kombo: Callable[..., Kombo], server: SandboxServer
) -> None:
    integration_id = "workable:sandbox-workable"
    candidate = dataset(integration_id).candidates[4]
    user = dataset(integration_id).users[1].remote_id
    with kombo(integration_id) as k:
        response = k.ats.add_candidate_attachment(
            candidate_id=candidate.id,
            attachment={
                "name": "From the SDK.pdf",
                "type": "OTHER",
                "content_type": "application/pdf",
                "data": base64.b64encode(PDF).decode(),
            },
            remote_fields={"workable": {"on_behalf_of_user_remote_id": user}},
        )
    assert response.warnings == []
    upload = prepare_fields(integration_id=integration_id, candidate_id=candidate.id,
                           data_url="https://files.invalid/From%20the%20SDK.pdf", type="OTHER")
    client = KomboClient(SANDBOX_API_KEY, base_url=server.base_url, integration_id=integration_id)

    async def look() -> bool:
        async with client:
            return (await AttachmentsCache().for_upload(client, upload)).has("From the SDK.pdf")

    from kombo_tui.core.api import run_sync

    assert run_sync(look())


def test_kombo_tui_candidate_upload_is_seen_by_the_sdk(
    kombo: Callable[..., Kombo],
    server: SandboxServer,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    integration_id = "greenhouse:sandbox-greenhouse"
    candidate = dataset(integration_id).candidates[7]
    user = dataset(integration_id).users[2].remote_id
    cv = tmp_path / "From kombo-tui.pdf"
    cv.write_bytes(PDF)
    monkeypatch.setenv("KOMBO_API_KEY", SANDBOX_API_KEY)
    code = main(["send", str(cv), "--base-url", server.base_url, "--integration", integration_id,
                 "--candidate", candidate.id, "--type", "CV", "--greenhouse-on-behalf-of", user, "--json"])
    out, err = capsys.readouterr()
    assert code == ExitCode.OK, err
    assert json.loads(out)["warnings"] == []
    with kombo(integration_id) as k:
        listed = k.ats.get_candidate_attachments(candidate_id=candidate.id).data.results
    [mine] = [a for a in listed if a.file_name == "From kombo-tui.pdf"]
    assert mine.candidate_id == candidate.id and mine.application_id is None and mine.type == "CV"
