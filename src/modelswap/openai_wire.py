"""The OpenAI chat-completions wire format, both ways, whatever HTTP client carries it.

What it is: the one place that knows the shape of a chat-completions exchange.

- Requests: ``NOT_PARAMS`` (the body fields that are not the request's parameters), ``params_of``,
  ``request_body`` (a ``ChatRequest`` as a body for an arm, ``expect`` forwarded as metadata when
  asked) and ``reshape`` (a client's body re-addressed to an arm: its model id, its params as defaults).
- Responses: ``read_completion`` (a whole ``chat.completion`` body), ``StreamReader`` (server-sent
  ``chat.completion.chunk`` events, fed as raw bytes or as parsed chunks) and ``error_message`` (the
  ``error.message`` of an error body). Both readers give a ``Completion`` or raise ``InvalidResponse``.
- Rendering, for arms that are not HTTP endpoints (the simulator's server, a local model behind the
  gateway): ``completion_body``, ``EventShape`` (the events of a streamed answer) and ``error_body``.
- Secrets: ``scrub`` removes an arm's key from any text an upstream sent back.

What it is not: an HTTP client (``modelswap.backends.openai`` sends the bytes), an ``Observation``
(callers turn a ``Completion`` into one with their own timing and price), or the gateway's reading
of its own clients (``modelswap.gateway.wire``).

Output of a message: ``content``; when the content is null and the model called tools, the JSON
array of ``tool_calls``; when it refused, the ``refusal`` text; otherwise ``""``.
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from typing import Any

import orjson

from modelswap.types import ChatRequest, Usage

#: Body fields that are not parameters of the request: who answers, what is asked, and how it is carried.
NOT_PARAMS = frozenset({"model", "messages", "stream", "stream_options"})
SECRET_MARK = "***"

_SHAPE_ERRORS = (orjson.JSONDecodeError, KeyError, TypeError, IndexError, ValueError, AttributeError)
_PIECES = re.compile(r"(?<=\s)(?=\S)")


class InvalidResponse(ValueError):
    """A body or stream that is not a chat completion; ``str()`` says why, quoting its start."""


@dataclass(frozen=True, kw_only=True, slots=True)
class Completion:
    """What an answer says, whichever way it came: text, why it stopped, tokens, the model that answered."""

    output: str
    finish_reason: str | None = None
    usage: Usage | None = None
    model: str | None = None


def params_of(body: Mapping[str, Any]) -> dict[str, Any]:
    """The parameters of a chat-completions body: every field but ``NOT_PARAMS``."""
    return {key: value for key, value in body.items() if key not in NOT_PARAMS}


def request_body(request: ChatRequest, *, model: str, params: Mapping[str, Any],
                 forward_expect: bool = False) -> dict[str, Any]:
    """The body that asks ``model`` for ``request`` with ``params`` (already merged and without ``NOT_PARAMS``).

    With ``forward_expect``, the category and ``expect`` go along as ``metadata.modelswap_category``
    and ``metadata.modelswap_expect`` (JSON text), for the simulator's server.
    """
    body: dict[str, Any] = {**params, "model": model, "messages": request.messages}
    if forward_expect:
        metadata = params.get("metadata")
        extra = {"modelswap_category": request.category}
        if request.expect:
            extra["modelswap_expect"] = orjson.dumps(request.expect).decode()
        body["metadata"] = {**(metadata if isinstance(metadata, dict) else {}), **extra}
    return body


def reshape(body: Mapping[str, Any], *, model: str, defaults: Mapping[str, Any]) -> tuple[bytes, dict[str, Any]]:
    """A client's body for an arm: the arm's ``defaults`` under the client's fields, the arm's ``model``.

    Returns the bytes to send and the params stored with the observation.
    """
    reshaped = {**defaults, **body, "model": model}
    return orjson.dumps(reshaped), params_of(reshaped)


def read_completion(content: bytes) -> Completion:
    """The ``Completion`` of a whole ``chat.completion`` body; ``InvalidResponse`` when it is not one."""
    try:
        body = orjson.loads(content)
        choice = body["choices"][0]
        output = _output(choice["message"])
        finish_reason = choice.get("finish_reason")
        model = body.get("model")
    except _SHAPE_ERRORS as exc:
        raise InvalidResponse(f"not a chat completion ({type(exc).__name__}: {exc}): {_start(content)}") from None
    return Completion(output=output, finish_reason=finish_reason if isinstance(finish_reason, str) else None,
                      usage=usage_of(body.get("usage")), model=model if isinstance(model, str) and model else None)


def usage_of(raw: object) -> Usage | None:
    """Token counts of a ``usage`` object, or None when it is absent or not two integers."""
    if not isinstance(raw, dict):
        return None
    prompt, completion = raw.get("prompt_tokens"), raw.get("completion_tokens")
    if not isinstance(prompt, int) or not isinstance(completion, int):
        return None
    return Usage(prompt_tokens=prompt, completion_tokens=completion)


def error_message(content: bytes, status: int) -> str:
    """``error.message`` of an OpenAI-shaped error body (or ``error`` as a string), else the body's start."""
    try:
        error = orjson.loads(content)["error"]
        message = error if isinstance(error, str) else error["message"]
    except _SHAPE_ERRORS:
        message = None
    if isinstance(message, str) and message:
        return message
    return content[:200].decode("utf-8", "replace") or f"HTTP {status}"


