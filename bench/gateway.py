"""Benchmark: what the shadow gateway adds over a direct call, side by side with the LiteLLM proxy.

One run, one mock upstream (``bench/mock_upstream.py``, its own process), one load generator
(``bench/loadgen.py``, a separate process per measurement point),
and these targets in turn, each a fresh server process with one worker:

    direct     the mock itself (the baseline, and the load generator's own ceiling)
    off        ``modelswap serve``, the route has no candidate
    shadow     sample_rate 1.0 to a candidate on the mock
    hang       sample_rate 1.0 to a candidate that never answers
    fail       sample_rate 1.0 to a candidate that answers 500
    litellm    the LiteLLM proxy (its own venv, one worker, no database, local cost map)

Each target gets closed loop at 1, 16 and 64 clients and open loop at fixed rates, where the
latency of a request is counted from its *scheduled* send time (no coordinated omission).
CPU per request is the server's process tree utime+stime delta over the point. Run by hand:

    .venv/bin/python bench/gateway.py [--litellm /tmp/litellm-venv/bin/litellm] [--rates 50 100 200 400]

Markdown tables go to stdout (copy them to docs/benchmarks.md).
"""

from __future__ import annotations

import argparse
import json
import os
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))
from loadgen import BENCH_KEY

HERE = Path(__file__).resolve().parent


# ---------------------------------------------------------------- orchestration

@dataclass(frozen=True, kw_only=True)
class Target:
    name: str
    label: str
    port: int
    path: str = "/v1/chat/completions"
    model: str = "bench"
    pid: int | None = None  # the server process whose CPU is counted


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def wait_http(port: int, path: str, *, timeout_s: float, process: subprocess.Popen[bytes]) -> None:
    """Until ``GET path`` on ``port`` answers 200 (or the process dies)."""
    deadline = time.monotonic() + timeout_s
    probe = b"GET %s HTTP/1.1\r\nhost: 127.0.0.1\r\nconnection: close\r\n\r\n" % path.encode()
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"server on port {port} exited with {process.returncode}")
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=2) as sock:
                sock.sendall(probe)
                if sock.recv(64).startswith(b"HTTP/1.1 200"):
                    return
        except OSError:
            pass
        time.sleep(0.2)
    raise RuntimeError(f"server on port {port} not ready after {timeout_s} s")


