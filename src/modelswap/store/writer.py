"""Write-behind for async code: observations and requests go to the store in batches, off the event loop.

What it is: ``WriteBehind``, a bounded queue in front of one store write, and its two uses:
``BatchWriter`` (observations, ``Store.save_observations``) and ``RequestWriter`` (requests
with their run, ``Store.save_requests`` once per run in the batch).
``submit`` never blocks and never awaits: it queues the item or, when the queue
holds ``max_queue`` already, refuses it and counts a drop. One background task takes up to
``max_batch`` items, or whatever arrived within ``flush_interval_s`` of the first,
and writes them with ``asyncio.to_thread`` so the event loop never waits on the database.
``flush`` waits until everything submitted so far is written; ``close`` flushes and stops.
What it is not: a durable queue. What the writer holds is lost if the process dies (at most
``max_queue`` items); ``record`` and the gateway call ``close`` on the way out.

A batch the store fails to write (``StoreError`` or a DB-API error) is logged, without any
request content, and retried once; if the retry fails too, the batch is counted in
``failed_batches`` (its items in ``failed``) and the writer carries on.

Counters: ``submitted`` (accepted), ``written``, ``failed``, ``dropped`` (refused by
``submit``), ``failed_batches``, ``retried_batches``. At rest,
``submitted == written + failed``.
"""

from __future__ import annotations

import asyncio
import logging
import sqlite3
from collections import defaultdict, deque
from typing import Generic, TypeVar

from modelswap.errors import StoreError
from modelswap.store.base import Store
from modelswap.types import ChatRequest, StoredObservation

T = TypeVar("T")

logger = logging.getLogger(__name__)

WRITE_ERRORS: tuple[type[Exception], ...] = (StoreError, sqlite3.Error)


