"""Who serves a request and who shadows it: a pure function of the request, the route and its rollout state.

What it is: ``decide``, from a route's configuration, a request key (sticky: the client's
``user`` or ``x-session-id``, else the request id), the time and today's shadow spend, to a
``Routing`` in which the primary serves. Sampling hashes the key (``bucket``, the same BLAKE2b
number as the rollout's assignment, ``modelswap.rollout.assignment.hash64``, read as a fraction),
so a user is either shadowed or not for a given rate, and raising the rate only adds users. Each
use of the hash has its own salt, so the replica, shadow and canary assignments are independent.

``route_request`` adds the canary: for a route with a ``rollout:`` block and the rollout state the
gateway last read, the request is assigned with ``modelswap.rollout.assignment.assign`` (salt: the
route's name and ``rollout.salt``; sticky key and segments from the plan). The candidate serves an
assigned request, unshadowed (``role`` candidate); any other request goes to ``decide`` as before,
so the shadow comparison keeps running on what the primary serves. The state decides the share:

- no state written, ``shadow``, ``rolled_back``: 0%, segments ignored (the primary serves all);
- ``running``, ``paused``: the stored percentage, segments first (segments only while above 0%);
- ``promoted``: 100%, segments ignored (the candidate serves all).

A state whose candidate is not an arm of this gateway (the configuration changed under it) serves
the primary. What it is not: state. Spend, time and the rollout state come in as arguments; the
state is read in the background by ``modelswap.gateway.rollouts``.
"""

from __future__ import annotations

from collections.abc import Collection, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from modelswap.config import RouteConfig
from modelswap.rollout.assignment import Assignment, Segment, Sticky, assign, hash64, route_salt
from modelswap.types import Role, RolloutState, RolloutStatus

_SCALE = float(2**64)


@dataclass(frozen=True, kw_only=True, slots=True)
class Canary:
    """How a route's rollout assigned one request: the assignment and the state it was read from.

    ``percent`` is the route's stored share when the request came (0 without a state, 100 when
    promoted), ``status`` and ``version`` the state's (None and 0: never written).
    """

    assignment: Assignment
    percent: float
    status: RolloutStatus | None
    version: int

    def to_json(self) -> dict[str, Any]:
        """The stored form (the request's ``assignment`` in docs/formats.md)."""
        a = self.assignment
        return {"arm": a.arm, "bucket": a.bucket, "keyed": a.keyed, "key_source": a.key_source,
                "segment": a.segment, "percent": self.percent, "status": self.status, "version": self.version}


@dataclass(frozen=True, kw_only=True, slots=True)
class Routing:
    """The routing of one request: the serving arm (and its role), the arms shadowing it, and why."""

    serving: str
    shadows: tuple[str, ...] = ()
    replica: bool = False
    reason: str = ""
    role: Role = "primary"
    canary: Canary | None = None

    @property
    def shadowed(self) -> bool:
        return bool(self.shadows) or self.replica


def bucket(request_key: str, salt: str) -> float:
    """A stable number in [0, 1) for ``request_key`` under ``salt`` (the same on every replica and run)."""
    return hash64(salt, request_key) / _SCALE


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


def route_request(name: str, route: RouteConfig, *, state: RolloutState | None, arms: Collection[str],
                  headers: Mapping[str, str], body: Mapping[str, Any], request_id: str, request_key: str,
                  now: datetime, spent_usd: float) -> Routing:
    """Route one request of route ``name``: its rollout assigns it (see the module docstring), else ``decide``."""
    plan = route.rollout
    if plan is None:
        return decide(route, request_key=request_key, now=now, spent_usd=spent_usd)
    percent, segments = share(state)
    candidate = state.candidate if state is not None else plan.candidate
    if candidate not in arms or candidate == route.primary:
        percent, segments = 0.0, False
    assignment = assign(salt=route_salt(name, plan.salt), sticky=Sticky(**plan.sticky),
                        segments=[Segment(header=s.header, equals=s.equals, percent=s.percent)
                                  for s in plan.segments] if segments else (),
                        percent=percent, primary=route.primary, candidate=candidate, headers=headers, body=body,
                        request_id=request_id)
    canary = Canary(assignment=assignment, percent=percent, status=None if state is None else state.status,
                    version=0 if state is None else state.version)
    if assignment.arm == route.primary:
        shadowing = decide(route, request_key=request_key, now=now, spent_usd=spent_usd)
        return Routing(serving=route.primary, shadows=shadowing.shadows, replica=shadowing.replica,
                       reason=shadowing.reason, canary=canary)
    return Routing(serving=candidate, role="candidate", canary=canary,
                   reason=f"assigned to the candidate at {percent:g}%")


def share(state: RolloutState | None) -> tuple[float, bool]:
    """The percentage of keys a state puts on the candidate, and whether segments apply."""
    if state is None or state.status in ("shadow", "rolled_back"):
        return 0.0, False
    if state.status == "promoted":
        return 100.0, False
    return state.percent, state.percent_bp > 0


def _utc(moment: datetime) -> datetime:
    """Naive datetimes are taken as UTC."""
    return moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment
