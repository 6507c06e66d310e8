"""The gate: non-inferiority on intervals, min_trials, critical checks, categories, policy errors."""

from __future__ import annotations

from pathlib import Path

import pytest

from modelswap.compare.gate import Policy, PolicyCheck, evaluate, load_policy
from modelswap.compare.summary import CategorySummary, Metric, Summary
from modelswap.errors import ConfigError


def summary(*, trials: int = 100, metrics: list[Metric] = (), categories: list[CategorySummary] = ()) -> Summary:  # type: ignore[assignment]
    return Summary(trials=trials, verdicts={"regression": 0, "novel": 0, "improvement": 0, "neutral": trials},
                   metrics={m.name: m for m in metrics}, categories={c.name: c for c in categories}, noise_known=True)


def rate(name: str, estimate: float, lo: float, hi: float) -> Metric:
    return Metric(name=name, kind="verdict_rate", n=100, baseline=None, candidate=estimate, delta=None,
                  estimate=estimate, ci95=(lo, hi))


def delta(name: str, estimate: float, lo: float, hi: float) -> Metric:
    return Metric(name=name, kind="rate", n=100, baseline=0.9, candidate=0.9 + estimate, delta=estimate,
                  estimate=estimate, ci95=(lo, hi))


def policy(*checks: PolicyCheck, min_trials: int = 30, allowed_failures: int = 0) -> Policy:
    return Policy(min_trials=min_trials, allowed_failures=allowed_failures, checks=checks)


MAX5 = PolicyCheck(name="regressions", metric="regression_rate", max=0.05, critical=True)
JSON = PolicyCheck(name="json", metric="json.valid", min=-0.02)


@pytest.mark.parametrize(("metric", "decision", "outcome"), [
    (rate("regression_rate", 0.01, 0.002, 0.04), "go", "pass"),
    (rate("regression_rate", 0.03, 0.01, 0.08), "inconclusive", "inconclusive"),
    (rate("regression_rate", 0.06, 0.03, 0.11), "inconclusive", "inconclusive"),
    (rate("regression_rate", 0.09, 0.06, 0.13), "no_go", "fail"),
])
def test_a_max_check_on_its_interval(metric: Metric, decision: str, outcome: str) -> None:
    result = evaluate(summary(metrics=[metric]), policy(MAX5))
    assert result.decision == decision
    assert [c.outcome for c in result.checks] == ["pass", outcome]
    assert result.exit_code == {"go": 0, "no_go": 1, "inconclusive": 2}[decision]


@pytest.mark.parametrize(("metric", "outcome"), [
    (delta("json.valid", 0.0, -0.01, 0.01), "pass"),
    (delta("json.valid", -0.01, -0.05, 0.02), "inconclusive"),
    (delta("json.valid", -0.04, -0.08, -0.01), "inconclusive"),
    (delta("json.valid", -0.06, -0.09, -0.03), "fail"),
])
def test_a_min_check_is_a_non_inferiority_margin(metric: Metric, outcome: str) -> None:
    result = evaluate(summary(metrics=[metric]), policy(JSON))
    assert result.checks[1].outcome == outcome
    assert result.checks[1].reason.startswith(f"candidate - baseline {metric.estimate:.4g} (95% CI ")


def test_too_few_trials_is_inconclusive_whatever_the_checks_say() -> None:
    result = evaluate(summary(trials=12, metrics=[rate("regression_rate", 0.5, 0.3, 0.7)]), policy(MAX5))
    assert result.decision == "inconclusive"
    assert result.checks[0].reason == "12 trials: fewer than 30, too few to decide"


def test_allowed_failures_tolerate_non_critical_checks_but_not_critical_ones() -> None:
    failing_json = delta("json.valid", -0.06, -0.09, -0.03)
    assert evaluate(summary(metrics=[failing_json]), policy(JSON, allowed_failures=1)).decision == "go"
    failing_rate = rate("regression_rate", 0.2, 0.1, 0.3)
    assert evaluate(summary(metrics=[failing_rate]), policy(MAX5, allowed_failures=5)).decision == "no_go"


def test_an_absent_metric_is_not_applicable_and_passes() -> None:
    result = evaluate(summary(), policy(JSON))
    assert result.decision == "go"
    assert result.checks[1].outcome == "not_applicable"
    assert result.checks[1].reason == "not applicable: metric 'json.valid' is absent from this comparison"


