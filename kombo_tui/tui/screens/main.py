"""The main screen: owns the draft and every piece of state; panels are bound to it.

Long work never runs on the event loop: sniffing and hashing in thread workers, HTTP in async
workers (exclusive per purpose, failures become state, never a crash).
"""

from __future__ import annotations

import asyncio
import os
from dataclasses import replace
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

from textual import events, on, work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical, VerticalScroll
from textual.markup import escape
from textual.reactive import var
from textual.screen import Screen
from textual.timer import Timer
from textual.widgets import Footer, Input, TextArea
from textual.worker import get_current_worker

from kombo_tui.core.connectors import is_supported, tool_id_of, tool_label
from kombo_tui.core.errors import ApiError, InputError, KomboError, TransportError
from kombo_tui.core.payload import Draft, PreparedUpload, prepare, restriction_warnings

from ..paths import display_path
from ..state import FileView, IntegrationView, PickedApplication, ResultView
from ..widgets.attachment import AttachmentPanel
from ..widgets.common import format_bytes
from ..widgets.file_panel import FilePanel
from ..widgets.header import AppHeader
from ..widgets.payload import PayloadPanel
from ..widgets.remote import RemoteFieldsPanel
from ..widgets.result import ResultPanel
from ..widgets.target import TargetPanel
from .picker import PickerCache

if TYPE_CHECKING:
    from kombo_tui.core.engine import SendOutcome
    from kombo_tui.core.history import HistoryEntry

    from ..app import KomboApp

CHECK_DELAY = 0.35
"""Seconds of quiet typing before the integration id is checked."""


