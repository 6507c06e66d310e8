"""Benchmark: requests/s that ``record`` sustains against ``modelswap sim serve``.

It measures the overhead of modelswap itself, not of a model: the simulator answers at
once, in its own process, and for each concurrency the same load is also sent by a bare
httpx loop (no store, no observation, no progress), side by side in one run, so the ratio
``record / bare`` isolates what recording adds. Run by hand:

    .venv/bin/python bench/record.py [--requests 2000] [--concurrency 1 16 64]

Results go to stdout as a Markdown table (copy them to docs/benchmarks.md).
"""

from __future__ import annotations

import argparse
import asyncio
import os
import platform
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import httpx

from modelswap.backends.openai import OpenAIBackend
from modelswap.record import record
from modelswap.serving import free_port
from modelswap.store import open_store
from modelswap.types import ChatRequest


def traffic(n: int) -> list[ChatRequest]:
    return [ChatRequest(id=f"b{i:06d}", messages=({"role": "user", "content": f"Give one fact about number {i}."},),
                        params={"max_tokens": 32}) for i in range(n)]


def start_sim(port: int) -> subprocess.Popen[bytes]:
    process = subprocess.Popen([sys.executable, "-m", "modelswap", "sim", "serve", "--port", str(port)],
                               stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    deadline = time.monotonic() + 20
    while time.monotonic() < deadline:
        try:
            httpx.get(f"http://127.0.0.1:{port}/healthz", timeout=0.5)
            return process
        except httpx.TransportError:
            time.sleep(0.1)
    process.kill()
    raise SystemExit("sim serve did not start")


async def bare(base_url: str, requests: list[ChatRequest], concurrency: int) -> float:
    jobs = iter(requests)
    async with httpx.AsyncClient(base_url=base_url, limits=httpx.Limits(max_connections=concurrency)) as client:
        async def worker() -> None:
            for request in jobs:
                response = await client.post("/chat/completions", json={
                    "model": "sim", "messages": list(request.messages), **request.params})
                response.raise_for_status()

        started = time.perf_counter()
        await asyncio.gather(*(worker() for _ in range(concurrency)))
        return len(requests) / (time.perf_counter() - started)


async def recorded(base_url: str, requests: list[ChatRequest], concurrency: int, db: Path) -> float:
    backend = OpenAIBackend(arm="sim", base_url=base_url, model="sim", timeout_s=30, max_retries=0)
    with open_store(f"sqlite:///{db}") as store:
        result = await record(requests, backend, store, run=f"c{concurrency}", role="candidate",
                              concurrency=concurrency)
        await backend.aclose()
        assert result.recorded == len(requests) and result.errors == 0, result
        assert len(store.observations(f"c{concurrency}")) == len(requests)
    return len(requests) / result.elapsed_s


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--requests", type=int, default=2000)
    parser.add_argument("--concurrency", type=int, nargs="+", default=[1, 16, 64])
    args = parser.parse_args()
    port = free_port()
    sim = start_sim(port)
    base_url = f"http://127.0.0.1:{port}/v1"
    rows = []
    try:
        with tempfile.TemporaryDirectory() as tmp:
            asyncio.run(bare(base_url, traffic(200), 8))  # warm-up
            for concurrency in args.concurrency:
                requests = traffic(args.requests)
                direct = asyncio.run(bare(base_url, requests, concurrency))
                through = asyncio.run(recorded(base_url, requests, concurrency, Path(tmp) / "bench.db"))
                rows.append((concurrency, direct, through))
    finally:
        sim.terminate()
        sim.wait(10)
    print(f"record vs bare httpx against `modelswap sim serve` ({args.requests} requests each, "
          f"{os.cpu_count()} cores, Python {platform.python_version()}, SQLite store)\n")
    print("| concurrency | bare httpx (req/s) | modelswap record (req/s) | record / bare |")
    print("| ---: | ---: | ---: | ---: |")
    for concurrency, direct, through in rows:
        print(f"| {concurrency} | {direct:,.0f} | {through:,.0f} | {through / direct:.2f} |")


if __name__ == "__main__":
    main()
