"""The primary's observation, read from what the wrapped OpenAI client returned (or raised).

What it is: ``observe_response`` (a whole ``ChatCompletion``), ``observe_failure`` (the SDK's
exception) and ``StreamTap``, which keeps the chunks of a streamed answer as the caller reads
them (and when the first came) to be read later, off the caller's thread, by the wire module's
``StreamReader``. Nothing here changes what the caller gets; nothing here raises.
What it is not: the wrappers (``modelswap.inprocess.client``) or the reading of OpenAI's shapes
(``modelswap.openai_wire``).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import orjson

from modelswap.observe import Timing, error_observation, observe_body, observe_stream
from modelswap.openai_wire import StreamReader
from modelswap.price import Price
from modelswap.types import ErrorInfo, Observation


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
    """Keeps the ``ChatCompletionChunk`` objects as the caller consumes them; ``observation`` at the end."""

    chunks: list[Any] = field(default_factory=list)
    ttft_ms: float | None = None

    def feed(self, chunk: Any, *, elapsed_ms: float) -> None:
        """Keep one chunk (read later: the caller's thread only appends)."""
        if self.ttft_ms is None:
            self.ttft_ms = elapsed_ms
        self.chunks.append(chunk)

    def observation(self, *, arm: PrimaryArm, started_at: float, latency_ms: float, params: dict[str, Any],
                    error: ErrorInfo | None = None) -> Observation:
        """What the chunks said (an ``invalid_response`` if the stream ended before a finish reason)."""
        timing = Timing(started_at=started_at, latency_ms=latency_ms, ttft_ms=self.ttft_ms)
        if error is not None:
            return error_observation(arm=arm.name, model=arm.model, error=error, timing=timing, params=params)
        reader = StreamReader()
        for chunk in self.chunks:
            dump = getattr(chunk, "model_dump", None)
            reader.take(dump(mode="json") if callable(dump) else chunk)
        return observe_stream(reader, arm=arm.name, model=arm.model, price=arm.price, timing=timing, params=params,
                              require_done=False)