class MainScreen(Screen[None]):
    """Target, file, attachment, remote fields, payload and result — all on one screen."""

    BINDINGS = [
        Binding("f1", "help", "Help", id="main.help", tooltip="Every key and the flow"),
        Binding("f3", "pick", "Pick application", id="main.pick", tooltip="Search by candidate, email or job"),
        Binding("ctrl+o", "browse", "Open file", id="main.browse", tooltip="File dialog"),
        Binding("ctrl+s", "send", "Send", id="main.send", tooltip="Confirm, then upload with progress"),
        Binding("f5", "verify", "Verify", id="main.verify", tooltip="Re-read the application's attachments"),
        Binding("escape", "cancel_upload", "Cancel upload", id="main.cancel", tooltip="Stop the upload in flight"),
        Binding("f6", "toggle_full", "Full body", id="main.full", tooltip="Show the whole base64 (small files)", show=False),
        Binding("f7", "export_curl", "Export curl", id="main.export", tooltip="Body to a file, curl to the clipboard"),
        Binding("f8", "copy_log_url", "Copy log URL", id="main.copy_log", tooltip="Copy the error's log_url"),
        Binding("f9", "history", "History", id="main.history", tooltip="Every send from this machine: filter, details, log URL"),
        Binding("ctrl+t", "toggle_theme", "Light/dark", id="main.theme", tooltip="Switch between light and dark", show=False),
    ]

    draft: var[Draft] = var(Draft, init=False)
    integration_view: var[IntegrationView] = var(IntegrationView, init=False)
    picked: var[PickedApplication | None] = var(None, init=False)
    file_view: var[FileView] = var(FileView, init=False)
    file_warnings: var[tuple[str, ...]] = var(tuple, init=False)
    prepared: var[PreparedUpload | None] = var(None, init=False, always_update=True)
    preview_problems: var[tuple[str, ...]] = var(tuple, init=False)
    full_body: var[bool] = var(False, init=False)
    base_url: var[str] = var("", init=False)
    export_status: var[str] = var("", init=False)
    result: var[ResultView] = var(ResultView, init=False)
    sending: var[bool] = var(False, init=False)

    def __init__(self, *, integration: str = "", application: str = "", file: str = "") -> None:
        super().__init__(id="main")
        self._initial = (integration, application, file)
        self._source = "data"
        self._data_url: str | None = None
        self._remote_error: str | None = None
        self._check_timer: Timer | None = None
        self._file_timer: Timer | None = None
        self._picker_cache: PickerCache | None = None
        self._last_upload: PreparedUpload | None = None
        self._last_history_id: int | None = None
        """The audit-log row of the last send (Verify records what it found there)."""
        self._last_started_at: datetime | None = None
        self._unknown_key: tuple[str, ...] | None = None
        self._progress = (0, 0)

    @property
    def kombo(self) -> KomboApp:
        return self.app  # type: ignore[return-value]

    # ------------------------------------------------------------------ layout

    def compose(self) -> ComposeResult:
        integration, application, file = self._initial
        yield AppHeader(id="header")
        with Horizontal(id="columns"):
            with VerticalScroll(id="left"):
                yield TargetPanel(self.kombo.integration_suggestions(), integration, application).data_bind(
                    integration=MainScreen.integration_view, application=MainScreen.picked
                )
                yield FilePanel(file).data_bind(file=MainScreen.file_view, warnings=MainScreen.file_warnings)
                yield AttachmentPanel()
            with Vertical(id="right"):
                yield RemoteFieldsPanel(tool_id_of(integration) if integration else "")
                yield PayloadPanel().data_bind(
                    upload=MainScreen.prepared,
                    problems=MainScreen.preview_problems,
                    full=MainScreen.full_body,
                    base_url=MainScreen.base_url,
                    status=MainScreen.export_status,
                )
        yield ResultPanel().data_bind(result=MainScreen.result)
        yield Footer()

    def on_mount(self) -> None:
        self.refresh_environment()
        integration, application, file = self._initial
        self.draft = Draft(integration_id=integration or None, application_id=application or None)
        if integration:
            self._schedule_check(integration)
        if file:
            self._on_path(file)
        self.query_one("#integration", Input).focus()

    def refresh_environment(self) -> None:
        env = self.kombo.connection.environment
        header = self.query_one(AppHeader)
        header.environment = env.label
        header.key_source = env.key_source
        self.base_url = self.kombo.connection.base_url

    # ------------------------------------------------------------------ target

    @on(TargetPanel.IntegrationEdited)
    def _integration_edited(self, event: TargetPanel.IntegrationEdited) -> None:
        value = event.value
        if value == (self.draft.integration_id or ""):
            return
        self.draft = self.draft.model_copy(update={"integration_id": value or None})
        self.integration_view = IntegrationView(value, checking=bool(value))
        self._schedule_check(value)

    def _schedule_check(self, value: str) -> None:
        if self._check_timer is not None:
            self._check_timer.stop()
        if value:
            self._check_timer = self.set_timer(CHECK_DELAY, lambda: self.check_integration(value))
            self.integration_view = IntegrationView(value, checking=True)
        else:
            self.workers.cancel_group(self, "integration")
            self.integration_view = IntegrationView()

    @work(exclusive=True, group="integration", exit_on_error=False)
    async def check_integration(self, integration_id: str) -> None:
        """``GET /integrations/{id}`` then the action's restrictions; state, never a crash."""
        from kombo_tui.core.hints import hint_for

        try:
            client = await self.kombo.connection.client()
            details = await client.get_integration(integration_id)
        except KomboError as exc:
            self.integration_view = IntegrationView(integration_id, error=_short_error(exc), hint=hint_for(exc))
            self._recompute()
            return
        self.base_url = self.kombo.connection.base_url
        self.integration_view = IntegrationView(integration_id, details=details)
        self.query_one(RemoteFieldsPanel).set_tool(details.tool.id or tool_id_of(integration_id))
        self.kombo.remember_integration(integration_id)
        try:
            restrictions = await client.get_attachment_restrictions(integration_id)
        except KomboError:
            restrictions = None
        self.integration_view = replace(self.integration_view, restrictions=restrictions, restrictions_known=True)
        self._recompute()

    @on(TargetPanel.ApplicationEdited)
    def _application_edited(self, event: TargetPanel.ApplicationEdited) -> None:
        value = event.value
        self.draft = self.draft.model_copy(update={"application_id": value or None})
        if self.picked is not None and self.picked.id != value:
            self.picked = PickedApplication(id=value) if value else None
        elif self.picked is None and value:
            self.picked = PickedApplication(id=value)

    @on(TargetPanel.PickRequested)
    def _pick_requested(self) -> None:
        self.action_pick()

    def action_pick(self) -> None:
        from .picker import ApplicationPicker

        integration_id = self.draft.integration_id
        if not integration_id:
            self.result = ResultView("invalid", "Enter the integration id first: the picker lists its applications.")
            self.query_one("#integration", Input).focus()
            return
        if self._picker_cache is None or self._picker_cache.integration_id != integration_id:
            self._picker_cache = PickerCache(integration_id)
        self.app.push_screen(ApplicationPicker(self._picker_cache, self.kombo.connection.client), self._picked)

    def _picked(self, picked: PickedApplication | None) -> None:
        if picked is None:
            return
        self.query_one(TargetPanel).set_application_id(picked.id)
        self.draft = self.draft.model_copy(update={"application_id": picked.id})
        self.picked = picked
        self.query_one("#path", Input).focus()

    # ------------------------------------------------------------------ file

    @on(FilePanel.PathEdited)
    def _path_edited(self, event: FilePanel.PathEdited) -> None:
        self._on_path(event.value)

    def _on_path(self, value: str) -> None:
        self.workers.cancel_group(self, "file")
        if self._file_timer is not None:
            self._file_timer.stop()
        self.draft = self.draft.model_copy(update={"file": None})
        if not value:
            self.file_view = FileView()
            return
        path = Path(os.path.expanduser(value))
        if not path.is_absolute():
            path = Path.cwd() / path
        shown = value if not os.path.isabs(value) else display_path(path)
        if path.is_file():
            self.file_view = FileView("inspecting", path, shown)
            self.inspect_file(path, shown)
        else:
            # Still typing, most likely: say what is wrong only after a pause.
            self.file_view = FileView()
            self._file_timer = self.set_timer(0.6, lambda: self._path_problem(path, shown))

    def _path_problem(self, path: Path, shown: str) -> None:
        if path.is_dir():
            message = f"{shown} is a folder — keep typing (→ completes) or press ctrl+o"
        elif not path.exists():
            message = f"no file at {shown}"
        else:
            message = f"{shown} is not a regular file"
        self.file_view = FileView("error", path, shown, error=message)

    @work(thread=True, exclusive=True, group="file", exit_on_error=False)
    def inspect_file(self, path: Path, shown: str) -> None:
        """Check, sniff and hash in a thread; post the result to the screen."""
        from kombo_tui.core.sniff import check_file, fingerprint, sniff_file

        worker = get_current_worker()
        try:
            st = check_file(path)
            self.app.call_from_thread(self._file_progress, path, shown, st.st_size, 0.0)
            sniffed = sniff_file(path)
            last = [0.0]

            def progress(done: int, total: int) -> None:
                share = done / total if total else 1.0
                if share - last[0] >= 0.05 and not worker.is_cancelled:
                    last[0] = share
                    self.app.call_from_thread(self._file_progress, path, shown, total, share)

            fp = fingerprint(path, progress=progress)
        except InputError as exc:
            if not worker.is_cancelled:
                message = "; ".join(p.message for p in exc.problems)
                self.app.call_from_thread(self._file_failed, path, shown, message)
            return
        except OSError as exc:
            if not worker.is_cancelled:
                self.app.call_from_thread(self._file_failed, path, shown, f"cannot read it: {exc.strerror}")
            return
        if not worker.is_cancelled:
            self.app.call_from_thread(self._file_ready, FileView("ready", path, shown, fp.size, sniffed, fp))

    def _file_progress(self, path: Path, shown: str, size: int, share: float) -> None:
        if self.file_view.path == path and self.file_view.state == "inspecting":
            self.file_view = FileView("inspecting", path, shown, size=size, hashed=share)

    def _file_failed(self, path: Path, shown: str, message: str) -> None:
        if self.file_view.path == path:
            self.file_view = FileView("error", path, shown, error=message)

    def _file_ready(self, view: FileView) -> None:
        if self.file_view.path != view.path:
            return
        from kombo_tui.core.sniff import suggest_type

        assert view.path is not None
        self.file_view = view
        suggested = suggest_type(view.path.name)
        self.query_one(AttachmentPanel).file_chosen(
            view.path.name,
            suggested.value if suggested else None,
            view.sniffed.mime if view.sniffed else None,
        )
        if self._source == "data":
            self.draft = self.draft.model_copy(update={"file": view.path})

    @on(FilePanel.BrowseRequested)
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

    # ------------------------------------------------------------------ attachment & remote

    @on(AttachmentPanel.Edited)
    def _attachment_edited(self, event: AttachmentPanel.Edited) -> None:
        if event.field == "source":
            self._source = event.value or "data"
            if self._source == "data_url":
                self.draft = self.draft.model_copy(update={"file": None, "data_url": self._data_url})
            else:
                ready = self.file_view.path if self.file_view.state == "ready" else None
                self.draft = self.draft.model_copy(update={"file": ready, "data_url": None})
            return
        if event.field == "data_url":
            self._data_url = event.value
            if self._source == "data_url":
                self.draft = self.draft.model_copy(update={"data_url": event.value})
            return
        self.draft = self.draft.model_copy(update={event.field: event.value})

    @on(RemoteFieldsPanel.Edited)
    def _remote_edited(self, event: RemoteFieldsPanel.Edited) -> None:
        self._remote_error = event.error
        self.draft = self.draft.model_copy(update={"remote_fields": event.remote_fields})

    # ------------------------------------------------------------------ derived state

    def watch_draft(self) -> None:
        self._recompute()

    def watch_file_view(self) -> None:
        self._recompute()

    def _prepare(self, *, require_target: bool) -> PreparedUpload:
        view = self.file_view
        return prepare(
            self.draft,
            known_fingerprint=view.fingerprint if view.state == "ready" else None,
            known_sniffed=view.sniffed if view.state == "ready" else None,
            require_target=require_target,
        )

    def _recompute(self) -> None:
        """Rebuild the preview and the warnings from the draft (cheap: no file reads)."""
        problems: list[str] = []
        file_warnings: list[str] = []
        upload: PreparedUpload | None = None
        waiting = self._source == "data" and self.draft.file is None
        if waiting:
            if self.file_view.state == "inspecting":
                problems.append("reading the file…")
        else:
            try:
                upload = self._prepare(require_target=False)
            except InputError as exc:
                problems.extend(str(p) for p in exc.problems)
            except KomboError as exc:  # pragma: no cover - defensive
                problems.append(str(exc))
        if upload is not None:
            limits = restriction_warnings(upload, self.integration_view.restrictions)
            sniffed = upload.sniffed
            for warning in upload.warnings:
                if sniffed is not None and (warning == sniffed.note or "generic" in warning):
                    file_warnings.append(warning)
                elif "extension" not in warning:
                    problems.append(warning)
            file_warnings.extend(limits)
            problems.extend(limits)
        if self._remote_error:
            problems.append(f"remote_fields: {self._remote_error}")
        self.file_warnings = tuple(_for_screen(w) for w in file_warnings)
        self.preview_problems = tuple(_for_screen(w) for w in problems)
        self.prepared = upload

    # ------------------------------------------------------------------ send

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        if action == "send":
            return None if self.sending else True
        if action == "cancel_upload":
            return self.sending
        if action == "verify":
            return self._last_upload is not None and not self.sending
        if action == "copy_log_url":
            return bool(self.result.log_url)
        return True

    def watch_sending(self) -> None:
        self.refresh_bindings()

    def watch_result(self, old: ResultView, new: ResultView) -> None:
        # Refreshing bindings recomposes the footer: only when a binding's state changes.
        if bool(old.log_url) != bool(new.log_url):
            self.refresh_bindings()

    def action_send(self) -> None:
        if self.sending:
            return
        if self.file_view.state == "inspecting" and self._source == "data":
            self.result = ResultView("invalid", "Not sent: the file is still being read. Try again in a moment.")
            return
        try:
            upload = self._prepare(require_target=True)
        except InputError as exc:
            self.result = ResultView(
                "invalid",
                "Not sent — fix these first:",
                lines=tuple(f"• {p}" for p in exc.problems),
                hint="Nothing was sent.",
            )
            return
        if self._remote_error:
            self.result = ResultView("invalid", "Not sent — fix these first:", lines=(f"• remote_fields: {self._remote_error}",))
            return
        self._confirm(upload)

    def _previous_sends(self, upload: PreparedUpload) -> list[HistoryEntry]:
        """Earlier sends of the same bytes to the same application (from the audit log)."""
        if upload.fingerprint is None:
            return []
        try:
            return self.kombo.history.previous_uploads(upload.application_id, upload.fingerprint.sha256)
        except Exception:  # noqa: BLE001 - an unreadable log must not block sending
            return []

    def _confirm(self, upload: PreparedUpload) -> None:
        from .confirm import ChoiceScreen

        details = self.integration_view.details
        tool = details.tool.label if details else tool_label(tool_id_of(upload.integration_id))
        picked = self.picked
        who = picked.candidate if picked and picked.candidate else "(candidate not looked up)"
        job = picked.job if picked and picked.job else "(job unknown)"
        if upload.file is not None:
            what = f"{upload.name}  ·  {format_bytes(upload.size)}  ·  {upload.type.value}  ·  {upload.content_type}"
        else:
            what = f"{upload.name}  ·  {upload.type.value}  ·  from {upload.data_url}"
        lines = [
            f"[b]Tool[/]         {escape(tool)}  [dim]({escape(upload.integration_id)})[/]",
            f"[b]Candidate[/]    {escape(who)}",
            f"[b]Job[/]          {escape(job)}",
            f"[b]Application[/]  {escape(upload.application_id)}",
            f"[b]File[/]         {escape(what)}",
        ]
        if details is not None and not is_supported(details.tool.id):
            lines.append(f"[$warning]⚠ {escape(tool)} cannot attach to applications: Kombo adds the file to the candidate.[/]")
        for warning in self.preview_problems:
            lines.append(f"[$warning]⚠ {escape(warning)}[/]")

        previous = self._previous_sends(upload)
        unknown_entry = next((p for p in previous if p.outcome == "unknown"), None)
        unknown = unknown_entry is not None or self._unknown_key == _upload_key(upload)
        if previous or unknown:
            lines[:0] = [*_previous_lines(previous, unknown_in_session=unknown and unknown_entry is None), ""]

        def chosen(value: str | None) -> None:
            if value == "send":
                self.upload(upload)
            elif value == "verify":
                if unknown_entry is not None:
                    self._last_history_id = unknown_entry.id
                    self._last_started_at = _parse_time(unknown_entry.at)
                self._last_upload = upload
                self.refresh_bindings()
                self.verify(upload, was_unknown=True)

        if unknown:
            title = "Send again after an unknown outcome?"
            choices = [("Verify first", "verify", "primary"), ("Send again anyway", "send", "warning"), ("Cancel  esc", "cancel", "default")]
            focus, screen_id = "verify", "resend"
        elif previous:
            title = "This file was already sent to this application — send it again?"
            choices = [("Send again", "send", "warning"), ("Cancel  esc", "cancel", "default")]
            focus, screen_id = "cancel", "confirm"
        else:
            title = "Send this file?"
            choices = [("Send  enter", "send", "success"), ("Cancel  esc", "cancel", "default")]
            focus, screen_id = "send", "confirm"
        self.app.push_screen(ChoiceScreen(title, "\n".join(lines), choices, focus=focus, screen_id=screen_id), chosen)

    def _on_progress(self, sent: int, total: int) -> None:
        self._progress = (sent, total)
        self.query_one(ResultPanel).set_progress(sent, total)

    @work(exclusive=True, group="upload", exit_on_error=False)
    async def upload(self, upload: PreparedUpload) -> None:
        """Send once (the engine retries only rate/concurrency limits) and show the outcome."""
        from kombo_tui.core.engine import send_upload


        self.sending = True
        self._progress = (0, upload.content_length)
        retries: list[str] = []
        self.result = ResultView("sending", f"Sending {upload.name}…", lines=(f"{upload.content_length:,} bytes of JSON",))
        self.query_one(ResultPanel).set_progress(0, upload.content_length)

        def on_retry(notice: Any) -> None:
            retries.append(
                f"retrying in {notice.delay:.1f}s (attempt {notice.attempt + 1} of {notice.max_attempts}): {notice.reason}"
            )
            self.result = replace(self.result, retries=tuple(retries))

        picked = self.picked if self.picked is not None and self.picked.id == upload.application_id else None
        try:
            client = await self.kombo.connection.client()
            outcome = await send_upload(
                client,
                upload,
                progress=self._on_progress,
                on_retry=on_retry,
                history=self.kombo.history,
                environment=self.kombo.connection.environment.label,
                candidate=picked.candidate if picked else None,
                job=picked.job if picked else None,
            )
        except asyncio.CancelledError:
            self._cancelled(upload)
            raise
        except KomboError as exc:  # e.g. the sandbox could not start
            self.sending = False
            self.result = ResultView("error", "✗ Not sent", message=str(exc))
            return
        finally:
            self.sending = False
        first = self._last_upload is None
        self._last_upload = upload
        self._last_history_id = outcome.history_id
        self._last_started_at = outcome.started_at
        self.result = self._outcome_view(outcome)
        if outcome.notes:
            self.result = replace(self.result, lines=self.result.lines + tuple(f"note: {n}" for n in outcome.notes))
        if first:
            self.refresh_bindings()  # Verify becomes available

    def _cancelled(self, upload: PreparedUpload) -> None:
        sent, total = self._progress
        self._last_upload = upload
        self._last_history_id = None
        if total and sent >= total:
            self._unknown_key = _upload_key(upload)
            self._record_cancelled_unknown(upload)
            self.result = ResultView(
                "unknown",
                "? Cancelled after the whole body was sent — outcome unknown",
                hint="Kombo may have stored the file. Verify (F5) before sending again.",
                can_verify=True,
            )
        else:
            self.result = ResultView(
                "cancelled",
                "Cancelled — the body was not sent completely, so nothing was stored.",
                lines=(f"{sent:,} of {total:,} bytes were sent.",),
            )

    def _record_cancelled_unknown(self, upload: PreparedUpload) -> None:
        """The engine records nothing when cancelled; a body sent in full may have landed, so log it."""
        from kombo_tui.core.engine import SendOutcome, entry_from_outcome

        picked = self.picked if self.picked is not None and self.picked.id == upload.application_id else None
        entry = entry_from_outcome(
            SendOutcome("unknown", upload),
            environment=self.kombo.connection.environment.label,
            candidate=picked.candidate if picked else None,
            job=picked.job if picked else None,
        )
        entry.error_message = "cancelled after the whole body was sent"
        try:
            self._last_history_id = self.kombo.history.record(entry)
        except Exception:  # noqa: BLE001 - the result panel already says the outcome is unknown
            self._last_history_id = None

    def _outcome_view(self, outcome: SendOutcome) -> ResultView:
        from kombo_tui.core.hints import hint_for

        upload = outcome.upload
        picked = self.picked
        target = picked.candidate if picked and picked.candidate and picked.id == upload.application_id else upload.application_id
        retries = tuple(f"retried after: {r.reason}" for r in outcome.retries)
        if outcome.status == "sent":
            self._unknown_key = None
            return ResultView(
                "sent",
                f"✓ Sent {upload.name} to {target}",
                lines=(f"{upload.type.value} · {upload.content_type or 'no content type'} · {format_bytes(upload.size)}",)
                if upload.file
                else (),
                warnings=tuple(outcome.warnings),
                retries=retries,
                can_verify=True,
            )
        error = outcome.error
        hint = hint_for(error) if error else None
        if outcome.status == "unknown":
            self._unknown_key = _upload_key(upload)
            return ResultView(
                "unknown",
                "? Outcome unknown — the file may or may not be on the application",
                **_error_fields(error),
                hint=hint,
                can_verify=True,
                retries=retries,
            )
        if outcome.status == "file_changed":
            return ResultView("file_changed", "✗ The file changed while sending — stopped before the end", message=str(error), hint=hint)
        if isinstance(error, TransportError):
            return ResultView("error", "✗ Could not reach Kombo — nothing was received", message=str(error), hint=hint, retries=retries)
        return ResultView(
            "error",
            "✗ Kombo refused the request — nothing was stored",
            **_error_fields(error),
            hint=hint,
            retries=retries,
        )

    def action_cancel_upload(self) -> None:
        if self.sending:
            self.workers.cancel_group(self, "upload")

    @on(ResultPanel.CancelRequested)
    def _cancel_requested(self) -> None:
        self.action_cancel_upload()

    @on(ResultPanel.VerifyRequested)
    def _verify_requested(self) -> None:
        self.action_verify()

    def action_verify(self) -> None:
        if self._last_upload is not None and not self.sending:
            self.verify(self._last_upload, was_unknown=self.result.kind == "unknown")

    @work(exclusive=True, group="verify", exit_on_error=False)
    async def verify(self, upload: PreparedUpload, was_unknown: bool = False) -> None:
        """Re-read the application's attachments, say whether this file is there, log it."""
        from kombo_tui.core.engine import verify_upload

        before = self.result
        self.result = replace(before, verification="checking the application's attachments…", verification_found=None)
        try:
            client = await self.kombo.connection.client()
        except KomboError as exc:
            self.result = replace(before, verification=f"could not check: {exc}", verification_found=None)
            return
        check = await verify_upload(client, upload, since=self._last_started_at)
        if check.found is not None and self._unknown_key == _upload_key(upload):
            self._unknown_key = None  # resolved either way: no need to ask before the next send
        if check.found is False and was_unknown:
            summary = check.summary() + " — it did not land; sending again is safe"
        elif check.found and was_unknown:
            summary = check.summary() + " — it landed; do not send again"
        else:
            summary = check.summary()
        self.result = replace(before, verification=summary, verification_found=check.found)
        if check.found is not None and self._last_history_id is not None:
            outcome = None
            if was_unknown:
                outcome = "verified_present" if check.found else "verified_absent"
            try:
                await asyncio.to_thread(
                    self.kombo.history.set_verified, self._last_history_id, "present" if check.found else "absent", outcome
                )
            except Exception as exc:  # noqa: BLE001 - the check itself stands; say the log missed it
                self.result = replace(self.result, lines=self.result.lines + (f"note: could not write the history ({exc})",))

    # ------------------------------------------------------------------ payload & misc

    def action_toggle_full(self) -> None:
        self.full_body = not self.full_body

    def action_export_curl(self) -> None:
        upload = self.prepared
        if upload is None:
            self.export_status = "[$warning]Nothing to export yet: choose a file (or a data_url) first.[/]"
            return
        self.export(upload)

    @work(thread=True, exclusive=True, group="export", exit_on_error=False)
    def export(self, upload: PreparedUpload) -> None:
        """Write the body and a curl script next to where the app was started; copy the command."""
        from kombo_tui.core.export import curl_command, write_body

        stem = "kombo-upload"
        body = Path(f"{stem}.json")
        script = Path(f"{stem}.sh")
        try:
            write_body(upload, body)
            command = curl_command(upload, self.base_url, body.name)
            script.write_text("#!/bin/sh\n# Needs KOMBO_API_KEY in the environment.\n" + command + "\n", encoding="utf-8")
            script.chmod(0o700)
        except (KomboError, OSError) as exc:
            self.app.call_from_thread(setattr, self, "export_status", f"[$error]✗ Export failed: {escape(str(exc))}[/]")
            return
        self.app.call_from_thread(self.app.copy_to_clipboard, command)
        self.app.call_from_thread(
            setattr,
            self,
            "export_status",
            f"[$success]✓ curl copied to the clipboard[/] · body → {body} · script → {script} "
            "[dim](run from this folder with KOMBO_API_KEY set)[/]",
        )

    def action_copy_log_url(self) -> None:
        if self.result.log_url:
            self.app.copy_to_clipboard(self.result.log_url)
            self.export_status = "[$success]✓ log URL copied to the clipboard[/]"

    def action_history(self) -> None:
        from .history import HistoryScreen

        self.app.push_screen(HistoryScreen(self.kombo.history))

    def action_toggle_theme(self) -> None:
        self.app.theme = "textual-light" if self.app.current_theme.dark else "textual-dark"

    def action_help(self) -> None:
        from .help import HelpScreen
        from .picker import ApplicationPicker

        self.app.push_screen(
            HelpScreen(
                [
                    ("Main screen", list(self.BINDINGS)),  # type: ignore[arg-type]
                    ("Application picker", list(ApplicationPicker.BINDINGS)),  # type: ignore[arg-type]
                    ("Everywhere", list(self.app.BINDINGS)),  # type: ignore[arg-type]
                ]
            )
        )

    def focus_field(self, selector: str) -> None:
        self.query_one(selector).focus()


