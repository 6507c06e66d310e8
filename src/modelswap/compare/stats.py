"""The statistics of a comparison: small pure functions, each equal to a reference implementation.

What it is: intervals and tests for the figures a summary reports and a gate judges.

- a rate: ``wilson`` (Wilson score interval);
- a paired rate (baseline and candidate on the same requests): ``paired_binary`` (Newcombe's
  hybrid score interval with the phi correction, McNemar's exact test), ``paired_rates`` when
  requests were sampled several times (one value per request first), ``mcnemar``;
- two independent rates: ``two_proportions`` (Newcombe's hybrid score interval, pooled z-test
  or Fisher's exact test);
- continuous figures: ``mann_whitney``, ``quantile``, and from ``stats_paired`` the paired
  bootstrap with ``mean_difference``, ``mean_ratio``, ``cost_per_task_ratio``,
  ``quantile_ratio`` and ``p95_latency_ratio``, and ``per_request_means`` / ``paired_means``;
- many categories at once: ``holm``; the gate's non-inferiority rule: ``judge``.

Each function is tested against statsmodels or scipy to 1e-9, or against a published worked
example. Differences are always candidate - baseline; ratios candidate / baseline. numpy and
scipy are the only run-time dependencies.

What it is not: policy. Which figure matters and which margin is acceptable belong to the gate;
what a finding means belongs to triage. Nothing here reads a trial.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from statistics import NormalDist
from typing import Literal, NamedTuple

import numpy as np
import numpy.typing as npt
from scipy import stats as _scipy

from modelswap.compare.stats_paired import (
    Bootstrap,
    FloatArray,
    PairedMeans,
    RequestMeans,
    Statistic,
    _as_values,
    cost_per_task_ratio,
    mean_difference,
    mean_ratio,
    p95_latency_ratio,
    paired_bootstrap,
    paired_bootstraps,
    paired_means,
    per_request_means,
    quantile_ratio,
)

__all__ = [
    "Bootstrap", "FloatArray", "Judgement", "MannWhitney", "PairedBinary", "PairedMeans", "RequestMeans",
    "Statistic", "TwoProportions", "cost_per_task_ratio", "holm", "judge", "mann_whitney", "mcnemar",
    "mean_difference", "mean_ratio", "p95_latency_ratio", "paired_binary", "paired_bootstrap", "paired_bootstraps",
    "paired_means",
    "paired_rates", "paired_shares", "per_request_means", "quantile", "quantile_ratio", "sign_test_greater",
    "two_proportions", "wilson",
]

Judgement = Literal["pass", "fail", "inconclusive"]
Interval = tuple[float, float]


def wilson(k: int, n: int, *, confidence: float = 0.95) -> Interval:
    """The Wilson score interval for k successes in n trials; (0.0, 1.0) when n == 0.

    Equal to ``statsmodels.stats.proportion.proportion_confint(k, n, method="wilson")``.
    """
    if not 0 <= k <= n:
        raise ValueError(f"wilson: k={k}, n={n}: need 0 <= k <= n")
    if not 0 < confidence < 1:
        raise ValueError(f"wilson: confidence={confidence}: must be between 0 and 1")
    if n == 0:
        return 0.0, 1.0
    z = NormalDist().inv_cdf(1 - (1 - confidence) / 2)
    p = k / n
    denominator = 1 + z * z / n
    centre = (p + z * z / (2 * n)) / denominator
    half = z * math.sqrt(p * (1 - p) / n + z * z / (4 * n * n)) / denominator
    return (0.0 if k == 0 else max(0.0, centre - half)), (1.0 if k == n else min(1.0, centre + half))


@dataclass(frozen=True, kw_only=True, slots=True)
class PairedBinary:
    """A paired comparison of two rates on the same requests: candidate - baseline.

    ``n`` requests; ``b`` requests where only the baseline succeeded (baseline 1, candidate 0) and
    ``c`` where only the candidate did (baseline 0, candidate 1) -- with repeated samples, the
    requests where the baseline's mean is higher (``b``) or lower (``c``). ``method`` names the
    test behind ``p_value`` and ``ci95``; ``samples`` counts the samples before collapsing.
    """

    n: int
    baseline_rate: float
    candidate_rate: float
    delta: float
    ci95: Interval
    b: int
    c: int
    p_value: float
    method: Literal["mcnemar-exact", "wilcoxon"] = "mcnemar-exact"
    samples: int = 0


def mcnemar(b: int, c: int, *, mid_p: bool = False) -> float:
    """McNemar's exact test: two-sided binomial test of b against b + c with p = 0.5; 1.0 when b + c == 0.

    Equal to ``statsmodels...mcnemar(table, exact=True).pvalue``. ``mid_p`` subtracts half the
    probability of the observed count (Fagerland, Lydersen & Laake 2013 recommend it: the exact
    test is conservative); it is not what ``paired_binary`` reports.
    """
    if b < 0 or c < 0:
        raise ValueError(f"mcnemar: b={b}, c={c}: counts cannot be negative")
    if b + c == 0:
        return 1.0
    k, n = min(b, c), b + c
    tail = float(_scipy.binom.cdf(k, n, 0.5))
    if mid_p:
        tail -= 0.5 * float(_scipy.binom.pmf(k, n, 0.5))
    return min(1.0, 2 * tail)


def sign_test_greater(above: int, below: int) -> float:
    """One-sided exact sign test: P(X >= above) for X ~ Binomial(above + below, 1/2); 1.0 with no pair apart.

    On paired 0/1 outcomes (``above``: requests where only the candidate shows something,
    ``below``: only the baseline) it is the one-sided exact McNemar test; on paired shares it
    counts the requests where each side is higher.
    """
    if above < 0 or below < 0:
        raise ValueError(f"sign_test_greater: above={above}, below={below}: counts cannot be negative")
    if above + below == 0:
        return 1.0
    return float(_scipy.binom.sf(above - 1, above + below, 0.5))


def paired_shares(baseline: Sequence[float] | FloatArray, candidate: Sequence[float] | FloatArray) -> Interval:
    """A 95% interval of the mean paired difference of shares (candidate - baseline), one share per request.

    When every share is 0 or 1 it is Newcombe's paired interval (``paired_binary``); otherwise the
    t interval of the per-request differences.
    """
    if len(baseline) != len(candidate):
        raise ValueError(f"paired_shares: {len(baseline)} baseline and {len(candidate)} candidate shares")
    base, cand = np.asarray(baseline, dtype=float), np.asarray(candidate, dtype=float)
    if np.isin(base, (0.0, 1.0)).all() and np.isin(cand, (0.0, 1.0)).all():
        return paired_binary(base == 1.0, cand == 1.0).ci95
    return _t_interval(cand - base)


def paired_binary(baseline: Sequence[bool] | npt.NDArray[np.bool_], candidate: Sequence[bool] | npt.NDArray[np.bool_]
                  ) -> PairedBinary:
    """Compare two rates measured on the same requests (``baseline[i]`` and ``candidate[i]``: request i).

    ``ci95`` is Newcombe's hybrid score interval for paired proportions (method 10 of Newcombe,
    Stat Med 1998;17:2635-50): the Wilson intervals of both rates, combined with the phi
    correlation between the two sides, corrected as in the paper. ``p_value`` is McNemar's exact test.
    """
    base, cand = _outcomes(baseline, "baseline"), _outcomes(candidate, "candidate")
    if len(base) != len(cand):
        raise ValueError(f"paired_binary: {len(base)} baseline and {len(cand)} candidate outcomes; "
                         "a pair needs both sides")
    n = len(base)
    both = int(np.count_nonzero(base & cand))
    b = int(np.count_nonzero(base & ~cand))
    c = int(np.count_nonzero(~base & cand))
    neither = n - both - b - c
    return PairedBinary(n=n, baseline_rate=(both + b) / n, candidate_rate=(both + c) / n, delta=(c - b) / n,
                        ci95=_newcombe_paired(both, b, c, neither), b=b, c=c, p_value=mcnemar(b, c), samples=n)


def _newcombe_paired(both: int, b: int, c: int, neither: int) -> Interval:
    """Newcombe's method 10 for candidate - baseline; in his notation e=both, f=c, g=b, h=neither."""
    n = both + b + c + neither
    p_cand, p_base = (both + c) / n, (both + b) / n
    l_cand, u_cand = wilson(both + c, n)
    l_base, u_base = wilson(both + b, n)
    marginals = (both + c) * (b + neither) * (both + b) * (c + neither)
    cross = both * neither - b * c
    phi = 0.0
    if marginals > 0 and cross > n / 2:
        phi = (cross - n / 2) / math.sqrt(marginals)
    elif marginals > 0 and cross < 0:
        phi = cross / math.sqrt(marginals)
    delta = p_cand - p_base
    d_low, d_up = p_cand - l_cand, u_base - p_base
    e_up, e_low = u_cand - p_cand, p_base - l_base
    low = delta - math.sqrt(max(0.0, d_low**2 - 2 * phi * d_low * d_up + d_up**2))
    high = delta + math.sqrt(max(0.0, e_up**2 - 2 * phi * e_up * e_low + e_low**2))
    return max(-1.0, low), min(1.0, high)


