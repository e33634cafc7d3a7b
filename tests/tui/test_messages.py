"""Every message a panel or table posts names its sender, as Textual's own widgets do.

So a handler can say which panel it listens to (``@on(AttachmentPanel.Edited,
"#attachment-panel")``) and see who spoke: Textual matches the selector on the message's
``control``, and refuses the decorator for a message without one.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from textual import on
from textual.message import Message
from textual.widget import Widget

from kombo_tui.tui.widgets.attachment import AttachmentPanel
from kombo_tui.tui.widgets.file_panel import FilePanel
from kombo_tui.tui.widgets.remote import RemoteFieldsPanel
from kombo_tui.tui.widgets.result import ResultPanel
from kombo_tui.tui.widgets.target import TargetPanel
from kombo_tui.tui.widgets.virtual_table import VirtualTable

MESSAGES: list[tuple[Callable[[], Widget], type[Message], tuple[Any, ...]]] = [
    (lambda: TargetPanel([], "", ""), TargetPanel.IntegrationEdited, ("greenhouse:x",)),
    (lambda: TargetPanel([], "", ""), TargetPanel.ApplicationEdited, ("APP1",)),
    (lambda: TargetPanel([], "", ""), TargetPanel.PickRequested, ()),
    (FilePanel, FilePanel.PathEdited, ("cv.pdf",)),
    (FilePanel, FilePanel.BrowseRequested, ()),
    (FilePanel, FilePanel.AddRequested, ("letter.pdf",)),
    (FilePanel, FilePanel.RemoveRequested, (3,)),
    (FilePanel, FilePanel.TypeChosen, (3, "CV")),
    (AttachmentPanel, AttachmentPanel.Edited, ("name", "cv.pdf")),
    (RemoteFieldsPanel, RemoteFieldsPanel.Edited, (None, None)),
    (ResultPanel, ResultPanel.VerifyRequested, ()),
    (ResultPanel, ResultPanel.CancelRequested, ()),
    (lambda: VirtualTable([("A", 4)]), VirtualTable.Highlighted, (0,)),
    (lambda: VirtualTable([("A", 4)]), VirtualTable.Selected, (0,)),
]


@pytest.mark.parametrize(("make", "message_type", "args"), MESSAGES, ids=[m.__qualname__ for _, m, _ in MESSAGES])
def test_message_carries_its_sender(make: Callable[[], Widget], message_type: type[Message], args: tuple[Any, ...]) -> None:
    sender = make()
    message = message_type(sender, *args)  # type: ignore[call-arg]
    assert message.control is sender

    @on(message_type, "#some-panel")  # raises OnDecoratorError for a message without a control
    def handler(self: object, event: Message) -> None:  # pragma: no cover - never called
        pass
