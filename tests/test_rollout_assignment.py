"""Sticky assignment: stable buckets, a monotone ramp at 0.01% resolution, splits and salts checked
against the binomial distribution, keys from headers, body fields and metadata, segments first."""

from __future__ import annotations

import hashlib
from collections.abc import Mapping
from typing import Any

import numpy as np
import pytest
from scipy import stats

from modelswap.rollout.assignment import Assignment, Segment, Sticky, assign, bucket, bucket_count, key_of

SALT = "support-bot"
STICKY = Sticky(header="x-user-id")
KEYS = [f"user-{value:016x}" for value in np.random.default_rng(20261201).integers(0, 2**63, 100_000)]


def assign_key(key: str, percent: float, *, salt: str = SALT, segments: tuple[Segment, ...] = (),
               headers: Mapping[str, str] | None = None) -> Assignment:
    return assign(salt=salt, sticky=STICKY, segments=segments, percent=percent, primary="gpt", candidate="smol",
                  headers={"x-user-id": key, **(headers or {})}, body={}, request_id=f"req-{key}")


def on_candidate(percent: float, *, salt: str = SALT) -> np.ndarray[Any, np.dtype[np.bool_]]:
    return np.array([assign_key(key, percent, salt=salt).arm == "smol" for key in KEYS])


def test_buckets_are_pinned() -> None:
    # cross-checked outside Python: printf 'support-bot\0user-1' | b2sum -l 64 -> d2280565ee326eec,
    # and 0xd2280565ee326eec % 10000 == 1180
    assert bucket("support-bot", "user-1") == 1180
    assert bucket("support-bot", "user-2") == 3738
    assert bucket("other", "user-1") == 6256
    assert bucket("support-bot", "") == 2506
    assert bucket("r", "日本") == 3108


def test_bucket_is_the_documented_recipe() -> None:
    for key in KEYS[:1000]:
        digest = hashlib.blake2b(f"{SALT}\x00{key}".encode(), digest_size=8).digest()
        assert bucket(SALT, key) == int.from_bytes(digest, "big") % 10_000


def test_bucket_count_has_a_resolution_of_one_hundredth_of_a_percent() -> None:
    assert [bucket_count(p) for p in (0, 0.01, 0.02, 0.29, 1, 5, 33.33, 99.99, 100)] == [
        0, 1, 2, 29, 100, 500, 3333, 9999, 10_000]
    assert bucket_count(0.014) == 1 and bucket_count(0.016) == 2  # rounded to 0.01
    assert bucket_count(0.125) == 12 and bucket_count(0.375) == 38  # 12.5 and 37.5 buckets: half to even


@pytest.mark.parametrize("percent", [-0.01, 100.01, float("nan"), float("inf"), True, "5"])
def test_a_percentage_outside_0_to_100_is_refused(percent: Any) -> None:
    with pytest.raises(ValueError, match="percent="):
        assign_key("user-1", percent)


def test_the_ramp_is_monotone_over_100000_keys() -> None:
    at_5, at_25, at_50 = on_candidate(5), on_candidate(25), on_candidate(50)
    assert at_5.sum() > 0
    assert not (at_5 & ~at_25).any()
    assert not (at_5 & ~at_50).any()
    assert not (at_25 & ~at_50).any()


def test_a_percentage_covers_exactly_the_buckets_below_its_count() -> None:
    buckets = np.array([bucket(SALT, key) for key in KEYS])
    at_smallest = on_candidate(0.01)
    assert at_smallest.sum() == (buckets == 0).sum() > 0  # about 10 of 100,000 keys
    assert (at_smallest == (buckets == 0)).all()
    for percent in (0.02, 1, 33.33, 99.99):
        assert (on_candidate(percent) == (buckets < round(percent * 100))).all()


@pytest.mark.parametrize("percent", [1, 5, 25, 50])
def test_the_split_of_100000_keys_is_within_its_binomial_interval(percent: float) -> None:
    low, high = stats.binom.interval(0.999, len(KEYS), percent / 100)
    assert low <= on_candidate(percent).sum() <= high


def test_two_routes_assign_independently() -> None:
    first, second = on_candidate(50, salt="support-bot"), on_candidate(25, salt="search")
    low, high = stats.binom.interval(0.999, len(KEYS), 0.50 * 0.25)
    assert low <= (first & second).sum() <= high
    assert (first != on_candidate(50, salt="search")).any()


def test_a_key_keeps_its_arm_whatever_the_request() -> None:
    arms = {assign(salt=SALT, sticky=STICKY, segments=(), percent=50, primary="gpt", candidate="smol",
                   headers={"x-user-id": "user-1"}, body={}, request_id=f"req-{i}").arm for i in range(50)}
    assert arms == {"smol"}  # bucket 1180 < 5000


