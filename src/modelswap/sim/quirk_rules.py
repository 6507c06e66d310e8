"""The transformations behind each quirk of the simulator, as pure functions.

What it is: one small rule per quirk, turning a structured ``Answer`` (or its rendered text)
into the misbehaving one, plus the canned texts they use and ``number_to_words``. A rule
returns ``None`` when it does not apply (a label quirk on a JSON answer, a key quirk on a
non-object), so the caller lists only the quirks that changed something. What it is not:
deciding whether a quirk happens (``modelswap.sim.model`` does, from its seeded hash); the
only randomness a rule sees is ``draw``, a deterministic integer for choices among variants.

The transformations are fixed so tests can pin them: ``rename_key`` renames the first key,
``drop_key`` drops the last, ``spelled_number`` spells the first integer (depth-first),
``extra_item`` repeats the last element of the first list. The degenerate texts replace the
whole answer: ``echo`` is the last user message, ``repetition_loop`` the answer's first line (or
its first six words) repeated to a word budget.
"""

from __future__ import annotations

import copy
import re
from collections.abc import Callable
from dataclasses import replace
from typing import Any

from modelswap.sim.base import SENTENCES, Answer, bullet_item, last_user_text
from modelswap.sim.quirks import Quirks
from modelswap.types import ChatRequest

AnswerRule = Callable[[Answer, Quirks, int], Answer | None]
TextRule = Callable[[str, Answer, int], str | None]

REFUSALS = (
    "I'm sorry, but I can't help with that.",
    "I'm sorry, but I can't assist with that request.",
    "I can't help with that. Is there something else I can do for you?",
)
PREAMBLE_JSON = "Here's the JSON:\n"
PREAMBLE_OTHER = "Sure, here you go:\n"
TRAILING_COMMENTARY = "\n\nLet me know if you need anything else!"
LABEL_IN_PROSE = "The answer is {label} because that is what the text conveys."
WRAP_KEY = "result"
LOOP_TOKENS = 256
"""How far a repetition loop runs when the request sets no ``max_tokens``."""
LOOP_UNIT_WORDS = 6

PARAPHRASES: dict[str, str] = {
    "en": "The team will meet in the afternoon, and the weather is pleasant today.",
    "fr": "L'équipe se réunira dans l'après-midi, et il fait beau aujourd'hui.",
    "es": "El equipo se reunirá por la tarde, y hoy hace buen tiempo.",
    "de": "Das Team trifft sich am Nachmittag, und heute ist das Wetter angenehm.",
    "ja": "チームは午後に集まります。今日は天気が良いです。",
    "zh": "团队将在下午开会，今天天气很好。",
    "pt": "A equipe vai se reunir à tarde, e o tempo está agradável hoje.",
    "it": "La squadra si riunirà nel pomeriggio, e oggi il tempo è piacevole.",
    "ru": "Команда встретится после обеда, а сегодня хорошая погода.",
    "nl": "Het team komt 's middags bij elkaar, en het weer is vandaag aangenaam.",
    "ko": "팀은 오후에 모이고, 오늘은 날씨가 좋습니다.",
}
"""The canned sentence of each language, reworded with the same meaning (clauses swapped)."""

_CANNED_PARAPHRASE = {SENTENCES[lang]: PARAPHRASES[lang] for lang in SENTENCES}
_SHORT_ANSWER = re.compile(r"^Here is a short answer about (.*)\.$", re.DOTALL)
_SYNONYMS = {"short": "brief", "answer": "reply", "because": "since", "point": "note", "about": "on"}
_SYNONYM_WORDS = re.compile(r"\b(" + "|".join(_SYNONYMS) + r")\b")
_KEY_SYNONYMS = {
    "name": "title", "title": "name", "price": "cost", "cost": "price", "age": "years", "email": "email_address",
    "summary": "abstract", "answer": "response", "label": "category", "category": "label", "sentiment": "label",
    "count": "total", "total": "sum", "id": "identifier", "city": "town", "country": "nation", "date": "day",
}

_ONES = ("zero", "one", "two", "three", "four", "five", "six", "seven", "eight", "nine", "ten", "eleven", "twelve",
         "thirteen", "fourteen", "fifteen", "sixteen", "seventeen", "eighteen", "nineteen")
_TENS = ("", "", "twenty", "thirty", "forty", "fifty", "sixty", "seventy", "eighty", "ninety")
_SPELLABLE = 1_000_000


