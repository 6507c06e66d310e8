"""The comparison pipeline: trials in, a report out.

What it is: ``compare_trials``, the one place that chains comparators, noise floor, triage,
summary and gate; the CLI, the demo and the gateway's controller all call it. What it is not:
reading trials (``pairs``, ``source``) or rendering (``modelswap.report``).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from modelswap.compare.checks import default_comparators
from modelswap.compare.checks.base import Comparator
from modelswap.compare.engine import Tick, run_comparators
from modelswap.compare.gate import Policy, evaluate
from modelswap.compare.model import Trial
from modelswap.compare.noise import measure_noise
from modelswap.compare.summary import summarize
from modelswap.compare.triage import triage
from modelswap.report.model import Report


def compare_trials(trials: Sequence[Trial], *, baseline: str, candidate: str, replica: str | None, policy: Policy,
                   comparators: Sequence[Comparator] | None = None, tick: Tick | None = None, seed: int = 0,
                   source: dict[str, Any] | None = None) -> Report:
    """Compare, triage, summarise and gate ``trials``; deterministic for a given ``seed``."""
    compared = run_comparators(trials, comparators if comparators is not None else default_comparators(), tick=tick)
    noise = measure_noise(compared)
    triaged = triage(compared, noise)
    summary = summarize(triaged, noise, seed=seed)
    return Report(baseline=baseline, candidate=candidate, replica=replica if noise.known else None,
                  triaged=tuple(triaged), summary=summary, gate=evaluate(summary, policy), noise=noise,
                  source=source or {})
