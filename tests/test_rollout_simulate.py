"""Rollout rehearsals in virtual time: a worse candidate rolled back before 5%, an equal one promoted, A/A false alarms.

The plan is docs/rollout.md's example (1%, 5%, 25%, 50%, 100%; 200 trials and 10 minutes at each stage; guards
error_rate 0.02 and p95_latency_ratio 1.5). The primary fails 1% of its requests; latency is
log-normal (median 800 ms, sigma 0.4) for both arms.

The stated A/A false-rollback rate of a rehearsal is 0.10, by the union bound: at most 0.05 from
the live figures (the controller's alpha, split over stages and sequences) and at most the compare
gate's nominal 0.05 from its one planned read of the shadow comparison. Twenty A/A rehearsals may
then roll back at most 5 times: the 98.9% quantile of Binomial(20, 0.10) (P(X <= 5) = 0.9887).
The live figures alone (no shadow comparison) are held to their own 0.05: at most 3 of 20, the
98.4% quantile of Binomial(20, 0.05).
"""

from __future__ import annotations

import itertools
import math

import orjson
import pytest
from typer.testing import CliRunner

from modelswap.cli import app
from modelswap.compare.checks import default_comparators
from modelswap.config import RolloutConfig
from modelswap.rollout.simulate import Rehearsal, RehearsalResult, rehearse
from modelswap.sim.quirks import LatencyModel, Quirks
from modelswap.sim.rehearsal import SimArmSpec

STAGES = [{"percent": 1, "min_trials": 200, "soak": "10m"}, {"percent": 5}, {"percent": 25}, {"percent": 50},
          {"percent": 100}]
PLAN = RolloutConfig.model_validate({"candidate": "cand", "sticky": {"header": "x-user-id"}, "stages": STAGES,
                                     "guards": {"error_rate": 0.02, "p95_latency_ratio": 1.5}})
LATENCY = LatencyModel(median_ms=800, sigma=0.4)
PRIMARY = Quirks(error_rate=0.01, latency=LATENCY)
WORSE = Quirks(json_fence_rate=0.3, error_rate=0.05, latency=LATENCY)
STATED_RATE, LIVE_ALPHA = 0.10, 0.05
AA_BOUND, LIVE_BOUND = 5, 3  # the 98.9% quantile of Binomial(20, 0.10), the 98.4% quantile of Binomial(20, 0.05)
ROLLBACKS = ("rollback", "guard_breach")


def rehearsal(candidate: Quirks, *, seed: int = 0, plan: RolloutConfig = PLAN, **options: object) -> Rehearsal:
    return Rehearsal(route="bot", plan=plan, primary="prim", primary_spec=SimArmSpec(seed=1000 + seed, quirks=PRIMARY),
                     candidate_spec=SimArmSpec(seed=2000 + seed, quirks=candidate), seed=seed, **options)  # type: ignore[arg-type]


@pytest.fixture(scope="module")
def worse() -> RehearsalResult:
    return rehearse(rehearsal(WORSE))


@pytest.fixture(scope="module")
def equal() -> RehearsalResult:
    return rehearse(rehearsal(PRIMARY))


def test_a_worse_candidate_is_rolled_back_before_it_passes_5_percent(worse: RehearsalResult) -> None:
    assert worse.state.status == "rolled_back" and worse.state.percent_bp == 0
    assert worse.highest_percent <= 5
    rollback = worse.audit[-1]
    assert rollback.action in ROLLBACKS and rollback.actor == "controller" and rollback.from_percent_bp <= 500
    assert rollback.figures["arms"]["candidate"]["arm"] == "cand"
    assert rollback.figures["arms"]["candidate"]["requests"] > 0
    assert set(rollback.figures["tests"]) >= {"alpha", "errors", "latency", "feedback", "guard_error_rate"}
    assert rollback.reason == worse.timeline[-2].reason


