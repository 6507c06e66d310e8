"""``modelswap rollout control``: the automatic controller end to end, through a real gateway and webhook.

A gateway serves a route whose rollout is at 50% (set with the CLI), the candidate (a simulator
arm) fails half its requests, the controller looks once, rolls the route back and posts the alert
to a real HTTP receiver, and the gateway then serves every request from the primary.
"""

from __future__ import annotations

import time
import uuid
from pathlib import Path
from typing import Any

import httpx
import pytest
import yaml
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route
from typer.testing import CliRunner

from modelswap.cli import app
from modelswap.serving import running_server
from modelswap.sim.quirks import Quirks
from modelswap.sim.server import create_sim_app
from modelswap.store import open_store

runner = CliRunner()


def receiver(received: list[dict[str, Any]]) -> Starlette:
    async def hook(request: Request) -> Response:
        received.append(await request.json())
        return Response(status_code=204)

    return Starlette(routes=[Route("/hook", hook, methods=["POST"])])


def test_the_controller_rolls_a_failing_candidate_back_and_the_gateway_obeys(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    url = f"sqlite:///{tmp_path / 'store.db'}"
    received: list[dict[str, Any]] = []
    with (running_server(create_sim_app(seed=1, model="good")) as good,
          running_server(create_sim_app(seed=2, model="bad", quirks=Quirks(error_rate=0.5))) as bad,
          running_server(receiver(received)) as hooks):
        config = tmp_path / "modelswap.yaml"
        arm = {"backend": "openai", "price": {"input_per_mtok": 1.0}}
        config.write_text(yaml.safe_dump({
            "store": url, "alerts": {"webhooks": [{"url": f"{hooks}/hook"}]},
            "arms": {"gpt": {**arm, "base_url": f"{good}/v1", "model": "good"},
                     "smol": {**arm, "base_url": f"{bad}/v1", "model": "bad"}},
            "routes": {"bot": {"primary": "gpt", "candidates": ["smol"], "shadow": {"sample_rate": 0.0},
                               "rollout": {"candidate": "smol", "sticky": {"header": "x-user-id"},
                                           "stages": [{"percent": 50, "min_trials": 100}, {"percent": 100}],
                                           "guards": {"error_rate": 0.05}}}}}), encoding="utf-8")
        monkeypatch.setenv("MODELSWAP_CONFIG", str(config))
        assert runner.invoke(app, ["rollout", "set", "bot", "--percent", "50", "-c", str(config)]).exit_code == 0
        with running_server("modelswap.gateway.app:app_from_env", factory=True) as gateway:
            time.sleep(0.6)  # the gateway reads the rollout state every 0.25 s
            with httpx.Client(base_url=gateway, timeout=10) as client:
                arms = [chat(client, str(uuid.uuid4())) for _ in range(160)]
                assert 40 < arms.count("smol") < 120
                deadline = time.monotonic() + 20
                while time.monotonic() < deadline and _stored(url) < 160:
                    time.sleep(0.1)
                result = runner.invoke(app, ["rollout", "control", "-c", str(config), "--once", "--settle", "0"])
                assert result.exit_code == 0, result.output
                assert "bot: smol" in result.output and "guard_breach" in result.output
                time.sleep(0.6)
                assert {chat(client, str(uuid.uuid4())) for _ in range(40)} == {"gpt"}
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline and not received:
            time.sleep(0.05)
    with open_store(url) as store:
        state = store.rollout_state("bot")
        entries = store.rollout_audit("bot", limit=5)
    assert state is not None and (state.status, state.percent_bp) == ("rolled_back", 0)
    assert [(e.action, e.actor) for e in entries][:2] == [("guard_breach", "controller"), ("set", entries[1].actor)]
    assert [(alert["route"], alert["action"]) for alert in received] == [("bot", "guard_breach")]


def chat(client: httpx.Client, user: str) -> str:
    response = client.post("/v1/chat/completions", headers={"x-user-id": user},
                           json={"model": "bot", "messages": [{"role": "user", "content": f"Name a colour, {user}."}]})
    return response.headers["x-modelswap-arm"]


def _stored(url: str) -> int:
    with open_store(url) as store:
        return sum(c.observations for c in store.counts("bot") if c.sample == 0)
