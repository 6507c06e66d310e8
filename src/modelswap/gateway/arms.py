"""Every arm behind the gateway, whatever its backend: serving a client, and answering as a shadow.

What it is: ``GatewayArm``, an arm's backend seen by the gateway, with two calls for a ``LiveTrial``:
``serve`` answers the client (an OpenAI-shaped response, streamed when the client asked) and
hands the arm's observation on once the answer is out; ``shadow`` is the arm's call function for
the shadow engine (an observation; ``ArmBusy``, raised before anything starts, when the arm has no
place left). ``build_arms`` makes one for every arm a route uses, of one of two kinds:

- ``RelayArm`` (an ``openai`` backend): the client's body goes out re-addressed (the arm's model
  id, its params as defaults) and the upstream's answer comes back unchanged: status, body and
  content type, a stream chunk by chunk as it arrives, read on the way into the observation.
  Serving uses the arm's primary pool, shadows its shadow pool. A failed connection is a 502
  and a timeout a 504, both OpenAI-shaped.
- ``RenderedArm`` (any other backend: ``local``, ``sim``, any added later): ``Backend.complete``,
  or ``Backend.stream`` when the client streams, and the observation rendered as OpenAI's JSON or
  server-sent events (``modelswap.openai_wire``). A backend that computes in this process runs
  off the event loop (the local model on its own thread); when it declares a ``capacity`` it is
  bounded by an ``Admission``: beyond its queue a client gets a 503 ``arm_overloaded`` at once and
  a shadow is dropped (and counted by the engine), so a saturated arm never holds up other routes.
  The arm's ``timeout_s`` bounds a served call, waiting for a slot included (504 beyond).

What it is not: routing (``routing``), the per-route shadow bounds and timeouts (``shadow``), or
storage; nothing a shadow returns reaches a response built here.
"""

from __future__ import annotations

import abc
import asyncio
import dataclasses
import time
from collections.abc import AsyncIterator, Awaitable, Callable, Mapping
from dataclasses import dataclass
from typing import Any, Literal

import orjson
from starlette.background import BackgroundTask
from starlette.responses import Response, StreamingResponse

from modelswap.backends import Backend, build_backend
from modelswap.backends.base import Deltas
from modelswap.backends.openai import Answer, OpenAIBackend, UpstreamError
from modelswap.config import Settings
from modelswap.errors import ConfigError
from modelswap.gateway.admission import Admission, ArmBusy, Ticket
from modelswap.gateway.trials import LiveTrial
from modelswap.gateway.wire import ClientError, error_response
from modelswap.observe import Timing, error_observation, observe_body, observe_stream
from modelswap.openai_wire import Completion, EventShape, StreamReader, completion_body, include_usage
from modelswap.types import ErrorInfo, Observation


@dataclass(frozen=True, kw_only=True, slots=True)
class Hooks:
    """What the gateway does with a served answer: ``count`` it as it goes out, ``after`` it is out."""

    count: Callable[[LiveTrial, str, int, Timing], None]
    after: Callable[[LiveTrial, Observation], None]


class GatewayArm(abc.ABC):
    """One arm as the gateway calls it; ``open`` on the serving loop before use, ``aclose`` at the end."""

    name: str
    model: str
    backend: Backend

    @abc.abstractmethod
    async def serve(self, trial: LiveTrial, *, headers: dict[str, str], hooks: Hooks) -> Response:
        """Answer the client with this arm; the observation goes to ``hooks.after`` once the answer is out."""

    @abc.abstractmethod
    def shadow(self, trial: LiveTrial) -> Awaitable[Observation]:
        """One shadow call (the engine bounds its time); ``ArmBusy`` at once when there is no place."""

    def open(self) -> None:  # noqa: B027 - optional: most arms hold nothing to open
        """Open what the arm holds on the running loop (connection pools)."""

    async def aclose(self) -> None:
        await self.backend.aclose()

    async def embeddings(self, body: dict[str, Any], *, authorization: str | None,
                         pool: Literal["primary", "shadow"] = "primary") -> tuple[int, str, bytes]:
        """Status, content type and body of an embeddings call (on the ``pool`` connections); only HTTP arms."""
        raise ClientError(f"the route's primary arm {self.name!r} does not serve embeddings", status=400,
                          code="embeddings_unsupported")


