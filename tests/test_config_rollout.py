"""Configuration of a route's rollout, the admin token's variable and alert webhooks: the documented example
loads with its defaults, and every bad value fails with one line naming the file, line and key."""

from __future__ import annotations

import pytest

from modelswap.config import (
    DEFAULT_STAGES,
    GuardsConfig,
    StageConfig,
    parse_duration_s,
    parse_settings,
    percent_to_bp,
)
from modelswap.errors import ConfigError

GOOD = """\
arms:
  gpt: {backend: sim, seed: 1}
  smol: {backend: sim, seed: 2}
routes:
  support-bot:
    primary: gpt
    candidates: [smol]
    rollout:
      candidate: smol
      sticky: {header: x-user-id}
      segments: [{header: x-internal, equals: "1", percent: 100}]
      stages: [{percent: 1, min_trials: 200, soak: 10m}, {percent: 5}, {percent: 25}, {percent: 50}, {percent: 100}]
      guards: {error_rate: 0.02, p95_latency_ratio: 1.5}
      gate: default
admin: {token_env: MODELSWAP_ADMIN_TOKEN}
alerts: {webhooks: [{url: "https://hooks.example/rollout", format: slack}]}
"""


def test_the_documented_rollout_loads() -> None:
    settings = parse_settings(GOOD)
    rollout = settings.routes["support-bot"].rollout
    assert rollout is not None
    assert (rollout.candidate, rollout.sticky, rollout.gate, rollout.salt) == (
        "smol", {"header": "x-user-id"}, "default", None)
    assert [(s.header, s.equals, s.percent, s.percent_bp) for s in rollout.segments] == [("x-internal", "1", 100.0,
                                                                                          10_000)]
    assert [(s.percent_bp, s.min_trials, s.soak_s) for s in rollout.stages] == [
        (100, 200, 600.0), (500, 200, 600.0), (2500, 200, 600.0), (5000, 200, 600.0), (10_000, 200, 600.0)]
    assert rollout.guards == GuardsConfig(error_rate=0.02, p95_latency_ratio=1.5)
    assert settings.admin is not None and settings.admin.token_env == "MODELSWAP_ADMIN_TOKEN"
    assert [(w.url, w.format) for w in settings.alerts.webhooks] == [("https://hooks.example/rollout", "slack")]


def test_defaults_of_a_minimal_rollout() -> None:
    text = GOOD.split("      segments:")[0] + "admin: {}\n"
    settings = parse_settings(text)
    rollout = settings.routes["support-bot"].rollout
    assert rollout is not None
    assert (rollout.segments, rollout.stages, rollout.guards, rollout.gate, rollout.salt) == (
        (), DEFAULT_STAGES, GuardsConfig(error_rate=None, p95_latency_ratio=None), "default", None)
    assert [s.percent for s in DEFAULT_STAGES] == [1, 5, 25, 50, 100]
    assert settings.admin is not None and settings.admin.token_env == "MODELSWAP_ADMIN_TOKEN"
    assert settings.alerts.webhooks == ()
    assert parse_settings(text.replace("admin: {}\n", "")).admin is None
    assert parse_settings(GOOD.split("    rollout:")[0]).routes["support-bot"].rollout is None


def test_sticky_by_field_or_metadata_and_a_salt() -> None:
    for sticky in ("{field: user}", "{metadata: conversation_id}"):
        text = GOOD.replace("{header: x-user-id}", sticky).replace("gate: default", "gate: default\n      salt: s2")
        rollout = parse_settings(text).routes["support-bot"].rollout
        assert rollout is not None
        assert rollout.sticky == dict([sticky.strip("{}").split(": ")])
        assert rollout.salt == "s2"


