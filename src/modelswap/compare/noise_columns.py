"""What the noise floor keeps of every request: a few numbers, never a text.

What it is: ``NoiseColumns``, the per-request samples of every check in compact columns, and
``request_samples``, one compared trial's samples per check (what a column row is made of).
Per request with a replica it keeps its category and its *pattern* (which checks applied to both
sides, with how many samples each; a run has a handful of distinct patterns, each stored once);
per check and behaviour, only the requests where some sample shows it, with each sample's size.
A request where nothing differs costs 8 bytes. Columns built batch by batch and ``extend``-ed in
trial order hold exactly what one pass over all trials would. What it is not: the two tests
(``modelswap.compare.noise`` reads these columns to run them).

A sample is a dict from behaviour to size (``Sample``); a sample that does not show a behaviour
has size -1 for it, so a share at ``min_size`` is the number of samples whose size reaches it
over the number of samples where the check applied. The reverse comparison's regressions (the
baseline judged against the replica, ``Compared.reverse``) are kept in the first replica sample
under the status ``reverse`` (``reversed_key``): a behaviour key no finding of either side has.
"""

from __future__ import annotations

from array import array
from bisect import bisect_left
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Protocol

import numpy as np
import numpy.typing as npt

from modelswap.compare.engine import Compared
from modelswap.compare.model import Finding

Behaviour = tuple[str, str, str]
Sample = dict[Behaviour, float]
Sizes = tuple[tuple[float, ...], tuple[float, ...]]
"""Per sample, the size of one behaviour (-1 where the sample does not show it): candidate side, replica side."""
Pattern = tuple[tuple[str, int, int], ...]
"""The checks that applied to both sides of a request, each with its candidate and replica sample counts."""

DESCRIPTIVE_LABELS = frozenset({"answer.exact", "json.valid", "json.recoverable"})
"""Checks whose behaviour label describes the answer rather than the behaviour: the short answer given, the
form an answer that does not parse took (prose, fences, broken JSON). Their behaviour is the check's failure
itself; a new form is still seen, by ``json.fenced``'s own rows and by triage's novelty rule. A *changed* short
answer (no gold to judge it) keeps its label: the primary excuses a different answer only by giving that same
answer itself ("Sunday" where the baseline said "Monday" is not excused by a replica saying "Mon."), so a new
answer stays ``novel``, as the issue of exact answers asks."""
NO_REPLICA = -1
REVERSE = "reverse"


class Judged(Protocol):
    """What the noise floor reads of a finding: a ``Finding``, or its compact key in a streamed comparison."""

    @property
    def check(self) -> str: ...

    @property
    def status(self) -> str: ...

    @property
    def behaviour(self) -> str | None: ...

    @property
    def size(self) -> float | None: ...


def behaviour_of(finding: Judged) -> Behaviour:
    """The key a finding is matched by: check, status and behaviour label (left out for ``DESCRIPTIVE_LABELS``:
    any other short answer, any other form of unparseable JSON, is the same behaviour)."""
    descriptive = finding.check in DESCRIPTIVE_LABELS and not (finding.check == "answer.exact"
                                                              and finding.status == "changed")
    label = "" if descriptive else finding.behaviour or ""
    return finding.check, finding.status, label


def size_of(finding: Judged) -> float:
    return 1.0 if finding.size is None else float(finding.size)


def reversed_key(key: Behaviour) -> Behaviour:
    """The key under which the reverse comparison keeps the regression ``key`` (the baseline shows it, its
    replica does not)."""
    return key[0], REVERSE, key[2]


@dataclass(frozen=True, kw_only=True, slots=True)
class Request:
    """One request's samples for one check: per sample, the behaviours it shows and their sizes."""

    category: str
    candidate: tuple[Sample, ...]
    replica: tuple[Sample, ...]


def _samples(samples: Sequence[Sequence[Finding]]) -> dict[str, list[Sample]]:
    """Per check, the samples where it applied (in order), each as the behaviours it shows (not ``same``)."""
    out: dict[str, list[Sample]] = {}
    for findings in samples:
        shown: dict[str, Sample] = {}
        for f in findings:
            sample = shown.setdefault(f.check, {})
            if f.status != "same":
                sample[behaviour_of(f)] = size_of(f)
        for check, sample in shown.items():
            out.setdefault(check, []).append(sample)
    return out


def request_samples(item: Compared) -> dict[str, Request] | None:
    """Per check that applied to both sides of ``item``, its samples; None without a replica."""
    if item.trial.replica is None:
        return None
    candidate, replica = _samples(item.candidate_samples), _samples(item.replica_samples)
    for finding in item.reverse:
        first = replica.get(finding.check)
        if first:
            first[0][reversed_key(behaviour_of(finding))] = size_of(finding)
    return {check: Request(category=item.trial.category, candidate=tuple(samples), replica=tuple(replica[check]))
            for check, samples in candidate.items() if check in replica}


