"""Rollout alerts: which transitions alert, the exact webhook bodies, retries, failures, and a caller never held.

The webhooks are a real local HTTP receiver (``Receiver``) that records what it is posted and
answers with the statuses it is told to.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from typing import Any

import orjson
import pytest
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from modelswap.config import WebhookConfig
from modelswap.rollout.alerts import SCHEMA, Alert, Alerts, alerted, payload
from modelswap.serving import free_port, running_server
from modelswap.types import AuditEntry


class Receiver:
    """A webhook endpoint: ``posts`` are the JSON bodies received; ``statuses`` are answered in order, then 200."""

    def __init__(self) -> None:
        self.posts: list[dict[str, Any]] = []
        self.statuses: list[int] = []
        self.gate: threading.Event | None = None
        self.received = threading.Event()
        self.app = Starlette(routes=[Route("/hook/{secret}", self.hook, methods=["POST"])])

    async def hook(self, request: Request) -> Response:
        self.posts.append(orjson.loads(await request.body()))
        self.received.set()
        if self.gate is not None:
            while not self.gate.is_set():
                time.sleep(0.01)  # holds this server's loop: the caller must not notice
        return Response(status_code=self.statuses.pop(0) if self.statuses else 200)


@pytest.fixture
def receiver() -> Iterator[tuple[Receiver, str]]:
    found = Receiver()
    with running_server(found.app) as url:
        yield found, url


def entry(action: str = "rollback", *, from_status: str = "running", to_status: str = "rolled_back",
          from_bp: int = 500, to_bp: int = 0) -> AuditEntry:
    return AuditEntry(route="bot", version=3, at=1796151466.25, actor="alice", action=action, candidate="smol",
                      from_percent_bp=from_bp, to_percent_bp=to_bp, from_status=from_status,  # type: ignore[arg-type]
                      to_status=to_status, reason="error spike", figures={"error_rate": 0.031})  # type: ignore[arg-type]


def wait_for(condition: Any, timeout_s: float = 10.0) -> None:
    deadline = time.monotonic() + timeout_s
    while not condition():
        assert time.monotonic() < deadline, "the condition never held"
        time.sleep(0.01)


EXPECTED_JSON = {"schema": SCHEMA, "route": "bot", "action": "rollback", "candidate": "smol", "from_percent": 5.0,
                 "to_percent": 0.0, "from_status": "running", "to_status": "rolled_back", "reason": "error spike",
                 "figures": {"error_rate": 0.031}, "actor": "alice", "at": "2026-12-01T18:57:46.250Z", "version": 3}
EXPECTED_TEXT = ("modelswap: route bot rollback 5% -> 0% (running -> rolled_back, candidate smol) by alice: "
                 "error spike")


def test_which_transitions_alert() -> None:
    assert [a for a in ("rollback", "pause", "promote", "guard_breach", "set", "resume")
            if alerted(entry(a, to_status="running"))] == ["rollback", "pause", "promote", "guard_breach"]
    assert alerted(entry("advance", from_status="running", to_status="promoted"))
    assert not alerted(entry("advance", from_status="running", to_status="running"))


def test_payloads_are_exact() -> None:
    alert = Alert.of(entry())
    assert payload(alert, "json") == EXPECTED_JSON
    assert payload(alert, "slack") == {"text": EXPECTED_TEXT}


def test_a_rollback_is_posted_to_every_webhook_in_its_format(receiver: tuple[Receiver, str]) -> None:
    found, url = receiver
    alerts = Alerts([WebhookConfig(url=f"{url}/hook/json"), WebhookConfig(url=f"{url}/hook/s3cret", format="slack")])
    alerts.notify(entry())
    alerts.notify(entry("set", to_status="running", to_bp=1000))  # counted, not alerted
    alerts.close()
    assert sorted(found.posts, key=str) == sorted([EXPECTED_JSON, {"text": EXPECTED_TEXT}], key=str)
    assert (alerts.sent, alerts.failed) == (2, 0)
    assert alerts.transitions == {("bot", "rollback"): 1, ("bot", "set"): 1}


def test_a_failing_webhook_is_retried_then_counted_failed_and_its_url_never_logged(
        receiver: tuple[Receiver, str], caplog: pytest.LogCaptureFixture) -> None:
    found, url = receiver
    found.statuses = [503, 500]
    alerts = Alerts([WebhookConfig(url=f"{url}/hook/s3cret")], attempts=3, backoff_s=0.01)
    alerts.notify(entry())
    alerts.close()
    assert (len(found.posts), alerts.sent, alerts.failed) == (3, 1, 0)

    found.posts.clear()
    found.statuses = [500, 500, 500, 400]
    again = Alerts([WebhookConfig(url=f"{url}/hook/s3cret")], attempts=3, backoff_s=0.01)
    again.notify(entry())
    again.notify(entry("pause", to_status="paused"))  # answered 400: not retried
    again.close()
    assert (len(found.posts), again.sent, again.failed) == (4, 0, 2)
    assert "s3cret" not in caplog.text
    assert "webhook 0 (127.0.0.1) failed: HTTP 500" in caplog.text
    assert "webhook 0 (127.0.0.1) failed: HTTP 400" in caplog.text


def test_an_unreachable_webhook_is_counted_failed() -> None:
    alerts = Alerts([WebhookConfig(url=f"http://127.0.0.1:{free_port()}/hook")], attempts=2, backoff_s=0.01,
                    timeout_s=2)
    alerts.notify(entry())
    alerts.close()
    assert (alerts.sent, alerts.failed) == (0, 1)


def test_notify_returns_while_the_webhook_still_holds_the_post(receiver: tuple[Receiver, str]) -> None:
    found, url = receiver
    found.gate = threading.Event()
    alerts = Alerts([WebhookConfig(url=f"{url}/hook/x")], max_queue=1)
    alerts.notify(entry())  # the sender takes it and waits on the webhook
    assert found.received.wait(10)
    alerts.notify(entry())  # queued
    alerts.notify(entry())  # the queue is full: dropped and counted, never raised
    assert (alerts.sent, alerts.failed) == (0, 1)
    found.gate.set()
    alerts.close()
    assert (alerts.sent, alerts.failed, len(found.posts)) == (2, 1, 2)


def test_after_close_alerts_are_counted_failed_and_without_webhooks_nothing_is_sent() -> None:
    quiet = Alerts([])
    quiet.notify(entry())
    quiet.close()
    assert (quiet.sent, quiet.failed, quiet.transitions) == (0, 0, {("bot", "rollback"): 1})
    closed = Alerts([WebhookConfig(url="http://127.0.0.1:9/hook")])
    closed.close()
    closed.notify(entry())
    assert closed.failed == 1
