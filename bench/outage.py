"""Benchmark: the store goes away under shadowed load, and comes back. Is every observation stored?

One mock upstream (``bench/mock_upstream.py``) and ``modelswap serve`` (one worker, route ``bench``
served by an arm on the mock and shadowed at sample_rate 1.0 to a candidate on the mock), each in
its own process; the load generator (``bench/loadgen.py``) sends ``--rate`` requests/s open loop for
``--seconds``. From ``--outage-at`` seconds in, the store is taken away for ``--outage-s`` seconds:

    postgres   the machine's real PostgreSQL cluster is stopped and started again
               (``pg_ctlcluster --skip-systemctl-redirect <version> main stop``/``start``; fast mode,
               so the gateway's connection is cut). The store is a schema of its own in ``test``.
    sqlite     the store's WAL file is made immutable (``chattr +i``, needs root), so every write
               fails with an I/O error, then read-only on reopening: a disk that stops taking writes.
               (``chmod`` would not do: root ignores it, and an open file keeps its access.)

Every 0.5 s ``/readyz`` and ``/metrics`` are read. Once the load is over, the bench waits until the
gateway's store queues are empty (or ``--drain-timeout-s``), stops the gateway (SIGTERM: it writes
what it holds) and counts what the store holds. Expected: one request row per client request, one
observation per client request (the primary) plus one per shadow call started. Run by hand, as root,
on a machine whose PostgreSQL may be stopped for a while:

    .venv/bin/python bench/outage.py [--stores postgres sqlite] [--rate 50] [--seconds 40] [--outage-s 10]

Markdown goes to stdout (copy it to docs/benchmarks.md).
"""

from __future__ import annotations

import argparse
import json
import os
import re
import sqlite3
import subprocess
import sys
import tempfile
import threading
import time
import urllib.error
import urllib.request
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))
from gateway import free_port, server

HERE = Path(__file__).resolve().parent
POSTGRES_URL = "postgresql://root@127.0.0.1:5432/test"
ROUTE = "bench"
_SAMPLE = re.compile(r"^(modelswap_\w+?)(?:\{(.*)\})? (\S+)$")


def metrics(port: int) -> dict[tuple[str, str], float]:
    """``(name, labels) → value`` of every modelswap sample on ``/metrics``."""
    with urllib.request.urlopen(f"http://127.0.0.1:{port}/metrics", timeout=5) as response:
        text = response.read().decode()
    samples = {}
    for line in text.splitlines():
        if (match := _SAMPLE.match(line)) and not match.group(1).endswith("_created"):
            samples[(match.group(1), match.group(2) or "")] = float(match.group(3))
    return samples


def total(samples: dict[tuple[str, str], float], name: str, **labels: str) -> float:
    """The sum of ``name`` over the samples whose labels include ``labels``."""
    wanted = [f'{key}="{value}"' for key, value in labels.items()]
    return sum(value for (sample, found), value in samples.items()
               if sample == name and all(label in found.split(",") for label in wanted))


def readyz(port: int) -> tuple[int, dict[str, Any]]:
    try:
        with urllib.request.urlopen(f"http://127.0.0.1:{port}/readyz", timeout=5) as response:
            return response.status, json.loads(response.read())
    except urllib.error.HTTPError as exc:
        return exc.code, json.loads(exc.read() or b"{}")


@dataclass
class Watch:
    """What ``/readyz`` and ``/metrics`` said during the run."""

    statuses: dict[str, int] = field(default_factory=dict)  # readyz "status" → times seen
    codes: set[int] = field(default_factory=set)
    degraded_first: float | None = None
    degraded_last: float | None = None
    max_buffered: float = 0.0
    max_spilled: float = 0.0
    errors: int = 0


def watch(port: int, started: float, stop: threading.Event, seen: Watch) -> None:
    while not stop.wait(0.5):
        try:
            code, body = readyz(port)
            samples = metrics(port)
        except (OSError, ValueError):
            seen.errors += 1
            continue
        seen.codes.add(code)
        status = str(body.get("status"))
        seen.statuses[status] = seen.statuses.get(status, 0) + 1
        if status == "degraded":
            now = time.monotonic() - started
            seen.degraded_first = seen.degraded_first if seen.degraded_first is not None else now
            seen.degraded_last = now
        seen.max_buffered = max(seen.max_buffered, total(samples, "modelswap_store_buffered"))
        seen.max_spilled = max(seen.max_spilled, total(samples, "modelswap_store_spilled"))


