"""Throughput and peak memory of a streamed comparison: trials/s and MB at several run sizes.

Simulated trials (``modelswap.sim.rehearsal``: JSON extraction with a schema, classification,
bullets, questions in three languages, refusal prompts), each with a replica, so every trial is
compared twice (candidate and replica), then the noise floor, triage, summary and gate. The
simulator's answers are templates, and a comparator reads a text it has just read from a cache:
so that each trial costs what a real one does, every prompt carries its ticket number (the
simulator's bullets and short answers quote it) and every answer in prose ends with it; only
labels and the JSON of extraction repeat, as in real traffic (``--texts distinct``, the default).
``--texts templates`` stores the simulator's answers as they are (a few hundred distinct texts
in thousands of trials: what the benchmark measured before the comparators cached their readings).

Each size is written once to a store (SQLite, or PostgreSQL with ``--store``), then compared by
``modelswap compare``'s path (``StoreSource`` + ``compare_stream``) in a fresh process, which
reports its peak resident memory (``ru_maxrss``) and, apart, that of its largest worker process
(``VmHWM`` of its descendants, read every 0.2 s).
Run by hand:

    .venv/bin/python bench/compare.py --sizes 20000 200000 [--workers 2] [--dir /tmp/modelswap-bench]
    .venv/bin/python bench/compare.py --sizes 1000000 --store postgresql://root@127.0.0.1:5432/test
"""

from __future__ import annotations

import argparse
import functools
import json
import os
import resource
import subprocess
import sys
import threading
import time
from dataclasses import replace
from pathlib import Path

from modelswap.compare.checks import default_comparators
from modelswap.compare.gate import load_policy
from modelswap.compare.source import StoreSource
from modelswap.compare.stream import compare_stream
from modelswap.record import seeded
from modelswap.sim.model import simulate
from modelswap.sim.quirks import Quirks
from modelswap.sim.rehearsal import SimArmSpec, synthetic_traffic
from modelswap.store import Store, open_store
from modelswap.types import ChatRequest, ErrorInfo, Observation, ObservationKey, StoredObservation

QUIRKS = Quirks(paraphrase_rate=0.3, json_fence_rate=0.1, preamble_rate=0.05, extra_item_rate=0.05,
                language_rate=0.05, latency={"median_ms": 400, "sigma": 0.3})  # type: ignore[arg-type]
PRIMARY, CANDIDATE = SimArmSpec(seed=7, quirks=QUIRKS), SimArmSpec(seed=8, quirks=QUIRKS)
CHUNK = 5000
TICKET = {"ja": "（チケット {n}）", "fr": " Voir le dossier {n}.", "en": " See ticket {n}."}


def ticketed(request: ChatRequest, number: int) -> ChatRequest:
    """``request`` with its ticket number at the head of the user message (the simulator's topic quotes it)."""
    messages = tuple({**m, "content": f"Ticket {number}: {m['content']}"} if m.get("role") == "user" else m
                     for m in request.messages)
    return replace(request, messages=messages)


def run_of(n: int, texts: str = "distinct") -> str:
    return f"bench-{n}" if texts == "distinct" else f"bench-{texts}-{n}"


def answered(request: ChatRequest, number: int, spec: SimArmSpec, sample: int, arm: str, texts: str
             ) -> Observation:
    outcome = simulate(seeded(request, run="bench", sample=sample), seed=spec.seed, quirks=spec.quirks)
    output = outcome.output
    language = request.category.removeprefix("qa-")
    if output and language in TICKET and texts == "distinct":
        output += TICKET[language].format(n=number)
    error = ErrorInfo(kind="http", message=outcome.error_message or "", status=outcome.error_status) \
        if outcome.error_status else None
    return Observation(arm=arm, model=outcome.model, output=None if error else output,
                       finish_reason=outcome.finish_reason, usage=outcome.usage, latency_ms=outcome.latency_ms,
                       error=error)


def write(store: Store, n: int, texts: str) -> None:
    """``n`` trials under ``run_of(n, texts)``: the primary's samples 0 and 1, the candidate's sample 0, in chunks."""
    run = run_of(n, texts)
    for start in range(0, n, CHUNK):
        requests = synthetic_traffic(min(CHUNK, n - start), seed=start)
        if texts == "distinct":
            requests = [ticketed(r, start + i) for i, r in enumerate(requests)]
        requests = [replace(r, id=f"{r.id}-{start + i}") for i, r in enumerate(requests)]
        store.save_requests(run, requests)
        store.save_observations([
            StoredObservation(key=ObservationKey(run=run, trial_id=r.id, arm=arm, sample=sample), role=role,
                              observation=answered(r, start + i, spec, sample, arm, texts))
            for i, r in enumerate(requests)
            for arm, spec, sample, role in (("p", PRIMARY, 0, "primary"), ("p", PRIMARY, 1, "replica"),
                                            ("c", CANDIDATE, 0, "candidate"))])


