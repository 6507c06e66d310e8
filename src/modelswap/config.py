"""Configuration: one YAML file declaring the store, the arms and the routes.

What it is: loading ``modelswap.yaml`` (path from ``--config``, ``MODELSWAP_CONFIG`` or the
current directory), applying ``MODELSWAP_*`` environment overrides, validating with
pydantic, and turning every problem into one ``ConfigError`` line that names the file,
the line and the dotted key. What it is not: building backends or stores from it.

Secrets never live in the file: an arm names the environment variable holding its key
(``api_key_env``) and the key is read only when the arm is built; ``admin.token_env`` names the
one holding the admin API's token.

A route's ``rollout`` block is its canary plan (candidate, sticky key, segments, stages, guards,
gate); percentages are validated to 0.01% (``percent_to_bp``) and soaks read as durations
(``parse_duration_s``). Where the rollout stands is not configuration: it lives in the store.

Environment overrides: ``MODELSWAP_STORE`` replaces ``store``; any
``MODELSWAP__A__B__C=value`` sets the nested key ``A.B.C`` (the value is read as YAML,
so ``0.5`` is a number and ``[a, b]`` a list).
"""

from __future__ import annotations

import os
import re
from collections.abc import Mapping
from datetime import datetime
from pathlib import Path
from typing import Annotated, Any, Literal

import yaml
from pydantic import BaseModel, ByteSize, ConfigDict, Field, ValidationError, field_validator, model_validator

from modelswap.errors import ConfigError
from modelswap.sim.quirks import Quirks

DEFAULT_PATH = "modelswap.yaml"
DEFAULT_STORE = "sqlite:///modelswap.db"
ENV_CONFIG = "MODELSWAP_CONFIG"
ENV_STORE = "MODELSWAP_STORE"
ENV_PREFIX = "MODELSWAP__"


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class PriceConfig(_Strict):
    """USD per million input and output tokens."""

    input_per_mtok: float = Field(default=0.0, ge=0)
    output_per_mtok: float = Field(default=0.0, ge=0)


class _ArmBase(_Strict):
    params: dict[str, Any] = Field(default_factory=dict)
    price: PriceConfig = PriceConfig()
    timeout_s: float = Field(default=60.0, gt=0)
    family: str | None = Field(default=None, min_length=1)

    @property
    def prompt_family(self) -> str | None:
        """The family a prompt's ``family:NAME`` variant matches: ``family``, else the model id's leading letters
        (``gemma3-270m`` is ``gemma``, ``org/Qwen2.5-7B`` is ``qwen``), else None."""
        if self.family is not None:
            return self.family
        model = getattr(self, "model", "")
        found = _FAMILY.match(model.rsplit("/", 1)[-1].lower())
        return found.group(0) if found else None


class OpenAIArm(_ArmBase):
    """Any OpenAI-compatible chat-completions endpoint."""

    backend: Literal["openai"] = "openai"
    base_url: str
    model: str
    api_key_env: str | None = None
    max_retries: int = Field(default=2, ge=0, le=10)
    backoff_s: float = Field(default=0.5, ge=0)
    max_backoff_s: float = Field(default=8.0, ge=0)
    max_connections: int = Field(default=100, ge=1)
    forward_authorization: bool = False
    forward_expect: bool = False
    headers: dict[str, str] = Field(default_factory=dict)

    @field_validator("base_url")
    @classmethod
    def _http_url(cls, value: str) -> str:
        if not value.startswith(("http://", "https://")):
            raise ValueError(f"must start with http:// or https://, got {value!r}")
        return value.rstrip("/")

    @field_validator("headers")
    @classmethod
    def _no_secret_headers(cls, value: dict[str, str]) -> dict[str, str]:
        for name in value:
            if name.lower() in {"authorization", "api-key", "x-api-key"}:
                raise ValueError(f"header {name!r} carries a secret; name its variable in api_key_env instead")
        return value


