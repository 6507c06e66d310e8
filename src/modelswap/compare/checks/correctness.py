"""Correctness against gold: is the label right, are the extracted fields right.

What it is: ``CorrectnessComparator`` (checks ``label.correct`` and ``fields.correct``), the
value equality every JSON check shares (``same_value``, ``matches_gold``), and
``per_class_metrics`` for the summary. It speaks only where ``request.expect`` holds gold
(``label``, ``fields``). What it is not: format. Whether the label came bare or inside a
sentence, whether the JSON was fenced or wrapped, is judged by ``shape`` and ``structure``;
here only the content counts (a label mentioned in prose still counts as that label, and a
single-key wrapper around the gold fields is looked through).

Equality rules (the neutral look-alikes):

- numbers by value: ``34 == 34.0``; a boolean is never a number (``true != 1``);
- strings after Unicode NFKC, trimming, collapsing inner whitespace and case folding:
  casing is treated as not meaningful in values. Where it is (an ``enum``), the schema says
  so and ``json.schema`` enforces it; a spelled-out number ("thirty-four") is a string, never
  equal to the number (``spelled_number`` reads it, for reasons only);
- objects key by key (key order never matters), arrays element by element in order.
- ``matches_gold`` is one-sided: the answer may carry keys the gold does not name, and a gold
  array matches the same elements in any order (a list of tags is a set more often than not).

Statuses: ``label.correct`` (values: bool, bool) is a ``major`` regression when the baseline
gave the gold label and the other side does not, an improvement the other way round; a label
is the bare answer or the one allowed label its prose mentions (two labels mentioned: none).
``fields.correct`` (values: the fraction of gold fields right, rounded to 4 places) is a
``major`` regression when fewer fields are right, an improvement when more, ``changed`` when
as many but not the same ones. A field is right when the recovered JSON (bare, fenced or in
prose, through one wrapper object) holds a value matching the gold at that key.
"""

from __future__ import annotations

import re
from collections import Counter
from typing import Any

from modelswap.compare.checks.base import Comparator
from modelswap.compare.checks.shape import expected_labels, fold_text, read_label
from modelswap.compare.model import Finding, Outcome, Severity, Status
from modelswap.parse import extract_json, parse_strict
from modelswap.types import ChatRequest

_SMALL = {w: i for i, w in enumerate(["zero", "one", "two", "three", "four", "five", "six", "seven", "eight", "nine",
                                      "ten", "eleven", "twelve", "thirteen", "fourteen", "fifteen", "sixteen",
                                      "seventeen", "eighteen", "nineteen"])}
_TENS = {w: 10 * i for i, w in enumerate(["twenty", "thirty", "forty", "fifty", "sixty", "seventy", "eighty",
                                          "ninety"], start=2)}
_SCALES = {"thousand": 1_000, "million": 1_000_000, "billion": 1_000_000_000}

def is_number(value: Any) -> bool:
    """A JSON number (an int or float that is not a bool)."""
    return isinstance(value, (int, float)) and not isinstance(value, bool)


def json_type(value: Any) -> str:
    """The JSON type name of a value; ints and floats are both ``number``."""
    if value is None or isinstance(value, bool):
        return "null" if value is None else "boolean"
    if is_number(value):
        return "number"
    names = ((str, "string"), (list, "array"), (dict, "object"))
    return next((name for kind, name in names if isinstance(value, kind)), type(value).__name__)


def spelled_number(text: str) -> int | None:
    """The integer an English number phrase spells ("thirty-four" → 34), else None."""
    words = [word for word in re.split(r"[\s-]+", text.strip().casefold()) if word and word != "and"]
    sign = -1 if words[:1] in (["minus"], ["negative"]) else 1
    words = words[1:] if sign < 0 else words
    if not words:
        return None
    total = current = 0
    for word in words:
        if word in _SMALL or word in _TENS:
            current += _SMALL.get(word, 0) + _TENS.get(word, 0)
        elif word == "hundred":
            current = max(current, 1) * 100
        elif word in _SCALES:
            total, current = total + max(current, 1) * _SCALES[word], 0
        else:
            return None
    return sign * (total + current)


def same_value(a: Any, b: Any) -> bool:
    """Whether two JSON values are equal under the rules of this module (symmetric)."""
    if isinstance(a, dict) and isinstance(b, dict):
        return a.keys() == b.keys() and all(same_value(a[key], b[key]) for key in a)
    if isinstance(a, list) and isinstance(b, list):
        return len(a) == len(b) and all(same_value(x, y) for x, y in zip(a, b, strict=True))
    return _same_scalar(a, b)


def matches_gold(value: Any, gold: Any) -> bool:
    """Whether ``value`` holds ``gold``: gold's keys (extra keys allowed), gold's elements (any order)."""
    if isinstance(gold, dict):
        return isinstance(value, dict) and all(key in value and matches_gold(value[key], gold[key]) for key in gold)
    if isinstance(gold, list):
        return isinstance(value, list) and len(value) == len(gold) and _matches_unordered(value, gold)
    return _same_scalar(value, gold)


def _same_scalar(a: Any, b: Any) -> bool:
    if is_number(a) and is_number(b):
        return bool(a == b)
    if isinstance(a, str) and isinstance(b, str):
        return fold_text(a) == fold_text(b)
    return type(a) is type(b) and a == b and not isinstance(a, (dict, list))


