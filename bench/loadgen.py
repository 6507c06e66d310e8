"""Benchmark tool: a load generator for OpenAI-compatible servers, run as its own process.

A raw asyncio keep-alive HTTP/1.1 client on uvloop (neither httpx nor aiohttp, so that the
client is never what gets measured) sending one fixed chat-completions request:

    closed loop   ``--clients N --requests M``: N connections, each sending M requests back to back
    open loop     ``--rate R --seconds S``: requests at fixed times ``i / R``; each latency counts
                  from its *scheduled* send time, so a slow server cannot hide its queue
                  (no coordinated omission); unanswered ``--grace-s`` after the last send: unfinished

It prints one JSON summary (count, errors, unfinished, req/s, p50/p90/p99/max in ms). Used by
``bench/gateway.py`` and ``bench/soak.py``; by hand:

    .venv/bin/python bench/loadgen.py --port 8080 --rate 200 --seconds 10

What it is not: a general HTTP client (it sends one prepared request and reads Content-Length or
chunked answers only).
"""

from __future__ import annotations

import argparse
import asyncio
import json
import time
from typing import Any

#: Sent to every target: LiteLLM refuses to start without a strong master key; modelswap does not forward a
#: client's key upstream.
BENCH_KEY = "sk-Bench-Master-Key-2026-x9Q7vLp3Zt8Rw4"
BODY = b'{"model":"%s","messages":[{"role":"user","content":"What is the capital of France?"}],"max_tokens":16}'


class Connection:
    """One keep-alive HTTP/1.1 connection that sends a fixed request and reads the whole answer."""

    def __init__(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        self.reader, self.writer = reader, writer

    @classmethod
    async def open(cls, host: str, port: int) -> Connection:
        reader, writer = await asyncio.open_connection(host, port)
        return cls(reader, writer)

    async def call(self, request: bytes) -> int:
        """Send ``request``; return the status after reading the body (Content-Length or chunked)."""
        self.writer.write(request)
        head = await self.reader.readuntil(b"\r\n\r\n")
        status = int(head[9:12])
        lower = head.lower()
        at = lower.find(b"content-length:")
        if at >= 0:
            length = int(lower[at + 15:lower.index(b"\r\n", at)])
            await self.reader.readexactly(length)
        elif b"transfer-encoding: chunked" in lower:
            while True:
                size = int((await self.reader.readuntil(b"\r\n")).strip(), 16)
                await self.reader.readexactly(size + 2)
                if size == 0:
                    break
        return status

    def close(self) -> None:
        self.writer.close()


def build_request(host: str, port: int, path: str, model: str) -> bytes:
    body = BODY % model.encode()
    return (b"POST %s HTTP/1.1\r\nhost: %s:%d\r\ncontent-type: application/json\r\n"
            b"authorization: Bearer %s\r\ncontent-length: %d\r\n\r\n%s"
            % (path.encode(), host.encode(), port, BENCH_KEY.encode(), len(body), body))


async def closed_loop(host: str, port: int, request: bytes, *, clients: int, requests: int,
                      cap_s: float) -> dict[str, Any]:
    """``clients`` connections, each sending ``requests`` back to back (stops early after ``cap_s``)."""
    connections = [await Connection.open(host, port) for _ in range(clients)]
    latencies: list[float] = []
    errors = 0
    deadline = time.perf_counter() + cap_s

    async def client(connection: Connection) -> None:
        nonlocal errors
        for _ in range(requests):
            if time.perf_counter() > deadline:
                return
            t0 = time.perf_counter()
            if await connection.call(request) != 200:
                errors += 1
            latencies.append(time.perf_counter() - t0)

    started = time.perf_counter()
    await asyncio.gather(*(client(c) for c in connections))
    elapsed = time.perf_counter() - started
    for connection in connections:
        connection.close()
    return {"latencies": latencies, "errors": errors, "incomplete": 0, "elapsed_s": elapsed}


async def open_loop(host: str, port: int, request: bytes, *, rate: float, seconds: float, max_connections: int,
                    grace_s: float) -> dict[str, Any]:
    """Requests at fixed times ``i / rate``; latency from the scheduled time; unfinished after the grace: incomplete."""
    idle = [await Connection.open(host, port) for _ in range(min(32, max_connections))]
    slots = asyncio.Semaphore(max_connections)
    latencies: list[float] = []
    errors = 0

    async def one(scheduled: float) -> None:
        nonlocal errors
        async with slots:
            connection = idle.pop() if idle else await Connection.open(host, port)
            try:
                status = await connection.call(request)
            except (OSError, asyncio.IncompleteReadError, ValueError):
                # a keep-alive connection the server closed while idle (uvicorn: after 5 s): reconnect once
                connection.close()
                connection = await Connection.open(host, port)
                try:
                    status = await connection.call(request)
                except (OSError, asyncio.IncompleteReadError, ValueError):
                    errors += 1
                    connection.close()
                    return
            idle.append(connection)
        if status != 200:
            errors += 1
        latencies.append(time.perf_counter() - scheduled)

    total = int(rate * seconds)
    tasks: list[asyncio.Task[None]] = []
    start = time.perf_counter() + 0.05
    for i in range(total):
        scheduled = start + i / rate
        delay = scheduled - time.perf_counter()
        if delay > 0:
            await asyncio.sleep(delay)
        tasks.append(asyncio.create_task(one(scheduled)))
    _, pending = await asyncio.wait(tasks, timeout=grace_s)
    for task in pending:
        task.cancel()
    elapsed = time.perf_counter() - start
    for connection in idle:
        connection.close()
    return {"latencies": latencies, "errors": errors, "incomplete": len(pending), "elapsed_s": elapsed}


def summarize(result: dict[str, Any]) -> dict[str, Any]:
    """Percentiles in ms; requests that never finished count as slower than every finished one."""
    done = sorted(result["latencies"])
    total = len(done) + result["incomplete"]

    def pct(q: float) -> float | None:
        index = min(total - 1, int(q * total))
        return done[index] * 1000 if index < len(done) else None

    return {"n": len(done), "errors": result["errors"], "incomplete": result["incomplete"],
            "elapsed_s": result["elapsed_s"], "rps": len(done) / result["elapsed_s"] if result["elapsed_s"] else 0,
            "p50": pct(0.50), "p90": pct(0.90), "p99": pct(0.99), "max": done[-1] * 1000 if done else None}


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--path", default="/v1/chat/completions")
    parser.add_argument("--model", default="bench")
    parser.add_argument("--clients", type=int, default=0, help="closed loop with this many clients")
    parser.add_argument("--requests", type=int, default=100, help="closed loop: requests per client")
    parser.add_argument("--cap-s", type=float, default=15.0)
    parser.add_argument("--rate", type=float, default=0, help="open loop at this many requests/s")
    parser.add_argument("--seconds", type=float, default=10.0)
    parser.add_argument("--max-connections", type=int, default=256)
    parser.add_argument("--grace-s", type=float, default=5.0)
    args = parser.parse_args(argv)
    import uvloop

    request = build_request(args.host, args.port, args.path, args.model)
    if args.clients:
        run = closed_loop(args.host, args.port, request, clients=args.clients, requests=args.requests,
                          cap_s=args.cap_s)
    else:
        run = open_loop(args.host, args.port, request, rate=args.rate, seconds=args.seconds,
                        max_connections=args.max_connections, grace_s=args.grace_s)
    print(json.dumps(summarize(uvloop.run(run))))


if __name__ == "__main__":
    main()
