"""The summary: rates and differences with confidence intervals, overall and per category.

What it is: ``summarize``, a pure function from triaged trials to a ``Summary``: verdict rates
(Wilson intervals; the replica's rates as the noise floor), every check whose two sides are
booleans or numbers as a paired metric (McNemar exact and Newcombe's interval for rates, a paired
bootstrap for means), latency and cost per task (Mann-Whitney and paired-bootstrap ratios), per
category regression rates ranked, with a paired test against the replica and Holm's correction,
and per-class precision and recall where gold labels exist. The request is the unit: every
figure has one value per request. What it is not: the decision (``gate``) or rendering.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any, Literal

import numpy as np

from modelswap.compare import stats
from modelswap.compare.checks.correctness import per_class_metrics
from modelswap.compare.model import Outcome
from modelswap.compare.noise import NoiseFloor
from modelswap.compare.triage import VERDICTS, Triaged

Kind = Literal["verdict_rate", "rate", "mean", "ratio", "quantile"]


@dataclass(frozen=True, kw_only=True, slots=True)
class Metric:
    """One figure: baseline and candidate values, their difference with a 95% interval, and the noise floor.

    ``estimate`` and ``ci95`` are what a gate judges: the candidate's rate for verdict rates, the
    difference (candidate - baseline) for rates and means, the ratio for ratios. ``noise`` is the
    same figure for the replica (None when there is no replica).
    """

    name: str
    kind: Kind
    n: int
    baseline: float | None
    candidate: float | None
    delta: float | None
    estimate: float | None
    ci95: tuple[float, float] | None
    noise: float | None = None
    p_value: float | None = None

    @classmethod
    def from_json(cls, name: str, data: dict[str, Any]) -> Metric:
        ci = data.get("ci95")
        return cls(name=name, kind=data.get("kind", "rate"), n=int(data.get("n", 0)), baseline=data.get("baseline"),
                   candidate=data.get("candidate"), delta=data.get("delta"), estimate=data.get("estimate"),
                   ci95=(float(ci[0]), float(ci[1])) if ci else None, noise=data.get("noise"),
                   p_value=data.get("p_value"))

    def to_json(self) -> dict[str, Any]:
        return {"baseline": self.baseline, "candidate": self.candidate, "delta": self.delta,
                "ci95": list(self.ci95) if self.ci95 else None, "noise": self.noise, "kind": self.kind, "n": self.n,
                "estimate": self.estimate, "p_value": self.p_value}


@dataclass(frozen=True, kw_only=True, slots=True)
class CategorySummary:
    """A category's verdict counts and regression rate, tested against the replica's."""

    name: str
    trials: int
    verdicts: dict[str, int]
    regression_rate: float
    ci95: tuple[float, float]
    noise: float | None = None
    p_value: float | None = None
    p_adjusted: float | None = None

    @property
    def significant(self) -> bool:
        """The candidate regresses here significantly more than the primary disagrees with itself (Holm, 5%)."""
        return self.p_adjusted is not None and self.p_adjusted < 0.05 and self.regression_rate > (self.noise or 0)

    @classmethod
    def from_json(cls, name: str, data: dict[str, Any]) -> CategorySummary:
        lo, hi = data["ci95"]
        return cls(name=name, trials=int(data["trials"]), verdicts=dict(data["verdicts"]),
                   regression_rate=float(data["regression_rate"]), ci95=(float(lo), float(hi)), noise=data.get("noise"),
                   p_value=data.get("p_value"), p_adjusted=data.get("p_adjusted"))

    def to_json(self) -> dict[str, Any]:
        return {"trials": self.trials, "verdicts": self.verdicts, "regression_rate": self.regression_rate,
                "ci95": list(self.ci95), "noise": self.noise, "p_value": self.p_value,
                "p_adjusted": self.p_adjusted, "significant": self.significant}


@dataclass(frozen=True, kw_only=True, slots=True)
class Summary:
    """Everything a gate needs, and everything a report shows besides the trials."""

    trials: int
    verdicts: dict[str, int]
    metrics: dict[str, Metric]
    categories: dict[str, CategorySummary]
    noise_known: bool
    replica_trials: int = 0
    labels: dict[str, Any] = field(default_factory=dict)
    discordant: tuple[int, int] | None = None
    """Requests where only the candidate is a regression, and only the replica, by the request-level test."""

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> Summary:
        """A summary back from a report's ``summary`` (so a saved report can be gated again)."""
        return cls(trials=int(data["trials"]), verdicts=dict(data["verdicts"]),
                   metrics={n: Metric.from_json(n, m) for n, m in data["metrics"].items()},
                   categories={n: CategorySummary.from_json(n, c) for n, c in data["categories"].items()},
                   noise_known=data.get("noise_floor") == "measured", replica_trials=int(data.get("replica_trials", 0)),
                   discordant=_pair(data.get("discordant")),
                   labels=dict(data.get("labels") or {}))

    def to_json(self) -> dict[str, Any]:
        return {"trials": self.trials, "verdicts": self.verdicts,
                "metrics": {name: m.to_json() for name, m in self.metrics.items()},
                "categories": {name: c.to_json() for name, c in self.categories.items()},
                "noise_floor": "measured" if self.noise_known else "unknown (no replica)",
                "replica_trials": self.replica_trials, "labels": self.labels,
                "discordant": list(self.discordant) if self.discordant else None}


