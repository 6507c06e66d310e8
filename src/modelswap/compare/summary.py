"""The summary: rates and differences with confidence intervals, overall and per category.

What it is: ``summarize``, a pure function from triaged trials to a ``Summary``: verdict rates
(Wilson intervals; the replica's rates as the noise floor), every check whose two sides are
booleans or numbers as a paired metric (McNemar exact and Newcombe's interval for rates, a paired
bootstrap for means), latency and cost per task (Mann-Whitney and paired-bootstrap ratios), per
category regression rates ranked, with a paired test against the replica and Holm's correction
(and, for the turns of conversations replayed by ``record --handoff``, the same rows per turn number),
and per-class precision and recall where gold labels exist. The request is the unit: every
figure has one value per request. ``summarize_columns`` computes it all from the compact
columns a streamed comparison fills (``modelswap.compare.summary_columns``); ``summarize``
fills them from triaged trials first, so both paths give the same figures to the last digit.
What it is not: the decision (``gate``) or rendering.
"""

from __future__ import annotations

import functools
import os
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any, Literal

import numpy as np

from modelswap.compare import stats
from modelswap.compare.checks.correctness import per_class_metrics
from modelswap.compare.noise import NoiseFloor
from modelswap.compare.summary_columns import CODES, Pairs, SummaryColumns
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
    turns: dict[str, CategorySummary] = field(default_factory=dict)
    """Per turn number (``"1"``, ``"2"``, ...), in turn order, rows like a category's; empty when no trial is a
    turn of a conversation (``record --handoff``)."""

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> Summary:
        """A summary back from a report's ``summary`` (so a saved report can be gated again)."""
        return cls(trials=int(data["trials"]), verdicts=dict(data["verdicts"]),
                   metrics={n: Metric.from_json(n, m) for n, m in data["metrics"].items()},
                   categories={n: CategorySummary.from_json(n, c) for n, c in data["categories"].items()},
                   noise_known=data.get("noise_floor") == "measured", replica_trials=int(data.get("replica_trials", 0)),
                   discordant=_pair(data.get("discordant")),
                   labels=dict(data.get("labels") or {}),
                   turns={n: CategorySummary.from_json(n, t) for n, t in (data.get("turns") or {}).items()})

    def to_json(self) -> dict[str, Any]:
        data = {"trials": self.trials, "verdicts": self.verdicts,
                "metrics": {name: m.to_json() for name, m in self.metrics.items()},
                "categories": {name: c.to_json() for name, c in self.categories.items()},
                "noise_floor": "measured" if self.noise_known else "unknown (no replica)",
                "replica_trials": self.replica_trials, "labels": self.labels,
                "discordant": list(self.discordant) if self.discordant else None}
        if self.turns:
            data["turns"] = {number: t.to_json() for number, t in self.turns.items()}
        return data


def summarize(triaged: Sequence[Triaged], noise: NoiseFloor, *, seed: int = 0) -> Summary:
    """The summary of a comparison; deterministic for a given ``seed`` (bootstrap resampling)."""
    columns = SummaryColumns()
    for t in triaged:
        columns.add_trial(t.compared)
        columns.add_verdicts(t.verdict, t.replica_verdict, t.paired)
    return summarize_columns(columns, noise_known=noise.known, seed=seed)


def summarize_columns(columns: SummaryColumns, *, noise_known: bool, seed: int = 0) -> Summary:
    """The summary of the trials in ``columns`` (verdicts included)."""
    metrics: dict[str, Metric] = {}
    for verdict in VERDICTS:
        metrics[f"{verdict}_rate"] = _verdict_rate(columns, verdict)
    pending = [*_check_metrics(columns), *_cost_metrics(columns)]
    jobs = [bootstrap for _, bootstrap, _ in pending if bootstrap is not None]
    # every bootstrap at once (one draw and one gather per pair of arrays), on every core: the same intervals
    intervals = iter(stats.paired_bootstraps(jobs, seed=seed, threads=os.cpu_count() or 1))
    for name, bootstrap, make in pending:
        metrics[name] = make(next(intervals) if bootstrap is not None else None)
    verdicts = columns.codes("verdict")
    return Summary(trials=columns.trials, verdicts=_counts(verdicts), metrics=metrics,
                   categories=_categories(columns), noise_known=noise_known,
                   replica_trials=int(np.count_nonzero(columns.codes("replica_verdict") >= 0)),
                   labels=_labels(columns), discordant=_discordant(columns), turns=_turns(columns))


Pending = tuple[str, tuple[stats.FloatArray, stats.FloatArray, stats.Statistic] | None,
                Callable[[stats.Bootstrap | None], Metric]]
