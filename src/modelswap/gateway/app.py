"""The gateway's ASGI app: OpenAI-compatible endpoints in front of each route's arms.

What it is: ``create_app(settings)``, a Starlette app with ``POST /v1/chat/completions``
(answered by the route's serving arm, whatever its backend: an HTTP arm's answer relayed as it
arrives, a local or simulated arm's rendered as OpenAI's; see ``modelswap.gateway.arms``),
``POST /v1/embeddings`` (passed through to the route's primary arm when it is an HTTP endpoint,
neither shadowed nor stored), ``POST /v1/feedback`` (a user's score of an answer, written behind:
``feedback``), ``GET /v1/models`` (the routes), ``/healthz``, ``/readyz``, ``/metrics`` and the
admin API (``/admin/rollouts/...``: ``admin``); and ``app_from_env()``, the same app built from the
environment, for uvicorn's workers. The lifespan opens the store, the recorder, the arms and, when
a route has a ``rollout:`` block, the rollout states read in the background (``rollouts``: a
connection of their own); on shutdown it stops shadowing, waits for running shadows
(``shadow_grace_s``), writes everything accepted and closes. A route with a rollout is served by
the arm its assignment chooses (``routing.route_request``), decided once when the request starts,
so a stream already running finishes on its arm whatever the state does meanwhile. Every response
carries ``x-request-id`` (the client's, else the trial id) and ``x-modelswap-arm`` (the arm that
served it; ``none`` when refused before routing). A request naming a registry prompt (header
``x-modelswap-prompt`` or ``metadata.prompt``, on a route whose ``prompts:`` lists it) gets the version
its route's label (or split) points at in the in-memory labels (``prompt_cache``, read in the background
at the rollout states' period) and each arm that answers or shadows it gets its own variant rendered
(``prompting``; an arm whose model has no variant is not shadowed); its response carries
``x-modelswap-prompt-version`` (``NAME@HASH``). What it is not: the calls to arms (``arms``),
the shadow calls (``shadow``) or the routing decision (``routing``); nothing a shadow returns can
reach this module's responses.
"""

from __future__ import annotations

import asyncio
import dataclasses
import itertools
import os
import time
import uuid
from collections.abc import AsyncIterator, Mapping
from contextlib import asynccontextmanager
from datetime import UTC, datetime
from typing import Any

import orjson
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from modelswap.config import RouteConfig, Settings, load_settings
from modelswap.errors import ConfigError, PromptError
from modelswap.gateway.admin import AdminAPI
from modelswap.gateway.arms import GatewayArm, Hooks, build_arms
from modelswap.gateway.embeddings_shadow import EmbeddingShadow, embedding_shadows
from modelswap.gateway.feedback import FeedbackWriter, RecentRequests, Served, parse_feedback
from modelswap.gateway.health import readiness
from modelswap.gateway.metrics import Metrics
from modelswap.gateway.prompt_cache import PromptCache
from modelswap.gateway.prompting import (
    ArmInput,
    ChosenPrompt,
    NamedPrompt,
    arm_input,
    choose,
    named_prompt,
    names_prompt,
    no_variant,
)
from modelswap.gateway.rollouts import DEFAULT_INTERVAL_S, RolloutStates
from modelswap.gateway.routing import Routing, route_request
from modelswap.gateway.shadow import ShadowEngine, arm_calls
from modelswap.gateway.trials import LiveTrial, chat_request
from modelswap.gateway.wire import (
    DEFAULT_MAX_BODY_BYTES,
    ClientError,
    error_response,
    parse_chat_body,
    parse_embeddings_body,
    read_body,
)
from modelswap.observe import Timing
from modelswap.recording import Recorder, redactor_for
from modelswap.rollout.alerts import Alerts
from modelswap.store import Store, open_store
from modelswap.store.writer import WriteBehind
from modelswap.types import Feedback, Observation

CATEGORY_HEADER = "x-modelswap-category"
ENV_MAX_BODY_BYTES = "MODELSWAP_MAX_BODY_BYTES"


