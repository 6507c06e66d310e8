"""The values of a comparison: trials as the comparators see them, and findings.

What it is: ``Outcome`` (one side of a trial, reduced to what comparators read), ``Trial``
(one request with its baseline, candidate and optional replica), and ``Finding`` (one
comparator's result on one pair of sides). What it is not: triage or statistics; those
read findings (``modelswap.compare.triage``, ``modelswap.compare.summary``).

Vocabulary of a finding's ``status`` (the other side compared with the baseline):

- ``same``: the check applies and nothing meaningful changed;
- ``regression``: worse on this check (a broken contract, a lost ability);
- ``improvement``: better on this check;
- ``changed``: different, and no direction can be told (a human decides).

``severity`` orders how much a regression hurts: ``info`` < ``minor`` < ``major`` < ``critical``.
``behaviour`` names what the other side did in a form comparable across trials
(``format:fenced-json``, ``language:fr``, ``refusal``) and ``baseline_behaviour`` what the
baseline did: triage calls a behaviour *novel* when the baseline never showed it anywhere in
the traffic. ``size`` says how far the other side is from the baseline on this check, in the
check's own unit (list items off, the share of the answer lost, ...): the noise floor excuses a
candidate's finding on one request only when the replica shows the same behaviour there at a
comparable size (a replica with 4 bullets instead of 3 does not excuse a candidate with none).
A finding without a size is comparable to any finding of the same check, status and behaviour.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Literal

from modelswap.types import ChatRequest, Observation, PromptUse

Status = Literal["same", "regression", "improvement", "changed"]
Severity = Literal["info", "minor", "major", "critical"]
Side = Literal["candidate", "replica"]
SEVERITIES: tuple[Severity, ...] = ("info", "minor", "major", "critical")


@dataclass(frozen=True, kw_only=True, slots=True)
class Outcome:
    """One side of a trial: what the arm answered, or why it did not; ``prompt``, the registry prompt version and
    variant the arm was asked with when the gateway rendered one (a prompt effect, not a model effect)."""

    output: str | None
    finish_reason: str | None = None
    latency_ms: float | None = None
    prompt_tokens: int | None = None
    completion_tokens: int | None = None
    cost_usd: float | None = None
    error: str | None = None
    prompt: PromptUse | None = None

    @property
    def ok(self) -> bool:
        return self.error is None and self.output is not None

    @property
    def text(self) -> str:
        return self.output or ""

    @classmethod
    def of(cls, observation: Observation) -> Outcome:
        """The outcome of a stored observation."""
        usage = observation.usage
        error = None
        if observation.error is not None:
            status = f" {observation.error.status}" if observation.error.status else ""
            error = f"{observation.error.kind}{status}: {observation.error.message}"
        return cls(output=observation.output, finish_reason=observation.finish_reason,
                   latency_ms=observation.latency_ms, prompt_tokens=usage.prompt_tokens if usage else None,
                   completion_tokens=usage.completion_tokens if usage else None, cost_usd=observation.cost_usd,
                   error=error, prompt=observation.prompt)


@dataclass(frozen=True, kw_only=True, slots=True)
class Trial:
    """One request with every side observed for it. ``request.expect`` is the task's contract.

    ``candidate`` and ``replica`` are the first samples of each side; ``more_candidates`` and
    ``more_replicas`` hold any further samples (``record --repeat N``). The request stays the
    unit: the noise floor summarises a request's samples into one share per side, it never
    counts them as independent trials.
    """

    id: str
    request: ChatRequest
    baseline: Outcome
    candidate: Outcome
    replica: Outcome | None = None
    more_candidates: tuple[Outcome, ...] = ()
    more_replicas: tuple[Outcome, ...] = ()

    @property
    def candidates(self) -> tuple[Outcome, ...]:
        """Every sample of the candidate, the first one first."""
        return (self.candidate, *self.more_candidates)

    @property
    def replicas(self) -> tuple[Outcome, ...]:
        """Every sample of the replica (none without a replica)."""
        return () if self.replica is None else (self.replica, *self.more_replicas)

    @property
    def category(self) -> str:
        return self.request.category

    @property
    def expect(self) -> dict[str, Any]:
        return self.request.expect


@dataclass(frozen=True, kw_only=True, slots=True)
class Finding:
    """One comparator's result on one trial: the baseline's value, the other side's, and why it matters."""

    check: str
    version: int
    status: Status
    severity: Severity = "info"
    baseline: Any = None
    candidate: Any = None
    reason: str = ""
    behaviour: str | None = None
    baseline_behaviour: str | None = None
    size: float | None = None
    details: dict[str, Any] = field(default_factory=dict)

    def to_json(self) -> dict[str, Any]:
        """The report form (``modelswap.report/v1``): the stable fields plus extras."""
        data: dict[str, Any] = {"check": self.check, "severity": self.severity, "baseline": self.baseline,
                                "candidate": self.candidate, "reason": self.reason, "status": self.status,
                                "version": self.version}
        if self.behaviour is not None:
            data["behaviour"] = self.behaviour
        if self.baseline_behaviour is not None:
            data["baseline_behaviour"] = self.baseline_behaviour
        if self.size is not None:
            data["size"] = self.size
        if self.details:
            data["details"] = self.details
        return data
