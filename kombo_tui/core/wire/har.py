"""Exchanges as HAR 1.2, the format browsers' dev tools, Charles, Fiddler, Insomnia and Postman read.

:func:`write_har` writes a list of :class:`~kombo_tui.core.wire.exchanges.Exchange` to a file (or
a text stream); :func:`to_har` builds the same document in memory; :func:`read_har` loads one
back as exchanges after :func:`validate_har` checked the structure HAR 1.2 requires.

What a HAR from kombo-tui holds, and what it does not:

- the key never: ``Authorization`` is already ``Bearer ••••`` in the exchanges;
- an upload's body with ``data`` elided to the file's size and sha256, unless ``full=True``:
  then the real body is streamed from the :class:`~kombo_tui.core.payload.PreparedUpload`
  into the file chunk by chunk (re-checking the file's sha256, so a file that changed since
  the send is refused rather than misreported); the document is never one big string;
- an exchange with no answer is an entry whose response has status 0 and an ``_error`` (on the
  response, as Chrome writes it, and on the entry);
- each retry wait is ``_retryWait`` on the entry whose answer caused it; other custom fields:
  ``_id``, ``_scope``, ``_bodySent``, ``_traced`` (timings), ``_elided`` (postData);
- timings as the spec wants them: ``connect`` includes ``ssl``, -1 where a phase is unknown or
  does not apply (``dns`` always: httpcore resolves inside connect), ``time`` is their sum.

Exchanges still in flight are left out.
"""

from __future__ import annotations

import json
import os
import tempfile
import uuid
from collections.abc import Iterable, Mapping
from datetime import datetime
from pathlib import Path
from typing import IO, TYPE_CHECKING, Any

import httpx

from ..._version import __version__
from .exchanges import Body, Exchange, Timings

if TYPE_CHECKING:
    from ..payload import PreparedUpload

__all__ = ["HAR_VERSION", "HarError", "read_har", "to_har", "validate_har", "write_har"]

HAR_VERSION = "1.2"

_REQUIRED_PHASES = ("send", "wait", "receive")
_OPTIONAL_PHASES = ("blocked", "dns", "connect", "ssl")


class HarError(ValueError):
    """A HAR document that does not have the structure HAR 1.2 requires."""

    def __init__(self, problems: list[str]) -> None:
        super().__init__("not a HAR 1.2 document: " + "; ".join(problems[:5]) + (" …" if len(problems) > 5 else ""))
        self.problems = problems


# --------------------------------------------------------------------------- writing


def to_har(exchanges: Iterable[Exchange]) -> dict[str, Any]:
    """The HAR 1.2 document for these exchanges (upload data elided), entries by start time."""
    items = [e for e in exchanges if e.complete]
    http = sorted((e for e in items if e.kind == "http"), key=lambda e: (e.started, e.id))
    entries = {e.id: _entry(e) for e in http}
    loose: list[dict[str, Any]] = []
    for wait in (e for e in items if e.kind == "wait"):
        record = _wait_record(wait)
        target = entries.get(wait.follows) if wait.follows is not None else None
        if target is not None:
            target["_retryWait"] = record
        else:
            loose.append({**record, "method": wait.method, "url": wait.url})
    log: dict[str, Any] = {
        "version": HAR_VERSION,
        "creator": {"name": "kombo-tui", "version": __version__},
        "entries": list(entries.values()),
    }
    if loose:
        log["_retryWaits"] = loose
    return {"log": log}


def write_har(
    exchanges: Iterable[Exchange],
    target: str | os.PathLike[str] | IO[str],
    *,
    full: bool = False,
) -> None:
    """Write the exchanges as HAR 1.2 to a path (atomically, mode 0600) or a text stream.

    Args:
        exchanges: what to write (in-flight ones are left out).
        target: a file path, or an open text stream (e.g. stdout).
        full: put each upload's real body (the file's base64) in the HAR. It is streamed from
            the upload, never held whole in memory; exchanges without their upload (read back
            from a HAR or from history) keep the elided body.

    Raises:
        FileChangedError: with ``full``, a file changed since it was sent (nothing is written
            to a path; a stream may hold a partial document).
        OSError: the file cannot be written.
    """
    items = [e for e in exchanges if e.complete]
    doc = to_har(items)
    bodies: dict[str, PreparedUpload] = {}
    if full:
        by_id = {e.id: e for e in items if e.kind == "http"}
        for entry in doc["log"]["entries"]:
            exchange = by_id[entry["_id"]]
            post = entry["request"].get("postData")
            if post is None or exchange.upload is None or not post.get("_elided"):
                continue
            token = f"kombo-tui-body-{uuid.uuid4().hex}"
            bodies[token] = exchange.upload
            post["text"] = token
            post.pop("_elided", None)
            post.pop("comment", None)
    if isinstance(target, (str, os.PathLike)):
        _write_file(Path(target), doc, bodies)
    else:
        _write(target, doc, bodies)


