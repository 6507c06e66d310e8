"""The comparison pipeline: trials in, a report out.

What it is: ``compare_trials``, the in-memory comparison: comparators, noise floor, triage, the
optional judge, summary and gate over trials all held at once (what a judged comparison, the
demo and the tests use). A run too large to hold is compared by ``modelswap.compare.stream``,
which gives the same report to the last digit from compact columns. What it is not: reading
trials (``pairs``, ``source``) or rendering (``modelswap.report``).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from modelswap.compare.checks import default_comparators
from modelswap.compare.checks.base import Comparator
from modelswap.compare.comparison import Comparison
from modelswap.compare.engine import Tick, run_comparators
from modelswap.compare.gate import Policy, evaluate
from modelswap.compare.judge import PairwiseJudge
from modelswap.compare.model import Trial
from modelswap.compare.noise import measure_noise
from modelswap.compare.summary import summarize
from modelswap.compare.triage import triage


def compare_trials(trials: Sequence[Trial], *, baseline: str, candidate: str, replica: str | None, policy: Policy,
                   comparators: Sequence[Comparator] | None = None, tick: Tick | None = None, seed: int = 0,
                   source: dict[str, Any] | None = None, judge: PairwiseJudge | None = None) -> Comparison:
    """Compare, triage, summarise and gate ``trials``; deterministic for a given ``seed``.

    With a ``judge``, the trials triage leaves open are judged, each judge finding is appended to
    its trial, and every trial is triaged again with the same noise floor.
    """
    compared = run_comparators(trials, comparators if comparators is not None else default_comparators(), tick=tick)
    noise = measure_noise(compared)
    triaged = triage(compared, noise)
    judged = judge.judge_open(triaged) if judge is not None else None
    if judged is not None:
        triaged = triage(judged.compared, noise)
    summary = summarize(triaged, noise, seed=seed)
    return Comparison(baseline=baseline, candidate=candidate, replica=replica if noise.known else None,
                  triaged=tuple(triaged), summary=summary, gate=evaluate(summary, policy), noise=noise,
                  source=source or {}, judge=judged.summary if judged is not None else None)
