"""Every backend behind the gateway, through the official openai client on a real port.

A ``sim`` primary with a ``local`` SmolLM2 candidate shadowed at 100%, then SmolLM2 serving, sync
and streaming; then a saturated local arm: clients beyond its queue get an OpenAI-shaped 503 at
once, shadows beyond it are dropped and counted, and another route keeps answering meanwhile.
Timing is asserted only as events (what finished before what) and ratios, never as a bound.
Local-model tests skip only when the weights package is absent (``tests/weights.py``).
"""

from __future__ import annotations

import statistics
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import httpx
import openai
import pytest
from starlette.applications import Starlette

from modelswap.config import Settings
from modelswap.gateway import create_app
from modelswap.gateway.arms import RenderedArm
from modelswap.serving import running_server
from modelswap.store import open_store
from modelswap.types import StoredObservation
from weights import require_weights

pytestmark = [pytest.mark.slow, pytest.mark.timeout(300)]

SMOL = {"backend": "local", "model": "smollm2-135m", "n_threads": 1, "timeout_s": 120,
        "params": {"temperature": 0, "max_tokens": 24}}
SIM = {"backend": "sim", "seed": 1, "model": "sim-a"}


@pytest.fixture(autouse=True)
def _weights() -> None:
    require_weights("smollm2-135m")


def settings(store: str, routes: dict[str, Any], *, smol: dict[str, Any] | None = None) -> Settings:
    return Settings.model_validate({"store": store, "arms": {"smol": {**SMOL, **(smol or {})}, "sim-a": SIM},
                                    "routes": routes})


@contextmanager
def serving(config: Settings) -> Iterator[tuple[str, Starlette]]:
    app = create_app(config)
    with running_server(app) as url:
        yield url, app


def ask(i: int) -> list[dict[str, str]]:
    return [{"role": "user", "content": f"What is the capital of France? ({i})"}]


def stored(store: str, run: str) -> list[StoredObservation]:
    with open_store(store) as opened:
        return opened.observations(run)


def text_of(chunks: list[Any]) -> str:
    return "".join(chunk.choices[0].delta.content or "" for chunk in chunks if chunk.choices)


def test_sim_primary_answers_and_the_local_candidate_is_shadowed(tmp_path: Path) -> None:
    store = f"sqlite:///{tmp_path / 'shadow.db'}"
    routes = {"bot": {"primary": "sim-a", "candidates": ["smol"], "shadow": {"sample_rate": 1.0, "timeout_s": 120}}}
    with serving(settings(store, routes)) as (url, _):
        client = openai.OpenAI(base_url=f"{url}/v1", api_key="x", max_retries=0)
        raw = client.chat.completions.with_raw_response.create(model="bot", messages=ask(0))  # type: ignore[arg-type]
        answer = raw.parse()
        stream = client.chat.completions.create(model="bot", messages=ask(1), stream=True,  # type: ignore[arg-type]
                                                stream_options={"include_usage": True})
        chunks = list(stream)
    assert raw.headers["x-modelswap-arm"] == "sim-a" and answer.model == "sim-a"
    by_trial: dict[str, dict[str, StoredObservation]] = {}
    for observation in stored(store, "bot"):
        by_trial.setdefault(observation.key.trial_id, {})[observation.role] = observation
    sync, streamed = by_trial.pop(raw.headers["x-request-id"]), next(iter(by_trial.values()))
    assert answer.choices[0].message.content == sync["primary"].observation.output
    assert text_of(chunks) == streamed["primary"].observation.output and chunks[-1].usage is not None
    for trial in (sync, streamed):
        candidate = trial["candidate"].observation
        assert (candidate.arm, candidate.model, candidate.error) == ("smol", "smollm2-135m", None)
        assert candidate.output and candidate.usage is not None
    assert sync["candidate"].observation.ttft_ms is None
    assert streamed["candidate"].observation.ttft_ms is not None  # a streamed client: the shadow streamed too


def test_the_local_model_serves_sync_and_streaming(tmp_path: Path) -> None:
    store = f"sqlite:///{tmp_path / 'serve.db'}"
    routes = {"local-bot": {"primary": "smol", "candidates": ["sim-a"], "shadow": {"sample_rate": 1.0}}}
    with serving(settings(store, routes)) as (url, _):
        client = openai.OpenAI(base_url=f"{url}/v1", api_key="x", max_retries=0)
        raw = client.chat.completions.with_raw_response.create(model="local-bot", messages=ask(0))  # type: ignore[arg-type]
        answer = raw.parse()
        chunks = list(client.chat.completions.create(model="local-bot", messages=ask(0), stream=True,  # type: ignore[arg-type]
                                                     stream_options={"include_usage": True}))
    assert raw.headers["x-modelswap-arm"] == "smol"
    assert answer.model == "smollm2-135m" and answer.choices[0].finish_reason == "stop"
    pieces = [chunk.choices[0].delta.content for chunk in chunks if chunk.choices and chunk.choices[0].delta.content]
    assert len(pieces) > 2  # generated piece by piece, not one block
    assert text_of(chunks) == answer.choices[0].message.content  # greedy: the same text either way
    assert chunks[-1].usage is not None and answer.usage is not None
    assert chunks[-1].usage.completion_tokens == answer.usage.completion_tokens
    primaries = {o.key.trial_id: o.observation for o in stored(store, "local-bot") if o.role == "primary"}
    assert primaries[raw.headers["x-request-id"]].output == answer.choices[0].message.content
    assert sorted(o.output or "" for o in primaries.values()) == [answer.choices[0].message.content] * 2
    assert all(o.usage == primaries[raw.headers["x-request-id"]].usage for o in primaries.values())
    assert sum(o.ttft_ms is not None for o in primaries.values()) == 1
    assert sum(o.role == "candidate" and o.observation.ok for o in stored(store, "local-bot")) == 2


