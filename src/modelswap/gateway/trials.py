"""Write-behind storage of the gateway's trials: their requests and every observation.

What it is: ``Trial`` (one client request, its id, route and routing decision) and
``TrialRecorder``, which stores observations through ``BatchWriter`` and requests through a
bounded queue of its own, saved in batches off the event loop. Neither ``record_request`` nor
``record`` ever waits: beyond ``max_queue`` they refuse and count a drop. ``close`` writes
everything accepted and stops. Everything is redacted (``Redactor``: the ``redact:`` rules and
the arms' keys) as it is accepted, so no unredacted text waits in a queue. What it is not: any
comparison.
"""

from __future__ import annotations

import asyncio
import logging
from collections import defaultdict, deque
from dataclasses import dataclass, field
from typing import Any

from modelswap.gateway.redact import Redactor
from modelswap.gateway.routing import Decision
from modelswap.store.base import Store
from modelswap.store.writer import WRITE_ERRORS, BatchWriter
from modelswap.types import ChatRequest, StoredObservation

logger = logging.getLogger(__name__)

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
    """Stores requests and observations behind the requests; ``start`` before use, ``close`` at the end."""

    def __init__(self, store: Store, *, redactor: Redactor | None = None, max_queue: int = 10_000,
                 max_batch: int = 100, flush_interval_s: float = 0.25) -> None:
        self.store = store
        self.redactor = redactor or Redactor()
        self.writer = BatchWriter(store, max_batch=max_batch, max_queue=max_queue, flush_interval_s=flush_interval_s)
        self.max_queue = max_queue
        self.max_batch = max_batch
        self.requests_saved = self.requests_dropped = self.requests_failed = 0
        self._requests: deque[tuple[str, ChatRequest]] = deque()
        self._wake = asyncio.Event()
        self._closing = False
        self._task: asyncio.Task[None] | None = None

    async def start(self) -> None:
        await self.writer.start()
        if self._task is None:
            self._task = asyncio.create_task(self._drain_requests(), name="modelswap-request-saver")

    def record_request(self, run: str, request: ChatRequest) -> bool:
        """Queue ``request`` for saving; ``False`` (counted) when full or closing."""
        if self._closing or len(self._requests) >= self.max_queue:
            self.requests_dropped += 1
            return False
        self._requests.append((run, self.redactor.request(request)))
        self._wake.set()
        return True

    def record(self, stored: StoredObservation) -> bool:
        """Queue one observation; ``False`` (counted by the writer) when full or closing."""
        if self.redactor.active:
            stored = StoredObservation(key=stored.key, role=stored.role,
                                       observation=self.redactor.observation(stored.observation))
        return self.writer.submit(stored)

    async def close(self) -> None:
        """Save every accepted request and observation, then stop."""
        self._closing = True
        self._wake.set()
        if self._task is not None:
            await self._task
        await self.writer.close()

    async def _drain_requests(self) -> None:
        while True:
            if not self._requests:
                if self._closing:
                    return
                self._wake.clear()
                await self._wake.wait()
                continue
            batch = [self._requests.popleft() for _ in range(min(self.max_batch, len(self._requests)))]
            await self._save(batch)

    async def _save(self, batch: list[tuple[str, ChatRequest]]) -> None:
        by_run: dict[str, list[ChatRequest]] = defaultdict(list)
        for run, request in batch:
            by_run[run].append(request)
        for run, requests in by_run.items():
            try:
                await asyncio.to_thread(self.store.save_requests, run, requests)
            except WRITE_ERRORS as exc:
                self.requests_failed += len(requests)
                logger.warning("saving %d request(s) of run %s failed (%s: %s)", len(requests), run,
                               type(exc).__name__, exc)
            else:
                self.requests_saved += len(requests)
