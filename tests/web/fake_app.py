"""A stand-in app process for the browser-mode tests: just enough of textual-serve's protocol.

It announces itself, draws one line, then answers keys with ``echo:<key>`` until it is asked to
quit or its stdin ends. Options (argv):

- ``--report PATH``: first write JSON with the key read from ``KOMBO_TUI_KEY_FD``, the
  variables this process sees and its kernel-visible environment block;
- ``--open-urls``: ask the browser to open a ``javascript:`` link and an https one;
- ``--leak-stderr SECRET``: print SECRET on stderr, as a crash traceback with locals would.
"""

from __future__ import annotations

import json
import os
import sys


def _packet(kind: bytes, payload: bytes) -> bytes:
    return kind + len(payload).to_bytes(4, "big") + payload


def main(argv: list[str]) -> None:
    out = sys.stdout.buffer
    if "--report" in argv:
        named = os.environ.get("KOMBO_TUI_KEY_FD")
        key = os.read(int(named), 4096).decode() if named else None
        with open("/proc/self/environ", "rb") as block:
            kernel_view = block.read().decode("utf-8", "replace")
        report = {"key": key, "environ": dict(os.environ), "kernel_view": kernel_view}
        with open(argv[argv.index("--report") + 1], "w", encoding="utf-8") as handle:
            json.dump(report, handle)
    if "--leak-stderr" in argv:
        secret = argv[argv.index("--leak-stderr") + 1]
        sys.stderr.write(
            f"Traceback (locals): api_key = {secret!r}, headers = {{'Authorization': 'Bearer {secret}'}}\n"
        )
        sys.stderr.flush()
    out.write(b"__GANGLION__\n")
    out.write(_packet(b"D", b"hello from the fake app"))
    if "--open-urls" in argv:
        for url in ("javascript:alert(document.cookie)", "https://kombo.dev/docs"):
            out.write(_packet(b"M", json.dumps({"type": "open_url", "url": url, "new_tab": True}).encode()))
    out.flush()
    stdin = sys.stdin.buffer
    while True:
        head = stdin.read(5)
        if len(head) < 5:
            return
        body = stdin.read(int.from_bytes(head[1:], "big"))
        if head[:1] == b"M" and json.loads(body).get("type") == "quit":
            return
        if head[:1] == b"D":
            out.write(_packet(b"D", b"echo:" + body))
            out.flush()


if __name__ == "__main__":
    main(sys.argv[1:])
