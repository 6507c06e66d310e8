"""ShapeComparator: list items, line counts, bare labels and labels in prose, in both directions."""

from __future__ import annotations

from typing import Any

import pytest

from modelswap.compare.checks.base import run_comparator
from modelswap.compare.checks.shape import ShapeComparator, count_items, count_lines, judge_count, read_label
from modelswap.compare.model import Finding, Outcome
from modelswap.types import ChatRequest

LABELS = {"format": "label", "labels": ["positive", "negative", "neutral"], "label": "positive"}


def _compare(baseline: str | None, other: str | None, expect: dict[str, Any] | None = None,
             *, other_error: str | None = None) -> dict[str, Finding]:
    request = ChatRequest(id="t1", messages=({"role": "user", "content": "Answer."},), expect=expect or {})
    findings = ShapeComparator().compare(request, Outcome(output=baseline), Outcome(output=other, error=other_error))
    assert len({f.check for f in findings}) == len(findings)
    return {f.check: f for f in findings}


def _summary(finding: Finding) -> tuple[Any, ...]:
    return finding.status, finding.severity, finding.baseline, finding.candidate


# --- list items -------------------------------------------------------------------------------

@pytest.mark.parametrize(("text", "items"), [
    ("- a\n- b\n- c", 3),
    ("* a\n* b", 2),
    ("• one\n• two\n• three\n• four", 4),
    ("1. a\n2. b\n3. c", 3),
    ("1) a\n2) b", 2),
    ("  - indented a\n  - indented b", 2),
    ("Here you go:\n\n- a\n- b\n\nThat's all.", 2),
    ("- a\n  - sub 1\n  - sub 2\n- b", 2),
    ("1. a\n   - detail\n2. b\n\t- detail", 2),
    ("```python\n- not an item\n* nor this\n```\n- a\n- b\n- c", 3),
    ("~~~\n1. code\n~~~\n1) real", 1),
    ("---\n* * *\n- a", 1),
    ("*emphasis* is not a bullet\n**bold** neither\n-5 degrees\n2023 was a year", 0),
    ("", 0),
])
def test_count_items(text: str, items: int) -> None:
    assert count_items(text) == items


def test_count_lines_skips_blank_lines_and_fences() -> None:
    assert count_lines("one\n\n  \ntwo\n```\nthree\n```\n") == 3


def test_bullets_against_expect_both_directions() -> None:
    expect = {"bullets": 3}
    lost = _compare("- a\n- b\n- c", "1) a\n2) b\n3) c\n4) d", expect)["list.count"]
    assert _summary(lost) == ("regression", "major", 3, 4)
    assert lost.details == {"target": 3, "source": "expect"}
    assert lost.reason == "4 list items, 3 expected (baseline 3)"
    won = _compare("• a\n• b", "• a\n• b\n• c", expect)["list.count"]
    assert _summary(won) == ("improvement", "major", 2, 3)
    assert (lost.behaviour, lost.baseline_behaviour) == ("count:breaks-expect", None)  # the asked count is broken
    assert (won.behaviour, won.baseline_behaviour) == (None, "count:breaks-expect")
    wobble = _compare("Intro:\n- a\n- b", "Intro:\n- a\n- b\n- c")["list.count"]
    assert (wobble.status, wobble.behaviour) == ("regression", None)  # no count asked: a wobble, not a broken ask


def test_bullet_markers_and_fences_are_neutral() -> None:
    same = _compare("- a\n- b\n- c", "```\n- x\n- y\n```\n* a\n* b\n* c", {"bullets": 3})["list.count"]
    assert _summary(same) == ("same", "info", 3, 3)


def test_both_wrong_judged_by_distance() -> None:
    expect = {"bullets": 4}
    assert _summary(_compare("- a\n- b\n- c", "- a\n- b", expect)["list.count"]) == ("regression", "minor", 3, 2)
    assert _summary(_compare("- a", "- a\n- b\n- c", expect)["list.count"]) == ("improvement", "minor", 1, 3)
    assert _summary(_compare("- a\n- b\n- c", "- a\n- b\n- c\n- d\n- e", expect)["list.count"]) == (
        "changed", "info", 3, 5)
    assert _summary(_compare("- a\n- b", "- c\n- d", expect)["list.count"]) == ("same", "info", 2, 2)


def test_bullets_against_the_baseline_count() -> None:
    finding = _compare("Intro:\n- a\n- b", "Intro:\n- a\n- b\n- c")["list.count"]
    assert _summary(finding) == ("regression", "minor", 2, 3)
    assert finding.details == {"target": 2, "source": "baseline"}
    assert finding.reason == "3 list items where the baseline has 2"
    assert _summary(_compare("- a\n- b", "Two things: a and b.")["list.count"]) == ("regression", "minor", 2, 0)


def test_no_list_finding_without_a_list_or_expectation() -> None:
    assert _compare("A sentence.", "- now a list\n- of two") == {}


