"""The shadow engine: after the primary answered, call the candidates (and the replica), bounded.

What it is: ``ShadowEngine``, the one engine of the gateway and of in-process shadowing
(``modelswap.shadow``). It takes a call function per arm (``ArmCall``: for a ``LiveTrial``, an
awaitable observation; ``modelswap.gateway.arms`` makes them, whatever the arm's backend) and
nothing else about arms. ``after_primary``, called once the primary's response is on its way,
records the trial's request and primary observation (each observation with the registry prompt,
version and variant its arm was asked with, when the request named one: ``LiveTrial.prompt_for``),
then offers one shadow call per candidate (role ``candidate``, sample 0) and, when the decision says
so, a second call to the primary (role ``replica``, sample 1). Each route has a lane: at most
``max_in_flight`` calls running and ``queue_size`` waiting; a call beyond that is dropped and counted,
and so is a call its arm refuses at once (``ArmBusy``: a saturated local model), so memory stays
bounded and nothing ever waits on the client's path. Every call has the route's ``shadow.timeout_s``
as its deadline, is never retried, and ends as an observation: timeouts, HTTP errors, broken
connections and garbage bodies are ``ErrorInfo`` data, never exceptions. The same metrics are kept on
every path. Shadow spend is summed per route and UTC day and fed back to routing (the daily budget).

What it is not: the routing decision (``modelswap.gateway.routing``), the calls themselves
(``modelswap.gateway.arms``) or the storage (``modelswap.recording``). ``close`` stops new shadows,
waits up to a grace period for those running, and records the ones it must cancel as timeouts.
"""

from __future__ import annotations

import asyncio
import dataclasses
import logging
import time
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import TYPE_CHECKING

from modelswap.config import RouteConfig
from modelswap.gateway.admission import ArmBusy
from modelswap.gateway.metrics import Metrics
from modelswap.gateway.trials import LiveTrial
from modelswap.observe import Timing, error_observation
from modelswap.recording import Recorder
from modelswap.types import ErrorInfo, Observation, ObservationKey, Role

if TYPE_CHECKING:
    from modelswap.gateway.arms import GatewayArm

logger = logging.getLogger(__name__)


@dataclass(frozen=True, kw_only=True, slots=True)
class ArmCall:
    """How the engine calls one arm: ``call`` (may raise ``ArmBusy`` before it starts) and the arm's model id."""

    call: Callable[[LiveTrial], Awaitable[Observation]]
    model: str


class _Lane:
    """The bounds of one route's shadow calls."""

    def __init__(self, *, max_in_flight: int, queue_size: int) -> None:
        self.capacity = max_in_flight + queue_size
        self.slots = asyncio.Semaphore(max_in_flight)
        self.admitted = 0  # waiting + running
        self.running = 0


