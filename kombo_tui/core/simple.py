"""Synchronous one-call helpers for scripts and notebooks.

They resolve the key and base URL the way the CLI does (arguments, ``KOMBO_*`` environment,
``.env``, config file) and work inside Jupyter too, where an event loop is already running
(the call then runs on a private loop in a worker thread).
"""

from __future__ import annotations

import asyncio
import threading
from collections.abc import Coroutine
from pathlib import Path
from typing import Any, TypeVar

from pydantic import SecretStr

from .client import KomboClient
from .engine import SendOutcome, send_upload
from .errors import InputError
from .models import Application
from .net import check_base_url
from .payload import Draft, PreparedUpload, prepare
from .settings import load_settings

__all__ = ["list_applications", "make_client", "preview", "prepare_file", "run_sync", "send"]

T = TypeVar("T")


def run_sync(coro: Coroutine[Any, Any, T]) -> T:
    """Run a coroutine to completion from synchronous code, even under a running loop."""
    try:
        asyncio.get_running_loop()
    except RuntimeError:
        return asyncio.run(coro)
    box: dict[str, Any] = {}

    def target() -> None:
        try:
            box["value"] = asyncio.run(coro)
        except BaseException as exc:  # handed to the caller's thread
            box["error"] = exc

    worker = threading.Thread(target=target, name="kombo-tui-sync")
    worker.start()
    worker.join()
    if "error" in box:
        raise box["error"]
    return box["value"]  # type: ignore[no-any-return]


def make_client(
    api_key: str | SecretStr | None = None,
    *,
    base_url: str | None = None,
    region: str | None = None,
    integration_id: str | None = None,
    **kwargs: Any,
) -> KomboClient:
    """A :class:`KomboClient` from arguments, falling back to the settings (env, .env, config).

    Raises:
        InputError: no API key anywhere, or an unsafe base URL.
    """
    settings = load_settings(region=region, base_url=base_url)
    key = api_key if api_key is not None else settings.api_key
    if key is None or not (key.get_secret_value() if isinstance(key, SecretStr) else key).strip():
        raise InputError.single("api_key", "no API key: pass api_key= or set KOMBO_API_KEY")
    url = check_base_url(base_url) if base_url else settings.resolved_base_url()
    return KomboClient(
        key,
        base_url=url,
        integration_id=integration_id or settings.integration_id,
        timeout=kwargs.pop("timeout", settings.timeout),
        upload_timeout=kwargs.pop("upload_timeout", settings.upload_timeout),
        **kwargs,
    )


def prepare_file(
    file: str | Path | None = None,
    *,
    integration_id: str | None = None,
    application_id: str | None = None,
    data_url: str | None = None,
    type: str | None = None,  # noqa: A002 - the API's name
    name: str | None = None,
    content_type: str | None = None,
    remote_fields: dict[str, Any] | str | None = None,
    require_target: bool = True,
) -> PreparedUpload:
    """Validate and prepare an upload (nothing is sent). See :func:`~.payload.prepare`."""
    if isinstance(remote_fields, str):
        from .payload import parse_remote_fields

        remote_fields = parse_remote_fields(remote_fields)
    draft = Draft(
        integration_id=integration_id or load_settings().integration_id,
        application_id=application_id,
        file=Path(file) if file is not None else None,
        data_url=data_url,
        type=type,
        name=name,
        content_type=content_type,
        remote_fields=remote_fields,
    )
    return prepare(draft, require_target=require_target)


def preview(file: str | Path | None = None, *, full: bool = False, **kwargs: Any) -> dict[str, Any]:
    """The JSON body that :func:`send` would send, base64 elided unless ``full``."""
    kwargs.setdefault("require_target", False)
    return prepare_file(file, **kwargs).preview(full=full)


def send(
    file: str | Path | None = None,
    *,
    api_key: str | SecretStr | None = None,
    base_url: str | None = None,
    region: str | None = None,
    verify: bool = False,
    **kwargs: Any,
) -> SendOutcome:
    """Prepare and send one file; returns the outcome (it does not raise for Kombo's errors).

    Example:
        >>> outcome = send("cv.pdf", integration_id="greenhouse:abc", application_id="APP1")
        >>> outcome.status, outcome.warnings
    """
    upload = prepare_file(file, **kwargs)
    client = make_client(api_key, base_url=base_url, region=region)

    async def go() -> SendOutcome:
        async with client:
            return await send_upload(client, upload, verify=verify)

    return run_sync(go())


def list_applications(
    integration_id: str,
    *,
    api_key: str | SecretStr | None = None,
    base_url: str | None = None,
    region: str | None = None,
    limit: int | None = None,
    **filters: Any,
) -> list[Application]:
    """All applications of an integration (following cursors), or the first ``limit``."""
    client = make_client(api_key, base_url=base_url, region=region, integration_id=integration_id)

    async def go() -> list[Application]:
        found: list[Application] = []
        async with client:
            async for page in client.iter_applications(**filters):
                found.extend(page.results)
                if limit is not None and len(found) >= limit:
                    return found[:limit]
        return found

    return run_sync(go())
