"""Trials from the store: the baseline, candidate and replica observations of a run, paired by trial id.

What it is: ``trials_from_store``, the reader behind ``modelswap compare --baseline A --candidate B``.
It pairs sample 0 of the baseline arm with sample 0 of the candidate arm. Every recorded sample
is used: further samples of the candidate arm are more candidate samples, and the replica is
every sample after the first of the baseline arm (``replica="auto"``: what ``record --repeat N``
stores and what the gateway stores as role ``replica``) or every sample of another arm. The
request stays the unit (see ``Trial``). What it is not: the comparison itself.

``StoreSource`` reads a run the same way for a streamed comparison, a page of requests at a
time (keyset pagination in saved order, ``Store.request_keys``), each page loaded where it is
compared. What a page cannot use is counted and named, never fatal: a request row whose JSON
cannot be read (``corrupt_request``), an observation row that cannot be read
(``corrupt_observation``: that side is then missing), requests without a baseline or a candidate
observation (``no_baseline``, ``no_candidate``; a turn of ``record --handoff`` up to its handoff has no
candidate by design and is counted apart, ``before_handoff``); before the first page it counts observations
whose request is missing (``orphans``: they cannot be compared) and a run without any replica
(``no_replica``: the noise floor is unknown). The counts go to the report's ``source.problems``.

A ``StoreSource`` can start after a key (``after``: where an earlier comparison of the same run
stopped) and stop before requests that may still be answered (``settled_before``): in saved
order it reads up to the first request saved after that time whose baseline or candidate
observation has not arrived yet; that request and every one after it are left for the next
comparison (``pending``). ``cursor`` is the key of the last request read. An empty run, or one
without an arm asked for, raises ``RunNotReady`` (a live comparison waits and asks again).
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from modelswap.compare.digest import Digest, Problem
from modelswap.compare.model import Outcome, Trial
from modelswap.errors import ModelswapError
from modelswap.store.base import Store
from modelswap.store.sql import request_from_json
from modelswap.types import ChatRequest, StoredObservation

if TYPE_CHECKING:
    from modelswap.compare.stream import Context, Loaded

PAGE_PROBLEMS = ("corrupt_request", "corrupt_observation", "no_baseline", "no_candidate", "before_handoff")


class RunNotReady(ModelswapError):
    """The run has no requests yet, or no observation of an arm the comparison needs."""


@dataclass(frozen=True, kw_only=True, slots=True)
class StoredTrials:
    """The trials of a run, the replica arm actually used, and how many requests lacked a side."""

    trials: tuple[Trial, ...]
    replica: str | None
    missing_baseline: int
    missing_candidate: int


def trials_from_store(store: Store, *, run: str, baseline: str, candidate: str, replica: str | None = "auto"
                      ) -> StoredTrials:
    """Pair the run's observations per request; requests without both sides are counted, not compared."""
    requests = store.requests(run)
    if not requests:
        known = ", ".join(store.runs()) or "none"
        raise ModelswapError(f"run {run!r} has no requests in the store (runs: {known})")
    base = _by_trial(store.observations(run, arm=baseline))
    cand = _by_trial(store.observations(run, arm=candidate))
    for arm, found in ((baseline, base), (candidate, cand)):
        if not found:
            raise ModelswapError(f"run {run!r} has no observations of arm {arm!r} (arms: {_arms(store, run)})")
    replicas, replica_arm = _replicas(store, run, baseline, replica, base)
    further = _samples_after(cand, first=1)
    trials = []
    for request in requests:
        b, c = base.get((request.id, 0)), cand.get((request.id, 0))
        if b is None or c is None:
            continue
        r = replicas.get(request.id, [])
        trials.append(Trial(id=request.id, request=request, baseline=Outcome.of(b.observation),
                            candidate=Outcome.of(c.observation), replica=Outcome.of(r[0].observation) if r else None,
                            more_candidates=tuple(Outcome.of(o.observation) for o in further.get(request.id, [])),
                            more_replicas=tuple(Outcome.of(s.observation) for s in r[1:])))
    return StoredTrials(trials=tuple(trials), replica=replica_arm,
                        missing_baseline=sum((r.id, 0) not in base for r in requests),
                        missing_candidate=sum((r.id, 0) not in cand and not before_handoff(r) for r in requests))


def _by_trial(observations: list[StoredObservation]) -> dict[tuple[str, int], StoredObservation]:
    return {(s.key.trial_id, s.key.sample): s for s in observations}


def _samples_after(found: dict[tuple[str, int], StoredObservation], *, first: int
                   ) -> dict[str, list[StoredObservation]]:
    """Per request, its samples numbered ``first`` and above, in sample order."""
    out: dict[str, list[StoredObservation]] = {}
    for (trial_id, sample), stored in sorted(found.items(), key=lambda item: (item[0][0], item[0][1])):
        if sample >= first:
            out.setdefault(trial_id, []).append(stored)
    return out


def _replicas(store: Store, run: str, baseline: str, replica: str | None,
              base: dict[tuple[str, int], StoredObservation]) -> tuple[dict[str, list[StoredObservation]], str | None]:
    if replica is None:
        return {}, None
    if replica == "auto" or replica == baseline:
        found = _samples_after(base, first=1)
        most = max((len(samples) for samples in found.values()), default=0)
        label = f"{baseline} (sample 1)" if most == 1 else f"{baseline} (samples 1-{most})"
        return found, (label if found else None)
    other = _samples_after(_by_trial(store.observations(run, arm=replica)), first=0)
    if not other:
        raise ModelswapError(f"run {run!r} has no observations of replica arm {replica!r} (arms: {_arms(store, run)})")
    return other, replica


def _arms(store: Store, run: str) -> str:
    return ", ".join(sorted({c.arm for c in store.counts(run)})) or "none"


@dataclass(frozen=True, kw_only=True, slots=True)
class _Sides:
    """Which arms a run's trials are made of."""

    run: str
    baseline: str
    candidate: str
    replica_arm: str | None
    replica_from_baseline: bool

    def arms(self) -> list[str]:
        return [self.baseline, self.candidate, *([self.replica_arm] if self.replica_arm else [])]


@dataclass(frozen=True, kw_only=True, slots=True)
class StorePage:
    """One page of a stored run: its trial ids in saved order, loaded from the store at ``url``."""

    url: str
    sides: _Sides
    ids: tuple[str, ...]

    def load(self, context: Context) -> Loaded:
        from modelswap.compare.stream import Loaded

        store, sides, run = context.store(self.url), self.sides, self.sides.run
        texts = dict(store.request_rows(run, self.ids))
        scan = store.scan_observations(run, self.ids, sides.arms())
        problems = [Problem(kind="corrupt_observation", message=f"run {run!r}, trial {key.trial_id!r}, arm "
                            f"{key.arm!r}, sample {key.sample}: the observation row cannot be read ({why}); left out")
                    for key, why in scan.corrupt]
        by_arm: dict[str, dict[str, dict[int, StoredObservation]]] = {arm: {} for arm in sides.arms()}
        for stored in scan.observations:
            by_arm[stored.key.arm].setdefault(stored.key.trial_id, {})[stored.key.sample] = stored
        trials, locators, missing = [], [], {"no_baseline": 0, "no_candidate": 0, "before_handoff": 0}
        for trial_id in self.ids:
            try:
                request = request_from_json(texts[trial_id])
            except (KeyError, ValueError, TypeError) as exc:
                problems.append(Problem(kind="corrupt_request", message=f"run {run!r}, trial {trial_id!r}: the request "
                                        f"row cannot be read ({type(exc).__name__}: {exc}); trial not compared"))
                continue
            trial = _trial(request, by_arm, sides)
            if isinstance(trial, Trial):
                trials.append(trial)
                locators.append(-1)
            else:
                for kind in trial:
                    missing[kind] += 1
        for kind, count in missing.items():
            if count and kind == "before_handoff":
                problems.append(Problem(kind=kind, count=count, message=f"run {run!r}: {count} turn(s) up to the "
                                        "handoff were answered by the primary only (record --handoff); not compared"))
            elif count:
                side = sides.baseline if kind == "no_baseline" else sides.candidate
                problems.append(Problem(kind=kind, count=count, message=f"run {run!r}: {count} request(s) have no "
                                        f"observation of arm {side!r}; not compared"))
        return Loaded(trials=trials, locators=locators, problems=problems, items=len(self.ids))


