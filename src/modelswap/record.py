"""Record: run traffic through one arm and store one observation per request and sample.

What it is: the bounded-concurrency loop behind ``modelswap record``. It is resumable
(requests already stored for the run, arm and sample are skipped), derives a seed per
(run, request, sample) so repeated samples are independent draws, and stores through the one
recorder (``modelswap.recording``: redacted as ``redactor`` says, observations written behind)
so an interrupt leaves every finished observation stored.
What it is not: the CLI (``modelswap.cli``) nor comparison, nor replaying conversations turn by turn
(``modelswap.handoff``, which records through ``record_jobs``).

Sample 0 of an arm takes the arm's role; with ``repeat >= 2`` on the primary, samples 1
and up are stored with role ``replica``: the noise floor the comparison subtracts.
"""

from __future__ import annotations

import asyncio
import dataclasses
import hashlib
import time
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass

from modelswap.backends.base import Backend
from modelswap.recording import Recorder
from modelswap.redact import Redactor
from modelswap.store.base import Store
from modelswap.types import ChatRequest, ObservationKey, Role, StoredObservation

Progress = Callable[[StoredObservation], None]


@dataclass(frozen=True, kw_only=True, slots=True)
class RecordResult:
    """What one ``record`` call did."""

    run: str
    arm: str
    planned: int
    already_recorded: int
    recorded: int
    errors: int
    elapsed_s: float
    blocked: int = 0
    """``record --handoff``: turns not recorded because an earlier answer they build on is missing or failed."""

    @property
    def complete(self) -> bool:
        return self.recorded == self.planned


def derive_seed(run: str, trial_id: str, sample: int, arm: str = "") -> int:
    """A 31-bit seed from (run, request, sample, arm): stable across reruns, independent across samples
    and arms (two arms serving the same model sample independently, as a primary and its A/A twin must)."""
    digest = hashlib.blake2b(f"{run}\x00{trial_id}\x00{sample}\x00{arm}".encode(), digest_size=8).digest()
    return int.from_bytes(digest, "big") & 0x7FFF_FFFF


def role_of_sample(role: Role, sample: int) -> Role:
    """Samples after the first of the primary are its replica."""
    return "replica" if sample > 0 and role == "primary" else role


def seeded(request: ChatRequest, *, run: str, sample: int, arm: str = "") -> ChatRequest:
    """The request with a derived ``seed`` unless the traffic pinned one."""
    if "seed" in request.params:
        return request
    params = {**request.params, "seed": derive_seed(run, request.id, sample, arm)}
    return dataclasses.replace(request, params=params)


def plan(requests: Sequence[ChatRequest], *, repeat: int, done: set[tuple[str, int]]
         ) -> list[tuple[ChatRequest, int]]:
    """The (request, sample) pairs still to record, in traffic order."""
    return [(r, s) for r in requests for s in range(repeat) if (r.id, s) not in done]


async def record(requests: Sequence[ChatRequest], backend: Backend, store: Store, *, run: str, role: Role,
                 repeat: int = 1, concurrency: int = 8, retry_errors: bool = False,
                 on_observation: Progress | None = None, on_plan: Callable[[int, int], None] | None = None,
                 redactor: Redactor | None = None) -> RecordResult:
    """Record ``requests`` through ``backend`` into ``store``; safe to interrupt and rerun.

    ``redactor`` rewrites what is stored (the configuration's ``redact:`` rules); the arm's own
    key is always removed.
    """
    if repeat < 1 or concurrency < 1:
        raise ValueError("repeat and concurrency must be at least 1")
    started = time.perf_counter()
    recorder = Recorder(store, redactor=(redactor or Redactor()).with_secrets(backend.secrets))
    await recorder.save_requests(run, requests)
    done = await asyncio.to_thread(store.recorded_keys, run, backend.arm, include_errors=not retry_errors)
    todo = plan(requests, repeat=repeat, done=done)
    if on_plan is not None:
        on_plan(len(requests) * repeat, len(todo))
    counts = {"recorded": 0, "errors": 0}
    await recorder.start()
    try:
        await record_jobs(todo, backend, recorder, run=run, role=role, concurrency=concurrency, counts=counts,
                          on_observation=on_observation)
    finally:
        await recorder.close()
    return RecordResult(run=run, arm=backend.arm, planned=len(todo),
                        already_recorded=len(requests) * repeat - len(todo),
                        recorded=counts["recorded"], errors=counts["errors"],
                        elapsed_s=time.perf_counter() - started)


async def record_jobs(todo: Sequence[tuple[ChatRequest, int]], backend: Backend, recorder: Recorder, *, run: str,
                      role: Role, concurrency: int, counts: dict[str, int], on_observation: Progress | None) -> None:
    """Record every (request, sample) of ``todo`` through ``backend``, ``concurrency`` at a time, into the started
    ``recorder``; ``counts`` gains ``recorded`` and ``errors``."""
    jobs = iter(todo)
    workers = [asyncio.create_task(_work(jobs, backend, recorder, run, role, counts, on_observation))
               for _ in range(min(concurrency, len(todo)))]
    try:
        await asyncio.gather(*workers)
    finally:
        for worker in workers:
            worker.cancel()
        await asyncio.gather(*workers, return_exceptions=True)


async def _work(jobs: Iterator[tuple[ChatRequest, int]], backend: Backend, recorder: Recorder, run: str,
                role: Role, counts: dict[str, int], on_observation: Progress | None) -> None:
    for request, sample in jobs:
        observation = await backend.complete(seeded(request, run=run, sample=sample, arm=backend.arm))
        key = ObservationKey(run=run, trial_id=request.id, arm=backend.arm, sample=sample)
        stored = await recorder.put_observation(key, role_of_sample(role, sample), observation)
        counts["recorded"] += 1
        counts["errors"] += observation.error is not None
        if on_observation is not None:
            on_observation(stored)
