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
   ``ALPHA`` (0.05). The primary's rate is the replica's; "never" means in neither of its two
   samples: where the replica never shows a regression, the *reverse* comparison is read (the
   baseline judged against its replica, ``Compared.reverse``), and its rate at the size is the
   primary's. Two samples of a sampling model are exchangeable, so the baseline being the one
   with the loop, the prose label or the wrong count on a request says as much about the
   primary as the replica being it. Without it, a behaviour the replica happened not to show in
   a small category made every occurrence of the candidate's a regression (a SmolLM2 twin over
   62 real requests, five seed sets: 6-13 trials flagged before, 2-10 after, with one JSON
   parse behaviour; docs/compare.md). Only regressions have a reverse: an improvement or a
   changed refusal of the candidate's stays a single trial a human should see. The rows are not
   corrected for their number (the gate compares the candidate's verdict rates with the
   replica's, judged by the same rows, so chance rows cost both sides alike: 0 false ``no_go``
   on those runs).

Why both a margin and significance: a sampling primary shows many behaviours at modest
rates, and a row that fires by chance turns all of that behaviour's findings into
regressions; in an A/A comparison that would be a false ``no_go``. Why the primary's rate of
zero needs no test: a behaviour the primary never shows at that size, in either sample, is not
its noise, and it keeps a single broken answer visible. Without any replica the noise floor is
unknown and every difference counts.

The replica is judged by the same two tests with the sides swapped (its findings count where it
shows a behaviour beyond the candidate's rate, and only where the candidate does not show it on
that request; the reverse comparison guards "never" for both sides alike): its verdicts are the
noise floor of the verdict rates, measured exactly like the candidate's, so an A/A comparison is
symmetric. (Judging the replica in the candidate's rows
instead excused every behaviour only the replica showed: whichever SmolLM2 sample played the
replica scored 0-2% regressions and the one playing the candidate 10-21%.)
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Literal

import numpy as np

from modelswap.compare import stats
from modelswap.compare.engine import Compared
from modelswap.compare.noise_columns import (
    Behaviour,
    Judged,
    NoiseColumns,
    Request,
    Sample,
    behaviour_of,
    request_samples,
    reversed_key,
    share,
    size_of,
)

ALL = "*"
MIN_CATEGORY_TRIALS = 1
ABSOLUTE_MARGIN = 0.05
RELATIVE_MARGIN = 0.5
ALPHA = 0.05
SIZE_RATIO = 0.5
EXCUSE_SHARE = 0.5
MARGIN_P = 0.25
EXEMPT_CHECKS = frozenset({"judge"})

Side = Literal["candidate", "replica"]
OwnShares = Callable[[Behaviour, float], "tuple[float, float] | None"]
"""For one request: a behaviour's share of candidate samples and of replica samples at a size, or None when
the behaviour's check did not apply to both sides of the request."""


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
    reverse_rate: float = 0.0


@dataclass(frozen=True, kw_only=True, slots=True)
class Assessment:
    """Whether one finding counts, and why."""

    counts: bool
    reason: str


def _share(samples: tuple[Sample, ...], key: Behaviour, min_size: float) -> float:
    return share([sample.get(key, -1.0) for sample in samples], min_size)


def own_shares(requests: dict[str, Request] | None) -> OwnShares:
    """The shares of one request, from its samples per check (``request_samples``)."""

    def shares(key: Behaviour, min_size: float) -> tuple[float, float] | None:
        own = requests.get(key[0]) if requests else None
        if own is None or not own.replica:
            return None
        return _share(own.candidate, key, min_size), _share(own.replica, key, min_size)

    return shares


