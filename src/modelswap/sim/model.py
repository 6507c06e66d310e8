"""The simulated model: a pure, deterministic function from a request to an outcome.

What it is: ``simulate`` (the base answer of ``modelswap.sim.base`` put through the quirks of
``modelswap.sim.quirk_rules`` at the rates of a ``Quirks``) and ``SimOutcome``, its result.
What it is not: waiting, HTTP or observations; the backend (``modelswap.backends.sim``) and
the server (``modelswap.sim.server``) do those with the outcome.

Determinism: every random decision is a keyed BLAKE2b hash of (seed, request, decision name):
the request is its id (or, when the id is empty, the canonical JSON of its messages and
params) plus ``params["seed"]``, so the replica of a recorded request (another derived seed)
gets independent draws. Each quirk is decided on its own hash, so quirks are independent of
each other and two simulator seeds are independent of each other. Python's ``hash()`` and
global random state are never used. The base answer does not depend on the seed at all.

Quirk order:

0. a judge request (``modelswap.sim.judge``) is answered with a JSON verdict instead of the base
   answer (``position_bias`` at ``position_bias_rate``); steps 1-5 apply to it as to any answer.
1. refusal: when ``request.category`` is in ``refusal_categories`` (``refusal_category``), the
   prompt contains one of ``refusal_keywords``, case-insensitive (``refusal_keyword``), or at
   ``refusal_rate`` (``refusal``). A refusal is one of three canned texts and skips steps 2-3.
2. on the structured answer: language, wrong_label, label_in_prose, extra_item,
   spelled_number, rename_key, drop_key, wrap_object, paraphrase.
3. on the rendered text: json_fence, preamble, trailing_commentary; then at most one degenerate
   quirk, which replaces the whole text: the first drawn of empty (``""``), echo (the last user
   message) and repetition (the answer's first line, or its first six words, repeated to the
   words ``max_tokens`` allows, 256 tokens without it; finish reason ``length``).
4. truncation (the first half, finish reason ``length``); then ``params["max_tokens"]`` (or
   ``max_completion_tokens``) cuts the output to the words that fit, finish reason ``length``
   (listed as ``max_tokens``).
5. hang (wait ``hang_s`` instead of the latency), then error (status ``error_status``, no output).

``applied`` lists, in that order, the quirks that changed something (a label quirk drawn for
a JSON answer is not listed). Latency is log-normal: ``median_ms * exp(sigma * z)`` with z a
standard normal drawn from the hash.

Usage: ``prompt_tokens`` is the words (whitespace-separated) of every message's text times 1.3,
``completion_tokens`` the words of the output times 1.3, both rounded half up. Text without
spaces (Japanese, Chinese) counts as few words: this is an estimate, not a tokenizer.
"""

from __future__ import annotations

import hashlib
import json
import math
import re
from collections.abc import Callable
from dataclasses import dataclass
from statistics import NormalDist

from modelswap.sim.base import Answer, base_answer, render
from modelswap.sim.judge import judge_answer
from modelswap.sim.quirk_rules import (
    ANSWER_RULES,
    LOOP_TOKENS,
    TEXT_RULES,
    echo,
    refusal_text,
    repetition_loop,
    truncate,
)
from modelswap.sim.quirks import Quirks
from modelswap.types import ChatRequest, Usage, message_text

_WORD = re.compile(r"\S+")
_UNIT = NormalDist()


@dataclass(frozen=True, kw_only=True, slots=True)
class SimOutcome:
    """What the simulated model does with one request: an answer or an error, and how long it takes."""

    model: str
    output: str | None
    finish_reason: str | None
    usage: Usage
    latency_ms: float
    hang: bool = False
    hang_s: float = 0.0
    error_status: int | None = None
    error_message: str | None = None
    applied: tuple[str, ...] = ()

    @property
    def wait_s(self) -> float:
        """Seconds to wait before answering: ``hang_s`` when hanging, else the latency."""
        return self.hang_s if self.hang else self.latency_ms / 1000


@dataclass(frozen=True, slots=True)
class Dice:
    """Deterministic draws for one (seed, request): each name gives its own independent value."""

    key: bytes

    @classmethod
    def for_request(cls, seed: int, request: ChatRequest) -> Dice:
        """The dice of ``request`` under simulator ``seed`` (see the module docstring)."""
        ident = request.id or _canonical(request)
        material = f"{seed}\x00{ident}\x00{json.dumps(request.params.get('seed'), default=str)}"
        return cls(hashlib.blake2b(material.encode(), digest_size=32).digest())

    def integer(self, name: str) -> int:
        """A 64-bit integer for decision ``name``."""
        digest = hashlib.blake2b(name.encode(), digest_size=8, key=self.key).digest()
        return int.from_bytes(digest, "big")

    def uniform(self, name: str) -> float:
        """A number in the open interval (0, 1) for decision ``name``."""
        return ((self.integer(name) >> 11) + 0.5) / 2**53

    def hit(self, name: str, rate: float) -> bool:
        """Whether decision ``name`` happens at probability ``rate``."""
        return self.uniform(name) < rate


