"""The history keeps each send's exchanges (bounded, keyless), migrates old databases, exports HAR."""

from __future__ import annotations

import json
import sqlite3
from datetime import datetime, timezone
from pathlib import Path

import pytest

import kombo_tui as kt
from kombo_tui.core.engine import send_upload
from kombo_tui.core.history import EXCHANGES_BUDGET, SCHEMA_VERSION, History, HistoryEntry
from kombo_tui.core.payload import prepare_fields
from kombo_tui.core.wire.exchanges import Body, Exchange, ExchangeLog
from kombo_tui.core.wire.har import validate_har
from kombo_tui.sandbox.data import DEFAULT_INTEGRATION_ID
from kombo_tui.sandbox.server import SandboxServer

from .wire import CONFIG, KEY, in_process, pdf, upload_for

# The uploads table as version 1 created it (no candidate_id, no exchanges table, user_version 0).
_V1 = """
CREATE TABLE uploads (
    id INTEGER PRIMARY KEY AUTOINCREMENT, at TEXT NOT NULL, environment TEXT NOT NULL,
    integration_id TEXT NOT NULL, application_id TEXT NOT NULL, candidate TEXT, job TEXT,
    file_name TEXT NOT NULL, size INTEGER, sha256 TEXT, mime TEXT, type TEXT NOT NULL,
    remote_fields TEXT, outcome TEXT NOT NULL, warnings TEXT NOT NULL DEFAULT '[]',
    error_code TEXT, error_message TEXT, log_url TEXT, verified TEXT
);
INSERT INTO uploads (at, environment, integration_id, application_id, file_name, sha256, type, outcome)
VALUES ('2026-01-01T00:00:00+00:00', 'EU', 'g:1', 'APP1', 'old.pdf', 'abc', 'CV', 'sent');
"""


def entry(**changes: object) -> HistoryEntry:
    base: dict[str, object] = dict(environment="EU", integration_id="g:1", application_id="APP1",
                                   file_name="cv.pdf", type="CV", outcome="sent", sha256="abc")
    base.update(changes)
    return HistoryEntry(**base)  # type: ignore[arg-type]


def test_an_old_database_is_migrated_and_stays_readable(tmp_path: Path) -> None:
    path = tmp_path / "history.sqlite3"
    with sqlite3.connect(path) as conn:
        conn.executescript(_V1)
    history = History(path)
    [old] = history.entries()
    assert old.file_name == "old.pdf" and old.candidate_id is None
    assert history.exchanges(old.id or 0) == []
    with pytest.raises(LookupError, match="no recorded exchanges"):
        history.export_har(old.id or 0, tmp_path / "x.har")
    new_id = history.record(entry(application_id="", candidate_id="C1"))
    assert history.entry(new_id) is not None and history.entry(new_id).candidate_id == "C1"  # type: ignore[union-attr]
    # The old row was keyed on its identity when migrated: its region's label is that region's URL.
    from kombo_tui.core.files.checks import Fingerprint
    from kombo_tui.core.payload import prepare_fields

    (tmp_path / "old.pdf").write_bytes(b"%PDF-1.4\n%%EOF\n")
    known = Fingerprint(size=15, sha256="abc", mtime_ns=0)
    old_again = prepare_fields(integration_id="g:1", application_id="APP1", file=tmp_path / "old.pdf", type="CV",
                               known_fingerprint=known)
    assert [e.id for e in history.earlier_sends(old_again, "https://API.kombo.dev:443/v1/")] == [old.id]
    to_candidate = prepare_fields(integration_id="g:1", candidate_id="C1", file=tmp_path / "old.pdf", type="CV",
                                  name="cv.pdf", known_fingerprint=known)
    assert [e.id for e in history.earlier_sends(to_candidate, "EU")] == [new_id]
    with sqlite3.connect(path) as conn:
        assert conn.execute("PRAGMA user_version").fetchone()[0] == SCHEMA_VERSION
    # A second opening finds it current and changes nothing.
    assert len(History(path).entries()) == 2


def _big_exchange(n: int) -> Exchange:
    return Exchange(
        id=n,
        kind="http",
        started=datetime(2026, 1, 1, tzinfo=timezone.utc),
        method="GET",
        url=f"http://127.0.0.1/v1/x/{n}",
        request_headers=[("Authorization", "Bearer ••••")],
        status=200,
        reason="OK",
        response_headers=[("content-type", "application/json")],
        response_body=Body(size=60_000, mime="application/json", text="x" * 60_000),
        complete=True,
    )


def test_exchanges_are_bounded_per_send(tmp_path: Path) -> None:
    history = History(tmp_path / "h.sqlite3")
    many = [_big_exchange(n) for n in range(1, 200)]
    entry_id = history.record(entry(), exchanges=many)
    with sqlite3.connect(history.path) as conn:
        [(stored,)] = conn.execute("SELECT data FROM exchanges WHERE upload_id = ?", (entry_id,)).fetchall()
    assert len(stored.encode()) <= EXCHANGES_BUDGET
    kept = history.exchanges(entry_id)
    assert kept[0].id == 1 and kept[-1].id == 199  # the first and the last survive
    assert all(e.response_body is not None and e.response_body.text is None for e in kept)
    assert "not kept in the history" in (kept[0].response_body.note or "")  # type: ignore[union-attr]


