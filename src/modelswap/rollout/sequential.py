"""The live gate's statistics: a confidence sequence for candidate - primary that stays valid however often it looks.

What it is: the asymptotic normal-mixture confidence sequence of Waudby-Smith, Arbour, Sinha,
Kennedy & Ramdas, "Time-uniform central limit theory and asymptotic confidence sequences" (Annals
of Statistics, 2024; arXiv:2103.06476), built on the normal mixture boundary of Howard, Ramdas,
McAuliffe & Sekhon, "Time-uniform, nonparametric, nonasymptotic confidence sequences" (Annals of
Statistics, 2021), in the form GrowthBook uses for sequential A/B tests. For n observations in all
(both arms), an estimate and a per-observation standard deviation sigma (sigma**2 / n is the
estimate's variance)::

    radius(n) = sigma * sqrt( 2 (n rho**2 + 1) / (n**2 rho**2) * ln( sqrt(n rho**2 + 1) / alpha ) )
    rho       = sqrt( (-2 ln alpha + ln(-2 ln alpha + 1)) / planned_n )

``rho`` makes the sequence tightest near ``planned_n`` observations (both arms together); any
positive rho gives a valid sequence, so it must be fixed before the data are seen. The sequence
costs width: at n = planned_n and alpha = 0.05 the radius is 3.03 standard errors against 1.96 for
a fixed-sample interval (and it grows like sqrt(ln n) beyond).

What it bounds: the difference of means candidate - primary (of a rate: the candidate's rate minus
the primary's), for two independent arms, with the estimate's variance the sum of both arms'
(``var_p / n_p + var_c / n_c``; sigma**2 is that times n = n_p + n_c). With probability at least
1 - alpha the interval [estimate - radius, estimate + radius] contains the true difference at
every n simultaneously, however many times and whenever it is read. Hence, for a margin m:

- ``worse`` when the lower bound exceeds m: the candidate is worse by more than the tolerated
  margin (roll back). If the true difference is at most m, this is ever said with probability at
  most alpha (about alpha / 2 by symmetry: only one side of the two-sided sequence can say it);
- ``not_worse`` when the upper bound is below m: non-inferior (may advance); ever said wrongly, when
  the true difference is at least m, with probability at most alpha;
- ``continue`` otherwise.

Orientation: higher is worse. Pass what should go down: errors, regressions, bad-format rate,
latency (in log space), cost per task; for a figure where higher is better (a feedback score,
JSON validity) pass its complement or its negative.

Assumptions: observations independent and identically distributed within each arm with finite
variance (a rate is bounded; latency in log space, cost and scores are sub-Gaussian in practice),
and a fixed split between the arms while the sequence runs (start fresh tallies when the
percentage changes). The guarantee is asymptotic: it holds as the number of observations grows,
with the variance estimated from the data. With few observations the radius is very wide (at
n = planned_n / 250 it is 14 standard errors, at planned_n / 1000 it is 28), which is what keeps
early looks safe; the tests measure the false-alarm rate by simulation from 20 observations per
arm. A rate's variance is estimated from (successes + 1) / (n + 2), so an arm with no events yet
does not read as certain; a mean needs two observations per arm, and with no observed variance
the radius is zero (the controller's ``min_trials`` guards that).

What it is not: policy (which figures, which margins, when to act: the controller), nor the
offline gate's fixed-sample intervals (``modelswap.compare.stats``).
"""

from __future__ import annotations

import math
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any, Literal

import numpy as np
import numpy.typing as npt

__all__ = [
    "Decision", "FloatArray", "SequentialResult", "Tally", "compare_means", "compare_rates", "decide",
    "mean_bounds", "radius", "rate_bounds", "tuning",
]

Decision = Literal["worse", "not_worse", "continue"]
FloatArray = npt.NDArray[np.float64]
Bounds = tuple[FloatArray, FloatArray, FloatArray]


