"""Write-behind for async code: items go to the store in batches, off the event loop, and wait out an outage.

What it is: ``WriteBehind``, a bounded buffer in front of one store write, and its two uses:
``BatchWriter`` (observations, ``Store.save_observations``) and ``RequestWriter`` (requests
with their run, ``Store.save_requests`` once per run in the batch).
``submit`` never blocks and never awaits: it queues the item, or refuses it and counts a drop
by reason when the writer is closing or the buffer holds ``max_queue`` items or ``max_bytes``
(an estimate: the item's text and a fixed overhead) already. One background task takes up to
``max_batch`` items, or whatever arrived within ``flush_interval_s`` of the first, and writes
them with ``asyncio.to_thread`` so the event loop never waits on the database. ``flush`` waits
until everything accepted so far is written or counted dropped; ``close`` flushes and stops.

A failed write is one of two things:
- the store is down: ``StoreUnavailable`` (connection lost, file unwritable, disk full...), or
  any store error while the store does not answer a trivial query (``schema_version``) either.
  The batch is kept and written again after a backoff (``retry_initial_s`` doubling up to
  ``retry_max_s``) for as long as it takes; the store replaces its broken connection itself.
  What arrives meanwhile waits in the buffer and, with a ``spill_dir``, is moved to local disk
  (``modelswap.store.spill``, JSON lines, at most ``spill_max_bytes``) at every backoff step,
  and as soon as the queue is half full; it is read back first when the store returns (what
  arrives while it is read back queues behind it, in the spill if need be).
- the batch is bad: any other store error while the store answers. The batch is split in
  halves until each row the store refuses is alone; that row is dropped and counted
  (``bad_item``), and the rest is written.

With a ``spill_dir``, a queue half full also goes to the spill while a write is in flight (a write
to a store that has just gone away can hang for seconds before it fails, and until then the
store counts as up), so nothing is refused while the outage is being found.

What it is not: a durable queue while the store is up. A crash loses what the buffer holds
(at most ``max_queue`` items or ``max_bytes``, plus the batch being written). While the store
is down and ``spill_dir`` is set, a crash loses only what arrived since the last backoff step
(``retry_max_s`` at most) and the batch in hand; the next writer started on the same
directory writes the rest. ``close`` while the store is down spills everything (with a
``spill_dir``), or keeps retrying for ``close_timeout_s`` and then drops and counts what is
left (``unwritten_at_close``).

Counters: ``submitted`` (every item offered), ``accepted``, ``written``, ``restored`` (read back
from spill files an earlier process left), ``dropped_by`` (items by reason: ``queue_full``,
``byte_cap`` and ``closed`` refused by ``submit``; ``bad_item``, ``unwritten_at_close`` and
``spill_unreadable`` lost after acceptance), ``retries`` (writes failed with the store down),
``reconnects`` (times the store came back). At any moment
``submitted + restored == written + dropped + buffered``. Health: ``store_up``, ``down_since``.
Logs never carry request content: an outage is logged once when it starts and once when it
ends, and a refused row by its keys and the driver's error class and code, never the driver's
message (which may quote a value).
"""

from __future__ import annotations

import asyncio
import json
import logging
import os
import sqlite3
import time
from collections import defaultdict, deque
from collections.abc import Callable
from contextlib import suppress
from itertools import chain
from typing import Any, Generic, TypeVar

from modelswap.errors import StoreError
from modelswap.store.base import Store, StoreUnavailable
from modelswap.store.spill import Spill
from modelswap.store.sql import observation_from_row, observation_row, request_from_data
from modelswap.types import ChatRequest, StoredObservation

T = TypeVar("T")
R = TypeVar("R")

logger = logging.getLogger(__name__)

WRITE_ERRORS: tuple[type[Exception], ...] = (StoreError, sqlite3.Error)
SPILL_ERRORS: tuple[type[Exception], ...] = (ValueError, KeyError, TypeError, IndexError)  # a line that does not decode
REFUSED = ("queue_full", "byte_cap", "closed")
LOST = ("bad_item", "unwritten_at_close", "spill_unreadable")
DROP_REASONS = REFUSED + LOST
ITEM_OVERHEAD_BYTES = 200  # keys, numbers and field names of one item, roughly
MiB = 1 << 20
DROP_LOG_INTERVAL_S = 60.0
SPILL_CHECK_S = 0.01  # how often a write in flight looks at the queue (with a spill)