# ---------------------------------------------------------------- the stores and their outages

class Store:
    """Where the gateway writes, how to take it away, and how to count what it holds."""

    name = ""

    def url(self) -> str:
        raise NotImplementedError

    @contextmanager
    def outage(self) -> Iterator[None]:
        raise NotImplementedError
        yield

    def counts(self) -> dict[str, int]:
        raise NotImplementedError

    def close(self) -> None:
        pass


class Postgres(Store):
    name = "postgres"

    def __init__(self) -> None:
        import psycopg

        self.psycopg = psycopg
        self.version = sorted(os.listdir("/etc/postgresql"))[0]
        self.schema = f"bench_outage_{uuid.uuid4().hex[:8]}"
        with psycopg.connect(POSTGRES_URL, autocommit=True) as admin:
            admin.execute(f'CREATE SCHEMA "{self.schema}"')

    def url(self) -> str:
        return f"{POSTGRES_URL}?options=-csearch_path%3D{self.schema}"

    def _cluster(self, action: str) -> None:
        subprocess.run(["pg_ctlcluster", "--skip-systemctl-redirect", self.version, "main", action], check=True)

    @contextmanager
    def outage(self) -> Iterator[None]:
        self._cluster("stop")
        try:
            yield
        finally:
            self._cluster("start")

    def counts(self) -> dict[str, int]:
        with self.psycopg.connect(self.url(), autocommit=True) as connection:
            return _counts(lambda sql: connection.execute(sql).fetchall())

    def close(self) -> None:
        with self.psycopg.connect(POSTGRES_URL, autocommit=True) as admin:
            admin.execute(f'DROP SCHEMA "{self.schema}" CASCADE')


class SQLite(Store):
    name = "sqlite"

    def __init__(self, directory: Path) -> None:
        self.path = directory / "store.db"

    def url(self) -> str:
        return f"sqlite:///{self.path}"

    @contextmanager
    def outage(self) -> Iterator[None]:
        wal = Path(f"{self.path}-wal")
        if not wal.exists():
            raise RuntimeError(f"{wal} does not exist: is the store in WAL mode?")
        subprocess.run(["chattr", "+i", str(wal)], check=True)
        try:
            yield
        finally:
            subprocess.run(["chattr", "-i", str(wal)], check=True)

    def counts(self) -> dict[str, int]:
        with sqlite3.connect(self.path) as connection:
            return _counts(lambda sql: connection.execute(sql).fetchall())


def _counts(query: Any) -> dict[str, int]:
    observations = query(f"SELECT role, COUNT(*) FROM observations WHERE run = '{ROUTE}' GROUP BY role")
    requests = query(f"SELECT COUNT(*) FROM requests WHERE run = '{ROUTE}'")[0][0]
    distinct = query(f"SELECT COUNT(DISTINCT trial_id) FROM observations WHERE run = '{ROUTE}'")[0][0]
    by_role = {str(role): int(n) for role, n in observations}
    return {"observations": sum(by_role.values()), "requests": int(requests), "trials": int(distinct), **by_role}


# ---------------------------------------------------------------- one scenario

def gateway_config(directory: Path, *, mock_port: int, store_url: str, spill: bool) -> Path:
    arms = {name: {"backend": "openai", "base_url": f"http://127.0.0.1:{mock_port}/v1", "model": "mock-model",
                   "max_retries": 0} for name in ("primary", "candidate")}
    config: dict[str, Any] = {"store": store_url, "arms": arms,
                              "routes": {ROUTE: {"primary": "primary", "candidates": ["candidate"],
                                                 "shadow": {"sample_rate": 1.0}}}}
    if spill:
        config["store_buffer"] = {"spill_dir": str(directory / "spill")}
    path = directory / "outage.yaml"
    path.write_text(json.dumps(config))  # JSON is YAML
    return path


