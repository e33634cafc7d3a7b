"""The optional OS keychain: stored there, read back in its place in the precedence."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import keyring
import pytest
from keyring.backend import KeyringBackend
from keyring.backends import fail

from kombo_tui.core.config.file import plain_settings, read_config, save_config
from kombo_tui.core.config.keychain import (
    KeychainError,
    forget_key_in_keychain,
    key_from_keychain,
    keychain_available,
    store_key_in_keychain,
)
from kombo_tui.core.config.settings import load_settings


class MemoryKeyring(KeyringBackend):
    """A keychain in a dict (keyring ships none)."""

    priority = 1

    def __init__(self) -> None:
        super().__init__()  # type: ignore[no-untyped-call]
        self.items: dict[tuple[str, str], str] = {}

    def get_password(self, service: str, username: str) -> str | None:
        return self.items.get((service, username))

    def set_password(self, service: str, username: str, password: str) -> None:
        self.items[(service, username)] = password

    def delete_password(self, service: str, username: str) -> None:
        self.items.pop((service, username), None)


@pytest.fixture
def memory() -> Iterator[MemoryKeyring]:
    before = keyring.get_keyring()
    backend = MemoryKeyring()
    keyring.set_keyring(backend)
    yield backend
    keyring.set_keyring(before)


@pytest.fixture
def no_keychain() -> Iterator[None]:
    before = keyring.get_keyring()
    keyring.set_keyring(fail.Keyring())  # type: ignore[no-untyped-call]
    yield
    keyring.set_keyring(before)


def test_the_key_moves_from_the_config_file_to_the_keychain(memory: MemoryKeyring) -> None:
    path = save_config({"api_key": "sk_in_file", "region": "us"})
    assert keychain_available()
    store_key_in_keychain("sk_in_keychain")
    config = read_config(path)
    assert "api_key" not in config and config["key_in_keychain"] is True and config["region"] == "us"
    assert memory.items == {("kombo-tui", "api_key"): "sk_in_keychain"}
    settings = load_settings()
    assert settings.api_key is not None and settings.api_key.get_secret_value() == "sk_in_keychain"
    assert settings.key_source == "keychain"
    assert plain_settings() is None  # the fast path defers to load_settings


def test_precedence_args_env_dotenv_keychain_config(memory: MemoryKeyring, monkeypatch: pytest.MonkeyPatch) -> None:
    store_key_in_keychain("sk_keychain")
    save_config({"api_key": "sk_config"})  # a key written to the file later: the keychain still wins
    assert load_settings().key_source == "keychain"
    Path(".env").write_text("KOMBO_API_KEY=sk_dotenv\n")
    s = load_settings()
    assert (s.key_source, s.api_key.get_secret_value()) == (".env", "sk_dotenv")  # type: ignore[union-attr]
    monkeypatch.setenv("KOMBO_API_KEY", "sk_env")
    s = load_settings()
    assert (s.key_source, s.api_key.get_secret_value()) == ("env", "sk_env")  # type: ignore[union-attr]
    s = load_settings(api_key="sk_arg")
    assert s.api_key.get_secret_value() == "sk_arg"  # type: ignore[union-attr]


def test_the_config_file_is_the_fallback_without_a_keychain(no_keychain: None) -> None:
    path = save_config({"api_key": "sk_config"})
    assert not keychain_available()
    with pytest.raises(KeychainError):
        store_key_in_keychain("sk_new")
    assert read_config(path)["api_key"] == "sk_config"  # unchanged
    save_config({"key_in_keychain": True})  # marked, but the keychain is gone
    assert key_from_keychain() is None
    s = load_settings()
    assert (s.key_source, s.api_key.get_secret_value()) == ("config", "sk_config")  # type: ignore[union-attr]


def test_forgetting_the_keychain_entry(memory: MemoryKeyring) -> None:
    store_key_in_keychain("sk_keychain")
    forget_key_in_keychain()
    assert memory.items == {}
    assert "key_in_keychain" not in read_config()
    assert load_settings().key_source == "none"
