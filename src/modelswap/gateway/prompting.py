"""A registry prompt named by a request: which version it gets, and each arm's rendering of it.

What it is: ``named_prompt`` reads the request's reference (header ``x-modelswap-prompt: NAME``,
``NAME@LABEL`` or ``NAME@HASHPREFIX``, its variables in ``x-modelswap-prompt-variables`` as a JSON
object; or the body's ``metadata.prompt``: ``{"name", "variables"?, "label"?}``, taken out of the body
sent upstream). ``choose`` picks the version from the in-memory ``PromptSnapshot``: the pinned label or
hash prefix, else the route's ``label`` (default ``production``), else a sticky ``split`` of two labels
by weight, assigned by ``modelswap.rollout.assignment.assign`` (salt: the route's name and
``prompt:NAME``; key: the split's ``sticky``, else the route rollout's, else the gateway's request key).
``arm_input`` renders it for one arm: the variant ``variant_for(prompt, arm's model, arm's family)``,
its messages first, then the client's ``messages`` (follow-up turns; they may be left out); parameters
are the prompt's, under the variant's, under the client's explicit fields (and the arm's configured
``params`` under all three, as for any request).

Every declared variable must be given and no other (so the arms whose variants use different ones
all render); every problem is a ``ClientError`` 400 naming it, except a snapshot not read yet (503).
What it is not: reading the store (``modelswap.gateway.prompt_cache``), routing, or calling arms.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

import orjson

from modelswap.config import RouteConfig
from modelswap.errors import PromptError
from modelswap.gateway.prompt_cache import PromptSnapshot
from modelswap.gateway.wire import ClientError
from modelswap.openai_wire import params_of
from modelswap.prompts.registry import Prompt, render, variant_for
from modelswap.rollout.assignment import Sticky, assign, header_value, route_salt
from modelswap.types import ChatRequest, PromptUse

PROMPT_HEADER = "x-modelswap-prompt"
VARIABLES_HEADER = "x-modelswap-prompt-variables"
_BODY_PARAM = "metadata.prompt"
_BODY_FIELDS = frozenset({"name", "variables", "label"})


@dataclass(frozen=True, kw_only=True, slots=True)
class NamedPrompt:
    """A request's prompt reference: the name, an optional pin (label or hash prefix), the variables, and the
    body as it goes upstream (``metadata.prompt`` taken out). ``param`` is where the reference was."""

    name: str
    pin: str | None
    variables: dict[str, str]
    body: dict[str, Any]
    param: str


@dataclass(frozen=True, kw_only=True, slots=True)
class ChosenPrompt:
    """The version a request gets: its name, hash, parsed prompt and the label that chose it (None: a hash pin)."""

    name: str
    hash: str
    prompt: Prompt
    label: str | None


@dataclass(frozen=True, kw_only=True, slots=True)
class ArmInput:
    """What one arm is asked: the body an HTTP arm sends, the request any other backend gets, and the prompt."""

    body: dict[str, Any]
    request: ChatRequest
    prompt: PromptUse = field(repr=False)


def names_prompt(headers: Mapping[str, str], body: Mapping[str, Any]) -> bool:
    """Whether the request names a prompt at all (then its ``messages`` may be left out)."""
    metadata = body.get("metadata")
    return header_value(headers, PROMPT_HEADER) is not None or (isinstance(metadata, dict) and "prompt" in metadata)


def named_prompt(headers: Mapping[str, str], body: dict[str, Any]) -> NamedPrompt | None:
    """The request's prompt reference, or None when it names none; ``ClientError`` when it is malformed."""
    header = header_value(headers, PROMPT_HEADER)
    raw_variables = header_value(headers, VARIABLES_HEADER)
    metadata = body.get("metadata")
    in_body = metadata.get("prompt") if isinstance(metadata, dict) else None
    if header is not None and in_body is not None:
        raise ClientError(f"name the prompt once: the {PROMPT_HEADER} header or {_BODY_PARAM}, not both",
                          param=_BODY_PARAM, code="invalid_prompt")
    if header is None and in_body is None:
        if raw_variables is not None:
            raise ClientError(f"the {VARIABLES_HEADER} header needs the {PROMPT_HEADER} header", param=VARIABLES_HEADER,
                              code="invalid_prompt")
        return None
    if header is not None:
        name, at, pin = header.strip().partition("@")
        variables = _variables(_json(raw_variables, VARIABLES_HEADER) if raw_variables is not None else {},
                               VARIABLES_HEADER)
        return NamedPrompt(name=_name(name, PROMPT_HEADER), pin=_pin(pin, at, PROMPT_HEADER), variables=variables,
                           body=body, param=PROMPT_HEADER)
    assert isinstance(metadata, dict)
    return _from_body(in_body, body, metadata)


def choose(named: NamedPrompt, *, route_name: str, route: RouteConfig, snapshot: PromptSnapshot | None,
           headers: Mapping[str, str], request_key: str) -> ChosenPrompt:
    """The version ``named`` gets on this route (see the module docstring)."""
    config = route.prompts.get(named.name)
    if config is None:
        applies = ", ".join(sorted(route.prompts)) or "none"
        raise ClientError(f"route {route_name!r} applies no prompt {named.name!r} (it applies: {applies})",
                          param=named.param, code="unknown_prompt")
    if snapshot is None:
        raise ClientError("the prompt registry has not been read from the store yet; retry", status=503,
                          code="prompts_unavailable")
    labels, versions = snapshot.labels.get(named.name, {}), snapshot.versions.get(named.name, {})
    if named.pin is not None and named.pin not in labels:
        return _by_hash(named, versions)
    label = named.pin or config.label
    if named.pin is None and config.split is not None:
        (first, _), (second, weight) = config.split.items()
        sticky = config.sticky or (route.rollout.sticky if route.rollout is not None else None)
        label = assign(salt=route_salt(route_name, f"prompt:{named.name}"),
                       sticky=Sticky(**sticky) if sticky else None, segments=(), percent=weight, primary=first,
                       candidate=second, headers=headers, body=named.body, request_id=request_key).arm
    digest = labels.get(label)
    if digest is None or digest not in versions:
        raise ClientError(f"prompt {named.name!r} has no version labelled {label!r}", param=named.param,
                          code="unknown_prompt_label")
    prompt = versions[digest]
    _check_variables(named, prompt)
    return ChosenPrompt(name=named.name, hash=digest, prompt=prompt, label=label)