def simulate(request: ChatRequest, *, seed: int, quirks: Quirks, model: str = "sim") -> SimOutcome:
    """The outcome of ``request`` on the simulator seeded ``seed`` with ``quirks``; pure and deterministic."""
    dice = Dice.for_request(seed, request)
    applied: list[str] = []
    refusal = _refusal(request, quirks, dice)
    finish_reason = "stop"
    if refusal is not None:
        applied.append(refusal)
        text = refusal_text(dice.integer("refusal:variant"))
    else:
        text = _shaped(_answer(request, quirks, dice, applied), quirks, dice, applied)
        text, finish_reason = _degenerate(text, request, quirks, dice, applied)
    text, finish_reason = _limited(text, finish_reason, request, quirks, dice, applied)
    hang = dice.hit("hang", quirks.hang_rate)
    error = dice.hit("error", quirks.error_rate)
    applied += [name for name, happened in (("hang", hang), ("error", error)) if happened]
    prompt_tokens = _tokens(" ".join(message_text(m) for m in request.messages))
    return SimOutcome(
        model=model, output=None if error else text, finish_reason=None if error else finish_reason,
        usage=Usage(prompt_tokens=prompt_tokens, completion_tokens=0 if error else _tokens(text)),
        latency_ms=_latency_ms(quirks, dice), hang=hang, hang_s=quirks.hang_s if hang else 0.0,
        error_status=quirks.error_status if error else None,
        error_message=f"simulated upstream error (status {quirks.error_status})" if error else None,
        applied=tuple(applied))


def _answer(request: ChatRequest, quirks: Quirks, dice: Dice, applied: list[str]) -> Answer:
    """The base answer, or the verdict when ``request`` asks the simulator to judge (``modelswap.sim.judge``)."""
    biased = dice.hit("position_bias", quirks.position_bias_rate)
    verdict = judge_answer(request, position_bias=biased)
    if verdict is None:
        return base_answer(request)
    if biased:
        applied.append("position_bias")
    return verdict


def _refusal(request: ChatRequest, quirks: Quirks, dice: Dice) -> str | None:
    if request.category in quirks.refusal_categories:
        return "refusal_category"
    prompt = " ".join(message_text(m) for m in request.messages).lower()
    if any(keyword.lower() in prompt for keyword in quirks.refusal_keywords if keyword):
        return "refusal_keyword"
    return "refusal" if dice.hit("refusal", quirks.refusal_rate) else None


def _shaped(answer: Answer, quirks: Quirks, dice: Dice, applied: list[str]) -> str:
    for name, rule in ANSWER_RULES:
        if dice.hit(name, getattr(quirks, f"{name}_rate")):
            changed = rule(answer, quirks, dice.integer(f"{name}:variant"))
            if changed is not None:
                answer = changed
                applied.append(name)
    text = render(answer)
    for name, text_rule in TEXT_RULES:
        if dice.hit(name, getattr(quirks, f"{name}_rate")):
            new = text_rule(text, answer, dice.integer(f"{name}:variant"))
            if new is not None:
                text = new
                applied.append(name)
    return text


def _degenerate(text: str, request: ChatRequest, quirks: Quirks, dice: Dice, applied: list[str]) -> tuple[str, str]:
    """At most one degenerate quirk: the first drawn (each on its own hash) of empty, echo, repetition."""
    limit = _max_tokens(request)
    words = (LOOP_TOKENS if limit is None else limit) * 10 // 13
    rules: tuple[tuple[str, Callable[[], str | None], str], ...] = (
        ("empty", lambda: "", "stop"), ("echo", lambda: echo(request), "stop"),
        ("repetition", lambda: repetition_loop(text, words), "length"))
    for name, rule, finish_reason in rules:
        if dice.hit(name, getattr(quirks, f"{name}_rate")):
            new = rule()
            if new is not None:
                applied.append(name)
                return new, finish_reason
    return text, "stop"


def _limited(text: str, finish_reason: str, request: ChatRequest, quirks: Quirks, dice: Dice,
             applied: list[str]) -> tuple[str, str]:
    if dice.hit("truncation", quirks.truncation_rate) and text:
        text, finish_reason = truncate(text), "length"
        applied.append("truncation")
    limit = _max_tokens(request)
    if limit is not None and _tokens(text) > limit:
        text, finish_reason = _first_words(text, limit * 10 // 13), "length"
        applied.append("max_tokens")
    return text, finish_reason


def _max_tokens(request: ChatRequest) -> int | None:
    limit = request.params.get("max_completion_tokens", request.params.get("max_tokens"))
    return limit if isinstance(limit, int) and not isinstance(limit, bool) and limit >= 0 else None


def _latency_ms(quirks: Quirks, dice: Dice) -> float:
    median, sigma = quirks.latency.median_ms, quirks.latency.sigma
    if median <= 0:
        return 0.0
    return median * math.exp(sigma * _UNIT.inv_cdf(dice.uniform("latency")))


def _tokens(text: str) -> int:
    """Words times 1.3, rounded half up."""
    return (len(text.split()) * 13 + 5) // 10


def _first_words(text: str, count: int) -> str:
    words = list(_WORD.finditer(text))
    return text[: words[count - 1].end()] if count > 0 else ""


def _canonical(request: ChatRequest) -> str:
    return json.dumps({"messages": list(request.messages), "params": request.params},
                      sort_keys=True, ensure_ascii=False, default=str)
