"""BatchWriter and RequestWriter: batches of at most max_batch, flush and close write everything, a full buffer
drops by reason, an unavailable store is waited out with backoff, a bad row is split out and counted, the spill.

The store here is a real one behind ``SpyStore``, which can fail its next writes with chosen errors (a scripted
outage) and hold writes at a gate. Outages of a real PostgreSQL and a real SQLite file are in test_store_outage.py.
"""

from __future__ import annotations

import asyncio
import logging
import threading
from collections.abc import Callable, Iterable, Sequence
from pathlib import Path
from typing import Any

import pytest

from modelswap.errors import StoreError
from modelswap.store import ArmCount, CachedVerdict, Store, open_store
from modelswap.store.base import StoreUnavailable
from modelswap.store.prompts import PromptLabel, PromptVersion, VariantStatus
from modelswap.store.writer import DROP_REASONS, BatchWriter, RequestWriter, WriteBehind, json_size
from modelswap.types import AuditEntry, ChatRequest, Feedback, RolloutState, StoredObservation

MakeStored = Callable[..., StoredObservation]

SECRET_OUTPUT = "the user's private answer"
DOWN = StoreUnavailable("store x: save observations: connection refused")


class SpyStore(Store):
    """A real store that remembers batch sizes, can fail its next writes, and can hold writes at a gate.

    ``failures`` are raised by the next writes, in order; ``refuse`` names trial ids the store refuses
    (a bad row: the whole batch fails while the store answers); ``probe_fails`` makes ``schema_version`` fail.
    """

    def __init__(self, inner: Store, *, failures: Sequence[Exception] = (), gate: threading.Event | None = None,
                 refuse: Iterable[str] = ()):
        self.inner = inner
        self.batches: list[int] = []
        self.request_calls: list[tuple[str, int]] = []
        self.failures = list(failures)
        self.gate = gate
        self.refuse = set(refuse)
        self.probe_fails = False

    def save_observations(self, observations: Sequence[StoredObservation]) -> None:
        if self.gate is not None:
            assert self.gate.wait(5)
        self.batches.append(len(observations))
        if self.failures:
            raise self.failures.pop(0)
        if any(stored.key.trial_id in self.refuse for stored in observations):
            raise StoreError("store x: save observations: value too long for type character varying(5)")
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

    def save_feedback(self, feedback: Sequence[Feedback]) -> None:
        self.inner.save_feedback(feedback)

    def feedback(self, route: str | None, *, since: float = 0.0) -> list[Feedback]:
        return self.inner.feedback(route, since=since)

    def rollout_state(self, route: str) -> RolloutState | None:
        return self.inner.rollout_state(route)

    def save_prompt_version(self, version: PromptVersion) -> bool:
        return self.inner.save_prompt_version(version)

    def prompt_versions(self, name: str | None = None, *, hash_prefix: str = "") -> list[PromptVersion]:
        return self.inner.prompt_versions(name, hash_prefix=hash_prefix)

    def set_prompt_label(self, label: PromptLabel) -> None:
        self.inner.set_prompt_label(label)

    def prompt_labels(self, name: str | None = None) -> list[PromptLabel]:
        return self.inner.prompt_labels(name)

    def set_variant_status(self, status: VariantStatus) -> None:
        self.inner.set_variant_status(status)

    def variant_statuses(self, name: str) -> list[VariantStatus]:
        return self.inner.variant_statuses(name)

    def rollout_states(self) -> list[RolloutState]:
        return self.inner.rollout_states()

    def write_rollout(self, state: RolloutState, entry: AuditEntry, *, expected_version: int) -> bool:
        return self.inner.write_rollout(state, entry, expected_version=expected_version)

    def rollout_audit(self, route: str, *, limit: int) -> list[AuditEntry]:
        return self.inner.rollout_audit(route, limit=limit)

    def schema_version(self) -> int:
        if self.probe_fails:
            raise StoreUnavailable("store x: read schema version: connection refused")
        return self.inner.schema_version()

    def close(self) -> None:
        self.inner.close()


def trial_ids(store: Store) -> list[str]:
    return [s.key.trial_id for s in store.observations("run")]


def counters(writer: WriteBehind[Any]) -> dict[str, object]:
    """The writer's counters, with only the drop reasons that happened."""
    names = ("submitted", "accepted", "written", "retries", "reconnects", "buffered")
    return {**{name: getattr(writer, name) for name in names},
            "dropped_by": {reason: n for reason, n in writer.dropped_by.items() if n}}