def _write_file(path: Path, doc: dict[str, Any], bodies: dict[str, PreparedUpload]) -> None:
    # A HAR names candidates and files: private by default, like the history database.
    from .export import refuse_special

    refuse_special(path)  # never over /dev/null, a pipe or a socket
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as fh:
            _write(fh, doc, bodies)
        os.replace(tmp, path)
    except BaseException:
        try:
            os.unlink(tmp)
        except OSError:
            pass
        raise


def _write(out: IO[str], doc: dict[str, Any], bodies: dict[str, PreparedUpload]) -> None:
    text = json.dumps(doc, indent=2, ensure_ascii=False)
    if not bodies:
        out.write(text)
        out.write("\n")
        return
    for token, upload in bodies.items():
        quoted = json.dumps(token)
        before, _, text = text.partition(quoted)
        out.write(before)
        out.write('"')
        for chunk in upload.iter_body():
            piece = chunk.decode("utf-8")
            # Base64 chunks need no escaping (and are not copied again); the JSON around them
            # (the head and the tail) does.
            if '"' in piece or "\\" in piece:
                piece = json.dumps(piece, ensure_ascii=False)[1:-1]
            out.write(piece)
        out.write('"')
    out.write(text)
    out.write("\n")


def _headers(pairs: list[tuple[str, str]]) -> list[dict[str, str]]:
    return [{"name": name, "value": value} for name, value in pairs]


def _ms(value: float | None, missing: float) -> float:
    return missing if value is None else round(value, 3)


def _har_timings(timings: Timings) -> dict[str, Any]:
    out: dict[str, Any] = {name: _ms(getattr(timings, name), -1) for name in _OPTIONAL_PHASES}
    out.update({name: _ms(getattr(timings, name), 0) for name in _REQUIRED_PHASES})
    out["_traced"] = timings.traced
    if not timings.traced:
        out["comment"] = "no transport trace: the time before the answer's headers is counted as wait"
    return out


def _total(timings: Mapping[str, Any]) -> float:
    """HAR's ``time``: the sum of the phases that apply (``ssl`` is already inside ``connect``)."""
    phases: list[float] = [timings[name] for name in (*_OPTIONAL_PHASES, *_REQUIRED_PHASES) if name != "ssl"]
    return round(sum(v for v in phases if v > 0), 3)


def _entry(exchange: Exchange) -> dict[str, Any]:
    url = httpx.URL(exchange.url)
    version = exchange.http_version or "HTTP/1.1"
    request: dict[str, Any] = {
        "method": exchange.method,
        "url": exchange.url,
        "httpVersion": version,
        "cookies": [],
        "headers": _headers(exchange.request_headers),
        "queryString": [{"name": k, "value": v} for k, v in url.params.multi_items()],
        "headersSize": -1,
        "bodySize": exchange.request_body.size if exchange.request_body else 0,
    }
    body = exchange.request_body
    if body is not None:
        post: dict[str, Any] = {"mimeType": body.mime or "application/octet-stream", "text": body.text or ""}
        if body.note:
            post["comment"] = body.note
        if body.elided:
            post["_elided"] = True
        request["postData"] = post
    timings = _har_timings(exchange.timings)
    entry: dict[str, Any] = {
        "startedDateTime": exchange.started.isoformat(timespec="milliseconds"),
        "time": _total(timings),
        "request": request,
        "response": _response(exchange, version),
        "cache": {},
        "timings": timings,
        "_id": exchange.id,
    }
    if exchange.server_address:
        entry["serverIPAddress"] = exchange.server_address
    if exchange.scope is not None:
        entry["_scope"] = exchange.scope
    if exchange.body_sent is not None:
        entry["_bodySent"] = exchange.body_sent
    if exchange.error:
        entry["_error"] = exchange.error
    return entry


def _response(exchange: Exchange, version: str) -> dict[str, Any]:
    if exchange.status is None:
        return {
            "status": 0,
            "statusText": "",
            "httpVersion": exchange.http_version,
            "cookies": [],
            "headers": _headers(exchange.response_headers),
            "content": {"size": 0, "mimeType": "x-unknown"},
            "redirectURL": "",
            "headersSize": -1,
            "bodySize": -1,
            "_error": exchange.error or "no response",
        }
    body = exchange.response_body or Body(size=0, mime="")
    content: dict[str, Any] = {"size": max(body.size, 0), "mimeType": body.mime or "x-unknown"}
    if body.text is not None:
        content["text"] = body.text
    if body.note:
        content["comment"] = body.note
    response: dict[str, Any] = {
        "status": exchange.status,
        "statusText": exchange.reason,
        "httpVersion": version,
        "cookies": [],
        "headers": _headers(exchange.response_headers),
        "content": content,
        "redirectURL": exchange.header("location") or "",
        "headersSize": -1,
        "bodySize": body.size,
    }
    if exchange.error:  # the headers came, the body did not
        response["_error"] = exchange.error
    return response


