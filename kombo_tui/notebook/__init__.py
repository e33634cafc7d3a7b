"""A form to click in Jupyter: ``kt.widget()``, the notebook twin of the app.

It exists so someone demoing Kombo's API can pick an integration and an application, drop
a file, see the exact request and send it, without writing code, and with the same
guarantees as every other front door: the form calls the core's one-call helpers
(:func:`kombo_tui.core.api.prepare_file` and :func:`~kombo_tui.core.api.send`), so the
validation, the integration's limits, the duplicate check, the history and the retry policy
are the ones the CLI and the app use. Needs ``pip install 'kombo-tui[notebook]'``
(ipywidgets; tqdm is optional). The core never imports this package.
"""

from __future__ import annotations

import json
import os
import tempfile
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from kombo_tui.core.config import SecretText
    from kombo_tui.core.engine import SendOutcome
    from kombo_tui.core.payload import PreparedUpload

__all__ = ["SendForm", "widget"]

APPLICATIONS_LIMIT = 2000
"""Applications loaded for the search box (the first ones Kombo lists)."""


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


def _is_loopback(url: str) -> bool:
    from urllib.parse import urlsplit

    from kombo_tui.core.net import is_loopback_host

    return is_loopback_host(urlsplit(url).hostname or "")


class SendForm:
    """The form's widgets and what its buttons do (also callable from code, for tests).

    Attributes mirror the fields: :attr:`integration`, :attr:`search`, :attr:`application`,
    :attr:`path`, :attr:`upload`, :attr:`type`, :attr:`content_type`, :attr:`remote_json`,
    :attr:`preview`, :attr:`send_button`, :attr:`progress`, :attr:`result`; :attr:`outcome`
    is the last :class:`~kombo_tui.core.engine.SendOutcome`, :attr:`error` the last refusal.
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
        self.outcome: SendOutcome | None = None
        self.error: Exception | None = None
        self.applications: list[Any] = []

        suggestions = list(integrations or [])
        if not suggestions and _is_loopback(target.base_url):
            from kombo_tui.sandbox.data import INTEGRATIONS

            suggestions = [i.id for i in INTEGRATIONS]
        self.integration = w.Combobox(
            value=target.integration_id or "", options=suggestions, description="Integration",
            placeholder="integration id", ensure_option=False,
        )
        self.load_button = w.Button(description="Load applications")
        self.search = w.Text(description="Search", placeholder="candidate, email, job or id")
        self.application = w.Dropdown(options=[], description="Application")
        self.path = w.Text(description="File path", placeholder="cv.pdf (or upload below)")
        self.upload = w.FileUpload(multiple=False, description="Upload file")
        self.file_label = w.HTML()
        """The file Send would send, by name, as the kernel has it (never one chosen earlier)."""
        self.type = w.Dropdown(options=["(from the name)", *(t.value for t in AttachmentType)], description="Type")
        self.content_type = w.Text(description="Content type", placeholder="(sniffed from the file)")
        self.remote_box = w.VBox([])
        self.remote_json = w.Textarea(description="remote_fields", placeholder='{"greenhouse": {...}} (optional JSON)')
        self.force = w.Checkbox(description="Send again even if already sent (force)", value=False)
        self.verify = w.Checkbox(description="Verify the attachments after sending", value=False)
        self.preview = w.HTML()
        self.send_button = w.Button(description="Send", button_style="primary")
        self.progress = w.IntProgress(value=0, min=0, max=1, description="Upload")
        self.result = w.HTML()
        self._remote_widgets: dict[tuple[str, ...], Any] = {}

        self.load_button.on_click(lambda _b: self.load_applications())
        self.send_button.on_click(lambda _b: self.send())
        self.search.observe(lambda _c: self._filter(), names="value")
        self.integration.observe(lambda _c: self._integration_changed(), names="value")
        for field in (self.application, self.path, self.upload, self.type, self.content_type, self.remote_json):
            field.observe(lambda _c: self.refresh_preview(), names="value")
        self._integration_changed()
        self.box = w.VBox(
            [
                w.HBox([self.integration, self.load_button]),
                w.HBox([self.search, self.application]),
                w.HBox([self.path, self.upload]),
                self.file_label,
                w.HBox([self.type, self.content_type]),
                self.remote_box,
                self.remote_json,
                w.HBox([self.force, self.verify]),
                self.preview,
                w.HBox([self.send_button, self.progress]),
                self.result,
            ]
        )

    # ------------------------------------------------------------------ display

    def _ipython_display_(self) -> None:
        from IPython.display import display

        display(self.box)  # type: ignore[no-untyped-call]

    def __repr__(self) -> str:
        return f"<kombo-tui send form: integration {self.integration.value or '-'}, application {self.application.value or '-'}>"

    # ------------------------------------------------------------------ fields

    def _integration_changed(self) -> None:
        from kombo_tui.core.connectors import families_for_tool, tool_id_of

        w = _ipywidgets()
        self._remote_widgets = {}
        children = []
        for family in families_for_tool(tool_id_of(self.integration.value or "")):
            for spec in family.fields:
                if spec.kind == "select":
                    widget = w.Dropdown(options=["", *spec.choices], description=spec.label)
                elif spec.kind == "bool":
                    widget = w.Checkbox(description=spec.label, value=False)
                else:
                    widget = w.Text(description=spec.label, placeholder=spec.help)
                widget.tooltip = spec.help
                widget.observe(lambda _c: self.refresh_preview(), names="value")
                self._remote_widgets[spec.path] = widget
                children.append(widget)
        self.remote_box.children = children
        self.applications = []
        self.application.options = []
        self.refresh_preview()

    def load_applications(self) -> None:
        """Fetch the integration's applications (the first :data:`APPLICATIONS_LIMIT`) for the search."""
        from kombo_tui.core.api import list_applications
        from kombo_tui.core.errors import KomboError

        try:
            self.applications = list(
                list_applications(self.integration.value, limit=APPLICATIONS_LIMIT, **self._where)
            )
        except KomboError as exc:
            self._show_error(exc)
            return
        self._filter()

    def _filter(self) -> None:
        needle = self.search.value.strip().lower()
        options = []
        for app in self.applications:
            cand = app.candidate
            label = " · ".join(
                x for x in (cand.full_name if cand else None, cand.email if cand else None, app.job.name if app.job else None, app.id) if x
            )
            if not needle or needle in label.lower():
                options.append((label, app.id))
        current = self.application.value
        self.application.options = options[:500]
        ids = [value for _label, value in self.application.options]
        if ids:
            self.application.value = current if current in ids else ids[0]

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

    def refresh_preview(self) -> None:
        """Show the exact JSON body (base64 elided) and what is wrong or worth a look."""
        from kombo_tui.core.errors import KomboError

        self.file_label.value = self._file_line()
        try:
            upload = self.prepared()
        except (KomboError, ValueError, OSError) as exc:
            self.preview.value = f"<b>Not ready</b><pre>{_escape(exc)}</pre>"
            return
        body = json.dumps(upload.preview(), indent=2, ensure_ascii=False)
        warnings = "".join(f"<li>{_escape(n)}</li>" for n in upload.warnings)
        self.preview.value = (
            f"<b>POST /{_escape(upload.endpoint_path())}</b>"
            f"<pre>{_escape(body)}</pre>" + (f"<ul>{warnings}</ul>" if warnings else "")
        )

    # ------------------------------------------------------------------ send

    def _show_error(self, exc: BaseException) -> None:
        from kombo_tui.core.display import error_lines
        from kombo_tui.core.errors import KomboError

        self.error = exc if isinstance(exc, Exception) else None
        lines = error_lines(exc) if isinstance(exc, KomboError) else [f"{type(exc).__name__}: {exc}"]
        self.result.value = (
            '<div><span style="background:#cf222e;color:#fff;border-radius:0.8em;padding:0.1em 0.6em">refused</span>'
            f"<pre>{_escape(chr(10).join(lines))}</pre></div>"
        )

    def _track(self, sent: int, total: int | None) -> None:
        self.progress.max = max(total or 1, 1)
        self.progress.value = min(sent, self.progress.max)

    def send(self) -> SendOutcome | None:
        """What the Send button does: ``kt.send`` with the form's values; the result inline."""
        from kombo_tui.core.api import send
        from kombo_tui.core.errors import KomboError

        self.outcome, self.error = None, None
        self.progress.value = 0
        self.result.value = "sending…"
        try:
            request = self.request()
            if request["file"] is None:
                from kombo_tui.core.errors import InputError

                raise InputError.single("file", NO_FILE)
            self.outcome = send(
                request.pop("file"),
                history=self._history,
                force=self.force.value,
                verify=self.verify.value,
                progress=self._track,
                **request,
                **self._where,
            )
        except (KomboError, ValueError, OSError) as exc:
            self._show_error(exc)
            return None
        self.result.value = self.outcome._repr_html_()
        self.progress.bar_style = "success" if self.outcome.status == "sent" else "danger"
        self._forget_file()
        return self.outcome


def widget(
    *,
    api_key: str | SecretText | None = None,
    base_url: str | None = None,
    region: str | None = None,
    integration_id: str | None = None,
    integrations: Sequence[str] | None = None,
    history: Any = True,
) -> SendForm:
    """A form to send a file from a notebook (display it as a cell's last value).

    Args:
        api_key, base_url, region, integration_id: as for ``kt.send`` (``**sb.where`` of a
            :class:`~kombo_tui.sandbox.server.SandboxServer` works).
        integrations: integration ids to suggest (a sandbox's are suggested by default).
        history: as for ``kt.send``.

    Raises:
        ImportError: ipywidgets is not installed (``pip install 'kombo-tui[notebook]'``).
    """
    return SendForm(
        api_key=api_key,
        base_url=base_url,
        region=region,
        integration_id=integration_id,
        integrations=integrations,
        history=history,
    )
