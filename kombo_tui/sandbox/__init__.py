"""A Kombo-compatible server for demos, tests and benchmarks (loopback only).

- :mod:`kombo_tui.sandbox.data`: the deterministic demo data (``SANDBOX_API_KEY``,
  ``INTEGRATIONS``, ``DEFAULT_INTEGRATION_ID``, ``dataset()``);
- :mod:`kombo_tui.sandbox.app`: ``SandboxConfig`` and ``create_app()`` (a Starlette app whose
  state, ``app.state.sandbox``, holds what was uploaded);
- :mod:`kombo_tui.sandbox.server`: ``SandboxServer`` (uvicorn in a background thread) and
  ``serve_forever()`` (the ``kombo-tui sandbox`` command).

Importing this package imports nothing else; the modules are loaded when used.
"""
