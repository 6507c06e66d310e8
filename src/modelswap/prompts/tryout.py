"""``prompts try``'s logic: variants of a prompt shaped per request, paired with the primary, scored and ranked.

What it is: the pure steps between the store and the comparison. ``case_requests`` turns a prompt
file's regression cases into requests (the primary's variant rendered); ``pick_shots`` chooses a
request's examples from the primary's own answers to *other* requests of its category
(leave-one-out: never its own answer), preferring answers that meet their contract;
``shape_requests`` applies a template to every request; ``pair_trials`` pairs the primary's
recorded answers (sample 0 the baseline, later samples the replica) with a variant's answers into
``Trial``\\ s; ``score`` runs the one comparison pipeline (``compare_trials``: the same comparators,
noise floor, triage, summary and gate as ``modelswap compare``) over a variant's trials and reads
it per category, and ``rank`` orders each category's variants. What it is not: generation or
storage (the command records through ``modelswap.record``), nor a comparator of its own.

A variant's answers live in the store under the run ``try_run(RUN, VARIANT)`` =
``RUN~try~VARIANT``: rerunning records only what is missing.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, replace
from typing import Any

import orjson

from modelswap.compare.checks.base import Comparator
from modelswap.compare.gate import Policy
from modelswap.compare.model import Outcome, Trial
from modelswap.compare.pipeline import compare_trials
from modelswap.prompts.contract import check_contract
from modelswap.prompts.registry import Prompt, Variant, render, variant_for
from modelswap.prompts.templates import Shot, Template, apply, split
from modelswap.types import ChatRequest, StoredObservation

TRY_SEPARATOR = "~try~"
CASES_PREFIX = "prompt~"
DEFAULT_SHOTS = 3


def try_run(run: str, variant: str) -> str:
    """The run a variant's answers are stored under."""
    return f"{run}{TRY_SEPARATOR}{variant}"


def cases_run(prompt: Prompt) -> str:
    """The run a prompt file's cases (and the primary's answers to them) are stored under."""
    return f"{CASES_PREFIX}{prompt.name}"


@dataclass(frozen=True, kw_only=True, slots=True)
class TryVariant:
    """One variant to try: a template (with ``shots`` examples) or a variant of the prompt file (``file_key``)."""

    name: str
    template: Template | None = None
    shots: int = 0
    file_key: str | None = None


def template_variant(template: Template, shots: int = DEFAULT_SHOTS, *, tag: str | None = None) -> TryVariant:
    """The variant a template gives; one with examples is named for their number (``completion-3shot``), and
    a ``tag`` is appended (``completion-3shot@v2``)."""
    name = f"{template.name}-{shots}shot" if template.shots and shots else template.name
    return TryVariant(name=_tagged(name, tag), template=template, shots=shots if template.shots else 0)


def file_variant(key: str, *, tag: str | None = None) -> TryVariant:
    """The prompt file's own variant under ``key``, tried as it is."""
    return TryVariant(name=_tagged(f"file-{key.replace(':', '-')}", tag), file_key=key)


def _tagged(name: str, tag: str | None) -> str:
    return f"{name}@{tag}" if tag else name


def case_requests(prompt: Prompt, model: str, family: str | None = None) -> list[ChatRequest]:
    """The prompt's cases as requests, rendered with the variant ``model`` gets (the primary's prompt).

    A case's id is its name (or ``case-N``) and a hash of what is sent, so an edited case is a new request.
    """
    _, variant = variant_for(prompt, model, family)
    return [_case_request(prompt, variant, i) for i in range(len(prompt.cases))]


def _case_request(prompt: Prompt, variant: Variant, index: int) -> ChatRequest:
    case = prompt.cases[index]
    messages = tuple(render(variant, case.variables, declared=prompt.variables))
    params = prompt.params_for(variant)
    digest = hashlib.blake2b(orjson.dumps([messages, params], option=orjson.OPT_SORT_KEYS), digest_size=4).hexdigest()
    return ChatRequest(id=f"{case.name or f'case-{index + 1}'}-{digest}", messages=messages, params=params,
                       category=prompt.name, expect={**prompt.expect, **case.expect})


def file_variant_requests(prompt: Prompt, key: str, requests: Sequence[ChatRequest]) -> list[ChatRequest]:
    """``requests`` (the cases, in order) with the messages and parameters of the file's variant ``key``."""
    variant = prompt.variants[key]
    return [replace(request, messages=tuple(render(variant, case.variables, declared=prompt.variables)),
                    params=prompt.params_for(variant)) for request, case in zip(requests, prompt.cases, strict=True)]


def _order(request_id: str, other_id: str) -> bytes:
    return hashlib.blake2b(f"{request_id}\x00{other_id}".encode(), digest_size=8).digest()


def pick_shots(request: ChatRequest, pool: Sequence[tuple[ChatRequest, Outcome]], count: int, *,
               head: bool = True) -> list[Shot]:
    """Up to ``count`` examples for ``request`` from the primary's answers to other requests of its category.

    Never its own answer; answers that failed or are empty are left out. First come the requests with
    the same instructions (the same task), then, within each, answers that meet their contract, then
    answers that ended on their own (not cut at the token limit: an example teaches where to stop);
    the order within each group is a hash of both ids (stable, and different per request). ``head``:
    how the requests split (``templates.split``).
    """
    own = split(request.messages).instructions
    others = [(other, answer) for other, answer in pool
              if other.id != request.id and other.category == request.category and answer.ok and answer.text.strip()]
    others.sort(key=lambda item: (split(item[0].messages).instructions != own,
                                  not check_contract(item[0], item[1]).passed, item[1].finish_reason == "length",
                                  _order(request.id, item[0].id)))
    return [Shot(input=split(other.messages, head=head).input, output=answer.text.strip())
            for other, answer in others[:count]]


