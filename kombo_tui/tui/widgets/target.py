"""Target: which integration (checked live), which application (or candidate) the file goes to,
and — listed on demand — what is already attached there."""

from __future__ import annotations

from dataclasses import dataclass

from textual import on
from textual.app import ComposeResult
from textual.containers import Horizontal, Vertical
from textual.message import Message
from textual.reactive import reactive
from textual.suggester import SuggestFromList
from textual.widgets import Button, Input, Select, Static

from kombo_tui.core.connectors import ACTION_ID, is_supported, tool_id_of

from ..present import attachments_lines, attachments_unavailable
from ..state import AttachmentsView, IntegrationView, PickedApplication, TargetKind
from ..text import Line, format_bytes, safe_line
from .common import NO_CONTROLS, Panel, RealValue, content, field_row

TARGET_KINDS: tuple[tuple[str, TargetKind], ...] = (("Application", "application"), ("Candidate", "candidate"))
"""The target switch's choices: (label, value)."""


class TargetPanel(Panel, Vertical):
    """Integration id with its live status and limits; the application (or, switched with F2,
    the candidate) with a picker; what is already attached there."""

    integration: reactive[IntegrationView] = reactive(IntegrationView, init=False)
    application: reactive[PickedApplication | None] = reactive(None, init=False)
    candidate: reactive[PickedApplication | None] = reactive(None, init=False)
    """The candidate picked with F3 in candidate mode (its ``id`` is the candidate's)."""
    attachments: reactive[AttachmentsView] = reactive(AttachmentsView, init=False)

    @dataclass
    class IntegrationEdited(Message):
        """The integration id was edited."""

        panel: TargetPanel
        """The panel that sent it."""
        value: str
        """The id, stripped."""

        @property
        def control(self) -> TargetPanel:
            """The panel that sent it (``@on(…, "#id")`` matches on it)."""
            return self.panel

    @dataclass
    class ApplicationEdited(Message):
        """The application id was edited."""

        panel: TargetPanel
        """The panel that sent it."""
        value: str
        """The id, stripped."""

        @property
        def control(self) -> TargetPanel:
            """The panel that sent it (``@on(…, "#id")`` matches on it)."""
            return self.panel

    @dataclass
    class CandidateEdited(Message):
        """The candidate id was edited."""

        panel: TargetPanel
        """The panel that sent it."""
        value: str
        """The id, stripped."""

        @property
        def control(self) -> TargetPanel:
            """The panel that sent it (``@on(…, "#id")`` matches on it)."""
            return self.panel

    @dataclass
    class TargetSwitched(Message):
        """The user switched between the application and the candidate endpoint."""

        panel: TargetPanel
        """The panel that sent it."""
        kind: TargetKind
        """Where the file goes now."""

        @property
        def control(self) -> TargetPanel:
            """The panel that sent it (``@on(…, "#id")`` matches on it)."""
            return self.panel

    @dataclass
    class PickRequested(Message):
        """The user wants the application picker."""

        panel: TargetPanel
        """The panel that sent it."""

        @property
        def control(self) -> TargetPanel:
            """The panel that sent it (``@on(…, "#id")`` matches on it)."""
            return self.panel

    def __init__(
        self, suggestions: list[str], integration_id: str, application_id: str, *, sandbox: list[str] | None = None
    ) -> None:
        super().__init__(id="target")
        self._empty_hint = ENTER_INTEGRATION
        """What the status line says while no integration is given (the sandbox's ids, in a sandbox)."""
        if sandbox:
            self._empty_hint = f"Sandbox integrations (→ completes): {' · '.join(sandbox)}"
        self._suggestions = suggestions
        self._integration_id = integration_id
        self._application_id = application_id
        self._application_value = RealValue()
        """A picked id the terminal cannot show: escaped in the input, the real one kept."""
        self._candidate_value = RealValue()
        self.kind: TargetKind = "application"
        """Which id is shown and sent (the switch's value)."""
        self.border_title = "Target"

    def compose_fields(self) -> ComposeResult:
        with field_row("Integration"):
            yield Input(
                self._integration_id,
                placeholder="tool:id — → completes recent ids",
                suggester=SuggestFromList(self._suggestions, case_sensitive=False),
                compact=True,
                restrict=NO_CONTROLS,
                id="integration",
            )
        yield Static("", id="integration-status", classes="detail")
        yield Static("", id="integration-limits", classes="detail")
        with Horizontal(classes="field-row", id="target-row"):
            yield Select(TARGET_KINDS, value="application", allow_blank=False, compact=True, id="target-kind")
            with Horizontal(classes="with-button"):
                yield Input(
                    self._application_id,
                    placeholder="application id, or F3",
                    compact=True,
                    restrict=NO_CONTROLS,
                    id="application",
                )
                yield Input(
                    placeholder="candidate id, or F3",
                    compact=True,
                    restrict=NO_CONTROLS,
                    id="candidate",
                )
                yield Button("Pick… F3", id="pick", compact=True)
        yield Static("", id="application-info", classes="detail")
        with field_row("Attached", row_id="attachments-row"):
            yield Static("", id="target-attachments")

    def on_fields_mounted(self) -> None:
        self.query_one("#candidate", Input).display = False
        self._render_integration()
        self._render_application()
        self._render_attachments()

    def set_suggestions(self, suggestions: list[str]) -> None:
        self.query_one("#integration", Input).suggester = SuggestFromList(suggestions, case_sensitive=False)

    def set_application_id(self, value: str) -> None:
        """Show the picked id; one the terminal cannot show as is appears escaped (the real id is kept)."""
        field = self.query_one("#application", Input)
        with field.prevent(Input.Changed):
            field.value = self._application_value.shown(value)

    def set_candidate_id(self, value: str) -> None:
        """Show a candidate id (one the terminal cannot show appears escaped; the real id is kept)."""
        field = self.query_one("#candidate", Input)
        with field.prevent(Input.Changed):
            field.value = self._candidate_value.shown(value)

    def show_target(self, kind: TargetKind) -> None:
        """Show the switch at ``kind`` and that kind's id field (the screen's draft says which)."""
        self.kind = kind
        if not self.fields_mounted:
            return
        select = self.query_one("#target-kind", Select)
        if select.value != kind:
            with select.prevent(Select.Changed):
                select.value = kind
        self.query_one("#application", Input).display = kind == "application"
        self.query_one("#candidate", Input).display = kind == "candidate"
        self._render_application()

    def switch_target(self) -> None:
        """Switch between the application and the candidate (F2): the other id field takes focus."""
        kind: TargetKind = "candidate" if self.kind == "application" else "application"
        self.show_target(kind)
        self.post_message(self.TargetSwitched(self, kind))
        self.query_one(f"#{kind}", Input).focus()

    @on(Select.Changed, "#target-kind")
    def _kind_chosen(self, event: Select.Changed) -> None:
        event.stop()
        kind: TargetKind = "candidate" if event.value == "candidate" else "application"
        if kind != self.kind:
            self.show_target(kind)
            self.post_message(self.TargetSwitched(self, kind))

    @on(Input.Changed, "#candidate")
    def _candidate_changed(self, event: Input.Changed) -> None:
        event.stop()
        self.post_message(self.CandidateEdited(self, self._candidate_value.real(event.value.strip())))

    @on(Input.Changed, "#integration")
    def _integration_changed(self, event: Input.Changed) -> None:
        event.stop()
        self.post_message(self.IntegrationEdited(self, event.value.strip()))

    @on(Input.Changed, "#application")
    def _application_changed(self, event: Input.Changed) -> None:
        event.stop()
        self.post_message(self.ApplicationEdited(self, self._application_value.real(event.value.strip())))

    @on(Button.Pressed, "#pick")
    def _pick(self, event: Button.Pressed) -> None:
        event.stop()
        self.post_message(self.PickRequested(self))

    def watch_integration(self) -> None:
        self._render_integration()

    def watch_application(self) -> None:
        self._render_application()

    def watch_candidate(self) -> None:
        self._render_application()

    def watch_attachments(self) -> None:
        self._render_attachments()

    def _render_integration(self) -> None:
        if not self.fields_mounted:
            return
        view = self.integration
        status = self.query_one("#integration-status", Static)
        limits = self.query_one("#integration-limits", Static)
        field = self.query_one("#integration", Input)
        field.set_class(bool(view.error), "-invalid")
        if not view.integration_id:
            status.update(content(((safe_line(self._empty_hint, 1000), "dim"),)))
            limits.update("")
            return
        if view.checking:
            status.update(content((("Checking the integration…", "dim"),)))
            limits.update("")
            return
        if view.error:
            status.update(content(((f"✗ {safe_line(view.error)}", "$error"),)))
            limits.update(content(((safe_line(view.hint or ""), "dim"),)))
            return
        details = view.details
        if details is None:
            status.update("")
            limits.update("")
            return
        label = safe_line(details.tool.label)
        parts: list[Line] = [((label, "b"),)]
        parts.append(_state("status", details.status, ok=("ACTIVE",)))
        parts.append(_state("setup", details.setup_status, ok=("COMPLETED",)))
        tool = details.tool.id or tool_id_of(details.id)
        action = details.write_action(ACTION_ID)
        fallback: Line | None = None
        if not is_supported(tool):
            # Such a tool reports the action as unavailable although the upload succeeds (on
            # the candidate): one line that says what will happen, not "✗ not available".
            fallback = (
                ("attachments → candidate", "$warning"),
                (" ", ""),
                (f"({label} cannot attach to applications; Kombo adds the file to the candidate)", "dim"),
            )
        elif action is None:
            parts.append((("attachments: not listed", "$warning"),))
        elif action.is_available:
            parts.append((("attachments ✓", "$success"),))
        else:
            why = attachments_unavailable(view)
            reason = f" ({safe_line(why)})" if why else ""
            parts.append(((f"attachments ✗ not available{reason}", "$error"),))
        first: Line = tuple(piece for index, part in enumerate(parts) for piece in ((" · ", ""),) * bool(index) + part)
        status.update(content(first, fallback) if fallback else content(first))
        limits.update(content(*_limits_lines(view)))

    def _render_application(self) -> None:
        if not self.fields_mounted:
            return
        info = self.query_one("#application-info", Static)
        picked = self.application
        if self.kind == "candidate":
            warn: Line = (("⚠ Kombo recommends the application", "$warning"), (" (F2)", "dim"))
            if self.candidate is not None:
                info.update(content(safe_line(self.candidate.describe()), warn))
            else:
                info.update(content(warn))
        elif picked is None:
            info.update(content((("F3 opens the picker: search by name, email or job.", "dim"),)))
        else:
            info.update(content(safe_line(picked.describe())))


    def _render_attachments(self) -> None:
        if not self.fields_mounted:
            return
        lines = attachments_lines(self.attachments)
        self.query_one("#target-attachments", Static).update(content(*lines) if lines else "")
        self.query_one("#attachments-row").display = bool(lines)


