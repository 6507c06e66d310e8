"""``POST /v1/feedback``: 202 and stored with the route, arm and trial of the answer it scores; 400 naming the field."""

from __future__ import annotations

from pathlib import Path

import httpx
import pytest

from modelswap.config import Settings
from modelswap.gateway import create_app
from modelswap.gateway.feedback import RecentRequests, Served
from modelswap.serving import running_server
from modelswap.store import open_store

CHAT = {"model": "bot", "messages": [{"role": "user", "content": "Name a colour."}]}


def settings_for(store: str) -> Settings:
    return Settings.model_validate({
        "store": store, "arms": {"primary": {"backend": "sim", "seed": 1}, "cand": {"backend": "sim", "seed": 2}},
        "routes": {"bot": {"primary": "primary", "candidates": ["cand"]}},
        "redact": ["emails"]})


def test_feedback_is_tied_to_the_answer_it_scores_and_stored(tmp_path: Path) -> None:
    store_url = f"sqlite:///{tmp_path / 'fb.db'}"
    with running_server(create_app(settings_for(store_url))) as url:
        answer = httpx.post(f"{url}/v1/chat/completions", json=CHAT, headers={"x-request-id": "req-1"})
        assert answer.headers["x-request-id"] == "req-1"
        taken = httpx.post(f"{url}/v1/feedback",
                           json={"request_id": "req-1", "score": 1, "comment": "ask me at a@b.example"})
        unknown = httpx.post(f"{url}/v1/feedback", json={"request_id": "req-from-elsewhere", "score": -0.5})
        metrics = httpx.get(f"{url}/metrics").text
    assert taken.status_code == 202 and unknown.status_code == 202
    assert {k: taken.json()[k] for k in ("request_id", "route", "arm")} == {"request_id": "req-1", "route": "bot",
                                                                          "arm": "primary"}
    assert unknown.json()["route"] is None
    assert 'modelswap_feedback_total{route="bot"} 1.0' in metrics
    assert 'modelswap_feedback_total{route="unknown"} 1.0' in metrics
    with open_store(store_url) as store:
        trial_id = store.requests("bot")[0].id
        scored, = store.feedback("bot")
        elsewhere, = store.feedback(None)
    assert (scored.id, scored.request_id, scored.score, scored.arm, scored.trial_id, scored.comment) == (
        taken.json()["id"], "req-1", 1.0, "primary", trial_id, "ask me at [REDACTED:emails]")
    assert (elsewhere.request_id, elsewhere.score, elsewhere.route, elsewhere.arm, elsewhere.trial_id) == (
        "req-from-elsewhere", -0.5, None, None, None)


@pytest.mark.parametrize(("body", "param", "code"), [
    ({"score": 1}, "request_id", "missing_required_parameter"),
    ({"request_id": "r"}, "score", "missing_required_parameter"),
    ({"request_id": "r", "score": 1, "rating": 5}, "rating", "unknown_parameter"),
    ({"request_id": "r", "score": "5"}, "score", "invalid_type"),
    ({"request_id": "r", "score": True}, "score", "invalid_type"),
    ({"request_id": "r", "score": None}, "score", "invalid_type"),
    ({"request_id": 7, "score": 1}, "request_id", "invalid_type"),
    ({"request_id": "", "score": 1}, "request_id", "invalid_type"),
    ({"request_id": "r", "score": 1, "comment": ["x"]}, "comment", "invalid_type"),
])
def test_a_bad_body_is_a_400_naming_the_field(tmp_path: Path, body: dict[str, object], param: str,
                                              code: str) -> None:
    with running_server(create_app(settings_for(f"sqlite:///{tmp_path / 'fb.db'}"))) as url:
        refused = httpx.post(f"{url}/v1/feedback", json=body)
        not_json = httpx.post(f"{url}/v1/feedback", content=b"{score")
    assert refused.status_code == 400
    assert (refused.json()["error"]["param"], refused.json()["error"]["code"]) == (param, code)
    assert (not_json.status_code, not_json.json()["error"]["code"]) == (400, "invalid_json")


def test_recent_requests_forget_the_oldest_beyond_their_capacity() -> None:
    recent = RecentRequests(capacity=2)
    for i in range(3):
        recent.remember(f"r{i}", Served(route="bot", arm="primary", trial_id=f"t{i}"))
    assert (recent.get("r0"), recent.get("r2"), len(recent)) == (None, Served(route="bot", arm="primary",
                                                                               trial_id="t2"), 2)
