"""StructureComparator: JSON form, recovery, schema, keys, types and wrappers, in both directions."""

from __future__ import annotations

import json
from typing import Any

import pytest

from modelswap.compare.checks import structure
from modelswap.compare.checks.base import run_comparator
from modelswap.compare.checks.structure import PARSER, StructureComparator, read_json
from modelswap.compare.model import Finding, Outcome
from modelswap.types import ChatRequest

SCHEMA = {"type": "object", "properties": {"name": {"type": "string"}, "age": {"type": "integer"},
                                           "note": {"type": "string"}}, "required": ["name", "age"]}
JSON_TASK = {"format": "json", "schema": SCHEMA, "fields": {"name": "Ann", "age": 34}}
ANN = '{"name": "Ann", "age": 34}'
ALL_CHECKS = ["json.valid", "json.fenced", "json.prose", "json.recoverable", "json.schema", "json.wrapped",
              "json.keys", "json.types"]


def _request(expect: dict[str, Any] | None = None, params: dict[str, Any] | None = None) -> ChatRequest:
    return ChatRequest(id="t1", messages=({"role": "user", "content": "Extract the person."},),
                       params=params or {}, expect=expect or {})


def _compare(baseline: str | None, other: str | None, expect: dict[str, Any] | None = None, *,
             params: dict[str, Any] | None = None, other_error: str | None = None) -> list[Finding]:
    return StructureComparator().compare(_request(expect, params), Outcome(output=baseline),
                                         Outcome(output=other, error=other_error))


def _by_check(findings: list[Finding]) -> dict[str, Finding]:
    return {f.check: f for f in findings}


def _statuses(findings: list[Finding]) -> dict[str, tuple[str, str]]:
    return {f.check: (f.status, f.severity) for f in findings}


SAME = {check: ("same", "info") for check in ALL_CHECKS}


# --- neutral look-alikes ----------------------------------------------------------------------

@pytest.mark.parametrize("other", [
    '{"age": 34, "name": "Ann"}',                                     # reordered keys
    '{\n    "name": "Ann",\n    "age": 34\n}\n',                      # pretty-printed, trailing newline
    '{"name":"Ann","age":34}',                                        # compact
    '{"name": "Ann", "age": 34.0}',                                   # 34 vs 34.0
    '  {"name": "ann", "age": 34}  ',                                 # casing of a value, surrounding spaces
    '{\n  "age": 34.0,\n  "name": "ANN"\n}',                          # all of it at once
])
def test_neutral_look_alikes_stay_same(other: str) -> None:
    findings = _compare(ANN, other, JSON_TASK)
    assert [f.check for f in findings] == ALL_CHECKS
    assert _statuses(findings) == SAME
    by = _by_check(findings)
    assert by["json.recoverable"].details == {"equal": True, "gold": True, "how": "bare"}
    assert by["json.recoverable"].reason == "the answer parses to the same value as the baseline"
    assert (by["json.keys"].baseline, by["json.keys"].candidate) == (["age", "name"], ["age", "name"])
    assert by["json.keys"].details == {"added": [], "missing": [], "renamed": [], "missing_required": []}
    assert (by["json.types"].baseline, by["json.types"].candidate, by["json.types"].details) == ({}, {}, {"paths": []})
    assert (by["json.valid"].behaviour, by["json.valid"].baseline_behaviour) == ("format:bare-json", "format:bare-json")


def test_japanese_values_escaped_or_not_are_the_same() -> None:
    summary = "今日は天気が良く、チームは午後に集まります。"
    baseline = json.dumps({"summary": summary, "city": "東京"}, ensure_ascii=False)
    other = json.dumps({"city": "東京", "summary": summary}, indent=2)  # \u escapes, indented, reordered
    assert "\\u4eca" in other
    findings = _compare(baseline, other)
    assert _statuses(findings) == {c: ("same", "info") for c in ALL_CHECKS if c != "json.schema"}
    assert _by_check(findings)["json.recoverable"].details["equal"] is True


def test_japanese_preamble_is_prose_around_the_json() -> None:
    other = '以下がJSONです：\n```json\n{"city": "東京", "summary": "晴れ"}\n```'
    by = _by_check(_compare('{"city": "東京", "summary": "晴れ"}', other))
    assert (by["json.prose"].status, by["json.prose"].severity) == ("regression", "minor")
    assert (by["json.prose"].baseline, by["json.prose"].candidate) == ("", "以下がJSONです：")
    assert by["json.recoverable"].reason == f"{PARSER} recovers the same value as the baseline"


