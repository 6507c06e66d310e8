"""Triage: the verdict rule, the per-trial noise downgrade and the category noise floor."""

from __future__ import annotations

from compare_helpers import Scripted, fence_rule, finding, trial
from modelswap.compare.engine import Compared, run_comparators
from modelswap.compare.noise import measure_noise
from modelswap.compare.triage import baseline_behaviours, decide, triage

KNOWN = frozenset({"format:bare-json", "language:en"})


def test_a_moved_refusal_is_novel_whichever_way_and_explains_the_rest() -> None:
    for status in ("changed", "regression", "improvement"):
        findings = [finding("refusal", status), finding("json.valid", "regression")]  # type: ignore[arg-type]
        verdict, decisive = decide(findings, KNOWN)
        assert (verdict, [f.check for f in decisive]) == ("novel", ["refusal"])


def test_regression_beats_improvement_and_info_regressions_do_not_count() -> None:
    assert decide([finding("a", "improvement"), finding("b", "regression", severity="minor")], KNOWN)[0] == "regression"
    assert decide([finding("a", "improvement"), finding("b", "regression", severity="info")], KNOWN)[0] == "improvement"
    assert decide([finding("a", "same"), finding("b", "changed", behaviour="language:en")], KNOWN)[0] == "neutral"
    assert decide([], KNOWN) == ("neutral", [])


def test_similarity_decides_only_when_nothing_else_was_found() -> None:
    drift = finding("similarity.semantic", "regression", severity="minor")
    assert decide([drift], KNOWN)[0] == "regression"
    assert decide([drift, finding("truncated", "improvement")], KNOWN)[0] == "improvement"
    off_topic = finding("similarity.semantic", "regression", severity="major")
    assert decide([off_topic, finding("truncated", "improvement")], KNOWN)[0] == "regression"
    assert decide([drift, finding("language", "regression", behaviour="language:pt")], KNOWN)[0] == "novel"
    assert decide([drift, finding("tokens", "same", severity="info")], KNOWN)[0] == "regression"


def test_a_behaviour_the_baseline_never_showed_is_novel_unless_another_regression_stands() -> None:
    new_language = finding("language", "regression", behaviour="language:pt")
    assert decide([new_language], KNOWN)[0] == "novel"
    assert decide([finding("x", "changed", behaviour="format:yaml")], KNOWN)[0] == "novel"
    assert decide([finding("json.fenced", "regression", behaviour="format:fenced-json")], KNOWN)[0] == "regression"
    assert decide([new_language, finding("json.valid", "regression")], KNOWN)[0] == "regression"
    seen_language = finding("language", "regression", behaviour="language:en")
    assert decide([seen_language], KNOWN)[0] == "regression"


def test_baseline_behaviours_come_from_the_baseline_side_and_the_replica() -> None:
    item = Compared(trial=trial("t", "a", "b", "c"),
                    findings=(finding("x", "changed", behaviour="cand", baseline_behaviour="base"),),
                    noise=(finding("x", "changed", behaviour="replica-side", baseline_behaviour="base2"),))
    assert baseline_behaviours([item]) == {"base", "base2", "replica-side"}


def test_without_replica_every_difference_counts() -> None:
    trials = [trial(f"t{i}", '{"a": 1}', '```json\n{"a": 1}\n```' if i < 3 else '{"a": 1}') for i in range(10)]
    compared = run_comparators(trials, [Scripted(fence_rule)])
    noise = measure_noise(compared)
    assert noise.known is False
    verdicts = [t.verdict for t in triage(compared, noise)]
    assert verdicts == ["regression"] * 3 + ["neutral"] * 7
    assert noise.is_signal("json.fenced", "c") == (True, "noise floor unknown (no replica)")


