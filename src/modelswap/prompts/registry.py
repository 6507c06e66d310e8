"""The prompt file: its format, its content hash, the variant for a model and its rendering.

What it is: ``load_prompt`` / ``parse_prompt`` read ``prompts/NAME.yaml`` into a frozen, strictly
validated ``Prompt`` (an error is one ``ConfigError`` naming the file, the line and the dotted key);
``content_hash`` is the SHA-256 of the prompt's canonical JSON, so two files that differ only in key
order, whitespace, comments or spelled-out defaults have the same hash; ``variant_for`` picks the
variant for a model (the exact model id, else ``family:FAMILY``, else ``default``); ``render`` fills
the ``{{name}}`` placeholders of a variant's messages.
What it is not: a templating engine (no loops, conditions or filters: plain replacement), nor the
store of versions and labels (``modelswap.store``), nor anything the gateway does.

Placeholders: ``{{name}}`` (spaces inside the braces allowed) is replaced by the variable's value in
one pass, so a value that itself holds ``{{x}}`` is inserted as is. ``\\{{name}}`` (a backslash before
the braces) renders the literal ``{{name}}``. Single braces, as in JSON examples, are plain text.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Any, Literal, NoReturn

import orjson
import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator, model_validator

from modelswap.config import _first_error, _line, load_yaml
from modelswap.errors import ConfigError, PromptError
from modelswap.traffic import _expect

DEFAULT_KEY = "default"
FAMILY_PREFIX = "family:"
_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]*$")
_VARIABLE = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")
_PLACEHOLDER = re.compile(r"(\\?)\{\{\s*([A-Za-z_][A-Za-z0-9_]*)\s*\}\}")
_RESERVED_PARAMS = frozenset({"model", "messages"})


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


def _params(value: dict[str, Any]) -> dict[str, Any]:
    reserved = sorted(_RESERVED_PARAMS & set(value))
    if reserved:
        raise ValueError(f"{reserved[0]!r} is not a parameter: the arm names the model and the variant the messages")
    return value


class MessageTemplate(_Strict):
    """One OpenAI chat message whose ``content`` may hold ``{{variable}}`` placeholders."""

    role: Literal["system", "developer", "user", "assistant"]
    content: str


class Variant(_Strict):
    """The messages (and parameters over the prompt's) for one model key."""

    messages: tuple[MessageTemplate, ...] = Field(min_length=1)
    params: dict[str, Any] = Field(default_factory=dict)
    why: str | None = Field(default=None, min_length=1)
    """Why this model has a variant of its own (the matrix's history shows it beside the version)."""

    _check_params = field_validator("params")(_params)

    def placeholders(self) -> set[str]:
        """The variable names this variant's messages use (escaped placeholders excluded)."""
        return {m.group(2) for message in self.messages for m in _PLACEHOLDER.finditer(message.content)
                if not m.group(1)}


class Case(_Strict):
    """A regression case: values for the prompt's variables and what the answer must satisfy."""

    name: str | None = Field(default=None, min_length=1)
    variables: dict[str, str] = Field(default_factory=dict)
    expect: dict[str, Any] = Field(default_factory=dict)


class Prompt(_Strict):
    """A prompt file: intent, contract, parameters, one variant per model key, regression cases."""

    name: str
    purpose: str = Field(min_length=1)
    sensitivities: tuple[str, ...] = ()
    variables: dict[str, str | None] = Field(default_factory=dict)
    expect: dict[str, Any] = Field(default_factory=dict)
    params: dict[str, Any] = Field(default_factory=dict)
    variants: dict[str, Variant] = Field(min_length=1)
    cases: tuple[Case, ...] = ()

    _check_params = field_validator("params")(_params)

    @field_validator("name")
    @classmethod
    def _name(cls, value: str) -> str:
        if not _NAME.match(value):
            raise ValueError(f"must be letters, digits, '.', '_' or '-' (not first), got {value!r}")
        return value

    @field_validator("variables", mode="before")
    @classmethod
    def _variable_list(cls, value: Any) -> Any:
        """``[a, b]`` is ``{a: null, b: null}``: names without descriptions."""
        if isinstance(value, list) and all(isinstance(item, str) for item in value):
            if len(set(value)) != len(value):
                raise ValueError("lists a variable twice")
            return dict.fromkeys(value)
        return value

    @field_validator("variables")
    @classmethod
    def _variable_names(cls, value: dict[str, str | None]) -> dict[str, str | None]:
        for name in value:
            if not _VARIABLE.match(name):
                raise ValueError(f"variable {name!r} must be a letter or '_' then letters, digits or '_'")
        return value

    @field_validator("variants")
    @classmethod
    def _keys(cls, value: dict[str, Variant]) -> dict[str, Variant]:
        for key in value:
            if not key.strip() or key == FAMILY_PREFIX or key != key.strip():
                raise ValueError(f"variant key {key!r} must be a model id, 'family:NAME' or 'default'")
        return value

    @model_validator(mode="after")
    def _declared(self) -> Prompt:
        declared = set(self.variables)
        for key, variant in self.variants.items():
            for i, message in enumerate(variant.messages):
                unknown = {m.group(2) for m in _PLACEHOLDER.finditer(message.content) if not m.group(1)} - declared
                if unknown:
                    raise _LocatedError(f"undeclared variable(s) {', '.join(sorted(unknown))}; declare them "
                                        "under variables", ("variants", key, "messages", str(i), "content"))
        for i, case in enumerate(self.cases):
            lacking, extra = sorted(declared - set(case.variables)), sorted(set(case.variables) - declared)
            if lacking or extra:
                raise _LocatedError(_mismatch(lacking, extra), ("cases", str(i), "variables"))
        return self

    def params_for(self, variant: Variant) -> dict[str, Any]:
        """The prompt's parameters overridden by the variant's."""
        return {**self.params, **variant.params}


class _LocatedError(ValueError):
    """A cross-field problem that knows its own location (pydantic would report it at the root)."""

    def __init__(self, message: str, loc: tuple[str, ...]) -> None:
        super().__init__(message)
        self.message = message
        self.loc = loc


def _mismatch(missing: list[str], unknown: list[str]) -> str:
    parts = []
    if missing:
        parts.append(f"missing variable(s) {', '.join(missing)}")
    if unknown:
        parts.append(f"unknown variable(s) {', '.join(unknown)}")
    return "; ".join(parts)


def load_prompt(path: str | Path) -> Prompt:
    """Read and validate one prompt file; its ``name`` must be the file's name without ``.yaml``."""
    file = Path(path)
    try:
        text = file.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise ConfigError("file not found", path=str(file)) from None
    return parse_prompt(text, path=str(file), stem=file.stem)


def parse_prompt(text: str, *, path: str = "<prompt>", stem: str | None = None) -> Prompt:
    """Validate prompt text; ``path`` labels errors, ``stem`` (when given) must equal the prompt's name."""
    root, data = load_yaml(text, path=path)
    if not isinstance(data, dict):
        raise ConfigError("the top level must be a mapping (name, purpose, variants...)", path=path, line=1)
    prompt = prompt_from_content(data, path=path, root=root)
    if stem is not None and prompt.name != stem:
        raise ConfigError(f"{prompt.name!r} must be the file's name without .yaml ({stem!r})", key="name",
                          path=path, line=_line(root, ("name",)))
    return prompt


def prompt_from_content(data: Any, *, path: str = "<prompt>", root: yaml.Node | None = None) -> Prompt:
    """A ``Prompt`` from decoded content (a file's mapping, or the JSON a stored version keeps)."""
    try:
        prompt = Prompt.model_validate(data)
    except ValidationError as exc:
        located = _located(exc)
        if located is not None:
            raise ConfigError(located.message, key=".".join(located.loc), path=path,
                              line=_line(root, located.loc) or _line(root, located.loc[:-1])) from None
        raise _first_error(exc, root, path) from None
    _check_expects(prompt, path, root)
    return prompt


def _located(exc: ValidationError) -> _LocatedError | None:
    for error in exc.errors():
        cause = (error.get("ctx") or {}).get("error")
        if isinstance(cause, _LocatedError):
            return cause
    return None


def _check_expects(prompt: Prompt, path: str, root: yaml.Node | None) -> None:
    """``expect`` has the shape of a traffic line's (docs/formats.md), checked by the traffic reader."""
    places: list[tuple[tuple[str, ...], dict[str, Any]]] = [(("expect",), prompt.expect)]
    places += [(("cases", str(i), "expect"), case.expect) for i, case in enumerate(prompt.cases)]
    for loc, expect in places:
        def fail(message: str, where: str = "", loc: tuple[str, ...] = loc) -> NoReturn:
            full = (*loc[:-1], *where.split(".")) if where else loc
            raise ConfigError(message, key=".".join(full), path=path, line=_line(root, full) or _line(root, loc))

        _expect(expect, fail)


def canonical_content(prompt: Prompt) -> bytes:
    """The prompt as canonical JSON: sorted keys, no whitespace, defaults written out."""
    return orjson.dumps(prompt.model_dump(mode="json"), option=orjson.OPT_SORT_KEYS)


def content_hash(prompt: Prompt) -> str:
    """SHA-256 (hex) of ``canonical_content``: the prompt version's identity."""
    return hashlib.sha256(canonical_content(prompt)).hexdigest()


def variant_for(prompt: Prompt, model: str, family: str | None = None) -> tuple[str, Variant]:
    """The variant key and variant for a model: the exact model id, else ``family:FAMILY``, else ``default``."""
    tried = [model, *([FAMILY_PREFIX + family] if family else []), DEFAULT_KEY]
    for key in tried:
        if key in prompt.variants:
            return key, prompt.variants[key]
    raise PromptError(f"prompt {prompt.name!r} has no variant for model {model!r} (tried {', '.join(tried)}; "
                      f"it has {', '.join(sorted(prompt.variants))})")


def render(variant: Variant, variables: Mapping[str, str], *,
           declared: Iterable[str] | None = None) -> list[dict[str, str]]:
    """The variant's messages with every ``{{name}}`` replaced by its value.

    A placeholder without a value is an error; so is a value for a name outside ``declared`` (the
    prompt's variables; by default the names this variant uses), so a typo is never sent silently.
    """
    used = variant.placeholders()
    allowed = used if declared is None else set(declared) | used
    missing, unknown = sorted(used - set(variables)), sorted(set(variables) - allowed)
    if missing or unknown:
        raise PromptError(f"cannot render: {_mismatch(missing, unknown)}")

    def fill(match: re.Match[str]) -> str:
        return match.group(0)[1:] if match.group(1) else variables[match.group(2)]

    return [{"role": m.role, "content": _PLACEHOLDER.sub(fill, m.content)} for m in variant.messages]
