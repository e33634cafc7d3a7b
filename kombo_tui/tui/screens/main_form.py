"""The main screen's form: the state its panels are bound to, their layout, and the inputs that
edit the draft directly (the file, a batch's further files, the attachment and remote fields).

:class:`MainForm` holds every record the panels show (reactives the panels are bound to): the
draft and the inspected file, and copies of the records the two flows keep
(:mod:`kombo_tui.tui.flows`, the one truth), assigned from them only. It also answers the keys
that touch neither flow (the payload, export, the other screens). The flows' wiring (checks,
picks, confirm, upload, verify) is :class:`~kombo_tui.tui.screens.main.MainScreen`'s.

Long work never runs on the event loop: sniffing and hashing in thread workers.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import TYPE_CHECKING

from textual import events, on, work
from textual.app import ComposeResult
from textual.containers import Horizontal, Vertical, VerticalScroll
from textual.reactive import var
from textual.screen import Screen
from textual.timer import Timer
from textual.widgets import Input, TextArea
from textual.worker import get_current_worker

from kombo_tui.core.connectors import tool_id_of
from kombo_tui.core.errors import KomboError
from kombo_tui.core.net import safe_link

from .. import services
from ..flows.send import SendFlow
from ..flows.target import TargetFlow, nothing_yet
from ..inspect import inspect, path_problem
from ..paths import resolve_path
from ..perf import Throttle
from ..state import (
    AttachmentsView,
    BatchFile,
    DraftView,
    FileView,
    Initial,
    IntegrationView,
    LastSend,
    PickedApplication,
    ResultView,
    TargetKind,
)
from ..text import Line, format_bytes, safe_line
from ..widgets.attachment import AttachmentPanel
from ..widgets.file_panel import FilePanel
from ..widgets.header import AppHeader
from ..widgets.keybar import KeyBar
from ..widgets.payload import PayloadPanel
from ..widgets.remote import RemoteFieldsPanel
from ..widgets.result import ResultPanel
from ..widgets.target import TargetPanel

if TYPE_CHECKING:
    from kombo_tui.core.existing import AttachmentsCache
    from kombo_tui.core.history import HistoryEntry
    from kombo_tui.core.payload import PreparedUpload

    from ..session import Session
    from .picker import PickerCache

NARROW = 110
"""Below this many columns the panels stack in one scrolling column (each field keeps ≥ 20 cells)."""
PROGRESS_INTERVAL = 0.05
"""Seconds between two updates of the upload's progress bar (chunks may come faster)."""