@dataclass(frozen=True, kw_only=True, slots=True)
class Tally:
    """A running count, sum and sum of squares of one arm's figure; ``+`` merges two tallies.

    Sums of squares lose precision when the mean is large against the spread (more than about 1e6
    times); the figures judged here (log latency, cost per task, rates, scores) are far from that.
    """

    n: int = 0
    sum: float = 0.0
    sum_sq: float = 0.0

    @classmethod
    def of(cls, values: Iterable[float]) -> Tally:
        array = np.fromiter(values, dtype=float)
        return cls(n=len(array), sum=float(array.sum()), sum_sq=float(np.dot(array, array)))

    def add(self, value: float) -> Tally:
        return Tally(n=self.n + 1, sum=self.sum + value, sum_sq=self.sum_sq + value * value)

    def __add__(self, other: Tally) -> Tally:
        return Tally(n=self.n + other.n, sum=self.sum + other.sum, sum_sq=self.sum_sq + other.sum_sq)

    @property
    def mean(self) -> float:
        return self.sum / self.n if self.n else math.nan

    @property
    def variance(self) -> float:
        """The sample variance (n - 1 in the denominator); nan below two observations."""
        if self.n < 2:
            return math.nan
        return max(0.0, (self.sum_sq - self.sum * self.sum / self.n) / (self.n - 1))


@dataclass(frozen=True, kw_only=True, slots=True)
class SequentialResult:
    """candidate - primary with its confidence-sequence bounds, and the decision against ``margin``.

    Without enough data the bounds are infinite and the estimate nan (``to_json`` writes null).
    """

    estimate: float
    lower: float
    upper: float
    margin: float
    n_primary: int
    n_candidate: int
    decision: Decision

    def to_json(self) -> dict[str, Any]:
        def finite(value: float) -> float | None:
            return value if math.isfinite(value) else None

        return {"estimate": finite(self.estimate), "lower": finite(self.lower), "upper": finite(self.upper),
                "margin": self.margin, "n_primary": self.n_primary, "n_candidate": self.n_candidate,
                "decision": self.decision}


def tuning(*, alpha: float, planned_n: float) -> float:
    """rho, the mixture's tuning: the sequence is tightest near ``planned_n`` observations (both arms)."""
    _check_alpha(alpha)
    if not planned_n > 0:
        raise ValueError(f"planned_n={planned_n}: must be positive")
    log_term = -2 * math.log(alpha)
    return math.sqrt((log_term + math.log(log_term + 1)) / planned_n)


def radius(n: npt.ArrayLike, sigma: npt.ArrayLike, *, alpha: float, rho: float) -> FloatArray:
    """The half-width at ``n`` observations of per-observation standard deviation ``sigma``; inf where n == 0.

    Vectorised: ``n`` and ``sigma`` broadcast against each other.
    """
    _check_alpha(alpha)
    if not rho > 0:
        raise ValueError(f"rho={rho}: must be positive")
    n_array, sigma_array = np.asarray(n, dtype=float), np.asarray(sigma, dtype=float)
    spread = n_array * rho * rho
    with np.errstate(divide="ignore", invalid="ignore"):
        width = sigma_array * np.sqrt(2 * (spread + 1) / (n_array * n_array * rho * rho)
                                      * np.log(np.sqrt(spread + 1) / alpha))
    result: FloatArray = np.where(n_array > 0, width, np.inf)
    return result


def rate_bounds(primary_successes: npt.ArrayLike, primary_n: npt.ArrayLike, candidate_successes: npt.ArrayLike,
                candidate_n: npt.ArrayLike, *, alpha: float, planned_n: float) -> Bounds:
    """(estimate, lower, upper) of candidate rate - primary rate; vectorised over the counts.

    The variance of each arm is p(1 - p) at p = (successes + 1) / (n + 2); the estimate is the plain
    difference of rates. Where an arm has no observation the estimate is nan and the bounds infinite.
    """
    k_p, n_p = np.asarray(primary_successes, dtype=float), np.asarray(primary_n, dtype=float)
    k_c, n_c = np.asarray(candidate_successes, dtype=float), np.asarray(candidate_n, dtype=float)
    if (k_p < 0).any() or (k_p > n_p).any() or (k_c < 0).any() or (k_c > n_c).any():
        raise ValueError("rate_bounds: successes must be between 0 and n in each arm")
    smooth_p, smooth_c = (k_p + 1) / (n_p + 2), (k_c + 1) / (n_c + 2)
    with np.errstate(divide="ignore", invalid="ignore"):
        estimate = k_c / n_c - k_p / n_p
        standard_error_sq = smooth_p * (1 - smooth_p) / n_p + smooth_c * (1 - smooth_c) / n_c
    return _bounds(estimate, standard_error_sq, n_p, n_c, alpha=alpha, planned_n=planned_n)


