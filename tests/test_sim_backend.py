"""The simulator backend: outcomes become observations, waits are real, errors are data."""

from __future__ import annotations

import time

from modelswap.backends import build_backend
from modelswap.backends.sim import SimBackend
from modelswap.config import SimArm
from modelswap.price import Price
from modelswap.sim.model import simulate
from modelswap.sim.quirks import Quirks
from modelswap.types import ChatRequest, ErrorInfo, Usage

REQUEST = ChatRequest(id="r1", messages=({"role": "user", "content": "What is the capital of France?"},),
                      params={"seed": 5})


async def test_an_answer_is_observed_with_usage_and_cost() -> None:
    backend = SimBackend(arm="sim-a", seed=1, model="sim-model",
                         price=Price(input_per_mtok=1.0, output_per_mtok=2.0))
    observation = await backend.complete(REQUEST)
    assert (observation.arm, observation.model, observation.ok) == ("sim-a", "sim-model", True)
    assert observation.output == "Here is a short answer about What is the capital of."
    assert (observation.finish_reason, observation.usage) == ("stop", Usage(prompt_tokens=8, completion_tokens=14))
    assert observation.cost_usd == 36 / 1_000_000
    assert observation.params == {"seed": 5}
    assert observation.started_at > 0


async def test_the_output_is_the_simulated_one() -> None:
    quirks = Quirks(json_fence_rate=0.5, preamble_rate=0.5, paraphrase_rate=0.5, truncation_rate=0.3)
    backend = SimBackend(arm="s", seed=4, quirks=quirks)
    for i in range(40):
        request = ChatRequest(id=f"r{i}", messages=({"role": "user", "content": f"Reply in JSON: item {i}"},))
        observation = await backend.complete(request)
        expected = simulate(request, seed=4, quirks=quirks)
        assert (observation.output, observation.finish_reason, observation.usage) == (
            expected.output, expected.finish_reason, expected.usage)


async def test_an_error_is_an_http_error_info() -> None:
    observation = await SimBackend(arm="s", seed=0, quirks=Quirks(error_rate=1.0)).complete(REQUEST)
    assert observation.error == ErrorInfo(kind="http", status=500, message="simulated upstream error (status 500)")
    assert (observation.output, observation.usage, observation.cost_usd) == (None, None, None)
    configured = await SimBackend(arm="s", seed=0, quirks=Quirks(error_rate=1.0, error_status=429)).complete(REQUEST)
    assert configured.error is not None
    assert (configured.error.kind, configured.error.status) == ("http", 429)


async def test_a_hang_is_cut_by_timeout_s() -> None:
    backend = SimBackend(arm="s", seed=0, quirks=Quirks(hang_rate=1.0, hang_s=30.0), timeout_s=0.2)
    started = time.perf_counter()
    observation = await backend.complete(REQUEST)
    elapsed_ms = (time.perf_counter() - started) * 1000
    assert observation.error == ErrorInfo(kind="timeout", message="no answer within timeout_s=0.2")
    assert 190.0 <= observation.latency_ms <= elapsed_ms
    assert observation.output is None


async def test_the_latency_is_waited_for_real() -> None:
    backend = SimBackend(arm="s", seed=0, quirks=Quirks(latency={"median_ms": 80.0}))
    started = time.perf_counter()
    observation = await backend.complete(REQUEST)
    elapsed_ms = (time.perf_counter() - started) * 1000
    assert 80.0 <= observation.latency_ms <= elapsed_ms
    slow = SimBackend(arm="s", seed=0, quirks=Quirks(latency={"median_ms": 400.0}), timeout_s=0.1)
    late = await slow.complete(REQUEST)
    assert late.error is not None and late.error.kind == "timeout"


async def test_the_arm_params_are_defaults_under_the_request_params() -> None:
    backend = SimBackend(arm="s", seed=0, params={"temperature": 0.0, "seed": 1, "max_tokens": 5})
    observation = await backend.complete(REQUEST)
    assert observation.params == {"temperature": 0.0, "seed": 5, "max_tokens": 5}
    assert (observation.output, observation.finish_reason) == ("Here is a", "length")


async def test_build_backend_makes_a_sim_backend_from_its_config() -> None:
    arm = SimArm(seed=3, quirks=Quirks(error_rate=1.0, error_status=503), price={"input_per_mtok": 1.0},
                 timeout_s=5.0)
    backend = build_backend("sim-b", arm)
    assert isinstance(backend, SimBackend)
    assert (backend.arm, backend.model, backend.seed, backend.timeout_s) == ("sim-b", "sim", 3, 5.0)
    observation = await backend.complete(REQUEST)
    assert observation.error is not None and observation.error.status == 503
