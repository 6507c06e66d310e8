"""Throughput of the comparison: trials/s for the full comparator set, without and with semantic similarity.

Simulated trials (``modelswap.sim.rehearsal``: JSON extraction, classification, bullets,
questions in three languages, refusal prompts), each with a replica, so every trial is compared
twice (candidate and replica), then triaged, summarised and gated. Run by hand:

    .venv/bin/python bench/compare.py [--trials 2000] [--semantic-trials 300]
"""

from __future__ import annotations

import argparse
import time

from modelswap.compare.checks import default_comparators
from modelswap.compare.embedding import default_embedder
from modelswap.compare.gate import load_policy
from modelswap.compare.pipeline import compare_trials
from modelswap.sim.quirks import Quirks
from modelswap.sim.rehearsal import SimArmSpec, simulated_trials, synthetic_traffic

QUIRKS = Quirks(paraphrase_rate=0.3, json_fence_rate=0.1, preamble_rate=0.05, extra_item_rate=0.05,
                language_rate=0.05, latency={"median_ms": 400, "sigma": 0.3})


def measure(n: int, *, semantic: bool) -> tuple[float, float]:
    trials = simulated_trials(synthetic_traffic(n, seed=7), primary=SimArmSpec(seed=7, quirks=QUIRKS),
                              candidate=SimArmSpec(seed=8, quirks=QUIRKS))
    comparators = default_comparators(semantic=semantic)
    started = time.perf_counter()
    compare_trials(trials, baseline="p", candidate="c", replica="r", policy=load_policy(), comparators=comparators)
    elapsed = time.perf_counter() - started
    return n / elapsed, elapsed


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--trials", type=int, default=2000)
    parser.add_argument("--semantic-trials", type=int, default=300)
    args = parser.parse_args()
    measure(50, semantic=False)  # warm-up: imports, language model, schema compilation
    rows = [("full set, no semantic similarity", args.trials, *measure(args.trials, semantic=False))]
    embedder = default_embedder()
    if embedder is not None:
        measure(20, semantic=True)
        rows.append((f"full set + semantic ({embedder.name})", args.semantic_trials,
                     *measure(args.semantic_trials, semantic=True)))
    print("| comparator set | trials (each with a replica) | trials/s | seconds |")
    print("| --- | ---: | ---: | ---: |")
    for name, n, rate, elapsed in rows:
        print(f"| {name} | {n} | {rate:,.1f} | {elapsed:.1f} |")


if __name__ == "__main__":
    main()
