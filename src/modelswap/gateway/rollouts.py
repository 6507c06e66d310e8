"""The rollout states a gateway process obeys: the last known state of each route, refreshed in the background.

What it is: ``RolloutStates``, a dict of route → ``RolloutState`` that the request path reads and
never waits on, and a daemon thread that replaces it every ``interval_s`` (0.25 s by default) with
what the store holds: one SELECT of ``rollout_state``, a table of one row per route. A change
written anywhere (the CLI, the admin API of any process, the controller) is obeyed by every process
within ``interval_s`` plus one query; a rollback flips new requests of every key at once. A state
this process writes itself (the admin API) is obeyed at once (``put``).

Why a poll and not LISTEN/NOTIFY: the poll is the same code on SQLite and PostgreSQL, costs four
indexed reads of a tiny table a second per process, and needs no connection of its own held in a
LISTEN, nor a reconnect path that would have to poll anyway to catch the notifications it missed
while disconnected. A quarter of a second is well inside the one second a rollback must take.

When the store cannot be read, the last known state keeps being served and the outage is said:
``health()`` (for ``/readyz``: ``{"state": "stale", "since", "age_s", "error"}``) and the figures
``/metrics`` reads (``stale``, ``age_s``, ``failures``). A read that hangs counts as stale once the
last good read is older than ``stale_after_s``. What it is not: the assignment of requests
(``modelswap.gateway.routing``), the transitions (``modelswap.rollout``), or the store's SQL.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Collection
from datetime import UTC, datetime
from typing import Any

from modelswap.errors import StoreError
from modelswap.gateway.poller import StorePoller
from modelswap.store.base import Store
from modelswap.types import RolloutState

DEFAULT_INTERVAL_S = 0.25
DEFAULT_STALE_AFTER_S = 1.0


class RolloutStates(StorePoller):
    """The last known rollout state of ``routes``, read from ``store`` every ``interval_s`` on a thread of its own."""

    what = "rollout states"
    thread_name = "modelswap-rollout-states"

    def __init__(self, store: Store, *, routes: Collection[str], interval_s: float = DEFAULT_INTERVAL_S,
                 stale_after_s: float = DEFAULT_STALE_AFTER_S, clock: Callable[[], float] = time.time) -> None:
        super().__init__(store, interval_s=interval_s, stale_after_s=stale_after_s, clock=clock)
        self.routes = frozenset(routes)
        self.states: dict[str, RolloutState] = {}  # replaced whole, never mutated: a read needs no lock
        self._generation = 0  # bumped by ``put``: a read begun before it is not applied

    def get(self, route: str) -> RolloutState | None:
        """The state of ``route`` as last known (None: never written, or not read yet). Never waits."""
        return self.states.get(route)

    def refresh(self) -> bool:
        """Read every route's state once; False (and the last known state kept) when the store cannot be read."""
        with self._lock:
            generation = self._generation
        began = self.clock()
        try:
            found = self.store.rollout_states()
        except StoreError as exc:
            self._failed(exc, began)
            return False
        states = {state.route: state for state in found if state.route in self.routes}
        with self._lock:
            if generation == self._generation:
                self.states = states
        self._succeeded(began)
        return True

    def put(self, state: RolloutState) -> None:
        """Obey ``state`` at once: this process just wrote it (a read already under way is not applied)."""
        if state.route not in self.routes:
            return
        with self._lock:
            self._generation += 1
            self.states = {**self.states, state.route: state}

    def health(self) -> dict[str, Any] | None:
        """``/readyz``'s ``rollout`` entry while the state is stale, else None."""
        if not self.stale:
            return None
        since = self.read_at if self.read_at is not None else self._started_at
        return {"state": "stale", "since": _iso(since), "age_s": round(self.age_s, 1), "error": self.error,
                "serving": {route: state.percent for route, state in sorted(self.states.items())}}


def _iso(moment: float) -> str:
    return datetime.fromtimestamp(moment, UTC).isoformat(timespec="seconds").replace("+00:00", "Z")
