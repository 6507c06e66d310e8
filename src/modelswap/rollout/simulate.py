"""A rollout rehearsal: a whole plan run against simulator arms in virtual time, in seconds of real time.

What it is: ``rehearse``, which starts a route's plan at its first stage and then, one virtual
tick at a time (nothing sleeps), sends ``rate`` requests per virtual second from ``users`` sticky
users (each request from a user drawn at random) through ``modelswap.rollout.assignment.assign``
at the rollout's current percentage, answers each with the serving arm's simulator
(``modelswap.sim.model.simulate`` on synthetic traffic: its errors, hangs and latency come from the
arm's quirks), feeds the stage's ``Figures``, posts a feedback score for ``feedback_rate`` of the
requests (1, or 0 when the answer failed or a quirk visibly changed it), and every
``decide_every_s`` lets the controller (``modelswap.rollout.controller.step``) decide. A decision
is applied through the pure transition, so nothing is stored; the figures restart with each stage.

The shadow comparison runs beside it as the route's shadowing would: shadow trials accumulate at
``shadow_rate`` per virtual second (one synthetic request answered by the primary, its replica
and the candidate, ``modelswap.sim.rehearsal.simulated_trials``), and the route's comparison
(``modelswap.compare.pipeline.compare_trials`` with the plan's gate policy, semantic similarity
left out for speed) is read when the sample reaches each of ``shadow_looks`` (default: once, at
300 trials, 600 virtual seconds in): the compare gate is a fixed-sample test, valid when read at a
size planned in advance, not at every look. Its latest outcome goes to the controller.

The result: the final state, the timeline (the start, every decision, and the end) and the audit
entries. What it is not: a load test, or a model of traffic shapes (the rate is constant and users
are drawn uniformly); cost per task is not simulated (the simulator arms have no price).
"""

from __future__ import annotations

import dataclasses
import random
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from modelswap.compare.checks import default_comparators
from modelswap.compare.checks.base import Comparator
from modelswap.compare.gate import Policy, load_policy
from modelswap.compare.pipeline import compare_trials
from modelswap.config import RolloutConfig
from modelswap.rollout.assignment import Segment, Sticky, assign
from modelswap.rollout.controller import ControllerSettings, step
from modelswap.rollout.figures import Figures, Served, ShadowComparison
from modelswap.rollout.state import Action, initial_state, transition
from modelswap.sim.model import SimOutcome, simulate
from modelswap.sim.rehearsal import SimArmSpec, simulated_trials, synthetic_traffic
from modelswap.types import AuditEntry, ChatRequest, RolloutState

__all__ = ["Rehearsal", "RehearsalResult", "TimelineRow", "feedback_score", "rehearse"]

ACTOR = "rehearsal"
POOL = 500
INVISIBLE = frozenset({"paraphrase", "max_tokens", "position_bias"})


@dataclass(frozen=True, kw_only=True, slots=True)
class Rehearsal:
    """What to rehearse: the route and its plan, the two simulated arms, the traffic and the clock."""

    route: str
    plan: RolloutConfig
    primary: str
    primary_spec: SimArmSpec
    candidate_spec: SimArmSpec
    rate: float = 20.0
    users: int = 5000
    seed: int = 0
    tick_s: float = 1.0
    decide_every_s: float = 10.0
    feedback_rate: float = 0.1
    shadow_rate: float = 0.5
    shadow_looks: tuple[int, ...] = (300,)
    max_s: float = 86_400.0
    settings: ControllerSettings = field(default_factory=ControllerSettings)

    def __post_init__(self) -> None:
        if self.primary == self.plan.candidate:
            raise ValueError(f"primary={self.primary!r} is the plan's candidate too: a rehearsal needs two arms")
        for name in ("rate", "tick_s", "decide_every_s", "max_s"):
            if not getattr(self, name) > 0:
                raise ValueError(f"{name}={getattr(self, name)}: must be positive")
        if self.users < 1:
            raise ValueError(f"users={self.users}: must be at least 1")
        if not 0 <= self.feedback_rate <= 1:
            raise ValueError(f"feedback_rate={self.feedback_rate}: must be between 0 and 1")


