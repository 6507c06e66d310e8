"""TruncationComparator: a length stop on one side only, on any trial (JSON or not)."""

from __future__ import annotations

from typing import Any

import pytest

from modelswap.compare.checks.truncation import TruncationComparator
from modelswap.compare.model import Finding, Outcome
from modelswap.types import ChatRequest

REQUEST = ChatRequest(id="t1", messages=({"role": "user", "content": "Tell me a story."},))


def _compare(baseline: str | None, other: str | None, **outcome: Any) -> list[Finding]:
    return TruncationComparator().compare(REQUEST, Outcome(output="Once upon a time.", finish_reason=baseline),
                                          Outcome(output="Once upon a", finish_reason=other, **outcome))


@pytest.mark.parametrize(("baseline", "other", "expected"), [
    ("stop", "length", ("regression", "major", False, True)),
    ("length", "stop", ("improvement", "major", True, False)),
    ("stop", "stop", ("same", "info", False, False)),
    ("length", "length", ("same", "info", True, True)),
    ("end_turn", "max_tokens", ("regression", "major", False, True)),
    ("STOP", "MAX_TOKENS", ("regression", "major", False, True)),
    ("stop", "content_filter", ("same", "info", False, False)),
])
def test_truncated(baseline: str, other: str, expected: tuple[Any, ...]) -> None:
    [finding] = _compare(baseline, other)
    assert (finding.check, finding.status, finding.severity, finding.baseline, finding.candidate) == (
        "truncated", *expected)
    assert finding.details == {"baseline_finish_reason": baseline, "candidate_finish_reason": other,
                               "baseline_chars": 17, "candidate_chars": 11}


def test_reason_names_the_finish_reason() -> None:
    [finding] = _compare("stop", "length")
    assert finding.reason == ("cut off by the token limit (finish reason 'length'), the baseline was not "
                              "(35% of its length missing)")
    assert finding.size == 0.353


def _lengths(baseline: str, base_reason: str, other: str, other_reason: str) -> Finding:
    [finding] = TruncationComparator().compare(REQUEST, Outcome(output=baseline, finish_reason=base_reason),
                                               Outcome(output=other, finish_reason=other_reason))
    return finding


def test_both_cut_off_but_the_other_far_earlier_is_a_regression() -> None:
    long, short = "word " * 50, "word " * 10
    finding = _lengths(long, "length", short, "length")
    assert (finding.status, finding.severity, finding.size) == ("regression", "major", 0.803)
    assert finding.reason == ("cut off far earlier than the baseline: 49 characters against its 249 "
                              "(80% missing; a lower token limit?)")
    assert _lengths(long, "length", "word " * 31, "length").status == "same"  # 62%: just inside the limit


def test_complete_but_far_shorter_than_the_cut_off_baseline_is_not_an_improvement() -> None:
    finding = _lengths("word " * 40, "length", "Yes.", "stop")
    assert (finding.status, finding.severity) == ("changed", "info")
    assert finding.reason == ("complete where the baseline was cut off, but 4 characters against its 199: "
                              "shorter is not better")
    assert _lengths("word " * 40, "length", "word " * 21, "stop").status == "improvement"


def test_not_applicable_without_finish_reasons_or_an_answer() -> None:
    assert _compare(None, "length") == []
    assert _compare("stop", None) == []
    assert _compare("stop", "length", error="timeout: no answer") == []


def test_an_empty_answer_that_stopped_by_itself_is_not_judged() -> None:
    answer = "word " * 20
    assert TruncationComparator().compare(REQUEST, Outcome(output=answer, finish_reason="stop"),
                                          Outcome(output=" \n ", finish_reason="stop")) == []
    assert TruncationComparator().compare(REQUEST, Outcome(output="", finish_reason="stop"),
                                          Outcome(output=answer, finish_reason="length")) == []
    assert _lengths(answer, "stop", "", "length").status == "regression"  # the budget ran out before any text
    assert _lengths("", "length", answer, "stop").status == "improvement"
