"""Bad and awkward input through the CLI and the engine: odd names, loops, changing files, huge files."""

from __future__ import annotations

import json
import os
import tracemalloc
from pathlib import Path

import httpx
import pytest

from kombo_tui.cli import ExitCode, main
from kombo_tui.core.client import KomboClient
from kombo_tui.core.engine import send_upload
from kombo_tui.core.files.sniff import sniff_file
from kombo_tui.core.payload import Draft, prepare
from kombo_tui.sandbox.app import create_app
from kombo_tui.sandbox.data import DEFAULT_INTEGRATION_ID, SANDBOX_API_KEY
from kombo_tui.sandbox.server import SandboxServer

PDF = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"


@pytest.fixture(scope="module")
def server() -> SandboxServer:
    with SandboxServer() as running:
        yield running  # type: ignore[misc]


def _app_id(server: SandboxServer, index: int = 0) -> str:
    r = httpx.get(
        f"{server.base_url}/ats/applications",
        params={"page_size": index + 1},
        headers={"Authorization": f"Bearer {SANDBOX_API_KEY}", "X-Integration-Id": DEFAULT_INTEGRATION_ID},
    )
    return str(r.json()["data"]["results"][index]["id"])


@pytest.mark.parametrize(
    "name",
    [
        'Jane "JD" O\'Brien CV.pdf',
        "line\nbreak CV.pdf",
        "x" * 300 + ".pdf",
        "Zoë Ürgüç — Lebenslauf.pdf",
    ],
    ids=["quotes", "newline", "300-chars", "unicode"],
)
def test_odd_names_arrive_intact(
    server: SandboxServer, tmp_path: Path, name: str, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("KOMBO_API_KEY", SANDBOX_API_KEY)
    monkeypatch.setenv("KOMBO_BASE_URL", server.base_url)
    safe = tmp_path / "file.pdf"
    safe.write_bytes(PDF + name.encode())
    app_id = _app_id(server, 3)
    code = main(["send", str(safe), "--name", name, "--integration", DEFAULT_INTEGRATION_ID, "--application", app_id, "--type", "CV", "--json"])
    out, err = capsys.readouterr()
    assert code == ExitCode.OK, err
    assert json.loads(out)["request"]["name"] == name
    stored = [s.file_name for s in server.sandbox.store.all()]
    assert name in stored
    if len(name.encode()) > 255:
        assert "longer than 255 bytes" in err


def test_non_utf8_file_name(server: SandboxServer, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]) -> None:
    monkeypatch.setenv("KOMBO_API_KEY", SANDBOX_API_KEY)
    monkeypatch.setenv("KOMBO_BASE_URL", server.base_url)
    raw = os.fsdecode(b"CV-\xe9t\xe9.pdf")  # Latin-1 bytes on a UTF-8 system
    path = tmp_path / raw
    path.write_bytes(PDF)
    code = main(["send", str(path), "--integration", DEFAULT_INTEGRATION_ID, "--application", _app_id(server, 4), "--json"])
    out, err = capsys.readouterr()
    assert code == ExitCode.OK, err
    assert json.loads(out)["request"]["name"] == "CV-\ufffdt\ufffd.pdf"


def test_symlink_loop_is_bad_input(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]) -> None:
    monkeypatch.setenv("KOMBO_API_KEY", "k")
    loop = tmp_path / "loop.pdf"
    os.symlink(loop, loop)
    code = main(["send", str(loop), "--integration", "x:y", "--application", "A"])
    _, err = capsys.readouterr()
    assert code == ExitCode.BAD_INPUT and "symbolic link loop" in err


@pytest.mark.parametrize("change", ["grow", "shrink", "rewrite"])
async def test_file_changing_during_upload_is_aborted_and_not_stored(tmp_path: Path, change: str) -> None:
    import kombo_tui.core.payload as payload

    app = create_app()
    path = tmp_path / "cv.pdf"
    path.write_bytes(PDF + bytes(3 * payload.CHUNK_SIZE))
    async with KomboClient(SANDBOX_API_KEY, base_url="http://sandbox/v1", transport=httpx.ASGITransport(app=app)) as client:
        page = await client.list_applications(integration_id=DEFAULT_INTEGRATION_ID, page_size=1)
        upload = prepare(Draft(integration_id=DEFAULT_INTEGRATION_ID, application_id=page.results[0].id, file=path, type="CV"))
        changed = [False]

        def tamper(sent: int, total: int) -> None:
            if not changed[0] and sent > upload.content_length // 3:
                changed[0] = True
                data = path.read_bytes()
                if change == "grow":
                    path.write_bytes(data + b"more")
                elif change == "shrink":
                    path.write_bytes(data[: len(data) // 2])
                else:
                    path.write_bytes(data[:-1] + b"!")

        outcome = await send_upload(client, upload, progress=tamper)
    assert changed[0]
    assert outcome.status == "file_changed"
    assert "choose the file again" in str(outcome.error)
    assert app.state.sandbox.store.upload_count() == 0


def test_huge_sparse_file_sniffs_and_streams_flat(tmp_path: Path) -> None:
    import kombo_tui.core.payload as payload

    huge = tmp_path / "huge.pdf"
    with huge.open("wb") as fh:
        fh.write(PDF)
        fh.truncate(2 * 1024**3)  # 2 GiB, sparse: sniffed from its head (test_sniff counts the bytes read)
    assert sniff_file(huge).mime == "application/pdf"

    big = tmp_path / "big.pdf"
    with big.open("wb") as fh:
        fh.write(PDF)
        fh.truncate(256 * 1024**2)
    upload = prepare(Draft(integration_id="x:y", application_id="A", file=big, type="CV"))
    tracemalloc.start()
    total = 0
    for chunk in upload.iter_body():
        total += len(chunk)
    _, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    assert total == upload.content_length
    # Two chunks at most (each 3 MiB read + 4 MiB of base64) in memory, never the file.
    assert peak < 5 * payload.CHUNK_SIZE, f"peak {peak / 1024**2:.1f} MiB while streaming 256 MiB"
