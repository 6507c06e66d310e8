"""The ``openai`` backend: any OpenAI-compatible chat-completions endpoint over HTTP, on aiohttp.

What it is: ``OpenAIBackend``, one per arm, holding two pooled aiohttp sessions: ``primary``
(``complete``, and the gateway's serving calls) and ``shadow`` (the gateway's shadow calls), so a
hung or failing shadow arm can never take the connections the serving path needs. It serves two
callers through one connection layer:

- ``complete(request)`` (``record``, in-process shadows, the judge): one call with bounded
  retries under one deadline, read into an ``Observation``. Every upstream failure comes back as
  data: ``timeout`` (the deadline passed), ``http`` (a non-2xx status, with the upstream's
  ``error.message``), ``connection`` or ``invalid_response`` (a body that is not a completion).
- ``post`` (the gateway, ``modelswap.gateway.arms``): one body sent as the client sent it
  (``prepare``: the arm's model id, its params as defaults), its ``Answer`` returned as soon as
  the status line arrived, so the gateway relays the bytes unchanged. Never retried (the client's
  SDK retries); a failure to get an HTTP answer is an ``UpstreamError`` (``timeout`` or ``connection``).

What it is not: the wire format (``modelswap.openai_wire``: request shaping, the fields that are
not params, reading bodies and streams, key removal) or streaming for ``complete`` (its calls are
non-streaming; ``stream`` params are dropped).

Why aiohttp (httpx served ``record`` until issue 9): on the gateway's path the HTTP client is most
of the cost; measured against the benchmark's mock, one request at a time, httpx took 1.77 ms of
CPU per request and aiohttp 0.26 ms (docs/benchmarks.md). One client now serves both callers.

Retries (``complete`` only): on 429, 500, 502, 503, 504 and on broken connections, at most
``max_retries`` more attempts, sleeping ``uniform(0, min(max_backoff_s, backoff_s * 2**attempt))``
(full jitter) or the upstream's ``Retry-After`` seconds, capped at ``max_backoff_s``. Other 4xx are final.

Timeouts: ``timeout_s`` bounds connecting (waiting for a pooled connection included) and each
read, not a whole streamed answer that keeps sending; ``complete`` also has it as one deadline
over all its attempts. Bodies are decompressed.

Proxies: ``HTTP_PROXY``/``HTTPS_PROXY`` (or lower case) and ``NO_PROXY`` of the environment given
to ``from_config`` are honoured, as the ``openai`` SDK does; they are read once, when the arm is built.

Secrets: the API key is sent only in the ``Authorization`` header; the client's own
``Authorization`` goes upstream only when the arm sets ``forward_authorization``. The key is never
logged, never part of ``repr``, and ``scrub`` replaces it by ``***`` in anything an upstream
echoes (outputs, errors).
"""

from __future__ import annotations

import asyncio
import logging
import random
import time
from collections.abc import AsyncIterator, Awaitable, Callable, Mapping
from typing import Any, Literal

import aiohttp
import orjson
from yarl import URL

from modelswap.backends.base import Backend
from modelswap.config import OpenAIArm
from modelswap.errors import BackendError
from modelswap.observe import Timing, error_observation, observe_body
from modelswap.openai_wire import NOT_PARAMS, request_body, reshape, scrub
from modelswap.price import Price
from modelswap.types import ChatRequest, ErrorInfo, Observation

logger = logging.getLogger(__name__)

RETRY_STATUSES = frozenset({429, 500, 502, 503, 504})
_CALL_ERRORS = (aiohttp.ClientError, OSError, TimeoutError)

Pool = Literal["primary", "shadow"]
Sleep = Callable[[float], Awaitable[None]]


class UpstreamError(Exception):
    """No HTTP answer from an arm: ``kind`` is ``timeout`` or ``connection``; ``str()`` says what happened."""

    def __init__(self, kind: Literal["timeout", "connection"], message: str) -> None:
        super().__init__(message)
        self.kind = kind


def _failure(exc: BaseException, *, doing: str) -> UpstreamError:
    if isinstance(exc, TimeoutError):
        return UpstreamError("timeout", f"timed out {doing} ({type(exc).__name__})")
    detail = str(exc) or type(exc).__name__
    return UpstreamError("connection", f"{type(exc).__name__} {doing}: {detail}")


