"""How the sandbox fails: Kombo's error envelope, and the failures it fakes on purpose.

Endpoint code raises :class:`ApiFailure`; the pipeline turns it into Kombo's envelope with
:func:`error_response` (``{"status": "error", "error": {code, title, message, log_url}}``).
The faults the sandbox can be told to produce live here too, so their exact bytes are in one
place: injected 5xx answers (:class:`InjectedFailure`: Kombo's JSON for a 500, a load
balancer's HTML for 502/503) and the connection dropped after an upload was stored
(:class:`DroppingResponse` raising :class:`DroppedConnection`).
"""

from __future__ import annotations

import json
from typing import TYPE_CHECKING

from starlette.responses import JSONResponse, Response
from starlette.types import Receive, Scope, Send

if TYPE_CHECKING:
    from .validation import InputProblems

__all__ = [
    "MALFORMED_REQUEST_BODY",
    "TITLES",
    "ApiFailure",
    "BodyStreamFailed",
    "DroppedConnection",
    "DroppingResponse",
    "InjectedFailure",
    "error_response",
    "input_invalid",
    "log_url",
]

def log_url(origin: str, interaction_id: str) -> str:
    """Where the sandbox shows an interaction: its own ``/logs/<id>`` page (never Kombo's
    dashboard, which knows nothing of it). ``origin`` is the sandbox's, as the client reached it."""
    return f"{origin.rstrip('/')}/logs/{interaction_id}"

TITLES = {
    "PLATFORM.INPUT_INVALID": "The input is invalid.",
    "PLATFORM.AUTHENTICATION_INVALID": "The API key is invalid.",
    "PLATFORM.INTEGRATION_NOT_FOUND": "The integration could not be found.",
    "PLATFORM.RATE_LIMIT_EXCEEDED": "You have exceeded the rate limit.",
    "PLATFORM.CONCURRENCY_LIMIT_EXCEEDED": "Too many concurrent action requests.",
    "PLATFORM.UNKNOWN_ERROR": "An unknown error occurred.",
    "INTEGRATION.INACTIVE": "The integration is inactive.",
    "INTEGRATION.PERMISSION_MISSING": "A required permission is missing.",
    "INTEGRATION.SETUP_INCOMPLETE": "The integration's setup is not complete.",
    "REMOTE.INPUT_INVALID": "The remote system rejected the input.",
}
"""``error.title`` for each code the sandbox answers with."""


class ApiFailure(Exception):
    """Raised by endpoint code; turned into Kombo's error envelope by the pipeline."""

    def __init__(
        self,
        status: int,
        code: str,
        message: str,
        headers: dict[str, str] | None = None,
        *,
        log: bool = True,
    ) -> None:
        """Describe the answer.

        Args:
            status: The HTTP status.
            code: Kombo's error code (``PLATFORM.INPUT_INVALID``, ...).
            message: ``error.message``, naming the field when there is one.
            headers: Extra response headers (``Retry-After``, ``Allow``, ...).
            log: Whether the envelope carries a ``log_url`` (Kombo gives none for a bad key).
        """
        super().__init__(message)
        self.status = status
        self.code = code
        self.message = message
        self.headers = headers or {}
        self.log = log


def input_invalid(problems: InputProblems, status: int = 400) -> ApiFailure:
    """``PLATFORM.INPUT_INVALID`` listing every problem of a request."""
    return ApiFailure(status, "PLATFORM.INPUT_INVALID", str(problems))


MALFORMED_REQUEST_BODY = json.dumps(
    {
        "status": "error",
        "error": {
            "code": "PLATFORM.INPUT_INVALID",
            "title": TITLES["PLATFORM.INPUT_INVALID"],
            "message": "Malformed HTTP request: the request line or a header is not valid "
            "HTTP/1.1 (control characters and spaces in a path must be percent-encoded).",
            "log_url": None,
        },
    },
    separators=(",", ":"),
).encode()
"""The body of the 400 the HTTP server sends for a request it cannot parse (it never reaches
the app; :mod:`.server` sends it), so even that answer is Kombo's envelope."""


