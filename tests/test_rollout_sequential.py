"""The confidence sequence: exact radii from a hand computation, the decisions, and by simulation its
false-alarm rate when peeked at every 20 observations (against a naive z-test that fails) and its power.

Every simulation has 2,000 replications with a fixed seed. A false-alarm fraction passes when its
count is at most the 99.9% quantile of Binomial(2000, alpha): if the true rate were exactly alpha,
a larger count would happen with probability below 0.001 (the bound is 131 of 2,000, 6.55%, at
alpha = 0.05).
"""

from __future__ import annotations

import math
import statistics
from typing import Any

import numpy as np
import pytest
from scipy import stats

from modelswap.rollout.sequential import (
    SequentialResult,
    Tally,
    compare_means,
    compare_rates,
    decide,
    mean_bounds,
    radius,
    rate_bounds,
    tuning,
)

ALPHA, REPLICATIONS, PER_ARM, STEP = 0.05, 2000, 5000, 20
LOOKS = np.arange(STEP, PER_ARM + 1, STEP)  # 250 looks per replication
FALSE_ALARM_BOUND = int(stats.binom.ppf(0.999, REPLICATIONS, ALPHA))
IntArray = np.ndarray[Any, np.dtype[np.int64]]
BoolArray = np.ndarray[Any, np.dtype[np.bool_]]


def test_the_false_alarm_bound_is_the_binomial_quantile() -> None:
    assert FALSE_ALARM_BOUND == 131


def test_radius_equals_a_hand_computation() -> None:
    # n rho^2 = 1: sqrt(2 * 2 / (1e8 * 1e-4) * ln(sqrt(2) / 0.05)) = sqrt(4e-4 * 3.3423058...)
    assert float(radius(10_000, 1.0, alpha=0.05, rho=0.01)) == pytest.approx(0.03656394871363848, rel=1e-12)
    # n rho^2 = 1: 2 * sqrt(2 * 2 / (1e4 * 0.01) * ln(sqrt(2) / 0.1))
    assert float(radius(100, 2.0, alpha=0.1, rho=0.1)) == pytest.approx(0.6510494522874917, rel=1e-12)
    # n rho^2 = 12: 0.5 * sqrt(2 * 13 / (9e4 * 0.04) * ln(sqrt(13) / 0.05))
    assert float(radius(300, 0.5, alpha=0.05, rho=0.2)) == pytest.approx(0.08788936414899216, rel=1e-12)
    # sqrt((-2 ln 0.05 + ln(-2 ln 0.05 + 1)) / 10000)
    assert tuning(alpha=0.05, planned_n=10_000) == pytest.approx(0.02817118137696317, rel=1e-12)


def test_radius_is_vectorised_and_infinite_without_observations() -> None:
    widths = radius([0, 10_000, 10_000], [1.0, 1.0, 2.0], alpha=0.05, rho=0.01)
    assert widths[0] == math.inf
    assert widths[1:] == pytest.approx([0.03656394871363848, 2 * 0.03656394871363848], rel=1e-12)


def test_the_tuning_makes_the_sequence_tightest_near_the_planned_n() -> None:
    rho = tuning(alpha=0.05, planned_n=10_000)
    multiplier = float(radius(10_000, math.sqrt(10_000), alpha=0.05, rho=rho))  # in standard errors
    assert multiplier == pytest.approx(3.0352, abs=1e-4)
    assert multiplier < float(radius(10_000, 100.0, alpha=0.05, rho=rho * 1.5))
    assert multiplier < float(radius(10_000, 100.0, alpha=0.05, rho=rho / 1.5))
    assert float(radius(40, math.sqrt(40), alpha=0.05, rho=rho)) == pytest.approx(13.991, abs=1e-3)


def test_compare_rates_equals_a_hand_computation() -> None:
    # variance from (k + 1) / (n + 2): 51/1002 and 81/1002; n = 2000 = planned_n; computed with bc
    result = compare_rates(50, 1000, 80, 1000, alpha=0.05, margin=0.0, planned_n=2000)
    assert result.estimate == pytest.approx(0.03, abs=1e-15)
    assert result.lower == pytest.approx(-0.00360883300839926818, rel=1e-10)
    assert result.upper == pytest.approx(0.06360883300839926818, rel=1e-10)
    assert (result.n_primary, result.n_candidate, result.decision) == (1000, 1000, "continue")


def test_compare_means_uses_each_arms_sample_variance() -> None:
    primary, candidate = [1.0, 2.0, 4.0, 7.0, 3.0], [2.5, 6.0, 1.0, 9.0, 4.5, 8.0]
    result = compare_means(Tally.of(primary), Tally.of(candidate), alpha=0.1, margin=1.0, planned_n=50)
    se_sq = statistics.variance(primary) / 5 + statistics.variance(candidate) / 6
    half = float(radius(11, math.sqrt(se_sq * 11), alpha=0.1, rho=tuning(alpha=0.1, planned_n=50)))
    estimate = statistics.mean(candidate) - statistics.mean(primary)
    assert (result.estimate, result.lower, result.upper) == pytest.approx((estimate, estimate - half, estimate + half))
    assert result.decision == "continue"


