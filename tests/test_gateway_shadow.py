"""Shadowing over real HTTP: isolation of the client from a broken candidate, bounds, nothing lost.

No timing is asserted: only response bytes, counts and stored contents. A hanging candidate
hangs 5 s while the shadow deadline is 0.3 s, so no test waits on a hang.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import openai
import pytest

from modelswap.serving import running_server
from modelswap.sim.quirks import Quirks
from modelswap.sim.server import create_sim_app
from modelswap.store import open_store
from modelswap.types import StoredObservation
from test_gateway import gateway, same_bytes, settings_for

N = 6


async def _garbage_app(scope: Any, receive: Any, send: Any) -> None:
    """An upstream answering 200 with a body that is not a chat completion."""
    if scope["type"] != "http":
        return
    await send({"type": "http.response.start", "status": 200, "headers": [(b"content-type", b"application/json")]})
    await send({"type": "http.response.body", "body": b"<html>definitely not json"})


@pytest.fixture(scope="module")
def primary_url() -> Iterator[str]:
    with running_server(create_sim_app(seed=3, model="sim-a")) as url:
        yield url


def candidate_app(kind: str) -> Any:
    if kind == "hang":
        return create_sim_app(seed=4, quirks=Quirks(hang_rate=1.0, hang_s=5.0))
    if kind == "error":
        return create_sim_app(seed=4, quirks=Quirks(error_rate=1.0))
    if kind == "garbage":
        return _garbage_app
    return create_sim_app(seed=4, model="sim-b")


def requests_through(url: str, count: int = N, *, stream: bool = False) -> list[bytes]:
    bodies = []
    for i in range(count):
        body = {"model": "bot", "messages": [{"role": "user", "content": f"question {i}"}], "stream": stream}
        response = httpx.post(f"{url}/v1/chat/completions", json=body, timeout=10)
        assert response.status_code == 200
        bodies.append(same_bytes(response.content))
    return bodies


def stored(store_url: str) -> list[StoredObservation]:
    with open_store(store_url) as store:
        return store.observations("bot")


@pytest.mark.parametrize(("kind", "error_kind"), [("hang", "timeout"), ("error", "http"),
                                                  ("garbage", "invalid_response")])
def test_broken_candidate_never_reaches_the_client(primary_url: str, tmp_path: Path, kind: str,
                                                   error_kind: str) -> None:
    with running_server(candidate_app(kind), lifespan="off" if kind == "garbage" else "on") as candidate:
        plain = f"sqlite:///{tmp_path / 'plain.db'}"
        with gateway(settings_for(primary_url, candidate, store=plain, sample_rate=0.0)) as url:
            baseline = requests_through(url)
        shadowed = f"sqlite:///{tmp_path / 'shadow.db'}"
        with gateway(settings_for(primary_url, candidate, store=shadowed, sample_rate=1.0, timeout_s=0.3)) as url:
            assert requests_through(url) == baseline
    observations = stored(shadowed)
    primaries = [o for o in observations if o.role == "primary"]
    candidates = [o for o in observations if o.role == "candidate"]
    assert len(primaries) == len(candidates) == N
    assert all(o.observation.ok and o.key.arm == "primary" for o in primaries)
    assert [o.observation.error.kind if o.observation.error else None for o in candidates] == [error_kind] * N
    assert {o.key.trial_id for o in primaries} == {o.key.trial_id for o in candidates}
    assert len(stored(plain)) == N


def test_streamed_client_is_untouched_by_a_failing_candidate(primary_url: str, tmp_path: Path) -> None:
    with running_server(candidate_app("error")) as candidate:
        with gateway(settings_for(primary_url, candidate, store=f"sqlite:///{tmp_path / 'p.db'}")) as url:
            baseline = requests_through(url, 3, stream=True)
        store = f"sqlite:///{tmp_path / 's.db'}"
        with gateway(settings_for(primary_url, candidate, store=store, sample_rate=1.0, timeout_s=0.3)) as url:
            assert requests_through(url, 3, stream=True) == baseline
    observations = stored(store)
    assert sorted((o.role, o.observation.error.kind if o.observation.error else None) for o in observations) == [
        ("candidate", "http")] * 3 + [("primary", None)] * 3


def test_full_queue_drops_shadows_and_clients_still_succeed(primary_url: str, tmp_path: Path) -> None:
    store = f"sqlite:///{tmp_path / 'q.db'}"
    with running_server(candidate_app("hang")) as candidate:
        settings = settings_for(primary_url, candidate, store=store, sample_rate=1.0, max_in_flight=1,
                                queue_size=1, timeout_s=2.0)
        with gateway(settings, shadow_grace_s=0.1) as url:
            requests_through(url)
            metrics = httpx.get(f"{url}/metrics").text
    # one shadow running (hung), one waiting; the other N - 2 were dropped
    assert f'modelswap_shadow_dropped_total{{arm="cand",route="bot"}} {float(N - 2)}' in metrics
    assert 'modelswap_shadow_queue_depth{route="bot"} 1.0' in metrics
    observations = stored(store)
    assert sum(o.role == "primary" for o in observations) == N
    candidates = [o for o in observations if o.role == "candidate"]
    # both admitted shadows were still hanging at shutdown: cancelled after the grace period, recorded
    assert [o.observation.error.kind if o.observation.error else None for o in candidates] == ["timeout"] * 2


def test_streamed_shadow_measures_ttft(primary_url: str, tmp_path: Path) -> None:
    store = f"sqlite:///{tmp_path / 't.db'}"
    with running_server(candidate_app("ok")) as candidate, \
            gateway(settings_for(primary_url, candidate, store=store, sample_rate=1.0)) as url:
        requests_through(url, 2, stream=True)
    observations = stored(store)
    assert len(observations) == 4
    for o in observations:
        assert o.observation.ok and o.observation.ttft_ms is not None and o.observation.output
    assert {o.observation.model for o in observations} == {"sim-a", "sim-b"}


def test_nothing_lost_on_shutdown(primary_url: str, store_url: str) -> None:
    count = 20
    with running_server(candidate_app("ok")) as candidate:
        settings = settings_for(primary_url, candidate, store=store_url, sample_rate=1.0, replica_rate=1.0)
        with gateway(settings) as url:
            client = openai.OpenAI(base_url=f"{url}/v1", api_key="x")
            for i in range(count):
                client.chat.completions.create(model="bot", messages=[{"role": "user", "content": f"q {i}"}],
                                               extra_headers={"x-modelswap-category": "faq"})
    with open_store(store_url) as store:
        observations = store.observations("bot")
        requests = store.requests("bot")
    roles = sorted((o.role, o.key.arm, o.key.sample) for o in observations)
    assert roles == ([("candidate", "cand", 0)] * count + [("primary", "primary", 0)] * count
                     + [("replica", "primary", 1)] * count)
    assert all(o.observation.ok and o.observation.cost_usd for o in observations)
    assert len(requests) == count and {r.category for r in requests} == {"faq"}
    assert {r.id for r in requests} == {o.key.trial_id for o in observations}
