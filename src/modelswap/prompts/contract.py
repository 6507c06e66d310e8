"""Does one answer meet its request's contract (``expect``), judged by the comparators compare uses.

What it is: ``check_contract``, one answer judged alone. There is no baseline to compare with, so
the baseline is the answer a well-behaved model gives (the simulator's base answer for the
request's ``expect``: the gold label, the gold fields in valid JSON, N bullets, the expected
language) and the answer is compared with it by the contract's comparators (errors, structure,
shape, correctness, degeneration, language; not truncation). A major or critical regression against
that ideal is a broken contract; its reason is the comparator's. What it is not: a comparison
with the primary (``prompts try`` and ``compare`` do that), nor a new check: every judgement is an
existing comparator's.

A request whose ``expect`` says nothing checkable (empty, or only ``max_tokens``) is ``checked =
False``: no verdict either way.
"""

from __future__ import annotations

from dataclasses import dataclass

from modelswap.compare.checks.base import Comparator, run_comparator
from modelswap.compare.checks.correctness import CorrectnessComparator
from modelswap.compare.checks.degenerate import DegenerateComparator
from modelswap.compare.checks.errors import ErrorComparator
from modelswap.compare.checks.language import LanguageComparator
from modelswap.compare.checks.shape import ShapeComparator
from modelswap.compare.checks.structure import StructureComparator
from modelswap.compare.model import Outcome
from modelswap.sim.base import base_answer, render
from modelswap.types import ChatRequest

CHECKED_KEYS = frozenset({"format", "schema", "fields", "labels", "label", "language", "bullets", "lines"})
"""The ``expect`` keys a contract check can judge."""
BROKEN = frozenset({"major", "critical"})


@dataclass(frozen=True, kw_only=True, slots=True)
class ContractResult:
    """Whether the answer was checkable, whether it met the contract, and the reasons it did not."""

    checked: bool
    passed: bool
    reasons: tuple[str, ...] = ()


def contract_comparators() -> list[Comparator]:
    """The comparators that judge a contract: no similarity, cost or refusal (those need a real baseline), and no
    truncation (an answer cut at its token limit that still holds the right label or JSON meets the contract;
    one that does not is caught by the checks of the label or the JSON)."""
    return [ErrorComparator(), StructureComparator(), ShapeComparator(), CorrectnessComparator(),
            DegenerateComparator(), LanguageComparator()]


def ideal_outcome(request: ChatRequest) -> Outcome:
    """The well-behaved answer to ``request`` as an outcome: the baseline a lone answer is judged against."""
    return Outcome(output=render(base_answer(request)), finish_reason="stop")


def check_contract(request: ChatRequest, answer: Outcome, comparators: list[Comparator] | None = None
                   ) -> ContractResult:
    """``answer`` judged against ``request.expect`` (see the module docstring)."""
    if not CHECKED_KEYS & set(request.expect):
        return ContractResult(checked=False, passed=False)
    ideal = ideal_outcome(request)
    reasons = [f"{finding.check}: {finding.reason}"
               for comparator in (comparators if comparators is not None else contract_comparators())
               for finding in run_comparator(comparator, request, ideal, answer)
               if finding.status == "regression" and finding.severity in BROKEN]
    return ContractResult(checked=True, passed=not reasons, reasons=tuple(reasons))
