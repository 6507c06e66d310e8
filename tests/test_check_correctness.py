"""CorrectnessComparator and its value rules: gold labels, gold fields, per-class metrics."""

from __future__ import annotations

from typing import Any

import pytest

from modelswap.compare.checks.base import run_comparator
from modelswap.compare.checks.correctness import (
    CorrectnessComparator,
    fields_correct,
    matches_gold,
    per_class_metrics,
    same_value,
    spelled_number,
)
from modelswap.compare.model import Finding, Outcome
from modelswap.types import ChatRequest

LABELS = {"format": "label", "labels": ["positive", "negative", "neutral"], "label": "positive"}
PERSON = {"format": "json", "fields": {"name": "Ann Lee", "age": 34, "city": "東京"}}
RIGHT = '{"name": "Ann Lee", "age": 34, "city": "東京"}'


def _compare(baseline: str | None, other: str | None, expect: dict[str, Any], *,
             other_error: str | None = None) -> dict[str, Finding]:
    request = ChatRequest(id="t1", messages=({"role": "user", "content": "Classify."},), expect=expect)
    findings = CorrectnessComparator().compare(request, Outcome(output=baseline),
                                               Outcome(output=other, error=other_error))
    return {f.check: f for f in findings}


def _summary(finding: Finding) -> tuple[Any, ...]:
    return finding.status, finding.severity, finding.baseline, finding.candidate


# --- value rules ------------------------------------------------------------------------------

@pytest.mark.parametrize(("a", "b"), [
    (34, 34.0), ("Ann", " ann "), ("Ann  Lee", "ann lee"), ({"a": 1, "b": [1, 2]}, {"b": [1.0, 2], "a": 1}),
    ("東京", "東京"), ("ＡＢＣ", "abc"), (None, None), (True, True),
])
def test_same_value(a: Any, b: Any) -> None:
    assert same_value(a, b) and same_value(b, a)


@pytest.mark.parametrize(("a", "b"), [
    (34, "34"), (34, "thirty-four"), (True, 1), (False, 0), ([1, 2], [2, 1]), ({"a": 1}, {"a": 1, "b": 2}),
    (None, ""), ("東京", "京都"),
])
def test_not_same_value(a: Any, b: Any) -> None:
    assert not same_value(a, b) and not same_value(b, a)


def test_matches_gold_is_one_sided() -> None:
    assert matches_gold({"a": {"b": "X", "extra": 1}, "c": 2}, {"a": {"b": "x"}})
    assert not matches_gold({"a": {}}, {"a": {"b": "x"}})
    assert matches_gold(["b", "a"], ["a", "b"])
    assert not matches_gold(["a", "a"], ["a", "b"])
    assert not matches_gold(["a"], ["a", "b"])


@pytest.mark.parametrize(("text", "number"), [
    ("thirty-four", 34), ("Thirty Four", 34), ("one hundred and five", 105), ("two thousand twenty-four", 2024),
    ("minus seven", -7), ("zero", 0), ("34", None), ("thirty-something", None), ("", None),
])
def test_spelled_number(text: str, number: int | None) -> None:
    assert spelled_number(text) == number


def test_fields_correct_looks_through_a_wrapper_only_when_it_holds_the_gold() -> None:
    gold = {"name": "Ann", "age": 34}
    assert fields_correct({"result": {"name": "Ann", "age": 34}}, gold) == {"name": True, "age": True}
    assert fields_correct({"name": {"first": "Ann"}}, {"name": "Ann"}) == {"name": False}
    assert fields_correct(["Ann", 34], gold) == {"name": False, "age": False}


# --- label.correct ------------------------------------------------------------------------------

def test_label_correct_both_directions() -> None:
    lost = _compare("positive", "negative", LABELS)["label.correct"]
    assert _summary(lost) == ("regression", "major", True, False)
    assert lost.details == {"baseline_label": "positive", "candidate_label": "negative", "gold": "positive"}
    assert lost.reason == "the baseline gives the gold label 'positive', this answer gives 'negative'"
    won = _compare("Neutral.", "POSITIVE", LABELS)["label.correct"]
    assert _summary(won) == ("improvement", "major", False, True)
    assert won.details == {"baseline_label": "neutral", "candidate_label": "positive", "gold": "positive"}


def test_label_in_prose_still_counts_for_correctness() -> None:
    finding = _compare("positive", "The answer is positive because that is what the text conveys.",
                       LABELS)["label.correct"]
    assert _summary(finding) == ("same", "info", True, True)
    assert finding.details["candidate_label"] == "positive"


def test_ambiguous_or_missing_label_is_wrong() -> None:
    finding = _compare("positive", "Either positive or negative.", LABELS)["label.correct"]
    assert _summary(finding) == ("regression", "major", True, False)
    assert finding.details["candidate_label"] is None
    both_wrong = _compare("negative", "neutral", LABELS)["label.correct"]
    assert _summary(both_wrong) == ("same", "info", False, False)
    assert both_wrong.reason == "both sides miss the gold label 'positive'"