def test_the_replica_showing_the_same_difference_on_the_trial_sets_it_aside() -> None:
    fenced, bare = '```json\n{"a": 1}\n```', '{"a": 1}'
    trials = [trial("t0", bare, fenced, fenced)] + [trial(f"t{i}", bare, bare, bare) for i in range(1, 12)]
    triaged = triage(run_comparators(trials, [Scripted(fence_rule)]),
                     measure_noise(run_comparators(trials, [Scripted(fence_rule)])))
    assert triaged[0].verdict == "neutral"
    assert triaged[0].within_noise == (("json.fenced", "the replica shows the same regression on this trial"),)
    assert triaged[0].replica_verdict == "regression"


def test_a_category_where_the_primary_is_as_noisy_as_the_candidate_is_noise() -> None:
    fenced, bare = '```json\n{"a": 1}\n```', '{"a": 1}'
    # 40 trials: the replica fences on 10 (t0-t9), the candidate on 10 others (t10-t19): same rate
    trials = [trial(f"t{i:02d}", bare, fenced if 10 <= i < 20 else bare, fenced if i < 10 else bare)
              for i in range(40)]
    compared = run_comparators(trials, [Scripted(fence_rule)])
    noise = measure_noise(compared)
    signal, reason = noise.is_signal("json.fenced", "c")
    assert signal is False
    assert reason == "within the noise floor: the primary differs from itself on 25% in c, the candidate on 25%"
    assert {t.verdict for t in triage(compared, noise)} == {"neutral"}


def test_a_behaviour_the_primary_never_shows_counts_from_the_first_occurrence() -> None:
    fenced, bare = '```json\n{"a": 1}\n```', '{"a": 1}'
    trials = [trial(f"t{i:02d}", bare, fenced if i == 0 else bare, bare) for i in range(20)]
    compared = run_comparators(trials, [Scripted(fence_rule)])
    noise = measure_noise(compared)
    assert noise.is_signal("json.fenced", "c") == (
        True, "the primary never differs from itself on json.fenced in c (20 replica trials)")
    assert [t.verdict for t in triage(compared, noise)].count("regression") == 1


def test_a_candidate_that_differs_beyond_the_margins_counts() -> None:
    fenced, bare = '```json\n{"a": 1}\n```', '{"a": 1}'
    # replica 1 of 8, candidate 4 of 8: not significant at this size, but far beyond the margins
    trials = [trial(f"t{i}", bare, fenced if i < 4 else bare, fenced if i == 7 else bare) for i in range(8)]
    compared = run_comparators(trials, [Scripted(fence_rule)])
    noise = measure_noise(compared)
    row = noise.row("json.fenced", "c")
    assert row is not None and row.ci95[0] < 0
    assert noise.is_signal("json.fenced", "c")[0] is True
    assert [t.verdict for t in triage(compared, noise)].count("regression") == 4


def test_a_candidate_significantly_noisier_than_the_primary_counts() -> None:
    fenced, bare = '```json\n{"a": 1}\n```', '{"a": 1}'
    trials = [trial(f"t{i:02d}", bare, fenced if i < 30 else bare, fenced if i >= 95 else bare) for i in range(100)]
    compared = run_comparators(trials, [Scripted(fence_rule)])
    noise = measure_noise(compared)
    signal, reason = noise.is_signal("json.fenced", "c")
    assert signal is True
    assert reason.startswith("candidate differs on 30% vs the primary's own 5% in c (excess +25.0%, 95% CI +")
    assert [t.verdict for t in triage(compared, noise)].count("regression") == 30


def test_a_category_without_replica_trials_borrows_the_overall_noise_floor() -> None:
    fenced, bare = '```json\n{"a": 1}\n```', '{"a": 1}'
    trials = [trial(f"a{i:02d}", bare, fenced if i < 10 else bare, fenced if 10 <= i < 20 else bare, category="big")
              for i in range(40)]
    trials.append(trial("s0", bare, fenced, None, category="small"))
    compared = run_comparators(trials, [Scripted(fence_rule)])
    noise = measure_noise(compared)
    row = noise.row("json.fenced", "small")
    assert row is not None and row.category == "*"
    assert noise.is_signal("json.fenced", "small")[0] is False
