"""The Textual app: wiring only. State lives in the screens, work in their workers.

:func:`make_app` builds the :class:`~kombo_tui.tui.session.Session` and the app around it
(the CLI, the tests and the screenshot script all use it); :func:`run_app` is the CLI's door.
The app hands the session to the main screen and talks to it only through
:mod:`kombo_tui.tui.messages`.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from textual import on, work
from textual.app import App
from textual.binding import Binding

from . import themes
from .commands import KomboCommands
from .messages import EnvironmentChanged, MainScreenReady, SettingsLoaded
from .screens.main import MainScreen
from .session import Connection, Session
from .state import Initial

QUIT_DIALOG = "quit-dialog"

if TYPE_CHECKING:
    import httpx

    from kombo_tui.core.config.settings import Settings
    from kombo_tui.core.history import History

__all__ = ["KomboApp", "make_app", "run_app"]


class KomboApp(App[int]):
    """Add a file to a candidate's application, keyboard first.

    Args:
        session: Where to send, the audit log, the settings (see :func:`make_app`).
        initial: What the main screen starts with.
        theme: ``textual-dark`` or ``textual-light``.
        startup_error: A settings problem to show on the first-run screen.
    """

    CSS_PATH = "app.tcss"
    TITLE = "kombo-tui"
    COMMANDS = App.COMMANDS | {KomboCommands}
    BINDINGS = [Binding("ctrl+q", "quit", "Quit", id="app.quit", priority=True)]

    def __init__(
        self,
        session: Session,
        *,
        initial: Initial | None = None,
        theme: str = "textual-dark",
        startup_error: str | None = None,
    ) -> None:
        super().__init__()
        themes.install(self)
        self.session = session
        self.startup_error = startup_error
        self._initial = initial or Initial()
        self._initial_theme = theme

    def run(self, *args: Any, **kwargs: Any) -> int | None:
        """Run the app in this terminal; inside a running event loop (a notebook cell) refuse at
        once, pointing to ``kombo-tui serve`` (the app would dump escape codes into the cell)."""
        from kombo_tui.core.running import refuse_inside_running_loop

        refuse_inside_running_loop()
        return super().run(*args, **kwargs)

    def get_default_screen(self) -> MainScreen:
        return MainScreen(self.session, initial=self._initial)

    def on_mount(self) -> None:
        self.theme = self._initial_theme
        if not self.session.connection.has_key:
            from .screens.first_run import FirstRunScreen

            self.push_screen(FirstRunScreen(self.startup_error, id="first-run-screen"), self._first_run_done)

    @on(MainScreenReady)
    def _main_ready(self) -> None:
        """The main screen's fields are mounted: now load what the first frame did not need."""
        if self.session.connection.env_file_question is not None:
            self._ask_about_env_file()
        if self.session.settings_later:
            self._load_settings()
        if self.session.connection.has_key:
            self.run_worker(self.session.warm_up(), group="warm-up", exit_on_error=False)

    @work(thread=True, group="settings", exit_on_error=False)
    def _load_settings(self) -> None:
        settings = self.session.read_settings()
        self.call_from_thread(self._settings_loaded, settings)

    def _settings_loaded(self, settings: Settings | None) -> None:
        integration = self.session.settings_read(settings)
        if settings is not None:
            self._main_screen().post_message(SettingsLoaded(integration))

    def _ask_about_env_file(self) -> None:
        """A ``.env`` here would send the key from elsewhere to a place of its choosing: ask."""
        from .screens.choice import ChoiceScreen
        from .text import safe_line

        question = self.session.connection.env_file_question
        assert question is not None
        body = (
            f"{safe_line(question.path)} sets {', '.join(question.names)}, but your API key comes from elsewhere. "
            "A .env is whatever file sits in this folder (a folder someone sent, say): used, it would "
            "decide where your key and files go. Until you choose, it is left out and nothing is sent there."
        )
        choices = [("Leave it out", "ignore", "primary"), ("Use it", "trust", "warning")]

        def chosen(value: str | None) -> None:
            connection = self.session.connection
            if value == "trust":
                connection.trust_env_file()
                self._main_screen().post_message(EnvironmentChanged(None))
            else:
                connection.env_file_question = None

        self.push_screen(
            ChoiceScreen("Use this folder's .env?", body, choices, focus="ignore", screen_id="env-file-question"), chosen
        )

    def _first_run_done(self, choice: str | None) -> None:
        default = None
        if choice == "sandbox":
            self.session.use_sandbox()
            default = self.session.connection.target.integration_id
        elif choice == "saved":
            self.session.use_saved_settings()
        self._main_screen().post_message(EnvironmentChanged(default))

    def _main_screen(self) -> MainScreen:
        for screen in self.screen_stack:
            if isinstance(screen, MainScreen):
                return screen
        raise LookupError("main screen not installed")  # pragma: no cover

    async def action_quit(self) -> None:
        """Quit; with an upload or a bulk run in flight, ask first and say what becomes unknown."""
        busy = [str(what) for screen in self.screen_stack if (what := getattr(screen, "in_flight", None))]
        if not busy or self.screen.id == QUIT_DIALOG:
            await self._quit()
            return
        from .screens.choice import ChoiceScreen

        async def chosen(value: str | None) -> None:
            if value == "quit":
                await self._quit()

        body = (
            f"{' and '.join(busy).capitalize()} is in flight. Quitting cancels it: a file whose body "
            "already went out may have landed, and its outcome becomes unknown (the history keeps it, and "
            "Verify, a resend or a rerun checks the attachments before sending it again)."
        )
        choices = [("Keep sending", "stay", "primary"), ("Quit anyway", "quit", "error")]
        await self.push_screen(ChoiceScreen("Quit while sending?", body, choices, focus="stay", screen_id=QUIT_DIALOG), chosen)

    async def _quit(self) -> None:
        await self.session.aclose()
        self.exit(0)


