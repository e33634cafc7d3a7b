"""The user's configuration without pydantic: where its files live, the TOML config file, and
the common case of resolving the settings.

- :func:`config_path` / :func:`data_dir`: the platform's config and data directories.
- :func:`read_config` refuses a config file other users can read (it may hold the key);
  :func:`save_config` writes it atomically with mode 0600.
- :class:`Secret` holds the API key without ever showing it (pydantic's ``SecretStr``, but
  without importing pydantic).
- :func:`plain_settings` resolves the settings the way
  :func:`kombo_tui.core.config.settings.load_settings` does when that needs no parsing beyond the
  obvious (no ``.env`` file, plain values), without importing pydantic-settings: a send from
  a script should not wait for it. Whenever the answer is not obvious it returns None and the
  caller asks :func:`~kombo_tui.core.config.settings.load_settings`, the authority.
"""

from __future__ import annotations

import os
import re
import stat
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal, Protocol

from ..errors import ConfigError
from ..net import REGIONS, check_base_url

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover
    import tomli as tomllib

__all__ = [
    "APP_NAME",
    "KeySource",
    "MAX_CONFIG_BYTES",
    "PlainSettings",
    "Secret",
    "SecretText",
    "config_path",
    "data_dir",
    "plain_settings",
    "read_config",
    "save_config",
]

APP_NAME = "kombo-tui"

KeySource = Literal["env", ".env", "keychain", "config", "sandbox", "none"]

MAX_CONFIG_BYTES = 64 * 1024
"""The largest config file read (64 KiB): it holds a handful of settings."""


def config_path() -> Path:
    """The TOML config file (``$XDG_CONFIG_HOME/kombo-tui/config.toml`` on Linux)."""
    import platformdirs

    return Path(platformdirs.user_config_dir(APP_NAME, appauthor=False)) / "config.toml"


def data_dir() -> Path:
    """The platform data dir (history database lives here)."""
    import platformdirs

    return Path(platformdirs.user_data_dir(APP_NAME, appauthor=False))


def exports_dir() -> Path:
    """Where the app writes what it exports (curl body and script, HAR): ``$KOMBO_EXPORT_DIR``,
    else ``exports`` in the data dir — never the folder the app was started from, where a
    candidate's file would turn up as an untracked file of whatever checkout that is.

    Created (mode 0700) when missing.
    """
    chosen = os.environ.get("KOMBO_EXPORT_DIR", "").strip()
    folder = Path(chosen).expanduser() if chosen else data_dir() / "exports"
    folder.mkdir(parents=True, exist_ok=True, mode=0o700)
    return folder


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
    if st.st_size > MAX_CONFIG_BYTES:
        raise ConfigError(
            f"config file {path} is {st.st_size:,} bytes; the limit is {MAX_CONFIG_BYTES:,} (it holds a few settings)"
        )
    try:
        with path.open("rb") as fh:
            raw = fh.read(MAX_CONFIG_BYTES + 1)
        if len(raw) > MAX_CONFIG_BYTES:  # grew since the stat
            raise ConfigError(f"config file {path} is over {MAX_CONFIG_BYTES:,} bytes")
        data = tomllib.loads(raw.decode("utf-8"))
    except OSError as exc:
        raise ConfigError(f"cannot read config file {path}: {exc.strerror}") from None
    except UnicodeDecodeError:
        raise ConfigError(f"config file {path} is not UTF-8 text") from None
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(f"config file {path} is not valid TOML: {exc}") from None
    except RecursionError:  # tomllib recurses per nested array or inline table
        raise ConfigError(f"config file {path} nests too deep") from None
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


class SecretText(Protocol):
    """A key that shows itself only when asked: :class:`Secret` or pydantic's ``SecretStr``."""

    def get_secret_value(self) -> str:
        """The key itself (send it; never print it)."""
        ...


class Secret:
    """The API key as a value that never shows itself: ``repr`` and ``str`` print stars.

    The same promise as pydantic's ``SecretStr`` (both have :meth:`get_secret_value`), without
    importing pydantic, so a send from the command line holds its key before pydantic loads.
    """

    __slots__ = ("_value",)

    def __init__(self, value: str) -> None:
        self._value = value

    def get_secret_value(self) -> str:
        """The key itself (send it; never print it)."""
        return self._value

    def __repr__(self) -> str:
        return "Secret('**********')"

    def __str__(self) -> str:
        return "**********"

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Secret) and other._value == self._value

    def __hash__(self) -> int:
        return hash(self._value)


