"""The command palette (ctrl+p): every action of the main screen, searchable by name."""

from __future__ import annotations

from functools import partial
from typing import TYPE_CHECKING

from textual.command import DiscoveryHit, Hit, Hits, Provider

if TYPE_CHECKING:
    from .screens.main import MainScreen

EXTRA: tuple[tuple[str, str, str], ...] = (
    ("Focus integration", "Jump to the integration id", "focus_field('#integration')"),
    ("Focus application id", "Jump to the application id", "focus_field('#application')"),
    ("Focus file path", "Jump to the file path", "focus_field('#path')"),
    ("Focus attachment name", "Jump to the attachment name", "focus_field('#name')"),
    ("Focus content type", "Jump to the content type", "focus_field('#content-type')"),
)


class KomboCommands(Provider):
    """Actions of the main screen (from its bindings) plus a few jumps."""

    def _commands(self) -> list[tuple[str, str, str]]:
        from .screens.main import MainScreen

        out = []
        for binding in MainScreen.BINDINGS:
            out.append((binding.description, binding.tooltip or "", binding.action))  # type: ignore[union-attr]
        out.extend(EXTRA)
        return out

    def _main(self) -> MainScreen | None:
        from .screens.main import MainScreen

        for screen in reversed(self.app.screen_stack):
            if isinstance(screen, MainScreen):
                return screen
        return None

    async def discover(self) -> Hits:
        main = self._main()
        if main is None:
            return
        for title, help_text, action in self._commands():
            yield DiscoveryHit(title, partial(main.run_action, action), help=help_text)

    async def search(self, query: str) -> Hits:
        main = self._main()
        if main is None:
            return
        matcher = self.matcher(query)
        for title, help_text, action in self._commands():
            score = matcher.match(title)
            if score > 0:
                yield Hit(score, matcher.highlight(title), partial(main.run_action, action), help=help_text)
