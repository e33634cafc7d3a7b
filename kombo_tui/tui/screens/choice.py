"""A small modal that asks before anything irreversible (sending, resending)."""

from __future__ import annotations

from collections.abc import Sequence

from textual import on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical
from textual.content import Content
from textual.screen import ModalScreen
from textual.widgets import Button, Static


class ChoiceScreen(ModalScreen[str | None]):
    """Title, a few lines of text, and buttons; dismisses with the chosen value (None = escape).

    The title and the body are shown as given: Textual ``Content`` (built from outside values
    placed as text, see :func:`~kombo_tui.tui.widgets.common.content`) or plain strings, never
    read as markup.
    """

    BINDINGS = [Binding("escape", "cancel", "Cancel", id="choice.cancel")]

    def __init__(
        self,
        title: str | Content,
        body: str | Content,
        choices: Sequence[tuple[str, str, str]],
        *,
        focus: str | None = None,
        screen_id: str = "choice",
    ) -> None:
        """``choices`` are ``(label, value, variant)``; ``focus`` is the value focused first."""
        super().__init__(id=screen_id, classes="dialog-screen")
        self._title = title
        self._body = body
        self._choices = list(choices)
        self._focus = focus

    def compose(self) -> ComposeResult:
        with Vertical(classes="dialog"):
            yield Static(self._title, classes="dialog-title", markup=False)
            yield Static(self._body, classes="dialog-body", markup=False)
            with Horizontal(classes="dialog-buttons"):
                for label, value, variant in self._choices:
                    yield Button(label, id=f"choice-{value}", variant=variant)  # type: ignore[arg-type]

    def on_mount(self) -> None:
        if self._focus:
            self.query_one(f"#choice-{self._focus}", Button).focus()

    @on(Button.Pressed)
    def _chosen(self, event: Button.Pressed) -> None:
        event.stop()
        assert event.button.id is not None
        self.dismiss(event.button.id.removeprefix("choice-"))

    def action_cancel(self) -> None:
        self.dismiss(None)
