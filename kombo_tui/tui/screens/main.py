"""The main screen: owns the draft and every piece of state; panels are bound to it.

This module is wiring: bindings, the panels' messages, actions and workers. The transitions
are plain objects: where the file goes is :class:`~kombo_tui.tui.flows.target.TargetFlow`, how
it leaves (confirm, upload, cancel, verify, which keys work) is
:class:`~kombo_tui.tui.flows.send.SendFlow`; the screen forwards events to them, runs the
workers they ask for and assigns their records to its reactives (which the panels are bound
to). What a user reads about a send is built by :mod:`kombo_tui.tui.present`; files are
inspected by :mod:`kombo_tui.tui.inspect`; preparing, sending, verifying and exporting are
:mod:`kombo_tui.tui.services`. Everything from outside the screen (where to send, the audit
log, the settings) comes from the :class:`~kombo_tui.tui.session.Session` it is given; the
app talks to it only through :mod:`kombo_tui.tui.messages`.

Long work never runs on the event loop: sniffing and hashing in thread workers, HTTP in async
workers (exclusive per purpose, failures become state, never a crash).
"""

from __future__ import annotations

import asyncio
import os
from pathlib import Path
from typing import TYPE_CHECKING

from textual import events, on, work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical, VerticalScroll
from textual.reactive import var
from textual.screen import Screen
from textual.timer import Timer
from textual.widgets import Input, TextArea
from textual.worker import get_current_worker

from kombo_tui.core.connectors import tool_id_of
from kombo_tui.core.errors import InputError, KomboError
from kombo_tui.core.net import safe_link
from kombo_tui.core.text import one_line

from .. import services
from ..flows.send import SendFlow, StartUpload, StartVerify
from ..flows.target import CheckIntegration, ListShown, TargetFlow, TargetStep, nothing_yet
from ..inspect import inspect, path_problem
from ..messages import EnvironmentChanged, MainScreenReady, SettingsLoaded
from ..paths import resolve_path
from ..perf import Throttle, settle_gc
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
from ..widgets.common import Panel, content
from ..widgets.file_panel import FilePanel
from ..widgets.header import AppHeader
from ..widgets.keybar import KeyBar
from ..widgets.payload import PayloadPanel
from ..widgets.remote import RemoteFieldsPanel
from ..widgets.result import ResultPanel
from ..widgets.target import TargetPanel

if TYPE_CHECKING:
    from kombo_tui.core.client import RetryNotice
    from kombo_tui.core.existing import AttachmentsCache, TargetKey
    from kombo_tui.core.history import HistoryEntry
    from kombo_tui.core.payload import PreparedUpload

    from ..flows.send import Confirm
    from ..session import Session
    from .picker import PickerCache

BATCH_CONCURRENCY = 3
"""Uploads of one batch in flight at once (the client also honours Kombo's concurrency limit)."""
CHECK_DELAY = 0.35
"""Seconds of quiet typing before the integration id is checked."""
NARROW = 110
"""Below this many columns the panels stack in one scrolling column (each field keeps ≥ 20 cells)."""
PROGRESS_INTERVAL = 0.05
"""Seconds between two updates of the upload's progress bar (chunks may come faster)."""


_ANSWERED_WHEN_OFF = frozenset({"verify", "copy_log_url", "send"})
"""Actions whose key still answers while the action is off (nothing to verify, no log URL, an
upload in flight): said in the Result panel, never a silent key."""


