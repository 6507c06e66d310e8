"""The optional pairwise judge: a configured arm says which of baseline and candidate answered better.

What it is: ``PairwiseJudge`` (built from any ``Backend``, a default rubric and per-category
rubrics, with an optional ``Store`` as its cache), ``open_for_judge`` (the trials the
deterministic checks leave open), ``cache_key`` and ``judge_agreement`` (how often the judge
agrees with labelled pairs). What it is not: the prompt and the reading of answers
(``modelswap.compare.judge_prompt``), nor triage: the pipeline appends the judge's findings and
triages again.

One trial, two calls: the baseline as answer A and the candidate as B, then swapped. Each answer
is parsed to A, B or tie; a failed call or an unparseable answer is no verdict, and is counted.
When both orders name the same side (or both say tie) that is the verdict; when they disagree
the judge showed position bias and the verdict is a tie; when either order gave no verdict the
trial has none. The result is a ``Finding`` with ``check="judge"``: ``regression`` (baseline
better), ``improvement`` (candidate better) or ``same`` (a tie, or no verdict), severity
``minor`` on a win and ``info`` otherwise. Calls run concurrently, at most ``concurrency`` at once.

Cache: each order's parsed answer is stored under ``cache_key`` (the judge arm and model, the
rubric, the request, both answers in that order, and the prompt version) as soon as it is
parsed, so a later run over the same inputs makes no call. Failed calls and unparseable answers
are not cached: the next run asks again.
"""

from __future__ import annotations

import asyncio
import hashlib
import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace
from typing import Any, Literal

from modelswap.backends.base import Backend
from modelswap.compare.engine import Compared
from modelswap.compare.judge_prompt import (
    DEFAULT_RUBRIC,
    PROMPT_VERSION,
    Winner,
    judge_request,
    one_line,
    parse_verdict,
)
from modelswap.compare.model import Finding, Status, Trial
from modelswap.compare.triage import Triaged
from modelswap.store.base import CachedVerdict, Store
from modelswap.types import ChatRequest, Observation

Side = Literal["baseline", "candidate", "tie"]
Order = Literal["baseline_first", "candidate_first"]
ORDERS: tuple[Order, ...] = ("baseline_first", "candidate_first")
CHECK = "judge"
VERSION = 1
DEFAULT_CONCURRENCY = 4
LABEL_SIDES: dict[str, Side] = {"regression": "baseline", "improvement": "candidate", "neutral": "tie"}
_WINNERS: dict[str, Winner] = {"A": "A", "B": "B", "tie": "tie"}
_STATUS: dict[Side | None, Status] = {"baseline": "regression", "candidate": "improvement"}


@dataclass(frozen=True, kw_only=True, slots=True)
class OrderVerdict:
    """What the judge answered in one order: ``winner`` in that order's terms, ``None`` for no verdict."""

    order: Order
    winner: Winner | None
    reason: str = ""
    raw: str | None = None
    cached: bool = False
    cost_usd: float | None = None
    error: str | None = None

    @property
    def side(self) -> Side | None:
        """The winner as a side of the trial."""
        if self.winner is None:
            return None
        if self.winner == "tie":
            return "tie"
        return "baseline" if (self.winner == "A") == (self.order == "baseline_first") else "candidate"

    def to_json(self) -> dict[str, Any]:
        return {"winner": self.winner, "side": self.side, "reason": self.reason, "raw": self.raw,
                "cached": self.cached, "cost_usd": self.cost_usd, "error": self.error}


@dataclass(frozen=True, kw_only=True, slots=True)
class Judgement:
    """One trial judged in both orders, and the verdict they give together."""

    trial_id: str
    arm: str
    model: str
    orders: tuple[OrderVerdict, OrderVerdict]

    @property
    def winner(self) -> Side | None:
        """The side both orders name; a tie when they disagree; ``None`` when either gave no verdict."""
        first, second = (o.side for o in self.orders)
        if first is None or second is None:
            return None
        return first if first == second else "tie"

    @property
    def position_bias(self) -> bool:
        """Both orders gave a verdict and they disagree."""
        first, second = (o.side for o in self.orders)
        return first is not None and second is not None and first != second

    def finding(self) -> Finding:
        """The ``judge`` finding of this trial."""
        winner = self.winner
        reasons = "; ".join(f"{o.order.replace('_', ' ')}: {o.reason}" for o in self.orders if o.reason)
        details = {"arm": self.arm, "model": self.model, "winner": winner, "position_bias": self.position_bias,
                   "cached": all(o.cached for o in self.orders),
                   "cost_usd": sum(o.cost_usd or 0.0 for o in self.orders),
                   "orders": {o.order: o.to_json() for o in self.orders}}
        return Finding(check=CHECK, version=VERSION, status=_STATUS.get(winner, "same"),
                       severity="minor" if winner in ("baseline", "candidate") else "info",
                       reason=f"judge {self.arm}: {self._headline()}" + (f" ({reasons})" if reasons else ""),
                       details=details)

    def _headline(self) -> str:
        winner = self.winner
        if winner is None:
            failed = sum(o.error is not None for o in self.orders)
            unreadable = sum(o.error is None and o.winner is None for o in self.orders)
            return f"no verdict ({failed} failed call(s), {unreadable} unreadable answer(s))"
        if self.position_bias:
            return "the two orders disagree (position bias): a tie"
        return "a tie in both orders" if winner == "tie" else f"the {winner} is better in both orders"


