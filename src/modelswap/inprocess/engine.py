"""The gateway's shadow engine with modelswap backends as the shadow arms, for in-process use.

What it is: ``BackendShadowEngine``, a ``ShadowEngine`` (same lanes: ``max_in_flight``, queue cap
with drops counted, per-route daily spend fed to routing, ``close`` with a grace period) whose
shadow calls go through each arm's ``Backend`` (``build_backend``: sim, openai and local arms
all work) instead of the gateway's HTTP upstreams. Each call has the route's
``shadow.timeout_s`` as its deadline; ``openai`` arms are built with ``max_retries=0`` (the shadow
path does not retry). Outcomes are observations, never exceptions.
What it is not: the routing decision (``modelswap.gateway.routing.decide``) or the storage.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Mapping

from modelswap.backends import Backend, build_backend
from modelswap.config import OpenAIArm, RouteConfig, Settings
from modelswap.gateway.metrics import Metrics
from modelswap.gateway.shadow import ShadowEngine, _Lane
from modelswap.gateway.trials import Trial, TrialRecorder
from modelswap.types import ErrorInfo, Observation, Role

logger = logging.getLogger(__name__)


def shadow_backends(settings: Settings, route: RouteConfig) -> dict[str, Backend]:
    """A backend for every arm that may shadow on ``route``: its candidates, and its primary for replicas."""
    names = list(route.candidates)
    if route.shadow.replica_rate > 0:
        names.append(route.primary)
    backends: dict[str, Backend] = {}
    for name in names:
        arm = settings.arm(name)
        if isinstance(arm, OpenAIArm):
            arm = arm.model_copy(update={"max_retries": 0})
        backends[name] = build_backend(name, arm)
    return backends


class BackendShadowEngine(ShadowEngine):
    """``ShadowEngine`` calling ``backends`` (by arm name); ``aclose_backends`` after ``close``."""

    def __init__(self, *, routes: Mapping[str, RouteConfig], backends: Mapping[str, Backend],
                 recorder: TrialRecorder) -> None:
        super().__init__(routes=routes, upstreams={}, recorder=recorder, metrics=Metrics())
        self.backends = backends

    async def aclose_backends(self) -> None:
        for backend in self.backends.values():
            await backend.aclose()

    async def _run(self, trial: Trial, arm: str, lane: _Lane, *, role: Role, sample: int) -> None:
        try:
            async with lane.slots:
                lane.running += 1
                self.sent += 1
                try:
                    observation = await self._complete(trial, self.backends[arm])
                finally:
                    lane.running -= 1
        except asyncio.CancelledError:
            error = ErrorInfo(kind="timeout", message="shadow call cancelled at close")
            self._finish(trial, Observation(arm=arm, model=self.backends[arm].model, error=error,
                                            started_at=time.time()), role=role, sample=sample)
            raise
        finally:
            lane.admitted -= 1
        self._finish(trial, observation, role=role, sample=sample)

    async def _complete(self, trial: Trial, backend: Backend) -> Observation:
        """One shadow call within the route's ``shadow.timeout_s``; every failure becomes data."""
        timeout_s = self.routes[trial.route].shadow.timeout_s
        started, t0 = time.time(), time.perf_counter()
        error: ErrorInfo
        try:
            async with asyncio.timeout(timeout_s):
                return await backend.complete(trial.request)
        except TimeoutError:
            error = ErrorInfo(kind="timeout", message=f"no answer within shadow.timeout_s={timeout_s}")
        except Exception as exc:  # noqa: BLE001 - a broken arm must become data, never reach the caller's process
            logger.warning("shadow arm %s raised %s", backend.arm, type(exc).__name__)
            error = ErrorInfo(kind="backend", message=f"{type(exc).__name__}: {exc}")
        return Observation(arm=backend.arm, model=backend.model, error=error, started_at=started,
                           latency_ms=(time.perf_counter() - t0) * 1000, params=dict(trial.request.params))
