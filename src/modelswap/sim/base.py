"""The simulator's base behaviour: the answer a well-behaved model gives, before any quirk.

What it is: a pure function from a ``ChatRequest`` to a structured ``Answer`` (a JSON value,
a label, bullet items or prose) and the rendering of an answer to text. What it is not: the
quirks (``modelswap.sim.quirk_rules``) nor any randomness. The base answer depends on the
request only, never on the seed, so two seeds without quirks agree exactly.

Where the answer comes from (first match wins):

1. ``expect.format == "json"``: ``fields`` (gold values, in the given order) followed by any
   other ``schema`` property built with a plausible typed value; with neither, ``{"answer": <sentence>}``.
2. ``expect.format == "label"``: the gold ``label``, else the first of ``labels``.
3. ``expect.bullets == N``: N lines ``- item k: a point about <topic>``.
4. ``expect.language == xx``: the canned sentence of ``SENTENCES`` in that language (English if unknown).
5. Inference from the prompt (the system messages and the last user message, case-insensitive):
   the word "json" gives ``{"answer": <sentence>}``; "N bullet points" or "N bullets" (N in
   digits or one..ten) gives N bullets; anything else the sentence.

The sentence is ``Here is a short answer about <topic>.``, where the topic is the first five
words of the last user message without surrounding punctuation.
"""

from __future__ import annotations

import hashlib
import json
import re
from dataclasses import dataclass
from typing import Any, Literal

from modelswap.types import ChatRequest

AnswerKind = Literal["json", "label", "bullets", "prose"]

SENTENCES: dict[str, str] = {
    "en": "The weather is pleasant today, and the team will meet in the afternoon.",
    "fr": "Il fait beau aujourd'hui, et l'équipe se réunira dans l'après-midi.",
    "es": "Hoy hace buen tiempo, y el equipo se reunirá por la tarde.",
    "de": "Heute ist das Wetter angenehm, und das Team trifft sich am Nachmittag.",
    "ja": "今日は天気が良く、チームは午後に集まります。",
    "zh": "今天天气很好，团队将在下午开会。",
    "pt": "O tempo está agradável hoje, e a equipe vai se reunir à tarde.",
    "it": "Oggi il tempo è piacevole, e la squadra si riunirà nel pomeriggio.",
    "ru": "Сегодня хорошая погода, и команда встретится после обеда.",
    "nl": "Het weer is vandaag aangenaam, en het team komt 's middags bij elkaar.",
    "ko": "오늘은 날씨가 좋고, 팀은 오후에 모입니다.",
}
"""One canned sentence per language, the same meaning in each."""

SHORT_ANSWER = "Here is a short answer about {topic}."
NUMBER_WORDS = ("one", "two", "three", "four", "five", "six", "seven", "eight", "nine", "ten")
_WORDS = ("alpha", "amber", "blue", "cedar", "delta", "ember", "maple", "orbit", "river", "stone")
_BULLETS = re.compile(r"\b(\d{1,2}|" + "|".join(NUMBER_WORDS) + r")\s+bullet(?:[\s-]+point)?s?\b")
_JSON = re.compile(r"\bjson\b")
_PUNCTUATION = "\"'.,;:!?()[]{}«»“”‘’¿¡"
_TOPIC_WORDS = 5
_MAX_BULLETS = 50
_MAX_DEPTH = 8


@dataclass(frozen=True, kw_only=True, slots=True)
class Answer:
    """A structured answer; ``render`` turns it into the output text.

    ``value`` is the JSON value of a ``json`` answer, ``text`` the label of a ``label`` answer
    or the sentence of a ``prose`` one, ``items`` the bullet lines (without their marker).
    ``prose_key`` names the JSON key whose value is generated prose (a language quirk may
    translate it); ``pretty`` renders JSON indented; ``language`` is the language of the prose.
    """

    kind: AnswerKind
    value: Any = None
    text: str = ""
    items: tuple[str, ...] = ()
    marker: str = "-"
    labels: tuple[str, ...] = ()
    topic: str = ""
    prose_key: str | None = None
    pretty: bool = False
    language: str = "en"


def base_answer(request: ChatRequest) -> Answer:
    """The answer a well-behaved model gives to ``request`` (see the module docstring)."""
    expect = request.expect
    topic = topic_of(request)
    fmt = expect.get("format")
    if fmt == "json":
        return _json_answer(expect, topic)
    if fmt == "label" and (expect.get("label") or expect.get("labels")):
        labels = tuple(str(label) for label in expect.get("labels") or ())
        return Answer(kind="label", text=str(expect.get("label") or labels[0]), labels=labels, topic=topic)
    if isinstance(expect.get("bullets"), int) and not isinstance(expect["bullets"], bool):
        return bullets_answer(expect["bullets"], topic)
    if isinstance(expect.get("language"), str):
        language = _known(expect["language"])
        return Answer(kind="prose", text=SENTENCES[language], topic=topic, language=language)
    return _inferred(request, topic)


