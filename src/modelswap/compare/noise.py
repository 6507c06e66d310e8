"""The noise floor: which of the candidate's differences the primary also shows on its own.

What it is: ``NoiseFloor``, built from the findings of baseline-vs-replica next to those of
baseline-vs-candidate on the same requests, and ``assess``, its answer for one finding: does
it count (signal), or does the primary do the same by itself (noise)? What it is not: triage
(``modelswap.compare.triage`` turns the findings that count into a verdict).

A *behaviour* is a finding's check, status and behaviour label: ``(truncated, regression)``,
``(json.fenced, regression, format:fenced-json)``, ``(language, regression, language:en)``.
Two samples of a sampling primary differ all the time, so the question is never "does the
replica differ too?" but "does the primary show *this* behaviour, in the same direction and
of a comparable size, as often as the candidate does?". A behaviour of size ``s`` is matched by
the same behaviour of size at least ``SIZE_RATIO * s`` (a replica with 4 bullets instead of 3,
size 1, does not match a candidate with no list, size 3; a replica cut off after 90 tokens
does not match a candidate cut off after 20). A finding without a size has size 1.

Two tests, both must let a finding through for it to count:

1. **On the request** (when it has a replica): the candidate must show the behaviour in at
   least half of its samples, and the replica must not show it (at a comparable size) in at
   least ``EXCUSE_SHARE`` of the candidate's share of samples. With one sample each: the
   finding is set aside exactly when the replica shows the same behaviour, comparably large.
2. **Across requests** (the rate): per request, each side's share of samples showing the
   behaviour at a comparable size, paired; over the category's requests (or all requests
   when the category has fewer than ``MIN_CATEGORY_TRIALS`` with this check), the behaviour
   counts when the primary never shows it, or when the candidate shows it more often by more
   than ``max(ABSOLUTE_MARGIN, RELATIVE_MARGIN * the primary's rate)`` with a one-sided exact
   sign test (McNemar's on one sample each) at ``MARGIN_P`` (0.25), or by any amount at
   ``ALPHA`` (0.05). The rows are not corrected for their number: over 62 real requests a
   SmolLM2 twin had 6 and 13 trials flagged on two seed sets, against 0 false ``no_go`` (the gate
   compares the candidate's verdict rates with the replica's, judged by the same rows).

Why both a margin and significance: a sampling primary shows many behaviours at modest
rates, and a row that fires by chance turns all of that behaviour's findings into
regressions; in an A/A comparison that would be a false ``no_go``. Why the primary's rate of
zero needs no test: a behaviour the primary never shows at that size is not its noise, and it
keeps a single broken answer visible. Without any replica the noise floor is unknown and every
difference counts.

The replica is judged by the same two tests with the sides swapped (its findings count where it
shows a behaviour beyond the candidate's rate, and only where the candidate does not show it on
that request): its verdicts are the noise floor of the verdict rates, measured exactly like the
candidate's, so an A/A comparison is symmetric. (Judging the replica in the candidate's rows
instead excused every behaviour only the replica showed: whichever SmolLM2 sample played the
replica scored 0-2% regressions and the one playing the candidate 10-21%.)
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Literal

from modelswap.compare import stats
from modelswap.compare.engine import Compared
from modelswap.compare.model import Finding

ALL = "*"
MIN_CATEGORY_TRIALS = 1
ABSOLUTE_MARGIN = 0.05
RELATIVE_MARGIN = 0.5
ALPHA = 0.05
SIZE_RATIO = 0.5
EXCUSE_SHARE = 0.5
MARGIN_P = 0.25
EXEMPT_CHECKS = frozenset({"judge"})
VALUE_LABELS = frozenset({"answer.exact"})

Side = Literal["candidate", "replica"]
Behaviour = tuple[str, str, str]
Sample = dict[Behaviour, float]


def behaviour_of(finding: Finding) -> Behaviour:
    """The key a finding is matched by: check, status and behaviour label (a label that is only a value,
    such as the short answer given, is left out: any other answer is the same behaviour)."""
    label = "" if finding.check in VALUE_LABELS else finding.behaviour or ""
    return finding.check, finding.status, label


def size_of(finding: Finding) -> float:
    return 1.0 if finding.size is None else float(finding.size)


@dataclass(frozen=True, kw_only=True, slots=True)
class CheckNoise:
    """One behaviour in one category (``*`` for all), at one size: how often each side shows it."""

    check: str
    status: str
    behaviour: str
    category: str
    min_size: float
    trials: int
    noise_rate: float
    candidate_rate: float
    excess: float
    ci95: tuple[float, float]
    p_value: float
    signal: bool
    side: Side = "candidate"


@dataclass(frozen=True, kw_only=True, slots=True)
class Assessment:
    """Whether one finding counts, and why."""

    counts: bool
    reason: str


@dataclass(frozen=True, kw_only=True, slots=True)
class _Request:
    """One request's samples for one check: per sample, the behaviours it shows and their sizes."""

    category: str
    candidate: tuple[Sample, ...]
    replica: tuple[Sample, ...]


