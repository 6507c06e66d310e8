"""The live controller: the rollout controller fed with what the gateways stored, deciding for every route.

What it is: ``LiveController``. Each ``tick`` reads, for every route with a ``rollout:`` block whose
stored state is ``running``, the requests the gateways saved since the last tick (in saved order,
up to the ones saved less than ``settle_s`` ago, whose serving answer may not be written yet),
adds each one served at the stage's percentage by random assignment (not by a segment) to the
stage's ``Figures`` (the serving arm's error, latency and cost), the stage's user feedback, and
the shadow comparison of the route's run (``IncrementalComparison``, read at planned sizes
only: see below), asks ``controller.decide``, and writes its decision with
``control.apply`` (audited, compare-and-set), then alerts (``Alerts.notify``). Gateways obey the
written state within a second (``modelswap.gateway.rollouts``). What it is not: the rules
(``modelswap.rollout.controller``), the transitions (``modelswap.rollout.state``) or serving.

One live controller per store: run ``modelswap rollout control`` beside the gateways (two would
both decide; the compare-and-set keeps the state consistent, but the audit log would show both).

Stages. The figures belong to one stage: when the state's stage, percentage or status changes
(the controller's own decision, or a person's ``rollout set``), they start afresh from the first
request saved after the stage started (``Store.last_key_before``), as the sequential test needs.

The shadow comparison is a fixed-sample test (the compare gate): read at every tick it would
raise its false-alarm rate with every look. It is read when the run has grown past the next of
``SHADOW_LOOKS`` (300, 1,000, 3,000, 10,000, 30,000, 100,000 requests, then every 100,000), and
the last reading stands in between.

Drift. A ``promoted`` route whose plan has a ``drift:`` block is checked by
``modelswap.rollout.drift.check_drift`` in the same tick, once ``drift.every`` has passed since
the controller started or the route was promoted (whichever is later), then every ``drift.every``
after the last check; the time of the next check is kept in memory only (a restarted controller
waits ``every`` again). The check calls the serving arm, so it blocks the tick while it runs.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Callable
from dataclasses import dataclass, field

import orjson

from modelswap.backends import build_backend
from modelswap.backends.base import Backend
from modelswap.compare.gate import Policy
from modelswap.compare.incremental import IncrementalComparison
from modelswap.compare.source import RunNotReady
from modelswap.compare.stream import ComparatorFactory
from modelswap.config import RolloutConfig, RouteConfig, Settings
from modelswap.errors import RolloutError
from modelswap.recording import redactor_for
from modelswap.rollout.alerts import Alerts
from modelswap.rollout.control import apply
from modelswap.rollout.controller import ControllerSettings, Decision, decide
from modelswap.rollout.drift import DriftCheck, check_drift
from modelswap.rollout.figures import Figures, Served, ShadowComparison
from modelswap.rollout.state import Action
from modelswap.store import Store
from modelswap.types import AuditEntry, Observation, RolloutState

logger = logging.getLogger(__name__)

SETTLE_S = 5.0
"""A request's serving answer is written within a second of it (the recorder flushes every 0.25 s)."""
SHADOW_LOOKS = (300, 1_000, 3_000, 10_000, 30_000, 100_000)
PAGE = 500


@dataclass(frozen=True, kw_only=True, slots=True)
class Tick:
    """What one tick did for one route: the decision (None: keep watching) and its audit entry.

    ``drift`` is the drift check a promoted route had in this tick (its ``entry`` is the check's, for a
    no_go; ``figures`` are then empty: a promoted route has no stage figures)."""

    route: str
    decision: Decision | None
    entry: AuditEntry | None
    figures: Figures
    drift: DriftCheck | None = None


@dataclass(kw_only=True, slots=True)
class _Stage:
    """One route's reading of its current stage: which state it belongs to, the figures so far, where reading
    stopped, and the shadow comparison's last reading."""

    key: tuple[str, int, int, str]
    started_at: float
    figures: Figures
    cursor: tuple[int, str] | None
    served: int = 0
    skipped: dict[str, int] = field(default_factory=dict)


@dataclass(kw_only=True, slots=True)
class _Shadow:
    """One route's shadow comparison of one candidate: the comparison, its next planned look, its last reading."""

    candidate: str
    comparison: IncrementalComparison
    next_look: int = SHADOW_LOOKS[0]
    reading: ShadowComparison | None = None


