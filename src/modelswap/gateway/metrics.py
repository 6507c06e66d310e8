"""The gateway's Prometheus metrics, in a registry of its own per app (no global state).

What it is: ``Metrics``, the counters and histograms the endpoints and the shadow engine
update, the store's write-behind figures read from the recorder's writers at each scrape
(``watch_store``; nothing is updated on the request path for them), and ``render`` for
``GET /metrics``. What it is not: alerting or aggregation.

The store figures, by ``queue`` (``observations``, ``requests``): ``modelswap_store_submitted_total``
(items handed to the recorder), ``_accepted_total``, ``_written_total``, ``_restored_total`` (read
back from a spill an earlier process left), ``_dropped_total`` by ``reason`` (every reason, zeros
included), ``_retries_total`` (writes failed with the store down), ``_reconnects_total`` (times the
store came back); gauges ``modelswap_store_buffered`` (items not yet written: memory and spill),
``_buffered_bytes`` (estimated, in memory), ``_spilled`` and ``_spilled_bytes``; and without labels
``modelswap_store_up`` (1 unless a queue's last write found the store down) and
``modelswap_store_down_seconds`` (how long the current outage has lasted). At any moment, per queue,
``submitted + restored == written + dropped + buffered``.

The rollout figures: ``modelswap_rollout_assigned_total`` (requests of a route with a rollout, by
the arm the assignment chose) and ``modelswap_rollout_unkeyed_total`` (those without a sticky key,
assigned per request), both by ``route``; read at each scrape from the app's ``RolloutStates`` and
``Alerts`` (``watch_rollout``): ``modelswap_rollout_percent`` and ``modelswap_rollout_state_version``
by route (what this process serves), ``modelswap_rollout_state_stale`` (1 while the last known state
may be out of date), ``modelswap_rollout_state_age_seconds`` (since the last good read),
``modelswap_rollout_state_read_failures_total``, ``modelswap_rollout_transitions_total`` by route
and action (the transitions this process made), ``modelswap_alerts_sent_total`` and
``modelswap_alerts_failed_total`` (webhook posts). ``modelswap_feedback_total`` counts feedback
accepted, by route (``unknown`` when the request id was not one this process answered lately).
"""

from __future__ import annotations

import time
from collections.abc import Iterator, Mapping
from typing import TYPE_CHECKING, Any

from prometheus_client import CONTENT_TYPE_LATEST, CollectorRegistry, Counter, Gauge, Histogram, generate_latest
from prometheus_client.core import CounterMetricFamily, GaugeMetricFamily, Metric

from modelswap.gateway.routing import share
from modelswap.store.writer import DROP_REASONS, WriteBehind

if TYPE_CHECKING:
    from modelswap.gateway.rollouts import RolloutStates
    from modelswap.rollout.alerts import Alerts

LATENCY_BUCKETS_S = (0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0, 60.0)


class Metrics:
    """Request, latency, shadow and store metrics of one gateway app."""

    content_type = CONTENT_TYPE_LATEST

    def __init__(self) -> None:
        self.registry = CollectorRegistry(auto_describe=True)
        r = self.registry
        self.requests = Counter("modelswap_requests", "Client requests by route, serving arm and status",
                                ["route", "arm", "status"], registry=r)
        self.latency = Histogram("modelswap_request_latency_seconds", "Serving arm latency seen by the client",
                                 ["route", "arm"], buckets=LATENCY_BUCKETS_S, registry=r)
        self.embedding_requests = Counter("modelswap_embedding_requests",
                                          "Embeddings requests by route, arm and status", ["route", "arm", "status"],
                                          registry=r)
        self.shadow_sent = Counter("modelswap_shadow_sent", "Shadow calls started", ["route", "arm"], registry=r)
        self.shadow_completed = Counter("modelswap_shadow_completed", "Shadow calls answered successfully",
                                        ["route", "arm"], registry=r)
        self.shadow_failed = Counter("modelswap_shadow_failed", "Shadow calls that failed (recorded as errors)",
                                     ["route", "arm"], registry=r)
        self.shadow_dropped = Counter("modelswap_shadow_dropped", "Shadow calls dropped (queue full or closing)",
                                      ["route", "arm"], registry=r)
        self.shadow_queue = Gauge("modelswap_shadow_queue_depth", "Shadow calls waiting for a slot", ["route"],
                                  registry=r)
        self.shadow_in_flight = Gauge("modelswap_shadow_in_flight", "Shadow calls running", ["route"], registry=r)
        self.shadow_spend = Counter("modelswap_shadow_spend_usd", "Cost of shadow calls in USD", ["route", "arm"],
                                    registry=r)
        self.rollout_assigned = Counter("modelswap_rollout_assigned", "Requests of a rollout route by assigned arm",
                                        ["route", "arm"], registry=r)
        self.rollout_unkeyed = Counter("modelswap_rollout_unkeyed",
                                       "Requests of a rollout route without a sticky key (assigned per request)",
                                       ["route"], registry=r)
        self.feedback = Counter("modelswap_feedback", "Feedback accepted, by route", ["route"], registry=r)
        self.store = StoreCollector()
        r.register(self.store)
        self.rollout = RolloutCollector()
        r.register(self.rollout)

    def watch_store(self, writers: Mapping[str, WriteBehind[Any]]) -> None:
        """Report these write-behind writers (queue name → writer) from now on, in place of any before."""
        self.store.writers = dict(writers)

    def watch_rollout(self, states: RolloutStates | None, alerts: Alerts | None) -> None:
        """Report these rollout states and alerts from now on."""
        self.rollout.states, self.rollout.alerts = states, alerts

    def render(self) -> bytes:
        return generate_latest(self.registry)


