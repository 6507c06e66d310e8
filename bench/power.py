"""Detection power: the smallest injected quirk rate the default gate turns into ``no_go``, against McNemar.

For each trial count (200, 500, 2000) and each quirk, the candidate is the simulator with the
primary's own quirks plus the quirk injected at a rate p; the primary's replica gives the noise
floor. For each p of a grid, upwards, the gate decides on ``--seeds`` independent traffic samples;
the reported threshold is the smallest p at which the gate says ``no_go`` on at least 80% of them.
A gate cell reads "no_go decisions / seeds run": at p > 0 the seeds stop once the 80% bar is
reached or out of reach (at p = 0, the A/A case, every seed runs). The quirk rate is per answer
of the category it can affect (fenced JSON only touches JSON answers, a fifth of the synthetic
traffic).

The reference is McNemar's exact test, one-sided at alpha = 0.05, on the injected behaviour itself,
measured on the same simulated answers: per request, "the candidate shows the quirk" (the
simulator applied it) against "the replica shows it"; the test counts the discordant pairs
(``modelswap.compare.stats.mcnemar`` is two-sided; with p = 0.5 the binomial is symmetric, so the
one-sided p-value is half of it when the candidate's count is the larger). It knows which behaviour
was injected and tests a zero difference; the gate knows neither and judges non-inferiority. A
McNemar cell reads "seeds detected / seeds". A third row runs the same test at the gate's own level:
``significant_categories`` tests a category two-sided at 0.05 with Holm's correction over the
categories (7 in the synthetic traffic), so the most affected category must reach 0.05 / 7
two-sided, one-sided 0.05 / 14; that row shows what the level alone costs with a perfect indicator.

The sample-size ratio: at n trials the gate's own threshold lies between the grid rate it missed
(p_below) and the one it caught (p_gate). McNemar, run on longer prefixes of the same traffic, needs
n_mc(p) trials to detect a rate p on >= 80% of seeds, so the gate needs between n / n_mc(p_below)
and n / n_mc(p_gate) times McNemar's sample for the rate it just detects at n.
Quirks the simulator does not have are skipped.

    .venv/bin/python bench/power.py [--trials 200 500 2000] [--seeds 5] [--quirk json_fence_rate ...]
"""

from __future__ import annotations

import argparse
import functools
import math
import time
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

from modelswap.compare import stats
from modelswap.compare.checks import default_comparators
from modelswap.compare.gate import load_policy
from modelswap.compare.pipeline import compare_trials
from modelswap.record import seeded
from modelswap.sim.model import simulate
from modelswap.sim.quirks import Quirks
from modelswap.sim.rehearsal import SimArmSpec, simulated_trials, synthetic_traffic

PRIMARY = Quirks(paraphrase_rate=0.3, json_fence_rate=0.02, extra_item_rate=0.02,
                 latency={"median_ms": 400, "sigma": 0.3})
GRID = [0.0, 0.01, 0.02, 0.03, 0.05, 0.075, 0.1, 0.15, 0.2, 0.3, 0.5]
QUIRKS = ["json_fence_rate", "wrong_label_rate", "truncation_rate", "repetition_rate", "empty_rate"]
ALPHA = 0.05
POWER = 0.8
CANDIDATE_SEED = 1000  # the candidate's simulator seed is the traffic seed plus this
LONGEST = 4  # McNemar's sample-size search goes up to this many times the row's trial count

Flags = npt.NDArray[np.bool_]


def injected(quirk: str, rate: float) -> Quirks:
    return PRIMARY.model_copy(update={quirk: min(1.0, getattr(PRIMARY, quirk) + rate)}) if rate else PRIMARY


@functools.cache
def _decide(n: int, seed: int, candidate: Quirks) -> str:
    trials = simulated_trials(synthetic_traffic(n, seed=seed), primary=SimArmSpec(seed=seed, quirks=PRIMARY),
                              candidate=SimArmSpec(seed=seed + CANDIDATE_SEED, quirks=candidate), run=f"power{seed}")
    report = compare_trials(trials, baseline="primary", candidate="candidate", replica="replica",
                            policy=load_policy(), comparators=default_comparators(semantic=False))
    return report.gate.decision


