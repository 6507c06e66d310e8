"""What the summary reads of every trial, in compact columns: numbers and codes, never a text.

What it is: ``SummaryColumns``. Per trial: its category, its turn in a conversation (``record --handoff``;
0 for a request that is not a turn), its verdicts (the candidate's, the
replica's and the paired ones, as codes); per check, the paired baseline and candidate values
in trial order (a byte per pair while they are booleans, two floats once a number appears), and
the replica's; latency, completion tokens and cost of both sides; the gold-label tallies. A
comparison fills them in two steps (``add_trial`` as trials are compared, ``add_verdicts`` once
triage has run) and batches filled apart are ``extend``-ed in trial order. What it is not: the
statistics (``modelswap.compare.summary`` computes every figure from these columns, whichever
path filled them).
"""

from __future__ import annotations

from array import array
from collections import Counter
from collections.abc import Callable
from typing import Any

import numpy as np

from modelswap.compare.engine import Compared
from modelswap.compare.model import Outcome
from modelswap.compare.triage import VERDICTS, Verdict

FloatArray = np.ndarray[tuple[int], np.dtype[np.float64]]
CODES: dict[Verdict | None, int] = {**{v: i for i, v in enumerate(VERDICTS)}, None: -1}
COSTS: dict[str, Callable[[Outcome], float | int | None]] = {
    "latency_ms": lambda o: o.latency_ms, "tokens": lambda o: o.completion_tokens, "cost_usd": lambda o: o.cost_usd}


class Pairs:
    """The (baseline, candidate) values of one check, in trial order: booleans as one byte per pair
    (2 * baseline + candidate) until the first number arrives, then two columns of floats."""

    __slots__ = ("base", "cand", "codes")

    def __init__(self) -> None:
        self.codes = bytearray()
        self.base: array[float] | None = None
        self.cand: array[float] | None = None

    def __len__(self) -> int:
        return len(self.codes) if self.base is None else len(self.base)

    @property
    def booleans(self) -> bool:
        """Whether every value so far is a boolean."""
        return self.base is None

    def add(self, baseline: Any, candidate: Any) -> None:
        if self.base is None and isinstance(baseline, bool) and isinstance(candidate, bool):
            self.codes.append(2 * baseline + candidate)
            return
        base, cand = self._floats()
        base.append(float(baseline))
        cand.append(float(candidate))

    def extend(self, other: Pairs) -> None:
        if self.base is None and other.base is None:
            self.codes += other.codes
            return
        base, cand = self._floats()
        other_base, other_cand = other.arrays()
        base.extend(other_base.tolist())
        cand.extend(other_cand.tolist())

    def arrays(self) -> tuple[FloatArray, FloatArray]:
        """Both sides as float arrays (a boolean as 0.0 or 1.0)."""
        if self.base is None or self.cand is None:
            codes = np.frombuffer(bytes(self.codes), dtype=np.uint8)
            return (codes >> 1).astype(np.float64), (codes & 1).astype(np.float64)
        return np.frombuffer(self.base, dtype=np.float64), np.frombuffer(self.cand, dtype=np.float64)

    def flags(self) -> tuple[np.ndarray[tuple[int], np.dtype[np.bool_]], np.ndarray[tuple[int], np.dtype[np.bool_]]]:
        """Both sides as booleans (only while ``booleans``): a byte per value, not eight."""
        codes = np.frombuffer(bytes(self.codes), dtype=np.uint8)
        return (codes & 2).astype(bool), (codes & 1).astype(bool)

    def _floats(self) -> tuple[array[float], array[float]]:
        if self.base is None or self.cand is None:
            self.base = array("d", ((code >> 1) * 1.0 for code in self.codes))
            self.cand = array("d", ((code & 1) * 1.0 for code in self.codes))
            self.codes = bytearray()
        return self.base, self.cand


