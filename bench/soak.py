"""Benchmark: the gateway's memory under a steady load with shadowing on, for minutes.

The mock upstream (``bench/mock_upstream.py``) and ``modelswap serve`` (one worker, route
``bench`` shadowed at sample_rate 1.0 to a candidate on the mock) run in their own processes;
the load generator (``bench/loadgen.py``) sends an open-loop steady rate. Every
``--sample-s`` the gateway's RSS and its ``/metrics`` counters are printed. Run by hand:

    .venv/bin/python bench/soak.py [--minutes 10] [--rate 100] [--candidate ok|hang|fail]

What it is not: a latency benchmark (``bench/gateway.py`` is; the latencies printed here are
only there to show the load was served).
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from gateway import Target, cpu_ticks, free_port, gateway_config, measure, rss_mb, server, shadow_counts

HERE = Path(__file__).resolve().parent
PREFIXES = {"ok": "", "hang": "/hang", "fail": "/fail"}


class Sampler:
    """RSS, CPU use since the last sample and the /metrics counters of the gateway, as a table row."""

    def __init__(self, pid: int, port: int) -> None:
        self.pid, self.port = pid, port
        self.started = self.last = time.monotonic()
        self.ticks = cpu_ticks(pid)

    def row(self) -> str:
        now, ticks = time.monotonic(), cpu_ticks(self.pid)
        cpu_percent = (ticks - self.ticks) / os.sysconf("SC_CLK_TCK") / max(now - self.last, 1e-9) * 100
        self.last, self.ticks = now, ticks
        counts = shadow_counts(self.port)
        return (f"| {now - self.started:6.0f} | {rss_mb(self.pid):.1f} | {cpu_percent:.0f} "
                f"| {counts.get('requests', 0):.0f} "
                f"| {counts.get('shadow_sent', 0):.0f} | {counts.get('shadow_completed', 0):.0f} "
                f"| {counts.get('shadow_failed', 0):.0f} | {counts.get('shadow_dropped', 0):.0f} |")


def soak(args: argparse.Namespace) -> None:
    seconds = args.minutes * 60
    with tempfile.TemporaryDirectory(prefix="bench-soak-") as tmp:
        directory = Path(tmp)
        mock_port, port = free_port(), free_port()
        mock = [sys.executable, str(HERE / "mock_upstream.py"), "--port", str(mock_port)]
        config = gateway_config(directory, mock_port=mock_port, candidate=PREFIXES[args.candidate], name="soak")
        command = [sys.executable, "-m", "modelswap", "serve", "-c", str(config), "--port", str(port)]
        with server(mock, port=mock_port, ready_path="/v1/models"), \
                server(command, port=port, ready_path="/readyz", log=directory / "soak.log") as gateway:
            measure(Target(name="soak", label="warm-up", port=port), "--clients", "8", "--requests", "100")
            print(f"{time.strftime('%Y-%m-%d %H:%M')} UTC: {args.rate} req/s open loop for {args.minutes} min, "
                  f"shadow sample_rate 1.0 to a candidate that is {args.candidate!r}\n")
            print("| t (s) | RSS (MB) | CPU % | requests | shadow sent | completed | failed | dropped |")
            print("| ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |")
            sampler = Sampler(gateway.pid, port)
            started = sampler.started
            print(sampler.row(), flush=True)
            load = subprocess.Popen([sys.executable, str(HERE / "loadgen.py"), "--port", str(port),
                                     "--rate", str(args.rate), "--seconds", str(seconds)],
                                    stdout=subprocess.PIPE, text=True)
            while load.poll() is None:
                time.sleep(min(args.sample_s, max(0.1, started + seconds + 10 - time.monotonic())))
                print(sampler.row(), flush=True)
            output, _ = load.communicate()
            time.sleep(2)  # let the last shadows finish and the recorder flush
            print(sampler.row())
            result = json.loads(output)
            print(f"\nload: {result['n']} answered ({result['rps']:.1f}/s), {result['errors']} errors, "
                  f"{result['incomplete']} unfinished; p50 {result['p50']:.2f} ms, p99 {result['p99']:.2f} ms, "
                  f"max {result['max']:.1f} ms")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--minutes", type=float, default=10.0)
    parser.add_argument("--rate", type=float, default=100.0)
    parser.add_argument("--sample-s", type=float, default=30.0)
    parser.add_argument("--candidate", choices=sorted(PREFIXES), default="ok")
    soak(parser.parse_args())


if __name__ == "__main__":
    main()