def adds_up(writer: WriteBehind[Any]) -> bool:
    return writer.submitted + writer.restored == writer.written + writer.dropped + writer.buffered


async def eventually(condition: Callable[[], bool], timeout_s: float = 10.0) -> None:
    async with asyncio.timeout(timeout_s):
        while not condition():
            await asyncio.sleep(0.005)


# --- batching, flush, close ----------------------------------------------------------------------------------------

async def test_writes_in_batches_of_at_most_max_batch(store: Store, make_stored: MakeStored) -> None:
    spy = SpyStore(store)
    writer = BatchWriter(spy, max_batch=4, flush_interval_s=60)
    assert all(writer.submit(make_stored(f"t{i:02d}")) for i in range(10))
    await writer.start()
    await asyncio.wait_for(writer.flush(), 5)
    assert spy.batches == [4, 4, 2]
    assert trial_ids(store) == [f"t{i:02d}" for i in range(10)]
    assert counters(writer) == {"submitted": 10, "accepted": 10, "written": 10, "retries": 0, "reconnects": 0,
                                "buffered": 0, "dropped_by": {}}
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
    assert counters(writer) == {"submitted": 8, "accepted": 7, "written": 7, "retries": 0, "reconnects": 0,
                                "buffered": 0, "dropped_by": {"closed": 1}}
    assert adds_up(writer)


async def test_a_full_queue_drops_and_counts_without_blocking(store: Store, make_stored: MakeStored) -> None:
    gate = threading.Event()
    spy = SpyStore(store, gate=gate)
    writer = BatchWriter(spy, max_batch=1, max_queue=3, flush_interval_s=60)
    await writer.start()
    assert writer.submit(make_stored("held")) is True
    await eventually(lambda: writer.pending == 0)  # taken into a batch that waits at the gate
    accepted = [writer.submit(make_stored(f"t{i}")) for i in range(5)]
    assert accepted == [True, True, True, False, False]
    assert (writer.pending, writer.buffered, writer.accepted, writer.dropped_by["queue_full"]) == (3, 4, 4, 2)
    assert adds_up(writer)
    gate.set()
    await asyncio.wait_for(writer.close(), 5)
    assert trial_ids(store) == ["held", "t0", "t1", "t2"]
    assert spy.batches == [1, 1, 1, 1]
    assert counters(writer) == {"submitted": 6, "accepted": 4, "written": 4, "retries": 0, "reconnects": 0,
                                "buffered": 0, "dropped_by": {"queue_full": 2}}


async def test_the_byte_cap_drops_and_counts_but_an_empty_buffer_takes_any_one_item(
        store: Store, make_stored: MakeStored) -> None:
    gate = threading.Event()
    writer = BatchWriter(SpyStore(store, gate=gate), max_batch=1, max_bytes=2_000, flush_interval_s=60)
    await writer.start()
    assert writer.submit(make_stored("big", output="x" * 5_000)) is True  # alone: taken
    await eventually(lambda: writer.pending == 0)
    assert writer.submit(make_stored("small")) is False  # the big one, in hand, still counts
    assert writer.buffered_bytes > 5_000
    gate.set()
    await asyncio.wait_for(writer.flush(), 5)
    assert writer.buffered_bytes == 0
    assert [writer.submit(make_stored(f"s{i}", output="y" * 600)) for i in range(3)] == [True, True, False]
    await asyncio.wait_for(writer.close(), 5)
    assert trial_ids(store) == ["big", "s0", "s1"]
    assert writer.dropped_by["byte_cap"] == 2 and adds_up(writer)


async def test_a_buffer_smaller_than_a_batch_is_written_once_half_full(store: Store, make_stored: MakeStored) -> None:
    spy = SpyStore(store)
    writer = BatchWriter(spy, max_batch=100, max_queue=4, flush_interval_s=60)
    await writer.start()
    writer.submit(make_stored("t0"))
    writer.submit(make_stored("t1"))  # half of max_queue: due now, not in 60 s
    await eventually(lambda: writer.written == 2)
    big = BatchWriter(spy, max_batch=100, max_bytes=5_000, flush_interval_s=60)
    await big.start()
    big.submit(make_stored("b0", output="y" * 3_000))  # over half of max_bytes: due now
    await eventually(lambda: big.written == 1)
    assert spy.batches == [2, 1]
    await writer.close()
    await big.close()


