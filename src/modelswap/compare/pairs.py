"""Pairs files: outputs recorded elsewhere, read into trials (``compare --pairs``).

What it is: the reader of the pairs JSONL (its format is in docs/formats.md), for teams whose logs live
outside modelswap. Each line holds one request and the baseline's, the candidate's and
optionally the replica's outcome. A bad line is a ``TrafficError`` naming the file, line
and field; it is skipped and counted like a bad traffic line. What it is not: the store
reader (``modelswap.compare.source``).

Line shape::

    {"id", "category"?, "request": {...traffic fields...}, "expect"?: {...},
     "baseline": {"output", "finish_reason"?, "latency_ms"?, "usage"?: {...}, "cost_usd"?, "error"?},
     "candidate": {...same...}, "replica"?: {...same...},
     "more_candidates"?: [{...same...}, ...], "more_replicas"?: [{...same...}, ...]}

``category`` and ``expect`` at the top level win over the request's own. ``more_candidates``
and ``more_replicas`` hold further samples of each side (the request stays the unit: they
sharpen the noise floor, they are not extra trials); ``more_replicas`` needs a ``replica``.

``PairsSource`` reads a file for a streamed comparison: batches are ranges of lines, read and
parsed where they are compared; a trial's locator is its line number. A repeated id is refused
as ``load_pairs`` refuses it (the later line is skipped, naming the first): the ids seen are
kept as 8-byte hashes, about 100 bytes per line, the one cost that grows with the file.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

import orjson

from modelswap.compare.digest import Digest, Problem
from modelswap.compare.model import Outcome, Trial
from modelswap.errors import TrafficError
from modelswap.traffic import parse_request, read_jsonl

if TYPE_CHECKING:
    from modelswap.compare.stream import Context, Loaded

_SIDES = ("baseline", "candidate", "replica")


@dataclass(frozen=True, kw_only=True, slots=True)
class Pairs:
    """The trials read from one pairs file, and the lines that could not be read."""

    path: str
    trials: tuple[Trial, ...]
    errors: tuple[TrafficError, ...] = ()


def load_pairs(path: str | Path) -> Pairs:
    """Read every line of a pairs file; bad lines are collected, good ones kept in order."""
    trials, errors = read_jsonl(path, parse_pair)
    return Pairs(path=str(path), trials=tuple(trials), errors=tuple(errors))


@dataclass(frozen=True, kw_only=True, slots=True)
class PairsBatch:
    """Lines ``first_line``... of a pairs file, from byte ``start`` to ``end``; ``refused`` lines are skipped
    with their message (a repeated id)."""

    path: str
    start: int
    end: int
    first_line: int
    refused: tuple[tuple[int, str], ...] = ()

    def load(self, context: Context) -> Loaded:
        from modelswap.compare.stream import Loaded

        refused = dict(self.refused)
        trials, locators, problems, items = [], [], [], 0
        for number, raw in _numbered(self.path, self.start, self.end, self.first_line):
            items += 1
            try:
                if number in refused:
                    raise TrafficError(refused[number], path=self.path, line=number, field="id")
                trials.append(parse_pair(raw, path=self.path, line=number))
                locators.append(number)
            except TrafficError as error:
                problems.append(Problem(kind="bad_line", message=str(error)))
        return Loaded(trials=trials, locators=locators, problems=problems, items=items)


class PairsSource:
    """A pairs file, batch by batch (see the module docstring)."""

    def __init__(self, path: str | Path) -> None:
        self.path = str(path)
        try:
            with Path(path).open("rb") as handle:
                self._total = sum(1 for raw in handle if raw.strip())
        except OSError as exc:
            raise TrafficError(f"cannot open: {exc.strerror}", path=self.path, line=0) from None
        self._first_line: dict[int, int] = {}

    @property
    def total(self) -> int:
        return self._total

    @property
    def shared(self) -> bool:
        return True

    @property
    def notices(self) -> list[Problem]:
        return []

    def batches(self, size: int) -> Iterator[PairsBatch]:
        start = offset = count = 0
        first = number = 1
        with Path(self.path).open("rb") as handle:
            for number, raw in enumerate(handle, start=1):
                if count == 0:
                    start, first = offset, number
                offset += len(raw)
                count += bool(raw.strip())
                if count == size:
                    yield PairsBatch(path=self.path, start=start, end=offset, first_line=first)
                    count = 0
        if count:
            yield PairsBatch(path=self.path, start=start, end=offset, first_line=first)

    def review(self, batch: PairsBatch, digest: Digest) -> PairsBatch | None:
        """None when the batch's ids are all new; else the batch again, refusing the lines that repeat an id."""
        refused = []
        for index in range(digest.trials):
            trial_id, line = digest.ids[index], digest.locators[index]
            key = int.from_bytes(hashlib.blake2b(trial_id.encode(), digest_size=8).digest(), "little")
            if key in self._first_line:
                refused.append((line, f"duplicate id {trial_id!r} (first on line {self._first_line[key]})"))
            else:
                self._first_line[key] = line
        if not refused:
            return None
        return PairsBatch(path=batch.path, start=batch.start, end=batch.end, first_line=batch.first_line,
                          refused=(*batch.refused, *refused))

    def fetch(self, locators: Sequence[int], ids: Sequence[str]) -> list[Trial]:
        wanted = set(locators)
        found = {number: parse_pair(raw, path=self.path, line=number)
                 for number, raw in _numbered(self.path, 0, None, 1) if number in wanted}
        return [found[number] for number in locators]

    def context(self) -> Context:
        from modelswap.compare.stream import Context

        return Context()

    def info(self, problems: dict[str, int]) -> dict[str, Any]:
        return {"pairs": self.path, "skipped_lines": problems.get("bad_line", 0)}


