"""The openai backend against a real HTTP server that plays a script of replies."""

from __future__ import annotations

import asyncio
import dataclasses
import logging
import random
import time
from collections import deque
from collections.abc import AsyncIterator, Callable, Iterator
from dataclasses import dataclass, field
from typing import Any

import orjson
import pytest
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from modelswap.backends import build_backend
from modelswap.backends.openai import OpenAIBackend
from modelswap.config import OpenAIArm, PriceConfig
from modelswap.errors import BackendError
from modelswap.price import Price
from modelswap.serving import free_port, running_server
from modelswap.types import ChatRequest, Observation

KEY = "sk-live-SECRET-0123456789abcdef"
MESSAGES = ({"role": "user", "content": "Capital of France?"},)


@dataclass(frozen=True)
class Reply:
    """One scripted upstream reply; ``body`` may be a function of the received headers."""

    status: int = 200
    body: Any = None
    headers: dict[str, str] = field(default_factory=dict)
    delay_s: float = 0.0


@dataclass(frozen=True)
class Received:
    headers: dict[str, str]
    json: dict[str, Any]
    client_port: int


class Upstream:
    """A scripted chat-completions server: plays ``Reply`` values in order and records requests."""

    def __init__(self) -> None:
        self.script: deque[Reply] = deque()
        self.received: list[Received] = []
        self.answered = 0  # replies sent after their whole delay (not cut short by the client hanging up)
        self.app = Starlette(routes=[Route("/v1/chat/completions", self.handle, methods=["POST"])])

    def play(self, *replies: Reply) -> None:
        self.script.clear()
        self.received.clear()
        self.answered = 0
        self.script.extend(replies)

    async def handle(self, request: Request) -> Response:
        headers = dict(request.headers)
        port = request.client.port if request.client else 0
        self.received.append(Received(headers=headers, json=orjson.loads(await request.body()), client_port=port))
        reply = self.script.popleft() if self.script else Reply(status=418, body={"error": {"message": "unscripted"}})
        deadline = time.monotonic() + reply.delay_s
        while time.monotonic() < deadline and not await request.is_disconnected():
            await asyncio.sleep(0.01)
        if time.monotonic() >= deadline:
            self.answered += 1
        body = reply.body(headers) if callable(reply.body) else reply.body
        content = body if isinstance(body, bytes) else orjson.dumps(body)
        return Response(content, status_code=reply.status, headers=reply.headers, media_type="application/json")


def completion(content: str | None = "Paris", *, prompt_tokens: int = 1000, completion_tokens: int = 500,
               finish_reason: str = "stop", model: str = "gpt-4o-mini-2024-07-18", **message: Any) -> dict[str, Any]:
    return {"id": "chatcmpl-1", "object": "chat.completion", "model": model,
            "choices": [{"index": 0, "message": {"role": "assistant", "content": content, **message},
                         "finish_reason": finish_reason}],
            "usage": {"prompt_tokens": prompt_tokens, "completion_tokens": completion_tokens,
                      "total_tokens": prompt_tokens + completion_tokens}}


def error_body(message: str) -> dict[str, Any]:
    return {"error": {"message": message, "type": "server_error", "code": None}}


class SleepSpy:
    """An injected sleep that records the delays and returns at once."""

    def __init__(self) -> None:
        self.calls: list[float] = []

    async def __call__(self, delay: float) -> None:
        self.calls.append(delay)


@pytest.fixture(scope="module")
def server() -> Iterator[tuple[Upstream, str]]:
    upstream = Upstream()
    with running_server(upstream.app) as url:
        yield upstream, f"{url}/v1"


@pytest.fixture
def upstream(server: tuple[Upstream, str]) -> Upstream:
    server[0].play()
    return server[0]


@pytest.fixture
def sleep() -> SleepSpy:
    return SleepSpy()


Make = Callable[..., OpenAIBackend]


@pytest.fixture
async def make(server: tuple[Upstream, str], sleep: SleepSpy) -> AsyncIterator[Make]:
    made: list[OpenAIBackend] = []

    def factory(**options: Any) -> OpenAIBackend:
        defaults: dict[str, Any] = {"arm": "gpt", "base_url": server[1], "model": "gpt-4o-mini", "timeout_s": 5.0,
                                    "backoff_s": 0.01, "max_backoff_s": 0.05, "rng": random.Random(7),
                                    "sleep": sleep}
        backend = OpenAIBackend(**{**defaults, **options})
        made.append(backend)
        return backend

    yield factory
    for backend in made:
        await backend.aclose()