"""A metric waiting for its bootstrap: its name, what to bootstrap (None: nothing), and how to make it."""


def _pair(value: Any) -> tuple[int, int] | None:
    return (int(value[0]), int(value[1])) if value else None


def _discordant(columns: SummaryColumns) -> tuple[int, int] | None:
    candidate, replica = columns.codes("paired_candidate"), columns.codes("paired_replica")
    has = replica >= 0
    if not has.any():
        return None
    regression = CODES["regression"]
    c, r = candidate[has] == regression, replica[has] == regression
    return int(np.count_nonzero(c & ~r)), int(np.count_nonzero(r & ~c))


def _counts(codes: np.ndarray[tuple[int], np.dtype[np.int8]]) -> dict[str, int]:
    return {verdict: int(np.count_nonzero(codes == CODES[verdict])) for verdict in VERDICTS}


def _verdict_rate(columns: SummaryColumns, verdict: str) -> Metric:
    """A verdict's rate; with a replica, judged as the excess over the replica's own rate of that verdict.

    The replica is triaged by the same rule as the candidate (``triage``), so its rate is what the
    primary scores against itself: an A/A comparison has an excess near zero whatever the
    primary's noise. Paired (Newcombe) when every trial has a replica, else the two rates as
    independent samples; without a replica the estimate is the candidate's rate (Wilson).
    """
    code = CODES[verdict]  # type: ignore[index]
    verdicts, replicas = columns.codes("verdict"), columns.codes("replica_verdict")
    n = len(verdicts)
    k = int(np.count_nonzero(verdicts == code))
    rate = k / n if n else 0.0
    has = replicas >= 0
    m = int(np.count_nonzero(has))
    if not m:
        return Metric(name=f"{verdict}_rate", kind="verdict_rate", n=n, baseline=None, candidate=rate, delta=None,
                      estimate=rate, ci95=stats.wilson(k, n))
    replica_k = int(np.count_nonzero(replicas[has] == code))
    noise = replica_k / m
    paired = stats.paired_binary(replicas[has] == code, verdicts[has] == code)
    ci95 = paired.ci95 if m == n else stats.two_proportions(replica_k, m, k, n).ci95
    return Metric(name=f"{verdict}_rate", kind="verdict_rate", n=n, baseline=noise, candidate=rate,
                  delta=rate - noise, estimate=rate - noise, ci95=ci95, noise=noise, p_value=paired.p_value)


def _check_metrics(columns: SummaryColumns) -> list[Pending]:
    """Every check whose baseline and candidate values are both booleans, or both numbers, on some trials."""
    out: list[Pending] = []
    for check, pairs in sorted(columns.checks.items()):
        noise_pairs = columns.replica_checks.get(check)
        noise = None
        if noise_pairs is not None and len(noise_pairs):
            noise_base, noise_cand = _side_means(noise_pairs)
            noise = noise_cand - noise_base
        if pairs.booleans:
            flags = pairs.flags()
            paired = stats.paired_binary(*flags)
            rate = Metric(name=check, kind="rate", n=paired.n, baseline=paired.baseline_rate,
                          candidate=paired.candidate_rate, delta=paired.delta, estimate=paired.delta,
                          ci95=paired.ci95, noise=noise, p_value=paired.p_value)
            out.append((check, None, functools.partial(_ready, rate)))
            continue
        b, c = pairs.arrays()

        def mean(boot: stats.Bootstrap | None, check: str = check, b: stats.FloatArray = b, c: stats.FloatArray = c,
                 noise: float | None = noise) -> Metric:
            assert boot is not None
            return Metric(name=check, kind="mean", n=len(b), baseline=float(b.mean()), candidate=float(c.mean()),
                          delta=boot.estimate, estimate=boot.estimate, ci95=boot.ci, noise=noise)

        out.append((check, (b, c, stats.mean_difference), mean))
    return out


def _ready(metric: Metric, _: stats.Bootstrap | None) -> Metric:
    return metric


def _side_means(pairs: Pairs) -> tuple[float, float]:
    """The mean of each side's values (booleans counted: the sum of 0.0s and 1.0s is the count, exactly)."""
    if pairs.booleans:
        base, cand = pairs.flags()
        return int(np.count_nonzero(base)) / len(base), int(np.count_nonzero(cand)) / len(cand)
    b, c = pairs.arrays()
    return _mean(b.tolist()), _mean(c.tolist())


def _mean(values: Sequence[float]) -> float:
    return float(sum(values) / len(values)) if values else 0.0


