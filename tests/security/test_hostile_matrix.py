"""The hostile-server matrix (issue 10): every attack string through every CLI and library path.

Each case runs one path against :mod:`tests.hostile` (a Kombo whose every shown string is an
attack) and asserts: no traceback, the documented exit code, no raw control character on
stdout or stderr, and ``--json`` keeping the exact value. :data:`CASES` is the count the
README's reliability table quotes.
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any

import httpx
import pytest

from kombo_tui.cli import ExitCode, main
from kombo_tui.core.client import KomboClient
from kombo_tui.core.errors import ApiError, KomboError
from kombo_tui.sandbox.data import DEFAULT_INTEGRATION_ID, SANDBOX_API_KEY
from tests.hostile import CONTROL_RE, PAYLOADS, HostileKombo, hostile_server

PDF = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"

CLI_PATHS = (
    "send",
    "send_json",
    "send_verify",
    "send_error",
    "send_error_json",
    "send_500",
    "history_after_send",
    "history_after_error",
    "preview_name",
    "preview_name_json",
    "dry_run_name",
    "sniff_name",
    "manifest_name",
)
LIBRARY_PATHS = ("reads", "reads_error", "upload", "upload_error", "deep_answer")
CASES = len(PAYLOADS) * (len(CLI_PATHS) + len(LIBRARY_PATHS))
"""Cases tried by this module (each must pass: cases survived = CASES)."""


def _app_id(app: HostileKombo) -> str:
    async def first() -> str:
        async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app.inner), base_url="http://sandbox.localhost/v1/") as c:
            r = await c.get(
                "ats/applications",
                params={"page_size": 1},
                headers={"Authorization": f"Bearer {SANDBOX_API_KEY}", "X-Integration-Id": DEFAULT_INTEGRATION_ID},
            )
            return str(r.json()["data"]["results"][0]["id"])

    return asyncio.run(first())


def _file_name(payload: str) -> str:
    """The payload as a file name (no slash, no NUL, at most 200 characters)."""
    return ("cv" + payload.replace("/", "_").replace("\x00", "_"))[:200] + ".pdf"


def _clean(out: str, err: str) -> None:
    assert "Traceback" not in err
    for stream in (out, err):
        found = CONTROL_RE.search(stream)
        assert found is None, f"raw control character {found.group()!r} reached the terminal"


def _cli(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    code = main(list(argv))
    out, err = capsys.readouterr()
    _clean(out, err)
    return code, out, err


@pytest.mark.parametrize("path", CLI_PATHS)
@pytest.mark.parametrize("name", list(PAYLOADS))
def test_cli_paths_keep_hostile_text_inert(
    name: str, path: str, tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    payload = PAYLOADS[name]
    monkeypatch.setenv("KOMBO_API_KEY", SANDBOX_API_KEY)
    cv = tmp_path / "cv.pdf"
    cv.write_bytes(PDF)
    hostile_file = tmp_path / _file_name(payload)
    hostile_file.write_bytes(PDF)
    if path in ("preview_name", "preview_name_json", "dry_run_name", "sniff_name", "manifest_name"):
        target = ["--integration", DEFAULT_INTEGRATION_ID, "--application", "APP1", "--base-url", "https://api.kombo.dev/v1"]
        if path == "sniff_name":
            code, out, _ = _cli(capsys, "sniff", str(hostile_file))
            assert code == ExitCode.OK
            assert "cv" in out
        elif path == "preview_name":
            code, out, _ = _cli(capsys, "preview", str(hostile_file), "--name", payload, *target)
            assert code == ExitCode.OK
            assert out.startswith("POST ")
        elif path == "preview_name_json":
            code, out, _ = _cli(capsys, "preview", str(hostile_file), "--name", payload, "--json", *target)
            assert code == ExitCode.OK
            doc = json.loads(out)
            assert doc["request"]["name"] == payload  # exact in JSON
        elif path == "dry_run_name":
            code, out, _ = _cli(capsys, "send", str(hostile_file), "--dry-run", *target)
            assert code == ExitCode.OK
            assert "dry run: would send" in out
        else:
            manifest = tmp_path / "m.json"
            manifest.write_text(json.dumps([{"file": hostile_file.name, "name": payload}, {"file": "cv.pdf"}]))
            code, out, err = _cli(capsys, "send", "--manifest", str(manifest), "--dry-run", *target)
            assert code == ExitCode.OK
            assert "[file " in out  # the real path beside the hostile name
        return
    mode = "error" if "error" in path or path == "send_500" else "data"
    with hostile_server(payload, mode=mode, status=500 if path == "send_500" else 400) as (server, app):
        app_id = _app_id(app)
        monkeypatch.setenv("KOMBO_BASE_URL", server.base_url)
        args = ["send", str(cv), "--integration", DEFAULT_INTEGRATION_ID, "--application", app_id]
        if path in ("send", "history_after_send"):
            code, out, err = _cli(capsys, *args)
            assert code == ExitCode.OK
            assert "warning:" in err
        elif path == "send_json":
            code, out, _ = _cli(capsys, *args, "--json")
            assert code == ExitCode.OK
            assert payload in json.loads(out)["warnings"]  # exact values in --json
        elif path == "send_verify":
            code, out, err = _cli(capsys, *args, "--verify")
            assert code == ExitCode.OK
            assert "verify:" in err
        elif path in ("send_error", "history_after_error"):
            code, out, err = _cli(capsys, *args)
            assert code == ExitCode.API_ERROR
            assert "log (not an https link, not opened):" in err
        elif path == "send_error_json":
            code, out, _ = _cli(capsys, *args, "--json")
            assert code == ExitCode.API_ERROR
            error = json.loads(out)["error"]
            assert error["code"] == error["title"] == error["message"] == error["log_url"] == payload
        else:  # send_500: the outcome is unknown
            code, out, err = _cli(capsys, *args)
            assert code == ExitCode.API_ERROR
            assert "before resending" in err
    if path.startswith("history"):
        code, out, _ = _cli(capsys, "history")
        assert code == ExitCode.OK
        assert "cv.pdf" in out
        code, out, _ = _cli(capsys, "history", "--json")
        assert code == ExitCode.OK
        entry = json.loads(out)["entries"][0]
        if path == "history_after_send":
            assert payload in entry["warnings"]
        else:
            assert entry["log_url"] == payload


def _strings(value: Any) -> list[str]:
    if isinstance(value, str):
        return [value]
    if isinstance(value, dict):
        return [s for v in value.values() for s in _strings(v)]
    if isinstance(value, (list, tuple)):
        return [s for v in value for s in _strings(v)]
    if hasattr(value, "model_dump"):
        return _strings(value.model_dump())
    return []


@pytest.mark.parametrize("path", LIBRARY_PATHS)
@pytest.mark.parametrize("name", list(PAYLOADS))
def test_library_paths_survive_and_keep_str_inert(name: str, path: str, tmp_path: Path) -> None:
    from kombo_tui.core.payload import Draft, prepare

    payload = PAYLOADS[name]
    mode = {"reads_error": "error", "upload_error": "error", "deep_answer": "deep"}.get(path, "data")
    app = HostileKombo(payload, mode=mode)
    app_id = _app_id(app) if mode == "data" else "APP1"
    cv = tmp_path / "cv.pdf"
    cv.write_bytes(PDF)

    async def run() -> list[Any]:
        results: list[Any] = []
        async with KomboClient(
            SANDBOX_API_KEY,
            base_url="http://sandbox.localhost/v1",
            integration_id=DEFAULT_INTEGRATION_ID,
            transport=httpx.ASGITransport(app=app),
        ) as client:
            calls: list[Callable[[], Awaitable[Any]]]
            if path in ("reads", "reads_error", "deep_answer"):
                calls = [
                    client.check_api_key,
                    client.get_integration,
                    client.get_tools,
                    client.list_applications,
                    client.list_candidates,
                    client.list_jobs,
                    lambda: client.get_attachment_restrictions(),
                    lambda: client.get_application_attachments(app_id),
                ]
            else:
                upload = prepare(Draft(integration_id=DEFAULT_INTEGRATION_ID, application_id=app_id, file=cv))
                calls = [lambda: client.add_application_attachment(upload)]
            for call in calls:
                try:
                    results.append(await call())
                except KomboError as exc:  # an error is fine; a crash is not
                    results.append(exc)
        return results

    results = asyncio.run(run())
    assert results
    for result in results:
        if isinstance(result, KomboError):
            assert CONTROL_RE.search(str(result)) is None  # str() is inert
            if isinstance(result, ApiError) and mode == "error":
                assert result.message == payload and result.log_url == payload  # exact on attributes
        elif mode == "data" and path == "upload":
            assert payload in result.warnings  # the library keeps exact values
    if mode == "data" and path == "reads":
        assert any(payload in s for r in results if not isinstance(r, KomboError) for s in _strings(r))
    if mode == "deep":
        assert all(isinstance(r, KomboError) for r in results)


def test_the_matrix_counts_its_cases() -> None:
    assert CASES == len(PAYLOADS) * 18 == 252