async def test_submit_before_start_is_queued(store: Store, make_stored: MakeStored) -> None:
    writer = BatchWriter(SpyStore(store), max_queue=2)
    assert [writer.submit(make_stored(f"t{i}")) for i in range(3)] == [True, True, False]
    await writer.start()
    await writer.close()
    assert (trial_ids(store), writer.dropped_by["queue_full"]) == (["t0", "t1"], 1)


# --- the store down, a bad row -------------------------------------------------------------------------------------

async def test_an_unavailable_store_is_retried_with_backoff_until_it_is_back(
        store: Store, make_stored: MakeStored, caplog: pytest.LogCaptureFixture) -> None:
    spy = SpyStore(store, failures=[DOWN] * 5)
    writer = BatchWriter(spy, max_batch=10, flush_interval_s=60, retry_initial_s=0.01, retry_max_s=0.04)
    await writer.start()
    seen_down: list[bool] = []
    with caplog.at_level(logging.WARNING, logger="modelswap.store.writer"):
        writer.submit(make_stored("t1", output=SECRET_OUTPUT))
        flushed = asyncio.ensure_future(writer.flush())
        await eventually(lambda: not writer.store_up)
        seen_down.append(writer.down_since is not None)
        writer.submit(make_stored("t2", output=SECRET_OUTPUT))  # accepted while down
        await asyncio.wait_for(flushed, 10)
        await asyncio.wait_for(writer.close(), 5)
    assert seen_down == [True]
    assert (spy.batches, trial_ids(store)) == ([1] * 6 + [1], ["t1", "t2"])
    assert counters(writer) == {"submitted": 2, "accepted": 2, "written": 2, "retries": 5, "reconnects": 1,
                                "buffered": 0, "dropped_by": {}}
    assert (writer.store_up, writer.down_since) == (True, None)
    assert caplog.messages[0] == ("store unavailable (store x: save observations: connection refused); keeping 1 "
                                  "observation(s) buffered and retrying every 0.04 s at most")
    assert caplog.messages[1].startswith("store SpyStore is back after ")
    assert caplog.messages[1].endswith(" s (5 failed writes); writing the 1 observation(s) buffered")
    assert len(caplog.messages) == 2 and SECRET_OUTPUT not in caplog.text


async def test_a_store_error_while_the_store_does_not_answer_either_is_an_outage(
        store: Store, make_stored: MakeStored) -> None:
    spy = SpyStore(store, failures=[StoreError("store x: save observations: SSL SYSCALL error: EOF detected")])
    spy.probe_fails = True
    writer = BatchWriter(spy, flush_interval_s=0.01, retry_initial_s=0.01)
    await writer.start()
    writer.submit(make_stored("t1"))
    await eventually(lambda: not writer.store_up)
    spy.probe_fails = False
    await asyncio.wait_for(writer.close(), 5)
    assert trial_ids(store) == ["t1"]
    assert (writer.retries, writer.reconnects, writer.dropped) == (1, 1, 0)


async def test_a_bad_row_is_split_out_dropped_and_counted_and_the_rest_written(
        store: Store, make_stored: MakeStored, caplog: pytest.LogCaptureFixture) -> None:
    spy = SpyStore(store, refuse={"t5"})
    writer = BatchWriter(spy, max_batch=8, flush_interval_s=60)
    for i in range(8):
        writer.submit(make_stored(f"t{i}", output=SECRET_OUTPUT))
    with caplog.at_level(logging.WARNING, logger="modelswap.store.writer"):
        await writer.start()
        await asyncio.wait_for(writer.close(), 5)
    assert trial_ids(store) == ["t0", "t1", "t2", "t3", "t4", "t6", "t7"]
    assert spy.batches == [8, 4, 4, 2, 1, 1, 2]  # halves: t0-t3 written; t4-t7 halved: t4 written, t5 refused
    assert counters(writer) == {"submitted": 8, "accepted": 8, "written": 7, "retries": 0, "reconnects": 0,
                                "buffered": 0, "dropped_by": {"bad_item": 1}}
    assert writer.store_up
    assert caplog.messages == ["store refused one observation (run 'run', trial 't5', arm 'cand', sample 0): "
                               "StoreError; dropped"]
    assert SECRET_OUTPUT not in caplog.text and "character varying" not in caplog.text


