"""The rollout controller: from a stage's live figures to advance, promote, pause, roll back or a breached guard.

What it is: ``decide``, a pure function of the route's state, its plan, the stage's ``Figures``, the
time and the shadow comparison's outcome, returning a ``Decision`` (the action, a one-line reason
and the figures that decided, as the audit log keeps them) or None; and ``step``, which applies
that decision through the pure ``modelswap.rollout.state.transition``, so a rehearsal needs no store.
What it is not: reading or writing the store (``modelswap.rollout.control.apply`` writes what
``decide`` chose), feeding the figures, nor the statistics themselves (``modelswap.rollout.sequential``).

The statistics. Every live test is the anytime-valid confidence sequence of
``modelswap.rollout.sequential`` (the asymptotic normal-mixture sequence of Waudby-Smith et al.,
2024): valid however often it is read. ``ControllerSettings.alpha`` (default 0.05) is the rollout's
whole false-rollback budget on its live figures: it is split equally (Bonferroni) over the judged
stages (every stage but the last, 100%, which has no primary left to compare) and the k sequences
of a stage: k = 3 (errors, latency, feedback; the latency gate and the latency guard read the same
sequence) + 1 when the ``error_rate`` guard is set. Each sequence runs at alpha / (stages x k), so
with two equal arms the chance that any sequence of any stage ever leaves the truth, and so rolls
back, is at most alpha (4 stages and an error guard: 0.003125 each). Each sequence is tuned
(``planned_n``) to the stage's horizon: ``patience`` x ``min_trials`` (at least ``min_horizon``,
100) candidate requests divided by the primary's share (1 - s at a candidate share s: the same
precision of a difference at 50% as at 1%), and that divided by s for the two-arm sequences. The shadow
comparison is the compare gate, a fixed-sample test with its own false-alarm rate (docs/compare.md)
outside this budget; a caller should read it at a few planned sample sizes, not at every look.

The rules, in order, for a ``running`` rollout at a stage before the last (any other state: None;
a paused rollout is left to a human, a rollout not yet started too):

1. **Guards** (``guards:`` in the plan), read once each arm has at least 20 requests (the smallest
   sample the sequences were verified from); breached -> ``guard_breach`` (a rollback):

   - ``error_rate: G``: the candidate's error rate, one-arm confidence sequence (the same boundary
     with the variance p(1 - p) at p = (errors + 1) / (requests + 2)), tuned to the stage's
     ``min_trials`` rather than its horizon so a blatant breach fires early ("at once"): breached
     when its lower bound exceeds G;
   - ``p95_latency_ratio: R``: candidate - primary mean log latency (latency floored at 1 ms):
     breached when its lower bound exceeds ln R. For log-normal latencies of equal spread that is
     the ratio of any quantile, p95 included; the histogram's p95 ratio is reported beside it.

2. **The gate says no_go** -> ``rollback``: the candidate is ``worse`` (lower bound above the
   margin) on errors (candidate - primary error rate, margin ``error_margin``, default 0.02), on
   latency (mean log latency, margin ln ``latency_margin``, default ln 1.25) or on user feedback
   (primary - candidate mean score, margin ``feedback_margin``, default 0.1: higher scores are
   better), read once each arm has 20 requests (20 scores for feedback); or the shadow comparison's gate is ``no_go``.

3. **Advance** (``promote`` into the last stage) when the stage has ``min_trials`` candidate
   requests, its soak has elapsed since ``stage_started_at``, the candidate is ``not_worse`` (upper
   bound below the margin) on errors and on latency, and the shadow comparison is not ``no_go``
   (``inconclusive`` or missing does not hold a stage back). Feedback can roll back, not hold back.

4. **Pause** for a human when the stage is still inconclusive past its soak and at its horizon:
   the soak has elapsed, the stage has its horizon of candidate requests (``patience``, default
   6, times ``min_trials``, divided by the primary's share), and neither rule 2 nor 3 applied. Paused, the controller
   decides nothing more. A stage short of traffic is not inconclusive: it waits for its trials.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Any, Literal

from modelswap.config import RolloutConfig
from modelswap.rollout.figures import Figures, ShadowComparison
from modelswap.rollout.sequential import SequentialResult, Tally, compare_means, compare_rates, radius, tuning
from modelswap.rollout.sequential import decide as judge
from modelswap.rollout.state import Action, transition
from modelswap.types import AuditEntry, RolloutState

__all__ = ["MIN_EVIDENCE", "ControllerSettings", "Decision", "DecisionKind", "Judgement", "decide", "judge_stage",
           "stage_horizon", "step"]

DecisionKind = Literal["advance", "promote", "pause", "rollback", "guard_breach"]
MIN_EVIDENCE = 20
"""Requests per arm before a rollback test is read: the smallest sample the sequences were verified from."""
LIVE_TESTS = 3  # errors, latency, feedback


@dataclass(frozen=True, kw_only=True, slots=True)
class ControllerSettings:
    """The controller's statistics: the rollout's false-rollback budget, the margins, and its patience."""

    alpha: float = 0.05
    error_margin: float = 0.02
    latency_margin: float = 1.25
    feedback_margin: float = 0.1
    patience: float = 6.0
    min_horizon: int = 100

    def __post_init__(self) -> None:
        if not 0 < self.alpha < 1:
            raise ValueError(f"alpha={self.alpha}: must be between 0 and 1")
        if not self.latency_margin > 1:
            raise ValueError(f"latency_margin={self.latency_margin}: must be a ratio above 1")
        if self.patience < 1:
            raise ValueError(f"patience={self.patience}: must be at least 1")


@dataclass(frozen=True, kw_only=True, slots=True)
class Decision:
    """What the controller decided, why in one line, and the figures behind it (kept in the audit entry)."""

    action: DecisionKind
    reason: str
    figures: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True, kw_only=True, slots=True)
class Judgement:
    """Every test of a stage at one look: what ``decide`` reads and the audit log keeps."""

    alpha: float
    errors: SequentialResult
    latency: SequentialResult
    feedback: SequentialResult
    guard_error: SequentialResult | None
    guard_latency: SequentialResult | None
    evidence: bool
    feedback_evidence: bool

    def to_json(self) -> dict[str, Any]:
        tests = {"errors": self.errors, "latency": self.latency, "feedback": self.feedback,
                 "guard_error_rate": self.guard_error, "guard_p95_latency_ratio": self.guard_latency}
        return {"alpha": self.alpha, **{name: result.to_json() for name, result in tests.items() if result}}


def judge_stage(state: RolloutState, plan: RolloutConfig, figures: Figures,
                settings: ControllerSettings = ControllerSettings()) -> Judgement:
    """Run every test of the stage ``state`` is at on ``figures`` (see the module docstring)."""
    guards = plan.guards
    tests = LIVE_TESTS + (guards.error_rate is not None)
    alpha = settings.alpha / (max(1, len(plan.stages) - 1) * tests)
    share = max(state.percent_bp, 1) / 10_000
    horizon = stage_horizon(plan, state, settings)
    planned = horizon / share
    primary, candidate = figures.primary, figures.candidate
    errors = compare_rates(primary.errors, primary.requests, candidate.errors, candidate.requests, alpha=alpha,
                           margin=settings.error_margin, planned_n=planned)
    latency = compare_means(primary.log_latency, candidate.log_latency, alpha=alpha,
                            margin=math.log(settings.latency_margin), planned_n=planned)
    feedback = compare_means(_negated(primary.feedback), _negated(candidate.feedback), alpha=alpha,
                             margin=settings.feedback_margin, planned_n=planned)
    guard_error = None if guards.error_rate is None else _one_rate(  # tuned to fire within the stage's min_trials
        candidate.errors, candidate.requests, alpha=alpha, margin=guards.error_rate,
        planned_n=max(plan.stages[state.stage].min_trials, MIN_EVIDENCE))
    guard_latency = None if guards.p95_latency_ratio is None else compare_means(
        primary.log_latency, candidate.log_latency, alpha=alpha, margin=math.log(guards.p95_latency_ratio),
        planned_n=planned)
    return Judgement(alpha=alpha, errors=errors, latency=latency, feedback=feedback, guard_error=guard_error,
                     guard_latency=guard_latency,
                     evidence=min(primary.requests, candidate.requests) >= MIN_EVIDENCE,
                     feedback_evidence=min(primary.feedback.n, candidate.feedback.n) >= MIN_EVIDENCE)


def stage_horizon(plan: RolloutConfig, state: RolloutState,
                  settings: ControllerSettings = ControllerSettings()) -> float:
    """The candidate requests by which the stage should have concluded: patience x min_trials / the primary's share."""
    share = min(max(state.percent_bp, 1), 9_999) / 10_000
    return settings.patience * max(plan.stages[state.stage].min_trials, settings.min_horizon) / (1 - share)


