"""Upstream: proxies from the environment (read once), failures as UpstreamError, the arm's URL parsed once."""

from __future__ import annotations

from collections.abc import Iterator

import httpx
import pytest
from yarl import URL

from modelswap.backends.openai import env_proxy
from modelswap.config import Settings
from modelswap.gateway import create_app
from modelswap.serving import running_server
from modelswap.sim.server import create_sim_app

API = URL("https://api.example.com/v1/chat/completions")
LOCAL = URL("http://127.0.0.1:8080/v1/chat/completions")


@pytest.mark.parametrize(("env", "url", "expected"), [
    ({}, API, None),
    ({"HTTPS_PROXY": "http://proxy:3128"}, API, "http://proxy:3128"),
    ({"https_proxy": "http://lower:3128", "HTTPS_PROXY": "http://upper:3128"}, API, "http://lower:3128"),
    ({"HTTP_PROXY": "http://proxy:3128"}, API, None),  # only the URL's own scheme counts
    ({"HTTP_PROXY": "http://proxy:3128"}, LOCAL, "http://proxy:3128"),
    ({"HTTPS_PROXY": "http://proxy:3128", "NO_PROXY": "example.com"}, API, None),
    ({"HTTPS_PROXY": "http://proxy:3128", "no_proxy": "other.org,.example.com"}, API, None),
    ({"HTTPS_PROXY": "http://proxy:3128", "NO_PROXY": "other.org"}, API, "http://proxy:3128"),
    ({"HTTP_PROXY": "http://proxy:3128", "NO_PROXY": "*"}, LOCAL, None),
    ({"HTTP_PROXY": "http://proxy:3128", "NO_PROXY": "127.0.0.1:8080"}, LOCAL, None),
    ({"HTTP_PROXY": "http://proxy:3128", "NO_PROXY": "127.0.0.1:9999"}, LOCAL, "http://proxy:3128"),
    ({"HTTPS_PROXY": "http://proxy:3128", "NO_PROXY": "*.example.com"}, API, None),
    ({"HTTPS_PROXY": "http://proxy:3128", "NO_PROXY": "ample.com"}, API, "http://proxy:3128"),
])
def test_env_proxy(env: dict[str, str], url: URL, expected: str | None) -> None:
    assert env_proxy(url, env) == expected


@pytest.fixture(scope="module")
def sim_url() -> Iterator[str]:
    with running_server(create_sim_app(seed=3, model="sim-a")) as url:
        yield url


def settings(base_url: str) -> Settings:
    return Settings.model_validate({"store": "sqlite://", "arms": {"primary": {
        "backend": "openai", "base_url": base_url, "model": "sim-a", "max_retries": 0, "timeout_s": 5}},
        "routes": {"bot": {"primary": "primary"}}})


def test_calls_go_through_the_proxy_the_environment_names(sim_url: str) -> None:
    # The arm's host does not exist; the "proxy" is the simulator, which answers the absolute-form request itself.
    body = {"model": "bot", "messages": [{"role": "user", "content": "hello"}]}
    with running_server(create_app(settings("http://upstream.invalid/v1"), env={"HTTP_PROXY": sim_url})) as gw:
        through = httpx.post(f"{gw}/v1/chat/completions", json=body, timeout=10)
    assert (through.status_code, through.headers["x-modelswap-arm"]) == (200, "primary")
    assert through.json()["choices"][0]["message"]["content"]


def test_without_the_proxy_the_same_arm_is_unreachable() -> None:
    body = {"model": "bot", "messages": [{"role": "user", "content": "hello"}]}
    with running_server(create_app(settings("http://upstream.invalid/v1"), env={})) as gw:
        refused = httpx.post(f"{gw}/v1/chat/completions", json=body, timeout=10)
    error = refused.json()["error"]
    assert (refused.status_code, error["code"], error["type"]) == (502, "upstream_unreachable", "server_error")
    assert error["message"].startswith("the serving arm 'primary' is unreachable (")
