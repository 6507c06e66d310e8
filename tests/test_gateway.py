"""The gateway over real HTTP: the official openai client against it, errors, headers, models, metrics.

The upstream is the simulator (``create_sim_app``) on a real port, reached through an
``openai`` arm; the gateway runs on a real port too. The helpers here are shared with
``test_gateway_shadow.py``.
"""

from __future__ import annotations

import asyncio
import re
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import httpx
import openai
import orjson
import pytest

from modelswap.config import Settings
from modelswap.errors import ConfigError
from modelswap.gateway import create_app
from modelswap.serving import running_server
from modelswap.sim.quirks import Quirks
from modelswap.sim.server import create_sim_app
from modelswap.store import open_store

MESSAGES = [{"role": "user", "content": "Name three colours of the rainbow."}]
_CREATED = re.compile(rb'"created":\d+')


def settings_for(primary_url: str, candidate_url: str | None = None, *, store: str = "sqlite://",
                 **shadow: Any) -> Settings:
    """One route ``bot`` served by arm ``primary`` (the sim at ``primary_url``), shadowed by ``cand``."""
    arms: dict[str, Any] = {"primary": {"backend": "openai", "base_url": f"{primary_url}/v1", "model": "sim-a",
                                        "price": {"input_per_mtok": 1.0, "output_per_mtok": 2.0}}}
    route: dict[str, Any] = {"primary": "primary", "shadow": shadow}
    if candidate_url is not None:
        arms["cand"] = {"backend": "openai", "base_url": f"{candidate_url}/v1", "model": "sim-b",
                        "price": {"input_per_mtok": 3.0, "output_per_mtok": 4.0}}
        route["candidates"] = ["cand"]
    return Settings.model_validate({"store": store, "arms": arms, "routes": {"bot": route}})


def same_bytes(body: bytes) -> bytes:
    """A body with its ``created`` timestamp (seconds, which may tick between two calls) blanked."""
    return _CREATED.sub(b'"created":0', body)


@contextmanager
def gateway(settings: Settings, **options: Any) -> Iterator[str]:
    """The gateway for ``settings`` on a real port; leaving the block shuts it down (flushing the store)."""
    with running_server(create_app(settings, **options)) as url:
        yield url


@pytest.fixture(scope="module")
def sim_url() -> Iterator[str]:
    with running_server(create_sim_app(seed=7, model="sim-a")) as url:
        yield url


@pytest.fixture
def gw(sim_url: str, tmp_path: Path) -> Iterator[str]:
    with gateway(settings_for(sim_url, store=f"sqlite:///{tmp_path / 'gw.db'}"), max_body_bytes=4096) as url:
        yield url


def test_sync_client_gets_what_the_sim_answers(sim_url: str, gw: str) -> None:
    direct = openai.OpenAI(base_url=f"{sim_url}/v1", api_key="x").chat.completions.create(
        model="sim-a", messages=MESSAGES, temperature=0)  # type: ignore[arg-type]
    through = openai.OpenAI(base_url=f"{gw}/v1", api_key="client-key").chat.completions.create(
        model="bot", messages=MESSAGES, temperature=0)  # type: ignore[arg-type]
    assert through.choices[0].message.content == direct.choices[0].message.content
    assert through.model_dump(exclude={"created"}) == direct.model_dump(exclude={"created"})
    assert through.choices[0].message.content


def test_async_client(sim_url: str, gw: str) -> None:
    async def both() -> tuple[Any, Any]:
        async with openai.AsyncOpenAI(base_url=f"{sim_url}/v1", api_key="x") as direct, \
                openai.AsyncOpenAI(base_url=f"{gw}/v1", api_key="x") as through:
            return await asyncio.gather(
                direct.chat.completions.create(model="sim-a", messages=MESSAGES),  # type: ignore[arg-type]
                through.chat.completions.create(model="bot", messages=MESSAGES))  # type: ignore[arg-type]
    direct, through = asyncio.run(both())
    assert through.model_dump(exclude={"created"}) == direct.model_dump(exclude={"created"})


