"""What a running sandbox remembers: uploads, limit counters, ids and the interaction log.

One :class:`Sandbox` per app, reachable as ``app.state.sandbox``; tests and the TUI read it
from another thread than the server's, so everything mutable is behind a lock (or lives in
a structure that has its own, like the :class:`~.store.AttachmentStore`).
"""

from __future__ import annotations

import dataclasses
import hashlib
import random
import threading
from collections import deque
from dataclasses import dataclass
from typing import Any

from .config import SandboxConfig
from .data import Dataset, dataset
from .limits import ConcurrencyGate, ErrorInjector, RateLimiter
from .store import AttachmentStore, StoredAttachment

__all__ = ["Interaction", "Sandbox"]

_BASE58 = "123456789ABCDEFGHJKLMNPQRSTUVWXYZabcdefghijkmnopqrstuvwxyz"


@dataclass(frozen=True)
class Interaction:
    """One request as the sandbox's "dashboard log" keeps it."""

    id: str
    method: str
    path: str
    integration_id: str | None
    status: int
    code: str | None


class Sandbox:
    """The sandbox's state: configuration, uploaded files, limits and a log of interactions.

    Reachable as ``app.state.sandbox``. Safe to read from another thread than the server's.
    """

    def __init__(self, config: SandboxConfig) -> None:
        self.store = AttachmentStore()
        self.interactions: deque[Interaction] = deque(maxlen=2000)
        self._lock = threading.Lock()
        self._id_rng = random.Random(f"kombo-tui-sandbox/{config.seed}/uploads")
        self._interaction_counter = 0
        self.config = config
        self.rate_limiter = RateLimiter(config.rate_limit, config.rate_window)
        self.concurrency = ConcurrencyGate(config.concurrency_limit)
        self.errors = ErrorInjector(config.error_rate)

    # ------------------------------------------------------------------ configuration

    def configure(self, **changes: Any) -> SandboxConfig:
        """Change settings while running (e.g. ``configure(error_rate=0.5)``); limits restart."""
        self.config = dataclasses.replace(self.config, **changes)
        self.rate_limiter = RateLimiter(self.config.rate_limit, self.config.rate_window)
        self.concurrency = ConcurrencyGate(self.config.concurrency_limit)
        self.errors = ErrorInjector(self.config.error_rate)
        return self.config

    def reset(self) -> None:
        """Forget uploads, interactions and limit counters (the demo data stays)."""
        self.store.clear()
        with self._lock:
            self.interactions.clear()
        self.rate_limiter.reset()
        self.errors = ErrorInjector(self.config.error_rate)

    # ------------------------------------------------------------------ data and uploads

    def dataset(self, integration_id: str) -> Dataset:
        """The demo data of an integration (for this sandbox's seed)."""
        return dataset(integration_id, self.config.seed)

    def attachments(self, integration_id: str, application_id: str) -> list[StoredAttachment]:
        """Files uploaded to the sandbox that show on this application (seeded CVs excluded).

        That is the application's own uploads plus those added to its candidate.
        """
        application = self.dataset(integration_id).applications_by_id.get(application_id)
        if application is None:
            return []
        return self.store.on_application(integration_id, application_id, application.candidate.id)

    def candidate_attachments(
        self, integration_id: str, candidate_id: str
    ) -> list[StoredAttachment]:
        """Files uploaded to the sandbox for this candidate (on them or any application)."""
        return self.store.on_candidate(integration_id, candidate_id)

    def upload_count(self) -> int:
        """How many upload requests stored a file."""
        return self.store.upload_count()

    def record(self, interaction: Interaction) -> None:
        """Add a request to the log (the last 2,000 are kept)."""
        with self._lock:
            self.interactions.append(interaction)

    def recent_interactions(self) -> list[Interaction]:
        """A copy of the log, oldest first (safe while the server is running)."""
        with self._lock:
            return list(self.interactions)

    def new_id(self) -> str:
        """A fresh Kombo-style id (24 base58 characters)."""
        with self._lock:
            return "".join(self._id_rng.choices(_BASE58, k=24))

    def new_interaction_id(self) -> str:
        """The next interaction id (``sbx`` + 21 hex digits; deterministic per seed)."""
        with self._lock:
            self._interaction_counter += 1
            number = self._interaction_counter
        digest = hashlib.sha256(f"{self.config.seed}/{number}".encode()).hexdigest()
        return f"sbx{digest[:21]}"