def _matches_unordered(values: list[Any], gold: list[Any]) -> bool:
    if all(matches_gold(v, g) for v, g in zip(values, gold, strict=True)):
        return True
    unused = list(values)
    for item in gold:
        index = next((i for i, v in enumerate(unused) if matches_gold(v, item)), None)
        if index is None:
            return False
        unused.pop(index)
    return True


def per_class_metrics(pairs: list[tuple[str | None, str]]) -> dict[str, dict[str, float]]:
    """Precision, recall, f1 and support of every class from (predicted, gold) pairs.

    Classes are every gold label and every predicted one; ``None`` (no label found) is a miss,
    never a class. A ratio with an empty denominator is 0.0 (no prediction of a class has no precision).
    """
    gold_count = Counter(gold for _, gold in pairs)
    predicted_count = Counter(predicted for predicted, _ in pairs if predicted is not None)
    hits = Counter(gold for predicted, gold in pairs if predicted == gold)
    out: dict[str, dict[str, float]] = {}
    for label in sorted(gold_count.keys() | predicted_count.keys()):
        precision = hits[label] / predicted_count[label] if predicted_count[label] else 0.0
        recall = hits[label] / gold_count[label] if gold_count[label] else 0.0
        f1 = 2 * precision * recall / (precision + recall) if precision + recall else 0.0
        out[label] = {"precision": precision, "recall": recall, "f1": f1, "support": float(gold_count[label])}
    return out


def recover(text: str) -> Any:
    """The JSON value of an answer: the whole text when it parses, else what ``extract_json`` recovers."""
    ok, value = parse_strict(text)
    if ok:
        return value
    found = extract_json(text)
    return None if found is None else found.value


def _look_through_wrapper(value: Any, gold: dict[str, Any]) -> Any:
    """The inner object of ``{"result": {...}}`` when it holds more of the gold keys than the outer one."""
    if isinstance(value, dict) and len(value) == 1:
        inner = next(iter(value.values()))
        if isinstance(inner, dict) and len(inner.keys() & gold.keys()) > len(value.keys() & gold.keys()):
            return inner
    return value


def fields_correct(value: Any, gold: dict[str, Any]) -> dict[str, bool]:
    """Per gold field: whether the answer's value at that key matches it."""
    obj = _look_through_wrapper(value, gold)
    if not isinstance(obj, dict):
        return {key: False for key in gold}
    return {key: key in obj and matches_gold(obj[key], expected) for key, expected in gold.items()}


class CorrectnessComparator(Comparator):
    """Is each side right where the task has a gold answer (a label, extraction fields)."""

    name = "correctness"

    def compare(self, request: ChatRequest, baseline: Outcome, other: Outcome) -> list[Finding]:
        if not (baseline.ok and other.ok):
            return []
        expect = request.expect
        findings = []
        if isinstance(expect.get("label"), str):
            findings.append(self._label(expect, baseline.text, other.text))
        if isinstance(expect.get("fields"), dict) and expect["fields"]:
            findings.append(self._fields(expect["fields"], baseline.text, other.text))
        return findings

    def _label(self, expect: dict[str, Any], baseline: str, other: str) -> Finding:
        labels = expected_labels(expect)
        gold = read_label(expect["label"], labels).label or expect["label"]
        base_label, other_label = read_label(baseline, labels).label, read_label(other, labels).label
        base_ok = base_label is not None and fold_text(base_label) == fold_text(gold)
        other_ok = other_label is not None and fold_text(other_label) == fold_text(gold)
        status, severity = _direction(base_ok, other_ok)
        reason = {"same": f"both sides {'give' if base_ok else 'miss'} the gold label {gold!r}",
                  "regression": f"the baseline gives the gold label {gold!r}, this answer gives {other_label!r}",
                  "improvement": f"this answer gives the gold label {gold!r}, the baseline gave {base_label!r}"}
        return Finding(check="label.correct", version=self.version, status=status, severity=severity,
                       baseline=base_ok, candidate=other_ok, reason=reason[status],
                       details={"baseline_label": base_label, "candidate_label": other_label, "gold": gold})

    def _fields(self, gold: dict[str, Any], baseline: str, other: str) -> Finding:
        base_fields, other_fields = fields_correct(recover(baseline), gold), fields_correct(recover(other), gold)
        base_score = round(sum(base_fields.values()) / len(gold), 4)
        other_score = round(sum(other_fields.values()) / len(gold), 4)
        lost = [key for key in gold if base_fields[key] and not other_fields[key]]
        won = [key for key in gold if other_fields[key] and not base_fields[key]]
        status, severity = _direction(base_score > other_score, other_score > base_score)
        if status == "same" and lost:
            status = "changed"  # as many right, but not the same ones
        reason = (f"{sum(other_fields.values())}/{len(gold)} gold fields right (baseline "
                  f"{sum(base_fields.values())}/{len(gold)})" + (f"; wrong now: {', '.join(lost)}" if lost else "")
                  + (f"; right now: {', '.join(won)}" if won else ""))
        per_field = {key: {"baseline": base_fields[key], "candidate": other_fields[key]} for key in gold}
        return Finding(check="fields.correct", version=self.version, status=status, severity=severity,
                       baseline=base_score, candidate=other_score, reason=reason, details={"fields": per_field})


def _direction(base_ok: bool, other_ok: bool) -> tuple[Status, Severity]:
    if base_ok and not other_ok:
        return "regression", "major"
    if other_ok and not base_ok:
        return "improvement", "major"
    return "same", "info"
