"""Truncation: did an arm stop because it ran out of tokens.

What it is: ``TruncationComparator``, the check ``truncated`` on every trial (JSON or not)
whose two sides answered and reported a finish reason (a side without one cannot be judged,
so the check does not apply). A side is truncated when its finish reason is a length stop
(``length`` for OpenAI-compatible arms, ``max_tokens`` and ``max_output_tokens`` for others,
case-insensitive). What it is not: judging what the cut-off text lost (``structure`` sees broken
JSON, ``shape`` a short list), nor errors (a side without an answer is not compared here).
"""

from __future__ import annotations

from modelswap.compare.checks.base import Comparator
from modelswap.compare.model import Finding, Outcome
from modelswap.types import ChatRequest

LENGTH_STOPS = frozenset({"length", "max_tokens", "max_output_tokens"})


def is_truncated(outcome: Outcome) -> bool:
    """Whether the arm reported a length stop."""
    return (outcome.finish_reason or "").casefold() in LENGTH_STOPS


class TruncationComparator(Comparator):
    """Whether the other side is cut off by its token limit where the baseline was not (or the reverse)."""

    name = "truncation"

    def compare(self, request: ChatRequest, baseline: Outcome, other: Outcome) -> list[Finding]:
        if not (baseline.ok and other.ok) or baseline.finish_reason is None or other.finish_reason is None:
            return []
        base_cut, other_cut = is_truncated(baseline), is_truncated(other)
        details = {"baseline_finish_reason": baseline.finish_reason, "candidate_finish_reason": other.finish_reason}
        if other_cut and not base_cut:
            return [Finding(check="truncated", version=self.version, status="regression", severity="major",
                            baseline=False, candidate=True, details=details,
                            reason=f"cut off by the token limit (finish reason {other.finish_reason!r}), "
                                   "the baseline was not")]
        if base_cut and not other_cut:
            return [Finding(check="truncated", version=self.version, status="improvement", severity="major",
                            baseline=True, candidate=False, details=details,
                            reason="complete where the baseline was cut off "
                                   f"(finish reason {baseline.finish_reason!r})")]
        return [Finding(check="truncated", version=self.version, status="same", severity="info", baseline=base_cut,
                        candidate=other_cut, details=details,
                        reason="both cut off by the token limit" if base_cut else "neither side was cut off")]