def cpu_ticks(pid: int) -> int:
    """utime+stime of ``pid`` and its descendants, in clock ticks."""
    parents: dict[int, int] = {}
    ticks: dict[int, int] = {}
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            fields = (entry / "stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        parents[int(entry.name)] = int(fields[1])
        ticks[int(entry.name)] = int(fields[11]) + int(fields[12])
    family, frontier = {pid}, [pid]
    while frontier:
        parent = frontier.pop()
        children = [child for child, p in parents.items() if p == parent and child not in family]
        family.update(children)
        frontier.extend(children)
    return sum(ticks.get(p, 0) for p in family)


def rss_mb(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return 0.0


def measure(target: Target, *options: str) -> dict[str, Any]:
    """One load-generator process against ``target``; its summary plus the server's CPU ms per request."""
    hz = os.sysconf("SC_CLK_TCK")
    before = cpu_ticks(target.pid) if target.pid else 0
    command = [sys.executable, str(HERE / "loadgen.py"), "--port", str(target.port), "--path", target.path,
               "--model", target.model, *options]
    output = subprocess.run(command, check=True, capture_output=True, text=True).stdout
    result: dict[str, Any] = json.loads(output)
    if target.pid and result["n"]:
        result["cpu_ms"] = (cpu_ticks(target.pid) - before) * 1000 / hz / result["n"]
    return result


def shadow_counts(port: int) -> dict[str, float]:
    """Sums of the gateway's request and shadow counters from ``/metrics``."""
    with socket.create_connection(("127.0.0.1", port), timeout=5) as sock:
        sock.sendall(b"GET /metrics HTTP/1.1\r\nhost: 127.0.0.1\r\nconnection: close\r\n\r\n")
        chunks = []
        while chunk := sock.recv(65536):
            chunks.append(chunk)
    counts: dict[str, float] = {}
    for line in b"".join(chunks).decode().splitlines():
        for name in ("requests", "shadow_sent", "shadow_completed", "shadow_failed", "shadow_dropped"):
            if line.startswith(f"modelswap_{name}_total{{"):
                counts[name] = counts.get(name, 0) + float(line.rsplit(" ", 1)[1])
    return counts


@contextmanager
def server(command: list[str], *, port: int, ready_path: str, env: dict[str, str] | None = None,
           log: Path | None = None) -> Iterator[subprocess.Popen[bytes]]:
    """A server subprocess, ready; SIGTERM (then SIGKILL) on exit."""
    sink = log.open("wb") if log else subprocess.DEVNULL
    process = subprocess.Popen(command, env={**os.environ, **(env or {})}, stdout=sink, stderr=sink)
    try:
        wait_http(port, ready_path, timeout_s=90, process=process)
        yield process
    finally:
        process.terminate()
        try:
            process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


def gateway_config(directory: Path, *, mock_port: int, candidate: str | None, name: str) -> Path:
    """A modelswap config: route ``bench`` → ``primary`` on the mock; a candidate under ``candidate`` prefix."""
    arms = {"primary": {"backend": "openai", "base_url": f"http://127.0.0.1:{mock_port}/v1", "model": "mock-model",
                        "max_retries": 0}}
    route: dict[str, Any] = {"primary": "primary"}
    if candidate is not None:
        arms["candidate"] = {"backend": "openai", "base_url": f"http://127.0.0.1:{mock_port}{candidate}/v1",
                             "model": "mock-model", "max_retries": 0}
        route.update(candidates=["candidate"], shadow={"sample_rate": 1.0})
    config = {"store": f"sqlite:///{directory / name}.db", "arms": arms, "routes": {"bench": route}}
    path = directory / f"{name}.yaml"
    path.write_text(json.dumps(config))  # JSON is YAML
    return path


def litellm_config(directory: Path, *, mock_port: int) -> Path:
    path = directory / "litellm.yaml"
    path.write_text(json.dumps({"model_list": [{"model_name": "bench", "litellm_params": {
        "model": "openai/mock-model", "api_base": f"http://127.0.0.1:{mock_port}/v1", "api_key": "sk-bench"}}]}))
    return path


def run_points(target: Target, args: argparse.Namespace) -> dict[str, dict[str, Any]]:
    """Warm-up, closed loop at each client count, open loop at each rate."""
    points: dict[str, dict[str, Any]] = {}
    measure(target, "--clients", "8", "--requests", "50", "--cap-s", "10")
    for clients in args.clients:
        per_client = max(20, args.closed_requests // clients)
        points[f"c{clients}"] = measure(target, "--clients", str(clients), "--requests", str(per_client),
                                        "--cap-s", str(args.cap_s))
    for rate in args.rates:
        points[f"r{rate}"] = measure(target, "--rate", str(rate), "--seconds", str(args.seconds),
                                     "--grace-s", str(args.grace_s))
    return points


def run(args: argparse.Namespace) -> dict[str, Any]:
    results: dict[str, Any] = {"targets": {}, "metrics": {}, "mock": {}, "notes": []}
    with tempfile.TemporaryDirectory(prefix="bench-gateway-") as tmp:
        directory = Path(tmp)
        mock_port, other_port = free_port(), free_port()
        mock_cmd = [sys.executable, str(HERE / "mock_upstream.py"), "--port"]
        with server([*mock_cmd, str(other_port), "--impl", "uvicorn"], port=other_port,
                    ready_path="/v1/models") as other:
            target = Target(name="mock-uvicorn", label="mock (uvicorn+httptools)", port=other_port, pid=other.pid)
            measure(target, "--clients", "8", "--requests", "50")
            results["mock"]["uvicorn"] = measure(target, "--clients", "64", "--requests", "100")
        with server([*mock_cmd, str(mock_port), "--impl", "raw"], port=mock_port, ready_path="/v1/models") as mock:
            direct = Target(name="direct", label="(a) direct to mock", port=mock_port, pid=mock.pid)
            measure(direct, "--clients", "8", "--requests", "50")
            results["mock"]["raw"] = measure(direct, "--clients", "64", "--requests", "100")
            results["targets"]["direct"] = run_points(direct, args)
            scenarios = [("off", "(b) modelswap, shadow off", None), ("shadow", "(c) modelswap, shadow 100%", ""),
                         ("hang", "(d) modelswap, shadow hangs", "/hang"),
                         ("fail", "(e) modelswap, shadow fails 500", "/fail")]
            for name, label, candidate in scenarios:
                port = free_port()
                config = gateway_config(directory, mock_port=mock_port, candidate=candidate, name=name)
                command = [sys.executable, "-m", "modelswap", "serve", "-c", str(config), "--port", str(port),
                           "--workers", "1"]
                with server(command, port=port, ready_path="/readyz", log=directory / f"{name}.log") as gateway:
                    target = Target(name=name, label=label, port=port, pid=gateway.pid)
                    results["targets"][name] = run_points(target, args)
                    results["metrics"][name] = shadow_counts(port)
                    results["targets"][name]["rss_mb"] = rss_mb(gateway.pid)
                print(f"done: {label}", file=sys.stderr, flush=True)
            if args.litellm:
                port = free_port()
                command = [args.litellm, "--config", str(litellm_config(directory, mock_port=mock_port)),
                           "--host", "127.0.0.1", "--port", str(port), "--num_workers", "1"]
                env = {"LITELLM_LOCAL_MODEL_COST_MAP": "True", "LITELLM_LOG": "ERROR", "LITELLM_MASTER_KEY": BENCH_KEY}
                log = directory / "litellm.log"
                try:
                    with server(command, port=port, ready_path="/health/liveliness", env=env, log=log) as proxy:
                        target = Target(name="litellm", label="(f) LiteLLM proxy", port=port, pid=proxy.pid)
                        results["targets"]["litellm"] = run_points(target, args)
                except (RuntimeError, subprocess.CalledProcessError) as exc:
                    tail = log.read_text(errors="replace")[-2000:] if log.exists() else ""
                    results["notes"].append(f"LiteLLM: {exc}\n{tail}")
    return results


# ---------------------------------------------------------------- report

LABELS = {"direct": "(a) direct to mock", "off": "(b) modelswap, shadow off", "shadow": "(c) modelswap, shadow 100%",
          "hang": "(d) modelswap, shadow hangs", "fail": "(e) modelswap, shadow fails 500",
          "litellm": "(f) LiteLLM proxy"}


def ms(value: float | None) -> str:
    return "timeout" if value is None else f"{value:.2f}"


def delta(value: float | None, base: float | None) -> str:
    return "n/a" if value is None or base is None else f"{value - base:+.2f}"


def latency_rows(targets: dict[str, Any], points: list[tuple[str, int]], *, unfinished: bool) -> list[str]:
    """One table row per target and point: throughput, percentiles, what they add over the direct call, CPU."""
    rows = []
    for name, measured in targets.items():
        for key, load in points:
            point, base = measured[key], targets["direct"][key]
            row = (f"| {LABELS[name]} | {load} | {point['rps']:.0f} | {ms(point['p50'])} | {ms(point['p99'])} "
                   f"| {delta(point['p50'], base['p50'])} | {delta(point['p99'], base['p99'])} "
                   f"| {point.get('cpu_ms', 0):.2f} | {point['errors']} |")
            rows.append(row + (f" {point['incomplete']} |" if unfinished else ""))
    return rows


def report(results: dict[str, Any], args: argparse.Namespace) -> str:
    targets = results["targets"]
    lines = ["### Mock upstream ceiling (closed loop, 64 clients)", "",
             "| mock | req/s | p50 ms | p99 ms | mock CPU ms/req |", "| --- | ---: | ---: | ---: | ---: |"]
    for impl, point in results["mock"].items():
        lines.append(f"| {impl} | {point['rps']:.0f} | {ms(point['p50'])} | {ms(point['p99'])} "
                     f"| {point.get('cpu_ms', 0):.3f} |")
    lines += ["", "### Closed loop", "",
              "| target | clients | req/s | p50 ms | p99 ms | added p50 | added p99 | server CPU ms/req | errors |",
              "| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |"]
    lines += latency_rows(targets, [(f"c{clients}", clients) for clients in args.clients], unfinished=False)
    lines += ["", "### Open loop (latency from the scheduled send time)", "",
              "| target | rate/s | achieved/s | p50 ms | p99 ms | added p50 | added p99 | server CPU ms/req "
              "| errors | unfinished |",
              "| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |"]
    lines += latency_rows(targets, [(f"r{rate}", rate) for rate in args.rates], unfinished=True)
    top = max(args.clients)
    lines += ["", f"### Throughput per worker (closed loop, {top} clients)", "",
              "| target | req/s | server CPU ms/req | req/s per core (1000 / CPU ms) | vs LiteLLM (req/s) |",
              "| --- | ---: | ---: | ---: | ---: |"]
    litellm = targets.get("litellm", {}).get(f"c{top}")
    for name, points in targets.items():
        point = points[f"c{top}"]
        cpu = point.get("cpu_ms") or 0
        ratio = f"{point['rps'] / litellm['rps']:.1f}×" if litellm and litellm["rps"] else "n/a"
        lines.append(f"| {LABELS[name]} | {point['rps']:.0f} | {cpu:.2f} | {1000 / cpu if cpu else 0:.0f} | {ratio} |")
    lines += ["", "### Gateway counters from /metrics at the end of each target", "",
              "| target | requests | shadow sent | completed | failed | dropped | RSS MB at end |",
              "| --- | ---: | ---: | ---: | ---: | ---: | ---: |"]
    for name, counts in results["metrics"].items():
        lines.append(f"| {LABELS[name]} | {counts.get('requests', 0):.0f} | {counts.get('shadow_sent', 0):.0f} "
                     f"| {counts.get('shadow_completed', 0):.0f} | {counts.get('shadow_failed', 0):.0f} "
                     f"| {counts.get('shadow_dropped', 0):.0f} | {targets[name]['rss_mb']:.0f} |")
    for note in results["notes"]:
        lines += ["", "Note: " + note]
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--clients", type=int, nargs="+", default=[1, 16, 64])
    parser.add_argument("--closed-requests", type=int, default=2000, help="closed loop: total requests per point")
    parser.add_argument("--cap-s", type=float, default=12.0, help="closed loop: longest run of one point")
    parser.add_argument("--rates", type=int, nargs="+", default=[50, 100, 200, 400])
    parser.add_argument("--seconds", type=float, default=10.0, help="open loop: duration of one rate")
    parser.add_argument("--grace-s", type=float, default=5.0, help="open loop: wait for stragglers after sending")
    parser.add_argument("--litellm", default="/tmp/litellm-venv/bin/litellm", help="'' to skip")
    parser.add_argument("--json", type=Path, help="also write the raw results here")
    args = parser.parse_args()
    results = run(args)
    if args.json:
        args.json.write_text(json.dumps(results, indent=1))
    print(f"{time.strftime('%Y-%m-%d %H:%M')} UTC, {os.cpu_count()} cores, Python {sys.version.split()[0]}\n")
    print(report(results, args))


if __name__ == "__main__":
    main()
