"""A gateway serving a route by its rollout: the arm in the header, the stored assignment and observations,
unkeyed requests counted, a change obeyed while serving, a running stream left on its arm, a stale state said.

Arms are in-process simulators (``backend: sim``); the store is a SQLite file, or PostgreSQL behind a
TCP proxy that is cut to make the rollout state unreadable. States are written as the CLI writes them
(``rollout.control.apply``).
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import httpx
import pytest

from modelswap.config import RolloutConfig, Settings
from modelswap.gateway import create_app
from modelswap.rollout.assignment import bucket
from modelswap.rollout.control import apply
from modelswap.rollout.state import Action
from modelswap.serving import running_server
from modelswap.store import open_store
from tcp_proxy import TcpProxy

POSTGRES_PORT = 5432
KEYS = [f"user-{i}" for i in range(60)]
CHAT = {"model": "bot", "messages": [{"role": "user", "content": "Name a colour."}]}


def settings_for(store: str, *, candidate_latency_ms: float = 0.0) -> Settings:
    quirks = {"latency": {"median_ms": candidate_latency_ms}} if candidate_latency_ms else {}
    return Settings.model_validate({
        "store": store,
        "arms": {"primary": {"backend": "sim", "seed": 1, "model": "sim-a"},
                 "cand": {"backend": "sim", "seed": 2, "model": "sim-b", "quirks": quirks}},
        "routes": {"bot": {"primary": "primary", "candidates": ["cand"], "shadow": {"sample_rate": 1.0},
                           "rollout": {"candidate": "cand", "sticky": {"header": "x-user-id"}}}}})


def write(store_url: str, plan: RolloutConfig, kind: str, percent_bp: int | None = None) -> None:
    with open_store(store_url) as store:
        apply(store, "bot", plan, Action(kind=kind, actor="test", at=time.time(), percent_bp=percent_bp))  # type: ignore[arg-type]


def on_candidate(key: str, percent: float) -> bool:
    return bucket("bot", key) < round(percent * 100)


def arm_of(url: str, key: str | None = None, **headers: str) -> str:
    sent = {**({"x-user-id": key} if key else {}), **headers}
    response = httpx.post(f"{url}/v1/chat/completions", json=CHAT, headers=sent, timeout=30)
    assert response.status_code == 200, response.text
    return response.headers["x-modelswap-arm"]


def eventually(condition: Callable[[], bool], timeout_s: float = 20.0) -> None:
    """Wait (bounded) for ``condition``; not a timing assertion, just a wait that fails if it never holds."""
    deadline = time.monotonic() + timeout_s
    while not condition():
        assert time.monotonic() < deadline, "the condition never held"
        time.sleep(0.02)


def metric(url: str, line_start: str, default: float | None = None) -> float:
    """The one sample of /metrics starting with ``line_start`` (``default`` when there is none yet)."""
    text = httpx.get(f"{url}/metrics").text
    values = [float(line.rsplit(" ", 1)[1]) for line in text.splitlines() if line.startswith(line_start)]
    if not values and default is not None:
        return default
    assert len(values) == 1, (line_start, values)
    return values[0]


@contextmanager
def gateway(settings: Settings, **options: Any) -> Iterator[str]:
    with running_server(create_app(settings, rollout_poll_s=0.05, **options)) as url:
        yield url


@pytest.fixture
def store_file(tmp_path: Path) -> str:
    return f"sqlite:///{tmp_path / 'gw.db'}"


def test_each_key_is_served_by_its_assigned_arm_and_the_assignment_is_stored(store_file: str) -> None:
    settings = settings_for(store_file)
    plan = settings.routes["bot"].rollout
    assert plan is not None
    write(store_file, plan, "set", 3000)
    with gateway(settings) as url:
        first = {key: arm_of(url, key) for key in KEYS}
        again = {key: arm_of(url, key) for key in KEYS}
        assert metric(url, 'modelswap_rollout_percent{route="bot"}') == 30.0
        assert metric(url, 'modelswap_rollout_state_version{route="bot"}') == 1.0
    assert first == again == {key: "cand" if on_candidate(key, 30) else "primary" for key in KEYS}
    assert 5 < list(first.values()).count("cand") < 35
    with open_store(store_file) as store:
        requests = store.requests("bot")
        observations = store.observations("bot")
    by_trial: dict[str, list[tuple[str, str, int]]] = {}
    for stored in observations:
        by_trial.setdefault(stored.key.trial_id, []).append((stored.key.arm, stored.role, stored.key.sample))
    assert len(requests) == 2 * len(KEYS)
    for request in requests:
        assert request.assignment is not None
        arm = request.assignment["arm"]
        assert by_trial[request.id] == ([("cand", "candidate", 0)] if arm == "cand"
                                        else [("cand", "candidate", 0), ("primary", "primary", 0)])
    key = KEYS[0]
    expected = {"arm": first[key], "bucket": bucket("bot", key), "keyed": True, "key_source": "header",
                "segment": None, "percent": 30.0, "status": "running", "version": 1}
    assert requests[0].assignment == expected


def test_requests_without_a_key_are_assigned_per_request_and_counted(store_file: str) -> None:
    settings = settings_for(store_file)
    assert settings.routes["bot"].rollout is not None
    write(store_file, settings.routes["bot"].rollout, "set", 5000)
    ids = [f"req-{i}" for i in range(20)]
    with gateway(settings) as url:
        arms = {request_id: arm_of(url, None, **{"x-request-id": request_id}) for request_id in ids}
        arm_of(url, "user-1")
        assert metric(url, 'modelswap_rollout_unkeyed_total{route="bot"}') == 20.0
        assigned = sum(metric(url, f'modelswap_rollout_assigned_total{{arm="{arm}",route="bot"}}')
                       for arm in ("primary", "cand"))
        assert assigned == 21.0
    assert arms == {request_id: "cand" if on_candidate(request_id, 50) else "primary" for request_id in ids}
    with open_store(store_file) as store:
        unkeyed = [r.assignment for r in store.requests("bot") if r.assignment and not r.assignment["keyed"]]
    assert len(unkeyed) == 20 and all(a["key_source"] is None for a in unkeyed)


def test_a_route_never_written_is_served_by_the_primary(store_file: str) -> None:
    with gateway(settings_for(store_file)) as url:
        assert {arm_of(url, key) for key in KEYS[:20]} == {"primary"}
        assert "modelswap_rollout_state_stale 0.0" in httpx.get(f"{url}/metrics").text
        assert httpx.get(f"{url}/readyz").json() == {"status": "ready"}


def test_a_change_written_elsewhere_is_obeyed_while_serving(store_file: str) -> None:
    settings = settings_for(store_file)
    plan = settings.routes["bot"].rollout
    assert plan is not None
    with gateway(settings) as url:
        assert arm_of(url, "user-1") == "primary"
        write(store_file, plan, "promote")
        eventually(lambda: arm_of(url, "user-1") == "cand")
        assert {arm_of(url, key) for key in KEYS[:20]} == {"cand"}
        write(store_file, plan, "rollback")
        eventually(lambda: arm_of(url, "user-1") == "primary")
        assert {arm_of(url, key) for key in KEYS[:20]} == {"primary"}


def test_a_stream_started_on_the_candidate_finishes_on_it_after_a_rollback(store_file: str) -> None:
    settings = settings_for(store_file, candidate_latency_ms=6000)
    plan = settings.routes["bot"].rollout
    assert plan is not None
    write(store_file, plan, "promote")
    answered = threading.Event()
    got: dict[str, Any] = {}

    def stream() -> None:
        with httpx.Client(timeout=30) as client, client.stream(
                "POST", f"{url}/v1/chat/completions", json={**CHAT, "stream": True},
                headers={"x-user-id": "user-1"}) as response:
            answered.set()
            got.update(status=response.status_code, arm=response.headers["x-modelswap-arm"],
                       body=response.read().decode())

    with gateway(settings) as url:
        running = threading.Thread(target=stream)
        running.start()
        # once the stream is assigned (the candidate takes 6 s to answer: room on a busy machine), roll back
        eventually(lambda: metric(url, 'modelswap_rollout_assigned_total{arm="cand",route="bot"}', 0.0) == 1.0)
        write(store_file, plan, "rollback")
        # read from /metrics: a chat request would be served by the 6 s candidate until the rollback is seen
        eventually(lambda: metric(url, 'modelswap_rollout_percent{route="bot"}', -1.0) == 0.0)
        obeyed_before_the_answer = not answered.is_set()
        assert arm_of(url, "user-2") == "primary"
        running.join(30)
    assert obeyed_before_the_answer, "the candidate answered before the rollback was obeyed: nothing was tested"
    assert (got["status"], got["arm"]) == (200, "cand")
    assert got["body"].rstrip().endswith("data: [DONE]") and '"model":"sim-b"' in got["body"]


@pytest.mark.postgres
def test_a_store_that_cannot_be_read_leaves_the_last_state_served_and_says_so(postgres_schema: str) -> None:
    direct = f"postgresql://root@127.0.0.1:{POSTGRES_PORT}/test?options=-csearch_path%3D{postgres_schema}"
    settings = settings_for(direct)
    plan = settings.routes["bot"].rollout
    assert plan is not None
    with TcpProxy(POSTGRES_PORT) as proxy:
        proxied = direct.replace(f":{POSTGRES_PORT}/", f":{proxy.port}/") + "&connect_timeout=1"
        with gateway(settings, store_url=proxied) as url:
            write(direct, plan, "promote")
            eventually(lambda: arm_of(url, "user-1") == "cand")
            proxy.cut()
            eventually(lambda: "rollout" in httpx.get(f"{url}/readyz").json())
            ready = httpx.get(f"{url}/readyz")
            body = ready.json()
            assert (ready.status_code, body["status"], body["rollout"]["state"]) == (200, "degraded", "stale")
            assert body["rollout"]["serving"] == {"bot": 100.0} and body["rollout"]["since"].endswith("Z")
            assert {arm_of(url, key) for key in KEYS[:10]} == {"cand"}
            assert metric(url, "modelswap_rollout_state_stale") == 1.0
            assert metric(url, "modelswap_rollout_state_read_failures_total") >= 1.0
            proxy.restore()
            eventually(lambda: "rollout" not in httpx.get(f"{url}/readyz").json(), timeout_s=60)
            assert metric(url, "modelswap_rollout_state_stale") == 0.0
