"""The ``openai`` backend: any OpenAI-compatible chat-completions endpoint over HTTP.

What it is: one pooled ``httpx.AsyncClient`` per arm posting ``{base_url}/chat/completions``
(OpenAI, vLLM, Ollama, llama.cpp server, the OpenAI-compatible endpoints of Gemini and
Anthropic), with bounded retries and one deadline for the whole call. Every upstream failure
comes back as an ``Observation`` whose ``error`` is set: ``timeout`` (the deadline passed),
``http`` (a non-2xx status, with the upstream ``error.message``), ``connection`` or
``invalid_response`` (a body that is not an OpenAI-shaped completion).

What it is not: streaming (calls are non-streaming; ``stream`` params are dropped), the
gateway's forwarding of client credentials, or a general OpenAI SDK.

Retries: on 429, 500, 502, 503, 504 and on broken connections, at most ``max_retries`` more
attempts, sleeping ``uniform(0, min(max_backoff_s, backoff_s * 2**attempt))`` (full jitter) or
the upstream's ``Retry-After`` seconds, capped at ``max_backoff_s``. Other 4xx are final.

Output: ``choices[0].message.content``; when the content is null and the model called tools,
the output is the JSON array of ``message.tool_calls``; when it refused (``message.refusal``),
the refusal text; otherwise ``""``.

Secrets: the API key is sent only in the ``Authorization`` header. It is never logged, never
part of ``repr``, and is replaced by ``***`` wherever an upstream echoes it (outputs, errors).
"""

from __future__ import annotations

import asyncio
import logging
import random
import time
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass
from typing import Any

import httpx
import orjson

from modelswap.backends.base import Backend
from modelswap.config import OpenAIArm
from modelswap.errors import BackendError
from modelswap.price import Price
from modelswap.types import ChatRequest, ErrorInfo, Observation, Usage

logger = logging.getLogger(__name__)

RETRY_STATUSES = frozenset({429, 500, 502, 503, 504})
_RETRY_ERRORS = (httpx.NetworkError, httpx.RemoteProtocolError)
_NOT_PARAMS = frozenset({"model", "messages", "stream", "stream_options"})
_SHAPE_ERRORS = (orjson.JSONDecodeError, KeyError, TypeError, IndexError)

Sleep = Callable[[float], Awaitable[None]]


@dataclass(frozen=True, kw_only=True, slots=True)
class _Answer:
    output: str
    finish_reason: str | None
    usage: Usage | None
    model: str


