"""The top line: app name, environment badge and where the key came from (never the key).

The badge can be a custom host from the settings: it is shown as text, never as markup.
"""

from __future__ import annotations

from textual.app import ComposeResult
from textual.containers import Horizontal
from textual.content import Content
from textual.reactive import reactive
from textual.widgets import Label

from ..text import safe_line

_KEY_SOURCES = {
    "env": "key from environment",
    ".env": "key from .env",
    "config": "key from config file",
    "sandbox": "sandbox key",
    "none": "no API key",
}


class AppHeader(Horizontal):
    """Title, environment badge, key source."""

    environment: reactive[str] = reactive("", init=False)
    key_source: reactive[str] = reactive("none", init=False)

    def compose(self) -> ComposeResult:
        yield Label("kombo-tui", id="app-title")
        yield Label("add a file to a candidate's application", id="app-subtitle")
        yield Label("", id="env-badge")
        yield Label("", id="key-source")

    def on_mount(self) -> None:
        self._refresh_labels()

    def watch_environment(self) -> None:
        self._refresh_labels()

    def watch_key_source(self) -> None:
        self._refresh_labels()

    def _refresh_labels(self) -> None:
        badge = self.query_one("#env-badge", Label)
        badge.update(Content(f" {safe_line(self.environment or '…', 60)} "))
        badge.set_class(self.environment == "SANDBOX", "-sandbox")
        badge.set_class(self.environment in ("EU", "US", "CA"), "-production")
        badge.set_class(self.environment not in ("SANDBOX", "EU", "US", "CA"), "-custom")
        self.query_one("#key-source", Label).update(Content(_KEY_SOURCES.get(self.key_source, safe_line(self.key_source, 60))))
