"""The client side of the wire: reading a chat-completions body and answering errors OpenAI's way.

What it is: ``read_body`` (size-limited), ``json_object`` (a JSON object, optionally of known fields only),
``parse_chat_body`` (JSON object with ``model`` and
``messages``), ``parse_embeddings_body`` (``model`` and ``input``), ``ClientError`` (a refusal
carrying its status, param and code) and ``error_response`` (``{"error": {"message", "type",
"param", "code"}}``, shaped by ``modelswap.openai_wire``). What it is not: the arms' side
(``modelswap.gateway.arms``) or routing.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import orjson
from starlette.background import BackgroundTask
from starlette.requests import Request
from starlette.responses import Response

from modelswap.openai_wire import error_body

DEFAULT_MAX_BODY_BYTES = 1024 * 1024


class ClientError(ValueError):
    """A client request the gateway refuses; becomes an OpenAI-shaped error response at the edge."""

    def __init__(self, message: str, *, status: int = 400, param: str | None = None, code: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.status = status
        self.param = param
        self.code = code


def error_response(error: ClientError, *, headers: dict[str, str] | None = None,
                   background: BackgroundTask | None = None) -> Response:
    """The OpenAI-shaped JSON error for ``error``."""
    body = error_body(error.message, status=error.status, param=error.param, code=error.code)
    return Response(orjson.dumps(body), status_code=error.status, media_type="application/json", headers=headers,
                    background=background)


async def read_body(request: Request, *, max_bytes: int) -> bytes:
    """The request body, or ``ClientError`` 413 as soon as it exceeds ``max_bytes``."""
    declared = request.headers.get("content-length")
    if declared is not None and declared.isdigit() and int(declared) > max_bytes:
        raise _too_large(max_bytes)
    chunks: list[bytes] = []
    size = 0
    async for chunk in request.stream():
        size += len(chunk)
        if size > max_bytes:
            raise _too_large(max_bytes)
        chunks.append(chunk)
    return b"".join(chunks)


def parse_chat_body(raw: bytes, *, prompted: Callable[[dict[str, Any]], bool] | None = None) -> dict[str, Any]:
    """The JSON object of a chat-completions request; ``ClientError`` 400 names what is wrong.

    When ``prompted(body)`` says the request names a registry prompt, ``messages`` may be absent or empty
    (the prompt's messages come first; the client's, if any, follow them).
    """
    body = _parse_object(raw, required=("model",))
    optional = prompted is not None and prompted(body)
    if "messages" not in body and not optional:
        raise _missing("messages")
    messages = body.setdefault("messages", [])
    if not isinstance(messages, list) or not (messages or optional) or not all(isinstance(m, dict) for m in messages):
        raise ClientError("'messages' must be a non-empty array of objects", param="messages")
    return body


def parse_embeddings_body(raw: bytes) -> dict[str, Any]:
    """The JSON object of an embeddings request (``model`` and ``input``; the rest is the upstream's to judge)."""
    return _parse_object(raw, required=("model", "input"))


def json_object(raw: bytes, *, allowed: tuple[str, ...] = ()) -> dict[str, Any]:
    """A JSON object body; ``ClientError`` 400 when it is not one, or (given ``allowed``) names a field not allowed."""
    try:
        body = orjson.loads(raw)
    except orjson.JSONDecodeError as exc:
        raise ClientError(f"invalid JSON body: {exc}", code="invalid_json") from None
    if not isinstance(body, dict):
        raise ClientError("the request body must be a JSON object", code="invalid_json")
    unknown = [name for name in body if name not in allowed] if allowed else []
    if unknown:
        raise ClientError(f"unknown field {unknown[0]!r}; expected {', '.join(allowed)}", param=unknown[0],
                          code="unknown_parameter")
    return body


def _parse_object(raw: bytes, *, required: tuple[str, ...]) -> dict[str, Any]:
    body = json_object(raw)
    for field in required:
        if field not in body:
            raise _missing(field)
    if not isinstance(body["model"], str) or not body["model"]:
        raise ClientError("'model' must be a non-empty string naming a route", param="model")
    return body


def _too_large(max_bytes: int) -> ClientError:
    return ClientError(f"request body exceeds the gateway's limit of {max_bytes} bytes", status=413,
                       code="request_too_large")


def _missing(field: str) -> ClientError:
    return ClientError(f"missing required parameter: '{field}'", param=field, code="missing_required_parameter")