class Answer:
    """An upstream's HTTP answer whose body is still to be read: ``read`` it whole, or take its ``chunks`` and
    ``release`` it after."""

    __slots__ = ("_response", "content_type", "status")

    def __init__(self, response: aiohttp.ClientResponse) -> None:
        self._response = response
        self.status = response.status
        self.content_type = response.headers.get("content-type", "application/json")

    @property
    def ok(self) -> bool:
        return 200 <= self.status < 300

    @property
    def retry_after(self) -> str | None:
        return self._response.headers.get("retry-after")

    async def read(self) -> bytes:
        """The whole body, then the connection goes back to the pool; ``UpstreamError`` if it fails while reading."""
        try:
            return await self._response.read()
        except _CALL_ERRORS as exc:
            raise _failure(exc, doing="while reading the body") from None
        finally:
            self.release()

    async def chunks(self) -> AsyncIterator[bytes]:
        """The body's bytes as they arrive; ``UpstreamError`` if the connection fails midway."""
        content = self._response.content
        while True:
            try:
                chunk = await content.readany()
            except _CALL_ERRORS as exc:
                raise _failure(exc, doing="mid-stream") from None
            if not chunk:
                return
            yield chunk

    def release(self) -> None:
        """Give the connection back to the pool (closed instead if the body was not read to the end)."""
        if self._response.content.at_eof():
            self._response.release()
        else:
            self._response.close()