@dataclass(frozen=True, kw_only=True, slots=True)
class TimelineRow:
    """One line of the rehearsal's story: when (virtual seconds), where the rollout stood, what was done and why."""

    at_s: float
    stage: int
    percent: float
    action: str
    reason: str
    figures: dict[str, Any] = field(default_factory=dict)

    def to_json(self) -> dict[str, Any]:
        return {"at_s": self.at_s, "stage": self.stage, "percent": self.percent, "action": self.action,
                "reason": self.reason, "figures": self.figures}


@dataclass(frozen=True, kw_only=True, slots=True)
class RehearsalResult:
    """How the rehearsal ended: the final state, the timeline, the audit entries and what was simulated."""

    state: RolloutState
    timeline: tuple[TimelineRow, ...]
    audit: tuple[AuditEntry, ...]
    requests: int
    virtual_s: float
    highest_percent: float
    shadow: ShadowComparison | None

    def to_json(self) -> dict[str, Any]:
        return {"state": self.state.to_json(), "requests": self.requests, "virtual_s": self.virtual_s,
                "highest_percent": self.highest_percent, "shadow": self.shadow.to_json() if self.shadow else None,
                "timeline": [row.to_json() for row in self.timeline], "audit": [e.to_json() for e in self.audit]}


def feedback_score(outcome: SimOutcome) -> float:
    """A simulated user's score of an answer: 0 when it failed or a quirk visibly changed it, else 1."""
    failed = outcome.hang or outcome.error_status is not None
    return 0.0 if failed or any(name not in INVISIBLE for name in outcome.applied) else 1.0


def rehearse(rehearsal: Rehearsal, *, policy: Policy | None = None,
             comparators: list[Comparator] | None = None) -> RehearsalResult:
    """Run ``rehearsal``'s plan from its first stage to promotion, rollback, a pause or ``max_s``."""
    plan, route = rehearsal.plan, rehearsal.route
    state, entry = transition(initial_state(route, plan), plan, Action(
        kind="advance", actor=ACTOR, at=0.0, reason="the rehearsal starts the plan"))
    audit, timeline = [entry], [_row(0.0, state, "start", "the rehearsal starts the plan at its first stage")]
    traffic = _Traffic(rehearsal)
    shadow = _Shadow(rehearsal, policy if policy is not None else _policy(plan), comparators)
    figures = Figures.fresh(primary=rehearsal.primary, candidate=plan.candidate)
    highest, now, next_look = state.percent, 0.0, rehearsal.decide_every_s
    while state.status == "running" and now < rehearsal.max_s:
        now += rehearsal.tick_s
        traffic.serve(state.percent, figures)
        shadow.advance(rehearsal.tick_s)
        if now + 1e-9 < next_look:
            continue
        next_look += rehearsal.decide_every_s
        state, written, decision = step(state, plan, figures, now=now, comparison=shadow.latest,
                                        settings=rehearsal.settings, actor="controller")
        if decision is None or written is None:
            continue
        audit.append(written)
        timeline.append(_row(now, state, decision.action, decision.reason, decision.figures))
        highest = max(highest, state.percent)
        figures = Figures.fresh(primary=rehearsal.primary, candidate=plan.candidate)
    end = f"the rollout is {state.status}" if state.status != "running" else (
        f"stopped at max_s={rehearsal.max_s:g} virtual seconds while running")
    timeline.append(_row(now, state, "end", end))
    return RehearsalResult(state=state, timeline=tuple(timeline), audit=tuple(audit), requests=traffic.count,
                           virtual_s=now, highest_percent=highest, shadow=shadow.latest)


def _row(at_s: float, state: RolloutState, action: str, reason: str,
         figures: dict[str, Any] | None = None) -> TimelineRow:
    return TimelineRow(at_s=at_s, stage=state.stage, percent=state.percent, action=action, reason=reason,
                       figures=figures or {})


def _policy(plan: RolloutConfig) -> Policy:
    return load_policy(None if plan.gate == "default" else plan.gate)