def _wait_record(wait: Exchange) -> dict[str, Any]:
    return {
        "_id": wait.id,
        "startedDateTime": wait.started.isoformat(timespec="milliseconds"),
        "seconds": wait.wait_seconds,
        "reason": wait.wait_reason,
        "attempt": wait.attempt,
    }


# --------------------------------------------------------------------------- reading


def read_har(source: str | os.PathLike[str] | Mapping[str, Any]) -> list[Exchange]:
    """Load a HAR (a path or an already-parsed document) as exchanges, retry waits included.

    Raises:
        HarError: the document lacks what HAR 1.2 requires (every problem is listed).
        OSError, ValueError: the file cannot be read or is not JSON.
    """
    if isinstance(source, Mapping):
        doc: Any = source
    else:
        with open(source, encoding="utf-8") as fh:
            doc = json.load(fh)
    problems = validate_har(doc)
    if problems:
        raise HarError(problems)
    out: list[Exchange] = []
    for index, entry in enumerate(doc["log"]["entries"]):
        exchange = _exchange(entry, index + 1)
        out.append(exchange)
        wait = entry.get("_retryWait")
        if isinstance(wait, Mapping):
            out.append(_wait(wait, exchange.method, exchange.url, exchange.id))
    for wait in doc["log"].get("_retryWaits") or []:
        out.append(_wait(wait, str(wait.get("method", "")), str(wait.get("url", "")), None))
    out.sort(key=lambda e: (e.started, e.id))
    return out


def _exchange(entry: Mapping[str, Any], fallback_id: int) -> Exchange:
    request, response = entry["request"], entry["response"]
    post = request.get("postData")
    request_body = None
    if isinstance(post, Mapping):
        text = post.get("text")
        request_body = Body(
            size=int(request.get("bodySize", -1)),
            mime=str(post.get("mimeType", "")),
            text=text if isinstance(text, str) else None,
            note=post.get("comment"),
            elided=bool(post.get("_elided", False)),
        )
    status = int(response["status"]) or None
    response_body = None
    if status is not None:
        content = response["content"]
        text = content.get("text")
        response_body = Body(
            size=int(content.get("size", -1)),
            mime=str(content.get("mimeType", "")),
            text=text if isinstance(text, str) else None,
            note=content.get("comment"),
        )
    timings = dict(entry["timings"])
    timings["traced"] = timings.pop("_traced", False)
    return Exchange(
        id=int(entry.get("_id", fallback_id)),
        kind="http",
        started=_parse_time(entry["startedDateTime"]),
        method=request["method"],
        url=request["url"],
        request_headers=[(h["name"], h["value"]) for h in request["headers"]],
        request_body=request_body,
        status=status,
        reason=str(response.get("statusText", "")),
        http_version=str(response.get("httpVersion") or request.get("httpVersion", "")),
        response_headers=[(h["name"], h["value"]) for h in response["headers"]],
        response_body=response_body,
        timings=Timings.from_dict(timings),
        duration=float(entry["time"]) / 1000.0,
        error=entry.get("_error") or response.get("_error"),
        body_sent=entry.get("_bodySent"),
        server_address=entry.get("serverIPAddress"),
        scope=entry.get("_scope"),
        complete=True,
    )


def _wait(record: Mapping[str, Any], method: str, url: str, follows: int | None) -> Exchange:
    seconds = record.get("seconds")
    return Exchange(
        id=int(record.get("_id", 0)),
        kind="wait",
        started=_parse_time(str(record["startedDateTime"])),
        method=method,
        url=url,
        duration=seconds,
        wait_seconds=seconds,
        wait_reason=record.get("reason"),
        attempt=record.get("attempt"),
        follows=follows,
        complete=True,
    )


def _parse_time(text: str) -> datetime:
    """ISO 8601 as HAR writers spell it (a trailing ``Z`` is not read by Python 3.10)."""
    return datetime.fromisoformat(text[:-1] + "+00:00" if text.endswith("Z") else text)


# --------------------------------------------------------------------------- validation


def validate_har(doc: Any) -> list[str]:
    """What a document lacks to be HAR 1.2 (required fields, their types, timings); [] when fine.

    A structural check of the spec's required fields, not a JSON-schema validator: enough to
    tell a HAR a tool will import from one it will refuse.
    """
    check = _Checker()
    log = check.need(doc, "log", Mapping, "$")
    if log is None:
        return check.problems
    version = check.need(log, "version", str, "log")
    if version is not None and version != HAR_VERSION:
        check.problems.append(f"log.version: expected {HAR_VERSION!r}, got {version!r}")
    creator = check.need(log, "creator", Mapping, "log")
    if creator is not None:
        check.need(creator, "name", str, "log.creator")
        check.need(creator, "version", str, "log.creator")
    entries = check.need(log, "entries", list, "log")
    for index, entry in enumerate(entries or []):
        check.entry(entry, f"log.entries[{index}]")
    return check.problems