async def test_a_bug_in_the_store_is_not_swallowed(store: Store, make_stored: MakeStored) -> None:
    writer = BatchWriter(SpyStore(store, failures=[TypeError("a bug")]), flush_interval_s=60)
    await writer.start()
    writer.submit(make_stored("t1"))
    with pytest.raises(RuntimeError, match=r"^BatchWriter stopped: TypeError\('a bug'\)$"):
        await asyncio.wait_for(writer.flush(), 5)
    with pytest.raises(TypeError, match=r"^a bug$"):
        await writer.close()


async def test_a_full_buffer_while_down_drops_by_reason_and_everything_accepted_is_written_after(
        store: Store, make_stored: MakeStored) -> None:
    spy = SpyStore(store, failures=[DOWN] * 3)
    writer = BatchWriter(spy, max_batch=2, max_queue=4, flush_interval_s=0.01, retry_initial_s=0.01)
    await writer.start()
    writer.submit(make_stored("a0"))
    writer.submit(make_stored("a1"))
    await eventually(lambda: not writer.store_up)
    outcomes = [writer.submit(make_stored(f"b{i}")) for i in range(6)]
    assert outcomes == [True, True, True, True, False, False]
    await asyncio.wait_for(writer.close(), 5)
    assert sorted(trial_ids(store)) == ["a0", "a1", "b0", "b1", "b2", "b3"]
    assert counters(writer) == {"submitted": 8, "accepted": 6, "written": 6, "retries": 3, "reconnects": 1,
                                "buffered": 0, "dropped_by": {"queue_full": 2}}


async def test_close_while_down_gives_up_after_close_timeout_and_counts_what_is_left(
        store: Store, make_stored: MakeStored, caplog: pytest.LogCaptureFixture) -> None:
    spy = SpyStore(store, failures=[DOWN] * 10_000)
    writer = BatchWriter(spy, max_batch=2, flush_interval_s=0.01, retry_initial_s=0.01, close_timeout_s=0.2)
    await writer.start()
    for i in range(5):
        writer.submit(make_stored(f"t{i}"))
    await eventually(lambda: not writer.store_up)
    with caplog.at_level(logging.WARNING, logger="modelswap.store.writer"):
        await asyncio.wait_for(writer.close(), 10)
    assert trial_ids(store) == []
    assert counters(writer) | {"retries": "n"} == {"submitted": 5, "accepted": 5, "written": 0, "retries": "n",
                                                   "reconnects": 0, "buffered": 0,
                                                   "dropped_by": {"unwritten_at_close": 5}}
    assert caplog.messages[1:] == ["store SpyStore still unavailable 0.2 s after close: 5 observation(s) were not "
                                   "written"]


# --- the spill -----------------------------------------------------------------------------------------------------

async def test_while_down_the_queue_goes_to_the_spill_and_comes_back_first_in_order(
        store: Store, make_stored: MakeStored, tmp_path: Path) -> None:
    spy = SpyStore(store, failures=[DOWN] * 1_000)
    writer = BatchWriter(spy, max_batch=2, max_queue=3, flush_interval_s=0.01, retry_initial_s=0.01,
                         retry_max_s=0.02, spill_dir=tmp_path / "spill")
    await writer.start()
    for i in range(12):  # three times what memory may queue: the spill makes room
        await eventually(lambda: writer.pending < 3)
        assert writer.submit(make_stored(f"t{i:02d}", output="ünïcode 東京 \x00"))
    await eventually(lambda: writer.buffered == 12 and writer.pending == 0)
    assert writer.spilled >= 10 and adds_up(writer)  # all but the batch in hand (one or two)
    files = list((tmp_path / "spill").glob("observation-*.jsonl"))
    assert len(files) == 1 and len(files[0].read_bytes().splitlines()) == writer.spilled
    spy.failures.clear()
    await asyncio.wait_for(writer.flush(), 10)
    stored = store.observations("run")
    assert [s.key.trial_id for s in stored] == [f"t{i:02d}" for i in range(12)]
    assert stored[11].observation.output == "ünïcode 東京 \ufffd"
    assert (writer.spilled, files[0].read_bytes(), writer.dropped) == (0, b"", 0)
    await writer.close()
    assert list((tmp_path / "spill").iterdir()) == []  # an empty spill file is removed on close