def request(**fields: Any) -> ChatRequest:
    return ChatRequest(**{"id": "r1", "messages": MESSAGES, **fields})


async def test_success_has_exact_output_usage_and_cost(upstream: Upstream, make: Make) -> None:
    upstream.play(Reply(body=completion()))
    backend = make(price=Price(input_per_mtok=0.15, output_per_mtok=0.6))
    before, t0 = time.time(), time.perf_counter()
    obs = await backend.complete(request(params={"temperature": 0}))
    elapsed_ms = (time.perf_counter() - t0) * 1000
    assert obs.ok
    assert (obs.arm, obs.model, obs.output, obs.finish_reason) == ("gpt", "gpt-4o-mini-2024-07-18", "Paris", "stop")
    assert (obs.usage.prompt_tokens, obs.usage.completion_tokens) == (1000, 500)  # type: ignore[union-attr]
    assert obs.cost_usd == pytest.approx(0.00045, rel=1e-12)
    assert obs.params == {"temperature": 0}
    assert before <= obs.started_at <= time.time()
    assert 0 < obs.latency_ms <= elapsed_ms
    assert upstream.received[0].json == {"temperature": 0, "model": "gpt-4o-mini", "messages": list(MESSAGES)}
    assert upstream.received[0].headers["content-type"] == "application/json"


async def test_model_falls_back_to_configured_and_missing_usage_costs_nothing(upstream: Upstream, make: Make) -> None:
    body = completion()
    del body["model"], body["usage"]
    upstream.play(Reply(body=body))
    obs = await make(price=Price(input_per_mtok=1.0)).complete(request())
    assert (obs.model, obs.output, obs.usage, obs.cost_usd) == ("gpt-4o-mini", "Paris", None, None)


async def test_request_params_override_arm_params(upstream: Upstream, make: Make) -> None:
    upstream.play(Reply(body=completion()))
    backend = make(params={"temperature": 0.7, "max_tokens": 64})
    obs = await backend.complete(request(params={"temperature": 0.0, "seed": 7, "stream": True, "model": "other"}))
    sent = {"temperature": 0.0, "max_tokens": 64, "seed": 7}
    assert obs.params == sent
    assert upstream.received[0].json == {**sent, "model": "gpt-4o-mini", "messages": list(MESSAGES)}


@pytest.mark.parametrize(("api_key", "expected"), [(KEY, f"Bearer {KEY}"), (None, None)])
async def test_authorization_header_only_with_a_key(upstream: Upstream, make: Make, api_key: str | None,
                                                    expected: str | None) -> None:
    upstream.play(Reply(body=completion()))
    backend = make(api_key=api_key, headers={"X-Team": "search"})
    assert (await backend.complete(request())).ok
    headers = upstream.received[0].headers
    assert headers.get("authorization") == expected
    assert headers["x-team"] == "search"


async def test_429_then_200_succeeds_after_one_retry(upstream: Upstream, make: Make, sleep: SleepSpy,
                                                     caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.DEBUG, logger="modelswap")
    upstream.play(Reply(status=429, body=error_body("slow down")), Reply(body=completion()))
    obs = await make(backoff_s=0.5, max_backoff_s=8.0).complete(request())
    assert obs.ok and obs.output == "Paris"
    assert len(upstream.received) == 2
    assert sleep.calls == [random.Random(7).uniform(0.0, 0.5)]
    assert "HTTP 200 after 2 attempt(s)" in caplog.text


async def test_500_three_times_is_an_http_error_after_exactly_three_attempts(upstream: Upstream, make: Make,
                                                                           sleep: SleepSpy) -> None:
    upstream.play(*[Reply(status=500, body=error_body("upstream exploded"))] * 3, Reply(body=completion()))
    obs = await make(max_retries=2, backoff_s=0.01, max_backoff_s=1.0).complete(request())
    assert obs.error is not None
    assert (obs.error.kind, obs.error.status, obs.error.message) == ("http", 500, "upstream exploded")
    assert obs.output is None and obs.params == {}
    assert len(upstream.received) == 3
    rng = random.Random(7)
    assert sleep.calls == [rng.uniform(0.0, 0.01), rng.uniform(0.0, 0.02)]


@pytest.mark.parametrize(("body", "message"), [
    (error_body("Invalid value for 'temperature'"), "Invalid value for 'temperature'"),
    ({"error": "model 'gemma9' not found"}, "model 'gemma9' not found"),
    (b"<html>" + b"x" * 300, "<html>" + "x" * 194),
])
async def test_400_is_final_and_carries_the_upstream_message(upstream: Upstream, make: Make, sleep: SleepSpy,
                                                             body: Any, message: str) -> None:
    upstream.play(Reply(status=400, body=body), Reply(body=completion()))
    obs = await make().complete(request())
    assert obs.error is not None
    assert (obs.error.kind, obs.error.status, obs.error.message) == ("http", 400, message)
    assert len(upstream.received) == 1
    assert sleep.calls == []