def error_response(failure: ApiFailure, interaction_id: str, origin: str | None = None) -> Response:
    """The response for a failure, in Kombo's envelope (injected faults bring their own).

    ``origin`` is the sandbox's (``http://127.0.0.1:8765``): the ``log_url`` points at its
    ``/logs/<interaction>`` page; without one (or an interaction) there is no ``log_url``.
    """
    if isinstance(failure, InjectedFailure):
        return failure.response(interaction_id, origin)
    link = log_url(origin, interaction_id) if failure.log and origin and interaction_id else None
    body = {
        "status": "error",
        "error": {
            "code": failure.code,
            "title": TITLES.get(failure.code),
            "message": failure.message,
            "log_url": link,
        },
    }
    return JSONResponse(body, status_code=failure.status, headers=failure.headers)


class InjectedFailure(ApiFailure):
    """A 5xx the sandbox was told to produce (``error_rate``)."""

    def __init__(self, status: int) -> None:
        """A failure answered with ``status`` (500, 502 or 503)."""
        code = "PLATFORM.UNKNOWN_ERROR"
        super().__init__(status, code, "Injected failure (sandbox error_rate).")

    def response(self, interaction_id: str, origin: str | None = None) -> Response:
        """Kombo's JSON for a 500; a load balancer's HTML page for a 502 or 503."""
        if self.status == 500:
            body = {
                "status": "error",
                "error": {
                    "code": "PLATFORM.UNKNOWN_ERROR",
                    "title": TITLES["PLATFORM.UNKNOWN_ERROR"],
                    "message": "An unexpected error occurred while handling the request "
                    "(sandbox error_rate).",
                    "log_url": log_url(origin, interaction_id) if origin else None,
                },
            }
            return JSONResponse(body, status_code=500)
        if self.status == 502:
            html = (
                "<html>\r\n<head><title>502 Bad Gateway</title></head>\r\n<body>\r\n"
                "<center><h1>502 Bad Gateway</h1></center>\r\n"
                "<hr><center>sandbox-load-balancer</center>\r\n</body>\r\n</html>\r\n"
            )
            return Response(html, status_code=502, media_type="text/html")
        html = (
            "<html>\r\n<head><title>503 Service Temporarily Unavailable</title></head>\r\n"
            "<body>\r\n<center><h1>503 Service Temporarily Unavailable</h1></center>\r\n"
            "<hr><center>sandbox-load-balancer</center>\r\n</body>\r\n</html>\r\n"
        )
        return Response(html, status_code=503, media_type="text/html")


class BodyStreamFailed(Exception):
    """Reading the request body failed on the client's side; carries the original error."""

    def __init__(self, original: Exception) -> None:
        """Wrap the exception the body stream raised."""
        super().__init__(str(original))
        self.original = original


class DroppedConnection(Exception):
    """Raised after a stored upload's response was started, to drop the connection.

    Under uvicorn the client sees the connection close before the body it was promised
    (``httpx.RemoteProtocolError`` while reading the response). In-process,
    ``httpx.ASGITransport`` re-raises this very exception from the request; with
    ``raise_app_exceptions=False`` it instead returns the 200 it was started with, carrying
    only the first half of the JSON body (so parsing it fails).
    """


class DroppingResponse(Response):
    """Announces a full JSON body, sends a piece of it, then fails."""

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        """Start the response, send half the body, raise :class:`DroppedConnection`."""
        await send(
            {
                "type": "http.response.start",
                "status": self.status_code,
                "headers": self.raw_headers,
            }
        )
        await send(
            {
                "type": "http.response.body",
                "body": self.body[: len(self.body) // 2],
                "more_body": True,
            }
        )
        raise DroppedConnection("sandbox: upload stored, connection dropped (drop_after_store)")
