"""Detection power: the smallest injected quirk rate the default gate turns into ``no_go``.

For each trial count (200, 500, 2000) and each quirk, the candidate is the simulator with the
primary's own quirks plus the quirk injected at a rate p; the primary's replica gives the noise
floor. For each p of a grid, the gate decides on ``--seeds`` independent traffic samples; the
reported threshold is the smallest p at which the gate says ``no_go`` on at least 80% of them
(and the table shows, per p, how many seeds said no_go). The quirk rate is per answer of the
category it can affect (fenced JSON only touches JSON answers, a fifth of the synthetic traffic).

    .venv/bin/python bench/power.py [--trials 200 500 2000] [--seeds 5] [--quirk json_fence_rate]
"""

from __future__ import annotations

import argparse
import time

from modelswap.compare.checks import default_comparators
from modelswap.compare.gate import load_policy
from modelswap.compare.pipeline import compare_trials
from modelswap.sim.quirks import Quirks
from modelswap.sim.rehearsal import SimArmSpec, simulated_trials, synthetic_traffic

PRIMARY = Quirks(paraphrase_rate=0.3, json_fence_rate=0.02, extra_item_rate=0.02,
                 latency={"median_ms": 400, "sigma": 0.3})
GRID = [0.0, 0.01, 0.02, 0.03, 0.05, 0.075, 0.1, 0.15, 0.2, 0.3, 0.5]


def decide(n: int, seed: int, quirk: str, rate: float) -> str:
    candidate = PRIMARY.model_copy(update={quirk: min(1.0, getattr(PRIMARY, quirk) + rate)})
    trials = simulated_trials(synthetic_traffic(n, seed=seed), primary=SimArmSpec(seed=seed, quirks=PRIMARY),
                              candidate=SimArmSpec(seed=seed + 1000, quirks=candidate), run=f"power{seed}")
    report = compare_trials(trials, baseline="primary", candidate="candidate", replica="replica",
                            policy=load_policy(), comparators=default_comparators(semantic=False))
    return report.gate.decision


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--trials", type=int, nargs="+", default=[200, 500, 2000])
    parser.add_argument("--seeds", type=int, default=5)
    parser.add_argument("--quirk", nargs="+", default=["json_fence_rate"])
    args = parser.parse_args()
    started = time.perf_counter()
    for quirk in args.quirk:
        print(f"\n### {quirk} (added to the primary's own {getattr(PRIMARY, quirk):.0%})\n")
        print("| trials | " + " | ".join(f"p={p:g}" for p in GRID) + " | smallest p → no_go (≥80% of seeds) |")
        print("| ---: | " + " | ".join("---:" for _ in GRID) + " | ---: |")
        for n in args.trials:
            cells, smallest = [], None
            for p in GRID:
                decisions = [decide(n, seed, quirk, p) for seed in range(1, args.seeds + 1)]
                no_go = decisions.count("no_go")
                cells.append(f"{no_go}/{args.seeds}")
                if smallest is None and p > 0 and no_go >= 0.8 * args.seeds:
                    smallest = p
                if smallest is not None and no_go == args.seeds:
                    cells.extend("-" for _ in GRID[len(cells):])
                    break
            print(f"| {n} | " + " | ".join(cells) + f" | {smallest if smallest is not None else '> 0.5'} |", flush=True)
    print(f"\n({time.perf_counter() - started:.0f} s)")


if __name__ == "__main__":
    main()
