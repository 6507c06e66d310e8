"""Triage: the verdict rule (the noise floor it applies first is tested in test_noise.py)."""

from __future__ import annotations

from compare_helpers import finding, trial
from modelswap.compare.engine import Compared
from modelswap.compare.triage import baseline_behaviours, decide

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


def test_a_changed_exact_short_answer_is_novel_even_when_the_value_was_seen() -> None:
    changed = finding("answer.exact", "changed", severity="minor", behaviour="answer:365")
    assert decide([changed], frozenset({"answer:365"}))[0] == "novel"


def test_a_judge_win_replaces_the_similarity_checks() -> None:
    off_topic = finding("similarity.semantic", "regression", severity="major")
    better = finding("judge", "improvement", severity="minor")
    assert decide([off_topic, better], KNOWN) == ("improvement", [better])
    tie = finding("judge", "same", severity="info")
    assert decide([off_topic, tie], KNOWN)[0] == "regression"


def test_where_a_short_answer_is_judged_the_similarity_checks_are_not() -> None:
    from modelswap.compare.noise import measure_noise
    from modelswap.compare.triage import triage

    off_topic = finding("similarity.semantic", "regression", severity="major")
    item = Compared(trial=trial("t", "Sahara", "Antarctica"),
                    findings=(finding("answer.exact", "changed", severity="minor", behaviour="answer:antarctica"),
                              off_topic))
    [triaged] = triage([item], measure_noise([item]))
    assert (triaged.verdict, [f.check for f in triaged.decisive]) == ("novel", ["answer.exact"])
    without = Compared(trial=trial("t", "Sahara", "Antarctica"), findings=(off_topic,))
    assert triage([without], measure_noise([without]))[0].verdict == "regression"