def _counter(metrics: str, line: str) -> float:
    for row in metrics.splitlines():
        if row.startswith(line + " "):
            return float(row.rsplit(" ", 1)[1])
    return 0.0


def _timed_calls(url: str, route: str, count: int) -> list[float]:
    latencies = []
    with httpx.Client(base_url=url, timeout=30) as client:
        for i in range(count):
            t0 = time.perf_counter()
            response = client.post("/v1/chat/completions", json={"model": route, "messages": ask(i)})
            latencies.append(time.perf_counter() - t0)
            assert response.status_code == 200
    return latencies


def test_a_saturated_local_arm_sheds_load_and_other_routes_keep_answering(tmp_path: Path) -> None:
    store = f"sqlite:///{tmp_path / 'load.db'}"
    routes = {"local-bot": {"primary": "smol", "candidates": ["sim-a"], "shadow": {"sample_rate": 1.0}},
              "sim-bot": {"primary": "sim-a"},
              "sim-shadowed": {"primary": "sim-a", "candidates": ["smol"], "shadow": {"sample_rate": 1.0}}}
    long = {"max_queue": 1, "params": {"temperature": 0.9, "max_tokens": 120}}
    clients = 20
    with serving(settings(store, routes, smol=long)) as (url, app):
        arm = app.state.gateway.arms["smol"]
        assert isinstance(arm, RenderedArm) and arm.admission is not None
        _timed_calls(url, "sim-bot", 5)  # warm up
        idle = _timed_calls(url, "sim-bot", 40)
        statuses: list[int] = []
        refusals: list[dict[str, Any]] = []

        def local_client(i: int) -> None:
            body = {"model": "local-bot", "messages": [{"role": "user", "content": f"Tell me a long story ({i})."}]}
            response = httpx.post(f"{url}/v1/chat/completions", json=body, timeout=120)
            if response.status_code == 503:
                refusals.append(response.json()["error"])
            statuses.append(response.status_code)

        threads = [threading.Thread(target=local_client, args=(i,)) for i in range(clients)]
        for thread in threads:
            thread.start()
        while statuses.count(503) < clients - 2:  # everyone beyond the one running and the one waiting
            time.sleep(0.01)
        loaded = _timed_calls(url, "sim-bot", 40)
        _timed_calls(url, "sim-shadowed", 10)
        metrics = httpx.get(f"{url}/metrics").text
        still_busy = arm.admission.running == 1 and 200 not in statuses
        for thread in threads:
            thread.join()
    # every call of the other routes was answered while the local arm was busy with its first answer
    assert still_busy
    assert _counter(metrics, 'modelswap_requests_total{arm="smol",route="local-bot",status="200"}') == 0
    assert _counter(metrics, 'modelswap_requests_total{arm="smol",route="local-bot",status="503"}') == clients - 2
    assert statuses.count(503) == clients - 2 and statuses.count(200) == 2
    assert {(e["type"], e["code"], e["param"]) for e in refusals} == {("server_error", "arm_overloaded", None)}
    assert refusals[0]["message"].startswith("the serving arm 'smol' is at capacity; retry later")
    # shadows beyond the arm's own line were dropped and counted, never queued behind the clients
    assert _counter(metrics, 'modelswap_shadow_dropped_total{arm="smol",route="sim-shadowed"}') == 9
    # every client is stored, but only the two served were shadowed: a refusal at capacity adds no load
    arms = [(o.key.arm, o.observation.error is None) for o in stored(store, "local-bot")]
    assert (arms.count(("smol", False)), arms.count(("smol", True))) == (clients - 2, 2)
    assert arms.count(("sim-a", True)) == 2 and len(arms) == clients + 2
    ratio = statistics.median(loaded) / statistics.median(idle)
    print(f"sim-bot median latency: {statistics.median(idle) * 1000:.2f} ms at rest, "
          f"{statistics.median(loaded) * 1000:.2f} ms with the local arm saturated ({ratio:.2f}x)")
    assert ratio < 5, f"sim-bot median latency grew {ratio:.1f}x while the local arm was saturated"
