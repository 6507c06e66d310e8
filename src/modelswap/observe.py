"""From an OpenAI-shaped answer (a whole body or a stream) to an ``Observation``.

What it is: ``Timing`` (when a call started and how long it took), ``observe_body`` for a whole
chat-completion body with its HTTP status, ``observe_stream`` for what a ``StreamReader`` read of
a streamed answer, and ``error_observation`` for a call that got no answer. Each returns an
``Observation`` whose ``error`` says what was wrong (``http`` with the upstream status and its
``error.message``, ``invalid_response`` for a body or stream that is not a completion); nothing
here raises. Text taken from the upstream (error messages, the start of a bad body, the output)
passes through ``scrub``, the arm's own key remover: an upstream that echoes the key it was sent
("Incorrect API key provided: sk-...") cannot get it stored.
What it is not: the wire format itself (``modelswap.openai_wire``) or the calls.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from modelswap.openai_wire import Completion, InvalidResponse, StreamReader, error_message, read_completion
from modelswap.price import Price
from modelswap.types import ErrorInfo, Observation

Scrub = Callable[[str], str]


@dataclass(frozen=True, kw_only=True, slots=True)
class Timing:
    """When a call started (epoch seconds) and how long it took."""

    started_at: float
    latency_ms: float
    ttft_ms: float | None = None


def _keep(text: str) -> str:
    return text


def error_observation(*, arm: str, model: str, error: ErrorInfo, timing: Timing,
                      params: dict[str, Any]) -> Observation:
    return Observation(arm=arm, model=model, error=error, latency_ms=timing.latency_ms, ttft_ms=timing.ttft_ms,
                       started_at=timing.started_at, params=params)


def completed(completion: Completion, *, arm: str, model: str, price: Price, timing: Timing,
              params: dict[str, Any], scrub: Scrub = _keep) -> Observation:
    """The observation of an answer read whole."""
    return Observation(arm=arm, model=completion.model or model, output=scrub(completion.output),
                       finish_reason=completion.finish_reason, usage=completion.usage,
                       cost_usd=price.cost_usd(completion.usage), latency_ms=timing.latency_ms,
                       ttft_ms=timing.ttft_ms, started_at=timing.started_at, params=params)


def observe_body(*, arm: str, model: str, status: int, content: bytes, price: Price, timing: Timing,
                 params: dict[str, Any], scrub: Scrub = _keep) -> Observation:
    """The observation of a non-streamed answer with HTTP ``status`` and body ``content``."""
    if not 200 <= status < 300:
        error = ErrorInfo(kind="http", status=status, message=scrub(error_message(content, status)))
        return error_observation(arm=arm, model=model, error=error, timing=timing, params=params)
    try:
        completion = read_completion(content)
    except InvalidResponse as exc:
        error = ErrorInfo(kind="invalid_response", status=status, message=scrub(str(exc)))
        return error_observation(arm=arm, model=model, error=error, timing=timing, params=params)
    return completed(completion, arm=arm, model=model, price=price, timing=timing, params=params, scrub=scrub)


def observe_stream(reader: StreamReader, *, arm: str, model: str, price: Price, timing: Timing,
                   params: dict[str, Any], scrub: Scrub = _keep, require_done: bool = True) -> Observation:
    """The observation of a streamed answer, once ``reader`` read all of it."""
    try:
        completion = reader.completion(require_done=require_done)
    except InvalidResponse as exc:
        error = ErrorInfo(kind="invalid_response", status=200, message=scrub(str(exc)))
        return error_observation(arm=arm, model=model, error=error, timing=timing, params=params)
    return completed(completion, arm=arm, model=model, price=price, timing=timing, params=params, scrub=scrub)