@pytest.mark.parametrize(("retry_after", "delay"), [
    ("100", 0.05),                                  # capped at max_backoff_s
    ("0.02", 0.02),                                 # honoured exactly, no jitter
    ("Wed, 21 Oct 2015 07:28:00 GMT", random.Random(7).uniform(0.0, 0.01)),  # a date: our own backoff
])
async def test_retry_after_is_honoured_and_capped(upstream: Upstream, make: Make, sleep: SleepSpy,
                                                  retry_after: str, delay: float) -> None:
    upstream.play(Reply(status=503, body=error_body("busy"), headers={"Retry-After": retry_after}),
                  Reply(body=completion()))
    obs = await make(backoff_s=0.01, max_backoff_s=0.05).complete(request())
    assert obs.ok
    assert sleep.calls == [delay]


async def test_connection_refused_is_a_connection_error_after_retries(make: Make, sleep: SleepSpy) -> None:
    backend = make(base_url=f"http://127.0.0.1:{free_port()}/v1", max_retries=2)
    obs = await backend.complete(request())
    assert obs.error is not None
    assert obs.error.kind == "connection" and obs.error.status is None
    assert "calling 'gpt'" in obs.error.message and "Connect" in obs.error.message
    assert len(sleep.calls) == 2


async def test_upstream_hang_is_a_timeout_bounded_by_timeout_s(upstream: Upstream, make: Make) -> None:
    upstream.play(Reply(body=completion(), delay_s=30.0))
    obs = await make(timeout_s=0.3).complete(request())
    assert obs.error is not None
    assert obs.error.kind == "timeout"
    assert obs.latency_ms >= 300
    assert upstream.answered == 0  # the deadline ended the call, not the upstream's (30 s late) answer


async def test_the_deadline_covers_retries(upstream: Upstream, make: Make) -> None:
    upstream.play(Reply(status=503, body=error_body("busy")), Reply(body=completion(), delay_s=30.0))
    obs = await make(timeout_s=0.3, sleep=asyncio.sleep).complete(request())
    assert obs.error is not None and obs.error.kind == "timeout"
    assert len(upstream.received) == 2
    assert obs.latency_ms >= 300
    assert upstream.answered == 1  # the 503; the retry's answer (30 s late) never came


@pytest.mark.parametrize("body", [
    b"this is not json",
    {"object": "chat.completion"},
    {"choices": []},
    {"choices": [{"message": "Paris"}]},
    {"choices": [{"message": {"content": ["Paris"]}}]},
    [1, 2, 3],
])
async def test_a_body_that_is_not_a_completion_is_an_invalid_response(upstream: Upstream, make: Make,
                                                                      body: Any) -> None:
    upstream.play(Reply(body=body))
    obs = await make().complete(request())
    assert obs.error is not None
    assert (obs.error.kind, obs.error.status) == ("invalid_response", 200)
    assert obs.error.message.startswith("not a chat completion")


async def test_tool_calls_become_the_output_as_json(upstream: Upstream, make: Make) -> None:
    calls = [{"id": "call_1", "type": "function",
              "function": {"name": "get_weather", "arguments": '{"city": "Paris"}'}}]
    upstream.play(Reply(body=completion(None, finish_reason="tool_calls", tool_calls=calls)))
    obs = await make().complete(request())
    assert obs.ok and obs.finish_reason == "tool_calls"
    assert obs.output is not None and orjson.loads(obs.output) == calls


async def test_refusal_becomes_the_output(upstream: Upstream, make: Make) -> None:
    upstream.play(Reply(body=completion(None, refusal="I can't help with that.")))
    assert (await make().complete(request())).output == "I can't help with that."


@pytest.mark.parametrize(("forward_expect", "expect", "metadata"), [
    (True, {"format": "json", "bullets": 3},
     {"modelswap_category": "default", "modelswap_expect": '{"format":"json","bullets":3}'}),
    (True, {}, {"modelswap_category": "default"}),
    (False, {"format": "json"}, None),
])
async def test_forward_expect_sends_it_as_metadata(upstream: Upstream, make: Make, forward_expect: bool,
                                                   expect: dict[str, Any], metadata: dict[str, str] | None) -> None:
    upstream.play(Reply(body=completion()))
    obs = await make(forward_expect=forward_expect).complete(request(expect=expect))
    assert obs.ok and obs.params == {}
    assert upstream.received[0].json.get("metadata") == metadata


