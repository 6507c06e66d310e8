"""The noise floor: behaviours matched by direction and size, per request and across requests."""

from __future__ import annotations

from compare_helpers import Scripted, fence_rule, trial
from modelswap.compare.checks.shape import ShapeComparator
from modelswap.compare.engine import run_comparators
from modelswap.compare.model import Finding, Outcome, Status, Trial
from modelswap.compare.noise import measure_noise
from modelswap.compare.triage import triage

FENCED, BARE = '```json\n{"a": 1}\n```', '{"a": 1}'


def _fenced_trials(n: int, *, candidate: range, replica: range) -> list[Trial]:
    return [trial(f"t{i:04d}", BARE, FENCED if i in candidate else BARE, FENCED if i in replica else BARE)
            for i in range(n)]


def _triage(trials: list[Trial]):  # type: ignore[no-untyped-def]
    compared = run_comparators(trials, [Scripted(fence_rule)])
    noise = measure_noise(compared)
    return noise, triage(compared, noise)


def test_without_replica_every_difference_counts() -> None:
    noise, triaged = _triage([trial(f"t{i}", BARE, FENCED if i < 3 else BARE) for i in range(10)])
    assert noise.known is False
    assert [t.verdict for t in triaged] == ["regression"] * 3 + ["neutral"] * 7
    assert noise.assess(triaged[0].compared, triaged[0].compared.findings[0]).reason == (
        "noise floor unknown (no replica)")


def test_the_replica_showing_the_same_behaviour_on_the_request_sets_it_aside_both_ways() -> None:
    _, triaged = _triage([trial("t0", BARE, FENCED, FENCED)] + [trial(f"t{i}", BARE, BARE, BARE)
                                                                       for i in range(1, 12)])
    assert triaged[0].verdict == "neutral"
    assert triaged[0].within_noise == (("json.fenced", "the replica shows the same json.fenced regression "
                                        "(format:fenced-json) on this request (100% of its samples, comparable size)"),)
    assert triaged[0].replica_verdict == "neutral"  # the candidate shows it too: the replica is excused alike


def test_a_behaviour_as_frequent_as_the_primarys_own_is_noise() -> None:
    _, triaged = _triage(_fenced_trials(40, candidate=range(10, 20), replica=range(10)))
    assert {t.verdict for t in triaged} == {"neutral"}
    assert triaged[10].within_noise == (("json.fenced", "within the noise floor for json.fenced regression "
                                         "(format:fenced-json): candidate 25% vs the primary's own 25% in c "
                                         "(excess +0.0%, one-sided p=0.59)"),)


def test_a_behaviour_the_primary_never_shows_counts_from_the_first_occurrence() -> None:
    noise, triaged = _triage(_fenced_trials(20, candidate=range(1), replica=range(0)))
    assert [t.verdict for t in triaged].count("regression") == 1
    row = noise.row(("json.fenced", "regression", "format:fenced-json"), "c", 0.5)
    assert row is not None and (row.trials, row.noise_rate, row.candidate_rate, row.signal) == (20, 0.0, 0.05, True)


def test_the_margin_is_pinned_just_inside_and_just_outside() -> None:
    # the primary fences on 10 of 100 requests: the margin is max(5 points, 50% of 10%) = 5 points
    _, at_margin = _triage(_fenced_trials(100, candidate=range(10, 25), replica=range(10)))
    assert [t.verdict for t in at_margin].count("regression") == 0  # excess exactly 5 points, p=0.21: noise
    _, beyond = _triage(_fenced_trials(100, candidate=range(10, 26), replica=range(10)))
    assert [t.verdict for t in beyond].count("regression") == 16  # 6 points beyond, p=0.16 <= 0.25: signal


def test_beyond_the_margin_the_excess_must_still_lean_one_way() -> None:
    noise, triaged = _triage(_fenced_trials(10, candidate=range(2), replica=range(9, 10)))
    assert [t.verdict for t in triaged].count("regression") == 0
    row = noise.row(("json.fenced", "regression", "format:fenced-json"), "c", 0.5)
    assert row is not None and (round(row.excess, 3), row.p_value, row.signal) == (0.1, 0.5, False)


def test_a_significant_excess_counts_below_the_margin() -> None:
    noise, triaged = _triage(_fenced_trials(1000, candidate=range(100, 240), replica=range(100)))
    row = noise.row(("json.fenced", "regression", "format:fenced-json"), "c", 0.5)
    assert row is not None and round(row.excess, 3) == 0.04 and row.p_value < 0.01 and row.signal
    assert [t.verdict for t in triaged].count("regression") == 140


def _list_trial(trial_id: str, baseline: int, candidate: int, replica: int) -> Trial:
    def items(n: int) -> str:
        return "\n".join(f"- point {k}" for k in range(n)) if n else "One run-on sentence with every point in it."

    base = trial(trial_id, items(baseline), items(candidate), items(replica))
    return Trial(id=base.id, request=base.request, baseline=base.baseline, candidate=base.candidate,
                 replica=base.replica)


def test_a_small_wobble_of_the_replica_does_not_excuse_a_lost_list() -> None:
    # the candidate wobbles by one on the even requests, the replica on the odd ones: the same rate
    trials = [_list_trial(f"w{i}", 3, 3 if i % 2 else 4, 4 if i % 2 else 3) for i in range(10)]
    trials.append(_list_trial("lost", 3, 0, 4))
    compared = run_comparators(trials, [ShapeComparator()])
    noise = measure_noise(compared)
    triaged = {t.compared.trial.id: t for t in triage(compared, noise)}
    assert triaged["lost"].verdict == "regression"
    assert [f.size for f in triaged["lost"].compared.findings] == [3.0]
    assert triaged["w2"].verdict == "neutral"  # 4 where the replica has 3: a wobble the primary shows as often
    assert triaged["w2"].within_noise[0][1].startswith("within the noise floor for list.count regression")


def test_every_sample_counts_and_the_request_stays_the_unit() -> None:
    base = trial("s", BARE, FENCED, BARE)
    sampled = Trial(id="s", request=base.request, baseline=base.baseline, candidate=base.candidate,
                    replica=base.replica, more_candidates=(Outcome(output=BARE), Outcome(output=BARE)),
                    more_replicas=(Outcome(output=BARE),))
    compared = run_comparators([sampled], [Scripted(fence_rule)])
    noise = measure_noise(compared)
    [triaged] = triage(compared, noise)
    assert triaged.verdict == "neutral"
    assert triaged.within_noise == (("json.fenced", "shown in only 33% of this side's samples"),)
    row = noise.row(("json.fenced", "regression", "format:fenced-json"), "c", 0.5)
    assert row is not None and (row.trials, round(row.candidate_rate, 3), row.noise_rate) == (1, 0.333, 0.0)


def test_a_category_without_replica_trials_borrows_the_overall_rows() -> None:
    trials = [trial(f"a{i:02d}", BARE, FENCED if i < 10 else BARE, FENCED if 10 <= i < 20 else BARE, category="big")
              for i in range(40)]
    trials.append(trial("s0", BARE, FENCED, None, category="small"))
    noise, triaged = _triage(trials)
    row = noise.row(("json.fenced", "regression", "format:fenced-json"), "small", 0.5)
    assert row is not None and row.category == "*" and row.signal is False
    assert triaged[-1].verdict == "neutral"


def test_the_replica_is_judged_by_the_mirror_rule() -> None:
    # only the replica fences (on t1): the mirror of "the primary never shows it" makes it count for the replica
    _, triaged = _triage(_fenced_trials(20, candidate=range(0), replica=range(1, 2)))
    assert [t.verdict for t in triaged] == ["neutral"] * 20
    assert [t.replica_verdict for t in triaged].count("regression") == 1
    assert triaged[1].replica_verdict == "regression"
    # each fences once, on different requests: neither counts, on either side
    _, balanced = _triage(_fenced_trials(20, candidate=range(0, 1), replica=range(1, 2)))
    assert {t.verdict for t in balanced} == {t.replica_verdict for t in balanced} == {"neutral"}
    assert (balanced[0].paired, balanced[1].paired) == (("regression", "neutral"), ("neutral", "regression"))


def _reversed_trials(n: int, *, candidate: range, baseline: range) -> list[Trial]:
    """The replica never fences; the candidate fences on ``candidate``, the baseline on ``baseline``."""
    return [trial(f"t{i:04d}", FENCED if i in baseline else BARE, FENCED if i in candidate else BARE, BARE)
            for i in range(n)]


def test_the_reverse_comparison_holds_the_baselines_regressions_against_its_replica() -> None:
    [fenced, plain] = run_comparators(_reversed_trials(2, candidate=range(0), baseline=range(1)),
                                      [Scripted(fence_rule)])
    assert [(f.check, f.status, f.behaviour) for f in fenced.reverse] == [
        ("json.fenced", "regression", "format:fenced-json")]
    assert plain.reverse == ()  # the same answer twice: nothing
    [without] = run_comparators([trial("n", BARE, FENCED)], [Scripted(fence_rule)])
    assert without.reverse == ()  # no replica, no reverse comparison


def test_a_behaviour_the_baseline_shows_against_its_replica_is_the_primarys_own() -> None:
    # the replica never fences, but the baseline does on t0001 where its replica did not: one fence of the
    # candidate's (t0000) is the primary's own behaviour, not "never shown"
    noise, triaged = _triage(_reversed_trials(20, candidate=range(1), baseline=range(1, 2)))
    assert triaged[0].verdict == "neutral"
    row = noise.row(("json.fenced", "regression", "format:fenced-json"), "c", 0.5)
    assert row is not None and (row.noise_rate, row.reverse_rate, row.candidate_rate, row.p_value, row.signal) == (
        0.0, 0.05, 0.05, 0.5, False)
    assert triaged[0].within_noise == (("json.fenced", "within the noise floor for json.fenced regression "
                                        "(format:fenced-json): candidate 5% vs the primary's own 0% in c, and its "
                                        "baseline against its replica on 5% of requests (excess +5.0%, one-sided "
                                        "p=0.5)"),)