_SHORT_MIMES = {
    "application/vnd.openxmlformats-officedocument.wordprocessingml.document": "docx",
    "application/msword": "doc",
    "application/vnd.oasis.opendocument.text": "odt",
    "application/rtf": "rtf",
}


def _for_screen(warning: str) -> str:
    """Core warnings list long MIME names; shorten them."""
    text = warning
    for mime, short in _SHORT_MIMES.items():
        text = text.replace(mime, short)
    return text


def _previous_lines(previous: list[HistoryEntry], *, unknown_in_session: bool) -> list[str]:
    """The confirm dialog's warning about earlier sends of this file to this application."""
    from .history import local_time

    lines: list[str] = []
    if unknown_in_session:
        lines.append(
            "[b $warning]⚠ The last send of this file here ended with an unknown outcome: it may already be there.[/]"
        )
    for entry in previous[:3]:
        colour = "$warning" if entry.outcome == "unknown" else "$error"
        outcome = "unknown — may be there" if entry.outcome == "unknown" else entry.outcome.replace("_", " ")
        lines.append(f"[b {colour}]⚠ Already sent on {local_time(entry.at)} (outcome {escape(outcome)}), {escape(entry.environment)}[/]")
    if len(previous) > 3:
        lines.append(f"[$error]  … and {len(previous) - 3} earlier send(s) (F9 shows them all)[/]")
    if previous or unknown_in_session:
        lines.append("[dim]Sending again attaches a second copy. Verify re-reads the application's attachments.[/]")
    return lines


def _parse_time(at: str) -> datetime | None:
    try:
        return datetime.fromisoformat(at)
    except ValueError:
        return None


def _upload_key(upload: PreparedUpload) -> tuple[str, ...]:
    sha = upload.fingerprint.sha256 if upload.fingerprint else (upload.data_url or "")
    return (upload.integration_id, upload.application_id, upload.name, sha)


def _short_error(exc: KomboError) -> str:
    if isinstance(exc, ApiError):
        return f"{exc.code or f'HTTP {exc.status}'}: {exc.message}" if exc.message else (exc.code or f"HTTP {exc.status}")
    return str(exc)


def _error_fields(error: KomboError | None) -> dict[str, Any]:
    if isinstance(error, ApiError):
        return {"code": error.code or f"HTTP {error.status}", "title": error.title, "message": error.message, "log_url": error.log_url}
    if error is not None:
        return {"message": str(error)}
    return {}