def shared_instructions(requests: Sequence[ChatRequest]) -> bool:
    """Whether every request of each category has the same instructions (``templates.split``)."""
    seen: dict[str, set[str]] = {}
    for request in requests:
        seen.setdefault(request.category, set()).add(split(request.messages).instructions)
    return all(len(found) == 1 for found in seen.values())


def _with_stop(params: Mapping[str, Any], stop: Sequence[str]) -> dict[str, Any]:
    if not stop:
        return dict(params)
    before = params.get("stop")
    listed = [] if before is None else [before] if isinstance(before, str) else list(before)
    return {**params, "stop": [*listed, *(s for s in stop if s not in listed)]}


def shape_requests(requests: Sequence[ChatRequest], template: Template, *, shots: int,
                   answers: Mapping[str, Outcome]) -> tuple[list[ChatRequest], bool]:
    """Every request shaped by ``template`` (examples from ``answers``, the primary's by request id), and
    whether the shaped prompts are raw completions. A category whose requests differ in their
    instructions keeps each request's instructions in its input (``split(head=False)``)."""
    pool = [(request, answers[request.id]) for request in requests if request.id in answers]
    shaped, raw = [], False
    heads = {category: shared_instructions([r for r in requests if r.category == category])
             for category in {r.category for r in requests}}
    for request in requests:
        head = heads[request.category]
        examples = pick_shots(request, pool, shots, head=head) if template.shots else []
        result = apply(template, request.messages, examples, head=head)
        raw = raw or result.raw
        shaped.append(replace(request, messages=result.messages, params=_with_stop(request.params, result.stop)))
    return shaped, raw


def first_samples(observations: Sequence[StoredObservation]) -> dict[str, Outcome]:
    """Sample 0 of each request, as outcomes by request id."""
    return {s.key.trial_id: Outcome.of(s.observation) for s in observations if s.key.sample == 0}


def pair_trials(requests: Sequence[ChatRequest], primary: Sequence[StoredObservation],
                variant: Sequence[StoredObservation]) -> list[Trial]:
    """Trials of the requests answered by both: the primary's sample 0 the baseline, its later samples the
    replica, the variant's sample 0 the candidate."""
    baseline, candidate = first_samples(primary), first_samples(variant)
    replicas: dict[str, list[tuple[int, Outcome]]] = {}
    for stored in primary:
        if stored.key.sample > 0:
            replicas.setdefault(stored.key.trial_id, []).append((stored.key.sample, Outcome.of(stored.observation)))
    trials = []
    for request in requests:
        if request.id not in baseline or request.id not in candidate:
            continue
        more = [outcome for _, outcome in sorted(replicas.get(request.id, []), key=lambda item: item[0])]
        trials.append(Trial(id=request.id, request=request, baseline=baseline[request.id],
                            candidate=candidate[request.id], replica=more[0] if more else None,
                            more_replicas=tuple(more[1:])))
    return trials


@dataclass(frozen=True, kw_only=True, slots=True)
class Score:
    """One variant on one category: the category's regression rate, its interval, the replica's rate (the
    noise floor), its verdicts, whether it regresses significantly beyond the noise floor, and the gate's
    decision on the variant over all its trials (the categories tried together)."""

    variant: str
    category: str
    trials: int
    regression_rate: float
    ci95: tuple[float, float]
    noise: float | None
    verdicts: dict[str, int]
    decision: str
    significant: bool = False

    def to_json(self) -> dict[str, Any]:
        return {"variant": self.variant, "category": self.category, "trials": self.trials,
                "regression_rate": self.regression_rate, "ci95": list(self.ci95), "noise": self.noise,
                "verdicts": self.verdicts, "significant": self.significant, "gate": self.decision}


def score(trials: Sequence[Trial], *, variant: str, baseline: str, candidate: str, policy: Policy,
          comparators: Callable[[], Sequence[Comparator]], seed: int = 0) -> list[Score]:
    """The variant's trials compared as ``compare`` would compare them (one comparison, gated once: a gate
    needs ``min_trials``, more than a category usually has), read per category."""
    replica = "replica" if any(trial.replica is not None for trial in trials) else None
    report = compare_trials(trials, baseline=baseline, candidate=candidate, replica=replica, policy=policy,
                            comparators=comparators(), seed=seed)
    return [Score(variant=variant, category=name, trials=row.trials, regression_rate=row.regression_rate,
                  ci95=row.ci95, noise=row.noise, verdicts=dict(row.verdicts), decision=report.gate.decision,
                  significant=row.significant)
            for name, row in sorted(report.summary.categories.items())]


_DECISION_ORDER = {"go": 0, "inconclusive": 1, "no_go": 2}


def rank(scores: Sequence[Score]) -> dict[str, list[Score]]:
    """Each category's variants, best first: lowest regression rate, then a passing gate, then the lower
    interval's top, then the name."""
    ranked: dict[str, list[Score]] = {}
    for row in scores:
        ranked.setdefault(row.category, []).append(row)
    for rows in ranked.values():
        rows.sort(key=lambda r: (r.regression_rate, _DECISION_ORDER.get(r.decision, 3), r.ci95[1], r.variant))
    return dict(sorted(ranked.items()))
