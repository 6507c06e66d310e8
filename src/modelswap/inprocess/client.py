"""``modelswap.shadow``: an OpenAI client whose chat completions are shadowed in the background.

What it is: ``ShadowedClient``, wrapping an ``openai.OpenAI`` or ``openai.AsyncOpenAI``. Its
``chat.completions.create(...)`` calls the wrapped client and returns exactly what it returned
(the same object; a stream is handed back wrapped so its chunks can be watched as the caller
reads them, each chunk unchanged), or raises exactly what it raised. Then, on a background
thread with its own event loop, the gateway's shadow engine decides (``gateway.routing.decide``:
sample rate, replica rate, budget, end time) and calls the candidates (and the replica) through
the same arms as the gateway (``modelswap.gateway.arms``: any backend; a stream when the caller
streamed, so time-to-first-token compares), bounded and timed out like the gateway, with the
same metrics (``engine.metrics``). Every observation goes to the store under one trial id (the
run is the route), through the one recorder, redacted by the configuration's ``redact:`` rules
(the wrapped client's own API key and every arm's are removed as well). The caller's thread only
times the call and queues one callback. Everything else on the client passes through untouched.

What it is not: a wrapper of ``with_raw_response``, ``.parse`` or the Responses API.
``close()`` (or ``with``/``async with``) stops shadowing, waits up to ``grace_s`` for running
shadows and writes everything accepted.
"""

from __future__ import annotations

import asyncio
import inspect
import os
import time
import uuid
from collections.abc import AsyncIterator, Iterable, Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import orjson

from modelswap.config import RouteConfig, Settings, load_settings
from modelswap.errors import ConfigError
from modelswap.gateway.arms import build_arms
from modelswap.gateway.metrics import Metrics
from modelswap.gateway.routing import decide
from modelswap.gateway.shadow import ShadowEngine, arm_calls
from modelswap.gateway.trials import LiveTrial, chat_request
from modelswap.inprocess.background import Background
from modelswap.inprocess.primary import PrimaryArm, StreamTap, observe_failure, observe_response
from modelswap.observe import Timing
from modelswap.openai_wire import params_of
from modelswap.price import Price
from modelswap.recording import redactor_for
from modelswap.store import open_store
from modelswap.types import ErrorInfo, Observation

CLIENT_OPTIONS = frozenset({"extra_headers", "extra_query", "extra_body", "timeout"})


class Shadowing:
    """The state behind one wrapper: the route, its primary arm, the background loop, its arms and the engine."""

    def __init__(self, settings: Settings, *, route: str, store_url: str | None, grace_s: float,
                 client_secrets: Iterable[str] = ()) -> None:
        if route not in settings.routes:
            names = ", ".join(sorted(settings.routes)) or "(none)"
            raise ConfigError(f"unknown route {route!r}; expected one of {names}", key="routes")
        self.route_name = route
        self.route = settings.routes[route]
        primary = settings.arm(self.route.primary)
        self.primary = PrimaryArm(name=self.route.primary, model=primary.model,
                                  price=Price(**primary.price.model_dump()))
        self.grace_s = grace_s
        self.arms = build_arms(settings, env=os.environ, names=_shadow_arms(self.route))
        secrets = [*client_secrets, *(secret for arm in self.arms.values() for secret in arm.backend.secrets)]
        self.background = Background(open_store(store_url or settings.store), name=f"shadow-{route}",
                                     redactor=redactor_for(settings, secrets=secrets))
        self.background.run(self._open())
        self.engine = ShadowEngine(routes={route: self.route}, arms=arm_calls(self.arms),
                                   recorder=self.background.recorder, metrics=Metrics())

    @property
    def closed(self) -> bool:
        return self.background.closed

    def response(self, kwargs: dict[str, Any], response: Any, *, started: float, t0: float) -> None:
        """The primary answered ``response``: observe and shadow it in the background."""
        latency_ms = (time.perf_counter() - t0) * 1000
        dump = getattr(response, "model_dump", None)
        body = dump(mode="json") if callable(dump) else response
        self.background.call(self._after_response, kwargs, body, Timing(started_at=started, latency_ms=latency_ms))

    def failure(self, kwargs: dict[str, Any], exc: BaseException, *, started: float, t0: float) -> None:
        """The primary raised ``exc``: record it as the primary's observation, and shadow."""
        timing = Timing(started_at=started, latency_ms=(time.perf_counter() - t0) * 1000)
        observation = observe_failure(exc, arm=self.primary, timing=timing, params=_params(kwargs))
        self.background.call(self._after_primary, kwargs, observation)

    def stream_ended(self, kwargs: dict[str, Any], tap: StreamTap, error: ErrorInfo | None, *,
                     started: float, t0: float) -> None:
        """The caller read the stream to its end (or stopped): read the chunks and shadow, in the background."""
        latency_ms = (time.perf_counter() - t0) * 1000
        self.background.call(self._after_stream, kwargs, tap, error, started, latency_ms)

    def close(self) -> None:
        self.background.close(self._stop)

    async def _open(self) -> None:
        for arm in self.arms.values():
            arm.open()

    async def _stop(self) -> None:
        await self.engine.close(grace_s=self.grace_s)
        for arm in self.arms.values():
            await arm.aclose()

    def _after_response(self, kwargs: dict[str, Any], body: Any, timing: Timing) -> None:
        self._after_primary(kwargs, observe_response(body, arm=self.primary, timing=timing, params=_params(kwargs)))

    def _after_stream(self, kwargs: dict[str, Any], tap: StreamTap, error: ErrorInfo | None, started: float,
                      latency_ms: float) -> None:
        self._after_primary(kwargs, tap.observation(arm=self.primary, started_at=started, latency_ms=latency_ms,
                                                    params=_params(kwargs), error=error))

    def _after_primary(self, kwargs: dict[str, Any], observation: Observation) -> None:
        """On the background loop: decide, record the trial and its primary, offer the shadows."""
        body = _plain_body(kwargs)
        trial_id = uuid.uuid4().hex
        user = body.get("user")
        key = user if isinstance(user, str) and user else trial_id
        routing = decide(self.route, request_key=key, now=datetime.now(UTC),
                          spent_usd=self.engine.spent_today(self.route_name))
        trial = LiveTrial(id=trial_id, route=self.route_name, body=body, stream=body.get("stream") is True,
                      routing=routing, request=chat_request(body, trial_id=trial_id, category=None))
        self.engine.after_primary(trial, observation)