class MainScreen(Screen[None]):
    """Target, file, attachment, remote fields, payload and result — all on one screen."""

    # The key bar has room for about ten keys at 120 columns: the keys a first send needs, the
    # screens, and Quit. Export curl, Copy log URL (also a button in the Result panel) and Add
    # file stay in Help (F1) and the palette (ctrl+p). Narrower, the key bar keeps the first
    # ones of this list (and Quit): the order is the priority.
    BINDINGS = [
        Binding("f1", "help", "Help", id="main.help", tooltip="Every key and the flow"),
        Binding("f2", "switch_target", "Application/candidate", id="main.target", tooltip="Send to the application (recommended) or the candidate", show=False),
        Binding("f3", "pick", "Pick application", id="main.pick", tooltip="Search by candidate, email or job", priority=True),
        Binding("ctrl+o", "browse", "Open file", id="main.browse", tooltip="File dialog"),
        Binding("ctrl+s", "send", "Send", id="main.send", tooltip="Confirm, then upload with progress"),
        Binding("f5", "verify", "Verify", id="main.verify", tooltip="Re-read the application's attachments"),
        Binding("escape", "cancel_upload", "Cancel upload", id="main.cancel", tooltip="Stop the upload in flight"),
        Binding("f6", "toggle_full", "Full body", id="main.full", tooltip="Show the whole base64 (small files)", show=False),
        Binding("f7", "export_curl", "Export curl", id="main.export", tooltip="Body to a file, curl to the clipboard", show=False),
        Binding("f8", "copy_log_url", "Copy log URL", id="main.copy_log", tooltip="Copy the error's log_url", show=False),
        Binding("ctrl+n", "add_file", "Add file", id="main.add_file", tooltip="Another file for the same application (a batch)", show=False),
        Binding("f9", "history", "History", id="main.history", tooltip="Every send from this machine: filter, details, log URL, replay"),
        Binding("f12", "list_attachments", "List attachments", id="main.attachments", tooltip="What is already on the application (one request)", show=False),
        Binding("ctrl+b,f10", "bulk", "Bulk", id="main.bulk", tooltip="Many files onto many applications: check, start, pause, resume"),
        Binding("f4", "exchanges", "Exchanges", id="main.exchanges", tooltip="Every HTTP request and answer: headers, bodies, timings, curl"),
        Binding("ctrl+t", "toggle_theme", "Light/dark", id="main.theme", tooltip="Switch between light and dark", show=False),
    ]

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

    # A record assigned to the screen itself (a test setting up a state) goes back to its flow,
    # which stays the one truth; the watchers of sending, result and last_send do so below.

    def watch_integration_view(self, view: IntegrationView) -> None:
        self.target_flow.integration = view

    def watch_picked(self, picked: PickedApplication | None) -> None:
        self.target_flow.picked = picked

    def watch_picked_candidate(self, picked: PickedApplication | None) -> None:
        self.target_flow.picked_candidate = picked

    def watch_attachments_view(self, view: AttachmentsView) -> None:
        self.target_flow.attachments = view

    def watch_extra_files(self, rows: tuple[BatchFile, ...]) -> None:
        self.send_flow.extra_files = rows

    def watch_first_file_result(self, line: Line) -> None:
        self.send_flow.first_file_result = line

    # ------------------------------------------------------------------ layout

    def compose(self) -> ComposeResult:
        initial = self._initial
        yield AppHeader(id="header")
        with Horizontal(id="columns"):
            with VerticalScroll(id="left"):
                yield TargetPanel(
                    self.session.suggestions(), initial.integration, initial.application, sandbox=self._sandbox_ids()
                ).data_bind(
                    integration=MainScreen.integration_view,
                    application=MainScreen.picked,
                    candidate=MainScreen.picked_candidate,
                    attachments=MainScreen.attachments_view,
                )
                yield FilePanel(initial.file).data_bind(
                    file=MainScreen.file_view,
                    warnings=MainScreen.file_warnings,
                    more=MainScreen.extra_files,
                    result=MainScreen.first_file_result,
                )
                yield AttachmentPanel()
            with Vertical(id="right"):
                yield RemoteFieldsPanel(tool_id_of(initial.integration) if initial.integration else "")
                yield PayloadPanel().data_bind(
                    upload=MainScreen.prepared,
                    problems=MainScreen.preview_problems,
                    full=MainScreen.full_body,
                    base_url=MainScreen.base_url,
                    target_kind=MainScreen.target_kind,
                    more=MainScreen.extra_files,
                )
        yield ResultPanel().data_bind(result=MainScreen.result, answer=MainScreen.answer)
        yield KeyBar()

    def _sandbox_ids(self) -> list[str] | None:
        """The embedded sandbox's integration ids (None when the app talks to Kombo)."""
        if not self.session.connection.sandbox:
            return None
        from kombo_tui.sandbox.data import INTEGRATIONS

        return [i.id for i in INTEGRATIONS]

    def on_mount(self) -> None:
        # The first frame shows the header, the panel frames, the result line and the footer;
        # the panels' fields are mounted right after it (their styles and layout are most of
        # the cost of a frame).
        self.refresh_environment()
        self.call_after_refresh(self._mount_fields)

    async def _mount_fields(self) -> None:
        with self.app.batch_update():
            for panel in self.walk_children(Panel):  # in screen order
                await panel.mount_fields()
        self.fields_ready = True
        self.post_message(MainScreenReady())
        initial = self._initial
        # The type is what the Type select shows (OTHER until a file suggests or the user picks one):
        # the request never carries a type the screen does not.
        self.draft = DraftView(
            integration_id=initial.integration or None, application_id=initial.application or None, type="OTHER"
        )
        if initial.integration:
            self._target_step(TargetStep(self.draft, (self.target_flow.check_soon(initial.integration),)))
        if initial.file:
            self._on_path(initial.file)
        self.query_one("#integration", Input).focus()

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

    @on(EnvironmentChanged)
    def _environment_changed(self, message: EnvironmentChanged) -> None:
        self.refresh_environment()
        if message.default_integration and not self.draft.integration_id:
            self.query_one("#integration", Input).value = message.default_integration  # checked as typed
        if self.draft.integration_id:
            self.check_integration(self.draft.integration_id)

    @on(SettingsLoaded)
    def _settings_loaded(self, message: SettingsLoaded) -> None:
        self.query_one(TargetPanel).set_suggestions(self.session.suggestions())
        initial = self._initial.integration
        if message.integration and (self.draft.integration_id or "") == initial:
            field = self.query_one("#integration", Input)
            if field.value == initial:  # the user has not changed it
                field.value = message.integration

    # ------------------------------------------------------------------ target

    def _target_step(self, step: TargetStep) -> None:
        """Show what a target event did, then run the effects it asks for."""
        if step.switched_to is not None:
            self.query_one(TargetPanel).show_target(step.switched_to)
            self.query_one(RemoteFieldsPanel).set_target_kind(step.switched_to)
        if step.answer is not None:
            self.answer = step.answer
        self.draft = step.draft
        self._show_target()
        for effect in step.effects:
            if isinstance(effect, CheckIntegration):
                self._schedule_check(effect.integration_id)
            elif isinstance(effect, ListShown):
                self.action_list_attachments()
            else:
                self.list_attachments(effect.key, refresh=effect.refresh)

    @on(TargetPanel.IntegrationEdited, "#target")
    def _integration_edited(self, event: TargetPanel.IntegrationEdited) -> None:
        self._target_step(self.target_flow.integration_edited(self.draft, event.value))

    def _schedule_check(self, value: str) -> None:
        if self._check_timer is not None:
            self._check_timer.stop()
        if value:
            self._check_timer = self.set_timer(CHECK_DELAY, lambda: self.check_integration(value))
        else:
            self.workers.cancel_group(self, "integration")

    @work(exclusive=True, group="integration", exit_on_error=False)
    async def check_integration(self, integration_id: str) -> None:
        """``GET /integrations/{id}`` then the action's restrictions; state, never a crash."""
        flow = self.target_flow
        try:
            client = await self.session.connection.client()
            details = await client.get_integration(integration_id)
        except KomboError as exc:
            self.integration_view = flow.check_failed(integration_id, exc)
            self._recompute()
            return
        self.base_url = self.session.connection.base_url
        self.integration_view = flow.checked(integration_id, details)
        self.query_one(RemoteFieldsPanel).set_tool(details.tool.id or tool_id_of(integration_id))
        self.session.remember(integration_id)
        try:
            restrictions = await client.get_attachment_restrictions(integration_id)
        except KomboError:
            restrictions = None
        self.integration_view = flow.restrictions_read(restrictions)
        self._recompute()

    @on(TargetPanel.ApplicationEdited, "#target")
    def _application_edited(self, event: TargetPanel.ApplicationEdited) -> None:
        self._target_step(TargetStep(self.target_flow.application_edited(self.draft, event.value)))

    @on(TargetPanel.CandidateEdited, "#target")
    def _candidate_edited(self, event: TargetPanel.CandidateEdited) -> None:
        self._target_step(TargetStep(self.target_flow.candidate_edited(self.draft, event.value)))

    @on(TargetPanel.TargetSwitched, "#target")
    def _target_switched(self, event: TargetPanel.TargetSwitched) -> None:
        self.draft = self.target_flow.target_switched(self.draft, event.kind)
        self.query_one(RemoteFieldsPanel).set_target_kind(event.kind)

    def action_switch_target(self) -> None:
        self.query_one(TargetPanel).switch_target()

    @on(TargetPanel.PickRequested, "#target")
    def _pick_requested(self) -> None:
        self.action_pick()

    def action_pick(self) -> None:
        """The picker of what the form is switched to: applications, or candidates (F2 switches)."""
        from .picker import ApplicationPicker, CandidatePicker, PickerCache

        why_not = self.target_flow.why_no_pick(self.draft)
        if why_not is not None:
            self.answer = why_not
            self.query_one("#integration", Input).focus()
            return
        integration_id = self.draft.integration_id or ""
        if self.draft.target == "candidate":
            if self._candidate_cache is None or self._candidate_cache.integration_id != integration_id:
                self._candidate_cache = PickerCache(integration_id)
            self.app.push_screen(CandidatePicker(self._candidate_cache, self.session.connection.client), self._picked_candidate)
            return
        if self._picker_cache is None or self._picker_cache.integration_id != integration_id:
            self._picker_cache = PickerCache(integration_id)
        self.app.push_screen(ApplicationPicker(self._picker_cache, self.session.connection.client), self._picked)

    def _picked_candidate(self, picked: PickedApplication | None) -> None:
        if picked is None:
            return
        self.query_one(TargetPanel).set_candidate_id(picked.id)
        self._target_step(self.target_flow.candidate_picked(self.draft, picked))  # lists the candidate's files
        self.query_one("#path", Input).focus()

    def _picked(self, picked: PickedApplication | None) -> None:
        if picked is None:
            return
        self.query_one(TargetPanel).set_application_id(picked.id)
        self._target_step(self.target_flow.application_picked(self.draft, picked))  # lists its files (cached)
        self.query_one("#path", Input).focus()

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

    # ------------------------------------------------------------------ what is already there

    def action_list_attachments(self) -> None:
        self._target_step(self.target_flow.list_requested(self.draft))

    @work(exclusive=True, group="attachments", exit_on_error=False)
    async def list_attachments(self, key: TargetKey, refresh: bool = False) -> None:
        """List the target's attachments once (cached per target; a refresh asks again)."""
        flow = self.target_flow
        cache = flow.listing(key)
        self.attachments_view = flow.attachments
        try:
            client = await self.session.connection.client()
        except KomboError as exc:
            flow.list_failed(self.draft, key, exc)
        else:
            flow.listed(self.draft, key, await services.list_attachments(cache, client, key, refresh=refresh))
        self.attachments_view = flow.attachments

    def _attachments_changed(self, uploads: list[PreparedUpload]) -> None:
        """A send (or Verify) touched these targets: forget their listings; list the shown one again."""
        self._target_step(TargetStep(self.draft, self.target_flow.attachments_changed(uploads)))

    # ------------------------------------------------------------------ send

    def on_key(self, event: events.Key) -> None:
        """A key whose action is off right now still answers (its binding does not run then).

        The Screen sees a key before the App runs its (non-priority) bindings: the key is
        stopped here only when its action is off, so an enabled binding runs as usual.
        """
        for binding in self._bindings.key_to_bindings.get(event.key, ()):
            if binding.action in _ANSWERED_WHEN_OFF and not self.check_action(binding.action, ()):
                event.stop()
                event.prevent_default()
                self.answer = nothing_yet(self.send_flow.why_off(binding.action))
                return

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        return self.send_flow.check_action(action)

    def watch_sending(self, sending: bool) -> None:
        self.send_flow.sending = sending
        self._refresh_bindings_soon()

    def watch_result(self, old: ResultView, new: ResultView) -> None:
        self.send_flow.result = new
        if old.kind != new.kind or old.headline != new.headline:
            self.answer = ()  # a new result: the last key's answer is history
        # Refreshing bindings repaints the key bar: only when a binding's state changes.
        if safe_link(old.log_url) != safe_link(new.log_url):
            self._refresh_bindings_soon()

    def watch_last_send(self, old: LastSend, new: LastSend) -> None:
        self.send_flow.last_send = new
        if bool(old.uploads) != bool(new.uploads):
            self._refresh_bindings_soon()  # Verify becomes available

    def _refresh_bindings_soon(self) -> None:
        """Refresh the key bar after the next frame, once however often it is asked for.

        Done in the same loop turn as the result panel's own change (sending starts or ends),
        the two would stall the loop together.
        """
        if not self._bindings_pending:
            self._bindings_pending = True
            self.call_after_refresh(self._refresh_bindings_now)

    def _refresh_bindings_now(self) -> None:
        self._bindings_pending = False
        self.refresh_bindings()

    def action_send(self) -> None:
        confirm = self.send_flow.request(
            self.draft, self.file_view, self.target_flow, remote_error=self._remote_error, problems=self.preview_problems
        )
        self._show_send()
        if confirm is not None:
            self._confirm(confirm)

    def _previous_sends(self, upload: PreparedUpload) -> list[HistoryEntry]:
        """Earlier sends of the same bytes to the same application (from the audit log)."""
        return services.previous_sends(self.session.history, self.session.connection.history_environment, upload)

    def _confirm(self, confirm: Confirm) -> None:
        from .choice import ChoiceScreen

        spec = confirm.spec

        def chosen(value: str | None) -> None:
            self._run_send(self.send_flow.chosen(confirm, value))

        self.app.push_screen(
            ChoiceScreen(spec.title, content(*spec.body), spec.choices, focus=spec.focus, screen_id=spec.screen_id), chosen
        )

    def _run_send(self, effect: StartUpload | StartVerify | None) -> None:
        """Show the send flow's records, then start the upload or the check it asks for."""
        self._show_send()
        if isinstance(effect, StartUpload):
            self.upload(effect.uploads, accept=effect.accept)
        elif isinstance(effect, StartVerify):
            self.verify(effect.sent, was_unknown=effect.was_unknown)

    def _show_progress(self) -> None:
        self.query_one(ResultPanel).set_progress(*self.send_flow.progress)

    @work(exclusive=True, group="upload", exit_on_error=False)
    async def upload(self, uploads: list[PreparedUpload], accept: frozenset[int] = frozenset()) -> None:
        """Send once (the engine retries only rate/concurrency limits) and show the outcome(s)."""
        flow = self.send_flow
        flow.begin(uploads)
        self._show_send()
        settle_gc()  # no full collection of the app's long-lived objects mid-upload
        # The confirm dialog just closed: let that repaint go out in a frame of its own before
        # the result panel grows (a relayout); together they would stall the loop.
        await self.wait_for_refresh()
        flow.show_sending(uploads)
        self._show_send()
        self._progress_bar.restart()
        self.query_one(ResultPanel).set_progress(*flow.progress)

        def progress(index: int, sent: int, size: int) -> None:
            # Called on the loop for every chunk the transport took: the bar moves at most
            # every PROGRESS_INTERVAL seconds (and always at the end).
            done, total = flow.progressed(index, sent, size)
            self._progress_bar.update(final=done >= total)

        def on_retry(notice: RetryNotice) -> None:
            flow.retried(notice)
            self._show_send()

        try:
            outcomes = await services.send(
                await self.session.connection.client(),
                uploads,
                history=self.session.history,
                environment=self.session.connection.history_environment,
                accept=accept,
                limits=services.known_limits(self.integration_view),
                picked=self.picked,
                concurrency=BATCH_CONCURRENCY,
                progress=progress,
                on_retry=on_retry,
            )
        except asyncio.CancelledError:
            flow.cancelled(uploads)
            raise
        except InputError as exc:  # the integration's published limits refuse a file: nothing left
            flow.refused(exc)
            return
        except KomboError as exc:  # e.g. the sandbox could not start
            flow.failed(exc)
            return
        finally:
            flow.stopped()
            self._show_send()
        self._attachments_changed(flow.sent(outcomes, self.picked))
        self._show_send()

    def action_cancel_upload(self) -> None:
        if self.send_flow.sending:
            self.workers.cancel_group(self, "upload")

    @on(ResultPanel.CancelRequested, "#result-panel")
    def _cancel_requested(self) -> None:
        self.action_cancel_upload()

    @on(ResultPanel.ExchangesRequested, "#result-panel")
    def _exchanges_requested(self) -> None:
        self.action_exchanges()

    @on(ResultPanel.CopyLogRequested, "#result-panel")
    def _copy_log_requested(self) -> None:
        self.action_copy_log_url()

    @on(ResultPanel.VerifyRequested, "#result-panel")
    def _verify_requested(self) -> None:
        self.action_verify()

    def action_verify(self) -> None:
        self._run_send(self.send_flow.verify_requested())

    @work(exclusive=True, group="verify", exit_on_error=False)
    async def verify(self, sent: LastSend, was_unknown: bool = False) -> None:
        """Re-read the application's attachments, say whether each file is there, log it."""
        flow = self.send_flow
        flow.verifying()
        self._show_send()
        try:
            client = await self.session.connection.client()
        except KomboError as exc:
            flow.verify_failed(exc)
            self._show_send()
            return
        flow.verified(await services.verify(client, self.session.history, sent, was_unknown=was_unknown))
        self._show_send()
        self._attachments_changed(list(sent.uploads))

    # ------------------------------------------------------------------ payload & misc

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

    def action_history(self) -> None:
        from .history import HistoryScreen

        self.app.push_screen(HistoryScreen(self.session.history), self._replay)

    def _replay(self, entry: HistoryEntry | None) -> None:
        """Reopen a past send in the form (History's Replay): fix one thing, send again through
        the usual confirm and duplicate checks."""
        if entry is None:
            return
        if self.send_flow.replay_waits():
            self._show_send()
            return
        plan = services.replay_plan(entry, self.session.connection.environment.label)
        self.query_one("#integration", Input).value = plan.integration_id  # checked as typed
        panel = self.query_one(TargetPanel)
        panel.show_target(plan.target)
        self.query_one(RemoteFieldsPanel).set_target_kind(plan.target)
        if plan.target == "candidate":
            panel.set_candidate_id(plan.target_id)
        else:
            panel.set_application_id(plan.target_id)
        self._target_step(TargetStep(self.target_flow.replayed(self.draft, plan)))
        self.query_one(AttachmentPanel).restore(plan.name, plan.type)
        self._replay_content_type = plan.content_type
        self.query_one("#content-type", Input).value = plan.content_type or ""
        self.query_one(RemoteFieldsPanel).restore(plan.remote_fields)
        self.send_flow.replayed(plan)  # a replay is the one file it was
        path_field = self.query_one("#path", Input)
        unchanged = path_field.value == one_line(plan.path)
        self.query_one(FilePanel).set_path(plan.path)
        if unchanged:  # no edit event: read the file again all the same (it may have changed)
            self._on_path(plan.path)
        self._show_send()
        self.query_one("#path", Input).focus()

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