def test_streaming_chunks_pass_through(sim_url: str, gw: str) -> None:
    def pieces(base_url: str, model: str) -> list[str]:
        stream = openai.OpenAI(base_url=base_url, api_key="x").chat.completions.create(
            model=model, messages=MESSAGES, stream=True)  # type: ignore[arg-type]
        return [chunk.choices[0].delta.content or "" for chunk in stream if chunk.choices]
    direct, through = pieces(f"{sim_url}/v1", "sim-a"), pieces(f"{gw}/v1", "bot")
    assert through == direct
    assert len(through) > 3 and "".join(through)


def test_streaming_response_headers(gw: str) -> None:
    body = {"model": "bot", "messages": MESSAGES, "stream": True}
    with httpx.stream("POST", f"{gw}/v1/chat/completions", json=body, headers={"x-request-id": "r-9"}) as response:
        events = [line for line in response.iter_lines() if line]
        assert response.status_code == 200
        assert response.headers["content-type"].startswith("text/event-stream")
        assert (response.headers["x-request-id"], response.headers["x-modelswap-arm"]) == ("r-9", "primary")
    assert events[-1] == "data: [DONE]"


def error_of(response: httpx.Response) -> dict[str, Any]:
    assert response.headers["content-type"] == "application/json"
    body = orjson.loads(response.content)
    assert set(body) == {"error"} and set(body["error"]) == {"message", "type", "param", "code"}
    return dict(body["error"])


def test_malformed_json_is_400(gw: str) -> None:
    response = httpx.post(f"{gw}/v1/chat/completions", content=b"{not json", headers={"x-request-id": "bad-1"})
    error = error_of(response)
    assert response.status_code == 400
    assert (error["type"], error["code"], error["param"]) == ("invalid_request_error", "invalid_json", None)
    assert (response.headers["x-request-id"], response.headers["x-modelswap-arm"]) == ("bad-1", "none")


@pytest.mark.parametrize("missing", ["model", "messages"])
def test_missing_field_is_400_naming_it(gw: str, missing: str) -> None:
    body = {"model": "bot", "messages": MESSAGES}
    del body[missing]
    response = httpx.post(f"{gw}/v1/chat/completions", json=body)
    error = error_of(response)
    assert response.status_code == 400
    assert (error["param"], error["code"]) == (missing, "missing_required_parameter")
    assert error["message"] == f"missing required parameter: '{missing}'"


def test_oversized_body_is_413(gw: str) -> None:
    body = {"model": "bot", "messages": [{"role": "user", "content": "x" * 5000}]}
    response = httpx.post(f"{gw}/v1/chat/completions", json=body)
    assert response.status_code == 413
    assert error_of(response)["code"] == "request_too_large"


def test_unknown_route_is_404_listing_routes(gw: str) -> None:
    client = openai.OpenAI(base_url=f"{gw}/v1", api_key="x", max_retries=0)
    with pytest.raises(openai.NotFoundError) as caught:
        client.chat.completions.create(model="nope", messages=MESSAGES)  # type: ignore[arg-type]
    assert caught.value.status_code == 404
    response = httpx.post(f"{gw}/v1/chat/completions", json={"model": "nope", "messages": MESSAGES})
    error = error_of(response)
    assert error["message"] == "The model 'nope' does not exist; this gateway serves the routes: bot"
    assert (error["param"], error["code"]) == ("model", "model_not_found")


def test_upstream_error_keeps_status_and_body(tmp_path: Path) -> None:
    with running_server(create_sim_app(seed=1, quirks=Quirks(error_rate=1.0, error_status=503))) as failing:
        body = {"model": "sim-a", "messages": MESSAGES}
        direct = httpx.post(f"{failing}/v1/chat/completions", json=body)
        with gateway(settings_for(failing, store=f"sqlite:///{tmp_path / 'e.db'}")) as gw_url:
            through = httpx.post(f"{gw_url}/v1/chat/completions", json={**body, "model": "bot"})
    assert (through.status_code, through.content) == (503, direct.content)
    assert through.headers["x-modelswap-arm"] == "primary"


