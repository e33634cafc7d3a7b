"""The API key in the operating system's keychain, when one is usable (the ``keyring`` extra).

A key in the keychain is encrypted at rest and unlocked with the user's session; the 0600
config file stays the fallback wherever there is no keychain (``pip install
'kombo-tui[keyring]'`` adds the library; a headless server usually has no backend).

:func:`store_key_in_keychain` saves the key there, removes it from the config file and marks
the config file with ``key_in_keychain = true``; :func:`key_from_keychain` reads it back. The
settings consult the keychain only when that mark is set, so nobody else pays for importing
``keyring`` or meets a keychain prompt. Nothing here imports ``keyring`` at module level.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from ..errors import ConfigError

__all__ = [
    "KEYCHAIN_MARK",
    "KEYCHAIN_SERVICE",
    "KEYCHAIN_USER",
    "KeychainError",
    "forget_key_in_keychain",
    "key_from_keychain",
    "keychain_available",
    "store_key_in_keychain",
]

KEYCHAIN_SERVICE = "kombo-tui"
"""The keychain entry's service name."""
KEYCHAIN_USER = "api_key"
"""The keychain entry's user name."""
KEYCHAIN_MARK = "key_in_keychain"
"""The config file's setting that says the key lives in the keychain."""


class KeychainError(ConfigError):
    """No usable keychain, or the keychain refused to store or give the key."""


def _backend() -> Any | None:
    """The keyring backend, or None when there is none worth using (not installed, fail, null)."""
    try:
        import keyring
        from keyring.backends import fail, null
    except ImportError:
        return None
    try:
        backend = keyring.get_keyring()
    except Exception:  # noqa: BLE001 - a broken backend configuration means "no keychain"
        return None
    if isinstance(backend, (fail.Keyring, null.Keyring)):
        return None
    return backend


def keychain_available() -> bool:
    """True when ``keyring`` is installed and has a backend that really stores secrets."""
    return _backend() is not None


def store_key_in_keychain(key: str, *, config_file: Path | None = None) -> None:
    """Save ``key`` in the keychain and take it out of the config file.

    The config file keeps only ``key_in_keychain = true``, so the settings know to look there.

    Raises:
        KeychainError: no usable keychain, or it refused the key (the config file is unchanged).
    """
    from .file import save_config

    backend = _backend()
    if backend is None:
        raise KeychainError("no usable keychain (install kombo-tui[keyring] on a desktop session)")
    key = key.strip()
    if not key:
        raise KeychainError("the API key is empty")
    try:
        backend.set_password(KEYCHAIN_SERVICE, KEYCHAIN_USER, key)
    except Exception as exc:  # noqa: BLE001 - any backend failure: say it, never echo the key
        raise KeychainError(f"the keychain refused the key ({type(exc).__name__})") from None
    save_config({"api_key": None, KEYCHAIN_MARK: True}, config_file)


def key_from_keychain() -> str | None:
    """The key stored by :func:`store_key_in_keychain`, or None (no keychain, nothing stored)."""
    backend = _backend()
    if backend is None:
        return None
    try:
        key = backend.get_password(KEYCHAIN_SERVICE, KEYCHAIN_USER)
    except Exception:  # noqa: BLE001 - a locked or broken keychain: fall back to the config file
        return None
    return key.strip() or None if isinstance(key, str) else None


def forget_key_in_keychain(*, config_file: Path | None = None) -> None:
    """Delete the keychain entry (if any) and the config file's mark."""
    from .file import save_config

    backend = _backend()
    if backend is not None:
        try:
            backend.delete_password(KEYCHAIN_SERVICE, KEYCHAIN_USER)
        except Exception:  # noqa: BLE001 - nothing stored, or already gone
            pass
    save_config({KEYCHAIN_MARK: None}, config_file)
