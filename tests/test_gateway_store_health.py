"""What /readyz and /metrics say about the store, from the recorder's writers, through a real outage.

The writers write to the real PostgreSQL through a TCP proxy (``tcp_proxy.py``) that is cut and
restored; ``readiness`` (the body of /readyz) and ``Metrics.render`` (the body of /metrics) are read
before, during and after.
"""

from __future__ import annotations

import asyncio
import re
import time
from collections.abc import Callable
from datetime import datetime

import pytest

from modelswap.gateway.health import readiness
from modelswap.gateway.metrics import Metrics
from modelswap.store import open_store
from modelswap.store.writer import DROP_REASONS, BatchWriter, RequestWriter
from modelswap.types import ChatRequest, StoredObservation
from tcp_proxy import TcpProxy

MakeStored = Callable[..., StoredObservation]
_SAMPLE = re.compile(r'^(modelswap_store_\w+?)(?:\{(.*)\})? (\S+)$')


def store_samples(text: str) -> dict[tuple[str, str], float]:
    """``(name, labels) → value`` of the ``modelswap_store_*`` samples in a /metrics body."""
    samples = {}
    for line in text.splitlines():
        if (match := _SAMPLE.match(line)) and not match.group(1).endswith("_created"):
            samples[(match.group(1), match.group(2) or "")] = float(match.group(3))
    return samples


def adds_up(samples: dict[tuple[str, str], float], queue: str) -> bool:
    """``submitted + restored == written + dropped + buffered`` for ``queue``, read from /metrics alone."""
    label = f'queue="{queue}"'
    def value(name: str) -> float:
        return samples[(f"modelswap_store_{name}", label)]

    dropped = sum(samples[("modelswap_store_dropped_total", f'{label},reason="{reason}"')] for reason in DROP_REASONS)
    return value("submitted_total") + value("restored_total") == value("written_total") + dropped + value("buffered")


async def eventually(condition: Callable[[], bool], timeout_s: float = 60.0) -> None:
    async with asyncio.timeout(timeout_s):
        while not condition():
            await asyncio.sleep(0.01)


def test_the_store_figures_are_exposed_even_before_a_recorder_is_watched() -> None:
    text = Metrics().render().decode()
    for name in ("submitted", "written", "dropped", "reconnects"):
        assert f"# TYPE modelswap_store_{name}_total counter" in text
    assert "modelswap_store_up 1.0" in text and "modelswap_store_down_seconds 0.0" in text


@pytest.mark.postgres
async def test_readyz_and_metrics_through_a_postgres_outage(postgres_schema: str, make_stored: MakeStored) -> None:
    with TcpProxy(5432) as proxy, \
            open_store(f"postgresql://root@127.0.0.1:{proxy.port}/test?options=-csearch_path%3D{postgres_schema}"
                       ) as store:
        writers = {"observations": BatchWriter(store, flush_interval_s=0.01, retry_max_s=0.1),
                   "requests": RequestWriter(store, flush_interval_s=0.01, retry_max_s=0.1)}
        metrics = Metrics()
        metrics.watch_store(writers)
        for writer in writers.values():
            await writer.start()
        observations, requests = writers["observations"], writers["requests"]

        def submit(trial: str) -> None:
            requests.submit(("route", ChatRequest(id=trial, messages=({"role": "user", "content": "hi"},))))
            observations.submit(make_stored(trial, run="route"))

        submit("t0")
        for writer in writers.values():
            await writer.flush()
        assert readiness(writers) == {"status": "ready"}

        proxy.cut()
        before = time.time()
        for i in range(1, 6):
            submit(f"t{i}")
        await eventually(lambda: not observations.store_up and not requests.store_up)
        body = readiness(writers)
        since = datetime.fromisoformat(body.pop("since"))
        assert before - 1 <= since.timestamp() <= time.time()
        assert body.pop("down_s") >= 0
        assert body == {"status": "degraded", "store": "down", "buffered": 10, "spilled": 0, "dropped": 0}
        samples = store_samples(metrics.render().decode())
        assert samples[("modelswap_store_up", "")] == 0.0
        assert samples[("modelswap_store_down_seconds", "")] >= 0.0
        assert samples[("modelswap_store_buffered", 'queue="observations"')] == 5
        assert samples[("modelswap_store_written_total", 'queue="observations"')] == 1
        assert samples[("modelswap_store_retries_total", 'queue="observations"')] >= 1
        assert adds_up(samples, "observations") and adds_up(samples, "requests")

        proxy.restore()
        for writer in writers.values():
            await asyncio.wait_for(writer.flush(), 60)
        assert readiness(writers) == {"status": "ready"}
        samples = store_samples(metrics.render().decode())
        assert samples[("modelswap_store_up", "")] == 1.0
        assert samples[("modelswap_store_down_seconds", "")] == 0.0
        for queue in ("observations", "requests"):
            label = f'queue="{queue}"'
            assert samples[("modelswap_store_written_total", label)] == 6
            assert samples[("modelswap_store_buffered", label)] == 0
            assert samples[("modelswap_store_reconnects_total", label)] == 1
            assert adds_up(samples, queue)
        assert sorted(s.key.trial_id for s in store.observations("route")) == [f"t{i}" for i in range(6)]
        for writer in writers.values():
            await writer.close()
