"""Redaction before storage: the ``redact:`` rules and the arms' own keys, applied to stored text.

What it is: ``Redactor``, built once from the configured rules (``RedactRule``, presets
included) plus literal secrets (every arm's upstream API key, replaced by ``***``). ``text``
rewrites one string; ``request`` and ``observation`` return copies of a ``ChatRequest`` or an
``Observation`` with every string inside (messages, params, output, error message) rewritten.
The gateway's recorder applies it to everything it stores (secrets and configured patterns never reach the store).

What it is not: a filter on what clients receive. Responses go back untouched; only the stored
copy is redacted. Regexes are best effort: they catch the usual shapes, not every secret.
"""

from __future__ import annotations

import dataclasses
import re
from collections.abc import Iterable
from typing import Any, TypeVar

from modelswap.config import RedactRule
from modelswap.types import ChatRequest, Observation

SECRET_MARK = "***"

_T = TypeVar("_T")


class Redactor:
    """Rewrites stored text: literal ``secrets`` first, then each rule's regex in order."""

    def __init__(self, rules: Iterable[RedactRule] = (), *, secrets: Iterable[str] = ()) -> None:
        # the replacement is literal text: escape backslashes so ``re`` reads no group references in it
        self.rules = tuple((re.compile(rule.pattern), rule.text.replace("\\", "\\\\")) for rule in rules)
        # longest first, so a key that contains another is replaced whole
        self.secrets = tuple(sorted({s for s in secrets if s}, key=len, reverse=True))

    @property
    def active(self) -> bool:
        return bool(self.rules or self.secrets)

    def text(self, text: str) -> str:
        for secret in self.secrets:
            if secret in text:
                text = text.replace(secret, SECRET_MARK)
        for pattern, replacement in self.rules:
            text = pattern.sub(replacement, text)
        return text

    def value(self, value: _T) -> _T:
        """``value`` with every string inside (JSON-like: dicts, lists, tuples) rewritten; keys are kept."""
        return self._value(value)  # type: ignore[no-any-return]

    def request(self, request: ChatRequest) -> ChatRequest:
        if not self.active:
            return request
        return dataclasses.replace(request, messages=self.value(request.messages), params=self.value(request.params))

    def observation(self, observation: Observation) -> Observation:
        if not self.active:
            return observation
        error = observation.error
        return dataclasses.replace(
            observation,
            output=None if observation.output is None else self.text(observation.output),
            error=None if error is None else dataclasses.replace(error, message=self.text(error.message)),
            params=self.value(observation.params))

    def _value(self, value: Any) -> Any:
        if isinstance(value, str):
            return self.text(value)
        if isinstance(value, dict):
            return {key: self._value(item) for key, item in value.items()}
        if isinstance(value, list | tuple):
            return type(value)(self._value(item) for item in value)
        return value
