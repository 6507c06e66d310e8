"""The comparator convention: a check name, a version, and one method over two sides.

What it is: the abstract ``Comparator`` and ``run_comparator``, which turns a crashing
comparator into a finding that says so (one broken check never loses a report).
What it is not: any particular check; those live beside this module, one idea each.

A comparator compares the baseline with *another* side (the candidate, or the replica when
measuring the noise floor) of the same request; it never knows which, so the noise floor
is measured by exactly the same code as the difference. It returns no finding when the
check does not apply to the trial (for example a JSON check on a prose answer with no
JSON contract), and a ``same`` finding when it applies and nothing changed: rates are
computed over the trials where the check applied.
"""

from __future__ import annotations

import abc
import logging

from modelswap.compare.model import Finding, Outcome
from modelswap.types import ChatRequest

logger = logging.getLogger(__name__)


class Comparator(abc.ABC):
    """Compares two sides of one request on one aspect (or a family of closely related checks)."""

    name: str
    version: int = 1

    @abc.abstractmethod
    def compare(self, request: ChatRequest, baseline: Outcome, other: Outcome) -> list[Finding]:
        """Findings for ``other`` judged against ``baseline`` (and ``request.expect`` where it speaks)."""

    def prepare(self, pairs: list[tuple[ChatRequest, Outcome, Outcome]]) -> None:  # noqa: B027 - optional hook
        """Optional: see every pair before ``compare`` (to batch expensive work such as embeddings)."""


def run_comparator(comparator: Comparator, request: ChatRequest, baseline: Outcome, other: Outcome) -> list[Finding]:
    """``comparator.compare``, with a crash turned into a finding that names it."""
    try:
        return comparator.compare(request, baseline, other)
    except Exception as exc:  # noqa: BLE001 - a broken check becomes data, never a lost report
        logger.warning("comparator %s crashed on %s: %s", comparator.name, request.id, exc)
        return [Finding(check=comparator.name, version=comparator.version, status="changed", severity="info",
                        reason=f"comparator crashed: {type(exc).__name__}: {exc}", details={"crashed": True})]