@dataclass(frozen=True, kw_only=True, slots=True)
class JudgeRun:
    """A judge pass over a comparison: every compared trial (the judged ones with their finding) and a summary."""

    compared: tuple[Compared, ...]
    judgements: tuple[Judgement, ...]
    summary: dict[str, Any]


@dataclass(frozen=True, kw_only=True, slots=True)
class _Call:
    order: Order
    request: ChatRequest
    key: str


class PairwiseJudge:
    """Judges baseline against candidate with ``backend``, by ``rubrics[category]`` or else ``rubric``."""

    def __init__(self, backend: Backend, *, rubric: str = DEFAULT_RUBRIC, rubrics: Mapping[str, str] | None = None,
                 cache: Store | None = None, concurrency: int = DEFAULT_CONCURRENCY) -> None:
        if concurrency < 1:
            raise ValueError(f"concurrency={concurrency}: must be at least 1")
        self.backend = backend
        self.rubric = rubric
        self.rubrics = dict(rubrics or {})
        self.cache = cache
        self.concurrency = concurrency

    def rubric_for(self, category: str) -> str:
        return self.rubrics.get(category, self.rubric)

    async def judge(self, trials: Sequence[Trial]) -> list[Judgement]:
        """Every trial judged in both orders, in the order given."""
        calls = [self._calls(trial) for trial in trials]
        keys = [call.key for pair in calls for call in pair]
        cached = await asyncio.to_thread(self.cache.judge_verdicts, keys) if self.cache is not None and keys else {}
        limit = asyncio.Semaphore(self.concurrency)
        answers = await asyncio.gather(*(self._ask(call, cached, limit) for pair in calls for call in pair))
        return [Judgement(trial_id=trial.id, arm=self.backend.arm, model=self.backend.model,
                          orders=(answers[2 * i], answers[2 * i + 1])) for i, trial in enumerate(trials)]

    def judge_sync(self, trials: Sequence[Trial]) -> list[Judgement]:
        """``judge`` on a new event loop, then ``backend.aclose()``; not callable from a running loop."""
        async def run() -> list[Judgement]:
            try:
                return await self.judge(trials)
            finally:
                await self.backend.aclose()

        return asyncio.run(run())

    def judge_open(self, triaged: Sequence[Triaged]) -> JudgeRun:
        """Judge the open trials of a triaged comparison (sync) and append each judge finding to its trial."""
        chosen = [i for i, item in enumerate(triaged) if is_open(item)]
        judgements = self.judge_sync([triaged[i].compared.trial for i in chosen]) if chosen else []
        found = dict(zip(chosen, judgements, strict=True))
        compared = tuple(replace(item.compared, findings=(*item.compared.findings, found[i].finding()))
                         if i in found else item.compared for i, item in enumerate(triaged))
        return JudgeRun(compared=compared, judgements=tuple(judgements),
                        summary=judge_summary(judgements, arm=self.backend.arm, model=self.backend.model))

    def _calls(self, trial: Trial) -> tuple[_Call, _Call]:
        baseline, candidate = trial.baseline.text, trial.candidate.text
        return (self._call(trial, "baseline_first", baseline, candidate),
                self._call(trial, "candidate_first", candidate, baseline))

    def _call(self, trial: Trial, order: Order, answer_a: str, answer_b: str) -> _Call:
        rubric = self.rubric_for(trial.category)
        key = cache_key(arm=self.backend.arm, model=self.backend.model, rubric=rubric, request=trial.request,
                        answer_a=answer_a, answer_b=answer_b)
        request = judge_request(trial.request, rubric=rubric, answer_a=answer_a, answer_b=answer_b,
                                request_id=f"{trial.id}/judge/{order}")
        return _Call(order=order, request=request, key=key)

    async def _ask(self, call: _Call, cached: Mapping[str, CachedVerdict], limit: asyncio.Semaphore) -> OrderVerdict:
        hit = cached.get(call.key)
        winner = _WINNERS.get(hit.winner) if hit is not None else None
        if hit is not None and winner is not None:
            return OrderVerdict(order=call.order, winner=winner, reason=hit.reason, raw=hit.raw_output, cached=True,
                                cost_usd=hit.cost_usd)
        async with limit:
            observation = await self.backend.complete(call.request)
        verdict = _read(call.order, observation)
        if verdict.winner is not None and verdict.raw is not None and self.cache is not None:
            stored = CachedVerdict(key=call.key, arm=self.backend.arm, model=self.backend.model,
                                   winner=verdict.winner, reason=verdict.reason, raw_output=verdict.raw,
                                   cost_usd=verdict.cost_usd)
            await asyncio.to_thread(self.cache.save_judge_verdicts, [stored])
        return verdict


