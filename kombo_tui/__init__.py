"""kombo-tui: add a file to a candidate's application in any ATS that Kombo connects.

The public core API is importable from here; names load lazily, so ``import kombo_tui``
is cheap and never imports textual::

    import kombo_tui as kt

    print(kt.preview("cv.pdf", integration_id="greenhouse:abc", application_id="APP1"))
    outcome = kt.send("cv.pdf", integration_id="greenhouse:abc", application_id="APP1")
    apps = kt.list_applications("greenhouse:abc", limit=10)
"""

from __future__ import annotations

from importlib import import_module
from typing import TYPE_CHECKING, Any

from ._version import __version__

_EXPORTS: dict[str, str] = {
    # one-call helpers (synchronous; work in notebooks)
    "send": "kombo_tui.core.api",
    "preview": "kombo_tui.core.api",
    "prepare_file": "kombo_tui.core.api",
    "list_applications": "kombo_tui.core.api",
    "bulk": "kombo_tui.core.api",
    "make_client": "kombo_tui.core.api",
    "run_sync": "kombo_tui.core.api",
    # building blocks
    "Draft": "kombo_tui.core.draft",
    "PreparedUpload": "kombo_tui.core.payload",
    "prepare": "kombo_tui.core.payload",
    "KomboClient": "kombo_tui.core.client",
    "RetryPolicy": "kombo_tui.core.retry",
    "send_upload": "kombo_tui.core.engine",
    "send_batch": "kombo_tui.core.engine",
    "verify_upload": "kombo_tui.core.engine",
    "SendOutcome": "kombo_tui.core.outcome",
    "sniff_file": "kombo_tui.core.files.sniff",
    "AttachmentType": "kombo_tui.core.models",
    "History": "kombo_tui.core.history",
    "load_settings": "kombo_tui.core.config.settings",
    # errors
    "KomboError": "kombo_tui.core.errors",
    "ApiError": "kombo_tui.core.errors",
    "TransportError": "kombo_tui.core.errors",
    "InputError": "kombo_tui.core.errors",
    "DuplicateUploadError": "kombo_tui.core.errors",
    "FileChangedError": "kombo_tui.core.errors",
    # the embedded sandbox
    "SandboxServer": "kombo_tui.sandbox.server",
    "SANDBOX_API_KEY": "kombo_tui.sandbox.data",
    # notebooks
    "widget": "kombo_tui.notebook",
    "serve": "kombo_tui.notebook",
    "shared_sandbox": "kombo_tui.notebook",
}

__all__ = ["__version__", *_EXPORTS]

_FIRST_USE: dict[str, tuple[str, ...]] = {
    # What the one-call helpers import lazily on their first send (measured with sys.modules).
    "kombo_tui.core.api": (
        "concurrent.futures.thread", "queue", "platformdirs", "magic", "h11", "httpcore", "certifi", "anyio",
        "anyio._backends._asyncio", "anyio.to_thread", "anyio.lowlevel", "anyio.streams.tls",
        "kombo_tui.core.client", "kombo_tui.core.wire.exchanges", "kombo_tui.core.identity",
        "kombo_tui.core.jsonload", "kombo_tui.core.models", "kombo_tui.core.wire.recording", "kombo_tui.core.bulk",
    ),
}


def __getattr__(name: str) -> Any:
    module = _EXPORTS.get(name)
    if module is None:
        raise AttributeError(f"module 'kombo_tui' has no attribute {name!r}")
    from .core.interrupts import import_whole

    # The first call of the library imports most of it: an interrupt then must not leave
    # asyncio or httpx half imported for every later call (it waits for the imports instead).
    import_whole([module, *_FIRST_USE.get(module, ())])
    value = getattr(import_module(module), name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted(__all__)


if TYPE_CHECKING:  # pragma: no cover
    # "X as X": explicit re-exports, for type checkers and linters (the names load lazily above).
    from .core.api import (
        bulk as bulk,
    )
    from .core.api import (
        list_applications as list_applications,
    )
    from .core.api import (
        make_client as make_client,
    )
    from .core.api import (
        prepare_file as prepare_file,
    )
    from .core.api import (
        preview as preview,
    )
    from .core.api import (
        run_sync as run_sync,
    )
    from .core.api import (
        send as send,
    )
    from .core.client import (
        KomboClient as KomboClient,
    )
    from .core.config.settings import (
        load_settings as load_settings,
    )
    from .core.draft import (
        Draft as Draft,
    )
    from .core.engine import (
        send_batch as send_batch,
    )
    from .core.engine import (
        send_upload as send_upload,
    )
    from .core.engine import (
        verify_upload as verify_upload,
    )
    from .core.errors import (
        ApiError as ApiError,
    )
    from .core.errors import (
        DuplicateUploadError as DuplicateUploadError,
    )
    from .core.errors import (
        FileChangedError as FileChangedError,
    )
    from .core.errors import (
        InputError as InputError,
    )
    from .core.errors import (
        KomboError as KomboError,
    )
    from .core.errors import (
        TransportError as TransportError,
    )
    from .core.files.sniff import (
        sniff_file as sniff_file,
    )
    from .core.history import (
        History as History,
    )
    from .core.models import (
        AttachmentType as AttachmentType,
    )
    from .core.outcome import (
        SendOutcome as SendOutcome,
    )
    from .core.payload import (
        PreparedUpload as PreparedUpload,
    )
    from .core.payload import (
        prepare as prepare,
    )
    from .core.retry import (
        RetryPolicy as RetryPolicy,
    )
    from .notebook import (
        serve as serve,
    )
    from .notebook import (
        shared_sandbox as shared_sandbox,
    )
    from .notebook import (
        widget as widget,
    )
    from .sandbox.data import (
        SANDBOX_API_KEY as SANDBOX_API_KEY,
    )
    from .sandbox.server import (
        SandboxServer as SandboxServer,
    )
