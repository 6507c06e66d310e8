"""The churn metrics on hand-made rankings, with the values worked out by hand in each comment."""

from __future__ import annotations

import math

import numpy as np
import pytest
from scipy import stats as scipy_stats

from modelswap.embeddings.churn import (
    group_churn,
    groups_by,
    hit_at_k,
    kendall_tau,
    most_changed,
    ndcg_at_k,
    overlap_at_k,
    query_churn,
    rbo,
    recall_at_k,
    reciprocal_rank,
)


def test_overlap_at_k() -> None:
    assert overlap_at_k(["a", "b", "c"], ["c", "a", "x"], 3) == pytest.approx(2 / 3)
    assert overlap_at_k(["a", "b", "c"], ["c", "a", "x"], 1) == 0.0  # {a} against {c}
    assert overlap_at_k(["a", "b"], ["b", "a"], 10) == 1.0  # k beyond both lists: every document returned by both
    assert overlap_at_k(["a", "b"], ["a"], 10) == 0.5  # divided by the longer prefix
    assert overlap_at_k([], [], 5) == 1.0
    assert overlap_at_k(["a"], [], 5) == 0.0


def test_rankings_with_an_id_twice_and_bad_k_are_refused() -> None:
    with pytest.raises(ValueError, match=r"\['a'\] appear more than once"):
        overlap_at_k(["a", "b", "a"], ["a"], 3)
    with pytest.raises(ValueError, match="k=0"):
        overlap_at_k(["a"], ["a"], 0)
    with pytest.raises(ValueError, match="p=1"):
        rbo(["a"], ["a"], p=1)


def test_rbo_identical_and_disjoint() -> None:
    assert rbo(list("abcdef"), list("abcdef"), p=0.9) == pytest.approx(1.0)
    assert rbo(list("abc"), list("xyz"), p=0.9) == 0.0
    assert rbo([], [], p=0.9) == 1.0
    assert rbo(["a"], [], p=0.9) == 0.0


def test_rbo_swapped_top_two() -> None:
    # X_1 = 0, X_2..4 = d: (1-p)/p * (0.81 + 0.729 + 0.6561) + 1 * 0.9**4 = 0.2439 + 0.6561 = 0.9
    assert rbo(list("abcd"), list("bacd"), p=0.9) == pytest.approx(0.9, abs=1e-12)


def test_rbo_of_rankings_of_different_lengths() -> None:
    # S=[a], L=[a, b]: s=1, l=2, X_1=X_2=1. (1/9) * (0.9 + 0.405 + 0.405) + (0 + 1) * 0.81 = 0.19 + 0.81 = 1
    assert rbo(["a"], ["a", "b"], p=0.9) == pytest.approx(1.0)
    # S=[x], L=[a, x]: X_1=0, X_2=1, X_s=0. (1/9) * 0.405 + (1/2) * 0.81 = 0.045 + 0.405 = 0.45
    assert rbo(["x"], ["a", "x"], p=0.9) == pytest.approx(0.45)
    assert rbo(["a", "x"], ["x"], p=0.9) == pytest.approx(0.45)  # symmetric


def test_rbo_cut_at_k_and_its_p() -> None:
    assert rbo(list("abcz"), list("abcy"), p=0.5, k=3) == pytest.approx(1.0)
    # X_1=0, X_2=2 at p=0.5: (1) * (0 + 0.25) + 1 * 0.25 = 0.5
    assert rbo(["a", "b"], ["b", "a"], p=0.5) == pytest.approx(0.5)


def test_kendall_tau_on_shared_ids() -> None:
    assert kendall_tau(list("abc"), list("cba")) == -1.0
    assert kendall_tau(list("abc"), list("abc")) == 1.0
    # shared a, b, c; b's positions in a's order: [1, 0, 2]: one discordant pair of three
    assert kendall_tau(list("abcd"), list("bacz")) == pytest.approx(1 / 3)
    assert kendall_tau(list("ab"), list("ax")) is None  # one shared id: no pair to order
    assert kendall_tau([], []) is None
    assert kendall_tau(list("abcd"), list("dcba"), k=2) is None  # top 2 share nothing


