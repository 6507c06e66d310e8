"""The gate: a policy of checks over a summary, and its decision ``go``, ``no_go`` or ``inconclusive``.

What it is: the policy file (YAML, validated, errors naming file, line and key like the
config) and ``evaluate``, a pure function from a ``Summary`` to a ``GateResult`` with the
reason of every check. What it is not: statistics (the summary carries every interval).

A migration asks "is the candidate no worse than the primary by more than the margin?", so every
check is a non-inferiority judgement on a confidence interval (``stats.judge``):

- ``max: L``: passes when the whole interval is at or below L; fails when the whole interval is
  above L (significantly worse than the margin); inconclusive when the interval crosses L;
- ``min: L``: the mirror image.

What is judged: for verdict rates (``regression_rate``, ``novel_rate``) the candidate's rate
minus the replica's rate of the same verdict (the replica triaged by the same rule: what the
primary scores against itself), or the candidate's rate alone without a replica; for a check metric (``json.valid``,
``label.correct``) the difference candidate - baseline (so ``min: -0.02`` is a 2-point
non-inferiority margin); for ratios (``latency_p95_ratio``, ``cost_per_task_ratio``) the ratio.
``categories: [a, b]`` judges a verdict rate in each listed category; ``per_category: true``
in every category with at least ``min_trials``. The metric ``significant_categories`` counts the
categories where the candidate regresses significantly more often than the replica disagrees
with the primary (paired exact test, Holm-adjusted across categories); ``max: 0`` makes any
such category fail the check (not applicable without a replica). The metric
``significant_regressions`` tests all requests at once: the candidate regresses (by the
request-level test of the noise floor, symmetric between the sides) on more requests than the
replica does, one-sided exact McNemar; ``max: 0.05`` fails when p <= 0.05. It answers "worse than
the primary's own noise at all?", where ``regression_rate`` answers "worse by more than the margin?".

Decision: fewer than ``min_trials`` trials is ``inconclusive``; a failed ``critical`` check is
``no_go`` on its own; otherwise more failed checks than ``allowed_failures`` (default 0) is
``no_go``; any inconclusive check makes it ``inconclusive``; else ``go``. A check whose metric
is absent (no JSON traffic for ``json.valid``) is reported as not applicable and passes.
"""

from __future__ import annotations

from dataclasses import dataclass
from importlib import resources
from pathlib import Path
from typing import Any, Literal

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator

from modelswap.compare import stats
from modelswap.compare.stats import judge
from modelswap.compare.summary import Summary
from modelswap.errors import ConfigError

Decision = Literal["go", "no_go", "inconclusive"]
SIGNIFICANT_CATEGORIES = "significant_categories"
SIGNIFICANT_REGRESSIONS = "significant_regressions"
EXIT_CODES: dict[Decision, int] = {"go": 0, "no_go": 1, "inconclusive": 2}


class PolicyCheck(BaseModel):
    """One check of a policy."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    name: str
    metric: str
    max: float | None = None
    min: float | None = None
    critical: bool = False
    categories: tuple[str, ...] = ()
    per_category: bool = False

    @model_validator(mode="after")
    def _one_limit(self) -> PolicyCheck:
        if (self.max is None) == (self.min is None):
            raise ValueError("set exactly one of max or min")
        return self


class Policy(BaseModel):
    """A gate policy: the minimum sample and the checks."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    min_trials: int = Field(default=30, ge=1)
    allowed_failures: int = Field(default=0, ge=0)
    checks: tuple[PolicyCheck, ...]


@dataclass(frozen=True, kw_only=True, slots=True)
class CheckResult:
    """One judged check: what was observed, against which threshold, and why it passed or not."""

    name: str
    observed: float | None
    threshold: float | None
    passed: bool | None
    outcome: Literal["pass", "fail", "inconclusive", "not_applicable"]
    reason: str
    critical: bool = False
    ci95: tuple[float, float] | None = None

    def to_json(self) -> dict[str, Any]:
        return {"name": self.name, "observed": self.observed, "threshold": self.threshold, "passed": self.passed,
                "reason": self.reason, "outcome": self.outcome, "critical": self.critical,
                "ci95": list(self.ci95) if self.ci95 else None}


@dataclass(frozen=True, kw_only=True, slots=True)
class GateResult:
    """The decision and every check behind it."""

    decision: Decision
    checks: tuple[CheckResult, ...]

    @property
    def exit_code(self) -> int:
        return EXIT_CODES[self.decision]

    def to_json(self) -> dict[str, Any]:
        return {"decision": self.decision, "checks": [c.to_json() for c in self.checks]}


def default_policy_path() -> Path:
    return Path(str(resources.files("modelswap") / "data" / "default_policy.yaml"))


def load_policy(path: str | Path | None = None) -> Policy:
    """The policy at ``path`` (default: the shipped one); errors name the file, line and key."""
    file = Path(path) if path else default_policy_path()
    try:
        text = file.read_text(encoding="utf-8")
    except OSError as exc:
        raise ConfigError(f"cannot read policy: {exc.strerror}", path=str(file)) from None
    try:
        data = yaml.safe_load(text)
        root = yaml.compose(text)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        raise ConfigError(f"invalid YAML: {getattr(exc, 'problem', exc)}", path=str(file),
                          line=mark.line + 1 if mark else None) from None
    try:
        return Policy.model_validate(data)
    except ValidationError as exc:
        error = exc.errors()[0]
        loc = tuple(str(p) for p in error["loc"])
        from modelswap.config import _line  # the config's YAML locator, shared

        message = "unknown key" if error["type"] == "extra_forbidden" else str(error["msg"])
        raise ConfigError(message.removeprefix("Value error, "), key=".".join(loc), path=str(file),
                          line=_line(root, loc) or _line(root, loc[:-1])) from None


