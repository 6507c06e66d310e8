"""One client request on its way through a route: the ``LiveTrial`` the serving and shadow arms share.

What it is: ``LiveTrial`` (the request's id, route, body as the client sent it, its stored form and
its routing decision) and ``chat_request``, the stored form of a client's body. What it is not:
the storage (``modelswap.recording``) or any comparison.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from modelswap.gateway.routing import Routing
from modelswap.openai_wire import params_of
from modelswap.types import ChatRequest


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


def chat_request(body: dict[str, Any], *, trial_id: str, category: str | None,
                 assignment: dict[str, Any] | None = None) -> ChatRequest:
    """The stored form of a client's body: messages, params other than model and streaming, category,
    and the rollout's assignment of the request (``Canary.to_json``) when its route has a rollout."""
    return ChatRequest(id=trial_id, messages=tuple(body["messages"]), params=params_of(body),
                       category=category or "default", assignment=assignment)
