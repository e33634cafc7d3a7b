"""The main screen: owns the draft and every piece of state; panels are bound to it.

Long work never runs on the event loop: sniffing and hashing in thread workers, HTTP in async
workers (exclusive per purpose, failures become state, never a crash).
"""

from __future__ import annotations

import asyncio
import os
import time
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
from textual.widgets import Input, TextArea
from textual.worker import get_current_worker

from kombo_tui.core.connectors import is_supported, tool_id_of, tool_label
from kombo_tui.core.errors import ApiError, InputError, KomboError, TransportError
from kombo_tui.core.hints import counted

from ..paths import display_path
from ..perf import settle_gc
from ..state import BatchFile, DraftView, FileView, IntegrationView, PickedApplication, ResultKind, ResultView
from ..widgets.attachment import AttachmentPanel
from ..widgets.common import format_bytes, printable
from ..widgets.file_panel import FilePanel
from ..widgets.header import AppHeader
from ..widgets.keybar import KeyBar
from ..widgets.payload import PayloadPanel
from ..widgets.remote import RemoteFieldsPanel
from ..widgets.result import ResultPanel
from ..widgets.target import TargetPanel

if TYPE_CHECKING:
    from kombo_tui.core.engine import SendOutcome
    from kombo_tui.core.history import HistoryEntry
    from kombo_tui.core.payload import PreparedUpload

    from ..app import KomboApp
    from .picker import PickerCache

