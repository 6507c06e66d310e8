"""``prompts try --keep``: the winning variant written into a prompt file, comments kept.

What it is: ``kept_variant`` (a template applied to a prompt's own messages, its examples written
in, placeholders kept), ``set_variant`` (a prompt file's text with one variant key set: the YAML
is edited where that key's block is, so every comment and the layout of the rest stay as they
were; a flow-style ``variants: {...}`` cannot be edited in place and is written out whole,
without its comments, which ``Edited.comments_kept`` says) and ``category_prompt`` (a new prompt
file for a category of recorded traffic that has none). Every text produced is validated by
``parse_prompt`` before it is returned. What it is not: choosing the winner (``tryout.rank``) or
storing versions (``modelswap.store``).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import yaml

from modelswap.prompts.registry import Prompt, parse_prompt
from modelswap.prompts.templates import Parts, Shot, Template, split
from modelswap.types import ChatRequest

INPUT = "{{input}}"
INSTRUCTIONS = "{{instructions}}"


class _Dumper(yaml.SafeDumper):
    """Multi-line strings as ``|-`` blocks, which a person can read and edit."""


def _text(dumper: yaml.SafeDumper, value: str) -> yaml.Node:
    style = None
    if "\n" in value:  # a block when it reads back exactly, else double quotes with \n escapes
        style = "|" if not value.startswith(("\n", " ")) and not value.endswith((" ", "\n")) else '"'

    return dumper.represent_scalar("tag:yaml.org,2002:str", value, style=style)


_Dumper.add_representer(str, _text)


def dump(data: Any) -> str:
    """YAML as a person would write it: keys in the given order, block style, multi-line strings as blocks."""
    return yaml.dump(data, Dumper=_Dumper, sort_keys=False, allow_unicode=True, width=100, default_flow_style=False)


def escape(text: str) -> str:
    """Text placed in a variant literally: ``{{`` escaped so it is never read as a placeholder."""
    return text.replace("{{", "\\{{")


def kept_variant(template: Template, messages: Sequence[dict[str, Any]] | Parts, shots: Sequence[Shot],
                 params: dict[str, Any] | None = None) -> dict[str, Any]:
    """A variant (file data) from ``template`` applied to a prompt's messages, or to parts already split
    (placeholders left in place)."""
    escaped = [Shot(input=escape(shot.input), output=escape(shot.output)) for shot in shots]
    shaped = template.shape(messages if isinstance(messages, Parts) else split(messages),
                            escaped if template.shots else [])
    data: dict[str, Any] = {"messages": [dict(m) for m in shaped.messages]}
    merged = dict(params or {})
    if shaped.stop:
        merged["stop"] = list(shaped.stop)
    if merged:
        data["params"] = merged
    return data


@dataclass(frozen=True, kw_only=True, slots=True)
class Edited:
    """A prompt file's new text and whether its comments survived."""

    text: str
    prompt: Prompt
    comments_kept: bool


def set_variant(text: str, key: str, variant: dict[str, Any], *, path: str = "<prompt>") -> Edited:
    """``text`` with ``variants.<key>`` set to ``variant`` (see the module docstring)."""
    root = yaml.compose(text)
    variants = _variants_node(root)
    if variants is None or variants.flow_style:
        data = yaml.safe_load(text)
        data.setdefault("variants", {})[key] = variant
        new = dump(data)
        return Edited(text=new, prompt=parse_prompt(new, path=path), comments_kept=False)
    lines = text.splitlines(keepends=True)
    pairs = variants.value
    indent = pairs[0][0].start_mark.column if pairs else 2
    block = "".join((" " * indent + line if line else line) + "\n" for line in dump({key: variant}).splitlines())
    found = next((i for i, (k, _) in enumerate(pairs) if k.value == key), None)
    if found is None:
        at = pairs[0][0].start_mark.line if pairs else variants.start_mark.line + 1
        lines[at:at] = [block]
    else:
        start = pairs[found][0].start_mark.line
        end = _block_end(lines, pairs[found][1].end_mark.line, start)
        lines[start:end] = [block]
    new = "".join(lines)
    return Edited(text=new, prompt=parse_prompt(new, path=path), comments_kept=True)


def _variants_node(root: yaml.Node | None) -> yaml.MappingNode | None:
    if not isinstance(root, yaml.MappingNode):
        return None
    for key, value in root.value:
        if key.value == "variants" and isinstance(value, yaml.MappingNode):
            return value
    return None


def _block_end(lines: list[str], end_line: int, start: int) -> int:
    """Where a key's block stops: its value's last line, without the comment and blank lines after it."""
    end = min(end_line + 1, len(lines))
    while end > start + 1 and (not lines[end - 1].strip() or lines[end - 1].lstrip().startswith("#")
                               or _indent(lines[end - 1]) <= _indent(lines[start])):
        end -= 1
    return end


def _indent(line: str) -> int:
    return len(line) - len(line.lstrip(" "))


def category_prompt(category: str, requests: Sequence[ChatRequest], key: str, variant: dict[str, Any],
                    *, source: str) -> Edited:
    """A new prompt file for a traffic category: the primary's prompt as ``default``, the kept variant under
    ``key``, and every request as a regression case. ``variant`` is shaped from ``category_messages``."""
    messages, variables = category_messages(requests)
    params = _shared_params(requests)
    data: dict[str, Any] = {
        "name": category,
        "purpose": f"The {category!r} requests of {source}, written by modelswap prompts try --keep.",
        "variables": variables,
        **({"params": params} if params else {}),
        "variants": {"default": {"messages": messages}, key: variant},
        "cases": [_case(request, variables) for request in requests],
    }
    text = f"# Written by modelswap prompts try --keep from {source}.\n" + dump(data)
    return Edited(text=text, prompt=parse_prompt(text, path=f"{category}.yaml"), comments_kept=True)


def category_messages(requests: Sequence[ChatRequest]) -> tuple[list[dict[str, str]], list[str]]:
    """The category's prompt as a variant's messages and its variables: the first request's messages with its
    input as ``{{input}}`` when every request has the same prompt around its input; else one user message,
    ``{{instructions}}`` then ``{{input}}``."""
    shapes = {tuple((m["role"], m["content"]) for m in _templated(request)) for request in requests}
    if len(shapes) == 1:
        return [{"role": role, "content": content} for role, content in next(iter(shapes))], ["input"]
    return [{"role": "user", "content": f"{INSTRUCTIONS}\n\n{INPUT}"}], ["instructions", "input"]


def category_parts(requests: Sequence[ChatRequest]) -> Parts:
    """The parts a template reshapes for the category's prompt file; when the requests' instructions differ,
    they are part of the input, as ``prompts try`` shaped them."""
    messages, variables = category_messages(requests)
    if variables == ["input"]:
        return split(messages)
    return Parts(instructions="", input=f"{INSTRUCTIONS}\n\n{INPUT}", messages=tuple(messages))


def _templated(request: ChatRequest) -> list[dict[str, str]]:
    parts = split(request.messages)
    out = [{"role": str(m.get("role")), "content": escape(str(m.get("content") or ""))} for m in request.messages]
    last_user = max((i for i, m in enumerate(out) if m["role"] == "user"), default=None)
    if last_user is not None and parts.input:
        content = out[last_user]["content"]
        where = content.rfind(escape(parts.input))
        if where >= 0:
            out[last_user]["content"] = content[:where] + INPUT + content[where + len(escape(parts.input)):]
    return out


def _case(request: ChatRequest, variables: list[str]) -> dict[str, Any]:
    parts = split(request.messages)
    values = {"input": parts.input} if variables == ["input"] else {"instructions": parts.instructions,
                                                                   "input": parts.input}
    return {"name": request.id, "variables": values, **({"expect": request.expect} if request.expect else {})}


def _shared_params(requests: Sequence[ChatRequest]) -> dict[str, Any]:
    first = {k: v for k, v in requests[0].params.items() if k != "seed"} if requests else {}
    return {k: v for k, v in first.items() if all(r.params.get(k) == v for r in requests)}
