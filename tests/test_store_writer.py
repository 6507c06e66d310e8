"""BatchWriter and RequestWriter: batches of at most max_batch, flush and close write everything, a full queue drops,
failures count."""

from __future__ import annotations

import asyncio
import logging
import sqlite3
import threading
from collections.abc import Callable, Iterable, Sequence

import pytest

from modelswap.errors import StoreError
from modelswap.store import ArmCount, CachedVerdict, Store, open_store
from modelswap.store.writer import BatchWriter, RequestWriter
from modelswap.types import ChatRequest, StoredObservation

MakeStored = Callable[..., StoredObservation]

SECRET_OUTPUT = "the user's private answer"


class SpyStore(Store):
    """A real store that remembers batch sizes, can fail its next writes, and can hold writes at a gate."""

    def __init__(self, inner: Store, *, failures: Sequence[Exception] = (), gate: threading.Event | None = None):
        self.inner = inner
        self.batches: list[int] = []
        self.request_calls: list[tuple[str, int]] = []
        self.failures = list(failures)
        self.gate = gate

    def save_observations(self, observations: Sequence[StoredObservation]) -> None:
        if self.gate is not None:
            assert self.gate.wait(5)
        self.batches.append(len(observations))
        if self.failures:
            raise self.failures.pop(0)
        self.inner.save_observations(observations)

    def save_requests(self, run: str, requests: Sequence[ChatRequest]) -> None:
        self.request_calls.append((run, len(requests)))
        if self.failures:
            raise self.failures.pop(0)
        self.inner.save_requests(run, requests)

    def recorded_keys(self, run: str, arm: str, *, include_errors: bool = True) -> set[tuple[str, int]]:
        return self.inner.recorded_keys(run, arm, include_errors=include_errors)

    def requests(self, run: str) -> list[ChatRequest]:
        return self.inner.requests(run)

    def observations(self, run: str, *, arm: str | None = None, trial_ids: Iterable[str] | None = None
                     ) -> list[StoredObservation]:
        return self.inner.observations(run, arm=arm, trial_ids=trial_ids)

    def runs(self) -> list[str]:
        return self.inner.runs()

    def counts(self, run: str | None = None) -> list[ArmCount]:
        return self.inner.counts(run)

    def judge_verdicts(self, keys: Iterable[str]) -> dict[str, CachedVerdict]:
        return self.inner.judge_verdicts(keys)

    def save_judge_verdicts(self, verdicts: Sequence[CachedVerdict]) -> None:
        self.inner.save_judge_verdicts(verdicts)

    def schema_version(self) -> int:
        return self.inner.schema_version()

    def close(self) -> None:
        self.inner.close()


def trial_ids(store: Store) -> list[str]:
    return [s.key.trial_id for s in store.observations("run")]


def counters(writer: BatchWriter) -> dict[str, int]:
    names = ("submitted", "written", "failed", "dropped", "failed_batches", "retried_batches")
    return {name: getattr(writer, name) for name in names}


async def eventually(condition: Callable[[], bool], timeout_s: float = 5.0) -> None:
    async with asyncio.timeout(timeout_s):
        while not condition():
            await asyncio.sleep(0.005)


async def test_writes_in_batches_of_at_most_max_batch(store: Store, make_stored: MakeStored) -> None:
    spy = SpyStore(store)
    writer = BatchWriter(spy, max_batch=4, flush_interval_s=60)
    assert all(writer.submit(make_stored(f"t{i:02d}")) for i in range(10))
    await writer.start()
    await asyncio.wait_for(writer.flush(), 5)
    assert spy.batches == [4, 4, 2]
    assert trial_ids(store) == [f"t{i:02d}" for i in range(10)]
    assert counters(writer) == {"submitted": 10, "written": 10, "failed": 0, "dropped": 0, "failed_batches": 0,
                                "retried_batches": 0}
    await writer.close()


async def test_a_partial_batch_is_written_after_the_flush_interval(store: Store, make_stored: MakeStored) -> None:
    spy = SpyStore(store)
    writer = BatchWriter(spy, max_batch=100, flush_interval_s=0.05)
    await writer.start()
    for i in range(3):
        writer.submit(make_stored(f"t{i}"))
    await eventually(lambda: writer.written == 3)
    assert (spy.batches, trial_ids(store)) == ([3], ["t0", "t1", "t2"])
    await writer.close()


