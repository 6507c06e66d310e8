"""The /v1/embeddings shadow over real HTTP: the primary answers, the candidate embedding arm is called in the
background (bounded, sampled, timed out), and each input text is kept, redacted, as a probe for the churn report."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import openai
import orjson
import pytest
from starlette.requests import Request
from starlette.responses import Response

from modelswap.config import Settings, load_settings
from modelswap.embeddings.probes import read_probe_file
from modelswap.errors import ConfigError
from modelswap.serving import running_server
from test_gateway import gateway
from test_gateway_embeddings import FakeEmbeddings

PRIMARY_KEY, CANDIDATE_KEY = "primary-key-1", "candidate-key-2"


class CandidateEmbeddings(FakeEmbeddings):
    """Three dimensions per text; hangs on the input ``hang`` (until the gateway gives up)."""

    async def embeddings(self, request: Request) -> Response:
        body = orjson.loads(await request.body())
        if body["input"] == "hang":
            await asyncio.sleep(60)
        self.seen.append((body["model"], request.headers.get("authorization")))
        inputs = body["input"] if isinstance(body["input"], list) else [body["input"]]
        data = [{"object": "embedding", "index": i, "embedding": [1.0, 2.0, 3.0]} for i in range(len(inputs))]
        return Response(orjson.dumps({"object": "list", "data": data, "model": body["model"]}),
                        media_type="application/json")


@pytest.fixture
def upstreams() -> Iterator[tuple[FakeEmbeddings, str, CandidateEmbeddings, str]]:
    primary, candidate = FakeEmbeddings(), CandidateEmbeddings()
    with running_server(primary.app) as primary_url, running_server(candidate.app) as candidate_url:
        yield primary, primary_url, candidate, candidate_url


def settings(primary_url: str, candidate_url: str, tmp_path: Path, **shadow: Any) -> Settings:
    arms = {"old": {"backend": "openai", "base_url": f"{primary_url}/v1", "model": "old-embed", "api_key_env": "PK"},
            "new": {"backend": "openai", "base_url": f"{candidate_url}/v1", "model": "new-embed",
                    "api_key_env": "CK"}}
    embeddings = {"candidate": "new", "probes": str(tmp_path / "probes.jsonl"), **shadow}
    return Settings.model_validate({"store": f"sqlite:///{tmp_path / 'e.db'}", "arms": arms, "redact": ["emails"],
                                    "routes": {"embed": {"primary": "old", "embeddings": embeddings}}})


ENV = {"PK": PRIMARY_KEY, "CK": CANDIDATE_KEY}


def lines(tmp_path: Path) -> list[dict[str, Any]]:
    path = tmp_path / "probes.jsonl"
    return [orjson.loads(line) for line in path.read_bytes().splitlines()] if path.exists() else []


def test_the_candidate_is_shadowed_and_the_texts_kept_redacted(upstreams: Any, tmp_path: Path) -> None:
    primary, primary_url, candidate, candidate_url = upstreams
    with gateway(settings(primary_url, candidate_url, tmp_path), env=ENV) as url:
        client = openai.OpenAI(base_url=f"{url}/v1", api_key="client-key", max_retries=0)
        result = client.embeddings.create(model="embed", input=["hi", "write to ann@example.com"])
        assert [item.embedding for item in result.data] == [[2.0, 0.5], [24.0, 0.5]]  # the primary's answer
    # leaving the block closed the gateway, which waits for the shadows running
    assert primary.seen == [("old-embed", f"Bearer {PRIMARY_KEY}")]
    assert candidate.seen == [("new-embed", f"Bearer {CANDIDATE_KEY}")]  # its own key, never the client's
    kept = lines(tmp_path)
    assert [line["text"] for line in kept] == ["hi", "write to [REDACTED:emails]"]
    first = kept[0]
    assert first["route"] == "embed" and len(first["id"]) == 16
    assert {k: first["primary"][k] for k in ("arm", "model", "status", "dimensions", "error")} == {
        "arm": "old", "model": "old-embed", "status": 200, "dimensions": 2, "error": None}
    assert {k: first["candidate"][k] for k in ("arm", "model", "status", "dimensions", "error")} == {
        "arm": "new", "model": "new-embed", "status": 200, "dimensions": 3, "error": None}
    probes = read_probe_file(tmp_path / "probes.jsonl")  # what embeddings churn --probes reads
    assert [probe.text for probe in probes] == ["hi", "write to [REDACTED:emails]"]


def test_a_hanging_candidate_never_reaches_the_client_and_is_bounded(upstreams: Any, tmp_path: Path) -> None:
    _, primary_url, candidate, candidate_url = upstreams
    with gateway(settings(primary_url, candidate_url, tmp_path, timeout_s=0.5, max_in_flight=1), env=ENV) as url:
        answers = [httpx.post(f"{url}/v1/embeddings", json={"model": "embed", "input": "hang"}) for _ in range(3)]
        assert [a.status_code for a in answers] == [200, 200, 200]
        assert all(orjson.loads(a.content)["data"][0]["embedding"] == [4.0, 0.5] for a in answers)
    kept = lines(tmp_path)
    assert 1 <= len(kept) <= 3  # one in flight at a time: the others were dropped while it hung (or after)
    assert all(line["candidate"]["error"] == "timeout after 0.5 s" and line["candidate"]["status"] == 0
               for line in kept)
    assert candidate.seen == []


def test_sample_zero_shadows_nothing(upstreams: Any, tmp_path: Path) -> None:
    _, primary_url, candidate, candidate_url = upstreams
    with gateway(settings(primary_url, candidate_url, tmp_path, sample=0.0), env=ENV) as url:
        assert httpx.post(f"{url}/v1/embeddings", json={"model": "embed", "input": "x"}).status_code == 200
    assert candidate.seen == [] and lines(tmp_path) == []


def test_configuration_errors_name_file_line_and_key(tmp_path: Path) -> None:
    path = tmp_path / "modelswap.yaml"
    path.write_text("store: sqlite:///x.db\narms:\n  old: {backend: sim}\nroutes:\n  embed:\n    primary: old\n"
                    "    embeddings:\n      candidate: nope\n", encoding="utf-8")
    with pytest.raises(ConfigError) as caught:
        load_settings(path, env={})
    assert str(caught.value).startswith(f"{path}:8: routes.embed.embeddings.candidate: unknown arm 'nope'")
    path.write_text("store: sqlite:///x.db\narms:\n  old: {backend: sim}\nroutes:\n  embed:\n    primary: old\n"
                    "    embeddings:\n      candidate: old\n      sample: 2\n", encoding="utf-8")
    with pytest.raises(ConfigError, match=r"x?:9: routes.embed.embeddings.sample"):
        load_settings(path, env={})


class HeldArm:
    """A candidate whose calls wait until released; counts them."""

    name, model = "held", "held-embed"

    def __init__(self) -> None:
        self.release = asyncio.Event()
        self.calls = 0

    async def embeddings(self, body: dict[str, Any], *, authorization: str | None, pool: str) -> tuple[int, str, bytes]:
        self.calls += 1
        assert (authorization, pool) == (None, "shadow")
        await self.release.wait()
        return 200, "application/json", b'{"data": [{"embedding": [1.0]}]}'


async def test_at_most_max_in_flight_calls_and_the_rest_dropped(tmp_path: Path) -> None:
    from modelswap.config import EmbeddingsShadowConfig
    from modelswap.gateway.embeddings_shadow import EmbeddingShadow
    from modelswap.redact import Redactor

    held = HeldArm()
    config = EmbeddingsShadowConfig(candidate="held", max_in_flight=2, probes=str(tmp_path / "p.jsonl"))
    shadow = EmbeddingShadow(route="r", config=config, primary=held, candidate=held,  # type: ignore[arg-type]
                             redactor=Redactor())
    offered = [shadow.offer({"input": f"t{i}"}, request_id=f"q{i}", status=200, content=b"{}", latency_ms=1.0)
               for i in range(5)]
    assert offered == [True, True, False, False, False] and (shadow.sampled, shadow.dropped) == (2, 3)
    while held.calls < 2:  # the two calls start on the loop (a hang here is a failure, by pytest-timeout)
        await asyncio.sleep(0.01)
    await asyncio.sleep(0.05)
    assert held.calls == 2
    held.release.set()
    await shadow.close(grace_s=5)
    assert sorted(line["text"] for line in lines_of(tmp_path / "p.jsonl")) == ["t0", "t1"]  # in either order
    assert shadow.offer({"input": [1, 2]}, request_id="tokens", status=200, content=b"{}", latency_ms=1.0)
    await shadow.close(grace_s=5)
    assert shadow.untexted == 1 and shadow.written == 2  # token arrays are shadowed, with no text to keep


def test_sampling_is_a_function_of_the_request_id(tmp_path: Path) -> None:
    from modelswap.config import EmbeddingsShadowConfig
    from modelswap.gateway.embeddings_shadow import EmbeddingShadow
    from modelswap.redact import Redactor

    def shadow(sample: float) -> EmbeddingShadow:
        config = EmbeddingsShadowConfig(candidate="x", sample=sample, probes=str(tmp_path / "p.jsonl"))
        return EmbeddingShadow(route="r", config=config, primary=HeldArm(), candidate=HeldArm(),  # type: ignore[arg-type]
                               redactor=Redactor())

    ids = [f"request-{i}" for i in range(2000)]
    half = [shadow(0.5).in_sample(i) for i in ids]
    assert half == [shadow(0.5).in_sample(i) for i in ids]  # the same request, the same decision
    assert 900 < sum(half) < 1100
    assert not any(shadow(0.0).in_sample(i) for i in ids) and all(shadow(1.0).in_sample(i) for i in ids)
    quarter = [shadow(0.25).in_sample(i) for i in ids]
    assert all(h for q, h in zip(quarter, half, strict=True) if q)  # a smaller sample is a subset of a larger one


def lines_of(path: Path) -> list[dict[str, Any]]:
    return [orjson.loads(line) for line in path.read_bytes().splitlines()]


def test_churn_reads_a_routes_probes_file_by_name(tmp_path: Path) -> None:
    from modelswap.cli_embeddings_churn import _route_probes

    path = tmp_path / "modelswap.yaml"
    path.write_text("store: sqlite:///x.db\narms:\n  old: {backend: sim}\n  new: {backend: sim}\nroutes:\n"
                    "  embed:\n    primary: old\n    embeddings: {candidate: new, probes: kept.jsonl}\n"
                    "  chat:\n    primary: old\n", encoding="utf-8")
    assert _route_probes("route:embed", path) == "kept.jsonl"
    assert _route_probes("probes.jsonl", path) == "probes.jsonl"
    with pytest.raises(ConfigError, match="no route 'chat' with an embeddings shadow"):
        _route_probes("route:chat", path)
