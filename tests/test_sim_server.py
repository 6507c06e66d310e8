"""The simulator's OpenAI-compatible server, on a real socket, with httpx and the official client."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from typing import Any

import httpx
import openai
import orjson
import pytest

from modelswap.serving import running_server
from modelswap.sim.model import simulate
from modelswap.sim.quirks import Quirks
from modelswap.sim.server import create_sim_app
from modelswap.traffic import content_id
from modelswap.types import ChatRequest

QUIRKS = Quirks(json_fence_rate=0.5, preamble_rate=0.5, rename_key_rate=0.5, paraphrase_rate=0.5,
                truncation_rate=0.2)
SEED = 7
EXPECT = {"format": "json", "fields": {"name": "Ada", "age": 34}}
MESSAGES: list[Any] = [{"role": "user", "content": "Who is this? Reply in JSON."}]


@pytest.fixture(scope="module")
def base_url() -> Iterator[str]:
    with running_server(create_sim_app(seed=SEED, quirks=QUIRKS, model="sim-7")) as url:
        yield url


@pytest.fixture(scope="module")
def failing_url() -> Iterator[str]:
    with running_server(create_sim_app(quirks=Quirks(error_rate=1.0, error_status=503))) as url:
        yield url


def expected(request_id: str, messages: list[dict[str, Any]], params: dict[str, Any],
             expect: dict[str, Any] | None = None) -> str | None:
    request = ChatRequest(id=request_id, messages=tuple(messages), params=params, expect=expect or {})
    return simulate(request, seed=SEED, quirks=QUIRKS, model="sim-7").output


def test_a_completion_is_openai_shaped_and_equals_the_simulated_output(base_url: str) -> None:
    body = {"model": "anything", "messages": MESSAGES, "temperature": 0,
            "metadata": {"modelswap_expect": orjson.dumps(EXPECT).decode()}}
    response = httpx.post(f"{base_url}/v1/chat/completions", json=body, headers={"x-request-id": "q1"})
    assert response.status_code == 200
    assert response.headers["content-type"] == "application/json"
    data = response.json()
    assert set(data) == {"id", "object", "created", "model", "choices", "usage"}
    assert (data["object"], data["model"]) == ("chat.completion", "sim-7")
    assert data["id"].startswith("chatcmpl-")
    output = expected("q1", MESSAGES, {"temperature": 0}, EXPECT)
    request = ChatRequest(id="q1", messages=tuple(MESSAGES), params={"temperature": 0}, expect=EXPECT)
    outcome = simulate(request, seed=SEED, quirks=QUIRKS, model="sim-7")
    assert data["choices"] == [{"index": 0, "message": {"role": "assistant", "content": output},
                                "finish_reason": outcome.finish_reason, "logprobs": None}]
    assert data["usage"] == {"prompt_tokens": outcome.usage.prompt_tokens,
                             "completion_tokens": outcome.usage.completion_tokens,
                             "total_tokens": outcome.usage.total_tokens}


def test_outputs_over_http_equal_simulate_for_many_requests(base_url: str) -> None:
    with httpx.Client(base_url=base_url) as client:
        for i in range(30):
            messages = [{"role": "user", "content": f"Question {i}: give the answer in JSON"}]
            with_id = client.post("/v1/chat/completions", json={"model": "m", "messages": messages, "seed": i},
                                  headers={"x-request-id": f"id-{i}"}).json()
            assert with_id["choices"][0]["message"]["content"] == expected(f"id-{i}", messages, {"seed": i})
            by_content = client.post("/v1/chat/completions", json={"model": "m", "messages": messages}).json()
            assert by_content["choices"][0]["message"]["content"] == expected(
                content_id(tuple(messages), {}), messages, {})


def test_the_openai_client_non_streaming(base_url: str) -> None:
    client = openai.OpenAI(base_url=f"{base_url}/v1", api_key="x", max_retries=0)
    completion = client.chat.completions.create(model="sim-7", messages=MESSAGES,
                                                extra_headers={"x-request-id": "c1"})
    assert completion.choices[0].message.content == expected("c1", MESSAGES, {})
    assert completion.choices[0].message.role == "assistant"
    assert completion.usage is not None
    assert completion.usage.prompt_tokens == 8
    assert completion.usage.total_tokens == completion.usage.prompt_tokens + completion.usage.completion_tokens
    assert [m.id for m in client.models.list()] == ["sim-7"]
    client.close()


def test_the_openai_client_streaming_with_usage(base_url: str) -> None:
    client = openai.OpenAI(base_url=f"{base_url}/v1", api_key="x", max_retries=0)
    stream = client.chat.completions.create(model="sim-7", messages=MESSAGES, stream=True,
                                            stream_options={"include_usage": True},
                                            extra_headers={"x-request-id": "s1"})
    chunks = list(stream)
    request = ChatRequest(id="s1", messages=tuple(MESSAGES), params={})
    outcome = simulate(request, seed=SEED, quirks=QUIRKS, model="sim-7")
    text = "".join(c.choices[0].delta.content or "" for c in chunks if c.choices)
    assert text == outcome.output
    assert [c.choices[0].finish_reason for c in chunks if c.choices][-1] == outcome.finish_reason
    assert chunks[-1].choices == []
    assert chunks[-1].usage is not None
    assert (chunks[-1].usage.prompt_tokens, chunks[-1].usage.completion_tokens) == (
        outcome.usage.prompt_tokens, outcome.usage.completion_tokens)
    assert all(c.usage is None for c in chunks[:-1])
    assert len(chunks) == len((outcome.output or "").split()) + 3
    client.close()


def test_the_raw_stream_is_server_sent_events_ending_with_done() -> None:
    body = {"model": "m", "messages": [{"role": "user", "content": "Say three words"}], "stream": True}
    with running_server(create_sim_app()) as url, httpx.stream("POST", f"{url}/v1/chat/completions",
                                                               json=body) as response:
        assert response.headers["content-type"].startswith("text/event-stream")
        raw = response.read().decode()
    events = raw.split("\n\n")
    assert events[-2:] == ["data: [DONE]", ""]
    assert all(e.startswith("data: ") for e in events[:-1])
    payloads = [orjson.loads(e.removeprefix("data: ")) for e in events[:-2]]
    words = ["Here ", "is ", "a ", "short ", "answer ", "about ", "Say ", "three ", "words."]
    assert [p["choices"][0]["delta"] for p in payloads] == [
        {"role": "assistant", "content": ""}, *({"content": w} for w in words), {}]
    assert payloads[-1]["choices"][0] == {"index": 0, "delta": {}, "finish_reason": "stop", "logprobs": None}
    assert {(p["object"], p["model"], p["id"]) for p in payloads} == {
        ("chat.completion.chunk", "sim", payloads[0]["id"])}
    assert all("usage" not in p for p in payloads)


def test_an_error_quirk_answers_its_status_with_an_openai_error_body(failing_url: str) -> None:
    response = httpx.post(f"{failing_url}/v1/chat/completions", json={"model": "m", "messages": MESSAGES})
    assert response.status_code == 503
    assert response.json() == {"error": {"message": "simulated upstream error (status 503)", "type": "server_error",
                                         "param": None, "code": "simulated_error"}}
    client = openai.OpenAI(base_url=f"{failing_url}/v1", api_key="x", max_retries=0)
    with pytest.raises(openai.InternalServerError) as caught:
        client.chat.completions.create(model="m", messages=MESSAGES)
    assert caught.value.status_code == 503
    client.close()


def test_bad_requests_are_400_and_name_the_problem(base_url: str) -> None:
    url = f"{base_url}/v1/chat/completions"
    bad_json = httpx.post(url, content=b"{not json", headers={"content-type": "application/json"})
    assert bad_json.status_code == 400
    assert (bad_json.json()["error"]["type"], bad_json.json()["error"]["code"]) == ("invalid_request_error",
                                                                                    "invalid_json")
    missing = httpx.post(url, json={"model": "m"})
    assert (missing.status_code, missing.json()) == (400, {"error": {
        "message": "missing required parameter: 'messages'", "type": "invalid_request_error", "param": "messages",
        "code": "missing_required_parameter"}})
    not_a_list = httpx.post(url, json={"model": "m", "messages": "hi"})
    assert (not_a_list.status_code, not_a_list.json()["error"]["param"]) == (400, "messages")
    bad_expect = httpx.post(url, json={"messages": MESSAGES, "metadata": {"modelswap_expect": "{nope"}})
    assert (bad_expect.status_code, bad_expect.json()["error"]["param"]) == (400, "metadata.modelswap_expect")
    array = httpx.post(url, json=[1, 2])
    assert (array.status_code, array.json()["error"]["message"]) == (400, "the request body must be a JSON object")


def test_health_models_and_unknown_paths(base_url: str) -> None:
    assert httpx.get(f"{base_url}/healthz").json() == {"status": "ok", "model": "sim-7", "seed": SEED}
    assert httpx.get(f"{base_url}/v1/models").json() == {"object": "list", "data": [
        {"id": "sim-7", "object": "model", "created": 0, "owned_by": "modelswap"}]}
    missing = httpx.get(f"{base_url}/v1/nothing")
    assert (missing.status_code, missing.json()["error"]["code"]) == (404, "not_found")


def test_a_hang_stops_when_the_client_disconnects() -> None:
    app = create_sim_app(quirks=Quirks(hang_rate=1.0, hang_s=60.0))
    before = set(threading.enumerate())
    with running_server(app) as url:
        server_threads = set(threading.enumerate()) - before
        with pytest.raises(httpx.ReadTimeout):
            httpx.post(f"{url}/v1/chat/completions", json={"messages": MESSAGES}, timeout=0.3)
    # the server stopped: a hang still running (60 s) would keep its thread past running_server's join
    assert server_threads and not any(thread.is_alive() for thread in server_threads)