async def test_flush_waits_for_everything_submitted_so_far_without_waiting_the_interval(
        store: Store, make_stored: MakeStored) -> None:
    spy = SpyStore(store)
    writer = BatchWriter(spy, max_batch=3, flush_interval_s=60)
    await writer.start()
    for i in range(5):
        writer.submit(make_stored(f"t{i}"))
    await asyncio.wait_for(writer.flush(), 5)
    assert (writer.written, writer.pending, trial_ids(store)) == (5, 0, ["t0", "t1", "t2", "t3", "t4"])
    await asyncio.wait_for(writer.flush(), 1)
    await writer.close()
    assert spy.batches == [3, 2]


async def test_close_writes_everything_then_drops_later_submissions(store: Store, make_stored: MakeStored) -> None:
    writer = BatchWriter(SpyStore(store), max_batch=4, flush_interval_s=60)
    await writer.start()
    for i in range(7):
        writer.submit(make_stored(f"t{i}"))
    await asyncio.wait_for(writer.close(), 5)
    assert len(trial_ids(store)) == 7
    assert writer.submit(make_stored("late")) is False
    assert counters(writer) == {"submitted": 7, "written": 7, "failed": 0, "dropped": 1, "failed_batches": 0,
                                "retried_batches": 0}


async def test_a_full_queue_drops_and_counts_without_blocking(store: Store, make_stored: MakeStored) -> None:
    gate = threading.Event()
    spy = SpyStore(store, gate=gate)
    writer = BatchWriter(spy, max_batch=1, max_queue=3, flush_interval_s=60)
    await writer.start()
    assert writer.submit(make_stored("held")) is True
    await eventually(lambda: writer.pending == 0)  # taken into a batch that waits at the gate
    accepted = [writer.submit(make_stored(f"t{i}")) for i in range(5)]
    assert accepted == [True, True, True, False, False]
    assert (writer.pending, writer.submitted, writer.dropped, writer.written) == (3, 4, 2, 0)
    gate.set()
    await asyncio.wait_for(writer.close(), 5)
    assert trial_ids(store) == ["held", "t0", "t1", "t2"]
    assert spy.batches == [1, 1, 1, 1]
    assert counters(writer) == {"submitted": 4, "written": 4, "failed": 0, "dropped": 2, "failed_batches": 0,
                                "retried_batches": 0}


async def test_submit_before_start_is_queued(store: Store, make_stored: MakeStored) -> None:
    writer = BatchWriter(SpyStore(store), max_queue=2)
    assert [writer.submit(make_stored(f"t{i}")) for i in range(3)] == [True, True, False]
    await writer.start()
    await writer.close()
    assert (trial_ids(store), writer.dropped) == (["t0", "t1"], 1)


@pytest.mark.parametrize("failure", [StoreError("store x: save observations: disk I/O error"),
                                     sqlite3.OperationalError("database is locked")])
async def test_a_failed_write_is_retried_once(store: Store, make_stored: MakeStored, failure: Exception,
                                              caplog: pytest.LogCaptureFixture) -> None:
    spy = SpyStore(store, failures=[failure])
    writer = BatchWriter(spy, max_batch=10, flush_interval_s=60)
    await writer.start()
    writer.submit(make_stored("t1", output=SECRET_OUTPUT))
    with caplog.at_level(logging.WARNING, logger="modelswap.store.writer"):
        await asyncio.wait_for(writer.close(), 5)
    assert (spy.batches, trial_ids(store)) == ([1, 1], ["t1"])
    assert counters(writer) == {"submitted": 1, "written": 1, "failed": 0, "dropped": 0, "failed_batches": 0,
                                "retried_batches": 1}
    assert caplog.messages == [f"store write of 1 observation(s) of run(s) run failed "
                               f"({type(failure).__name__}: {failure}); retrying once"]


async def test_a_batch_failing_twice_is_counted_and_the_writer_keeps_going(
        store: Store, make_stored: MakeStored, caplog: pytest.LogCaptureFixture) -> None:
    spy = SpyStore(store, failures=[StoreError("down"), StoreError("still down")])
    writer = BatchWriter(spy, max_batch=2, flush_interval_s=60)
    await writer.start()
    with caplog.at_level(logging.WARNING, logger="modelswap.store.writer"):
        writer.submit(make_stored("lost1", output=SECRET_OUTPUT))
        writer.submit(make_stored("lost2", output=SECRET_OUTPUT))
        await asyncio.wait_for(writer.flush(), 5)
        writer.submit(make_stored("kept"))
        await asyncio.wait_for(writer.close(), 5)
    assert (spy.batches, trial_ids(store)) == ([2, 2, 1], ["kept"])
    assert counters(writer) == {"submitted": 3, "written": 1, "failed": 2, "dropped": 0, "failed_batches": 1,
                                "retried_batches": 1}
    assert caplog.messages == [
        "store write of 2 observation(s) of run(s) run failed (StoreError: down); retrying once",
        "store write of 2 observation(s) of run(s) run failed (StoreError: still down); giving up on the batch"]
    assert SECRET_OUTPUT not in caplog.text