def mean_bounds(*, primary_n: npt.ArrayLike, primary_sum: npt.ArrayLike, primary_sum_sq: npt.ArrayLike,
                candidate_n: npt.ArrayLike, candidate_sum: npt.ArrayLike, candidate_sum_sq: npt.ArrayLike,
                alpha: float, planned_n: float) -> Bounds:
    """(estimate, lower, upper) of candidate mean - primary mean from running sums; vectorised.

    Each arm's variance is its sample variance; below two observations in an arm the estimate is
    nan and the bounds infinite.
    """
    n_p, n_c = np.asarray(primary_n, dtype=float), np.asarray(candidate_n, dtype=float)
    s_p, s_c = np.asarray(primary_sum, dtype=float), np.asarray(candidate_sum, dtype=float)
    q_p, q_c = np.asarray(primary_sum_sq, dtype=float), np.asarray(candidate_sum_sq, dtype=float)
    with np.errstate(divide="ignore", invalid="ignore"):
        var_p = np.maximum(0.0, (q_p - s_p * s_p / n_p) / (n_p - 1))
        var_c = np.maximum(0.0, (q_c - s_c * s_c / n_c) / (n_c - 1))
        enough = (n_p >= 2) & (n_c >= 2)
        estimate = np.where(enough, s_c / n_c - s_p / n_p, np.nan)
        standard_error_sq = np.where(enough, var_p / n_p + var_c / n_c, np.inf)
    return _bounds(estimate, standard_error_sq, n_p, n_c, alpha=alpha, planned_n=planned_n)


def decide(lower: float, upper: float, margin: float) -> Decision:
    """``worse`` when the lower bound exceeds the margin, ``not_worse`` when the upper bound is below it."""
    if lower > margin:
        return "worse"
    if upper < margin:
        return "not_worse"
    return "continue"


def compare_rates(primary_successes: int, primary_n: int, candidate_successes: int, candidate_n: int, *,
                  alpha: float, margin: float, planned_n: float) -> SequentialResult:
    """Judge candidate rate - primary rate (errors, regressions, bad format: higher is worse) against ``margin``."""
    for name, k, n in (("primary", primary_successes, primary_n), ("candidate", candidate_successes, candidate_n)):
        if not 0 <= k <= n:
            raise ValueError(f"compare_rates: {name} successes={k}, n={n}: need 0 <= successes <= n")
    estimate, lower, upper = rate_bounds(primary_successes, primary_n, candidate_successes, candidate_n,
                                         alpha=alpha, planned_n=planned_n)
    return _result(estimate, lower, upper, margin, primary_n, candidate_n)


def compare_means(primary: Tally, candidate: Tally, *, alpha: float, margin: float,
                  planned_n: float) -> SequentialResult:
    """Judge candidate mean - primary mean (log latency, cost per task: higher is worse) against ``margin``."""
    estimate, lower, upper = mean_bounds(
        primary_n=primary.n, primary_sum=primary.sum, primary_sum_sq=primary.sum_sq, candidate_n=candidate.n,
        candidate_sum=candidate.sum, candidate_sum_sq=candidate.sum_sq, alpha=alpha, planned_n=planned_n)
    return _result(estimate, lower, upper, margin, primary.n, candidate.n)


def _bounds(estimate: FloatArray, standard_error_sq: FloatArray, n_p: FloatArray, n_c: FloatArray, *,
            alpha: float, planned_n: float) -> Bounds:
    rho = tuning(alpha=alpha, planned_n=planned_n)
    n = n_p + n_c
    with np.errstate(invalid="ignore"):
        sigma = np.sqrt(standard_error_sq * n)
    unknown = (n_p == 0) | (n_c == 0) | ~np.isfinite(sigma)
    half = radius(n, np.where(unknown, 0.0, sigma), alpha=alpha, rho=rho)
    return (np.where(unknown, np.nan, estimate), np.where(unknown, -np.inf, estimate - half),
            np.where(unknown, np.inf, estimate + half))


def _result(estimate: FloatArray, lower: FloatArray, upper: FloatArray, margin: float, n_primary: int,
            n_candidate: int) -> SequentialResult:
    if not math.isfinite(margin):
        raise ValueError(f"margin={margin}: must be a finite number")
    low, high = float(lower), float(upper)
    return SequentialResult(estimate=float(estimate), lower=low, upper=high, margin=float(margin), n_primary=n_primary,
                            n_candidate=n_candidate, decision=decide(low, high, margin))


def _check_alpha(alpha: float) -> None:
    if not 0 < alpha < 1:
        raise ValueError(f"alpha={alpha}: must be between 0 and 1")
