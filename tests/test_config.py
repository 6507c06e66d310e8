"""Configuration: the documented example loads; every bad config fails with one located line."""

from __future__ import annotations

from pathlib import Path

import pytest

from modelswap.config import LocalArm, OpenAIArm, SimArm, load_settings, parse_settings
from modelswap.errors import ConfigError

GOOD = """\
store: sqlite:///modelswap.db
arms:
  smol:   {backend: local, model: smollm2-135m}
  gemma:  {backend: local, model: gemma3-270m, chat_format: gemma}
  gpt:    {backend: openai, base_url: "https://api.example/v1", model: gpt-4o-mini,
           api_key_env: OPENAI_API_KEY, timeout_s: 30, price: {input_per_mtok: 0.15, output_per_mtok: 0.6}}
  sim-a:  {backend: sim, seed: 1}
  sim-b:  {backend: sim, seed: 2, quirks: {json_fence_rate: 0.3, refusal_rate: 0.02}}
routes:
  support-bot:
    primary: gpt
    candidates: [smol]
    shadow: {sample_rate: 0.1, replica_rate: 0.05, max_in_flight: 64, timeout_s: 30,
             daily_budget_usd: 20, until: "2026-12-31T00:00:00Z"}
"""


def test_documented_example_loads() -> None:
    settings = parse_settings(GOOD)
    assert isinstance(settings.arms["smol"], LocalArm)
    gpt = settings.arms["gpt"]
    assert isinstance(gpt, OpenAIArm)
    assert (gpt.base_url, gpt.api_key_env, gpt.timeout_s, gpt.price.output_per_mtok) == (
        "https://api.example/v1", "OPENAI_API_KEY", 30.0, 0.6)
    sim = settings.arms["sim-b"]
    assert isinstance(sim, SimArm)
    assert sim.quirks.json_fence_rate == 0.3
    route = settings.routes["support-bot"]
    assert (route.primary, route.candidates, route.shadow.sample_rate) == ("gpt", ("smol",), 0.1)
    assert settings.role_of("gpt") == "primary"
    assert settings.role_of("smol") == "candidate"


def test_readme_example_loads() -> None:
    readme = (Path(__file__).parents[1] / "README.md").read_text(encoding="utf-8")
    block = readme.split("```yaml\n", 1)[1].split("```", 1)[0]
    settings = parse_settings(block, path="README.md")
    assert settings.arms
    assert settings.routes


@pytest.mark.parametrize(("old", "new", "expected"), [
    ("backend: local, model: smollm2-135m", "backend: lama, model: smollm2-135m",
     "m.yaml:3: arms.smol.backend: unknown backend 'lama'; expected one of local, openai, sim"),
    ("{backend: local, model: smollm2-135m}", "{model: smollm2-135m}",
     "m.yaml:3: arms.smol.backend: required; expected one of local, openai, sim"),
    ("json_fence_rate: 0.3", "json_fence_rate: 1.3",
     "m.yaml:8: arms.sim-b.quirks.json_fence_rate: Input should be less than or equal to 1 (got 1.3)"),
    ("json_fence_rate: 0.3", "json_fence: 0.3", "m.yaml:8: arms.sim-b.quirks.json_fence: unknown key"),
    ("candidates: [smol]", "candidates: [smoll]",
     "m.yaml:12: routes.support-bot.candidates.0: unknown arm 'smoll'; expected one of gemma, gpt, sim-a, sim-b, "
     "smol"),
    ("primary: gpt", "primary: gtp",
     "m.yaml:11: routes.support-bot.primary: unknown arm 'gtp'; expected one of gemma, gpt, sim-a, sim-b, smol"),
    ('base_url: "https://api.example/v1", ', "", "m.yaml:5: arms.gpt.base_url: required key is missing"),
    ('"https://api.example/v1"', '"api.example/v1"',
     "m.yaml:5: arms.gpt.base_url: must start with http:// or https://, got 'api.example/v1'"),
    ("sample_rate: 0.1", "sample_rate: 1.5",
     "m.yaml:13: routes.support-bot.shadow.sample_rate: Input should be less than or equal to 1 (got 1.5)"),
    ("timeout_s: 30, price", "timeout_s: -1, price",
     "m.yaml:6: arms.gpt.timeout_s: Input should be greater than 0 (got -1)"),
    ("api_key_env: OPENAI_API_KEY", "headers: {Authorization: sk-secret}",
     "m.yaml:6: arms.gpt.headers: header 'Authorization' carries a secret; name its variable in api_key_env "
     "instead"),
    ("routes:", "routes: [", "m.yaml:11: invalid YAML: expected ',' or ']', but got ':'"),
])
def test_bad_config_is_one_line_naming_file_line_and_key(old: str, new: str, expected: str) -> None:
    assert old in GOOD
    with pytest.raises(ConfigError) as caught:
        parse_settings(GOOD.replace(old, new, 1), path="m.yaml")
    assert str(caught.value) == expected
    assert "\n" not in str(caught.value)
    assert "sk-secret" not in str(caught.value)


