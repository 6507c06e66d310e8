"""The noise floor: how often the primary disagrees with itself, per check and per category.

What it is: ``NoiseFloor``, built from the findings of baseline-vs-replica next to those of
baseline-vs-candidate on the same trials, and its rule for whether a check's differences in a
category are *signal* (counted) or *noise* (the primary does as much on its own). In the
spirit of Diffy's relative and absolute margins:

- no replica observed: the noise floor is unknown and every difference counts;
- the replica never differs on this check (in this category): any candidate difference
  counts, the primary simply never does this;
- otherwise a difference counts when the candidate differs more often than the replica by more
  than ``max(ABSOLUTE_MARGIN, RELATIVE_MARGIN * noise rate)``, or significantly more often (the
  lower bound of the 95% interval of the paired difference, Newcombe, is above zero).

Margins on point estimates, not significance alone: with the few replica trials a category
usually has, "not significant" would hide real regressions as noise; the gate, not triage, is
where the statistics decide. A category with no replica trial for a check borrows the check's
figures over all categories. What it is not: the per-trial downgrade (``triage`` also drops a
candidate finding when the replica shows the same status on that very trial).
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass

from modelswap.compare.engine import Compared
from modelswap.compare.model import Finding
from modelswap.compare.stats import paired_binary

ALL = "*"
MIN_TRIALS = 1
ABSOLUTE_MARGIN = 0.05
RELATIVE_MARGIN = 0.5


@dataclass(frozen=True, kw_only=True, slots=True)
class CheckNoise:
    """One check in one category (``*`` for all): how often the replica and the candidate differ."""

    check: str
    category: str
    trials: int
    noise_rate: float
    candidate_rate: float
    excess: float
    ci95: tuple[float, float]
    signal: bool


class NoiseFloor:
    """Per (check, category) noise rows and the signal rule."""

    def __init__(self, rows: Sequence[CheckNoise], *, known: bool, min_trials: int = MIN_TRIALS) -> None:
        self.known = known
        self.min_trials = min_trials
        self._rows = {(row.check, row.category): row for row in rows}

    def rows(self) -> list[CheckNoise]:
        return sorted(self._rows.values(), key=lambda r: (r.check, r.category != ALL, r.category))

    def row(self, check: str, category: str) -> CheckNoise | None:
        """The row that judges ``check`` in ``category``: its own, or the overall one when it has too few trials."""
        own = self._rows.get((check, category))
        if own is not None and own.trials >= self.min_trials:
            return own
        return self._rows.get((check, ALL))

    def is_signal(self, check: str, category: str) -> tuple[bool, str]:
        """Whether differences on ``check`` in ``category`` count, and why."""
        row = self.row(check, category)
        if row is None or row.trials == 0:
            return True, "noise floor unknown (no replica)"
        scope = "overall" if row.category == ALL else f"in {category}"
        if row.noise_rate == 0:
            return True, f"the primary never differs from itself on {check} {scope} ({row.trials} replica trials)"
        if row.signal:
            return True, (f"candidate differs on {row.candidate_rate:.0%} vs the primary's own {row.noise_rate:.0%} "
                          f"{scope} (excess {row.excess:+.1%}, 95% CI {row.ci95[0]:+.1%}..{row.ci95[1]:+.1%})")
        return False, (f"within the noise floor: the primary differs from itself on {row.noise_rate:.0%} "
                       f"{scope}, the candidate on {row.candidate_rate:.0%}")


def differs(findings: Sequence[Finding]) -> dict[str, bool]:
    """Per check: did anything differ (any finding of that check not ``same``)?"""
    out: dict[str, bool] = {}
    for finding in findings:
        out[finding.check] = out.get(finding.check, False) or finding.status != "same"
    return out


def measure_noise(compared: Sequence[Compared], *, min_trials: int = MIN_TRIALS) -> NoiseFloor:
    """The noise floor of a comparison, from the trials that have a replica."""
    pairs: dict[tuple[str, str], tuple[list[bool], list[bool]]] = defaultdict(lambda: ([], []))
    with_replica = [c for c in compared if c.trial.replica is not None]
    for item in with_replica:
        noise, candidate = differs(item.noise), differs(item.findings)
        for check in noise.keys() & candidate.keys():
            for category in (item.trial.category, ALL):
                replica_side, candidate_side = pairs[(check, category)]
                replica_side.append(noise[check])
                candidate_side.append(candidate[check])
    rows = [_row(check, category, replica_side, candidate_side)
            for (check, category), (replica_side, candidate_side) in pairs.items()]
    return NoiseFloor(rows, known=bool(with_replica), min_trials=min_trials)


def _row(check: str, category: str, replica_side: list[bool], candidate_side: list[bool]) -> CheckNoise:
    paired = paired_binary(replica_side, candidate_side)
    margin = max(ABSOLUTE_MARGIN, RELATIVE_MARGIN * paired.baseline_rate)
    return CheckNoise(check=check, category=category, trials=paired.n, noise_rate=paired.baseline_rate,
                      candidate_rate=paired.candidate_rate, excess=paired.delta, ci95=paired.ci95,
                      signal=paired.delta > margin or paired.ci95[0] > 0)
