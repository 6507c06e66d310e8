"""modelswap.compare.stats: every figure equals its reference (statsmodels, scipy, a published example).

statsmodels is the reference here only; the package never imports it. Random cases come from
fixed-seed generators, a hundred per reference, so a failure names a reproducible case.
"""

from __future__ import annotations

import gc
import math
import subprocess
import sys

import numpy as np
import pytest
import scipy.stats
from statsmodels.stats.contingency_tables import mcnemar as sm_mcnemar
from statsmodels.stats.multitest import multipletests
from statsmodels.stats.proportion import proportion_confint, proportions_ztest

from modelswap.compare import stats, stats_paired
from modelswap.compare.stats import (
    cost_per_task_ratio,
    holm,
    judge,
    mann_whitney,
    mcnemar,
    mean_difference,
    mean_ratio,
    p95_latency_ratio,
    paired_binary,
    paired_bootstrap,
    paired_means,
    paired_rates,
    per_request_means,
    quantile,
    quantile_ratio,
    two_proportions,
    wilson,
)

TOL = 1e-9
CASES = 100


def outcomes(both: int, base_only: int, cand_only: int, neither: int) -> tuple[list[bool], list[bool]]:
    """Paired outcome lists with the given cells: (baseline, candidate)."""
    cells = [(True, True)] * both + [(True, False)] * base_only + [(False, True)] * cand_only + \
        [(False, False)] * neither
    return [b for b, _ in cells], [c for _, c in cells]


def random_table(rng: np.random.Generator) -> tuple[int, int, int, int]:
    n = int(rng.integers(1, 400))
    probs = rng.dirichlet(np.ones(4))
    both, base_only, cand_only, neither = (int(v) for v in rng.multinomial(n, probs))
    return both, base_only, cand_only, neither


# --- wilson ---------------------------------------------------------------------------------------

def test_wilson_equals_statsmodels_for_every_k_of_small_n() -> None:
    for n in range(1, 41):
        for k in range(n + 1):
            expected = proportion_confint(k, n, alpha=0.05, method="wilson")
            assert wilson(k, n) == pytest.approx(expected, abs=TOL), (k, n)


def test_wilson_equals_statsmodels_on_random_cases_and_levels() -> None:
    rng = np.random.default_rng(101)
    for _ in range(CASES):
        n = int(rng.integers(1, 100_000))
        k = int(rng.choice([0, n, int(rng.integers(0, n + 1))]))
        confidence = float(rng.choice([0.8, 0.9, 0.95, 0.99]))
        expected = proportion_confint(k, n, alpha=1 - confidence, method="wilson")
        assert wilson(k, n, confidence=confidence) == pytest.approx(expected, abs=TOL), (k, n, confidence)


def test_wilson_edges() -> None:
    assert wilson(0, 0) == (0.0, 1.0)
    assert wilson(0, 10)[0] == 0.0
    assert wilson(10, 10)[1] == 1.0
    for k, n in ((-1, 5), (6, 5)):
        with pytest.raises(ValueError, match="need 0 <= k <= n"):
            wilson(k, n)
    with pytest.raises(ValueError, match=r"confidence=1\.5"):
        wilson(1, 2, confidence=1.5)


# --- McNemar and paired_binary --------------------------------------------------------------------

def test_mcnemar_equals_statsmodels_exact() -> None:
    rng = np.random.default_rng(102)
    for _ in range(CASES):
        a, b, c, d = random_table(rng)
        expected = sm_mcnemar([[a, b], [c, d]], exact=True).pvalue
        assert mcnemar(b, c) == pytest.approx(expected, abs=TOL), (a, b, c, d)


def test_mcnemar_published_example() -> None:
    # Cavo et al. 2012 in Fagerland, Lydersen & Laake, Statistical Analysis of Contingency Tables (2017),
    # ch. 8: discordant pairs 6 and 16. Exact conditional P = 0.052479, mid-P = 0.034690.
    assert mcnemar(6, 16) == pytest.approx(0.052479, abs=5e-7)
    assert mcnemar(16, 6, mid_p=True) == pytest.approx(0.034690, abs=5e-7)
    assert mcnemar(0, 0) == 1.0
    assert mcnemar(7, 7) == 1.0
    assert mcnemar(7, 7, mid_p=True) == pytest.approx(1.0, abs=TOL)
    with pytest.raises(ValueError, match="cannot be negative"):
        mcnemar(-1, 2)