# --- form: valid, fenced, prose, recoverable ------------------------------------------------------

FENCED_WITH_PROSE = "Here's the JSON:\n```json\n" + ANN + "\n```\n\nLet me know if you need anything else!"


def test_fenced_with_prose_is_a_format_regression_the_parser_recovers() -> None:
    findings = _compare(ANN, FENCED_WITH_PROSE, JSON_TASK)
    assert _statuses(findings) == {**SAME, "json.valid": ("regression", "major"),
                                   "json.fenced": ("regression", "minor"), "json.prose": ("regression", "minor")}
    by = _by_check(findings)
    assert (by["json.valid"].baseline, by["json.valid"].candidate) == (True, False)
    assert by["json.valid"].reason == "the baseline parses as JSON, this answer does not (format:fenced-json)"
    assert (by["json.fenced"].baseline, by["json.fenced"].candidate) == (False, True)
    assert (by["json.prose"].baseline, by["json.prose"].candidate) == (
        "", "Here's the JSON: … Let me know if you need anything else!")
    assert by["json.recoverable"].reason == f"{PARSER} recovers the same value as the baseline"
    assert by["json.recoverable"].details == {"equal": True, "gold": True, "how": "fenced"}
    for check in ("json.valid", "json.fenced", "json.prose", "json.recoverable"):
        assert (by[check].behaviour, by[check].baseline_behaviour) == ("format:fenced-json", "format:bare-json")


def test_bare_json_fixing_a_fenced_baseline_is_an_improvement_when_bare_json_is_expected() -> None:
    by = _by_check(_compare(FENCED_WITH_PROSE, ANN, JSON_TASK))
    assert _statuses(list(by.values())) == {**SAME, "json.valid": ("improvement", "major"),
                                            "json.fenced": ("improvement", "minor"),
                                            "json.prose": ("improvement", "minor")}
    assert by["json.prose"].reason == ("no prose around the JSON, the baseline had "
                                       "\"Here's the JSON: … Let me know if you need anything else!\"")


def test_dropping_the_baselines_fence_without_a_contract_is_changed() -> None:
    fenced = "```json\n" + ANN + "\n```"
    by = _by_check(_compare(fenced, ANN))
    assert (by["json.fenced"].status, by["json.fenced"].severity) == ("changed", "info")
    assert (by["json.valid"].status, by["json.valid"].severity) == ("improvement", "major")
    assert (by["json.fenced"].behaviour, by["json.fenced"].baseline_behaviour) == ("format:bare-json",
                                                                                  "format:fenced-json")


def test_fenced_against_fenced_is_same() -> None:
    baseline = "```json\n" + ANN + "\n```"
    other = '```json\n{\n  "age": 34,\n  "name": "Ann"\n}\n```'
    findings = _compare(baseline, other)
    assert _statuses(findings) == {c: ("same", "info") for c in ALL_CHECKS if c != "json.schema"}
    by = _by_check(findings)
    assert (by["json.fenced"].baseline, by["json.fenced"].candidate) == (True, True)
    assert (by["json.valid"].baseline, by["json.valid"].candidate) == (False, False)
    assert by["json.fenced"].reason == "both put their JSON in a markdown fence"


def test_paraphrased_prose_on_both_sides_is_same() -> None:
    baseline = "Sure! Here is the JSON you asked for:\n" + ANN
    other = 'Of course, here it is:\n{"age": 34, "name": "Ann"}\nHope this helps.'
    by = _by_check(_compare(baseline, other))
    assert (by["json.prose"].status, by["json.prose"].baseline, by["json.prose"].candidate) == (
        "same", "Sure! Here is the JSON you asked for:", "Of course, here it is: … Hope this helps.")
    assert by["json.prose"].behaviour == "format:json-in-prose"


def test_prose_is_clipped_to_80_characters() -> None:
    preamble = "Here is the structured record you requested, extracted carefully from the text you provided above:"
    by = _by_check(_compare(ANN, preamble + "\n" + ANN))
    assert by["json.prose"].candidate == preamble[:79] + "…"
    assert len(by["json.prose"].candidate) == 80


