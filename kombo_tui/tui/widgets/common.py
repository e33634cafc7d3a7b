"""Small helpers shared by the panels."""

from __future__ import annotations

from textual.containers import Horizontal
from textual.widgets import Label


def field_row(label: str, *, row_id: str | None = None) -> Horizontal:
    """A one-line row: a fixed-width label and, inside the ``with`` block, its widget."""
    row = Horizontal(classes="field-row", id=row_id)
    row.compose_add_child(Label(label, classes="field-label"))
    return row


def format_bytes(size: int) -> str:
    """``1.2 MB`` style (powers of 1024, as ATS limits are usually written)."""
    value = float(size)
    for unit in ("bytes", "KB", "MB", "GB"):
        if value < 1024 or unit == "GB":
            if unit == "bytes":
                return f"{int(value):,} bytes"
            return f"{value:.1f} {unit}".replace(".0 ", " ")
        value /= 1024
    return f"{size:,} bytes"  # pragma: no cover
