"""Pairs files: good lines become trials; bad ones are located by file, line and field and counted."""

from __future__ import annotations

from pathlib import Path

import orjson
import pytest

from modelswap.compare.pairs import load_pairs, parse_pair
from modelswap.errors import TrafficError

GOOD = {"id": "p1", "category": "qa", "request": {"messages": [{"role": "user", "content": "Capital of Japan?"}]},
        "expect": {"language": "en"},
        "baseline": {"output": "Tokyo.", "finish_reason": "stop", "latency_ms": 120,
                     "usage": {"prompt_tokens": 9, "completion_tokens": 2}, "cost_usd": 0.00001},
        "candidate": {"output": "The capital is Tokyo.", "latency_ms": 95.5},
        "replica": {"output": "Tokyo"}}


def test_a_pair_keeps_every_side_and_the_top_level_contract() -> None:
    trial = parse_pair(orjson.dumps(GOOD))
    assert (trial.id, trial.category, trial.expect) == ("p1", "qa", {"language": "en"})
    assert (trial.baseline.output, trial.baseline.prompt_tokens, trial.baseline.cost_usd) == ("Tokyo.", 9, 0.00001)
    assert (trial.candidate.output, trial.candidate.latency_ms, trial.candidate.finish_reason) == (
        "The capital is Tokyo.", 95.5, None)
    assert trial.replica is not None and trial.replica.output == "Tokyo"


@pytest.mark.parametrize(("change", "expected"), [
    ({"request": None}, "p.jsonl:7: request: required: an object with the request's messages"),
    ({"request": {"messages": []}}, "p.jsonl:7: request.messages: must be a non-empty list"),
    ({"candidate": None}, "p.jsonl:7: candidate: required: an object with the output"),
    ({"candidate": {"latency_ms": 3}}, "p.jsonl:7: candidate.output: required (or an 'error')"),
    ({"baseline": {"output": 5}}, "p.jsonl:7: baseline.output: must be a string, got int"),
    ({"baseline": {"output": "x", "latency_ms": -1}}, "p.jsonl:7: baseline.latency_ms: must be a non-negative number"),
    ({"replica": {"output": "x", "usage": {"prompt_tokens": "9"}}},
     "p.jsonl:7: replica.usage.prompt_tokens: must be a non-negative integer"),
])
def test_bad_pair_names_file_line_and_field(change: dict[str, object], expected: str) -> None:
    with pytest.raises(TrafficError) as caught:
        parse_pair(orjson.dumps({**GOOD, **change}), path="p.jsonl", line=7)
    assert str(caught.value) == expected


def test_an_error_side_needs_no_output() -> None:
    trial = parse_pair(orjson.dumps({**GOOD, "candidate": {"output": None, "error": "http 500: boom"}}))
    assert (trial.candidate.ok, trial.candidate.error) == (False, "http 500: boom")


def test_file_skips_and_counts_bad_lines_and_duplicates(tmp_path: Path) -> None:
    path = tmp_path / "p.jsonl"
    path.write_bytes(b"\n".join([orjson.dumps(GOOD), b"{oops", b"", orjson.dumps(GOOD),
                                 orjson.dumps({**GOOD, "id": "p2"})]))
    pairs = load_pairs(path)
    assert [t.id for t in pairs.trials] == ["p1", "p2"]
    assert [(e.line, e.field) for e in pairs.errors] == [(2, ""), (4, "id")]