def create_app(settings: Settings, *, store_url: str | None = None, env: Mapping[str, str] | None = None,
               max_body_bytes: int = DEFAULT_MAX_BODY_BYTES, shadow_grace_s: float = 10.0,
               rollout_poll_s: float = DEFAULT_INTERVAL_S, alerts: Alerts | None = None) -> Starlette:
    """The gateway for ``settings``; arms' keys and the admin token are read from ``env`` (default: the process
    environment) now. ``rollout_poll_s`` is how often the rollout states are read; ``alerts`` replaces the
    alerts built from ``settings.alerts``."""
    environ = os.environ if env is None else env
    gateway = _Gateway(settings, arms=build_arms(settings, env=environ), store_url=store_url or settings.store,
                       max_body_bytes=max_body_bytes, shadow_grace_s=shadow_grace_s, rollout_poll_s=rollout_poll_s,
                       alerts=alerts or Alerts(settings.alerts.webhooks))
    token = environ.get(settings.admin.token_env) if settings.admin is not None else None
    admin = AdminAPI(settings, token=token, states=lambda: gateway.rollouts, alerts=gateway.alerts)
    routes = [
        Route("/v1/chat/completions", gateway.chat_completions, methods=["POST"]),
        Route("/v1/embeddings", gateway.embeddings, methods=["POST"]),
        Route("/v1/feedback", gateway.feedback, methods=["POST"]),
        Route("/admin/rollouts/{route}", admin.show, methods=["GET"]),
        Route("/admin/rollouts/{route}/{action}", admin.act, methods=["POST"]),
        Route("/v1/models", gateway.models, methods=["GET"]),
        Route("/healthz", gateway.healthz, methods=["GET"]),
        Route("/readyz", gateway.readyz, methods=["GET"]),
        Route("/metrics", gateway.metrics_endpoint, methods=["GET"]),
    ]
    app = Starlette(routes=routes, lifespan=gateway.lifespan)
    app.state.gateway = gateway
    return app


def app_from_env() -> Starlette:
    """The gateway for ``$MODELSWAP_CONFIG`` (else ``./modelswap.yaml``, with ``MODELSWAP_*`` overrides).

    For ``uvicorn.run("modelswap.gateway.app:app_from_env", factory=True, workers=N)``: each worker
    process calls it and builds its own app (its own pools, shadow budget and metrics).
    ``$MODELSWAP_MAX_BODY_BYTES`` sets the body limit.
    """
    raw = os.environ.get(ENV_MAX_BODY_BYTES)
    if raw is not None and not (raw.isdigit() and int(raw) > 0):
        raise ConfigError(f"must be a positive integer, got {raw!r}", key=ENV_MAX_BODY_BYTES)
    return create_app(load_settings(), max_body_bytes=int(raw) if raw else DEFAULT_MAX_BODY_BYTES)