def _read(order: Order, observation: Observation) -> OrderVerdict:
    if observation.error is not None or observation.output is None:
        error = observation.error
        message = f"{error.kind}: {one_line(error.message)}" if error is not None else "no output"
        return OrderVerdict(order=order, winner=None, cost_usd=observation.cost_usd, error=message)
    parsed = parse_verdict(observation.output)
    winner, reason = parsed if parsed is not None else (None, "")
    return OrderVerdict(order=order, winner=winner, reason=reason, raw=observation.output,
                        cost_usd=observation.cost_usd)


def is_open(item: Triaged) -> bool:
    """Whether the deterministic checks leave ``item`` open (see ``open_for_judge``)."""
    findings = item.compared.findings
    if item.verdict in ("regression", "improvement"):
        return bool(item.decisive) and all(f.check.startswith("similarity.") for f in item.decisive)
    if item.verdict == "novel" or any(f.check.startswith("similarity.") and f.status != "same" for f in findings):
        return True
    return any(f.status == "changed" for f in findings)


def open_for_judge(triaged: Sequence[Triaged]) -> list[Triaged]:
    """The trials to judge: ``novel`` ones, ``neutral`` ones with a ``changed`` finding, and any with a
    ``similarity.*`` finding that is not ``same``; a regression or improvement is open only when
    similarity alone decided it (deterministic checks' verdicts are never judged)."""
    return [item for item in triaged if is_open(item)]


def cache_key(*, arm: str, model: str, rubric: str, request: ChatRequest, answer_a: str, answer_b: str) -> str:
    """The hash under which one order's verdict is cached: everything the judge saw, and who judged."""
    material = {"prompt": PROMPT_VERSION, "arm": arm, "model": model, "rubric": rubric,
                "messages": list(request.messages), "expect": request.expect, "a": answer_a, "b": answer_b}
    text = json.dumps(material, sort_keys=True, ensure_ascii=False, separators=(",", ":"), default=str)
    return hashlib.sha256(text.encode()).hexdigest()


def judge_summary(judgements: Sequence[Judgement], *, arm: str, model: str) -> dict[str, Any]:
    """Counts for the report: trials judged, winners, calls made, cached answers, failures and the cost."""
    orders = [o for j in judgements for o in j.orders]
    winners = {side: sum(j.winner == side for j in judgements) for side in ("baseline", "candidate", "tie")}
    return {"arm": arm, "model": model, "judged": len(judgements),
            "winners": {**winners, "none": sum(j.winner is None for j in judgements)},
            "position_disagreements": sum(j.position_bias for j in judgements),
            "calls": sum(not o.cached for o in orders), "cached": sum(o.cached for o in orders),
            "failed": sum(o.error is not None for o in orders),
            "unparseable": sum(o.error is None and o.winner is None for o in orders),
            "cost_usd": sum(o.cost_usd or 0.0 for o in orders if not o.cached)}


def judge_agreement(triaged: Sequence[Triaged], labels: Mapping[str, str]) -> dict[str, Any]:
    """How often the judge's verdict matches a human label: regression ↔ baseline better, improvement ↔
    candidate better, neutral ↔ tie. Trials without a judge verdict, or labelled novel, are left out."""
    rows = {label: [0, 0] for label in LABEL_SIDES}
    for item in triaged:
        label = labels.get(item.compared.trial.id, "")
        winner = next((f.details.get("winner") for f in item.compared.findings if f.check == CHECK), None)
        if winner is not None and label in rows:
            rows[label][0] += 1
            rows[label][1] += winner == LABEL_SIDES[label]
    trials, agreed = sum(n for n, _ in rows.values()), sum(k for _, k in rows.values())
    return {"trials": trials, "agreed": agreed, "rate": agreed / trials if trials else None,
            "by_label": {label: {"trials": n, "agreed": k} for label, (n, k) in rows.items()}}
