"""Traffic: the requests a run replays, read from JSONL.

What it is: parsing and validating traffic files (the format in docs/formats.md) and OpenAI
batch-input files, line by line. A bad line becomes a ``TrafficError`` naming the file,
line and field; it is skipped and counted, never dropped silently. What it is not: sending
requests (``modelswap.record``) or storing them (``modelswap.store``).

Accepted line shapes (detected per line):

- native: ``{"id"?, "messages" | "prompt", "params"?, "category"?, "expect"?}``
- OpenAI batch input: ``{"custom_id", "method": "POST", "url": "/v1/chat/completions",
  "body": {"model", "messages", ...}}``: ``custom_id`` becomes the id, the body's other
  fields (except ``model``) the params.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Protocol, TypeVar

import orjson

from modelswap.errors import TrafficError
from modelswap.types import ChatRequest

R = TypeVar("R", bound="_Record")
MESSAGE_ROLES = ("system", "developer", "user", "assistant", "tool", "function")
EXPECT_FORMATS = ("json", "label", "text")
_EXPECT_TYPES: dict[str, type | tuple[type, ...]] = {
    "format": str, "schema": dict, "fields": dict, "labels": list, "label": str,
    "language": str, "bullets": int, "max_tokens": int, "lines": int, "answer": (str, int, float, list),
}


@dataclass(frozen=True, kw_only=True, slots=True)
class Traffic:
    """The requests read from one file, and the lines that could not be read."""

    path: str
    requests: tuple[ChatRequest, ...]
    errors: tuple[TrafficError, ...] = field(default=())

    @property
    def skipped(self) -> int:
        return len(self.errors)


def load_traffic(path: str | Path) -> Traffic:
    """Read every line of ``path``; bad lines are collected in ``errors``, good ones kept in order."""
    requests, errors = read_jsonl(path, parse_line)
    return Traffic(path=str(path), requests=tuple(requests), errors=tuple(errors))


class _Record(Protocol):
    @property
    def id(self) -> str: ...


def read_jsonl(path: str | Path, parse: Callable[..., R]) -> tuple[list[R], list[TrafficError]]:
    """Every non-blank line of ``path`` through ``parse(raw, path=, line=)``; a bad line or a duplicate
    id becomes a ``TrafficError`` in the second list, never an exception (except an unreadable file)."""
    name = str(path)
    records: list[R] = []
    errors: list[TrafficError] = []
    first_line: dict[str, int] = {}
    for number, raw in _lines(Path(path)):
        try:
            record = parse(raw, path=name, line=number)
            if record.id in first_line:
                raise TrafficError(f"duplicate id {record.id!r} (first on line {first_line[record.id]})",
                                   path=name, line=number, field="id")
        except TrafficError as error:
            errors.append(error)
            continue
        first_line[record.id] = number
        records.append(record)
    return records, errors


def _lines(path: Path) -> Iterator[tuple[int, bytes]]:
    try:
        handle = path.open("rb")
    except OSError as exc:
        raise TrafficError(f"cannot open: {exc.strerror}", path=str(path), line=0) from None
    with handle:
        for number, raw in enumerate(handle, start=1):
            if raw.strip():
                yield number, raw


def parse_line(raw: bytes | str, *, path: str = "<traffic>", line: int = 1) -> ChatRequest:
    """One traffic line as a ``ChatRequest``, or a ``TrafficError`` naming the field."""
    try:
        data = orjson.loads(raw)
    except orjson.JSONDecodeError as exc:
        raise TrafficError(f"invalid JSON: {exc}", path=path, line=line) from None
    return parse_request(data, path=path, line=line)


def parse_request(data: Any, *, path: str = "<traffic>", line: int = 1, prefix: str = "") -> ChatRequest:
    """A decoded traffic object as a ``ChatRequest``; ``prefix`` qualifies field names in errors."""
    def fail(message: str, where: str = "") -> TrafficError:
        return TrafficError(message, path=path, line=line, field=f"{prefix}{where}" if where else prefix.rstrip("."))

    if not isinstance(data, dict):
        raise fail(f"expected a JSON object, got {type(data).__name__}")
    if "custom_id" in data and "body" in data:
        data = _from_batch(data, fail)
    messages = _messages(data, fail)
    params = data.get("params", {})
    if not isinstance(params, dict):
        raise fail("must be an object", "params")
    params = {k: v for k, v in params.items() if k not in {"model", "messages"}}
    category = data.get("category", "default")
    if not isinstance(category, str) or not category:
        raise fail("must be a non-empty string", "category")
    expect = _expect(data.get("expect", {}), fail)
    request_id = data.get("id")
    if request_id is None:
        request_id = content_id(messages, params)
    elif not isinstance(request_id, (str, int)) or isinstance(request_id, bool) or str(request_id) == "":
        raise fail("must be a non-empty string or an integer", "id")
    return ChatRequest(id=str(request_id), messages=messages, params=params, category=category, expect=expect)


def content_id(messages: tuple[dict[str, Any], ...], params: dict[str, Any]) -> str:
    """A stable id from the request's content: the same request always gets the same id."""
    blob = orjson.dumps({"messages": list(messages), "params": params}, option=orjson.OPT_SORT_KEYS)
    return hashlib.sha256(blob).hexdigest()[:16]