@dataclass(kw_only=True, slots=True)
class StreamReader:
    """Reads a streamed answer as it passes: ``feed`` raw SSE bytes (any split) or ``take`` parsed chunks.

    Never raises while reading; ``completion()`` at the end raises ``InvalidResponse`` for a bad event
    or a stream that ended before ``[DONE]`` (or, for parsed chunks, before a finish reason).
    """

    pieces: list[str] = field(default_factory=list)
    finish_reason: str | None = None
    usage: Usage | None = None
    model: str | None = None
    done: bool = False
    problem: str | None = None
    _buffer: bytes = b""

    def feed(self, chunk: bytes) -> None:
        """Take the next raw bytes of an SSE stream."""
        self._buffer += chunk.replace(b"\r\n", b"\n")
        while b"\n\n" in self._buffer:
            event, self._buffer = self._buffer.split(b"\n\n", 1)
            for line in event.split(b"\n"):
                if line.startswith(b"data:"):
                    self._data(line[5:].strip())

    def take(self, chunk: Mapping[str, Any]) -> None:
        """Take one ``chat.completion.chunk`` already parsed (an SDK's chunk, dumped to plain data)."""
        try:
            self._chunk(chunk)
        except _SHAPE_ERRORS as exc:
            self.problem = self.problem or f"bad stream chunk ({type(exc).__name__}): {str(chunk)[:200]}"

    def completion(self, *, require_done: bool = True) -> Completion:
        """What the stream said; ``require_done=False`` accepts a finish reason in place of ``[DONE]``."""
        ended = self.done if require_done else self.done or self.finish_reason is not None
        problem = self.problem or (None if ended else "the stream ended before "
                                   + ("[DONE]" if require_done else "a finish_reason"))
        if problem is not None:
            raise InvalidResponse(problem)
        return Completion(output="".join(self.pieces), finish_reason=self.finish_reason, usage=self.usage,
                          model=self.model)

    def _data(self, data: bytes) -> None:
        if data == b"[DONE]":
            self.done = True
            return
        try:
            self._chunk(orjson.loads(data))
        except _SHAPE_ERRORS as exc:
            self.problem = self.problem or f"bad stream event ({type(exc).__name__}): {data[:200]!r}"

    def _chunk(self, chunk: Mapping[str, Any]) -> None:
        if isinstance(chunk.get("model"), str) and chunk["model"]:
            self.model = chunk["model"]
        self.usage = usage_of(chunk.get("usage")) or self.usage
        for choice in chunk.get("choices") or []:
            if choice.get("index", 0) != 0:
                continue
            content = (choice.get("delta") or {}).get("content")
            if isinstance(content, str):
                self.pieces.append(content)
            if isinstance(choice.get("finish_reason"), str):
                self.finish_reason = choice["finish_reason"]