def test_the_decision_is_oriented_higher_is_worse() -> None:
    assert compare_rates(50, 5000, 500, 5000, alpha=0.05, margin=0.02, planned_n=10_000).decision == "worse"
    assert compare_rates(250, 5000, 240, 5000, alpha=0.05, margin=0.02, planned_n=10_000).decision == "not_worse"
    assert compare_rates(250, 5000, 300, 5000, alpha=0.05, margin=0.02, planned_n=10_000).decision == "continue"
    assert [decide(0.1, 0.2, 0.05), decide(-0.2, 0.01, 0.05), decide(0.0, 0.1, 0.05)] == [
        "worse", "not_worse", "continue"]
    assert decide(0.05, 0.1, 0.05) == "continue"  # a bound on the margin decides nothing


def test_without_data_the_bounds_are_infinite_and_the_decision_waits() -> None:
    empty = compare_rates(0, 0, 3, 10, alpha=0.05, margin=0.0, planned_n=1000)
    assert (math.isnan(empty.estimate), empty.lower, empty.upper, empty.decision) == (
        True, -math.inf, math.inf, "continue")
    assert empty.to_json() == {"estimate": None, "lower": None, "upper": None, "margin": 0.0, "n_primary": 0,
                               "n_candidate": 10, "decision": "continue"}
    single = compare_means(Tally.of([1.0]), Tally.of([1.0, 2.0]), alpha=0.05, margin=0.0, planned_n=1000)
    assert (single.lower, single.upper, single.decision) == (-math.inf, math.inf, "continue")


def test_no_events_in_either_arm_does_not_read_as_certain() -> None:
    # without the smoothing the variance would be 0 and 0/20 vs 0/20 would be "not_worse" at margin 0.02
    assert compare_rates(0, 20, 0, 20, alpha=0.05, margin=0.02, planned_n=10_000).decision == "continue"


def test_a_tally_accumulates_and_merges() -> None:
    values = [0.5, 1.5, 2.0, 4.0, 8.5]
    running = Tally()
    for value in values:
        running = running.add(value)
    assert running == Tally.of(values) == Tally.of(values[:2]) + Tally.of(values[2:])
    assert running == Tally(n=5, sum=16.5, sum_sq=0.25 + 2.25 + 4.0 + 16.0 + 72.25)
    assert running.mean == statistics.mean(values)
    assert running.variance == pytest.approx(statistics.variance(values), rel=1e-12)
    assert math.isnan(Tally().mean) and math.isnan(Tally.of([1.0]).variance)


@pytest.mark.parametrize(("call", "message"), [
    (lambda: compare_rates(5, 4, 0, 4, alpha=0.05, margin=0.0, planned_n=100), "primary successes=5, n=4"),
    (lambda: compare_rates(0, 4, 0, 4, alpha=1.0, margin=0.0, planned_n=100), "alpha=1.0"),
    (lambda: compare_rates(0, 4, 0, 4, alpha=0.05, margin=0.0, planned_n=0), "planned_n=0"),
    (lambda: compare_rates(0, 4, 0, 4, alpha=0.05, margin=math.nan, planned_n=10), "margin=nan"),
    (lambda: radius(10, 1.0, alpha=0.05, rho=0.0), "rho=0.0"),
])
def test_bad_arguments_are_refused(call: Any, message: str) -> None:
    with pytest.raises(ValueError, match=message):
        call()


# The simulations: counts per look drawn as Binomial(20 * share, p), which is exactly the distribution of
# the running count of 20 * share Bernoulli(p) outcomes; 250 looks from 20 to 5,000 candidate observations.


def rate_paths(seed: int, p_primary: float, p_candidate: float, *, primary_share: int = 1
               ) -> tuple[IntArray, IntArray]:
    rng = np.random.default_rng(seed)
    primary = np.cumsum(rng.binomial(STEP * primary_share, p_primary, (REPLICATIONS, LOOKS.size)), axis=1)
    candidate = np.cumsum(rng.binomial(STEP, p_candidate, (REPLICATIONS, LOOKS.size)), axis=1)
    return primary, candidate


def ever_worse_rates(seed: int, p_primary: float, p_candidate: float, *, primary_share: int = 1,
                     margin: float = 0.0) -> BoolArray:
    """Per replication: was "worse" ever declared at one of the 250 looks?"""
    primary, candidate = rate_paths(seed, p_primary, p_candidate, primary_share=primary_share)
    _, lower, _ = rate_bounds(primary, LOOKS * primary_share, candidate, LOOKS, alpha=ALPHA,
                              planned_n=PER_ARM * (1 + primary_share))
    worse: BoolArray = np.asarray((lower > margin).any(axis=1))
    return worse


