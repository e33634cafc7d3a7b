"""Small helpers shared by the panels."""

from __future__ import annotations

from typing import Any

from textual.app import ComposeResult
from textual.containers import Horizontal
from textual.widgets import Label


def field_row(label: str, *, row_id: str | None = None) -> Horizontal:
    """A one-line row: a fixed-width label and, inside the ``with`` block, its widget."""
    row = Horizontal(classes="field-row", id=row_id)
    row.compose_add_child(Label(label, classes="field-label"))
    return row


class DeferredFields:
    """Mixin for a panel painted in two steps: its frame in the first frame, its fields right after.

    The panel writes :meth:`compose_fields` instead of ``compose``; the fields are composed
    and mounted only when the screen calls :meth:`mount_fields` (after the first refresh), so
    the first frame does not wait for building, styling and laying out every field. Until
    then the panel's methods that touch its children return early; :meth:`on_fields_mounted`
    brings the children up to date.
    """

    fields_mounted = False
    _fields_wanted = False

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.add_class("-pending")  # type: ignore[attr-defined]  # keeps roughly its final height

    def compose(self) -> ComposeResult:
        if self._fields_wanted:
            yield from self.compose_fields()

    def compose_fields(self) -> ComposeResult:
        """The panel's children (override)."""
        yield from ()

    async def mount_fields(self) -> None:
        """Compose and mount the children (once), then bring them up to date."""
        if self._fields_wanted:
            return
        self._fields_wanted = True
        await self.recompose()  # type: ignore[attr-defined]
        self.remove_class("-pending")  # type: ignore[attr-defined]
        self.fields_mounted = True
        self.on_fields_mounted()

    def on_fields_mounted(self) -> None:
        """Fill the children from the panel's state (override)."""
