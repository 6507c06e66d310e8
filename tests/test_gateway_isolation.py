"""The client waits only on the serving arm: tests that fail when the gateway breaks that guarantee.

Two alterations of the gateway used to pass the suite: one where the client's answer waits for the
shadow calls, and one where shadow calls take connections from the pool that serves the clients.
Each test here fails on one of them (``scripts/check_guarantee_tests.sh`` applies both to a copy
of the repository and checks that these tests fail there).

The upstream is ``HeldUpstream``, an OpenAI-compatible server on a real port whose calls to some
models are held until the test releases them. Nothing here asserts how long anything took: the
tests assert the client's answers, the number of calls the upstream holds, and what is stored. The
timeouts below are failure guards: an answer that waits on a held call never arrives, and the
client gives up after ``CLIENT_GUARD_S`` instead of hanging.
"""

from __future__ import annotations

import asyncio
import threading
from collections import Counter
from collections.abc import AsyncIterator, Iterator
from contextlib import contextmanager, suppress
from pathlib import Path
from typing import Any

import httpx
import openai
import orjson
import pytest
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import Response, StreamingResponse
from starlette.routing import Route

from modelswap.config import Settings
from modelswap.serving import running_server
from modelswap.store import open_store
from modelswap.types import StoredObservation
from test_gateway import gateway

PRIMARY_MODEL = "model-p"
CANDIDATE_MODEL = "model-c"
CLIENT_GUARD_S = 10.0  # a client's answer never needs it; one held behind a shadow call never arrives
HOLD_GUARD_S = 60.0  # the upstream answers a held call by itself after this, so nothing hangs forever
CALL_GUARD_S = 120.0  # every arm and shadow timeout: longer than the guards above, so none of them fires


def answer_text(model: str, question: str) -> str:
    return f"{model} answers: {question}"


class HeldUpstream:
    """An OpenAI-compatible chat-completions app that answers at once, except the calls it holds.

    A call is held when its model is in ``hold_models``, or, with ``hold_repeats``, when the same
    model was already asked the same question (a replica: the primary's own call comes first).
    Held calls wait until ``release()`` (or ``HOLD_GUARD_S``). ``held`` counts the calls that were
    held, ``answered`` the answers sent per model; ``wait_held`` blocks the test's thread until
    enough calls are held. Answers are ``"<model> answers: <last user message>"``, streamed as
    server-sent events when the body asks for it.
    """

    def __init__(self, *, hold_models: frozenset[str] = frozenset(), hold_repeats: bool = False) -> None:
        self.hold_models = hold_models
        self.hold_repeats = hold_repeats
        self.held = 0
        self.answered: Counter[str] = Counter()
        self._asked: Counter[tuple[str, str]] = Counter()
        self._changed = threading.Condition()
        self._released = False
        self._gate: tuple[asyncio.AbstractEventLoop, asyncio.Event] | None = None
        self.app = Starlette(routes=[Route("/v1/chat/completions", self.chat, methods=["POST"])])

    def release(self) -> None:
        """Answer every held call and hold no more (callable from any thread)."""
        with self._changed:
            self._released = True
            gate = self._gate
        if gate is not None and not gate[0].is_closed():
            gate[0].call_soon_threadsafe(gate[1].set)

    def wait_held(self, count: int) -> bool:
        """Whether ``count`` calls were held within ``CLIENT_GUARD_S``."""
        with self._changed:
            return self._changed.wait_for(lambda: self.held >= count, timeout=CLIENT_GUARD_S)

    async def chat(self, request: Request) -> Response:
        body = orjson.loads(await request.body())
        model, question = body["model"], body["messages"][-1]["content"]
        with self._changed:
            repeat = self._asked[model, question] > 0
            self._asked[model, question] += 1
        if model in self.hold_models or (self.hold_repeats and repeat):
            await self._hold()
        with self._changed:
            self.answered[model] += 1
            self._changed.notify_all()
        text = answer_text(model, question)
        if body.get("stream") is True:
            return StreamingResponse(_events(model, text), media_type="text/event-stream")
        completion = {"id": "chatcmpl-held", "object": "chat.completion", "created": 0, "model": model,
                      "choices": [{"index": 0, "message": {"role": "assistant", "content": text},
                                   "finish_reason": "stop"}],
                      "usage": {"prompt_tokens": 5, "completion_tokens": 4, "total_tokens": 9}}
        return Response(orjson.dumps(completion), media_type="application/json")

    async def _hold(self) -> None:
        with self._changed:
            if self._released:
                return
            if self._gate is None:
                self._gate = (asyncio.get_running_loop(), asyncio.Event())
            event = self._gate[1]
            self.held += 1
            self._changed.notify_all()
        with suppress(TimeoutError):
            await asyncio.wait_for(event.wait(), HOLD_GUARD_S)