def paired_rates(ids: Sequence[str], baseline: Sequence[bool], candidate: Sequence[bool], *,
                 zero_method: Literal["wilcox", "pratt"] = "wilcox") -> PairedBinary:
    """``paired_binary`` where a request may have been sampled several times (``ids[i]``: sample i's request).

    Repeats of a request are not independent trials, so each side is first collapsed to its mean
    per request. When every request's means are 0 or 1 (one sample each, or repeats that agree)
    the collapsed outcomes go through ``paired_binary``: the same evidence repeated 1, 5 or 20
    times gives the same result. Otherwise, with d_i = candidate mean - baseline mean per request,
    ``ci95`` is mean(d) +- t(0.975, m - 1) * sd(d) / sqrt(m) (clipped to [-1, 1]; [-1, 1] for a
    single request) and ``p_value`` the Wilcoxon signed-rank test of d (``scipy.stats.wilcoxon``,
    method "auto": exact up to 50 requests without ties, an enumeration of sign flips up to 13
    with ties, the normal approximation beyond; deterministic in every case).
    ``zero_method="wilcox"`` drops requests with d_i == 0 as McNemar drops concordant pairs;
    ``"pratt"`` ranks them first, then drops them. The rates are means over requests.
    """
    base, cand = _outcomes(baseline, "baseline"), _outcomes(candidate, "candidate")
    means = paired_means(ids, base.astype(np.float64), cand.astype(np.float64))
    if np.isin(means.baseline, (0.0, 1.0)).all() and np.isin(means.candidate, (0.0, 1.0)).all():
        collapsed = paired_binary(list(means.baseline == 1.0), list(means.candidate == 1.0))
        return PairedBinary(n=collapsed.n, baseline_rate=collapsed.baseline_rate,
                            candidate_rate=collapsed.candidate_rate, delta=collapsed.delta, ci95=collapsed.ci95,
                            b=collapsed.b, c=collapsed.c, p_value=collapsed.p_value, samples=len(base))
    d = means.candidate - means.baseline
    p_value = float(_scipy.wilcoxon(d, zero_method=zero_method).pvalue) if d.any() else 1.0
    return PairedBinary(n=len(d), baseline_rate=float(means.baseline.mean()),
                        candidate_rate=float(means.candidate.mean()), delta=float(d.mean()), ci95=_t_interval(d),
                        b=int(np.count_nonzero(d < 0)), c=int(np.count_nonzero(d > 0)), p_value=p_value,
                        method="wilcoxon", samples=len(base))