def number_to_words(n: int) -> str:
    """English words for an integer with ``abs(n) < 1_000_000``: 34 → "thirty-four", -7 → "minus seven"."""
    if n < 0:
        return f"minus {number_to_words(-n)}"
    if n >= _SPELLABLE:
        raise ValueError(f"{n} is out of range: only |n| < {_SPELLABLE} can be spelled")
    if n < 20:
        return _ONES[n]
    if n < 100:
        tens, rest = divmod(n, 10)
        return _TENS[tens] + (f"-{_ONES[rest]}" if rest else "")
    big, unit = (1000, "thousand") if n >= 1000 else (100, "hundred")
    head, rest = divmod(n, big)
    return f"{number_to_words(head)} {unit}" + (f" {number_to_words(rest)}" if rest else "")


def refusal_text(draw: int) -> str:
    """One of the canned refusals."""
    return REFUSALS[draw % len(REFUSALS)]


# --- answer rules, in the order ANSWER_RULES applies them --------------------------------------

def to_language(answer: Answer, quirks: Quirks, draw: int) -> Answer | None:
    """Prose in another language becomes the canned sentence in ``quirks.language``.

    JSON keeps its structure: only its generated prose value (``prose_key``) is translated.
    Labels and bullets are left alone.
    """
    sentence = SENTENCES.get(quirks.language)
    if sentence is None or answer.language == quirks.language:
        return None
    if answer.kind == "prose":
        return replace(answer, text=sentence, language=quirks.language)
    key = answer.prose_key
    if answer.kind == "json" and key and isinstance(answer.value, dict) and key in answer.value:
        return replace(answer, value={**answer.value, key: sentence}, language=quirks.language)
    return None


def wrong_label(answer: Answer, quirks: Quirks, draw: int) -> Answer | None:
    """Another label from ``labels``."""
    if answer.kind != "label":
        return None
    others = [label for label in dict.fromkeys(answer.labels) if label != answer.text]
    return replace(answer, text=others[draw % len(others)]) if others else None


def label_in_prose(answer: Answer, quirks: Quirks, draw: int) -> Answer | None:
    """The label inside a sentence: "The answer is positive because ..."."""
    if answer.kind != "label":
        return None
    return replace(answer, kind="prose", text=LABEL_IN_PROSE.format(label=answer.text))


def extra_item(answer: Answer, quirks: Quirks, draw: int) -> Answer | None:
    """One more bullet, or one more element (a copy of the last) in the first JSON list."""
    if answer.kind == "bullets":
        return replace(answer, items=(*answer.items, bullet_item(len(answer.items) + 1, answer.topic)))
    if answer.kind == "json":
        value = _extend_first_list(answer.value)
        return None if value is None else replace(answer, value=value)
    return None


def spelled_number(answer: Answer, quirks: Quirks, draw: int) -> Answer | None:
    """The first integer of a JSON answer (depth-first) spelled in words."""
    if answer.kind != "json":
        return None
    value = _spell_first_int(answer.value)
    return None if value is None else replace(answer, value=value)


def rename_key(answer: Answer, quirks: Quirks, draw: int) -> Answer | None:
    """The first key of a JSON object renamed: a synonym, else camelCase, else capitalized."""
    if answer.kind != "json" or not isinstance(answer.value, dict) or not answer.value:
        return None
    first = next(iter(answer.value))
    new = _renamed(first, set(answer.value))
    value = {new if key == first else key: item for key, item in answer.value.items()}
    return replace(answer, value=value, prose_key=new if answer.prose_key == first else answer.prose_key)


def drop_key(answer: Answer, quirks: Quirks, draw: int) -> Answer | None:
    """The last key of a JSON object dropped."""
    if answer.kind != "json" or not isinstance(answer.value, dict) or not answer.value:
        return None
    last = list(answer.value)[-1]
    return replace(answer, value={key: item for key, item in answer.value.items() if key != last})


def wrap_object(answer: Answer, quirks: Quirks, draw: int) -> Answer | None:
    """The JSON value wrapped: ``{"result": value}``."""
    if answer.kind != "json":
        return None
    return replace(answer, value={WRAP_KEY: answer.value}, prose_key=None)


def paraphrase(answer: Answer, quirks: Quirks, draw: int) -> Answer | None:
    """A neutral look-alike: prose and bullets reworded (bullets marked ``*``); JSON keys in
    reverse order, indented, with its generated prose value reworded. Labels are left alone."""
    if answer.kind == "json":
        value = answer.value
        if isinstance(value, dict):
            value = dict(reversed(value.items()))
            if answer.prose_key in value:
                value[answer.prose_key] = paraphrase_text(str(value[answer.prose_key]))
        return replace(answer, value=value, pretty=True)
    if answer.kind == "prose":
        return replace(answer, text=paraphrase_text(answer.text))
    if answer.kind == "bullets":
        return replace(answer, items=tuple(paraphrase_text(item) for item in answer.items), marker="*")
    return None