def _cost_metrics(columns: SummaryColumns) -> list[Pending]:
    out: list[Pending] = []
    for name, pairs in columns.costs.items():
        b, c = pairs.arrays()
        if len(b) < 2 or (name == "cost_usd" and not b.any()):
            continue
        _, p_value = stats.mann_whitney(b, c)
        if name == "latency_ms":
            for q in (50, 95):
                def ratio(boot: stats.Bootstrap | None, q: int = q, b: stats.FloatArray = b, c: stats.FloatArray = c,
                          p_value: float = p_value) -> Metric:
                    assert boot is not None
                    return Metric(name=f"latency_p{q}_ratio", kind="ratio", n=len(b),
                                  baseline=stats.quantile(b, q / 100), candidate=stats.quantile(c, q / 100),
                                  delta=stats.quantile(c, q / 100) - stats.quantile(b, q / 100),
                                  estimate=boot.estimate, ci95=boot.ci, p_value=p_value)

                out.append((f"latency_p{q}_ratio", (b, c, stats.quantile_ratio(q / 100)), ratio))
            continue
        label = "cost_per_task_ratio" if name == "cost_usd" else "tokens_per_task_ratio"

        def per_task(boot: stats.Bootstrap | None, label: str = label, b: stats.FloatArray = b,
                     c: stats.FloatArray = c, p_value: float = p_value) -> Metric:
            assert boot is not None
            return Metric(name=label, kind="ratio", n=len(b), baseline=float(b.mean()), candidate=float(c.mean()),
                          delta=float(c.mean() - b.mean()), estimate=boot.estimate, ci95=boot.ci, p_value=p_value)

        out.append((label, (b, c, stats.mean_ratio), per_task))
    return out


def _categories(columns: SummaryColumns) -> dict[str, CategorySummary]:
    """Every category's row, most at risk first (highest regression rate, then most trials, then name)."""
    rows = _slices(columns, columns.categories(), columns.category_codes.items())
    rows.sort(key=lambda r: (-r.regression_rate, -r.trials, r.name))
    return {r.name: r for r in rows}


def _turns(columns: SummaryColumns) -> dict[str, CategorySummary]:
    """Every turn number's row, in turn order (none when no trial is a turn)."""
    numbers = sorted(int(n) for n in np.unique(columns.turns()) if n > 0)
    return {r.name: r for r in _slices(columns, columns.turns(), [(str(n), n) for n in numbers])}


def _slices(columns: SummaryColumns, groups: np.ndarray[tuple[int], np.dtype[np.int32]],
            members: Iterable[tuple[str, int]]) -> list[CategorySummary]:
    """One row per (name, code) of ``members`` over the trials whose ``groups`` value is the code: verdict counts,
    the regression rate with its Wilson interval, the replica's rate, a paired test against it, Holm-adjusted
    across the rows."""
    verdicts, replicas = columns.codes("verdict"), columns.codes("replica_verdict")
    paired_candidate, paired_replica = columns.codes("paired_candidate"), columns.codes("paired_replica")
    regression = CODES["regression"]
    rows = []
    for name, code in members:
        mine = groups == code
        items = verdicts[mine]
        if not len(items):
            continue
        k = int(np.count_nonzero(items == regression))
        with_replica = replicas[mine] >= 0
        noise = p_value = None
        if with_replica.any():
            noise = int(np.count_nonzero(replicas[mine][with_replica] == regression)) / int(np.count_nonzero(
                with_replica))
            has_pair = paired_replica[mine] >= 0
            p_value = stats.paired_binary(paired_replica[mine][has_pair] == regression,
                                          paired_candidate[mine][has_pair] == regression).p_value
        rows.append(CategorySummary(name=name, trials=len(items), verdicts=_counts(items),
                                    regression_rate=k / len(items), ci95=stats.wilson(k, len(items)), noise=noise,
                                    p_value=p_value))
    tested = [r for r in rows if r.p_value is not None]
    adjusted = dict(zip([r.name for r in tested], stats.holm([r.p_value for r in tested if r.p_value is not None]),
                        strict=True))
    return [_with_adjusted(r, adjusted.get(r.name)) for r in rows]


def _with_adjusted(row: CategorySummary, p_adjusted: float | None) -> CategorySummary:
    return CategorySummary(name=row.name, trials=row.trials, verdicts=row.verdicts, regression_rate=row.regression_rate,
                           ci95=row.ci95, noise=row.noise, p_value=row.p_value, p_adjusted=p_adjusted)


def _labels(columns: SummaryColumns) -> dict[str, Any]:
    """Per-class precision and recall of both sides, where gold labels exist."""
    if not columns.labels["baseline"]:
        return {}
    return {side: per_class_metrics(list(counts.elements())) for side, counts in columns.labels.items()}
