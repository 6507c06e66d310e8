"""Benchmark: a fast OpenAI-compatible mock upstream, run in its own process.

It answers ``POST .../v1/chat/completions`` at once with a fixed OpenAI-shaped body, so that
whatever sits in front of it (a gateway, a proxy, the load generator itself) is what gets
measured. The path prefix picks the behaviour, so one process can serve every arm:

    /v1/...        200 with the fixed completion (``/v1/embeddings`` a fixed embedding)
    /hang/v1/...   reads the request and never answers (the connection stays open)
    /fail/v1/...   500 with an OpenAI-shaped error body

Two implementations, chosen with ``--impl``: ``raw`` (an asyncio protocol on uvloop parsing
HTTP/1.1 keep-alive itself; the default, because it measured faster) and ``uvicorn`` (uvicorn
with httptools and a bare ASGI callable). Run by hand:

    python bench/mock_upstream.py --port 9100 [--impl raw|uvicorn]

What it is not: a simulator of model behaviour (``modelswap sim serve`` is that); it never
varies its answer.
"""

from __future__ import annotations

import argparse
import asyncio
from typing import Any, cast

import orjson

COMPLETION = orjson.dumps({
    "id": "chatcmpl-mock", "object": "chat.completion", "created": 1763769600, "model": "mock-model",
    "choices": [{"index": 0, "message": {"role": "assistant", "content": "Paris is the capital of France."},
                 "logprobs": None, "finish_reason": "stop"}],
    "usage": {"prompt_tokens": 12, "completion_tokens": 8, "total_tokens": 20},
})
EMBEDDING = orjson.dumps({"object": "list", "model": "mock-embed", "data": [
    {"object": "embedding", "index": 0, "embedding": [0.1, 0.2, 0.3]}], "usage": {"prompt_tokens": 3,
                                                                                    "total_tokens": 3}})
MODELS = orjson.dumps({"object": "list", "data": [{"id": "mock-model", "object": "model", "created": 0,
                                                   "owned_by": "mock"}]})
FAILURE = orjson.dumps({"error": {"message": "mock upstream failure", "type": "server_error", "param": None,
                                  "code": "mock_failure"}})


def answer(path: str) -> tuple[int, bytes] | None:
    """Status and body for ``path``; ``None`` means hang."""
    if path.startswith("/hang/"):
        return None
    if path.startswith("/fail/"):
        return 500, FAILURE
    if path.endswith("/embeddings"):
        return 200, EMBEDDING
    if path.endswith("/models"):
        return 200, MODELS
    return 200, COMPLETION


def _response(status: int, body: bytes) -> bytes:
    reason = b"OK" if status == 200 else b"Internal Server Error"
    return (b"HTTP/1.1 %d %s\r\ncontent-type: application/json\r\ncontent-length: %d\r\n"
            b"connection: keep-alive\r\n\r\n%s" % (status, reason, len(body), body))


RESPONSES = {path: _response(*answer(path)) for path in ("/v1/chat/completions", "/fail/v1/chat/completions")}


class RawProtocol(asyncio.Protocol):
    """HTTP/1.1 keep-alive, Content-Length or chunked request bodies, one response per request."""

    def __init__(self) -> None:
        self.buffer = b""
        self.transport: asyncio.Transport | None = None
        self.hung = False

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        self.transport = cast(asyncio.Transport, transport)  # uvloop's transports are not asyncio subclasses

    def data_received(self, data: bytes) -> None:
        self.buffer += data
        while not self.hung and self._one():
            pass

    def _one(self) -> bool:
        """Answer one complete request from the buffer; ``False`` when it holds none yet."""
        end = self.buffer.find(b"\r\n\r\n")
        if end < 0:
            return False
        head = self.buffer[:end].decode("latin-1")
        lines = head.split("\r\n")
        path = lines[0].split(" ")[1] if " " in lines[0] else "/"
        headers = {k.strip().lower(): v.strip() for k, _, v in (line.partition(":") for line in lines[1:])}
        start = end + 4
        if headers.get("transfer-encoding", "").lower() == "chunked":
            stop = self.buffer.find(b"0\r\n\r\n", start)
            if stop < 0:
                return False
            consumed = stop + 5
        else:
            consumed = start + int(headers.get("content-length", "0"))
            if len(self.buffer) < consumed:
                return False
        self.buffer = self.buffer[consumed:]
        assert self.transport is not None
        if headers.get("expect", "").lower() == "100-continue":
            self.transport.write(b"HTTP/1.1 100 Continue\r\n\r\n")
        reply = answer(path)
        if reply is None:
            self.hung = True  # never answer this connection again; the caller's timeout ends it
            return False
        self.transport.write(RESPONSES.get(path) or _response(*reply))
        return True


async def serve_raw(host: str, port: int) -> None:
    server = await asyncio.get_running_loop().create_server(RawProtocol, host, port, backlog=2048)
    async with server:
        await server.serve_forever()


async def asgi_app(scope: dict[str, Any], receive: Any, send: Any) -> None:
    """The same answers as a bare ASGI callable (for ``--impl uvicorn``)."""
    if scope["type"] != "http":
        return
    more = True
    while more:
        message = await receive()
        more = message.get("more_body", False)
    reply = answer(scope["path"])
    if reply is None:
        await asyncio.Event().wait()
        return
    status, body = reply
    await send({"type": "http.response.start", "status": status,
                "headers": [(b"content-type", b"application/json"), (b"content-length", str(len(body)).encode())]})
    await send({"type": "http.response.body", "body": body})


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=9100)
    parser.add_argument("--impl", choices=["raw", "uvicorn"], default="raw")
    args = parser.parse_args()
    import uvloop

    if args.impl == "raw":
        uvloop.run(serve_raw(args.host, args.port))
    else:
        import uvicorn

        uvicorn.run(asgi_app, host=args.host, port=args.port, loop="uvloop", http="httptools",
                    log_level="warning", access_log=False, lifespan="off", backlog=2048)


if __name__ == "__main__":
    main()
