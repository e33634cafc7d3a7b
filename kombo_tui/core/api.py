"""The one-call, synchronous API behind ``kombo_tui.send`` and friends (scripts, notebooks).

The key and base URL are resolved the way the CLI resolves them (:class:`~.target.Target`:
arguments, ``KOMBO_*`` environment, ``.env``, config file), and :func:`send` gives the CLI's
guarantee: every send is recorded in the local history, and the same file (sha256) is not
sent to the same application twice unless asked (``force=True``). The helpers work inside
Jupyter too, where an event loop is already running (the call then runs on a private loop in
a worker thread).
"""

from __future__ import annotations

import asyncio
import threading
from collections.abc import Coroutine
from pathlib import Path
from typing import TYPE_CHECKING, Any, TypeVar

from .draft import Draft
from .engine import SendOutcome, send_upload
from .history import History
from .payload import PreparedUpload, prepare, prepare_fields
from .settings import load_settings
from .target import Target

if TYPE_CHECKING:
    from collections.abc import Callable

    from .bulk import BulkControl, BulkProgress, BulkReport
    from .client import KomboClient
    from .config import SecretText
    from .exchanges import ExchangeLog
    from .models import Application

__all__ = ["bulk", "list_applications", "make_client", "preview", "prepare_file", "run_sync", "send"]

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
        except BaseException as exc:  # noqa: BLE001 - handed to the caller's thread, which raises it
            box["error"] = exc

    worker = threading.Thread(target=target, name="kombo-tui-sync")
    worker.start()
    worker.join()
    if "error" in box:
        raise box["error"]
    return box["value"]  # type: ignore[no-any-return]


def make_client(
    api_key: str | SecretText | None = None,
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
    target = Target.resolve(region=region, base_url=base_url, api_key=api_key, integration_id=integration_id)
    return target.client(**kwargs)


def prepare_file(
    file: str | Path | None = None,
    *,
    integration_id: str | None = None,
    application_id: str | None = None,
    candidate_id: str | None = None,
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
    if candidate_id is None:
        return prepare(draft, require_target=require_target)
    # The candidate endpoint: the Draft checked the fields' types; the target is the candidate.
    return prepare_fields(**draft.model_dump(), candidate_id=candidate_id, require_target=require_target)


def preview(file: str | Path | None = None, *, full: bool = False, **kwargs: Any) -> dict[str, Any]:
    """The JSON body that :func:`send` would send, base64 elided unless ``full``."""
    kwargs.setdefault("require_target", False)
    return prepare_file(file, **kwargs).preview(full=full)


def send(
    file: str | Path | None = None,
    *,
    api_key: str | SecretText | None = None,
    base_url: str | None = None,
    region: str | None = None,
    verify: bool = False,
    history: bool | History = True,
    force: bool = False,
    exchanges: ExchangeLog | None = None,
    **kwargs: Any,
) -> SendOutcome:
    """Prepare and send one file; returns the outcome (it does not raise for Kombo's errors).

    Args:
        file: the file to attach (or pass ``data_url=``).
        verify: list the application's attachments before and after, and say whether the
            file is there (resolves an unknown outcome without sending twice).
        history: record the send in the local history (the default), in this
            :class:`History`, or not at all (``False``, which also skips the check below).
        force: send even though the history shows this file already sent (or with an
            unknown outcome) to this application in this environment.
        exchanges: record the HTTP exchanges in this log (default: a private one, so the
            history keeps them and ``outcome.exchanges`` lists them; write them with
            :func:`kombo_tui.core.har.write_har`).
        **kwargs: what :func:`prepare_file` takes (``integration_id``, ``application_id`` or
            ``candidate_id``, ``type``, ``name``, ``content_type``, ``remote_fields``, ``data_url``).

    Raises:
        DuplicateUploadError: already sent, and ``force`` is not set. Nothing was sent.
        InputError: anything else wrong with the input (no key, a bad file, ...).
        sqlite3.Error: the history cannot be read (pass ``history=False`` to skip it).

    Example:
        >>> outcome = send("cv.pdf", integration_id="greenhouse:abc", application_id="APP1")
        >>> outcome.status, outcome.warnings, outcome.history_id
    """
    target = Target.resolve(region=region, base_url=base_url, api_key=api_key)
    kwargs.setdefault("integration_id", target.integration_id)
    upload = prepare_file(file, **kwargs)
    target.require_key()
    log = (History() if history is True else history) or None
    if log is not None and not force:
        log.refuse_resends([upload], target.environment)
    from .exchanges import ExchangeLog

    client = target.client(exchanges=exchanges if exchanges is not None else ExchangeLog())

    async def go() -> SendOutcome:
        async with client:
            return await send_upload(client, upload, verify=verify, history=log, environment=target.environment)

    return run_sync(go())


def list_applications(
    integration_id: str,
    *,
    api_key: str | SecretText | None = None,
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


def bulk(
    plan: str | Path,
    *,
    api_key: str | SecretText | None = None,
    base_url: str | None = None,
    region: str | None = None,
    integration_id: str | None = None,
    dry_run: bool = False,
    concurrency: int = 32,
    skip_invalid: bool = False,
    history: bool | History = True,
    journal: str | Path | None = None,
    progress: Callable[[BulkProgress], None] | None = None,
    control: BulkControl | None = None,
    recheck_after: float = 30.0,
) -> BulkReport:
    """Check a bulk plan and send it (resuming the same plan's earlier run); returns the report.

    The same engine as ``kombo-tui bulk``: the whole plan is checked before the first byte,
    every row is journaled (so a crash or a ``control.stop()`` can be resumed by calling
    again with the same plan), and every send is recorded in the history.

    Args:
        plan: CSV with a header row, or JSON Lines (columns ``integration_id, application_id,
            file`` or ``data_url``, ``type, name, content_type, remote_fields``).
        integration_id: for rows without one (default: the settings').
        dry_run: check only (nothing sent, the journal untouched).
        concurrency: the most uploads in flight per integration (Kombo's limit applies below).
        skip_invalid: send the valid rows even when some are invalid.
        history: record sends in the local history (the default), in this one, or not at all.
        journal: the journal file (default: ``bulk.sqlite3`` in the data dir).
        progress: called after each row with a :class:`~.bulk.BulkProgress` (done, total,
            rate, ETA, failures) — hook a notebook progress bar here.
        control: a :class:`~.bulk.BulkControl` to stop the run from another thread or task.
        recheck_after: seconds before a row caught in flight by a crash is looked for.

    Returns:
        The :class:`~.bulk.BulkReport`: ``exit_code`` (0/2/3/4/130 as the CLI), ``counts``,
        the check, and ``rows()`` with each row's outcome.

    Raises:
        InputError: the plan cannot be read, no key, or the job runs in another process.
    """
    from .bulk import run_bulk

    target = Target.resolve(region=region, base_url=base_url, api_key=api_key, integration_id=integration_id)
    target.require_key()
    log = (History() if history is True else history) or None

    async def go() -> BulkReport:
        with target:
            return await run_bulk(
                Path(plan), target, history=log, journal_path=Path(journal) if journal else None,
                concurrency=concurrency, dry_run=dry_run, skip_invalid=skip_invalid,
                progress=progress, control=control, recheck_after=recheck_after,
            )

    return run_sync(go())
