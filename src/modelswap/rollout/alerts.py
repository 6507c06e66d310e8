"""Rollout alerts: every rollback, pause, promotion and breached guard, posted to the configured webhooks.

What it is: ``Alerts``, built from ``alerts.webhooks``. ``notify(entry)`` takes the audit entry of a
transition just written (the admin API's, the controller's: ``rollout.control.apply`` returns it),
counts it by route and action, and when it is one to alert on (``alerted``: ``rollback``, ``pause``,
``promote``, ``guard_breach``, ``drift`` (a promoted route's drift check said no_go), or any transition
that ends ``promoted`` from another status) queues one post per webhook.
A daemon thread of its own sends them, each with a timeout (``timeout_s``) and at most ``attempts``
tries (a connection error, a timeout or a 5xx/429 answer is tried again after ``backoff_s``, doubled
each time); what still fails, or finds the queue full, is counted in ``failed``. ``notify`` never
waits and never raises, from any thread or event loop.

A webhook's body is ``payload(alert, format)``: for ``json`` the alert's fields (``schema``
``modelswap.rollout-alert/v1``, ``route``, ``action``, ``candidate``, ``from_percent``,
``to_percent``, ``from_status``, ``to_status``, ``reason``, ``figures``, ``actor``, ``at`` as
ISO 8601 UTC, ``version``); for ``slack`` ``{"text": <one line>}``. Webhook URLs carry secrets
(Slack's do), so a failure is logged with the webhook's index and host, never its URL.

What it is not: the decision to act (the controller, a person) or the transition's write.
"""

from __future__ import annotations

import logging
import queue
import threading
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any
from urllib.parse import urlsplit

import httpx

from modelswap.config import WebhookConfig
from modelswap.types import AuditEntry

logger = logging.getLogger(__name__)

SCHEMA = "modelswap.rollout-alert/v1"
ALERTED_ACTIONS = frozenset({"rollback", "pause", "promote", "guard_breach", "drift"})
RETRIED_STATUSES = frozenset({429, 500, 502, 503, 504})

Post = Callable[[str, dict[str, Any], float], int]  # (url, JSON body, timeout_s) -> HTTP status; raises httpx.HTTPError


@dataclass(frozen=True, kw_only=True, slots=True)
class Alert:
    """One alerted transition, as the webhooks receive it."""

    route: str
    action: str
    candidate: str
    from_percent: float
    to_percent: float
    from_status: str
    to_status: str
    reason: str
    actor: str
    at: float
    version: int
    figures: dict[str, Any] = field(default_factory=dict)

    @classmethod
    def of(cls, entry: AuditEntry) -> Alert:
        return cls(route=entry.route, action=entry.action, candidate=entry.candidate,
                   from_percent=entry.from_percent_bp / 100, to_percent=entry.to_percent_bp / 100,
                   from_status=entry.from_status, to_status=entry.to_status, reason=entry.reason, actor=entry.actor,
                   at=entry.at, version=entry.version, figures=dict(entry.figures))

    def to_json(self) -> dict[str, Any]:
        return {"schema": SCHEMA, "route": self.route, "action": self.action, "candidate": self.candidate,
                "from_percent": self.from_percent, "to_percent": self.to_percent, "from_status": self.from_status,
                "to_status": self.to_status, "reason": self.reason, "figures": self.figures, "actor": self.actor,
                "at": _iso(self.at), "version": self.version}

    def text(self) -> str:
        """One line for a chat channel."""
        why = f": {self.reason}" if self.reason else ""
        return (f"modelswap: route {self.route} {self.action} {self.from_percent:g}% -> {self.to_percent:g}% "
                f"({self.from_status} -> {self.to_status}, candidate {self.candidate}) by {self.actor}{why}")


def alerted(entry: AuditEntry) -> bool:
    """Whether a transition is alerted: a rollback, pause, promotion (by hand or advancing), breached guard, drift."""
    return entry.action in ALERTED_ACTIONS or (entry.to_status == "promoted" and entry.from_status != "promoted")


