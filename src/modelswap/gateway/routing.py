"""Who serves a request and who shadows it: a pure function of the request key and the route's state.

What it is: ``decide``, from a route's configuration, a request key (sticky: the client's
``user`` or ``x-session-id``, else the request id), the time and today's shadow spend, to a
``Routing``. Sampling hashes the key (``bucket``), so a user is either shadowed or not for a
given rate, and raising the rate only adds users. Each use of the hash has its own salt, so
the replica and (later) canary assignments are independent of the shadow sample.

What it is not: state. Spend, time and the rollout stage come in as arguments; a canary
percentage will pick ``serving`` from ``bucket(key, "canary")`` without changing callers.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from datetime import UTC, datetime

from modelswap.config import RouteConfig

_SCALE = float(2**64)


@dataclass(frozen=True, kw_only=True, slots=True)
class Routing:
    """The routing of one request: the serving arm, the arms shadowing it, and why."""

    serving: str
    shadows: tuple[str, ...] = ()
    replica: bool = False
    reason: str = ""

    @property
    def shadowed(self) -> bool:
        return bool(self.shadows) or self.replica


def bucket(request_key: str, salt: str) -> float:
    """A stable number in [0, 1) for ``request_key`` under ``salt`` (the same on every replica and run)."""
    digest = hashlib.blake2b(f"{salt}\x00{request_key}".encode(), digest_size=8).digest()
    return int.from_bytes(digest, "big") / _SCALE


def decide(route: RouteConfig, *, request_key: str, now: datetime, spent_usd: float) -> Routing:
    """Route one request: the primary serves; candidates shadow when sampled, within time and budget."""
    shadow = route.shadow
    serving = route.primary
    if shadow.until is not None and _utc(now) >= _utc(shadow.until):
        return Routing(serving=serving, reason=f"shadowing ended at {shadow.until.isoformat()}")
    if shadow.daily_budget_usd is not None and spent_usd >= shadow.daily_budget_usd:
        return Routing(serving=serving, reason=f"daily shadow budget of {shadow.daily_budget_usd} USD spent")
    sampled = bool(route.candidates) and bucket(request_key, "shadow") < shadow.sample_rate
    replica = bucket(request_key, "replica") < shadow.replica_rate
    shadows = route.candidates if sampled else ()
    if not sampled and not replica:
        return Routing(serving=serving, reason="not sampled")
    parts = [f"sampled at {shadow.sample_rate}"] if sampled else []
    parts += [f"replica at {shadow.replica_rate}"] if replica else []
    return Routing(serving=serving, shadows=shadows, replica=replica, reason=", ".join(parts))


def _utc(moment: datetime) -> datetime:
    """Naive datetimes are taken as UTC."""
    return moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment
