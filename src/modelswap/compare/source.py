"""Trials from the store: the baseline, candidate and replica observations of a run, paired by trial id.

What it is: ``trials_from_store``, the reader behind ``modelswap compare --baseline A --candidate B``.
It pairs sample 0 of the baseline arm with sample 0 of the candidate arm. Every recorded sample
is used: further samples of the candidate arm are more candidate samples, and the replica is
every sample after the first of the baseline arm (``replica="auto"``: what ``record --repeat N``
stores and what the gateway stores as role ``replica``) or every sample of another arm. The
request stays the unit (see ``Trial``). What it is not: the comparison itself.
"""

from __future__ import annotations

from dataclasses import dataclass

from modelswap.compare.model import Outcome, Trial
from modelswap.errors import ModelswapError
from modelswap.store.base import Store
from modelswap.types import StoredObservation


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
                        missing_candidate=sum((r.id, 0) not in cand for r in requests))


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
