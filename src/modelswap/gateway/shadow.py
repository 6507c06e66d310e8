"""The shadow engine: after the primary answered, call the candidates (and the replica), bounded.

What it is: ``ShadowEngine.after_primary``, called once the primary's response is on its way.
It records the trial's request and primary observation, then offers one shadow call per
candidate (role ``candidate``, sample 0) and, when the decision says so, a second call to the
primary (role ``replica``, sample 1). Each route has a lane: at most ``max_in_flight`` calls
running and ``queue_size`` waiting; a call beyond that is dropped and counted, so memory stays
bounded and nothing ever waits on the client's path. A shadow call uses the arm's shadow pool,
is never retried, has the route's ``shadow.timeout_s`` as its deadline, streams when the client
streamed (so time-to-first-token compares), and ends as an observation: timeouts, HTTP errors,
broken connections and garbage bodies are ``ErrorInfo`` data, never exceptions. Shadow spend is
summed per route and UTC day and fed back to routing (the daily budget).

What it is not: the routing decision (``modelswap.gateway.routing``) or the storage
(``modelswap.gateway.trials``). ``close`` stops new shadows, waits up to a grace period for
those running, and records the ones it must cancel as timeouts.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Callable, Mapping
from datetime import UTC, datetime

from modelswap.config import RouteConfig
from modelswap.gateway.metrics import Metrics
from modelswap.gateway.observe import StreamObserver, Timing, error_observation, observe_body
from modelswap.gateway.trials import Trial, TrialRecorder
from modelswap.gateway.upstream import Upstream, UpstreamError
from modelswap.types import ErrorInfo, Observation, ObservationKey, Role, StoredObservation

logger = logging.getLogger(__name__)


class _Lane:
    """The bounds of one route's shadow calls."""

    def __init__(self, *, max_in_flight: int, queue_size: int) -> None:
        self.capacity = max_in_flight + queue_size
        self.slots = asyncio.Semaphore(max_in_flight)
        self.admitted = 0  # waiting + running
        self.running = 0


class ShadowEngine:
    """Runs every route's shadow calls within their bounds and records every outcome."""

    def __init__(self, *, routes: Mapping[str, RouteConfig], upstreams: Mapping[str, Upstream],
                 recorder: TrialRecorder, metrics: Metrics, clock: Callable[[], float] = time.time) -> None:
        self.routes = routes
        self.upstreams = upstreams
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

    def after_primary(self, trial: Trial, primary: Observation) -> None:
        """Record the trial and its primary observation; offer its shadow calls. Never waits, never raises."""
        self.recorder.record_request(trial.route, trial.request)
        self._record(trial, primary, role="primary", sample=0)
        for arm in trial.decision.shadows:
            self._offer(trial, arm, role="candidate", sample=0)
        if trial.decision.replica:
            self._offer(trial, trial.decision.serving, role="replica", sample=1)

    async def close(self, *, grace_s: float) -> None:
        """Accept no more shadows; wait up to ``grace_s`` for running ones, then cancel (recorded as timeouts)."""
        self._closing = True
        if not self._tasks:
            return
        _, pending = await asyncio.wait(set(self._tasks), timeout=grace_s)
        for task in pending:
            task.cancel()
        await asyncio.gather(*pending, return_exceptions=True)

    def _offer(self, trial: Trial, arm: str, *, role: Role, sample: int) -> None:
        lane = self._lanes[trial.route]
        if self._closing or lane.admitted >= lane.capacity:
            self.dropped += 1
            self.metrics.shadow_dropped.labels(trial.route, arm).inc()
            return
        lane.admitted += 1
        self._gauge(trial.route, lane)
        task = asyncio.create_task(self._run(trial, arm, lane, role=role, sample=sample))
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    async def _run(self, trial: Trial, arm: str, lane: _Lane, *, role: Role, sample: int) -> None:
        started, t0 = time.time(), time.perf_counter()
        try:
            async with lane.slots:
                lane.running += 1
                self._gauge(trial.route, lane)
                self.sent += 1
                self.metrics.shadow_sent.labels(trial.route, arm).inc()
                started, t0 = time.time(), time.perf_counter()
                try:
                    observation = await self._call(trial, self.upstreams[arm])
                finally:
                    lane.running -= 1
        except asyncio.CancelledError:
            timing = Timing(started_at=started, latency_ms=(time.perf_counter() - t0) * 1000)
            error = ErrorInfo(kind="timeout", message="shadow call cancelled at gateway shutdown")
            self._finish(trial, error_observation(arm=arm, model=self.upstreams[arm].arm.model, error=error,
                                                  timing=timing, params={}), role=role, sample=sample)
            raise
        finally:
            lane.admitted -= 1
            self._gauge(trial.route, lane)
        self._finish(trial, observation, role=role, sample=sample)

    def _finish(self, trial: Trial, observation: Observation, *, role: Role, sample: int) -> None:
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

    async def _call(self, trial: Trial, upstream: Upstream) -> Observation:
        """One shadow call, never retried, within the route's ``shadow.timeout_s``; failures become data."""
        timeout_s = self.routes[trial.route].shadow.timeout_s
        payload, params = upstream.prepare(trial.body)
        started, t0 = time.time(), time.perf_counter()
        ttft_ms: float | None = None

        def timing() -> Timing:
            return Timing(started_at=started, latency_ms=(time.perf_counter() - t0) * 1000, ttft_ms=ttft_ms)

        arm, model = upstream.name, upstream.arm.model
        try:
            async with asyncio.timeout(timeout_s):
                answer = await upstream.post("shadow", upstream.url, payload, upstream.headers(trial.authorization))
                if not trial.stream or not answer.ok:
                    content = await answer.read()
                    return observe_body(status=answer.status, content=content, price=upstream.price,
                                        timing=timing(), arm=arm, model=model, params=params, redact=upstream.redact)
                observer = StreamObserver()
                try:
                    async for chunk in answer.chunks():
                        if ttft_ms is None:
                            ttft_ms = (time.perf_counter() - t0) * 1000
                        observer.feed(chunk)
                finally:
                    answer.release()
                return observer.observation(price=upstream.price, timing=timing(), arm=arm, model=model,
                                            params=params, redact=upstream.redact)
        except TimeoutError:
            error = ErrorInfo(kind="timeout", message=f"no answer within shadow.timeout_s={timeout_s}")
        except UpstreamError as exc:
            error = ErrorInfo(kind=exc.kind, message=upstream.redact(str(exc)))
        return error_observation(error=error, timing=timing(), arm=arm, model=model, params=params)

    def _record(self, trial: Trial, observation: Observation, *, role: Role, sample: int) -> None:
        key = ObservationKey(run=trial.route, trial_id=trial.id, arm=observation.arm, sample=sample)
        if not self.recorder.record(StoredObservation(key=key, role=role, observation=observation)):
            logger.warning("observation of trial %s (%s) dropped: the store writer is full or closed", trial.id, role)

    def _gauge(self, route: str, lane: _Lane) -> None:
        self.metrics.shadow_queue.labels(route).set(lane.admitted - lane.running)
        self.metrics.shadow_in_flight.labels(route).set(lane.running)

    def _today(self) -> str:
        return datetime.fromtimestamp(self.clock(), UTC).date().isoformat()