def _samples(samples: Sequence[Sequence[Finding]], check: str) -> tuple[Sample, ...]:
    """The samples where ``check`` applied, each as the behaviours it shows (not ``same``)."""
    out = []
    for findings in samples:
        own = [f for f in findings if f.check == check]
        if own:
            out.append({behaviour_of(f): size_of(f) for f in own if f.status != "same"})
    return tuple(out)


def _share(samples: Sequence[Sample], key: Behaviour, min_size: float) -> float:
    if not samples:
        return 0.0
    return sum(sample.get(key, -1.0) >= min_size for sample in samples) / len(samples)


class NoiseFloor:
    """The per-request samples of every check, and the two tests of the module docstring."""

    def __init__(self, requests: dict[str, dict[str, _Request]], *, known: bool) -> None:
        self.known = known
        self._requests = requests
        self._by_check: dict[str, list[_Request]] = defaultdict(list)
        for checks in requests.values():
            for check, request in checks.items():
                self._by_check[check].append(request)
        self._evaluated: dict[tuple[Behaviour, str, float, Side], CheckNoise] = {}

    def rows(self) -> list[CheckNoise]:
        """Every row evaluated so far (the report lists them)."""
        return sorted((r for r in self._evaluated.values() if r.side == "candidate"),
                      key=lambda r: (r.check, r.status, r.behaviour, r.category != ALL, r.category, r.min_size))

    def row(self, key: Behaviour, category: str, min_size: float, *, side: Side = "candidate") -> CheckNoise | None:
        """The row that judges ``key`` at ``min_size`` in ``category`` (all requests' when the category has no
        replica for the check). ``side="replica"`` swaps the roles: the replica is judged against the candidate."""
        requests = self._by_check.get(key[0], [])
        own = [r for r in requests if r.category == category]
        scope, chosen = (category, own) if len(own) >= MIN_CATEGORY_TRIALS else (ALL, requests)
        if not chosen:
            return None
        cache_key = (key, scope, round(min_size, 6), side)
        if cache_key not in self._evaluated:
            self._evaluated[cache_key] = self._evaluate(key, scope, chosen, min_size, side=side)
        return self._evaluated[cache_key]

    def _evaluate(self, key: Behaviour, scope: str, requests: Sequence[_Request], min_size: float, *,
                  side: Side) -> CheckNoise:
        replica = [_share(r.replica, key, min_size) for r in requests]
        candidate = [_share(r.candidate, key, min_size) for r in requests]
        if side == "replica":
            replica, candidate = candidate, replica
        n = len(requests)
        noise_rate, candidate_rate = sum(replica) / n, sum(candidate) / n
        excess = candidate_rate - noise_rate
        above = sum(c > r for c, r in zip(candidate, replica, strict=True))
        below = sum(c < r for c, r in zip(candidate, replica, strict=True))
        p_value = stats.sign_test_greater(above, below)
        margin = max(ABSOLUTE_MARGIN, RELATIVE_MARGIN * noise_rate)
        signal = noise_rate == 0 or (excess > margin and p_value <= MARGIN_P) or (excess > 0 and p_value <= ALPHA)
        return CheckNoise(check=key[0], status=key[1], behaviour=key[2], category=scope, min_size=min_size,
                          trials=n, noise_rate=noise_rate, candidate_rate=candidate_rate, excess=excess,
                          ci95=stats.paired_shares(replica, candidate), p_value=p_value, signal=signal, side=side)

    def assess(self, item: Compared, finding: Finding, *, side: Side = "candidate", rows: bool = True) -> Assessment:
        """Does ``finding`` (of the candidate, or of the replica) count on this trial? ``rows=False`` applies the
        test on the request only: symmetric between the sides, with no row chosen for either, which is what a
        significance test of one side against the other may read without counting its evidence twice."""
        if finding.status == "same" or finding.check in EXEMPT_CHECKS:
            return Assessment(counts=True, reason="")
        if not self.known:
            return Assessment(counts=True, reason="noise floor unknown (no replica)")
        key, min_size = behaviour_of(finding), SIZE_RATIO * size_of(finding)
        own = self._requests.get(item.trial.id, {}).get(finding.check)
        if own is not None and own.replica:
            mine, other = (own.candidate, own.replica) if side == "candidate" else (own.replica, own.candidate)
            mine_share, other_share = _share(mine, key, min_size), _share(other, key, min_size)
            if mine_share < 0.5:
                return Assessment(counts=False, reason=f"shown in only {mine_share:.0%} of this side's samples")
            if other_share >= EXCUSE_SHARE * mine_share:
                who = "the replica" if side == "candidate" else "the candidate"
                return Assessment(counts=False, reason=f"{who} shows the same {_describe(key)} on this request "
                                                       f"({other_share:.0%} of its samples, comparable size)")
        if not rows:
            return Assessment(counts=True, reason="")
        row = self.row(key, item.trial.category, min_size, side=side)
        if row is None or row.trials == 0:
            return Assessment(counts=True, reason="noise floor unknown for this check (no replica applied)")
        return Assessment(counts=row.signal, reason=_row_reason(row, item.trial.category))