class NoiseFloor:
    """The per-request samples of every check (as columns), and the two tests of the module docstring."""

    def __init__(self, columns: NoiseColumns) -> None:
        self.columns = columns
        self.known = columns.replica_trials > 0
        self._evaluated: dict[tuple[Behaviour, str, float, Side], CheckNoise] = {}
        self._counts: dict[str, dict[str, int]] = {}

    def rows(self) -> list[CheckNoise]:
        """Every row evaluated so far (the report lists them)."""
        return sorted((r for r in self._evaluated.values() if r.side == "candidate"),
                      key=lambda r: (r.check, r.status, r.behaviour, r.category != ALL, r.category, r.min_size))

    def row(self, key: Behaviour, category: str, min_size: float, *, side: Side = "candidate") -> CheckNoise | None:
        """The row that judges ``key`` at ``min_size`` in ``category`` (all requests' when the category has no
        replica for the check). ``side="replica"`` swaps the roles: the replica is judged against the candidate."""
        counts = self._category_counts(key[0])
        if not counts:
            return None
        scope = category if counts.get(category, 0) >= MIN_CATEGORY_TRIALS else ALL
        cache_key = (key, scope, round(min_size, 6), side)
        if cache_key not in self._evaluated:
            self._evaluated[cache_key] = self._evaluate(key, scope, min_size, side=side)
        return self._evaluated[cache_key]

    def _category_counts(self, check: str) -> dict[str, int]:
        """How many requests of each category have ``check`` applied to both sides."""
        if check not in self._counts:
            members = self.columns.members(check, None)
            codes = np.frombuffer(self.columns.trial_category, dtype=np.int32)[members]
            names = list(self.columns.category_codes)
            self._counts[check] = {names[code]: int(n) for code, n in enumerate(np.bincount(codes)) if n}
        return self._counts[check]

    def _evaluate(self, key: Behaviour, scope: str, min_size: float, *, side: Side) -> CheckNoise:
        replica, candidate, sparse = self._shares(key, None if scope == ALL else scope, min_size)
        if side == "replica":
            replica, candidate = candidate, replica
            sparse = [(c, r) for r, c in sparse]
        n = len(replica)
        if min_size <= -1.0:  # a sample that does not show the behaviour reaches the size: every share counts
            noise_rate, candidate_rate = sum(replica.tolist()) / n, sum(candidate.tolist()) / n
        else:  # adding the requests' shares of 0 changes no sum
            noise_rate, candidate_rate = sum(r for r, _ in sparse) / n, sum(c for _, c in sparse) / n
        excess = candidate_rate - noise_rate
        above = sum(c > r for r, c in sparse)
        below = sum(c < r for r, c in sparse)
        p_value = stats.sign_test_greater(above, below)
        reverse_rate = self._reverse_rate(key, scope, min_size) if noise_rate == 0 else 0.0
        own_rate = noise_rate or reverse_rate  # the replica never shows it: the baseline's rate against it
        margin = max(ABSOLUTE_MARGIN, RELATIVE_MARGIN * own_rate)
        signal = (own_rate == 0 or (candidate_rate - own_rate > margin and p_value <= MARGIN_P)
                  or (candidate_rate > own_rate and p_value <= ALPHA))
        return CheckNoise(check=key[0], status=key[1], behaviour=key[2], category=scope, min_size=min_size,
                          trials=n, noise_rate=noise_rate, candidate_rate=candidate_rate, excess=excess,
                          ci95=stats.paired_shares(replica, candidate), p_value=p_value, signal=signal, side=side,
                          reverse_rate=reverse_rate)

    def _reverse_rate(self, key: Behaviour, scope: str, min_size: float) -> float:
        """The share of the scope's requests where the baseline shows the regression ``key`` at ``min_size`` and
        its replica does not (0 for other statuses, which have no reverse)."""
        if key[1] != "regression":
            return 0.0
        reverse, _, _ = self._shares(reversed_key(key), None if scope == ALL else scope, min_size)
        return float(np.count_nonzero(reverse > 0)) / len(reverse) if len(reverse) else 0.0

    def _shares(self, key: Behaviour, category: str | None, min_size: float
                ) -> tuple[np.ndarray, np.ndarray, list[tuple[float, float]]]:
        """Per request of the scope, in trial order: the replica's and the candidate's share of ``key`` at
        ``min_size`` (dense), and the (replica, candidate) shares of the requests where some sample shows it."""
        members = self.columns.members(key[0], category)
        fill = 1.0 if min_size <= -1.0 else 0.0
        replica, candidate = np.full(len(members), fill), np.full(len(members), fill)
        shown = self.columns.shown.get(key[0], {}).get(key)
        sparse: list[tuple[float, float]] = []
        if shown is not None and len(members):
            trials = np.frombuffer(shown.trials, dtype=np.int64)
            at = np.searchsorted(members, trials)
            inside = (at < len(members)) & (members[np.minimum(at, len(members) - 1)] == trials)
            for position, index in zip(at[inside].tolist(), np.flatnonzero(inside).tolist(), strict=True):
                sizes = shown.sizes[index]
                pair = (share(sizes[1], min_size), share(sizes[0], min_size))
                replica[position], candidate[position] = pair
                sparse.append(pair)
        return replica, candidate, sparse

    def stored_shares(self, trial: int) -> OwnShares:
        """The shares of trial number ``trial`` of the columns (a streamed comparison keeps no samples)."""

        def shares(key: Behaviour, min_size: float) -> tuple[float, float] | None:
            if self.columns.samples_of(trial, key[0]) is None:
                return None
            sizes = self.columns.sizes_of(trial, key)
            if sizes is None:
                fill = 1.0 if min_size <= -1.0 else 0.0
                return fill, fill
            return share(sizes[0], min_size), share(sizes[1], min_size)

        return shares

    def assess(self, item: Compared, finding: Judged, *, side: Side = "candidate", rows: bool = True) -> Assessment:
        """Does ``finding`` (of the candidate, or of the replica) count on this trial? ``rows=False`` applies the
        test on the request only: symmetric between the sides, with no row chosen for either, which is what a
        significance test of one side against the other may read without counting its evidence twice."""
        return self.judge(finding, category=item.trial.category, own=own_shares(request_samples(item)), side=side,
                          rows=rows)

    def judge(self, finding: Judged, *, category: str, own: OwnShares, side: Side = "candidate",
              rows: bool = True) -> Assessment:
        """``assess`` for a finding of a request of ``category`` whose shares ``own`` gives."""
        if finding.status == "same" or finding.check in EXEMPT_CHECKS:
            return Assessment(counts=True, reason="")
        if not self.known:
            return Assessment(counts=True, reason="noise floor unknown (no replica)")
        key, min_size = behaviour_of(finding), SIZE_RATIO * size_of(finding)
        shares = own(key, min_size)
        if shares is not None:
            mine_share, other_share = shares if side == "candidate" else shares[::-1]
            if mine_share < 0.5:
                return Assessment(counts=False, reason=f"shown in only {mine_share:.0%} of this side's samples")
            if other_share >= EXCUSE_SHARE * mine_share:
                who = "the replica" if side == "candidate" else "the candidate"
                return Assessment(counts=False, reason=f"{who} shows the same {_describe(key)} on this request "
                                                       f"({other_share:.0%} of its samples, comparable size)")
        if not rows:
            return Assessment(counts=True, reason="")
        row = self.row(key, category, min_size, side=side)
        if row is None or row.trials == 0:
            return Assessment(counts=True, reason="noise floor unknown for this check (no replica applied)")
        return Assessment(counts=row.signal, reason=_row_reason(row, category))


def _describe(key: Behaviour) -> str:
    check, status, label = key
    return f"{check} {status}" + (f" ({label})" if label else "")


def _row_reason(row: CheckNoise, category: str) -> str:
    scope = "overall" if row.category == ALL else f"in {category}"
    what = _describe((row.check, row.status, row.behaviour))
    if row.noise_rate == 0 and row.reverse_rate == 0 and row.signal:
        return f"the primary never shows {what} at this size {scope} ({row.trials} requests with a replica)"
    reverse = (f", and its baseline against its replica on {row.reverse_rate:.0%} of requests"
              if row.reverse_rate > 0 else "")
    figures = (f"candidate {row.candidate_rate:.0%} vs the primary's own {row.noise_rate:.0%} {scope}{reverse} "
               f"(excess {row.excess:+.1%}, one-sided p={row.p_value:.2g})")
    if row.signal:
        return f"{what}: {figures}"
    return f"within the noise floor for {what}: {figures}"


def measure_noise(compared: Sequence[Compared]) -> NoiseFloor:
    """The noise floor of a comparison, from the trials that have a replica."""
    columns = NoiseColumns()
    for item in compared:
        columns.add(item.trial.category, request_samples(item))
    return NoiseFloor(columns)