Held = list[tuple[T, int]]  # items with their estimated sizes


class WriteBehind(Generic[T]):
    """Buffers items and writes them to ``store`` in batches from a background task (``_save`` says how)."""

    what = "item"

    def __init__(self, store: Store, *, max_batch: int = 100, max_queue: int = 10_000, max_bytes: int = 64 * MiB,
                 flush_interval_s: float = 0.25, spill_dir: str | os.PathLike[str] | None = None,
                 spill_max_bytes: int = 1024 * MiB, retry_initial_s: float = 0.1, retry_max_s: float = 2.0,
                 close_timeout_s: float = 30.0) -> None:
        if min(max_batch, max_queue, max_bytes, spill_max_bytes) < 1:
            raise ValueError("max_batch, max_queue, max_bytes and spill_max_bytes must be at least 1")
        if min(flush_interval_s, retry_initial_s, close_timeout_s) <= 0 or retry_max_s < retry_initial_s:
            raise ValueError("flush_interval_s, retry_initial_s and close_timeout_s must be above 0, "
                             "and retry_max_s at least retry_initial_s")
        self.store = store
        self.max_batch, self.max_queue, self.max_bytes = max_batch, max_queue, max_bytes
        self.flush_interval_s = flush_interval_s
        self.retry_initial_s, self.retry_max_s, self.close_timeout_s = retry_initial_s, retry_max_s, close_timeout_s
        self.spill = None if spill_dir is None else Spill(spill_dir, kind=self.what, max_bytes=spill_max_bytes)
        self.submitted = self.accepted = self.written = self.restored = self.retries = self.reconnects = 0
        self.dropped_by: dict[str, int] = dict.fromkeys(DROP_REASONS, 0)
        self.store_up = True
        self.down_since: float | None = None  # time.time() of the first failed write of the outage
        self._pending: deque[tuple[T, int]] = deque()
        self._held: deque[Held[T]] = deque()  # taken from the buffer or the spill, not yet written
        self._bytes = 0  # estimated bytes of what is pending and held
        self._backoff = retry_initial_s
        self._waiters: list[tuple[int, asyncio.Future[None]]] = []
        self._wake = asyncio.Event()
        self._nudge = asyncio.Event()  # close, or a queue to spill while the store is down
        self._closing = False
        self._close_deadline = 0.0
        self._drop_logged: dict[str, float] = {}
        self._task: asyncio.Task[None] | None = None

    # ------------------------------------------------------------------ state

    @property
    def pending(self) -> int:
        """Items queued and not yet taken into a batch."""
        return len(self._pending)

    @property
    def buffered(self) -> int:
        """Items accepted (or restored) and not yet written or dropped: queued, in hand, or spilled."""
        return len(self._pending) + sum(len(batch) for batch in self._held) + self.spilled

    @property
    def buffered_bytes(self) -> int:
        """Estimated bytes of the items held in memory."""
        return self._bytes

    @property
    def spilled(self) -> int:
        return self.spill.items if self.spill is not None else 0

    @property
    def spilled_bytes(self) -> int:
        return self.spill.size_bytes if self.spill is not None else 0

    @property
    def dropped(self) -> int:
        """Items lost for any reason (see ``dropped_by``)."""
        return sum(self.dropped_by.values())

    @property
    def full(self) -> bool:
        return len(self._pending) >= self.max_queue or self._bytes >= self.max_bytes

    # ------------------------------------------------------------------ producers

    async def start(self) -> None:
        """Open the spill (adopting what an earlier process left) and start the background task (once)."""
        if self._task is None:
            if self.spill is not None:
                self.restored = await asyncio.to_thread(self.spill.open)
            self._task = asyncio.create_task(self._drain(), name=f"modelswap-{self.what}-writer")
            self._task.add_done_callback(self._on_stopped)

    def submit(self, item: T) -> bool:
        """Queue ``item`` for writing; ``False`` (and a drop counted by reason) if the buffer is full or closed."""
        self.submitted += 1
        if self._closing:
            return self._refuse("closed")
        if len(self._pending) >= self.max_queue:
            return self._refuse("queue_full")
        size = self._size(item)
        if self._bytes and self._bytes + size > self.max_bytes:  # an empty buffer takes any one item
            return self._refuse("byte_cap")
        self._pending.append((item, size))
        self._bytes += size
        self.accepted += 1
        self._wake.set()
        if not self.store_up and self._spill_wanted():
            self._nudge.set()
        return True

    async def put(self, item: T) -> None:
        """Queue ``item``, waiting for room when the buffer is full (back-pressure, never a drop).

        For producers that may wait (``record``); a request path that must never wait uses ``submit``.
        While the store is down, that wait lasts until it is back.
        """
        size = self._size(item)
        while not self._closing and self._bytes and (self.full or self._bytes + size > self.max_bytes):
            await self.flush()
        if not self.submit(item):
            raise RuntimeError(f"{type(self).__name__}.put: the writer is closed")

    async def flush(self) -> None:
        """Wait until every item accepted so far is written (or counted dropped)."""
        target = self.accepted + self.restored
        if self._done() >= target:
            return
        if self._task is None or self._task.done():
            raise RuntimeError(f"{type(self).__name__}.flush: the writer is not running; call start() first")
        future: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        self._waiters.append((target, future))
        self._wake.set()
        await future

    async def close(self) -> None:
        """Write everything accepted, then stop the background task. Later submissions are dropped.

        While the store is down: with a spill, what is left goes to the spill at once (the next writer
        on that directory writes it); without, writing is retried for ``close_timeout_s`` and what is
        still unwritten then is dropped and counted.
        """
        if not self._closing:
            self._closing = True
            self._close_deadline = asyncio.get_running_loop().time() + self.close_timeout_s
        self._wake.set()
        self._nudge.set()
        if self._task is not None:
            try:
                await self._task
            finally:
                if self.spill is not None:
                    await asyncio.to_thread(self.spill.close)
        elif self._pending:
            raise RuntimeError(f"{type(self).__name__}.close: {self.what}s were submitted but the writer never started")

    # ------------------------------------------------------------------ the background task

    def _done(self) -> int:
        return self.written + sum(self.dropped_by[reason] for reason in LOST)

    async def _drain(self) -> None:
        while self._held or await self._take():
            store_up = await self._write_held()
            self._release_waiters()
            if not store_up and not await self._wait_out_outage():
                return

    async def _take(self) -> bool:
        """Hold the next batch: spilled items first, else queued ones once due. ``False`` once closed and empty."""
        while True:
            if self.spill is not None and self.spill.items:
                if self._spill_wanted():  # what arrives while the spill is read back queues behind it
                    await self._spill_memory(with_held=False)
                lines = await asyncio.to_thread(self.spill.take, self.max_batch)
                batch = self._decode_lines(lines)
                if batch:
                    self._bytes += sum(size for _, size in batch)
                    self._held.append(batch)
                    return True
                self._release_waiters()
                continue
            if self._pending:
                await self._until_due()
                self._held.append([self._pending.popleft() for _ in range(min(self.max_batch, len(self._pending)))])
                return True
            if self._closing:
                return False
            await self._wait(None)

    async def _until_due(self) -> None:
        """Wait until a batch is full, the buffer half full, a flush or close asks, or ``flush_interval_s`` passed.

        A buffer smaller than a batch is written before it fills: the writer finds out sooner that the
        store is down, and moves what waits to the spill before anything must be refused.
        """
        deadline = asyncio.get_running_loop().time() + self.flush_interval_s
        while not self._due():
            remaining = deadline - asyncio.get_running_loop().time()
            if remaining <= 0 or not await self._wait(remaining):
                return

    def _due(self) -> bool:
        return (len(self._pending) >= min(self.max_batch, max(1, self.max_queue // 2))
                or self._bytes * 2 >= self.max_bytes or self._closing or bool(self._waiters))

    async def _wait(self, timeout_s: float | None) -> bool:
        """Wait for a submit, flush or close; ``False`` if ``timeout_s`` passed first."""
        self._wake.clear()
        try:
            await asyncio.wait_for(self._wake.wait(), timeout_s)
        except TimeoutError:
            return False
        return True

    async def _write_held(self) -> bool:
        """Write the first held batch; ``False`` if the store is down (the batch stays held)."""
        batch = self._held[0]
        try:
            await self._spilling(self._save, [item for item, _ in batch])
        except WRITE_ERRORS as exc:
            if isinstance(exc, StoreUnavailable) or not await self._store_answers():
                self._mark_down(exc)
                return False
            self._held.popleft()
            self._refused_by_store(batch, exc)
            return True
        self._held.popleft()
        self._bytes -= sum(size for _, size in batch)
        self.written += len(batch)
        self._mark_up()
        return True

    async def _spilling(self, call: Callable[..., R], *args: Any) -> R:
        """``call(*args)`` in a thread; meanwhile, with a spill, a queue half full goes to it. A call to a store
        that has just gone away can hang for seconds before it fails, and the store counts as up until then:
        what arrives meanwhile would fill the buffer and be refused."""
        running = asyncio.ensure_future(asyncio.to_thread(call, *args))
        while not running.done():
            if self.spill is not None and self._half_full():
                await self._spill_memory(with_held=False)
            await asyncio.wait({running}, timeout=SPILL_CHECK_S)
        return running.result()

    async def _store_answers(self) -> bool:
        try:
            await self._spilling(self.store.schema_version)
        except WRITE_ERRORS:
            return False
        return True

    def _refused_by_store(self, batch: Held[T], exc: Exception) -> None:
        """The store answers but refuses ``batch``: split it, or drop its one item and count it."""
        if len(batch) > 1:
            half = len(batch) // 2
            self._held.extendleft([batch[half:], batch[:half]])
            return
        item, size = batch[0]
        self._bytes -= size
        self.dropped_by["bad_item"] += 1
        logger.warning("store refused one %s (%s): %s; dropped", self.what, self._describe(item), _error_kind(exc))

    async def _wait_out_outage(self) -> bool:
        """The store is down: spill what is queued (with a spill), then back off. ``False``: stop (closing).

        The batch in hand stays in memory, to be tried again first, unless the writer is closing.
        """
        if self.spill is not None:
            await self._spill_memory(with_held=self._closing)
        loop = asyncio.get_running_loop()
        if self._closing:
            if not self._held and not self._pending:
                return False
            if loop.time() >= self._close_deadline:
                self._give_up()
                return False
        delay = min(self._backoff, max(0.0, self._close_deadline - loop.time())) if self._closing else self._backoff
        self._backoff = min(self._backoff * 2, self.retry_max_s)
        if self._closing:
            await asyncio.sleep(delay)
        else:
            await self._pause(loop.time() + delay)
        return True

    async def _pause(self, until: float) -> None:
        """Back off until ``until``; a close cuts it short, and a queue filling up is spilled meanwhile."""
        loop = asyncio.get_running_loop()
        while not self._closing and (remaining := until - loop.time()) > 0:
            self._nudge.clear()
            with suppress(TimeoutError):
                await asyncio.wait_for(self._nudge.wait(), remaining)
            if self._spill_wanted():
                await self._spill_memory(with_held=False)

    def _spill_wanted(self) -> bool:
        """A queue half full goes to the spill while the store is down or the spill is being read back."""
        return self.spill is not None and (not self.store_up or self.spill.items > 0) and self._half_full()

    def _half_full(self) -> bool:
        """The queue holds half of ``max_queue`` items or half of ``max_bytes``."""
        return len(self._pending) * 2 >= self.max_queue or self._bytes * 2 >= self.max_bytes

    async def _spill_memory(self, *, with_held: bool) -> None:
        """Move the queue (and the held batches first, if asked) to the end of the spill, oldest first.

        The queued items leave the queue as the write starts, so what arrives during a slow (fsynced) append
        finds room; what the spill does not take goes back to the front of the queue, in order."""
        assert self.spill is not None
        held = list(chain.from_iterable(self._held)) if with_held else []
        queued = list(self._pending)
        self._pending.clear()
        queued_bytes = sum(size for _, size in queued)
        self._bytes -= queued_bytes
        items = [*held, *queued]
        if not items:
            return
        try:
            moved = await asyncio.to_thread(self._append_to_spill, [item for item, _ in items])
        except OSError as exc:
            self._requeue(queued)
            logger.warning("cannot spill %d %s(s) to %s (%s); they stay in memory", len(items), self.what,
                           self.spill.directory, exc.strerror or exc)
            return
        if with_held:
            self._bytes -= sum(size for _, size in held[:moved])
            self._held = _without_first(self._held, moved)
        self._requeue(queued[max(0, moved - len(held)):])

    def _requeue(self, items: list[tuple[T, int]]) -> None:
        """Put ``items`` back at the front of the queue, in their order."""
        self._pending.extendleft(reversed(items))
        self._bytes += sum(size for _, size in items)

    def _append_to_spill(self, items: list[T]) -> int:
        assert self.spill is not None
        return self.spill.append([self._encode(item) for item in items])

    def _give_up(self) -> None:
        """Closing, the store still down, the time is up: drop what is left and say so."""
        left = len(self._pending) + sum(len(batch) for batch in self._held)
        self.dropped_by["unwritten_at_close"] += left
        self._pending.clear()
        self._held.clear()
        self._bytes = 0
        logger.error("store %s still unavailable %g s after close: %d %s(s) were not written", self._store_name(),
                     self.close_timeout_s, left, self.what)

    def _mark_down(self, exc: Exception) -> None:
        self.retries += 1
        if not self.store_up:
            return
        self.store_up, self.down_since, self._backoff = False, time.time(), self.retry_initial_s
        reason = str(exc) if isinstance(exc, StoreUnavailable) else _error_kind(exc)
        logger.warning("store unavailable (%s); keeping %d %s(s) buffered and retrying every %g s at most",
                       reason, self.buffered, self.what, self.retry_max_s)

    def _mark_up(self) -> None:
        self._backoff = self.retry_initial_s
        if self.store_up:
            return
        down_s = time.time() - (self.down_since or time.time())
        self.store_up, self.down_since = True, None
        self.reconnects += 1
        logger.warning("store %s is back after %.1f s (%d failed writes); writing the %d %s(s) buffered",
                       self._store_name(), down_s, self.retries, self.buffered, self.what)

    def _refuse(self, reason: str) -> bool:
        self.dropped_by[reason] += 1
        now = time.monotonic()
        if now - self._drop_logged.get(reason, -DROP_LOG_INTERVAL_S) >= DROP_LOG_INTERVAL_S:
            self._drop_logged[reason] = now
            logger.warning("dropping %ss: %s (%d dropped so far for this reason; buffered %d)", self.what,
                           reason.replace("_", " "), self.dropped_by[reason], self.buffered)
        return False

    def _decode_lines(self, lines: list[bytes]) -> Held[T]:
        batch: Held[T] = []
        for line in lines:
            try:
                item = self._decode(line)
            except SPILL_ERRORS:
                self.dropped_by["spill_unreadable"] += 1
                continue
            batch.append((item, self._size(item)))
        return batch

    def _store_name(self) -> str:
        return str(getattr(self.store, "name", type(self.store).__name__))

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
        """If the background task ends (a bug, a cancel, a close), nobody may wait for it forever."""
        error = RuntimeError(f"{type(self).__name__} stopped before writing everything")
        if not task.cancelled() and task.exception() is not None:
            error = RuntimeError(f"{type(self).__name__} stopped: {task.exception()!r}")
        for _, future in self._waiters:
            if not future.done():
                future.set_exception(error)
        self._waiters = []

    # ------------------------------------------------------------------ what each kind of item needs

    def _save(self, batch: list[T]) -> None:
        """Write ``batch`` to the store in a worker thread (one call, or one per run)."""
        raise NotImplementedError

    def _size(self, item: T) -> int:
        """A cheap estimate of the item's bytes."""
        raise NotImplementedError

    def _encode(self, item: T) -> bytes:
        """The item as one JSON line (without the newline), for the spill."""
        raise NotImplementedError

    def _decode(self, line: bytes) -> T:
        raise NotImplementedError

    def _describe(self, item: T) -> str:
        """The item's keys, for a log line: never its content."""
        raise NotImplementedError


class BatchWriter(WriteBehind[StoredObservation]):
    """Observations to ``Store.save_observations``, in batches."""

    what = "observation"

    def _save(self, batch: list[StoredObservation]) -> None:
        self.store.save_observations(batch)

    def _size(self, item: StoredObservation) -> int:
        observation = item.observation
        error = observation.error
        return (ITEM_OVERHEAD_BYTES + len(observation.output or "") + (len(error.message) if error else 0)
                + json_size(observation.params))

    def _encode(self, item: StoredObservation) -> bytes:
        return json.dumps(observation_row(item, 0.0), ensure_ascii=False).encode()

    def _decode(self, line: bytes) -> StoredObservation:
        return observation_from_row(json.loads(line))

    def _describe(self, item: StoredObservation) -> str:
        key = item.key
        return f"run {key.run!r}, trial {key.trial_id!r}, arm {key.arm!r}, sample {key.sample}"


class RequestWriter(WriteBehind[tuple[str, ChatRequest]]):
    """Requests, each with its run, to ``Store.save_requests`` (one call per run in a batch, in one thread hop).

    The runs of a batch are saved one after the other; if one fails the whole batch is written again,
    which is harmless: saving a request already stored is a no-op (its position is kept).
    """

    what = "request"

    def _save(self, batch: list[tuple[str, ChatRequest]]) -> None:
        by_run: dict[str, list[ChatRequest]] = defaultdict(list)
        for run, request in batch:
            by_run[run].append(request)
        for run, requests in by_run.items():
            self.store.save_requests(run, requests)

    def _size(self, item: tuple[str, ChatRequest]) -> int:
        run, request = item
        return (ITEM_OVERHEAD_BYTES + len(run) + len(request.id) + len(request.category)
                + json_size(request.messages) + json_size(request.params) + json_size(request.expect))

    def _encode(self, item: tuple[str, ChatRequest]) -> bytes:
        run, request = item
        return json.dumps([run, request.to_json()], ensure_ascii=False).encode()

    def _decode(self, line: bytes) -> tuple[str, ChatRequest]:
        run, data = json.loads(line)
        if not isinstance(run, str) or not isinstance(data, dict):
            raise ValueError("not a [run, request] pair")
        return run, request_from_data(data)

    def _describe(self, item: tuple[str, ChatRequest]) -> str:
        return f"run {item[0]!r}, trial {item[1].id!r}"


def json_size(value: object) -> int:
    """A cheap estimate of ``value``'s size as JSON: its strings' lengths and a few bytes per other value."""
    total, stack = 0, [value]
    while stack:
        node = stack.pop()
        if isinstance(node, str):
            total += len(node) + 2
        elif isinstance(node, dict):
            total += 2 + sum(len(str(key)) + 4 for key in node)
            stack.extend(node.values())
        elif isinstance(node, (list, tuple)):
            total += 2 + len(node)
            stack.extend(node)
        else:
            total += 8
    return total


def _error_kind(exc: Exception) -> str:
    """The error's class and the driver's code (SQLSTATE, SQLite error name), without its message."""
    cause = exc.__cause__ if isinstance(exc.__cause__, Exception) else exc
    code = getattr(cause, "sqlstate", None) or getattr(cause, "sqlite_errorname", None)
    return f"{type(cause).__name__} [{code}]" if code else type(cause).__name__


def _without_first(batches: deque[Held[T]], count: int) -> deque[Held[T]]:
    """``batches`` without their first ``count`` items (batch boundaries kept for the rest)."""
    kept: deque[Held[T]] = deque()
    for batch in batches:
        if count >= len(batch):
            count -= len(batch)
        else:
            kept.append(batch[count:])
            count = 0
    return kept
