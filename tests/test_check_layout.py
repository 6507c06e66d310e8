"""layout: the dominant layout of an answer and its changes."""

from __future__ import annotations

import pytest

from modelswap.compare.checks.layout import LayoutComparator, layout
from modelswap.compare.model import Outcome
from modelswap.types import ChatRequest

REQUEST = ChatRequest(id="r", messages=({"role": "user", "content": "Compare tea and coffee."},))


@pytest.mark.parametrize(("text", "expected"), [
    ("| drink | caffeine |\n| --- | --- |\n| tea | low |\n| coffee | high |", "table"),
    ("<p>Tea is calm.</p><p>Coffee is strong.</p>", "html"),
    ("Run this:\n```python\nprint(1)\n```", "code"),
    ("## Tea\nCalm.\n## Coffee\nStrong.", "headings"),
    ("- tea\n- coffee", "list"),
    ("1) tea\n2) coffee", "list"),
    ("Tea is calmer than coffee; coffee has more caffeine.", "plain"),
    ("お茶はコーヒーより穏やかです。", "plain"),
    ("Use a | to pipe output.", "plain"),
])
def test_layout(text: str, expected: str) -> None:
    assert layout(text) == expected


def compare(baseline: str, other: str, **expect: object) -> list[tuple[str, str, object, object, str | None]]:
    request = ChatRequest(id="r", messages=REQUEST.messages, expect=dict(expect))
    return [(f.check, f.status, f.baseline, f.candidate, f.behaviour)
            for f in LayoutComparator().compare(request, Outcome(output=baseline), Outcome(output=other))]


def test_a_new_layout_is_a_change_with_its_behaviour() -> None:
    table = "| a | b |\n|---|---|\n| 1 | 2 |"
    assert compare("Tea is calm.", table) == [("layout", "changed", "plain", "table", "layout:table")]
    assert compare("Tea is calm.", "Coffee is strong.") == [("layout", "same", "plain", "plain", "layout:plain")]


def test_json_and_labels_are_left_to_their_own_checks() -> None:
    assert compare('{"a": 1}', "## A\n1") == []
    assert compare("positive", "- positive\n- maybe", format="label") == []
    assert LayoutComparator().compare(REQUEST, Outcome(output="x"), Outcome(output=None, error="http 500")) == []