def test_mid_p_is_the_exact_tail_less_half_the_observed_point() -> None:
    for b, c in ((0, 5), (3, 12), (10, 9), (40, 61)):
        n, k = b + c, min(b, c)
        tail = sum(math.comb(n, i) for i in range(k)) + math.comb(n, k) / 2
        assert mcnemar(b, c, mid_p=True) == pytest.approx(min(1.0, 2 * tail / 2**n), abs=TOL)


def test_paired_binary_counts_rates_and_p_value_equal_statsmodels() -> None:
    rng = np.random.default_rng(103)
    for _ in range(CASES):
        a, b, c, d = random_table(rng)
        base, cand = outcomes(a, b, c, d)
        order = rng.permutation(len(base))
        result = paired_binary([base[i] for i in order], [int(cand[i]) for i in order])
        n = a + b + c + d
        assert (result.n, result.b, result.c, result.samples) == (n, b, c, n)
        assert result.baseline_rate == pytest.approx((a + b) / n, abs=TOL)
        assert result.candidate_rate == pytest.approx((a + c) / n, abs=TOL)
        assert result.delta == pytest.approx((c - b) / n, abs=TOL)
        assert result.p_value == pytest.approx(sm_mcnemar([[a, b], [c, d]], exact=True).pvalue, abs=TOL)
        assert result.method == "mcnemar-exact"


def newcombe_paired_reference(e: int, f: int, g: int, h: int) -> tuple[float, float]:
    """Newcombe (1998) method 10, written from the paper: table [[e, f], [g, h]], theta = (e+f)/n - (e+g)/n.

    Wilson limits (l2, u2) of (e+f)/n and (l3, u3) of (e+g)/n; phi = (eh - fg) / sqrt of the marginals'
    product, with the paper's correction: eh - fg - n/2 when eh - fg > n/2, 0 up to n/2, as is when
    negative, and 0 when a marginal is empty.
    """
    n = e + f + g + h
    p1, p2 = (e + f) / n, (e + g) / n
    l2, u2 = proportion_confint(e + f, n, alpha=0.05, method="wilson")
    l3, u3 = proportion_confint(e + g, n, alpha=0.05, method="wilson")
    product = (e + f) * (g + h) * (e + g) * (f + h)
    cross = e * h - f * g
    phi = 0.0
    if product > 0 and cross > n / 2:
        phi = (cross - n / 2) / math.sqrt(product)
    elif product > 0 and cross < 0:
        phi = cross / math.sqrt(product)
    delta = math.sqrt((p1 - l2) ** 2 - 2 * phi * (p1 - l2) * (u3 - p2) + (u3 - p2) ** 2)
    epsilon = math.sqrt((u2 - p1) ** 2 - 2 * phi * (u2 - p1) * (p2 - l3) + (p2 - l3) ** 2)
    return p1 - p2 - delta, p1 - p2 + epsilon


def test_newcombe_paired_published_example() -> None:
    # Cavo et al. 2012, complete response before/after consolidation therapy, as worked in Fagerland,
    # Lydersen & Laake (2017), ch. 8: table [[59, 6], [16, 80]], estimate -0.0621, Newcombe square-and-add
    # (hybrid score) 95% CI -0.1186 to -0.0046. The first measurement (rows) is our candidate.
    e, f, g, h = 59, 6, 16, 80
    base, cand = outcomes(both=e, base_only=g, cand_only=f, neither=h)
    result = paired_binary(base, cand)
    assert result.delta == pytest.approx(-0.0621, abs=5e-5)
    assert result.ci95 == pytest.approx((-0.1186, -0.0046), abs=5e-5)
    assert result.ci95 == pytest.approx(newcombe_paired_reference(e, f, g, h), abs=1e-12)
    assert result.p_value == pytest.approx(0.052479, abs=5e-7)


