"""The gateway's ASGI app: OpenAI-compatible endpoints in front of each route's arms.

What it is: ``create_app(settings)``, a Starlette app with ``POST /v1/chat/completions``
(answered by the route's serving arm, whatever its backend: an HTTP arm's answer relayed as it
arrives, a local or simulated arm's rendered as OpenAI's; see ``modelswap.gateway.arms``),
``POST /v1/embeddings`` (passed through to the route's primary arm when it is an HTTP endpoint,
neither shadowed nor stored), ``GET /v1/models`` (the routes), ``/healthz``, ``/readyz`` and
``/metrics``; and ``app_from_env()``, the same app built from the environment, for uvicorn's
workers. The lifespan opens the store, the recorder and the arms, and on shutdown stops
shadowing, waits for running shadows (``shadow_grace_s``), writes everything accepted and
closes. Every response carries ``x-request-id`` (the client's, else the trial id) and
``x-modelswap-arm`` (``none`` when refused before routing). What it is not: the calls to arms
(``arms``), the shadow calls (``shadow``) or the routing decision (``routing``); nothing a shadow
returns can reach this module's responses.
"""

from __future__ import annotations

import itertools
import os
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
from modelswap.errors import ConfigError
from modelswap.gateway.arms import GatewayArm, Hooks, build_arms
from modelswap.gateway.health import readiness
from modelswap.gateway.metrics import Metrics
from modelswap.gateway.routing import decide
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
from modelswap.store import open_store
from modelswap.types import Observation

CATEGORY_HEADER = "x-modelswap-category"
ENV_MAX_BODY_BYTES = "MODELSWAP_MAX_BODY_BYTES"


def create_app(settings: Settings, *, store_url: str | None = None, env: Mapping[str, str] | None = None,
               max_body_bytes: int = DEFAULT_MAX_BODY_BYTES, shadow_grace_s: float = 10.0) -> Starlette:
    """The gateway for ``settings``; arms' keys are read from ``env`` (default: the process environment) now."""
    gateway = _Gateway(settings, arms=build_arms(settings, env=os.environ if env is None else env),
                       store_url=store_url or settings.store, max_body_bytes=max_body_bytes,
                       shadow_grace_s=shadow_grace_s)
    routes = [
        Route("/v1/chat/completions", gateway.chat_completions, methods=["POST"]),
        Route("/v1/embeddings", gateway.embeddings, methods=["POST"]),
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
                 max_body_bytes: int, shadow_grace_s: float) -> None:
        self.settings = settings
        self.arms = arms
        self.store_url = store_url
        self.max_body_bytes = max_body_bytes
        self.shadow_grace_s = shadow_grace_s
        self.metrics = Metrics()
        self.recorder: Recorder | None = None
        self.engine: ShadowEngine | None = None
        self.new_id = _Ids()
        self.hooks = Hooks(count=self._count, after=self._after)

    @asynccontextmanager
    async def lifespan(self, app: Starlette) -> AsyncIterator[None]:
        store = open_store(self.store_url)
        secrets = [secret for arm in self.arms.values() for secret in arm.backend.secrets]
        recorder = Recorder(store, redactor=redactor_for(self.settings, secrets=secrets),
                            buffer=self.settings.store_buffer)
        await recorder.start()
        for arm in self.arms.values():
            arm.open()
        self.recorder = recorder
        self.engine = ShadowEngine(routes=self.settings.routes, arms=arm_calls(self.arms), recorder=recorder,
                                   metrics=self.metrics)
        try:
            yield
        finally:
            engine, self.engine = self.engine, None
            await engine.close(grace_s=self.shadow_grace_s)
            await recorder.close()
            for arm in self.arms.values():
                await arm.aclose()
            store.close()

    async def chat_completions(self, request: Request) -> Response:
        trial_id = self.new_id()
        request_id = request.headers.get("x-request-id") or trial_id
        try:
            body = parse_chat_body(await read_body(request, max_bytes=self.max_body_bytes))
            route = self._route(body["model"])
        except ClientError as exc:
            return error_response(exc, headers={"x-request-id": request_id, "x-modelswap-arm": "none"})
        engine = self._engine()
        key = body.get("user") if isinstance(body.get("user"), str) and body["user"] else None
        key = key or request.headers.get("x-session-id") or request_id
        routing = decide(route, request_key=key, now=datetime.now(UTC), spent_usd=engine.spent_today(body["model"]))
        trial = LiveTrial(id=trial_id, route=body["model"], body=body, stream=body.get("stream") is True,
                      routing=routing, authorization=request.headers.get("authorization"),
                      request=chat_request(body, trial_id=trial_id, category=request.headers.get(CATEGORY_HEADER)))
        headers = {"x-request-id": request_id, "x-modelswap-arm": routing.serving}
        return await self.arms[routing.serving].serve(trial, headers=headers, hooks=self.hooks)

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
        try:
            status, content_type, content = await arm.embeddings(body, authorization=authorization)
        except ClientError as exc:
            self.metrics.embedding_requests.labels(body["model"], arm.name, str(exc.status)).inc()
            return error_response(exc, headers=headers)
        self.metrics.embedding_requests.labels(body["model"], arm.name, str(status)).inc()
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
        return _json(readiness({"observations": self.recorder.observations, "requests": self.recorder.requests}))

    async def metrics_endpoint(self, request: Request) -> Response:
        if self.recorder is not None:  # the store's figures are read from the recorder's writers at each scrape
            self.metrics.watch_store({"observations": self.recorder.observations, "requests": self.recorder.requests})
        return Response(self.metrics.render(), media_type=self.metrics.content_type)

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