def test_kendall_tau_equals_scipy_on_the_shared_ids() -> None:
    rng = np.random.default_rng(3)
    for _ in range(20):
        a = [str(x) for x in rng.permutation(12)[:8]]
        b = [str(x) for x in rng.permutation(12)[:8]]
        shared = [doc for doc in a if doc in b]
        if len(shared) < 2:
            continue
        expected = scipy_stats.kendalltau([a.index(d) for d in shared], [b.index(d) for d in shared]).statistic
        assert kendall_tau(a, b) == pytest.approx(expected)


def test_recall_hit_rr_ndcg() -> None:
    ranking = ["x", "a", "b"]
    relevant = {"a": 1.0, "b": 2.0, "c": 1.0}
    assert recall_at_k(ranking, relevant, 2) == pytest.approx(1 / 3)
    assert recall_at_k(ranking, relevant, 10) == pytest.approx(2 / 3)
    assert hit_at_k(ranking, relevant, 1) == 0.0
    assert hit_at_k(ranking, relevant, 2) == 1.0
    assert reciprocal_rank(ranking, relevant) == 0.5
    # DCG = 1/log2(3) + 2/log2(4); ideal grades [2, 1, 1]: 2 + 1/log2(3) + 1/log2(4)
    expected = (1 / math.log2(3) + 1.0) / (2 + 1 / math.log2(3) + 0.5)
    assert ndcg_at_k(ranking, relevant, 3) == pytest.approx(expected)


def test_quality_edge_cases() -> None:
    assert reciprocal_rank(["x", "y"], {"a": 1}) == 0.0
    assert reciprocal_rank([], {"a": 1}) == 0.0
    assert recall_at_k([], {"a": 1}, 5) == 0.0
    assert ndcg_at_k(["a"], {}, 5) is None  # no labels: undefined, left out of means
    assert recall_at_k(["a"], {"a": 0.0}, 5) is None  # grade 0 is not relevant
    assert reciprocal_rank(["a"], {}) is None
    assert ndcg_at_k(["b", "a"], {"a": 1, "b": 1}, 2) == pytest.approx(1.0)  # equal grades in any order


def test_query_churn_and_groups() -> None:
    rows = [
        query_churn(id="q1", text="one", old=list("abc"), new=list("abc"), noise=list("abc"), relevant={"a": 1},
                    lang="en", segment="s1", k=3),
        query_churn(id="q2", text="two", old=list("abc"), new=list("xyz"), noise=list("abd"), relevant={"a": 1},
                    lang="en", segment="s2", k=3),
        query_churn(id="q3", text="three", old=list("abc"), new=list("bac"), noise=list("abc"), lang="ja",
                    segment="s1", k=3),
    ]
    assert [row.beyond_noise for row in rows] == [False, True, False]  # q3 only reordered: RBO shows it
    assert rows[1].noise_overlap == pytest.approx(2 / 3)
    everything = group_churn("all", rows)
    assert everything.queries == 3 and everything.labelled == 2 and everything.changed == 1
    assert everything.overlap == pytest.approx((1 + 0 + 1) / 3)
    assert everything.noise_overlap == pytest.approx((1 + 2 / 3 + 1) / 3)
    assert everything.churn_beyond_noise == pytest.approx((1 + 2 / 3 + 1) / 3 - 2 / 3)
    assert everything.tau == pytest.approx((1.0 + 1 / 3) / 2)  # q2 shares nothing: left out
    assert rows[2].rbo == pytest.approx(0.9)  # X_1 = 0, X_2 = 2, X_3 = 3: (1/9)(0.81 + 0.729) + 0.729
    assert everything.old["rr"] == 1.0 and everything.new["rr"] == 0.5 and everything.new["hit1"] == 0.5
    by_lang = groups_by(rows, lambda row: row.lang)
    assert [(g.name, g.queries, g.labelled) for g in by_lang] == [("en", 2, 2), ("ja", 1, 0)]
    assert by_lang[1].old["rr"] is None
    assert [row.id for row in most_changed(rows, 2)] == ["q2", "q3"]


def test_query_churn_cuts_rankings_at_k() -> None:
    row = query_churn(id="q", text="t", old=list("abcdef"), new=list("abcxyz"), k=3)
    assert row.old == ("a", "b", "c") and row.overlap == 1.0 and row.noise_overlap is None