_Kinds = type | tuple[type, ...]


class _Checker:
    """Collects every problem, each named by its path in the document."""

    def __init__(self) -> None:
        self.problems: list[str] = []

    def need(self, obj: Any, key: str, kinds: _Kinds, where: str) -> Any:
        """``obj[key]`` when present and of one of ``kinds`` (a bool is not a number); else None."""
        if not self.is_object(obj, where):
            return None
        if key not in obj:
            self.problems.append(f"{where}.{key}: missing")
            return None
        value = obj[key]
        wanted = kinds if isinstance(kinds, tuple) else (kinds,)
        if not isinstance(value, wanted) or (isinstance(value, bool) and bool not in wanted):
            names = " or ".join(k.__name__ for k in wanted)
            self.problems.append(f"{where}.{key}: expected {names}, got {type(value).__name__}")
            return None
        return value

    def is_object(self, obj: Any, where: str) -> bool:
        if isinstance(obj, Mapping):
            return True
        self.problems.append(f"{where}: expected an object, got {type(obj).__name__}")
        return False

    def pairs(self, items: list[Any] | None, where: str) -> None:
        for index, item in enumerate(items or []):
            if self.is_object(item, f"{where}[{index}]"):
                self.need(item, "name", str, f"{where}[{index}]")
                self.need(item, "value", str, f"{where}[{index}]")

    def entry(self, entry: Any, where: str) -> None:
        if not self.is_object(entry, where):
            return
        started = self.need(entry, "startedDateTime", str, where)
        if started is not None:
            try:
                _parse_time(started)
            except ValueError:
                self.problems.append(f"{where}.startedDateTime: not ISO 8601 ({started!r})")
        total = self.need(entry, "time", (int, float), where)
        if total is not None and total < 0:
            self.problems.append(f"{where}.time: negative")
        self.need(entry, "cache", Mapping, where)
        request = self.need(entry, "request", Mapping, where)
        if request is not None:
            self.request(request, f"{where}.request")
        response = self.need(entry, "response", Mapping, where)
        if response is not None:
            self.response(response, f"{where}.response")
        timings = self.need(entry, "timings", Mapping, where)
        if timings is not None:
            self.timings(timings, total, where)

    def request(self, request: Mapping[str, Any], at: str) -> None:
        for key in ("method", "url", "httpVersion"):
            self.need(request, key, str, at)
        for key in ("cookies", "headers", "queryString"):
            self.pairs(self.need(request, key, list, at), f"{at}.{key}")
        for key in ("headersSize", "bodySize"):
            self.need(request, key, int, at)
        post = request.get("postData")
        if post is not None:
            self.need(post, "mimeType", str, f"{at}.postData")
            if isinstance(post, Mapping) and "text" not in post and "params" not in post:
                self.problems.append(f"{at}.postData: neither text nor params")

    def response(self, response: Mapping[str, Any], at: str) -> None:
        self.need(response, "status", int, at)
        for key in ("statusText", "httpVersion", "redirectURL"):
            self.need(response, key, str, at)
        for key in ("cookies", "headers"):
            self.pairs(self.need(response, key, list, at), f"{at}.{key}")
        for key in ("headersSize", "bodySize"):
            self.need(response, key, int, at)
        content = self.need(response, "content", Mapping, at)
        if content is not None:
            self.need(content, "size", int, f"{at}.content")
            self.need(content, "mimeType", str, f"{at}.content")

    def timings(self, timings: Mapping[str, Any], total: float | None, where: str) -> None:
        at = f"{where}.timings"
        before = len(self.problems)
        for key in _REQUIRED_PHASES:
            value = self.need(timings, key, (int, float), at)
            if value is not None and value < 0:
                self.problems.append(f"{at}.{key}: must not be negative")
        for key in _OPTIONAL_PHASES:
            value = timings.get(key, -1)
            if not isinstance(value, (int, float)) or isinstance(value, bool) or (value < 0 and value != -1):
                self.problems.append(f"{at}.{key}: expected a number >= 0 or -1")
        if total is None or len(self.problems) > before:
            return
        # The spec: time is the sum of the phases that apply (ssl is already inside connect).
        expected = sum(
            timings.get(k, -1) for k in (*_OPTIONAL_PHASES, *_REQUIRED_PHASES) if k != "ssl" and timings.get(k, -1) > 0
        )
        if abs(expected - total) > 0.01 + 1e-6 * expected:
            self.problems.append(f"{where}.time: {total} is not the sum of its timings ({expected:.3f})")