class RelayArm(GatewayArm):
    """An OpenAI-compatible endpoint, relayed byte for byte."""

    def __init__(self, backend: OpenAIBackend) -> None:
        self.backend = self.http = backend
        self.name = backend.arm
        self.model = backend.model

    def open(self) -> None:
        self.http.open()

    async def serve(self, trial: LiveTrial, *, headers: dict[str, str], hooks: Hooks) -> Response:
        http = self.http
        payload, params = http.prepare(trial.body_for(self.name))
        started, t0 = time.time(), time.perf_counter()
        try:
            answer = await http.post("primary", http.url, payload, http.headers(trial.authorization))
            content = await answer.read() if not trial.stream or not answer.ok else None
        except UpstreamError as exc:
            timing = Timing(started_at=started, latency_ms=(time.perf_counter() - t0) * 1000)
            refusal = upstream_failure(self.name, exc.kind, http.scrub(str(exc)))
            error = ErrorInfo(kind=exc.kind, message=http.scrub(str(exc)))
            observation = error_observation(arm=self.name, model=self.model, params=params, timing=timing,
                                            error=error)
            hooks.count(trial, self.name, refusal.status, timing)
            return error_response(refusal, headers=headers, background=_after(hooks, trial, observation))
        if content is not None:
            timing = Timing(started_at=started, latency_ms=(time.perf_counter() - t0) * 1000)
            observation = observe_body(arm=self.name, model=self.model, status=answer.status, content=content,
                                       price=http.price, timing=timing, params=params, scrub=http.scrub)
            hooks.count(trial, self.name, answer.status, timing)
            return Response(content, status_code=answer.status, media_type=answer.content_type, headers=headers,
                            background=_after(hooks, trial, observation))
        relay = self._relay(trial, answer, hooks, started=started, t0=t0, params=params)
        return StreamingResponse(relay, status_code=answer.status, media_type=answer.content_type, headers=headers)

    async def _relay(self, trial: LiveTrial, answer: Answer, hooks: Hooks, *, started: float, t0: float,
                     params: dict[str, Any]) -> AsyncIterator[bytes]:
        """Pass the upstream's SSE bytes on as they arrive; then count and hand the observation on."""
        reader = StreamReader()
        ttft_ms: float | None = None
        broken: ErrorInfo | None = None
        try:
            async for chunk in answer.chunks():
                if ttft_ms is None:
                    ttft_ms = (time.perf_counter() - t0) * 1000
                reader.feed(chunk)
                yield chunk
        except UpstreamError as exc:
            broken = ErrorInfo(kind=exc.kind, message=self.http.scrub(f"stream broke: {exc}"))
        finally:
            answer.release()
            timing = Timing(started_at=started, latency_ms=(time.perf_counter() - t0) * 1000, ttft_ms=ttft_ms)
            if broken is None:
                observation = observe_stream(reader, arm=self.name, model=self.model, price=self.http.price,
                                             timing=timing, params=params, scrub=self.http.scrub)
            else:
                observation = error_observation(arm=self.name, model=self.model, error=broken, timing=timing,
                                                params=params)
            hooks.count(trial, self.name, answer.status, timing)
            hooks.after(trial, observation)

    def shadow(self, trial: LiveTrial) -> Awaitable[Observation]:
        return self._shadow(trial)

    async def _shadow(self, trial: LiveTrial) -> Observation:
        """One call on the shadow pool, never retried, streamed when the client streamed (so TTFT compares)."""
        http = self.http
        payload, params = http.prepare(trial.body_for(self.name))
        started, t0 = time.time(), time.perf_counter()
        ttft_ms: float | None = None

        def timing() -> Timing:
            return Timing(started_at=started, latency_ms=(time.perf_counter() - t0) * 1000, ttft_ms=ttft_ms)

        try:
            answer = await http.post("shadow", http.url, payload, http.headers(trial.authorization))
            if not trial.stream or not answer.ok:
                content = await answer.read()
                return observe_body(status=answer.status, content=content, price=http.price, timing=timing(),
                                    arm=self.name, model=self.model, params=params, scrub=http.scrub)
            reader = StreamReader()
            try:
                async for chunk in answer.chunks():
                    if ttft_ms is None:
                        ttft_ms = (time.perf_counter() - t0) * 1000
                    reader.feed(chunk)
            finally:
                answer.release()
            return observe_stream(reader, price=http.price, timing=timing(), arm=self.name, model=self.model,
                                  params=params, scrub=http.scrub)
        except UpstreamError as exc:
            error = ErrorInfo(kind=exc.kind, message=http.scrub(str(exc)))
            return error_observation(error=error, timing=timing(), arm=self.name, model=self.model, params=params)

    async def embeddings(self, body: dict[str, Any], *, authorization: str | None,
                         pool: Literal["primary", "shadow"] = "primary") -> tuple[int, str, bytes]:
        http = self.http
        try:
            answer = await http.post(pool, http.embeddings_url, orjson.dumps({**body, "model": self.model}),
                                     http.headers(authorization))
            content = await answer.read()
        except UpstreamError as exc:
            raise upstream_failure(self.name, exc.kind, http.scrub(str(exc))) from None
        return answer.status, answer.content_type, content


