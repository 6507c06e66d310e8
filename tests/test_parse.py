"""extract_json: recovers what a defensive parser can, and nothing it cannot."""

from __future__ import annotations

import pytest

from modelswap.parse import extract_json, parse_strict


@pytest.mark.parametrize(("text", "value", "how", "before", "after"), [
    ('{"a": 1}', {"a": 1}, "bare", "", ""),
    ('  [1, 2]\n', [1, 2], "bare", "", ""),
    ('```json\n{"a": 1}\n```', {"a": 1}, "fenced", "", ""),
    ('Here is the JSON:\n```\n{"a": [1, {"b": "}"}]}\n```\nHope it helps!', {"a": [1, {"b": "}"}]}, "fenced",
     "Here is the JSON:", "Hope it helps!"),
    ('Sure! {"name": "Ann", "age": 34} Let me know.', {"name": "Ann", "age": 34}, "embedded", "Sure!",
     "Let me know."),
    ('The list [not json] then {"ok": true}', {"ok": True}, "embedded", "The list [not json] then", ""),
])
def test_recovers(text: str, value: object, how: str, before: str, after: str) -> None:
    found = extract_json(text)
    assert found is not None
    assert (found.value, found.how, found.before, found.after) == (value, how, before, after)


@pytest.mark.parametrize("text", [None, "", "no json here", '{"a": 1', "```json\n{broken}\n```", "42", '"str"',
                                  "text [] only"])
def test_nothing_to_recover(text: str | None) -> None:
    assert extract_json(text) is None


def test_parse_strict() -> None:
    assert parse_strict(' {"a": 1} ') == (True, {"a": 1})
    assert parse_strict("42") == (True, 42)
    assert parse_strict("```json\n{}\n```") == (False, None)