@pytest.mark.parametrize(("e", "f", "g", "h"), [
    (59, 6, 16, 80),   # eh - fg > n/2: corrected phi
    (3, 4, 5, 2),      # eh - fg < 0: phi as is
    (5, 3, 4, 3),      # 0 <= eh - fg <= n/2: phi = 0
    (0, 4, 6, 0),      # an empty marginal: phi = 0
    (12, 0, 0, 0),     # all concordant
    (0, 0, 9, 0),      # all discordant one way
    (1, 1, 7, 12),     # Bentur et al. 2009 (Fagerland et al. ch. 8)
])
def test_newcombe_paired_equals_the_formula(e: int, f: int, g: int, h: int) -> None:
    base, cand = outcomes(both=e, base_only=g, cand_only=f, neither=h)
    assert paired_binary(base, cand).ci95 == pytest.approx(newcombe_paired_reference(e, f, g, h), abs=1e-12)


def test_newcombe_paired_equals_the_formula_on_random_tables() -> None:
    rng = np.random.default_rng(104)
    for _ in range(CASES):
        a, b, c, d = random_table(rng)
        base, cand = outcomes(a, b, c, d)
        assert paired_binary(base, cand).ci95 == pytest.approx(newcombe_paired_reference(a, c, b, d), abs=1e-12)


def test_newcombe_paired_properties() -> None:
    rng = np.random.default_rng(105)
    for _ in range(CASES):
        a, b, c, d = random_table(rng)
        result = paired_binary(*outcomes(a, b, c, d))
        low, high = result.ci95
        assert -1.0 <= low <= result.delta <= high <= 1.0, (a, b, c, d)
        widths = [float(np.subtract(*paired_binary(*outcomes(a * k, b * k, c * k, d * k)).ci95[::-1]))
                  for k in (1, 4, 16)]
        assert widths[0] > widths[1] > widths[2] or widths[0] == 0, (a, b, c, d, widths)


def test_paired_binary_no_discordant_pair() -> None:
    result = paired_binary(*outcomes(10, 0, 0, 5))
    assert (result.delta, result.b, result.c, result.p_value) == (0.0, 0, 0, 1.0)
    assert result.ci95[0] < 0 < result.ci95[1]


def test_paired_binary_rejects_bad_input() -> None:
    with pytest.raises(ValueError, match="baseline: no outcomes"):
        paired_binary([], [])
    with pytest.raises(ValueError, match="3 baseline and 2 candidate outcomes"):
        paired_binary([True, False, True], [True, False])
    with pytest.raises(ValueError, match="candidate: outcomes must be booleans or 0/1, found 2"):
        paired_binary([1, 0], [1, 2])


# --- two independent proportions ------------------------------------------------------------------

def test_two_proportions_z_test_equals_statsmodels() -> None:
    rng = np.random.default_rng(106)
    done = 0
    while done < CASES:
        n1, n2 = (int(v) for v in rng.integers(1, 2000, size=2))
        k1, k2 = int(rng.integers(0, n1 + 1)), int(rng.integers(0, n2 + 1))
        if k1 + k2 in (0, n1 + n2):
            continue  # statsmodels divides by zero there; see test_two_proportions_edges
        result = two_proportions(k1, n1, k2, n2)
        _, expected = proportions_ztest([k2, k1], [n2, n1])
        assert result.p_value == pytest.approx(expected, abs=TOL), (k1, n1, k2, n2)
        assert result.delta == pytest.approx(k2 / n2 - k1 / n1, abs=TOL)
        done += 1


def test_two_proportions_fisher_equals_scipy() -> None:
    rng = np.random.default_rng(107)
    for _ in range(CASES):
        n1, n2 = (int(v) for v in rng.integers(1, 300, size=2))
        k1, k2 = int(rng.integers(0, n1 + 1)), int(rng.integers(0, n2 + 1))
        expected = scipy.stats.fisher_exact([[k1, n1 - k1], [k2, n2 - k2]]).pvalue
        assert two_proportions(k1, n1, k2, n2, test="fisher").p_value == pytest.approx(expected, abs=TOL)


def newcombe_independent_reference(k1: int, n1: int, k2: int, n2: int) -> tuple[float, float]:
    """Newcombe (1998) method 10 for p2 - p1, written from the paper."""
    p1, p2 = k1 / n1, k2 / n2
    l1, u1 = proportion_confint(k1, n1, alpha=0.05, method="wilson")
    l2, u2 = proportion_confint(k2, n2, alpha=0.05, method="wilson")
    return p2 - p1 - math.sqrt((p2 - l2) ** 2 + (u1 - p1) ** 2), p2 - p1 + math.sqrt((u2 - p2) ** 2 + (p1 - l1) ** 2)