class RenderedArm(GatewayArm):
    """Any other backend: its observation rendered as OpenAI's answer, within its capacity."""

    def __init__(self, backend: Backend, *, timeout_s: float) -> None:
        self.backend = backend
        self.name = backend.arm
        self.model = backend.model
        self.timeout_s = timeout_s
        capacity = backend.capacity
        self.admission = None if capacity is None else Admission(backend.arm, in_flight=capacity.in_flight,
                                                                 queue=capacity.queue)

    async def serve(self, trial: LiveTrial, *, headers: dict[str, str], hooks: Hooks) -> Response:
        started, t0 = time.time(), time.perf_counter()
        try:
            ticket = self._enter(serving=True)
        except ArmBusy as exc:
            refusal = ClientError(f"the serving arm {self.name!r} is at capacity; retry later ({exc})", status=503,
                                  code="arm_overloaded")
            # stored, but not shadowed: shadow calls would add load where there is too much already
            trial = dataclasses.replace(trial, routing=dataclasses.replace(
                trial.routing, shadows=(), replica=False, reason="refused at capacity: not shadowed"))
            return self._refuse(trial, refusal, ErrorInfo(kind="http", status=503, message=str(exc)), headers,
                                hooks, started=started, t0=t0)
        if trial.stream:
            return await self._serve_stream(trial, ticket, headers, hooks, started=started, t0=t0)
        observation = await self._within_timeout(trial, self._run(ticket, trial), started=started, t0=t0)
        if observation.error is not None:
            return self._refuse(trial, arm_failure(self.name, observation.error), observation.error, headers, hooks,
                                started=started, t0=t0)
        body = completion_body(_completion(observation), completion_id=f"chatcmpl-{trial.id}",
                               created=int(started), model=self.model)
        hooks.count(trial, self.name, 200, Timing(started_at=started, latency_ms=(time.perf_counter() - t0) * 1000))
        return Response(orjson.dumps(body), media_type="application/json", headers=headers,
                        background=_after(hooks, trial, observation))

    async def _serve_stream(self, trial: LiveTrial, ticket: Ticket | None, headers: dict[str, str], hooks: Hooks, *,
                            started: float, t0: float) -> Response:
        """Start the call; answer with an error if it fails before its first piece, else stream the pieces."""
        pieces: asyncio.Queue[str | None] = asyncio.Queue()  # None: the call is over
        task = asyncio.ensure_future(self._within_timeout(trial, self._run(ticket, trial, pieces.put_nowait),
                                                          started=started, t0=t0))
        task.add_done_callback(lambda _: pieces.put_nowait(None))
        head = await pieces.get()
        error = task.result().error if head is None else None
        if error is not None:  # over before its first piece: the failure gets its own status
            return self._refuse(trial, arm_failure(self.name, error), error, headers, hooks, started=started, t0=t0)
        task.add_done_callback(lambda done: self._streamed(trial, done.result(), hooks, started=started, t0=t0))
        shape = EventShape(completion_id=f"chatcmpl-{trial.id}", created=int(started), model=self.model,
                           include_usage=include_usage(trial.body))
        return StreamingResponse(self._events(shape, head, pieces, task), media_type="text/event-stream",
                                 headers={**headers, "cache-control": "no-cache"})

    @staticmethod
    async def _events(shape: EventShape, head: str | None, pieces: asyncio.Queue[str | None],
                      task: asyncio.Future[Observation]) -> AsyncIterator[bytes]:
        yield shape.head()
        piece = head
        while piece is not None:
            yield shape.piece(piece)
            piece = await pieces.get()
        if task.result().ok:
            for event in shape.tail(_completion(task.result())):
                yield event
        # a call that failed or timed out midway ends without [DONE], as a broken upstream's stream would

    def _streamed(self, trial: LiveTrial, observation: Observation, hooks: Hooks, *, started: float, t0: float) -> None:
        hooks.count(trial, self.name, 200, Timing(started_at=started, latency_ms=(time.perf_counter() - t0) * 1000))
        hooks.after(trial, observation)

    def shadow(self, trial: LiveTrial) -> Awaitable[Observation]:
        return self._run(self._enter(serving=False), trial, _ignore if trial.stream else None)

    def _enter(self, *, serving: bool) -> Ticket | None:
        return None if self.admission is None else self.admission.enter(serving=serving)

    async def _run(self, ticket: Ticket | None, trial: LiveTrial, deltas: Deltas | None = None) -> Observation:
        """The backend's call once a slot is free; streamed when ``deltas`` takes the pieces (TTFT measured)."""
        if ticket is None:
            return await self._call(trial, deltas)
        async with ticket:
            return await self._call(trial, deltas)

    async def _call(self, trial: LiveTrial, deltas: Deltas | None) -> Observation:
        if deltas is None:
            return await self.backend.complete(trial.request_for(self.name))
        t0 = time.perf_counter()
        first: list[float] = []

        def timed(text: str) -> None:
            if not first:
                first.append((time.perf_counter() - t0) * 1000)
            deltas(text)

        observation = await self.backend.stream(trial.request_for(self.name), timed)
        return dataclasses.replace(observation, ttft_ms=first[0] if first else observation.latency_ms)

    async def _within_timeout(self, trial: LiveTrial, call: Awaitable[Observation], *, started: float,
                              t0: float) -> Observation:
        """A served call within the arm's ``timeout_s``, waiting for a slot included; a timeout as data."""
        try:
            async with asyncio.timeout(self.timeout_s):
                return await call
        except TimeoutError:
            error = ErrorInfo(kind="timeout", message=f"no answer within timeout_s={self.timeout_s}")
            timing = Timing(started_at=started, latency_ms=(time.perf_counter() - t0) * 1000)
            return error_observation(arm=self.name, model=self.model, error=error, timing=timing,
                                     params=dict(trial.request_for(self.name).params))

    def _refuse(self, trial: LiveTrial, refusal: ClientError, error: ErrorInfo, headers: dict[str, str], hooks: Hooks,
                *, started: float, t0: float) -> Response:
        timing = Timing(started_at=started, latency_ms=(time.perf_counter() - t0) * 1000)
        observation = error_observation(arm=self.name, model=self.model, error=error, timing=timing,
                                        params=dict(trial.request_for(self.name).params))
        hooks.count(trial, self.name, refusal.status, timing)
        return error_response(refusal, headers=headers, background=_after(hooks, trial, observation))


