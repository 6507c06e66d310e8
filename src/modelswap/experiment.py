"""Experiments on any function, in the spirit of GitHub's Scientist: control versus candidate.

What it is: ``Experiment(name, store_url=...)`` (or ``config=``: a configuration, whose store and
``redact:`` rules it then uses). ``run(control, candidate, request=...)`` calls
``control`` and returns its result (or raises its exception) as if the experiment were not
there; the candidate runs after it on a background thread, so a slow or raising candidate never
reaches the caller. ``arun`` is the async variant: both start together and the control's result
is returned as soon as it is ready. Each run is one trial of the run ``name``: the request, the
control's observation (arm ``control``, role ``primary``) and the candidate's (arm ``candidate``,
role ``candidate``) with output, latency and errors (``ErrorInfo`` of kind ``backend``), written
behind through the one recorder, which applies the configuration's redaction to everything it
stores. ``modelswap compare --run NAME --baseline control --candidate candidate`` compares them
like any other trials.

What it is not: a comparison on the request path (nothing is compared here), nor a timeout for the
candidate: a candidate still running at ``close`` is waited for ``grace_s`` and then recorded as
a timeout.
"""

from __future__ import annotations

import asyncio
import dataclasses
import random
import time
import uuid
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any, TypeVar

from modelswap.config import Settings, load_settings
from modelswap.inprocess.background import Background
from modelswap.recording import redactor_for
from modelswap.store import open_store
from modelswap.types import ChatRequest, ErrorInfo, Observation, ObservationKey, Role

T = TypeVar("T")
CONTROL = "control"
CANDIDATE = "candidate"


class Experiment:
    """Control versus candidate for any function, recorded as trials of run ``name``; ``close`` to flush."""

    def __init__(self, name: str, *, store_url: str | None = None, config: Settings | str | Path | None = None,
                 sample_rate: float = 1.0, grace_s: float = 10.0, rng: random.Random | None = None) -> None:
        if not 0.0 <= sample_rate <= 1.0:
            raise ValueError(f"sample_rate={sample_rate}: must be between 0 and 1")
        settings = config if isinstance(config, Settings) or config is None else load_settings(config)
        url = store_url or (settings.store if settings is not None else None)
        if url is None:
            raise ValueError("give store_url, or a config whose store to use")
        self.name = name
        self.sample_rate = sample_rate
        self.grace_s = grace_s
        self._rng = rng or random.Random()
        self._background = Background(open_store(url), name=f"experiment-{name}", redactor=redactor_for(settings))
        self._running: set[asyncio.Task[Any]] = set()  # candidates on the background loop
        self._pending: set[asyncio.Task[Any]] = set()  # candidates of ``arun`` on the caller's loop

    def run(self, control: Callable[[], T], candidate: Callable[[], object], *, request: ChatRequest | str) -> T:
        """Return ``control()`` (or raise what it raised); run ``candidate`` after it, in the background."""
        if not self._sampled():
            return control()
        trial = _request(request)
        started, t0 = time.time(), time.perf_counter()
        try:
            result = control()
        except Exception as exc:
            self._record(trial, _failed(CONTROL, exc, started, t0), role="primary")
            self._background.submit(self._candidate_in_thread(trial, candidate))
            raise
        self._record(trial, _answered(CONTROL, result, started, t0), role="primary")
        self._background.submit(self._candidate_in_thread(trial, candidate))
        return result

    async def arun(self, control: Callable[[], Awaitable[T]], candidate: Callable[[], Awaitable[object]], *,
                   request: ChatRequest | str) -> T:
        """Start both; return the control's result when ready. The candidate finishes (and is recorded) later."""
        if not self._sampled():
            return await control()
        trial = _request(request)
        task = asyncio.ensure_future(self._acandidate(trial, candidate))
        self._pending.add(task)
        task.add_done_callback(self._pending.discard)
        started, t0 = time.time(), time.perf_counter()
        try:
            result = await control()
        except Exception as exc:
            self._record(trial, _failed(CONTROL, exc, started, t0), role="primary")
            raise
        self._record(trial, _answered(CONTROL, result, started, t0), role="primary")
        return result

    def close(self) -> None:
        """Wait up to ``grace_s`` for running candidates of ``run``, then write everything and stop."""
        self._background.close(self._stop)

    async def aclose(self) -> None:
        """Wait up to ``grace_s`` for the candidates of ``arun`` too, then ``close`` without blocking the loop."""
        await _wait_or_cancel(self._pending, grace_s=self.grace_s)
        await asyncio.to_thread(self.close)

    def __enter__(self) -> Experiment:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    async def __aenter__(self) -> Experiment:
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.aclose()

    def _sampled(self) -> bool:
        return not self._background.closed and self._rng.random() < self.sample_rate

    def _record(self, trial: ChatRequest, observation: Observation, *, role: Role) -> None:
        """Queue the trial's request (once, with the control) and ``observation`` on the background loop."""
        recorder = self._background.recorder
        if role == "primary":
            self._background.call(recorder.request, self.name, trial)
        self._background.call(recorder.observation, self._key(trial, observation), role, observation)

    async def _candidate_in_thread(self, trial: ChatRequest, candidate: Callable[[], object]) -> None:
        task = asyncio.current_task()
        if task is not None:
            self._running.add(task)
        started, t0 = time.time(), time.perf_counter()
        try:
            observation = await asyncio.to_thread(_observe, candidate)
        except asyncio.CancelledError:
            cancelled = _cancelled(started, t0)
            self._background.recorder.observation(self._key(trial, cancelled), "candidate", cancelled)
            raise
        finally:
            if task is not None:
                self._running.discard(task)
        self._background.recorder.observation(self._key(trial, observation), "candidate", observation)

    def _key(self, trial: ChatRequest, observation: Observation) -> ObservationKey:
        return ObservationKey(run=self.name, trial_id=trial.id, arm=observation.arm)

    async def _acandidate(self, trial: ChatRequest, candidate: Callable[[], Awaitable[object]]) -> None:
        started, t0 = time.time(), time.perf_counter()
        try:
            result = await candidate()
        except asyncio.CancelledError:
            self._record(trial, _cancelled(started, t0), role="candidate")
            raise
        except Exception as exc:  # noqa: BLE001 - the candidate's failure is data, never the caller's
            self._record(trial, _failed(CANDIDATE, exc, started, t0), role="candidate")
            return
        self._record(trial, _answered(CANDIDATE, result, started, t0), role="candidate")

    async def _stop(self) -> None:
        await _wait_or_cancel(self._running, grace_s=self.grace_s)