def scenario(store: Store, args: argparse.Namespace, directory: Path, mock_port: int) -> dict[str, Any]:
    port = free_port()
    config = gateway_config(directory, mock_port=mock_port, store_url=store.url(), spill=args.spill)
    command = [sys.executable, "-m", "modelswap", "serve", "-c", str(config), "--port", str(port), "--workers", "1"]
    log = directory / f"{store.name}.log"
    result: dict[str, Any] = {"store": store.name}
    with server(command, port=port, ready_path="/readyz", log=log) as gateway:
        started = time.monotonic()
        seen, stop = Watch(), threading.Event()
        watcher = threading.Thread(target=watch, args=(port, started, stop, seen), daemon=True)
        watcher.start()
        load = subprocess.Popen([sys.executable, str(HERE / "loadgen.py"), "--port", str(port), "--model", ROUTE,
                                 "--rate", str(args.rate), "--seconds", str(args.seconds), "--grace-s", "10"],
                                stdout=subprocess.PIPE, text=True)
        time.sleep(max(0.0, started + args.outage_at - time.monotonic()))
        outage_started = time.monotonic()
        with store.outage():
            result["outage_began_s"] = outage_started - started
            time.sleep(max(0.0, outage_started + args.outage_s - time.monotonic()))
        result["outage_s"] = time.monotonic() - outage_started
        output, _ = load.communicate()
        result["load"] = json.loads(output)
        result["drained_s"] = drain(port, args.drain_timeout_s)
        stop.set()
        watcher.join()
        result["watch"] = seen
        result["metrics"] = metrics(port)
        gateway.terminate()
        gateway.wait(timeout=120)
    result["stored"] = store.counts()
    result["log_warnings"] = [line for line in log.read_text(errors="replace").splitlines()
                              if "store" in line and ("unavailable" in line or "back after" in line
                                                      or "dropping" in line or "refused" in line)]
    return result


def drain(port: int, timeout_s: float) -> float | None:
    """Seconds until the gateway's store queues are empty and its shadows done; ``None`` if they never were."""
    started = time.monotonic()
    while time.monotonic() - started < timeout_s:
        samples = metrics(port)
        in_flight = total(samples, "modelswap_shadow_in_flight") + total(samples, "modelswap_shadow_queue_depth")
        if ("modelswap_store_up", "") not in samples:  # a gateway without store figures: give it the flush interval
            if in_flight == 0:
                time.sleep(2)
                return time.monotonic() - started
        elif in_flight == 0 and total(samples, "modelswap_store_buffered") == 0 \
                and total(samples, "modelswap_store_up") == 1:
            return time.monotonic() - started
        time.sleep(0.5)
    return None


# ---------------------------------------------------------------- report

