"""First run without an API key: save one (config file 0600, or the OS keychain) or open the sandbox.

The keychain button appears only where ``keyring`` is installed and has a backend that really
stores secrets (:func:`kombo_tui.core.config.keychain.keychain_available`); the 0600 config file stays
the fallback everywhere."""

from __future__ import annotations

from textual import on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Center, Horizontal, Vertical
from textual.screen import Screen
from textual.widgets import Button, Input, Static

from ..text import safe_line
from ..widgets.common import content
from ..widgets.keybar import KeyBar

INTRO = """\
[b]Welcome to kombo-tui[/b]

It adds a file (CV, cover letter, other) to a candidate's application in any ATS that \
Kombo connects. It needs a Kombo API key — from the Secrets page of the Kombo dashboard.

The key is saved to your config file, readable only by you (mode 0600). \
Or set [b]KOMBO_API_KEY[/b] in the environment or a .env file instead.

No account? Open the [b]sandbox[/b]: a built-in demo API with realistic data."""


class FirstRunScreen(Screen[str]):
    """Dismisses with ``"saved"`` after saving a key, or ``"sandbox"``."""

    def __init__(self, error: str | None = None, *, id: str | None = None) -> None:  # noqa: A002
        super().__init__(id=id)
        self._error = error
        self._keychain = False

    BINDINGS = [
        Binding("ctrl+s", "save", "Save key", id="first.save"),
        Binding("f8", "save_keychain", "Save in keychain", id="first.keychain", show=False),
        Binding("f9", "sandbox", "Open the sandbox", id="first.sandbox"),
        Binding("ctrl+q", "app.quit", "Quit", id="first.quit"),
    ]

    def compose(self) -> ComposeResult:
        from kombo_tui.core.config.keychain import keychain_available

        self._keychain = keychain_available()
        with Center():
            with Vertical(id="first-run"):
                yield Static(INTRO, id="first-run-intro")
                yield Input(placeholder="paste your Kombo API key", password=True, id="api-key")
                yield Static("", id="first-run-error", classes="detail")
                with Horizontal(classes="dialog-buttons"):
                    yield Button("Save key  ctrl+s", id="save", variant="primary")
                    if self._keychain:
                        yield Button("Save in the OS keychain  F8", id="keychain", variant="primary")
                    yield Button("Open the sandbox  F9", id="sandbox", variant="success")
        yield KeyBar()

    def on_mount(self) -> None:
        self.query_one("#api-key", Input).focus()
        if self._error:
            self._say(f"✗ {safe_line(self._error)}")

    @on(Input.Submitted, "#api-key")
    @on(Button.Pressed, "#save")
    def _save_pressed(self) -> None:
        self.action_save()

    @on(Button.Pressed, "#keychain")
    def _keychain_pressed(self) -> None:
        self.action_save_keychain()

    @on(Button.Pressed, "#sandbox")
    def _sandbox_pressed(self) -> None:
        self.action_sandbox()

    def _pasted_key(self) -> str | None:
        """The key as pasted, or None after saying what is wrong with it."""
        key = self.query_one("#api-key", Input).value.strip()
        error = self.query_one("#first-run-error", Static)
        if not key:
            error.update("[$error]✗ Paste a key first (or open the sandbox).[/]")
            return None
        if any(ch.isspace() for ch in key):
            error.update("[$error]✗ A Kombo API key has no spaces; check what was pasted.[/]")
            return None
        return key

    def action_save(self) -> None:
        key = self._pasted_key()
        if key is None:
            return
        from kombo_tui.core.config.settings import ConfigError, save_config

        try:
            save_config({"api_key": key})
        except (ConfigError, OSError) as exc:
            self._say(f"✗ Could not save the key: {safe_line(exc)}")
            return
        self.dismiss("saved")

    def action_save_keychain(self) -> None:
        if not self._keychain:
            return
        key = self._pasted_key()
        if key is None:
            return
        from kombo_tui.core.config.keychain import store_key_in_keychain
        from kombo_tui.core.config.settings import ConfigError

        try:
            store_key_in_keychain(key)
        except (ConfigError, OSError) as exc:
            self._say(f"✗ Could not store the key in the keychain: {safe_line(exc)}")
            return
        self.dismiss("saved")

    def _say(self, problem: str) -> None:
        """Show a problem (plain text: it may name a path or a URL from the settings)."""
        self.query_one("#first-run-error", Static).update(content(((problem, "$error"),)))

    def action_sandbox(self) -> None:
        self.dismiss("sandbox")
