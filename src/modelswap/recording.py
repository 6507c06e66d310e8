"""The one recorder: what is stored, built and redacted in one place and written behind.

What it is: ``Recorder``, used by every path that stores anything: the gateway, in-process
shadowing (``modelswap.shadow``), ``Experiment`` and ``record``. It builds the stored rows (a
run's request; an observation under its run, trial, arm and sample, with its role), applies the
configuration's redaction (``Redactor``: the ``redact:`` rules and every arm's key) as it accepts
them, so nothing unredacted ever waits in a queue, and hands them to the store's write-behind
queues. ``request`` and ``observation`` never wait (for the request path: beyond the queue they
refuse, and the writer counts a drop); ``put_observation`` waits for room instead (``record``);
``save_requests`` writes a run's requests at once (``record`` plans from them). ``close`` writes
everything accepted and stops. ``redactor_for`` builds the redaction a configuration asks for.

What it is not: the writing itself (batches, retries and counters: ``modelswap.store.writer``),
or deciding what to call and when (the shadow engine, ``record``).
"""

from __future__ import annotations

import asyncio
from collections.abc import Iterable, Sequence

from modelswap.config import Settings, StoreBufferConfig
from modelswap.redact import Redactor
from modelswap.store.base import Store
from modelswap.store.writer import BatchWriter, RequestWriter
from modelswap.types import ChatRequest, Observation, ObservationKey, Role, StoredObservation


def redactor_for(settings: Settings | None, *, secrets: Iterable[str] = ()) -> Redactor:
    """The redaction of ``settings`` (its ``redact:`` rules; none without settings) plus literal ``secrets``."""
    return Redactor(settings.redact if settings is not None else (), secrets=secrets)


class Recorder:
    """Builds, redacts and queues what is stored; ``start`` it on the loop that records, ``close`` at the end.

    ``requests`` and ``observations`` are the two write-behind queues (their counters say what
    was written, dropped or failed).
    """

    def __init__(self, store: Store, *, redactor: Redactor | None = None, buffer: StoreBufferConfig | None = None,
                 max_batch: int = 100, flush_interval_s: float = 0.25) -> None:
        self.store = store
        self.redactor = redactor or Redactor()
        held = buffer or StoreBufferConfig()
        self.observations = BatchWriter(
            store, max_batch=max_batch, flush_interval_s=flush_interval_s, max_queue=held.max_items,
            max_bytes=int(held.max_bytes), spill_dir=held.spill_dir, spill_max_bytes=int(held.spill_max_bytes),
            close_timeout_s=held.close_timeout_s)
        self.requests = RequestWriter(
            store, max_batch=max_batch, flush_interval_s=flush_interval_s, max_queue=held.max_items,
            max_bytes=int(held.max_bytes), spill_dir=held.spill_dir, spill_max_bytes=int(held.spill_max_bytes),
            close_timeout_s=held.close_timeout_s)

    async def start(self) -> None:
        await self.requests.start()
        await self.observations.start()

    def request(self, run: str, request: ChatRequest) -> bool:
        """Queue ``request`` as a trial of ``run``; ``False`` (counted) when full or closing. Never waits."""
        return self.requests.submit((run, self.redactor.request(request)))

    def observation(self, key: ObservationKey, role: Role, observation: Observation) -> bool:
        """Queue one observation; ``False`` (counted by the writer) when full or closing. Never waits."""
        return self.observations.submit(self._stored(key, role, observation))

    async def put_observation(self, key: ObservationKey, role: Role, observation: Observation) -> StoredObservation:
        """Queue one observation, waiting for room when the queue is full; the row as it will be stored."""
        stored = self._stored(key, role, observation)
        await self.observations.put(stored)
        return stored

    async def save_requests(self, run: str, requests: Sequence[ChatRequest]) -> None:
        """Write ``requests`` as the trials of ``run`` now (off the event loop), redacted."""
        redacted = [self.redactor.request(request) for request in requests]
        await asyncio.to_thread(self.store.save_requests, run, redacted)

    async def close(self) -> None:
        """Save every accepted request and observation, then stop."""
        await self.requests.close()
        await self.observations.close()

    def _stored(self, key: ObservationKey, role: Role, observation: Observation) -> StoredObservation:
        return StoredObservation(key=key, role=role, observation=self.redactor.observation(observation))
