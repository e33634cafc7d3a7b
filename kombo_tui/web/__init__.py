"""Browser mode: the terminal app served as a web page, with a door that only its owner opens.

``kombo-tui serve`` runs one app process per browser tab (textual-serve's protocol). The app
holds a production API key and reads local files, so the web server in front of it admits
only requests that carry the secret token, name a loopback host (no DNS rebinding) and, for
the websocket, come from the page's own origin; it caps the number of app processes and
keeps the key out of every log and child environment.

- :mod:`kombo_tui.web.guard`: the admission rules (token, Host, Origin), pure and small.
- :mod:`kombo_tui.web.server`: the aiohttp server that applies them and runs the sessions.
- :mod:`kombo_tui.web.session`: one tab's app process, started without secrets in its environment.
- :mod:`kombo_tui.web.redaction`: keeps secrets out of what the server prints and logs.
- :mod:`kombo_tui.web.app_process`: the entry point each session's app process runs.

Nothing here is imported at package import: the app process imports this package too, and
must not pay for aiohttp.
"""
