"""Settings: sources and their precedence, the 0600 config file, safe base URLs."""

from __future__ import annotations

import os
import stat
from pathlib import Path

import pytest

from kombo_tui.core.config.settings import (
    ConfigError,
    config_path,
    environment_label,
    load_settings,
    read_config,
    save_config,
)
from kombo_tui.core.errors import InputError
from kombo_tui.core.net import REGIONS, check_base_url

KEY = "sk_live_settings_test_0001"


def test_no_key_anywhere() -> None:
    settings = load_settings()
    assert settings.api_key is None and settings.key_source == "none"
    assert settings.resolved_base_url() == REGIONS["eu"]


def test_env_wins_over_dotenv_and_config(monkeypatch: pytest.MonkeyPatch) -> None:
    save_config({"api_key": "from-config", "region": "us"})
    Path(".env").write_text("KOMBO_API_KEY=from-dotenv\n")
    monkeypatch.setenv("KOMBO_API_KEY", KEY)
    settings = load_settings()
    assert settings.api_key is not None and settings.api_key.get_secret_value() == KEY
    assert settings.key_source == "env"
    assert settings.region == "us"
    assert KEY not in repr(settings) and KEY not in str(settings.model_dump())


def test_dotenv_then_config() -> None:
    save_config({"api_key": "from-config"})
    assert load_settings().key_source == "config"
    Path(".env").write_text("KOMBO_API_KEY=from-dotenv\nKOMBO_REGION=ca\n")
    settings = load_settings()
    assert settings.key_source == ".env"
    assert settings.api_key is not None and settings.api_key.get_secret_value() == "from-dotenv"
    assert settings.resolved_base_url() == REGIONS["ca"]


def test_blank_key_counts_as_none(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("KOMBO_API_KEY", "   ")
    assert load_settings().api_key is None


def test_config_is_written_0600_and_merged() -> None:
    path = save_config({"api_key": KEY, "integration_id": "lever:x"})
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    save_config({"integration_id": None, "region": "us"})
    assert read_config() == {"api_key": KEY, "region": "us"}
    assert path == config_path()


def test_world_readable_config_is_refused() -> None:
    path = save_config({"api_key": KEY})
    os.chmod(path, 0o644)
    with pytest.raises(ConfigError) as info:
        load_settings()
    assert "chmod 600" in str(info.value)
    assert KEY not in str(info.value)


def test_broken_toml_is_reported() -> None:
    path = config_path()
    path.parent.mkdir(parents=True)
    fd = os.open(path, os.O_WRONLY | os.O_CREAT, 0o600)
    os.write(fd, b"api_key = [unclosed")
    os.close(fd)
    with pytest.raises(ConfigError, match="not valid TOML"):
        load_settings()


@pytest.mark.parametrize(
    "url",
    ["http://api.kombo.dev/v1", "http://10.0.0.5/v1", "ftp://x/v1", "not a url", "https://user:pw@api.kombo.dev/v1"],
)
def test_unsafe_base_urls_are_refused(url: str) -> None:
    with pytest.raises(InputError):
        check_base_url(url)


@pytest.mark.parametrize("url", ["http://127.0.0.1:8765/v1", "http://localhost/v1", "http://[::1]:9/v1", "https://api.kombo.dev/v1"])
def test_safe_base_urls(url: str) -> None:
    assert check_base_url(url) == url


def test_environment_labels() -> None:
    assert environment_label(REGIONS["us"]) == "US"
    assert environment_label("http://127.0.0.1:9/v1", sandbox=True) == "SANDBOX"
    assert environment_label("https://proxy.corp.example/v1") == "proxy.corp.example"


PLAIN_CASES: list[tuple[str, dict[str, str], dict[str, object], dict[str, str]]] = [
    # (label, environment, config file, explicit arguments)
    ("nothing", {}, {}, {}),
    ("env key", {"KOMBO_API_KEY": KEY}, {}, {}),
    ("config key", {}, {"api_key": KEY, "recent_integrations": ["lever:a"]}, {}),
    ("env beats config", {"KOMBO_API_KEY": KEY, "KOMBO_REGION": "ca"}, {"api_key": "other", "region": "us"}, {}),
    ("blank env key hides the config's", {"KOMBO_API_KEY": "  "}, {"api_key": KEY}, {}),
    ("arguments win", {"KOMBO_REGION": "ca"}, {"base_url": "https://kombo.example.com/v1"}, {"region": "us"}),
    ("timeouts", {"KOMBO_TIMEOUT": "12.5"}, {"upload_timeout": 600, "integration_id": "lever:x"}, {}),
    ("integration from env", {"KOMBO_INTEGRATION_ID": "greenhouse:y"}, {"integration_id": "lever:x"}, {}),
    # Not plain: the fast path must step aside (and load_settings decides).
    ("odd region", {"KOMBO_REGION": "EU"}, {}, {}),
    ("odd timeout", {"KOMBO_TIMEOUT": "1e3"}, {}, {}),
    ("zero timeout in config", {}, {"timeout": 0}, {}),
    ("lower-case variable", {"kombo_api_key": KEY}, {}, {}),
    ("list in env", {"KOMBO_RECENT_INTEGRATIONS": '["lever:a"]'}, {}, {}),
    ("empty region", {"KOMBO_REGION": ""}, {}, {}),
    ("number as text in config", {}, {"integration_id": 42}, {}),
]
PLAIN = {"nothing", "env key", "config key", "env beats config", "blank env key hides the config's",
         "arguments win", "timeouts", "integration from env"}


@pytest.mark.parametrize(("label", "env", "config", "args"), PLAIN_CASES, ids=[c[0] for c in PLAIN_CASES])
def test_plain_settings_agree_with_load_settings(
    label: str, env: dict[str, str], config: dict[str, object], args: dict[str, str], monkeypatch: pytest.MonkeyPatch
) -> None:
    from kombo_tui.core.config.file import plain_settings

    for name, value in env.items():
        monkeypatch.setenv(name, value)
    if config:
        save_config(config)
    plain = plain_settings(**args)
    assert (plain is not None) == (label in PLAIN), label
    if plain is None:
        return
    full = load_settings(**args)
    assert KEY not in repr(plain)
    assert (plain.api_key.get_secret_value() if plain.api_key else None, plain.key_source) == (
        full.api_key.get_secret_value() if full.api_key else None,
        full.key_source,
    )
    assert (plain.region, plain.base_url, plain.integration_id) == (full.region, full.base_url, full.integration_id)
    assert (plain.timeout, plain.upload_timeout) == (full.timeout, full.upload_timeout)
    assert plain.resolved_base_url() == full.resolved_base_url()


def test_plain_settings_step_aside_for_a_dotenv_file() -> None:
    from kombo_tui.core.config.file import plain_settings

    Path(".env").write_text("KOMBO_API_KEY=from-dotenv\n")
    assert plain_settings() is None
    assert load_settings().key_source == ".env"


def test_an_invalid_value_is_a_config_error_naming_the_setting(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("KOMBO_REGION", "EU")
    with pytest.raises(ConfigError, match=r"setting region \(KOMBO_REGION, .env or the config file\).*'EU'"):
        load_settings()
    monkeypatch.delenv("KOMBO_REGION")
    save_config({"timeout": -1, "api_key": 12345})
    with pytest.raises(ConfigError) as info:
        load_settings()
    assert "setting timeout" in str(info.value) and "setting api_key" in str(info.value)
    assert "12345" not in str(info.value)  # the key is never echoed, even a wrong one
