"""What the panels share: the deferred-fields contract, a labelled row, the attachment types, and
:func:`content`, the one way styled text with outside strings in it is put on the screen."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from textual.app import ComposeResult
from textual.containers import Horizontal
from textual.content import Content
from textual.widgets import Label

from kombo_tui.core.text import one_line

from ..text import Line

if TYPE_CHECKING:
    from textual.widget import Widget

NO_CONTROLS = r"[^\x00-\x1f\x7f-\x9f]*"
"""``Input(restrict=…)`` for ids and filters: a paste holding control characters is refused
(a terminal would otherwise get them raw: an input shows its value as it is)."""

class RealValue:
    """A value an input cannot show as it is (control characters, bytes that are not UTF-8).

    An input draws its value raw, so such a value is put in escaped (``\\x1b``) and the real
    one is kept beside it: while the input holds exactly the escaped text, :meth:`real` gives
    the real value back (what is sent); once the user edits it, the text is theirs.
    """

    def __init__(self) -> None:
        self._pair: tuple[str, str] | None = None

    def shown(self, value: str) -> str:
        """What to put in the input for ``value`` (remembering the real one if they differ)."""
        shown = one_line(value)
        self._pair = (shown, value) if shown != value else None
        return shown

    def real(self, text: str) -> str:
        """The real value behind ``text`` (``text`` itself unless it is the escaped one)."""
        return self._pair[1] if self._pair is not None and text == self._pair[0] else text


ATTACHMENT_TYPES = (("CV", "CV"), ("Cover letter", "COVER_LETTER"), ("Other", "OTHER"))
"""The attachment types as a ``Select`` offers them: (label, value)."""


def content(*lines: Line | Content | str) -> Content:
    """Lines as Textual ``Content``, joined by newlines; nothing in them is read as markup.

    A line is a plain string, ``Content``, or ``(text, style)`` pieces (:data:`~kombo_tui.tui.text.Line`):
    ``content((("✗ ", "$error"), (name, "b")))``. Strings from outside must already have gone
    through :func:`~kombo_tui.tui.text.safe_line` (control characters made visible).
    """
    parts: list[Content | str] = []
    for line in lines:
        if isinstance(line, tuple):
            parts.append(Content.assemble(*(piece for piece in line if piece[0])))
        else:
            parts.append(line)
    if len(parts) == 1:
        only = parts[0]
        return only if isinstance(only, Content) else Content(only)
    return Content("\n").join(parts)


def field_row(label: str, *, row_id: str | None = None) -> Horizontal:
    """A one-line row: a fixed-width label and, inside the ``with`` block, its widget."""
    row = Horizontal(classes="field-row", id=row_id)
    row.compose_add_child(Label(label, classes="field-label"))
    return row


if TYPE_CHECKING:
    _PanelBase = Widget  # what the mixin is mixed into, for the type checker
else:
    _PanelBase = object


class Panel(_PanelBase):
    """A form panel painted in two steps: its frame in the first frame, its fields right after.

    Every panel of the main screen is one (``class TargetPanel(Panel, Vertical)``): it writes
    :meth:`compose_fields` instead of ``compose`` (and :meth:`compose_first` for anything
    the first frame must already show). The screen calls :meth:`mount_fields` on every panel
    after the first refresh, so the first frame does not wait for building, styling and
    laying out every field. Until then the panel's methods that touch those fields return
    early (they check :attr:`fields_mounted`); :meth:`on_fields_mounted` brings the fields
    up to date.

    A mixin rather than a ``Widget`` subclass: Textual takes a widget's default CSS and its
    focusability from its first widget base, which must stay the container (``Vertical``,
    ``VerticalScroll``).
    """

    fields_mounted = False
    """True once :meth:`mount_fields` has mounted the fields."""
    _fields_wanted = False

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.add_class("-pending")  # the CSS keeps roughly the final height until then

    def compose(self) -> ComposeResult:
        yield from self.compose_first()
        if self._fields_wanted:
            yield from self.compose_fields()

    def compose_first(self) -> ComposeResult:
        """Children shown in the first frame already (override; none by default)."""
        yield from ()

    def compose_fields(self) -> ComposeResult:
        """The children that follow the first frame (override)."""
        yield from ()

    async def mount_fields(self) -> None:
        """Compose and mount the fields (once), then bring them up to date."""
        if self._fields_wanted:
            return
        self._fields_wanted = True
        await self.recompose()
        self.remove_class("-pending")
        self.fields_mounted = True
        self.on_fields_mounted()

    def on_fields_mounted(self) -> None:
        """Fill the fields from the panel's state (override)."""