def report(results: list[dict[str, Any]], args: argparse.Namespace) -> str:
    lines = [f"{args.rate:g} requests/s for {args.seconds:g} s, every request shadowed (sample_rate 1.0) to a "
             f"candidate; the store taken away {args.outage_at:g} s in for {args.outage_s:g} s"
             + ("; spill directory set" if args.spill else "; no spill directory") + ".", "",
             "| store | outage | clients answered | errors / unfinished | p50 ms | p99 ms | max ms "
             "| requests expected / stored | observations expected / stored | drained after |",
             "| --- | --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |"]
    for r in results:
        load, samples, stored = r["load"], r["metrics"], r["stored"]
        trials = total(samples, "modelswap_requests_total")
        expected = trials + total(samples, "modelswap_shadow_sent_total")
        outage = "PostgreSQL stopped" if r["store"] == "postgres" else "WAL file immutable"
        drained = "never" if r["drained_s"] is None else f"{r['drained_s']:.1f} s"
        sent = load["n"] + load["incomplete"]
        lines.append(f"| {r['store']} | {outage} {r['outage_s']:.1f} s | {load['n']} of {sent} "
                     f"| {load['errors']} / {load['incomplete']} | {_ms(load['p50'])} | {_ms(load['p99'])} "
                     f"| {_ms(load['max'])} | {trials:.0f} / {stored['requests']} "
                     f"| {expected:.0f} / {stored['observations']} | {drained} |")
    lines += ["", "Store counters from /metrics at the end (observations queue; requests queue in brackets), and "
              "what /readyz said while the load ran:", "",
              "| store | submitted | written | dropped (by reason) | retries | reconnects | max buffered (both queues) "
              "| max spilled (both) | /readyz |", "| --- | ---: | ---: | --- | ---: | ---: | ---: | ---: | --- |"]
    for r in results:
        samples, seen = r["metrics"], r["watch"]

        def both(name: str, samples: dict[tuple[str, str], float] = samples) -> str:
            return (f"{total(samples, name, queue='observations'):.0f} "
                    f"({total(samples, name, queue='requests'):.0f})")

        drops = {reason: total(samples, "modelswap_store_dropped_total", queue=queue, reason=reason)
                 for queue in ("observations", "requests")
                 for reason in ("queue_full", "byte_cap", "closed", "bad_item", "unwritten_at_close",
                                "spill_unreadable")}
        dropped = ", ".join(f"{reason} {n:.0f}" for reason, n in drops.items() if n) or "none"
        statuses = ", ".join(f"{status} ×{n}" for status, n in sorted(seen.statuses.items()))
        degraded = ("" if seen.degraded_first is None
                    else f"; degraded from {seen.degraded_first:.1f} s to {seen.degraded_last:.1f} s")
        lines.append(f"| {r['store']} | {both('modelswap_store_submitted_total')} "
                     f"| {both('modelswap_store_written_total')} | {dropped} "
                     f"| {both('modelswap_store_retries_total')} | {both('modelswap_store_reconnects_total')} "
                     f"| {seen.max_buffered:.0f} | {seen.max_spilled:.0f} "
                     f"| HTTP {sorted(seen.codes)}: {statuses}{degraded} |")
    for r in results:
        lines += ["", f"Gateway log lines about the store ({r['store']}):", ""]
        lines += [f"    {line.strip()[:300]}" for line in r["log_warnings"][:8]] or ["    (none)"]
    return "\n".join(lines)


def _ms(value: float | None) -> str:
    return "n/a" if value is None else f"{value:.1f}"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--stores", nargs="+", choices=["postgres", "sqlite"], default=["postgres", "sqlite"])
    parser.add_argument("--rate", type=float, default=50.0)
    parser.add_argument("--seconds", type=float, default=40.0)
    parser.add_argument("--outage-at", type=float, default=15.0)
    parser.add_argument("--outage-s", type=float, default=10.0)
    parser.add_argument("--drain-timeout-s", type=float, default=120.0)
    parser.add_argument("--spill", action="store_true", help="give the gateway a spill directory (store_buffer)")
    parser.add_argument("--json", type=Path, help="also write the raw results here")
    args = parser.parse_args()
    if os.geteuid() != 0:
        parser.error("run as root: stopping PostgreSQL and chattr need it")
    results = []
    with tempfile.TemporaryDirectory(prefix="bench-outage-") as tmp:
        directory = Path(tmp)
        mock_port = free_port()
        mock = [sys.executable, str(HERE / "mock_upstream.py"), "--port", str(mock_port)]
        with server(mock, port=mock_port, ready_path="/v1/models"):
            for name in args.stores:
                store: Store = Postgres() if name == "postgres" else SQLite(directory)
                try:
                    results.append(scenario(store, args, directory, mock_port))
                finally:
                    store.close()
                print(f"done: {name}", file=sys.stderr, flush=True)
    print(f"{time.strftime('%Y-%m-%d %H:%M')} UTC, {os.cpu_count()} cores, Python {sys.version.split()[0]}\n")
    print(report(results, args), flush=True)
    if args.json:
        raw = [{**r, "metrics": {f"{name}{{{labels}}}": value for (name, labels), value in r["metrics"].items()},
                "watch": {**r["watch"].__dict__, "codes": sorted(r["watch"].codes)}} for r in results]
        args.json.write_text(json.dumps(raw, indent=1))


if __name__ == "__main__":
    main()
