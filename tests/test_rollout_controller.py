"""The controller's rules, one at a time, on hand-built figures: guards, no_go, advance and promote, pause, step."""

from __future__ import annotations

import math
from dataclasses import replace
from statistics import NormalDist

import pytest

from modelswap.config import RolloutConfig
from modelswap.rollout.controller import MIN_EVIDENCE, ControllerSettings, decide, judge_stage, stage_horizon, step
from modelswap.rollout.figures import ArmFigures, Figures, LatencyHistogram, Served, ShadowComparison
from modelswap.rollout.sequential import Tally
from modelswap.types import RolloutState

STAGES = [{"percent": 1, "min_trials": 200, "soak": "10m"}, {"percent": 5}, {"percent": 25}, {"percent": 50},
          {"percent": 100}]


def plan(**guards: float) -> RolloutConfig:
    return RolloutConfig.model_validate({"candidate": "cand", "sticky": {"header": "x-user-id"}, "stages": STAGES,
                                         "guards": guards})


def state(stage: int = 0, status: str = "running", started: float = 0.0) -> RolloutState:
    percent_bp = RolloutConfig.model_validate({"candidate": "c", "sticky": {"header": "h"}, "stages": STAGES}
                                              ).stages[stage].percent_bp if stage >= 0 else 0
    return RolloutState(route="bot", candidate="cand", percent_bp=percent_bp, stage=stage, status=status,  # type: ignore[arg-type]
                        version=1, updated_at=started, updated_by="test", stage_started_at=started)


def arm(requests: int, errors: int, *, median_ms: float = 800.0, spread: float = 0.4) -> ArmFigures:
    """An arm whose log latencies are exactly the normal quantiles around ln(median_ms)."""
    logs = [math.log(median_ms) + spread * NormalDist().inv_cdf((i + 0.5) / requests) for i in range(requests)]
    histogram = LatencyHistogram()
    for value in logs:
        histogram.add(math.exp(value))
    return ArmFigures(requests=requests, errors=errors, log_latency=Tally.of(logs), latency=histogram)


def figures(primary: ArmFigures, candidate: ArmFigures) -> Figures:
    return Figures(primary_arm="prim", candidate_arm="cand", primary=primary, candidate=candidate)


EQUAL = figures(arm(60_000, 600), arm(1_000, 10))
NO_GO = ShadowComparison(decision="no_go", regression_rate=0.07, ci95=(0.04, 0.11), trials=200,
                         failed=("regression rate (after the noise floor)",))


@pytest.mark.parametrize("status", ["shadow", "paused", "rolled_back", "promoted"])
def test_only_a_running_rollout_is_decided_on(status: str) -> None:
    assert decide(replace(state(), status=status), plan(), EQUAL, now=10_000, comparison=NO_GO) is None


def test_the_last_stage_and_another_candidate_are_left_alone() -> None:
    assert decide(state(stage=4), plan(), EQUAL, now=10_000, comparison=NO_GO) is None
    assert decide(replace(state(), candidate="other"), plan(), EQUAL, now=10_000, comparison=NO_GO) is None


def test_the_error_guard_fires_on_the_lower_bound_of_the_candidates_error_rate() -> None:
    breached = decide(state(), plan(error_rate=0.02), figures(arm(20_000, 200), arm(300, 45)), now=5)
    assert breached is not None and breached.action == "guard_breach"
    assert breached.reason.startswith("guard error_rate 0.02 breached: candidate error rate 0.15 over 300 requests")
    guard = breached.figures["tests"]["guard_error_rate"]
    assert guard["decision"] == "worse" and guard["lower"] > 0.02 and guard["estimate"] == 0.15
    assert breached.figures["arms"]["candidate"]["errors"] == 45
    # the same rate on too few requests: the interval still holds 0.02, nothing happens yet
    assert decide(state(), plan(error_rate=0.02), figures(arm(20_000, 200), arm(40, 6)), now=5) is None


def test_no_rollback_test_is_read_below_the_minimum_evidence() -> None:
    every_request_failed = figures(arm(20_000, 200), arm(MIN_EVIDENCE - 1, MIN_EVIDENCE - 1))
    assert decide(state(), plan(error_rate=0.02), every_request_failed, now=5) is None
    enough = figures(arm(20_000, 200), arm(MIN_EVIDENCE, MIN_EVIDENCE))
    decision = decide(state(), plan(error_rate=0.02), enough, now=5)
    assert decision is not None and decision.action == "guard_breach"


def test_the_latency_guard_compares_mean_log_latency_with_the_log_of_the_ratio() -> None:
    slow = figures(arm(20_000, 0), arm(200, 0, median_ms=1_600))
    decision = decide(state(), plan(p95_latency_ratio=1.1), slow, now=5)
    assert decision is not None and decision.action == "guard_breach"
    test = decision.figures["tests"]["guard_p95_latency_ratio"]
    assert test["margin"] == pytest.approx(math.log(1.1)) and test["lower"] > math.log(1.1)
    assert test["estimate"] == pytest.approx(math.log(2), abs=1e-9)
    assert decision.figures["arms"]["p95_latency_ratio"] == pytest.approx(2, rel=0.05)
    # without the guard the gate's latency margin (x1.25) rolls it back instead
    gated = decide(state(), plan(), slow, now=5)
    assert gated is not None and gated.action == "rollback"
    assert gated.reason.startswith("candidate worse on latency: x2 the primary's")


def test_worse_on_errors_rolls_back() -> None:
    decision = decide(state(), plan(), figures(arm(60_000, 600), arm(2_000, 200)), now=5)
    assert decision is not None and decision.action == "rollback"
    assert decision.reason.startswith("candidate worse on errors: +0.09 error rate against the primary")
    assert decision.figures["tests"]["errors"]["decision"] == "worse"


