"""The live figures a rollout stage is judged on: running, mergeable accumulators per arm.

What it is: ``Figures`` (the primary's and the candidate's ``ArmFigures`` for one stage) fed one
``Served`` record at a time (the arm that served, whether it failed, its latency and cost) and one
feedback score at a time, so the simulator and the store can both feed it; and
``ShadowComparison``, the outcome of the route's shadow comparison (the compare gate's decision
and its regression rate over the noise floor), which is passed in, never computed here.

Per arm it keeps:

- ``requests`` and ``errors`` (a request whose observation carries an error);
- ``log_latency``: a ``Tally`` of ln(max(latency_ms, 1)) for the sequential test (latency is
  compared in log space, so the difference of means is the log of a ratio of geometric means;
  latencies are floored at 1 ms so an arm that answers at once, latency 0, stays finite);
- ``latency``: a ``LatencyHistogram`` for p95, a fixed log-spaced histogram (50 bins per decade
  from 0.1 ms to 10**7 ms, one bin below and one above): bounded memory (402 counts), mergeable by
  adding counts, a quantile read as its bin's geometric centre, so within 2.3% of the exact one;
- ``cost``: a ``Tally`` of cost per task in USD (requests without a price add nothing);
- ``feedback``: a ``Tally`` of user feedback scores (higher is better).

Figures restart at each stage: the sequential test assumes a fixed split between the arms (see
``modelswap.rollout.sequential``), so ``Figures.fresh`` starts a stage's accumulators empty.
What it is not: the decision (``modelswap.rollout.controller``), reading the store, or the shadow
comparison itself (``modelswap.compare``).
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Any, Literal

from modelswap.compare.comparison import Comparison
from modelswap.rollout.sequential import Tally

__all__ = ["LATENCY_FLOOR_MS", "ArmFigures", "Figures", "LatencyHistogram", "Role", "Served", "ShadowComparison"]

Role = Literal["primary", "candidate"]
LATENCY_FLOOR_MS = 1.0
BINS_PER_DECADE = 50
LOWEST_MS = 0.1
DECADES = 8
BINS = BINS_PER_DECADE * DECADES


@dataclass(frozen=True, kw_only=True, slots=True)
class Served:
    """One served request as the figures need it: which arm, whether it failed, how long, what it cost."""

    arm: str
    error: bool
    latency_ms: float
    cost_usd: float | None = None


@dataclass(kw_only=True, slots=True)
class LatencyHistogram:
    """Counts of latencies in fixed log-spaced bins; ``+`` merges two histograms.

    ``counts[0]`` holds latencies below 0.1 ms (0 included), ``counts[1 + i]`` those in
    [0.1 * 10**(i/50), 0.1 * 10**((i+1)/50)) ms, and ``counts[-1]`` those from 10**7 ms up.
    """

    counts: list[int] = field(default_factory=lambda: [0] * (BINS + 2))

    def add(self, latency_ms: float) -> None:
        self.counts[_bin(latency_ms)] += 1

    def __add__(self, other: LatencyHistogram) -> LatencyHistogram:
        return LatencyHistogram(counts=[a + b for a, b in zip(self.counts, other.counts, strict=True)])

    @property
    def n(self) -> int:
        return sum(self.counts)

    def quantile(self, q: float) -> float:
        """The q-quantile (0 < q <= 1) as its bin's geometric centre (0 below 0.1 ms); nan when empty."""
        if not 0 < q <= 1:
            raise ValueError(f"q={q}: must be in (0, 1]")
        total = self.n
        if total == 0:
            return math.nan
        rank, seen = math.ceil(q * total), 0
        for index, count in enumerate(self.counts):
            seen += count
            if seen >= rank:
                return _centre(index)
        raise AssertionError("unreachable: the counts sum to the total")


def _bin(latency_ms: float) -> int:
    if not latency_ms >= LOWEST_MS:  # nan and negatives too
        return 0
    index = math.floor(math.log10(latency_ms / LOWEST_MS) * BINS_PER_DECADE)
    return 1 + index if index < BINS else BINS + 1


def _centre(index: int) -> float:
    if index == 0:
        return 0.0
    if index == BINS + 1:
        return float(LOWEST_MS * 10.0 ** DECADES)
    return float(LOWEST_MS * 10.0 ** ((index - 1 + 0.5) / BINS_PER_DECADE))


