"""What ``GET /readyz`` says about the store: the gateway serves whether or not the store is up.

What it is: ``readiness(writers)``, the body of a running gateway's ``/readyz`` from the
recorder's write-behind writers (queue name → writer). ``{"status": "ready"}`` while the store
takes writes; ``{"status": "degraded", "store": "down", "since": <UTC ISO 8601>, "down_s",
"buffered", "spilled", "dropped"}`` while it does not. Both are answered with 200: clients are
still served, and what they send is kept in the buffer (and the spill) until the store returns,
so a load balancer must not take the gateway out. The store is judged by the writers' last
write: an idle gateway notices an outage with its next write. What it is not: the HTTP handler
(``modelswap.gateway.app``) or the metrics (``modelswap.gateway.metrics``).
"""

from __future__ import annotations

import time
from collections.abc import Mapping
from datetime import UTC, datetime
from typing import Any

from modelswap.store.writer import WriteBehind


def readiness(writers: Mapping[str, WriteBehind[Any]]) -> dict[str, Any]:
    """The ``/readyz`` body of a running gateway (always answered with 200)."""
    down = [writer.down_since for writer in writers.values() if not writer.store_up and writer.down_since]
    if not down:
        return {"status": "ready"}
    since = min(down)
    return {"status": "degraded", "store": "down",
            "since": datetime.fromtimestamp(since, UTC).isoformat(timespec="seconds").replace("+00:00", "Z"),
            "down_s": round(time.time() - since, 1),
            "buffered": sum(writer.buffered for writer in writers.values()),
            "spilled": sum(writer.spilled for writer in writers.values()),
            "dropped": sum(writer.dropped for writer in writers.values())}
