"""A defensive JSON parser for model outputs.

What it is: ``extract_json``, which recovers a JSON value from what models actually send:
bare JSON, JSON inside a markdown fence, JSON after a preamble or before trailing
commentary, or the first balanced object/array in prose. The comparison uses it to tell
"fix the parser" apart from "reject the model". What it is not: a repair tool for broken
JSON (no quote or comma fixing); a value it cannot parse exactly is not recovered.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from typing import Any, Literal

How = Literal["bare", "fenced", "embedded"]

_FENCE = re.compile(r"```[ \t]*([A-Za-z0-9_+-]*)[ \t]*\r?\n(.*?)(?:\r?\n)?```", re.DOTALL)
_DECODER = json.JSONDecoder()


@dataclass(frozen=True, kw_only=True, slots=True)
class Extracted:
    """A recovered value, how it was found, and the text around it."""

    value: Any
    how: How
    before: str = ""
    after: str = ""


def parse_strict(text: str) -> tuple[bool, Any]:
    """(True, value) when ``text`` is exactly one JSON value (whitespace allowed), else (False, None)."""
    try:
        return True, json.loads(text)
    except (json.JSONDecodeError, TypeError):
        return False, None


def extract_json(text: str | None) -> Extracted | None:
    """The JSON object or array in ``text``, or None when there is none to recover."""
    if not text:
        return None
    ok, value = parse_strict(text)
    if ok and isinstance(value, (dict, list)):
        return Extracted(value=value, how="bare")
    for match in _FENCE.finditer(text):
        ok, value = parse_strict(match.group(2))
        if ok and isinstance(value, (dict, list)):
            return Extracted(value=value, how="fenced", before=text[: match.start()].strip(),
                             after=text[match.end():].strip())
    return _first_balanced(text)


def _first_balanced(text: str) -> Extracted | None:
    for start, char in enumerate(text):
        if char not in "{[":
            continue
        try:
            value, end = _DECODER.raw_decode(text, start)
        except json.JSONDecodeError:
            continue
        if isinstance(value, dict) or (isinstance(value, list) and value):
            return Extracted(value=value, how="embedded", before=text[:start].strip(), after=text[end:].strip())
    return None
