"""CostComparator: tokens, dollars and latency side by side, informational, with the ratio when both are known."""

from __future__ import annotations

from modelswap.compare.checks.cost import CostComparator
from modelswap.compare.model import Outcome
from modelswap.types import ChatRequest

REQUEST = ChatRequest(id="t1", messages=({"role": "user", "content": "Summarise this."},))


def test_all_three_checks_with_ratios() -> None:
    baseline = Outcome(output="a", completion_tokens=100, cost_usd=0.002, latency_ms=800.0)
    other = Outcome(output="b", completion_tokens=150, cost_usd=0.0005, latency_ms=400.0)
    findings = CostComparator().compare(REQUEST, baseline, other)
    assert [(f.check, f.status, f.severity, f.baseline, f.candidate, f.details) for f in findings] == [
        ("tokens", "same", "info", 100, 150, {"ratio": 1.5}),
        ("cost_usd", "same", "info", 0.002, 0.0005, {"ratio": 0.25}),
        ("latency_ms", "same", "info", 800.0, 400.0, {"ratio": 0.5}),
    ]
    assert findings[0].reason == "completion tokens: 100 → 150 (×1.50)"


def test_missing_values_are_none_and_checks_with_no_value_are_left_out() -> None:
    baseline = Outcome(output="a", completion_tokens=None, latency_ms=120.0)
    other = Outcome(output=None, error="timeout: 30 s", completion_tokens=None, latency_ms=30000.0, cost_usd=0.001)
    findings = CostComparator().compare(REQUEST, baseline, other)
    assert [(f.check, f.baseline, f.candidate, f.details) for f in findings] == [
        ("cost_usd", None, 0.001, {}),
        ("latency_ms", 120.0, 30000.0, {"ratio": 250.0}),
    ]
    assert findings[0].reason == "cost (USD): None → 0.001"
    assert all(f.status == "same" and f.severity == "info" for f in findings)


def test_no_ratio_against_a_zero_baseline() -> None:
    [tokens] = CostComparator().compare(REQUEST, Outcome(output="", completion_tokens=0), Outcome(output="x",
                                                                                                completion_tokens=3))
    assert (tokens.baseline, tokens.candidate, tokens.details, tokens.reason) == (0, 3, {}, "completion tokens: 0 → 3")


def test_nothing_reported_nothing_found() -> None:
    assert CostComparator().compare(REQUEST, Outcome(output="a"), Outcome(output="b")) == []