class _Traffic:
    """The served side: requests from sticky users, assigned, answered by the serving arm's simulator."""

    def __init__(self, rehearsal: Rehearsal) -> None:
        self.rehearsal = rehearsal
        plan = rehearsal.plan
        self.rng = random.Random(rehearsal.seed)
        self.pool = synthetic_traffic(POOL, seed=rehearsal.seed)
        self.sticky = Sticky(**plan.sticky)
        self.segments = tuple(Segment(header=s.header, equals=s.equals, percent=s.percent) for s in plan.segments)
        self.salt = rehearsal.route if plan.salt is None else f"{rehearsal.route}\x00{plan.salt}"
        self.keyed = _keyed(self.sticky)
        self.count = 0
        self.carry = 0.0

    def serve(self, percent: float, figures: Figures) -> None:
        rehearsal, rng = self.rehearsal, self.rng
        self.carry += rehearsal.rate * rehearsal.tick_s
        due = int(self.carry)
        self.carry -= due
        candidate = rehearsal.plan.candidate
        for _ in range(due):
            user = f"user-{rng.randrange(rehearsal.users)}"
            request_id = f"{rehearsal.seed}-{self.count}"
            request = dataclasses.replace(self.pool[self.count % POOL], id=request_id)
            self.count += 1
            headers, body = self.keyed(user)
            arm = assign(salt=self.salt, sticky=self.sticky, segments=self.segments, percent=percent,
                         primary=rehearsal.primary, candidate=candidate, headers=headers, body=body,
                         request_id=request_id).arm
            spec = rehearsal.candidate_spec if arm == candidate else rehearsal.primary_spec
            outcome = simulate(request, seed=spec.seed, quirks=spec.quirks)
            figures.add(Served(arm=arm, error=outcome.hang or outcome.error_status is not None,
                               latency_ms=outcome.wait_s * 1000))
            if rehearsal.feedback_rate and rng.random() < rehearsal.feedback_rate:
                figures.add_feedback(arm, feedback_score(outcome))


def _keyed(sticky: Sticky) -> Callable[[str], tuple[dict[str, str], dict[str, Any]]]:
    """Where a user's key goes in a request: the sticky header, body field or metadata key."""
    if sticky.header is not None:
        name = sticky.header
        return lambda user: ({name: user}, {})
    if sticky.field is not None:
        body_field = sticky.field
        return lambda user: ({}, {body_field: user})
    key = sticky.metadata or ""
    return lambda user: ({}, {"metadata": {key: user}})


class _Shadow:
    """The shadow side: trials accumulating at ``shadow_rate``, compared when the sample reaches each planned look."""

    def __init__(self, rehearsal: Rehearsal, policy: Policy, comparators: list[Comparator] | None) -> None:
        self.rehearsal = rehearsal
        self.policy = policy
        self.comparators = comparators
        self.looks = sorted(set(rehearsal.shadow_looks))
        self.requests: list[ChatRequest] = (
            synthetic_traffic(self.looks[-1], seed=rehearsal.seed + 1_000_003) if self.looks else [])
        self.sampled = 0.0
        self.latest: ShadowComparison | None = None

    def advance(self, tick_s: float) -> None:
        if not self.looks:
            return
        self.sampled += self.rehearsal.shadow_rate * tick_s
        if self.sampled >= self.looks[0]:
            self.latest = self._compare(self.looks.pop(0))

    def _compare(self, size: int) -> ShadowComparison:
        rehearsal = self.rehearsal
        if self.comparators is None:
            self.comparators = default_comparators(semantic=False)
        trials = simulated_trials(self.requests[:size], primary=rehearsal.primary_spec,
                                  candidate=rehearsal.candidate_spec, run=f"rehearsal-{rehearsal.seed}")
        comparison = compare_trials(trials, baseline=rehearsal.primary, candidate=rehearsal.plan.candidate,
                                    replica=f"{rehearsal.primary}-replica", policy=self.policy,
                                    comparators=self.comparators, seed=rehearsal.seed)
        return ShadowComparison.of(comparison)