def summarize(triaged: Sequence[Triaged], noise: NoiseFloor, *, seed: int = 0) -> Summary:
    """The summary of a comparison; deterministic for a given ``seed`` (bootstrap resampling)."""
    metrics: dict[str, Metric] = {}
    for verdict in VERDICTS:
        metrics[f"{verdict}_rate"] = _verdict_rate(triaged, verdict)
    metrics.update(_check_metrics(triaged, seed=seed))
    metrics.update(_cost_metrics(triaged, seed=seed))
    return Summary(trials=len(triaged), verdicts=_counts(t.verdict for t in triaged), metrics=metrics,
                   categories=_categories(triaged), noise_known=noise.known,
                   replica_trials=sum(t.replica_verdict is not None for t in triaged), labels=_labels(triaged),
                   discordant=_discordant(triaged))


def _pair(value: Any) -> tuple[int, int] | None:
    return (int(value[0]), int(value[1])) if value else None


def _discordant(triaged: Sequence[Triaged]) -> tuple[int, int] | None:
    pairs = [t.paired for t in triaged if t.paired is not None]
    if not pairs:
        return None
    return (sum(c == "regression" and r != "regression" for c, r in pairs),
            sum(r == "regression" and c != "regression" for c, r in pairs))


def _counts(verdicts: Any) -> dict[str, int]:
    counts: dict[str, int] = dict.fromkeys(VERDICTS, 0)
    for verdict in verdicts:
        counts[verdict] += 1
    return counts


def _verdict_rate(triaged: Sequence[Triaged], verdict: str) -> Metric:
    """A verdict's rate; with a replica, judged as the excess over the replica's own rate of that verdict.

    The replica is triaged by the same rule as the candidate (``triage``), so its rate is what the
    primary scores against itself: an A/A comparison has an excess near zero whatever the
    primary's noise. Paired (Newcombe) when every trial has a replica, else the two rates as
    independent samples; without a replica the estimate is the candidate's rate (Wilson).
    """
    n = len(triaged)
    k = sum(t.verdict == verdict for t in triaged)
    rate = k / n if n else 0.0
    with_replica = [t for t in triaged if t.replica_verdict is not None]
    if not with_replica:
        return Metric(name=f"{verdict}_rate", kind="verdict_rate", n=n, baseline=None, candidate=rate, delta=None,
                      estimate=rate, ci95=stats.wilson(k, n))
    replica_k = sum(t.replica_verdict == verdict for t in with_replica)
    noise = replica_k / len(with_replica)
    paired = stats.paired_binary([t.replica_verdict == verdict for t in with_replica],
                                 [t.verdict == verdict for t in with_replica])
    ci95 = paired.ci95 if len(with_replica) == n else stats.two_proportions(replica_k, len(with_replica), k, n).ci95
    return Metric(name=f"{verdict}_rate", kind="verdict_rate", n=n, baseline=noise, candidate=rate,
                  delta=rate - noise, estimate=rate - noise, ci95=ci95, noise=noise, p_value=paired.p_value)


def _check_metrics(triaged: Sequence[Triaged], *, seed: int) -> dict[str, Metric]:
    """Every check whose baseline and candidate values are both booleans, or both numbers, on some trials."""
    sides: dict[str, tuple[list[Any], list[Any]]] = defaultdict(lambda: ([], []))
    replica: dict[str, list[tuple[Any, Any]]] = defaultdict(list)
    for t in triaged:
        for finding in t.compared.findings:
            if _comparable(finding.baseline, finding.candidate):
                sides[finding.check][0].append(finding.baseline)
                sides[finding.check][1].append(finding.candidate)
        for finding in t.compared.noise:
            if _comparable(finding.baseline, finding.candidate):
                replica[finding.check].append((finding.baseline, finding.candidate))
    out = {}
    for check, (base, cand) in sorted(sides.items()):
        noise_pairs = replica.get(check, [])
        noise = _mean([float(c) for _, c in noise_pairs]) - _mean([float(b) for b, _ in noise_pairs]) \
            if noise_pairs else None
        if all(isinstance(v, bool) for v in (*base, *cand)):
            paired = stats.paired_binary(base, cand)
            out[check] = Metric(name=check, kind="rate", n=paired.n, baseline=paired.baseline_rate,
                                candidate=paired.candidate_rate, delta=paired.delta, estimate=paired.delta,
                                ci95=paired.ci95, noise=noise, p_value=paired.p_value)
        else:
            b, c = np.asarray(base, dtype=float), np.asarray(cand, dtype=float)
            delta, ci = stats.paired_bootstrap(b, c, stats.mean_difference, seed=seed)
            out[check] = Metric(name=check, kind="mean", n=len(b), baseline=float(b.mean()), candidate=float(c.mean()),
                                delta=delta, estimate=delta, ci95=ci, noise=noise)
    return out


