"""Secret hygiene: a known fake key, fed in every way, never shows up in any output or file."""

from __future__ import annotations

import json
import os
from collections.abc import Iterator
from pathlib import Path

import pytest

from kombo_tui.cli import main
from kombo_tui.core.config.settings import config_path, save_config
from kombo_tui.core.errors import InputError
from kombo_tui.sandbox.app import SandboxConfig
from kombo_tui.sandbox.data import DEFAULT_INTEGRATION_ID
from kombo_tui.sandbox.server import SandboxServer

CANARY = "sk_LEAKCANARY_7f3a9c1e5b"


@pytest.fixture
def sandbox() -> Iterator[SandboxServer]:
    # The sandbox accepts the canary as its key, so successful paths run for real too.
    with SandboxServer(SandboxConfig(api_key=CANARY)) as server:
        yield server


def _all_files(*roots: Path) -> Iterator[Path]:
    for root in roots:
        for path in root.rglob("*"):
            if path.is_file():
                yield path


def _scan(outputs: list[str], roots: list[Path], allowed: set[Path]) -> None:
    for text in outputs:
        assert CANARY not in text
    for path in _all_files(*roots):
        if path in allowed:
            continue
        assert CANARY.encode() not in path.read_bytes(), path


def _run_everything(capsys: pytest.CaptureFixture[str], cv: Path, base_url: str, app_id: str) -> list[str]:
    outputs: list[str] = []
    target = ["--integration", DEFAULT_INTEGRATION_ID, "--base-url", base_url]
    argvs = [
        ["send", str(cv), *target, "--application", app_id, "--verify"],
        ["send", str(cv), *target, "--application", app_id, "--json", "--force"],
        ["send", str(cv), *target, "--application", "no-such-app", "--json"],  # API error
        ["send", str(cv), *target, "--application", "no-such-app"],
        ["send", str(cv), "--integration", "x:y", "--application", "A", "--base-url", "http://127.0.0.1:9/v1"],  # refused
        ["send", str(cv), "--integration", "x:y", "--application", "A", "--base-url", "http://127.0.0.1:9/v1", "--json"],
        ["send", str(cv), *target, "--application", app_id, "--dry-run", "--json"],
        ["preview", str(cv), *target, "--application", app_id, "--json"],
        ["preview", str(cv), *target, "--application", app_id, "--full"],
        ["sniff", str(cv), "--json"],
        ["history"],
        ["history", "--json"],
        ["send", "--help"],
    ]
    for argv in argvs:
        try:
            main(argv)
        except SystemExit:
            pass
        captured = capsys.readouterr()
        outputs += [captured.out, captured.err]
    return outputs


@pytest.mark.parametrize("source", ["env", "dotenv", "config"])
def test_key_never_leaks(
    source: str,
    sandbox: SandboxServer,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
    _isolated_env: Path,
) -> None:
    allowed: set[Path] = set()
    if source == "env":
        monkeypatch.setenv("KOMBO_API_KEY", CANARY)
    elif source == "dotenv":
        Path(".env").write_text(f"KOMBO_API_KEY={CANARY}\n")
        allowed.add(Path(".env").resolve())
    else:
        save_config({"api_key": CANARY})
        allowed.add(config_path())
    cv = tmp_path / "Jane_Doe_CV.pdf"
    cv.write_bytes(b"%PDF-1.4\n%%EOF\n")
    import httpx

    app_id = httpx.get(
        f"{sandbox.base_url}/ats/applications",
        params={"page_size": 1},
        headers={"Authorization": f"Bearer {CANARY}", "X-Integration-Id": DEFAULT_INTEGRATION_ID},
    ).json()["data"]["results"][0]["id"]
    outputs = _run_everything(capsys, cv, sandbox.base_url, app_id)
    assert any("sent Jane_Doe_CV.pdf" in o for o in outputs), "the happy path did not run"
    history = Path(os.environ["XDG_DATA_HOME"]) / "kombo-tui" / "history.sqlite3"
    assert history.exists()
    _scan(outputs, [_isolated_env, Path.cwd(), tmp_path], {p.resolve() for p in allowed} | allowed)


def test_bad_key_characters_are_refused_without_echo(capsys: pytest.CaptureFixture[str], tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from kombo_tui.core.client import KomboClient

    bad = CANARY + "\n"
    with pytest.raises(InputError) as info:
        KomboClient(CANARY + " extra", base_url="https://api.kombo.dev/v1")
    assert CANARY not in str(info.value)
    monkeypatch.setenv("KOMBO_API_KEY", "sk bad key " + CANARY)
    cv = tmp_path / "cv.pdf"
    cv.write_bytes(b"%PDF-1.4\n%%EOF\n")
    code = main(["send", str(cv), "--integration", "x:y", "--application", "A", "--base-url", "http://127.0.0.1:9/v1"])
    out, err = capsys.readouterr()
    assert code == 2 and "api_key" in err
    assert CANARY not in out + err and bad not in out + err


def test_exceptions_and_reprs_hide_the_key() -> None:
    from kombo_tui.core.client import KomboClient
    from kombo_tui.core.config.settings import load_settings

    os.environ["KOMBO_API_KEY"] = CANARY
    try:
        settings = load_settings()
        assert CANARY not in repr(settings) and CANARY not in json.dumps(settings.model_dump(mode="json"))
        client = KomboClient(settings.api_key, base_url="https://api.kombo.dev/v1")  # type: ignore[arg-type]
        assert CANARY not in repr(client) and CANARY not in repr(client.http.headers)
    finally:
        del os.environ["KOMBO_API_KEY"]
