"""``POST /v1/embeddings`` passed through to the route's primary arm, over real HTTP.

The upstream is a tiny Starlette app answering OpenAI-shaped embeddings (and a 400 for the
input ``bad``); it records the model and Authorization it was sent.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import openai
import orjson
import pytest
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from modelswap.config import Settings
from modelswap.serving import running_server
from test_gateway import error_of, gateway

ARM_KEY = "emb-key-123"


class FakeEmbeddings:
    """An embeddings upstream: vector ``[len(text), 0.5]`` per input; remembers what it was sent."""

    def __init__(self) -> None:
        self.seen: list[tuple[str, str | None]] = []
        self.app = Starlette(routes=[Route("/v1/embeddings", self.embeddings, methods=["POST"])])

    async def embeddings(self, request: Request) -> Response:
        body = orjson.loads(await request.body())
        self.seen.append((body["model"], request.headers.get("authorization")))
        inputs = body["input"] if isinstance(body["input"], list) else [body["input"]]
        if "bad" in inputs:
            return JSONResponse({"error": {"message": "bad input", "type": "invalid_request_error", "param": "input",
                                           "code": None}}, status_code=400)
        data = [{"object": "embedding", "index": i, "embedding": [float(len(text)), 0.5]}
                for i, text in enumerate(inputs)]
        return JSONResponse({"object": "list", "data": data, "model": body["model"],
                             "usage": {"prompt_tokens": 3, "total_tokens": 3}})


@pytest.fixture
def upstream() -> Iterator[tuple[FakeEmbeddings, str]]:
    fake = FakeEmbeddings()
    with running_server(fake.app) as url:
        yield fake, url


def _settings(url: str, tmp_path: Path) -> Settings:
    arm = {"backend": "openai", "base_url": f"{url}/v1", "model": "text-embed-small", "api_key_env": "EMB_KEY"}
    return Settings.model_validate({"store": f"sqlite:///{tmp_path / 'e.db'}", "arms": {"embedder": arm},
                                    "routes": {"embed": {"primary": "embedder"}}})


@pytest.fixture
def gw(upstream: tuple[FakeEmbeddings, str], tmp_path: Path) -> Iterator[str]:
    with gateway(_settings(upstream[1], tmp_path), env={"EMB_KEY": ARM_KEY}, max_body_bytes=4096) as url:
        yield url


def test_openai_client_embeddings(upstream: tuple[FakeEmbeddings, str], gw: str) -> None:
    client = openai.OpenAI(base_url=f"{gw}/v1", api_key="client-key", max_retries=0)
    result = client.embeddings.create(model="embed", input=["hi", "hello"])
    assert [item.embedding for item in result.data] == [[2.0, 0.5], [5.0, 0.5]]
    assert result.model == "text-embed-small"
    assert upstream[0].seen == [("text-embed-small", f"Bearer {ARM_KEY}")]


def test_body_status_and_headers_pass_through(upstream: tuple[FakeEmbeddings, str], gw: str) -> None:
    body: dict[str, Any] = {"model": "embed", "input": "abc", "encoding_format": "float"}
    direct = httpx.post(f"{upstream[1]}/v1/embeddings", json={**body, "model": "text-embed-small"})
    through = httpx.post(f"{gw}/v1/embeddings", json=body, headers={"x-request-id": "e-1"})
    assert (through.status_code, through.content) == (200, direct.content)
    assert through.headers["content-type"] == direct.headers["content-type"] == "application/json"
    assert (through.headers["x-request-id"], through.headers["x-modelswap-arm"]) == ("e-1", "embedder")
    refused = httpx.post(f"{gw}/v1/embeddings", json={**body, "input": "bad"})
    assert (refused.status_code, refused.content) == (400, httpx.post(
        f"{upstream[1]}/v1/embeddings", json={**body, "input": "bad"}).content)
    assert refused.headers["x-modelswap-arm"] == "embedder"
    metrics = httpx.get(f"{gw}/metrics").text
    assert 'modelswap_embedding_requests_total{arm="embedder",route="embed",status="200"} 1.0' in metrics
    assert 'modelswap_embedding_requests_total{arm="embedder",route="embed",status="400"} 1.0' in metrics


@pytest.mark.parametrize(("body", "status", "param", "code"), [
    (b"{nope", 400, None, "invalid_json"),
    (b'{"model": "embed"}', 400, "input", "missing_required_parameter"),
    (b'{"input": "x"}', 400, "model", "missing_required_parameter"),
    (b'{"model": "chat", "input": "x"}', 404, "model", "model_not_found"),
    (orjson.dumps({"model": "embed", "input": "x" * 5000}), 413, None, "request_too_large"),
])
def test_refusals_are_openai_shaped(gw: str, body: bytes, status: int, param: str | None, code: str) -> None:
    response = httpx.post(f"{gw}/v1/embeddings", content=body, headers={"x-request-id": "r-2"})
    error = error_of(response)
    assert (response.status_code, error["param"], error["code"]) == (status, param, code)
    assert (response.headers["x-request-id"], response.headers["x-modelswap-arm"]) == ("r-2", "none")


def test_unreachable_upstream_is_502(tmp_path: Path) -> None:
    with running_server(FakeEmbeddings().app) as url:
        settings = _settings(url, tmp_path)
    # the server is gone: nothing listens on its port any more
    with gateway(settings, env={"EMB_KEY": ARM_KEY}) as gw_url:
        response = httpx.post(f"{gw_url}/v1/embeddings", json={"model": "embed", "input": "x"})
    error = error_of(response)
    assert (response.status_code, error["type"], error["code"]) == (502, "server_error", "upstream_unreachable")
    assert response.headers["x-modelswap-arm"] == "embedder"