@dataclass(kw_only=True, slots=True)
class ArmFigures:
    """One arm's running figures for a stage (see the module docstring); ``+`` merges two."""

    requests: int = 0
    errors: int = 0
    log_latency: Tally = field(default_factory=Tally)
    latency: LatencyHistogram = field(default_factory=LatencyHistogram)
    cost: Tally = field(default_factory=Tally)
    feedback: Tally = field(default_factory=Tally)

    def add(self, served: Served) -> None:
        self.requests += 1
        self.errors += served.error
        self.log_latency = self.log_latency.add(math.log(max(served.latency_ms, LATENCY_FLOOR_MS)))
        self.latency.add(served.latency_ms)
        if served.cost_usd is not None:
            self.cost = self.cost.add(served.cost_usd)

    def add_feedback(self, score: float) -> None:
        self.feedback = self.feedback.add(score)

    def __add__(self, other: ArmFigures) -> ArmFigures:
        return ArmFigures(requests=self.requests + other.requests, errors=self.errors + other.errors,
                          log_latency=self.log_latency + other.log_latency, latency=self.latency + other.latency,
                          cost=self.cost + other.cost, feedback=self.feedback + other.feedback)

    @property
    def error_rate(self) -> float:
        return self.errors / self.requests if self.requests else math.nan

    @property
    def p95_ms(self) -> float:
        return self.latency.quantile(0.95)

    def to_json(self) -> dict[str, Any]:
        return {"requests": self.requests, "errors": self.errors, "error_rate": _finite(self.error_rate),
                "p95_latency_ms": _finite(self.p95_ms), "mean_log_latency": _finite(self.log_latency.mean),
                "cost_per_task_usd": _finite(self.cost.mean), "priced": self.cost.n,
                "feedback": self.feedback.n, "feedback_mean": _finite(self.feedback.mean)}


@dataclass(kw_only=True, slots=True)
class Figures:
    """A stage's figures: the primary's and the candidate's, keyed by their arm names."""

    primary_arm: str
    candidate_arm: str
    primary: ArmFigures = field(default_factory=ArmFigures)
    candidate: ArmFigures = field(default_factory=ArmFigures)

    @classmethod
    def fresh(cls, *, primary: str, candidate: str) -> Figures:
        """Empty figures for a new stage."""
        if primary == candidate:
            raise ValueError(f"primary and candidate are both {primary!r}: the figures compare two arms")
        return cls(primary_arm=primary, candidate_arm=candidate)

    def arm(self, name: str) -> ArmFigures:
        """The figures of arm ``name``; ValueError for an arm that is neither the primary nor the candidate."""
        if name == self.primary_arm:
            return self.primary
        if name == self.candidate_arm:
            return self.candidate
        raise ValueError(f"arm {name!r} is neither the primary {self.primary_arm!r} "
                         f"nor the candidate {self.candidate_arm!r}")

    def add(self, served: Served) -> None:
        self.arm(served.arm).add(served)

    def add_feedback(self, arm: str, score: float) -> None:
        self.arm(arm).add_feedback(score)

    def __add__(self, other: Figures) -> Figures:
        if (self.primary_arm, self.candidate_arm) != (other.primary_arm, other.candidate_arm):
            raise ValueError("cannot merge the figures of different arms")
        return Figures(primary_arm=self.primary_arm, candidate_arm=self.candidate_arm,
                       primary=self.primary + other.primary, candidate=self.candidate + other.candidate)

    @property
    def p95_ratio(self) -> float:
        """The candidate's p95 latency over the primary's (nan when either is unknown or the primary's is 0)."""
        primary, candidate = self.primary.p95_ms, self.candidate.p95_ms
        return candidate / primary if primary > 0 and math.isfinite(candidate) else math.nan

    def to_json(self) -> dict[str, Any]:
        return {"primary": {"arm": self.primary_arm, **self.primary.to_json()},
                "candidate": {"arm": self.candidate_arm, **self.candidate.to_json()},
                "p95_latency_ratio": _finite(self.p95_ratio)}


@dataclass(frozen=True, kw_only=True, slots=True)
class ShadowComparison:
    """What the route's shadow comparison says: the gate's decision and the regression rate over the noise floor.

    ``regression_rate`` is the gate's figure: the candidate's regression rate minus the replica's (or
    the candidate's alone without a replica), with its 95% interval ``ci95``; ``trials`` compared.
    """

    decision: Literal["go", "no_go", "inconclusive"]
    regression_rate: float | None
    ci95: tuple[float, float] | None
    trials: int
    failed: tuple[str, ...] = ()

    @classmethod
    def of(cls, comparison: Comparison) -> ShadowComparison:
        metric = comparison.summary.metrics.get("regression_rate")
        failed = tuple(check.name for check in comparison.gate.checks if check.outcome == "fail")
        return cls(decision=comparison.gate.decision, regression_rate=metric.estimate if metric else None,
                   ci95=metric.ci95 if metric else None, trials=comparison.summary.trials, failed=failed)

    def to_json(self) -> dict[str, Any]:
        return {"decision": self.decision, "regression_rate": self.regression_rate,
                "ci95": list(self.ci95) if self.ci95 else None, "trials": self.trials, "failed": list(self.failed)}


def _finite(value: float) -> float | None:
    return value if math.isfinite(value) else None