async def test_a_bug_in_the_store_is_not_swallowed(store: Store, make_stored: MakeStored) -> None:
    writer = BatchWriter(SpyStore(store, failures=[TypeError("a bug")]), flush_interval_s=60)
    await writer.start()
    writer.submit(make_stored("t1"))
    with pytest.raises(RuntimeError, match=r"^BatchWriter stopped: TypeError\('a bug'\)$"):
        await asyncio.wait_for(writer.flush(), 5)
    with pytest.raises(TypeError, match=r"^a bug$"):
        await writer.close()


async def test_flush_without_start_is_an_error_when_something_waits(store: Store, make_stored: MakeStored) -> None:
    writer = BatchWriter(store)
    await writer.flush()  # nothing submitted: nothing to wait for
    writer.submit(make_stored("t1"))
    with pytest.raises(RuntimeError, match="the writer is not running; call start"):
        await writer.flush()


def test_invalid_settings_are_refused(store: Store) -> None:
    with pytest.raises(ValueError, match="max_batch and max_queue must be at least 1"):
        BatchWriter(store, max_batch=0)
    with pytest.raises(ValueError, match="max_batch and max_queue must be at least 1"):
        BatchWriter(store, max_queue=0)
    with pytest.raises(ValueError, match="flush_interval_s above 0"):
        BatchWriter(store, flush_interval_s=0)


async def test_put_waits_for_room_instead_of_dropping(make_stored: MakeStored) -> None:
    store = open_store("sqlite://")
    writer = BatchWriter(store, max_batch=2, max_queue=2, flush_interval_s=0.01)
    await writer.start()
    for i in range(9):
        await writer.put(make_stored(f"t{i}"))
    await writer.close()
    assert (writer.submitted, writer.written, writer.dropped) == (9, 9, 0)
    assert len(store.observations("run")) == 9
    store.close()


def request(request_id: str) -> ChatRequest:
    return ChatRequest(id=request_id, messages=({"role": "user", "content": f"question {request_id}"},))


async def test_request_writer_saves_each_run_of_a_batch_in_order(store: Store) -> None:
    spy = SpyStore(store)
    writer = RequestWriter(spy, max_batch=4, flush_interval_s=60)
    items = [("a", request("a0")), ("b", request("b0")), ("a", request("a1")), ("a", request("a2")),
             ("b", request("b1"))]
    assert all(writer.submit(item) for item in items)
    await writer.start()
    await asyncio.wait_for(writer.close(), 5)
    assert spy.request_calls == [("a", 3), ("b", 1), ("b", 1)]
    assert [r.id for r in store.requests("a")] == ["a0", "a1", "a2"]  # in position order
    assert [r.id for r in store.requests("b")] == ["b0", "b1"]
    assert counters(writer) == {"submitted": 5, "written": 5, "failed": 0, "dropped": 0, "failed_batches": 0,
                                "retried_batches": 0}


async def test_request_writer_retries_a_failed_batch_once_without_duplicates(
        store: Store, caplog: pytest.LogCaptureFixture) -> None:
    spy = SpyStore(store, failures=[StoreError("down")])
    writer = RequestWriter(spy, max_batch=10, flush_interval_s=60)
    writer.submit(("a", request("a0")))
    writer.submit(("b", request("b0")))
    with caplog.at_level(logging.WARNING, logger="modelswap.store.writer"):
        await writer.start()
        await asyncio.wait_for(writer.close(), 5)
    assert caplog.messages == ["store write of 2 request(s) of run(s) a, b failed (StoreError: down); retrying once"]
    assert [r.id for r in store.requests("a")] + [r.id for r in store.requests("b")] == ["a0", "b0"]
    assert (writer.written, writer.retried_batches, writer.failed) == (2, 1, 0)
    assert "question" not in caplog.text
