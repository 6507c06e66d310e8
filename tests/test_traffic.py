"""Traffic files: good lines become requests, bad lines become located errors and are counted."""

from __future__ import annotations

from pathlib import Path

import orjson
import pytest

from modelswap.errors import TrafficError
from modelswap.traffic import content_id, load_traffic, parse_line


def write(tmp_path: Path, *lines: object) -> Path:
    path = tmp_path / "traffic.jsonl"
    path.write_bytes(b"\n".join(x if isinstance(x, bytes) else orjson.dumps(x) for x in lines) + b"\n")
    return path


def test_native_line_keeps_every_field() -> None:
    request = parse_line(orjson.dumps({
        "id": "q1",
        "messages": [{"role": "system", "content": "Be brief."}, {"role": "user", "content": "日本の首都は?"}],
        "params": {"temperature": 0.2, "model": "ignored"}, "category": "qa-ja", "expect": {"language": "ja"}}))
    assert request.id == "q1"
    assert request.messages[1]["content"] == "日本の首都は?"
    assert request.params == {"temperature": 0.2}
    assert request.category == "qa-ja"
    assert request.expect == {"language": "ja"}


def test_prompt_becomes_one_user_message_and_id_is_a_content_hash() -> None:
    request = parse_line('{"prompt": "hello"}')
    assert request.messages == ({"role": "user", "content": "hello"},)
    assert request.id == content_id(({"role": "user", "content": "hello"},), {})
    assert len(request.id) == 16
    assert parse_line('{"prompt": "hello"}').id == request.id
    assert parse_line('{"prompt": "hello", "params": {"temperature": 1}}').id != request.id
    assert request.category == "default"


def test_openai_batch_input_line() -> None:
    request = parse_line(orjson.dumps({
        "custom_id": "req-7", "method": "POST", "url": "/v1/chat/completions",
        "body": {"model": "gpt-4o-mini", "messages": [{"role": "user", "content": "hi"}], "max_tokens": 5}}))
    assert request.id == "req-7"
    assert request.params == {"max_tokens": 5}
    assert request.messages == ({"role": "user", "content": "hi"},)


@pytest.mark.parametrize(("line", "expected"), [
    (b"[1, 2]", "t.jsonl:4: expected a JSON object, got list"),
    (b'{"id": "x"}', "t.jsonl:4: messages: required (or a non-empty string 'prompt')"),
    (b'{"messages": []}', "t.jsonl:4: messages: must be a non-empty list"),
    (b'{"messages": [{"role": "robot", "content": "x"}]}',
     "t.jsonl:4: messages[0].role: unknown role 'robot'; expected one of system, developer, user, assistant, "
     "tool, function"),
    (b'{"messages": [{"role": "user"}]}', "t.jsonl:4: messages[0].content: required (a string or a list of parts)"),
    (b'{"messages": [{"role": "user", "content": 5}]}',
     "t.jsonl:4: messages[0].content: must be a string or a list of parts, got int"),
    (b'{"prompt": "x", "params": []}', "t.jsonl:4: params: must be an object"),
    (b'{"prompt": "x", "category": ""}', "t.jsonl:4: category: must be a non-empty string"),
    (b'{"prompt": "x", "id": true}', "t.jsonl:4: id: must be a non-empty string or an integer"),
    (b'{"prompt": "x", "expect": {"colour": 1}}',
     "t.jsonl:4: expect.colour: unknown key; expected one of format, schema, fields, labels, label, language, "
     "bullets, max_tokens, lines, answer"),
    (b'{"prompt": "x", "expect": {"bullets": "3"}}', "t.jsonl:4: expect.bullets: must be of type int"),
    (b'{"prompt": "x", "expect": {"answer": true}}',
     "t.jsonl:4: expect.answer: must be of type str, int, float or list"),
    (b'{"prompt": "x", "expect": {"format": "xml"}}',
     "t.jsonl:4: expect.format: unknown format 'xml'; expected one of json, label, text"),
    (b'{"prompt": "x", "expect": {"labels": ["a", "b"], "label": "c"}}',
     "t.jsonl:4: expect.label: gold label 'c' is not in labels"),
    (b'{"custom_id": "a", "url": "/v1/embeddings", "body": {"input": "x"}}',
     "t.jsonl:4: url: only /v1/chat/completions batch lines are supported, got '/v1/embeddings'"),
])
def test_bad_line_names_file_line_and_field(line: bytes, expected: str) -> None:
    with pytest.raises(TrafficError) as caught:
        parse_line(line, path="t.jsonl", line=4)
    assert str(caught.value) == expected


def test_invalid_json_names_file_and_line() -> None:
    with pytest.raises(TrafficError) as caught:
        parse_line(b"{not json", path="t.jsonl", line=4)
    assert str(caught.value).startswith("t.jsonl:4: invalid JSON: ")
    assert caught.value.line == 4


def test_file_skips_and_counts_bad_lines_and_keeps_order(tmp_path: Path) -> None:
    path = write(tmp_path, {"id": "a", "prompt": "one"}, b"{broken", b"", {"id": "b", "prompt": "two"},
                 {"id": "a", "prompt": "again"}, {"id": 3, "prompt": "three"})
    traffic = load_traffic(path)
    assert [r.id for r in traffic.requests] == ["a", "b", "3"]
    assert traffic.skipped == 2
    assert [(e.line, e.field) for e in traffic.errors] == [(2, ""), (5, "id")]
    assert str(traffic.errors[1]) == f"{path}:5: id: duplicate id 'a' (first on line 1)"


def test_missing_file_is_a_traffic_error(tmp_path: Path) -> None:
    with pytest.raises(TrafficError, match=r"nope.jsonl:0: cannot open: No such file or directory"):
        load_traffic(tmp_path / "nope.jsonl")