def decide(state: RolloutState, plan: RolloutConfig, figures: Figures, *, now: float,
           comparison: ShadowComparison | None = None,
           settings: ControllerSettings = ControllerSettings()) -> Decision | None:
    """The controller's decision for ``state`` at ``now``, or None (keep watching); see the module docstring."""
    if state.status != "running" or not 0 <= state.stage < len(plan.stages) - 1 or state.candidate != plan.candidate:
        return None
    stage = plan.stages[state.stage]
    judged = judge_stage(state, plan, figures, settings)
    elapsed = now - (state.stage_started_at if state.stage_started_at is not None else now)
    record = {"stage": state.stage, "percent": state.percent, "elapsed_s": elapsed, "arms": figures.to_json(),
              "tests": judged.to_json(), "shadow": comparison.to_json() if comparison else None}
    breach = _breach(judged, plan, figures)
    if breach:
        return Decision(action="guard_breach", reason=breach, figures=record)
    worse = _worse(judged, comparison)
    if worse:
        return Decision(action="rollback", reason=worse, figures=record)
    n_candidate = figures.candidate.requests
    if n_candidate < stage.min_trials or elapsed < stage.soak_s:
        return None
    if (judged.errors.decision == "not_worse" and judged.latency.decision == "not_worse"
            and (comparison is None or comparison.decision != "no_go")):
        last = state.stage + 1 == len(plan.stages) - 1
        reason = (f"stage {state.stage + 1} ({state.percent:g}%) go after {n_candidate} candidate requests and "
                  f"{elapsed:g}s: errors {_signed(judged.errors.estimate)} (upper {_fmt(judged.errors.upper)} < "
                  f"{settings.error_margin:g}), latency x{math.exp(judged.latency.estimate):.3g} (upper "
                  f"x{math.exp(judged.latency.upper):.3g} < x{settings.latency_margin:g})")
        return Decision(action="promote" if last else "advance", reason=reason, figures=record)
    overdue = n_candidate >= stage_horizon(plan, state, settings)
    if overdue:
        open_tests = [name for name, result in (("errors", judged.errors), ("latency", judged.latency))
                      if result.decision != "not_worse"]
        reason = (f"stage {state.stage + 1} ({state.percent:g}%) still inconclusive after {elapsed:g}s and "
                  f"{n_candidate} candidate requests (its horizon): "
                  f"{', '.join(open_tests) or 'shadow comparison'} not yet shown not worse; a human decides")
        return Decision(action="pause", reason=reason, figures=record)
    return None