@pytest.mark.parametrize(("k2", "n2", "k1", "n1", "low", "high"), [
    # Newcombe, Stat Med 1998;17:873-90, Table II, method 10 (candidate k2/n2 minus baseline k1/n1)
    (56, 70, 48, 80, 0.0524, 0.3339),
    (9, 10, 3, 10, 0.1705, 0.8090),
    (6, 7, 2, 7, 0.0582, 0.8062),
    (5, 56, 0, 29, -0.0381, 0.1926),
    (0, 10, 0, 20, -0.1611, 0.2775),
    # Perondi et al. 2004 in Fagerland et al. (2017), ch. 4: 7/34 vs 1/34, estimate 0.1765
    (7, 34, 1, 34, 0.0189, 0.3404),
])
def test_newcombe_independent_published_examples(k2: int, n2: int, k1: int, n1: int, low: float,
                                                 high: float) -> None:
    result = two_proportions(k1, n1, k2, n2)
    assert result.ci95 == pytest.approx((low, high), abs=5e-5)
    assert result.ci95 == pytest.approx(newcombe_independent_reference(k1, n1, k2, n2), abs=1e-12)


def test_newcombe_independent_properties() -> None:
    rng = np.random.default_rng(108)
    for _ in range(CASES):
        n1, n2 = (int(v) for v in rng.integers(1, 500, size=2))
        k1, k2 = int(rng.integers(0, n1 + 1)), int(rng.integers(0, n2 + 1))
        result = two_proportions(k1, n1, k2, n2)
        assert -1.0 <= result.ci95[0] <= result.delta <= result.ci95[1] <= 1.0
        assert result.ci95 == pytest.approx(newcombe_independent_reference(k1, n1, k2, n2), abs=1e-12)
        wider = two_proportions(k1 * 9, n1 * 9, k2 * 9, n2 * 9).ci95
        assert wider[1] - wider[0] < result.ci95[1] - result.ci95[0]


def test_two_proportions_edges() -> None:
    assert two_proportions(0, 10, 0, 20).p_value == 1.0  # pooled rate 0: statsmodels gives NaN
    assert two_proportions(5, 5, 7, 7).p_value == 1.0
    delta, ci, p_value = two_proportions(1, 10, 9, 10)
    assert delta == pytest.approx(0.8) and ci[0] > 0 and p_value < 0.001
    with pytest.raises(ValueError, match="group 2 has k=0, n=0"):
        two_proportions(1, 2, 0, 0)
    with pytest.raises(ValueError, match="group 1 has k=3, n=2"):
        two_proportions(3, 2, 0, 1)
    with pytest.raises(ValueError, match="test='t'"):
        two_proportions(1, 2, 1, 2, test="t")  # type: ignore[arg-type]


# --- continuous figures ---------------------------------------------------------------------------

def test_mann_whitney_equals_scipy() -> None:
    rng = np.random.default_rng(109)
    for _ in range(CASES):
        x = rng.lognormal(6, 0.5, size=int(rng.integers(1, 200)))
        y = rng.lognormal(6.1, 0.5, size=int(rng.integers(1, 200)))
        if rng.random() < 0.3:  # ties, as rounded latencies have
            x, y = np.round(x, -2), np.round(y, -2)
        expected = scipy.stats.mannwhitneyu(x, y, alternative="two-sided")
        u, p_value = mann_whitney(list(x), y)
        assert (u, p_value) == pytest.approx((expected.statistic, expected.pvalue), abs=TOL)


def test_mann_whitney_edges() -> None:
    assert mann_whitney([1.0, 1.0, 1.0], [1.0, 1.0]) == (3.0, 1.0)
    with pytest.raises(ValueError, match="x: no values"):
        mann_whitney([], [1.0])
    with pytest.raises(ValueError, match="y: values must be finite"):
        mann_whitney([1.0], [math.nan])


