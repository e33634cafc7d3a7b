"""Where the API key, region and defaults come from, and where the config file lives.

Precedence, highest first: explicit arguments (CLI flags), the process environment
(``KOMBO_*``), a ``.env`` file in the working directory, the TOML config file in the
platform config dir. The key is a :class:`~pydantic.SecretStr` and is never printed; only
*where it came from* is shown.
"""

from __future__ import annotations

import os
import stat
import sys
from contextvars import ContextVar
from pathlib import Path
from typing import Any, Literal
from urllib.parse import urlsplit

from pydantic import Field, SecretStr
from pydantic_settings import (
    BaseSettings,
    PydanticBaseSettingsSource,
    SettingsConfigDict,
)

from .errors import ConfigError
from .net import REGIONS, check_base_url

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover
    import tomli as tomllib

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

APP_NAME = "kombo-tui"

KeySource = Literal["env", ".env", "config", "sandbox", "none"]


def config_path() -> Path:
    """The TOML config file (``$XDG_CONFIG_HOME/kombo-tui/config.toml`` on Linux)."""
    import platformdirs

    return Path(platformdirs.user_config_dir(APP_NAME, appauthor=False)) / "config.toml"


def data_dir() -> Path:
    """The platform data dir (history database lives here)."""
    import platformdirs

    return Path(platformdirs.user_data_dir(APP_NAME, appauthor=False))


def read_config(path: Path | None = None) -> dict[str, Any]:
    """Read the config file; refuse one that other users can read.

    Raises:
        ConfigError: the file is group/world readable or is not valid TOML.
    """
    path = path or config_path()
    try:
        st = path.stat()
    except FileNotFoundError:
        return {}
    except OSError as exc:
        raise ConfigError(f"cannot read config file {path}: {exc.strerror}") from None
    if os.name == "posix" and st.st_mode & (stat.S_IRGRP | stat.S_IROTH | stat.S_IWGRP | stat.S_IWOTH):
        raise ConfigError(
            f"config file {path} is readable by other users (mode {stat.S_IMODE(st.st_mode):o}); "
            f"it may hold the API key. Run: chmod 600 '{path}'"
        )
    try:
        with path.open("rb") as fh:
            data = tomllib.load(fh)
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(f"config file {path} is not valid TOML: {exc}") from None
    return data


def save_config(updates: dict[str, Any], path: Path | None = None) -> Path:
    """Merge ``updates`` into the config file, written atomically with mode 0600.

    A value of None removes the key.
    """
    import tomli_w

    path = path or config_path()
    path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
    current = read_config(path)
    for key, value in updates.items():
        if value is None:
            current.pop(key, None)
        else:
            current[key] = value
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    try:
        with os.fdopen(fd, "wb") as fh:
            tomli_w.dump(current, fh)
        os.chmod(tmp, 0o600)
        os.replace(tmp, path)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise
    return path


def environment_label(base_url: str, *, sandbox: bool = False) -> str:
    """The badge shown to the user: SANDBOX, EU, US, CA or the custom host."""
    if sandbox:
        return "SANDBOX"
    for region, url in REGIONS.items():
        if base_url.rstrip("/") == url:
            return region.upper()
    host = urlsplit(base_url).netloc
    return host or base_url


# pydantic-settings builds sources from the class; the config file's data reaches it here.
_CONFIG_DATA: ContextVar[dict[str, Any]] = ContextVar("kombo_tui_config_data", default={})


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

    @classmethod
    def settings_customise_sources(
        cls,
        settings_cls: type[BaseSettings],
        init_settings: PydanticBaseSettingsSource,
        env_settings: PydanticBaseSettingsSource,
        dotenv_settings: PydanticBaseSettingsSource,
        file_secret_settings: PydanticBaseSettingsSource,
    ) -> tuple[PydanticBaseSettingsSource, ...]:
        return (
            init_settings,
            env_settings,
            dotenv_settings,
            _TomlSource(settings_cls, _CONFIG_DATA.get()),
        )

    def resolved_base_url(self) -> str:
        """The base URL to talk to, validated."""
        return check_base_url(self.base_url or REGIONS[self.region])


def _dotenv_has_key(path: Path) -> bool:
    if not path.is_file():
        return False
    from dotenv import dotenv_values

    return bool(dotenv_values(path).get("KOMBO_API_KEY"))


def load_settings(config_file: Path | None = None, **overrides: Any) -> Settings:
    """Resolve settings from overrides, environment, ``.env`` and the config file.

    Raises:
        ConfigError: the config file is unsafe or invalid.
    """
    data = read_config(config_file)
    overrides = {k: v for k, v in overrides.items() if v is not None}
    token = _CONFIG_DATA.set(data)
    try:
        settings = Settings(**overrides)
    finally:
        _CONFIG_DATA.reset(token)
    if settings.api_key is not None and not settings.api_key.get_secret_value().strip():
        settings.api_key = None
    source: KeySource = "none"
    if settings.api_key is not None:
        if "api_key" in overrides:
            source = "sandbox" if overrides.get("key_source") == "sandbox" else "env"
        elif os.environ.get("KOMBO_API_KEY", "").strip():
            source = "env"
        elif _dotenv_has_key(Path(".env")):
            source = ".env"
        else:
            source = "config"
    if "key_source" not in overrides:
        settings.key_source = source
    return settings