def share(sizes: Sequence[float], min_size: float) -> float:
    """The share of samples whose size reaches ``min_size``."""
    return sum(size >= min_size for size in sizes) / len(sizes)


@dataclass(slots=True)
class Shown:
    """The requests (by trial index, increasing) where some sample shows one behaviour, with the sizes."""

    trials: array[int] = field(default_factory=lambda: array("q"))
    sizes: list[Sizes] = field(default_factory=list)

    def find(self, trial: int) -> Sizes | None:
        at = bisect_left(self.trials, trial)
        return self.sizes[at] if at < len(self.trials) and self.trials[at] == trial else None


class NoiseColumns:
    """Every request's samples, compactly (see the module docstring); trials are numbered from 0 in order."""

    def __init__(self) -> None:
        self.category_codes: dict[str, int] = {}
        self.pattern_codes: dict[Pattern, int] = {}
        self.trial_category = array("i")
        self.trial_pattern = array("i")
        self.shown: dict[str, dict[Behaviour, Shown]] = {}
        self.replica_trials = 0
        self._sizes: dict[Sizes, Sizes] = {}  # one object per distinct value
        self._pattern_list: list[Pattern] = []
        self._category_list: list[str] = []

    @property
    def trials(self) -> int:
        return len(self.trial_pattern)

    def add(self, category: str, requests: dict[str, Request] | None) -> None:
        """The next trial: its category and its samples per check (None without a replica)."""
        trial = len(self.trial_pattern)
        self.trial_category.append(self.category_codes.setdefault(category, len(self.category_codes)))
        if requests is None:
            self.trial_pattern.append(NO_REPLICA)
            return
        self.replica_trials += 1
        pattern = tuple(sorted((check, len(r.candidate), len(r.replica)) for check, r in requests.items()))
        self.trial_pattern.append(self.pattern_codes.setdefault(pattern, len(self.pattern_codes)))
        for check, request in requests.items():
            keys = dict.fromkeys(key for sample in (*request.candidate, *request.replica) for key in sample)
            for key in keys:
                sizes = (tuple(s.get(key, -1.0) for s in request.candidate),
                         tuple(s.get(key, -1.0) for s in request.replica))
                shown = self.shown.setdefault(check, {}).setdefault(key, Shown())
                shown.trials.append(trial)
                shown.sizes.append(self._sizes.setdefault(sizes, sizes))

    def extend(self, other: NoiseColumns) -> None:
        """Append ``other``'s trials after these (``other`` numbered its trials from 0)."""
        offset = len(self.trial_pattern)
        self.replica_trials += other.replica_trials
        categories = [self.category_codes.setdefault(name, len(self.category_codes)) for name in other.category_codes]
        patterns = [self.pattern_codes.setdefault(p, len(self.pattern_codes)) for p in other.pattern_codes]
        self.trial_category.extend(categories[code] for code in other.trial_category)
        self.trial_pattern.extend(NO_REPLICA if code == NO_REPLICA else patterns[code] for code in other.trial_pattern)
        for check, by_key in other.shown.items():
            mine = self.shown.setdefault(check, {})
            for key, shown in by_key.items():
                target = mine.setdefault(key, Shown())
                target.trials.extend(trial + offset for trial in shown.trials)
                target.sizes.extend(self._sizes.setdefault(sizes, sizes) for sizes in shown.sizes)

    def members(self, check: str, category: str | None) -> npt.NDArray[np.int64]:
        """The trials (increasing) with ``check`` applied to both sides, in ``category`` (None: all)."""
        with_check = np.zeros(len(self.pattern_codes) + 1, dtype=bool)  # the last slot is NO_REPLICA
        for pattern, code in self.pattern_codes.items():
            with_check[code] = any(name == check for name, _, _ in pattern)
        mask = with_check[np.frombuffer(self.trial_pattern, dtype=np.int32)] if self.trials else np.zeros(0, bool)
        if category is not None:
            code = self.category_codes.get(category, -1)
            mask &= np.frombuffer(self.trial_category, dtype=np.int32) == code
        return np.flatnonzero(mask)

    def samples_of(self, trial: int, check: str) -> tuple[int, int] | None:
        """How many candidate and replica samples of ``trial`` ``check`` applied to (None: not both sides)."""
        code = self.trial_pattern[trial]
        if code == NO_REPLICA:
            return None
        for name, candidate, replica in self._patterns()[code]:
            if name == check:
                return candidate, replica
        return None

    def sizes_of(self, trial: int, key: Behaviour) -> Sizes | None:
        shown = self.shown.get(key[0], {}).get(key)
        return shown.find(trial) if shown is not None else None

    def category_of(self, trial: int) -> str:
        return self._categories()[self.trial_category[trial]]

    def _patterns(self) -> list[Pattern]:
        if len(self._pattern_list) != len(self.pattern_codes):
            self._pattern_list = list(self.pattern_codes)
        return self._pattern_list

    def _categories(self) -> list[str]:
        if len(self._category_list) != len(self.category_codes):
            self._category_list = list(self.category_codes)
        return self._category_list
