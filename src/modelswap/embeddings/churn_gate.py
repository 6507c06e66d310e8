"""The gate of an embedding swap: ``go``, ``no_go`` or ``inconclusive`` per language, segment and overall.

What it is: ``ChurnPolicy`` and ``gate_group``, a pure function of a group's per-query rows. The
rule, per group (all queries, each language, each segment):

With relevance labels on at least ``min_queries`` queries, each of ``metrics`` (default the
reciprocal rank and recall@k) is judged as a non-inferiority check on the paired per-query
difference new - old (``compare.stats.paired_bootstrap`` of the mean difference, 95%,
resampling queries; ``compare.stats.judge``): the limit is ``-(margin + noise)``, where noise is
how far the old model's own metric moves when only its index is rebuilt and its search settings
varied (|mean(noise run) - mean(old)|; 0 without a noise run). A check passes when the whole
interval is at or above the limit, fails when the whole interval is below it (the new model is
worse by more than the margin and the noise, significantly), and is inconclusive otherwise. Any
failed check is ``no_go``; else any inconclusive check is ``inconclusive``; else ``go``. The
one-sided exact sign test on the per-query differences (queries where new is worse against
queries where it is better, ties left out) is reported beside each check, as evidence, not as
the rule: it ignores how much a query moved.

Without labels, churn cannot say better or worse, only "moved": the group is ``go`` when the
churn beyond the noise floor (``GroupChurn.churn_beyond_noise``) is at most ``max_churn``
(nothing moved that the old model does not move on its own), else ``inconclusive``: a person
reads the most changed queries. Never ``no_go`` without labels. Fewer than ``min_queries``
queries is ``inconclusive``. The overall decision is the worst group's (``no_go`` over
``inconclusive`` over ``go``).

What it is not: the metrics (``churn``) or the policy file of chat comparisons (``compare.gate``).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Literal

from modelswap.compare.stats import judge, mean_difference, paired_bootstrap, sign_test_greater
from modelswap.embeddings.churn import QUALITY_FIGURES, GroupChurn, QueryChurn, mean

Decision = Literal["go", "no_go", "inconclusive"]
EXIT_CODES: dict[Decision, int] = {"go": 0, "no_go": 1, "inconclusive": 2}
_RANK: dict[Decision, int] = {"go": 0, "inconclusive": 1, "no_go": 2}


@dataclass(frozen=True, kw_only=True)
class ChurnPolicy:
    metrics: tuple[str, ...] = ("rr", "recall")
    margin: float = 0.02
    min_queries: int = 30
    max_churn: float = 0.05
    n_resamples: int = 2000
    seed: int = 0

    def __post_init__(self) -> None:
        unknown = sorted(set(self.metrics) - set(QUALITY_FIGURES))
        if unknown:
            raise ValueError(f"metrics={list(self.metrics)}: unknown {unknown}; "
                             f"expected some of {list(QUALITY_FIGURES)}")
        if self.margin < 0 or self.max_churn < 0 or self.min_queries < 1:
            raise ValueError(f"margin={self.margin}, max_churn={self.max_churn}, min_queries={self.min_queries}: "
                             "margin and max_churn must be >= 0, min_queries >= 1")


@dataclass(frozen=True, kw_only=True)
class GateCheck:
    metric: str
    old: float
    new: float
    delta: float
    ci95: tuple[float, float]
    noise: float
    limit: float
    worse: int  # queries where new < old
    better: int
    p_worse: float  # one-sided exact sign test: new worse than old
    judgement: Literal["pass", "fail", "inconclusive"]


@dataclass(frozen=True, kw_only=True)
class GroupGate:
    name: str
    decision: Decision
    reason: str
    checks: tuple[GateCheck, ...] = ()


def _check(metric: str, rows: Sequence[QueryChurn], policy: ChurnPolicy) -> GateCheck:
    labelled = [row for row in rows if getattr(row.old_quality, metric) is not None]
    old = [float(getattr(row.old_quality, metric)) for row in labelled]
    new = [float(getattr(row.new_quality, metric)) for row in labelled]
    noisy = [getattr(row.noise_quality, metric) for row in labelled if row.noise_quality is not None]
    noise = abs((mean(noisy) or 0.0) - (mean(old) or 0.0)) if len(noisy) == len(labelled) else 0.0
    boot = paired_bootstrap(old, new, mean_difference, n_resamples=policy.n_resamples, seed=policy.seed)
    limit = -(policy.margin + noise)
    worse = sum(n < o for o, n in zip(old, new, strict=True))
    better = sum(n > o for o, n in zip(old, new, strict=True))
    return GateCheck(metric=metric, old=sum(old) / len(old), new=sum(new) / len(new), delta=boot.estimate,
                     ci95=boot.ci, noise=noise, limit=limit, worse=worse, better=better,
                     p_worse=sign_test_greater(worse, better),
                     judgement=judge(boot.estimate, boot.ci, limit=limit, direction="min"))


def gate_group(group: GroupChurn, rows: Sequence[QueryChurn], policy: ChurnPolicy) -> GroupGate:
    """The decision of one group (``rows`` are its queries, ``group`` their means); see the module docstring."""
    if group.labelled >= policy.min_queries:
        checks = tuple(_check(metric, rows, policy) for metric in policy.metrics)
        judgements = {check.judgement for check in checks}
        decision: Decision = "no_go" if "fail" in judgements else ("inconclusive" if "inconclusive" in judgements
                                                                   else "go")
        said = "; ".join(f"{c.metric} {c.delta:+.3f} [{c.ci95[0]:+.3f}, {c.ci95[1]:+.3f}] vs limit {c.limit:+.3f}: "
                         f"{c.judgement}" for c in checks)
        return GroupGate(name=group.name, decision=decision, reason=said, checks=checks)
    if group.queries < policy.min_queries:
        return GroupGate(name=group.name, decision="inconclusive",
                         reason=f"{group.queries} queries, fewer than min_queries={policy.min_queries}")
    churn = group.churn_beyond_noise or 0.0
    if churn <= policy.max_churn:
        return GroupGate(name=group.name, decision="go",
                         reason=f"no labels; churn beyond noise {churn:.3f} <= max_churn {policy.max_churn}")
    return GroupGate(name=group.name, decision="inconclusive",
                     reason=f"no labels; churn beyond noise {churn:.3f} > max_churn {policy.max_churn}: "
                            "read the most changed queries")


def overall(decisions: Sequence[Decision]) -> Decision:
    """The worst decision: no_go over inconclusive over go (go when there is none)."""
    return max(decisions, key=lambda d: _RANK[d], default="go")