async def test_what_arrives_during_a_slow_spill_append_finds_room(
        store: Store, make_stored: MakeStored, tmp_path: Path) -> None:
    spy = SpyStore(store, failures=[DOWN] * 1_000)
    writer = BatchWriter(spy, max_batch=1, max_queue=4, flush_interval_s=0.01, retry_initial_s=0.01,
                         retry_max_s=0.02, spill_dir=tmp_path / "spill")
    gate, appending = threading.Event(), threading.Event()
    append = writer._append_to_spill

    def slow_append(items: list[Any]) -> int:  # an fsynced append on a busy disk
        appending.set()
        gate.wait(10)
        return append(items)

    writer._append_to_spill = slow_append  # type: ignore[method-assign]
    await writer.start()
    for i in range(3):
        assert writer.submit(make_stored(f"a{i}"))
    await eventually(appending.is_set)
    assert [writer.submit(make_stored(f"b{i}")) for i in range(4)] == [True] * 4  # the queue emptied as it started
    gate.set()
    spy.failures.clear()
    await asyncio.wait_for(writer.flush(), 10)
    await writer.close()
    assert (sorted(trial_ids(store)), writer.dropped) == (sorted([*(f"a{i}" for i in range(3)),
                                                                  *(f"b{i}" for i in range(4))]), 0)


async def test_close_while_down_spills_everything_and_the_next_writer_writes_it(
        store_url: str, make_stored: MakeStored, tmp_path: Path) -> None:
    spill_dir = tmp_path / "spill"
    with open_store(store_url) as first_store:
        spy = SpyStore(first_store, failures=[DOWN] * 1_000)
        first = BatchWriter(spy, max_batch=4, flush_interval_s=0.01, retry_initial_s=0.01, spill_dir=spill_dir)
        await first.start()
        for i in range(9):
            first.submit(make_stored(f"t{i}"))
        await eventually(lambda: not first.store_up)
        await asyncio.wait_for(first.close(), 10)
        assert (first.written, first.spilled, first.dropped) == (0, 9, 0) and adds_up(first)
    with open_store(store_url) as second_store:
        second = BatchWriter(second_store, spill_dir=spill_dir)
        await second.start()
        assert second.restored == 9
        await asyncio.wait_for(second.flush(), 10)
        await second.close()
        assert sorted(trial_ids(second_store)) == [f"t{i}" for i in range(9)]
        assert (second.written, second.accepted, second.buffered) == (9, 0, 0) and adds_up(second)
    assert list(spill_dir.iterdir()) == []


async def test_requests_survive_the_spill_and_keep_their_order(store: Store, tmp_path: Path) -> None:
    spy = SpyStore(store, failures=[DOWN] * 1_000)
    writer = RequestWriter(spy, max_batch=2, flush_interval_s=0.01, retry_initial_s=0.01, spill_dir=tmp_path / "s")
    await writer.start()
    rich = ChatRequest(id="r-ja", messages=({"role": "user", "content": [{"type": "text", "text": "東京"}]},),
                       params={"temperature": 0.2}, category="日本語", expect={"language": "ja"})
    items = [("a", request("a0")), ("b", request("b0")), ("a", rich), ("a", request("a2"))]
    for item in items:
        writer.submit(item)
    await eventually(lambda: writer.spilled == 2)
    spy.failures.clear()
    await asyncio.wait_for(writer.close(), 10)
    assert store.requests("a") == [request("a0"), rich, request("a2")]
    assert store.requests("b") == [request("b0")]


async def test_an_unreadable_spill_line_is_counted_and_the_rest_restored(
        store: Store, make_stored: MakeStored, tmp_path: Path) -> None:
    writer = BatchWriter(store, spill_dir=tmp_path / "spill")
    good = writer._encode(make_stored("ok"))
    (tmp_path / "spill").mkdir()
    (tmp_path / "spill" / "observation-1-dead.jsonl").write_bytes(b'{"not": "a row"}\n' + good + b"\n" + good[:20])
    await writer.start()
    await asyncio.wait_for(writer.close(), 10)
    assert trial_ids(store) == ["ok"]
    assert (writer.restored, writer.written, writer.dropped_by["spill_unreadable"]) == (3, 1, 2)
    assert adds_up(writer) and list((tmp_path / "spill").iterdir()) == []