def test_the_shadow_comparison_catches_the_fenced_json_at_its_planned_read(worse: RehearsalResult) -> None:
    assert worse.shadow is not None and worse.shadow.decision == "no_go" and worse.shadow.trials == 300
    assert worse.shadow.regression_rate is not None and worse.shadow.regression_rate > 0.05
    assert worse.audit[-1].reason.startswith("shadow comparison no_go")
    assert worse.virtual_s == 600  # the read comes at 300 trials, 0.5 per virtual second


def test_without_the_shadow_comparison_the_error_guard_rolls_back_a_failing_candidate() -> None:
    result = rehearse(rehearsal(Quirks(error_rate=0.10, latency=LATENCY), shadow_looks=()))
    assert result.state.status == "rolled_back" and result.highest_percent == 1
    breach = result.audit[-1]
    assert breach.action == "guard_breach" and breach.reason.startswith("guard error_rate 0.02 breached")
    guard = breach.figures["tests"]["guard_error_rate"]
    assert guard["decision"] == "worse" and guard["lower"] > 0.02
    assert breach.figures["shadow"] is None


def test_an_equal_candidate_reaches_100_percent(equal: RehearsalResult) -> None:
    assert equal.state.status == "promoted" and equal.state.percent_bp == 10_000 and equal.highest_percent == 100
    assert [entry.action for entry in equal.audit] == ["advance", "advance", "advance", "advance", "promote"]
    assert [entry.to_percent_bp for entry in equal.audit] == [100, 500, 2500, 5000, 10_000]
    assert equal.shadow is not None and equal.shadow.decision != "no_go"
    # each stage soaked its 10 minutes and had its 200 candidate requests before it advanced
    starts = [entry.at for entry in equal.audit]
    assert all(later - earlier >= 600 for earlier, later in itertools.pairwise(starts))
    assert all(entry.figures["arms"]["candidate"]["requests"] >= 200 for entry in equal.audit[1:])


@pytest.mark.parametrize("name", ["worse", "equal"])
def test_every_transition_has_its_audit_entry(name: str, request: pytest.FixtureRequest) -> None:
    result: RehearsalResult = request.getfixturevalue(name)
    decisions = [row for row in result.timeline if row.action not in ("start", "end")]
    assert len(result.audit) == len(decisions) + 1  # + the start, written by the rehearsal
    assert [entry.version for entry in result.audit] == list(range(1, len(result.audit) + 1))
    assert result.audit[0].action == "advance" and result.audit[0].actor == "rehearsal"
    for row, entry in zip(decisions, result.audit[1:], strict=True):
        assert (entry.action, entry.at, entry.reason, entry.to_percent_bp) == (
            row.action, row.at_s, row.reason, round(row.percent * 100))
        assert entry.figures == row.figures and entry.figures["arms"]


def test_a_rehearsal_is_deterministic_for_its_seed() -> None:
    plan = RolloutConfig.model_validate({"candidate": "cand", "sticky": {"field": "user"},
                                         "stages": [{"percent": 10, "min_trials": 50, "soak": 60}, {"percent": 100}]})
    first, second = (rehearse(rehearsal(PRIMARY, plan=plan, shadow_looks=())) for _ in range(2))
    assert first.to_json() == second.to_json()
    assert first.requests == round(first.virtual_s * 20)


# A/A: 20 seeds of a plan that starts at 5% (the example plan without its 1% stage) at 5 requests per virtual
# second, to keep the test short
AA_PLAN = RolloutConfig.model_validate({"candidate": "cand", "sticky": {"header": "x-user-id"}, "stages": STAGES[1:],
                                        "guards": {"error_rate": 0.02, "p95_latency_ratio": 1.5}})


def test_aa_rollouts_roll_back_no_more_often_than_the_stated_rate() -> None:
    comparators = default_comparators(semantic=False)
    results = [rehearse(rehearsal(PRIMARY, seed=seed, plan=AA_PLAN, rate=5.0), comparators=comparators)
               for seed in range(20)]
    rolled_back = [seed for seed, result in enumerate(results) if result.state.status == "rolled_back"]
    assert len(rolled_back) <= AA_BOUND, [results[seed].audit[-1].reason for seed in rolled_back]
    assert {result.state.status for result in results} <= {"promoted", "paused", "rolled_back"}
    assert sum(result.state.status == "promoted" for result in results) >= 15


