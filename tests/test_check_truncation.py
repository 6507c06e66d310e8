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
    assert finding.details == {"baseline_finish_reason": baseline, "candidate_finish_reason": other}


def test_reason_names_the_finish_reason() -> None:
    [finding] = _compare("stop", "length")
    assert finding.reason == "cut off by the token limit (finish reason 'length'), the baseline was not"


def test_not_applicable_without_finish_reasons_or_an_answer() -> None:
    assert _compare(None, "length") == []
    assert _compare("stop", None) == []
    assert _compare("stop", "length", error="timeout: no answer") == []
