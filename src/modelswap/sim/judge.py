"""The simulator as a pairwise judge: a JSON verdict by a simple rule, for rehearsal and tests.

What it is: ``judge_answer``, the simulator's answer to a request built by
``modelswap.compare.judge_prompt.judge_request`` (its system message starts with
``JUDGE_MARKER``): ``{"winner": "A" | "B" | "tie", "reason": "..."}``. What it is not: a model
of quality. It sees what the prompt shows (the conversation, both answers) and the request's
``expect``, and applies the first step that separates the two answers:

1. gold: when ``expect`` carries gold (``label``, or the scalar values of ``fields``), the answer
   that contains every gold value (as text, ignoring case) wins over one that does not;
2. degenerate: an empty answer, or a looping one (at least 12 words, fewer than half of its word
   trigrams distinct), loses to one that is neither;
3. closeness: the answer more of whose words (3 or more letters, distinct) appear in the
   conversation wins when the shares differ by at least 0.2;
4. otherwise a tie.

Position bias: when the quirk ``position_bias_rate`` hits (decided by the simulator's dice, so the
two orders of a trial draw independently), the answer is ``A`` whatever the rule says. The
answer then goes through the simulator's other quirks like any JSON answer (a fence, a preamble,
a renamed key...), so a quirky judge arm also rehearses unparseable verdicts.
"""

from __future__ import annotations

import json
import re
from typing import Any

from modelswap.compare.judge_prompt import JudgeSections, Winner, judge_sections
from modelswap.sim.base import Answer
from modelswap.types import ChatRequest

CLOSENESS_GAP = 0.2
LOOP_MIN_WORDS = 12
_WORD = re.compile(r"\w{3,}")


def judge_answer(request: ChatRequest, *, position_bias: bool) -> Answer | None:
    """The verdict answer to a judge request, or ``None`` when ``request`` is not one."""
    sections = judge_sections(request)
    if sections is None:
        return None
    winner, reason = ("A", "position bias: the first answer") if position_bias else decide(sections)
    return Answer(kind="json", value={"winner": winner, "reason": reason})


def decide(sections: JudgeSections) -> tuple[Winner, str]:
    """The rule of the module docstring: the winner and a one-line reason."""
    a, b = sections.answer_a, sections.answer_b
    gold = gold_values(sections.contract)
    if gold and _has_gold(a, gold) != _has_gold(b, gold):
        winner: Winner = "A" if _has_gold(a, gold) else "B"
        return winner, f"only answer {winner} contains the expected {', '.join(gold)}"
    bad_a, bad_b = degenerate(a), degenerate(b)
    if (bad_a is None) != (bad_b is None):
        return ("B", f"answer A is {bad_a}") if bad_a else ("A", f"answer B is {bad_b}")
    close_a, close_b = closeness(sections.request, a), closeness(sections.request, b)
    if abs(close_a - close_b) >= CLOSENESS_GAP:
        closer: Winner = "A" if close_a > close_b else "B"
        best, other = max(close_a, close_b), min(close_a, close_b)
        return closer, f"answer {closer} stays closer to the request ({best:.2f} of its words in it, vs {other:.2f})"
    return "tie", "no difference the rule can tell"


def gold_values(expect: dict[str, Any]) -> list[str]:
    """The gold an answer should contain: the ``label``, and every string or number in ``fields``."""
    gold = [expect["label"]] if isinstance(expect.get("label"), str) and expect["label"] else []
    fields = expect.get("fields")
    if isinstance(fields, dict):
        gold += [value if isinstance(value, str) else json.dumps(value) for value in fields.values()
                 if isinstance(value, (str, int, float)) and not isinstance(value, bool) and value != ""]
    return gold


def degenerate(text: str) -> str | None:
    """``"empty"``, ``"looping"`` or ``None`` for an answer worth reading."""
    words = text.split()
    if not words:
        return "empty"
    trigrams = [tuple(words[i:i + 3]) for i in range(len(words) - 2)]
    if len(words) >= LOOP_MIN_WORDS and len(set(trigrams)) * 2 < len(trigrams):
        return "looping"
    return None


def closeness(request: str, answer: str) -> float:
    """The share of the answer's distinct words (3+ letters) that appear in the request."""
    words = set(_WORD.findall(answer.lower()))
    return len(words & set(_WORD.findall(request.lower()))) / len(words) if words else 0.0


def _has_gold(answer: str, gold: list[str]) -> bool:
    lowered = answer.lower()
    return all(value.lower() in lowered for value in gold)
