"""A conversation handed from the candidate back to the primary by a rollback, through a real gateway.

The gateway keeps no conversation state: each turn is the whole message list the client sends. A
route's rollout is set to 100% with ``modelswap rollout set``, two turns are answered by the
candidate (a simulator arm), ``modelswap rollout rollback`` sends the route back to the primary,
and the third turn, whose messages hold the candidate's two earlier answers, is answered by the
primary with 200; the stored request of that trial holds every message the client sent.
"""

from __future__ import annotations

import time
from pathlib import Path
from typing import Any

import httpx
import yaml
from typer.testing import CliRunner

from modelswap.cli import app
from modelswap.config import load_settings
from modelswap.gateway import create_app
from modelswap.serving import running_server
from modelswap.store import open_store

runner = CliRunner()
KEY = {"x-user-id": "user-7"}


def write_config(tmp_path: Path) -> Path:
    config = tmp_path / "modelswap.yaml"
    config.write_text(yaml.safe_dump({
        "store": f"sqlite:///{tmp_path / 'gw.db'}",
        "arms": {"primary": {"backend": "sim", "seed": 1, "model": "sim-a"},
                 "cand": {"backend": "sim", "seed": 2, "model": "sim-b"}},
        "routes": {"bot": {"primary": "primary", "candidates": ["cand"], "shadow": {"sample_rate": 0.0},
                           "rollout": {"candidate": "cand", "sticky": {"header": "x-user-id"}}}}}),
        encoding="utf-8")
    return config


def turn(client: httpx.Client, messages: list[dict[str, Any]]) -> tuple[str, str, str]:
    """Send the conversation so far; the serving arm, the trial id and the answer."""
    response = client.post("/v1/chat/completions", headers=KEY, json={"model": "bot", "messages": messages})
    assert response.status_code == 200, response.text
    answer = response.json()["choices"][0]["message"]["content"]
    assert isinstance(answer, str) and answer
    return response.headers["x-modelswap-arm"], response.headers["x-request-id"], answer


def wait_for_arm(client: httpx.Client, arm: str) -> None:
    """Wait (bounded) until the gateway has read the new state: a probe conversation is served by ``arm``."""
    deadline = time.monotonic() + 20
    probe = [{"role": "user", "content": "probe"}]
    while turn(client, probe)[0] != arm:
        assert time.monotonic() < deadline, f"the gateway never served {arm!r}"
        time.sleep(0.05)


def test_a_conversation_begun_on_the_candidate_continues_on_the_primary_after_a_rollback(tmp_path: Path) -> None:
    config = write_config(tmp_path)
    settings = load_settings(config)
    set_result = runner.invoke(app, ["rollout", "set", "bot", "--percent", "100", "-c", str(config)])
    assert set_result.exit_code == 0, set_result.output
    messages: list[dict[str, Any]] = [{"role": "system", "content": "You are a terse travel agent."},
                                      {"role": "user", "content": "Name a city in Japan."}]
    with running_server(create_app(settings, rollout_poll_s=0.05)) as url, httpx.Client(base_url=url,
                                                                                         timeout=30) as client:
        wait_for_arm(client, "cand")
        arm_1, _, answer_1 = turn(client, messages)
        messages += [{"role": "assistant", "content": answer_1}, {"role": "user", "content": "And one in France?"}]
        arm_2, _, answer_2 = turn(client, messages)
        assert (arm_1, arm_2) == ("cand", "cand")

        rollback = runner.invoke(app, ["rollout", "rollback", "bot", "-c", str(config), "--reason", "test"])
        assert rollback.exit_code == 0, rollback.output
        wait_for_arm(client, "primary")

        messages += [{"role": "assistant", "content": answer_2}, {"role": "user", "content": "Which is colder?"}]
        arm_3, trial_3, _ = turn(client, messages)
        assert arm_3 == "primary"
    with open_store(settings.store) as store:
        stored = {request.id: request for request in store.requests("bot")}
        observations = [(o.key.arm, o.role, o.key.sample) for o in store.observations("bot")
                        if o.key.trial_id == trial_3]
    assert list(stored[trial_3].messages) == messages
    assert [m["role"] for m in stored[trial_3].messages] == ["system", "user", "assistant", "user", "assistant",
                                                              "user"]
    assignment = stored[trial_3].assignment
    assert assignment is not None and (assignment["arm"], assignment["status"]) == ("primary", "rolled_back")
    assert observations == [("primary", "primary", 0)]
