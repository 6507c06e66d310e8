"""The simulator backend: the seeded simulated model, in-process, taking its time for real.

What it is: ``SimBackend``, which answers with ``modelswap.sim.model.simulate`` and waits the
simulated latency (or ``hang_s`` when the request hangs) with ``asyncio.sleep``, so timeouts,
concurrency and latency comparisons behave as against a remote model. What it is not: the
simulation itself, nor an HTTP client (to simulate over HTTP, point the ``openai`` backend at
``modelswap sim serve``).

Errors are data: a simulated error becomes ``ErrorInfo(kind="http", status=...)``; a wait
longer than ``timeout_s`` becomes ``ErrorInfo(kind="timeout")`` after ``timeout_s``.
The arm's ``params`` are the defaults of every request; a request's own params win.
"""

from __future__ import annotations

import asyncio
import dataclasses
import time
from collections.abc import Mapping
from typing import Any

from modelswap.backends.base import Backend
from modelswap.price import Price
from modelswap.sim.model import SimOutcome, simulate
from modelswap.sim.quirks import Quirks
from modelswap.types import ChatRequest, ErrorInfo, Observation


class SimBackend(Backend):
    """The simulator as arm ``arm``: every decision seeded by ``seed`` and the request."""

    def __init__(self, *, arm: str, seed: int, quirks: Quirks | None = None, model: str = "sim",
                 price: Price | None = None, timeout_s: float | None = None,
                 params: Mapping[str, Any] | None = None) -> None:
        self.arm = arm
        self.model = model
        self.seed = seed
        self.quirks = quirks or Quirks()
        self.timeout_s = timeout_s
        self._price = price or Price()
        self._params = dict(params or {})

    async def complete(self, request: ChatRequest) -> Observation:
        """Simulate ``request``, wait as long as the simulated model takes, and observe the outcome."""
        started = time.time()
        t0 = time.perf_counter()
        if self._params:
            request = dataclasses.replace(request, params={**self._params, **request.params})
        outcome = simulate(request, seed=self.seed, quirks=self.quirks, model=self.model)
        try:
            async with asyncio.timeout(self.timeout_s):
                await asyncio.sleep(outcome.wait_s)
        except TimeoutError:
            return self._observe(request, started, t0, error=ErrorInfo(
                kind="timeout", message=f"no answer within timeout_s={self.timeout_s}"))
        if outcome.error_status is not None:
            return self._observe(request, started, t0, error=ErrorInfo(
                kind="http", status=outcome.error_status, message=outcome.error_message or "simulated error"))
        return self._observe(request, started, t0, outcome=outcome)

    def _observe(self, request: ChatRequest, started: float, t0: float, *, outcome: SimOutcome | None = None,
                 error: ErrorInfo | None = None) -> Observation:
        latency_ms = (time.perf_counter() - t0) * 1000
        if outcome is None:
            return Observation(arm=self.arm, model=self.model, latency_ms=latency_ms, error=error,
                               started_at=started, params=dict(request.params))
        return Observation(arm=self.arm, model=self.model, output=outcome.output,
                           finish_reason=outcome.finish_reason, usage=outcome.usage, latency_ms=latency_ms,
                           cost_usd=self._price.cost_usd(outcome.usage), started_at=started,
                           params=dict(request.params))
