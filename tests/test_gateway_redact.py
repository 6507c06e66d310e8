"""Redaction before storage: the rules and presets, their validation, and the gateway over real HTTP.

The upstream here is a small Starlette app that echoes the user's message (so personal data
comes back in the output) and, for a message containing ``fail``, answers 401 quoting the key
it was sent, as OpenAI does. The client must get every answer untouched; the store, read both
through its API and as raw bytes, must hold none of the secrets.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import httpx
import openai
import orjson
import pytest
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from modelswap.config import RedactRule, Settings, parse_settings
from modelswap.errors import ConfigError
from modelswap.redact import Redactor
from modelswap.serving import running_server
from modelswap.store import open_store
from modelswap.types import ChatRequest, ErrorInfo, Observation
from test_gateway import gateway

EMAIL = "jane.doe@example.co.uk"
CLIENT_KEY = "sk-proj-Abc123def456ghi789jkl0"
ARM_KEY = "arm-secret-7f3a9c1e"  # matches no preset: only the arm-key redaction can remove it


def presets(*names: str) -> Redactor:
    return Redactor(RedactRule.model_validate(name) for name in names)


@pytest.mark.parametrize(("text", "expected"), [
    (f"mail {EMAIL} now", "mail [REDACTED:emails] now"),
    ("a.b+tag@sub.example.org, c@d.io", "[REDACTED:emails], [REDACTED:emails]"),
    ("no at sign here, nor user@localhost", "no at sign here, nor user@localhost"),
])
def test_email_preset(text: str, expected: str) -> None:
    assert presets("emails").text(text) == expected


@pytest.mark.parametrize(("text", "expected"), [
    ("call +44 20 7946 0958.", "call [REDACTED:phones]."),
    ("call +1-415-555-0100 or (020) 7946 0958", "call [REDACTED:phones] or [REDACTED:phones]"),
    ("US 415.555.0100", "US [REDACTED:phones]"),
    ("on 2026-06-01 at 12:30, order 12345, v1.2.3", "on 2026-06-01 at 12:30, order 12345, v1.2.3"),
])
def test_phone_preset(text: str, expected: str) -> None:
    assert presets("phones").text(text) == expected


@pytest.mark.parametrize(("text", "expected"), [
    (f"key {CLIENT_KEY}!", "key [REDACTED:api_keys]!"),
    ("aws AKIAIOSFODNN7EXAMPLE ok", "aws [REDACTED:api_keys] ok"),
    ("Authorization: Bearer eyJhbGciOi.J9x-y_z", "Authorization: [REDACTED:api_keys]"),
    ("gh ghp_" + "a1" * 18, "gh [REDACTED:api_keys]"),
    ("a task-list and sk-short stay", "a task-list and sk-short stay"),
])
def test_api_key_preset(text: str, expected: str) -> None:
    assert presets("api_keys").text(text) == expected


def test_rules_from_config_with_replacements() -> None:
    settings = parse_settings("redact:\n  - emails\n  - {name: phones, replacement: '<phone>'}\n"
                              "  - {name: order, pattern: 'ORD-\\d+', replacement: 'ORD-\\1?'}\n")
    assert [(rule.name, rule.text) for rule in settings.redact] == [
        ("emails", "[REDACTED:emails]"), ("phones", "<phone>"), ("order", "ORD-\\1?")]
    # the replacement is literal text, backslashes included
    assert Redactor(settings.redact).text(f"{EMAIL} +33 1 23 45 67 89 ORD-991") == "[REDACTED:emails] <phone> ORD-\\1?"


@pytest.mark.parametrize(("yaml_text", "message"), [
    ("redact:\n  - emails\n  - {name: bad, pattern: 'a(b'}\n",
     "<config>:3: redact.1.pattern: not a valid regular expression: missing ), unterminated subpattern at position 1"),
    ("redact:\n  - {name: all, pattern: 'x*'}\n",
     "<config>:2: redact.0.pattern: matches the empty string, so it would redact between every character"),
    ("redact:\n  - passwords\n",
     "<config>:2: redact.0: unknown preset 'passwords' (give a pattern, or one of api_keys, emails, phones)"),
    ("redact:\n  - {name: x, pattern: y, colour: red}\n", "<config>:2: redact.0.colour: unknown key"),
])
def test_bad_rules_are_config_errors(yaml_text: str, message: str) -> None:
    with pytest.raises(ConfigError) as caught:
        parse_settings(yaml_text)
    assert str(caught.value) == message


def test_redactor_rewrites_requests_and_observations_not_keys() -> None:
    redactor = Redactor([RedactRule.model_validate("emails")], secrets=[ARM_KEY])
    request = ChatRequest(id="t", messages=({"role": "user", "content": f"I am {EMAIL}"},),
                          params={"user": EMAIL, "tools": [{"description": f"mail {EMAIL}"}], "n": 2})
    assert redactor.request(request) == ChatRequest(
        id="t", messages=({"role": "user", "content": "I am [REDACTED:emails]"},),
        params={"user": "[REDACTED:emails]", "tools": [{"description": "mail [REDACTED:emails]"}], "n": 2})
    observation = Observation(arm="a", model="m", output=f"hi {EMAIL}",
                              error=ErrorInfo(kind="http", status=401, message=f"bad key {ARM_KEY}"))
    redacted = redactor.observation(observation)
    assert (redacted.output, redacted.error) == (
        "hi [REDACTED:emails]", ErrorInfo(kind="http", status=401, message="bad key ***"))
    assert Redactor().request(request) is request


def _echo_upstream() -> Starlette:
    async def chat(request: Request) -> Response:
        body = orjson.loads(await request.body())
        said = body["messages"][-1]["content"]
        if "fail" in said:
            sent = request.headers.get("authorization", "").removeprefix("Bearer ")
            return JSONResponse({"error": {"message": f"Incorrect API key provided: {sent}.", "type": "auth",
                                           "param": None, "code": "invalid_api_key"}}, status_code=401)
        return JSONResponse({"id": "c-1", "object": "chat.completion", "created": 0, "model": body["model"],
                             "choices": [{"index": 0, "finish_reason": "stop",
                                          "message": {"role": "assistant", "content": f"You said: {said}"}}],
                             "usage": {"prompt_tokens": 5, "completion_tokens": 7, "total_tokens": 12}})
    return Starlette(routes=[Route("/v1/chat/completions", chat, methods=["POST"])])


def _settings(upstream_url: str, store: str, redact: list[Any]) -> Settings:
    arm = {"backend": "openai", "base_url": f"{upstream_url}/v1", "api_key_env": "ARM_KEY"}
    return Settings.model_validate({
        "store": store, "redact": redact,
        "arms": {"primary": {**arm, "model": "m-a"}, "cand": {**arm, "model": "m-b"}},
        "routes": {"bot": {"primary": "primary", "candidates": ["cand"], "shadow": {"sample_rate": 1.0}}}})


def _stored_bytes(db: Path) -> bytes:
    return b"".join(path.read_bytes() for path in db.parent.glob(f"{db.name}*"))


def test_client_gets_the_answer_untouched_and_the_store_holds_no_secret(tmp_path: Path) -> None:
    db = tmp_path / "r.db"
    message = f"Write to {EMAIL} with key {CLIENT_KEY}"
    with running_server(_echo_upstream()) as upstream:
        direct = httpx.post(f"{upstream}/v1/chat/completions", headers={"authorization": f"Bearer {ARM_KEY}"},
                            json={"model": "m-a", "messages": [{"role": "user", "content": message}]})
        settings = _settings(upstream, f"sqlite:///{db}", ["emails", "api_keys"])
        with gateway(settings, env={"ARM_KEY": ARM_KEY}) as url:
            client = openai.OpenAI(base_url=f"{url}/v1", api_key="x", max_retries=0)
            through = client.chat.completions.with_raw_response.create(
                model="bot", messages=[{"role": "user", "content": message}], user=EMAIL)
            with pytest.raises(openai.AuthenticationError) as caught:
                client.chat.completions.create(model="bot", messages=[{"role": "user", "content": "fail"}])
    assert through.http_response.content == direct.content
    assert through.parse().choices[0].message.content == f"You said: {message}"
    assert caught.value.body == {"message": f"Incorrect API key provided: {ARM_KEY}.", "type": "auth", "param": None,
                                 "code": "invalid_api_key"}  # the client gets the upstream's answer as is

    with open_store(f"sqlite:///{db}") as store:
        observations = store.observations("bot")
        requests = {r.messages[-1]["content"]: r for r in store.requests("bot")}
    assert set(requests) == {"Write to [REDACTED:emails] with key [REDACTED:api_keys]", "fail"}
    assert requests["Write to [REDACTED:emails] with key [REDACTED:api_keys]"].params == {"user": "[REDACTED:emails]"}
    outputs = sorted((o.role, o.observation.output or "", o.observation.error.message if o.observation.error else "")
                     for o in observations)
    echoed = "You said: Write to [REDACTED:emails] with key [REDACTED:api_keys]"
    refused = "Incorrect API key provided: ***."
    assert outputs == [("candidate", "", refused), ("candidate", echoed, ""),
                       ("primary", "", refused), ("primary", echoed, "")]
    raw = _stored_bytes(db)
    assert b"You said" in raw  # the check below reads the real data
    for secret in (EMAIL, CLIENT_KEY, ARM_KEY):
        assert secret.encode() not in raw