class OpenAIBackend(Backend):
    """An arm served by an OpenAI-compatible endpoint; ``aclose()`` releases its connection pool."""

    def __init__(self, *, arm: str, base_url: str, model: str, api_key: str | None = None,
                 timeout_s: float = 60.0, max_retries: int = 2, backoff_s: float = 0.5,
                 max_backoff_s: float = 8.0, max_connections: int = 100,
                 params: Mapping[str, Any] | None = None, price: Price | None = None,
                 headers: Mapping[str, str] | None = None, forward_expect: bool = False,
                 rng: random.Random | None = None, sleep: Sleep = asyncio.sleep,
                 transport: httpx.AsyncBaseTransport | None = None) -> None:
        self.arm = arm
        self.model = model
        self.base_url = base_url.rstrip("/")
        self.timeout_s = timeout_s
        self.max_retries = max_retries
        self.backoff_s = backoff_s
        self.max_backoff_s = max_backoff_s
        self.max_connections = max_connections
        self.params = dict(params or {})
        self.price = price or Price()
        self.forward_expect = forward_expect
        self._api_key = api_key or None
        self._headers = {**(headers or {}), "Content-Type": "application/json"}
        if self._api_key:
            self._headers["Authorization"] = f"Bearer {self._api_key}"
        self._rng = rng or random.Random()
        self._sleep = sleep
        self._transport = transport
        self._client: httpx.AsyncClient | None = None

    @classmethod
    def from_config(cls, name: str, arm: OpenAIArm, *, env: Mapping[str, str]) -> OpenAIBackend:
        """The backend for arm ``name``; its key is read from ``env[arm.api_key_env]``."""
        return cls(arm=name, base_url=arm.base_url, model=arm.model, api_key=_api_key(name, arm, env),
                   timeout_s=arm.timeout_s, max_retries=arm.max_retries, backoff_s=arm.backoff_s,
                   max_backoff_s=arm.max_backoff_s, max_connections=arm.max_connections,
                   params=arm.params, price=Price(**arm.price.model_dump()), headers=arm.headers,
                   forward_expect=arm.forward_expect)

    def __repr__(self) -> str:
        key = "set" if self._api_key else "none"
        return f"OpenAIBackend(arm={self.arm!r}, model={self.model!r}, base_url={self.base_url!r}, api_key={key})"

    async def complete(self, request: ChatRequest) -> Observation:
        """Answer ``request``; every upstream failure is returned as an ``ErrorInfo``, never raised."""
        merged = {**self.params, **request.params}
        params = {k: v for k, v in merged.items() if k not in _NOT_PARAMS}
        payload = orjson.dumps(self._body(request, params))
        started, t0 = time.time(), time.perf_counter()
        result = await self._attempt_all(payload)
        latency_ms = (time.perf_counter() - t0) * 1000
        if isinstance(result, ErrorInfo):
            logger.debug("arm %r: %s error after %.1f ms: %s", self.arm, result.kind, latency_ms, result.message)
            return Observation(arm=self.arm, model=self.model, error=result, latency_ms=latency_ms,
                               started_at=started, params=params)
        return Observation(arm=self.arm, model=result.model, output=result.output, finish_reason=result.finish_reason,
                           usage=result.usage, cost_usd=self.price.cost_usd(result.usage), latency_ms=latency_ms,
                           started_at=started, params=params)

    async def aclose(self) -> None:
        """Close the pooled client; a later call opens a new one."""
        client, self._client = self._client, None
        if client is not None:
            await client.aclose()

    def _body(self, request: ChatRequest, params: dict[str, Any]) -> dict[str, Any]:
        body: dict[str, Any] = {**params, "model": self.model, "messages": request.messages}
        if self.forward_expect:
            metadata = params.get("metadata")
            extra = {"modelswap_category": request.category}
            if request.expect:
                extra["modelswap_expect"] = orjson.dumps(request.expect).decode()
            body["metadata"] = {**(metadata if isinstance(metadata, dict) else {}), **extra}
        return body

    async def _attempt_all(self, payload: bytes) -> _Answer | ErrorInfo:
        try:
            async with asyncio.timeout(self.timeout_s):
                response = await self._post_with_retries(payload)
        except (TimeoutError, httpx.TimeoutException):
            return ErrorInfo(kind="timeout", message=f"no answer within timeout_s={self.timeout_s}")
        except httpx.DecodingError as exc:
            return ErrorInfo(kind="invalid_response", message=self._redact(f"undecodable body: {exc}"))
        except httpx.RequestError as exc:
            return ErrorInfo(kind="connection", message=self._redact(f"{type(exc).__name__}: {exc}"))
        if not response.is_success:
            message = self._redact(_upstream_message(response))
            return ErrorInfo(kind="http", status=response.status_code, message=message)
        return self._answer(response)

    async def _post_with_retries(self, payload: bytes) -> httpx.Response:
        client = self._http()
        url = f"{self.base_url}/chat/completions"
        attempt = 0
        while True:
            attempt += 1
            final = attempt > self.max_retries
            try:
                response = await client.post(url, content=payload, headers=self._headers)
            except _RETRY_ERRORS as exc:
                if final:
                    raise
                delay, reason = self._backoff(attempt, None), type(exc).__name__
            else:
                if final or response.status_code not in RETRY_STATUSES:
                    logger.debug("arm %r: HTTP %d after %d attempt(s)", self.arm, response.status_code, attempt)
                    return response
                delay = self._backoff(attempt, response.headers.get("retry-after"))
                reason = f"HTTP {response.status_code}"
            logger.debug("arm %r: attempt %d failed (%s); retrying in %.3f s", self.arm, attempt, reason, delay)
            await self._sleep(delay)

    def _backoff(self, attempt: int, retry_after: str | None) -> float:
        """Seconds to wait after failed attempt number ``attempt`` (1-based)."""
        if retry_after is not None:
            try:
                return min(self.max_backoff_s, max(0.0, float(retry_after)))
            except ValueError:
                pass  # an HTTP-date: fall back to our own backoff
        return self._rng.uniform(0.0, min(self.max_backoff_s, self.backoff_s * 2 ** (attempt - 1)))

    def _answer(self, response: httpx.Response) -> _Answer | ErrorInfo:
        try:
            body = orjson.loads(response.content)
            choice = body["choices"][0]
            message = choice["message"]
            output = _output(message)
            finish_reason = choice.get("finish_reason")
            model = body.get("model")
        except _SHAPE_ERRORS as exc:
            detail = f"{type(exc).__name__}: {exc}"
            return ErrorInfo(kind="invalid_response", status=response.status_code,
                             message=self._redact(f"not a chat completion ({detail}): {response.text[:200]}"))
        return _Answer(output=self._redact(output), usage=_usage(body.get("usage")),
                       finish_reason=finish_reason if isinstance(finish_reason, str) else None,
                       model=model if isinstance(model, str) and model else self.model)

    def _http(self) -> httpx.AsyncClient:
        if self._client is None:
            limits = httpx.Limits(max_connections=self.max_connections,
                                  max_keepalive_connections=self.max_connections)
            self._client = httpx.AsyncClient(timeout=httpx.Timeout(self.timeout_s), limits=limits,
                                             transport=self._transport)
        return self._client

    def _redact(self, text: str) -> str:
        return text.replace(self._api_key, "***") if self._api_key and self._api_key in text else text


def _api_key(name: str, arm: OpenAIArm, env: Mapping[str, str]) -> str | None:
    if arm.api_key_env is None:
        return None
    key = env.get(arm.api_key_env)
    if not key:
        raise BackendError(f"environment variable {arm.api_key_env} (api_key_env) is not set or empty", arm=name)
    return key


def _output(message: object) -> str:
    """The text of an assistant message: content, else its tool calls as JSON, else its refusal."""
    if not isinstance(message, dict):
        raise TypeError(f"message is {type(message).__name__}, not an object")
    content = message.get("content")
    if isinstance(content, str):
        return content
    if content is not None:
        raise TypeError(f"message.content is {type(content).__name__}, not a string")
    if message.get("tool_calls"):
        return orjson.dumps(message["tool_calls"]).decode()
    refusal = message.get("refusal")
    return refusal if isinstance(refusal, str) else ""


def _usage(raw: object) -> Usage | None:
    if not isinstance(raw, dict):
        return None
    prompt, completion = raw.get("prompt_tokens"), raw.get("completion_tokens")
    if not isinstance(prompt, int) or not isinstance(completion, int):
        return None
    return Usage(prompt_tokens=prompt, completion_tokens=completion)


def _upstream_message(response: httpx.Response) -> str:
    """``error.message`` of an OpenAI-shaped error body (or ``error`` as a string), else the body's start."""
    try:
        error = orjson.loads(response.content)["error"]
        message = error if isinstance(error, str) else error["message"]
    except _SHAPE_ERRORS:
        message = None
    if isinstance(message, str) and message:
        return message
    return response.text[:200] or f"HTTP {response.status_code}"
