"""The judgement on real models: does the comparison call a broken candidate broken and a twin a twin?

Four arms are recorded with llama.cpp (one thread each, two arms at a time) on the shipped demo
traffic (62 requests, the traffic's temperature 0.7, ``max_tokens`` 96) into one SQLite store, run
``judgement``; each seed is derived by ``record`` from the run, request, sample and arm:

- ``smol``: SmolLM2-135M-Instruct, sampled twice: sample 0 is the primary, sample 1 its replica;
- ``gemma-chat``: Gemma 3 270M, a *base* model, used as a chat model: the broken candidate;
- ``smol-twin``: SmolLM2 again under another arm name (so other seeds): the A/A candidate;
- ``smol-20``: SmolLM2 answering with ``max_tokens`` 20, a limit carried over wrongly. The store
  keeps the traffic's requests (``max_tokens`` 96); only this arm's calls are capped.

The acceptance criteria: gemma-chat is ``no_go`` with at least 80% of trials flagged (regression
or novel), each flagged trial with a decisive finding; smol-twin is not ``no_go`` with at most 10%
flagged; smol-20 is ``no_go`` with at least half flagged. ``MODELSWAP_REAL_STORE=path.db`` records
into that file instead of a temporary one, resumably (what is stored is not recorded again), so
the judgement can be re-run on the same answers: ``bench/judgement_real.py --store path.db``.
``MODELSWAP_REAL_RUN=name`` records under another run name, so every arm samples with other seeds
(the seeds are derived from the run): how the criteria hold across seed sets.
"""

from __future__ import annotations

import asyncio
import dataclasses
import os
import sys
import time
from collections import Counter
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path

import pytest

from modelswap.compare.checks import default_comparators
from modelswap.compare.comparison import Comparison
from modelswap.compare.gate import Policy, load_policy
from modelswap.compare.pipeline import compare_trials
from modelswap.compare.source import trials_from_store
from modelswap.demo import demo_traffic_path
from modelswap.record import RecordResult, record
from modelswap.store import Store, open_store
from modelswap.traffic import load_traffic
from modelswap.types import ChatRequest, Role
from weights import require_weights

RUN = os.environ.get("MODELSWAP_REAL_RUN", "judgement")
BASELINE = "smol"
MAX_TOKENS = 96
FLAGGED = ("regression", "novel")


@dataclass(frozen=True, kw_only=True, slots=True)
class RealArm:
    """One recorded arm: its model, chat format, samples and the max_tokens its calls carry."""

    name: str
    model: str
    role: Role
    repeat: int = 1
    chat_format: str | None = None
    max_tokens: int = MAX_TOKENS


ARMS = (
    RealArm(name=BASELINE, model="smollm2-135m", role="primary", repeat=2),
    RealArm(name="gemma-chat", model="gemma3-270m", role="candidate", chat_format="gemma"),
    RealArm(name="smol-twin", model="smollm2-135m", role="candidate"),
    RealArm(name="smol-20", model="smollm2-135m", role="candidate", max_tokens=20),
)


def traffic(max_tokens: int = MAX_TOKENS) -> list[ChatRequest]:
    """The demo traffic with every request's ``max_tokens`` set (its temperature, 0.7, kept)."""
    return [dataclasses.replace(r, params={**r.params, "max_tokens": max_tokens})
            for r in load_traffic(demo_traffic_path()).requests]


async def record_arm(arm: RealArm, store: Store) -> RecordResult:
    """Record one arm on one thread; its model is unloaded afterwards."""
    from modelswap.backends.local import LocalBackend

    backend = LocalBackend(arm=arm.name, model=arm.model, chat_format=arm.chat_format, n_threads=1)
    try:
        return await record(traffic(arm.max_tokens), backend, store, run=RUN, role=arm.role, repeat=arm.repeat,
                            concurrency=1)
    finally:
        await backend.aclose()


async def record_all(store: Store, *, lanes: int = 2) -> list[RecordResult]:
    """Every arm, ``lanes`` arms at a time; the traffic's own requests are stored first."""
    store.save_requests(RUN, traffic())
    waiting = list(ARMS)
    results: list[RecordResult] = []

    async def lane() -> None:
        while waiting:
            results.append(await record_arm(waiting.pop(0), store))

    await asyncio.gather(*(lane() for _ in range(lanes)))
    return results