def _t_interval(d: FloatArray) -> Interval:
    m = len(d)
    if m < 2:
        return -1.0, 1.0
    half = float(_scipy.t.ppf(0.975, m - 1)) * float(d.std(ddof=1)) / math.sqrt(m)
    centre = float(d.mean())
    return max(-1.0, centre - half), min(1.0, centre + half)


def _outcomes(values: Sequence[bool] | npt.NDArray[np.bool_], name: str) -> np.ndarray[tuple[int], np.dtype[np.bool_]]:
    array = np.asarray(values)
    if array.ndim != 1:
        raise ValueError(f"{name}: expected a flat sequence of outcomes, got shape {array.shape}")
    if array.size == 0:
        raise ValueError(f"{name}: no outcomes (a rate over zero requests is undefined)")
    if array.dtype != np.bool_:
        if not np.isin(array, (0, 1)).all():
            bad = array[~np.isin(array, (0, 1))][0].item()
            raise ValueError(f"{name}: outcomes must be booleans or 0/1, found {bad!r}")
        array = array.astype(np.bool_)
    return array


class TwoProportions(NamedTuple):
    """Two independent rates: delta = k2/n2 - k1/n1 with its 95% interval, and the test's p-value."""

    delta: float
    ci95: Interval
    p_value: float


def two_proportions(k1: int, n1: int, k2: int, n2: int, *,
                    test: Literal["z", "fisher"] = "z") -> TwoProportions:
    """Compare two independent rates: group 1 (the baseline) and group 2 (the candidate).

    ``ci95`` is Newcombe's hybrid score interval (method 10 of Newcombe, Stat Med 1998;17:873-90).
    ``test="z"``: the two-sided pooled z-test, equal to ``statsmodels...proportions_ztest([k2, k1],
    [n2, n1])`` (1.0 where the pooled rate is 0 or 1 and statsmodels gives NaN: no difference at
    all). ``test="fisher"``: Fisher's exact test, equal to ``scipy.stats.fisher_exact``.
    """
    for k, n, group in ((k1, n1, 1), (k2, n2, 2)):
        if n <= 0 or not 0 <= k <= n:
            raise ValueError(f"two_proportions: group {group} has k={k}, n={n}: need n >= 1 and 0 <= k <= n")
    p1, p2 = k1 / n1, k2 / n2
    l1, u1 = wilson(k1, n1)
    l2, u2 = wilson(k2, n2)
    delta = p2 - p1
    ci = (max(-1.0, delta - math.hypot(p2 - l2, u1 - p1)), min(1.0, delta + math.hypot(u2 - p2, p1 - l1)))
    if test == "fisher":
        p_value = float(_scipy.fisher_exact([[k2, n2 - k2], [k1, n1 - k1]]).pvalue)
    elif test == "z":
        pooled = (k1 + k2) / (n1 + n2)
        if pooled in (0.0, 1.0):
            p_value = 1.0
        else:
            z = delta / math.sqrt(pooled * (1 - pooled) * (1 / n1 + 1 / n2))
            p_value = float(_scipy.norm.sf(abs(z))) * 2
    else:
        raise ValueError(f"two_proportions: test={test!r}: expected 'z' or 'fisher'")
    return TwoProportions(delta, ci, p_value)


