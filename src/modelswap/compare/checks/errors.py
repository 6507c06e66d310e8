"""Did the arm answer at all? The ``error`` check.

What it is: ``ErrorComparator`` (check ``error``), values the two sides' error text (None
when the side answered). What it is not: retries or error classification; the arm already
turned its failures into data (``Outcome.error``, ``kind status: message``).

Status: the other side failed where the baseline answered → ``regression``, critical,
behaviour ``error:<kind>`` (``error:timeout``, ``error:http``; a failed baseline's kind is its
``baseline_behaviour``); the other answered where the baseline failed → ``improvement``;
both failed → ``same`` (nothing to compare, and no other check applies); both answered →
``same``. A side with neither output nor error counts as failed.
"""

from __future__ import annotations

from modelswap.compare.checks.base import Comparator
from modelswap.compare.model import Finding, Outcome
from modelswap.types import ChatRequest


def error_kind(outcome: Outcome) -> str:
    """The error's kind (``timeout``, ``http``, ...): the first word of ``Outcome.error``, else ``no-output``."""
    if outcome.error is None:
        return "no-output"
    words = outcome.error.split(":", 1)[0].split()
    return words[0] if words else "error"


def _describe(outcome: Outcome) -> str | None:
    return None if outcome.ok else (outcome.error or "no output")


class ErrorComparator(Comparator):
    """Check ``error``: an answer lost (critical) or gained."""

    name = "error"
    version = 1

    def compare(self, request: ChatRequest, baseline: Outcome, other: Outcome) -> list[Finding]:
        base, mine = _describe(baseline), _describe(other)
        if base is None and mine is None:
            return [Finding(check="error", version=self.version, status="same", reason="both answered")]
        if base is not None and mine is not None:
            return [Finding(check="error", version=self.version, status="same", baseline=base, candidate=mine,
                            behaviour=f"error:{error_kind(other)}", baseline_behaviour=f"error:{error_kind(baseline)}",
                            reason="both failed")]
        if mine is not None:
            kind = error_kind(other)
            return [Finding(check="error", version=self.version, status="regression", severity="critical",
                            baseline=None, candidate=mine, behaviour=f"error:{kind}",
                            reason=f"failed ({mine}) where the baseline answered")]
        return [Finding(check="error", version=self.version, status="improvement", baseline=base, candidate=None,
                        baseline_behaviour=f"error:{error_kind(baseline)}",
                        reason=f"answered where the baseline failed ({base})")]