def test_quantile_is_numpy_linear() -> None:
    assert quantile([1, 2, 3, 4], 0.5) == 2.5
    assert quantile([10, 20, 30, 40, 50], 0.95) == pytest.approx(48.0)
    assert quantile([7.0], 0.95) == 7.0
    rng = np.random.default_rng(110)
    for _ in range(CASES):
        x, q = rng.exponential(100, size=int(rng.integers(1, 500))), float(rng.random())
        assert quantile(x, q) == pytest.approx(float(np.quantile(x, q)), abs=TOL)
    with pytest.raises(ValueError, match=r"q=1\.5"):
        quantile([1.0], 1.5)
    with pytest.raises(ValueError, match="x: no values"):
        quantile([], 0.5)


# --- paired bootstrap -----------------------------------------------------------------------------

def latencies(rng: np.random.Generator, n: int) -> tuple[np.ndarray, np.ndarray]:
    baseline = rng.lognormal(6, 0.5, n)
    return baseline, baseline * rng.lognormal(0.1, 0.3, n)


@pytest.mark.parametrize("statistic", [p95_latency_ratio, cost_per_task_ratio, mean_difference, mean_ratio,
                                       quantile_ratio(0.5)])
@pytest.mark.parametrize("n", [2, 37, 5000])
def test_paired_bootstrap_equals_scipy_with_the_same_draws(statistic: stats.Statistic, n: int) -> None:
    # 5000 requests take several batches; scipy is told the same batch size, so it draws the same indices
    baseline, candidate = latencies(np.random.default_rng(111), n)
    estimate, ci = paired_bootstrap(baseline, candidate, statistic, n_resamples=2000, seed=42)
    reference = scipy.stats.bootstrap((baseline, candidate), lambda b, c, axis: statistic(b, c), paired=True,
                                      vectorized=True, method="percentile", n_resamples=2000,
                                      batch=max(1, stats_paired.BATCH_ELEMENTS // n),
                                      rng=np.random.default_rng(42))
    assert ci == pytest.approx(tuple(reference.confidence_interval), rel=TOL, abs=TOL)
    assert estimate == pytest.approx(float(statistic(baseline, candidate)), abs=0)


def test_paired_bootstrap_named_statistics() -> None:
    baseline = np.array([100.0, 200.0, 300.0, 400.0])
    candidate = np.array([150.0, 200.0, 450.0, 400.0])
    assert float(p95_latency_ratio(baseline, candidate)) == pytest.approx(
        np.quantile(candidate, 0.95) / np.quantile(baseline, 0.95))
    assert float(cost_per_task_ratio(baseline, candidate)) == pytest.approx(1200 / 1000)
    assert float(mean_difference(baseline, candidate)) == pytest.approx(50.0)
    assert quantile_ratio(0.5).__name__ == "quantile_ratio(0.5)"
    with pytest.raises(ValueError, match="q=2"):
        quantile_ratio(2)


def test_paired_bootstrap_is_deterministic_by_seed_and_keeps_pairs() -> None:
    baseline, candidate = latencies(np.random.default_rng(112), 300)
    first = paired_bootstrap(baseline, candidate, p95_latency_ratio, seed=3)
    assert paired_bootstrap(baseline, candidate, p95_latency_ratio, seed=3) == first
    assert paired_bootstrap(baseline, candidate, p95_latency_ratio, seed=4) != first
    # the candidate is the baseline plus 10: every resample keeps the pairs, so the difference never moves
    estimate, (low, high) = paired_bootstrap(baseline, baseline + 10, mean_difference, seed=3)
    assert estimate == pytest.approx(10.0) and low == pytest.approx(10.0) and high == pytest.approx(10.0)


def test_paired_bootstrap_covers_the_true_ratio() -> None:
    # cost ratio with a known truth (1.25): about 95 of 100 intervals must cover it
    covered = 0
    for seed in range(100):
        rng = np.random.default_rng(1000 + seed)
        baseline = rng.gamma(2.0, 1.0, 400)
        candidate = 1.25 * baseline * rng.gamma(50.0, 1 / 50, 400)
        _, (low, high) = paired_bootstrap(baseline, candidate, cost_per_task_ratio, n_resamples=1000, seed=seed)
        covered += low <= 1.25 <= high
    assert 88 <= covered <= 100


def test_paired_bootstrap_rejects_bad_input() -> None:
    with pytest.raises(ValueError, match="baseline: no values"):
        paired_bootstrap([], [], mean_difference)
    with pytest.raises(ValueError, match="3 and 2 values"):
        paired_bootstrap([1.0, 2.0, 3.0], [1.0, 2.0], mean_difference)
    with pytest.raises(ValueError, match="n_resamples=0"):
        paired_bootstrap([1.0], [1.0], mean_difference, n_resamples=0)
    with pytest.raises(ValueError, match="confidence=1"):
        paired_bootstrap([1.0], [1.0], mean_difference, confidence=1)


def test_ratio_over_a_zero_baseline_is_not_finite_and_judged_inconclusive() -> None:
    estimate, ci = paired_bootstrap([0.0, 0.0], [1.0, 2.0], cost_per_task_ratio)
    assert estimate == math.inf
    assert judge(estimate, ci, limit=1.2, direction="max") == "fail"
    estimate, ci = paired_bootstrap([0.0, 0.0], [0.0, 0.0], cost_per_task_ratio)
    assert math.isnan(estimate)
    assert judge(estimate, ci, limit=1.2, direction="max") == "inconclusive"


# --- clustering: one value per request ------------------------------------------------------------

def test_per_request_means_in_order_of_first_appearance() -> None:
    ids, means = per_request_means(["b", "a", "b", "c", "a", "b"], [1.0, 0.0, 0.0, 5.0, 1.0, 0.5])
    assert ids == ("b", "a", "c")
    assert list(means) == [0.5, 0.5, 5.0]
    paired = paired_means(["x", "y", "x"], [1, 0, 0], [1, 1, 1])
    assert paired.ids == ("x", "y")
    assert (list(paired.baseline), list(paired.candidate), list(paired.samples)) == ([0.5, 0.0], [1.0, 1.0], [2, 1])
    with pytest.raises(ValueError, match="2 ids for 3 values"):
        per_request_means(["a", "b"], [1.0, 2.0, 3.0])
    with pytest.raises(ValueError, match="values: no values"):
        per_request_means([], [])
    with pytest.raises(ValueError, match="2 and 1 values"):
        paired_means(["a", "b"], [1.0, 2.0], [1.0])


def repeated(base: list[bool], cand: list[bool], times: int) -> tuple[list[str], list[bool], list[bool]]:
    """Each request sampled ``times`` times, every sample with the same outcomes, interleaved."""
    ids = [f"r{i}" for _ in range(times) for i in range(len(base))]
    return ids, base * times, cand * times


def test_the_same_evidence_repeated_gives_the_same_p_value() -> None:
    # 60 requests: the candidate loses 12 the baseline wins and wins 2 the baseline loses.
    base, cand = outcomes(both=30, base_only=12, cand_only=2, neither=16)
    results = [paired_rates(*repeated(base, cand, times)) for times in (1, 5, 20)]
    assert results[0] == paired_binary(base, cand)
    assert results[0].p_value == pytest.approx(0.012939453125, abs=TOL)
    for result, times in zip(results, (1, 5, 20), strict=True):
        assert (result.n, result.samples, result.b, result.c) == (60, 60 * times, 12, 2)
        assert (result.p_value, result.ci95, result.delta) == (results[0].p_value, results[0].ci95, results[0].delta)
    # The naive per-sample test counts repeats as new evidence: p = 0.013, 8.0e-10, 6.2e-36 for the same data.
    naive = [paired_binary(*repeated(base, cand, times)[1:]).p_value for times in (1, 5, 20)]
    assert naive == pytest.approx([0.012939453125, 8.0048e-10, 6.2307e-36], rel=1e-4)


def test_fractional_evidence_repeated_gives_the_same_result() -> None:
    # requests where the sides disagree with themselves: the Wilcoxon path, also invariant to repetition
    rng = np.random.default_rng(114)
    ids, base, cand = [], [], []
    for request in range(40):
        k = int(rng.integers(1, 4))
        ids += [f"r{request}"] * k
        base += [bool(v) for v in rng.random(k) < 0.8]
        cand += [bool(v) for v in rng.random(k) < 0.6]
    first = paired_rates(ids, base, cand)
    assert first.method == "wilcoxon" and first.n == 40
    for times in (5, 20):
        again = paired_rates(ids * times, base * times, cand * times)
        assert (again.p_value, again.ci95, again.delta, again.b, again.c) == \
            (first.p_value, first.ci95, first.delta, first.b, first.c)
        assert again.samples == len(ids) * times


def test_paired_rates_wilcoxon_path_equals_scipy() -> None:
    rng = np.random.default_rng(115)
    for _ in range(CASES):
        m = int(rng.integers(2, 120))
        repeats = rng.integers(1, 6, size=m)
        ids = [f"r{i}" for i in range(m) for _ in range(repeats[i])]
        base = list(rng.random(len(ids)) < rng.random())
        cand = list(rng.random(len(ids)) < rng.random())
        means = paired_means(ids, np.array(base, float), np.array(cand, float))
        d = means.candidate - means.baseline
        if set(means.baseline) <= {0.0, 1.0} and set(means.candidate) <= {0.0, 1.0}:
            continue  # the McNemar path, tested above
        zero_method = str(rng.choice(["wilcox", "pratt"]))
        result = paired_rates(ids, base, cand, zero_method=zero_method)  # type: ignore[arg-type]
        assert result.method == "wilcoxon"
        assert result.delta == pytest.approx(float(d.mean()), abs=TOL)
        if d.any():
            expected = scipy.stats.wilcoxon(d, zero_method=zero_method).pvalue
            assert result.p_value == pytest.approx(expected, abs=TOL)
        if d.std() > 0:
            low, high = scipy.stats.ttest_1samp(d, 0).confidence_interval(0.95)
            assert result.ci95 == pytest.approx((max(-1.0, low), min(1.0, high)), abs=TOL)


def test_paired_rates_edges() -> None:
    single = paired_rates(["a", "a"], [True, False], [True, True])
    assert (single.n, single.ci95, single.p_value, single.method) == (1, (-1.0, 1.0), 1.0, "wilcoxon")
    same = paired_rates(["a", "a", "b", "b"], [True, False, True, False], [False, True, False, True])
    assert (same.delta, same.p_value, same.b, same.c) == (0.0, 1.0, 0, 0)
    with pytest.raises(ValueError, match="ids: 1 ids for 2 values"):
        paired_rates(["a"], [True, False], [True, True])
    with pytest.raises(ValueError, match="baseline: no outcomes"):
        paired_rates([], [], [])


# --- Holm -----------------------------------------------------------------------------------------

def test_holm_equals_statsmodels() -> None:
    rng = np.random.default_rng(116)
    gc.freeze()  # multipletests calls gc.collect() on every call: 50 ms each over pytest's heap
    for _ in range(CASES):
        p = rng.random(int(rng.integers(1, 25))) ** 3
        if rng.random() < 0.3:  # ties, zeros and ones
            p[: len(p) // 2] = rng.choice([0.0, 0.01, 1.0])
        expected = multipletests(p, method="holm")[1]
        assert holm(list(p)) == pytest.approx(list(expected), abs=TOL)
    gc.unfreeze()


def test_holm_edges() -> None:
    assert holm([]) == []
    assert holm([0.01, 0.04, 0.03]) == pytest.approx([0.03, 0.06, 0.06])
    with pytest.raises(ValueError, match="in \\[0, 1\\]"):
        holm([0.2, 1.5])
    with pytest.raises(ValueError, match="in \\[0, 1\\]"):
        holm([math.nan])


# --- judge ----------------------------------------------------------------------------------------

@pytest.mark.parametrize(("estimate", "ci", "direction", "expected"), [
    (0.01, (0.0, 0.04), "max", "pass"),       # the whole interval within the margin
    (0.01, (0.0, 0.05), "max", "pass"),       # at the limit is within
    (0.03, (0.01, 0.08), "max", "inconclusive"),
    (0.08, (0.06, 0.11), "max", "fail"),      # the whole interval beyond
    (0.06, (0.04, 0.09), "max", "inconclusive"),  # the estimate beyond, but not significantly
    (-0.01, (-0.015, 0.0), "min", "pass"),
    (-0.01, (-0.03, 0.01), "min", "inconclusive"),
    (-0.03, (-0.05, -0.01), "min", "inconclusive"),
    (-0.06, (-0.09, -0.03), "min", "fail"),
    (math.nan, (0.0, 1.0), "max", "inconclusive"),
    (0.01, (math.nan, math.nan), "min", "inconclusive"),
])
def test_judge(estimate: float, ci: tuple[float, float], direction: str, expected: str) -> None:
    limit = 0.05 if direction == "max" else -0.02
    assert judge(estimate, ci, limit=limit, direction=direction) == expected  # type: ignore[arg-type]


def test_judge_rejects_bad_input() -> None:
    with pytest.raises(ValueError, match="direction='up'"):
        judge(0.0, (0.0, 0.0), limit=1, direction="up")  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="low bound is above the high bound"):
        judge(0.0, (0.2, 0.1), limit=1, direction="max")


def test_runtime_needs_no_statsmodels() -> None:
    code = ("import sys; sys.modules['statsmodels'] = None\n"
            "from modelswap.compare import stats\n"
            "print(stats.paired_binary([1, 0, 1], [1, 1, 1]).p_value)")
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=False)
    assert (done.returncode, done.stdout.strip(), done.stderr) == (0, "1.0", "")


