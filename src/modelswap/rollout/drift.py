"""Drift: a promoted route's serving arm asked again, compared with its own recorded answers.

What it is: ``check_drift``, one check of one promoted route. It takes a sample of the requests
stored in the route's run (the run named after the route) that hold an answer of the now-serving
arm recorded before the promotion (shadowed, or recorded with ``modelswap record``: the arm's
*recorded baseline*), asks the arm again, twice, through its backend (``modelswap.record.record``:
each call with the request's own params and a seed derived from the check's run and the request),
stores the fresh answers under a run of their own (``<route>@drift-<UTC date-time>``, with the
recorded answers copied beside them as arm ``<arm>@recorded``, so ``compare --run`` can show
them), and compares them with ``compare_drift``. A ``no_go`` is a drift: an audit entry with
action ``drift`` (the state is left as it is: ``modelswap.rollout.state``) written through
``control.apply`` and posted through ``Alerts.notify``.

What it is not: the schedule (``modelswap.rollout.live`` runs a check every ``drift.every``), the
command (``modelswap rollout drift``), the comparators or the gate's rules (``modelswap.compare``).

The noise floor. The compare pipeline measures noise as the baseline against a replica, both
draws of the baseline's model. Here the baseline is the past: a second call made today is a draw
of today's model, and compared with the recorded answer it would carry any drift into the noise
floor and hide it. So ``compare_drift`` pairs differently: the signal is recorded -> first fresh
answer, the noise floor is first fresh -> second fresh answer (the arm against itself today).
With no drift the three answers are draws of one model and the two comparisons measure the same
thing; with a drift only the signal carries it.

Sampling. Requests are ranked by a BLAKE2b hash of (the check's run name, trial id), so each check
draws a different sample and the checks are independent reads of the gate; only answers whose
``started_at`` precedes the promotion are a baseline (answers served after it could already carry
the drift the check looks for).
"""

from __future__ import annotations

import asyncio
import hashlib
from collections.abc import Sequence
from dataclasses import dataclass, replace
from datetime import UTC, datetime
from typing import Any

from modelswap.backends.base import Backend
from modelswap.compare.checks.base import Comparator
from modelswap.compare.comparison import Comparison
from modelswap.compare.engine import Compared, run_comparators
from modelswap.compare.gate import Decision, Policy, evaluate
from modelswap.compare.model import Outcome, Trial
from modelswap.compare.noise import measure_noise
from modelswap.compare.stream import ComparatorFactory
from modelswap.compare.summary import summarize
from modelswap.compare.triage import triage
from modelswap.config import RolloutConfig
from modelswap.errors import RolloutError
from modelswap.record import record
from modelswap.redact import Redactor
from modelswap.rollout.alerts import Alerts
from modelswap.rollout.control import apply
from modelswap.rollout.figures import ShadowComparison
from modelswap.rollout.state import Action
from modelswap.store.base import Store
from modelswap.store.sql import request_from_json
from modelswap.types import AuditEntry, ChatRequest, Observation, ObservationKey, StoredObservation

RECORDED_SUFFIX = "@recorded"
"""The recorded answers are copied into the check's run under the arm's name with this suffix."""
FRESH_CALLS = 2


@dataclass(frozen=True, kw_only=True, slots=True)
class DriftCheck:
    """One drift check: the route, the serving arm, the check's run, what was compared and concluded.

    ``comparison`` is None when nothing could be compared (no recorded baseline): the check is then
    ``inconclusive``. ``entry`` is the ``drift`` audit entry written for a ``no_go`` (None otherwise).
    """

    route: str
    arm: str
    run: str
    at: float
    sampled: int
    reason: str
    comparison: Comparison | None = None
    entry: AuditEntry | None = None

    @property
    def decision(self) -> Decision:
        return self.comparison.gate.decision if self.comparison is not None else "inconclusive"

    def figures(self) -> dict[str, Any]:
        """What decided, as the audit entry keeps it."""
        reading = ShadowComparison.of(self.comparison).to_json() if self.comparison is not None else None
        return {"run": self.run, "arm": self.arm, "sampled": self.sampled, "calls": FRESH_CALLS * self.sampled,
                "comparison": reading,
                "worst": [t.compared.trial.id for t in self.comparison.worst(5)] if self.comparison else []}


def drift_run(route: str, at: float) -> str:
    """The run a check made at ``at`` stores its answers under: ``<route>@drift-<YYYYmmddTHHMMSSZ>``."""
    return f"{route}@drift-{datetime.fromtimestamp(at, UTC):%Y%m%dT%H%M%SZ}"


def baseline_sample(store: Store, route: str, arm: str, *, size: int, before: float, salt: str
                    ) -> list[tuple[ChatRequest, Observation]]:
    """Up to ``size`` requests of run ``route`` with their answer by ``arm`` (sample 0) started before ``before``,
    drawn in the order of a hash of (``salt``, trial id)."""
    ids = sorted({trial_id for trial_id, sample in store.recorded_keys(route, arm) if sample == 0},
                 key=lambda trial_id: _rank(salt, trial_id))
    chosen: list[tuple[ChatRequest, Observation]] = []
    page = 2 * size
    for start in range(0, len(ids), page):
        chunk = ids[start:start + page]
        answers = {s.key.trial_id: s.observation for s in store.observations(route, arm=arm, trial_ids=chunk)
                   if s.key.sample == 0 and s.observation.started_at < before}
        rows = dict(store.request_rows(route, [trial_id for trial_id in chunk if trial_id in answers]))
        for trial_id in chunk:
            request = _request(rows.get(trial_id))
            if request is not None and trial_id in answers:
                chosen.append((request, answers[trial_id]))
                if len(chosen) == size:
                    return chosen
    return chosen