class LocalArm(_ArmBase):
    """A GGUF model run in-process by llama-cpp-python."""

    backend: Literal["local"] = "local"
    model: str = "smollm2-135m"
    model_path: str | None = None
    chat_format: str | None = None
    completion_template: str | None = None
    n_threads: int = Field(default=1, ge=1)
    n_ctx: int = Field(default=2048, ge=128)
    max_queue: int = Field(default=16, ge=0)


class SimArm(_ArmBase):
    """The seeded simulator, in-process."""

    backend: Literal["sim"] = "sim"
    model: str = "sim"
    seed: int = 0
    quirks: Quirks = Quirks()


ArmConfig = Annotated[OpenAIArm | LocalArm | SimArm, Field(discriminator="backend")]
BACKENDS: dict[str, type[_ArmBase]] = {"local": LocalArm, "openai": OpenAIArm, "sim": SimArm}


class ShadowConfig(_Strict):
    """How a route mirrors traffic to its candidates (used by the gateway)."""

    sample_rate: float = Field(default=0.0, ge=0, le=1)
    replica_rate: float = Field(default=0.0, ge=0, le=1)
    max_in_flight: int = Field(default=64, ge=1)
    queue_size: int = Field(default=1024, ge=0)
    timeout_s: float = Field(default=30.0, gt=0)
    daily_budget_usd: float | None = Field(default=None, ge=0)
    until: datetime | None = None


class EmbeddingsShadowConfig(_Strict):
    """A route's ``/v1/embeddings`` shadow (docs/embeddings.md): the primary answers, and a sampled share of
    requests is sent in the background to the ``candidate`` arm; each input text (redacted) is appended to the
    ``probes`` JSONL file, the probe queries of ``modelswap embeddings churn``."""

    candidate: str
    sample: float = Field(default=1.0, ge=0, le=1)
    probes: str = Field(default="embedding-probes.jsonl", min_length=1)
    max_in_flight: int = Field(default=16, ge=1)
    timeout_s: float = Field(default=30.0, gt=0)


class JudgeConfig(_Strict):
    """An arm that judges baseline against candidate on the trials the checks leave open (``compare``).

    ``rubric`` replaces the default rubric; ``rubrics`` replaces it for some categories.
    """

    arm: str
    rubric: str | None = Field(default=None, min_length=1)
    rubrics: dict[str, Annotated[str, Field(min_length=1)]] = Field(default_factory=dict)
    concurrency: int = Field(default=4, ge=1)


#: Where a request's sticky key is (the key that keeps it on its arm): exactly one of these.
SELECTORS = ("header", "field", "metadata")
_DURATION = re.compile(r"^\s*(\d+(?:\.\d+)?)\s*(s|m|h|d)?\s*$")
_DURATION_UNITS_S = {"s": 1.0, "m": 60.0, "h": 3600.0, "d": 86400.0}
_ENV_NAME = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")
_FAMILY = re.compile(r"[a-z]+")


def parse_duration_s(value: Any) -> float:
    """Seconds from ``30s``, ``10m``, ``1h``, ``2d`` or a plain number of seconds; ``ValueError`` otherwise."""
    if isinstance(value, bool):
        raise ValueError(f"must be a duration such as 30s, 10m, 1h or a number of seconds, got {value!r}")
    if isinstance(value, (int, float)):
        seconds = float(value)
    else:
        match = _DURATION.match(value) if isinstance(value, str) else None
        if match is None:
            raise ValueError(f"must be a duration such as 30s, 10m, 1h or a number of seconds, got {value!r}")
        seconds = float(match.group(1)) * _DURATION_UNITS_S[match.group(2) or "s"]
    if not seconds >= 0 or seconds == float("inf"):
        raise ValueError(f"must be a duration of 0 seconds or more, got {value!r}")
    return seconds


def percent_to_bp(percent: float) -> int:
    """Basis points (1% = 100) of a percentage in [0, 100] with at most two decimals; ``ValueError`` otherwise."""
    if isinstance(percent, bool) or not 0 <= percent <= 100:
        raise ValueError(f"must be between 0 and 100, got {percent!r}")
    bp = round(percent * 100)
    if abs(percent * 100 - bp) > 1e-6:
        raise ValueError(f"has more than two decimals (0.01% is the finest step), got {percent!r}")
    return bp


