"""Several gateway workers: the ``app_from_env`` factory and ``modelswap serve --workers 2`` end to end.

The end-to-end test starts the real command in a subprocess, waits (bounded) for it to be
ready, sends requests, stops it with SIGTERM and reads the store: every request's primary and
candidate observation must be there, whichever worker served it.
"""

from __future__ import annotations

import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import openai
import pytest
import yaml

from modelswap.errors import ConfigError
from modelswap.gateway.app import app_from_env
from modelswap.serving import free_port, running_server
from modelswap.sim.server import create_sim_app
from modelswap.store import open_store

MESSAGES = [{"role": "user", "content": "Name a colour."}]


@pytest.fixture(scope="module")
def sim_url() -> Iterator[str]:
    with running_server(create_sim_app(seed=11, model="sim-a")) as url:
        yield url


def write_config(path: Path, sim_url: str, store: str) -> Path:
    arm = {"backend": "openai", "base_url": f"{sim_url}/v1", "price": {"input_per_mtok": 1.0}}
    config = {"store": store, "arms": {"primary": {**arm, "model": "sim-a"}, "cand": {**arm, "model": "sim-b"}},
              "routes": {"bot": {"primary": "primary", "candidates": ["cand"], "shadow": {"sample_rate": 1.0}}}}
    path.write_text(yaml.safe_dump(config), encoding="utf-8")
    return path


def test_factory_reads_the_environment(sim_url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    config = write_config(tmp_path / "modelswap.yaml", sim_url, f"sqlite:///{tmp_path / 'f.db'}")
    monkeypatch.setenv("MODELSWAP_CONFIG", str(config))
    monkeypatch.setenv("MODELSWAP_MAX_BODY_BYTES", "2000")
    with running_server("modelswap.gateway.app:app_from_env", factory=True) as url:
        ok = openai.OpenAI(base_url=f"{url}/v1", api_key="x").chat.completions.create(
            model="bot", messages=MESSAGES)  # type: ignore[arg-type]
        too_big = httpx.post(f"{url}/v1/chat/completions",
                             json={"model": "bot", "messages": [{"role": "user", "content": "x" * 2000}]})
    assert ok.choices[0].message.content
    assert too_big.status_code == 413


@pytest.mark.parametrize("value", ["0", "-5", "lots"])
def test_factory_refuses_a_bad_body_limit(sim_url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                          value: str) -> None:
    monkeypatch.setenv("MODELSWAP_CONFIG", str(write_config(tmp_path / "c.yaml", sim_url, "sqlite://")))
    monkeypatch.setenv("MODELSWAP_MAX_BODY_BYTES", value)
    with pytest.raises(ConfigError) as caught:
        app_from_env()
    assert str(caught.value) == f"MODELSWAP_MAX_BODY_BYTES: must be a positive integer, got {value!r}"


def _wait_ready(url: str, process: subprocess.Popen[str]) -> None:
    """Bounded: the command starts in about a second; fail after 30 s or if it exits."""
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline and process.poll() is None:
        try:
            if httpx.get(f"{url}/readyz", timeout=1).status_code == 200:
                return
        except httpx.TransportError:
            pass
        time.sleep(0.05)
    process.kill()
    raise AssertionError(f"modelswap serve never became ready: {process.communicate()[1]}")


def test_serve_with_two_workers_loses_nothing_on_sigterm(sim_url: str, store_url: str, tmp_path: Path) -> None:
    store = store_url  # SQLite and PostgreSQL
    config = write_config(tmp_path / "modelswap.yaml", sim_url, store)
    port = free_port()
    process = subprocess.Popen([sys.executable, "-m", "modelswap", "serve", "--config", str(config),
                                "--port", str(port), "--workers", "2"], stderr=subprocess.PIPE, text=True,
                               env={"PATH": "/usr/bin:/bin", "TERM": "dumb"})
    url = f"http://127.0.0.1:{port}"
    count = 12
    try:
        _wait_ready(url, process)
        client = openai.OpenAI(base_url=f"{url}/v1", api_key="x")
        for i in range(count):
            client.chat.completions.create(model="bot", messages=[{"role": "user", "content": f"q {i}"}])
    finally:
        process.send_signal(signal.SIGTERM)
        _, stderr = process.communicate(timeout=60)
    assert process.returncode == 0, stderr
    with open_store(store) as opened:
        observations = opened.observations("bot")
        requests = opened.requests("bot")
    assert sorted((o.role, o.key.arm) for o in observations) == [("candidate", "cand")] * count + [
        ("primary", "primary")] * count
    assert len(requests) == count
