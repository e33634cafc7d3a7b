"""One error language for everything the core does.

Every failure a caller can meet is a :class:`KomboError`:

- :class:`InputError`: the request was never sent because something the user gave is wrong;
  :class:`DuplicateUploadError` is the case "this file already went to this application".
- :class:`ApiError`: Kombo (or the sandbox) answered with an error envelope.
- :class:`TransportError`: the network failed; ``sent`` says whether the body may have
  reached the server (if it may have, the outcome of an upload is unknown).
- :class:`FileChangedError`: the file changed between being chosen and being sent.
- :class:`ConfigError`: the config file cannot be used.
- :class:`JournalError`: the bulk journal cannot be used (a full disk, a broken file).

Messages often carry text from outside (a server's title, a file name): ``str()`` of every
error, problem and notice is one inert line (:func:`~kombo_tui.core.text.one_line`), safe for
a terminal; the exact values stay on the attributes (``ApiError.message``, ``Problem.message``).
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from typing import TYPE_CHECKING

from .text import one_line

if TYPE_CHECKING:
    from collections.abc import Callable, Mapping, Sequence

__all__ = [
    "AlreadyThereError",
    "ApiError",
    "ConfigError",
    "DuplicateUploadError",
    "EnvFileSteering",
    "FileChangedError",
    "HistoryUnavailableError",
    "InputError",
    "JournalError",
    "KomboError",
    "NOTICE_CODES",
    "Notice",
    "Problem",
    "TransportError",
    "error_label",
    "render_tracebacks_with",
]


class KomboError(Exception):
    """Base class of every error the core raises; ``str()`` is one inert line."""

    def __str__(self) -> str:
        return one_line(super().__str__())

    def _render_traceback_(self) -> list[str]:
        """What IPython shows instead of a traceback: the message (and, once the notebook
        presenter has said how, the hint), no internals."""
        render = _TRACEBACK_LINES[0]
        return render(self) if render is not None else [f"{type(self).__name__}: {self}"]


_TRACEBACK_LINES: list[Callable[[KomboError], list[str]] | None] = [None]


def render_tracebacks_with(render: Callable[[KomboError], list[str]]) -> None:
    """How IPython shows a core error (:meth:`KomboError._render_traceback_`): set by the
    notebook presenter (:mod:`.display`, loaded with the one-call API), so that this module,
    which every other one imports, imports none of them."""
    _TRACEBACK_LINES[0] = render


@dataclass(frozen=True)
class Problem:
    """One thing wrong with the user's input, named by its field."""

    field: str
    """The field at fault, e.g. ``attachment.content_type`` or ``file``."""
    message: str
    """What is wrong, in plain words (the same for every door: no flag or argument names)."""
    missing: bool = False
    """Nothing was given for the field: each door says where to give it (:meth:`worded`)."""

    def __str__(self) -> str:
        return one_line(f"{self.field}: {self.message}")

    def worded(self, names: Mapping[str, str]) -> Problem:
        """This problem as a front door words it: a missing field names where that door takes it.

        The one rule, each door its own names: the CLI's flags (``--application``), the
        library's arguments (``application_id=``), the app's fields (``the Application field``).

        Args:
            names: the door's name for each field it takes.
        """
        where = names.get(self.field)
        if not self.missing or where is None:
            return self
        return replace(self, message=f"{self.message} ({where})")


@dataclass(frozen=True)
class Notice:
    """Something worth the user's attention that does not stop the send (a warning).

    Front doors route a notice by :attr:`field` and :attr:`code`, never by its wording.
    """

    field: str
    """Where it belongs: ``file``, ``name``, ``content_type`` or ``type``."""
    code: str
    """A stable identifier, e.g. ``generic_mime`` (see :data:`NOTICE_CODES`)."""
    message: str
    """What to know, in plain words."""

    def __str__(self) -> str:
        return one_line(self.message)


NOTICE_CODES = frozenset(
    {
        "name_without_extension",  # the attachment's name has no extension
        "name_too_long",  # over 255 bytes
        "name_contradicts_content",  # the attachment name's extension says another type than the content
        "sniff_note",  # the sniffer's remark: name and content disagree, a guess, ...
        "generic_mime",  # the content type says little (application/octet-stream, ...)
        "type_not_accepted",  # the integration takes no attachments of this type
        "too_large",  # above the integration's published size limit
        "mime_not_accepted",  # not among the integration's accepted MIME types
    }
)
"""Every :attr:`Notice.code` the core emits."""


class InputError(KomboError):
    """The input is invalid; nothing was sent."""

    def __init__(self, problems: list[Problem] | Problem, *, notices: Sequence[Notice] = ()) -> None:
        self.problems: list[Problem] = problems if isinstance(problems, list) else [problems]
        self.notices: tuple[Notice, ...] = tuple(notices)
        """The structured reasons, when the problems come from checks that name a code
        (e.g. an integration's published limits: ``too_large``, ``mime_not_accepted``)."""
        super().__init__("; ".join(str(p) for p in self.problems))

    @classmethod
    def single(cls, field: str, message: str) -> InputError:
        return cls([Problem(field, message)])


