"""The routing decision: sticky sampling by hash, the end time and the daily budget; serving by a rollout's state."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from modelswap.config import RouteConfig, ShadowConfig
from modelswap.gateway.routing import Canary, Routing, bucket, decide, route_request
from modelswap.rollout.assignment import Assignment, hash64
from modelswap.rollout.assignment import bucket as assignment_bucket
from modelswap.types import RolloutState, RolloutStatus

NOW = datetime(2026, 6, 1, 12, 0, tzinfo=UTC)


def route(**shadow: object) -> RouteConfig:
    return RouteConfig(primary="gpt", candidates=("smol", "gemma"), shadow=ShadowConfig.model_validate(shadow))


def test_bucket_is_stable_and_salted() -> None:
    assert bucket("alice", "shadow") == pytest.approx(0.3463294211039532, abs=1e-15)
    assert bucket("alice", "replica") == pytest.approx(0.7304572260262833, abs=1e-15)
    assert bucket("alice", "shadow") == bucket("alice", "shadow")


def test_sampling_follows_the_hash_of_the_key() -> None:
    # alice 0.346, bob 0.479, carol 0.182, dave 0.917 (shadow salt)
    sampled = {key: decide(route(sample_rate=0.35), request_key=key, now=NOW, spent_usd=0.0).shadows
               for key in ("alice", "bob", "carol", "dave")}
    assert sampled == {"alice": ("smol", "gemma"), "bob": (), "carol": ("smol", "gemma"), "dave": ()}


def test_full_decision_values() -> None:
    assert decide(route(sample_rate=1.0), request_key="bob", now=NOW, spent_usd=0.0) == Routing(
        serving="gpt", shadows=("smol", "gemma"), replica=False, reason="sampled at 1.0")
    # dave's replica bucket is 0.137
    assert decide(route(replica_rate=0.2), request_key="dave", now=NOW, spent_usd=0.0) == Routing(
        serving="gpt", shadows=(), replica=True, reason="replica at 0.2")
    assert decide(route(sample_rate=0.0), request_key="bob", now=NOW, spent_usd=0.0) == Routing(
        serving="gpt", reason="not sampled")


def test_no_candidates_means_no_shadow() -> None:
    plain = RouteConfig(primary="gpt", shadow=ShadowConfig(sample_rate=1.0))
    decision = decide(plain, request_key="alice", now=NOW, spent_usd=0.0)
    assert (decision.serving, decision.shadows, decision.replica, decision.shadowed) == ("gpt", (), False, False)


def test_shadowing_stops_at_until() -> None:
    config = route(sample_rate=1.0, replica_rate=1.0, until="2026-06-01T12:00:00Z")
    before = decide(config, request_key="alice", now=datetime(2026, 6, 1, 11, 59, tzinfo=UTC), spent_usd=0.0)
    at = decide(config, request_key="alice", now=NOW, spent_usd=0.0)
    assert (before.shadows, before.replica) == (("smol", "gemma"), True)
    assert at == Routing(serving="gpt", reason="shadowing ended at 2026-06-01T12:00:00+00:00")


def test_naive_until_is_utc() -> None:
    config = route(sample_rate=1.0, until=datetime(2026, 6, 1, 12, 0))
    assert decide(config, request_key="a", now=NOW, spent_usd=0.0).shadows == ()


def test_daily_budget_stops_shadowing() -> None:
    config = route(sample_rate=1.0, daily_budget_usd=2.0)
    assert decide(config, request_key="a", now=NOW, spent_usd=1.99).shadows == ("smol", "gemma")
    assert decide(config, request_key="a", now=NOW, spent_usd=2.0) == Routing(
        serving="gpt", reason="daily shadow budget of 2.0 USD spent")


# --- the rollout: serving by assignment (route_request) ---------------------------------------------------------------

ROLLOUT_ROUTE = RouteConfig.model_validate({
    "primary": "gpt", "candidates": ["smol"], "shadow": {"sample_rate": 1.0},
    "rollout": {"candidate": "smol", "sticky": {"header": "x-user-id"},
                "segments": [{"header": "x-internal", "equals": "1", "percent": 100}]}})
ARMS = ("gpt", "smol")
KEYS = [f"user-{i}" for i in range(400)]


def state(status: RolloutStatus, percent_bp: int, *, candidate: str = "smol", version: int = 3) -> RolloutState:
    return RolloutState(route="bot", candidate=candidate, percent_bp=percent_bp, stage=1, status=status,
                        version=version, updated_at=1.0, updated_by="alice", stage_started_at=1.0)


def routed(found: RolloutState | None, key: str | None, *, internal: bool = False, request_id: str = "req-1",
           route: RouteConfig = ROLLOUT_ROUTE) -> Routing:
    headers = {**({"X-User-Id": key} if key is not None else {}), **({"x-internal": "1"} if internal else {})}
    return route_request("bot", route, state=found, arms=ARMS, headers=headers, body={}, request_id=request_id,
                         request_key=key or request_id, now=NOW, spent_usd=0.0)


def on_candidate(percent: float) -> list[str]:
    return [key for key in KEYS if assignment_bucket("bot", key) < round(percent * 100)]


def test_the_shadow_bucket_is_the_assignment_hash_read_as_a_fraction() -> None:
    assert bucket("alice", "shadow") == hash64("shadow", "alice") / 2**64
    assert assignment_bucket("bot", "user-1") == hash64("bot", "user-1") % 10_000


@pytest.mark.parametrize("status", ["running", "paused"])
def test_a_running_or_paused_rollout_serves_its_percentage_by_bucket(status: RolloutStatus) -> None:
    served = [key for key in KEYS if routed(state(status, 2500), key).serving == "smol"]
    assert served == on_candidate(25) and 60 < len(served) < 140


def test_a_candidate_served_request_is_not_shadowed_and_a_primary_one_is() -> None:
    key_in, key_out = on_candidate(50)[0], next(k for k in KEYS if k not in on_candidate(50))
    inside, outside = routed(state("running", 5000), key_in), routed(state("running", 5000), key_out)
    assert (inside.serving, inside.role, inside.shadows, inside.replica) == ("smol", "candidate", (), False)
    assert inside.reason == "assigned to the candidate at 50%"
    assert (outside.serving, outside.role, outside.shadows) == ("gpt", "primary", ("smol",))


@pytest.mark.parametrize(("found", "served"), [
    (None, "gpt"), (state("shadow", 0), "gpt"), (state("rolled_back", 0), "gpt"), (state("paused", 0), "gpt"),
    (state("promoted", 10_000), "smol")])
def test_the_status_decides_for_every_key_and_segment(found: RolloutState | None, served: str) -> None:
    assert {routed(found, key, internal=internal).serving for key in KEYS[:50] for internal in (False, True)} == {
        served}


def test_segments_come_first_while_the_rollout_is_above_zero() -> None:
    key = next(k for k in KEYS if k not in on_candidate(1))
    assert routed(state("running", 100), key).serving == "gpt"
    inside = routed(state("running", 100), key, internal=True)
    assert (inside.serving, inside.canary and inside.canary.assignment.segment) == ("smol", 0)


def test_the_canary_says_how_the_request_was_assigned() -> None:
    key = on_candidate(25)[0]
    assert routed(state("running", 2500, version=7), key).canary == Canary(
        assignment=Assignment(arm="smol", bucket=assignment_bucket("bot", key), keyed=True, key_source="header",
                              segment=None), percent=25.0, status="running", version=7)
    unkeyed = routed(state("running", 2500), None, request_id="req-9").canary
    assert unkeyed is not None and unkeyed.to_json() == {
        "arm": "smol" if assignment_bucket("bot", "req-9") < 2500 else "gpt",
        "bucket": assignment_bucket("bot", "req-9"), "keyed": False, "key_source": None, "segment": None,
        "percent": 25.0, "status": "running", "version": 3}
    assert routed(None, key).canary == Canary(
        assignment=Assignment(arm="gpt", bucket=assignment_bucket("bot", key), keyed=True, key_source="header",
                              segment=None), percent=0.0, status=None, version=0)


def test_the_salt_joins_the_route_name() -> None:
    salted = ROLLOUT_ROUTE.model_copy(update={"rollout": ROLLOUT_ROUTE.rollout.model_copy(  # type: ignore[union-attr]
        update={"salt": "2026"})})
    canary = routed(state("running", 5000), "user-1", route=salted).canary
    assert canary is not None and canary.assignment.bucket == assignment_bucket("bot\x002026", "user-1")


def test_a_stored_candidate_this_gateway_does_not_have_serves_the_primary() -> None:
    assert {routed(state("promoted", 10_000, candidate="gone"), key).serving for key in KEYS[:20]} == {"gpt"}


def test_a_route_without_rollout_is_decided_as_before() -> None:
    plain = route(sample_rate=1.0)
    assert route_request("bot", plain, state=state("promoted", 10_000), arms=ARMS, headers={}, body={},
                         request_id="r", request_key="bob", now=NOW, spent_usd=0.0) == decide(
        plain, request_key="bob", now=NOW, spent_usd=0.0)
