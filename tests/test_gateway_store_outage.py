"""The gateway over real HTTP while its PostgreSQL store goes away and comes back, every request shadowed.

The primary and the candidate are simulators on real ports; the store is the real PostgreSQL behind a
TCP proxy (``tcp_proxy.py``) that is cut (every connection closed, new ones refused) and restored. The
client must get every answer; /readyz must answer 200 and say the store is down while it is; once the
store is back, every trial must be stored (its request, the primary's and the candidate's observation)
and /metrics must add up. No time is asserted: the test waits on conditions.
"""

from __future__ import annotations

import re
import time
from collections.abc import Callable
from pathlib import Path

import httpx
import pytest

from conftest import POSTGRES_URL
from modelswap.config import StoreBufferConfig
from modelswap.serving import running_server
from modelswap.sim.server import create_sim_app
from modelswap.store import open_store
from modelswap.store.writer import DROP_REASONS
from tcp_proxy import TcpProxy
from test_gateway import gateway, settings_for

PER_PHASE = 30
_SAMPLE = re.compile(r"^(modelswap_\w+?)(?:\{(.*)\})? (\S+)$")


def metric(text: str, name: str, **labels: str) -> float:
    """The sum of ``name`` over the samples of a /metrics body whose labels include ``labels``."""
    wanted = [f'{key}="{value}"' for key, value in labels.items()]
    found = 0.0
    for line in text.splitlines():
        match = _SAMPLE.match(line)
        if match and match.group(1) == name and all(label in (match.group(2) or "").split(",") for label in wanted):
            found += float(match.group(3))
    return found


def wait_until(condition: Callable[[], bool], timeout_s: float = 120.0) -> None:
    deadline = time.monotonic() + timeout_s
    while not condition():
        if time.monotonic() > deadline:
            raise TimeoutError("the condition did not come true")
        time.sleep(0.05)


@pytest.mark.postgres
@pytest.mark.parametrize("spill", [False, True], ids=["default-buffer", "small-buffer-and-spill"])
def test_a_postgres_outage_is_reported_and_every_trial_stored_when_it_is_back(postgres_schema: str, spill: bool,
                                                                             tmp_path: Path) -> None:
    with TcpProxy(5432) as proxy, \
            running_server(create_sim_app(seed=3, model="sim-a")) as primary, \
            running_server(create_sim_app(seed=4, model="sim-b")) as candidate:
        url = f"postgresql://root@127.0.0.1:{proxy.port}/test?options=-csearch_path%3D{postgres_schema}"
        answered: list[int] = []
        settings = settings_for(primary, candidate, store=url, sample_rate=1.0)
        if spill:  # the configuration's store_buffer reaches the recorder: 100 items in memory, the rest on disk
            settings = settings.model_copy(update={"store_buffer": StoreBufferConfig(
                max_items=100, spill_dir=str(tmp_path / "spill"))})
        with gateway(settings) as gw, httpx.Client() as client:
            def phase(name: str) -> None:
                for i in range(PER_PHASE):
                    body = {"model": "bot", "messages": [{"role": "user", "content": f"{name} question {i}"}]}
                    answered.append(client.post(f"{gw}/v1/chat/completions", json=body).status_code)

            def scrape() -> str:
                return client.get(f"{gw}/metrics").text

            phase("before")
            assert client.get(f"{gw}/readyz").json() == {"status": "ready"}
            proxy.cut()
            phase("cut")
            wait_until(lambda: client.get(f"{gw}/readyz").json()["status"] == "degraded"
                       and metric(text := scrape(), "modelswap_store_retries_total", queue="requests") > 0
                       and metric(text, "modelswap_store_retries_total", queue="observations") > 0)
            ready = client.get(f"{gw}/readyz")
            assert ready.status_code == 200
            assert {key: ready.json()[key] for key in ("status", "store", "dropped")} == {
                "status": "degraded", "store": "down", "dropped": 0}
            assert ready.json()["buffered"] > 0 and ready.json()["since"].endswith("Z")
            assert metric(scrape(), "modelswap_store_up") == 0
            phase("down")
            if spill:  # the shadows of the last requests may still be running: wait for the buffer to spill
                wait_until(lambda: metric(scrape(), "modelswap_store_spilled", queue="observations") > 0)
            else:
                assert metric(scrape(), "modelswap_store_spilled", queue="observations") == 0
            proxy.restore()
            phase("after")
            wait_until(lambda: metric(text := scrape(), "modelswap_store_up") == 1
                       and metric(text, "modelswap_store_buffered") == 0
                       and metric(text, "modelswap_shadow_in_flight") == 0
                       and metric(text, "modelswap_store_written_total", queue="observations") == 2 * len(answered))
            assert client.get(f"{gw}/readyz").json() == {"status": "ready"}
            text = scrape()
        assert answered == [200] * 4 * PER_PHASE
        for queue, expected in (("observations", 2 * len(answered)), ("requests", len(answered))):
            assert metric(text, "modelswap_store_submitted_total", queue=queue) == expected
            assert metric(text, "modelswap_store_written_total", queue=queue) == expected
            assert sum(metric(text, "modelswap_store_dropped_total", queue=queue, reason=reason)
                       for reason in DROP_REASONS) == 0
            assert metric(text, "modelswap_store_retries_total", queue=queue) >= 1
            assert metric(text, "modelswap_store_reconnects_total", queue=queue) >= 1
    with open_store(f"{POSTGRES_URL}?options=-csearch_path%3D{postgres_schema}") as store:
        observations = store.observations("bot")
        trials = {request.id for request in store.requests("bot")}
    assert len(trials) == len(answered)
    assert sorted((s.key.trial_id, s.role) for s in observations) == sorted(
        (trial, role) for trial in trials for role in ("candidate", "primary"))
