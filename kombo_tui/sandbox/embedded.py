"""The embedded sandbox as a send target: its key, its default integration and its server.

:class:`kombo_tui.core.target.Target` runs the sandbox without the core importing this
package: a front door (the CLI, the app) passes ``embedded()`` to ``Target.resolve``. The
server module (uvicorn, Starlette) is imported only when the server is built.
"""

from __future__ import annotations

from kombo_tui.core.target import LocalServer, SandboxSpec

from .integrations import DEFAULT_INTEGRATION_ID, SANDBOX_API_KEY

__all__ = ["embedded"]


def _server() -> LocalServer:
    from .server import SandboxServer

    return SandboxServer()


def embedded() -> SandboxSpec:
    """The embedded sandbox on a free loopback port, with its demo key and integration."""
    return SandboxSpec(api_key=SANDBOX_API_KEY, integration_id=DEFAULT_INTEGRATION_ID, server=_server)