def make_app(
    settings: Settings | None = None,
    *,
    sandbox: bool = False,
    transport: httpx.AsyncBaseTransport | None = None,
    region: str | None = None,
    base_url: str | None = None,
    integration: str | None = None,
    application: str | None = None,
    file: str | None = None,
    startup_error: str | None = None,
    theme: str = "textual-dark",
    history: History | None = None,
    settings_later: bool = False,
    trust_env_file: bool = False,
) -> KomboApp:
    """Build the app and its session.

    Where to send and with which key is resolved here, as the CLI resolves it
    (:meth:`kombo_tui.core.target.Target.resolve`): a problem with the settings (an unsafe
    base URL, a config file that cannot be used) is shown on the first-run screen.

    Args:
        settings: The settings, for the recent integrations (else none, or read later).
        sandbox: Talk to the embedded sandbox.
        transport: An httpx transport for the client (tests mount the sandbox in-process).
        region: ``eu``, ``us`` or ``ca`` (else the settings').
        base_url: A custom API base URL (else the region's).
        integration: The integration to start with (else the settings' or the sandbox's).
        application: The application id to start with.
        file: The file to start with.
        startup_error: A settings problem to show on the first-run screen.
        theme: ``textual-dark`` or ``textual-light``.
        history: The audit log (default: ``History()`` in the platform data dir).
        settings_later: Read the settings in a thread after the first frame (nothing before
            the first frame depends on them): recent integrations apply once they are read.
        trust_env_file: Let a ``.env`` here choose where requests go for a key from elsewhere
            (otherwise the first-run screen says why it is refused).
    """
    connection = Connection(
        sandbox=sandbox, transport=transport, region=region, base_url=base_url, trust_env_file=trust_env_file
    )
    session = Session(
        connection,
        settings=settings,
        history=history,
        settings_later=settings_later,
        cli_integration=integration,
    )
    initial = Initial(session.initial_integration(), application or "", file or "")
    error = startup_error or connection.problem
    return KomboApp(session, initial=initial, theme=theme, startup_error=error)


def run_app(
    *,
    sandbox: bool = False,
    region: str | None = None,
    base_url: str | None = None,
    integration: str | None = None,
    application: str | None = None,
    file: str | None = None,
    trust_env_file: bool = False,
) -> int:
    """Run the app until it quits; returns the exit code.

    Args:
        sandbox: Talk to the embedded sandbox (no account needed).
        region: ``eu``, ``us`` or ``ca`` (else the settings').
        base_url: A custom API base URL (else the region's).
        integration: The integration to start with.
        application: The application id to start with.
        file: The file to start with.
        trust_env_file: Let a ``.env`` here choose where requests go for a key from elsewhere.
    """
    app = make_app(
        sandbox=sandbox,
        region=region,
        base_url=base_url,
        integration=integration,
        application=application,
        file=file,
        settings_later=True,
        trust_env_file=trust_env_file,
    )
    app.run()
    return int(app.return_code or 0)