def _trial(request: Any, by_arm: dict[str, dict[str, dict[int, StoredObservation]]], sides: _Sides
           ) -> Trial | list[str]:
    """The trial of ``request`` from its observations, or which sides it lacks."""
    base_samples = by_arm[sides.baseline].get(request.id, {})
    cand_samples = by_arm[sides.candidate].get(request.id, {})
    base, cand = base_samples.get(0), cand_samples.get(0)
    if base is not None and cand is None and before_handoff(request):
        return ["before_handoff"]
    if base is None or cand is None:
        return [kind for kind, found in (("no_baseline", base), ("no_candidate", cand)) if found is None]
    if sides.replica_from_baseline:
        replicas = _after(base_samples, first=1)
    elif sides.replica_arm is not None:
        replicas = _after(by_arm[sides.replica_arm].get(request.id, {}), first=0)
    else:
        replicas = []
    return Trial(id=request.id, request=request, baseline=Outcome.of(base.observation),
                 candidate=Outcome.of(cand.observation),
                 replica=Outcome.of(replicas[0].observation) if replicas else None,
                 more_candidates=tuple(Outcome.of(o.observation) for o in _after(cand_samples, first=1)),
                 more_replicas=tuple(Outcome.of(o.observation) for o in replicas[1:]))


def before_handoff(request: ChatRequest) -> bool:
    """A turn of ``record --handoff`` the primary answers alone (turn number up to K): no candidate by design."""
    return request.turn is not None and request.turn.number <= request.turn.handoff


def _after(samples: dict[int, StoredObservation], *, first: int) -> list[StoredObservation]:
    return [samples[sample] for sample in sorted(samples) if sample >= first]


