"""Target: one answer to "where to send, with which key", and the sandbox's lifecycle."""

from __future__ import annotations

import pytest

from kombo_tui.core.errors import InputError
from kombo_tui.core.target import SANDBOX_PENDING_URL, SandboxSpec, Target


class FakeServer:
    def __init__(self) -> None:
        self.started = self.stopped = 0

    @property
    def base_url(self) -> str:
        return "http://127.0.0.1:4242/v1"

    def start(self) -> FakeServer:
        self.started += 1
        return self

    def stop(self) -> None:
        self.stopped += 1


def test_settings_decide_unless_the_caller_does(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("KOMBO_API_KEY", "sk_from_env_123")
    monkeypatch.setenv("KOMBO_INTEGRATION_ID", "lever:env")
    target = Target.resolve()
    assert (target.base_url, target.environment, target.key_source) == ("https://api.kombo.dev/v1", "EU", "env")
    assert target.api_key is not None and target.api_key.get_secret_value() == "sk_from_env_123"
    assert target.integration_id == "lever:env" and not target.is_sandbox
    us = Target.resolve(region="us", api_key="sk_given_456", integration_id="lever:arg")
    assert (us.base_url, us.environment, us.key_source, us.integration_id) == (
        "https://api.us.kombo.dev/v1", "US", "argument", "lever:arg"
    )
    assert "sk_given_456" not in repr(us)
    custom = Target.resolve(base_url="https://kombo.example.com/v1/")
    assert (custom.base_url, custom.environment) == ("https://kombo.example.com/v1", "kombo.example.com")


def test_no_key_and_unsafe_urls_are_input_errors() -> None:
    target = Target.resolve()
    assert target.api_key is None and target.key_source == "none"
    with pytest.raises(InputError, match="api_key: no API key: use --sandbox"):
        target.require_key("use --sandbox")
    with pytest.raises(InputError, match="api_key"):
        target.client()
    with pytest.raises(InputError, match="in clear"):
        Target.resolve(base_url="http://api.example.com/v1")


def test_sandbox_starts_when_a_client_is_needed_and_stops_on_close() -> None:
    server = FakeServer()
    spec = SandboxSpec(api_key="sk_sandbox_demo", integration_id="greenhouse:demo", server=lambda: server)
    with pytest.raises(InputError, match="not both"):
        Target.resolve(sandbox=spec, region="us")
    with Target.resolve(sandbox=spec) as target:
        assert (target.environment, target.key_source, target.integration_id) == ("SANDBOX", "sandbox", "greenhouse:demo")
        assert target.base_url == SANDBOX_PENDING_URL and server.started == 0  # a dry run starts nothing
        client = target.client()
        assert server.started == 1 and client.base_url == "http://127.0.0.1:4242/v1"
        target.client()
        assert server.started == 1  # one server per target
    assert server.stopped == 1
    target.close()
    assert server.stopped == 1