def _shadow_arms(route: RouteConfig) -> dict[str, int]:
    """The arms that may shadow on ``route`` (its candidates, and its primary for replicas), with their pool size."""
    names = [*route.candidates, *([route.primary] if route.shadow.replica_rate > 0 else [])]
    return dict.fromkeys(names, route.shadow.max_in_flight)


def _params(kwargs: dict[str, Any]) -> dict[str, Any]:
    return params_of(_plain_body(kwargs))


def _plain_body(kwargs: dict[str, Any]) -> dict[str, Any]:
    """The request body the SDK sent: ``extra_body`` merged, client options and unset sentinels dropped, JSON only."""
    extra = kwargs.get("extra_body")
    body = {k: v for k, v in kwargs.items()
            if k not in CLIENT_OPTIONS and type(v).__name__ not in ("NotGiven", "Omit")}
    if isinstance(extra, dict):
        body.update(extra)
    plain: dict[str, Any] = orjson.loads(orjson.dumps(body, default=str))
    return plain


class _Completions:
    """``chat.completions`` of the wrapped client: ``create`` timed and shadowed, everything else its own."""

    def __init__(self, inner: Any, shadowing: Shadowing) -> None:
        self._inner = inner
        self._shadowing = shadowing

    def __getattr__(self, name: str) -> Any:
        return getattr(self._inner, name)

    def _failed(self, kwargs: dict[str, Any], exc: Exception, started: float, t0: float) -> None:
        self._shadowing.failure(kwargs, exc, started=started, t0=t0)

    def _answered(self, kwargs: dict[str, Any], response: Any, started: float, t0: float,
                  tapped: type[TappedStream | AsyncTappedStream]) -> Any:
        """What the caller gets: the response itself, or the stream wrapped to be watched."""
        if kwargs.get("stream") is True:
            return tapped(response, self._shadowing, kwargs, started=started, t0=t0)
        self._shadowing.response(kwargs, response, started=started, t0=t0)
        return response


class _SyncCompletions(_Completions):
    def create(self, **kwargs: Any) -> Any:
        if self._shadowing.closed:
            return self._inner.create(**kwargs)
        started, t0 = time.time(), time.perf_counter()
        try:
            response = self._inner.create(**kwargs)
        except Exception as exc:
            self._failed(kwargs, exc, started, t0)
            raise
        return self._answered(kwargs, response, started, t0, TappedStream)


class _AsyncCompletions(_Completions):
    async def create(self, **kwargs: Any) -> Any:
        if self._shadowing.closed:
            return await self._inner.create(**kwargs)
        started, t0 = time.time(), time.perf_counter()
        try:
            response = await self._inner.create(**kwargs)
        except Exception as exc:
            self._failed(kwargs, exc, started, t0)
            raise
        return self._answered(kwargs, response, started, t0, AsyncTappedStream)


class _Chat:
    def __init__(self, inner: Any, completions: _SyncCompletions | _AsyncCompletions) -> None:
        self._inner = inner
        self.completions = completions

    def __getattr__(self, name: str) -> Any:
        return getattr(self._inner, name)


