"""The live controller: the rollout controller fed with what gateways stored, writing and alerting its decisions.

Requests are written as a gateway writes them (the request with its stored assignment, the
serving arm's answer), the controller ticks with a clock past the settle time, and what it wrote
is read back from the store: the state, the audit entry with its figures, the alert.
"""

from __future__ import annotations

import time
from pathlib import Path
from typing import Any

import pytest

from modelswap.compare.checks import default_comparators
from modelswap.compare.gate import load_policy
from modelswap.config import Settings, WebhookConfig
from modelswap.rollout.alerts import Alerts
from modelswap.rollout.control import apply
from modelswap.rollout.controller import ControllerSettings
from modelswap.rollout.live import LiveController
from modelswap.rollout.state import Action
from modelswap.sim.quirks import Quirks
from modelswap.sim.rehearsal import SimArmSpec, store_simulated, synthetic_traffic
from modelswap.store import Store, open_store
from modelswap.types import ChatRequest, ErrorInfo, Observation, ObservationKey, StoredObservation

LENIENT = ControllerSettings(error_margin=0.3, latency_margin=3.0)


def settings(url: str, *, guards: dict[str, float] | None = None, min_trials: int = 40) -> Settings:
    arm = {"backend": "sim"}
    rollout: dict[str, Any] = {"candidate": "smol", "sticky": {"header": "x-user-id"},
                               "stages": [{"percent": 50, "min_trials": min_trials, "soak": "0s"}, {"percent": 100}]}
    if guards:
        rollout["guards"] = guards
    return Settings.model_validate({"store": url, "arms": {"gpt": arm, "smol": arm},
                                    "routes": {"bot": {"primary": "gpt", "candidates": ["smol"], "rollout": rollout}}})


def started(store: Store, config: Settings, percent: float = 50) -> None:
    plan = config.routes["bot"].rollout
    assert plan is not None
    apply(store, "bot", plan, Action(kind="set", actor="alice", at=time.time(), percent_bp=round(percent * 100)))


