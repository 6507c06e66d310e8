"""The admin API: token checks (403 off, 401 missing or wrong, 200), status, actions through rollout.control,
obeyed at once by the gateway that took them, refusals as OpenAI-shaped errors, alerts posted, the token never logged.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import httpx
import pytest

from modelswap.config import Settings
from modelswap.gateway import create_app
from modelswap.rollout.assignment import bucket
from modelswap.serving import running_server
from modelswap.store import open_store
from test_rollout_alerts import Receiver

TOKEN = "adm-7f3c0b1e9d2a4c58"
KEYS = [f"user-{i}" for i in range(40)]
CHAT = {"model": "bot", "messages": [{"role": "user", "content": "Name a colour."}]}


def settings_for(store: str, *, admin: bool = True, webhooks: list[dict[str, str]] | None = None) -> Settings:
    data: dict[str, Any] = {
        "store": store,
        "arms": {"primary": {"backend": "sim", "seed": 1}, "cand": {"backend": "sim", "seed": 2}},
        "routes": {"bot": {"primary": "primary", "candidates": ["cand"],
                           "rollout": {"candidate": "cand", "sticky": {"header": "x-user-id"}}},
                   "plain": {"primary": "primary"}},
        "alerts": {"webhooks": webhooks or []}}
    if admin:
        data["admin"] = {"token_env": "TEST_ADMIN_TOKEN"}
    return Settings.model_validate(data)


@contextmanager
def gateway(settings: Settings, *, token: str | None = TOKEN) -> Iterator[str]:
    env = {"TEST_ADMIN_TOKEN": token} if token is not None else {}
    with running_server(create_app(settings, env=env, rollout_poll_s=0.05)) as url:
        yield url


def admin(url: str, path: str, body: Any = None, *, token: str | None = TOKEN) -> httpx.Response:
    headers = {"authorization": f"Bearer {token}"} if token is not None else {}
    if body is None and path.count("/") == 0:
        return httpx.get(f"{url}/admin/rollouts/{path}", headers=headers)
    return httpx.post(f"{url}/admin/rollouts/{path}", headers=headers,
                      content=body if isinstance(body, bytes) else httpx.Request("POST", url, json=body).content)


def arm_of(url: str, key: str) -> str:
    response = httpx.post(f"{url}/v1/chat/completions", json=CHAT, headers={"x-user-id": key})
    assert response.status_code == 200
    return response.headers["x-modelswap-arm"]


def error(response: httpx.Response) -> tuple[int, str | None, str | None]:
    found = response.json()["error"]
    return response.status_code, found["code"], found["param"]


@pytest.fixture
def store_file(tmp_path: Path) -> str:
    return f"sqlite:///{tmp_path / 'admin.db'}"


def test_the_token_is_checked(store_file: str) -> None:
    with gateway(settings_for(store_file, admin=False)) as url:
        assert error(admin(url, "bot")) == (403, "admin_disabled", None)
        assert error(admin(url, "bot/rollback", {})) == (403, "admin_disabled", None)
    with gateway(settings_for(store_file), token="") as url:  # the variable is empty: off
        assert error(admin(url, "bot")) == (403, "admin_disabled", None)
    with gateway(settings_for(store_file)) as url:
        missing = admin(url, "bot", token=None)
        assert error(missing) == (401, "missing_admin_token", None)
        assert missing.headers["www-authenticate"] == "Bearer"
        basic = httpx.get(f"{url}/admin/rollouts/bot", headers={"authorization": f"Basic {TOKEN}"})
        assert error(basic) == (401, "missing_admin_token", None)
        assert error(admin(url, "bot", token=TOKEN + "x")) == (401, "invalid_admin_token", None)
        assert error(admin(url, "bot/rollback", {}, token="wrong")) == (401, "invalid_admin_token", None)
        assert admin(url, "bot").status_code == 200
    with open_store(store_file) as store:
        assert store.rollout_state("bot") is None  # nothing refused was written


def test_actions_are_audited_and_obeyed_at_once(store_file: str, caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.DEBUG)
    with gateway(settings_for(store_file)) as url:
        before = admin(url, "bot").json()
        assert (before["written"], before["state"]["status"], before["audit"]) == (False, "shadow", [])
        done = admin(url, "bot/set", {"percent": 25, "reason": "first look", "actor": "alice"})
        assert done.status_code == 200, done.text
        # no wait: the process that wrote the state obeys it for the very next request
        assert {key: arm_of(url, key) for key in KEYS} == {
            key: "cand" if bucket("bot", key) < 2500 else "primary" for key in KEYS}
        entry = done.json()["entry"]
        assert {k: entry[k] for k in ("version", "actor", "action", "from_percent", "to_percent", "reason")} == {
            "version": 1, "actor": "alice", "action": "set", "from_percent": 0.0, "to_percent": 25.0,
            "reason": "first look"}
        assert done.json()["state"]["percent"] == 25.0 and done.json()["raced"] is None
        assert admin(url, "bot/pause", {}).json()["state"]["status"] == "paused"
        assert admin(url, "bot/rollback", b"").json()["entry"]["actor"] == "admin-api"
        assert {arm_of(url, key) for key in KEYS} == {"primary"}
        shown = admin(url, "bot?limit=2").json()
        metrics = httpx.get(f"{url}/metrics").text
    assert (shown["written"], shown["state"]["status"], shown["state"]["version"]) == (True, "rolled_back", 3)
    assert [e["action"] for e in shown["audit"]] == ["rollback", "pause"]
    assert shown["serving"] == {"state": shown["state"], "stale": False}
    for action in ("set", "pause", "rollback"):
        assert f'modelswap_rollout_transitions_total{{action="{action}",route="bot"}} 1.0' in metrics
    assert TOKEN not in caplog.text
    with open_store(store_file) as store:
        assert [e.action for e in store.rollout_audit("bot", limit=10)] == ["rollback", "pause", "set"]


def test_refusals_name_what_is_wrong(store_file: str) -> None:
    with gateway(settings_for(store_file)) as url:
        assert error(admin(url, "nowhere")) == (404, "route_not_found", "route")
        assert error(admin(url, "plain/rollback", {})) == (404, "route_not_found", "route")
        assert error(admin(url, "bot/advance", {})) == (404, "unknown_action", "action")
        assert error(admin(url, "bot/set", {})) == (400, "missing_required_parameter", "percent")
        assert error(admin(url, "bot/set", {"percent": "50"})) == (400, "invalid_type", "percent")
        assert error(admin(url, "bot/set", {"percent": True})) == (400, "invalid_type", "percent")
        assert error(admin(url, "bot/set", {"percent": 101})) == (400, "invalid_value", "percent")
        assert error(admin(url, "bot/set", {"percent": 1.234})) == (400, "invalid_value", "percent")
        assert error(admin(url, "bot/set", {"percent": 5, "why": "x"})) == (400, "unknown_parameter", "why")
        assert error(admin(url, "bot/rollback", {"percent": 5})) == (400, "unknown_parameter", "percent")
        assert error(admin(url, "bot/pause", {"actor": ""})) == (400, "invalid_type", "actor")
        assert error(admin(url, "bot/pause", {"reason": 3})) == (400, "invalid_type", "reason")
        assert error(admin(url, "bot/pause", b"[1]")) == (400, "invalid_json", None)
        assert error(admin(url, "bot/pause", b"{nope")) == (400, "invalid_json", None)
        assert error(admin(url, "bot?limit=x")) == (400, "invalid_value", "limit")
        assert admin(url, "bot/rollback", {}).status_code == 200
        refused = admin(url, "bot/promote", {})
        assert error(refused) == (409, "rollout_refused", None)
        assert "cannot promote: the rollout was rolled back; set a percentage first" in refused.json()["error"][
            "message"]


def test_admin_transitions_are_alerted(store_file: str) -> None:
    receiver = Receiver()
    with running_server(receiver.app) as hooks:
        settings = settings_for(store_file, webhooks=[{"url": f"{hooks}/hook/j"},
                                                      {"url": f"{hooks}/hook/s", "format": "slack"}])
        with gateway(settings) as url:
            admin(url, "bot/set", {"percent": 5})
            admin(url, "bot/rollback", {"reason": "error spike", "actor": "bob"})
            deadline = time.monotonic() + 10  # a bounded wait for the background sender, not a timing assertion
            while "modelswap_alerts_sent_total 2.0" not in (metrics := httpx.get(f"{url}/metrics").text):
                assert time.monotonic() < deadline, "the alerts were never sent"
                time.sleep(0.02)
    json_post = next(post for post in receiver.posts if "schema" in post)
    assert {k: json_post[k] for k in ("route", "action", "from_percent", "to_percent", "reason", "actor")} == {
        "route": "bot", "action": "rollback", "from_percent": 5.0, "to_percent": 0.0, "reason": "error spike",
        "actor": "bob"}
    assert [post["text"] for post in receiver.posts if "text" in post] == [
        "modelswap: route bot rollback 5% -> 0% (running -> rolled_back, candidate cand) by bob: error spike"]
    assert len(receiver.posts) == 2  # the set is not alerted
    assert "modelswap_alerts_sent_total 2.0" in metrics and "modelswap_alerts_failed_total 0.0" in metrics