def render(answer: Answer) -> str:
    """The output text of ``answer``: one-line JSON (indented when ``pretty``), the label, the lines or the prose."""
    if answer.kind == "json":
        return json.dumps(answer.value, ensure_ascii=False, indent=2 if answer.pretty else None)
    if answer.kind == "bullets":
        return "\n".join(f"{answer.marker} {item}" for item in answer.items)
    return answer.text


def bullet_item(k: int, topic: str) -> str:
    """The k-th bullet line, without its marker."""
    return f"item {k}: a point about {topic}"


def bullets_answer(count: int, topic: str) -> Answer:
    """``count`` bullet items about ``topic`` (capped at 50)."""
    count = max(0, min(count, _MAX_BULLETS))
    return Answer(kind="bullets", items=tuple(bullet_item(k, topic) for k in range(1, count + 1)), topic=topic)


def last_user_text(request: ChatRequest) -> str:
    """The text of the last user message, or "" when there is none."""
    return request.last_user_text()


def topic_of(request: ChatRequest) -> str:
    """The first five words of the last user message, stripped of punctuation ("your question" if none)."""
    words = (word.strip(_PUNCTUATION) for word in last_user_text(request).split())
    kept = [word for word in words if word][:_TOPIC_WORDS]
    return " ".join(kept) or "your question"


def _inferred(request: ChatRequest, topic: str) -> Answer:
    prompt = " ".join(request.prompt_texts()).lower()
    if _JSON.search(prompt):
        return Answer(kind="json", value={"answer": SHORT_ANSWER.format(topic=topic)}, prose_key="answer", topic=topic)
    match = _BULLETS.search(prompt)
    if match:
        word = match.group(1)
        return bullets_answer(int(word) if word.isdigit() else NUMBER_WORDS.index(word) + 1, topic)
    return Answer(kind="prose", text=SHORT_ANSWER.format(topic=topic), topic=topic)


def _json_answer(expect: dict[str, Any], topic: str) -> Answer:
    fields = expect.get("fields")
    schema = expect.get("schema")
    if isinstance(fields, dict) and fields:
        value = dict(fields)
        if isinstance(schema, dict):
            for name, sub in _properties(schema).items():
                value.setdefault(name, schema_value(sub, name))
        return Answer(kind="json", value=value, topic=topic)
    if isinstance(schema, dict) and schema:
        return Answer(kind="json", value=schema_value(schema, "root"), topic=topic)
    language = expect.get("language")
    if isinstance(language, str):
        known = _known(language)
        return Answer(kind="json", value={"answer": SENTENCES[known]}, prose_key="answer", topic=topic,
                      language=known)
    return Answer(kind="json", value={"answer": SHORT_ANSWER.format(topic=topic)}, prose_key="answer", topic=topic)


def _known(language: str) -> str:
    return language if language in SENTENCES else "en"


def schema_value(schema: dict[str, Any], name: str, depth: int = 0) -> Any:
    """A plausible value for a JSON Schema; the same schema and property name always give the same value.

    ``const`` and the first of ``enum`` win; then by type: string (a short word, or a date
    or e-mail address by ``format``), integer (10..99), number (x.5), boolean, null, array
    (two elements) and object (every property, recursively).
    """
    if "const" in schema:
        return schema["const"]
    if isinstance(schema.get("enum"), list) and schema["enum"]:
        return schema["enum"][0]
    kind = _type_of(schema)
    stable = _stable(name)
    if depth >= _MAX_DEPTH:
        return None
    if kind == "object":
        return {key: schema_value(sub, key, depth + 1) for key, sub in _properties(schema).items()}
    if kind == "array":
        items = schema.get("items")
        items = items if isinstance(items, dict) else {}
        return [schema_value(items, f"{name}[{i}]", depth + 1) for i in range(2)]
    if kind == "integer":
        return 10 + stable % 90
    if kind == "number":
        return stable % 100 + 0.5
    if kind == "boolean":
        return stable % 2 == 0
    if kind == "null":
        return None
    return _string_value(schema, stable)


def _string_value(schema: dict[str, Any], stable: int) -> str:
    word = _WORDS[stable % len(_WORDS)]
    fmt = schema.get("format")
    if fmt == "date":
        return f"2024-{1 + stable % 12:02d}-{1 + stable % 28:02d}"
    if fmt == "email":
        return f"{word}@example.com"
    return word


def _type_of(schema: dict[str, Any]) -> str:
    kind = schema.get("type")
    if isinstance(kind, list):
        kind = next((k for k in kind if k != "null"), "null")
    if kind is None and "properties" in schema:
        return "object"
    return str(kind) if kind is not None else "string"


def _properties(schema: dict[str, Any]) -> dict[str, dict[str, Any]]:
    properties = schema.get("properties")
    if not isinstance(properties, dict):
        return {}
    return {str(key): sub if isinstance(sub, dict) else {} for key, sub in properties.items()}


def _stable(name: str) -> int:
    return int.from_bytes(hashlib.blake2b(name.encode(), digest_size=4).digest(), "big")