async def _events(model: str, text: str) -> AsyncIterator[bytes]:
    words = text.split(" ")
    deltas: list[dict[str, Any]] = [{"role": "assistant", "content": ""}]
    deltas += [{"content": word if i == 0 else f" {word}"} for i, word in enumerate(words)]
    finishes: list[str | None] = [None] * len(deltas) + ["stop"]
    for delta, finish in zip([*deltas, {}], finishes, strict=True):
        chunk = {"id": "chatcmpl-held", "object": "chat.completion.chunk", "created": 0, "model": model,
                 "choices": [{"index": 0, "delta": delta, "finish_reason": finish}]}
        yield b"data: " + orjson.dumps(chunk) + b"\n\n"
    yield b"data: [DONE]\n\n"


@contextmanager
def held_upstream(**options: Any) -> Iterator[tuple[HeldUpstream, str]]:
    """A ``HeldUpstream`` on a real port; everything it holds is released before it stops."""
    upstream = HeldUpstream(**options)
    with running_server(upstream.app) as url:
        try:
            yield upstream, url
        finally:
            upstream.release()


def settings_for(upstream_url: str, *, store: str, primary_connections: int = 100,
                 replica_rate: float = 0.0) -> Settings:
    """Route ``bot``: arm ``primary`` (model-p) serves, arm ``cand`` (model-c, the same host) shadows every request."""
    arm = {"backend": "openai", "base_url": f"{upstream_url}/v1", "timeout_s": CALL_GUARD_S}
    return Settings.model_validate({
        "store": store,
        "arms": {"primary": {**arm, "model": PRIMARY_MODEL, "max_connections": primary_connections},
                 "cand": {**arm, "model": CANDIDATE_MODEL}},
        "routes": {"bot": {"primary": "primary", "candidates": ["cand"],
                           "shadow": {"sample_rate": 1.0, "replica_rate": replica_rate,
                                      "timeout_s": CALL_GUARD_S, "max_in_flight": 64}}},
    })


def client(url: str) -> openai.OpenAI:
    return openai.OpenAI(base_url=f"{url}/v1", api_key="client-key", timeout=CLIENT_GUARD_S, max_retries=0)


def ask(url: str, question: str, *, stream: bool) -> str:
    """The answer's text, through the official client; fails the test when it does not arrive."""
    messages: Any = [{"role": "user", "content": question}]
    try:
        if not stream:
            completion = client(url).chat.completions.create(model="bot", messages=messages)
            assert completion.choices[0].finish_reason == "stop"
            return completion.choices[0].message.content or ""
        chunks = client(url).chat.completions.create(model="bot", messages=messages, stream=True)
        return "".join(chunk.choices[0].delta.content or "" for chunk in chunks if chunk.choices)
    except openai.APITimeoutError:
        pytest.fail(f"no answer to {question!r} within {CLIENT_GUARD_S} s: it waited on a held shadow call")


