"""Shadowing over real HTTP: isolation of the client from a broken candidate, bounds, nothing lost.

No timing is asserted: only response bytes, counts and stored contents. A hanging candidate
hangs 5 s while the shadow deadline is 0.3 s, so no test waits on a hang. The full-queue test's
candidate holds its calls until the gateway hangs up, so its shadows are still running when it
counts them, however long the requests took.
"""

from __future__ import annotations

import asyncio
import socket
import struct
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
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
    if kind == "hold":  # hangs until the gateway hangs up (at its shutdown), long past any test's requests
        return create_sim_app(seed=4, quirks=Quirks(hang_rate=1.0, hang_s=120.0))
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
    with running_server(candidate_app("hold")) as candidate:
        settings = settings_for(primary_url, candidate, store=store, sample_rate=1.0, max_in_flight=1,
                                queue_size=1, timeout_s=60.0)
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


async def _reset(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
    """Accept and reset at once: SO_LINGER 0 makes close send RST, and no byte is answered."""
    writer.get_extra_info("socket").setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
    writer.close()


@contextmanager
def resetting_server() -> Iterator[str]:
    """A raw asyncio server, in a thread of its own, that resets every connection it accepts."""
    loop = asyncio.new_event_loop()
    server = loop.run_until_complete(asyncio.start_server(_reset, "127.0.0.1", 0))
    port = server.sockets[0].getsockname()[1]
    thread = threading.Thread(target=loop.run_forever, name="resetter", daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        loop.call_soon_threadsafe(loop.stop)
        thread.join(timeout=10)
        server.close()
        loop.run_until_complete(server.wait_closed())
        loop.close()


@pytest.mark.parametrize("stream", [False, True])
def test_candidate_resetting_connections_never_reaches_the_client(primary_url: str, tmp_path: Path,
                                                                  stream: bool) -> None:
    with resetting_server() as candidate:
        with gateway(settings_for(primary_url, candidate, store=f"sqlite:///{tmp_path / 'p.db'}")) as url:
            baseline = requests_through(url, stream=stream)
        shadowed = f"sqlite:///{tmp_path / 's.db'}"
        with gateway(settings_for(primary_url, candidate, store=shadowed, sample_rate=1.0, timeout_s=5.0)) as url:
            assert requests_through(url, stream=stream) == baseline
    observations = stored(shadowed)
    assert sum(o.role == "primary" and o.observation.ok for o in observations) == N
    candidates = [o.observation.error for o in observations if o.role == "candidate"]
    assert [error.kind if error else None for error in candidates] == ["connection"] * N
    assert all(error and error.status is None and error.message for error in candidates)


def wait_for(url: str, line: str) -> str:
    """``/metrics`` once it holds ``line`` (bounded: fails after about 10 s, which the awaited event never needs)."""
    for _ in range(500):
        metrics = httpx.get(f"{url}/metrics").text
        if line in metrics:
            return metrics
        time.sleep(0.02)
    raise AssertionError(f"{line!r} never appeared in /metrics")


def test_daily_budget_stops_shadowing_by_itself(primary_url: str, tmp_path: Path) -> None:
    store = f"sqlite:///{tmp_path / 'b.db'}"
    with running_server(candidate_app("ok")) as candidate:
        # the first shadow call costs more than the whole budget: every later request is not shadowed
        settings = settings_for(primary_url, candidate, store=store, sample_rate=1.0, daily_budget_usd=1e-9)
        with gateway(settings) as url:
            requests_through(url, 1)
            wait_for(url, 'modelswap_shadow_completed_total{arm="cand",route="bot"} 1.0')
            requests_through(url, N)
            metrics = httpx.get(f"{url}/metrics").text
    assert 'modelswap_shadow_sent_total{arm="cand",route="bot"} 1.0' in metrics
    observations = stored(store)
    assert sum(o.role == "primary" for o in observations) == N + 1
    candidates = [o.observation for o in observations if o.role == "candidate"]
    assert len(candidates) == 1 and candidates[0].ok and candidates[0].cost_usd and candidates[0].cost_usd > 1e-9


def test_no_shadow_after_until(primary_url: str, tmp_path: Path) -> None:
    store = f"sqlite:///{tmp_path / 'u.db'}"
    with running_server(candidate_app("ok")) as candidate:
        settings = settings_for(primary_url, candidate, store=store, sample_rate=1.0, replica_rate=1.0,
                                until="2020-01-01T00:00:00Z")
        with gateway(settings) as url:
            requests_through(url)
            metrics = httpx.get(f"{url}/metrics").text
    assert "modelswap_shadow_sent_total{" not in metrics
    assert sorted((o.role, o.key.arm) for o in stored(store)) == [("primary", "primary")] * N


def test_primary_resetting_connections_is_a_502_and_recorded(tmp_path: Path) -> None:
    store = f"sqlite:///{tmp_path / 'r.db'}"
    with resetting_server() as primary, gateway(settings_for(primary, store=store)) as url:
        responses = [httpx.post(f"{url}/v1/chat/completions", json={"model": "bot", "messages": [
            {"role": "user", "content": f"q {i}"}]}) for i in range(N)]
    assert [(r.status_code, r.json()["error"]["code"], r.headers["x-modelswap-arm"]) for r in responses] == [
        (502, "upstream_unreachable", "primary")] * N
    errors = [o.observation.error for o in stored(store)]
    assert [error.kind if error else None for error in errors] == ["connection"] * N