@pytest.mark.parametrize(("rule", "expected"), [
    ((3, 3, 3), ("same", "info")), ((3, 4, 3), ("regression", "major")), ((4, 3, 3), ("improvement", "major")),
    ((5, 6, 3), ("regression", "minor")), ((6, 5, 3), ("improvement", "minor")), ((2, 4, 3), ("changed", "info")),
])
def test_judge_count(rule: tuple[int, int, int], expected: tuple[str, str]) -> None:
    base, other, target = rule
    assert judge_count(base, other, target, from_expect=True) == expected


# --- lines ----------------------------------------------------------------------------------------

def test_lines_count_both_directions() -> None:
    expect = {"lines": 3}
    haiku = "An old silent pond\nA frog jumps into the pond\nSplash! Silence again."
    lost = _compare(haiku, haiku + "\n\n(a haiku by Basho)", expect)["lines.count"]
    assert _summary(lost) == ("regression", "major", 3, 4)
    assert lost.reason == "4 non-empty lines, 3 expected (baseline 3)"
    assert _summary(_compare(haiku.replace("\n", " "), "\n" + haiku + "\n", expect)["lines.count"]) == (
        "improvement", "major", 1, 3)
    assert _summary(_compare(haiku, haiku.replace("\n", "\n\n"), expect)["lines.count"]) == ("same", "info", 3, 3)


# --- labels ---------------------------------------------------------------------------------------

@pytest.mark.parametrize(("text", "label", "exact", "mentions"), [
    ("positive", "positive", True, ("positive",)),
    ("  Positive.\n", "positive", True, ("positive",)),
    ('"NEGATIVE"', "negative", True, ("negative",)),
    ("**neutral**", "neutral", True, ("neutral",)),
    ("The sentiment is positive because the reviewer loves it.", "positive", False, ("positive",)),
    ("Sentiment: negative", "negative", False, ("negative",)),
    ("この文の感情はpositiveです。", "positive", False, ("positive",)),
    ("It could be positive or negative.", None, False, ("positive", "negative")),
    ("I cannot tell.", None, False, ()),
    ("nonpositive", None, False, ()),
])
def test_read_label(text: str, label: str | None, exact: bool, mentions: tuple[str, ...]) -> None:
    reading = read_label(text, ["positive", "negative", "neutral"])
    assert (reading.label, reading.exact, reading.mentions) == (label, exact, mentions)


def test_longer_labels_win_over_the_labels_they_contain() -> None:
    reading = read_label("I'd say very positive overall.", ["positive", "very positive"])
    assert (reading.label, reading.mentions) == ("very positive", ("very positive",))


def test_label_in_prose_is_a_regression_both_checks() -> None:
    found = _compare("positive", "The answer is positive because that is what the text conveys.", LABELS)
    assert _summary(found["label.allowed"]) == ("regression", "major", True, False)
    assert found["label.allowed"].details == {"baseline_label": "positive", "candidate_label": "positive"}
    prose = found["label.prose"]
    assert _summary(prose) == ("regression", "minor", False, True)
    assert (prose.behaviour, prose.baseline_behaviour) == ("label:in-prose", "label:exact")
    assert prose.details == {"baseline_labels": ["positive"], "candidate_labels": ["positive"]}
    assert prose.reason == "the label is wrapped in prose (mentions positive)"


def test_bare_label_fixing_prose_is_an_improvement() -> None:
    found = _compare("I think it is negative overall.", "Negative", LABELS)
    assert _summary(found["label.allowed"]) == ("improvement", "major", False, True)
    assert _summary(found["label.prose"]) == ("improvement", "minor", True, False)
    assert found["label.prose"].reason == "a bare label where the baseline wrapped it in prose"


def test_label_lost_entirely_and_found_in_prose() -> None:
    lost = _compare("Probably positive.", "I cannot tell.", LABELS)
    assert _summary(lost["label.allowed"]) == ("same", "info", False, False)
    assert _summary(lost["label.prose"]) == ("regression", "minor", True, False)
    assert lost["label.prose"].behaviour == "label:none"
    found = _compare("I cannot tell.", "Probably positive.", LABELS)
    assert _summary(found["label.prose"]) == ("improvement", "minor", False, True)


def test_a_different_bare_label_is_same_shape() -> None:
    found = _compare("negative", "'positive'", LABELS)
    assert _summary(found["label.allowed"]) == ("same", "info", True, True)
    assert _summary(found["label.prose"]) == ("same", "info", False, False)


def test_no_label_findings_without_labels_and_none_for_missing_answers() -> None:
    assert _compare("positive", "The answer is positive.", {"format": "json"}) == {}
    assert _compare("positive", None, LABELS, other_error="http 500: boom") == {}


def test_a_crash_becomes_a_finding() -> None:
    class Broken(ShapeComparator):
        def _allowed(self, *args: Any) -> Finding:
            raise KeyError("labels")

    request = ChatRequest(id="t1", messages=(), expect=LABELS)
    findings = run_comparator(Broken(), request, Outcome(output="positive"), Outcome(output="negative"))
    assert [(f.check, f.status, f.reason) for f in findings] == [
        ("shape", "changed", "comparator crashed: KeyError: 'labels'")]