class _Gateway:
    """The state of one app: routes, arms, metrics and, while running, the recorder and engine."""

    def __init__(self, settings: Settings, *, arms: dict[str, GatewayArm], store_url: str,
                 max_body_bytes: int, shadow_grace_s: float, rollout_poll_s: float, alerts: Alerts) -> None:
        self.settings = settings
        self.arms = arms
        self.store_url = store_url
        self.max_body_bytes = max_body_bytes
        self.shadow_grace_s = shadow_grace_s
        self.rollout_poll_s = rollout_poll_s
        self.alerts = alerts
        self.metrics = Metrics()
        self.recorder: Recorder | None = None
        self.engine: ShadowEngine | None = None
        self.rollouts: RolloutStates | None = None
        self.prompts: PromptCache | None = None
        self.feedback_writer: FeedbackWriter | None = None
        self.embedding_shadows: dict[str, EmbeddingShadow] = {}
        self.recent = RecentRequests()
        self.new_id = _Ids()
        self.hooks = Hooks(count=self._count, after=self._after)

    @asynccontextmanager
    async def lifespan(self, app: Starlette) -> AsyncIterator[None]:
        store = open_store(self.store_url)
        try:
            rollouts = await asyncio.to_thread(self._start_rollouts, store)
        except BaseException:
            store.close()
            raise
        try:
            self.prompts = await asyncio.to_thread(self._start_prompts, store)
        except BaseException:
            if rollouts is not None:
                await asyncio.to_thread(self._stop_poller, rollouts, store)
            store.close()
            raise
        secrets = [secret for arm in self.arms.values() for secret in arm.backend.secrets]
        recorder = Recorder(store, redactor=redactor_for(self.settings, secrets=secrets),
                            buffer=self.settings.store_buffer)
        await recorder.start()
        held = self.settings.store_buffer
        feedback_writer = FeedbackWriter(store, max_queue=held.max_items, max_bytes=int(held.max_bytes),
                                         spill_dir=held.spill_dir, spill_max_bytes=int(held.spill_max_bytes),
                                         close_timeout_s=held.close_timeout_s)
        await feedback_writer.start()
        for arm in self.arms.values():
            arm.open()
        self.recorder, self.feedback_writer, self.rollouts = recorder, feedback_writer, rollouts
        self.engine = ShadowEngine(routes=self.settings.routes, arms=arm_calls(self.arms), recorder=recorder,
                                   metrics=self.metrics)
        self.metrics.watch_rollout(rollouts, self.alerts)
        self.embedding_shadows = embedding_shadows(self.settings.routes, self.arms, recorder.redactor)
        try:
            yield
        finally:
            engine, self.engine = self.engine, None
            await engine.close(grace_s=self.shadow_grace_s)
            for embedding_shadow in self.embedding_shadows.values():
                await embedding_shadow.close(grace_s=self.shadow_grace_s)
            await recorder.close()
            await feedback_writer.close()
            for arm in self.arms.values():
                await arm.aclose()
            if rollouts is not None:
                await asyncio.to_thread(self._stop_poller, rollouts, store)
            if self.prompts is not None:
                await asyncio.to_thread(self._stop_poller, self.prompts, store)
            await asyncio.to_thread(self.alerts.close)
            store.close()

    def _start_rollouts(self, store: Store) -> RolloutStates | None:
        """The rollout states of the routes with a rollout, read once now, then in the background; None without any.

        They read through a connection of their own, so a slow batch write never delays a read (an
        in-memory SQLite store has only its one connection, which they then share).
        """
        routes = [name for name, route in self.settings.routes.items() if route.rollout is not None]
        if not routes:
            return None
        states = RolloutStates(self._poller_store(store), routes=routes, interval_s=self.rollout_poll_s,
                               stale_after_s=max(1.0, 4 * self.rollout_poll_s))
        states.start()
        return states

    def _poller_store(self, store: Store) -> Store:
        """A connection of its own for a background poller (an in-memory SQLite store has only ``store``)."""
        return store if self.store_url in ("sqlite://", "sqlite:///:memory:") else open_store(self.store_url)

    @staticmethod
    def _stop_poller(poller: RolloutStates | PromptCache, store: Store) -> None:
        """Stop a background poller and close its own connection."""
        poller.stop()
        if poller.store is not store:
            poller.store.close()

    def _start_prompts(self, store: Store) -> PromptCache | None:
        """The labels and versions of the prompts the routes name, read now, then in the background at the rollout
        states' period, through a connection of their own (as ``_start_rollouts``); None when no route names one."""
        names = {name for route in self.settings.routes.values() for name in route.prompts}
        if not names:
            return None
        cache = PromptCache(self._poller_store(store), names=names, interval_s=self.rollout_poll_s,
                            stale_after_s=max(1.0, 4 * self.rollout_poll_s))
        cache.start()
        return cache

    async def chat_completions(self, request: Request) -> Response:
        trial_id = self.new_id()
        request_id = request.headers.get("x-request-id") or trial_id
        refused = {"x-request-id": request_id, "x-modelswap-arm": "none"}
        try:
            body = parse_chat_body(await read_body(request, max_bytes=self.max_body_bytes),
                                   prompted=lambda parsed: names_prompt(request.headers, parsed))
            route = self._route(body["model"])
            named = named_prompt(request.headers, body)
        except ClientError as exc:
            return error_response(exc, headers=refused)
        engine = self._engine()
        name: str = body["model"]
        key = body.get("user") if isinstance(body.get("user"), str) and body["user"] else None
        key = key or request.headers.get("x-session-id") or request_id
        chosen: ChosenPrompt | None = None
        if named is not None:
            try:
                chosen = choose(named, route_name=name, route=route, headers=request.headers, request_key=key,
                                snapshot=None if self.prompts is None else self.prompts.snapshot)
            except ClientError as exc:
                return error_response(exc, headers=refused)
            body = named.body
        state = self.rollouts.get(name) if self.rollouts is not None else None
        routing = route_request(name, route, state=state, arms=self.arms, headers=request.headers, body=body,
                                request_id=request_id, request_key=key, now=datetime.now(UTC),
                                spent_usd=engine.spent_today(name))
        canary = routing.canary
        if canary is not None:
            self.metrics.rollout_assigned.labels(name, routing.serving).inc()
            if not canary.assignment.keyed:
                self.metrics.rollout_unkeyed.labels(name).inc()
        category = request.headers.get(CATEGORY_HEADER)
        assignment = None if canary is None else canary.to_json()
        inputs: dict[str, ArmInput] = {}
        if chosen is not None and named is not None:
            try:
                routing, inputs = self._render(chosen, named, routing, trial_id=trial_id, category=category,
                                               assignment=assignment)
            except ClientError as exc:
                return error_response(exc, headers=refused)
            request_json = inputs[routing.serving].request
        else:
            request_json = chat_request(body, trial_id=trial_id, category=category, assignment=assignment)
        trial = LiveTrial(id=trial_id, route=name, body=body, stream=body.get("stream") is True, routing=routing,
                          authorization=request.headers.get("authorization"), request=request_json, inputs=inputs)
        self.recent.remember(request_id, Served(route=name, arm=routing.serving, trial_id=trial_id))
        headers = {"x-request-id": request_id, "x-modelswap-arm": routing.serving}
        if chosen is not None:
            headers["x-modelswap-prompt-version"] = f"{chosen.name}@{chosen.hash}"
        return await self.arms[routing.serving].serve(trial, headers=headers, hooks=self.hooks)

    def _render(self, chosen: ChosenPrompt, named: NamedPrompt, routing: Routing, *, trial_id: str,
                category: str | None, assignment: dict[str, Any] | None) -> tuple[Routing, dict[str, ArmInput]]:
        """Each arm's rendering of the chosen prompt: the serving arm's, or a 400; a shadow arm without a variant is
        left out of the routing (not shadowed)."""
        inputs: dict[str, ArmInput] = {}
        for arm in (routing.serving, *routing.shadows):
            try:
                inputs[arm] = arm_input(chosen, named, model=self.arms[arm].model, trial_id=trial_id,
                                        family=self.settings.arm(arm).prompt_family, category=category,
                                        assignment=assignment)
            except PromptError as exc:
                if arm == routing.serving:
                    raise no_variant(exc) from None
        skipped = [arm for arm in routing.shadows if arm not in inputs]
        if skipped:
            routing = dataclasses.replace(routing, shadows=tuple(a for a in routing.shadows if a in inputs),
                                          reason=f"{routing.reason}; no variant of {chosen.name} for "
                                                 f"{', '.join(skipped)}")
        return routing, inputs

    async def feedback(self, request: Request) -> Response:
        """Store a user's score of an answer (by its ``x-request-id``), written behind; 202 once accepted."""
        try:
            posted = parse_feedback(await read_body(request, max_bytes=self.max_body_bytes))
        except ClientError as exc:
            return error_response(exc)
        writer, recorder = self.feedback_writer, self.recorder
        if writer is None or recorder is None:
            return _json({"status": "not ready"}, 503)
        served = self.recent.get(posted.request_id)
        comment = None if posted.comment is None else recorder.redactor.text(posted.comment)
        item = Feedback(id=uuid.uuid4().hex, request_id=posted.request_id, score=posted.score, at=time.time(),
                        comment=comment, route=None if served is None else served.route,
                        arm=None if served is None else served.arm,
                        trial_id=None if served is None else served.trial_id)
        if not writer.submit(item):
            return error_response(ClientError("feedback cannot be accepted now: the gateway's write queue is full",
                                              status=503, code="feedback_overloaded"))
        self.metrics.feedback.labels(item.route or "unknown").inc()
        return _json({"id": item.id, "request_id": item.request_id, "route": item.route, "arm": item.arm}, 202)

    async def embeddings(self, request: Request) -> Response:
        """Pass an embeddings request to the route's primary arm (its model id swapped in); answer as it answers."""
        request_id = request.headers.get("x-request-id") or self.new_id()
        try:
            body = parse_embeddings_body(await read_body(request, max_bytes=self.max_body_bytes))
            route = self._route(body["model"])
        except ClientError as exc:
            return error_response(exc, headers={"x-request-id": request_id, "x-modelswap-arm": "none"})
        arm = self.arms[route.primary]
        headers = {"x-request-id": request_id, "x-modelswap-arm": arm.name}
        authorization = request.headers.get("authorization")
        t0 = time.perf_counter()
        try:
            status, content_type, content = await arm.embeddings(body, authorization=authorization)
        except ClientError as exc:
            self.metrics.embedding_requests.labels(body["model"], arm.name, str(exc.status)).inc()
            return error_response(exc, headers=headers)
        self.metrics.embedding_requests.labels(body["model"], arm.name, str(status)).inc()
        shadow = self.embedding_shadows.get(body["model"])
        if shadow is not None and status == 200:
            shadow.offer(body, request_id=request_id, status=status, content=content,
                         latency_ms=(time.perf_counter() - t0) * 1000)
        return Response(content, status_code=status, media_type=content_type, headers=headers)

    async def models(self, request: Request) -> Response:
        data = [{"id": name, "object": "model", "created": 0, "owned_by": "modelswap"}
                for name in sorted(self.settings.routes)]
        return _json({"object": "list", "data": data})

    async def healthz(self, request: Request) -> Response:
        return _json({"status": "ok"})

    async def readyz(self, request: Request) -> Response:
        """200 while the gateway can serve, ``degraded`` while the store is down (``modelswap.gateway.health``)."""
        if self.engine is None or self.recorder is None:
            return _json({"status": "not ready"}, 503)
        body = readiness(self._writers())
        stale = self.rollouts.health() if self.rollouts is not None else None
        if stale is not None:
            body = {**body, "status": "degraded", "rollout": stale}
        prompts = self.prompts.health() if self.prompts is not None else None
        if prompts is not None:
            body = {**body, "status": "degraded", "prompts": prompts}
        return _json(body)

    async def metrics_endpoint(self, request: Request) -> Response:
        if self.recorder is not None:  # the store's figures are read from the recorder's writers at each scrape
            self.metrics.watch_store(self._writers())
        return Response(self.metrics.render(), media_type=self.metrics.content_type)

    def _writers(self) -> dict[str, WriteBehind[Any]]:
        """The write-behind queues whose figures ``/readyz`` and ``/metrics`` report."""
        writers: dict[str, WriteBehind[Any]] = {}
        if self.recorder is not None:
            writers |= {"observations": self.recorder.observations, "requests": self.recorder.requests}
        if self.feedback_writer is not None:
            writers["feedback"] = self.feedback_writer
        return writers

    def _route(self, name: str) -> RouteConfig:
        route = self.settings.routes.get(name)
        if route is None:
            names = ", ".join(sorted(self.settings.routes)) or "(none)"
            raise ClientError(f"The model '{name}' does not exist; this gateway serves the routes: {names}",
                              status=404, param="model", code="model_not_found")
        return route

    def _engine(self) -> ShadowEngine:
        if self.engine is None:
            raise RuntimeError("the gateway is not running: its lifespan has not started")
        return self.engine

    def _count(self, trial: LiveTrial, arm: str, status: int, timing: Timing) -> None:
        self.metrics.requests.labels(trial.route, arm, str(status)).inc()
        self.metrics.latency.labels(trial.route, arm).observe(timing.latency_ms / 1000)

    def _after(self, trial: LiveTrial, observation: Observation) -> None:
        """The serving arm's answer is out: record the trial and shadow it (never after shutdown began)."""
        if self.engine is not None:
            self.engine.after_primary(trial, observation)


class _Ids:
    """Unique 32-hex-digit ids without a system call each: a random prefix per app, then a counter."""

    def __init__(self) -> None:
        self._prefix = uuid.uuid4().hex[:16]
        self._counter = itertools.count()

    def __call__(self) -> str:
        return f"{self._prefix}{next(self._counter):016x}"


def _json(payload: dict[str, Any], status: int = 200) -> Response:
    return Response(orjson.dumps(payload), status_code=status, media_type="application/json")


__all__ = ["app_from_env", "create_app"]