def _one_selector(value: Mapping[str, Any]) -> None:
    unknown = sorted(set(value) - set(SELECTORS))
    if unknown:
        raise ValueError(f"unknown key {unknown[0]!r}; expected one of {', '.join(SELECTORS)}")
    present = [name for name in SELECTORS if name in value]
    if len(present) != 1:
        got = ", ".join(present) or "none"
        raise ValueError(f"must have exactly one of header, field, metadata (got {got})")


class SegmentConfig(_Strict):
    """Requests whose ``header`` equals ``equals`` get ``percent`` on the candidate instead of the route's share.

    Segments are tried in order before the route's percentage; the first that matches decides
    (``modelswap.rollout.assignment.Segment`` takes the same three fields).
    """

    header: str = Field(min_length=1)
    equals: str
    percent: float = Field(ge=0, le=100)

    @field_validator("percent")
    @classmethod
    def _two_decimals(cls, value: float) -> float:
        percent_to_bp(value)
        return value

    @property
    def percent_bp(self) -> int:
        """``percent`` in basis points (1% = 100)."""
        return percent_to_bp(self.percent)


class StageConfig(_Strict):
    """One stage of a rollout plan: a percentage of traffic on the candidate, held for ``soak`` and ``min_trials``."""

    model_config = ConfigDict(extra="forbid", frozen=True, populate_by_name=True)

    percent: float = Field(gt=0, le=100)
    min_trials: int = Field(default=200, ge=0)
    soak_s: float = Field(default=600.0, alias="soak")

    @field_validator("percent")
    @classmethod
    def _two_decimals(cls, value: float) -> float:
        percent_to_bp(value)
        return value

    @field_validator("soak_s", mode="before")
    @classmethod
    def _duration(cls, value: Any) -> float:
        return parse_duration_s(value)

    @property
    def percent_bp(self) -> int:
        """``percent`` in basis points (1% = 100)."""
        return percent_to_bp(self.percent)


class GuardsConfig(_Strict):
    """Limits whose breach rolls back at once, without waiting for a gate (unset: no such guard)."""

    error_rate: float | None = Field(default=None, ge=0, le=1)
    p95_latency_ratio: float | None = Field(default=None, gt=0)


class DriftConfig(_Strict):
    """Watching a promoted route: every ``every`` seconds, ``sample`` recorded requests are asked of the serving arm
    again (twice) and compared with its recorded answers (``modelswap.rollout.drift``)."""

    model_config = ConfigDict(extra="forbid", frozen=True, populate_by_name=True)

    sample: int = Field(default=50, ge=1, le=10_000)
    every_s: float = Field(default=21_600.0, alias="every")

    @field_validator("every_s", mode="before")
    @classmethod
    def _duration(cls, value: Any) -> float:
        seconds = parse_duration_s(value)
        if seconds < 60:
            raise ValueError(f"must be at least 60 seconds (a check costs 2 calls per sampled request), got {value!r}")
        return seconds


DEFAULT_STAGES = (StageConfig(percent=1), StageConfig(percent=5), StageConfig(percent=25), StageConfig(percent=50),
                  StageConfig(percent=100))