async def test_two_live_writers_on_one_spill_directory_keep_to_their_own_files(
        store: Store, make_stored: MakeStored, tmp_path: Path) -> None:
    spy = SpyStore(store, failures=[DOWN] * 1_000)
    first = BatchWriter(spy, max_batch=1, flush_interval_s=0.01, retry_initial_s=0.01, spill_dir=tmp_path / "s")
    await first.start()
    for i in range(3):
        first.submit(make_stored(f"t{i}"))
    await eventually(lambda: first.spilled == 2)
    second = BatchWriter(store, spill_dir=tmp_path / "s")
    await second.start()
    assert second.restored == 0  # the first writer's file is locked: not an orphan
    spy.failures.clear()
    # the store is back: the first writer writes its own spill (closing now would race a write still in flight
    # against the store that was down, and a close while the store is down spills at once, by design)
    await eventually(lambda: first.written == 3)
    await asyncio.wait_for(first.close(), 10)
    await second.close()
    assert (trial_ids(store), second.written) == (["t0", "t1", "t2"], 0)


async def test_an_unusable_spill_directory_is_a_clear_error(store: Store, tmp_path: Path) -> None:
    (tmp_path / "file").write_text("")
    writer = BatchWriter(store, spill_dir=tmp_path / "file" / "spill")
    with pytest.raises(StoreError, match=r"^spill directory '.*/file/spill': Not a directory$"):
        await writer.start()


# --- odds and ends -------------------------------------------------------------------------------------------------

async def test_flush_without_start_is_an_error_when_something_waits(store: Store, make_stored: MakeStored) -> None:
    writer = BatchWriter(store)
    await writer.flush()  # nothing submitted: nothing to wait for
    writer.submit(make_stored("t1"))
    with pytest.raises(RuntimeError, match="the writer is not running; call start"):
        await writer.flush()


def test_invalid_settings_are_refused(store: Store) -> None:
    for options in ({"max_batch": 0}, {"max_queue": 0}, {"max_bytes": 0}, {"spill_max_bytes": 0}):
        with pytest.raises(ValueError, match=r"^max_batch, max_queue, max_bytes and spill_max_bytes must be at least"):
            BatchWriter(store, **options)  # type: ignore[arg-type]
    for options in ({"flush_interval_s": 0}, {"retry_initial_s": 0}, {"close_timeout_s": 0},
                    {"retry_initial_s": 1.0, "retry_max_s": 0.5}):
        with pytest.raises(ValueError, match=r"must be above 0, and retry_max_s at least retry_initial_s$"):
            BatchWriter(store, **options)  # type: ignore[arg-type]


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


def test_json_size_counts_text_and_a_little_per_value() -> None:
    assert json_size("abc") == 5
    assert json_size({"k": "v", "n": 1}) == 2 + (1 + 4) * 2 + 3 + 8
    assert json_size([{"type": "text", "text": "x" * 100}]) == 2 + 1 + 2 + (4 + 4) + (4 + 4) + 6 + 102
    deep: object = "leaf"
    for _ in range(10_000):  # no recursion: a deeply nested body cannot crash the request path
        deep = [deep]
    assert json_size(deep) == 10_000 * 3 + 6
    assert set(DROP_REASONS) == {"queue_full", "byte_cap", "closed", "bad_item", "unwritten_at_close",
                                 "spill_unreadable"}


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
    assert counters(writer) == {"submitted": 5, "accepted": 5, "written": 5, "retries": 0, "reconnects": 0,
                                "buffered": 0, "dropped_by": {}}


async def test_request_writer_writes_a_batch_again_after_an_outage_without_duplicates(
        store: Store, caplog: pytest.LogCaptureFixture) -> None:
    spy = SpyStore(store, failures=[StoreUnavailable("store x: save requests: connection refused")] * 2)
    writer = RequestWriter(spy, max_batch=10, flush_interval_s=60, retry_initial_s=0.01)
    writer.submit(("a", request("a0")))
    writer.submit(("b", request("b0")))
    with caplog.at_level(logging.WARNING, logger="modelswap.store.writer"):
        await writer.start()
        await asyncio.wait_for(writer.close(), 5)
    assert caplog.messages[0] == ("store unavailable (store x: save requests: connection refused); keeping 2 "
                                  "request(s) buffered and retrying every 2 s at most")
    assert [r.id for r in store.requests("a")] + [r.id for r in store.requests("b")] == ["a0", "b0"]
    assert (writer.written, writer.retries, writer.reconnects, writer.dropped) == (2, 2, 1, 0)
    assert "question" not in caplog.text