def _describe(key: Behaviour) -> str:
    check, status, label = key
    return f"{check} {status}" + (f" ({label})" if label else "")


def _row_reason(row: CheckNoise, category: str) -> str:
    scope = "overall" if row.category == ALL else f"in {category}"
    what = _describe((row.check, row.status, row.behaviour))
    if row.noise_rate == 0 and row.signal:
        return f"the primary never shows {what} at this size {scope} ({row.trials} requests with a replica)"
    figures = (f"candidate {row.candidate_rate:.0%} vs the primary's own {row.noise_rate:.0%} {scope} "
               f"(excess {row.excess:+.1%}, one-sided p={row.p_value:.2g})")
    if row.signal:
        return f"{what}: {figures}"
    return f"within the noise floor for {what}: {figures}"


def measure_noise(compared: Sequence[Compared]) -> NoiseFloor:
    """The noise floor of a comparison, from the trials that have a replica."""
    requests: dict[str, dict[str, _Request]] = {}
    for item in compared:
        if item.trial.replica is None:
            continue
        checks = {f.check for sample in (*item.candidate_samples, *item.replica_samples) for f in sample}
        per_check = {}
        for check in checks:
            candidate = _samples(item.candidate_samples, check)
            replica = _samples(item.replica_samples, check)
            if candidate and replica:
                per_check[check] = _Request(category=item.trial.category, candidate=candidate, replica=replica)
        requests[item.trial.id] = per_check
    return NoiseFloor(requests, known=bool(requests))
