"""Sticky assignment of a request to an arm: the primary or the candidate of a route's rollout.

What it is: a pure function from (route salt, sticky key, percentage, segments) to an ``Assignment``.

- ``bucket(salt, key)``: BLAKE2b (8-byte digest) of ``salt + "\\x00" + key`` in UTF-8, read as an
  unsigned big-endian 64-bit integer, modulo 10,000. It is the same in every process, on every
  machine and every Python version (``hash()`` is salted per process and never used). The modulo
  bias is negligible: 2**64 is not a multiple of 10,000, so the first 2**64 mod 10,000 = 1,616
  buckets receive one more of the 2**64 hash values than the others, a relative excess of
  10,000 / 2**64 (about 5e-16) -- far below anything a sample can detect.
- A percentage P (0 to 100) covers the buckets ``b < round(P * 100)``: a resolution of 0.01%, so 1% is
  exactly 100 buckets. A finer percentage is rounded to 0.01 (half to even, on the bucket count:
  0.125% covers 12 buckets). Raising the percentage only adds buckets: a key on the candidate at 5%
  stays on it at 25% (a monotone ramp), and a key keeps its arm while the percentage stands.
- The key comes from the ``Sticky`` spec: a header (case-insensitive), a top-level field of the
  OpenAI request body (``user``) or a key of the body's ``metadata`` object (``conversation_id``).
  An empty string, a missing value or a value that is neither a string nor an integer is no key: such a
  request is assigned on its own, from the bucket of its request id, and says so (``keyed=False``).
- ``Segment``\\ s are matched first, in order: a request whose header equals the segment's value is
  assigned by the segment's percentage instead of the route's (``x-internal: 1`` at 100%).

The salt is per route (the caller passes the route's name plus a configurable salt), so two routes'
assignments are independent: a user on the candidate of one route is not more likely to be on the
candidate of another.

What it is not: the rollout's state (which percentage stands), its configuration file or the
gateway's routing; those call ``assign`` with the figures they hold.
"""

from __future__ import annotations

import hashlib
import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Literal

__all__ = [
    "BUCKETS", "Assignment", "KeySource", "Segment", "Sticky", "assign", "bucket", "bucket_count", "hash64",
    "header_value", "key_of", "route_salt",
]

BUCKETS = 10_000
KeySource = Literal["header", "field", "metadata"]


def hash64(salt: str, key: str) -> int:
    """BLAKE2b (8 bytes) of ``salt + "\\x00" + key`` as an unsigned 64-bit integer: the one hash of every bucket.

    The gateway's shadow sampling (``modelswap.gateway.routing.bucket``) reads the same number as a
    fraction of 2**64, so both are stable across processes, machines and Python versions.
    """
    digest = hashlib.blake2b(f"{salt}\x00{key}".encode(), digest_size=8).digest()
    return int.from_bytes(digest, "big")


def bucket(salt: str, key: str) -> int:
    """The bucket of ``key`` under ``salt``, in [0, 10000): stable across processes and Python versions."""
    return hash64(salt, key) % BUCKETS


def route_salt(route: str, salt: str | None = None) -> str:
    """A route's assignment salt: its name, plus ``"\\x00"`` and the configured ``rollout.salt`` when there is one."""
    return route if salt is None else f"{route}\x00{salt}"


def bucket_count(percent: float, *, name: str = "percent") -> int:
    """How many buckets a percentage covers: ``round(percent * 100)``, so 1% is 100 and 0.01% is 1.

    ``name`` is the configuration key an error names. Raises ValueError outside 0..100.
    """
    if isinstance(percent, bool) or not isinstance(percent, int | float) or not math.isfinite(percent):
        raise ValueError(f"{name}={percent!r}: must be a number between 0 and 100")
    if not 0 <= percent <= 100:
        raise ValueError(f"{name}={percent}: must be between 0 and 100")
    return round(percent * 100)


@dataclass(frozen=True, kw_only=True, slots=True)
class Sticky:
    """Where a request's sticky key is: exactly one of a header, a body field or a ``metadata`` key."""

    header: str | None = None
    field: str | None = None
    metadata: str | None = None

    def __post_init__(self) -> None:
        given = {name: value for name, value in (("header", self.header), ("field", self.field),
                                                 ("metadata", self.metadata)) if value is not None}
        if len(given) != 1:
            raise ValueError(f"sticky={given or {}}: set exactly one of header, field or metadata")
        (name, value), = given.items()
        if not value:
            raise ValueError(f"sticky.{name}={value!r}: must be a non-empty name")

    @property
    def source(self) -> KeySource:
        return "header" if self.header is not None else "field" if self.field is not None else "metadata"


@dataclass(frozen=True, kw_only=True, slots=True)
class Segment:
    """Requests whose ``header`` equals ``equals`` get ``percent`` instead of the route's percentage."""

    header: str
    equals: str
    percent: float

    def __post_init__(self) -> None:
        if not self.header:
            raise ValueError("segment.header='': must be a non-empty header name")
        bucket_count(self.percent, name="segment.percent")


@dataclass(frozen=True, kw_only=True, slots=True)
class Assignment:
    """The arm that serves a request and why: its bucket, whether a sticky key chose it, which segment."""

    arm: str
    bucket: int
    keyed: bool
    key_source: KeySource | None
    segment: int | None


def header_value(headers: Mapping[str, str], name: str) -> str | None:
    """The value of header ``name`` compared case-insensitively, or None."""
    wanted = name.lower()
    value = headers.get(wanted)
    if value is not None:
        return value
    for header, found in headers.items():
        if header.lower() == wanted:
            return found
    return None


def key_of(sticky: Sticky, headers: Mapping[str, str], body: Mapping[str, Any]) -> str | None:
    """The request's sticky key, or None when it has none (missing, empty, or neither a string nor an int)."""
    value: object
    if sticky.header is not None:
        value = header_value(headers, sticky.header)
    elif sticky.field is not None:
        value = body.get(sticky.field)
    else:
        metadata = body.get("metadata")
        value = metadata.get(sticky.metadata) if isinstance(metadata, Mapping) else None
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        return str(value)
    return value if isinstance(value, str) and value else None


def assign(*, salt: str, sticky: Sticky | None, segments: Sequence[Segment], percent: float, primary: str,
           candidate: str, headers: Mapping[str, str], body: Mapping[str, Any], request_id: str) -> Assignment:
    """Assign one request to ``primary`` or ``candidate``.

    The first segment whose header matches decides the percentage, else ``percent``. The bucket is
    the sticky key's (``keyed=True``) or, without a key or without a sticky spec, the request id's
    (``keyed=False``: assigned per request). The request is on the candidate when its bucket is below
    the percentage's bucket count.
    """
    threshold = bucket_count(percent)
    if not request_id:
        raise ValueError("request_id='': every request needs an id to be assigned without a key")
    segment = next((index for index, seg in enumerate(segments)
                    if header_value(headers, seg.header) == seg.equals), None)
    if segment is not None:
        threshold = bucket_count(segments[segment].percent, name=f"segments[{segment}].percent")
    key = key_of(sticky, headers, body) if sticky is not None else None
    chosen = bucket(salt, key if key is not None else request_id)
    return Assignment(arm=candidate if chosen < threshold else primary, bucket=chosen, keyed=key is not None,
                      key_source=sticky.source if sticky is not None and key is not None else None,
                      segment=segment)