def test_nothing_recoverable_is_a_major_regression() -> None:
    findings = _compare(ANN, "I'm sorry, but I can't help with that.", JSON_TASK)
    assert _statuses(findings) == {"json.valid": ("regression", "major"), "json.fenced": ("same", "info"),
                                   "json.recoverable": ("regression", "major"), "json.schema": ("regression", "major")}
    by = _by_check(findings)
    assert (by["json.recoverable"].baseline, by["json.recoverable"].candidate) == (True, False)
    assert by["json.recoverable"].reason == f"not even {PARSER} recovers JSON from this answer (format:prose)"
    assert by["json.recoverable"].behaviour == "format:prose"
    assert (by["json.schema"].baseline, by["json.schema"].candidate) == ([], ["no JSON value recovered"])


def test_truncated_json_is_broken_json() -> None:
    by = _by_check(_compare(ANN, '{"name": "Ann", "ag', JSON_TASK))
    assert by["json.recoverable"].status == "regression"
    assert by["json.valid"].behaviour == "format:broken-json"


def test_json_where_the_baseline_had_none_is_an_improvement_under_a_contract() -> None:
    findings = _compare("I cannot do that.", ANN, JSON_TASK)
    assert _statuses(findings) == {"json.valid": ("improvement", "major"), "json.fenced": ("same", "info"),
                                   "json.recoverable": ("improvement", "major"),
                                   "json.schema": ("improvement", "major")}
    assert _by_check(findings)["json.recoverable"].details == {"equal": False, "gold": True, "how": "bare"}


def test_recovered_value_matching_gold_but_not_the_baseline() -> None:
    other = 'Result: {"name": "Ann", "age": 34, "note": "from the letterhead"}'
    by = _by_check(_compare('{"name": "Ann", "age": 35}', other, JSON_TASK))
    assert by["json.recoverable"].reason == f"{PARSER} recovers a value matching the gold fields"
    assert by["json.recoverable"].details == {"equal": False, "gold": True, "how": "embedded"}


# --- applicability ----------------------------------------------------------------------------

@pytest.mark.parametrize(("baseline", "other"), [
    ("The capital of France is Paris.", '{"capital": "Paris"}'),
    ("Use a list like [1, 2] or an object like {\"a\": 1} when you write the configuration file for the "
     "service, and remember to restart it afterwards so the new settings take effect.", "Just restart it."),
    ("42", "43"),
])
def test_no_finding_without_a_json_contract(baseline: str, other: str) -> None:
    assert _compare(baseline, other) == []


def test_no_finding_when_a_side_has_no_answer() -> None:
    assert _compare(ANN, None, JSON_TASK, other_error="timeout: upstream took too long") == []
    assert _compare(None, ANN, JSON_TASK) == []


def test_response_format_makes_it_a_json_trial() -> None:
    findings = _compare("Paris.", '{"capital": "Paris"}', params={"response_format": {"type": "json_object"}})
    assert _statuses(findings) == {"json.valid": ("improvement", "major"), "json.fenced": ("same", "info"),
                                   "json.recoverable": ("improvement", "major")}


# --- schema -------------------------------------------------------------------------------------

SPELLED = '{"name": "Ann", "age": "thirty-four"}'


def test_schema_conformance_both_directions() -> None:
    lost = _by_check(_compare(ANN, SPELLED, JSON_TASK))["json.schema"]
    assert (lost.status, lost.severity, lost.baseline, lost.candidate) == (
        "regression", "major", [], ["$.age: 'thirty-four' is not of type 'integer'"])
    assert lost.details == {"baseline_errors": 0, "candidate_errors": 1}
    won = _by_check(_compare(SPELLED, ANN, JSON_TASK))["json.schema"]
    assert (won.status, won.severity, won.baseline, won.candidate) == (
        "improvement", "major", ["$.age: 'thirty-four' is not of type 'integer'"], [])
    assert won.reason == ("conforms to expect.schema, the baseline did not: "
                          "$.age: 'thirty-four' is not of type 'integer'")


def test_schema_errors_are_clipped_to_three_and_both_failing_is_same() -> None:
    schema = {"type": "object", "required": ["a", "b", "c", "d"]}
    finding = _by_check(_compare('{"x": 1}', '{"y": 1}', {"schema": schema}))["json.schema"]
    assert (finding.status, finding.severity) == ("same", "info")
    assert finding.candidate == ["$: 'a' is a required property", "$: 'b' is a required property",
                                 "$: 'c' is a required property"]
    assert finding.details == {"baseline_errors": 4, "candidate_errors": 4}