def evaluate(summary: Summary, policy: Policy) -> GateResult:
    """The decision of ``policy`` on ``summary``: a pure function of stored numbers."""
    results = [_min_trials(summary, policy)]
    for check in policy.checks:
        results.extend(_judge_check(summary, check, policy.min_trials))
    return GateResult(decision=_decide(results, policy), checks=tuple(results))


def _decide(results: list[CheckResult], policy: Policy) -> Decision:
    if results[0].outcome != "pass":
        return "inconclusive"
    if any(r.outcome == "fail" and r.critical for r in results):
        return "no_go"
    if sum(r.outcome == "fail" for r in results) > policy.allowed_failures:
        return "no_go"
    if any(r.outcome == "inconclusive" for r in results):
        return "inconclusive"
    return "go"


def _min_trials(summary: Summary, policy: Policy) -> CheckResult:
    enough = summary.trials >= policy.min_trials
    return CheckResult(name="min_trials", observed=summary.trials, threshold=policy.min_trials, passed=enough,
                       outcome="pass" if enough else "inconclusive",
                       reason=f"{summary.trials} trials" + ("" if enough else
                                                            f": fewer than {policy.min_trials}, too few to decide"))


def _judge_check(summary: Summary, check: PolicyCheck, min_trials: int) -> list[CheckResult]:
    if check.metric == SIGNIFICANT_CATEGORIES:
        return [_judge_significant(summary, check)]
    if check.metric == SIGNIFICANT_REGRESSIONS:
        return [_judge_regressions(summary, check)]
    if check.categories or check.per_category:
        return _judge_categories(summary, check, min_trials)
    metric = summary.metrics.get(check.metric)
    if metric is None or metric.estimate is None or metric.ci95 is None:
        return [_not_applicable(check, f"metric {check.metric!r} is absent from this comparison")]
    if metric.kind == "verdict_rate":
        what = ("rate" if metric.noise is None
                else f"rate {metric.candidate:.4g} minus the replica's {metric.noise:.4g} =")
    else:
        what = "ratio" if metric.kind == "ratio" else "candidate - baseline"
    return [_judged(check, check.name, metric.estimate, metric.ci95, what)]


def _judge_significant(summary: Summary, check: PolicyCheck) -> CheckResult:
    """Categories where the candidate regresses significantly more often than the replica (Holm, 5%)."""
    if not summary.noise_known:
        return _not_applicable(check, "no replica: the categories cannot be tested against the noise floor")
    names = [name for name, category in summary.categories.items() if category.significant]
    limit = check.max if check.max is not None else 0.0
    passed = len(names) <= limit
    listed = ", ".join(names) if names else "none"
    return CheckResult(name=check.name, observed=len(names), threshold=limit, passed=passed,
                       outcome="pass" if passed else "fail", critical=check.critical,
                       reason=f"categories regressing significantly beyond the primary's own disagreement "
                              f"(paired exact test, Holm-adjusted p < 0.05): {listed}")


def _judge_regressions(summary: Summary, check: PolicyCheck) -> CheckResult:
    """Over all requests: does the candidate regress significantly more often than the replica (exact McNemar)?"""
    if not summary.noise_known or summary.discordant is None:
        return _not_applicable(check, "no replica: the regressions cannot be tested against the noise floor")
    only_candidate, only_replica = summary.discordant
    p_value = stats.sign_test_greater(only_candidate, only_replica)
    limit = check.max if check.max is not None else 0.05
    passed = p_value > limit
    return CheckResult(name=check.name, observed=round(p_value, 6), threshold=limit, passed=passed,
                       outcome="pass" if passed else "fail", critical=check.critical,
                       reason=f"{only_candidate} requests regress on the candidate only, {only_replica} on the replica "
                              f"only (request-level test): one-sided exact p={p_value:.2g}, must be > {limit:g}")


def _judge_categories(summary: Summary, check: PolicyCheck, min_trials: int) -> list[CheckResult]:
    if check.metric != "regression_rate":
        return [_not_applicable(check, "per-category checks judge regression_rate only")]
    names = check.categories or tuple(n for n, c in summary.categories.items() if c.trials >= min_trials)
    out = []
    for name in names:
        category = summary.categories.get(name)
        label = f"{check.name} [{name}]"
        if category is None:
            out.append(_not_applicable(check, f"no trial in category {name!r}", label=label))
            continue
        out.append(_judged(check, label, category.regression_rate, category.ci95, f"rate over {category.trials}"))
    return out


def _judged(check: PolicyCheck, label: str, estimate: float, ci95: tuple[float, float], what: str) -> CheckResult:
    direction: Literal["max", "min"] = "max" if check.max is not None else "min"
    limit = check.max if check.max is not None else check.min
    assert limit is not None
    outcome = judge(estimate, ci95, limit=limit, direction=direction)
    sign = "<=" if direction == "max" else ">="
    reason = (f"{what} {estimate:.4g} (95% CI {ci95[0]:.4g}..{ci95[1]:.4g}) must be {sign} {limit:g}: "
              + {"pass": "the whole interval is within the limit",
                 "fail": "the whole interval is beyond the limit",
                 "inconclusive": "the interval crosses the limit; more trials needed"}[
                  outcome])
    passed = None if outcome == "inconclusive" else outcome == "pass"
    return CheckResult(name=label, observed=estimate, threshold=limit, passed=passed, outcome=outcome, reason=reason,
                       critical=check.critical, ci95=ci95)


def _not_applicable(check: PolicyCheck, reason: str, *, label: str | None = None) -> CheckResult:
    return CheckResult(name=label or check.name, observed=None, threshold=check.max if check.max is not None
                       else check.min, passed=True, outcome="not_applicable", reason=f"not applicable: {reason}",
                       critical=check.critical)
