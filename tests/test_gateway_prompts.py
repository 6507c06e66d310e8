"""The gateway applies registry prompts per arm, over real HTTP with the official openai client.

Each arm gets its own variant: the primary and the replica (an ``openai`` arm in front of the simulator's
server, model ``gpt-4o-mini``: the ``default`` variant), a shadowing candidate (another simulator server,
model ``gemma3-270m``: ``family:gemma`` by the derived family) and an in-process simulator whose family is
configured (``family: llama``), which echoes the last user message it was given. The simulator servers are
wrapped to keep every body they receive, so the tests assert the exact messages and parameters each arm
was sent. Also: a canary-serving candidate gets its variant, observations carry prompt, version and variant,
a sticky split of two labels, hash pins, an arm without a variant left unshadowed, the 400s, a label moved
back under load with no failed request, and a PostgreSQL outage (behind a TCP proxy that is cut) during which
requests keep being served, those naming a prompt on the last labels read.
"""

from __future__ import annotations

import asyncio
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import httpx
import openai
import orjson
import pytest
import yaml

from modelswap.config import Settings
from modelswap.gateway import create_app
from modelswap.prompts.registry import content_hash, parse_prompt
from modelswap.rollout.assignment import bucket, route_salt
from modelswap.rollout.control import apply
from modelswap.rollout.state import Action
from modelswap.serving import running_server
from modelswap.sim.server import create_sim_app
from modelswap.store import open_store
from modelswap.store.prompts import PromptLabel, PromptVersion
from modelswap.types import PromptUse
from tcp_proxy import TcpProxy

POLL_S = 0.05


def prompt_text(tag: str) -> str:
    """The prompt ``greet`` at version ``tag``: three variants whose messages say which they are."""
    return yaml.safe_dump({
        "name": "greet", "purpose": "Greet someone.", "variables": ["who"],
        "params": {"temperature": 0.1, "max_tokens": 40},
        "variants": {
            "default": {"messages": [{"role": "system", "content": f"{tag} default system"},
                                     {"role": "user", "content": f"{tag} default: hello {{{{who}}}}"}]},
            "family:gemma": {"messages": [{"role": "user", "content": f"{tag} gemma: hi {{{{who}}}}"}],
                             "params": {"max_tokens": 30, "stop": ["\n"]}},
            "family:llama": {"messages": [{"role": "user", "content": f"{tag} llama: hey {{{{who}}}}"}],
                             "params": {"temperature": 0.7}},
        }})


def push(store_url: str, tag: str, *labels: str) -> str:
    """Store version ``tag`` of ``greet`` and point ``labels`` at it; its hash."""
    prompt = parse_prompt(prompt_text(tag))
    digest = content_hash(prompt)
    with open_store(store_url) as store:
        store.save_prompt_version(PromptVersion(name="greet", hash=digest, content=prompt.model_dump(mode="json"),
                                                created_at=time.time(), created_by="test"))
        for label in labels:
            store.set_prompt_label(PromptLabel(name="greet", label=label, hash=digest, updated_at=time.time(),
                                               updated_by="test"))
    return digest


class Kept:
    """An ASGI app in front of another that keeps every chat-completions body it is sent."""

    def __init__(self, app: Any) -> None:
        self.app = app
        self.bodies: list[dict[str, Any]] = []

    async def __call__(self, scope: Any, receive: Any, send: Any) -> None:
        if scope["type"] != "http" or scope["path"] != "/v1/chat/completions":
            await self.app(scope, receive, send)
            return
        chunks, more = [], True
        while more:
            message = await receive()
            chunks.append(message.get("body", b""))
            more = message.get("more_body", False)
        raw = b"".join(chunks)
        self.bodies.append(orjson.loads(raw))
        given = False

        async def again() -> Any:
            nonlocal given
            if given:
                return await receive()
            given = True
            return {"type": "http.request", "body": raw, "more_body": False}

        await self.app(scope, again, send)


@contextmanager
def sims() -> Iterator[tuple[Kept, str, Kept, str]]:
    first, second = Kept(create_sim_app(seed=1)), Kept(create_sim_app(seed=2))
    with running_server(first) as first_url, running_server(second) as second_url:
        yield first, first_url, second, second_url


