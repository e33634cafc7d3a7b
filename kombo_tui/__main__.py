"""``python -m kombo_tui``."""

import sys

from .cli import run

sys.exit(run())
