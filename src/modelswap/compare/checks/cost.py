"""What a trial cost: completion tokens, dollars and latency, side by side.

What it is: ``CostComparator`` with checks ``tokens`` (completion tokens), ``cost_usd`` and
``latency_ms``. Values are the two sides' numbers (None where an arm did not report one);
``details.ratio`` is other/baseline when both are known and the baseline's is positive.
What it is not: a judgement. Every finding is ``same`` with severity ``info``: one slow or
verbose trial proves nothing, so the summary aggregates these values (medians, ratios,
intervals) and the gate judges the aggregate. A check is left out of a trial where
neither side has a value.
"""

from __future__ import annotations

from modelswap.compare.checks.base import Comparator
from modelswap.compare.model import Finding, Outcome
from modelswap.types import ChatRequest

Number = int | float


def _ratio(baseline: Number | None, other: Number | None) -> float | None:
    if baseline is None or other is None or baseline <= 0:
        return None
    return round(other / baseline, 4)


class CostComparator(Comparator):
    """Checks ``tokens``, ``cost_usd`` and ``latency_ms``: informational values for the summary."""

    name = "cost"
    version = 1

    def compare(self, request: ChatRequest, baseline: Outcome, other: Outcome) -> list[Finding]:
        measures: tuple[tuple[str, Number | None, Number | None, str], ...] = (
            ("tokens", baseline.completion_tokens, other.completion_tokens, "completion tokens"),
            ("cost_usd", baseline.cost_usd, other.cost_usd, "cost (USD)"),
            ("latency_ms", baseline.latency_ms, other.latency_ms, "latency (ms)"),
        )
        return [self._finding(check, base, mine, label) for check, base, mine, label in measures
                if base is not None or mine is not None]

    def _finding(self, check: str, baseline: Number | None, other: Number | None, label: str) -> Finding:
        ratio = _ratio(baseline, other)
        reason = f"{label}: {baseline} → {other}" + (f" (×{ratio:.2f})" if ratio is not None else "")
        return Finding(check=check, version=self.version, status="same", severity="info", baseline=baseline,
                       candidate=other, reason=reason, details={"ratio": ratio} if ratio is not None else {})