class MannWhitney(NamedTuple):
    """The Mann-Whitney U statistic of x (scipy's convention) and the two-sided p-value."""

    u: float
    p_value: float


def mann_whitney(x: Sequence[float] | FloatArray, y: Sequence[float] | FloatArray) -> MannWhitney:
    """The Mann-Whitney U test, two-sided: ``scipy.stats.mannwhitneyu(x, y, alternative="two-sided")``.

    Independent samples: for latency or cost where the pairing is lost or does not matter.
    """
    result = _scipy.mannwhitneyu(_as_values(x, "x"), _as_values(y, "y"), alternative="two-sided")
    return MannWhitney(float(result.statistic), float(result.pvalue))


def quantile(x: Sequence[float] | FloatArray, q: float) -> float:
    """The q-quantile of x (0 <= q <= 1), interpolated linearly between order statistics.

    numpy's default ``method="linear"`` (Hyndman & Fan type 7, as R's default): position
    q * (n - 1) in the sorted values. quantile(x, 0.95) is the p95.
    """
    if not 0 <= q <= 1:
        raise ValueError(f"quantile: q={q}: a quantile is between 0 and 1")
    return float(np.quantile(_as_values(x, "x"), q, method="linear"))


def holm(p_values: Sequence[float]) -> list[float]:
    """Holm's step-down adjusted p-values, in the input order; [] for [].

    Equal to ``statsmodels.stats.multitest.multipletests(p, method="holm")[1]``: controls the
    family-wise error when one test runs per category.
    """
    p = np.asarray(p_values, dtype=np.float64)
    if p.ndim != 1 or not ((p >= 0) & (p <= 1)).all():
        raise ValueError(f"holm: p-values must be a flat sequence of numbers in [0, 1], got {list(p_values)!r}")
    order = np.argsort(p, kind="stable")
    steps = np.arange(len(p), 0, -1, dtype=np.float64)
    adjusted = np.empty_like(p)
    adjusted[order] = np.minimum(1.0, np.maximum.accumulate(p[order] * steps))
    return [float(v) for v in adjusted]


def judge(estimate: float, ci: Interval, *, limit: float, direction: Literal["max", "min"]) -> Judgement:
    """The non-inferiority judgement of a gate check: ``pass``, ``fail`` or ``inconclusive``.

    A migration does not ask "is the candidate different?" (it always is, a little) but "is it
    no worse than the margin?". So the burden of proof is on the candidate:

    - ``direction="max"`` (the figure must not exceed ``limit``): ``pass`` when the whole interval
      is at or below the limit (ci high <= limit); ``fail`` when the whole interval is above it
      (ci low > limit: the candidate is worse than the margin, significantly); ``inconclusive``
      otherwise: the interval crosses the limit and more trials are needed to tell.
    - ``direction="min"``: the mirror image (pass when ci low >= limit, fail when ci high < limit).

    Failing on the point estimate alone would make a true A/A fail a check about a third of the
    time whenever its interval is wider than the margin; failing on the interval keeps a false
    ``no_go`` below 2.5% per check and turns thin evidence into ``inconclusive``. An infinite
    estimate beyond the limit fails (a ratio over a zero baseline); a NaN estimate or bound is
    inconclusive.
    """
    low, high = ci
    if direction not in ("max", "min"):
        raise ValueError(f"judge: direction={direction!r}: expected 'max' or 'min'")
    if low > high:
        raise ValueError(f"judge: ci=({low}, {high}): the low bound is above the high bound")
    if math.isnan(estimate):
        return "inconclusive"
    if math.isinf(estimate):
        return "fail" if (estimate > limit if direction == "max" else estimate < limit) else "inconclusive"
    beyond = low > limit if direction == "max" else high < limit
    within = high <= limit if direction == "max" else low >= limit
    return "fail" if beyond else ("pass" if within else "inconclusive")