def test_request_id_taken_or_generated(gw: str) -> None:
    body = {"model": "bot", "messages": MESSAGES}
    given = httpx.post(f"{gw}/v1/chat/completions", json=body, headers={"x-request-id": "abc-123"})
    made = httpx.post(f"{gw}/v1/chat/completions", json=body)
    assert given.headers["x-request-id"] == "abc-123"
    assert re.fullmatch(r"[0-9a-f]{32}", made.headers["x-request-id"])
    assert given.headers["x-modelswap-arm"] == made.headers["x-modelswap-arm"] == "primary"


def test_a_generated_request_id_is_the_stored_trial_id(sim_url: str, tmp_path: Path) -> None:
    store_url = f"sqlite:///{tmp_path / 'ids.db'}"
    with gateway(settings_for(sim_url, store=store_url)) as url:
        made = [httpx.post(f"{url}/v1/chat/completions", json={"model": "bot", "messages": MESSAGES})
                for _ in range(3)]
    ids = [response.headers["x-request-id"] for response in made]
    with open_store(store_url) as store:
        assert sorted(ids) == sorted(r.id for r in store.requests("bot"))
        assert sorted(ids) == sorted(o.key.trial_id for o in store.observations("bot"))
    assert len(set(ids)) == 3


def test_models_lists_routes(gw: str) -> None:
    models = openai.OpenAI(base_url=f"{gw}/v1", api_key="x").models.list()
    assert [model.id for model in models] == ["bot"]


def test_health_ready_and_metrics(gw: str) -> None:
    assert httpx.get(f"{gw}/healthz").json() == {"status": "ok"}
    assert httpx.get(f"{gw}/readyz").json() == {"status": "ready"}
    httpx.post(f"{gw}/v1/chat/completions", json={"model": "bot", "messages": MESSAGES})
    metrics = httpx.get(f"{gw}/metrics").text
    assert 'modelswap_requests_total{arm="primary",route="bot",status="200"} 1.0' in metrics
    assert 'modelswap_request_latency_seconds_count{arm="primary",route="bot"} 1.0' in metrics
    for name in ("modelswap_shadow_sent", "modelswap_shadow_dropped", "modelswap_shadow_queue_depth",
                 "modelswap_shadow_spend_usd"):
        assert f"# TYPE {name}" in metrics


def test_client_authorization_is_not_forwarded(tmp_path: Path) -> None:
    seen: list[str | None] = []

    async def app(scope: Any, receive: Any, send: Any) -> None:
        if scope["type"] != "http":
            return
        seen.append(dict(scope["headers"]).get(b"authorization", b"").decode() or None)
        await send({"type": "http.response.start", "status": 200, "headers": [(b"content-type", b"application/json")]})
        await send({"type": "http.response.body", "body": b'{"choices": []}'})

    with running_server(app, lifespan="off") as upstream:
        settings = settings_for(upstream, store=f"sqlite:///{tmp_path / 'a.db'}")
        with gateway(settings) as gw_url:
            httpx.post(f"{gw_url}/v1/chat/completions", json={"model": "bot", "messages": MESSAGES},
                       headers={"authorization": "Bearer client-secret"})
    assert seen == [None]


def test_primary_listed_as_candidate_is_refused(sim_url: str) -> None:
    settings = settings_for(sim_url)
    route = settings.routes["bot"].model_copy(update={"candidates": ("primary",)})
    with pytest.raises(ConfigError, match=r"routes\.bot\.candidates: the primary 'primary' cannot also be a candidate"):
        create_app(settings.model_copy(update={"routes": {"bot": route}}))
