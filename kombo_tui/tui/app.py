"""The Textual app: wiring only. State lives in the screens, work in their workers."""

from __future__ import annotations

import argparse
from typing import TYPE_CHECKING, Any

from textual import work
from textual.app import App
from textual.binding import Binding

from .commands import KomboCommands
from .screens.main import MainScreen
from .session import Connection

if TYPE_CHECKING:
    import httpx

    from kombo_tui.core.history import History
    from kombo_tui.core.settings import Settings

__all__ = ["KomboApp", "run_app"]


class KomboApp(App[int]):
    """Add a file to a candidate's application, keyboard first.

    Args:
        settings: resolved settings (None in sandbox mode or when they could not be loaded).
        sandbox: talk to the embedded sandbox.
        transport: an httpx transport for the client (tests mount the sandbox in-process).
        integration, application, file: initial values.
        startup_error: a settings problem to show on the first-run screen.
        history: the audit log (default: ``History()`` in the platform data dir).
        settings_later: load the settings in a thread after the first frame (sandbox mode,
            where nothing before the first frame depends on them): recent integrations and
            ``KOMBO_INTEGRATION_ID`` apply once they are read.
    """

    CSS_PATH = "app.tcss"
    TITLE = "kombo-tui"
    COMMANDS = App.COMMANDS | {KomboCommands}
    BINDINGS = [Binding("ctrl+q", "quit", "Quit", id="app.quit", priority=True)]

    def __init__(
        self,
        settings: Settings | None = None,
        *,
        sandbox: bool = False,
        transport: httpx.AsyncBaseTransport | None = None,
        integration: str | None = None,
        application: str | None = None,
        file: str | None = None,
        startup_error: str | None = None,
        theme: str = "textual-dark",
        history: History | None = None,
        settings_later: bool = False,
    ) -> None:
        super().__init__()
        self.settings = settings
        self.connection = Connection(settings=settings, sandbox=sandbox, transport=transport)
        self.startup_error = startup_error
        self._initial_theme = theme
        self._history = history
        self._settings_later = settings_later
        self._remember_later: str | None = None
        self._cli_integration = integration
        default = integration or (settings.integration_id if settings else None)
        if not default and sandbox:
            from kombo_tui.sandbox.data import DEFAULT_INTEGRATION_ID

            default = DEFAULT_INTEGRATION_ID
        if not default and settings and settings.recent_integrations:
            default = settings.recent_integrations[0]
        self._initial = (default or "", application or "", file or "")

    def get_default_screen(self) -> MainScreen:
        integration, application, file = self._initial
        return MainScreen(integration=integration, application=application, file=file)

    def on_mount(self) -> None:
        self.theme = self._initial_theme
        if not self.connection.has_key:
            from .screens.first_run import FirstRunScreen

            self.push_screen(FirstRunScreen(self.startup_error, id="first-run-screen"), self._first_run_done)

    def main_ready(self) -> None:
        """The main screen's fields are mounted: now load what the first frame did not need."""
        if self._settings_later:
            self._load_settings()
        if self.connection.has_key:
            self.run_worker(self._warm_up(), group="warm-up", exit_on_error=False)

    async def _warm_up(self) -> None:
        """Build the client (starting the sandbox) and import the core, all in threads."""
        import asyncio

        try:
            await self.connection.client()
        except Exception:  # noqa: BLE001 - the integration check reports it in a widget
            pass
        await asyncio.to_thread(_import_core)

    @work(thread=True, group="settings", exit_on_error=False)
    def _load_settings(self) -> None:
        from kombo_tui.core.settings import load_settings

        try:
            settings = load_settings()
        except Exception:  # noqa: BLE001 - sandbox mode runs without them, as before
            settings = None
        self.call_from_thread(self._settings_loaded, settings)

    def _settings_loaded(self, settings: Settings | None) -> None:
        self._settings_later = False
        if settings is not None:
            self.settings = settings
            if self.connection.settings is None:
                self.connection.settings = settings
            main = self._main_screen()
            from .widgets.target import TargetPanel

            main.query_one(TargetPanel).set_suggestions(self.integration_suggestions())
            wanted = settings.integration_id
            if wanted and not self._cli_integration and (main.draft.integration_id or "") == self._initial[0]:
                field = main.query_one("#integration")
                if field.value == self._initial[0]:  # type: ignore[attr-defined]
                    field.value = wanted  # type: ignore[attr-defined]
        if self._remember_later:
            integration_id, self._remember_later = self._remember_later, None
            self.remember_integration(integration_id)

    def _first_run_done(self, choice: str | None) -> None:
        main = self._main_screen()
        if choice == "sandbox":
            from kombo_tui.sandbox.data import DEFAULT_INTEGRATION_ID

            self.connection.use_sandbox()
            main.refresh_environment()
            if not main.draft.integration_id:
                main.query_one("#integration").value = DEFAULT_INTEGRATION_ID  # type: ignore[attr-defined]
        elif choice == "saved":
            from kombo_tui.core.settings import load_settings

            self.settings = load_settings()
            self.connection.use_settings(self.settings)
            main.refresh_environment()
        if main.draft.integration_id:
            main.check_integration(main.draft.integration_id)

    def _main_screen(self) -> MainScreen:
        for screen in self.screen_stack:
            if isinstance(screen, MainScreen):
                return screen
        raise LookupError("main screen not installed")  # pragma: no cover

    @property
    def history(self) -> History:
        """The audit log, opened on first use (the core is imported lazily)."""
        if self._history is None:
            from kombo_tui.core.history import History

            self._history = History()
        return self._history

    # ------------------------------------------------------------------ settings

    def integration_suggestions(self) -> list[str]:
        recent = list(self.settings.recent_integrations) if self.settings else []
        if self.connection.sandbox:
            from kombo_tui.sandbox.data import INTEGRATIONS

            recent += [i.id for i in INTEGRATIONS if i.id not in recent]
        return recent

    def remember_integration(self, integration_id: str) -> None:
        """Put the id first in the recent list (config file), best effort."""
        if self.connection.sandbox and self.connection.transport is not None:
            return  # tests and screenshots: leave the user's config alone
        if self._settings_later:
            self._remember_later = integration_id  # once the recent list is read
            return
        recent = [integration_id] + [
            i for i in (self.settings.recent_integrations if self.settings else []) if i != integration_id
        ]
        recent = recent[:10]
        if self.settings is not None:
            if self.settings.recent_integrations[:1] == [integration_id]:
                return
            self.settings.recent_integrations = recent
        try:
            from kombo_tui.core.settings import save_config

            save_config({"recent_integrations": recent})
        except Exception:  # noqa: BLE001 - a read-only config dir must not break the flow
            return

    async def action_quit(self) -> None:
        await self.connection.aclose()
        self.exit(0)


def run_app(args: argparse.Namespace) -> int:
    """Run the app from the CLI's parsed arguments; returns the exit code."""
    settings: Any = None
    error: str | None = None
    if not args.sandbox:
        # The settings decide the first screen (the key, the region): read them first. The
        # sandbox needs neither, so there they are read after the first frame.
        from kombo_tui.core.errors import KomboError
        from kombo_tui.core.settings import load_settings

        try:
            settings = load_settings(region=args.region, base_url=args.base_url)
            settings.resolved_base_url()
        except KomboError as exc:
            error = str(exc)
            settings = None
    app = KomboApp(
        settings,
        sandbox=bool(args.sandbox),
        integration=args.integration,
        application=args.application,
        file=str(args.file) if args.file else None,
        startup_error=error,
        settings_later=bool(args.sandbox),
    )
    app.run()
    return int(app.return_code or 0)


def _import_core() -> None:
    """Import what sending needs (in a thread), so the first file or send does not stall the loop."""
    import kombo_tui.core.engine  # noqa: F401
    import kombo_tui.core.hints  # noqa: F401
    import kombo_tui.core.history  # noqa: F401
    import kombo_tui.core.payload  # noqa: F401
    import kombo_tui.core.sniff  # noqa: F401
