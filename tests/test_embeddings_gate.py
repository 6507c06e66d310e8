"""The gate of an embedding swap, on rows whose per-query figures are known."""

from __future__ import annotations

import pytest

from modelswap.embeddings.churn import QueryChurn, group_churn, query_churn
from modelswap.embeddings.churn_gate import ChurnPolicy, gate_group, overall


def rows(new_first: list[bool], *, noise_first: list[bool] | None = None, labelled: bool = True) -> list[QueryChurn]:
    """One query per entry: the old ranking finds the relevant id "r" at rank 1; the new one at rank 1 when True,
    else at rank 2 (reciprocal rank 0.5, recall@10 unchanged)."""
    out = []
    for i, first in enumerate(new_first):
        noise = None if noise_first is None else (["r", "x"] if noise_first[i] else ["x", "r"])
        out.append(query_churn(id=f"q{i}", text="t", old=["r", "x"], new=["r", "x"] if first else ["x", "r"],
                               noise=noise, relevant={"r": 1.0} if labelled else None, k=10))
    return out


def decide(queries: list[QueryChurn], policy: ChurnPolicy | None = None) -> tuple[str, str]:
    gate = gate_group(group_churn("all", queries), queries, policy or ChurnPolicy())
    return gate.decision, gate.reason


def test_unchanged_rankings_are_go() -> None:
    decision, reason = decide(rows([True] * 40))
    assert decision == "go"
    assert "rr +0.000 [+0.000, +0.000] vs limit -0.020: pass" in reason


def test_a_drop_beyond_the_margin_is_no_go() -> None:
    queries = rows([True] * 20 + [False] * 20)  # MRR 1.0 -> 0.75
    gate = gate_group(group_churn("all", queries), queries, ChurnPolicy())
    assert gate.decision == "no_go"
    rr = gate.checks[0]
    assert (rr.metric, rr.old, rr.new, rr.delta, rr.worse, rr.better) == ("rr", 1.0, 0.75, -0.25, 20, 0)
    assert rr.judgement == "fail" and rr.p_worse == pytest.approx(0.5**20)
    assert gate.checks[1].metric == "recall" and gate.checks[1].judgement == "pass"  # still within the top 10


def test_a_small_drop_with_wide_interval_is_inconclusive() -> None:
    assert decide(rows([True] * 38 + [False] * 2))[0] == "inconclusive"  # -0.025, interval across -0.02


def test_the_noise_floor_widens_the_limit() -> None:
    half = [True] * 20 + [False] * 20
    assert decide(rows(half))[0] == "no_go"
    queries = rows(half, noise_first=[False] * 40)  # the old model's own rebuilt index drops more: MRR 0.5
    gate = gate_group(group_churn("all", queries), queries, ChurnPolicy())
    assert gate.checks[0].noise == 0.5 and gate.checks[0].limit == pytest.approx(-0.52)
    assert gate.decision == "go"


def test_too_few_queries_is_inconclusive() -> None:
    assert decide(rows([True] * 5)) == ("inconclusive", "5 queries, fewer than min_queries=30")


def test_without_labels_only_churn_beyond_noise_decides() -> None:
    assert decide(rows([True] * 40, labelled=False))[0] == "go"
    moved = rows([True] * 30 + [False] * 10, labelled=False)  # a reorder: overlap unchanged
    assert decide(moved)[0] == "go"
    disjoint = [query_churn(id=f"q{i}", text="t", old=["a", "b"], new=["c", "d"] if i < 10 else ["a", "b"], k=2)
                for i in range(40)]
    assert decide(disjoint) == ("inconclusive", "no labels; churn beyond noise 0.250 > max_churn 0.05: "
                                                "read the most changed queries")


def test_overall_is_the_worst_and_policy_is_checked() -> None:
    assert overall(["go", "inconclusive"]) == "inconclusive"
    assert overall(["go", "no_go", "inconclusive"]) == "no_go"
    assert overall([]) == "go"
    with pytest.raises(ValueError, match=r"unknown \['mrr'\]"):
        ChurnPolicy(metrics=("mrr",))