@dataclass(frozen=True)
class PlainSettings:
    """The settings a send needs, as :func:`plain_settings` resolved them."""

    api_key: Secret | None
    key_source: KeySource
    region: str
    base_url: str | None
    integration_id: str | None
    timeout: float
    upload_timeout: float

    def resolved_base_url(self) -> str:
        """The base URL to talk to, validated (as ``Settings.resolved_base_url``)."""
        return check_base_url(self.base_url or REGIONS[self.region])


_TEXT_FIELDS = ("api_key", "region", "base_url", "integration_id")
_NUMBER_FIELDS = {"timeout": 30.0, "upload_timeout": 300.0}
_PLAIN_NUMBER = re.compile(r"[0-9]+(\.[0-9]+)?", re.ASCII)
_ENV_PREFIX = "KOMBO_"


def plain_settings(
    *, region: str | None = None, base_url: str | None = None, config_file: Path | None = None
) -> PlainSettings | None:
    """The settings from arguments, the ``KOMBO_*`` environment and the config file, when plain.

    Same precedence and result as :func:`~kombo_tui.core.config.settings.load_settings` (a test
    compares them), or None when this needs pydantic-settings' parsing: a ``.env`` file in
    the working directory, an environment variable spelt in another case, a value that is
    empty or not plainly valid (a region other than eu/us/ca, a timeout that is not a
    positive number, a list field given in the environment).

    Raises:
        ConfigError: the config file is unsafe or invalid (as ``load_settings``).
    """
    if Path(".env").exists():
        return None
    env: dict[str, str] = {}
    for variable, text in os.environ.items():
        if variable.upper().startswith(_ENV_PREFIX):
            if not variable.isupper() or variable in (f"{_ENV_PREFIX}RECENT_INTEGRATIONS", f"{_ENV_PREFIX}KEY_SOURCE"):
                return None
            env[variable[len(_ENV_PREFIX):].lower()] = text
    config = read_config(config_file)
    if config.get("key_in_keychain") is True and not env.get("api_key", "").strip():
        return None  # the key is in the keychain: load_settings reads it
    given = {"region": region, "base_url": base_url}
    values: dict[str, Any] = {}
    source: KeySource = "none"
    for name in (*_TEXT_FIELDS, *_NUMBER_FIELDS):
        if given.get(name) is not None:
            value: Any = given[name]
        elif name in env:
            value = env[name]
            if name == "api_key":
                source = "env"
            elif not value:
                return None
        elif name in config:
            value = config[name]
            if name == "api_key":
                source = "config"
        else:
            continue
        if name in _NUMBER_FIELDS:
            number = _plain_number(value)
            if number is None:
                return None
            value = number
        elif not isinstance(value, str):
            return None
        values[name] = value
    if values.get("region", "eu") not in REGIONS:
        return None
    if "recent_integrations" in config and not _text_list(config["recent_integrations"]):
        return None  # load_settings would refuse it
    key: str | None = values.get("api_key")
    if key is not None and not key.strip():
        key = None
    return PlainSettings(
        api_key=Secret(key) if key is not None else None,
        key_source=source if key is not None else "none",
        region=values.get("region", "eu"),
        base_url=values.get("base_url"),
        integration_id=values.get("integration_id"),
        timeout=values.get("timeout", _NUMBER_FIELDS["timeout"]),
        upload_timeout=values.get("upload_timeout", _NUMBER_FIELDS["upload_timeout"]),
    )


def _plain_number(value: object) -> float | None:
    """A positive number from TOML (int or float) or the environment (digits), else None."""
    if isinstance(value, bool):
        return None
    if isinstance(value, (int, float)):
        number = float(value)
    elif isinstance(value, str) and _PLAIN_NUMBER.fullmatch(value):
        number = float(value)
    else:
        return None
    return number if 0 < number < float("inf") else None


def _text_list(value: object) -> bool:
    return isinstance(value, list) and all(isinstance(item, str) for item in value)