async def _wait_or_cancel(tasks: set[asyncio.Task[Any]], *, grace_s: float) -> None:
    """Wait up to ``grace_s`` for ``tasks``, then cancel those still running (each records itself as cancelled)."""
    if tasks:
        _, late = await asyncio.wait(set(tasks), timeout=grace_s)
        for task in late:
            task.cancel()
        await asyncio.gather(*late, return_exceptions=True)


def _request(request: ChatRequest | str) -> ChatRequest:
    """The trial's request under a fresh trial id (one run of the experiment is one trial)."""
    trial_id = uuid.uuid4().hex
    if isinstance(request, str):
        return ChatRequest(id=trial_id, messages=({"role": "user", "content": request},))
    return dataclasses.replace(request, id=trial_id)


def _observe(candidate: Callable[[], object]) -> Observation:
    started, t0 = time.time(), time.perf_counter()
    try:
        result = candidate()
    except Exception as exc:  # noqa: BLE001 - the candidate's failure is data, never the caller's
        return _failed(CANDIDATE, exc, started, t0)
    return _answered(CANDIDATE, result, started, t0)


def _answered(arm: str, result: object, started: float, t0: float) -> Observation:
    return Observation(arm=arm, model=arm, output=result if isinstance(result, str) else repr(result),
                       finish_reason="stop", latency_ms=(time.perf_counter() - t0) * 1000, started_at=started)


def _failed(arm: str, exc: BaseException, started: float, t0: float) -> Observation:
    return Observation(arm=arm, model=arm, error=ErrorInfo(kind="backend", message=f"{type(exc).__name__}: {exc}"),
                       latency_ms=(time.perf_counter() - t0) * 1000, started_at=started)


def _cancelled(started: float, t0: float) -> Observation:
    error = ErrorInfo(kind="timeout", message="the candidate was still running when the experiment closed")
    return Observation(arm=CANDIDATE, model=CANDIDATE, error=error, latency_ms=(time.perf_counter() - t0) * 1000,
                       started_at=started)