class StoreCollector:
    """The store figures of the watched writers, read at each scrape (see the module docstring)."""

    def __init__(self) -> None:
        self.writers: dict[str, WriteBehind[Any]] = {}

    def collect(self) -> Iterator[Metric]:
        writers = self.writers
        counters = {
            "submitted": "Items handed to the store's write-behind queue",
            "accepted": "Items accepted into the queue",
            "written": "Items written to the store",
            "restored": "Items read back from a spill an earlier process left",
            "retries": "Writes that failed because the store was down",
            "reconnects": "Times the store came back after an outage",
        }
        for name, documentation in counters.items():
            family = CounterMetricFamily(f"modelswap_store_{name}", documentation, labels=["queue"])
            for queue, writer in writers.items():
                family.add_metric([queue], getattr(writer, name))
            yield family
        dropped = CounterMetricFamily("modelswap_store_dropped", "Items lost, by reason", labels=["queue", "reason"])
        for queue, writer in writers.items():
            for reason in DROP_REASONS:
                dropped.add_metric([queue, reason], writer.dropped_by[reason])
        yield dropped
        gauges = {
            "buffered": "Items not yet written: queued, in hand or spilled",
            "buffered_bytes": "Estimated bytes of the items held in memory",
            "spilled": "Items in the spill files, waiting for the store",
            "spilled_bytes": "Bytes of the spill files not yet read back",
        }
        for name, documentation in gauges.items():
            gauge = GaugeMetricFamily(f"modelswap_store_{name}", documentation, labels=["queue"])
            for queue, writer in writers.items():
                gauge.add_metric([queue], getattr(writer, name))
            yield gauge
        down = [writer.down_since for writer in writers.values() if not writer.store_up and writer.down_since]
        yield GaugeMetricFamily("modelswap_store_up", "1 unless the store was down at the last write",
                                value=0.0 if down else 1.0)
        yield GaugeMetricFamily("modelswap_store_down_seconds", "How long the current store outage has lasted",
                                value=time.time() - min(down) if down else 0.0)


class RolloutCollector:
    """The rollout figures of the watched states and alerts, read at each scrape (see the module docstring)."""

    def __init__(self) -> None:
        self.states: RolloutStates | None = None
        self.alerts: Alerts | None = None

    def collect(self) -> Iterator[Metric]:
        states, alerts = self.states, self.alerts
        percent = GaugeMetricFamily("modelswap_rollout_percent", "Share of keys this process serves from the "
                                    "candidate (0 rolled back, 100 promoted)", labels=["route"])
        version = GaugeMetricFamily("modelswap_rollout_state_version", "Version of the rollout state this process "
                                    "obeys", labels=["route"])
        if states is not None:
            for route, state in sorted(states.states.items()):
                percent.add_metric([route], share(state)[0])
                version.add_metric([route], state.version)
        yield percent
        yield version
        yield GaugeMetricFamily("modelswap_rollout_state_stale", "1 while the rollout state served may be out of date",
                                value=1.0 if states is not None and states.stale else 0.0)
        yield GaugeMetricFamily("modelswap_rollout_state_age_seconds", "Seconds since the last good read of the "
                                "rollout states", value=states.age_s if states is not None else 0.0)
        yield CounterMetricFamily("modelswap_rollout_state_read_failures", "Reads of the rollout states that failed",
                                  value=states.failures if states is not None else 0)
        transitions = CounterMetricFamily("modelswap_rollout_transitions", "Rollout transitions made by this process",
                                          labels=["route", "action"])
        for (route, action), count in sorted((alerts.transitions if alerts is not None else {}).items()):
            transitions.add_metric([route, action], count)
        yield transitions
        yield CounterMetricFamily("modelswap_alerts_sent", "Rollout alerts posted to a webhook",
                                  value=alerts.sent if alerts is not None else 0)
        yield CounterMetricFamily("modelswap_alerts_failed", "Rollout alerts that could not be posted (after retries, "
                                  "or with the queue full)", value=alerts.failed if alerts is not None else 0)
