"""The terminal app refuses to run inside a running event loop (a notebook cell) at once."""

from __future__ import annotations

import pytest

from kombo_tui.core.api import RunningLoopError
from kombo_tui.tui.app import make_app


async def test_run_inside_a_running_loop_fails_at_once_pointing_to_serve() -> None:
    app = make_app(sandbox=True)
    with pytest.raises(RunningLoopError) as caught:
        app.run(headless=True)
    assert "kombo-tui serve" in str(caught.value)
    assert not app.is_running