class LiveController:
    """Decides every route's rollout from the store's live figures (see the module docstring)."""

    def __init__(self, store: Store, settings: Settings, *, url: str, policy: Policy,
                 comparators: ComparatorFactory, alerts: Alerts | None = None, actor: str = "controller",
                 controller: ControllerSettings | None = None, settle_s: float = SETTLE_S,
                 clock: Callable[[], float] = time.time, backends: Callable[[str], Backend] | None = None) -> None:
        self.store, self.settings, self.url, self.policy = store, settings, url, policy
        self.comparators, self.alerts, self.actor = comparators, alerts, actor
        self.controller, self.settle_s, self.clock = controller or ControllerSettings(), settle_s, clock
        self.backends = backends or self._backend
        self._stages: dict[str, _Stage] = {}
        self._shadows: dict[str, _Shadow] = {}
        self._started = clock()
        self._drift_due: dict[str, tuple[float, float]] = {}

    def routes(self) -> dict[str, RouteConfig]:
        """The routes with a rollout block."""
        return {name: route for name, route in self.settings.routes.items() if route.rollout is not None}

    def tick(self) -> list[Tick]:
        """One look at every route with a running rollout; what was decided."""
        done = []
        for name, route in self.routes().items():
            plan = route.rollout
            assert plan is not None
            state = self.store.rollout_state(name)
            if state is not None and state.status == "promoted" and plan.drift is not None:
                self._stages.pop(name, None)
                check = self._watch(name, plan, state)
                if check is not None:
                    done.append(Tick(route=name, decision=None, entry=check.entry, drift=check,
                                     figures=Figures.fresh(primary=route.primary, candidate=check.arm)))
                continue
            if state is None or state.status != "running" or state.candidate != plan.candidate:
                self._stages.pop(name, None)
                continue
            done.append(self._tick(name, route, plan, state))
        return done

    def _tick(self, name: str, route: RouteConfig, plan: RolloutConfig, state: RolloutState) -> Tick:
        now = self.clock()
        stage = self._stage(name, route, plan, state)
        self._read(name, stage, state, now)
        figures = self._with_feedback(name, stage)
        shadow = self._look(name, route, plan.candidate)
        decision = decide(state, plan, figures, now=now, comparison=shadow, settings=self.controller)
        entry = None
        if decision is not None:
            action = Action(kind=decision.action, actor=self.actor, at=now, reason=decision.reason,
                            figures=decision.figures)
            entry = apply(self.store, name, plan, action).entry
            logger.info("rollout %s: %s (%s)", name, decision.action, decision.reason)
            if self.alerts is not None:
                self.alerts.notify(entry)
            self._stages.pop(name, None)
        return Tick(route=name, decision=decision, entry=entry, figures=figures)

    def _stage(self, name: str, route: RouteConfig, plan: RolloutConfig, state: RolloutState) -> _Stage:
        started = state.stage_started_at if state.stage_started_at is not None else state.updated_at
        key = (state.candidate, state.stage, state.percent_bp, state.status)
        stage = self._stages.get(name)
        if stage is None or stage.key != key or stage.started_at != started:
            stage = _Stage(key=key, started_at=started, cursor=self.store.last_key_before(name, started),
                           figures=Figures.fresh(primary=route.primary, candidate=plan.candidate))
            self._stages[name] = stage
        return stage

    def _read(self, name: str, stage: _Stage, state: RolloutState, now: float) -> None:
        """Add the requests saved since the last reading, up to ``settle_s`` ago, to the stage's figures."""
        arms = [stage.figures.primary_arm, stage.figures.candidate_arm]
        while True:
            keys = self.store.request_key_times(name, after=stage.cursor, limit=PAGE)
            cut = next((i for i, key in enumerate(keys) if key[2] > now - self.settle_s), len(keys))
            settled = keys[:cut]
            if not settled:
                return
            ids = [trial_id for _, trial_id, _ in settled]
            requests = dict(self.store.request_rows(name, ids))
            scan = self.store.scan_observations(name, ids, arms)
            answers = {(s.key.trial_id, s.key.arm): s.observation for s in scan.observations if s.key.sample == 0}
            for _, trial_id, created in settled:
                why = self._add(stage, state, requests.get(trial_id), answers, trial_id, created)
                if why:
                    stage.skipped[why] = stage.skipped.get(why, 0) + 1
            stage.cursor = settled[-1][:2]
            if cut < len(keys) or len(keys) < PAGE:
                return

    def _add(self, stage: _Stage, state: RolloutState, text: str | None,
             answers: dict[tuple[str, str], Observation], trial_id: str, created: float) -> str:
        """Add one request to the figures, or say why it does not count for this stage."""
        if created < stage.started_at:
            return "before the stage"
        try:
            assignment = orjson.loads(text).get("assignment") if text is not None else None
        except (orjson.JSONDecodeError, AttributeError):
            return "unreadable request"
        if not isinstance(assignment, dict):
            return "not assigned"
        if assignment.get("segment") is not None:
            return "assigned by a segment"
        percent_bp = round(float(assignment.get("percent", -1)) * 100)
        if assignment.get("status") != "running" or percent_bp != state.percent_bp:
            return "assigned at another percentage"
        arm = assignment.get("arm")
        observation = answers.get((trial_id, str(arm)))
        if arm not in (stage.figures.primary_arm, stage.figures.candidate_arm) or observation is None:
            return "no serving answer"
        stage.figures.add(Served(arm=str(arm), error=observation.error is not None,
                                 latency_ms=observation.latency_ms, cost_usd=observation.cost_usd))
        stage.served += 1
        return ""

    def _with_feedback(self, name: str, stage: _Stage) -> Figures:
        """The stage's figures with the feedback posted on the route since the stage started."""
        figures = Figures.fresh(primary=stage.figures.primary_arm, candidate=stage.figures.candidate_arm)
        figures = figures + stage.figures
        for item in self.store.feedback(name, since=stage.started_at):
            if item.arm in (figures.primary_arm, figures.candidate_arm):
                figures.add_feedback(item.arm, item.score)
        return figures

    def _look(self, name: str, route: RouteConfig, candidate: str) -> ShadowComparison | None:
        """The route's shadow comparison, read again when the run has grown past its next planned size."""
        shadow = self._shadows.get(name)
        if shadow is None or shadow.candidate != candidate:
            comparison = IncrementalComparison(
                self.store, url=self.url, run=name, baseline=route.primary, candidate=candidate, replica="auto",
                policy=self.policy, comparators=self.comparators, key="live-controller",
                settle_s=route.shadow.timeout_s + self.settle_s)
            shadow = self._shadows[name] = _Shadow(candidate=candidate, comparison=comparison)
        requests = self.store.request_count(name)
        if requests < shadow.next_look:
            return shadow.reading
        while shadow.next_look <= requests:
            shadow.next_look = _next_look(shadow.next_look)
        try:
            report = shadow.comparison.update()
        except RunNotReady:
            return shadow.reading
        if report is not None:
            shadow.reading = ShadowComparison.of(report)
        return shadow.reading


    def _watch(self, name: str, plan: RolloutConfig, state: RolloutState) -> DriftCheck | None:
        """The route's drift check when one is due (module docstring), else None."""
        assert plan.drift is not None
        promoted_at = state.stage_started_at if state.stage_started_at is not None else state.updated_at
        due = self._drift_due.get(name)
        if due is None or due[0] != promoted_at:
            due = self._drift_due[name] = (promoted_at, max(self._started, promoted_at) + plan.drift.every_s)
        now = self.clock()
        if now < due[1]:
            return None
        self._drift_due[name] = (promoted_at, now + plan.drift.every_s)
        try:
            return asyncio.run(self._check(name, plan, state.candidate, now))
        except RolloutError as exc:  # the rollout moved while the check ran: nothing to record
            logger.warning("drift check of route %s not recorded: %s", name, exc)
            return None

    async def _check(self, name: str, plan: RolloutConfig, arm: str, now: float) -> DriftCheck:
        assert plan.drift is not None
        backend = self.backends(arm)
        try:
            check = await check_drift(self.store, name, plan, backend, sample=plan.drift.sample, policy=self.policy,
                                      comparators=self.comparators, at=now, actor=self.actor, alerts=self.alerts,
                                      redactor=redactor_for(self.settings))
        finally:
            await backend.aclose()
        logger.info("rollout %s: drift check %s (%s)", name, check.decision, check.reason)
        return check

    def _backend(self, arm: str) -> Backend:
        return build_backend(arm, self.settings.arms[arm])


def _next_look(current: int) -> int:
    later = [size for size in SHADOW_LOOKS if size > current]
    return later[0] if later else current + SHADOW_LOOKS[-1]