async def test_connections_are_pooled_and_reopened_after_aclose(upstream: Upstream, make: Make) -> None:
    upstream.play(*[Reply(body=completion())] * 3)
    backend = make()
    await backend.complete(request())
    await backend.complete(request())
    await backend.aclose()
    assert (await backend.complete(request())).ok
    first, second, third = (received.client_port for received in upstream.received)
    assert first == second != third


async def test_from_config_reads_the_key_from_env(server: tuple[Upstream, str], upstream: Upstream) -> None:
    arm = OpenAIArm(base_url=server[1] + "/", model="gemma-3-270m", api_key_env="GEMMA_KEY", timeout_s=2,
                    params={"temperature": 0.2}, price=PriceConfig(input_per_mtok=0.15, output_per_mtok=0.6),
                    headers={"X-Team": "search"}, forward_expect=True)
    backend = build_backend("gemma", arm, env={"GEMMA_KEY": KEY})
    assert isinstance(backend, OpenAIBackend)
    upstream.play(Reply(body=completion(model="gemma-3-270m")))
    try:
        obs = await backend.complete(request(expect={"language": "fr"}))
    finally:
        await backend.aclose()
    assert (obs.arm, obs.model, obs.params) == ("gemma", "gemma-3-270m", {"temperature": 0.2})
    assert obs.cost_usd == pytest.approx(0.00045, rel=1e-12)
    received = upstream.received[0]
    assert received.headers["authorization"] == f"Bearer {KEY}"
    assert received.headers["x-team"] == "search"
    assert received.json["metadata"] == {"modelswap_category": "default", "modelswap_expect": '{"language":"fr"}'}
    assert (backend.timeout_s, backend.max_retries, backend.backoff_s) == (2.0, 2, 0.5)


@pytest.mark.parametrize("env", [{}, {"GEMMA_KEY": ""}])
def test_from_config_names_a_missing_variable(env: dict[str, str]) -> None:
    arm = OpenAIArm(base_url="http://127.0.0.1:9/v1", model="m", api_key_env="GEMMA_KEY")
    with pytest.raises(BackendError) as caught:
        OpenAIBackend.from_config("gemma", arm, env=env)
    assert str(caught.value) == "arm 'gemma': environment variable GEMMA_KEY (api_key_env) is not set or empty"


def test_from_config_without_api_key_env_sends_no_key() -> None:
    arm = OpenAIArm(base_url="http://127.0.0.1:9/v1", model="m")
    assert "api_key=none" in repr(OpenAIBackend.from_config("local", arm, env={"OPENAI_API_KEY": KEY}))


def echo_key(headers: dict[str, str]) -> dict[str, Any]:
    return error_body(f"Incorrect API key provided: {headers.get('authorization')}")


async def test_the_key_never_leaks(upstream: Upstream, make: Make, caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.DEBUG)
    backend = make(api_key=KEY, max_retries=1)
    observations: list[Observation] = []
    upstream.play(Reply(body=completion()))
    observations.append(await backend.complete(request()))
    upstream.play(Reply(status=401, body=echo_key))
    observations.append(await backend.complete(request()))
    upstream.play(*[Reply(status=500, body=lambda h: f"proxy saw {h['authorization']}".encode())] * 2)
    observations.append(await backend.complete(request()))
    upstream.play(Reply(body=lambda h: completion(f"your header was {h['authorization']}")))
    observations.append(await backend.complete(request()))
    upstream.play(Reply(body=lambda h: {"choices": f"{h['authorization']}"}))
    observations.append(await backend.complete(request()))
    closed = make(api_key=KEY, base_url=f"http://127.0.0.1:{free_port()}/v1")
    observations.append(await closed.complete(request()))
    assert all(f"Bearer {KEY}" == received.headers["authorization"] for received in upstream.received)
    assert [obs.error.kind if obs.error else "ok" for obs in observations] == [
        "ok", "http", "http", "ok", "invalid_response", "connection"]
    assert observations[1].error is not None
    assert observations[1].error.message == "Incorrect API key provided: Bearer ***"
    assert observations[3].output == "your header was Bearer ***"
    for obs in observations:
        assert KEY not in repr(obs)
        assert KEY not in orjson.dumps(dataclasses.asdict(obs)).decode()
    assert KEY not in repr(backend) and KEY not in str(backend)
    assert "modelswap.backends.openai" in {record.name for record in caplog.records}
    assert KEY not in caplog.text