class MainForm(Screen[None]):
    """The form's state, layout and file inputs; the bindings and the flows' wiring are
    :class:`~kombo_tui.tui.screens.main.MainScreen`'s."""

    draft: var[DraftView] = var(DraftView, init=False)
    integration_view: var[IntegrationView] = var(IntegrationView, init=False)
    picked: var[PickedApplication | None] = var(None, init=False)
    picked_candidate: var[PickedApplication | None] = var(None, init=False)
    """The candidate chosen in the candidate picker (its ``id`` is the candidate's)."""
    attachments_view: var[AttachmentsView] = var(AttachmentsView, init=False)
    """What is already on the target (listed on demand)."""
    file_view: var[FileView] = var(FileView, init=False)
    file_warnings: var[tuple[str, ...]] = var(tuple, init=False)
    prepared: var[PreparedUpload | None] = var(None, init=False, always_update=True)
    preview_problems: var[tuple[str, ...]] = var(tuple, init=False)
    full_body: var[bool] = var(False, init=False)
    target_kind: var[TargetKind] = var("application", init=False)
    """The endpoint the draft is switched to (the Payload shows its path before an id is given)."""
    base_url: var[str] = var("", init=False)
    answer: var[Line] = var(tuple, init=False)
    """What the last key did, or why it had nothing to do yet (the Result panel's first line)."""
    result: var[ResultView] = var(ResultView, init=False)
    sending: var[bool] = var(False, init=False)

    extra_files: var[tuple[BatchFile, ...]] = var(tuple, init=False)
    """Further files for the same application, sent together with the first."""
    first_file_result: var[Line] = var(tuple, init=False)
    last_send: var[LastSend] = var(LastSend, init=False)
    """What Verify re-checks, and whether a resend must ask first."""

    # ------------------------------------------------------------------ state (flows' records)

    @property
    def in_flight(self) -> str | None:
        """What quitting now would cut short (None: nothing)."""
        return "an upload" if self.send_flow.sending else None

    def __init__(self, session: Session, *, initial: Initial | None = None) -> None:
        super().__init__(id="main")
        self.session = session
        """Where to send, the audit log, the settings and recent integrations."""
        self._initial = initial or Initial()
        self._remote_error: str | None = None
        self._check_timer: Timer | None = None
        self._file_timer: Timer | None = None
        self._picker_cache: PickerCache | None = None
        self._candidate_cache: PickerCache | None = None
        self._replay_content_type: str | None = None
        """A replayed send's content type, put back once its file was read (which sets the sniffed one)."""
        self.target_flow = TargetFlow()
        """The integration, the application or candidate, what is already there."""
        self.send_flow = SendFlow(self._previous_sends)
        """Confirm, upload, cancel, verify; the batch's further files."""
        self.fields_ready = False
        """True once every panel's fields are mounted (right after the first frame)."""
        self._bindings_pending = False
        self._progress_bar = Throttle(PROGRESS_INTERVAL, self._show_progress, self.set_timer)

    @property
    def _attachments(self) -> AttachmentsCache | None:
        """The attachment listings asked for so far (None until the first)."""
        return self.target_flow.cache

    @property
    def _progress(self) -> tuple[int, int]:
        """Bytes of the upload in flight taken so far, of the total."""
        return self.send_flow.progress

    def _show_target(self) -> None:
        """The target flow's records, to the panels bound to them."""
        flow = self.target_flow
        self.integration_view = flow.integration
        self.picked = flow.picked
        self.picked_candidate = flow.picked_candidate
        self.attachments_view = flow.attachments

    def _show_send(self) -> None:
        """The send flow's records, to the panels bound to them."""
        flow = self.send_flow
        self.sending = flow.sending
        self.last_send = flow.last_send
        self.extra_files = flow.extra_files
        self.first_file_result = flow.first_file_result
        self.result = flow.result

    # ------------------------------------------------------------------ layout

    def compose(self) -> ComposeResult:
        initial = self._initial
        yield AppHeader(id="header")
        with Horizontal(id="columns"):
            with VerticalScroll(id="left"):
                yield TargetPanel(
                    self.session.suggestions(), initial.integration, initial.application, sandbox=self._sandbox_ids()
                ).data_bind(
                    integration=MainForm.integration_view,
                    application=MainForm.picked,
                    candidate=MainForm.picked_candidate,
                    attachments=MainForm.attachments_view,
                )
                yield FilePanel(initial.file).data_bind(
                    file=MainForm.file_view,
                    warnings=MainForm.file_warnings,
                    more=MainForm.extra_files,
                    result=MainForm.first_file_result,
                )
                yield AttachmentPanel()
            with Vertical(id="right"):
                yield RemoteFieldsPanel(tool_id_of(initial.integration) if initial.integration else "")
                yield PayloadPanel().data_bind(
                    upload=MainForm.prepared,
                    problems=MainForm.preview_problems,
                    full=MainForm.full_body,
                    base_url=MainForm.base_url,
                    target_kind=MainForm.target_kind,
                    more=MainForm.extra_files,
                )
        yield ResultPanel().data_bind(result=MainForm.result, answer=MainForm.answer)
        yield KeyBar()

    def _sandbox_ids(self) -> list[str] | None:
        """The embedded sandbox's integration ids (None when the app talks to Kombo)."""
        if not self.session.connection.sandbox:
            return None
        from kombo_tui.sandbox.integrations import INTEGRATIONS

        return [i.id for i in INTEGRATIONS]

    def on_resize(self, event: events.Resize) -> None:
        # The result panel keeps 8 rows so that sending does not relayout the screen; a short
        # terminal needs those rows for the form.
        self.set_class(event.size.height < 32, "-short")
        # Two columns leave a field too little room below this width: one column, scrolled.
        self.set_class(event.size.width < NARROW, "-narrow")

    def refresh_environment(self) -> None:
        env = self.session.connection.environment
        header = self.query_one(AppHeader)
        header.environment = env.label
        header.key_source = env.key_source
        self.base_url = self.session.connection.base_url

    # ------------------------------------------------------------------ file

    @on(FilePanel.PathEdited, "#file-panel")
    def _path_edited(self, event: FilePanel.PathEdited) -> None:
        self._on_path(event.value)

    def _on_path(self, value: str) -> None:
        self.workers.cancel_group(self, "file")
        if self._file_timer is not None:
            self._file_timer.stop()
        self.draft = self.draft.updated(file=None)
        if not value:
            self.file_view = FileView()
            return
        path, shown = resolve_path(value)
        if path.is_file():
            self.file_view = FileView("inspecting", path, shown)
            self.inspect_file(path, shown)
        else:
            # Still typing, most likely: say what is wrong only after a pause.
            self.file_view = FileView()
            self._file_timer = self.set_timer(0.6, lambda: self._path_problem(path, shown))

    def _path_problem(self, path: Path, shown: str) -> None:
        self._replay_content_type = None
        self.file_view = FileView("error", path, shown, error=path_problem(path, shown))

    @work(thread=True, exclusive=True, group="file", exit_on_error=False)
    def inspect_file(self, path: Path, shown: str) -> None:
        """Check, sniff and hash the file in a thread; hand the result to the screen."""
        worker = get_current_worker()

        def progress(size: int, share: float) -> None:
            self.app.call_from_thread(self._file_progress, path, shown, size, share)

        view = inspect(path, shown, on_progress=progress, cancelled=lambda: worker.is_cancelled)
        if view is not None and not worker.is_cancelled:
            self.app.call_from_thread(self._file_inspected, view)

    def _file_progress(self, path: Path, shown: str, size: int, share: float) -> None:
        if self.file_view.path == path and self.file_view.state == "inspecting":
            self.file_view = FileView("inspecting", path, shown, size=size, hashed=share)

    def _file_inspected(self, view: FileView) -> None:
        if self.file_view.path != view.path:
            return  # another file was chosen meanwhile
        self.file_view = view
        if view.state != "ready":
            self._replay_content_type = None
            return
        from kombo_tui.core.files.naming import suggest_type

        assert view.path is not None
        suggested = suggest_type(view.path.name)
        # A name that is not UTF-8 (bytes kept as surrogates) cannot go into JSON: U+FFFD, as the core does.
        self.query_one(AttachmentPanel).file_chosen(
            os.fsencode(view.path.name).decode("utf-8", "replace"),
            suggested.value if suggested else None,
            view.sniffed.mime if view.sniffed else None,
        )
        if self._replay_content_type is not None:  # the replayed send's content type, as it was sent
            self.query_one("#content-type", Input).value, self._replay_content_type = self._replay_content_type, None
        self.draft = self.draft.updated(file=view.path)

    @on(FilePanel.BrowseRequested, "#file-panel")
    def _browse_requested(self) -> None:
        self.action_browse()

    def action_browse(self) -> None:
        self._browse()

    @work(exclusive=True, group="browse", exit_on_error=False)
    async def _browse(self) -> None:
        from textual_fspicker import FileOpen

        start = self.file_view.path.parent if self.file_view.path else Path.cwd()
        chosen = await self.app.push_screen_wait(FileOpen(start, title="Choose the file to attach"))
        if chosen is not None:
            self.query_one(FilePanel).set_path(str(chosen))

    def on_paste(self, event: events.Paste) -> None:
        """A path dropped while no text field has focus goes to the file input."""
        if isinstance(self.focused, (Input, TextArea)):
            return
        from ..paths import clean_path

        value = clean_path(event.text)
        if value and Path(os.path.expanduser(value)).exists():
            event.stop()
            self.query_one(FilePanel).set_path(value)

    # ------------------------------------------------------------------ more files (a batch)

    def action_add_file(self) -> None:
        self.query_one("#add-path", Input).focus()

    @on(FilePanel.AddRequested, "#file-panel")
    def _add_requested(self, event: FilePanel.AddRequested) -> None:
        path, shown = resolve_path(event.value)
        item = self.send_flow.file_added(path, shown)
        self._show_send()
        self.inspect_more(item.key, path, shown)

    @work(thread=True, group="batch-file", exit_on_error=False)
    def inspect_more(self, key: int, path: Path, shown: str) -> None:
        """Check, sniff and hash a further file in a thread (like the first one)."""
        view = inspect(path, shown)
        if view is not None:  # always: nothing cancels it
            self.app.call_from_thread(self._more_done, key, view)

    def _more_done(self, key: int, view: FileView) -> None:
        self.send_flow.file_read(key, view)
        self._show_send()

    @on(FilePanel.RemoveRequested, "#file-panel")
    def _remove_requested(self, event: FilePanel.RemoveRequested) -> None:
        self.send_flow.file_removed(event.key)
        self._show_send()

    @on(FilePanel.TypeChosen, "#file-panel")
    def _type_chosen(self, event: FilePanel.TypeChosen) -> None:
        self.send_flow.type_chosen(event.key, event.value)
        self._show_send()

    # ------------------------------------------------------------------ attachment & remote

    @on(AttachmentPanel.Edited, "#attachment-panel")
    def _attachment_edited(self, event: AttachmentPanel.Edited) -> None:
        if event.field == "source":
            self.draft = self.draft.updated(source="data_url" if event.value == "data_url" else "data")
            return
        self.draft = self.draft.updated(**{event.field: event.value})

    @on(RemoteFieldsPanel.Edited, "#remote-panel")
    def _remote_edited(self, event: RemoteFieldsPanel.Edited) -> None:
        self._remote_error = event.error
        self.draft = self.draft.updated(remote_fields=event.remote_fields)

    # ------------------------------------------------------------------ derived state

    def watch_draft(self) -> None:
        self.target_kind = self.draft.target
        self._recompute()

    def watch_file_view(self) -> None:
        self._recompute()

    def _recompute(self) -> None:
        """Rebuild the preview and its warnings from the draft (cheap: no file reads); point the
        attachments list at the draft's target and the name of the file about to be sent."""
        shown = services.preview(
            self.draft,
            self.file_view,
            restrictions=self.integration_view.restrictions,
            remote_error=self._remote_error,
        )
        self.file_warnings = shown.file_warnings
        self.preview_problems = shown.problems
        self.prepared = shown.upload
        name = shown.upload.name if shown.upload is not None else self.draft.name
        self.attachments_view = self.target_flow.follow(self.draft, name)

    def _previous_sends(self, upload: PreparedUpload) -> list[HistoryEntry]:
        """Earlier sends of the same bytes to the same application (from the audit log)."""
        return services.previous_sends(self.session.history, self.session.connection.history_environment, upload)

    def _show_progress(self) -> None:
        self.query_one(ResultPanel).set_progress(*self.send_flow.progress)

    # ------------------------------------------------------------------ payload & other screens

    def action_toggle_full(self) -> None:
        from ..widgets.payload import FULL_BODY_LIMIT

        self.full_body = not self.full_body
        upload = self.prepared
        if not self.full_body:
            self.answer = (("Payload: base64 elided again (F6 shows it in full).", "dim"),)
        elif upload is None:
            self.answer = nothing_yet("Full body on: the Payload panel shows it once a file is chosen (F6 turns it off).")
        elif upload.file is None:
            self.answer = nothing_yet("Nothing to show in full: a data_url request carries no base64 (F6 turns it off).")
        elif upload.size > FULL_BODY_LIMIT:
            self.answer = nothing_yet(
                f"Full body not shown: the file is {format_bytes(upload.size)} (limit {format_bytes(FULL_BODY_LIMIT)}). "
                "F7 exports it."
            )
        else:
            self.answer = (("Payload: the whole base64 is shown (F6 elides it again).", "$accent"),)

    def action_export_curl(self) -> None:
        upload = self.prepared
        if upload is None:
            self.answer = nothing_yet("Nothing to export yet: choose a file (or a data_url) first.")
            return
        self.export(upload)

    @work(thread=True, exclusive=True, group="export", exit_on_error=False)
    def export(self, upload: PreparedUpload) -> None:
        """Write the body and a curl script to the exports folder; copy the command."""
        try:
            command, body, script = services.export_curl(upload, self.base_url)
        except (KomboError, OSError) as exc:
            failed: Line = ((f"✗ Export failed: {safe_line(exc)}", "$error"),)
            self.app.call_from_thread(setattr, self, "answer", failed)
            return
        self.app.call_from_thread(self.app.copy_to_clipboard, command)
        done: Line = (
            ("✓ curl copied to the clipboard", "$success"),
            (f" · body → {safe_line(body)} · script → {safe_line(script)} ", ""),
            ("(runs from any folder with KOMBO_API_KEY set)", "dim"),
        )
        self.app.call_from_thread(setattr, self, "answer", done)

    def action_copy_log_url(self) -> None:
        link = safe_link(self.result.log_url)
        if link is not None:
            self.app.copy_to_clipboard(link)
            self.answer = (("✓ log URL copied to the clipboard", "$success"),)

    def action_bulk(self) -> None:
        from .bulk import BulkScreen

        self.app.push_screen(BulkScreen(self.session, integration=self.draft.integration_id or ""))

    def action_exchanges(self) -> None:
        """Open the Exchanges screen, on the last send's exchanges when there was one."""
        from .exchanges import ExchangesScreen

        self.app.push_screen(ExchangesScreen(self.session.connection.exchanges, scopes=self.result.exchange_scopes))

    def action_toggle_theme(self) -> None:
        self.app.theme = "textual-light" if self.app.current_theme.dark else "textual-dark"

    def action_help(self) -> None:
        from .help import HelpScreen

        self.app.push_screen(HelpScreen())

    def action_focus_field(self, selector: str) -> None:
        """Focus the field ``selector`` names (the command palette's "Focus …" commands)."""
        self.query_one(selector).focus()