def compare_drift(trials: Sequence[Trial], *, arm: str, policy: Policy, comparators: Sequence[Comparator],
                  seed: int = 0) -> Comparison:
    """Recorded (baseline) against the first fresh answer (candidate), with the noise floor of the first fresh
    answer against the second (``replica``): see the module docstring for why not the baseline against it."""
    if any(trial.replica is None for trial in trials):
        raise ValueError("every drift trial needs its second fresh answer as its replica")
    signal = run_comparators([replace(trial, replica=None) for trial in trials], comparators)
    today = run_comparators([Trial(id=t.id, request=t.request, baseline=t.candidate, candidate=t.replica or t.candidate)
                             for t in trials], comparators)
    compared = [Compared(trial=trial, findings=s.findings, noise=n.findings)
                for trial, s, n in zip(trials, signal, today, strict=True)]
    noise = measure_noise(compared)
    triaged = triage(compared, noise)
    summary = summarize(triaged, noise, seed=seed)
    return Comparison(baseline=f"{arm}{RECORDED_SUFFIX}", candidate=arm, replica=f"{arm} (sample 1)",
                      triaged=tuple(triaged), summary=summary, gate=evaluate(summary, policy), noise=noise,
                      source={"kind": "drift", "noise_floor": "the first fresh answer against the second"})


async def check_drift(store: Store, route: str, plan: RolloutConfig, backend: Backend, *, sample: int,
                      policy: Policy, comparators: ComparatorFactory, at: float, actor: str = "controller",
                      alerts: Alerts | None = None, redactor: Redactor | None = None,
                      concurrency: int = 8) -> DriftCheck:
    """Check route ``route``'s promoted arm for drift (module docstring); ``backend`` must be that arm's."""
    state = store.rollout_state(route)
    if state is None or state.status != "promoted":
        status = state.status if state is not None else "shadow (never written)"
        raise RolloutError(f"nothing to check for drift: the rollout is {status}, not promoted",
                           route=route, action="drift")
    arm = state.candidate
    if backend.arm != arm:
        raise ValueError(f"route {route!r} is served by arm {arm!r}, the backend is arm {backend.arm!r}")
    run = drift_run(route, at)
    promoted_at = state.stage_started_at if state.stage_started_at is not None else state.updated_at
    pairs = await asyncio.to_thread(baseline_sample, store, route, arm, size=sample, before=promoted_at, salt=run)
    if not pairs:
        return DriftCheck(route=route, arm=arm, run=run, at=at, sampled=0,
                          reason=f"no answer of arm {arm!r} recorded in run {route!r} before the promotion")
    requests = [request for request, _ in pairs]
    await record(requests, backend, store, run=run, role="candidate", repeat=FRESH_CALLS, concurrency=concurrency,
                 redactor=redactor)
    recorded = [StoredObservation(key=ObservationKey(run=run, trial_id=request.id, arm=f"{arm}{RECORDED_SUFFIX}"),
                                  role="primary", observation=observation) for request, observation in pairs]
    await asyncio.to_thread(store.save_observations, recorded)
    fresh = {(s.key.trial_id, s.key.sample): s.observation
             for s in await asyncio.to_thread(store.observations, run, arm=arm)}
    trials = [Trial(id=request.id, request=request, baseline=Outcome.of(observation),
                    candidate=Outcome.of(fresh[request.id, 0]), replica=Outcome.of(fresh[request.id, 1]))
              for request, observation in pairs if (request.id, 0) in fresh and (request.id, 1) in fresh]
    comparison = compare_drift(trials, arm=arm, policy=policy, comparators=comparators())
    check = DriftCheck(route=route, arm=arm, run=run, at=at, sampled=len(trials), comparison=comparison,
                       reason=_reason(comparison, arm, len(trials)))
    if comparison.gate.decision != "no_go":
        return check
    action = Action(kind="drift", actor=actor, at=at, reason=check.reason, figures=check.figures())
    entry = (await asyncio.to_thread(apply, store, route, plan, action)).entry
    if alerts is not None:
        alerts.notify(entry)
    return replace(check, entry=entry)


def _reason(comparison: Comparison, arm: str, sampled: int) -> str:
    reading = ShadowComparison.of(comparison)
    rate = "" if reading.regression_rate is None else f", regression rate over today's noise floor " \
                                                      f"{reading.regression_rate:.4g}"
    failed = f"; failed: {', '.join(reading.failed)}" if reading.failed else ""
    return (f"drift check {reading.decision}: arm {arm} asked again on {sampled} recorded requests{rate}"
            f"{failed}")


def _rank(salt: str, trial_id: str) -> bytes:
    return hashlib.blake2b(f"{salt}\x00{trial_id}".encode(), digest_size=8).digest()


def _request(text: str | None) -> ChatRequest | None:
    if text is None:
        return None
    try:
        return replace(request_from_json(text), assignment=None)
    except (ValueError, KeyError, TypeError):
        return None