def settings_for(store_url: str, gpt_url: str, gemma_url: str, *, route: dict[str, Any] | None = None) -> Settings:
    arms = {"gpt": {"backend": "openai", "base_url": f"{gpt_url}/v1", "model": "gpt-4o-mini", "max_retries": 0},
            "gemma": {"backend": "openai", "base_url": f"{gemma_url}/v1", "model": "gemma3-270m", "max_retries": 0,
                      "params": {"temperature": 0.9, "seed": 7}},
            "tiny": {"backend": "sim", "model": "tiny-1b", "family": "llama", "quirks": {"echo_rate": 1.0}}}
    bot = {"primary": "gpt", "candidates": ["gemma", "tiny"], "shadow": {"sample_rate": 1.0, "replica_rate": 1.0},
           "prompts": ["greet"], **(route or {})}
    return Settings.model_validate({"store": store_url, "arms": arms, "routes": {"bot": bot}})


@contextmanager
def gateway(settings: Settings) -> Iterator[openai.OpenAI]:
    with running_server(create_app(settings, rollout_poll_s=POLL_S)) as url:
        yield openai.OpenAI(base_url=f"{url}/v1", api_key="x", max_retries=0)


def eventually(condition: Callable[[], bool], timeout_s: float = 20.0) -> None:
    """Wait (bounded) for ``condition``: not a timing assertion, a wait that fails if it never holds."""
    deadline = time.monotonic() + timeout_s
    while not condition():
        assert time.monotonic() < deadline, "the condition never held"
        time.sleep(0.02)


@pytest.fixture
def store_url(tmp_path: Path) -> str:
    return f"sqlite:///{tmp_path / 'gw.db'}"


def default(tag: str, who: str) -> list[dict[str, str]]:
    return [{"role": "system", "content": f"{tag} default system"},
            {"role": "user", "content": f"{tag} default: hello {who}"}]


def test_each_arm_gets_its_own_variant_and_the_observations_say_which(store_url: str) -> None:
    push(store_url, "v1")
    v2 = push(store_url, "v2", "production")
    with sims() as (gpt, gpt_url, gemma, gemma_url), gateway(settings_for(store_url, gpt_url, gemma_url)) as client:
        answer = client.chat.completions.with_raw_response.create(
            model="bot", messages=[], temperature=0.2,
            extra_headers={"x-modelswap-prompt": "greet", "x-modelswap-prompt-variables": '{"who": "Ada"}'})
        eventually(lambda: len(gpt.bodies) == 2 and len(gemma.bodies) == 1)
    assert answer.headers["x-modelswap-prompt-version"] == f"greet@{v2}"
    assert answer.headers["x-modelswap-arm"] == "gpt"
    # prompt params < variant params < the client's explicit fields; the arm's params under all of them
    primary = {"model": "gpt-4o-mini", "messages": default("v2", "Ada"), "temperature": 0.2, "max_tokens": 40}
    assert gpt.bodies == [primary, primary]  # the primary, then the replica
    assert gemma.bodies == [{"model": "gemma3-270m", "messages": [{"role": "user", "content": "v2 gemma: hi Ada"}],
                             "temperature": 0.2, "max_tokens": 30, "stop": ["\n"], "seed": 7}]
    with open_store(store_url) as store:
        observations = {(s.key.arm, s.key.sample): s for s in store.observations("bot")}
        [request] = store.requests("bot")
    assert {key: (s.role, s.observation.prompt) for key, s in observations.items()} == {
        ("gpt", 0): ("primary", PromptUse(name="greet", hash=v2, variant="default")),
        ("gpt", 1): ("replica", PromptUse(name="greet", hash=v2, variant="default")),
        ("gemma", 0): ("candidate", PromptUse(name="greet", hash=v2, variant="family:gemma")),
        ("tiny", 0): ("candidate", PromptUse(name="greet", hash=v2, variant="family:llama"))}
    # the in-process arm echoes the last user message of its own rendering
    assert observations[("tiny", 0)].observation.output == "v2 llama: hey Ada"
    assert observations[("tiny", 0)].observation.params == {"temperature": 0.2, "max_tokens": 40}
    assert list(request.messages) == default("v2", "Ada")  # the serving arm's rendering is the stored request


