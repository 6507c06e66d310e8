"""Write-behind storage of the gateway's trials: their requests and every observation.

What it is: ``Trial`` (one client request, its id, route and routing decision) and
``TrialRecorder``, which stores observations through a ``BatchWriter`` and requests through a
``RequestWriter``, both saved in batches off the event loop. Neither ``record_request`` nor
``record`` ever waits: beyond ``max_queue`` they refuse and count a drop. ``close`` writes
everything accepted and stops. Everything is redacted (``Redactor``: the ``redact:`` rules and
the arms' keys) as it is accepted, so no unredacted text waits in a queue. What it is not: any
comparison.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from modelswap.gateway.redact import Redactor
from modelswap.gateway.routing import Decision
from modelswap.store.base import Store
from modelswap.store.writer import BatchWriter, RequestWriter
from modelswap.types import ChatRequest, StoredObservation

NOT_PARAMS = frozenset({"model", "messages", "stream", "stream_options"})


@dataclass(frozen=True, kw_only=True, slots=True)
class Trial:
    """One client request through the gateway; its observations share ``id`` (the run is the route)."""

    id: str
    route: str
    request: ChatRequest
    body: dict[str, Any]
    stream: bool
    decision: Decision
    authorization: str | None = field(default=None, repr=False)


def chat_request(body: dict[str, Any], *, trial_id: str, category: str | None) -> ChatRequest:
    """The stored form of a client's body: messages, params other than model and streaming, category."""
    params = {key: value for key, value in body.items() if key not in NOT_PARAMS}
    return ChatRequest(id=trial_id, messages=tuple(body["messages"]), params=params, category=category or "default")


class TrialRecorder:
    """Stores requests and observations behind the requests; ``start`` before use, ``close`` at the end.

    ``requests`` and ``observations`` are the two write-behind queues (their counters say what
    was written, dropped or failed).
    """

    def __init__(self, store: Store, *, redactor: Redactor | None = None, max_queue: int = 10_000,
                 max_batch: int = 100, flush_interval_s: float = 0.25) -> None:
        self.redactor = redactor or Redactor()
        self.observations = BatchWriter(store, max_batch=max_batch, max_queue=max_queue,
                                        flush_interval_s=flush_interval_s)
        self.requests = RequestWriter(store, max_batch=max_batch, max_queue=max_queue,
                                      flush_interval_s=flush_interval_s)

    async def start(self) -> None:
        await self.requests.start()
        await self.observations.start()

    def record_request(self, run: str, request: ChatRequest) -> bool:
        """Queue ``request`` for saving; ``False`` (counted) when full or closing."""
        return self.requests.submit((run, self.redactor.request(request)))

    def record(self, stored: StoredObservation) -> bool:
        """Queue one observation; ``False`` (counted by the writer) when full or closing."""
        if self.redactor.active:
            stored = StoredObservation(key=stored.key, role=stored.role,
                                       observation=self.redactor.observation(stored.observation))
        return self.observations.submit(stored)

    async def close(self) -> None:
        """Save every accepted request and observation, then stop."""
        await self.requests.close()
        await self.observations.close()