async def test_send_upload_records_its_exchanges_in_the_history(tmp_path: Path) -> None:
    history = History(tmp_path / "h.sqlite3")
    log = ExchangeLog()
    client, _ = in_process(log)
    async with client:
        upload = await upload_for(client, pdf(tmp_path))
        outcome = await send_upload(client, upload, verify=True, history=history, environment="SANDBOX")
    assert outcome.status == "sent" and outcome.history_id is not None
    assert outcome.exchange_scope is not None
    assert [e.method for e in outcome.exchanges] == ["GET", "POST", "GET"]
    assert log.entries(scope=outcome.exchange_scope) == outcome.exchanges
    kept = history.exchanges(outcome.history_id)
    assert [(e.method, e.status) for e in kept] == [("GET", 200), ("POST", 200), ("GET", 200)]
    assert kept[1].request_body is not None and kept[1].request_body.elided
    raw = history.path.read_bytes()
    assert KEY.encode() not in raw
    har = tmp_path / "one.har"
    assert history.export_har(outcome.history_id, har) == 3
    assert validate_har(json.loads(har.read_text(encoding="utf-8"))) == []


def test_kt_send_records_the_exchanges(tmp_path: Path) -> None:
    with SandboxServer(CONFIG) as server:
        application = None

        async def first_application() -> str:
            client = kt.make_client(KEY, base_url=server.base_url, integration_id=DEFAULT_INTEGRATION_ID)
            async with client:
                page = await client.list_applications(page_size=1)
            return page.results[0].id

        application = kt.run_sync(first_application())
        history = History(tmp_path / "h.sqlite3")
        outcome = kt.send(
            pdf(tmp_path),
            api_key=KEY,
            base_url=server.base_url,
            integration_id=DEFAULT_INTEGRATION_ID,
            application_id=application,
            type="CV",
            history=history,
        )
    assert outcome.status == "sent"
    assert [e.method for e in outcome.exchanges] == ["POST"]
    assert [e.status for e in history.exchanges(outcome.history_id or 0)] == [200]
    assert outcome.exchanges[0].timings.traced  # real sockets: the phases are known


def test_candidate_uploads_are_prepared_for_their_endpoint(tmp_path: Path) -> None:
    from kombo_tui.core.errors import InputError
    from kombo_tui.core.wire.export import upload_url

    upload = prepare_fields(integration_id="g:1", candidate_id="C 1", file=pdf(tmp_path), type="CV")
    assert upload.target_kind == "candidate" and upload.application_id == ""
    assert upload_url(upload, "https://api.kombo.dev/v1") == "https://api.kombo.dev/v1/ats/candidates/C%201/attachments"
    assert upload.describe()["candidate_id"] == "C 1"
    with pytest.raises(InputError) as both:
        prepare_fields(integration_id="g:1", application_id="A", candidate_id="C", file=pdf(tmp_path), type="CV")
    assert both.value.problems[0].field == "candidate"
    with pytest.raises(InputError) as oracle:
        prepare_fields(integration_id="g:1", candidate_id="C", file=pdf(tmp_path), type="CV",
                  remote_fields={"oracle": {"override_document_category": "MISC"}})
    assert [p.field for p in oracle.value.problems] == ["remote_fields.oracle"]
    # Greenhouse and Workable fields are the candidate endpoint's too.
    via_api = kt.prepare_file(pdf(tmp_path), integration_id="g:1", candidate_id="C9", type="CV")
    assert via_api.endpoint_path() == "ats/candidates/C9/attachments"
    ok = prepare_fields(integration_id="g:1", candidate_id="C", file=pdf(tmp_path), type="CV",
                       remote_fields={"workable": {"on_behalf_of_user_remote_id": "u1"}})
    assert ok.remote_fields == {"workable": {"on_behalf_of_user_remote_id": "u1"}}


# The uploads table as version 2 left it (candidate_id and exchanges, no file_path).
_V2 = _V1.replace("verified TEXT\n);", "verified TEXT,\n    candidate_id TEXT\n);") + "PRAGMA user_version = 2;"


def test_a_version_2_database_gains_file_path_and_keeps_its_rows(tmp_path: Path) -> None:
    path = tmp_path / "history.sqlite3"
    with sqlite3.connect(path) as conn:
        conn.executescript(_V2)
        assert conn.execute("PRAGMA user_version").fetchone()[0] == 2
    history = History(path)
    [old] = history.entries()
    assert (old.file_name, old.file_path) == ("old.pdf", None)
    new_id = history.record(entry(file_path="/somewhere/cv.pdf"))
    assert history.entry(new_id).file_path == "/somewhere/cv.pdf"  # type: ignore[union-attr]
    with sqlite3.connect(path) as conn:
        assert conn.execute("PRAGMA user_version").fetchone()[0] == SCHEMA_VERSION == 4


async def test_a_send_records_where_the_file_was_never_its_bytes(tmp_path: Path) -> None:
    history = History(tmp_path / "h.sqlite3")
    client, _ = in_process(ExchangeLog())
    async with client:
        upload = await upload_for(client, pdf(tmp_path))
        outcome = await send_upload(client, upload, history=history, environment="SANDBOX")
    assert outcome.history_id is not None and upload.file is not None
    kept = history.entry(outcome.history_id)
    assert kept is not None and kept.file_path == str(upload.file.absolute())
    assert upload.file.read_bytes() not in history.path.read_bytes()