def test_metadata_names_the_prompt_its_label_and_variables_and_client_messages_follow(store_url: str) -> None:
    push(store_url, "v1", "staging")
    push(store_url, "v2", "production")
    follow_up = [{"role": "assistant", "content": "Hello!"}, {"role": "user", "content": "And again?"}]
    with sims() as (gpt, gpt_url, gemma, gemma_url), \
            gateway(settings_for(store_url, gpt_url, gemma_url, route={"shadow": {}})) as client:
        client.chat.completions.create(model="bot", messages=follow_up,  # type: ignore[arg-type]
                                       extra_body={"metadata": {"prompt": {"name": "greet", "label": "staging",
                                                                           "variables": {"who": "Bo"}},
                                                                "team": "red"}})
    assert gpt.bodies == [{"model": "gpt-4o-mini", "messages": [*default("v1", "Bo"), *follow_up],
                           "metadata": {"team": "red"}, "temperature": 0.1, "max_tokens": 40}]
    assert gemma.bodies == []


def test_a_canary_serving_candidate_gets_its_variant(store_url: str) -> None:
    v1 = push(store_url, "v1", "production")
    rollout = {"rollout": {"candidate": "gemma", "sticky": {"header": "x-user-id"}}}
    settings = settings_for(store_url, "http://127.0.0.1:9", "http://127.0.0.1:9", route=rollout)
    plan = settings.routes["bot"].rollout
    assert plan is not None
    with open_store(store_url) as store:
        apply(store, "bot", plan, Action(kind="set", actor="test", at=time.time(), percent_bp=10_000))
    with sims() as (gpt, gpt_url, gemma, gemma_url):
        with gateway(settings_for(store_url, gpt_url, gemma_url, route=rollout)) as client:
            answer = client.chat.completions.with_raw_response.create(
                model="bot", messages=[], extra_headers={"x-modelswap-prompt": "greet@production",
                                                         "x-modelswap-prompt-variables": '{"who": "Cy"}',
                                                         "x-user-id": "u1"})
        assert answer.headers["x-modelswap-arm"] == "gemma"
        assert (gpt.bodies, len(gemma.bodies)) == ([], 1)
    assert gemma.bodies[0]["messages"] == [{"role": "user", "content": "v1 gemma: hi Cy"}]
    with open_store(store_url) as store:
        [served] = store.observations("bot")
    assert (served.role, served.observation.prompt) == ("candidate",
                                                        PromptUse(name="greet", hash=v1, variant="family:gemma"))


def test_a_sticky_split_of_two_labels_follows_the_weights_and_keeps_each_key(store_url: str) -> None:
    production = push(store_url, "v1", "production")
    staging = push(store_url, "v2", "staging")
    split = {"prompts": {"greet": {"split": {"production": 70, "staging": 30}, "sticky": {"header": "x-user-id"}}},
             "shadow": {}}
    keys = [f"user-{i}" for i in range(150)]
    with sims() as (_, gpt_url, _, gemma_url), \
            gateway(settings_for(store_url, gpt_url, gemma_url, route=split)) as client:
        def version(key: str) -> str:
            answer = client.chat.completions.with_raw_response.create(
                model="bot", messages=[], extra_headers={"x-modelswap-prompt": "greet", "x-user-id": key,
                                                         "x-modelswap-prompt-variables": '{"who": "D"}'})
            return answer.headers["x-modelswap-prompt-version"]

        first = {key: version(key) for key in keys}
        again = {key: version(key) for key in keys[:40]}
    expected = {key: f"greet@{staging if bucket(route_salt('bot', 'prompt:greet'), key) < 3000 else production}"
                for key in keys}
    assert first == expected
    assert again == {key: expected[key] for key in keys[:40]}
    assert 30 <= list(first.values()).count(f"greet@{staging}") <= 60  # 45 expected of 150


