"""What a batch of compared trials leaves behind once its texts are dropped: a ``Digest``.

What it is: ``digest``, from a batch of ``Compared`` trials to the compact columns the rest of a
streamed comparison reads (the noise floor's, the summary's, and triage's own: per trial the keys
of the findings that are not ``same``, interned, so a trial where nothing differs costs a few
bytes), plus each trial's id and locator (where its source can find it again), the behaviours
the primary showed, and the problems met while reading the batch. A digest is picklable: a
worker process returns it. What it is not: merging digests or deciding anything (that is
``modelswap.compare.state``).

A ``FindingKey`` carries what triage reads of a finding (check, status, severity, behaviour,
size) and ``twin``, which tells apart two findings of one trial that share those fields but
differ in another (triage compares findings for equality): equal keys mean equal findings.
"""

from __future__ import annotations

from array import array
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import NamedTuple

from modelswap.compare.engine import Compared
from modelswap.compare.model import Finding
from modelswap.compare.noise_columns import NoiseColumns, request_samples
from modelswap.compare.summary_columns import SummaryColumns

SEVERITY_RANK = {"critical": 0, "major": 1, "minor": 2, "info": 3}


class FindingKey(NamedTuple):
    """What triage reads of one finding that is not ``same`` (see the module docstring)."""

    check: str
    status: str
    severity: str
    behaviour: str | None
    size: float | None
    twin: int = 0


@dataclass(frozen=True, kw_only=True, slots=True)
class Problem:
    """Something wrong with the source, met while reading: its kind, what and where, and how many items of that
    kind it stands for (a line, a row, or the requests of a page that lack a side)."""

    kind: str
    message: str
    count: int = 1


class FindingColumns:
    """Per trial, the keys of its candidate's and its replica's findings that are not ``same`` (first samples)."""

    def __init__(self) -> None:
        self.key_codes: dict[FindingKey, int] = {}
        self.codes = array("i")
        self.ends = array("q")  # per trial: where its candidate's keys end, then where its replica's end
        self.replica = bytearray()  # per trial: 1 when it has a replica

    @property
    def trials(self) -> int:
        return len(self.replica)

    def add(self, item: Compared) -> None:
        for findings in (item.findings, item.noise):
            self.codes.extend(self.key_codes.setdefault(key, len(self.key_codes)) for key in keys_of(findings))
            self.ends.append(len(self.codes))
        self.replica.append(item.trial.replica is not None)

    def extend(self, other: FindingColumns) -> None:
        offset = len(self.codes)
        codes = [self.key_codes.setdefault(key, len(self.key_codes)) for key in other.key_codes]
        self.codes.extend(codes[code] for code in other.codes)
        self.ends.extend(end + offset for end in other.ends)
        self.replica += other.replica

    def keys(self) -> list[FindingKey]:
        return list(self.key_codes)


def keys_of(findings: Sequence[Finding]) -> list[FindingKey]:
    """The keys of the findings that are not ``same``, in order (``same`` never decides a verdict)."""
    keys: list[FindingKey] = []
    seen: dict[tuple[str, str, str, str | None, float | None], list[Finding]] = {}
    for finding in findings:
        if finding.status == "same":
            continue
        fields = (finding.check, finding.status, finding.severity, finding.behaviour, finding.size)
        twins = seen.setdefault(fields, [])
        twin = next((i for i, other in enumerate(twins) if other == finding), None)
        if twin is None:
            twin = len(twins)
            twins.append(finding)
        keys.append(FindingKey(*fields, twin=twin))
    return keys


class Ids:
    """Trial ids, packed: one UTF-8 blob and the offsets where each id ends."""

    def __init__(self) -> None:
        self.blob = bytearray()
        self.ends = array("q")

    def __len__(self) -> int:
        return len(self.ends)

    def __getitem__(self, index: int) -> str:
        start = self.ends[index - 1] if index else 0
        return self.blob[start:self.ends[index]].decode()

    def append(self, value: str) -> None:
        self.blob += value.encode()
        self.ends.append(len(self.blob))

    def extend(self, other: Ids) -> None:
        offset = len(self.blob)
        self.blob += other.blob
        self.ends.extend(end + offset for end in other.ends)


@dataclass(kw_only=True, slots=True)
class Digest:
    """One batch of compared trials, compactly (see the module docstring)."""

    trials: int
    ids: Ids
    locators: array[int]
    noise: NoiseColumns
    summary: SummaryColumns
    findings: FindingColumns
    known: set[str]
    compared: list[Compared] | None = None
    problems: list[Problem] = field(default_factory=list)
    items: int = 0
    """Source items the batch consumed: its trials and those it skipped."""


def digest(compared: Sequence[Compared], *, locators: Sequence[int], keep: bool = False,
           problems: Sequence[Problem] = ()) -> Digest:
    """The digest of a batch; ``keep`` keeps the compared trials too (a report lists them when the run is small)."""
    ids, noise, summary, findings = Ids(), NoiseColumns(), SummaryColumns(), FindingColumns()
    known: set[str] = set()
    for item in compared:
        ids.append(item.trial.id)
        noise.add(item.trial.category, request_samples(item))
        summary.add_trial(item)
        findings.add(item)
        known.update(f.baseline_behaviour for f in (*item.findings, *item.noise) if f.baseline_behaviour)
        known.update(f.behaviour for f in item.noise if f.behaviour)
    return Digest(trials=len(compared), ids=ids, locators=array("q", locators), noise=noise, summary=summary,
                  findings=findings, known=known, compared=list(compared) if keep else None, problems=list(problems))