class RolloutConfig(_Strict):
    """A route's canary rollout plan: which candidate, how requests stick to an arm, the stages, guards and gate.

    ``sticky`` is a one-entry mapping (``{"header": "x-user-id"}``, ``{"field": "user"}`` or
    ``{"metadata": "conversation_id"}``), as ``modelswap.rollout.assignment.Sticky(**sticky)`` takes it.
    ``salt`` (optional) goes into the assignment hash with the route's name: a new salt redraws which
    keys get the candidate. ``gate`` is ``default`` (the shipped policy) or a policy YAML path.
    ``drift`` (optional, off when absent) watches the route once promoted: ``DriftConfig``.
    """

    candidate: str
    sticky: dict[str, str]
    segments: tuple[SegmentConfig, ...] = ()
    stages: tuple[StageConfig, ...] = DEFAULT_STAGES
    guards: GuardsConfig = GuardsConfig()
    gate: str = Field(default="default", min_length=1)
    salt: str | None = Field(default=None, min_length=1)
    drift: DriftConfig | None = None

    @field_validator("sticky")
    @classmethod
    def _sticky(cls, value: dict[str, str]) -> dict[str, str]:
        _one_selector(value)
        if not next(iter(value.values())):
            raise ValueError("names no key (an empty string)")
        return value

    @field_validator("stages")
    @classmethod
    def _some_stages(cls, value: tuple[StageConfig, ...]) -> tuple[StageConfig, ...]:
        if not value:
            raise ValueError("must list at least one stage (the last at percent 100)")
        return value


class RoutePromptConfig(_Strict):
    """How a route picks the version of one registry prompt (docs/prompts.md): the version ``label`` points at, or
    a sticky ``split`` of two labels by weight (``{production: 90, staging: 10}``, summing to 100).

    The split hashes the request's ``sticky`` key (a one-entry mapping as a rollout's), by default the route's
    rollout's, else the gateway's request key (``user``, ``x-session-id``, else the request id).
    """

    label: str = Field(default="production", min_length=1)
    split: dict[str, float] | None = None
    sticky: dict[str, str] | None = None

    @field_validator("split")
    @classmethod
    def _two_labels(cls, value: dict[str, float] | None) -> dict[str, float] | None:
        if value is None:
            return None
        if len(value) != 2 or not all(value):
            raise ValueError(f"must name exactly two labels with their weights, got {len(value)}")
        for label, weight in value.items():
            try:
                percent_to_bp(weight)
            except ValueError as exc:
                raise ValueError(f"{label}: {exc}") from None
        if sum(percent_to_bp(weight) for weight in value.values()) != 10_000:
            raise ValueError(f"weights must sum to 100, got {sum(value.values()):g}")
        return value

    @field_validator("sticky")
    @classmethod
    def _sticky(cls, value: dict[str, str] | None) -> dict[str, str] | None:
        if value is not None:
            _one_selector(value)
            if not next(iter(value.values())):
                raise ValueError("names no key (an empty string)")
        return value

    @model_validator(mode="after")
    def _label_or_split(self) -> RoutePromptConfig:
        if self.split is not None and "label" in self.model_fields_set:
            raise ValueError("set label or split, not both")
        return self


def _prompt_names(value: Any) -> Any:
    """``prompts: [a, b]`` is ``{a: {}, b: {}}``: each at its ``production`` label."""
    if isinstance(value, list) and all(isinstance(item, str) for item in value):
        return {name: {} for name in value}
    return value


class RouteConfig(_Strict):
    """The name clients call, mapped to a primary and its candidates (and optionally a judge, a rollout and the
    registry prompts a request may name)."""

    primary: str
    candidates: tuple[str, ...] = ()
    shadow: ShadowConfig = ShadowConfig()
    judge: JudgeConfig | None = None
    rollout: RolloutConfig | None = None
    prompts: dict[str, RoutePromptConfig] = Field(default_factory=dict)
    embeddings: EmbeddingsShadowConfig | None = None

    _prompt_list = field_validator("prompts", mode="before")(_prompt_names)


class AdminConfig(_Strict):
    """The admin API: the environment variable holding its token (the token itself is never in the file)."""

    token_env: str = "MODELSWAP_ADMIN_TOKEN"

    @field_validator("token_env")
    @classmethod
    def _env_name(cls, value: str) -> str:
        if not _ENV_NAME.match(value):
            # never echo the value: it may be the token itself, written where its variable's name belongs
            raise ValueError("must be the name of the environment variable holding the token (letters, digits, _), "
                             "never the token itself")
        return value


