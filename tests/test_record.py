"""record: every request once per sample, resumable, bounded, errors as data."""

from __future__ import annotations

import asyncio

import pytest

from modelswap.backends.base import FunctionBackend
from modelswap.record import derive_seed, record
from modelswap.store import open_store
from modelswap.store.base import Store
from modelswap.types import ChatRequest


def requests(n: int) -> list[ChatRequest]:
    return [ChatRequest(id=f"r{i:02d}", messages=({"role": "user", "content": f"question {i}"},), category="c")
            for i in range(n)]


@pytest.fixture
def sqlite(tmp_path) -> Store:  # type: ignore[no-untyped-def]
    store = open_store(f"sqlite:///{tmp_path / 'm.db'}")
    yield store
    store.close()


async def test_records_each_request_with_a_derived_seed(sqlite: Store) -> None:
    backend = FunctionBackend(lambda r: f"answer to {r.messages[0]['content']}", arm="a")
    result = await record(requests(5), backend, sqlite, run="r", role="candidate", concurrency=2)
    assert (result.planned, result.recorded, result.errors, result.already_recorded) == (5, 5, 0, 0)
    stored = sqlite.observations("r")
    assert [s.key.trial_id for s in stored] == ["r00", "r01", "r02", "r03", "r04"]
    assert stored[3].observation.output == "answer to question 3"
    assert stored[3].role == "candidate"
    assert stored[3].observation.params == {"seed": derive_seed("r", "r03", 0, "a")}
    assert [r.id for r in sqlite.requests("r")] == ["r00", "r01", "r02", "r03", "r04"]


async def test_repeat_on_the_primary_records_the_replica_with_its_own_seed(sqlite: Store) -> None:
    seeds: list[tuple[str, int]] = []
    backend = FunctionBackend(lambda r: seeds.append((r.id, r.params["seed"])) or "x", arm="p")
    await record(requests(3), backend, sqlite, run="r", role="primary", repeat=2)
    stored = sqlite.observations("r", arm="p")
    assert [(s.key.trial_id, s.key.sample, s.role) for s in stored] == [
        ("r00", 0, "primary"), ("r00", 1, "replica"), ("r01", 0, "primary"), ("r01", 1, "replica"),
        ("r02", 0, "primary"), ("r02", 1, "replica")]
    assert len({seed for _, seed in seeds}) == 6
    assert derive_seed("r", "r00", 0) != derive_seed("r", "r00", 1) != derive_seed("other", "r00", 1)
    assert derive_seed("r", "r00", 0, "p") != derive_seed("r", "r00", 0, "twin")


async def test_a_pinned_seed_is_kept(sqlite: Store) -> None:
    pinned = ChatRequest(id="p", messages=({"role": "user", "content": "x"},), params={"seed": 7})
    backend = FunctionBackend(lambda r: str(r.params["seed"]), arm="a")
    await record([pinned], backend, sqlite, run="r", role="candidate")
    assert sqlite.observations("r")[0].observation.output == "7"


async def test_interrupted_run_keeps_what_finished_and_resumes_the_rest(sqlite: Store) -> None:
    calls = 0
    five_done = asyncio.Event()
    never = asyncio.Event()

    async def stalls_after_five(request: ChatRequest) -> str:
        nonlocal calls
        calls += 1
        if calls > 5:
            await never.wait()
        return f"first {request.id}"

    def seen(_: object) -> None:
        if calls >= 5:
            five_done.set()

    task = asyncio.create_task(record(requests(12), FunctionBackend(stalls_after_five, arm="a"), sqlite, run="r",
                                      role="candidate", concurrency=3, on_observation=seen))
    await asyncio.wait_for(five_done.wait(), 5)
    task.cancel()
    with pytest.raises(asyncio.CancelledError):
        await task
    assert len(sqlite.observations("r")) == 5

    second: list[str] = []
    backend = FunctionBackend(lambda r: second.append(r.id) or f"second {r.id}", arm="a")
    result = await record(requests(12), backend, sqlite, run="r", role="candidate", concurrency=3)
    assert (result.planned, result.recorded, result.already_recorded) == (7, 7, 5)
    stored = sqlite.observations("r")
    assert len(stored) == 12
    assert sorted(second) == sorted(s.key.trial_id for s in stored if s.observation.output.startswith("second"))
    assert sum(s.observation.output.startswith("first") for s in stored) == 5


async def test_errors_are_data_and_can_be_retried(sqlite: Store) -> None:
    def flaky(request: ChatRequest) -> str:
        if request.id in {"r01", "r03"}:
            raise RuntimeError("upstream broke")
        return "ok"

    result = await record(requests(4), FunctionBackend(flaky, arm="a"), sqlite, run="r", role="candidate")
    assert (result.recorded, result.errors) == (4, 2)
    errors = [s for s in sqlite.observations("r") if s.observation.error]
    assert [(s.key.trial_id, s.observation.error.kind, s.observation.error.message) for s in errors] == [
        ("r01", "backend", "RuntimeError: upstream broke"), ("r03", "backend", "RuntimeError: upstream broke")]

    again = await record(requests(4), FunctionBackend(lambda r: "fixed", arm="a"), sqlite, run="r", role="candidate")
    assert again.planned == 0
    retried = await record(requests(4), FunctionBackend(lambda r: "fixed", arm="a"), sqlite, run="r",
                           role="candidate", retry_errors=True)
    assert (retried.planned, retried.errors) == (2, 0)
    assert [s.observation.output for s in sqlite.observations("r")] == ["ok", "fixed", "ok", "fixed"]


async def test_concurrency_is_bounded(sqlite: Store) -> None:
    in_flight = peak = 0

    async def slow(request: ChatRequest) -> str:
        nonlocal in_flight, peak
        in_flight += 1
        peak = max(peak, in_flight)
        await asyncio.sleep(0.01)
        in_flight -= 1
        return "x"

    await record(requests(30), FunctionBackend(slow, arm="a"), sqlite, run="r", role="candidate", concurrency=4)
    assert peak == 4


async def test_invalid_counts_are_rejected(sqlite: Store) -> None:
    with pytest.raises(ValueError, match="repeat and concurrency must be at least 1"):
        await record(requests(1), FunctionBackend(lambda r: "x"), sqlite, run="r", role="primary", repeat=0)