ENTER_INTEGRATION = "Enter the integration id (Kombo dashboard → Integrations)."


def _state(name: str, value: str | None, ok: tuple[str, ...]) -> Line:
    if value is None:
        return ((f"{name} ", ""), ("unknown", "dim"))
    colour = "$success" if value in ok else "$warning"
    return ((f"{name} ", ""), (safe_line(value), colour))


def _limits_lines(view: IntegrationView) -> list[Line]:
    from kombo_tui.core.files.mime import short_name  # known only once the client is up: not for the first frame

    if not view.restrictions_known:
        return [(("Limits: loading…", "dim"),)]
    if view.restrictions is None:
        return [(("Limits: none published for this integration.", "dim"),)]
    groups: dict[Line, list[str]] = {}
    for kind, rule in view.restrictions.types.items():
        text: Line
        if not rule.is_supported:
            text = (("not accepted", "$error"),)
        else:
            size = f"≤ {format_bytes(int(rule.max_file_size_bytes))}" if rule.max_file_size_bytes else "any size"
            mimes = " ".join(short_name(m) for m in rule.accepted_mime_types) if rule.accepted_mime_types else "any type"
            text = ((f"{size} · {safe_line(mimes)}", ""),)
        groups.setdefault(text, []).append(safe_line(kind))
    lines: list[Line] = [((", ".join(kinds), "b"), (": ", ""), *text) for text, kinds in groups.items()]
    first = lines[0] if lines else ()
    return [(("Limits", "dim"), (" ", ""), *first), *lines[1:]]