BATCH_CONCURRENCY = 3
"""Uploads of one batch in flight at once (the client also honours Kombo's concurrency limit)."""
CHECK_DELAY = 0.35
"""Seconds of quiet typing before the integration id is checked."""
PROGRESS_INTERVAL = 0.05
"""Seconds between two updates of the upload's progress bar (chunks may come faster)."""


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
        Binding("ctrl+n", "add_file", "Add file", id="main.add_file", tooltip="Another file for the same application (a batch)"),
        Binding("f9", "history", "History", id="main.history", tooltip="Every send from this machine: filter, details, log URL"),
        Binding("ctrl+t", "toggle_theme", "Light/dark", id="main.theme", tooltip="Switch between light and dark", show=False),
    ]

    draft: var[DraftView] = var(DraftView, init=False)
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
    extra_files: var[tuple[BatchFile, ...]] = var(tuple, init=False)
    """Further files for the same application, sent together with the first."""
    first_file_result: var[str] = var("", init=False)

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
        self._last_sent: list[tuple[PreparedUpload, int | None, datetime | None]] = []
        """The last send: each upload with its audit-log row and start time (for Verify)."""
        self._batch_progress: dict[int, tuple[int, int]] = {}
        self._next_key = 0
        self._unknown_key: tuple[str, ...] | None = None
        self._progress = (0, 0)
        self.fields_ready = False
        """True once every panel's fields are mounted (right after the first frame)."""
        self._bindings_pending = False
        self._progress_shown = 0.0
        """When the progress bar was last updated (monotonic seconds)."""
        self._progress_timer: Timer | None = None

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
                yield FilePanel(file).data_bind(
                    file=MainScreen.file_view,
                    warnings=MainScreen.file_warnings,
                    more=MainScreen.extra_files,
                    result=MainScreen.first_file_result,
                )
                yield AttachmentPanel()
            with Vertical(id="right"):
                yield RemoteFieldsPanel(tool_id_of(integration) if integration else "")
                yield PayloadPanel().data_bind(
                    upload=MainScreen.prepared,
                    problems=MainScreen.preview_problems,
                    full=MainScreen.full_body,
                    base_url=MainScreen.base_url,
                    status=MainScreen.export_status,
                    more=MainScreen.extra_files,
                )
        yield ResultPanel().data_bind(result=MainScreen.result)
        yield KeyBar()

    def on_mount(self) -> None:
        # The first frame shows the header, the panel frames, the result line and the footer;
        # the panels' fields are mounted right after it (their styles and layout are most of
        # the cost of a frame).
        self.refresh_environment()
        self.call_after_refresh(self._mount_fields)

    async def _mount_fields(self) -> None:
        with self.app.batch_update():
            for panel in (TargetPanel, FilePanel, AttachmentPanel, RemoteFieldsPanel, PayloadPanel, ResultPanel):
                await self.query_one(panel).mount_fields()
        self.fields_ready = True
        self.kombo.main_ready()
        integration, application, file = self._initial
        self.draft = DraftView(integration_id=integration or None, application_id=application or None)
        if integration:
            self._schedule_check(integration)
        if file:
            self._on_path(file)
        self.query_one("#integration", Input).focus()

    def on_resize(self, event: events.Resize) -> None:
        # The result panel keeps 8 rows so that sending does not relayout the screen; a short
        # terminal needs those rows for the form.
        self.set_class(event.size.height < 32, "-short")

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
        self.draft = self.draft.updated(integration_id=value or None)
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
        self.draft = self.draft.updated(application_id=value or None)
        if self.picked is not None and self.picked.id != value:
            self.picked = PickedApplication(id=value) if value else None
        elif self.picked is None and value:
            self.picked = PickedApplication(id=value)

    @on(TargetPanel.PickRequested)
    def _pick_requested(self) -> None:
        self.action_pick()

    def action_pick(self) -> None:
        from .picker import ApplicationPicker, PickerCache

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
        self.draft = self.draft.updated(application_id=picked.id)
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
        self.draft = self.draft.updated(file=None)
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
        elif not os.path.lexists(path):
            message = f"no file at {shown}"
        else:
            # A FIFO, a device, a symlink loop…: the core says exactly what (without opening
            # anything that could block).
            from kombo_tui.core.files import check_file

            try:
                check_file(path)
                message = f"{shown} is not a regular file"
            except InputError as exc:
                message = _in_own_words(exc, path, shown)
            except OSError as exc:
                message = f"{shown} cannot be used: {exc.strerror}"
        self.file_view = FileView("error", path, shown, error=message)

    @work(thread=True, exclusive=True, group="file", exit_on_error=False)
    def inspect_file(self, path: Path, shown: str) -> None:
        """Check, sniff and hash in a thread; post the result to the screen."""
        from kombo_tui.core.files import check_file, fingerprint
        from kombo_tui.core.sniff import sniff_file

        worker = get_current_worker()
        try:
            st = check_file(path)
            self.app.call_from_thread(self._file_progress, path, shown, st.st_size, 0.0)
            sniffed = sniff_file(path)
            last = [0.0]

            def progress(done: int, total: int) -> None:
                if worker.is_cancelled:
                    raise _Stop  # another file was chosen: stop hashing this one now
                share = done / total if total else 1.0
                if share - last[0] >= 0.05 and not worker.is_cancelled:
                    last[0] = share
                    self.app.call_from_thread(self._file_progress, path, shown, total, share)

            fp = fingerprint(path, progress=progress)
        except _Stop:
            return
        except InputError as exc:
            if not worker.is_cancelled:
                self.app.call_from_thread(self._file_failed, path, shown, _in_own_words(exc, path, shown))
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
        from kombo_tui.core.naming import suggest_type

        assert view.path is not None
        self.file_view = view
        suggested = suggest_type(view.path.name)
        # A name that is not UTF-8 (bytes kept as surrogates) cannot go into JSON: U+FFFD, as the core does.
        self.query_one(AttachmentPanel).file_chosen(
            os.fsencode(view.path.name).decode("utf-8", "replace"),
            suggested.value if suggested else None,
            view.sniffed.mime if view.sniffed else None,
        )
        if self._source == "data":
            self.draft = self.draft.updated(file=view.path)

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

    # ------------------------------------------------------------------ more files (a batch)

    def action_add_file(self) -> None:
        self.query_one("#add-path", Input).focus()

    @on(FilePanel.AddRequested)
    def _add_requested(self, event: FilePanel.AddRequested) -> None:
        from kombo_tui.core.naming import suggest_type

        path = Path(os.path.expanduser(event.value))
        if not path.is_absolute():
            path = Path.cwd() / path
        shown = event.value if not os.path.isabs(event.value) else display_path(path)
        suggested = suggest_type(path.name)
        self._next_key += 1
        item = BatchFile(self._next_key, path, shown, type=suggested.value if suggested else "OTHER")
        self.extra_files = (*self.extra_files, item)
        self.inspect_more(item.key, path, shown)

    @work(thread=True, group="batch-file", exit_on_error=False)
    def inspect_more(self, key: int, path: Path, shown: str) -> None:
        """Check, sniff and hash a further file in a thread (like the first one)."""
        from kombo_tui.core.files import check_file, fingerprint
        from kombo_tui.core.sniff import sniff_file

        try:
            check_file(path)
            sniffed = sniff_file(path)
            fp = fingerprint(path)
        except InputError as exc:
            # The row already names the file: say it as the user typed it, not as a long path.
            self.app.call_from_thread(self._more_done, key, error=_in_own_words(exc, path, shown))
            return
        except OSError as exc:
            self.app.call_from_thread(self._more_done, key, error=f"cannot read it: {exc.strerror}")
            return
        self.app.call_from_thread(self._more_done, key, sniffed=sniffed, fingerprint=fp)

    def _more_done(self, key: int, *, error: str | None = None, sniffed: Any = None, fingerprint: Any = None) -> None:
        self.extra_files = tuple(
            replace(
                item,
                state="error" if error else "ready",
                error=error,
                sniffed=sniffed,
                fingerprint=fingerprint,
                size=fingerprint.size if fingerprint else None,
            )
            if item.key == key
            else item
            for item in self.extra_files
        )

    @on(FilePanel.RemoveRequested)
    def _remove_requested(self, event: FilePanel.RemoveRequested) -> None:
        self.extra_files = tuple(item for item in self.extra_files if item.key != event.key)

    @on(FilePanel.TypeChosen)
    def _type_chosen(self, event: FilePanel.TypeChosen) -> None:
        self.extra_files = tuple(
            replace(item, type=event.value, error=None if item.state == "ready" else item.error) if item.key == event.key else item
            for item in self.extra_files
        )

    # ------------------------------------------------------------------ attachment & remote

    @on(AttachmentPanel.Edited)
    def _attachment_edited(self, event: AttachmentPanel.Edited) -> None:
        if event.field == "source":
            self._source = event.value or "data"
            if self._source == "data_url":
                self.draft = self.draft.updated(file=None, data_url=self._data_url)
            else:
                ready = self.file_view.path if self.file_view.state == "ready" else None
                self.draft = self.draft.updated(file=ready, data_url=None)
            return
        if event.field == "data_url":
            self._data_url = event.value
            if self._source == "data_url":
                self.draft = self.draft.updated(data_url=event.value)
            return
        self.draft = self.draft.updated(**{event.field: event.value})

    @on(RemoteFieldsPanel.Edited)
    def _remote_edited(self, event: RemoteFieldsPanel.Edited) -> None:
        self._remote_error = event.error
        self.draft = self.draft.updated(remote_fields=event.remote_fields)

    # ------------------------------------------------------------------ derived state

    def watch_draft(self) -> None:
        self._recompute()

    def watch_file_view(self) -> None:
        self._recompute()

    def _prepare(self, *, require_target: bool) -> PreparedUpload:
        from kombo_tui.core.payload import prepare

        view = self.file_view
        return prepare(
            self.draft.to_core(),
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
            from kombo_tui.core.payload import restriction_warnings

            limits = restriction_warnings(upload, self.integration_view.restrictions)
            for notice in upload.warnings:
                if notice.code in ("sniff_note", "generic_mime"):
                    file_warnings.append(notice.message)
                elif notice.code != "name_without_extension":  # the attachment panel says it
                    problems.append(notice.message)
            file_warnings.extend(n.message for n in limits)
            problems.extend(n.message for n in limits)
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
            return bool(self._last_sent) and not self.sending
        if action == "copy_log_url":
            return bool(self.result.log_url)
        return True

    def watch_sending(self) -> None:
        self._refresh_bindings_soon()

    def watch_result(self, old: ResultView, new: ResultView) -> None:
        # Refreshing bindings recomposes the footer: only when a binding's state changes.
        if bool(old.log_url) != bool(new.log_url):
            self._refresh_bindings_soon()

    def _refresh_bindings_soon(self) -> None:
        """Refresh the footer after the next frame, once however often it is asked for.

        Recomposing the footer relays out the whole screen; done in the same loop turn as
        the result panel's own change (sending starts or ends) the two would stall the loop
        together.
        """
        if not self._bindings_pending:
            self._bindings_pending = True
            self.call_after_refresh(self._refresh_bindings_now)

    def _refresh_bindings_now(self) -> None:
        self._bindings_pending = False
        self.refresh_bindings()

    def action_send(self) -> None:
        if self.sending:
            return
        if self.file_view.state == "inspecting" and self._source == "data":
            self.result = ResultView("invalid", "Not sent: the file is still being read. Try again in a moment.")
            return
        problems: list[str] = []
        upload: PreparedUpload | None = None
        try:
            upload = self._prepare(require_target=True)
        except InputError as exc:
            problems.extend(f"• {p}" for p in exc.problems)
        if self._remote_error:
            problems.append(f"• remote_fields: {self._remote_error}")
        more = self._prepare_more(upload)
        if problems or more is None:
            if more is None:
                problems.extend(
                    f"• {item.display}: {item.error or 'still being read'}" for item in self.extra_files if item.error or item.state != "ready"
                )
            self.result = ResultView("invalid", "Not sent — fix these first:", lines=tuple(problems), hint="Nothing was sent.")
            return
        assert upload is not None
        self._confirm([upload, *more])

    def _prepare_more(self, first: PreparedUpload | None) -> list[PreparedUpload] | None:
        """Validate every further file (each row shows its own problem); None if any is bad."""
        from kombo_tui.core.payload import prepare

        uploads: list[PreparedUpload] = []
        seen = {first.fingerprint.sha256} if first is not None and first.fingerprint else set()
        updated: list[BatchFile] = []
        ok = True
        for item in self.extra_files:
            error = item.error if item.state == "error" else None
            if item.state == "inspecting":
                error = "still being read — try again in a moment"
            elif item.state == "ready":
                try:
                    upload = prepare(
                        self.draft.updated(file=item.path, data_url=None, name=None, type=item.type, content_type=None).to_core(),
                        known_fingerprint=item.fingerprint,
                        known_sniffed=item.sniffed,
                    )
                except InputError as exc:
                    error = "; ".join(p.message for p in exc.problems if p.field not in ("integration", "application"))
                    error = error or "fix the target first"
                else:
                    sha = upload.fingerprint.sha256 if upload.fingerprint else ""
                    if sha in seen:
                        error = "the same file is already in this batch"
                    seen.add(sha)
                    uploads.append(upload)
            ok = ok and error is None
            updated.append(replace(item, error=error, result=None, result_kind="idle"))
        self.extra_files = tuple(updated)
        return uploads if ok else None

    def _previous_sends(self, upload: PreparedUpload) -> list[HistoryEntry]:
        """Earlier sends of the same bytes to the same application (from the audit log)."""
        if upload.fingerprint is None:
            return []
        try:
            return self.kombo.history.previous_uploads(
                upload.application_id,
                upload.fingerprint.sha256,
                environment=self.kombo.connection.environment.label,
                integration_id=upload.integration_id,
            )
        except Exception:  # noqa: BLE001 - an unreadable log must not block sending
            return []

    def _confirm(self, uploads: list[PreparedUpload]) -> None:
        from .confirm import ChoiceScreen

        upload = uploads[0]
        details = self.integration_view.details
        tool = details.tool.label if details else tool_label(tool_id_of(upload.integration_id))
        picked = self.picked
        who = picked.candidate if picked and picked.candidate else "(candidate not looked up)"
        job = picked.job if picked and picked.job else "(job unknown)"
        lines = [
            f"[b]Tool[/]         {escape(tool)}  [dim]({escape(upload.integration_id)})[/]",
            f"[b]Candidate[/]    {escape(who)}",
            f"[b]Job[/]          {escape(job)}",
            f"[b]Application[/]  {escape(printable(upload.application_id))}",
        ]
        for index, item in enumerate(uploads):
            label = "[b]File[/]        " if len(uploads) == 1 else f"[b]File {index + 1}[/]      "
            lines.append(f"{label} {escape(_describe(item))}")
        if details is not None and not is_supported(details.tool.id):
            lines.append(f"[$warning]⚠ {escape(tool)} cannot attach to applications: Kombo adds the file to the candidate.[/]")
        for warning in self.preview_problems:
            lines.append(f"[$warning]⚠ {escape(warning)}[/]")

        previous = {id(u): self._previous_sends(u) for u in uploads}
        unknown_entry = next((p for u in uploads for p in previous[id(u)] if p.outcome == "unknown"), None)
        unknown_here = self._unknown_key == _upload_key(upload)
        unknown = unknown_entry is not None or unknown_here
        if any(previous.values()) or unknown:
            named = [(u.name if len(uploads) > 1 else "", previous[id(u)]) for u in uploads]
            lines[:0] = [*_previous_lines(named, unknown_in_session=unknown_here and unknown_entry is None), ""]

        def chosen(value: str | None) -> None:
            if value == "send":
                self.upload(uploads)
            elif value == "verify":
                target = upload
                if unknown_entry is not None:
                    target = next(u for u in uploads if unknown_entry in previous[id(u)])
                    self._last_sent = [(target, unknown_entry.id, _parse_time(unknown_entry.at))]
                elif not self._last_sent:
                    self._last_sent = [(target, None, None)]
                self.refresh_bindings()
                self.verify(self._last_sent, was_unknown=True)

        count = "these files" if len(uploads) > 1 else "this file"
        if unknown:
            title = "Send again after an unknown outcome?"
            choices = [("Verify first", "verify", "primary"), ("Send again anyway", "send", "warning"), ("Cancel  esc", "cancel", "default")]
            focus, screen_id = "verify", "resend"
        elif any(previous.values()):
            title = f"Already sent to this application — send {count} again?"
            choices = [("Send again", "send", "warning"), ("Cancel  esc", "cancel", "default")]
            focus, screen_id = "cancel", "confirm"
        else:
            title = f"Send {count}?" if len(uploads) == 1 else f"Send these {len(uploads)} files?"
            choices = [("Send  enter", "send", "success"), ("Cancel  esc", "cancel", "default")]
            focus, screen_id = "send", "confirm"
        self.app.push_screen(ChoiceScreen(title, "\n".join(lines), choices, focus=focus, screen_id=screen_id), chosen)

    def _on_progress(self, sent: int, total: int) -> None:
        """Called on the loop for every chunk the transport took: the bar moves at most every
        ``PROGRESS_INTERVAL`` seconds (and always at the end)."""
        self._progress = (sent, total)
        waited = time.monotonic() - self._progress_shown
        if sent >= total or waited >= PROGRESS_INTERVAL:
            self._show_progress()
        elif self._progress_timer is None:
            self._progress_timer = self.set_timer(PROGRESS_INTERVAL - waited, self._show_progress)

    def _show_progress(self) -> None:
        if self._progress_timer is not None:
            self._progress_timer.stop()
            self._progress_timer = None
        self._progress_shown = time.monotonic()
        self.query_one(ResultPanel).set_progress(*self._progress)

    def _on_single_progress(self, sent: int, total: int) -> None:
        self._batch_progress[0] = (sent, total)  # whether its body went out in full (on cancel)
        self._on_progress(sent, total)

    def _on_batch_progress(self, index: int, sent: int, total: int) -> None:
        self._batch_progress[index] = (sent, total)
        self._on_progress(sum(s for s, _ in self._batch_progress.values()), self._progress[1])

    @work(exclusive=True, group="upload", exit_on_error=False)
    async def upload(self, uploads: list[PreparedUpload]) -> None:
        """Send once (the engine retries only rate/concurrency limits) and show the outcome(s)."""
        from kombo_tui.core.engine import send_batch, send_upload

        self.sending = True
        settle_gc()  # no full collection of the app's long-lived objects mid-upload
        total = sum(u.content_length for u in uploads)
        self._progress = (0, total)
        self._batch_progress = {i: (0, u.content_length) for i, u in enumerate(uploads)}
        retries: list[str] = []
        what = uploads[0].name if len(uploads) == 1 else f"{len(uploads)} files"
        # The confirm dialog just closed: let that repaint go out in a frame of its own before
        # the result panel grows (a relayout); together they would stall the loop.
        await self.wait_for_refresh()
        self.result = ResultView("sending", f"Sending {what}…", lines=(f"{total:,} bytes of JSON",))
        self._progress_shown = time.monotonic()
        self.query_one(ResultPanel).set_progress(0, total)
        self.first_file_result = ""
        if len(uploads) > 1:
            self.extra_files = tuple(replace(f, result="sending…", result_kind="sending") for f in self.extra_files)

        def on_retry(notice: Any) -> None:
            retries.append(
                f"retrying in {notice.delay:.1f}s (attempt {notice.attempt + 1} of {notice.max_attempts}): {notice.reason}"
            )
            self.result = replace(self.result, retries=tuple(retries))

        picked = self.picked if self.picked is not None and self.picked.id == uploads[0].application_id else None
        candidate, job = (picked.candidate, picked.job) if picked else (None, None)
        environment = self.kombo.connection.environment.label
        try:
            client = await self.kombo.connection.client()
            if len(uploads) == 1:
                outcomes = [
                    await send_upload(
                        client,
                        uploads[0],
                        progress=self._on_single_progress,
                        on_retry=on_retry,
                        history=self.kombo.history,
                        environment=environment,
                        candidate=candidate,
                        job=job,
                    )
                ]
            else:
                outcomes = await send_batch(
                    client,
                    uploads,
                    concurrency=BATCH_CONCURRENCY,
                    progress=self._on_batch_progress,
                    on_retry=on_retry,
                    history=self.kombo.history,
                    environment=environment,
                    context=[(candidate, job)] * len(uploads),
                )
        except asyncio.CancelledError:
            self._cancelled(uploads)
            raise
        except KomboError as exc:  # e.g. the sandbox could not start
            self.sending = False
            self.result = ResultView("error", "✗ Not sent", message=str(exc))
            self.extra_files = tuple(replace(f, result=None, result_kind="idle") for f in self.extra_files)
            return
        finally:
            self.sending = False
        first = self._last_upload is None
        self._last_upload = uploads[0]
        self._last_sent = [(o.upload, o.history_id, o.started_at) for o in outcomes]
        if len(outcomes) == 1:
            self.result = self._outcome_view(outcomes[0])
            notes = outcomes[0].notes
        else:
            self.result = self._batch_view(outcomes)
            notes = [n for o in outcomes for n in o.notes]
        if notes:
            self.result = replace(self.result, lines=self.result.lines + tuple(f"note: {n}" for n in dict.fromkeys(notes)))
        if first:
            self._refresh_bindings_soon()  # Verify becomes available

    def _batch_view(self, outcomes: list[SendOutcome]) -> ResultView:
        """One line per file in the result panel; each row of the File panel gets its own result."""
        marks = {"sent": "✓", "unknown": "?", "error": "✗", "file_changed": "✗"}
        lines: list[str] = []
        warnings: list[str] = []
        results: list[tuple[str, ResultKind]] = []
        for outcome in outcomes:
            upload, error = outcome.upload, outcome.error
            if outcome.status == "sent":
                text = "sent"
            elif outcome.status == "unknown":
                text = "outcome unknown — verify before sending again"
            elif isinstance(error, ApiError):
                text = f"not sent: {error.code or f'HTTP {error.status}'}" + (f" — {error.message}" if error.message else "")
            else:
                text = f"not sent: {error}"
            results.append((f"{marks[outcome.status]} {text}", outcome.status))
            lines.append(f"{marks[outcome.status]} {upload.name} ({upload.type.value}): {text}")
            warnings.extend(f"{upload.name}: {w}" for w in outcome.warnings)
        self.first_file_result = _result_markup(*results[0])
        by_key = dict(zip((f.key for f in self.extra_files), results[1:], strict=False))
        self.extra_files = tuple(
            replace(f, result=by_key[f.key][0], result_kind=by_key[f.key][1]) if f.key in by_key else f for f in self.extra_files
        )
        statuses = [o.status for o in outcomes]
        sent = statuses.count("sent")
        first_error = next((o.error for o in outcomes if isinstance(o.error, ApiError)), None)
        if sent == len(outcomes):
            kind: ResultKind = "sent"
            headline = f"✓ Sent all {len(outcomes)} files"
        elif "unknown" in statuses:
            kind, headline = "unknown", f"? {sent} of {len(outcomes)} sent; the outcome of some is unknown"
            self._unknown_key = _upload_key(outcomes[0].upload) if statuses[0] == "unknown" else self._unknown_key
        else:
            kind, headline = "error", f"✗ {sent} of {len(outcomes)} sent"
        return ResultView(
            kind,
            headline,
            lines=tuple(lines),
            warnings=tuple(warnings),
            log_url=first_error.log_url if first_error else None,
            hint="F5 verifies every file of the batch." if kind == "unknown" else None,
            can_verify=True,
        )

    def _cancelled(self, uploads: list[PreparedUpload]) -> None:
        complete = [
            uploads[i] for i, (sent, total) in self._batch_progress.items() if total and sent >= total
        ]
        self._last_upload = uploads[0]
        self._last_sent = [(u, None, None) for u in uploads]
        self.extra_files = tuple(replace(f, result=None, result_kind="idle") for f in self.extra_files)
        if complete:
            # The core logged each of these as "unknown" (the body was out): Verify updates that row.
            self._unknown_key = _upload_key(uploads[0]) if uploads[0] in complete else self._unknown_key
            ids = {id(u): self._cancelled_row(u) for u in complete}
            self._last_sent = [(u, ids.get(id(u)), None) for u in uploads]
            names = ", ".join(u.name for u in complete)
            self.result = ResultView(
                "unknown",
                "? Cancelled after the whole body was sent — outcome unknown",
                lines=(f"sent in full: {names}",) if len(uploads) > 1 else (),
                hint="Kombo may have stored the file. Verify (F5) before sending again.",
                can_verify=True,
            )
        else:
            sent, total = self._progress
            self.result = ResultView(
                "cancelled",
                "Cancelled — the body was not sent completely, so nothing was stored.",
                lines=(f"{sent:,} of {total:,} bytes were sent.",),
            )

    def _cancelled_row(self, upload: PreparedUpload) -> int | None:
        """The audit-log row the core wrote for a send cancelled after its body went out."""
        previous = self._previous_sends(upload)
        return next((entry.id for entry in previous if entry.outcome == "unknown"), None)

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
        if self._last_sent and not self.sending:
            self.verify(self._last_sent, was_unknown=self.result.kind == "unknown")

    @work(exclusive=True, group="verify", exit_on_error=False)
    async def verify(self, sent: list[tuple[PreparedUpload, int | None, datetime | None]], was_unknown: bool = False) -> None:
        """Re-read the application's attachments, say whether each file is there, log it."""
        from kombo_tui.core.engine import verify_upload

        before = self.result
        self.result = replace(before, verification="checking the application's attachments…", verification_found=None)
        try:
            client = await self.kombo.connection.client()
        except KomboError as exc:
            self.result = replace(before, verification=f"could not check: {exc}", verification_found=None)
            return
        summaries: list[str] = []
        found: list[bool | None] = []
        notes: list[str] = []
        for upload, history_id, since in sent:
            check = await verify_upload(client, upload, since=since)
            found.append(check.found)
            if check.found is not None and self._unknown_key == _upload_key(upload):
                self._unknown_key = None  # resolved either way: no need to ask before the next send
            summary = check.summary()
            if check.found is False and was_unknown:
                summary += " — it did not land; sending again is safe"
            elif check.found and was_unknown:
                summary += " — it landed; do not send again"
            summaries.append(summary if len(sent) == 1 else f"{upload.name}: {summary}")
            if check.found is not None and history_id is not None:
                outcome = None
                if was_unknown:
                    outcome = "verified_present" if check.found else "verified_absent"
                try:
                    await asyncio.to_thread(
                        self.kombo.history.set_verified, history_id, "present" if check.found else "absent", outcome
                    )
                except Exception as exc:  # noqa: BLE001 - the check itself stands; say the log missed it
                    notes.append(f"note: could not write the history ({exc})")
        overall = None if None in found else all(found)
        self.result = replace(
            before,
            verification="\n".join(summaries),
            verification_found=overall,
            lines=before.lines + tuple(dict.fromkeys(notes)),
        )

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


def _describe(upload: PreparedUpload) -> str:
    name = printable(upload.name)
    if upload.file is not None:
        return f"{name}  ·  {format_bytes(upload.size)}  ·  {upload.type.value}  ·  {upload.content_type}"
    return f"{name}  ·  {upload.type.value}  ·  from {printable(upload.data_url or '')}"


def _result_markup(text: str, kind: str) -> str:
    colour = {"sent": "$success", "unknown": "$warning"}.get(kind, "$error")
    return f"[{colour}]{escape(text)}[/]"


class _Stop(Exception):
    """Raised from a progress callback to abandon hashing a file nobody wants any more."""


def _in_own_words(exc: InputError, path: Path, shown: str) -> str:
    """The core's problems about a file, naming it as the user typed it (not a long absolute path)."""
    message = "; ".join(p.message for p in exc.problems)
    return message.replace(repr(str(path)), shown).replace(str(path), shown)


def _previous_lines(named: list[tuple[str, list[HistoryEntry]]], *, unknown_in_session: bool) -> list[str]:
    """The confirm dialog's warning about earlier sends of these files to this application."""
    from .history import local_time

    lines: list[str] = []
    if unknown_in_session:
        lines.append(
            "[b $warning]⚠ The last send of this file here ended with an unknown outcome: it may already be there.[/]"
        )
    for name, previous in named:
        which = f"{escape(printable(name))}: " if name else ""
        for entry in previous[:3]:
            colour = "$warning" if entry.outcome == "unknown" else "$error"
            outcome = "unknown — may be there" if entry.outcome == "unknown" else entry.outcome.replace("_", " ")
            lines.append(
                f"[b {colour}]⚠ {which}{'already' if which else 'Already'} sent on {local_time(entry.at)} (outcome {escape(outcome)}), {escape(entry.environment)}[/]"
            )
        if len(previous) > 3:
            lines.append(f"[$error]  … and {counted(len(previous) - 3, 'earlier send')} (F9 shows them all)[/]")
    if any(previous for _, previous in named) or unknown_in_session:
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
