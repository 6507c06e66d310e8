"""In-process shadowing: a real OpenAI client against the simulator over HTTP, sim arms as candidates.

No timing is asserted: only returned objects, counts and stored contents. A hanging candidate
hangs 5 s while the shadow deadline is 0.3 s, so no test waits on a hang.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import openai
import pytest

import modelswap
from modelswap.compare.source import trials_from_store
from modelswap.config import Settings
from modelswap.serving import running_server
from modelswap.sim.server import create_sim_app
from modelswap.store import open_store
from modelswap.types import StoredObservation

N = 5


@pytest.fixture(scope="module")
def primary_url() -> Iterator[str]:
    with running_server(create_sim_app(seed=3, model="sim-a")) as url:
        yield url


def settings_for(primary_url: str, store: str, *, quirks: dict[str, Any] | None = None, **shadow: Any) -> Settings:
    arms: dict[str, Any] = {
        "primary": {"backend": "openai", "base_url": f"{primary_url}/v1", "model": "sim-a",
                    "price": {"input_per_mtok": 1.0, "output_per_mtok": 2.0}},
        "cand": {"backend": "sim", "seed": 4, "model": "sim-b", "quirks": quirks or {}},
    }
    route = {"primary": "primary", "candidates": ["cand"], "shadow": {"sample_rate": 1.0, **shadow}}
    return Settings.model_validate({"store": store, "arms": arms, "routes": {"bot": route}})


def messages(i: int) -> list[dict[str, str]]:
    return [{"role": "user", "content": f"question {i}"}]


def dump(response: Any) -> dict[str, Any]:
    body: dict[str, Any] = response.model_dump(mode="json", exclude={"created"})
    return body


def stored(url: str) -> list[StoredObservation]:
    with open_store(url) as store:
        return store.observations("bot")


def by_role(observations: list[StoredObservation], role: str) -> list[StoredObservation]:
    return [s for s in observations if s.role == role]


@pytest.mark.parametrize("quirks", [None, {"error_rate": 1.0}, {"hang_rate": 1.0, "hang_s": 5.0}],
                         ids=["healthy", "failing", "hanging"])
def test_sync_client_gets_the_primary_untouched_and_every_trial_is_stored(
        primary_url: str, tmp_path: Path, quirks: dict[str, Any] | None) -> None:
    url = f"sqlite:///{tmp_path / 'shadow.db'}"
    plain = openai.OpenAI(base_url=f"{primary_url}/v1", api_key="x", max_retries=0)
    expected = [dump(plain.chat.completions.create(model="sim-a", messages=messages(i))) for i in range(N)]  # type: ignore[arg-type]
    inner = openai.OpenAI(base_url=f"{primary_url}/v1", api_key="x", max_retries=0)
    captured: list[Any] = []
    original = inner.chat.completions.create

    def spy(**kwargs: Any) -> Any:
        captured.append(original(**kwargs))
        return captured[-1]

    inner.chat.completions.create = spy  # type: ignore[method-assign]
    with modelswap.shadow(inner, route="bot", config=settings_for(primary_url, url, quirks=quirks, timeout_s=0.3)
                          ) as client:
        got = [client.chat.completions.create(model="sim-a", messages=messages(i)) for i in range(N)]
    assert got == captured and all(a is b for a, b in zip(got, captured, strict=True))
    assert [dump(r) for r in got] == expected

    observations = stored(url)
    primaries, candidates = by_role(observations, "primary"), by_role(observations, "candidate")
    assert len(primaries) == N and len(candidates) == N
    assert {s.key.trial_id for s in primaries} == {s.key.trial_id for s in candidates}
    assert [s.observation.output for s in sorted(primaries, key=lambda s: s.observation.started_at)] == [
        r["choices"][0]["message"]["content"] for r in expected]
    assert all(s.observation.ok and s.observation.arm == "primary" for s in primaries)
    assert all(s.observation.usage is not None and s.observation.cost_usd for s in primaries)
    errors = [s.observation.error for s in candidates]
    if quirks is None:
        assert errors == [None] * N
    elif "error_rate" in quirks:
        assert [(e.kind, e.status) for e in errors if e is not None] == [("http", 500)] * N
    else:
        assert [e.kind for e in errors if e is not None] == ["timeout"] * N
    with open_store(url) as store:
        paired = trials_from_store(store, run="bot", baseline="primary", candidate="cand")
    assert len(paired.trials) == N and paired.missing_baseline == paired.missing_candidate == 0


def test_the_wrapper_returns_the_very_object_the_client_returned(primary_url: str, tmp_path: Path) -> None:
    inner = openai.OpenAI(base_url=f"{primary_url}/v1", api_key="x", max_retries=0)
    answers: list[Any] = []
    original = inner.chat.completions.create

    def remember(**kwargs: Any) -> Any:
        answers.append(original(**kwargs))
        return answers[-1]

    inner.chat.completions.create = remember  # type: ignore[method-assign]
    with modelswap.shadow(inner, route="bot", config=settings_for(primary_url, f"sqlite:///{tmp_path / 'a.db'}")
                          ) as client:
        response = client.chat.completions.create(model="sim-a", messages=messages(0))
    assert response is answers[0]
    assert client.models is inner.models


async def test_async_client_with_a_failing_candidate(primary_url: str, tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'async.db'}"
    plain = openai.AsyncOpenAI(base_url=f"{primary_url}/v1", api_key="x", max_retries=0)
    expected = [dump(await plain.chat.completions.create(model="sim-a", messages=messages(i))) for i in range(N)]  # type: ignore[arg-type]
    inner = openai.AsyncOpenAI(base_url=f"{primary_url}/v1", api_key="x", max_retries=0)
    async with modelswap.shadow(inner, route="bot", config=settings_for(primary_url, url, quirks={"error_rate": 1.0})
                                ) as client:
        got = [dump(await client.chat.completions.create(model="sim-a", messages=messages(i))) for i in range(N)]
    assert got == expected
    observations = stored(url)
    assert len(by_role(observations, "primary")) == N
    assert [s.observation.error.kind for s in by_role(observations, "candidate") if s.observation.error] == ["http"] * N
    await plain.close()
    await inner.close()


def test_a_stream_is_passed_on_chunk_by_chunk_and_recorded_after_it_is_read(primary_url: str,
                                                                           tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'stream.db'}"
    plain = openai.OpenAI(base_url=f"{primary_url}/v1", api_key="x", max_retries=0)
    expected = [c.model_dump(exclude={"created"})
                for c in plain.chat.completions.create(model="sim-a", messages=messages(0), stream=True)]  # type: ignore[arg-type]
    inner = openai.OpenAI(base_url=f"{primary_url}/v1", api_key="x", max_retries=0)
    with modelswap.shadow(inner, route="bot", config=settings_for(primary_url, url)) as client:
        chunks = [c.model_dump(exclude={"created"})
                  for c in client.chat.completions.create(model="sim-a", messages=messages(0), stream=True)]
    assert chunks == expected
    [primary] = by_role(stored(url), "primary")
    text = "".join(c["choices"][0]["delta"].get("content") or "" for c in expected if c["choices"])
    assert primary.observation.output == text and primary.observation.ok
    assert len(by_role(stored(url), "candidate")) == 1


def test_unsampled_requests_store_only_the_primary_and_replicas_share_the_trial(primary_url: str,
                                                                                tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'replica.db'}"
    settings = settings_for(primary_url, url, sample_rate=0.0, replica_rate=1.0)
    inner = openai.OpenAI(base_url=f"{primary_url}/v1", api_key="x", max_retries=0)
    with modelswap.shadow(inner, route="bot", config=settings) as client:
        for i in range(N):
            client.chat.completions.create(model="sim-a", messages=messages(i))
    observations = stored(url)
    assert len(by_role(observations, "candidate")) == 0
    replicas = by_role(observations, "replica")
    assert len(replicas) == N and {s.key.sample for s in replicas} == {1}
    assert {s.key.trial_id for s in replicas} == {s.key.trial_id for s in by_role(observations, "primary")}


def test_a_full_queue_drops_shadows_and_counts_them(primary_url: str, tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'full.db'}"
    settings = settings_for(primary_url, url, quirks={"hang_rate": 1.0, "hang_s": 5.0}, timeout_s=0.3,
                            max_in_flight=1, queue_size=0)
    inner = openai.OpenAI(base_url=f"{primary_url}/v1", api_key="x", max_retries=0)
    with modelswap.shadow(inner, route="bot", config=settings, grace_s=0.0) as client:
        answers = [client.chat.completions.create(model="sim-a", messages=messages(i)) for i in range(N)]
    assert all(a.choices[0].message.content for a in answers)
    engine = client.engine
    assert engine.sent + engine.dropped == N and engine.dropped >= 1
    observations = stored(url)
    assert len(by_role(observations, "primary")) == N
    assert len(by_role(observations, "candidate")) == engine.sent


def test_a_primary_error_is_raised_unchanged_and_recorded(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'err.db'}"
    with running_server(create_sim_app(seed=3, quirks=modelswap_quirks(error_rate=1.0))) as primary_url:
        inner = openai.OpenAI(base_url=f"{primary_url}/v1", api_key="x", max_retries=0)
        with (modelswap.shadow(inner, route="bot", config=settings_for(primary_url, url)) as client,
              pytest.raises(openai.InternalServerError)):
            client.chat.completions.create(model="sim-a", messages=messages(0))
    [primary] = by_role(stored(url), "primary")
    assert primary.observation.error is not None and primary.observation.error.status == 500


def modelswap_quirks(**rates: float) -> Any:
    from modelswap.sim.quirks import Quirks

    return Quirks.model_validate(rates)
