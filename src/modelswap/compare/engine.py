"""Running the comparators over trials: every trial's findings, against the candidate and the replica.

What it is: ``run_comparators``, which lets each comparator see every pair first (to batch
embeddings), then compares the baseline with the candidate and, where there is one, with the
replica, using the same code for both, and the *reverse* comparison (the replica taken as the
baseline), whose regressions say where the baseline shows a behaviour its replica does not. A
streamed comparison runs it once per batch, in several processes: a comparator's findings must
depend on the pair alone (and ``prepare`` only batch work), or the report would depend on the
batches. What it is not: triage, statistics or reports.
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
    """One trial with its findings against the candidate and against the replica (the noise floor).

    ``findings`` and ``noise`` compare the first candidate and replica samples with the baseline;
    ``more_findings`` and ``more_noise`` the further samples, in order. ``reverse`` holds the
    regressions of the baseline judged against the first replica (the roles swapped): behaviours
    the primary shows in its first sample and not its second, which the noise floor counts as the
    primary's own (``modelswap.compare.noise``).
    """

    trial: Trial
    findings: tuple[Finding, ...]
    noise: tuple[Finding, ...] = ()
    more_findings: tuple[tuple[Finding, ...], ...] = ()
    more_noise: tuple[tuple[Finding, ...], ...] = ()
    reverse: tuple[Finding, ...] = ()

    @property
    def candidate_samples(self) -> tuple[tuple[Finding, ...], ...]:
        """The findings of every candidate sample."""
        return (self.findings, *self.more_findings)

    @property
    def replica_samples(self) -> tuple[tuple[Finding, ...], ...]:
        """The findings of every replica sample (none without a replica)."""
        return () if self.trial.replica is None else (self.noise, *self.more_noise)


def run_comparators(trials: Sequence[Trial], comparators: Sequence[Comparator], *, tick: Tick | None = None
                    ) -> list[Compared]:
    """Compare every trial with every comparator; ``tick(n)`` reports progress in trials."""
    pairs: list[tuple[ChatRequest, Outcome, Outcome]] = []
    for trial in trials:
        pairs.extend((trial.request, trial.baseline, other) for other in (*trial.candidates, *trial.replicas))
    for comparator in comparators:
        comparator.prepare(pairs)
    results = []
    for trial in trials:
        candidates = [_compare(comparators, trial.request, trial.baseline, other) for other in trial.candidates]
        replicas = [_compare(comparators, trial.request, trial.baseline, other) for other in trial.replicas]
        reverse = () if trial.replica is None else tuple(
            f for f in _compare(comparators, trial.request, trial.replica, trial.baseline) if f.status == "regression")
        results.append(Compared(trial=trial, findings=candidates[0], noise=replicas[0] if replicas else (),
                                more_findings=tuple(candidates[1:]), more_noise=tuple(replicas[1:]), reverse=reverse))
        if tick is not None:
            tick(1)
    return results


def _compare(comparators: Sequence[Comparator], request: ChatRequest, baseline: Outcome, other: Outcome
             ) -> tuple[Finding, ...]:
    return tuple(f for comparator in comparators for f in run_comparator(comparator, request, baseline, other))