@pytest.fixture(scope="module")
def store(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Store]:
    require_weights(*sorted({arm.model for arm in ARMS}))
    named = os.environ.get("MODELSWAP_REAL_STORE")
    path = Path(named) if named else tmp_path_factory.mktemp("judgement") / "judgement.db"
    path.parent.mkdir(parents=True, exist_ok=True)
    opened = open_store(f"sqlite:///{path}")
    started = time.perf_counter()
    results = asyncio.run(record_all(opened))
    elapsed_s = time.perf_counter() - started
    lines = [f"{r.arm}: {r.recorded} recorded ({r.errors} errors), {r.already_recorded} already stored, "
             f"{r.elapsed_s:.0f} s" for r in results]
    print(f"\nrecorded {path} in {elapsed_s:.0f} s: " + "; ".join(lines), file=sys.stderr)
    try:
        yield opened
    finally:
        opened.close()


def judgement_policy() -> Policy:
    """The default policy without its latency check: the arms record two at a time on a shared 2-core
    machine, so their latencies say which arm ran beside which (and what else the machine was doing), not
    which model is faster. What this test holds is the judgement of the answers."""
    policy = load_policy()
    return policy.model_copy(update={"checks": tuple(c for c in policy.checks if c.metric != "latency_p95_ratio")})


def judge(store: Store, candidate: str) -> Comparison:
    stored = trials_from_store(store, run=RUN, baseline=BASELINE, candidate=candidate, replica="auto")
    assert stored.replica is not None, "the primary's replica (sample 1) is missing"
    return compare_trials(stored.trials, baseline=BASELINE, candidate=candidate, replica=stored.replica,
                          policy=judgement_policy(), comparators=default_comparators(semantic=True))


def flagged_share(report: Comparison) -> float:
    return sum(t.verdict in FLAGGED for t in report.triaged) / len(report.triaged)


def explain(report: Comparison) -> str:
    """Decision, flagged share, verdicts, decisive check names and the gate's failed checks, for a message."""
    verdicts = Counter(t.verdict for t in report.triaged)
    decisive = Counter(f.check for t in report.triaged if t.verdict in FLAGGED for f in t.decisive)
    gate = [f"{c.name}: {c.outcome} ({c.reason})" for c in report.gate.checks
            if c.outcome in ("fail", "inconclusive")]
    return (f"{report.candidate}: decision {report.gate.decision}; flagged {flagged_share(report):.0%} of "
            f"{len(report.triaged)}; verdicts {dict(verdicts)}; decisive checks {dict(decisive.most_common())}; "
            f"flagged without a decisive finding {without_decisive(report)}; gate {gate}")


def without_decisive(report: Comparison) -> Sequence[str]:
    return [t.compared.trial.id for t in report.triaged if t.verdict in FLAGGED and not t.decisive]


@pytest.mark.slow
def test_every_arm_answered_every_request(store: Store) -> None:
    counts = {(c.arm, c.sample): (c.observations, c.errors) for c in store.counts(RUN)}
    expected = {(arm.name, sample): (len(traffic()), 0) for arm in ARMS for sample in range(arm.repeat)}
    assert counts == expected


@pytest.mark.slow
def test_a_base_model_used_as_a_chat_model_is_no_go_and_nearly_every_trial_says_why(store: Store) -> None:
    report = judge(store, "gemma-chat")
    assert report.gate.decision == "no_go", explain(report)
    assert flagged_share(report) >= 0.8, explain(report)
    assert without_decisive(report) == [], explain(report)


@pytest.mark.slow
def test_the_primary_against_itself_with_other_seeds_is_not_no_go(store: Store) -> None:
    report = judge(store, "smol-twin")
    assert report.gate.decision != "no_go", explain(report)
    assert flagged_share(report) <= 0.1, explain(report)


@pytest.mark.slow
def test_a_max_tokens_of_20_carried_over_is_no_go(store: Store) -> None:
    report = judge(store, "smol-20")
    assert report.gate.decision == "no_go", explain(report)
    assert flagged_share(report) >= 0.5, explain(report)