@pytest.mark.parametrize(("schema", "problem"), [
    ({"type": "no-such-type"}, "'no-such-type' is not valid under any of the given schemas"),
    ({"$ref": "https://example.invalid/person.json"}, "Unresolvable: https://example.invalid/person.json"),
])
def test_unusable_schema_is_reported_not_judged(schema: dict[str, Any], problem: str) -> None:
    finding = _by_check(_compare(ANN, ANN, {"schema": schema}))["json.schema"]
    assert (finding.status, finding.severity, finding.baseline, finding.candidate) == ("changed", "info", None, None)
    assert finding.details == {"schema_error": problem}


def test_schema_draft_is_taken_from_dollar_schema() -> None:
    draft7 = {"$schema": "http://json-schema.org/draft-07/schema#", "type": "object",
              "properties": {"n": {"type": "integer", "exclusiveMinimum": 0}}}
    finding = _by_check(_compare('{"n": 1}', '{"n": 0}', {"schema": draft7}))["json.schema"]
    assert (finding.status, finding.candidate) == ("regression", ["$.n: 0 is less than or equal to the minimum of 0"])


# --- keys -----------------------------------------------------------------------------------------

def test_renamed_key_by_equal_value_is_a_major_regression() -> None:
    finding = _by_check(_compare(ANN, '{"title": "Ann", "age": 34}'))["json.keys"]
    assert (finding.status, finding.severity) == ("regression", "major")
    assert (finding.baseline, finding.candidate) == (["age", "name"], ["age", "title"])
    assert finding.details == {"added": [], "missing": [], "renamed": [["name", "title"]]}
    assert finding.reason == "renamed name → title"


@pytest.mark.parametrize("new", ["firstName", "FirstName", "name_first", "first-name"])
def test_renamed_key_by_name_words(new: str) -> None:
    finding = _by_check(_compare('{"first_name": "Ann", "age": 34}', json.dumps({new: "Anna", "age": 34})))["json.keys"]
    assert finding.details == {"added": [], "missing": [], "renamed": [["first_name", new]]}
    assert finding.status == "regression"


def test_added_and_missing_keys_against_the_baseline() -> None:
    added = _by_check(_compare(ANN, '{"name": "Ann", "age": 34, "city": "Oslo"}'))["json.keys"]
    assert (added.status, added.severity, added.details) == (
        "regression", "minor", {"added": ["city"], "missing": [], "renamed": []})
    missing = _by_check(_compare(ANN, '{"name": "Ann"}'))["json.keys"]
    assert (missing.status, missing.severity, missing.details) == (
        "regression", "major", {"added": [], "missing": ["age"], "renamed": []})
    assert missing.reason == "missing age"


def test_nested_keys_are_compared_with_paths() -> None:
    baseline = '{"person": {"first_name": "Ann"}, "items": [{"sku": "a1", "qty": 2}, {"sku": "b2", "qty": 1}]}'
    other = '{"person": {"firstName": "Ann"}, "items": [{"sku": "a1"}, {"sku": "b2"}]}'
    finding = _by_check(_compare(baseline, other))["json.keys"]
    assert finding.details == {"added": [], "missing": ["items[].qty"],
                               "renamed": [["person.first_name", "person.firstName"]]}
    assert (finding.status, finding.severity) == ("regression", "major")


def test_keys_under_a_contract_both_directions() -> None:
    fixed = _by_check(_compare('{"name": "Ann"}', ANN, JSON_TASK))["json.keys"]
    assert (fixed.status, fixed.severity) == ("improvement", "major")
    assert fixed.details == {"added": ["age"], "missing": [], "renamed": [], "missing_required": []}
    broken = _by_check(_compare(ANN, '{"name": "Ann"}', JSON_TASK))["json.keys"]
    assert (broken.status, broken.severity) == ("regression", "major")
    assert broken.details["missing_required"] == ["age"]


def test_optional_and_unknown_keys_under_a_contract() -> None:
    optional = _by_check(_compare('{"name": "Ann", "age": 34, "note": "x"}', ANN, JSON_TASK))["json.keys"]
    assert (optional.status, optional.severity, optional.details["missing"]) == ("changed", "info", ["note"])
    unknown = _by_check(_compare(ANN, '{"name": "Ann", "age": 34, "city": "Oslo"}', JSON_TASK))["json.keys"]
    assert (unknown.status, unknown.severity, unknown.details["added"]) == ("regression", "minor", ["city"])


# --- types ----------------------------------------------------------------------------------------