def arm_input(chosen: ChosenPrompt, named: NamedPrompt, *, model: str, family: str | None, trial_id: str,
              category: str | None, assignment: dict[str, Any] | None) -> ArmInput:
    """The rendering of ``chosen`` for an arm of ``model`` and ``family``; ``PromptError`` when it has no variant."""
    prompt = chosen.prompt
    key, variant = variant_for(prompt, model, family)
    client = dict(named.body)
    follow_up = client.pop("messages", None) or []
    messages = [*render(variant, named.variables, declared=prompt.variables), *follow_up]
    body = {**prompt.params_for(variant), **client, "messages": messages}
    request = ChatRequest(id=trial_id, messages=tuple(messages), params=params_of(body),
                          category=category or "default", assignment=assignment)
    return ArmInput(body=body, request=request, prompt=PromptUse(name=chosen.name, hash=chosen.hash, variant=key))


def no_variant(error: PromptError) -> ClientError:
    """The client's error when the serving arm's model has no variant of the prompt."""
    return ClientError(str(error), code="prompt_variant_missing")


def _from_body(value: Any, body: dict[str, Any], metadata: dict[str, Any]) -> NamedPrompt:
    if not isinstance(value, dict) or not isinstance(value.get("name"), str):
        raise ClientError(f"{_BODY_PARAM} must be an object with a string 'name' (and 'variables', 'label')",
                          param=_BODY_PARAM, code="invalid_prompt")
    unknown = sorted(set(value) - _BODY_FIELDS)
    if unknown:
        raise ClientError(f"{_BODY_PARAM}: unknown field {unknown[0]!r}; expected name, variables, label",
                          param=_BODY_PARAM, code="invalid_prompt")
    label = value.get("label")
    if label is not None and (not isinstance(label, str) or not label):
        raise ClientError(f"{_BODY_PARAM}.label must be a non-empty string", param=f"{_BODY_PARAM}.label",
                          code="invalid_prompt")
    rest = {key: item for key, item in metadata.items() if key != "prompt"}
    upstream = {key: item for key, item in body.items() if key != "metadata"} | ({"metadata": rest} if rest else {})
    return NamedPrompt(name=_name(value["name"], f"{_BODY_PARAM}.name"), pin=label,
                       variables=_variables(value.get("variables", {}), f"{_BODY_PARAM}.variables"),
                       body=upstream, param=_BODY_PARAM)


def _by_hash(named: NamedPrompt, versions: Mapping[str, Prompt]) -> ChosenPrompt:
    pin = named.pin or ""
    if not _hex(pin):
        raise ClientError(f"prompt {named.name!r} has no label {pin!r}", param=named.param,
                          code="unknown_prompt_label")
    found = sorted(digest for digest in versions if digest.startswith(pin.lower()))
    if not found:
        raise ClientError(f"prompt {named.name!r} has no label or version {pin!r}", param=named.param,
                          code="unknown_prompt_version")
    if len(found) > 1:
        raise ClientError(f"prompt {named.name!r}: {pin!r} names {len(found)} versions; give more of the hash",
                          param=named.param, code="unknown_prompt_version")
    prompt = versions[found[0]]
    _check_variables(named, prompt)
    return ChosenPrompt(name=named.name, hash=found[0], prompt=prompt, label=None)


def _check_variables(named: NamedPrompt, prompt: Prompt) -> None:
    declared, given = set(prompt.variables), set(named.variables)
    missing, unknown = sorted(declared - given), sorted(given - declared)
    parts = ([f"missing variable(s) {', '.join(missing)}"] if missing else []) + \
        ([f"unknown variable(s) {', '.join(unknown)}"] if unknown else [])
    if parts:
        raise ClientError(f"prompt {named.name!r}: {'; '.join(parts)}", param=named.param, code="prompt_variables")


def _json(raw: str, param: str) -> Any:
    try:
        return orjson.loads(raw)
    except orjson.JSONDecodeError as exc:
        raise ClientError(f"{param} must be a JSON object: {exc}", param=param, code="invalid_prompt") from None


def _variables(value: Any, param: str) -> dict[str, str]:
    if not isinstance(value, dict) or not all(isinstance(item, str) for item in value.values()):
        raise ClientError(f"{param} must be a JSON object of strings", param=param, code="invalid_prompt")
    return value


def _name(name: str, param: str) -> str:
    if not name.strip():
        raise ClientError(f"{param} names no prompt (an empty name)", param=param, code="invalid_prompt")
    return name.strip()


def _pin(pin: str, at: str, param: str) -> str | None:
    if at and not pin.strip():
        raise ClientError(f"{param}: nothing after '@' (expected a label or a version's hash prefix)", param=param,
                          code="invalid_prompt")
    return pin.strip() or None


def _hex(text: str) -> bool:
    return bool(text) and all(char in "0123456789abcdefABCDEF" for char in text)