class WriteBehind(Generic[T]):
    """Queues items and writes them to ``store`` in batches from a background task (``_save`` says how)."""

    what = "item"

    def __init__(self, store: Store, *, max_batch: int = 100, max_queue: int = 10_000,
                 flush_interval_s: float = 0.25) -> None:
        if max_batch < 1 or max_queue < 1 or flush_interval_s <= 0:
            raise ValueError("max_batch and max_queue must be at least 1 and flush_interval_s above 0")
        self.store = store
        self.max_batch = max_batch
        self.max_queue = max_queue
        self.flush_interval_s = flush_interval_s
        self.submitted = self.written = self.failed = self.dropped = 0
        self.failed_batches = self.retried_batches = 0
        self._pending: deque[T] = deque()
        self._taken = 0  # items handed to a batch so far; ordinal of the next one to take
        self._flush_upto = 0  # ``flush`` wants every item up to this ordinal taken now
        self._waiters: list[tuple[int, asyncio.Future[None]]] = []
        self._wake = asyncio.Event()
        self._closing = False
        self._task: asyncio.Task[None] | None = None

    @property
    def pending(self) -> int:
        """Items queued and not yet taken into a batch."""
        return len(self._pending)

    async def start(self) -> None:
        """Start the background task (once)."""
        if self._task is None:
            self._task = asyncio.create_task(self._drain(), name=f"modelswap-{self.what}-writer")
            self._task.add_done_callback(self._on_stopped)

    def submit(self, item: T) -> bool:
        """Queue ``item`` for writing; ``False`` (and a drop counted) if the queue is full or closed."""
        if self._closing or len(self._pending) >= self.max_queue:
            self.dropped += 1
            return False
        self._pending.append(item)
        self.submitted += 1
        self._wake.set()
        return True

    async def put(self, item: T) -> None:
        """Queue ``item``, waiting for room when the queue is full (back-pressure, never a drop).

        For producers that may wait (``record``); a request path that must never wait uses ``submit``.
        """
        while self.full and not self._closing:
            await self.flush()
        if not self.submit(item):
            raise RuntimeError(f"{type(self).__name__}.put: the writer is closed")

    @property
    def full(self) -> bool:
        return len(self._pending) >= self.max_queue

    async def flush(self) -> None:
        """Wait until every item submitted so far is written (or counted failed)."""
        target = self.submitted
        if self._done() >= target:
            return
        if self._task is None or self._task.done():
            raise RuntimeError(f"{type(self).__name__}.flush: the writer is not running; call start() first")
        future: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        self._waiters.append((target, future))
        self._flush_upto = max(self._flush_upto, target)
        self._wake.set()
        await future

    async def close(self) -> None:
        """Write everything submitted, then stop the background task. Later submissions are dropped."""
        self._closing = True
        self._wake.set()
        if self._task is not None:
            await self._task
        elif self._pending:
            raise RuntimeError(f"{type(self).__name__}.close: {self.what}s were submitted but the writer never started")

    def _done(self) -> int:
        return self.written + self.failed

    async def _drain(self) -> None:
        while await self._next_batch_ready():
            batch = [self._pending.popleft() for _ in range(min(self.max_batch, len(self._pending)))]
            self._taken += len(batch)
            await self._write(batch)
            self._release_waiters()

    async def _next_batch_ready(self) -> bool:
        """Wait for something to write, then until the batch is due; ``False`` once closed and empty."""
        while not self._pending:
            if self._closing:
                return False
            await self._wait(None)
        deadline = asyncio.get_running_loop().time() + self.flush_interval_s
        while not self._due():
            remaining = deadline - asyncio.get_running_loop().time()
            if remaining <= 0 or not await self._wait(remaining):
                break
        return True

    def _due(self) -> bool:
        return len(self._pending) >= self.max_batch or self._closing or self._flush_upto > self._taken

    async def _wait(self, timeout_s: float | None) -> bool:
        """Wait for a submit, flush or close; ``False`` if ``timeout_s`` passed first."""
        self._wake.clear()
        try:
            await asyncio.wait_for(self._wake.wait(), timeout_s)
        except TimeoutError:
            return False
        return True

    async def _write(self, batch: list[T]) -> None:
        if await self._try_write(batch, final=False):
            return
        self.retried_batches += 1
        if not await self._try_write(batch, final=True):
            self.failed_batches += 1
            self.failed += len(batch)

    async def _try_write(self, batch: list[T], *, final: bool) -> bool:
        try:
            await asyncio.to_thread(self._save, batch)
        except WRITE_ERRORS as exc:
            self._log_failure(batch, exc, final=final)
            return False
        self.written += len(batch)
        return True

    def _save(self, batch: list[T]) -> None:
        """Write ``batch`` to the store in a worker thread (one call, or one per run)."""
        raise NotImplementedError

    def _runs(self, batch: list[T]) -> set[str]:
        raise NotImplementedError

    def _log_failure(self, batch: list[T], exc: Exception, *, final: bool) -> None:
        outcome = "giving up on the batch" if final else "retrying once"
        logger.warning("store write of %d %s(s) of run(s) %s failed (%s: %s); %s", len(batch), self.what,
                       ", ".join(sorted(self._runs(batch))), type(exc).__name__, exc, outcome)

    def _release_waiters(self) -> None:
        done = self._done()
        still: list[tuple[int, asyncio.Future[None]]] = []
        for target, future in self._waiters:
            if target > done:
                still.append((target, future))
            elif not future.done():
                future.set_result(None)
        self._waiters = still

    def _on_stopped(self, task: asyncio.Task[None]) -> None:
        """If the background task ends (a bug, a cancel), nobody may wait for it forever."""
        error = RuntimeError(f"{type(self).__name__} stopped before writing everything")
        if not task.cancelled() and task.exception() is not None:
            error = RuntimeError(f"{type(self).__name__} stopped: {task.exception()!r}")
        for _, future in self._waiters:
            if not future.done():
                future.set_exception(error)
        self._waiters = []


class BatchWriter(WriteBehind[StoredObservation]):
    """Observations to ``Store.save_observations``, in batches."""

    what = "observation"

    def _save(self, batch: list[StoredObservation]) -> None:
        self.store.save_observations(batch)

    def _runs(self, batch: list[StoredObservation]) -> set[str]:
        return {stored.key.run for stored in batch}


class RequestWriter(WriteBehind[tuple[str, ChatRequest]]):
    """Requests, each with its run, to ``Store.save_requests`` (one call per run in a batch, in one thread hop).

    The runs of a batch are saved one after the other; if one fails the whole batch is retried,
    which is harmless: saving a request already stored is a no-op (its position is kept).
    """

    what = "request"

    def _save(self, batch: list[tuple[str, ChatRequest]]) -> None:
        by_run: dict[str, list[ChatRequest]] = defaultdict(list)
        for run, request in batch:
            by_run[run].append(request)
        for run, requests in by_run.items():
            self.store.save_requests(run, requests)

    def _runs(self, batch: list[tuple[str, ChatRequest]]) -> set[str]:
        return {run for run, _ in batch}