def test_beyond_the_reverse_rate_and_the_margin_the_candidate_counts() -> None:
    # the baseline fences once against its replica; the candidate on 3 of 20 requests (15% > 5% + 5 points,
    # p=0.125): signal. On 2 (10%, exactly 5% + 5 points): still noise.
    _, triaged = _triage(_reversed_trials(20, candidate=range(2, 5), baseline=range(1)))
    assert [t.verdict for t in triaged].count("regression") == 3
    _, at_margin = _triage(_reversed_trials(20, candidate=range(2, 4), baseline=range(1)))
    assert [t.verdict for t in at_margin].count("regression") == 0


def test_a_smaller_behaviour_of_the_baseline_does_not_excuse_a_larger_one() -> None:
    # the baseline has one item fewer than its replica on m0 (size 1); the candidate loses a 3-item list (size 3)
    trials = [_list_trial("m0", 3, 3, 4), _list_trial("lost", 3, 0, 3)]
    trials += [_list_trial(f"s{i}", 3, 3, 3) for i in range(8)]
    compared = run_comparators(trials, [ShapeComparator()])
    assert [(f.check, f.size) for f in compared[0].reverse] == [("list.count", 1.0)]
    noise = measure_noise(compared)
    triaged = {t.compared.trial.id: t for t in triage(compared, noise)}
    assert triaged["lost"].verdict == "regression"
    row = noise.row(("list.count", "regression", ""), "c", 1.5)
    assert row is not None and (row.reverse_rate, row.signal) == (0.0, True)


def _parse_rule(baseline: str, other: str) -> list[Finding]:
    """``json.valid``: a regression when the other side is not JSON, labelled with the form it took."""
    form = {"P": "format:prose", "F": "format:fenced-json"}.get(other[:1])
    status: Status = "regression" if form and baseline[:1] not in "PF" else "same"
    return [Finding(check="json.valid", version=1, status=status, severity="major",
                    behaviour=form or "format:bare-json", reason="parse")]


def test_json_that_does_not_parse_is_one_behaviour_whatever_form_it_took() -> None:
    # the candidate's broken answers are prose, the replica's fenced, at the same rate: the primary's own noise
    trials = [trial(f"p{i:02d}", BARE, "Prose" if i < 4 else BARE, "Fenced" if 4 <= i < 8 else BARE)
              for i in range(20)]
    compared = run_comparators(trials, [Scripted(_parse_rule)])
    noise = measure_noise(compared)
    assert [t.verdict for t in triage(compared, noise)].count("regression") == 0
    row = noise.row(("json.valid", "regression", ""), "c", 0.5)
    assert row is not None and (row.noise_rate, row.candidate_rate, row.signal) == (0.2, 0.2, False)


def test_a_changed_short_answer_is_excused_only_by_the_primary_giving_that_same_answer() -> None:
    from modelswap.compare.checks.answer import AnswerComparator

    def asked(i: int, baseline: str, candidate: str, replica: str, category: str = "days") -> Trial:
        item = trial(f"a{i}", baseline, candidate, replica)
        request = item.request.__class__(id=item.id, messages=({"role": "user", "content": "Which day? One word."},),
                                         category=category)
        return Trial(id=item.id, request=request, baseline=item.baseline, candidate=item.candidate,
                     replica=item.replica)

    trials = [asked(0, "Monday", "Sunday", "Mon"),      # the replica differs too, but not with the candidate's answer
              asked(1, "Monday", "Sunday", "Sunday", "other"),  # the primary itself says Sunday: not new
              *(asked(i, "Monday", "Monday", "Monday") for i in range(2, 10))]
    compared = run_comparators(trials, [AnswerComparator()])
    triaged = triage(compared, measure_noise(compared))
    assert [t.verdict for t in triaged[:3]] == ["novel", "neutral", "neutral"]


def test_a_replica_wobbling_where_no_count_was_asked_does_not_excuse_a_broken_asked_count() -> None:
    from modelswap.compare.checks.shape import ShapeComparator as Shape

    def notes(i: int, baseline: int, candidate: int, replica: int, bullets: int | None) -> Trial:
        item = trial(f"n{i}", *("\n".join(f"- item {k}" for k in range(n)) for n in (baseline, candidate, replica)),
                     expect={"bullets": bullets} if bullets else None)
        return item

    trials = [notes(0, 3, 2, 3, 3),  # the candidate breaks the asked three; both primary samples keep it
              *(notes(i, 3, 3, 4, None) for i in range(1, 4)),  # where no count is asked, the replica wobbles by one
              *(notes(i, 3, 3, 3, 3) for i in range(4, 10))]
    compared = run_comparators(trials, [Shape()])
    triaged = triage(compared, measure_noise(compared))
    assert triaged[0].verdict == "regression"
    assert [f.behaviour for f in triaged[0].decisive] == ["count:breaks-expect"]
