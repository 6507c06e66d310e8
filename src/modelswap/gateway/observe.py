"""From an upstream's answer (streamed or not) to an ``Observation``.

What it is: ``observe_body`` for a whole chat-completion body and ``StreamObserver``, fed the
raw bytes of a server-sent-event stream as they pass through, which gathers the content
deltas, the finish reason, the usage (when ``stream_options.include_usage``) and whether
``[DONE]`` arrived. Both return an ``Observation`` whose ``error`` says what was wrong (``http``
with the upstream status, ``invalid_response`` for a garbage body); nothing here raises. Text
taken from the upstream (error messages, the start of a bad body, the output) passes through
``redact``, the arm's own key remover (``Upstream.redact``): an upstream that echoes the key it
was sent ("Incorrect API key provided: sk-...") cannot get it stored.
What it is not: the forwarding itself; the gateway relays bytes unchanged and only reads them.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import orjson

from modelswap.backends.openai import _output, _usage
from modelswap.price import Price
from modelswap.types import ErrorInfo, Observation, Usage

Redact = Callable[[str], str]

_SHAPE_ERRORS = (orjson.JSONDecodeError, KeyError, TypeError, IndexError, ValueError, AttributeError)


@dataclass(frozen=True, kw_only=True, slots=True)
class Timing:
    """When a call started (epoch seconds) and how long it took."""

    started_at: float
    latency_ms: float
    ttft_ms: float | None = None


def error_observation(*, arm: str, model: str, error: ErrorInfo, timing: Timing,
                      params: dict[str, Any]) -> Observation:
    return Observation(arm=arm, model=model, error=error, latency_ms=timing.latency_ms, ttft_ms=timing.ttft_ms,
                       started_at=timing.started_at, params=params)


def _keep(text: str) -> str:
    return text


def observe_body(*, arm: str, model: str, status: int, content: bytes, price: Price, timing: Timing,
                 params: dict[str, Any], redact: Redact = _keep) -> Observation:
    """The observation of a non-streamed answer with HTTP ``status`` and body ``content``."""
    if not 200 <= status < 300:
        error = ErrorInfo(kind="http", status=status, message=redact(upstream_message(content, status)))
        return error_observation(arm=arm, model=model, error=error, timing=timing, params=params)
    try:
        body = orjson.loads(content)
        choice = body["choices"][0]
        output = _output(choice["message"])
        finish_reason = choice.get("finish_reason")
        answered_model = body.get("model")
    except _SHAPE_ERRORS as exc:
        message = f"not a chat completion ({type(exc).__name__}: {exc}): {content[:200]!r}"
        error = ErrorInfo(kind="invalid_response", status=status, message=redact(message))
        return error_observation(arm=arm, model=model, error=error, timing=timing, params=params)
    usage = _usage(body.get("usage"))
    return Observation(arm=arm, model=answered_model if isinstance(answered_model, str) and answered_model else model,
                       output=output if output is None else redact(output),
                       finish_reason=finish_reason if isinstance(finish_reason, str) else None,
                       usage=usage, cost_usd=price.cost_usd(usage), latency_ms=timing.latency_ms,
                       ttft_ms=timing.ttft_ms, started_at=timing.started_at, params=params)


def upstream_message(content: bytes, status: int) -> str:
    """``error.message`` of an OpenAI-shaped error body, else the start of the body."""
    try:
        error = orjson.loads(content)["error"]
        message = error if isinstance(error, str) else error["message"]
    except _SHAPE_ERRORS:
        message = None
    if isinstance(message, str) and message:
        return message
    return content[:200].decode("utf-8", "replace") or f"HTTP {status}"


@dataclass(kw_only=True, slots=True)
class StreamObserver:
    """Reads an SSE chat-completion stream as it passes; ``observation`` once it ended."""

    pieces: list[str] = field(default_factory=list)
    finish_reason: str | None = None
    usage: Usage | None = None
    model: str | None = None
    done: bool = False
    problem: str | None = None
    _buffer: bytes = b""

    def feed(self, chunk: bytes) -> None:
        """Take the next raw bytes of the stream (any split); never raises."""
        self._buffer += chunk.replace(b"\r\n", b"\n")
        while b"\n\n" in self._buffer:
            event, self._buffer = self._buffer.split(b"\n\n", 1)
            for line in event.split(b"\n"):
                if line.startswith(b"data:"):
                    self._data(line[5:].strip())

    def _data(self, data: bytes) -> None:
        if data == b"[DONE]":
            self.done = True
            return
        try:
            chunk = orjson.loads(data)
            if isinstance(chunk.get("model"), str):
                self.model = chunk["model"]
            self.usage = _usage(chunk.get("usage")) or self.usage
            for choice in chunk.get("choices") or []:
                if choice.get("index", 0) != 0:
                    continue
                content = (choice.get("delta") or {}).get("content")
                if isinstance(content, str):
                    self.pieces.append(content)
                if isinstance(choice.get("finish_reason"), str):
                    self.finish_reason = choice["finish_reason"]
        except _SHAPE_ERRORS as exc:
            self.problem = self.problem or f"bad stream event ({type(exc).__name__}): {data[:200]!r}"

    def observation(self, *, arm: str, model: str, price: Price, timing: Timing,
                    params: dict[str, Any], redact: Redact = _keep) -> Observation:
        problem = self.problem or (None if self.done else "the stream ended before [DONE]")
        if problem is not None:
            error = ErrorInfo(kind="invalid_response", status=200, message=redact(problem))
            return error_observation(arm=arm, model=model, error=error, timing=timing, params=params)
        return Observation(arm=arm, model=self.model or model, output=redact("".join(self.pieces)),
                           finish_reason=self.finish_reason, usage=self.usage, cost_usd=price.cost_usd(self.usage),
                           latency_ms=timing.latency_ms, ttft_ms=timing.ttft_ms, started_at=timing.started_at,
                           params=params)
