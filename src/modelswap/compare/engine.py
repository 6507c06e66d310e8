"""Running the comparators over trials: every trial's findings, against the candidate and the replica.

What it is: ``run_comparators``, which lets each comparator see every pair first (to batch
embeddings), then compares the baseline with the candidate and, where there is one, with the
replica, using the same code for both. What it is not: triage, statistics or reports.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass

from modelswap.compare.checks.base import Comparator, run_comparator
from modelswap.compare.model import Finding, Outcome, Trial
from modelswap.types import ChatRequest

Tick = Callable[[int], None]


@dataclass(frozen=True, kw_only=True, slots=True)
class Compared:
    """One trial with its findings against the candidate and against the replica (the noise floor)."""

    trial: Trial
    findings: tuple[Finding, ...]
    noise: tuple[Finding, ...] = ()


def run_comparators(trials: Sequence[Trial], comparators: Sequence[Comparator], *, tick: Tick | None = None
                    ) -> list[Compared]:
    """Compare every trial with every comparator; ``tick(n)`` reports progress in trials."""
    pairs: list[tuple[ChatRequest, Outcome, Outcome]] = []
    for trial in trials:
        pairs.append((trial.request, trial.baseline, trial.candidate))
        if trial.replica is not None:
            pairs.append((trial.request, trial.baseline, trial.replica))
    for comparator in comparators:
        comparator.prepare(pairs)
    results = []
    for trial in trials:
        findings = _compare(comparators, trial.request, trial.baseline, trial.candidate)
        noise = _compare(comparators, trial.request, trial.baseline, trial.replica) if trial.replica else ()
        results.append(Compared(trial=trial, findings=findings, noise=noise))
        if tick is not None:
            tick(1)
    return results


def _compare(comparators: Sequence[Comparator], request: ChatRequest, baseline: Outcome, other: Outcome
             ) -> tuple[Finding, ...]:
    return tuple(f for comparator in comparators for f in run_comparator(comparator, request, baseline, other))