def test_category_checks_judge_each_listed_category() -> None:
    cats = [CategorySummary(name="refusal", trials=50, verdicts={}, regression_rate=0.08, ci95=(0.03, 0.19)),
            CategorySummary(name="qa", trials=50, verdicts={}, regression_rate=0.0, ci95=(0.0, 0.007))]
    check = PolicyCheck(name="critical", metric="regression_rate", categories=("refusal", "qa", "gone"), max=0.01)
    result = evaluate(summary(categories=cats), policy(check))
    assert [(c.name, c.outcome) for c in result.checks[1:]] == [
        ("critical [refusal]", "fail"), ("critical [qa]", "pass"), ("critical [gone]", "not_applicable")]
    assert result.decision == "no_go"


def test_the_gate_is_a_pure_function_of_the_summary() -> None:
    s = summary(metrics=[rate("regression_rate", 0.03, 0.01, 0.08)])
    assert evaluate(s, policy(MAX5)) == evaluate(Summary.from_json(s.to_json()), policy(MAX5))


def test_the_shipped_policy_loads() -> None:
    shipped = load_policy()
    assert shipped.min_trials == 30
    assert [c.metric for c in shipped.checks] == ["regression_rate", "novel_rate", "latency_p95_ratio",
                                                  "cost_per_task_ratio", "significant_categories",
                                                  "significant_regressions"]


def _with_discordant(only_candidate: int, only_replica: int) -> Summary:
    return Summary.from_json({**summary(metrics=[]).to_json(), "noise_floor": "measured",
                              "discordant": [only_candidate, only_replica]})


SIGNIFICANT = Policy(min_trials=1, checks=(PolicyCheck(name="sig", metric="significant_regressions", max=0.025,
                                                       critical=True),))


def test_significant_regressions_is_an_exact_one_sided_test_over_all_requests() -> None:
    failed = evaluate(_with_discordant(9, 1), SIGNIFICANT)  # P(X >= 9 | 10) = 0.0107
    assert (failed.decision, failed.checks[1].observed) == ("no_go", 0.010742)
    assert failed.checks[1].reason == ("9 requests regress on the candidate only, 1 on the replica only "
                                       "(request-level test): one-sided exact p=0.011, must be > 0.025")
    passed = evaluate(_with_discordant(8, 2), SIGNIFICANT)  # P(X >= 8 | 10) = 0.0547
    assert (passed.decision, passed.checks[1].observed) == ("go", 0.054688)
    assert evaluate(Summary.from_json(_with_discordant(9, 1).to_json()), SIGNIFICANT) == failed
    unknown = evaluate(summary(metrics=[]), SIGNIFICANT)
    assert unknown.checks[1].outcome == "not_applicable"


def test_policy_errors_name_file_line_and_key(tmp_path: Path) -> None:
    path = tmp_path / "p.yaml"
    path.write_text("min_trials: 10\nchecks:\n  - name: a\n    metric: regression_rate\n    mx: 0.1\n",
                    encoding="utf-8")
    with pytest.raises(ConfigError) as caught:
        load_policy(path)
    assert str(caught.value) == f"{path}:5: checks.0.mx: unknown key"
    path.write_text("checks:\n  - name: a\n    metric: regression_rate\n", encoding="utf-8")
    with pytest.raises(ConfigError, match=r"p.yaml:2: checks.0: set exactly one of max or min"):
        load_policy(path)


def test_significant_categories_fail_the_check_and_need_a_replica() -> None:
    risky = CategorySummary(name="extract", trials=40, verdicts={}, regression_rate=0.3, ci95=(0.18, 0.45), noise=0.02,
                            p_value=0.001, p_adjusted=0.004)
    calm = CategorySummary(name="qa", trials=40, verdicts={}, regression_rate=0.0, ci95=(0.0, 0.09), noise=0.0,
                           p_value=1.0, p_adjusted=1.0)
    check = PolicyCheck(name="categories", metric="significant_categories", max=0, critical=True)
    result = evaluate(summary(categories=[risky, calm]), policy(check))
    assert (result.decision, result.checks[1].observed, result.checks[1].outcome) == ("no_go", 1, "fail")
    assert result.checks[1].reason.endswith("Holm-adjusted p < 0.05): extract")
    assert evaluate(summary(categories=[calm]), policy(check)).decision == "go"
    unknown = Summary(trials=100, verdicts={}, metrics={}, categories={"extract": risky}, noise_known=False)
    assert evaluate(unknown, policy(check)).checks[1].outcome == "not_applicable"
