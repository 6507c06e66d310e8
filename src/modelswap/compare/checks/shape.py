"""Instruction shape: how many list items, how many lines, one allowed label or a label in prose.

What it is: ``ShapeComparator`` (checks ``list.count``, ``lines.count``, ``label.allowed``,
``label.prose``) and the readers it is built on (``count_items``, ``count_lines``,
``read_label``), which ``correctness`` reuses. What it is not: whether the label is the
*right* one (``correctness``), the language of the text, or JSON (``structure``).

Reading rules:

- a list item is a line starting (after any indentation) with ``-``, ``*``, ``+``, ``•``,
  ``1.`` or ``1)`` followed by a space. Lines inside fenced code blocks (````` or ``~~~``) and
  horizontal rules (``* * *``, ``---``) are not items. Only the outermost level counts: items
  indented deeper than the least-indented item (by 2 columns or more, tabs as 4) are sub-items;
- a line count counts the non-blank lines that are not fence delimiters;
- a bare label is the whole answer once surrounding whitespace, quotes, brackets, markdown
  emphasis and punctuation are stripped, compared case-insensitively (NFKC, case folded);
- a label in prose is an allowed label found inside a longer answer as a whole word (ASCII
  word boundaries, so labels inside Japanese or Chinese text are found too). Longer labels
  win over labels they contain ("very positive" before "positive"). Prose mentioning two
  different labels gives no label at all ("positive or negative?" is not an answer).

Count judgement (``list.count`` and ``lines.count``): the target is ``expect.bullets`` /
``expect.lines``, else the baseline's own count. Right → wrong is a regression and wrong →
right an improvement (``major`` against an expectation, ``minor`` against the baseline's count);
both wrong: further from the target is a ``minor`` regression, closer a ``minor`` improvement,
as far on the other side (3 and 5 for 4) ``changed``. The finding's ``size`` is how many items
(or lines) the other side is from the baseline: a replica one item off does not excuse a
candidate that dropped the list. A side whose count breaks ``expect.bullets`` / ``expect.lines``
shows the behaviour ``count:breaks-expect``: the noise floor matches a candidate that breaks the
asked count only with a primary that breaks it too, not with a replica whose count wobbles by one
where no count was asked.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from typing import Any

from modelswap.compare.checks.base import Comparator
from modelswap.compare.model import Finding, Outcome, Severity, Status
from modelswap.types import ChatRequest

BREAKS_EXPECT = "count:breaks-expect"
_ITEM = re.compile(r"^(?P<indent>[ \t]*)(?:[-*+•]|\d{1,3}[.)])[ \t]+\S")
_RULE = re.compile(r"^[ \t]*([-*_])(?:[ \t]*\1){2,}[ \t]*$")
_FENCE_LINE = re.compile(r"^[ \t]*(?:```|~~~)")
_SPACES = re.compile(r"\s+")
_EDGE = " \t\r\n.,;:!?\"'`*_~()[]{}<>«»“”‘’「」『』。、！？："
_NESTED_COLUMNS = 2


def fold_text(text: str) -> str:
    """``text`` as compared: NFKC, trimmed, inner whitespace collapsed, case folded."""
    return _SPACES.sub(" ", unicodedata.normalize("NFKC", text)).strip().casefold()


def _lines_outside_fences(text: str) -> list[str]:
    lines, inside = [], False
    for line in text.splitlines():
        if _FENCE_LINE.match(line):
            inside = not inside
        elif not inside:
            lines.append(line)
    return lines


def count_items(text: str) -> int:
    """Outermost list items outside code fences."""
    indents = []
    for line in _lines_outside_fences(text):
        match = _ITEM.match(line)
        if match and not _RULE.match(line):
            indents.append(len(match.group("indent").expandtabs(4)))
    if not indents:
        return 0
    top = min(indents)
    return sum(1 for indent in indents if indent < top + _NESTED_COLUMNS)


def count_lines(text: str) -> int:
    """Non-blank lines that are not code fence delimiters."""
    return sum(1 for line in text.splitlines() if line.strip() and not _FENCE_LINE.match(line))


def expected_labels(expect: dict[str, Any]) -> list[str]:
    """The allowed labels: ``expect.labels``, else the gold ``expect.label`` alone."""
    labels = expect.get("labels")
    if isinstance(labels, list) and labels and all(isinstance(label, str) for label in labels):
        return list(dict.fromkeys(labels))
    gold = expect.get("label")
    return [gold] if isinstance(gold, str) else []


@dataclass(frozen=True, kw_only=True, slots=True)
class LabelReading:
    """What an answer says about the labels: the one it gives, whether bare, and every one it mentions."""

    label: str | None
    exact: bool
    mentions: tuple[str, ...]

    @property
    def in_prose(self) -> bool:
        return not self.exact and bool(self.mentions)

    @property
    def form(self) -> str:
        """``label:exact``, ``label:in-prose`` or ``label:none``."""
        return "label:exact" if self.exact else "label:in-prose" if self.mentions else "label:none"


def read_label(text: str, labels: list[str]) -> LabelReading:
    """The allowed label ``text`` gives: bare, or the only one its prose mentions (canonical spelling)."""
    bare = fold_text(text.strip(_EDGE))
    for label in labels:
        if fold_text(label) == bare:
            return LabelReading(label=label, exact=True, mentions=(label,))
    mentions = _mentions(fold_text(text), labels)
    return LabelReading(label=mentions[0] if len(mentions) == 1 else None, exact=False, mentions=mentions)


def _mentions(folded: str, labels: list[str]) -> tuple[str, ...]:
    found: list[tuple[int, str]] = []
    for label in sorted(labels, key=lambda item: len(fold_text(item)), reverse=True):
        key = fold_text(label)
        if not key:
            continue
        pattern = re.compile(r"(?<![0-9a-z_])" + re.escape(key) + r"(?![0-9a-z_])")
        match = pattern.search(folded)
        if match:
            found.append((match.start(), label))
            folded = pattern.sub(lambda m: " " * len(m.group(0)), folded)
    return tuple(label for _, label in sorted(found))


def judge_count(base: int, other: int, target: int, *, from_expect: bool) -> tuple[Status, Severity]:
    """The direction of a count change against a target (rule in the module docstring)."""
    base_off, other_off = abs(base - target), abs(other - target)
    if base == other:
        return "same", "info"
    if base_off == 0:
        return "regression", "major" if from_expect else "minor"
    if other_off == 0:
        return "improvement", "major" if from_expect else "minor"
    if other_off != base_off:
        return ("regression" if other_off > base_off else "improvement"), "minor"
    return "changed", "info"


def _positive_int(value: Any) -> int | None:
    return value if isinstance(value, int) and not isinstance(value, bool) and value >= 0 else None


class ShapeComparator(Comparator):
    """Does each side keep the instructed shape: the list length, the line count, the label form."""

    name = "shape"
    version = 2

    def compare(self, request: ChatRequest, baseline: Outcome, other: Outcome) -> list[Finding]:
        if not (baseline.ok and other.ok):
            return []
        expect, findings = request.expect, []
        bullets = _positive_int(expect.get("bullets"))
        base_items, other_items = count_items(baseline.text), count_items(other.text)
        if bullets is not None or base_items:
            target = base_items if bullets is None else bullets
            findings.append(self._count("list.count", "list items", base_items, other_items, target,
                                        from_expect=bullets is not None))
        lines = _positive_int(expect.get("lines"))
        if lines is not None:
            findings.append(self._count("lines.count", "non-empty lines", count_lines(baseline.text),
                                        count_lines(other.text), lines, from_expect=True))
        labels = expected_labels(expect)
        if labels and (expect.get("format") == "label" or "labels" in expect):
            base_read, other_read = read_label(baseline.text, labels), read_label(other.text, labels)
            findings += [self._allowed(base_read, other_read), self._prose(base_read, other_read)]
        return findings

    def _count(self, check: str, noun: str, base: int, other: int, target: int, *, from_expect: bool) -> Finding:
        status, severity = judge_count(base, other, target, from_expect=from_expect)
        reason = (f"{other} {noun}, {target} expected (baseline {base})" if from_expect
                  else f"{other} {noun} where the baseline has {base}")
        return Finding(check=check, version=self.version, status=status, severity=severity, baseline=base,
                       candidate=other, reason=reason, size=float(abs(other - base)),
                       behaviour=BREAKS_EXPECT if from_expect and other != target else None,
                       baseline_behaviour=BREAKS_EXPECT if from_expect and base != target else None,
                       details={"target": target, "source": "expect" if from_expect else "baseline"})

    def _allowed(self, base: LabelReading, other: LabelReading) -> Finding:
        status: Status = "same"
        severity: Severity = "info"
        if base.exact != other.exact:
            status, severity = ("regression" if base.exact else "improvement"), "major"
        reason = {"same": f"{'both answer' if other.exact else 'neither answers'} with exactly one allowed label",
                  "regression": "the baseline answers with exactly one allowed label, this answer does not",
                  "improvement": "this answer is exactly one allowed label, the baseline's was not"}[status]
        return Finding(check="label.allowed", version=self.version, status=status, severity=severity,
                       baseline=base.exact, candidate=other.exact, reason=reason, behaviour=other.form,
                       baseline_behaviour=base.form,
                       details={"baseline_label": base.label, "candidate_label": other.label})

    def _prose(self, base: LabelReading, other: LabelReading) -> Finding:
        status: Status = "same"
        if other.in_prose and not base.in_prose:
            status = "regression" if base.exact else "improvement"
        elif base.in_prose and not other.in_prose:
            status = "improvement" if other.exact else "regression"
        reason = {"same": "the label form is unchanged",
                  "regression": (f"the label is wrapped in prose (mentions {', '.join(other.mentions)})"
                                 if other.in_prose else "the label the baseline's prose gave is gone"),
                  "improvement": ("a label in prose where the baseline gave none" if other.in_prose
                                  else "a bare label where the baseline wrapped it in prose")}[status]
        return Finding(check="label.prose", version=self.version, status=status,
                       severity="info" if status == "same" else "minor", baseline=base.in_prose,
                       candidate=other.in_prose, reason=reason, behaviour=other.form, baseline_behaviour=base.form,
                       details={"baseline_labels": list(base.mentions), "candidate_labels": list(other.mentions)})
