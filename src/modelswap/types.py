"""The values that flow through modelswap: requests, outcomes and their keys.

What it is: frozen, keyword-only dataclasses shared by every module (the contract), among them a
route's rollout state and its audit entries (the store keeps them; ``modelswap.rollout.state`` moves
them from one state to the next).
What it is not: wire or file formats. Parsing and validation happen at the boundaries
(``config``, ``traffic``, the gateway); inside, everything is one of these values.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Literal

Role = Literal["primary", "candidate", "replica"]
ROLES: tuple[Role, ...] = ("primary", "candidate", "replica")

ErrorKind = Literal["timeout", "http", "connection", "invalid_response", "backend"]


def message_text(message: dict[str, Any]) -> str:
    """The text of one chat message: its string content, or its text parts joined by spaces."""
    content = message.get("content")
    if isinstance(content, str):
        return content
    if isinstance(content, list):
        return " ".join(str(part.get("text", "")) for part in content
                        if isinstance(part, dict) and part.get("type", "text") == "text")
    return ""


@dataclass(frozen=True, kw_only=True, slots=True)
class Turn:
    """Where a request stands in a conversation replayed by ``record --handoff``: its conversation's id,
    its turn ``number`` (1 for the first user message) of ``turns``, and the ``handoff`` K (the primary
    answered turns 1..K, the candidate answers from K+1). Stored with the request (docs/formats.md)."""

    conversation: str
    number: int
    turns: int
    handoff: int

    def to_json(self) -> dict[str, Any]:
        return {"conversation": self.conversation, "number": self.number, "turns": self.turns,
                "handoff": self.handoff}

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> Turn:
        return cls(conversation=str(data["conversation"]), number=int(data["number"]), turns=int(data["turns"]),
                   handoff=int(data["handoff"]))


@dataclass(frozen=True, kw_only=True, slots=True)
class ChatRequest:
    """One chat request as traffic holds it: OpenAI-shaped messages plus parameters.

    ``params`` holds the OpenAI request fields other than ``model`` and ``messages``
    (temperature, max_tokens, seed, response_format, ...). ``expect`` is the task's
    contract where the user knows it (docs/formats.md: traffic); it is never sent upstream.
    ``assignment`` is how a gateway's rollout assigned the request (arm, bucket, keyed, key source,
    segment, percent, status, version: docs/formats.md), None elsewhere; stored with the request.
    ``turn`` places a request of ``record --handoff`` in its conversation (``Turn``), None elsewhere.
    """

    id: str
    messages: tuple[dict[str, Any], ...]
    params: dict[str, Any] = field(default_factory=dict)
    category: str = "default"
    expect: dict[str, Any] = field(default_factory=dict)
    assignment: dict[str, Any] | None = None
    turn: Turn | None = None

    def last_user_text(self) -> str:
        """The text of the last user message, or "" when there is none."""
        users = [message_text(m) for m in self.messages if m.get("role") == "user"]
        return users[-1] if users else ""

    def prompt_texts(self) -> list[str]:
        """What the request asks, as texts: the system (or developer) instructions, then the last user message."""
        texts = [message_text(m) for m in self.messages if m.get("role") in ("system", "developer")]
        return [text for text in (*texts, self.last_user_text()) if text]

    def to_json(self) -> dict[str, Any]:
        """The traffic-line form of this request (with ``assignment`` and ``turn`` only when it has them)."""
        data = {
            "id": self.id,
            "messages": list(self.messages),
            "params": self.params,
            "category": self.category,
            "expect": self.expect,
        }
        if self.assignment is not None:
            data["assignment"] = self.assignment
        if self.turn is not None:
            data["turn"] = self.turn.to_json()
        return data


@dataclass(frozen=True, kw_only=True, slots=True)
class Usage:
    """Token counts as the arm reported them."""

    prompt_tokens: int
    completion_tokens: int

    @property
    def total_tokens(self) -> int:
        return self.prompt_tokens + self.completion_tokens


@dataclass(frozen=True, kw_only=True, slots=True)
class ErrorInfo:
    """Why an arm gave no usable answer: a value, not an exception."""

    kind: ErrorKind
    message: str
    status: int | None = None


@dataclass(frozen=True, kw_only=True, slots=True)
class PromptUse:
    """The registry prompt an arm was asked with: its name, version (content hash) and variant key."""

    name: str
    hash: str
    variant: str


@dataclass(frozen=True, kw_only=True, slots=True)
class Observation:
    """One arm's outcome for one request: a response or an error, always with timing; ``prompt`` when the gateway
    rendered a registry prompt for this arm."""

    arm: str
    model: str
    output: str | None = None
    finish_reason: str | None = None
    usage: Usage | None = None
    latency_ms: float = 0.0
    ttft_ms: float | None = None
    cost_usd: float | None = None
    error: ErrorInfo | None = None
    started_at: float = 0.0
    params: dict[str, Any] = field(default_factory=dict)
    prompt: PromptUse | None = None

    @property
    def ok(self) -> bool:
        return self.error is None


@dataclass(frozen=True, kw_only=True, slots=True)
class ObservationKey:
    """Where an observation belongs: run, trial, arm and sample index.

    One request is one trial; its observations across arms share ``trial_id``.
    ``sample`` counts repeated calls of the same arm: sample 1 of the primary is the replica.
    """

    run: str
    trial_id: str
    arm: str
    sample: int = 0


@dataclass(frozen=True, kw_only=True, slots=True)
class StoredObservation:
    """An observation with its key and role, as the store holds it."""

    key: ObservationKey
    role: Role
    observation: Observation


RolloutStatus = Literal["shadow", "running", "paused", "rolled_back", "promoted"]
ROLLOUT_STATUSES: tuple[RolloutStatus, ...] = ("shadow", "running", "paused", "rolled_back", "promoted")


@dataclass(frozen=True, kw_only=True, slots=True)
class RolloutState:
    """Where a route's canary rollout stands, as every gateway replica reads it from the store.

    ``percent_bp`` is the share of keys on the candidate in basis points (0..10,000; 1% = 100).
    ``stage`` indexes the plan's stages (-1 before the first). ``version`` grows by one on every
    write (0: never written), so a write can be made conditional on the version it read.
    ``stage_started_at`` is when the current stage (or percentage) began, for its soak; None before.
    """

    route: str
    candidate: str
    percent_bp: int
    stage: int
    status: RolloutStatus
    version: int
    updated_at: float
    updated_by: str
    stage_started_at: float | None = None

    @property
    def percent(self) -> float:
        """``percent_bp`` as a percentage (0..100)."""
        return self.percent_bp / 100

    def to_json(self) -> dict[str, Any]:
        """The state as a JSON object (its fields, and ``percent``)."""
        return {"route": self.route, "candidate": self.candidate, "percent": self.percent,
                "percent_bp": self.percent_bp, "stage": self.stage, "status": self.status, "version": self.version,
                "updated_at": self.updated_at, "updated_by": self.updated_by,
                "stage_started_at": self.stage_started_at}


@dataclass(frozen=True, kw_only=True, slots=True)
class AuditEntry:
    """One transition of a route's rollout: who, when, why, from what to what, and the figures that decided.

    ``version`` is the state version the transition wrote: with ``route`` it is the entry's key
    (one entry per write, numbered 1, 2, 3... per route). ``action`` is what was done (``set``,
    ``promote``, ``pause``, ``resume``, ``rollback``, ``advance``, ``guard_breach``); ``figures`` is
    whatever numbers decided it, as a JSON object.
    """

    route: str
    version: int
    at: float
    actor: str
    action: str
    candidate: str
    from_percent_bp: int
    to_percent_bp: int
    from_status: RolloutStatus
    to_status: RolloutStatus
    reason: str = ""
    figures: dict[str, Any] = field(default_factory=dict)

    def to_json(self) -> dict[str, Any]:
        """The entry as a JSON object (its fields, and the percentages)."""
        return {"route": self.route, "version": self.version, "at": self.at, "actor": self.actor,
                "action": self.action, "candidate": self.candidate, "from_percent": self.from_percent_bp / 100,
                "to_percent": self.to_percent_bp / 100, "from_percent_bp": self.from_percent_bp,
                "to_percent_bp": self.to_percent_bp, "from_status": self.from_status, "to_status": self.to_status,
                "reason": self.reason, "figures": self.figures}


@dataclass(frozen=True, kw_only=True, slots=True)
class Feedback:
    """A user's score of one answer, posted to the gateway's ``POST /v1/feedback``.

    ``request_id`` is the ``x-request-id`` the answer carried; ``route``, ``arm`` and ``trial_id``
    are what the gateway that served it remembered (None when it did not: another process, or too
    long ago). ``id`` is the feedback's own key (a write retried keeps one row); ``at`` when it came.
    """

    id: str
    request_id: str
    score: float
    at: float
    comment: str | None = None
    route: str | None = None
    arm: str | None = None
    trial_id: str | None = None

    def to_json(self) -> dict[str, Any]:
        return {"id": self.id, "request_id": self.request_id, "score": self.score, "at": self.at,
                "comment": self.comment, "route": self.route, "arm": self.arm, "trial_id": self.trial_id}