@pytest.mark.slow
def test_aa_live_figures_alone_on_the_example_plan_roll_back_no_more_often_than_alpha() -> None:
    results = [rehearse(rehearsal(PRIMARY, seed=seed, shadow_looks=())) for seed in range(20)]
    rolled_back = [seed for seed, result in enumerate(results) if result.state.status == "rolled_back"]
    assert len(rolled_back) <= LIVE_BOUND, [results[seed].audit[-1].reason for seed in rolled_back]


def test_the_binomial_bounds_are_the_stated_quantiles() -> None:
    from scipy.stats import binom

    assert binom.cdf(AA_BOUND, 20, STATED_RATE) == pytest.approx(0.9887, abs=1e-4)
    assert binom.cdf(AA_BOUND - 1, 20, STATED_RATE) < 0.98
    assert binom.cdf(LIVE_BOUND, 20, LIVE_ALPHA) == pytest.approx(0.9841, abs=1e-4)
    assert math.isclose(STATED_RATE, LIVE_ALPHA + 0.05)


CONFIG = """\
store: sqlite:///{db}
arms:
  prim: {{backend: sim, seed: 1, quirks: {{error_rate: 0.01, latency: {{median_ms: 800, sigma: 0.4}}}}}}
  cand: {{backend: sim, seed: 2, quirks: {{error_rate: 0.01, latency: {{median_ms: 800, sigma: 0.4}}}}}}
routes:
  bot:
    primary: prim
    candidates: [cand]
    rollout:
      candidate: cand
      sticky: {{header: x-user-id}}
      stages: [{{percent: 10, min_trials: 100, soak: 2m}}, {{percent: 100}}]
      guards: {{error_rate: 0.05}}
"""


def test_cli_simulate_prints_the_decisions_and_json(tmp_path: pytest.TempPathFactory) -> None:
    config = tmp_path / "modelswap.yaml"  # type: ignore[operator]
    config.write_text(CONFIG.format(db=tmp_path / "m.db"), encoding="utf-8")  # type: ignore[operator]
    runner = CliRunner()
    shown = runner.invoke(app, ["rollout", "simulate", "-c", str(config), "bot", "--rate", "50"])
    assert shown.exit_code == 0, shown.output
    lines = shown.output.splitlines()
    assert lines[0].startswith("rehearsal of route bot: candidate cand (sim seed 2, ")
    assert lines[2].split() == ["time", "stage", "percent", "action", "reason"]
    assert lines[3].split()[:4] == ["0:00:00", "1", "10%", "start"]
    assert lines[-1].startswith("outcome: promoted at 100% after ")
    assert any(line.split()[3:4] == ["promote"] for line in lines[4:-1])
    worse = runner.invoke(app, ["rollout", "simulate", "-c", str(config), "bot", "--rate", "50", "--json",
                                "--candidate-quirks", '{"error_rate": 0.3, "latency": {"median_ms": 800}}'])
    assert worse.exit_code == 0, worse.output
    data = orjson.loads(worse.output)
    assert data["schema"] == "modelswap.rollout-rehearsal/v1"
    assert data["candidate"] == {"arm": "cand", "seed": 2, "quirks": {"error_rate": 0.3,
                                                                      "latency": {"median_ms": 800.0}}}
    assert data["state"]["status"] == "rolled_back" and data["audit"][-1]["action"] in ROLLBACKS
    unshadowed = runner.invoke(app, ["rollout", "simulate", "-c", str(config), "bot", "--rate", "50", "--json",
                                     "--shadow-trials", "0"])
    assert unshadowed.exit_code == 0 and orjson.loads(unshadowed.output)["shadow"] is None
    bad = runner.invoke(app, ["rollout", "simulate", "-c", str(config), "bot", "--candidate-quirks", '{"nope": 1}'])
    assert bad.exit_code != 0 and "not valid quirks JSON: nope" in bad.output