def _from_batch(data: dict[str, Any], fail: Any) -> dict[str, Any]:
    body = data["body"]
    if not isinstance(body, dict):
        raise fail("must be an object", "body")
    url = data.get("url", "/v1/chat/completions")
    if url != "/v1/chat/completions":
        raise fail(f"only /v1/chat/completions batch lines are supported, got {url!r}", "url")
    params = {k: v for k, v in body.items() if k not in {"model", "messages"}}
    out: dict[str, Any] = {"id": data["custom_id"], "params": params}
    if "messages" in body:
        out["messages"] = body["messages"]
    return out


def _messages(data: dict[str, Any], fail: Any) -> tuple[dict[str, Any], ...]:
    if "messages" not in data:
        prompt = data.get("prompt")
        if isinstance(prompt, str) and prompt:
            return ({"role": "user", "content": prompt},)
        raise fail("required (or a non-empty string 'prompt')", "messages")
    messages = data["messages"]
    if not isinstance(messages, list) or not messages:
        raise fail("must be a non-empty list", "messages")
    for index, message in enumerate(messages):
        where = f"messages[{index}]"
        if not isinstance(message, dict):
            raise fail("must be an object", where)
        role = message.get("role")
        if role not in MESSAGE_ROLES:
            raise fail(f"unknown role {role!r}; expected one of {', '.join(MESSAGE_ROLES)}", f"{where}.role")
        content = message.get("content")
        if content is None and not message.get("tool_calls"):
            raise fail("required (a string or a list of parts)", f"{where}.content")
        if content is not None and not isinstance(content, (str, list)):
            raise fail(f"must be a string or a list of parts, got {type(content).__name__}", f"{where}.content")
    return tuple(messages)


def _expect(expect: Any, fail: Any) -> dict[str, Any]:
    if not isinstance(expect, dict):
        raise fail("must be an object", "expect")
    for key, value in expect.items():
        wanted = _EXPECT_TYPES.get(key)
        if wanted is None:
            raise fail(f"unknown key; expected one of {', '.join(_EXPECT_TYPES)}", f"expect.{key}")
        if not isinstance(value, wanted) or isinstance(value, bool):
            names = [kind.__name__ for kind in (wanted if isinstance(wanted, tuple) else (wanted,))]
            kinds = names[0] if len(names) == 1 else f"{', '.join(names[:-1])} or {names[-1]}"
            raise fail(f"must be of type {kinds}", f"expect.{key}")
    if "format" in expect and expect["format"] not in EXPECT_FORMATS:
        raise fail(f"unknown format {expect['format']!r}; expected one of {', '.join(EXPECT_FORMATS)}",
                   "expect.format")
    labels = expect.get("labels")
    if labels is not None and "label" in expect and expect["label"] not in labels:
        raise fail(f"gold label {expect['label']!r} is not in labels", "expect.label")
    return expect
