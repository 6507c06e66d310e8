"""The OpenAI wire module: request shaping, reading bodies and streams, rendering, key removal."""

from __future__ import annotations

from typing import Any

import orjson
import pytest

from modelswap.openai_wire import (
    Completion,
    EventShape,
    InvalidResponse,
    StreamReader,
    completion_body,
    error_body,
    error_message,
    include_usage,
    params_of,
    read_completion,
    request_body,
    reshape,
    scrub,
)
from modelswap.types import ChatRequest, Usage

MESSAGES = ({"role": "user", "content": "Capital of France?"},)
COMPLETION = Completion(output="Paris is the capital. ", finish_reason="stop",
                        usage=Usage(prompt_tokens=9, completion_tokens=5), model="m-1")


def test_params_are_every_field_but_model_messages_and_streaming() -> None:
    body = {"model": "r", "messages": [], "stream": True, "stream_options": {}, "temperature": 0, "user": "u"}
    assert params_of(body) == {"temperature": 0, "user": "u"}


def test_reshape_puts_the_arm_model_and_its_defaults_under_the_client_fields() -> None:
    payload, params = reshape({"model": "route", "messages": list(MESSAGES), "temperature": 0.2, "stream": True},
                              model="gpt-x", defaults={"temperature": 1.0, "max_tokens": 9})
    assert orjson.loads(payload) == {"temperature": 0.2, "max_tokens": 9, "model": "gpt-x",
                                     "messages": list(MESSAGES), "stream": True}
    assert params == {"temperature": 0.2, "max_tokens": 9}


def test_request_body_forwards_expect_only_when_asked() -> None:
    request = ChatRequest(id="r", messages=MESSAGES, category="geo", expect={"answer": "Paris"})
    plain = request_body(request, model="m", params={"seed": 1})
    assert plain == {"seed": 1, "model": "m", "messages": MESSAGES}
    forwarded = request_body(request, model="m", params={"metadata": {"team": "a"}}, forward_expect=True)
    assert forwarded["metadata"] == {"team": "a", "modelswap_category": "geo",
                                     "modelswap_expect": '{"answer":"Paris"}'}


def test_a_rendered_body_reads_back_as_the_same_completion() -> None:
    body = completion_body(COMPLETION, completion_id="chatcmpl-1", created=5, model="fallback")
    assert body["model"] == "m-1" and body["usage"] == {"prompt_tokens": 9, "completion_tokens": 5,
                                                        "total_tokens": 14}
    assert read_completion(orjson.dumps(body)) == COMPLETION


@pytest.mark.parametrize(("message", "output"), [
    ({"content": None, "tool_calls": [{"id": "c1"}]}, '[{"id":"c1"}]'),
    ({"content": None, "refusal": "I can't."}, "I can't."),
    ({"content": None}, ""),
])
def test_output_of_a_message_without_content(message: dict[str, Any], output: str) -> None:
    assert read_completion(orjson.dumps({"choices": [{"message": message}]})).output == output


@pytest.mark.parametrize("content", [b"<html>", b'{"choices": []}', b'{"choices": [{"message": {"content": [1]}}]}'])
def test_a_body_that_is_not_a_completion_is_invalid(content: bytes) -> None:
    with pytest.raises(InvalidResponse, match=r"^not a chat completion"):
        read_completion(content)


def test_rendered_events_read_back_split_anywhere() -> None:
    shape = EventShape(completion_id="chatcmpl-1", created=5, model="m-1", include_usage=True)
    raw = b"".join(shape.events(COMPLETION)).replace(b"\n\n", b"\r\n\r\n", 2)
    reader = StreamReader()
    for start in range(0, len(raw), 7):
        reader.feed(raw[start:start + 7])
    assert reader.completion() == COMPLETION
    assert reader.pieces == ["", "Paris ", "is ", "the ", "capital. "]  # the role's empty content, then words


def test_events_carry_the_usage_slot_only_when_asked() -> None:
    events = [orjson.loads(e[6:]) for e in EventShape(completion_id="c", created=1, model="m").events(COMPLETION)
              if e != b"data: [DONE]\n\n"]
    assert all("usage" not in event for event in events)
    assert [event["object"] for event in events] == ["chat.completion.chunk"] * len(events)
    assert include_usage({"stream_options": {"include_usage": True}}) and not include_usage({"stream": True})


def test_a_stream_without_done_or_with_a_bad_event_is_invalid() -> None:
    cut = StreamReader()
    cut.feed(b'data: {"choices": [{"delta": {"content": "Par"}}]}\n\n')
    with pytest.raises(InvalidResponse, match=r"ended before \[DONE\]"):
        cut.completion()
    bad = StreamReader()
    bad.feed(b"data: {oops\n\ndata: [DONE]\n\n")
    with pytest.raises(InvalidResponse, match="bad stream event"):
        bad.completion()


def test_parsed_chunks_end_with_a_finish_reason() -> None:
    reader = StreamReader()
    reader.take({"model": "m", "choices": [{"index": 0, "delta": {"content": "Hi"}}]})
    reader.take({"choices": [{"index": 1, "delta": {"content": "other choice"}}]})
    with pytest.raises(InvalidResponse, match="before a finish_reason"):
        reader.completion(require_done=False)
    reader.take({"choices": [{"index": 0, "delta": {}, "finish_reason": "stop"}],
                 "usage": {"prompt_tokens": 1, "completion_tokens": 1}})
    assert reader.completion(require_done=False) == Completion(output="Hi", finish_reason="stop", model="m",
                                                               usage=Usage(prompt_tokens=1, completion_tokens=1))


def test_error_message_and_body() -> None:
    assert error_message(orjson.dumps(error_body("slow down", status=429)), 429) == "slow down"
    assert error_body("x", status=429)["error"]["type"] == "rate_limit_error"
    assert error_body("x", status=502, code="c") == {"error": {"message": "x", "type": "server_error", "param": None,
                                                               "code": "c"}}
    assert error_message(b"", 503) == "HTTP 503"


def test_scrub_removes_the_key_only() -> None:
    assert scrub("key sk-123 rejected", "sk-123") == "key *** rejected"
    assert scrub("nothing here", None) == "nothing here"