def test_the_header_name_is_case_insensitive() -> None:
    sticky = Sticky(header="X-User-Id")
    for headers in ({"x-user-id": "user-1"}, {"X-USER-ID": "user-1"}, {"X-User-Id": "user-1"}):
        assert key_of(sticky, headers, {}) == "user-1"
        result = assign(salt=SALT, sticky=sticky, segments=(), percent=50, primary="gpt", candidate="smol",
                        headers=headers, body={}, request_id="req-1")
        assert result == Assignment(arm="smol", bucket=1180, keyed=True, key_source="header", segment=None)


def test_keys_from_a_body_field_and_from_metadata() -> None:
    body = {"model": "support-bot", "user": "user-1", "metadata": {"conversation_id": "conv-9"}}
    assert key_of(Sticky(field="user"), {}, body) == "user-1"
    assert key_of(Sticky(metadata="conversation_id"), {}, body) == "conv-9"
    assert key_of(Sticky(field="user"), {}, {"user": 42}) == "42"
    result = assign(salt=SALT, sticky=Sticky(metadata="conversation_id"), segments=(), percent=50, primary="gpt",
                    candidate="smol", headers={}, body=body, request_id="req-1")
    assert (result.bucket, result.keyed, result.key_source) == (bucket(SALT, "conv-9"), True, "metadata")


@pytest.mark.parametrize("value", ["", None, True, 1.5, ["user-1"], {"id": "user-1"}])
def test_empty_and_non_string_values_are_no_key(value: Any) -> None:
    assert key_of(Sticky(field="user"), {}, {"user": value}) is None
    assert key_of(Sticky(metadata="conversation_id"), {}, {"metadata": {"conversation_id": value}}) is None
    assert key_of(Sticky(metadata="conversation_id"), {}, {"metadata": value}) is None
    assert key_of(Sticky(header="x-user-id"), {"x-user-id": ""}, {}) is None


def test_a_request_without_a_key_is_assigned_by_its_request_id() -> None:
    results = [assign(salt=SALT, sticky=STICKY, segments=(), percent=50, primary="gpt", candidate="smol",
                      headers={}, body={}, request_id=f"req-{i}") for i in range(200)]
    assert all(not r.keyed and r.key_source is None for r in results)
    assert [r.bucket for r in results] == [bucket(SALT, f"req-{i}") for i in range(200)]
    assert {r.arm for r in results} == {"gpt", "smol"}
    no_sticky = assign(salt=SALT, sticky=None, segments=(), percent=50, primary="gpt", candidate="smol",
                       headers={"x-user-id": "user-1"}, body={}, request_id="req-7")
    assert (no_sticky.bucket, no_sticky.keyed) == (bucket(SALT, "req-7"), False)


def test_segments_are_matched_first_and_in_order() -> None:
    internal = (Segment(header="x-internal", equals="1", percent=100),)
    assert {assign_key(key, 1, segments=internal, headers={"X-Internal": "1"}).arm for key in KEYS[:2000]} == {"smol"}
    assert assign_key("user-1", 1, segments=internal, headers={"x-internal": "1"}).segment == 0
    outside = assign_key("user-2", 1, segments=internal, headers={"x-internal": "0"})
    assert (outside.arm, outside.segment) == ("gpt", None)  # bucket 3738 >= 100
    both = (Segment(header="x-tier", equals="free", percent=0), Segment(header="x-internal", equals="1", percent=100))
    first = assign_key("user-1", 50, segments=both, headers={"x-tier": "free", "x-internal": "1"})
    assert (first.arm, first.segment) == ("gpt", 0)  # bucket 1180 < 5000, but the first segment says 0%


def test_percent_0_is_always_the_primary_and_100_always_the_candidate() -> None:
    assert {assign_key(key, 0).arm for key in KEYS[:5000]} == {"gpt"}
    assert {assign_key(key, 100).arm for key in KEYS[:5000]} == {"smol"}


def test_bad_specs_are_refused_with_the_key_named() -> None:
    with pytest.raises(ValueError, match="exactly one of header, field or metadata"):
        Sticky()
    with pytest.raises(ValueError, match="exactly one of header, field or metadata"):
        Sticky(header="x-user-id", field="user")
    with pytest.raises(ValueError, match=r"sticky\.field=''"):
        Sticky(field="")
    with pytest.raises(ValueError, match=r"segment\.percent=101"):
        Segment(header="x-internal", equals="1", percent=101)
    with pytest.raises(ValueError, match="request_id"):
        assign(salt=SALT, sticky=STICKY, segments=(), percent=5, primary="gpt", candidate="smol", headers={},
               body={}, request_id="")