@pytest.mark.parametrize(("headers", "metadata", "message", "param", "code"), [
    ({"x-modelswap-prompt": "nope"}, None, "route 'bot' applies no prompt 'nope' (it applies: greet)",
     "x-modelswap-prompt", "unknown_prompt"),
    ({"x-modelswap-prompt": "greet"}, None, "prompt 'greet': missing variable(s) who", "x-modelswap-prompt",
     "prompt_variables"),
    (None, {"name": "greet", "variables": {"who": "E", "extra": "x"}}, "prompt 'greet': unknown variable(s) extra",
     "metadata.prompt", "prompt_variables"),
    ({"x-modelswap-prompt": "greet@canary", "x-modelswap-prompt-variables": '{"who": "E"}'}, None,
     "prompt 'greet' has no label 'canary'", "x-modelswap-prompt", "unknown_prompt_label"),
    (None, {"name": "greet", "label": "abc123", "variables": {"who": "E"}},
     "prompt 'greet' has no label or version 'abc123'", "metadata.prompt", "unknown_prompt_version"),
    ({"x-modelswap-prompt": "greet", "x-modelswap-prompt-variables": "[1]"}, None,
     "x-modelswap-prompt-variables must be a JSON object of strings", "x-modelswap-prompt-variables",
     "invalid_prompt"),
    ({"x-modelswap-prompt": "greet"}, {"name": "greet"},
     "name the prompt once: the x-modelswap-prompt header or metadata.prompt, not both", "metadata.prompt",
     "invalid_prompt"),
])
def test_refusals_are_400s_naming_the_problem(store_url: str, headers: dict[str, str] | None,
                                              metadata: dict[str, Any] | None, message: str, param: str,
                                              code: str) -> None:
    push(store_url, "v1", "production")
    with sims() as (gpt, gpt_url, _, gemma_url), gateway(settings_for(store_url, gpt_url, gemma_url)) as client:
        with pytest.raises(openai.BadRequestError) as refused:
            client.chat.completions.create(model="bot", messages=[], extra_headers=headers,
                                           extra_body=None if metadata is None else {"metadata": {"prompt": metadata}})
        assert gpt.bodies == []
    assert refused.value.status_code == 400
    assert refused.value.body == {"message": message, "type": "invalid_request_error", "param": param, "code": code}


def test_a_route_label_pointing_nowhere_is_refused(store_url: str) -> None:
    push(store_url, "v1", "production")
    route = {"prompts": {"greet": {"label": "canary"}}}
    with sims() as (_, gpt_url, _, gemma_url), \
            gateway(settings_for(store_url, gpt_url, gemma_url, route=route)) as client, \
            pytest.raises(openai.BadRequestError) as refused:
        client.chat.completions.create(model="bot", messages=[], extra_headers={
            "x-modelswap-prompt": "greet", "x-modelswap-prompt-variables": '{"who": "F"}'})
    assert refused.value.body == {"message": "prompt 'greet' has no version labelled 'canary'",
                                  "type": "invalid_request_error", "param": "x-modelswap-prompt",
                                  "code": "unknown_prompt_label"}


def test_requests_without_a_prompt_still_need_messages(store_url: str) -> None:
    with sims() as (_, gpt_url, _, gemma_url), gateway(settings_for(store_url, gpt_url, gemma_url)) as client, \
            pytest.raises(openai.BadRequestError) as refused:
        client.chat.completions.create(model="bot", messages=[])
    assert refused.value.body == {"message": "'messages' must be a non-empty array of objects",
                                  "type": "invalid_request_error", "param": "messages", "code": None}


