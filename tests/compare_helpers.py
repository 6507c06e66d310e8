"""Builders for comparison tests: trials, findings and a scripted comparator."""

from __future__ import annotations

from collections.abc import Callable

from modelswap.compare.checks.base import Comparator
from modelswap.compare.model import Finding, Outcome, Status, Trial
from modelswap.types import ChatRequest


def trial(trial_id: str, baseline: str, candidate: str, replica: str | None = None, *, category: str = "c",
          expect: dict[str, object] | None = None) -> Trial:
    request = ChatRequest(id=trial_id, messages=({"role": "user", "content": "q"},), category=category,
                          expect=dict(expect or {}))
    return Trial(id=trial_id, request=request, baseline=Outcome(output=baseline), candidate=Outcome(output=candidate),
                 replica=None if replica is None else Outcome(output=replica))


def finding(check: str, status: Status, *, severity: str = "major", behaviour: str | None = None,
            baseline_behaviour: str | None = None) -> Finding:
    return Finding(check=check, version=1, status=status, severity=severity, behaviour=behaviour,  # type: ignore[arg-type]
                   baseline_behaviour=baseline_behaviour, reason=f"{check} {status}")


class Scripted(Comparator):
    """A comparator whose findings are a function of (baseline text, other text)."""

    name = "scripted"

    def __init__(self, rule: Callable[[str, str], list[Finding]]) -> None:
        self.rule = rule

    def compare(self, request: ChatRequest, baseline: Outcome, other: Outcome) -> list[Finding]:
        return self.rule(baseline.text, other.text)


def fence_rule(baseline: str, other: str) -> list[Finding]:
    """``json.fenced`` regression when the other side starts with a fence and the baseline does not."""
    b, o = baseline.startswith("```"), other.startswith("```")
    status: Status = "same" if b == o else ("regression" if o else "improvement")
    return [Finding(check="json.fenced", version=1, status=status, severity="major", baseline=b, candidate=o,
                    behaviour="format:fenced-json" if o else "format:bare-json",
                    baseline_behaviour="format:fenced-json" if b else "format:bare-json", reason="fence")]