def decide(n: int, seed: int, quirk: str, rate: float) -> str:
    """The default gate's decision on n simulated trials (p = 0 is the same A/A run for every quirk)."""
    return _decide(n, seed, injected(quirk, rate))


def gate_count(n: int, seeds: Sequence[int], quirk: str, rate: float) -> tuple[int, int]:
    """(no_go decisions, seeds run): at p > 0 it stops once the 80% bar is reached or out of reach."""
    need = math.ceil(POWER * len(seeds))
    no_go = run = 0
    for seed in seeds:
        no_go += decide(n, seed, quirk, rate) == "no_go"
        run += 1
        if rate and (no_go >= need or run - no_go > len(seeds) - need):
            break
    return no_go, run


@dataclass(frozen=True, kw_only=True, slots=True)
class Prefixes:
    """Cumulative discordant counts along one seed's traffic: b[k], c[k] over its first k requests."""

    b: npt.NDArray[np.int64]
    c: npt.NDArray[np.int64]

    @classmethod
    def of(cls, candidate: Flags, replica: Flags) -> Prefixes:
        zero = np.zeros(1, dtype=np.int64)
        return cls(b=np.concatenate([zero, np.cumsum(candidate & ~replica)]),
                   c=np.concatenate([zero, np.cumsum(replica & ~candidate)]))

    def detects(self, n: int, alpha: float = ALPHA) -> bool:
        return mcnemar_detects(int(self.b[n]), int(self.c[n]), alpha)


@functools.cache
def prefixes(seed: int, quirk: str, rate: float, length: int) -> Prefixes:
    """McNemar's counts along the first ``length`` requests of the traffic ``decide`` sees (any n is a prefix):
    per request, did the candidate show the quirk (the simulator applied it), did the replica."""
    applied, quirks, run = quirk.removesuffix("_rate"), injected(quirk, rate), f"power{seed}"
    candidate, replica = [], []
    for request in synthetic_traffic(length, seed=seed):
        first, second = seeded(request, run=run, sample=0), seeded(request, run=run, sample=1)
        candidate.append(applied in simulate(first, seed=seed + CANDIDATE_SEED, quirks=quirks).applied)
        replica.append(applied in simulate(second, seed=seed, quirks=PRIMARY).applied)
    return Prefixes.of(np.array(candidate), np.array(replica))


def mcnemar_detects(b: int, c: int, alpha: float = ALPHA) -> bool:
    """One-sided exact McNemar at level ``alpha``: b (candidate only) significantly more than c (replica only)."""
    return b > c and stats.mcnemar(b, c) / 2 < alpha


def mcnemar_trials_needed(quirk: str, rate: float, seeds: Sequence[int], longest: int,
                          alpha: float = ALPHA) -> int | None:
    """The smallest n (on a 5% geometric grid up to ``longest``) at which McNemar detects on >= 80% of seeds."""
    counts = [prefixes(seed, quirk, rate, longest) for seed in seeds]
    for n in sorted({round(10 * 1.05**k) for k in range(400) if 10 * 1.05**k <= longest}):
        if sum(p.detects(n, alpha) for p in counts) >= POWER * len(counts):
            return n
    return None


@dataclass(frozen=True, kw_only=True, slots=True)
class Row:
    """One trial count of one quirk: detections per grid rate by each method, and what follows."""

    n: int
    cells: dict[str, list[str]]
    smallest: dict[str, float | None]
    ratio: str
    level_ratio: str


def measure(quirk: str, n: int, seeds: Sequence[int], length: int, gate_level: float) -> Row:
    """Scan the grid upwards until every method detects on >= 80% of seeds (or the grid ends)."""
    levels = {"McNemar": ALPHA, "McNemar at the gate's level": gate_level}
    cells: dict[str, list[str]] = {"gate": [], **{name: [] for name in levels}}
    smallest: dict[str, float | None] = dict.fromkeys(cells)
    below = 0.0
    for p in GRID:
        if all(found is not None for found in smallest.values()):
            break
        for name, alpha in levels.items():
            if smallest[name] is None:
                detected = sum(prefixes(seed, quirk, p, length).detects(n, alpha) for seed in seeds)
                cells[name].append(f"{detected}/{len(seeds)}")
                smallest[name] = p if p and detected >= POWER * len(seeds) else None
        if smallest["gate"] is None:
            no_go, run = gate_count(n, seeds, quirk, p)
            cells["gate"].append(f"{no_go}/{run}")
            smallest["gate"] = p if p and no_go >= POWER * len(seeds) else None
            below = p if smallest["gate"] is None else below
    gate = smallest["gate"]
    return Row(n=n, cells=cells, smallest=smallest, ratio=ratio(quirk, n, seeds, gate, below),
               level_ratio=level_ratio(quirk, n, seeds, gate, gate_level))


