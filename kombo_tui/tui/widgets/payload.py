"""Payload: the exact request that will be sent (base64 elided unless asked for, small files only)."""

from __future__ import annotations

import json
from typing import TYPE_CHECKING

from rich.console import Group
from rich.highlighter import JSONHighlighter
from rich.text import Text
from textual.containers import VerticalScroll
from textual.reactive import reactive
from textual.widgets import Static

from kombo_tui.core.text import inert

from ..state import BatchFile, TargetKind
from ..text import Line, format_bytes, safe_line
from .common import Panel, content

if TYPE_CHECKING:
    from kombo_tui.core.payload import PreparedUpload

FULL_BODY_LIMIT = 32 * 1024
"""Largest file whose full base64 the panel will show (bigger ones would bog the terminal)."""


class PayloadPanel(Panel, VerticalScroll):
    """The request line, headers and JSON body."""

    upload: reactive[PreparedUpload | None] = reactive(None, init=False, always_update=True)
    problems: reactive[tuple[str, ...]] = reactive(tuple, init=False)
    full: reactive[bool] = reactive(False, init=False)
    base_url: reactive[str] = reactive("", init=False)
    target_kind: reactive[TargetKind] = reactive("application", init=False)
    """The endpoint the form is switched to (its path shows while no id is given)."""
    more: reactive[tuple[BatchFile, ...]] = reactive(tuple, init=False)
    """Further files of a batch: each is its own request, summed up under the first one's."""

    def __init__(self) -> None:
        super().__init__(id="payload-panel")
        self.border_title = "Payload"
        self.border_subtitle = "F6 full body · F7 export curl"
        self.text = ""
        """The JSON body as shown (plain text)."""

    def compose_fields(self):  # type: ignore[no-untyped-def]
        yield Static("", id="payload-body")

    def on_fields_mounted(self) -> None:
        self._refresh_view()

    def watch_upload(self) -> None:
        self._refresh_view()

    def watch_problems(self) -> None:
        self._refresh_view()

    def watch_full(self) -> None:
        self._refresh_view()

    def watch_base_url(self) -> None:
        self._refresh_view()

    def watch_target_kind(self) -> None:
        self._refresh_view()

    def watch_more(self) -> None:
        self._refresh_view()

    def _refresh_view(self) -> None:
        if not self.fields_mounted:
            return
        body = self.query_one("#payload-body", Static)
        upload = self.upload
        self.text = ""
        if upload is None:
            lines: list[Line] = [(("The request appears here once a file (or a data_url) is chosen.", "dim"),)]
            lines += [((f"• {safe_line(p)}", "$warning"),) for p in self.problems]
            body.update(content(*lines))
            return
        from kombo_tui.core.wire.export import upload_url

        head = Text()
        if self.more:
            head.append(f"File 1 of {len(self.more) + 1}", style="bold")
            head.append(" · one request per file; the others below\n", style="dim")
        head.append("POST ", style="bold")
        head.append(safe_line(upload_url(upload, self.base_url or "…", self.target_kind, readable=True)))
        head.append("\nAuthorization: ", style="dim")
        head.append("Bearer •••• (never shown)")
        head.append("\nX-Integration-Id: ", style="dim")
        head.append(safe_line(upload.integration_id or "{integration_id}"))
        head.append("\nContent-Length: ", style="dim")
        head.append(f"{upload.content_length:,}")
        parts: list[object] = [head]
        full = self.full and upload.file is not None and upload.size <= FULL_BODY_LIMIT
        note = ""
        if self.full and upload.file is not None and upload.size > FULL_BODY_LIMIT:
            note = (
                f"Full body not shown: the file is {format_bytes(upload.size)} "
                f"(limit {format_bytes(FULL_BODY_LIMIT)}). Export it with F7."
            )
        try:
            preview = upload.preview(full=full)
        except Exception as exc:  # noqa: BLE001 - the file changed under us; say so
            parts.append(Text(f"Cannot read the file for the full body: {safe_line(exc)}", style="red"))
        else:
            # JSON escapes C0 controls itself; C1 controls, DEL and bidi overrides are made visible.
            self.text = inert(json.dumps(preview, ensure_ascii=False, indent=2))
            parts.append(JSONHighlighter()(Text(self.text, overflow="fold")))
        if note:
            parts.append(Text(note, style="italic"))
        for problem in self.problems:
            parts.append(Text(f"• {safe_line(problem)}", style="yellow"))
        if self.more:
            parts.append(_batch_summary(self.more))
        body.update(Group(*parts))  # type: ignore[arg-type]


def _batch_summary(more: tuple[BatchFile, ...]) -> Text:
    """One line per further file: the same request with its own name, type and data."""
    total = len(more) + 1
    out = Text()
    for number, item in enumerate(more, start=2):
        out.append(f"\nFile {number} of {total}: ", style="bold")
        out.append(safe_line(item.path.name))
        if item.state == "ready":
            mime = safe_line(item.sniffed.mime) if item.sniffed else "?"
            out.append(f" · {item.type} · {format_bytes(item.size or 0)} · {mime}", style="dim")
        elif item.state == "inspecting":
            out.append(" · reading…", style="dim")
        if item.error:
            out.append(f" · {safe_line(item.error)}", style="yellow")
    return out