def prepare(url: str, n: int, texts: str = "distinct") -> None:
    with open_store(url) as store:
        held = store.request_count(run_of(n, texts))
        if held != n:
            if held:
                raise SystemExit(f"{url}: run {run_of(n, texts)!r} holds {held} requests, not {n}")
            started = time.perf_counter()
            write(store, n, texts)
            print(f"wrote {n} trials to {url} in {time.perf_counter() - started:.0f} s", file=sys.stderr)
    if url.startswith("postgresql://"):  # autovacuum may be off (it is here): without statistics after a bulk load
        import psycopg  # the planner reads a page's observations by scanning the whole run

        with psycopg.connect(url, autocommit=True) as connection:
            connection.execute("ANALYZE requests")
            connection.execute("ANALYZE observations")


class WorkerPeaks(threading.Thread):
    """The peak resident memory (VmHWM) and the CPU seconds of every descendant process, sampled until stopped."""

    def __init__(self) -> None:
        super().__init__(daemon=True)
        self.halt = threading.Event()
        self.peaks: dict[int, int] = {}
        self.cpu_s: dict[int, float] = {}

    def run(self) -> None:
        while not self.halt.wait(0.2):
            for pid in _descendants(os.getpid()):
                self.peaks[pid] = max(self.peaks.get(pid, 0), _peak_kb(pid))
                self.cpu_s[pid] = max(self.cpu_s.get(pid, 0.0), _cpu_s(pid))


def _descendants(root: int) -> list[int]:
    parents = {}
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                parents[int(entry.name)] = int((entry / "stat").read_text().rsplit(")", 1)[1].split()[1])
            except (OSError, IndexError, ValueError):
                continue
    found, frontier = [], [root]
    while frontier:
        children = [pid for pid, parent in parents.items() if parent in frontier]
        found += children
        frontier = children
    return found


def _cpu_s(pid: int) -> float:
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except (OSError, IndexError):
        return 0.0
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def _peak_kb(pid: int) -> int:
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmHWM:"):
                return int(line.split()[1])
    except OSError:
        pass
    return 0


def measure(url: str, n: int, workers: int | None, batch_size: int, texts: str) -> dict[str, object]:
    """Compare the stored run once; this process's figures (run in a fresh process per size)."""
    comparators = functools.partial(default_comparators, semantic=False)
    sampler = WorkerPeaks()
    sampler.start()
    cpu_before = time.process_time()
    with open_store(url) as store:
        source = StoreSource(store, url=url, run=run_of(n, texts), baseline="p", candidate="c")
        started = time.perf_counter()
        report = compare_stream(source, baseline="p", candidate="c", replica=source.replica, policy=load_policy(),
                                comparators=comparators, workers=workers, batch_size=batch_size)
        elapsed = time.perf_counter() - started
    sampler.halt.set()
    sampler.join()
    cpu_s = time.process_time() - cpu_before + sum(sampler.cpu_s.values())
    return {"trials": report.summary.trials, "seconds": elapsed, "trials_per_s": report.summary.trials / elapsed,
            "cpu_ms_per_trial": 1000 * cpu_s / report.summary.trials,
            "main_cpu_s": time.process_time() - cpu_before, "load_before": os.getloadavg()[0],
            "peak_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
            "worker_peak_mb": max(sampler.peaks.values(), default=0) / 1024,
            "verdicts": report.summary.verdicts, "decision": report.gate.decision}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=[20_000, 200_000])
    parser.add_argument("--workers", type=int, default=None, help="default: one per core")
    parser.add_argument("--batch-size", type=int, default=500)
    parser.add_argument("--texts", choices=("distinct", "templates"), default="distinct")
    parser.add_argument("--dir", type=Path, default=Path("/tmp/modelswap-bench"), help="where SQLite stores live")
    parser.add_argument("--store", default=None, help="a PostgreSQL URL instead of a SQLite file per size")
    parser.add_argument("--measure", default=None, help=argparse.SUPPRESS)  # the store URL, in the child process
    args = parser.parse_args()
    if args.measure is not None:
        print(json.dumps(measure(args.measure, args.sizes[0], args.workers, args.batch_size, args.texts)))
        return
    rows = []
    for n in args.sizes:
        args.dir.mkdir(parents=True, exist_ok=True)
        url = args.store or f"sqlite:///{args.dir / f'compare-{n}.db'}"  # one run per size and texts
        prepare(url, n, args.texts)
        child = [sys.executable, __file__, "--measure", url, "--sizes", str(n), "--batch-size", str(args.batch_size),
                 "--texts", args.texts]
        child += ["--workers", str(args.workers)] if args.workers is not None else []
        done = subprocess.run(child, capture_output=True, text=True, check=True)
        rows.append(json.loads(done.stdout.splitlines()[-1]))
    print("| trials | texts | workers | seconds | trials/s | CPU ms per trial (all processes) | CPU s (main process) | "
          "peak MB (main) | peak MB (largest worker) | load average before |")
    print("| ---: | --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |")
    for row in rows:
        print(f"| {row['trials']:,} | {args.texts} | {args.workers or 'auto'} | {row['seconds']:.1f} | "
              f"{row['trials_per_s']:,.0f} | {row['cpu_ms_per_trial']:.2f} | {row['main_cpu_s']:.1f} | "
              f"{row['peak_mb']:,.0f} | {row['worker_peak_mb']:,.0f} | {row['load_before']:.1f} |")


if __name__ == "__main__":
    main()
