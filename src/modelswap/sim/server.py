"""The simulator as an OpenAI-compatible HTTP server (``modelswap sim serve``).

What it is: ``create_sim_app``, a Starlette app answering ``POST /v1/chat/completions``
(non-streaming, or ``stream: true`` as server-sent events split by words, with a final usage
chunk when ``stream_options.include_usage`` is true), ``GET /v1/models`` and ``GET /healthz``,
with bodies shaped exactly as OpenAI's (rendered by ``modelswap.openai_wire``). What it is not:
the simulation (``simulate`` in ``modelswap.sim.model``: the server gives the same output for
the same request) nor the gateway.

How a body becomes a ``ChatRequest``: ``messages`` as is; ``params`` are the other fields
except ``metadata`` and the wire's ``NOT_PARAMS`` (``model``, ``messages``, ``stream``,
``stream_options``); the id is the
``x-request-id`` header, else the content hash of ``modelswap.traffic.content_id``. From
``metadata`` (which OpenAI allows as string values), ``modelswap_expect`` is read as the JSON
of the request's ``expect`` and ``modelswap_category`` as its category; an ``openai`` arm
forwards them when configured to.

The simulated wait (latency, or ``hang_s`` when the request hangs) happens before the
response starts and stops when the client disconnects. Errors are OpenAI-shaped:
``{"error": {"message", "type", "param", "code"}}``.
"""

from __future__ import annotations

import asyncio
import hashlib
import time
from collections.abc import AsyncIterator, Iterator
from typing import Any

import orjson
from starlette.applications import Starlette
from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import Response, StreamingResponse
from starlette.routing import Route

from modelswap.openai_wire import Completion, EventShape, completion_body, error_body, include_usage, params_of
from modelswap.sim.model import SimOutcome, simulate
from modelswap.sim.quirks import Quirks
from modelswap.traffic import content_id
from modelswap.types import ChatRequest


class BadRequest(ValueError):
    """A request body the server rejects with 400, naming the field."""

    def __init__(self, message: str, *, param: str | None = None, code: str = "invalid_request") -> None:
        super().__init__(message)
        self.param = param
        self.code = code


def create_sim_app(*, seed: int = 0, quirks: Quirks | None = None, model: str = "sim") -> Starlette:
    """The simulator's OpenAI-compatible app; nothing is shared between two apps."""
    service = _SimService(seed=seed, quirks=quirks or Quirks(), model=model)
    routes = [
        Route("/v1/chat/completions", service.chat_completions, methods=["POST"]),
        Route("/v1/models", service.models, methods=["GET"]),
        Route("/healthz", service.healthz, methods=["GET"]),
    ]
    return Starlette(routes=routes, exception_handlers={HTTPException: _http_error})


def chat_request_from_body(body: Any, *, request_id: str | None = None) -> ChatRequest:
    """The ``ChatRequest`` of an OpenAI chat-completions body; ``BadRequest`` names what is wrong."""
    if not isinstance(body, dict):
        raise BadRequest("the request body must be a JSON object")
    messages = body.get("messages")
    if messages is None:
        raise BadRequest("missing required parameter: 'messages'", param="messages", code="missing_required_parameter")
    if not isinstance(messages, list) or not messages or not all(isinstance(m, dict) for m in messages):
        raise BadRequest("'messages' must be a non-empty array of objects", param="messages")
    params = {key: value for key, value in params_of(body).items() if key != "metadata"}
    metadata = body.get("metadata")
    metadata = metadata if isinstance(metadata, dict) else {}
    category = metadata.get("modelswap_category")
    return ChatRequest(id=request_id or content_id(tuple(messages), params), messages=tuple(messages),
                       params=params, category=category if isinstance(category, str) and category else "default",
                       expect=_expect(metadata.get("modelswap_expect")))


def outcome_completion(outcome: SimOutcome) -> Completion:
    """What a successful outcome answers, for the wire module to render."""
    return Completion(output=outcome.output or "", finish_reason=outcome.finish_reason, usage=outcome.usage,
                      model=outcome.model)


