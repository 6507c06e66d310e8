"""A store poller: something a gateway process keeps in memory and re-reads from the store on a thread of its own.

What it is: ``StorePoller``, the part every such cache shares: read once at ``start`` (so the first
request finds what it needs), then every ``interval_s`` on a daemon thread; a read that fails keeps
what was last read, counts the failure and says since when (``stale``, ``age_s``, for ``/readyz``
and ``/metrics``), and a hanging read counts as stale once the last good one is older than
``stale_after_s``. Subclasses say what one read is (``refresh``, reporting through ``_succeeded``
and ``_failed``) and what they hold. What it is not: what is read (``modelswap.gateway.rollouts``
holds the rollout states, ``modelswap.gateway.prompt_cache`` the prompt labels and versions), nor
the request path, which reads what a poller holds and never waits on it.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable

from modelswap.errors import StoreError
from modelswap.store.base import Store

logger = logging.getLogger(__name__)


class StorePoller:
    """Reads ``store`` every ``interval_s`` on a daemon thread; ``refresh`` (one read) is the subclass's."""

    what = "store"
    """What is read, for the log lines ("rollout states", "prompt labels")."""
    thread_name = "modelswap-poller"

    def __init__(self, store: Store, *, interval_s: float, stale_after_s: float,
                 clock: Callable[[], float] = time.time) -> None:
        if interval_s <= 0 or stale_after_s <= interval_s:
            raise ValueError("interval_s must be above 0 and stale_after_s above interval_s")
        self.store = store
        self.interval_s = interval_s
        self.stale_after_s = stale_after_s
        self.clock = clock
        self.read_at: float | None = None  # when the last good read began
        self.failing_since: float | None = None
        self.error: str | None = None  # the class of the last read's error (never its message: it may hold a URL)
        self.failures = 0
        self.reads = 0
        self._lock = threading.Lock()
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self._started_at = clock()

    def refresh(self) -> bool:
        """Read once; False (what was read before kept) when the store cannot be read."""
        raise NotImplementedError

    def start(self) -> None:
        """Read once now, then keep reading on a daemon thread."""
        self.refresh()
        self._thread = threading.Thread(target=self._run, name=self.thread_name, daemon=True)
        self._thread.start()

    def stop(self, timeout_s: float = 5.0) -> None:
        """Stop reading (waits up to ``timeout_s`` for a read in progress)."""
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout_s)

    @property
    def stale(self) -> bool:
        """Whether what is held may be out of date: the last read failed, or none succeeded lately."""
        return self.failing_since is not None or self.age_s > self.stale_after_s

    @property
    def age_s(self) -> float:
        """Seconds since the last good read began (since start when none succeeded)."""
        return self.clock() - (self.read_at if self.read_at is not None else self._started_at)

    def _run(self) -> None:
        while not self._stop.wait(self.interval_s):
            self.refresh()

    def _succeeded(self, began: float) -> None:
        with self._lock:
            self.reads += 1
            self.read_at = began
            if self.failing_since is not None:
                logger.warning("%s read again after %.1f s", self.what, began - self.failing_since)
            self.failing_since = self.error = None

    def _failed(self, exc: StoreError, began: float) -> None:
        with self._lock:
            self.failures += 1
            self.error = type(exc).__name__
            if self.failing_since is None:
                self.failing_since = began
                logger.warning("%s cannot be read (%s); serving the last known ones", self.what, self.error)