class OpenAIBackend(Backend):
    """An arm served by an OpenAI-compatible endpoint; ``aclose()`` releases its connection pools."""

    def __init__(self, *, arm: str, base_url: str, model: str, api_key: str | None = None,
                 timeout_s: float = 60.0, max_retries: int = 2, backoff_s: float = 0.5,
                 max_backoff_s: float = 8.0, max_connections: int = 100, shadow_connections: int = 64,
                 params: Mapping[str, Any] | None = None, price: Price | None = None,
                 headers: Mapping[str, str] | None = None, forward_expect: bool = False,
                 forward_authorization: bool = False, proxy: str | None = None,
                 rng: random.Random | None = None, sleep: Sleep = asyncio.sleep) -> None:
        self.arm = arm
        self.model = model
        self.base_url = base_url.rstrip("/")
        self.url = URL(f"{self.base_url}/chat/completions")  # parsed once, not on every call
        self.embeddings_url = URL(f"{self.base_url}/embeddings")
        self.timeout_s = timeout_s
        self.max_retries = max_retries
        self.backoff_s = backoff_s
        self.max_backoff_s = max_backoff_s
        self.max_connections = max_connections
        self.shadow_connections = shadow_connections
        self.params = dict(params or {})
        self.price = price or Price()
        self.forward_expect = forward_expect
        self.forward_authorization = forward_authorization
        self.proxy = proxy
        self._api_key = api_key or None
        self._headers = {**(headers or {}), "content-type": "application/json"}
        if self._api_key:
            self._headers["authorization"] = f"Bearer {self._api_key}"
        self._rng = rng or random.Random()
        self._sleep = sleep
        self._sessions: dict[Pool, aiohttp.ClientSession] = {}

    @classmethod
    def from_config(cls, name: str, arm: OpenAIArm, *, env: Mapping[str, str]) -> OpenAIBackend:
        """The backend for arm ``name``; its key is read from ``env[arm.api_key_env]``, its proxy from ``env``."""
        return cls(arm=name, base_url=arm.base_url, model=arm.model, api_key=_api_key(name, arm, env),
                   timeout_s=arm.timeout_s, max_retries=arm.max_retries, backoff_s=arm.backoff_s,
                   max_backoff_s=arm.max_backoff_s, max_connections=arm.max_connections,
                   params=arm.params, price=Price(**arm.price.model_dump()), headers=arm.headers,
                   forward_expect=arm.forward_expect, forward_authorization=arm.forward_authorization,
                   proxy=env_proxy(URL(arm.base_url), env))

    def __repr__(self) -> str:
        key = "set" if self._api_key else "none"
        return f"OpenAIBackend(arm={self.arm!r}, model={self.model!r}, base_url={self.base_url!r}, api_key={key})"

    @property
    def secrets(self) -> tuple[str, ...]:
        return (self._api_key,) if self._api_key else ()

    def scrub(self, text: str) -> str:
        """``text`` without this arm's key."""
        return scrub(text, self._api_key)

    # ------------------------------------------------------------------ the connection layer

    def open(self) -> None:
        """Open both pools (idempotent), on the event loop that will use them."""
        sizes: dict[Pool, int] = {"primary": self.max_connections, "shadow": self.shadow_connections}
        for pool, size in sizes.items():
            if pool not in self._sessions:
                timeout = aiohttp.ClientTimeout(total=None, connect=self.timeout_s, sock_read=self.timeout_s)
                self._sessions[pool] = aiohttp.ClientSession(
                    connector=aiohttp.TCPConnector(limit=size, limit_per_host=0), timeout=timeout,
                    cookie_jar=aiohttp.DummyCookieJar(), trust_env=False, raise_for_status=False)

    async def aclose(self) -> None:
        """Close both pools; a later ``complete`` opens new ones."""
        sessions, self._sessions = self._sessions, {}
        for session in sessions.values():
            await session.close()

    async def post(self, pool: Pool, url: URL, payload: bytes, headers: Mapping[str, str]) -> Answer:
        """POST ``payload`` on ``pool``; the ``Answer`` once its head arrived, else ``UpstreamError``."""
        session = self._sessions.get(pool)
        if session is None:
            raise RuntimeError(f"arm {self.arm!r}: open() was not called")
        try:
            response = await session.post(url, data=payload, headers=headers, allow_redirects=False,
                                          proxy=self.proxy)
        except _CALL_ERRORS as exc:
            raise _failure(exc, doing=f"calling {self.arm!r}") from None
        return Answer(response)

    def prepare(self, body: Mapping[str, Any]) -> tuple[bytes, dict[str, Any]]:
        """The client's body for this arm, as bytes to send, and the params stored with the observation."""
        return reshape(body, model=self.model, defaults=self.params)

    def headers(self, client_authorization: str | None) -> dict[str, str]:
        """Headers for one upstream call; the client's Authorization only if the arm forwards it."""
        if self.forward_authorization and client_authorization:
            return {**self._headers, "authorization": client_authorization}
        return self._headers

    # ------------------------------------------------------------------ complete: record, in-process, judge

    async def complete(self, request: ChatRequest) -> Observation:
        """Answer ``request``; every upstream failure is returned as an ``ErrorInfo``, never raised."""
        params = {k: v for k, v in {**self.params, **request.params}.items() if k not in NOT_PARAMS}
        body = request_body(request, model=self.model, params=params, forward_expect=self.forward_expect)
        started, t0 = time.time(), time.perf_counter()
        result = await self._attempt_all(orjson.dumps(body))
        timing = Timing(started_at=started, latency_ms=(time.perf_counter() - t0) * 1000)
        if isinstance(result, ErrorInfo):
            logger.debug("arm %r: %s error after %.1f ms: %s", self.arm, result.kind, timing.latency_ms,
                         result.message)
            return error_observation(arm=self.arm, model=self.model, error=result, timing=timing, params=params)
        status, content = result
        return observe_body(arm=self.arm, model=self.model, status=status, content=content, price=self.price,
                            timing=timing, params=params, scrub=self.scrub)

    async def _attempt_all(self, payload: bytes) -> tuple[int, bytes] | ErrorInfo:
        """The status and body of the last attempt, or why there is none, within ``timeout_s``."""
        self.open()
        try:
            async with asyncio.timeout(self.timeout_s):
                return await self._post_with_retries(payload)
        except TimeoutError:
            return ErrorInfo(kind="timeout", message=f"no answer within timeout_s={self.timeout_s}")
        except UpstreamError as exc:
            if exc.kind == "timeout":
                return ErrorInfo(kind="timeout", message=f"no answer within timeout_s={self.timeout_s}")
            return ErrorInfo(kind="connection", message=self.scrub(str(exc)))

    async def _post_with_retries(self, payload: bytes) -> tuple[int, bytes]:
        attempt = 0
        while True:
            attempt += 1
            final = attempt > self.max_retries
            try:
                answer = await self.post("primary", self.url, payload, self._headers)
                content = await answer.read()
            except UpstreamError as exc:
                if final or exc.kind != "connection":
                    raise
                delay, reason = self._backoff(attempt, None), str(exc).split(" ", 1)[0]
            else:
                if final or answer.status not in RETRY_STATUSES:
                    logger.debug("arm %r: HTTP %d after %d attempt(s)", self.arm, answer.status, attempt)
                    return answer.status, content
                delay, reason = self._backoff(attempt, answer.retry_after), f"HTTP {answer.status}"
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


def _api_key(name: str, arm: OpenAIArm, env: Mapping[str, str]) -> str | None:
    if arm.api_key_env is None:
        return None
    key = env.get(arm.api_key_env)
    if not key:
        raise BackendError(f"environment variable {arm.api_key_env} (api_key_env) is not set or empty", arm=name)
    return key


def env_proxy(url: URL, env: Mapping[str, str]) -> str | None:
    """The proxy ``env`` asks for to reach ``url`` (``{scheme}_proxy``, lower case first; ``no_proxy`` bypasses)."""
    scheme = url.scheme.lower()
    proxy = env.get(f"{scheme}_proxy") or env.get(f"{scheme.upper()}_PROXY")
    if not proxy:
        return None
    no_proxy = env.get("no_proxy") or env.get("NO_PROXY") or ""
    host = (url.host or "").lower()
    for entry in (e.strip().lower() for e in no_proxy.split(",")):
        name, _, port = entry.partition(":")
        name = name.removeprefix("*").removeprefix(".")
        if entry == "*" or (name and (host == name or host.endswith(f".{name}"))
                            and (not port or port == str(url.port))):
            return None
    return proxy