@pytest.mark.parametrize(("old", "new", "expected"), [
    ("candidate: smol", "candidate: gpt",
     "m.yaml:9: routes.support-bot.rollout.candidate: 'gpt' is not one of the route's candidates (smol)"),
    ("candidate: smol", "candidate: nobody",
     "m.yaml:9: routes.support-bot.rollout.candidate: 'nobody' is not one of the route's candidates (smol)"),
    ("      candidate: smol\n", "",
     "m.yaml:8: routes.support-bot.rollout.candidate: required key is missing"),
    ("{header: x-user-id}", "{header: x-user-id, field: user}",
     "m.yaml:10: routes.support-bot.rollout.sticky: must have exactly one of header, field, metadata "
     "(got header, field)"),
    ("{header: x-user-id}", "{}",
     "m.yaml:10: routes.support-bot.rollout.sticky: must have exactly one of header, field, metadata (got none)"),
    ("{header: x-user-id}", "{cookie: sid}",
     "m.yaml:10: routes.support-bot.rollout.sticky: unknown key 'cookie'; expected one of header, field, metadata"),
    ("{header: x-user-id}", "{header: ''}", "m.yaml:10: routes.support-bot.rollout.sticky: names no key (an empty "
     "string)"),
    ("equals: \"1\"", "equals: 1",
     "m.yaml:11: routes.support-bot.rollout.segments.0.equals: Input should be a valid string (got 1)"),
    ("x-internal, equals", "x-internal, field: user, equals",
     "m.yaml:11: routes.support-bot.rollout.segments.0.field: unknown key"),
    ('equals: "1", percent: 100', 'equals: "1", percent: 100.5',
     "m.yaml:11: routes.support-bot.rollout.segments.0.percent: Input should be less than or equal to 100 "
     "(got 100.5)"),
    ("{percent: 25}", "{percent: 3}",
     "m.yaml:12: routes.support-bot.rollout.stages.2.percent: 3 must be greater than the stage before it (5)"),
    ("{percent: 25}", "{percent: 5}",
     "m.yaml:12: routes.support-bot.rollout.stages.2.percent: 5 must be greater than the stage before it (5)"),
    ("{percent: 100}]", "{percent: 90}]",
     "m.yaml:12: routes.support-bot.rollout.stages.4.percent: the last stage must be 100, got 90"),
    ("{percent: 5}", "{percent: 0}",
     "m.yaml:12: routes.support-bot.rollout.stages.1.percent: Input should be greater than 0 (got 0)"),
    ("{percent: 5}", "{percent: 5.001}",
     "m.yaml:12: routes.support-bot.rollout.stages.1.percent: has more than two decimals (0.01% is the finest "
     "step), got 5.001"),
    ("soak: 10m", "soak: 10 minutes",
     "m.yaml:12: routes.support-bot.rollout.stages.0.soak: must be a duration such as 30s, 10m, 1h or a number "
     "of seconds, got '10 minutes'"),
    ("soak: 10m", "soak: -5",
     "m.yaml:12: routes.support-bot.rollout.stages.0.soak: must be a duration of 0 seconds or more, got -5"),
    ("min_trials: 200", "min_trials: -1",
     "m.yaml:12: routes.support-bot.rollout.stages.0.min_trials: Input should be greater than or equal to 0 "
     "(got -1)"),
    ("{percent: 5}", "{percent: 5, bake: 1m}", "m.yaml:12: routes.support-bot.rollout.stages.1.bake: unknown key"),
    ("stages: [{percent: 1, min_trials: 200, soak: 10m}, {percent: 5}, {percent: 25}, {percent: 50}, "
     "{percent: 100}]", "stages: []",
     "m.yaml:12: routes.support-bot.rollout.stages: must list at least one stage (the last at percent 100)"),
    ("error_rate: 0.02", "error_rate: 2",
     "m.yaml:13: routes.support-bot.rollout.guards.error_rate: Input should be less than or equal to 1 (got 2)"),
    ("p95_latency_ratio: 1.5", "p95_latency_ratio: 0",
     "m.yaml:13: routes.support-bot.rollout.guards.p95_latency_ratio: Input should be greater than 0 (got 0)"),
    ("gate: default", "gate: ''",
     "m.yaml:14: routes.support-bot.rollout.gate: String should have at least 1 character (got '')"),
    ("gate: default", "gates: default", "m.yaml:14: routes.support-bot.rollout.gates: unknown key"),
    ("token_env: MODELSWAP_ADMIN_TOKEN", "token_env: s3cr3t-t0ken!",
     "m.yaml:15: admin.token_env: must be the name of the environment variable holding the token (letters, "
     "digits, _), never the token itself"),
    ("{token_env: MODELSWAP_ADMIN_TOKEN}", "{token: abc}", "m.yaml:15: admin.token: unknown key"),
    ("format: slack", "format: teams",
     "m.yaml:16: alerts.webhooks.0.format: Input should be 'json' or 'slack' (got 'teams')"),
    ('url: "https://hooks.example/rollout"', "url: hooks.example",
     "m.yaml:16: alerts.webhooks.0.url: must start with http:// or https://, got 'hooks.example'"),
])
def test_a_bad_rollout_names_its_key(old: str, new: str, expected: str) -> None:
    assert old in GOOD
    with pytest.raises(ConfigError) as caught:
        parse_settings(GOOD.replace(old, new, 1), path="m.yaml")
    assert str(caught.value) == expected
    assert "s3cr3t" not in str(caught.value)


@pytest.mark.parametrize(("value", "seconds"), [
    ("30s", 30.0), ("10m", 600.0), ("1h", 3600.0), ("2d", 172_800.0), ("1.5m", 90.0), ("45", 45.0), (0, 0.0),
    (12.5, 12.5), (" 5 m ", 300.0),
])
def test_durations(value: object, seconds: float) -> None:
    assert parse_duration_s(value) == seconds


@pytest.mark.parametrize("value", ["10 minutes", "1h30m", "m", "", "-1s", True, None, -3, float("nan"),
                                   float("inf")])
def test_bad_durations(value: object) -> None:
    with pytest.raises(ValueError, match="must be a duration"):
        parse_duration_s(value)


def test_percent_to_basis_points() -> None:
    assert [percent_to_bp(p) for p in (0, 0.01, 0.07, 1, 5.5, 33.33, 99.99, 100)] == [
        0, 1, 7, 100, 550, 3333, 9999, 10_000]
    for bad in (0.001, 33.333, -0.01, 100.01, float("nan")):
        with pytest.raises(ValueError):
            percent_to_bp(bad)


def test_a_stage_is_built_in_python_with_seconds() -> None:
    assert StageConfig(percent=2.5, soak_s=30).soak_s == 30.0
    assert StageConfig.model_validate({"percent": 2.5, "soak": "1m"}).soak_s == 60.0