def step(state: RolloutState, plan: RolloutConfig, figures: Figures, *, now: float,
         comparison: ShadowComparison | None = None, settings: ControllerSettings = ControllerSettings(),
         actor: str = "controller") -> tuple[RolloutState, AuditEntry | None, Decision | None]:
    """``decide``, then the transition it asks for: (the next state, its audit entry, the decision).

    Without a decision the state is returned unchanged, with no entry.
    """
    decision = decide(state, plan, figures, now=now, comparison=comparison, settings=settings)
    if decision is None:
        return state, None, None
    action = Action(kind=decision.action, actor=actor, at=now, reason=decision.reason, figures=decision.figures)
    new, entry = transition(state, plan, action)
    return new, entry, decision


def _breach(judged: Judgement, plan: RolloutConfig, figures: Figures) -> str:
    if not judged.evidence:
        return ""
    guards = plan.guards
    if judged.guard_error is not None and judged.guard_error.decision == "worse":
        result = judged.guard_error
        return (f"guard error_rate {guards.error_rate:g} breached: candidate error rate "
                f"{_fmt(result.estimate)} over {result.n_candidate} requests, lower bound {_fmt(result.lower)}")
    if judged.guard_latency is not None and judged.guard_latency.decision == "worse":
        result = judged.guard_latency
        return (f"guard p95_latency_ratio {guards.p95_latency_ratio:g} breached: candidate latency "
                f"x{math.exp(result.estimate):.3g} the primary's (lower bound x{math.exp(result.lower):.3g}; "
                f"p95 {_fmt(figures.candidate.p95_ms)} ms against {_fmt(figures.primary.p95_ms)} ms)")
    return ""