class WebhookConfig(_Strict):
    """Where rollout alerts are posted: ``json`` (the event as JSON) or ``slack`` (a Slack-compatible text field)."""

    url: str
    format: Literal["json", "slack"] = "json"

    @field_validator("url")
    @classmethod
    def _http_url(cls, value: str) -> str:
        if not value.startswith(("http://", "https://")):
            raise ValueError(f"must start with http:// or https://, got {value!r}")
        return value


class AlertsConfig(_Strict):
    """Rollout alerts (rollback, pause, promotion, breached guard): the webhooks to post them to."""

    webhooks: tuple[WebhookConfig, ...] = ()


class StoreBufferConfig(_Strict):
    """What the recorder may hold while the store is slow or down, per queue (observations, requests) and per worker.

    Sizes are a number of bytes or a string with a unit (``64MiB``, ``500MB``, ``1GiB``). ``spill_dir``
    (optional) is a local directory where what waits goes while the store is down (docs/store.md).
    """

    max_items: int = Field(default=10_000, ge=1)
    max_bytes: ByteSize = Field(default=ByteSize(64 << 20), gt=0)
    spill_dir: str | None = Field(default=None, min_length=1)
    spill_max_bytes: ByteSize = Field(default=ByteSize(1 << 30), gt=0)
    close_timeout_s: float = Field(default=30.0, gt=0)


#: Built-in redaction rules, selected by name in ``redact:`` (a bare name, or ``{name: emails}``).
REDACT_PRESETS: dict[str, str] = {
    "emails": r"[A-Za-z0-9._%+-]+@[A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)*\.[A-Za-z]{2,}",
    # +country code and groups (+44 20 7946 0958, +1-415-555-0100), (0xx) national forms, NANP 415-555-0100
    "phones": (r"(?<![\w+])(?:\+\d{1,3}(?:[ .-]?\(?\d{1,4}\)?){2,5}"
               r"|\(\d{2,5}\)[ .-]?\d{3,4}[ .-]?\d{3,4}"
               r"|\d{3}[ .-]\d{3}[ .-]\d{4})(?!\w)"),
    # OpenAI/Anthropic sk-..., AWS access key ids, GitHub, Slack and Google keys, any Bearer token
    "api_keys": (r"\bsk-[A-Za-z0-9_-]{16,}|\bAKIA[0-9A-Z]{16}\b|\bgh[pousr]_[A-Za-z0-9]{30,}"
                 r"|\bxox[abprs]-[A-Za-z0-9-]{10,}|\bAIza[0-9A-Za-z_-]{35}|\bBearer\s+[A-Za-z0-9._~+/=-]{8,}"),
}


class RedactRule(_Strict):
    """One redaction rule: text matching ``pattern`` (a Python regex) is stored as ``replacement``.

    A preset is written as its bare name (``- emails``) or as ``{name: emails}`` without a pattern;
    ``replacement`` defaults to ``[REDACTED:<name>]``.
    """

    name: str = Field(min_length=1)
    pattern: str
    replacement: str | None = None

    @model_validator(mode="before")
    @classmethod
    def _preset(cls, value: Any) -> Any:
        if isinstance(value, str):
            value = {"name": value}
        if isinstance(value, dict) and "pattern" not in value and isinstance(value.get("name"), str):
            preset = REDACT_PRESETS.get(value["name"])
            if preset is None:
                raise ValueError(f"unknown preset {value['name']!r} (give a pattern, or one of "
                                 f"{_names(REDACT_PRESETS)})")
            value = {**value, "pattern": preset}
        return value

    @field_validator("pattern")
    @classmethod
    def _compiles(cls, value: str) -> str:
        try:
            compiled = re.compile(value)
        except re.error as exc:
            raise ValueError(f"not a valid regular expression: {exc}") from None
        if compiled.match(""):
            raise ValueError("matches the empty string, so it would redact between every character")
        return value

    @property
    def text(self) -> str:
        """What a match is replaced with."""
        return f"[REDACTED:{self.name}]" if self.replacement is None else self.replacement