class ShadowEngine:
    """Runs every route's shadow calls within their bounds and records every outcome."""

    def __init__(self, *, routes: Mapping[str, RouteConfig], arms: Mapping[str, ArmCall], recorder: Recorder,
                 metrics: Metrics, clock: Callable[[], float] = time.time) -> None:
        self.routes = routes
        self.arms = arms
        self.recorder = recorder
        self.metrics = metrics
        self.clock = clock
        self.dropped = self.sent = self.completed = self.failed = 0
        self._lanes = {name: _Lane(max_in_flight=route.shadow.max_in_flight, queue_size=route.shadow.queue_size)
                       for name, route in routes.items()}
        self._spend: dict[tuple[str, str], float] = {}
        self._tasks: set[asyncio.Task[None]] = set()
        self._closing = False

    def spent_today(self, route: str) -> float:
        """Shadow spend of ``route`` in USD on the current UTC day."""
        return self._spend.get((route, self._today()), 0.0)

    def after_primary(self, trial: LiveTrial, primary: Observation) -> None:
        """Record the trial and its serving arm's observation (role ``primary``, or ``candidate`` when the rollout
        assigned it the candidate); offer its shadow calls. Never waits, never raises."""
        self.recorder.request(trial.route, trial.request)
        self._record(trial, primary, role=trial.routing.role, sample=0)
        for arm in trial.routing.shadows:
            self._offer(trial, arm, role="candidate", sample=0)
        if trial.routing.replica:
            self._offer(trial, trial.routing.serving, role="replica", sample=1)

    async def close(self, *, grace_s: float) -> None:
        """Accept no more shadows; wait up to ``grace_s`` for running ones, then cancel (recorded as timeouts)."""
        self._closing = True
        if not self._tasks:
            return
        _, pending = await asyncio.wait(set(self._tasks), timeout=grace_s)
        for task in pending:
            task.cancel()
        await asyncio.gather(*pending, return_exceptions=True)

    def _offer(self, trial: LiveTrial, arm: str, *, role: Role, sample: int) -> None:
        lane = self._lanes[trial.route]
        if self._closing or lane.admitted >= lane.capacity:
            self._drop(trial.route, arm)
            return
        lane.admitted += 1
        self._gauge(trial.route, lane)
        task = asyncio.create_task(self._run(trial, arm, lane, role=role, sample=sample))
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    async def _run(self, trial: LiveTrial, arm: str, lane: _Lane, *, role: Role, sample: int) -> None:
        started, t0 = time.time(), time.perf_counter()
        try:
            async with lane.slots:
                lane.running += 1
                self._gauge(trial.route, lane)
                try:
                    observation = await self._call(trial, arm)
                finally:
                    lane.running -= 1
        except asyncio.CancelledError:
            timing = Timing(started_at=started, latency_ms=(time.perf_counter() - t0) * 1000)
            error = ErrorInfo(kind="timeout", message="shadow call cancelled at shutdown")
            self._finish(trial, error_observation(arm=arm, model=self.arms[arm].model, error=error, timing=timing,
                                                  params=dict(trial.request_for(arm).params)), role=role, sample=sample)
            raise
        finally:
            lane.admitted -= 1
            self._gauge(trial.route, lane)
        if observation is not None:
            self._finish(trial, observation, role=role, sample=sample)

    async def _call(self, trial: LiveTrial, arm: str) -> Observation | None:
        """One shadow call within the route's ``shadow.timeout_s``; None when the arm refused it (dropped)."""
        timeout_s = self.routes[trial.route].shadow.timeout_s
        started, t0 = time.time(), time.perf_counter()
        try:
            pending = self.arms[arm].call(trial)
        except ArmBusy:
            self._drop(trial.route, arm)
            return None
        self.sent += 1
        self.metrics.shadow_sent.labels(trial.route, arm).inc()
        try:
            async with asyncio.timeout(timeout_s):
                return await pending
        except TimeoutError:
            error = ErrorInfo(kind="timeout", message=f"no answer within shadow.timeout_s={timeout_s}")
        timing = Timing(started_at=started, latency_ms=(time.perf_counter() - t0) * 1000)
        return error_observation(arm=arm, model=self.arms[arm].model, error=error, timing=timing,
                                 params=dict(trial.request_for(arm).params))

    def _finish(self, trial: LiveTrial, observation: Observation, *, role: Role, sample: int) -> None:
        labels = (trial.route, observation.arm)
        if observation.ok:
            self.completed += 1
            self.metrics.shadow_completed.labels(*labels).inc()
        else:
            self.failed += 1
            self.metrics.shadow_failed.labels(*labels).inc()
        if observation.cost_usd:
            key = (trial.route, self._today())
            self._spend[key] = self._spend.get(key, 0.0) + observation.cost_usd
            self.metrics.shadow_spend.labels(*labels).inc(observation.cost_usd)
        self._record(trial, observation, role=role, sample=sample)

    def _drop(self, route: str, arm: str) -> None:
        self.dropped += 1
        self.metrics.shadow_dropped.labels(route, arm).inc()

    def _record(self, trial: LiveTrial, observation: Observation, *, role: Role, sample: int) -> None:
        key = ObservationKey(run=trial.route, trial_id=trial.id, arm=observation.arm, sample=sample)
        prompt = trial.prompt_for(observation.arm)
        if prompt is not None:
            observation = dataclasses.replace(observation, prompt=prompt)
        if not self.recorder.observation(key, role, observation):
            logger.warning("observation of trial %s (%s) dropped: the store writer is full or closed", trial.id, role)

    def _gauge(self, route: str, lane: _Lane) -> None:
        self.metrics.shadow_queue.labels(route).set(lane.admitted - lane.running)
        self.metrics.shadow_in_flight.labels(route).set(lane.running)

    def _today(self) -> str:
        return datetime.fromtimestamp(self.clock(), UTC).date().isoformat()


def arm_calls(arms: Mapping[str, GatewayArm]) -> dict[str, ArmCall]:
    """The engine's call function of every arm: its ``shadow`` call."""
    return {name: ArmCall(call=arm.shadow, model=arm.model) for name, arm in arms.items()}