def test_worse_on_feedback_rolls_back_once_both_arms_have_scores() -> None:
    happy, unhappy = arm(60_000, 600), arm(1_000, 10)
    happy.feedback = Tally.of([1.0] * 900 + [0.0] * 100)
    unhappy.feedback = Tally.of([1.0] * 250 + [0.0] * 250)
    decision = decide(state(), plan(), figures(happy, unhappy), now=5)
    assert decision is not None and decision.action == "rollback"
    assert decision.reason.startswith("candidate worse on user feedback: mean score -0.4 against the primary")
    unhappy.feedback = Tally.of([0.0] * (MIN_EVIDENCE - 1))
    assert decide(state(), plan(), figures(happy, unhappy), now=5) is None


def test_a_no_go_shadow_comparison_rolls_back_at_once() -> None:
    empty = figures(ArmFigures(), ArmFigures())
    decision = decide(state(), plan(), empty, now=1, comparison=NO_GO)
    assert decision is not None and decision.action == "rollback"
    assert decision.reason == ("shadow comparison no_go: regression rate over the noise floor 0.07 over 200 trials; "
                               "failed: regression rate (after the noise floor)")
    assert decision.figures["shadow"]["decision"] == "no_go"


def test_advance_needs_min_trials_the_soak_and_not_worse_on_errors_and_latency() -> None:
    decision = decide(state(), plan(), EQUAL, now=600)
    assert decision is not None and decision.action == "advance"
    assert decision.reason.startswith("stage 1 (1%) go after 1000 candidate requests and 600s: errors +0")
    assert decision.figures["tests"]["errors"]["decision"] == "not_worse"
    assert decision.figures["tests"]["latency"]["decision"] == "not_worse"
    assert decide(state(), plan(), EQUAL, now=599) is None  # the soak has not elapsed
    short = figures(arm(60_000, 600), arm(199, 2))
    assert decide(state(), plan(), short, now=10_000) is None  # min_trials not reached
    inconclusive = ShadowComparison(decision="inconclusive", regression_rate=0.01, ci95=(-0.02, 0.06), trials=100)
    held = decide(state(), plan(), EQUAL, now=600, comparison=inconclusive)
    assert held is not None and held.action == "advance"


def test_the_move_into_the_last_stage_is_a_promotion() -> None:
    decision = decide(state(stage=3), plan(), figures(arm(20_000, 200), arm(20_000, 200)), now=600)
    assert decision is not None and decision.action == "promote"


def test_an_inconclusive_stage_pauses_at_its_horizon_past_its_soak() -> None:
    assert stage_horizon(plan(), state()) == pytest.approx(ControllerSettings().patience * 200 / 0.99)
    assert stage_horizon(plan(), state(stage=3)) == pytest.approx(ControllerSettings().patience * 200 / 0.5)
    horizon = math.ceil(stage_horizon(plan(), state()))
    unsure = figures(arm(80_000, 800), arm(horizon, horizon // 50))  # 2% against 1%: neither worse nor not worse
    decision = decide(state(), plan(), unsure, now=600)
    assert decision is not None and decision.action == "pause"
    assert decision.figures["tests"]["errors"]["decision"] == "continue"
    assert "errors not yet shown not worse" in decision.reason
    assert decide(state(), plan(), figures(arm(80_000, 800), arm(horizon - 1, horizon // 50)), now=600) is None
    assert decide(state(), plan(), unsure, now=599) is None


def test_the_alpha_is_split_over_the_judged_stages_and_the_sequences() -> None:
    assert judge_stage(state(), plan(), EQUAL).alpha == pytest.approx(0.05 / (4 * 3))
    assert judge_stage(state(), plan(error_rate=0.02, p95_latency_ratio=1.5), EQUAL).alpha == pytest.approx(
        0.05 / (4 * 4))


def test_step_applies_the_decision_through_the_transition() -> None:
    new, entry, decision = step(state(), plan(), EQUAL, now=600)
    assert decision is not None and entry is not None
    assert (new.stage, new.percent_bp, new.status, new.version, new.stage_started_at) == (1, 500, "running", 2, 600)
    assert (entry.action, entry.actor, entry.from_percent_bp, entry.to_percent_bp) == ("advance", "controller", 100,
                                                                                       500)
    assert entry.figures == decision.figures and entry.reason == decision.reason
    unchanged, no_entry, nothing = step(state(), plan(), EQUAL, now=10)
    assert (unchanged, no_entry, nothing) == (state(), None, None)
    back, rolled, _ = step(state(), plan(), EQUAL, now=10, comparison=NO_GO)
    assert rolled is not None and (back.status, back.percent_bp, rolled.action) == ("rolled_back", 0, "rollback")


def test_figures_merge_and_read_p95_from_the_histogram() -> None:
    first, second = Figures.fresh(primary="prim", candidate="cand"), Figures.fresh(primary="prim", candidate="cand")
    for i in range(100):
        first.add(Served(arm="prim", error=i % 10 == 0, latency_ms=float(i + 1)))
        second.add(Served(arm="cand", error=False, latency_ms=2.0 * (i + 1), cost_usd=0.001))
    merged = first + second
    assert (merged.primary.requests, merged.primary.errors, merged.candidate.requests) == (100, 10, 100)
    assert merged.primary.p95_ms == pytest.approx(95, rel=0.024)
    assert merged.candidate.p95_ms == pytest.approx(190, rel=0.024)
    assert merged.candidate.cost.n == 100 and merged.primary.cost.n == 0
    assert merged.p95_ratio == pytest.approx(2, rel=0.05)
    with pytest.raises(ValueError, match="neither the primary"):
        first.add(Served(arm="other", error=False, latency_ms=1))
