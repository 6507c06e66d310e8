"""The write-behind writers against a real store that goes away under load and comes back.

PostgreSQL: the real server at 127.0.0.1:5432, reached through a TCP proxy (``tcp_proxy.py``) that
the test cuts (every connection closed, new ones refused) and restores; the server itself is never
stopped. SQLite: the real file made unwritable (its WAL file immutable, as root), or its write lock
held by another connection past the busy timeout.

Every test submits observations and requests at a steady pace before, during and after the outage,
waits (on conditions, with generous timeouts: no wall-clock bound is asserted) until the writers say
the store is down, and again until everything accepted is written, then reads the store back: every
accepted item is stored exactly once, nothing refused is stored, and the counters add up
(``submitted == written + dropped``, each drop with its reason).
"""

from __future__ import annotations

import asyncio
import os
import shutil
import sqlite3
import subprocess
from collections.abc import Callable, Iterator
from contextlib import AbstractContextManager, contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest

from modelswap.store import Store, open_store
from modelswap.store.sqlite import SQLiteStore
from modelswap.store.writer import BatchWriter, RequestWriter, WriteBehind
from modelswap.types import ChatRequest, StoredObservation
from tcp_proxy import TcpProxy

MakeStored = Callable[..., StoredObservation]
PER_PHASE = 120  # items submitted before, during (twice: before and after the writers notice) and after an outage
PACE_S = 0.002
TIMEOUT_S = 120.0


async def eventually(condition: Callable[[], bool], timeout_s: float = TIMEOUT_S) -> None:
    async with asyncio.timeout(timeout_s):
        while not condition():
            await asyncio.sleep(0.01)


@dataclass
class Load:
    """Two writers on one store, as the gateway's recorder has them, and what each accepted."""

    observations: BatchWriter
    requests: RequestWriter
    make_stored: MakeStored
    accepted_observations: list[str] = field(default_factory=list)
    accepted_requests: list[str] = field(default_factory=list)
    submitted: int = 0
    spilled_seen: int = 0

    @property
    def writers(self) -> tuple[WriteBehind[Any], ...]:
        return self.observations, self.requests

    async def phase(self, name: str) -> None:
        """``PER_PHASE`` trials at a steady pace: a request and an observation each."""
        for i in range(PER_PHASE):
            trial = f"{name}-{i:03d}"
            if self.requests.submit(("run", ChatRequest(id=trial, messages=({"role": "user", "content": trial},)))):
                self.accepted_requests.append(trial)
            if self.observations.submit(self.make_stored(trial, output=f"answer {trial}")):
                self.accepted_observations.append(trial)
            self.submitted += 1
            self.spilled_seen = max(self.spilled_seen, self.observations.spilled)
            await asyncio.sleep(PACE_S)

    async def through(self, outage: AbstractContextManager[Any]) -> None:
        """Load before, during and after ``outage``; then wait until everything accepted is written."""
        for writer in self.writers:
            await writer.start()
        await self.phase("before")
        with outage:
            await self.phase("cut")
            await eventually(lambda: not any(writer.store_up for writer in self.writers))
            await self.phase("down")
        await self.phase("after")
        for writer in self.writers:
            await asyncio.wait_for(writer.flush(), TIMEOUT_S)
            await writer.close()

    def check(self, store: Store) -> None:
        """Everything accepted stored exactly once, nothing else; the counters add up."""
        stored = [s.key.trial_id for s in store.observations("run")]
        assert sorted(stored) == sorted(self.accepted_observations)
        assert len(stored) == len(set(stored))
        assert sorted(r.id for r in store.requests("run")) == sorted(self.accepted_requests)
        for writer, accepted in ((self.observations, self.accepted_observations),
                                 (self.requests, self.accepted_requests)):
            assert writer.submitted == self.submitted == 4 * PER_PHASE
            assert (writer.accepted, writer.written, writer.buffered) == (len(accepted),) * 2 + (0,)
            assert writer.submitted == writer.written + writer.dropped
            assert writer.dropped == writer.dropped_by["queue_full"]
            assert writer.retries >= 1 and writer.reconnects >= 1 and writer.store_up


def writers(store: Store, *, max_queue: int, spill_dir: Path | None) -> tuple[BatchWriter, RequestWriter]:
    options: dict[str, Any] = {"max_batch": 20, "max_queue": max_queue, "flush_interval_s": 0.02,
                               "retry_max_s": 0.2, "spill_dir": spill_dir}
    return BatchWriter(store, **options), RequestWriter(store, **options)


