"""Redaction on every path that stores: the gateway, ``modelswap.shadow``, ``Experiment`` and ``record``.

Each test puts a card number where a user would (messages, params, metadata, ``expect``, the
category) and lets an upstream echo it back (outputs, error messages), configures one ``redact:``
rule, then reads back every column of every table of the SQLite store, and its raw bytes: the
card is nowhere, its redaction mark is there. The upstream echoes the user's last message, and
for a message containing ``fail`` answers 401 quoting the key it was sent, as OpenAI does.
"""

from __future__ import annotations

import sqlite3
import subprocess
import sys
from pathlib import Path
from typing import Any

import openai
import orjson
import pytest

import modelswap
from modelswap.config import Settings
from modelswap.serving import running_server
from modelswap.types import ChatRequest
from test_gateway import gateway
from test_gateway_redact import _echo_upstream

CARD = "4111 1111 1111 1111"
MARK = "[REDACTED:card]"
RULE = {"name": "card", "pattern": r"\b(?:\d{4}[ -]?){3}\d{4}\b"}
ARM_KEY = "arm-key-0123456789"
CLIENT_KEY = "client-key-9876543210"
SAID = f"Charge my card {CARD} please"


def settings(upstream: str, db: Path) -> Settings:
    arm = {"backend": "openai", "base_url": f"{upstream}/v1", "api_key_env": "ARM_KEY", "max_retries": 0}
    return Settings.model_validate({
        "store": f"sqlite:///{db}", "redact": [RULE],
        "arms": {"primary": {**arm, "model": "m-a"}, "cand": {**arm, "model": "m-b"}},
        "routes": {"bot": {"primary": "primary", "candidates": ["cand"], "shadow": {"sample_rate": 1.0}}}})


def every_cell(db: Path) -> list[str]:
    """Every value of every row of every table, as text."""
    with sqlite3.connect(db) as connection:
        tables = [row[0] for row in connection.execute("SELECT name FROM sqlite_master WHERE type = 'table'")]
        return [str(value) for table in tables for row in connection.execute(f'SELECT * FROM "{table}"')
                for value in row]


def assert_nothing_stored_in_clear(db: Path, *secrets: str) -> list[str]:
    cells = every_cell(db)
    raw = b"".join(path.read_bytes() for path in db.parent.glob(f"{db.name}*"))
    for secret in (CARD, *secrets):
        assert not [cell for cell in cells if secret in cell], secret
        assert secret.encode() not in raw, secret
    return cells


def body_params() -> dict[str, Any]:
    return {"user": CARD, "metadata": {"note": f"card {CARD}"}}


def test_gateway(tmp_path: Path) -> None:
    db = tmp_path / "gw.db"
    with running_server(_echo_upstream()) as upstream, \
            gateway(settings(upstream, db), env={"ARM_KEY": ARM_KEY}) as url:
        client = openai.OpenAI(base_url=f"{url}/v1", api_key=CLIENT_KEY, max_retries=0)
        answer = client.chat.completions.create(model="bot", messages=[{"role": "user", "content": SAID}],
                                                extra_headers={"x-modelswap-category": f"card {CARD}"},
                                                **body_params())
        with pytest.raises(openai.AuthenticationError):
            client.chat.completions.create(model="bot", messages=[{"role": "user", "content": f"fail {CARD}"}])
    assert answer.choices[0].message.content == f"You said: {SAID}"  # the client's answer is untouched
    cells = assert_nothing_stored_in_clear(db, ARM_KEY, CLIENT_KEY)
    assert sum(f"You said: Charge my card {MARK} please" == cell for cell in cells) >= 2  # outputs, both arms
    assert any(MARK in cell and '"metadata"' in cell for cell in cells)  # params and metadata
    assert f"card {MARK}" in cells  # the category


def test_modelswap_shadow(tmp_path: Path) -> None:
    db = tmp_path / "shadow.db"
    with running_server(_echo_upstream()) as upstream:
        inner = openai.OpenAI(base_url=f"{upstream}/v1", api_key=CLIENT_KEY, max_retries=0)
        with pytest.MonkeyPatch.context() as patch:
            patch.setenv("ARM_KEY", ARM_KEY)
            client = modelswap.shadow(inner, route="bot", config=settings(upstream, db))
        with client:
            answer = client.chat.completions.create(model="m-a", messages=[{"role": "user", "content": SAID}],
                                                    **body_params())
            with pytest.raises(openai.AuthenticationError):  # the upstream quotes the client's own key
                client.chat.completions.create(model="m-a", messages=[{"role": "user", "content": f"fail {CARD}"}])
    assert answer.choices[0].message.content == f"You said: {SAID}"
    cells = assert_nothing_stored_in_clear(db, ARM_KEY, CLIENT_KEY)
    assert sum(f"You said: Charge my card {MARK} please" == cell for cell in cells) == 2  # primary, candidate
    assert any("AuthenticationError" in cell and "***" in cell for cell in cells)


def test_experiment(tmp_path: Path) -> None:
    db = tmp_path / "exp.db"
    config = Settings.model_validate({"store": f"sqlite:///{db}", "redact": [RULE]})
    request = ChatRequest(id="x", messages=({"role": "user", "content": SAID},), params=body_params(),
                          category=f"card {CARD}", expect={"fields": {"card": CARD}})

    def candidate() -> str:
        raise ValueError(f"card {CARD} declined")

    with modelswap.Experiment("pay", config=config) as experiment:
        assert experiment.run(lambda: f"charged {CARD}", candidate, request=request) == f"charged {CARD}"
    cells = assert_nothing_stored_in_clear(db)
    assert f"charged {MARK}" in cells and f"ValueError: card {MARK} declined" in cells
    request_json = next(cell for cell in cells if cell.startswith("{") and '"expect"' in cell)
    assert orjson.loads(request_json)["expect"] == {"fields": {"card": MARK}}


def test_record(tmp_path: Path) -> None:
    db = tmp_path / "rec.db"
    traffic = tmp_path / "traffic.jsonl"
    traffic.write_text(orjson.dumps({"id": "t1", "category": f"card {CARD}", "params": body_params(),
                                     "messages": [{"role": "user", "content": SAID}],
                                     "expect": {"fields": {"card": CARD}}}).decode() + "\n", encoding="utf-8")
    with running_server(_echo_upstream()) as upstream:
        config = tmp_path / "modelswap.yaml"
        config.write_text(settings(upstream, db).model_dump_json(), encoding="utf-8")  # JSON is YAML
        done = subprocess.run([sys.executable, "-m", "modelswap", "record", "-c", str(config), "-t", str(traffic),
                               "--arm", "primary", "--run", "r1"], capture_output=True, text=True, timeout=120,
                              env={"PATH": "/usr/bin:/bin", "COLUMNS": "200", "TERM": "dumb", "ARM_KEY": ARM_KEY})
    assert done.returncode == 0, done.stderr
    assert "recorded 1 observation(s)" in done.stdout
    cells = assert_nothing_stored_in_clear(db, ARM_KEY)
    assert f"You said: Charge my card {MARK} please" in cells
    assert f"card {MARK}" in cells  # the category column
