"""The routing decision: sticky sampling by hash, the end time and the daily budget."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from modelswap.config import RouteConfig, ShadowConfig
from modelswap.gateway.routing import Routing, bucket, decide

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
