"""The notebook form itself: :class:`SendForm`, its widgets and what its buttons do.

``kt.widget()`` (:mod:`kombo_tui.notebook`) makes one. The form speaks its own field names:
:func:`in_form_terms` rewords the core's messages, which name the library's arguments.
"""

from __future__ import annotations

import json
import os
import tempfile
import threading
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from kombo_tui.core.config.file import SecretText
    from kombo_tui.core.outcome import SendOutcome
    from kombo_tui.core.payload import PreparedUpload

__all__ = ["APPLICATIONS_LIMIT", "FORM_FIELDS", "NO_FILE", "SHOWN_LIMIT", "SendForm", "in_form_terms"]

APPLICATIONS_LIMIT = 2000
"""Applications loaded for the search box at first (the first ones Kombo lists; *Load all* gets the rest)."""

SHOWN_LIMIT = 500
"""Matches listed in the chooser at once (the count says how many more; the search narrows them)."""

_WIDE = {"description_width": "initial"}
"""Every label in full (ipywidgets cuts labels at a fixed width otherwise)."""

_FORM_TERMS = (
    ("pass force=True to send it again", "tick “force” and Send to send it again"),
    ("check with verify=True first", "tick “verify” and Send to check the application first"),
    ("send again with verify=True", "tick “verify” and Send again"),
    ("give a file to send (or a data_url for Kombo to fetch)", "choose a file with Upload file, or type its File path"),
    ("force=True", "“force”"),
    ("verify=True", "“verify”"),
    ("history=False", "a form made with kt.widget(history=False)"),
)
"""The core speaks the library's words; the form says its own fields."""

FORM_FIELDS = {
    "integration": "type or pick one under Integration",
    "application": "choose one under Application",
    "name": "upload a file with a name, or type a path",
}
"""Where the form takes each field, said beside a field left empty (as the CLI names its flags
and the library its arguments: :meth:`~kombo_tui.core.errors.Problem.worded`)."""


def in_form_terms(text: str) -> str:
    """A message of the core, with the form's fields in place of the library's arguments."""
    from kombo_tui.core.api import LIBRARY_FIELDS

    for field, where in FORM_FIELDS.items():
        text = text.replace(f"({LIBRARY_FIELDS[field]})", f"({where})")
    for said, meant in _FORM_TERMS:
        text = text.replace(said, meant)
    return text


def _ipywidgets() -> Any:
    try:
        import ipywidgets
    except ImportError:
        raise ImportError("kt.widget() needs ipywidgets: pip install 'kombo-tui[notebook]'") from None
    return ipywidgets


NO_FILE = (
    "Choose a file with Upload file, or type its path. A file chosen but not named here did not reach "
    "the kernel (the browser may drop a large one): choose it again, or type its path."
)


def _escape(value: object) -> str:
    import html

    return html.escape(str(value), quote=True)


def _badge(status: str, colour: str) -> str:
    return (
        f'<span style="background:{colour};color:#fff;border-radius:0.8em;padding:0.1em 0.6em;'
        f'font-weight:600">{_escape(status)}</span>'
    )


def _is_loopback(url: str) -> bool:
    from urllib.parse import urlsplit

    from kombo_tui.core.net import is_loopback_host

    return is_loopback_host(urlsplit(url).hostname or "")


class SendForm:
    """The form's widgets and what its buttons do (also callable from code, for tests).

    Attributes mirror the fields: :attr:`integration`, :attr:`search`, :attr:`application`
    (a list showing candidate, email, job and id in full), :attr:`path`, :attr:`upload`,
    :attr:`type`, :attr:`content_type`, :attr:`remote_json`, :attr:`force`, :attr:`verify`,
    :attr:`preview`, :attr:`send_button`, :attr:`cancel_button`, :attr:`progress`,
    :attr:`result`; :attr:`outcome` is the last :class:`~kombo_tui.core.outcome.SendOutcome`,
    :attr:`error` the last refusal (or :class:`~kombo_tui.core.api.SendCancelled`).

    Inside a Jupyter kernel the Send button sends in the background: the kernel stays free
    and *Cancel* stops the upload. :meth:`send` (from code) blocks; an Interrupt then ends it
    with the same clear result.
    """

    def __init__(
        self,
        *,
        api_key: str | SecretText | None = None,
        base_url: str | None = None,
        region: str | None = None,
        integration_id: str | None = None,
        integrations: Sequence[str] | None = None,
        history: Any = True,
    ) -> None:
        w = _ipywidgets()
        from kombo_tui.core.models import AttachmentType
        from kombo_tui.core.target import Target

        target = Target.resolve(region=region, base_url=base_url, api_key=api_key, integration_id=integration_id)
        self._where: dict[str, Any] = {"api_key": api_key, "base_url": base_url, "region": region}
        self._history = history
        self._file_dir: tempfile.TemporaryDirectory[str] | None = None
        self._handle: Any = None
        self._cancel: Any = None
        self._worker: threading.Thread | None = None
        self._result_kind = ""
        self._last_words = ""
        """How the last send ended when it has no outcome (refused, cancelled, interrupted)."""
        self._complete = True
        self.outcome: SendOutcome | None = None
        self.error: Exception | None = None
        self.applications: list[Any] = []
        self.background = _in_kernel()
        """Send from the button in a worker thread (inside a Jupyter kernel), so Cancel works."""

        suggestions = list(integrations or [])
        if not suggestions and _is_loopback(target.base_url):
            from kombo_tui.sandbox.integrations import INTEGRATIONS

            suggestions = [i.id for i in INTEGRATIONS]
        full = w.Layout(width="100%")
        self.integration = w.Combobox(
            value=target.integration_id or "", options=suggestions, description="Integration",
            placeholder="integration id", ensure_option=False, style=_WIDE, layout=w.Layout(width="60%"),
            tooltip="Integration: the Kombo integration id (tool:id) to send to",
        )
        self.load_button = w.Button(description="Load applications", tooltip="List the integration's applications to choose from")
        self.load_all_button = w.Button(
            description="Load all", tooltip="List every application of the integration (may take a while)",
            layout=w.Layout(display="none"),
        )
        self.apps_status = w.HTML()
        """How many applications are loaded and match the search; a failed load says why here."""
        self.search = w.Text(
            description="Search", placeholder="candidate, email, job or id", style=_WIDE, layout=full,
            tooltip="Search: narrows the applications by candidate name, email, job or application id",
        )
        self.application = w.Select(
            options=[], description="Application", rows=8, style=_WIDE, layout=full,
            tooltip="Application: candidate · email · job · application id",
        )
        self.path = w.Text(
            description="File path", placeholder="cv.pdf (a path where the kernel runs; or upload below)", style=_WIDE,
            layout=w.Layout(width="70%"), tooltip="File path: a file where the kernel runs (any size)",
        )
        self.upload = w.FileUpload(
            multiple=False, description="Upload file",
            tooltip="Upload file: from this browser (up to about 10 MB reaches the kernel; larger: type its path)",
        )
        self.file_label = w.HTML()
        """The file Send would send, by name, as the kernel has it (never one chosen earlier)."""
        self.type = w.Dropdown(
            options=["(from the name)", *(t.value for t in AttachmentType)], description="Type", style=_WIDE,
            tooltip="Type: the attachment type (CV, COVER_LETTER, ...); by default guessed from the file name",
        )
        self.content_type = w.Text(
            description="Content type", placeholder="(sniffed from the file)", style=_WIDE,
            tooltip="Content type: the MIME type to send; by default sniffed from the file's bytes",
        )
        self.remote_box = w.VBox([])
        self.remote_json = w.Textarea(
            description="Remote fields (JSON)", style=_WIDE, layout=full,
            tooltip="Remote fields (JSON): integration-specific fields, merged with the ones above",
        )
        self.force = w.Checkbox(
            description="force: send again even if already sent", value=False, style=_WIDE, indent=False,
            layout=w.Layout(width="auto", margin="0 2em 0 0"),
            tooltip="force: send even though the history shows this file sent to this application (unticked after each send)",
        )
        self.verify = w.Checkbox(
            description="verify: check the application's attachments after sending", value=False, style=_WIDE,
            indent=False, layout=w.Layout(width="auto"), tooltip="verify: list the attachments before and after, and say whether the file is there",
        )
        self.preview = w.HTML()
        self.send_button = w.Button(description="Send", button_style="primary", tooltip="Send the file (the request shown above)")
        self.cancel_button = w.Button(
            description="Cancel", disabled=True, tooltip="Stop the upload in progress (the result says what became of it)",
        )
        self.progress = w.IntProgress(
            value=0, min=0, max=1, description="Upload", style=_WIDE,
            tooltip="Upload: how much of the request body has left (the file, base64-encoded)",
        )
        self.status = w.Label(value="")
        """Where the upload stands, in words (``sending… 1.2 of 2.4 MB``)."""
        self.result = w.HTML()
        self._remote_widgets: dict[tuple[str, ...], Any] = {}

        self.load_button.on_click(lambda _b: self.load_applications())
        self.load_all_button.on_click(lambda _b: self.load_applications(limit=None))
        self.send_button.on_click(lambda _b: self._clicked_send())
        self.cancel_button.on_click(lambda _b: self.cancel())
        self.search.observe(lambda _c: self._filter(), names="value")
        self.integration.observe(lambda _c: self._integration_changed(), names="value")
        for field in (self.application, self.path, self.upload, self.type, self.content_type, self.remote_json):
            field.observe(lambda _c: self._field_changed(), names="value")
        self._integration_changed()
        self.box = w.VBox(
            [
                w.HBox([self.integration, self.load_button, self.load_all_button]),
                self.apps_status,
                self.search,
                self.application,
                w.HBox([self.path, self.upload]),
                self.file_label,
                w.HBox([self.type, self.content_type]),
                self.remote_box,
                self.remote_json,
                w.HBox([self.force, self.verify]),
                self.preview,
                w.HBox([self.send_button, self.cancel_button, self.progress, self.status]),
                self.result,
            ],
            layout=full,
        )

    # ------------------------------------------------------------------ display

    def summary(self) -> str:
        """The form in words (its saved output in a notebook, where the widgets do not come back)."""
        from kombo_tui.core.text import clip, one_line

        parts = [f"kombo-tui send form: integration {self.integration.value or '-'}"]
        if self.applications:
            parts.append(f"{len(self.applications):,} applications loaded")
        if self.outcome is not None:
            o = self.outcome
            parts.append(
                f"last send: {o.status} {o.upload.name} to application {o.upload.target_id}"
                + (f" (history #{o.history_id})" if o.history_id is not None else "")
            )
        elif self._last_words:
            parts.append(f"last send: {self._last_words}")
        return clip(one_line(" · ".join(parts)), 400)

    def _bundle(self) -> dict[str, Any]:
        bundle = dict(self.box._repr_mimebundle_() or {})
        bundle["text/plain"] = self.summary()
        return bundle

    def _ipython_display_(self) -> None:
        from IPython.display import display

        self._handle = display(self._bundle(), raw=True, display_id=True)  # type: ignore[no-untyped-call]

    def _saved_text(self) -> None:
        """Rewrite the displayed output's words (what a saved notebook shows) after a change."""
        if self._handle is not None:
            try:
                self._handle.update(self._bundle(), raw=True)
            except Exception:  # noqa: BLE001 - the words are a courtesy; the widgets are live
                pass

    def __repr__(self) -> str:
        return f"<{self.summary()}>"

    # ------------------------------------------------------------------ fields

    def _integration_changed(self) -> None:
        from kombo_tui.core.connectors import families_for_tool, tool_id_of

        w = _ipywidgets()
        self._remote_widgets = {}
        children = []
        tool = tool_id_of(self.integration.value or "")
        for family in families_for_tool(tool):
            for spec in family.fields:
                tip = f"{spec.label}: {spec.help}" if spec.help else spec.label
                if spec.kind == "select":
                    widget = w.Dropdown(options=["", *spec.choices], description=spec.label, style=_WIDE, tooltip=tip)
                elif spec.kind == "bool":
                    widget = w.Checkbox(description=spec.label, value=False, style=_WIDE, indent=False, tooltip=tip,
                                        layout=w.Layout(width="auto"))
                else:
                    widget = w.Text(description=spec.label, placeholder=spec.help, style=_WIDE, tooltip=tip,
                                    layout=w.Layout(width="100%"))
                widget.observe(lambda _c: self._field_changed(), names="value")
                self._remote_widgets[spec.path] = widget
                children.append(widget)
        self.remote_box.children = children
        self.remote_json.placeholder = f'{{"{tool or "tool"}": {{...}}}} (optional JSON)'
        self.applications = []
        self.application.options = []
        self._more = False
        self.load_all_button.layout.display = "none"
        self.apps_status.value = "" if not self.integration.value else "Load the applications to choose one (or search after loading)."
        self._field_changed()

    def load_applications(self, limit: int | None = APPLICATIONS_LIMIT) -> None:
        """Fetch the integration's applications (the first ``limit``; None: all) for the chooser."""
        from kombo_tui.core.api import list_applications
        from kombo_tui.core.errors import KomboError

        self.apps_status.value = "loading applications…"

        def counted(n: int, _total: int | None) -> None:
            self.apps_status.value = f"loading applications… {n:,}"

        try:
            self.applications = list(
                list_applications(self.integration.value, limit=limit, progress=counted, **self._where)
            )
        except KomboError as exc:
            self.apps_status.value = _refusal_html("could not load the applications", exc)
            return
        self._more = limit is not None and len(self.applications) >= limit
        self.load_all_button.layout.display = "" if self._more else "none"
        self._filter()
        self._saved_text()

    def _label(self, app: Any) -> str:
        cand = app.candidate
        return " · ".join(
            x for x in (cand.full_name if cand else None, cand.email if cand else None, app.job.name if app.job else None, app.id) if x
        )

    def _filter(self) -> None:
        needle = self.search.value.strip().lower()
        matches = []
        for app in self.applications:
            label = self._label(app)
            if not needle or needle in label.lower():
                matches.append((label, app.id))
        current = self.application.value
        self.application.options = matches[:SHOWN_LIMIT]
        ids = [value for _label, value in self.application.options]
        if ids:
            self.application.value = current if current in ids else ids[0]
        loaded = f"{len(self.applications):,} loaded"
        if self._more:
            loaded += f" (the first {len(self.applications):,}; there are more — Load all)"
        shown = f"; the first {SHOWN_LIMIT:,} listed, search to narrow" if len(matches) > SHOWN_LIMIT else ""
        what = f"{len(matches):,} of {loaded} match the search" if needle else loaded
        self.apps_status.value = _escape(f"Applications: {what}{shown}")

    def _file(self) -> Path | None:
        if self.upload.value:
            item = self.upload.value[0]
            if self._file_dir is None:
                self._file_dir = tempfile.TemporaryDirectory(prefix="kombo-tui-upload-")
            name = Path(str(item["name"])).name or "upload"
            path = Path(self._file_dir.name) / name
            fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
            with os.fdopen(fd, "wb") as out:
                out.write(bytes(item["content"]))
            return path
        return Path(self.path.value).expanduser() if self.path.value.strip() else None

    def _file_line(self) -> str:
        """Which file Send takes, named: the upload the kernel received, else the typed path."""
        if self.upload.value:
            item = self.upload.value[0]
            return f"<b>File to send</b>: {_escape(Path(str(item['name'])).name)} · {len(item['content']):,} bytes (uploaded)"
        if self.path.value.strip():
            return f"<b>File to send</b>: {_escape(self.path.value.strip())} (path)"
        return f"<b>File to send</b>: none yet. {NO_FILE}"

    def _forget_file(self) -> None:
        """After a send the file is forgotten (and *force* unticked): the next send takes only a
        file chosen after it, so a pick that never reached the kernel cannot send the last one."""
        self.upload.value = ()
        self.path.value = ""
        self.force.value = False
        self.file_label.value = self._file_line()

    def _remote_fields(self) -> dict[str, Any] | None:
        from kombo_tui.core.payload import parse_remote_fields

        fields: dict[str, Any] = (parse_remote_fields(self.remote_json.value) if self.remote_json.value.strip() else None) or {}
        for path, widget in self._remote_widgets.items():
            if widget.value in ("", False, None):
                continue
            node = fields
            for key in path[:-1]:
                node = node.setdefault(key, {})
            node[path[-1]] = widget.value
        return fields or None

    def request(self) -> dict[str, Any]:
        """The keyword arguments the form passes to ``kt.send`` (without the key)."""
        kind = self.type.value if not str(self.type.value).startswith("(") else None
        return {
            "file": self._file(),
            "integration_id": self.integration.value or None,
            "application_id": self.application.value or None,
            "type": kind,
            "content_type": self.content_type.value.strip() or None,
            "remote_fields": self._remote_fields(),
        }

    def prepared(self) -> PreparedUpload:
        """The validated request (raises :class:`~kombo_tui.core.errors.InputError`)."""
        from kombo_tui.core.api import prepare_file

        request = self.request()
        return prepare_file(request.pop("file"), **request)

    def _field_changed(self) -> None:
        if self._result_kind == "refused":  # an old refusal is about fields that changed since
            self.result.value, self._result_kind = "", ""
        self.refresh_preview()

    def refresh_preview(self) -> None:
        """Show the exact JSON body (base64 elided) and what is wrong or worth a look."""
        from kombo_tui.core.errors import KomboError

        self.file_label.value = self._file_line()
        try:
            upload = self.prepared()
        except (KomboError, ValueError, OSError) as exc:
            problems = [str(p) for p in getattr(exc, "problems", [])] or [str(exc)]
            if any(p.startswith("file:") for p in problems):  # no file: its name is not the point yet
                problems = [p for p in problems if not p.startswith("name:")]
            lines = "\n".join(in_form_terms(p) for p in problems)
            self.preview.value = f"<b>Not ready</b><pre>{_escape(lines)}</pre>"
            return
        body = json.dumps(upload.preview(), indent=2, ensure_ascii=False)
        warnings = "".join(f"<li>{_escape(in_form_terms(str(n)))}</li>" for n in upload.warnings)
        self.preview.value = (
            f"<b>POST /{_escape(upload.endpoint_path())}</b>"
            f"<pre>{_escape(body)}</pre>" + (f"<ul>{warnings}</ul>" if warnings else "")
        )

    # ------------------------------------------------------------------ send

    def _show_error(self, exc: BaseException) -> None:
        self.error = exc if isinstance(exc, Exception) else None
        self._result_kind = "refused"
        self._last_words = f"refused: {in_form_terms(str(exc))}"
        self.result.value = _refusal_html("nothing was sent", exc)
        self.status.value = "refused: nothing was sent"

    def _show_cancelled(self, message: str, body_complete: bool, how: str) -> None:
        """What became of an upload stopped by Cancel or an Interrupt, as the engine says it."""
        self._result_kind = "cancelled"
        self.progress.bar_style = "warning" if body_complete else "danger"
        if body_complete:
            head, colour = "unknown", "#9a6700"
            what = (
                f"{how} after the whole file had left: the outcome is unknown (the history records it so). "
                "Tick “verify” and Send again: the application's attachments are checked first and the file "
                "is sent only if it is not there."
            )
        else:
            head, colour = "not sent", "#cf222e"
            what = f"{how} before the last byte: nothing was stored (the history records the attempt as not sent)."
        self.status.value = f"{how}: {head}"
        self._last_words = f"{how}: {head}: {in_form_terms(message)}"
        self.result.value = (
            f"<div>{_badge(head, colour)} <b>{_escape(how)}</b><p>{_escape(what)}</p>"
            f"<pre>{_escape(in_form_terms(message))}</pre></div>"
        )

    def _track(self, sent: int, total: int | None) -> None:
        self.progress.max = max(total or 1, 1)
        self.progress.value = min(sent, self.progress.max)
        self._complete = total is not None and sent >= total
        mb = 1024 * 1024
        self.status.value = f"sending… {sent / mb:,.2f} of {(total or 0) / mb:,.2f} MB"

    def _start(self) -> None:
        """A fresh state for the send about to start: no old result, a plain bar."""
        self.outcome, self.error = None, None
        self._result_kind = self._last_words = ""
        self._complete = False
        self.progress.value = 0
        self.progress.bar_style = ""
        self.result.value = ""
        self.status.value = "sending…"

    def send(self, *, cancel: Any = None) -> SendOutcome | None:
        """What the Send button does: ``kt.send`` with the form's values; the result inline.

        Blocks until the send ends. An Interrupt ends it like *Cancel*: the result says what
        became of the upload, and the ``KeyboardInterrupt`` is raised again (the cell stops).
        """
        from kombo_tui.core.api import SendCancelled, send
        from kombo_tui.core.errors import InputError, KomboError

        self._start()
        try:
            request = self.request()
            if request["file"] is None:
                raise InputError.single("file", NO_FILE)
            self.outcome = send(
                request.pop("file"),
                history=self._history,
                force=self.force.value,
                verify=self.verify.value,
                progress=self._track,
                cancel=cancel,
                **request,
                **self._where,
            )
        except SendCancelled as exc:
            self.error = exc
            self._show_cancelled(str(exc), exc.body_complete, "cancelled")
            self._forget_file()
            self._saved_text()
            return None
        except KeyboardInterrupt as exc:
            self.error = None
            self._show_cancelled(str(exc), self._complete, "interrupted")
            self._forget_file()
            self._saved_text()
            raise
        except (KomboError, ValueError, OSError) as exc:
            self._show_error(exc)
            self._saved_text()
            return None
        self._result_kind = self.outcome.status
        self.result.value = self.outcome._repr_html_()
        self.progress.bar_style = "success" if self.outcome.status == "sent" else "danger"
        self.status.value = self.outcome.status
        self._forget_file()
        self._saved_text()
        return self.outcome

    def send_in_background(self) -> threading.Thread:
        """Start :meth:`send` in a worker thread (the kernel stays free; *Cancel* stops it)."""
        from kombo_tui.core.api import Cancel

        if self._worker is not None and self._worker.is_alive():
            return self._worker
        token = Cancel()
        self._cancel = token
        self.send_button.disabled = True
        self.cancel_button.disabled = False

        def run() -> None:
            try:
                self.send(cancel=token)
            except BaseException as exc:  # noqa: BLE001 - a thread has no caller: show it in the form
                self._show_error(exc)
            finally:
                self.send_button.disabled = False
                self.cancel_button.disabled = True
                self._cancel = None

        self._worker = threading.Thread(target=run, name="kombo-tui-form-send", daemon=True)
        self._worker.start()
        return self._worker

    def cancel(self) -> None:
        """What *Cancel* does: stop the upload in progress (the result says what became of it)."""
        token = self._cancel
        if token is not None:
            self.status.value = "cancelling…"
            token.cancel()

    def _clicked_send(self) -> None:
        if self.background:
            self.send_in_background()
        else:
            self.send()


def _refusal_html(head: str, exc: BaseException) -> str:
    from kombo_tui.core.display import error_lines
    from kombo_tui.core.errors import KomboError

    lines = error_lines(exc) if isinstance(exc, KomboError) else [f"{type(exc).__name__}: {exc}"]
    return (
        f"<div>{_badge('refused', '#cf222e')} {_escape(head)}"
        f"<pre>{_escape(in_form_terms(chr(10).join(lines)))}</pre></div>"
    )


def _in_kernel() -> bool:
    from kombo_tui.core.progress import in_kernel

    return in_kernel()
