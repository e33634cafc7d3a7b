"""Where the API key, region and defaults come from: the pydantic-settings model.

Precedence, highest first: explicit arguments (CLI flags), the process environment
(``KOMBO_*``), a ``.env`` file in the working directory, the OS keychain (for the API key,
when the config file says ``key_in_keychain = true``: see :mod:`.keychain`), the TOML config
file in the platform config dir. The key is a :class:`~pydantic.SecretStr` and is never
printed; only *where it came from* is shown (``key_source``: env, .env, keychain, config).

The config file itself (paths, reading, writing) lives in :mod:`.config`, which does not
import pydantic; its names are re-exported here, as is :func:`.net.environment_label`.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any, Literal

from pydantic import Field, SecretStr, ValidationError
from pydantic_settings import (
    BaseSettings,
    PydanticBaseSettingsSource,
    SettingsConfigDict,
)

from ..errors import ConfigError, EnvFileSteering
from ..net import REGIONS, check_base_url, environment_label
from .file import APP_NAME, KeySource, config_path, data_dir, read_config, save_config

__all__ = [
    "APP_NAME",
    "ConfigError",
    "KeySource",
    "Settings",
    "config_path",
    "data_dir",
    "environment_label",
    "load_settings",
    "read_config",
    "save_config",
]

class _TomlSource(PydanticBaseSettingsSource):
    """Settings from the TOML config file."""

    def __init__(self, settings_cls: type[BaseSettings], data: dict[str, Any]) -> None:
        super().__init__(settings_cls)
        self._data = data

    def get_field_value(self, field: Any, field_name: str) -> tuple[Any, str, bool]:
        return self._data.get(field_name), field_name, False

    def __call__(self) -> dict[str, Any]:
        return {k: v for k, v in self._data.items() if k in self.settings_cls.model_fields}


class Settings(BaseSettings):
    """Resolved settings. Build with :func:`load_settings`."""

    model_config = SettingsConfigDict(
        env_prefix="KOMBO_", env_file=".env", env_file_encoding="utf-8", extra="ignore"
    )

    api_key: SecretStr | None = None
    """The Kombo API key (Secrets page of the dashboard). Never shown."""
    region: Literal["eu", "us", "ca"] = "eu"
    """Kombo region; ignored when ``base_url`` is set."""
    base_url: str | None = None
    """A custom API base URL (https, or http to loopback)."""
    integration_id: str | None = None
    """Default integration id (``<tool>:<id>``)."""
    timeout: float = Field(default=30.0, gt=0)
    """Seconds to wait for reads."""
    upload_timeout: float = Field(default=300.0, gt=0)
    """Seconds to wait for an upload's answer (Kombo's SDK uses 300 s)."""
    recent_integrations: list[str] = Field(default_factory=list)
    """Integration ids used lately (most recent first)."""

    key_source: KeySource = "none"
    """Where ``api_key`` came from."""

    def resolved_base_url(self) -> str:
        """The base URL to talk to, validated."""
        return check_base_url(self.base_url or REGIONS[self.region])


def _from(data: dict[str, Any]) -> type[Settings]:
    """:class:`Settings` with the config file's ``data`` as its last source (pydantic-settings
    takes sources from the class, so each load gets its own: no state shared between loads)."""

    class Configured(Settings):
        @classmethod
        def settings_customise_sources(
            cls,
            settings_cls: type[BaseSettings],
            init_settings: PydanticBaseSettingsSource,
            env_settings: PydanticBaseSettingsSource,
            dotenv_settings: PydanticBaseSettingsSource,
            file_secret_settings: PydanticBaseSettingsSource,
        ) -> tuple[PydanticBaseSettingsSource, ...]:
            return (init_settings, env_settings, dotenv_settings, _TomlSource(settings_cls, data))

    Configured.__name__ = Configured.__qualname__ = "Settings"
    return Configured


def _dotenv_has_key(path: Path) -> bool:
    if not path.is_file():
        return False
    from dotenv import dotenv_values

    return bool(dotenv_values(path).get("KOMBO_API_KEY"))


STEERING = ("base_url", "region", "integration_id")
"""Settings that decide where the key and the files go."""


def load_settings(
    config_file: Path | None = None, *, trust_env_file: bool = False, ignore_env_file: bool = False, **overrides: Any
) -> Settings:
    """Resolve settings from overrides, environment, ``.env``, the keychain and the config file.

    The keychain is asked for the key only when the config file holds ``key_in_keychain =
    true`` and no override, environment variable or ``.env`` gives one (see :mod:`.keychain`).

    A ``.env`` is a file in whatever folder the command runs in (a folder of CVs someone sent):
    it may decide where requests go (base URL, region, integration) only for a key from that
    same file, or when the user trusts it (``trust_env_file``; ``--trust-env-file`` on the CLI).
    With ``ignore_env_file`` such a ``.env`` is left out whole instead (the app's "ignore it").

    Raises:
        ConfigError: the config file is unsafe or invalid, a value (from any source) does
            not fit its setting, e.g. ``KOMBO_REGION=EU``, or an untrusted ``.env`` would
            send a key from elsewhere to a place of its choosing.
    """
    data = read_config(config_file)
    overrides = {k: v for k, v in overrides.items() if v is not None}
    keychain_key = None
    if data.get("key_in_keychain") is True and "api_key" not in overrides and not _key_above_keychain():
        from .keychain import key_from_keychain

        keychain_key = key_from_keychain()
        if keychain_key is not None:
            # The keychain outranks the config file: hide the file's key from the sources.
            data = {k: v for k, v in data.items() if k != "api_key"}
            overrides["api_key"] = keychain_key
    try:
        settings = _from(data)(**overrides)
    except ValidationError as exc:
        raise ConfigError("; ".join(_invalid_setting(err) for err in exc.errors())) from None
    if settings.api_key is not None and not settings.api_key.get_secret_value().strip():
        settings.api_key = None
    source: KeySource = "none"
    if settings.api_key is not None:
        if keychain_key is not None:
            source = "keychain"
        elif "api_key" in overrides:
            source = "sandbox" if overrides.get("key_source") == "sandbox" else "env"
        elif os.environ.get("KOMBO_API_KEY", "").strip():
            source = "env"
        elif _dotenv_has_key(Path(".env")):
            source = ".env"
        else:
            source = "config"
    if "key_source" not in overrides:
        settings.key_source = source
    if not trust_env_file and settings.api_key is not None and source != ".env":
        given = "api_key" in overrides and keychain_key is None and source != "sandbox"
        try:
            _refuse_env_file_steering(overrides, "the command line, an argument or the environment" if given else source)
        except EnvFileSteering:
            if not ignore_env_file:
                raise
            # The key is not the file's: leave the whole file out (it decides nothing then).
            unsteered = _from(data)(_env_file=None, **overrides)  # type: ignore[call-arg]
            unsteered.key_source = settings.key_source
            return unsteered
    return settings


def _refuse_env_file_steering(overrides: dict[str, Any], source: str) -> None:
    """Raise when ``.env`` sets where requests go while the key comes from somewhere else."""
    path = Path(".env")
    if not path.is_file():
        return
    from dotenv import dotenv_values

    in_file = {name.upper() for name, value in dotenv_values(path).items() if value}
    in_env = {name.upper() for name, value in os.environ.items() if value.strip()}
    steering = [
        f"KOMBO_{name.upper()}"
        for name in STEERING
        if f"KOMBO_{name.upper()}" in in_file and f"KOMBO_{name.upper()}" not in in_env and overrides.get(name) is None
    ]
    if steering:
        where = {"env": "the environment", "config": "the config file", "keychain": "the keychain", "sandbox": "the sandbox"}
        raise EnvFileSteering(
            f"{path.resolve()} sets {', '.join(steering)}, but the API key comes from {where.get(source, source)}: "
            "a .env in this folder would decide where your key and files go. Nothing was sent. Trust it on "
            "purpose (--trust-env-file; trust_env_file=True in Python), give the place yourself (--region / "
            "--base-url / --integration), or remove those lines",
            path=str(path.resolve()),
            names=steering,
        )


def _key_above_keychain() -> bool:
    """A key in the environment or ``.env``: both outrank the keychain."""
    return bool(os.environ.get("KOMBO_API_KEY", "").strip()) or _dotenv_has_key(Path(".env"))


def _invalid_setting(err: Any) -> str:
    """One invalid value, named as the user would set it (never echoing the key)."""
    name = str(err["loc"][0]) if err["loc"] else "settings"
    shown = "" if name == "api_key" else f" (got {err['input']!r})"
    return f"setting {name} (KOMBO_{name.upper()}, .env or the config file): {err['msg']}{shown}"