def upstream_failure(arm: str, kind: str, detail: str) -> ClientError:
    """The client's error when the serving arm gave no answer: 504 for a timeout, else 502."""
    if kind == "timeout":
        return ClientError(f"the serving arm {arm!r} did not answer in time", status=504, code="upstream_timeout")
    return ClientError(f"the serving arm {arm!r} is unreachable ({detail})", status=502, code="upstream_unreachable")


def arm_failure(arm: str, error: ErrorInfo) -> ClientError:
    """The client's error for a rendered arm's failed observation: its own status when it has one."""
    if error.kind == "timeout":
        return upstream_failure(arm, "timeout", error.message)
    status = error.status if error.kind == "http" and error.status and error.status >= 400 else 500
    return ClientError(f"the serving arm {arm!r} failed: {error.message}", status=status, code="arm_error")


def build_arms(settings: Settings, *, env: Mapping[str, str], names: Mapping[str, int] | None = None
               ) -> dict[str, GatewayArm]:
    """A ``GatewayArm`` for every arm a route uses (or for ``names``: arm → shadow pool size)."""
    wanted = _used_arms(settings) if names is None else dict(names)
    arms: dict[str, GatewayArm] = {}
    for name, shadow_connections in wanted.items():
        config = settings.arm(name)
        backend = build_backend(name, config, env=env)
        if isinstance(backend, OpenAIBackend):
            backend.shadow_connections = shadow_connections
            arms[name] = RelayArm(backend)
        else:
            arms[name] = RenderedArm(backend, timeout_s=config.timeout_s)
    return arms


def _used_arms(settings: Settings) -> dict[str, int]:
    """Every arm a route serves or shadows with, and the largest shadow in-flight cap of its routes."""
    used: dict[str, int] = {}
    for route_name, route in settings.routes.items():
        if route.primary in route.candidates:
            raise ConfigError(f"the primary {route.primary!r} cannot also be a candidate (its observations would "
                              "share one key); use shadow.replica_rate for a second primary call",
                              key=f"routes.{route_name}.candidates")
        for name in (route.primary, *route.candidates):
            used[name] = max(used.get(name, 0), route.shadow.max_in_flight)
        if route.embeddings is not None:  # the /v1/embeddings shadow's candidate (gateway.embeddings_shadow)
            name = route.embeddings.candidate
            used[name] = max(used.get(name, 0), route.embeddings.max_in_flight)
    return used


def _ignore(text: str) -> None:
    """A shadow streams only to time its first piece; the pieces go nowhere."""


def _completion(observation: Observation) -> Completion:
    return Completion(output=observation.output or "", finish_reason=observation.finish_reason,
                      usage=observation.usage, model=observation.model)


def _after(hooks: Hooks, trial: LiveTrial, observation: Observation) -> BackgroundTask:
    return BackgroundTask(_after_async, hooks, trial, observation)


async def _after_async(hooks: Hooks, trial: LiveTrial, observation: Observation) -> None:
    """On the event loop (a sync function would run in a worker thread)."""
    hooks.after(trial, observation)