def completion_body(completion: Completion, *, completion_id: str, created: int, model: str) -> dict[str, Any]:
    """The ``chat.completion`` body of an answer (usage included when known)."""
    body: dict[str, Any] = {
        "id": completion_id, "object": "chat.completion", "created": created, "model": completion.model or model,
        "choices": [{"index": 0, "message": {"role": "assistant", "content": completion.output},
                     "finish_reason": completion.finish_reason, "logprobs": None}],
    }
    if completion.usage is not None:
        body["usage"] = _usage_body(completion.usage)
    return body


@dataclass(frozen=True, kw_only=True, slots=True)
class EventShape:
    """What every event of one streamed answer repeats: its id, time, model, and the usage slot when asked for."""

    completion_id: str
    created: int
    model: str
    include_usage: bool = False

    def head(self) -> bytes:
        """The first event: the assistant role, no content yet."""
        return self._event({"role": "assistant", "content": ""})

    def piece(self, text: str) -> bytes:
        """One content event."""
        return self._event({"content": text})

    def tail(self, completion: Completion) -> Iterator[bytes]:
        """The last events: the finish reason, the usage (when ``include_usage``), ``[DONE]``."""
        yield self._event({}, completion.finish_reason)
        if self.include_usage:
            usage = _usage_body(completion.usage) if completion.usage else None
            yield _sse({**self._head(), "choices": [], "usage": usage})
        yield b"data: [DONE]\n\n"

    def events(self, completion: Completion) -> Iterator[bytes]:
        """A whole answer as events, one content event per word (with its trailing space)."""
        yield self.head()
        for piece in _PIECES.split(completion.output):
            if piece:
                yield self.piece(piece)
        yield from self.tail(completion)

    def _head(self) -> dict[str, Any]:
        return {"id": self.completion_id, "object": "chat.completion.chunk", "created": self.created,
                "model": self.model}

    def _event(self, delta: dict[str, Any], finish_reason: str | None = None) -> bytes:
        choice = {"index": 0, "delta": delta, "finish_reason": finish_reason, "logprobs": None}
        return _sse({**self._head(), "choices": [choice], **({"usage": None} if self.include_usage else {})})


def include_usage(body: Mapping[str, Any]) -> bool:
    """Whether a streaming body asked for the usage event (``stream_options.include_usage``)."""
    options = body.get("stream_options")
    return isinstance(options, dict) and options.get("include_usage") is True


def error_body(message: str, *, status: int, param: str | None = None, code: str | None = None) -> dict[str, Any]:
    """An OpenAI-shaped error body: ``{"error": {"message", "type", "param", "code"}}``."""
    kind = "rate_limit_error" if status == 429 else "server_error" if status >= 500 else "invalid_request_error"
    return {"error": {"message": message, "type": kind, "param": param, "code": code}}


def scrub(text: str, key: str | None) -> str:
    """``text`` with ``key`` (an arm's API key) replaced by ``***``."""
    return text.replace(key, SECRET_MARK) if key and key in text else text


def _output(message: object) -> str:
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


def _usage_body(usage: Usage) -> dict[str, int]:
    return {"prompt_tokens": usage.prompt_tokens, "completion_tokens": usage.completion_tokens,
            "total_tokens": usage.total_tokens}


def _sse(payload: dict[str, Any]) -> bytes:
    return b"data: " + orjson.dumps(payload) + b"\n\n"


def _start(content: bytes) -> str:
    return repr(content[:200])