def test_bootstraps_run_together_equal_one_call_each() -> None:
    rng = np.random.default_rng(4)
    latency = rng.lognormal(6, 0.3, 3000), rng.lognormal(6.1, 0.3, 3000)
    tokens = rng.integers(0, 3, 3000).astype(float), rng.integers(0, 3, 3000).astype(float)
    small = rng.random(40), rng.random(40)
    jobs = [(*latency, stats.mean_difference), (*latency, stats.quantile_ratio(0.5)), (*small, stats.mean_difference),
            (*latency, stats.quantile_ratio(0.95)), (*tokens, stats.mean_ratio), (latency[0].copy(), latency[1],
                                                                                    stats.p95_latency_ratio),
            (np.zeros(40), small[1], stats.mean_ratio)]
    together = stats.paired_bootstraps(jobs, n_resamples=700, seed=3)
    one_each = [stats.paired_bootstrap(b, c, s, n_resamples=700, seed=3) for b, c, s in jobs]
    assert repr(together) == repr(one_each)  # to the last digit, NaN included (a zero baseline mean)
    assert repr(stats.paired_bootstraps(jobs, n_resamples=700, seed=3, threads=3)) == repr(one_each)
    assert math.isnan(together[-1].ci[0]) and together[-1].estimate == math.inf