def ask_to_the_end(url: str, question: str) -> str:
    """A streamed answer read to the end of the HTTP body (the official client stops reading at ``[DONE]``)."""
    body = {"model": "bot", "messages": [{"role": "user", "content": question}], "stream": True}
    try:
        with httpx.stream("POST", f"{url}/v1/chat/completions", json=body, timeout=CLIENT_GUARD_S) as response:
            assert response.status_code == 200
            lines = [line for line in response.iter_lines() if line]
    except httpx.TimeoutException:
        pytest.fail(f"the stream answering {question!r} did not end within {CLIENT_GUARD_S} s: "
                    "its end waited on a held shadow call")
    assert lines[-1] == "data: [DONE]"
    chunks = [orjson.loads(line.removeprefix("data: ")) for line in lines[:-1]]
    return "".join(chunk["choices"][0]["delta"].get("content") or "" for chunk in chunks)


def stored(store: str) -> list[StoredObservation]:
    with open_store(store) as opened:
        return opened.observations("bot")


def outputs(observations: list[StoredObservation], role: str) -> list[str]:
    return sorted(o.observation.output or "" for o in observations if o.role == role)


@pytest.mark.parametrize("stream", [False, True])
def test_the_client_is_answered_while_its_candidate_is_held(tmp_path: Path, stream: bool) -> None:
    store = f"sqlite:///{tmp_path / 'held.db'}"
    questions = ["first question", "second question"]
    with held_upstream(hold_models=frozenset({CANDIDATE_MODEL})) as (upstream, upstream_url), \
            gateway(settings_for(upstream_url, store=store)) as url:
        try:
            answers = [ask(url, questions[0], stream=stream)]
            answers.append(ask_to_the_end(url, questions[1]) if stream else ask(url, questions[1], stream=False))
            assert answers == [answer_text(PRIMARY_MODEL, q) for q in questions]
            assert upstream.wait_held(2), f"{upstream.held} of 2 candidate calls reached the upstream"
            # both clients have their whole answer, and the candidate has answered neither of them yet
            assert (upstream.answered[PRIMARY_MODEL], upstream.answered[CANDIDATE_MODEL]) == (2, 0)
        finally:
            upstream.release()
    # released, the candidate answered; leaving the gateway waited for it and wrote everything
    observations = stored(store)
    assert outputs(observations, "primary") == sorted(answer_text(PRIMARY_MODEL, q) for q in questions)
    assert outputs(observations, "candidate") == sorted(answer_text(CANDIDATE_MODEL, q) for q in questions)
    assert all(o.observation.ok for o in observations)
    assert upstream.answered[CANDIDATE_MODEL] == 2


def test_hung_shadows_on_the_primarys_host_leave_its_one_connection_to_the_clients(tmp_path: Path) -> None:
    """The primary arm may open one connection; its candidate is on the same host and its replica
    calls go to the primary itself. Every shadow call hangs, and each client request is sent only once
    all the shadows of the requests before it are hanging: still, every client is answered."""
    store = f"sqlite:///{tmp_path / 'pool.db'}"
    count = 8
    questions = [f"question {i}" for i in range(count)]
    with held_upstream(hold_models=frozenset({CANDIDATE_MODEL}), hold_repeats=True) as (upstream, upstream_url):
        settings = settings_for(upstream_url, store=store, primary_connections=1, replica_rate=1.0)
        with gateway(settings) as url:
            try:
                for i, question in enumerate(questions):
                    assert ask(url, question, stream=i % 2 == 1) == answer_text(PRIMARY_MODEL, question)
                    shadows = 2 * (i + 1)  # a candidate call and a replica call per request, all still held
                    assert upstream.wait_held(shadows), f"only {upstream.held} of {shadows} shadow calls are held"
                assert (upstream.answered[PRIMARY_MODEL], upstream.answered[CANDIDATE_MODEL]) == (count, 0)
            finally:
                upstream.release()
    observations = stored(store)
    assert outputs(observations, "primary") == outputs(observations, "replica") == sorted(
        answer_text(PRIMARY_MODEL, q) for q in questions)
    assert outputs(observations, "candidate") == sorted(answer_text(CANDIDATE_MODEL, q) for q in questions)
    assert all(o.observation.ok for o in observations)