def test_gold_is_spelled_as_the_labels_list_spells_it() -> None:
    expect = {"format": "label", "labels": ["Spam", "Ham"], "label": "spam"}
    finding = _compare("ham", "SPAM", expect)["label.correct"]
    assert finding.details == {"baseline_label": "Ham", "candidate_label": "Spam", "gold": "Spam"}
    assert finding.status == "improvement"


# --- fields.correct -------------------------------------------------------------------------------

@pytest.mark.parametrize("other", [
    '{"city": "東京", "age": 34.0, "name": "ann lee"}',
    "```json\n{\n  \"name\": \"Ann  Lee \",\n  \"age\": 34,\n  \"city\": \"東京\"\n}\n```",
    'Here it is: {"name": "ANN LEE", "age": 34, "city": "東京", "note": "extra keys are fine"}',
    '{"result": {"name": "Ann Lee", "age": 34, "city": "東京"}}',
])
def test_fields_look_alikes_are_same(other: str) -> None:
    finding = _compare(RIGHT, other, PERSON)["fields.correct"]
    assert _summary(finding) == ("same", "info", 1.0, 1.0)


def test_fields_correct_both_directions() -> None:
    lost = _compare(RIGHT, '{"name": "Ann Lee", "age": "thirty-four", "city": "京都"}', PERSON)["fields.correct"]
    assert _summary(lost) == ("regression", "major", 1.0, 0.3333)
    assert lost.details == {"fields": {"name": {"baseline": True, "candidate": True},
                                       "age": {"baseline": True, "candidate": False},
                                       "city": {"baseline": True, "candidate": False}}}
    assert lost.reason == "1/3 gold fields right (baseline 3/3); wrong now: age, city"
    won = _compare("Sorry, I can't extract that.", '{"name": "Ann Lee", "age": 34}', PERSON)["fields.correct"]
    assert _summary(won) == ("improvement", "major", 0.0, 0.6667)
    assert won.reason == "2/3 gold fields right (baseline 0/3); right now: name, age"


def test_fields_equal_score_on_different_fields_is_changed() -> None:
    finding = _compare('{"name": "Ann Lee", "age": 35, "city": "東京"}', '{"name": "Ann Lee", "age": 34, "city": "x"}',
                       PERSON)["fields.correct"]
    assert _summary(finding) == ("changed", "info", 0.6667, 0.6667)


def test_nested_gold_fields() -> None:
    expect = {"fields": {"address": {"city": "Oslo", "zip": "0150"}, "tags": ["a", "b"]}}
    finding = _compare('{"address": {"city": "Oslo", "zip": "0150"}, "tags": ["a", "b"]}',
                       '{"address": {"city": "oslo", "zip": 150}, "tags": ["b", "a"]}', expect)["fields.correct"]
    assert _summary(finding) == ("regression", "major", 1.0, 0.5)
    assert finding.details["fields"]["address"] == {"baseline": True, "candidate": False}


def test_not_applicable_without_gold_or_an_answer() -> None:
    assert _compare("positive", "negative", {"format": "label", "labels": ["positive", "negative"]}) == {}
    assert _compare(RIGHT, RIGHT, {"format": "json", "fields": {}}) == {}
    assert _compare("positive", None, LABELS, other_error="timeout") == {}


def test_a_crash_becomes_a_finding() -> None:
    request = ChatRequest(id="t1", messages=(), expect={"label": "positive", "labels": "not-a-list-of-str"})

    class Broken(CorrectnessComparator):
        def _label(self, expect: dict[str, Any], baseline: str, other: str) -> Finding:
            raise TypeError("bad labels")

    findings = run_comparator(Broken(), request, Outcome(output="a"), Outcome(output="b"))
    assert [(f.check, f.status, f.reason, f.details) for f in findings] == [
        ("correctness", "changed", "comparator crashed: TypeError: bad labels", {"crashed": True})]


# --- per_class_metrics ----------------------------------------------------------------------------

def test_per_class_metrics() -> None:
    pairs: list[tuple[str | None, str]] = [("pos", "pos"), ("pos", "pos"), ("neg", "pos"), (None, "neg"),
                                           ("neg", "neg"), ("neu", "neg")]
    assert per_class_metrics(pairs) == {
        "neg": {"precision": 0.5, "recall": 1 / 3, "f1": 0.4, "support": 3.0},
        "neu": {"precision": 0.0, "recall": 0.0, "f1": 0.0, "support": 0.0},
        "pos": {"precision": 1.0, "recall": 2 / 3, "f1": 0.8, "support": 3.0},
    }
    assert per_class_metrics([]) == {}
