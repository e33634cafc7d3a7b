"""A form to click in Jupyter: ``kt.widget()``, the notebook twin of the app.

It exists so someone demoing Kombo's API can pick an integration and an application, drop
a file, see the exact request and send it, without writing code, and with the same
guarantees as every other front door: the form calls the core's one-call helpers
(:func:`kombo_tui.core.api.prepare_file` and :func:`~kombo_tui.core.api.send`), so the
validation, the integration's limits, the duplicate check, the history and the retry policy
are the ones the CLI and the app use. Needs ``pip install 'kombo-tui[notebook]'``
(ipywidgets; tqdm is optional). The core never imports this package. The form itself is in
:mod:`.form`; ``kt.serve()`` in :mod:`.serve`.
"""

from __future__ import annotations

import threading
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

from .form import SendForm
from .serve import AppLink, serve

if TYPE_CHECKING:
    from kombo_tui.core.config.file import SecretText

__all__ = ["AppLink", "SendForm", "serve", "shared_sandbox", "widget"]


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


_SHARED: Any = None
_SHARED_LOCK = threading.Lock()


def shared_sandbox() -> Any:
    """This kernel's sandbox: started on the first call, the same running one after.

    Re-running the cell that calls it (or *Run All*) keeps the same server, port and data,
    so the objects of earlier cells (a form, ``apps``, an outcome) never point at a stopped
    or moved sandbox. ``sb.stop()`` stops it; the next call starts a new one.
    """
    global _SHARED
    from kombo_tui.sandbox.server import SandboxServer

    with _SHARED_LOCK:
        if _SHARED is None or not _SHARED.running:
            _SHARED = SandboxServer().start()
        return _SHARED