class SummaryColumns:
    """Every trial as the summary reads it (see the module docstring)."""

    def __init__(self) -> None:
        self.category_codes: dict[str, int] = {}
        self.trial_category = array("i")
        self.trial_turn = array("i")
        self.verdict = array("b")
        self.replica_verdict = array("b")
        self.paired_candidate = array("b")
        self.paired_replica = array("b")
        self.checks: dict[str, Pairs] = {}
        self.replica_checks: dict[str, Pairs] = {}
        self.costs: dict[str, Pairs] = {name: Pairs() for name in COSTS}
        self.labels: dict[str, Counter[tuple[Any, str]]] = {"baseline": Counter(), "candidate": Counter()}

    @property
    def trials(self) -> int:
        return len(self.trial_category)

    def add_trial(self, item: Compared) -> None:
        """What one compared trial contributes before triage."""
        self.trial_category.append(self.category_codes.setdefault(item.trial.category, len(self.category_codes)))
        turn = item.trial.request.turn
        self.trial_turn.append(0 if turn is None else turn.number)
        for finding in item.findings:
            if _comparable(finding.baseline, finding.candidate):
                self.checks.setdefault(finding.check, Pairs()).add(finding.baseline, finding.candidate)
            if finding.check == "label.correct" and finding.details.get("gold") is not None:
                gold = str(finding.details["gold"])
                self.labels["baseline"][(finding.details.get("baseline_label"), gold)] += 1
                self.labels["candidate"][(finding.details.get("candidate_label"), gold)] += 1
        for finding in item.noise:
            if _comparable(finding.baseline, finding.candidate):
                self.replica_checks.setdefault(finding.check, Pairs()).add(finding.baseline, finding.candidate)
        for name, get in COSTS.items():
            base, cand = get(item.trial.baseline), get(item.trial.candidate)
            if base is not None and cand is not None:
                self.costs[name].add(float(base), float(cand))

    def add_verdicts(self, verdict: Verdict, replica: Verdict | None, paired: tuple[Verdict, Verdict] | None) -> None:
        """One trial's verdicts, in the order ``add_trial`` saw the trials."""
        self.verdict.append(CODES[verdict])
        self.replica_verdict.append(CODES[replica])
        self.paired_candidate.append(CODES[paired[0] if paired else None])
        self.paired_replica.append(CODES[paired[1] if paired else None])

    def extend(self, other: SummaryColumns) -> None:
        """Append ``other``'s trials (and verdicts) after these."""
        codes = [self.category_codes.setdefault(name, len(self.category_codes)) for name in other.category_codes]
        self.trial_category.extend(codes[code] for code in other.trial_category)
        self.trial_turn.extend(other.trial_turn)
        for mine, theirs in ((self.verdict, other.verdict), (self.replica_verdict, other.replica_verdict),
                             (self.paired_candidate, other.paired_candidate),
                             (self.paired_replica, other.paired_replica)):
            mine.extend(theirs)
        for own, more in ((self.checks, other.checks), (self.replica_checks, other.replica_checks),
                          (self.costs, other.costs)):
            for check, pairs in more.items():
                own.setdefault(check, Pairs()).extend(pairs)
        for side, counts in other.labels.items():
            self.labels[side].update(counts)

    def codes(self, name: str) -> np.ndarray[tuple[int], np.dtype[np.int8]]:
        """One verdict column as codes (``CODES``: the index in ``VERDICTS``, -1 for none)."""
        return np.frombuffer(getattr(self, name), dtype=np.int8)

    def categories(self) -> np.ndarray[tuple[int], np.dtype[np.int32]]:
        return np.frombuffer(self.trial_category, dtype=np.int32)

    def turns(self) -> np.ndarray[tuple[int], np.dtype[np.int32]]:
        """Each trial's turn number (0: not a turn of a conversation)."""
        return np.frombuffer(self.trial_turn, dtype=np.int32)


def _comparable(baseline: Any, candidate: Any) -> bool:
    """Both booleans, or both numbers (int or float, not bool)."""
    if isinstance(baseline, bool) or isinstance(candidate, bool):
        return isinstance(baseline, bool) and isinstance(candidate, bool)
    return isinstance(baseline, (int, float)) and isinstance(candidate, (int, float))