class _SimService:
    """The endpoints of one app, holding its seed, quirks and model name."""

    def __init__(self, *, seed: int, quirks: Quirks, model: str) -> None:
        self.seed = seed
        self.quirks = quirks
        self.model = model

    async def chat_completions(self, request: Request) -> Response:
        try:
            body = orjson.loads(await request.body())
            chat = chat_request_from_body(body, request_id=request.headers.get("x-request-id"))
        except orjson.JSONDecodeError as exc:
            return _json(error_body(f"invalid JSON body: {exc}", status=400, code="invalid_json"), 400)
        except BadRequest as exc:
            return _json(error_body(str(exc), status=400, param=exc.param, code=exc.code), 400)
        outcome = simulate(chat, seed=self.seed, quirks=self.quirks, model=self.model)
        if await _wait_unless_disconnected(request, outcome.wait_s):
            return Response(status_code=499)
        if outcome.error_status is not None:
            message = outcome.error_message or "simulated error"
            return _json(error_body(message, status=outcome.error_status, code="simulated_error"),
                         outcome.error_status)
        completion_id = _completion_id(chat.id, self.seed)
        created = int(time.time())
        if body.get("stream") is True:
            shape = EventShape(completion_id=completion_id, created=created, model=outcome.model,
                               include_usage=include_usage(body))
            return StreamingResponse(_events(shape.events(outcome_completion(outcome))),
                                     media_type="text/event-stream", headers={"cache-control": "no-cache"})
        return _json(completion_body(outcome_completion(outcome), completion_id=completion_id, created=created,
                                     model=outcome.model), 200)

    async def models(self, request: Request) -> Response:
        return _json({"object": "list", "data": [
            {"id": self.model, "object": "model", "created": 0, "owned_by": "modelswap"}]}, 200)

    async def healthz(self, request: Request) -> Response:
        return _json({"status": "ok", "model": self.model, "seed": self.seed}, 200)


async def _events(events: Iterator[bytes]) -> AsyncIterator[bytes]:
    for event in events:
        yield event


async def _wait_unless_disconnected(request: Request, seconds: float) -> bool:
    """Sleep ``seconds``; stop early and return True if the client disconnects meanwhile."""
    if seconds <= 0:
        return False
    sleeper = asyncio.ensure_future(asyncio.sleep(seconds))
    watcher = asyncio.ensure_future(_disconnected(request))
    done, pending = await asyncio.wait({sleeper, watcher}, return_when=asyncio.FIRST_COMPLETED)
    for task in pending:
        task.cancel()
    await asyncio.gather(*pending, return_exceptions=True)
    return watcher in done


async def _disconnected(request: Request) -> None:
    while (await request.receive())["type"] != "http.disconnect":
        pass


def _expect(raw: Any) -> dict[str, Any]:
    if raw is None:
        return {}
    try:
        expect = orjson.loads(raw) if isinstance(raw, str) else raw
    except orjson.JSONDecodeError:
        raise BadRequest("metadata.modelswap_expect must be a JSON object (as a string)",
                         param="metadata.modelswap_expect") from None
    if not isinstance(expect, dict):
        raise BadRequest("metadata.modelswap_expect must be a JSON object (as a string)",
                         param="metadata.modelswap_expect")
    return expect


def _completion_id(request_id: str, seed: int) -> str:
    return "chatcmpl-" + hashlib.blake2b(f"{seed}\x00{request_id}".encode(), digest_size=12).hexdigest()


def _json(payload: dict[str, Any], status: int) -> Response:
    return Response(orjson.dumps(payload), status_code=status, media_type="application/json")


async def _http_error(request: Request, exc: Exception) -> Response:
    status = exc.status_code if isinstance(exc, HTTPException) else 500
    detail = exc.detail if isinstance(exc, HTTPException) else "internal error"
    return _json(error_body(str(detail), status=status, code="not_found" if status == 404 else None), status)