def test_past_its_limit_the_bootstrap_resamples_fewer_requests_and_narrows_to_all_of_them() -> None:
    rng = np.random.default_rng(5)
    n = 200_000
    base = rng.normal(10.0, 3.0, n)
    cand = base * 0.5 + rng.normal(5.5, 2.0, n)
    (found,) = stats.paired_bootstraps([(base, cand, stats.mean_difference)], n_resamples=1000, seed=1)
    difference = cand - base
    half = 1.959964 * difference.std(ddof=1) / math.sqrt(n)  # the normal interval: exact enough at this size
    assert found.estimate == pytest.approx(difference.mean(), abs=1e-12)
    assert found.ci[1] - found.ci[0] == pytest.approx(2 * half, rel=0.08)
    assert (found.ci[0] + found.ci[1]) / 2 == pytest.approx(difference.mean(), abs=0.1 * half)


def test_a_tail_ratio_from_fewer_requests_matches_the_full_bootstrap() -> None:
    rng = np.random.default_rng(9)
    n = 80_000
    base = rng.lognormal(6.0, 0.4, n)
    cand = rng.lognormal(6.1, 0.4, n)
    full = stats_paired.paired_bootstrap(base, cand, stats.p95_latency_ratio, n_resamples=400, seed=2)
    (fewer,) = stats.paired_bootstraps([(base, cand, stats.p95_latency_ratio)], n_resamples=400, seed=2,
                                       max_resampled=10_000)
    assert fewer.estimate == full.estimate
    assert fewer.ci[1] - fewer.ci[0] == pytest.approx(full.ci[1] - full.ci[0], rel=0.2)
    assert fewer.ci[0] < full.estimate < fewer.ci[1]
    (same,) = stats.paired_bootstraps([(base, cand, stats.p95_latency_ratio)], n_resamples=400, seed=2,
                                      max_resampled=n)
    assert same == full  # at or under the limit: every request, the draws of paired_bootstrap
