"""The rollout states a gateway obeys: last known kept through a failed read, staleness, a write of its own first."""

from __future__ import annotations

from typing import Any

import pytest

from modelswap.gateway.rollouts import RolloutStates
from modelswap.store.base import StoreUnavailable
from modelswap.types import RolloutState


def state(route: str, percent_bp: int, version: int) -> RolloutState:
    return RolloutState(route=route, candidate="smol", percent_bp=percent_bp, stage=0, status="running",
                        version=version, updated_at=1.0, updated_by="a", stage_started_at=1.0)


class ScriptedStore:
    """Answers ``rollout_states`` with what ``rows`` holds, or raises ``down``; ``during`` runs inside the read."""

    def __init__(self) -> None:
        self.rows: list[RolloutState] = []
        self.down: Exception | None = None
        self.during: Any = None

    def rollout_states(self) -> list[RolloutState]:
        if self.during is not None:
            self.during()
        if self.down is not None:
            raise self.down
        return list(self.rows)


class Clock:
    def __init__(self) -> None:
        self.now = 1796151466.0

    def __call__(self) -> float:
        return self.now


def states_over(store: ScriptedStore, clock: Clock) -> RolloutStates:
    return RolloutStates(store, routes=["bot"], interval_s=0.25, stale_after_s=1.0, clock=clock)  # type: ignore[arg-type]


def test_a_failed_read_keeps_the_last_known_state_and_says_since_when() -> None:
    store, clock = ScriptedStore(), Clock()
    states = states_over(store, clock)
    store.rows = [state("bot", 500, 2), state("other-route", 100, 1)]
    assert states.refresh() is True
    assert (states.get("bot"), states.get("other-route"), states.health()) == (state("bot", 500, 2), None, None)
    clock.now += 0.5
    store.down = StoreUnavailable("store x: read rollout states: connection refused")
    assert states.refresh() is False
    assert states.get("bot") == state("bot", 500, 2)
    assert (states.stale, states.failures) == (True, 1)
    assert states.health() == {"state": "stale", "since": "2026-12-01T18:57:46Z", "age_s": 0.5,
                               "error": "StoreUnavailable", "serving": {"bot": 5.0}}
    store.down = None
    store.rows = [state("bot", 0, 3)]
    assert states.refresh() is True
    assert (states.get("bot"), states.stale, states.health()) == (state("bot", 0, 3), False, None)


def test_a_read_that_hangs_turns_stale_after_stale_after_s() -> None:
    store, clock = ScriptedStore(), Clock()
    states = states_over(store, clock)
    states.refresh()
    clock.now += 1.0
    assert states.stale is False
    clock.now += 0.01
    assert states.stale is True and states.failures == 0


def test_a_state_written_here_is_not_undone_by_a_read_begun_before_it() -> None:
    store, clock = ScriptedStore(), Clock()
    states = states_over(store, clock)
    store.rows = [state("bot", 500, 2)]
    states.refresh()
    store.during = lambda: states.put(state("bot", 0, 3))  # the admin API writes while a read is under way
    states.refresh()
    assert states.get("bot") == state("bot", 0, 3)
    store.during, store.rows = None, [state("bot", 0, 3)]
    states.refresh()
    assert states.get("bot") == state("bot", 0, 3)
    states.put(state("unknown-route", 100, 1))
    assert states.get("unknown-route") is None


def test_bounds_are_checked() -> None:
    with pytest.raises(ValueError, match="stale_after_s above interval_s"):
        RolloutStates(ScriptedStore(), routes=[], interval_s=1.0, stale_after_s=1.0)  # type: ignore[arg-type]
