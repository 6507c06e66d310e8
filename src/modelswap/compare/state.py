"""The running state of a streamed comparison: digests in, a ``Comparison`` out.

What it is: ``ComparisonState``. ``add`` appends one batch's ``Digest`` (batches in trial order);
``finish`` runs the second pass: the noise floor over every trial's columns, triage of every
trial from its finding keys, the summary and the gate, then the trials the report lists. A state
is never consumed by ``finish``: more digests can be added and ``finish`` called again, which is
what an incremental comparison needs. What it is not: reading or comparing trials
(``modelswap.compare.stream``).

Memory: per trial, its id, a locator, and a few dozen bytes of columns (more for the checks with
numeric values, two floats each); plus the trials the report lists. While the source has given at
most ``listed`` items (trials, and lines or rows it skipped) every compared trial is kept and the
report lists them all, in order, exactly as an in-memory comparison does; past that they are
dropped, and ``finish`` asks ``fetch`` for the ``listed`` worst trials (the order of
``Comparison.worst``), compares them again and lists those.
"""

from __future__ import annotations

import copy
import heapq
from array import array
from collections import Counter
from collections.abc import Callable, Iterator, Sequence
from typing import Any

from modelswap.compare.checks.base import Comparator
from modelswap.compare.comparison import Comparison
from modelswap.compare.digest import SEVERITY_RANK, Digest, FindingColumns, FindingKey, Ids
from modelswap.compare.engine import Compared, run_comparators
from modelswap.compare.gate import Policy, evaluate
from modelswap.compare.model import Trial
from modelswap.compare.noise import NoiseFloor, own_shares
from modelswap.compare.noise_columns import NoiseColumns, request_samples
from modelswap.compare.summary import summarize_columns
from modelswap.compare.summary_columns import SummaryColumns
from modelswap.compare.triage import Triaged, Verdict, verdicts

LISTED = 1000
"""The trials a report lists at most: all of a run that has no more, else the worst this many."""

Fetch = Callable[[Sequence[int], Sequence[str]], list[Trial]]
"""Trials again by locator and id, for the report's listing of a large run."""

class ComparisonState:
    """Every trial compared so far, compactly (see the module docstring)."""

    def __init__(self, *, listed: int = LISTED) -> None:
        self.listed = listed
        self.ids = Ids()
        self.locators = array("q")
        self.noise = NoiseColumns()
        self.summary = SummaryColumns()
        self.findings = FindingColumns()
        self.known: set[str] = set()
        self.kept: list[Compared] | None = []
        self.problem_counts: Counter[str] = Counter()
        self.notice_counts: dict[str, int] = {}  # the source's problems as a whole, as of its last reading
        self.items = 0

    @property
    def trials(self) -> int:
        return len(self.ids)

    def add(self, digest: Digest) -> None:
        """Append one batch (the next trials in order)."""
        self.ids.extend(digest.ids)
        self.locators.extend(digest.locators)
        self.noise.extend(digest.noise)
        self.summary.extend(digest.summary)
        self.findings.extend(digest.findings)
        self.known |= digest.known
        for problem in digest.problems:
            self.problem_counts[problem.kind] += problem.count
        self.items += digest.items
        if self.kept is not None and self.items <= self.listed and (digest.compared is not None or not digest.trials):
            self.kept += digest.compared or []
        else:
            self.kept = None

    def finish(self, *, baseline: str, candidate: str, replica: str | None, policy: Policy, seed: int = 0,
               source: dict[str, Any] | None = None, fetch: Fetch | None = None,
               comparators: Sequence[Comparator] = ()) -> Comparison:
        """Triage every trial, summarise, gate, and choose the trials the report lists."""
        noise = NoiseFloor(self.noise)
        known = frozenset(self.known)
        columns, worst = self._second_pass(noise, known)
        summary = summarize_columns(columns, noise_known=noise.known, seed=seed)
        listing: dict[str, Any] | None = None
        if self.kept is not None:
            triaged = self._triage(self.kept, noise, known)
        elif fetch is None:
            raise ValueError("a comparison of more trials than it lists needs fetch to read the worst ones again")
        else:
            again = fetch([self.locators[i] for i in worst], [self.ids[i] for i in worst])
            triaged = self._triage(run_comparators(again, comparators), noise, known)
            listing = {"trials": len(triaged), "of": self.trials, "chosen": "worst"}
        distributions = None if listing is None else {name: p.arrays() for name, p in self.summary.costs.items()}
        return Comparison(baseline=baseline, candidate=candidate, replica=replica if noise.known else None,
                          triaged=tuple(triaged), summary=summary, gate=evaluate(summary, policy), noise=noise,
                          source=source or {}, listing=listing, distributions=distributions)

    def _second_pass(self, noise: NoiseFloor, known: frozenset[str]) -> tuple[SummaryColumns, list[int]]:
        """Every trial's verdicts (afresh: the noise floor moves as trials arrive) in the summary's columns, and
        the ``listed`` worst trials in the order of ``Comparison.worst``."""
        columns = copy.copy(self.summary)  # the first pass's columns shared, not copied; the verdicts afresh
        for name in ("verdict", "replica_verdict", "paired_candidate", "paired_replica"):
            setattr(columns, name, array("b"))
        keys, codes, ends = self.findings.keys(), self.findings.codes, self.findings.ends
        replicas = self.findings.replica

        def flagged() -> Iterator[tuple[tuple[bool, int, int, str], int]]:
            start = 0
            for trial in range(self.findings.trials):
                middle, end = ends[2 * trial], ends[2 * trial + 1]
                if start == end:  # nothing differs on either side: every verdict is neutral
                    columns.add_verdicts("neutral", *(("neutral", ("neutral", "neutral")) if replicas[trial]
                                                      else (None, None)))
                    continue
                found = verdicts([keys[c] for c in codes[start:middle]],
                                 [keys[c] for c in codes[middle:end]] if replicas[trial] else None,
                                 noise=noise, own=noise.stored_shares(trial), category=self.noise.category_of(trial),
                                 known=known)
                start = end
                columns.add_verdicts(found.verdict, found.replica, found.paired)
                if found.verdict in ("regression", "novel"):
                    yield (*_rank(found.verdict, found.decisive), self.ids[trial]), trial

        worst = heapq.nsmallest(self.listed, flagged())
        return columns, [trial for _, trial in worst]

    def _triage(self, compared: Sequence[Compared], noise: NoiseFloor, known: frozenset[str]) -> list[Triaged]:
        out = []
        for item in compared:
            found = verdicts(item.findings, item.noise if item.trial.replica is not None else None, noise=noise,
                             own=own_shares(request_samples(item)), category=item.trial.category, known=known)
            out.append(Triaged(compared=item, verdict=found.verdict, decisive=tuple(found.decisive),
                               within_noise=tuple(found.within_noise), replica_verdict=found.replica,
                               paired=found.paired))
        return out


def _rank(verdict: Verdict, decisive: Sequence[FindingKey]) -> tuple[bool, int, int]:
    """``Comparison.worst``'s order without the id: regressions first, the most severe, the most findings."""
    return (verdict != "regression", min((SEVERITY_RANK[f.severity] for f in decisive), default=4), -len(decisive))