@pytest.mark.parametrize(("p", "primary_share"), [(0.05, 1), (0.3, 1), (0.01, 1), (0.05, 19), (0.3, 19)])
def test_equal_rates_are_rarely_ever_declared_worse(p: float, primary_share: int) -> None:
    """A/A, balanced and as a 5% canary (19 primary observations for each candidate one).

    Measured (numpy 2.4): 8 to 17 of 2,000 (0.4% to 0.85%), against alpha = 5%; counts depend on numpy's
    generators, so only the bound is asserted.
    """
    assert ever_worse_rates(1000 + primary_share, p, p, primary_share=primary_share).sum() <= FALSE_ALARM_BOUND


def test_a_naive_z_test_peeked_at_the_same_looks_exceeds_alpha() -> None:
    primary, candidate = rate_paths(1001, 0.05, 0.05)
    rate_p, rate_c = primary / LOOKS, candidate / LOOKS
    with np.errstate(divide="ignore", invalid="ignore"):
        z = (rate_c - rate_p) / np.sqrt(rate_p * (1 - rate_p) / LOOKS + rate_c * (1 - rate_c) / LOOKS)
    critical = stats.norm.ppf(1 - ALPHA / 2)
    at_the_end = int((z[:, -1] > critical).sum())  # one look: about alpha / 2, as designed
    ever = int((z > critical).any(axis=1).sum())
    assert at_the_end <= FALSE_ALARM_BOUND
    assert ever > stats.binom.isf(0.001, REPLICATIONS, ALPHA)  # significantly above alpha
    assert ever > 3 * at_the_end  # measured: 54 (2.7%) at the last look alone, 452 (22.6%) peeked at 250


def test_equal_normal_means_are_rarely_ever_declared_worse() -> None:
    rng = np.random.default_rng(2026)
    worse = 0
    for _ in range(4):  # 4 x 500 replications keeps the memory near 100 MB
        primary, candidate = rng.standard_normal((500, PER_ARM)), rng.standard_normal((500, PER_ARM))
        running = {name: np.cumsum(values, axis=1)[:, STEP - 1::STEP] for name, values in (
            ("primary_sum", primary), ("primary_sum_sq", primary**2),
            ("candidate_sum", candidate), ("candidate_sum_sq", candidate**2))}
        _, lower, _ = mean_bounds(primary_n=LOOKS, candidate_n=LOOKS, alpha=ALPHA, planned_n=2 * PER_ARM,
                                  **running)
        worse += int((lower > 0).any(axis=1).sum())
    assert worse <= FALSE_ALARM_BOUND  # measured: 16 of 2,000 (0.8%)


def test_a_candidate_at_the_margin_is_rarely_ever_declared_not_worse() -> None:
    primary, candidate = rate_paths(77, 0.05, 0.07)
    _, _, upper = rate_bounds(primary, LOOKS, candidate, LOOKS, alpha=ALPHA, planned_n=2 * PER_ARM)
    not_worse = int((upper < 0.02).any(axis=1).sum())
    assert not_worse <= FALSE_ALARM_BOUND  # measured: 15 of 2,000 (0.75%)


def test_a_doubled_error_rate_is_declared_worse_within_5000_per_arm() -> None:
    primary, candidate = rate_paths(7, 0.05, 0.10)
    _, lower, _ = rate_bounds(primary, LOOKS, candidate, LOOKS, alpha=ALPHA, planned_n=2 * PER_ARM)
    worse = lower > 0
    declared = worse.any(axis=1)
    assert declared.mean() >= 0.9
    first = LOOKS[worse.argmax(axis=1)][declared]
    assert np.median(first) <= 1000  # measured: all 2,000 declared; median 680 per arm, 90% by 1,102


def test_compare_rates_agrees_with_the_vectorised_bounds() -> None:
    primary, candidate = rate_paths(3, 0.05, 0.08)
    estimate, lower, upper = rate_bounds(primary, LOOKS, candidate, LOOKS, alpha=ALPHA, planned_n=2 * PER_ARM)
    for replication, look in ((0, 10), (1, 100), (2, 249)):
        n = int(LOOKS[look])
        result = compare_rates(int(primary[replication, look]), n, int(candidate[replication, look]), n,
                               alpha=ALPHA, margin=0.0, planned_n=2 * PER_ARM)
        assert result == SequentialResult(
            estimate=float(estimate[replication, look]), lower=float(lower[replication, look]),
            upper=float(upper[replication, look]), margin=0.0, n_primary=n, n_candidate=n,
            decision=decide(float(lower[replication, look]), float(upper[replication, look]), 0.0))