class Settings(_Strict):
    """The whole validated configuration."""

    store: str = DEFAULT_STORE
    arms: dict[str, ArmConfig] = Field(default_factory=dict)
    routes: dict[str, RouteConfig] = Field(default_factory=dict)
    redact: tuple[RedactRule, ...] = ()
    store_buffer: StoreBufferConfig = StoreBufferConfig()
    admin: AdminConfig | None = None
    alerts: AlertsConfig = AlertsConfig()

    def arm(self, name: str) -> OpenAIArm | LocalArm | SimArm:
        """The arm called ``name``, or a ``ConfigError`` listing the known ones."""
        try:
            return self.arms[name]
        except KeyError:
            raise ConfigError(f"unknown arm {name!r}; expected one of {_names(self.arms)}", key="arms") from None

    def role_of(self, arm: str) -> Literal["primary", "candidate"]:
        """``primary`` when some route serves with ``arm``, else ``candidate``."""
        return "primary" if any(r.primary == arm for r in self.routes.values()) else "candidate"


def _names(mapping: Mapping[str, Any]) -> str:
    return ", ".join(sorted(mapping)) or "(none)"


def config_path(path: str | os.PathLike[str] | None = None, *, env: Mapping[str, str] | None = None) -> Path:
    """The file ``load_settings`` reads: ``path``, else ``MODELSWAP_CONFIG``, else ``./modelswap.yaml``."""
    env = os.environ if env is None else env
    return Path(path or env.get(ENV_CONFIG) or DEFAULT_PATH)


def load_settings(path: str | os.PathLike[str] | None = None, *, env: Mapping[str, str] | None = None) -> Settings:
    """Read, override and validate the configuration; raise one ``ConfigError`` on any problem."""
    file = config_path(path, env=env)
    env = os.environ if env is None else env
    try:
        text = file.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise ConfigError("file not found (pass --config or set MODELSWAP_CONFIG)", path=str(file)) from None
    return parse_settings(text, path=str(file), env=env)


def load_yaml(text: str, *, path: str) -> tuple[yaml.Node | None, Any]:
    """The YAML node tree (for line numbers) and the data of ``text`` (None when empty); ``ConfigError`` naming the
    file and line of a syntax error."""
    try:
        root = yaml.compose(text)
        return root, (yaml.safe_load(text) if root is not None else None)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        line = mark.line + 1 if mark is not None else None
        raise ConfigError(f"invalid YAML: {getattr(exc, 'problem', exc)}", path=path, line=line) from None


def parse_settings(text: str, *, path: str = "<config>", env: Mapping[str, str] | None = None) -> Settings:
    """Validate configuration text; ``path`` only labels errors."""
    root, data = load_yaml(text, path=path)
    if root is None:
        data = {}
    if not isinstance(data, dict):
        raise ConfigError("the top level must be a mapping of store, arms and routes", path=path, line=1)
    _apply_env(data, env or {})
    _check_backends(data, root, path)
    try:
        settings = Settings.model_validate(data)
    except ValidationError as exc:
        raise _first_error(exc, root, path) from None
    _check_routes(settings, root, path)
    return settings


def _apply_env(data: dict[str, Any], env: Mapping[str, str]) -> None:
    if env.get(ENV_STORE):
        data["store"] = env[ENV_STORE]
    for name, raw in sorted(env.items()):
        if not name.startswith(ENV_PREFIX):
            continue
        keys = [k.lower() if k.isupper() else k for k in name[len(ENV_PREFIX):].split("__") if k]
        node: dict[str, Any] = data
        for key in keys[:-1]:
            node = node.setdefault(key, {})
            if not isinstance(node, dict):
                raise ConfigError(f"cannot set {'.'.join(keys)}: {key} is not a mapping", key=name)
        node[keys[-1]] = yaml.safe_load(raw)


