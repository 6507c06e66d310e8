"""Configuration of the prompts a route applies (``routes.NAME.prompts``) and of an arm's ``family``: what loads,
the family derived from a model id, and each error naming the file, the line and the key."""

from __future__ import annotations

from pathlib import Path

import pytest

from modelswap.config import RoutePromptConfig, load_settings
from modelswap.errors import ConfigError

HEAD = """store: sqlite://
arms:
  gpt: {backend: sim, model: gpt-4o-mini}
  gem: {backend: sim, model: Google/Gemma3-270m}
  tuned: {backend: sim, model: acme-support-v3, family: llama}
  bare: {backend: sim, model: "3b"}
routes:
  bot:
    primary: gpt
"""


def load(tmp_path: Path, tail: str) -> object:
    path = tmp_path / "m.yaml"
    path.write_text(HEAD + tail, encoding="utf-8")
    return load_settings(path)


def test_prompts_load_as_a_mapping_or_a_list_of_names(tmp_path: Path) -> None:
    settings = load(tmp_path, """    prompts:
      a: {}
      b: {label: staging}
      c: {split: {production: 87.5, staging: 12.5}, sticky: {metadata: conversation_id}}
  other:
    primary: gpt
    prompts: [a, c]
""")
    routes = settings.routes  # type: ignore[attr-defined]
    assert routes["bot"].prompts == {
        "a": RoutePromptConfig(), "b": RoutePromptConfig(label="staging"),
        "c": RoutePromptConfig(split={"production": 87.5, "staging": 12.5}, sticky={"metadata": "conversation_id"})}
    assert routes["other"].prompts == {"a": RoutePromptConfig(), "c": RoutePromptConfig()}
    assert routes["bot"].prompts["a"].label == "production"


def test_an_arm_family_is_its_own_else_its_model_ids_leading_letters(tmp_path: Path) -> None:
    arms = load(tmp_path, "").arms  # type: ignore[attr-defined]
    assert {name: arm.prompt_family for name, arm in arms.items()} == {
        "gpt": "gpt", "gem": "gemma", "tuned": "llama", "bare": None}


@pytest.mark.parametrize(("tail", "message"), [
    ("    prompts:\n      a: {split: {production: 90, staging: 5}}\n",
     "m.yaml:11: routes.bot.prompts.a.split: weights must sum to 100, got 95"),
    ("    prompts:\n      a: {split: {production: 100}}\n",
     "m.yaml:11: routes.bot.prompts.a.split: must name exactly two labels with their weights, got 1"),
    ("    prompts:\n      a: {split: {production: 90.001, staging: 9.999}}\n",
     "m.yaml:11: routes.bot.prompts.a.split: production: has more than two decimals (0.01% is the finest step), "
     "got 90.001"),
    ("    prompts:\n      a:\n        label: staging\n        split: {production: 50, staging: 50}\n",
     "m.yaml:11: routes.bot.prompts.a: set label or split, not both"),
    ("    prompts:\n      a: {sticky: {header: x, field: user}}\n",
     "m.yaml:11: routes.bot.prompts.a.sticky: must have exactly one of header, field, metadata (got header, field)"),
    ("    prompts:\n      a: {lable: staging}\n", "m.yaml:11: routes.bot.prompts.a.lable: unknown key"),
])
def test_errors_name_the_file_line_and_key(tmp_path: Path, tail: str, message: str) -> None:
    with pytest.raises(ConfigError) as raised:
        load(tmp_path, tail)
    assert str(raised.value).endswith(message)