def test_top_level_must_be_a_mapping() -> None:
    with pytest.raises(ConfigError, match=r"^m.yaml:1: the top level must be a mapping"):
        parse_settings("- a\n- b\n", path="m.yaml")


def test_missing_file_names_it(tmp_path: Path) -> None:
    with pytest.raises(ConfigError) as caught:
        load_settings(tmp_path / "none.yaml", env={})
    assert str(caught.value) == f"{tmp_path / 'none.yaml'}: file not found (pass --config or set MODELSWAP_CONFIG)"


def test_environment_overrides(tmp_path: Path) -> None:
    path = tmp_path / "c.yaml"
    path.write_text(GOOD, encoding="utf-8")
    settings = load_settings(env={"MODELSWAP_CONFIG": str(path), "MODELSWAP_STORE": "postgresql://root@h/test",
                                  "MODELSWAP__arms__smol__n_threads": "2",
                                  "MODELSWAP__routes__support-bot__shadow__sample_rate": "0.5"})
    assert settings.store == "postgresql://root@h/test"
    smol = settings.arms["smol"]
    assert isinstance(smol, LocalArm)
    assert smol.n_threads == 2
    assert settings.routes["support-bot"].shadow.sample_rate == 0.5


def test_environment_override_is_validated_too() -> None:
    with pytest.raises(ConfigError, match=r"arms.smol.n_threads: Input should be greater than or equal to 1"):
        parse_settings(GOOD, env={"MODELSWAP__arms__smol__n_threads": "0"})


def test_unknown_arm_lookup_lists_known_arms() -> None:
    with pytest.raises(ConfigError, match=r"^arms: unknown arm 'x'; expected one of gemma, gpt, sim-a, sim-b, smol$"):
        parse_settings(GOOD).arm("x")


JUDGED = GOOD + """\
    judge:
      arm: sim-a
      rubric: Prefer the answer that keeps the customer's order number.
      rubrics: {billing: Prefer the answer with the right amount.}
"""


def test_a_route_judge_loads() -> None:
    judge = parse_settings(JUDGED).routes["support-bot"].judge
    assert judge is not None
    assert (judge.arm, judge.rubric, judge.rubrics, judge.concurrency) == (
        "sim-a", "Prefer the answer that keeps the customer's order number.",
        {"billing": "Prefer the answer with the right amount."}, 4)
    assert parse_settings(GOOD).routes["support-bot"].judge is None


@pytest.mark.parametrize(("old", "new", "expected"), [
    ("arm: sim-a", "arm: sim-z",
     "m.yaml:16: routes.support-bot.judge.arm: unknown arm 'sim-z'; expected one of gemma, gpt, sim-a, sim-b, smol"),
    ("rubrics: {", "per_category: {", "m.yaml:18: routes.support-bot.judge.per_category: unknown key"),
    ("rubric: Prefer the answer that keeps the customer's order number.", "rubric: ''",
     "m.yaml:17: routes.support-bot.judge.rubric: String should have at least 1 character (got '')"),
    ("{billing: Prefer the answer with the right amount.}", "{billing: ''}",
     "m.yaml:18: routes.support-bot.judge.rubrics.billing: String should have at least 1 character (got '')"),
])
def test_a_bad_judge_names_its_key(old: str, new: str, expected: str) -> None:
    assert old in JUDGED
    with pytest.raises(ConfigError) as caught:
        parse_settings(JUDGED.replace(old, new, 1), path="m.yaml")
    assert str(caught.value) == expected