def payload(alert: Alert, format: str) -> dict[str, Any]:
    """The body posted to a webhook of ``format`` (``json`` or ``slack``)."""
    return {"text": alert.text()} if format == "slack" else alert.to_json()


class Alerts:
    """Counts transitions and posts the alerted ones to ``webhooks`` in the background (module docstring)."""

    def __init__(self, webhooks: Sequence[WebhookConfig], *, timeout_s: float = 5.0, attempts: int = 3,
                 backoff_s: float = 0.5, max_queue: int = 1000, post: Post | None = None) -> None:
        if attempts < 1 or timeout_s <= 0 or backoff_s < 0 or max_queue < 1:
            raise ValueError("attempts and max_queue must be at least 1, timeout_s above 0, backoff_s 0 or more")
        self.webhooks = tuple(webhooks)
        self.timeout_s, self.attempts, self.backoff_s = timeout_s, attempts, backoff_s
        self.transitions: dict[tuple[str, str], int] = {}
        self.sent = self.failed = 0
        self._post = post
        self._queue: queue.Queue[tuple[int, dict[str, Any]] | None] = queue.Queue(max_queue)
        self._lock = threading.Lock()
        self._thread: threading.Thread | None = None
        self._closed = False

    def notify(self, entry: AuditEntry) -> None:
        """Count the transition ``entry`` recorded; queue its alert to every webhook when it is alerted."""
        with self._lock:
            key = (entry.route, entry.action)
            self.transitions[key] = self.transitions.get(key, 0) + 1
            if not alerted(entry) or not self.webhooks:
                return
            if self._closed:
                self.failed += len(self.webhooks)
                return
            if self._thread is None:
                self._thread = threading.Thread(target=self._run, name="modelswap-alerts", daemon=True)
                self._thread.start()
        alert = Alert.of(entry)
        for index, webhook in enumerate(self.webhooks):
            try:
                self._queue.put_nowait((index, payload(alert, webhook.format)))
            except queue.Full:
                self._count_failed()
                logger.warning("rollout alert to webhook %d (%s) dropped: the alert queue is full", index,
                               _host(webhook.url))

    def close(self, timeout_s: float = 10.0) -> None:
        """Send what is queued (waiting up to ``timeout_s``), then stop; later alerts are counted failed."""
        with self._lock:
            self._closed = True
            thread = self._thread
        if thread is None:
            return
        try:
            self._queue.put(None, timeout=timeout_s)
        except queue.Full:
            return
        thread.join(timeout_s)

    def _run(self) -> None:
        with httpx.Client() as client:
            while (item := self._queue.get()) is not None:
                index, body = item
                if self._send(client, index, body):
                    with self._lock:
                        self.sent += 1
                else:
                    self._count_failed()

    def _send(self, client: httpx.Client, index: int, body: dict[str, Any]) -> bool:
        webhook = self.webhooks[index]
        wait_s = self.backoff_s
        outcome = ""
        for attempt in range(self.attempts):
            if attempt:
                time.sleep(wait_s)
                wait_s *= 2
            try:
                status = (self._post(webhook.url, body, self.timeout_s) if self._post is not None
                          else client.post(webhook.url, json=body, timeout=self.timeout_s).status_code)
            except httpx.HTTPError as exc:
                outcome = type(exc).__name__
                continue
            if 200 <= status < 300:
                return True
            outcome = f"HTTP {status}"
            if status not in RETRIED_STATUSES:
                break
        logger.warning("rollout alert to webhook %d (%s) failed: %s", index, _host(webhook.url), outcome)
        return False

    def _count_failed(self) -> None:
        with self._lock:
            self.failed += 1


def _host(url: str) -> str:
    return urlsplit(url).hostname or "?"


def _iso(moment: float) -> str:
    return datetime.fromtimestamp(moment, UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")
