"""One client request on its way through a route: the ``LiveTrial`` the serving and shadow arms share.

What it is: ``LiveTrial`` (the request's id, route, body as the client sent it, its stored form, its
routing decision and, when it names a registry prompt, each arm's rendering of it: ``body_for``,
``request_for`` and ``prompt_for`` give an arm its own) and ``chat_request``, the stored form of a
client's body. What it is not: the storage (``modelswap.recording``) or any comparison.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from modelswap.gateway.routing import Routing
from modelswap.openai_wire import params_of
from modelswap.types import ChatRequest, PromptUse

if TYPE_CHECKING:
    from modelswap.gateway.prompting import ArmInput


@dataclass(frozen=True, kw_only=True, slots=True)
class LiveTrial:
    """One client request through the gateway; its observations share ``id`` (the run is the route)."""

    id: str
    route: str
    request: ChatRequest
    body: dict[str, Any]
    stream: bool
    routing: Routing
    authorization: str | None = field(default=None, repr=False)
    inputs: Mapping[str, ArmInput] = field(default_factory=dict, repr=False)

    def body_for(self, arm: str) -> dict[str, Any]:
        """The body an HTTP arm sends: its rendering of the request's prompt, else the client's body."""
        found = self.inputs.get(arm)
        return self.body if found is None else found.body

    def request_for(self, arm: str) -> ChatRequest:
        """The request any other backend answers: its rendering of the request's prompt, else ``request``."""
        found = self.inputs.get(arm)
        return self.request if found is None else found.request

    def prompt_for(self, arm: str) -> PromptUse | None:
        """The prompt version and variant ``arm`` is asked with, None without a prompt."""
        found = self.inputs.get(arm)
        return None if found is None else found.prompt


def chat_request(body: dict[str, Any], *, trial_id: str, category: str | None,
                 assignment: dict[str, Any] | None = None) -> ChatRequest:
    """The stored form of a client's body: messages, params other than model and streaming, category,
    and the rollout's assignment of the request (``Canary.to_json``) when its route has a rollout."""
    return ChatRequest(id=trial_id, messages=tuple(body["messages"]), params=params_of(body),
                       category=category or "default", assignment=assignment)
