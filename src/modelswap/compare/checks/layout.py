"""The layout comparator: the shape of a prose answer (table, HTML, headings, code, list, plain).

What it is: check ``layout``, which names the dominant layout of each side and reports a change
as ``changed`` with the other side's layout as its behaviour, so triage calls a layout the
primary never produced anywhere in the traffic *novel* (a markdown table where the product
renders plain text), and a layout it did produce elsewhere neutral. What it is not: JSON
(``structure``) or list counts (``shape``); answers carrying JSON are left to ``structure``.
"""

from __future__ import annotations

import re

from modelswap.compare.checks.base import Comparator
from modelswap.compare.model import Finding, Outcome
from modelswap.parse import extract_json
from modelswap.types import ChatRequest

_TABLE_ROW = re.compile(r"^\s*\|.*\|\s*$", re.MULTILINE)
_TABLE_RULE = re.compile(r"^\s*\|?\s*:?-{3,}:?\s*(\|\s*:?-{3,}:?\s*)+\|?\s*$", re.MULTILINE)
_HTML = re.compile(r"<(p|div|br|ul|ol|li|table|tr|td|h[1-6]|strong|em|span|b|i)(\s[^>]*)?/?>", re.IGNORECASE)
_HEADING = re.compile(r"^\s{0,3}#{1,6}\s+\S", re.MULTILINE)
_FENCE = re.compile(r"^\s*```", re.MULTILINE)
_ITEM = re.compile(r"^\s*(?:[-*+•]|\d+[.)])\s+\S", re.MULTILINE)

LAYOUTS = ("table", "html", "code", "headings", "list", "plain")


def layout(text: str) -> str:
    """The dominant layout of ``text``: the first of ``LAYOUTS`` it shows."""
    if _TABLE_RULE.search(text) and len(_TABLE_ROW.findall(text)) >= 2:
        return "table"
    if len(_HTML.findall(text)) >= 2:
        return "html"
    if _FENCE.search(text):
        return "code"
    if _HEADING.search(text):
        return "headings"
    if len(_ITEM.findall(text)) >= 2:
        return "list"
    return "plain"


def _is_json_answer(text: str) -> bool:
    """A bare or fenced JSON answer (``structure`` judges those); JSON quoted inside prose is not."""
    found = extract_json(text)
    return found is not None and found.how in ("bare", "fenced")


class LayoutComparator(Comparator):
    """``layout``: same or ``changed`` (minor), with ``layout:<kind>`` behaviours on both sides."""

    name = "layout"
    version = 1

    def compare(self, request: ChatRequest, baseline: Outcome, other: Outcome) -> list[Finding]:
        if not (baseline.ok and other.ok) or request.expect.get("format") in ("json", "label"):
            return []
        if _is_json_answer(baseline.text) or _is_json_answer(other.text):
            return []
        before, after = layout(baseline.text), layout(other.text)
        changed = before != after
        return [Finding(check="layout", version=self.version, status="changed" if changed else "same",
                        severity="minor" if changed else "info", baseline=before, candidate=after,
                        behaviour=f"layout:{after}", baseline_behaviour=f"layout:{before}",
                        reason=f"the answer's layout changed from {before} to {after}" if changed
                        else f"same layout ({before})")]
