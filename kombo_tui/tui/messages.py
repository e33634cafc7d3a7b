"""The few messages that cross between the app and its main screen.

Everything else a screen needs comes from the :class:`~kombo_tui.tui.session.Session` it is
given; these say that something app-wide happened, so that neither side reaches into the
other (the app never touches the screen's widgets; the screen never imports the app).
"""

from __future__ import annotations

from dataclasses import dataclass

from textual.message import Message

__all__ = ["EnvironmentChanged", "MainScreenReady", "SettingsLoaded"]


class MainScreenReady(Message):
    """The main screen's fields are mounted: the app may load what the first frame did not need."""


@dataclass
class SettingsLoaded(Message):
    """The settings were read after the first frame (recent integrations, a default integration)."""

    integration: str | None
    """The settings' integration id, to show if the user has not changed the initial one."""


@dataclass
class EnvironmentChanged(Message):
    """The app now talks somewhere else (the first-run screen saved a key or chose the sandbox)."""

    default_integration: str | None = None
    """An integration id to fill in when the screen has none (the sandbox's default)."""
