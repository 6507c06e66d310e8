"""The judge's prompt: how a pairwise verdict is asked for, and how the answer is read back.

What it is: ``judge_request`` (the chat request sent to a judge arm for one order of one trial),
``JUDGE_MARKER`` (the stable first words of its system message, which the simulator detects),
``judge_sections`` (the request, contract and two answers read back out of such a request) and
``parse_verdict`` (the judge's answer as ``A``, ``B`` or ``tie``). The format lives here once, for
the judge and for the simulator. What it is not: calling the judge, caching or combining the two
orders (``modelswap.compare.judge``).

The judge is asked for one JSON object, ``{"winner": "A" | "B" | "tie", "reason": "..."}``.
``parse_verdict`` accepts that object bare, inside a markdown fence or surrounded by prose, and a
bare letter (``A``, ``"B".``, ``tie``); anything else is no verdict.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from typing import Any, Literal

from modelswap.types import ChatRequest, message_text

Winner = Literal["A", "B", "tie"]

JUDGE_MARKER = "[modelswap-judge/v1]"
PROMPT_VERSION = 1
DEFAULT_RUBRIC = ("Prefer the answer that is correct and does what the request asks, in the format it asks for "
                  "(and matches the task contract when one is given); then the one that is complete and on topic. "
                  "Length and style matter only when the request asks for them.")
_INSTRUCTIONS = ("{marker} You compare two answers, A and B, to the same request and say which is better by the "
                 "rubric. Judge the content, not the position or the length.\n\nRubric: {rubric}\n\n"
                 'Reply with one JSON object and nothing else: {{"winner": "A" | "B" | "tie", '
                 '"reason": "<one short line>"}}')
_SECTIONS = ("request", "contract", "answer-a", "answer-b")
_FENCE = re.compile(r"^```[\w-]*\s*\n?(.*?)\n?```$", re.DOTALL)
_OBJECT = re.compile(r"\{.*\}", re.DOTALL)
_BARE = re.compile(r"^[\s\"'*`(\[]*(a|b|tie)[\s\"'*`)\].!]*$", re.IGNORECASE)
_REASON_CHARS = 300


@dataclass(frozen=True, kw_only=True, slots=True)
class JudgeSections:
    """What a judge request shows: the conversation as text, the task contract, and the two answers."""

    request: str
    contract: dict[str, Any]
    answer_a: str
    answer_b: str


def judge_request(request: ChatRequest, *, rubric: str, answer_a: str, answer_b: str, request_id: str
                  ) -> ChatRequest:
    """The request asking a judge to compare ``answer_a`` and ``answer_b`` to ``request``.

    The original ``expect`` travels as the judge request's ``expect`` too (never sent upstream
    unless the arm forwards it), and is shown in the prompt as the task contract.
    """
    body = [_section("request", _conversation(request))]
    if request.expect:
        body.append(_section("contract", json.dumps(request.expect, ensure_ascii=False, sort_keys=True)))
    body += [_section("answer-a", answer_a), _section("answer-b", answer_b),
             "Which answer is better by the rubric? Reply with the JSON object only."]
    system = _INSTRUCTIONS.format(marker=JUDGE_MARKER, rubric=rubric)
    return ChatRequest(id=request_id, messages=({"role": "system", "content": system},
                                                {"role": "user", "content": "\n\n".join(body)}),
                       category=request.category, expect=dict(request.expect))


def is_judge_request(request: ChatRequest) -> bool:
    """Whether ``request`` was built by ``judge_request`` (its first message carries the marker)."""
    if not request.messages:
        return False
    content = request.messages[0].get("content")
    return isinstance(content, str) and content.startswith(JUDGE_MARKER)


def judge_sections(request: ChatRequest) -> JudgeSections | None:
    """The sections of a judge request, or ``None`` when ``request`` is not one."""
    if not is_judge_request(request) or len(request.messages) < 2:
        return None
    content = request.messages[1].get("content")
    text = content if isinstance(content, str) else ""
    found = _read_sections(text)
    return JudgeSections(request=found["request"], contract=dict(request.expect), answer_a=found["answer-a"],
                         answer_b=found["answer-b"])


def parse_verdict(text: str) -> tuple[Winner, str] | None:
    """``(winner, reason)`` from a judge's answer, or ``None`` when it says neither A, B nor tie."""
    stripped = text.strip()
    fenced = _FENCE.match(stripped)
    if fenced:
        stripped = fenced.group(1).strip()
    bare = _BARE.match(stripped)
    winner = _winner(bare.group(1)) if bare else None
    if winner is not None:
        return winner, ""
    verdict = _from_json(stripped)
    if verdict is None:
        embedded = _OBJECT.search(stripped)
        verdict = _from_json(embedded.group(0)) if embedded else None
    return verdict


def one_line(text: str, limit: int = _REASON_CHARS) -> str:
    """``text`` on one line, clipped to ``limit`` characters."""
    flat = " ".join(text.split())
    return flat if len(flat) <= limit else flat[: limit - 1] + "…"


def _from_json(text: str) -> tuple[Winner, str] | None:
    try:
        data = json.loads(text)
    except json.JSONDecodeError:
        return None
    if not isinstance(data, dict) or not isinstance(data.get("winner"), str):
        return None
    winner = _winner(data["winner"].strip())
    if winner is None:
        return None
    reason = data.get("reason")
    return winner, one_line(reason) if isinstance(reason, str) else ""


def _winner(word: str) -> Winner | None:
    lowered = word.lower()
    if lowered in ("a", "b"):
        return "A" if lowered == "a" else "B"
    return "tie" if lowered == "tie" else None


def _section(name: str, text: str) -> str:
    return f"<<<{name}>>>\n{text}\n<<</{name}>>>"


def _read_sections(text: str) -> dict[str, str]:
    """Each section's text, searched in order, each after the previous one ends ("" when missing)."""
    found: dict[str, str] = {}
    position = 0
    for name in _SECTIONS:
        opening, closing = f"<<<{name}>>>\n", f"\n<<</{name}>>>"
        start = text.find(opening, position)
        if start < 0:
            found[name] = ""
            continue
        start += len(opening)
        end = text.find(closing, start)
        end = len(text) if end < 0 else end
        found[name], position = text[start:end], end
    return found


def _conversation(request: ChatRequest) -> str:
    return "\n".join(f"{message.get('role', 'user')}: {message_text(message)}" for message in request.messages)
