"""ErrorComparator: an answer lost is critical, an answer gained an improvement, both failing is the same."""

from __future__ import annotations

from modelswap.compare.checks.errors import ErrorComparator, error_kind
from modelswap.compare.model import Finding, Outcome
from modelswap.types import ChatRequest

REQUEST = ChatRequest(id="t1", messages=({"role": "user", "content": "Hello"},))
ANSWERED = Outcome(output="Hello!")
TIMEOUT = Outcome(output=None, error="timeout: no answer within 30 s")
HTTP = Outcome(output=None, error="http 429: rate limited")


def compare(baseline: Outcome, other: Outcome) -> Finding:
    [finding] = ErrorComparator().compare(REQUEST, baseline, other)
    return finding


def values(finding: Finding) -> tuple[object, ...]:
    return (finding.check, finding.status, finding.severity, finding.baseline, finding.candidate, finding.behaviour,
            finding.baseline_behaviour)


def test_failing_where_the_baseline_answered_is_critical() -> None:
    finding = compare(ANSWERED, HTTP)
    assert values(finding) == ("error", "regression", "critical", None, "http 429: rate limited", "error:http", None)
    assert finding.reason == "failed (http 429: rate limited) where the baseline answered"


def test_answering_where_the_baseline_failed_is_an_improvement() -> None:
    finding = compare(TIMEOUT, ANSWERED)
    assert values(finding) == ("error", "improvement", "info", "timeout: no answer within 30 s", None, None,
                               "error:timeout")
    assert finding.reason == "answered where the baseline failed (timeout: no answer within 30 s)"


def test_both_failed_or_both_answered_is_same() -> None:
    assert values(compare(TIMEOUT, HTTP)) == ("error", "same", "info", "timeout: no answer within 30 s",
                                              "http 429: rate limited", "error:http", "error:timeout")
    assert values(compare(ANSWERED, Outcome(output=""))) == ("error", "same", "info", None, None, None, None)


def test_no_output_and_no_error_counts_as_failed() -> None:
    finding = compare(ANSWERED, Outcome(output=None))
    assert values(finding) == ("error", "regression", "critical", None, "no output", "error:no-output", None)


def test_error_kind() -> None:
    outcomes = (TIMEOUT, HTTP, Outcome(output=None, error="connection: refused"), Outcome(output=None),
                Outcome(output=None, error=": odd"))
    assert [error_kind(o) for o in outcomes] == ["timeout", "http", "connection", "no-output", "error"]