def _check_backends(data: dict[str, Any], root: yaml.Node | None, path: str) -> None:
    arms = data.get("arms") or {}
    if not isinstance(arms, dict):
        raise ConfigError("must be a mapping of arm names to arms", key="arms", path=path, line=_line(root, ("arms",)))
    for name, arm in arms.items():
        loc = ("arms", name, "backend")
        if not isinstance(arm, dict):
            raise ConfigError("must be a mapping", key=f"arms.{name}", path=path, line=_line(root, loc[:2]))
        backend = arm.get("backend")
        if backend not in BACKENDS:
            problem = "required" if backend is None else f"unknown backend {backend!r}"
            raise ConfigError(f"{problem}; expected one of {_names(BACKENDS)}", key=".".join(loc), path=path,
                              line=_line(root, loc) or _line(root, loc[:2]))


def _check_routes(settings: Settings, root: yaml.Node | None, path: str) -> None:
    for name, route in settings.routes.items():
        named = [("primary", route.primary), *[(f"candidates.{i}", c) for i, c in enumerate(route.candidates)]]
        if route.judge is not None:
            named.append(("judge.arm", route.judge.arm))
        if route.embeddings is not None:
            named.append(("embeddings.candidate", route.embeddings.candidate))
        for field, arm in named:
            if arm not in settings.arms:
                loc = ("routes", name, *field.split("."))
                raise ConfigError(f"unknown arm {arm!r}; expected one of {_names(settings.arms)}",
                                  key=".".join(loc), path=path, line=_line(root, loc))
        if route.rollout is not None:
            _check_rollout(name, route, root, path)


def _check_rollout(name: str, route: RouteConfig, root: yaml.Node | None, path: str) -> None:
    """What one field cannot check alone: the candidate is the route's, and the stages climb to 100."""
    rollout = route.rollout
    assert rollout is not None

    def error(message: str, *loc: str) -> ConfigError:
        full = ("routes", name, "rollout", *loc)
        return ConfigError(message, key=".".join(full), path=path, line=_line(root, full) or _line(root, full[:-1]))

    if rollout.candidate not in route.candidates:
        listed = ", ".join(route.candidates) or "(none)"
        raise error(f"{rollout.candidate!r} is not one of the route's candidates ({listed})", "candidate")
    for i, (before, stage) in enumerate(zip(rollout.stages, rollout.stages[1:], strict=False), start=1):
        if stage.percent_bp <= before.percent_bp:
            raise error(f"{stage.percent:g} must be greater than the stage before it ({before.percent:g})",
                        "stages", str(i), "percent")
    last = rollout.stages[-1]
    if last.percent_bp != 10_000:
        raise error(f"the last stage must be 100, got {last.percent:g}", "stages", str(len(rollout.stages) - 1),
                    "percent")


def _first_error(exc: ValidationError, root: yaml.Node | None, path: str) -> ConfigError:
    error = exc.errors()[0]
    loc = tuple(str(part) for part in error["loc"])
    # the discriminated union inserts the backend tag into the location: drop it
    if len(loc) > 2 and loc[0] == "arms" and loc[2] in BACKENDS:
        loc = loc[:2] + loc[3:]
    message = str(error["msg"])
    if error["type"] == "extra_forbidden":
        message = "unknown key"
    elif error["type"] == "missing":
        message = "required key is missing"
    elif error["type"] != "value_error" and "input" in error and not isinstance(error["input"], (dict, list)):
        message = f"{message} (got {error['input']!r})"
    return ConfigError(message.removeprefix("Value error, "), key=".".join(loc), path=path,
                       line=_line(root, loc) or _line(root, loc[:-1]))


def _line(root: yaml.Node | None, loc: tuple[str, ...]) -> int | None:
    """The 1-based line of the key at ``loc`` in the composed YAML, if present."""
    node = root
    line = None
    for part in loc:
        if isinstance(node, yaml.MappingNode):
            for key, value in node.value:
                if str(key.value) == part:
                    line, node = key.start_mark.line + 1, value
                    break
            else:
                return None
        elif isinstance(node, yaml.SequenceNode) and part.isdigit() and int(part) < len(node.value):
            node = node.value[int(part)]
            line = node.start_mark.line + 1
        else:
            return None
    return line