def test_spelled_out_number_is_a_type_regression_with_a_note() -> None:
    finding = _by_check(_compare(ANN, SPELLED))["json.types"]
    assert (finding.status, finding.severity) == ("regression", "major")
    assert (finding.baseline, finding.candidate) == ({"age": "number"}, {"age": "string"})
    assert finding.details == {"paths": [{"path": "age", "baseline": "number", "candidate": "string",
                                          "note": "'thirty-four' spells 34, the same number"}]}
    assert finding.reason == "age: number → string ('thirty-four' spells 34, the same number)"


def test_type_fix_under_a_contract_is_an_improvement() -> None:
    finding = _by_check(_compare(SPELLED, ANN, JSON_TASK))["json.types"]
    assert (finding.status, finding.severity) == ("improvement", "major")
    assert finding.details["paths"][0]["note"] == "'thirty-four' spells 34, the same number"


def test_type_changes_without_a_contract() -> None:
    numeric = _by_check(_compare('{"qty": "12"}', '{"qty": 12}'))["json.types"]
    assert (numeric.status, numeric.severity) == ("regression", "major")
    assert numeric.details["paths"][0]["note"] == "'12' is a number written as a string"
    nulled = _by_check(_compare('{"note": null}', '{"note": "none"}'))["json.types"]
    assert (nulled.status, nulled.severity) == ("regression", "minor")
    nested = _by_check(_compare('{"items": [{"qty": 2}, {"qty": 3}]}', '{"items": [{"qty": "two"}, {"qty": 3}]}'))
    assert nested["json.types"].baseline == {"items[].qty": "number"}
    assert nested["json.types"].details["paths"][0]["note"] == "'two' spells 2, the same number"


# --- wrapped ----------------------------------------------------------------------------------

def test_wrapped_object_is_a_minor_regression_and_keys_compare_inside() -> None:
    findings = _compare(ANN, '{"result": ' + ANN + "}")
    by = _by_check(findings)
    assert (by["json.wrapped"].status, by["json.wrapped"].severity) == ("regression", "minor")
    assert (by["json.wrapped"].baseline, by["json.wrapped"].candidate) == (None, "result")
    assert by["json.wrapped"].reason == "wraps the baseline's JSON in an extra object under 'result'"
    assert by["json.keys"].status == by["json.types"].status == "same"


def test_unwrapping_depends_on_the_contract() -> None:
    wrapped = '{"data": {"name": "Ann", "age": 34, "note": "x"}}'
    no_contract = _by_check(_compare(wrapped, ANN))["json.wrapped"]
    assert (no_contract.status, no_contract.baseline, no_contract.candidate) == ("regression", "data", None)
    assert no_contract.reason == "drops the 'data' wrapper object the baseline put around its JSON"
    contract = _by_check(_compare(wrapped, ANN, JSON_TASK))["json.wrapped"]
    assert (contract.status, contract.severity) == ("improvement", "minor")


def test_single_key_objects_are_not_wrappers() -> None:
    finding = _by_check(_compare('{"answer": "yes"}', '{"response": "yes"}'))
    assert finding["json.wrapped"].status == "same"
    assert finding["json.keys"].details == {"added": [], "missing": [], "renamed": [["answer", "response"]]}


# --- readers and crashes ----------------------------------------------------------------------

@pytest.mark.parametrize(("text", "form"), [
    (ANN, "format:bare-json"), ("```json\n" + ANN + "\n```", "format:fenced-json"),
    ("Sure: " + ANN, "format:json-in-prose"), ("no json", "format:prose"), ("   ", "format:empty"),
    ("```json\n{broken\n```", "format:fenced-json"), ('{"a": ', "format:broken-json"),
])
def test_read_json_forms(text: str, form: str) -> None:
    assert read_json(text).form == form


def test_a_crash_becomes_a_finding(monkeypatch: pytest.MonkeyPatch) -> None:
    def broken(text: str | None) -> None:
        raise ValueError("parser exploded")

    monkeypatch.setattr(structure, "extract_json", broken)
    findings = run_comparator(StructureComparator(), _request(JSON_TASK), Outcome(output="x"), Outcome(output="y"))
    assert [(f.check, f.status, f.severity, f.reason, f.details) for f in findings] == [
        ("structure", "changed", "info", "comparator crashed: ValueError: parser exploded", {"crashed": True})]


def test_a_broken_json_baseline_is_still_a_json_trial() -> None:
    findings = _compare('{"name": "Ann", "ag', ANN)
    assert _statuses(findings) == {"json.valid": ("improvement", "major"), "json.fenced": ("same", "info"),
                                   "json.recoverable": ("improvement", "major")}
    assert _by_check(findings)["json.valid"].baseline_behaviour == "format:broken-json"
