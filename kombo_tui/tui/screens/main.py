"""The main screen: its keys, and the wiring of its two flows.

The state the panels are bound to, their layout and the file inputs are
:class:`~kombo_tui.tui.screens.main_form.MainForm`'s, which this screen extends. The transitions
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
from typing import TYPE_CHECKING

from textual import events, on, work
from textual.binding import Binding
from textual.widgets import Input

from kombo_tui.core.connectors import tool_id_of
from kombo_tui.core.errors import InputError, KomboError
from kombo_tui.core.net import safe_link
from kombo_tui.core.text import one_line

from .. import services
from ..flows.send import StartUpload, StartVerify
from ..flows.target import CheckIntegration, ListShown, TargetStep, nothing_yet
from ..messages import EnvironmentChanged, MainScreenReady, SettingsLoaded
from ..perf import settle_gc
from ..state import DraftView, LastSend, PickedApplication, ResultView
from ..widgets.attachment import AttachmentPanel
from ..widgets.common import Panel, content
from ..widgets.file_panel import FilePanel
from ..widgets.remote import RemoteFieldsPanel
from ..widgets.result import ResultPanel
from ..widgets.target import TargetPanel
from .main_form import MainForm

if TYPE_CHECKING:
    from kombo_tui.core.existing import TargetKey
    from kombo_tui.core.history import HistoryEntry
    from kombo_tui.core.payload import PreparedUpload
    from kombo_tui.core.retry import RetryNotice

    from ..flows.send import Confirm

BATCH_CONCURRENCY = 3
"""Uploads of one batch in flight at once (the client also honours Kombo's concurrency limit)."""
CHECK_DELAY = 0.35
"""Seconds of quiet typing before the integration id is checked."""


_ANSWERED_WHEN_OFF = frozenset({"verify", "copy_log_url", "send"})
"""Actions whose key still answers while the action is off (nothing to verify, no log URL, an
upload in flight): said in the Result panel, never a silent key."""


class MainScreen(MainForm):
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

    # ------------------------------------------------------------------ start

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

    # ------------------------------------------------------------------ which keys work

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
        self._refresh_bindings_soon()

    def watch_result(self, old: ResultView, new: ResultView) -> None:
        if old.kind != new.kind or old.headline != new.headline:
            self.answer = ()  # a new result: the last key's answer is history
        # Refreshing bindings repaints the key bar: only when a binding's state changes.
        if safe_link(old.log_url) != safe_link(new.log_url):
            self._refresh_bindings_soon()

    def watch_last_send(self, old: LastSend, new: LastSend) -> None:
        if bool(old.uploads) != bool(new.uploads):
            self._refresh_bindings_soon()  # Verify becomes available

    def watch_target_kind(self) -> None:
        self._refresh_bindings_soon()  # F3's words follow the target

    def key_label(self, binding: Binding) -> str:
        """The key bar's words for ``binding`` now: F3 picks what the draft is switched to."""
        if binding.action == "pick" and self.target_kind == "candidate":
            return "Pick candidate"
        return binding.description

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

    # ------------------------------------------------------------------ send

    def action_send(self) -> None:
        confirm = self.send_flow.request(
            self.draft, self.file_view, self.target_flow, remote_error=self._remote_error, problems=self.preview_problems
        )
        self._show_send()
        if confirm is not None:
            self._confirm(confirm)

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

    # ------------------------------------------------------------------ history (replay)

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