def serve(store: Store, n: int, *, errors: dict[str, float], percent: float = 50, segment: int | None = None,
          start: int = 0) -> None:
    """``n`` requests as a gateway stores them: alternately served by each arm, errors at each arm's rate."""
    requests, observations = [], []
    for i in range(start, start + n):
        arm = "smol" if i % 2 else "gpt"
        assignment = {"arm": arm, "bucket": i % 10_000, "keyed": True, "key_source": "header", "segment": segment,
                      "percent": percent, "status": "running", "version": 1}
        requests.append(ChatRequest(id=f"r{i}", messages=({"role": "user", "content": f"hi {i}"},),
                                    assignment=assignment))
        failed = (i // 2) % 10 < errors[arm] * 10
        observation = Observation(arm=arm, model=arm, output=None if failed else "hello", finish_reason="stop",
                                  latency_ms=100.0 + i % 7, error=ErrorInfo(kind="http", message="boom", status=500)
                                  if failed else None)
        observations.append(StoredObservation(key=ObservationKey(run="bot", trial_id=f"r{i}", arm=arm, sample=0),
                                              role="primary" if arm == "gpt" else "candidate",
                                              observation=observation))
    store.save_requests("bot", requests)
    store.save_observations(observations)


def controller(store: Store, config: Settings, url: str, *, alerts: Alerts | None = None,
               tuned: ControllerSettings = LENIENT) -> LiveController:
    return LiveController(store, config, url=url, policy=load_policy(),
                          comparators=lambda: default_comparators(semantic=False), alerts=alerts, controller=tuned,
                          clock=lambda: time.time() + 60)


def test_a_failing_candidate_breaches_its_guard_is_rolled_back_and_alerted(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'store.db'}"
    config = settings(url, guards={"error_rate": 0.05})
    posted: list[tuple[str, dict[str, Any]]] = []
    alerts = Alerts([WebhookConfig(url="http://hooks.test/rollouts")],
                    post=lambda url, body, timeout: posted.append((url, body)) or 200)
    with open_store(url) as store:
        started(store, config)
        serve(store, 120, errors={"gpt": 0.0, "smol": 0.5})
        (tick,) = controller(store, config, url, alerts=alerts).tick()
        state = store.rollout_state("bot")
        entry = store.rollout_audit("bot", limit=1)[0]
    assert tick.decision is not None and tick.decision.action == "guard_breach"
    assert state is not None and (state.status, state.percent_bp) == ("rolled_back", 0)
    assert (entry.action, entry.actor) == ("guard_breach", "controller")
    assert entry.figures["arms"]["candidate"]["requests"] == 60
    assert entry.figures["arms"]["candidate"]["errors"] == 30
    alerts.close()
    assert alerts.transitions == {("bot", "guard_breach"): 1}
    ((hook, body),) = posted
    assert hook == "http://hooks.test/rollouts" and (body["route"], body["action"]) == ("bot", "guard_breach")


def test_an_equal_candidate_is_promoted_after_its_trials(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'store.db'}"
    config = settings(url, min_trials=40)
    with open_store(url) as store:
        started(store, config)
        live = controller(store, config, url)
        serve(store, 60, errors={"gpt": 0.0, "smol": 0.0})
        (first,) = live.tick()
        assert first.decision is None and first.figures.candidate.requests == 30  # short of min_trials
        serve(store, 60, errors={"gpt": 0.0, "smol": 0.0}, start=60)
        (second,) = live.tick()
        state = store.rollout_state("bot")
        assert live.tick() == []  # promoted: nothing left to decide
    assert second.decision is not None and second.decision.action == "promote"
    assert second.figures.candidate.requests == 60 and second.figures.primary.requests == 60
    assert state is not None and (state.status, state.percent_bp) == ("promoted", 10_000)


def test_only_requests_assigned_at_the_stage_by_chance_count(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'store.db'}"
    config = settings(url)
    with open_store(url) as store:
        serve(store, 20, errors={"gpt": 0.0, "smol": 0.0}, percent=50)  # saved before the stage started
        time.sleep(0.01)
        started(store, config)
        time.sleep(0.01)
        serve(store, 10, errors={"gpt": 0.0, "smol": 0.0}, percent=50, start=20)
        serve(store, 10, errors={"gpt": 0.0, "smol": 0.0}, percent=25, start=30)  # an older gateway's state
        serve(store, 10, errors={"gpt": 0.0, "smol": 0.0}, percent=50, segment=0, start=40)  # internal users
        store.save_requests("bot", [ChatRequest(id="plain", messages=({"role": "user", "content": "x"},))])
        live = controller(store, config, url)
        (tick,) = live.tick()
    assert tick.decision is None
    assert (tick.figures.primary.requests, tick.figures.candidate.requests) == (5, 5)
    assert live._stages["bot"].skipped == {"assigned at another percentage": 10, "assigned by a segment": 10,
                                           "not assigned": 1}


def test_requests_younger_than_the_settle_time_wait_for_the_next_tick(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'store.db'}"
    config = settings(url)
    now = [time.time() + 60]
    with open_store(url) as store:
        started(store, config)
        serve(store, 10, errors={"gpt": 0.0, "smol": 0.0})
        live = LiveController(store, config, url=url, policy=load_policy(),
                              comparators=lambda: default_comparators(semantic=False), controller=LENIENT,
                              clock=lambda: now[0])
        assert live.tick()[0].figures.candidate.requests == 5
        now[0] = time.time() + 2  # the next ones were saved less than 5 s before this tick
        serve(store, 10, errors={"gpt": 0.0, "smol": 0.0}, start=10)
        assert live.tick()[0].figures.candidate.requests == 5
        now[0] = time.time() + 60
        assert live.tick()[0].figures.candidate.requests == 10


def test_a_shadow_comparison_that_says_no_go_rolls_back(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'store.db'}"
    config = settings(url)
    broken = Quirks(json_fence_rate=0.9, refusal_rate=0.3)
    with open_store(url) as store:
        started(store, config)
        store_simulated(store, synthetic_traffic(300, seed=4), run="bot", primary=SimArmSpec(seed=4),
                        candidate=SimArmSpec(seed=5, quirks=broken), arms=("gpt", "smol"))
        (tick,) = controller(store, config, url).tick()
        state = store.rollout_state("bot")
    assert tick.decision is not None and tick.decision.action == "rollback"
    assert "shadow comparison" in tick.decision.reason
    assert tick.decision.figures["shadow"]["decision"] == "no_go"
    assert state is not None and state.status == "rolled_back"


@pytest.mark.parametrize("status", ["paused", "rolled_back"])
def test_a_rollout_a_person_holds_is_left_alone(tmp_path: Path, status: str) -> None:
    url = f"sqlite:///{tmp_path / 'store.db'}"
    config = settings(url, guards={"error_rate": 0.05})
    plan = config.routes["bot"].rollout
    assert plan is not None
    with open_store(url) as store:
        started(store, config)
        apply(store, "bot", plan, Action(kind="pause" if status == "paused" else "rollback", actor="bob",
                                         at=time.time()))
        serve(store, 120, errors={"gpt": 0.0, "smol": 0.5})
        assert controller(store, config, url).tick() == []
        state = store.rollout_state("bot")
    assert state is not None and state.status == status