def _comparable(baseline: Any, candidate: Any) -> bool:
    both_bool = isinstance(baseline, bool) and isinstance(candidate, bool)
    numbers = all(isinstance(v, (int, float)) and not isinstance(v, bool) for v in (baseline, candidate))
    return both_bool or numbers


def _mean(values: Sequence[float]) -> float:
    return float(sum(values) / len(values)) if values else 0.0


def _cost_metrics(triaged: Sequence[Triaged], *, seed: int) -> dict[str, Metric]:
    out: dict[str, Metric] = {}
    fields: dict[str, Callable[[Outcome], float | int | None]] = {
        "latency_ms": lambda o: o.latency_ms, "tokens": lambda o: o.completion_tokens, "cost_usd": lambda o: o.cost_usd}
    for name, get in fields.items():
        pairs = [(get(t.compared.trial.baseline), get(t.compared.trial.candidate)) for t in triaged]
        pairs = [(b, c) for b, c in pairs if b is not None and c is not None]
        if len(pairs) < 2 or (name == "cost_usd" and not any(b for b, _ in pairs)):
            continue
        b = np.asarray([p[0] for p in pairs], dtype=float)
        c = np.asarray([p[1] for p in pairs], dtype=float)
        _, p_value = stats.mann_whitney(b, c)
        if name == "latency_ms":
            for q in (50, 95):
                ratio, ci = stats.paired_bootstrap(b, c, stats.quantile_ratio(q / 100), seed=seed)
                out[f"latency_p{q}_ratio"] = Metric(
                    name=f"latency_p{q}_ratio", kind="ratio", n=len(b), baseline=stats.quantile(b, q / 100),
                    candidate=stats.quantile(c, q / 100), delta=stats.quantile(c, q / 100) - stats.quantile(b, q / 100),
                    estimate=ratio, ci95=ci, p_value=p_value)
            continue
        label = "cost_per_task_ratio" if name == "cost_usd" else "tokens_per_task_ratio"
        ratio, ci = stats.paired_bootstrap(b, c, stats.mean_ratio, seed=seed)
        out[label] = Metric(name=label, kind="ratio", n=len(b), baseline=float(b.mean()), candidate=float(c.mean()),
                            delta=float(c.mean() - b.mean()), estimate=ratio, ci95=ci, p_value=p_value)
    return out


def _categories(triaged: Sequence[Triaged]) -> dict[str, CategorySummary]:
    groups: dict[str, list[Triaged]] = defaultdict(list)
    for t in triaged:
        groups[t.compared.trial.category].append(t)
    rows = []
    for name, items in groups.items():
        k = sum(t.verdict == "regression" for t in items)
        with_replica = [t for t in items if t.replica_verdict is not None]
        noise = p_value = None
        if with_replica:
            noise = sum(t.replica_verdict == "regression" for t in with_replica) / len(with_replica)
            pairs = [t.paired for t in with_replica if t.paired is not None]
            p_value = stats.paired_binary([replica == "regression" for _, replica in pairs],
                                          [candidate == "regression" for candidate, _ in pairs]).p_value
        rows.append(CategorySummary(name=name, trials=len(items), verdicts=_counts(t.verdict for t in items),
                                    regression_rate=k / len(items), ci95=stats.wilson(k, len(items)), noise=noise,
                                    p_value=p_value))
    tested = [r for r in rows if r.p_value is not None]
    adjusted = dict(zip([r.name for r in tested], stats.holm([r.p_value for r in tested if r.p_value is not None]),
                        strict=True))
    rows = [_with_adjusted(r, adjusted.get(r.name)) for r in rows]
    rows.sort(key=lambda r: (-r.regression_rate, -r.trials, r.name))
    return {r.name: r for r in rows}


def _with_adjusted(row: CategorySummary, p_adjusted: float | None) -> CategorySummary:
    return CategorySummary(name=row.name, trials=row.trials, verdicts=row.verdicts, regression_rate=row.regression_rate,
                           ci95=row.ci95, noise=row.noise, p_value=row.p_value, p_adjusted=p_adjusted)


def _labels(triaged: Sequence[Triaged]) -> dict[str, Any]:
    """Per-class precision and recall of both sides, where gold labels exist."""
    base: list[tuple[str | None, str]] = []
    cand: list[tuple[str | None, str]] = []
    for t in triaged:
        for finding in t.compared.findings:
            if finding.check == "label.correct" and finding.details.get("gold") is not None:
                gold = str(finding.details["gold"])
                base.append((finding.details.get("baseline_label"), gold))
                cand.append((finding.details.get("candidate_label"), gold))
    if not base:
        return {}
    return {"baseline": per_class_metrics(base), "candidate": per_class_metrics(cand)}