def _numbered(path: str, start: int, end: int | None, first_line: int) -> Iterator[tuple[int, bytes]]:
    """The non-blank lines of ``path`` from byte ``start`` to ``end`` (None: the end), numbered from ``first_line``."""
    with Path(path).open("rb") as handle:
        handle.seek(start)
        offset = start
        for number, raw in enumerate(handle, start=first_line):
            if end is not None and offset >= end:
                return
            offset += len(raw)
            if raw.strip():
                yield number, raw


def parse_pair(raw: bytes | str, *, path: str = "<pairs>", line: int = 1) -> Trial:
    """One pairs line as a ``Trial``."""
    try:
        data = orjson.loads(raw)
    except orjson.JSONDecodeError as exc:
        raise TrafficError(f"invalid JSON: {exc}", path=path, line=line) from None
    if not isinstance(data, dict):
        raise TrafficError(f"expected a JSON object, got {type(data).__name__}", path=path, line=line)
    request_data = data.get("request")
    if not isinstance(request_data, dict):
        raise TrafficError("required: an object with the request's messages", path=path, line=line, field="request")
    request_data = dict(request_data)
    for key in ("id", "category", "expect"):
        if key in data:
            request_data[key] = data[key]
    request = parse_request(request_data, path=path, line=line, prefix="request.")
    sides = {side: _outcome(data.get(side), side, path=path, line=line) for side in _SIDES
             if side in data or side != "replica"}
    more = {side: _more(data, side, path=path, line=line) for side in ("more_candidates", "more_replicas")}
    if more["more_replicas"] and "replica" not in sides:
        raise TrafficError("needs a 'replica' first", path=path, line=line, field="more_replicas")
    return Trial(id=request.id, request=request, baseline=sides["baseline"],
                 candidate=sides["candidate"], replica=sides.get("replica"),
                 more_candidates=more["more_candidates"], more_replicas=more["more_replicas"])


def _more(data: dict[str, Any], side: str, *, path: str, line: int) -> tuple[Outcome, ...]:
    samples = data.get(side)
    if samples is None:
        return ()
    if not isinstance(samples, list):
        raise TrafficError("must be a list of outcomes", path=path, line=line, field=side)
    return tuple(_outcome(item, f"{side}[{i}]", path=path, line=line) for i, item in enumerate(samples))


def _outcome(data: Any, side: str, *, path: str, line: int) -> Outcome:
    def fail(message: str, field: str = "") -> TrafficError:
        return TrafficError(message, path=path, line=line, field=f"{side}.{field}" if field else side)

    if data is None:
        raise fail("required: an object with the output")
    if not isinstance(data, dict):
        raise fail("must be an object")
    output = data.get("output")
    error = data.get("error")
    if output is None and error is None:
        raise fail("required (or an 'error')", "output")
    if output is not None and not isinstance(output, str):
        raise fail(f"must be a string, got {type(output).__name__}", "output")
    usage = data.get("usage") or {}
    if not isinstance(usage, dict):
        raise fail("must be an object", "usage")
    return Outcome(output=output, finish_reason=_optional(data, "finish_reason", str, fail),
                   latency_ms=_number(data, "latency_ms", fail), cost_usd=_number(data, "cost_usd", fail),
                   prompt_tokens=_count(usage, "prompt_tokens", fail),
                   completion_tokens=_count(usage, "completion_tokens", fail),
                   error=None if error is None else str(error))


def _optional(data: dict[str, Any], key: str, kind: type, fail: Any) -> Any:
    value = data.get(key)
    if value is not None and not isinstance(value, kind):
        raise fail(f"must be a {kind.__name__}", key)
    return value


def _number(data: dict[str, Any], key: str, fail: Any) -> float | None:
    value = data.get(key)
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, (int, float)) or value < 0:
        raise fail("must be a non-negative number", key)
    return float(value)


def _count(usage: dict[str, Any], key: str, fail: Any) -> int | None:
    value = usage.get(key)
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int) or value < 0:
        raise fail("must be a non-negative integer", f"usage.{key}")
    return value
