"""The values that flow through modelswap: requests, outcomes and their keys.

What it is: frozen, keyword-only dataclasses shared by every module (the contract).
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
class ChatRequest:
    """One chat request as traffic holds it: OpenAI-shaped messages plus parameters.

    ``params`` holds the OpenAI request fields other than ``model`` and ``messages``
    (temperature, max_tokens, seed, response_format, ...). ``expect`` is the task's
    contract where the user knows it (docs/formats.md: traffic); it is never sent upstream.
    """

    id: str
    messages: tuple[dict[str, Any], ...]
    params: dict[str, Any] = field(default_factory=dict)
    category: str = "default"
    expect: dict[str, Any] = field(default_factory=dict)

    def last_user_text(self) -> str:
        """The text of the last user message, or "" when there is none."""
        users = [message_text(m) for m in self.messages if m.get("role") == "user"]
        return users[-1] if users else ""

    def prompt_texts(self) -> list[str]:
        """What the request asks, as texts: the system (or developer) instructions, then the last user message."""
        texts = [message_text(m) for m in self.messages if m.get("role") in ("system", "developer")]
        return [text for text in (*texts, self.last_user_text()) if text]

    def to_json(self) -> dict[str, Any]:
        """The traffic-line form of this request."""
        return {
            "id": self.id,
            "messages": list(self.messages),
            "params": self.params,
            "category": self.category,
            "expect": self.expect,
        }


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
class Observation:
    """One arm's outcome for one request: a response or an error, always with timing."""

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