def _worse(judged: Judgement, comparison: ShadowComparison | None) -> str:
    if comparison is not None and comparison.decision == "no_go":
        rate = "unknown" if comparison.regression_rate is None else _fmt(comparison.regression_rate)
        return (f"shadow comparison no_go: regression rate over the noise floor {rate} over {comparison.trials} "
                f"trials; failed: {', '.join(comparison.failed) or 'none'}")
    if not judged.evidence:
        return ""
    if judged.errors.decision == "worse":
        result = judged.errors
        return (f"candidate worse on errors: {_signed(result.estimate)} error rate against the primary, lower bound "
                f"{_fmt(result.lower)} > margin {result.margin:g}")
    if judged.latency.decision == "worse":
        result = judged.latency
        return (f"candidate worse on latency: x{math.exp(result.estimate):.3g} the primary's, lower bound "
                f"x{math.exp(result.lower):.3g} > margin x{math.exp(result.margin):.3g}")
    if judged.feedback_evidence and judged.feedback.decision == "worse":
        result = judged.feedback
        return (f"candidate worse on user feedback: mean score {_signed(-result.estimate)} against the primary, "
                f"bound {_fmt(-result.lower)} < -{result.margin:g}")
    return ""


def _one_rate(successes: int, n: int, *, alpha: float, margin: float, planned_n: float) -> SequentialResult:
    """The one-arm confidence sequence of a rate (the same boundary as the two-arm one), against ``margin``."""
    if n == 0:
        return SequentialResult(estimate=math.nan, lower=-math.inf, upper=math.inf, margin=margin, n_primary=0,
                                n_candidate=0, decision="continue")
    smooth = (successes + 1) / (n + 2)
    half = float(radius(n, math.sqrt(smooth * (1 - smooth)), alpha=alpha, rho=tuning(alpha=alpha,
                                                                                      planned_n=planned_n)))
    estimate = successes / n
    lower, upper = estimate - half, estimate + half
    return SequentialResult(estimate=estimate, lower=lower, upper=upper, margin=margin, n_primary=0, n_candidate=n,
                            decision=judge(lower, upper, margin))


def _negated(tally: Tally) -> Tally:
    return Tally(n=tally.n, sum=-tally.sum, sum_sq=tally.sum_sq)


def _fmt(value: float) -> str:
    return f"{value:.4g}" if math.isfinite(value) else "n/a"


def _signed(value: float) -> str:
    return f"{value:+.4g}" if math.isfinite(value) else "n/a"
