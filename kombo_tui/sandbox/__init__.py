"""A Kombo-compatible server for demos, tests and benchmarks (loopback only).

What callers use:

- :mod:`kombo_tui.sandbox.data`: the deterministic demo data (``SANDBOX_API_KEY``,
  ``INTEGRATIONS``, ``DEFAULT_INTEGRATION_ID``, ``dataset()``);
- :mod:`kombo_tui.sandbox.app`: ``SandboxConfig`` and ``create_app()`` (a Starlette app whose
  state, ``app.state.sandbox``, holds what was uploaded);
- :mod:`kombo_tui.sandbox.server`: ``SandboxServer`` (uvicorn in a background thread) and
  ``serve_forever()`` (the ``kombo-tui sandbox`` command).

How a request is answered, one module per stage: :mod:`.app` (the pipeline: auth, rate limit,
injected faults, integration, concurrency, finish) → :mod:`.routing` (which endpoint, on the
raw path) → :mod:`.endpoints` (``reads``, ``attachments``), which use :mod:`.validation`
(the request rules), :mod:`.fetch` (``data_url`` downloads, only from what :mod:`.allowlist`
admits), :mod:`.wire` (records → JSON)
and :mod:`.errors` (Kombo's error envelope and the faults it can fake). The state lives in
:mod:`.config`, :mod:`.state`, :mod:`.store` and :mod:`.limits`.

Importing this package imports nothing else; the modules are loaded when used.
"""
