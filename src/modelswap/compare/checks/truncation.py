"""Truncation: did an arm stop because it ran out of tokens.

What it is: ``TruncationComparator``, the check ``truncated`` on every trial (JSON or not)
whose two sides answered and reported a finish reason (a side without one cannot be judged,
so the check does not apply). A side is truncated when its finish reason is a length stop
(``length`` for OpenAI-compatible arms, ``max_tokens`` and ``max_output_tokens`` for others,
case-insensitive).

How far each was cut matters as much as whether: when both sides are cut off, the other side
is a ``regression`` when its text is under ``EARLIER_BELOW`` (60%) of the baseline's length (a
lower token limit carried over: a truncated baseline does not excuse an answer a fifth as
long). The finding's ``size`` is the share of the baseline's length the other side lacks, so the
noise floor matches a candidate cut off after 20 tokens only with a replica cut off as early.
Being complete where the baseline was cut off is an ``improvement`` only when the answer is at
least ``SHORTER_BELOW`` (half) the baseline's length: a shorter answer is not a better one
("Yes" to a question the baseline answered at length is ``changed``, for other checks to judge).

An empty answer that stopped by itself is not judged: it was neither complete nor cut off
(``degenerate.empty`` says what went wrong). Counting it as "not cut off" credited a candidate
that answered nothing with finishing, and in the noise floor's paired rows an empty candidate
beside a replica cut at the limit counted as evidence that the candidate truncates *less* than
the primary, which hid its real truncations on the category's other requests. An empty answer
with a length stop (a reasoning model that spent its budget before writing) is judged as usual.

What it is not: judging what the cut-off text lost (``structure`` sees broken JSON, ``shape`` a
short list), nor errors (a side without an answer is not compared here), nor text that stops
mid-sentence without a length stop (``degenerate.cutoff``).
"""

from __future__ import annotations

from modelswap.compare.checks.base import Comparator
from modelswap.compare.model import Finding, Outcome, Severity, Status
from modelswap.types import ChatRequest

LENGTH_STOPS = frozenset({"length", "max_tokens", "max_output_tokens"})
EARLIER_BELOW = 0.6
SHORTER_BELOW = 0.5


def is_truncated(outcome: Outcome) -> bool:
    """Whether the arm reported a length stop."""
    return (outcome.finish_reason or "").casefold() in LENGTH_STOPS


def length(outcome: Outcome) -> int:
    """The answer's length in characters, surrounding whitespace excluded."""
    return len(outcome.text.strip())


def lost_share(baseline: Outcome, other: Outcome) -> float:
    """The share of the baseline's length that ``other`` lacks (0 when ``other`` is as long or longer)."""
    base = length(baseline)
    return 0.0 if base == 0 else round(max(0.0, 1.0 - length(other) / base), 3)


class TruncationComparator(Comparator):
    """Whether the other side is cut off by its token limit where the baseline was not, or far earlier."""

    name = "truncation"
    version = 3

    def compare(self, request: ChatRequest, baseline: Outcome, other: Outcome) -> list[Finding]:
        if not (baseline.ok and other.ok) or baseline.finish_reason is None or other.finish_reason is None:
            return []
        base_cut, other_cut = is_truncated(baseline), is_truncated(other)
        if (length(baseline) == 0 and not base_cut) or (length(other) == 0 and not other_cut):
            return []  # an empty answer that stopped by itself is neither complete nor cut off
        lost = lost_share(baseline, other)
        details = {"baseline_finish_reason": baseline.finish_reason, "candidate_finish_reason": other.finish_reason,
                   "baseline_chars": length(baseline), "candidate_chars": length(other)}

        def finding(status: Status, severity: Severity, reason: str, size: float | None = None) -> Finding:
            return Finding(check="truncated", version=self.version, status=status, severity=severity,
                           baseline=base_cut, candidate=other_cut, reason=reason, size=size, details=details)

        if other_cut and not base_cut:
            return [finding("regression", "major", f"cut off by the token limit (finish reason "
                            f"{other.finish_reason!r}), the baseline was not ({lost:.0%} of its length missing)", lost)]
        if base_cut and not other_cut:
            if length(other) < SHORTER_BELOW * length(baseline):
                return [finding("changed", "info", f"complete where the baseline was cut off, but "
                                f"{length(other)} characters against its {length(baseline)}: shorter is not better")]
            return [finding("improvement", "major", "complete where the baseline was cut off "
                            f"(finish reason {baseline.finish_reason!r})")]
        if base_cut and length(other) < EARLIER_BELOW * length(baseline):
            return [finding("regression", "major", f"cut off far earlier than the baseline: {length(other)} characters "
                            f"against its {length(baseline)} ({lost:.0%} missing; a lower token limit?)", lost)]
        return [finding("same", "info", "both cut off by the token limit" if base_cut else "neither side was cut off")]