def paraphrase_text(text: str) -> str:
    """Reword ``text`` keeping its meaning: canned sentences have a twin, others get synonyms."""
    if text in _CANNED_PARAPHRASE:
        return _CANNED_PARAPHRASE[text]
    match = _SHORT_ANSWER.match(text)
    if match:
        return f"About {match.group(1)}, here is a brief answer."
    reworded = _SYNONYM_WORDS.sub(lambda m: _SYNONYMS[m.group(1)], text)
    return reworded if reworded != text else f"In short: {text}"


ANSWER_RULES: tuple[tuple[str, AnswerRule], ...] = (
    ("language", to_language), ("wrong_label", wrong_label), ("label_in_prose", label_in_prose),
    ("extra_item", extra_item), ("spelled_number", spelled_number), ("rename_key", rename_key),
    ("drop_key", drop_key), ("wrap_object", wrap_object), ("paraphrase", paraphrase),
)
"""Quirks applied to the structured answer, in this order."""


# --- text rules, applied to the rendered answer in the order TEXT_RULES lists -------------------

def json_fence(text: str, answer: Answer, draw: int) -> str | None:
    """A JSON answer inside a markdown ```json fence."""
    return f"```json\n{text}\n```" if answer.kind == "json" else None


def preamble(text: str, answer: Answer, draw: int) -> str | None:
    """A line before the answer: "Here's the JSON:" for JSON, "Sure, here you go:" otherwise."""
    return (PREAMBLE_JSON if answer.kind == "json" else PREAMBLE_OTHER) + text


def trailing_commentary(text: str, answer: Answer, draw: int) -> str | None:
    """A sentence after the answer."""
    return text + TRAILING_COMMENTARY


TEXT_RULES: tuple[tuple[str, TextRule], ...] = (
    ("json_fence", json_fence), ("preamble", preamble), ("trailing_commentary", trailing_commentary),
)
"""Quirks applied to the rendered text, in this order (the fence inside the preamble and commentary)."""


# --- degenerate texts, replacing the whole answer ------------------------------------------------

def echo(request: ChatRequest) -> str | None:
    """The last user message, given back as the answer (None when there is none)."""
    prompt = last_user_text(request)
    return prompt if prompt.strip() else None


def repetition_loop(text: str, words: int) -> str | None:
    """The first line of ``text`` repeated, one per line, to exactly ``words`` words; a line longer than
    six words gives its first six, repeated as a phrase ("Here is a short answer about Here is ...")."""
    first = next((line.split() for line in text.splitlines() if line.strip()), [])
    if not first or words <= 0:
        return None
    unit, separator = (first, "\n") if len(first) <= LOOP_UNIT_WORDS else (first[:LOOP_UNIT_WORDS], " ")
    full, rest = divmod(words, len(unit))
    return separator.join([" ".join(unit)] * full + ([" ".join(unit[:rest])] if rest else []))


def truncate(text: str) -> str:
    """The first half of ``text`` (at least one character of a non-empty text)."""
    return text[: max(1, len(text) // 2)] if text else text


def _renamed(key: str, taken: set[str]) -> str:
    if key in _KEY_SYNONYMS:
        candidate = _KEY_SYNONYMS[key]
    elif "_" in key.strip("_"):
        head, *rest = key.split("_")
        candidate = head + "".join(part.capitalize() for part in rest)
    else:
        candidate = key.capitalize()
    return candidate if candidate != key and candidate not in taken else f"{key}_value"


def _extend_first_list(value: Any) -> Any:
    if isinstance(value, list):
        return [*value, copy.deepcopy(value[-1])] if value else None
    if isinstance(value, dict):
        for key, item in value.items():
            new = _extend_first_list(item)
            if new is not None:
                return {**value, key: new}
    return None


def _spell_first_int(value: Any) -> Any:
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        return number_to_words(value) if abs(value) < _SPELLABLE else None
    if isinstance(value, dict):
        for key, item in value.items():
            new = _spell_first_int(item)
            if new is not None:
                return {**value, key: new}
    if isinstance(value, list):
        for index, item in enumerate(value):
            new = _spell_first_int(item)
            if new is not None:
                return [*value[:index], new, *value[index + 1:]]
    return None
