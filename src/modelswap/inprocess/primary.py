"""The primary's observation, read from what the wrapped OpenAI client returned (or raised).

What it is: ``observe_response`` (a whole ``ChatCompletion``), ``observe_failure`` (the SDK's
exception) and ``StreamTap``, which watches the chunks of a streamed answer as the caller reads
them. Nothing here changes what the caller gets; nothing here raises.
What it is not: the wrappers (``modelswap.inprocess.client``).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import orjson

from modelswap.gateway.observe import Timing, error_observation, observe_body
from modelswap.price import Price
from modelswap.types import ErrorInfo, Observation, Usage


@dataclass(frozen=True, kw_only=True, slots=True)
class PrimaryArm:
    """What the primary's observations are labelled with: arm, configured model id, price."""

    name: str
    model: str
    price: Price


def observe_response(body: Any, *, arm: PrimaryArm, timing: Timing, params: dict[str, Any]) -> Observation:
    """The observation of a ``ChatCompletion`` already dumped to plain data (``model_dump(mode="json")``)."""
    try:
        content = orjson.dumps(body)
    except TypeError as exc:
        error = ErrorInfo(kind="invalid_response", message=f"response not serialisable: {exc}")
        return error_observation(arm=arm.name, model=arm.model, error=error, timing=timing, params=params)
    return observe_body(arm=arm.name, model=arm.model, status=200, content=content, price=arm.price,
                        timing=timing, params=params)


def observe_failure(exc: BaseException, *, arm: PrimaryArm, timing: Timing, params: dict[str, Any]) -> Observation:
    """The observation of a call the SDK answered with ``exc`` (it is re-raised to the caller as is)."""
    status = getattr(exc, "status_code", None)
    name = type(exc).__name__
    if isinstance(status, int):
        error = ErrorInfo(kind="http", status=status, message=f"{name}: {exc}")
    elif "Timeout" in name:
        error = ErrorInfo(kind="timeout", message=f"{name}: {exc}")
    else:
        error = ErrorInfo(kind="connection", message=f"{name}: {exc}")
    return error_observation(arm=arm.name, model=arm.model, error=error, timing=timing, params=params)


@dataclass(kw_only=True, slots=True)
class StreamTap:
    """Reads ``ChatCompletionChunk`` objects as the caller consumes them; ``observation`` at the end."""

    pieces: list[str] = field(default_factory=list)
    finish_reason: str | None = None
    usage: Usage | None = None
    model: str | None = None
    ttft_ms: float | None = None

    def feed(self, chunk: Any, *, elapsed_ms: float) -> None:
        if self.ttft_ms is None:
            self.ttft_ms = elapsed_ms
        model = getattr(chunk, "model", None)
        self.model = model if isinstance(model, str) and model else self.model
        usage = getattr(chunk, "usage", None)
        if usage is not None:
            self.usage = Usage(prompt_tokens=int(getattr(usage, "prompt_tokens", 0) or 0),
                               completion_tokens=int(getattr(usage, "completion_tokens", 0) or 0))
        for choice in getattr(chunk, "choices", None) or ():
            if getattr(choice, "index", 0) != 0:
                continue
            delta = getattr(choice, "delta", None)
            content = getattr(delta, "content", None)
            if isinstance(content, str):
                self.pieces.append(content)
            if isinstance(getattr(choice, "finish_reason", None), str):
                self.finish_reason = choice.finish_reason

    def observation(self, *, arm: PrimaryArm, started_at: float, latency_ms: float, params: dict[str, Any],
                    error: ErrorInfo | None = None) -> Observation:
        timing = Timing(started_at=started_at, latency_ms=latency_ms, ttft_ms=self.ttft_ms)
        if error is None and self.finish_reason is None:
            error = ErrorInfo(kind="invalid_response", message="the stream ended before a finish_reason")
        if error is not None:
            return error_observation(arm=arm.name, model=arm.model, error=error, timing=timing, params=params)
        return Observation(arm=arm.name, model=self.model or arm.model, output="".join(self.pieces),
                           finish_reason=self.finish_reason, usage=self.usage, cost_usd=arm.price.cost_usd(self.usage),
                           latency_ms=latency_ms, ttft_ms=self.ttft_ms, started_at=started_at, params=params)