class DuplicateUploadError(InputError):
    """The history shows this file (same sha256) already sent to this application; nothing was sent.

    Each problem says when and with what outcome; after an unknown outcome it points to
    verifying first. Sending anyway takes an explicit ``force``.
    """


class AlreadyThereError(DuplicateUploadError):
    """Verifying an earlier send with an unknown outcome found the file on its target: that
    send landed, so there is nothing to send (whoever wanted the file there has it)."""


class HistoryUnavailableError(InputError):
    """The history could not record an upload's intent before its first byte; nothing was sent.

    Every door refuses to send without that record (it is what keeps a second process, thread
    or rerun from sending the same file again). Sending without a history is an explicit
    choice (``--no-history`` on the CLI, ``history=False`` in the library).
    """


class ConfigError(KomboError):
    """The config file cannot be used (unsafe permissions, bad TOML)."""


class JournalError(KomboError):
    """The bulk journal could not be opened, read or written (a full disk, a broken file).

    ``str()`` names the file and the cause; what it means for the rows is the caller's to say
    (a run stops starting rows, and a rerun verifies the ones caught mid-send).
    """

    def __init__(self, path: str, cause: BaseException) -> None:
        super().__init__(f"cannot use the bulk journal {path}: {cause}")
        self.path = path
        self.cause = str(cause)


class EnvFileSteering(ConfigError):
    """A ``.env`` in the working directory would choose where a key from elsewhere goes."""

    def __init__(self, message: str, *, path: str, names: list[str]) -> None:
        super().__init__(message)
        self.path = path
        """The ``.env`` file (absolute)."""
        self.names = names
        """The variables it sets that decide where requests go (``KOMBO_BASE_URL``, …)."""


# Codes that mean "rejected before any work was done": safe to retry automatically.
RATE_LIMIT = "PLATFORM.RATE_LIMIT_EXCEEDED"
"""Too many requests in the window: wait for its reset (``ratelimit-reset`` / ``Retry-After``)."""
CONCURRENCY_LIMIT = "PLATFORM.CONCURRENCY_LIMIT_EXCEEDED"
"""Too many actions in flight for the integration: back off, run fewer at once."""

RETRYABLE_LIMIT_CODES = frozenset({RATE_LIMIT, CONCURRENCY_LIMIT})


class ApiError(KomboError):
    """Kombo answered with an error.

    Attributes mirror the error envelope ``{"status": "error", "error": {...}}``; an unknown
    or null ``code`` is kept as it came.
    """

    def __init__(
        self,
        *,
        status: int,
        code: str | None,
        title: str | None,
        message: str,
        log_url: str | None = None,
        retry_after: float | None = None,
    ) -> None:
        self.status = status
        self.code = code
        self.title = title
        self.message = message
        self.log_url = log_url
        self.retry_after = retry_after
        """Seconds to wait before retrying, from ``ratelimit-reset`` / ``Retry-After``."""
        super().__init__(self.summary())

    @property
    def label(self) -> str:
        """What names this error in one token: Kombo's code, else ``HTTP <status>``."""
        return self.code or f"HTTP {self.status}"

    def summary(self) -> str:
        """One inert line: the label, the title when it adds something, and the message.

        Every part comes from the server, so control characters are shown escaped
        (:func:`~kombo_tui.core.text.one_line`); the exact values stay on the attributes.
        """
        text = f"{self.label}: {self.message}" if self.message else self.label
        if self.title and self.title not in text:
            text = f"{self.label} ({self.title}): {self.message}"
        return one_line(text)

    @property
    def is_limit(self) -> bool:
        """A rate or concurrency limit: the request was rejected before any work."""
        return self.code in RETRYABLE_LIMIT_CODES or (self.status == 429 and self.code is None)


class TransportError(KomboError):
    """The request failed on the network.

    ``sent`` is True when the whole body may have reached the server, so the outcome of a
    write is unknown and must be verified before resending.
    """

    def __init__(self, message: str, *, sent: bool, kind: str = "network") -> None:
        self.sent = sent
        self.kind = kind
        """A short tag: ``connect``, ``dns``, ``tls``, ``timeout``, ``protocol``, ``network``, ``http``."""
        super().__init__(message)


class FileChangedError(KomboError):
    """The file differs from what was chosen (size or sha256); the upload was stopped."""


def error_label(error: BaseException | None) -> str | None:
    """The one token that names an error wherever it is shown or kept (history, bulk journal
    and reports, the app's Result panel): Kombo's code, ``HTTP 502`` for an answer without
    one, ``TRANSPORT timeout`` (or ``connect``, ``dns``, …) for the network, ``FILE_CHANGED``.
    None for anything else (its message says it all)."""
    if isinstance(error, ApiError):
        return error.label
    if isinstance(error, TransportError):
        return f"TRANSPORT {error.kind}"
    if isinstance(error, FileChangedError):
        return "FILE_CHANGED"
    return None