def test_moving_the_label_back_under_load_is_a_rollback_with_no_failed_request(store_url: str) -> None:
    push(store_url, "v1")
    push(store_url, "v2", "production")
    v1 = parse_prompt(prompt_text("v1"))
    settings = Settings.model_validate({
        "store": store_url,
        "arms": {"tiny": {"backend": "sim", "model": "tiny-1b", "quirks": {"echo_rate": 1.0}}},
        "routes": {"bot": {"primary": "tiny", "prompts": ["greet"]}}})
    results: list[tuple[float, float, str]] = []  # (when the request was sent, when answered, the answer)
    failures: list[BaseException] = []
    moving: list[float] = []  # when the label write started
    hang_guard = time.monotonic() + 120  # not a timing assertion: only stops a broken gateway from hanging the suite

    def v1_answers() -> int:
        return sum(answer.startswith("v1 ") for _, _, answer in results)

    async def client_loop(client: openai.AsyncOpenAI, index: int) -> None:
        sent = 0
        while (not moving or v1_answers() < 60 or sent < 30) and time.monotonic() < hang_guard:
            started = time.monotonic()
            try:
                answer = await client.chat.completions.create(
                    model="bot", messages=[],
                    extra_body={"metadata": {"prompt": {"name": "greet", "variables": {"who": f"c{index}"}}}})
            except openai.OpenAIError as exc:
                failures.append(exc)
            else:
                results.append((started, time.monotonic(), answer.choices[0].message.content or ""))
            sent += 1

    def move_back() -> None:
        while len(results) < 120:
            time.sleep(0.01)
        moving.append(time.monotonic())
        with open_store(store_url) as store:
            store.set_prompt_label(PromptLabel(name="greet", label="production", hash=content_hash(v1),
                                               updated_at=time.time(), updated_by="test"))

    with running_server(create_app(settings, rollout_poll_s=POLL_S)) as url:
        async def load() -> None:
            async with openai.AsyncOpenAI(base_url=f"{url}/v1", api_key="x", max_retries=0) as client:
                await asyncio.gather(*(client_loop(client, i) for i in range(6)))

        mover = threading.Thread(target=move_back)
        mover.start()
        asyncio.run(load())
        mover.join()
    assert failures == []
    assert v1_answers() >= 60, "the gateway never obeyed the label move"
    assert all(answer.startswith(("v1 default: hello c", "v2 default: hello c")) for _, _, answer in results)
    # before the label was written every answer is v2; once one v1 answer is back, every request sent after it
    # is v1 (the switch is one swap of the cached labels: no request goes back to the old version)
    assert all(answer.startswith("v2 ") for started, _, answer in results if started < moving[0])
    first_v1 = min(answered for _, answered, answer in results if answer.startswith("v1 "))
    assert all(answer.startswith("v1 ") for started, _, answer in results if started > first_v1)
    assert len(results) >= 180  # 120 before the move, 60 of v1 after it


def test_a_hash_pin_picks_its_version_and_an_arm_without_a_variant_is_not_shadowed(store_url: str) -> None:
    v1 = push(store_url, "v1")
    push(store_url, "v2", "production")
    no_llama = yaml.safe_load(prompt_text("v3"))
    del no_llama["variants"]["default"], no_llama["variants"]["family:llama"]
    no_llama["variants"]["gpt-4o-mini"] = {"messages": [{"role": "user", "content": "v3 gpt: yo {{who}}"}]}
    prompt = parse_prompt(yaml.safe_dump(no_llama))
    v3 = content_hash(prompt)
    with open_store(store_url) as store:
        store.save_prompt_version(PromptVersion(name="greet", hash=v3, content=prompt.model_dump(mode="json"),
                                                created_at=time.time(), created_by="test"))
        store.set_prompt_label(PromptLabel(name="greet", label="next", hash=v3, updated_at=time.time(),
                                           updated_by="test"))
    route = {"shadow": {"sample_rate": 1.0}}
    with sims() as (gpt, gpt_url, gemma, gemma_url), \
            gateway(settings_for(store_url, gpt_url, gemma_url, route=route)) as client:
        pinned = client.chat.completions.with_raw_response.create(
            model="bot", messages=[], extra_headers={"x-modelswap-prompt": f"greet@{v1[:10]}",
                                                     "x-modelswap-prompt-variables": '{"who": "G"}'})
        assert pinned.headers["x-modelswap-prompt-version"] == f"greet@{v1}"
        eventually(lambda: len(gemma.bodies) == 1)
        client.chat.completions.create(model="bot", messages=[], extra_headers={
            "x-modelswap-prompt": "greet@next", "x-modelswap-prompt-variables": '{"who": "H"}'})
        eventually(lambda: len(gemma.bodies) == 2)
    assert [body["messages"] for body in gpt.bodies] == [default("v1", "G"), [{"role": "user",
                                                                               "content": "v3 gpt: yo H"}]]
    assert [body["messages"][0]["content"] for body in gemma.bodies] == ["v1 gemma: hi G", "v3 gemma: hi H"]
    with open_store(store_url) as store:
        arms = sorted((s.key.trial_id, s.key.arm, s.observation.prompt.variant if s.observation.prompt else None)
                      for s in store.observations("bot"))
    # the in-process llama arm shadowed the first request, and not the second: v3 has no variant for it
    assert [(arm, variant) for _, arm, variant in arms] == [
        ("gemma", "family:gemma"), ("gpt", "default"), ("tiny", "family:llama"),
        ("gemma", "family:gemma"), ("gpt", "gpt-4o-mini")]


@pytest.mark.postgres
def test_a_store_outage_leaves_requests_served_and_prompts_on_the_last_labels_read(postgres_schema: str) -> None:
    direct = f"postgresql://root@127.0.0.1:5432/test?options=-csearch_path%3D{postgres_schema}"
    push(direct, "v1", "production")
    v2 = push(direct, "v2")
    settings = Settings.model_validate({
        "store": direct, "arms": {"tiny": {"backend": "sim", "model": "tiny-1b", "quirks": {"echo_rate": 1.0}}},
        "routes": {"bot": {"primary": "tiny", "prompts": ["greet"]}}})
    prompted = {"x-modelswap-prompt": "greet", "x-modelswap-prompt-variables": '{"who": "I"}'}
    plain = [{"role": "user", "content": "plain question"}]
    with TcpProxy(5432) as proxy:
        proxied = direct.replace(":5432/", f":{proxy.port}/") + "&connect_timeout=1"
        with running_server(create_app(settings, store_url=proxied, rollout_poll_s=POLL_S)) as url:
            client = openai.OpenAI(base_url=f"{url}/v1", api_key="x", max_retries=0)

            def answer(**options: Any) -> str:
                return client.chat.completions.create(model="bot", **options).choices[0].message.content or ""

            assert answer(messages=[], extra_headers=prompted) == "v1 default: hello I"
            with open_store(direct) as store:
                store.set_prompt_label(PromptLabel(name="greet", label="production", hash=v2, updated_at=time.time(),
                                                   updated_by="test"))
            eventually(lambda: answer(messages=[], extra_headers=prompted) == "v2 default: hello I")
            proxy.cut()
            eventually(lambda: "prompts" in httpx.get(f"{url}/readyz").json())
            ready = httpx.get(f"{url}/readyz").json()
            assert (ready["status"], ready["prompts"]["state"], ready["prompts"]["read"]) == ("degraded", "stale", True)
            assert [answer(messages=[], extra_headers=prompted) for _ in range(5)] == ["v2 default: hello I"] * 5
            assert [answer(messages=plain) for _ in range(5)] == ["plain question"] * 5
            proxy.restore()
            eventually(lambda: "prompts" not in httpx.get(f"{url}/readyz").json(), timeout_s=60)


def test_a_streamed_request_gets_its_rendering_too(store_url: str) -> None:
    push(store_url, "v1", "production")
    settings = Settings.model_validate({
        "store": store_url,
        "arms": {"tiny": {"backend": "sim", "model": "tiny-1b", "quirks": {"echo_rate": 1.0}}},
        "routes": {"bot": {"primary": "tiny", "prompts": ["greet"]}}})
    with gateway(settings) as client:
        stream = client.chat.completions.create(model="bot", messages=[], stream=True, extra_headers={
            "x-modelswap-prompt": "greet", "x-modelswap-prompt-variables": '{"who": "S"}'})
        text = "".join(chunk.choices[0].delta.content or "" for chunk in stream if chunk.choices)
    assert text == "v1 default: hello S"
    with open_store(store_url) as store:
        [served] = store.observations("bot")
    assert served.observation.prompt is not None and served.observation.prompt.variant == "default"
