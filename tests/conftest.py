"""Shared fixtures: every test runs with a clean environment and private config/data dirs."""

from __future__ import annotations

import os
from pathlib import Path

import pytest


def pytest_configure(config: pytest.Config) -> None:
    """The many child processes (the CLI, sandboxes, kernels) load kombo-tui from bytecode, as
    an install does: a machine that sets PYTHONDONTWRITEBYTECODE would otherwise have each of
    them compile every module it imports. The bytecode goes to a cache outside the checkout."""
    if os.environ.pop("PYTHONDONTWRITEBYTECODE", None) is not None and "PYTHONPYCACHEPREFIX" not in os.environ:
        import hashlib
        import tempfile

        checkout = hashlib.sha256(str(Path(__file__).resolve().parents[1]).encode()).hexdigest()[:12]
        os.environ["PYTHONPYCACHEPREFIX"] = str(Path(tempfile.gettempdir()) / f"kombo-tui-pycache-{checkout}")


def pytest_xdist_auto_num_workers(config: pytest.Config) -> int:
    """``-n auto``: two workers per core. The suite mostly waits (on child processes, loopback
    servers, kernels, a browser): on the 2-core machine two workers kept each core about half
    busy and took about 7 minutes; four take about 4½."""
    return 2 * (os.cpu_count() or 1)


@pytest.fixture(autouse=True)
def _isolated_env(tmp_path_factory: pytest.TempPathFactory, monkeypatch: pytest.MonkeyPatch) -> Path:
    """No KOMBO_* variable leaks in from the developer's shell; config and data go to tmp; no real keychain."""
    for name in list(os.environ):
        if name.startswith("KOMBO_"):
            monkeypatch.delenv(name, raising=False)
    home = tmp_path_factory.mktemp("home")
    monkeypatch.setenv("XDG_CONFIG_HOME", str(home / "config"))
    monkeypatch.setenv("XDG_DATA_HOME", str(home / "data"))
    monkeypatch.setenv("XDG_STATE_HOME", str(home / "state"))
    monkeypatch.setenv("XDG_CACHE_HOME", str(home / "cache"))
    # Never the developer's real OS keychain: tests that need one install an in-memory backend.
    monkeypatch.setenv("PYTHON_KEYRING_BACKEND", "keyring.backends.fail.Keyring")
    monkeypatch.chdir(tmp_path_factory.mktemp("cwd"))
    return home


@pytest.fixture(autouse=True)
def _loopback_only(monkeypatch: pytest.MonkeyPatch) -> None:
    """Hermetic by construction: a name lookup for anything but loopback fails at once.

    (The sandbox, in-process or on 127.0.0.1, stands in for Kombo; nothing else is reached.)
    """
    import socket

    from kombo_tui.core.net import is_loopback_host

    real = socket.getaddrinfo

    def loopback_only(host: object, *args: object, **kwargs: object) -> object:
        name = host.decode() if isinstance(host, bytes) else host
        if name is None or (isinstance(name, str) and is_loopback_host(name)):
            return real(host, *args, **kwargs)  # type: ignore[arg-type]
        raise socket.gaierror(socket.EAI_NONAME, f"tests reach only loopback, not {name!r}")

    monkeypatch.setattr(socket, "getaddrinfo", loopback_only)


@pytest.fixture(autouse=True)
def _instant_backoff(request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch) -> None:
    """Retries wait no real time unless the test is about the waiting (``@pytest.mark.real_delays``).

    The client still computes and reports every delay (notices, exchanges); only the sleep
    between attempts is skipped. Most tests that meet a retry (a hostile server's 500s, a
    stand-in without GET) are about what happens after it, not about the clock.
    """
    if request.node.get_closest_marker("real_delays") is not None:
        return
    import asyncio

    from kombo_tui.core import retry

    async def instant(seconds: float) -> None:
        await asyncio.sleep(0)

    monkeypatch.setattr(retry, "backoff_sleep", instant)
