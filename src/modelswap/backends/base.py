"""The arm abstraction: something that answers a chat request, on every path.

What it is: the abstract ``Backend`` (one method, ``complete``) and ``FunctionBackend``, its test
double. A backend is all an arm needs to be recorded (``record``), judged, shadowed in-process
(``modelswap.shadow``) and served or shadowed by the gateway (``modelswap.gateway.arms`` adapts any
backend). Two optional parts: ``stream`` hands out the output piece by piece as it is generated
(the default hands it out whole once complete), and ``capacity`` says how many calls an arm that
computes in this process can run and queue before the gateway sheds load (``None``: it bounds
nothing itself, as an HTTP pool or the asynchronous simulator).
What it is not: retries, pooling or model loading; each concrete backend owns those.

A backend never raises for an upstream failure: timeouts, HTTP errors and broken
responses come back as an ``Observation`` whose ``error`` is set.
"""

from __future__ import annotations

import abc
import asyncio
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass

from modelswap.price import Price
from modelswap.types import ChatRequest, ErrorInfo, Observation, Usage

#: Receives each piece of an output as it is generated, on the caller's event loop.
Deltas = Callable[[str], None]


@dataclass(frozen=True, kw_only=True, slots=True)
class Capacity:
    """How many calls an arm runs at once (``in_flight``) and how many may wait for it (``queue``)."""

    in_flight: int
    queue: int


class Backend(abc.ABC):
    """Something that answers a chat request, as the arm ``arm`` configured it."""

    arm: str
    model: str
    capacity: Capacity | None = None

    @abc.abstractmethod
    async def complete(self, request: ChatRequest) -> Observation:
        """Answer ``request``; failures are returned as data, never raised."""

    async def stream(self, request: ChatRequest, deltas: Deltas) -> Observation:
        """``complete``, calling ``deltas`` with each piece of the output as it is generated.

        The pieces joined are the observation's output. By default nothing is generated piece by
        piece: the whole output is one piece, handed out once the answer is complete.
        """
        observation = await self.complete(request)
        if observation.output:
            deltas(observation.output)
        return observation

    @property
    def secrets(self) -> tuple[str, ...]:
        """Credentials this arm holds, which nothing may store (an API key); none by default."""
        return ()

    async def aclose(self) -> None:  # noqa: B027 - optional: most backends hold nothing
        """Release pooled connections or loaded models; the default holds nothing."""


Answer = str | Observation
AnswerFn = Callable[[ChatRequest], Answer | Awaitable[Answer]]


class FunctionBackend(Backend):
    """A backend whose answer is a function of the request: ``FunctionBackend(lambda r: "Paris")``.

    The function may be sync or async and may return the output text or a whole
    ``Observation``. A raised exception becomes an ``ErrorInfo`` of kind ``backend``.
    """

    def __init__(self, answer: AnswerFn, *, arm: str = "function", model: str = "function",
                 price: Price | None = None) -> None:
        self.arm = arm
        self.model = model
        self._answer = answer
        self._price = price or Price()

    async def complete(self, request: ChatRequest) -> Observation:
        started = time.time()
        t0 = time.perf_counter()
        try:
            result = self._answer(request)
            if asyncio.iscoroutine(result) or isinstance(result, Awaitable):
                result = await result
        except Exception as exc:  # noqa: BLE001 - a test double turns any failure into data
            return Observation(arm=self.arm, model=self.model, started_at=started,
                               latency_ms=(time.perf_counter() - t0) * 1000,
                               error=ErrorInfo(kind="backend", message=f"{type(exc).__name__}: {exc}"))
        if isinstance(result, Observation):
            return result
        text = str(result)
        usage = Usage(prompt_tokens=sum(len(str(m.get("content", "")).split()) for m in request.messages),
                      completion_tokens=len(text.split()))
        return Observation(arm=self.arm, model=self.model, output=text, finish_reason="stop", usage=usage,
                           latency_ms=(time.perf_counter() - t0) * 1000, cost_usd=self._price.cost_usd(usage),
                           started_at=started, params=dict(request.params))