class ShadowedClient:
    """The wrapped client: ``chat.completions.create`` shadowed, everything else the client's own."""

    def __init__(self, client: Any, shadowing: Shadowing, *, is_async: bool) -> None:
        self.client = client
        self.shadowing = shadowing
        completions = client.chat.completions
        wrapped = _AsyncCompletions(completions, shadowing) if is_async else _SyncCompletions(completions, shadowing)
        self.chat = _Chat(client.chat, wrapped)

    def __getattr__(self, name: str) -> Any:
        return getattr(self.client, name)

    @property
    def engine(self) -> ShadowEngine:
        """The shadow engine, for its counters (``sent``, ``completed``, ``failed``, ``dropped``) and ``metrics``."""
        return self.shadowing.engine

    def close(self) -> None:
        """Stop shadowing, wait up to ``grace_s`` for running shadows, write everything; the client stays open."""
        self.shadowing.close()

    async def aclose(self) -> None:
        """``close`` without blocking the caller's event loop."""
        await asyncio.to_thread(self.shadowing.close)

    def __enter__(self) -> ShadowedClient:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    async def __aenter__(self) -> ShadowedClient:
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.aclose()


class _Watched:
    """What both tapped streams share: the stream, the tap, and telling the shadowing once it ended."""

    _CLOSED = ErrorInfo(kind="connection", message="the caller closed the stream before its end")

    def __init__(self, stream: Any, shadowing: Shadowing, kwargs: dict[str, Any], *, started: float,
                 t0: float) -> None:
        self.stream = stream
        self._shadowing, self._kwargs, self._started, self._t0 = shadowing, kwargs, started, t0
        self._tap = StreamTap()
        self._ended = False
        self._chunks = self._watch()

    def __getattr__(self, name: str) -> Any:
        return getattr(self.stream, name)

    def _watch(self) -> Any:
        raise NotImplementedError

    def _feed(self, chunk: Any) -> None:
        self._tap.feed(chunk, elapsed_ms=(time.perf_counter() - self._t0) * 1000)

    @staticmethod
    def _broke(exc: Exception) -> ErrorInfo:
        return ErrorInfo(kind="connection", message=f"stream broke: {type(exc).__name__}: {exc}")

    def _end(self, error: ErrorInfo | None) -> None:
        if not self._ended:
            self._ended = True
            self._shadowing.stream_ended(self._kwargs, self._tap, error, started=self._started, t0=self._t0)


class TappedStream(_Watched):
    """A sync ``Stream`` handed to the caller chunk by chunk, watched on the way; the rest delegated."""

    def __iter__(self) -> Iterator[Any]:
        return self

    def __next__(self) -> Any:
        return next(self._chunks)

    def __enter__(self) -> TappedStream:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def close(self) -> None:
        self.stream.close()
        self._end(self._CLOSED)

    def _watch(self) -> Iterator[Any]:
        error: ErrorInfo | None = None
        try:
            for chunk in self.stream:
                self._feed(chunk)
                yield chunk
        except Exception as exc:
            error = self._broke(exc)
            raise
        finally:
            self._end(error)


class AsyncTappedStream(_Watched):
    """An ``AsyncStream`` handed to the caller chunk by chunk, watched on the way; the rest delegated."""

    def __aiter__(self) -> AsyncIterator[Any]:
        return self

    async def __anext__(self) -> Any:
        return await self._chunks.__anext__()

    async def __aenter__(self) -> AsyncTappedStream:
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.close()

    async def close(self) -> None:
        await self.stream.close()
        self._end(self._CLOSED)

    async def _watch(self) -> AsyncIterator[Any]:
        error: ErrorInfo | None = None
        try:
            async for chunk in self.stream:
                self._feed(chunk)
                yield chunk
        except Exception as exc:
            error = self._broke(exc)
            raise
        finally:
            self._end(error)


def shadow(client: Any, *, route: str, config: Settings | str | Path, store_url: str | None = None,
           grace_s: float = 10.0) -> ShadowedClient:
    """Wrap an ``openai.OpenAI``/``AsyncOpenAI`` so its chat completions are shadowed per ``route``."""
    settings = config if isinstance(config, Settings) else load_settings(config)
    key = getattr(client, "api_key", None)
    shadowing = Shadowing(settings, route=route, store_url=store_url, grace_s=grace_s,
                          client_secrets=[key] if isinstance(key, str) else [])
    return ShadowedClient(client, shadowing, is_async=_is_async(client))


def _is_async(client: Any) -> bool:
    """Whether ``client`` is an ``openai.AsyncOpenAI`` (or a subclass, such as ``AsyncAzureOpenAI``)."""
    try:
        import openai
    except ImportError:  # a duck-typed client: judge by its method
        return inspect.iscoroutinefunction(client.chat.completions.create)
    return isinstance(client, openai.AsyncClient)
