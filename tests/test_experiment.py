"""Experiments on plain functions: the control's result always comes back; both sides are stored."""

from __future__ import annotations

import asyncio
from pathlib import Path

import pytest

import modelswap
from modelswap.compare.source import trials_from_store
from modelswap.store import open_store
from modelswap.types import ChatRequest, StoredObservation


def stored(url: str, run: str = "capital") -> list[StoredObservation]:
    with open_store(url) as store:
        return store.observations(run)


def boom() -> str:
    raise ValueError("candidate exploded")


def test_run_returns_the_control_and_records_both_sides(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'exp.db'}"
    with modelswap.Experiment("capital", store_url=url) as experiment:
        results = [experiment.run(lambda: "Paris", lambda: "paris", request=f"capital of France? {i}")
                   for i in range(3)]
    assert results == ["Paris"] * 3
    observations = stored(url)
    control = [s for s in observations if s.key.arm == "control"]
    candidate = [s for s in observations if s.key.arm == "candidate"]
    assert [(s.role, s.observation.output) for s in control] == [("primary", "Paris")] * 3
    assert [(s.role, s.observation.output) for s in candidate] == [("candidate", "paris")] * 3
    assert {s.key.trial_id for s in control} == {s.key.trial_id for s in candidate}
    with open_store(url) as store:
        paired = trials_from_store(store, run="capital", baseline="control", candidate="candidate")
        assert [r.messages[0]["content"] for r in store.requests("capital")] == [
            f"capital of France? {i}" for i in range(3)]
    assert len(paired.trials) == 3


def test_a_raising_candidate_never_reaches_the_caller_and_is_recorded(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'exp.db'}"
    request = ChatRequest(id="ignored", messages=({"role": "user", "content": "hi"},), category="greeting")
    with modelswap.Experiment("capital", store_url=url) as experiment:
        assert experiment.run(lambda: "Paris", boom, request=request) == "Paris"
    [control, candidate] = sorted(stored(url), key=lambda s: s.key.arm == "candidate")
    assert control.observation.output == "Paris" and control.observation.ok
    assert candidate.observation.error is not None
    assert (candidate.observation.error.kind, candidate.observation.error.message) == (
        "backend", "ValueError: candidate exploded")
    assert candidate.key.trial_id == control.key.trial_id != "ignored"


def test_a_raising_control_raises_as_without_the_experiment_and_both_are_recorded(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'exp.db'}"
    with modelswap.Experiment("capital", store_url=url) as experiment, pytest.raises(ValueError, match="exploded"):
        experiment.run(boom, lambda: "Paris", request="hi")
    by_arm = {s.key.arm: s.observation for s in stored(url)}
    assert by_arm["control"].error is not None and by_arm["control"].error.kind == "backend"
    assert by_arm["candidate"].output == "Paris"


def test_sample_rate_zero_runs_only_the_control(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'exp.db'}"
    calls: list[str] = []
    with modelswap.Experiment("capital", store_url=url, sample_rate=0.0) as experiment:
        assert experiment.run(lambda: "Paris", lambda: calls.append("candidate") or "x", request="hi") == "Paris"
    assert calls == []
    with open_store(url) as store:
        assert store.runs() == []


async def test_arun_returns_the_control_while_a_slow_or_failing_candidate_is_recorded(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'exp.db'}"
    release = asyncio.Event()

    async def control() -> str:
        return "Paris"

    async def slow() -> str:
        await release.wait()
        return "paris"

    async def failing() -> str:
        raise RuntimeError("no answer")

    async with modelswap.Experiment("capital", store_url=url) as experiment:
        assert await experiment.arun(control, slow, request="slow") == "Paris"
        assert await experiment.arun(control, failing, request="failing") == "Paris"
        release.set()
    observations = stored(url)
    candidates = {(s.observation.output, s.observation.error.message if s.observation.error else None)
                  for s in observations if s.key.arm == "candidate"}
    assert candidates == {(None, "RuntimeError: no answer"), ("paris", None)}
    assert sum(s.key.arm == "control" for s in observations) == 2