def ratio(quirk: str, n: int, seeds: Sequence[int], gate: float | None, below: float) -> str:
    """n / McNemar's n at the gate's threshold and at the grid rate below it: the bracket of the ratio."""
    if gate is None:
        return "n/a (the gate misses 0.5)"
    longest = LONGEST * n
    high = _share(n, mcnemar_trials_needed(quirk, gate, seeds, longest), longest)
    if not below:
        return f"≤ {high}×"
    return f"{_share(n, mcnemar_trials_needed(quirk, below, seeds, longest), longest)}–{high}×"


def level_ratio(quirk: str, n: int, seeds: Sequence[int], gate: float | None, gate_level: float) -> str:
    """At the gate's threshold: McNemar's n at the gate's level over McNemar's n at alpha (the level's own cost)."""
    if gate is None:
        return "n/a"
    longest = LONGEST * n
    at_level = mcnemar_trials_needed(quirk, gate, seeds, longest, gate_level)
    at_alpha = mcnemar_trials_needed(quirk, gate, seeds, longest)
    return f"{at_level / at_alpha:.1f}×" if at_level and at_alpha else "n/a"


def _share(n: int, needed: int | None, longest: int) -> str:
    return f"{n / needed:.1f}" if needed else f"<{n / longest:.2f}"


def _rate(p: float | None) -> str:
    return "> 0.5" if p is None else f"{p:g}"


def _cells(cells: list[str]) -> str:
    return " | ".join(cells + ["" for _ in GRID[len(cells):]])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--trials", type=int, nargs="+", default=[200, 500, 2000])
    parser.add_argument("--seeds", type=int, default=5)
    parser.add_argument("--quirk", nargs="+", default=QUIRKS)
    args = parser.parse_args()
    started = time.perf_counter()
    seeds = range(1, args.seeds + 1)
    categories = len({r.category for r in synthetic_traffic(max(args.trials), seed=1)})
    gate_level = ALPHA / 2 / categories
    print(f"McNemar at the gate's level: one-sided {gate_level:.4f} (two-sided 0.05 with Holm's first step over "
          f"{categories} categories, as significant_categories tests the most affected one)")
    summary: list[str] = []
    for quirk in args.quirk:
        if quirk not in Quirks.model_fields:
            print(f"\n### {quirk}: not a quirk of this simulator (skipped)")
            continue
        print(f"\n### {quirk} (added to the primary's own {getattr(PRIMARY, quirk):.0%})\n")
        print("| trials | method | " + " | ".join(f"p={p:g}" for p in GRID) + " | smallest p (≥ 80% of seeds) |")
        print("| ---: | --- | " + " | ".join("---:" for _ in GRID) + " | ---: |")
        for n in args.trials:
            row = measure(quirk, n, seeds, max(args.trials), gate_level)
            for method, cells in row.cells.items():
                print(f"| {n} | {method} | {_cells(cells)} | {_rate(row.smallest[method])} |", flush=True)
            summary.append(f"| {quirk} | {n} | {_rate(row.smallest['gate'])} | {_rate(row.smallest['McNemar'])} | "
                           f"{row.ratio} | {row.level_ratio} |")
    print("\n| quirk | trials | gate: smallest p | McNemar: smallest p | gate's n / McNemar's n "
          "| McNemar at the gate's level: n / McNemar's n |")
    print("| --- | ---: | ---: | ---: | ---: | ---: |")
    print("\n".join(summary))
    print(f"\n({time.perf_counter() - started:.0f} s, {args.seeds} seeds)")


if __name__ == "__main__":
    main()
