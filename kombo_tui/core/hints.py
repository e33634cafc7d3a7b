"""Plain-language advice for each Kombo error code: what the person at the keyboard can do."""

from __future__ import annotations

from .errors import ApiError, DuplicateUploadError, FileChangedError, InputError, KomboError, TransportError

__all__ = ["HINTS", "counted", "hint_for"]

HINTS: dict[str, str] = {
    "PLATFORM.RATE_LIMIT_EXCEEDED": "Too many requests in this time window. Wait for the reset and try again.",
    "PLATFORM.CONCURRENCY_LIMIT_EXCEEDED": "Too many actions in flight for this integration. Retry in a moment.",
    "PLATFORM.INTEGRATION_NOT_FOUND": "Check the integration id (format tool:id) and that the key belongs to the same environment.",
    "PLATFORM.INPUT_INVALID": "Fix the field named in the message and send again.",
    "PLATFORM.UNKNOWN_ERROR": "Kombo hit an unexpected error. Open the log link; share it with Kombo support if it persists.",
    "PLATFORM.IP_NOT_WHITELISTED": "This machine's IP is not on the key's allow-list. Add it in the Kombo dashboard.",
    "PLATFORM.AUTHENTICATION_INVALID": "The API key was rejected. Check it is current and of the right environment (prod/dev).",
    "PLATFORM.TASK_TIMED_OUT": "Kombo gave up waiting for the ATS. Verify the application's attachments before sending again.",
    "INTEGRATION.PERMISSION_MISSING": "Enable the 'Add attachments' permission in this integration's scope config in the Kombo dashboard.",
    "INTEGRATION.AUTHENTICATION_INVALID": "The ATS rejected the stored credentials. Ask the customer to reconnect the integration.",
    "INTEGRATION.QA_FAILED": "The integration failed Kombo's QA. Tell the customer's admin; it needs manual attention.",
    "INTEGRATION.SETUP_SYNC_PENDING": "The first sync is still running (it can take hours). Try again once it finishes.",
    "INTEGRATION.SETUP_INCOMPLETE": "The integration's setup is not finished. Ask the customer's admin to complete it.",
    "INTEGRATION.INACTIVE": "The integration is inactive. Reactivate it in the Kombo dashboard (dev integrations go inactive after two idle weeks).",
    "INTEGRATION.MODEL_NOT_AVAILABLE": "This ATS does not offer that data through Kombo.",
    "INTEGRATION.MODEL_DISABLED": "That data model is disabled in the scope config. Enable it in the Kombo dashboard.",
    "INTEGRATION.ACTION_NOT_AVAILABLE": "This ATS does not support adding attachments through Kombo.",
    "INTEGRATION.ACTION_DISABLED": "Adding attachments is disabled for this integration. Enable it in the scope config.",
    "REMOTE.SERVICE_UNAVAILABLE": "The ATS is down or unreachable. Verify the attachments, then try again later.",
    "REMOTE.RATE_LIMIT_EXCEEDED": "The ATS is rate-limiting Kombo. Wait a little and try again.",
    "REMOTE.INPUT_INVALID": "The ATS refused the file (size, type or a field). Read the message, fix it and send again.",
    "REMOTE.UNKNOWN_HTTP_ERROR": "The ATS answered with an unexpected error. Verify the attachments before sending again; the log link has details.",
    "ATS.JOB_CLOSED": "The job is closed in the ATS; it may not accept new files.",
    "ATS.APPLICATION_ALREADY_EXISTS": "The ATS says this already exists.",
}


def hint_for(error: KomboError) -> str:
    """What to do next, in one sentence."""
    if isinstance(error, ApiError):
        if error.code and error.code in HINTS:
            return HINTS[error.code]
        if error.status >= 500:
            return (
                "The server failed; the file may or may not have been stored. "
                "Verify the application's attachments before sending again."
            )
        if error.status == 429:
            return HINTS["PLATFORM.RATE_LIMIT_EXCEEDED"]
        return "Open the log link (if any) for details; share it with Kombo support if needed."
    if isinstance(error, TransportError):
        if error.sent:
            return (
                "The request may have reached Kombo: the outcome is unknown. "
                "Verify the application's attachments before sending again."
            )
        if error.kind == "dns":
            return "The host name could not be resolved. Check the region/base URL and your network or proxy."
        if error.kind == "tls":
            return "The TLS handshake failed. Check the base URL, proxy settings and system certificates."
        if error.kind == "connect":
            return (
                "Nothing was sent: the server refused or did not answer the connection. "
                "Check the region/base URL (is the sandbox or proxy running?) and try again."
            )
        return "Nothing was received by Kombo. Check the network (or proxy) and try again."
    if isinstance(error, FileChangedError):
        return "The file changed while it was being sent. Choose it again and resend."
    if isinstance(error, DuplicateUploadError):
        return "Nothing was sent: the local history shows this file already sent to this application."
    if isinstance(error, InputError):
        return "Fix the named field(s); nothing was sent."
    return ""


def counted(n: int, noun: str, plural: str | None = None) -> str:
    """``1 attachment``, ``2 attachments``, ``1,204 matches`` (give ``plural`` when not noun + s)."""
    return f"{n:,} {noun if n == 1 else plural or noun + 's'}"