# A small buffer holds 100 items: 0.2 s of this load (room for a slow write while the store is up), far less
# than the 240 items submitted while the store is down. With a spill it holds 200: the queue goes to the spill
# once half full, and the other half must outlast one fsynced append to the spill on a busy disk (with 100, an
# append of over 0.1 s refused 10-70 items in about one run in four); still less than the outage submits.
BUFFERS = [pytest.param(10_000, False, id="buffer-holds-it-all"),
           pytest.param(100, False, id="small-buffer-drops-and-counts"),
           pytest.param(200, True, id="small-buffer-spills")]


def check_buffer_outcome(load: Load, *, max_queue: int, spill: bool) -> None:
    if max_queue >= 10_000 or spill:
        assert (load.observations.dropped, load.requests.dropped) == (0, 0)
    else:  # the outage outlasted 100 queued items: some were refused, and only those
        assert load.observations.dropped_by["queue_full"] > 0 and load.requests.dropped_by["queue_full"] > 0
    assert (load.spilled_seen > 0) == spill


# --- PostgreSQL behind a proxy that is cut ---------------------------------------------------------------------------

@contextmanager
def cut(proxy: TcpProxy) -> Iterator[None]:
    proxy.cut()
    try:
        yield
    finally:
        proxy.restore()


@pytest.mark.postgres
@pytest.mark.parametrize(("max_queue", "spill"), BUFFERS)
async def test_postgres_cut_under_load_every_accepted_item_is_stored_once(
        postgres_schema: str, make_stored: MakeStored, tmp_path: Path, max_queue: int, spill: bool) -> None:
    with TcpProxy(5432) as proxy:
        url = f"postgresql://root@127.0.0.1:{proxy.port}/test?options=-csearch_path%3D{postgres_schema}"
        with open_store(url) as store:
            load = Load(*writers(store, max_queue=max_queue, spill_dir=tmp_path / "spill" if spill else None),
                        make_stored=make_stored)
            await load.through(cut(proxy))
            load.check(store)
            check_buffer_outcome(load, max_queue=max_queue, spill=spill)
            assert getattr(store, "reconnects", 0) >= 1  # the broken connection was replaced
            assert proxy.accepted >= 2


# --- SQLite made unwritable ------------------------------------------------------------------------------------------

def _immutable_works(directory: Path) -> str | None:
    """Why ``chattr +i`` cannot make a file unwritable here, or ``None`` if it can."""
    if shutil.which("chattr") is None or os.geteuid() != 0:
        return "making a file immutable needs chattr and root"
    probe = directory / "probe"
    probe.write_bytes(b"")
    result = subprocess.run(["chattr", "+i", str(probe)], capture_output=True, text=True, check=False)
    subprocess.run(["chattr", "-i", str(probe)], capture_output=True, check=False)
    return None if result.returncode == 0 else f"chattr +i failed here: {result.stderr.strip()}"


@contextmanager
def immutable(path: Path) -> Iterator[None]:
    """``path`` cannot be written, even by root, until the block ends (``chattr +i``)."""
    subprocess.run(["chattr", "+i", str(path)], check=True)
    try:
        yield
    finally:
        subprocess.run(["chattr", "-i", str(path)], check=True)


@pytest.mark.parametrize(("max_queue", "spill"), BUFFERS)
async def test_sqlite_unwritable_under_load_every_accepted_item_is_stored_once(
        make_stored: MakeStored, tmp_path: Path, max_queue: int, spill: bool) -> None:
    if (reason := _immutable_works(tmp_path)) is not None:
        pytest.skip(reason)
    path = tmp_path / "store.db"
    with open_store(f"sqlite:///{path}") as store:
        load = Load(*writers(store, max_queue=max_queue, spill_dir=tmp_path / "spill" if spill else None),
                    make_stored=make_stored)
        store.save_requests("warm-up", [])
        assert Path(f"{path}-wal").exists()
        await load.through(immutable(Path(f"{path}-wal")))  # writes fail: disk I/O error, then read-only on reopen
        load.check(store)
        check_buffer_outcome(load, max_queue=max_queue, spill=spill)
        assert getattr(store, "reconnects", 0) >= 1


@contextmanager
def write_lock_held(path: Path) -> Iterator[None]:
    """Another connection holds the database's write lock until the block ends."""
    other = sqlite3.connect(path, isolation_level=None)
    other.execute("BEGIN IMMEDIATE")
    try:
        yield
    finally:
        other.execute("ROLLBACK")
        other.close()


async def test_sqlite_locked_past_the_busy_timeout_every_accepted_item_is_stored_once(
        make_stored: MakeStored, tmp_path: Path) -> None:
    path = tmp_path / "store.db"
    with SQLiteStore(str(path), busy_timeout_s=0.05) as store:
        load = Load(*writers(store, max_queue=10_000, spill_dir=None), make_stored=make_stored)
        await load.through(write_lock_held(path))
        load.check(store)
        assert (load.observations.dropped, load.requests.dropped) == (0, 0)
