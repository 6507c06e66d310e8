"""Redaction before storage: the ``redact:`` rules and the arms' own keys, applied to stored text.

What it is: ``Redactor``, built once from the configured rules (``RedactRule``, presets
included) plus literal secrets (every arm's API key, and the key of a client wrapped by
``modelswap.shadow``, replaced by ``***``). ``text`` rewrites one string; ``request`` and
``observation`` return copies of a ``ChatRequest`` or an ``Observation`` with every string
they store rewritten: a request's messages, params, ``expect`` and category; an observation's
output, model, finish reason, error message and params. The one recorder
(``modelswap.recording``) applies it on every path, so nothing unredacted is queued or stored.

What it is not: a filter on what clients receive (responses go back untouched; only the stored
copy is redacted), nor a rewriter of identifiers: run names, trial ids and arm names are the
operator's own and are stored as they are. Regexes are best effort: they catch the usual
shapes, not every secret.
"""

from __future__ import annotations

import dataclasses
import re
from collections.abc import Iterable
from typing import Any, TypeVar

from modelswap.config import RedactRule
from modelswap.openai_wire import SECRET_MARK
from modelswap.types import ChatRequest, Observation

_T = TypeVar("_T")


class Redactor:
    """Rewrites stored text: literal ``secrets`` first, then each rule's regex in order."""

    def __init__(self, rules: Iterable[RedactRule] = (), *, secrets: Iterable[str] = ()) -> None:
        # the replacement is literal text: escape backslashes so ``re`` reads no group references in it
        self.rules = tuple((re.compile(rule.pattern), rule.text.replace("\\", "\\\\")) for rule in rules)
        # longest first, so a key that contains another is replaced whole
        self.secrets = tuple(sorted({s for s in secrets if s}, key=len, reverse=True))

    def with_secrets(self, secrets: Iterable[str]) -> Redactor:
        """The same rules, with ``secrets`` removed as well."""
        other = Redactor(secrets=[*self.secrets, *secrets])
        other.rules = self.rules
        return other

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
        return dataclasses.replace(request, messages=self.value(request.messages), params=self.value(request.params),
                                   expect=self.value(request.expect), category=self.text(request.category))

    def observation(self, observation: Observation) -> Observation:
        if not self.active:
            return observation
        error = observation.error
        return dataclasses.replace(
            observation, model=self.text(observation.model),
            output=None if observation.output is None else self.text(observation.output),
            finish_reason=None if observation.finish_reason is None else self.text(observation.finish_reason),
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
