"""The gateway's Prometheus metrics, in a registry of its own per app (no global state).

What it is: ``Metrics``, the counters and histograms the endpoints and the shadow engine
update, and ``render`` for ``GET /metrics``. What it is not: alerting or aggregation.
"""

from __future__ import annotations

from prometheus_client import CONTENT_TYPE_LATEST, CollectorRegistry, Counter, Gauge, Histogram, generate_latest

LATENCY_BUCKETS_S = (0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0, 60.0)


class Metrics:
    """Request, latency and shadow metrics of one gateway app."""

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

    def render(self) -> bytes:
        return generate_latest(self.registry)