class StoreSource:
    """A stored run for a streamed comparison (see the module docstring). ``url`` opens the store in worker
    processes; ``store`` (the same store, open) is used in this one."""

    def __init__(self, store: Store, *, url: str, run: str, baseline: str, candidate: str,
                 replica: str | None = "auto", name: str | None = None, after: tuple[int, str] | None = None,
                 done: int = 0, settled_before: float | None = None) -> None:
        self._store, self.url, self.run, self._name = store, url, run, name or url
        self._total = store.request_count(run)
        self._after, self._done, self._settled_before = after, done, settled_before
        self.cursor: tuple[int, str] | None = after
        self.pending = 0
        if not self._total:
            known = ", ".join(store.runs()) or "none"
            raise RunNotReady(f"run {run!r} has no requests in the store (runs: {known})")
        counts = store.counts(run)
        arms = sorted({c.arm for c in counts})
        for arm in (baseline, candidate, *([replica] if replica not in (None, "auto", baseline) else [])):
            if arm not in arms:
                known = ", ".join(arms) or "none"
                raise RunNotReady(f"run {run!r} has no observations of arm {arm!r} (arms: {known})")
        from_baseline = replica in ("auto", baseline)
        most = max((c.sample for c in counts if c.arm == baseline), default=0)
        self.replica: str | None
        if replica is None:
            self.replica = None
        elif from_baseline and most:
            self.replica = f"{baseline} (sample 1)" if most == 1 else f"{baseline} (samples 1-{most})"
        elif from_baseline:
            self.replica = None
        else:
            self.replica = replica
        self._sides = _Sides(run=run, baseline=baseline, candidate=candidate,
                             replica_arm=None if replica is None or from_baseline else replica,
                             replica_from_baseline=from_baseline and most > 0)
        self.notices = self._notices(store, replica)

    def _notices(self, store: Store, replica: str | None) -> list[Problem]:
        notices = []
        orphans, examples = store.orphans(self.run, self._sides.arms())
        if orphans:
            notices.append(Problem(kind="orphans", count=orphans, message=(
                f"run {self.run!r}: {orphans} trial(s) have observations but no request (for example "
                f"{', '.join(map(repr, examples))}); they cannot be compared")))
        if replica is not None and self.replica is None:
            notices.append(Problem(kind="no_replica", count=self._total, message=(
                f"run {self.run!r}: none of its {self._total} requests has a replica (no sample 1 of arm "
                f"{self._sides.baseline!r}): the noise floor is unknown and every difference counts; record the "
                "primary twice (record --repeat 2, or the route's shadow.replica_rate)")))
        return notices

    @property
    def total(self) -> int:
        """Requests not read by an earlier comparison (``done`` of them were)."""
        return max(self._total - self._done, 0)

    @property
    def shared(self) -> bool:
        return self.url not in ("sqlite://", "sqlite:///:memory:")

    def batches(self, size: int) -> Iterator[StorePage]:
        read = 0
        while True:
            keys = self._store.request_key_times(self.run, after=self.cursor, limit=size)
            settled = self.settled(keys)
            if settled:
                yield StorePage(url=self.url, sides=self._sides, ids=tuple(trial_id for _, trial_id, _ in settled))
                self.cursor = settled[-1][:2]
                read += len(settled)
            if len(settled) < len(keys) or not keys:
                self.pending = max(self._total - self._done - read, 0)
                return

    def settled(self, keys: list[tuple[int, str, float]], *, settled_before: float | None = None
                ) -> list[tuple[int, str, float]]:
        """The keys up to the first request saved after ``settled_before`` (default: this source's) whose baseline
        or candidate has not been observed yet (a shadow may still answer it); a turn up to its handoff waits for
        its baseline only."""
        cutoff = self._settled_before if settled_before is None else settled_before
        if cutoff is None:
            return keys
        young = [trial_id for _, trial_id, created in keys if created > cutoff]
        if not young:
            return keys
        sides = self._sides
        scan = self._store.scan_observations(self.run, young, [sides.baseline, sides.candidate])
        seen = {(s.key.trial_id, s.key.arm) for s in scan.observations if s.key.sample == 0}
        seen |= {(key.trial_id, key.arm) for key, _ in scan.corrupt if key.sample == 0}
        alone = self._before_handoff(young)
        for index, (_, trial_id, created) in enumerate(keys):
            needed = {(trial_id, sides.baseline)} | (set() if trial_id in alone else {(trial_id, sides.candidate)})
            if created > cutoff and not needed <= seen:
                return keys[:index]
        return keys

    def _before_handoff(self, trial_ids: list[str]) -> set[str]:
        """Which of these requests are turns up to a handoff: they wait for their baseline only."""
        out = set()
        for trial_id, text in self._store.request_rows(self.run, [t for t in trial_ids if "#t" in t]):
            try:
                request = request_from_json(text)
            except (KeyError, ValueError, TypeError):
                continue
            if before_handoff(request):
                out.add(trial_id)
        return out

    def review(self, batch: Any, digest: Digest) -> None:
        return None

    def fetch(self, locators: Sequence[int], ids: Sequence[str]) -> list[Trial]:
        from modelswap.compare.stream import Context

        loaded = StorePage(url=self.url, sides=self._sides, ids=tuple(ids)).load(Context({self.url: self._store}))
        by_id = {trial.id: trial for trial in loaded.trials}
        return [by_id[trial_id] for trial_id in ids if trial_id in by_id]

    def context(self) -> Context:
        from modelswap.compare.stream import Context

        return Context({self.url: self._store})

    def info(self, problems: dict[str, int]) -> dict[str, Any]:
        counts = {kind: problems[kind] for kind in (*PAGE_PROBLEMS, "orphans", "no_replica") if problems.get(kind)}
        return {"store": self._name, "run": self.run, "requests": self._total, "problems": counts}
