"""The pairwise judge: both orders, position bias, no verdicts, open trials only, the cache, cost, agreement,
the simulator as a judge, and `compare --judge` end to end."""

from __future__ import annotations

import json
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

import jsonschema
import orjson
import pytest

from compare_helpers import Scripted, trial
from modelswap.backends.base import FunctionBackend
from modelswap.backends.sim import SimBackend
from modelswap.compare.engine import Compared
from modelswap.compare.gate import load_policy
from modelswap.compare.judge import PairwiseJudge, judge_agreement, open_for_judge
from modelswap.compare.judge_prompt import JUDGE_MARKER, is_judge_request, judge_request, judge_sections, parse_verdict
from modelswap.compare.model import Finding, Status
from modelswap.compare.pipeline import compare_trials
from modelswap.compare.triage import Triaged
from modelswap.report.json import render_json
from modelswap.report.model import to_json
from modelswap.sim.model import simulate
from modelswap.sim.quirks import Quirks
from modelswap.store import Store
from modelswap.types import ChatRequest, ErrorInfo, Observation

SCHEMA = orjson.loads((Path(__file__).parents[1] / "src/modelswap/data/report.schema.json").read_bytes())


def prefers(word: str, *, calls: list[str] | None = None, cost_usd: float | None = None
            ) -> Callable[[ChatRequest], Observation]:
    """A judge that names the answer containing ``word`` (a tie when both or neither do), recording request ids."""
    def answer(request: ChatRequest) -> Observation:
        if calls is not None:
            calls.append(request.id)
        sections = judge_sections(request)
        assert sections is not None
        a, b = word in sections.answer_a, word in sections.answer_b
        winner = "tie" if a == b else ("A" if a else "B")
        return Observation(arm="judge", model="judge-model", output=json.dumps({"winner": winner, "reason": f"{word}"}),
                           cost_usd=cost_usd)
    return answer


def judge_with(answer: Callable[[ChatRequest], object], **options: object) -> PairwiseJudge:
    return PairwiseJudge(FunctionBackend(answer, arm="judge", model="judge-model"), **options)  # type: ignore[arg-type]


# --- reading the judge's answer -------------------------------------------------------------------------------------

@pytest.mark.parametrize(("text", "expected"), [
    ('{"winner": "A", "reason": "keeps the\\norder number"}', ("A", "keeps the order number")),
    ('```json\n{"winner": "b", "reason": "shorter"}\n```', ("B", "shorter")),
    ('Here is my verdict:\n```json\n{"reason": "same facts", "winner": "TIE"}\n```', ("tie", "same facts")),
    ('{"winner": "B"}', ("B", "")),
    ("A", ("A", "")),
    ('"B".', ("B", "")),
    ("**tie**", ("tie", "")),
    ('{"winner": "C", "reason": "neither"}', None),
    ('{"winner": ["A"]}', None),
    ("I think the first answer is better.", None),
    ("", None),
])
def test_a_verdict_is_parsed_from_json_fenced_json_or_a_bare_letter(text: str, expected: object) -> None:
    assert parse_verdict(text) == expected


def test_the_judge_request_carries_the_marker_the_sections_and_the_contract() -> None:
    original = ChatRequest(id="t1", messages=({"role": "system", "content": "Be brief."},
                                              {"role": "user", "content": [{"type": "text", "text": "Capital?"}]}),
                           category="qa", expect={"label": "Canberra"}, params={"temperature": 0.7})
    request = judge_request(original, rubric="Prefer the truth.", answer_a="Canberra", answer_b="Sydney",
                            request_id="t1/judge/baseline_first")
    assert request.messages[0]["content"].startswith(JUDGE_MARKER)
    assert "Rubric: Prefer the truth." in request.messages[0]["content"]
    assert (request.id, request.category, request.expect, request.params) == (
        "t1/judge/baseline_first", "qa", {"label": "Canberra"}, {})
    sections = judge_sections(request)
    assert sections is not None
    assert (sections.request, sections.contract, sections.answer_a, sections.answer_b) == (
        "system: Be brief.\nuser: Capital?", {"label": "Canberra"}, "Canberra", "Sydney")
    assert is_judge_request(request)
    assert not is_judge_request(original)
    assert judge_sections(original) is None


# --- both orders ----------------------------------------------------------------------------------------------------

def test_both_orders_agreeing_make_a_win() -> None:
    calls: list[str] = []
    judgements = judge_with(prefers("good", calls=calls)).judge_sync(
        [trial("t1", "a bad answer", "a good answer"), trial("t2", "a good answer", "a bad answer")])
    assert sorted(calls) == ["t1/judge/baseline_first", "t1/judge/candidate_first",
                             "t2/judge/baseline_first", "t2/judge/candidate_first"]
    first, second = (j.finding() for j in judgements)
    assert (first.check, first.status, first.severity, first.version) == ("judge", "improvement", "minor", 1)
    assert first.reason == ("judge judge: the candidate is better in both orders "
                            "(baseline first: good; candidate first: good)")
    assert (first.details["winner"], first.details["position_bias"], first.details["cached"]) == (
        "candidate", False, False)
    assert first.details["orders"]["baseline_first"] == {
        "winner": "B", "side": "candidate", "reason": "good", "raw": '{"winner": "B", "reason": "good"}',
        "cached": False, "cost_usd": None, "error": None}
    assert first.details["orders"]["candidate_first"]["winner"] == "A"
    assert (second.status, second.severity, second.details["winner"]) == ("regression", "minor", "baseline")


def test_orders_that_disagree_are_a_tie_by_position_bias() -> None:
    [judgement] = judge_with(lambda request: '{"winner": "A", "reason": "first"}').judge_sync(
        [trial("t1", "one answer", "another answer")])
    finding = judgement.finding()
    assert (finding.status, finding.severity, finding.details["winner"], finding.details["position_bias"]) == (
        "same", "info", "tie", True)
    assert finding.reason.startswith("judge judge: the two orders disagree (position bias): a tie")
    assert judgement.orders[0].side == "baseline"
    assert judgement.orders[1].side == "candidate"


def test_a_tie_in_both_orders_is_no_position_bias() -> None:
    [judgement] = judge_with(lambda request: "tie").judge_sync([trial("t1", "x", "y")])
    assert (judgement.winner, judgement.position_bias, judgement.finding().status) == ("tie", False, "same")


def test_unparseable_answers_and_failed_calls_are_no_verdict_and_counted() -> None:
    def answer(request: ChatRequest) -> str:
        if request.id.startswith("broken/"):
            raise ConnectionError("judge down")
        if request.id == "half/judge/candidate_first":
            return '{"winner": "A"}'
        return "I prefer the first one, I think."

    run = judge_with(answer).judge_open(
        [triaged("broken", "novel"), triaged("unreadable", "novel"), triaged("half", "novel")])
    findings = {item.trial.id: item.findings[-1] for item in run.compared}
    assert {trial_id: (f.status, f.severity, f.details["winner"]) for trial_id, f in findings.items()} == {
        "broken": ("same", "info", None), "unreadable": ("same", "info", None), "half": ("same", "info", None)}
    assert findings["broken"].reason == "judge judge: no verdict (2 failed call(s), 0 unreadable answer(s))"
    assert findings["half"].reason == "judge judge: no verdict (0 failed call(s), 1 unreadable answer(s))"
    assert findings["half"].details["orders"]["candidate_first"]["winner"] == "A"
    assert findings["broken"].details["orders"]["baseline_first"]["error"] == (
        "backend: ConnectionError: judge down")
    assert run.summary == {"arm": "judge", "model": "judge-model", "judged": 3,
                           "winners": {"baseline": 0, "candidate": 0, "tie": 0, "none": 3},
                           "position_disagreements": 0, "calls": 6, "cached": 0, "failed": 2, "unparseable": 3,
                           "cost_usd": 0.0}


def test_rubrics_are_chosen_per_category() -> None:
    seen: list[tuple[str, str]] = []

    def answer(request: ChatRequest) -> str:
        rubric = request.messages[0]["content"].split("Rubric: ", 1)[1].split("\n", 1)[0]
        seen.append((request.id.split("/")[0], rubric))
        return "tie"

    judge = judge_with(answer, rubric="Default rubric.", rubrics={"billing": "Right amount first."})
    judge.judge_sync([trial("t1", "x", "y", category="billing"), trial("t2", "x", "y", category="qa")])
    assert sorted(seen) == [("t1", "Right amount first."), ("t1", "Right amount first."),
                            ("t2", "Default rubric."), ("t2", "Default rubric.")]


def test_calls_run_concurrently_within_the_bound() -> None:
    import asyncio

    running = {"now": 0, "most": 0}

    async def answer(request: ChatRequest) -> str:
        running["now"] += 1
        running["most"] = max(running["most"], running["now"])
        await asyncio.sleep(0.01)
        running["now"] -= 1
        return "tie"

    judge_with(answer, concurrency=3).judge_sync([trial(f"t{i}", "x", "y") for i in range(5)])
    assert running["most"] == 3
    with pytest.raises(ValueError, match=r"^concurrency=0: must be at least 1$"):
        judge_with(answer, concurrency=0)


# --- which trials are judged ----------------------------------------------------------------------------------------

def triaged(trial_id: str, verdict: str, *findings: Finding, decisive: tuple[Finding, ...] = ()) -> Triaged:
    compared = Compared(trial=trial(trial_id, "a bad answer", "a good answer"), findings=findings)
    return Triaged(compared=compared, verdict=verdict, decisive=decisive)  # type: ignore[arg-type]


def found(check: str, status: Status, severity: str = "major") -> Finding:
    return Finding(check=check, version=1, status=status, severity=severity)  # type: ignore[arg-type]


def test_only_open_trials_are_judged() -> None:
    similarity = found("similarity.semantic", "regression")
    fenced = found("json.fenced", "regression")
    items = [
        triaged("novel", "novel", found("language", "regression")),
        triaged("neutral-changed", "neutral", found("layout", "changed", "info")),
        triaged("neutral-same", "neutral", found("layout", "same", "info")),
        triaged("neutral-similar", "neutral", found("similarity.lexical", "changed", "info")),
        triaged("similarity-decided", "regression", similarity, decisive=(similarity,)),
        triaged("check-decided", "regression", fenced, similarity, decisive=(fenced,)),
        triaged("improved", "improvement", found("json.fenced", "improvement"),
                decisive=(found("json.fenced", "improvement"),)),
        triaged("nothing", "neutral"),
    ]
    assert [t.compared.trial.id for t in open_for_judge(items)] == [
        "novel", "neutral-changed", "neutral-similar", "similarity-decided"]
    calls: list[str] = []
    run = judge_with(prefers("good", calls=calls)).judge_open(items)
    assert sorted({call.split("/")[0] for call in calls}) == [
        "neutral-changed", "neutral-similar", "novel", "similarity-decided"]
    assert [len(item.findings) for item in run.compared] == [2, 2, 1, 2, 2, 2, 1, 0]
    assert [item.findings[-1].check for item in run.compared if item.findings] == [
        "judge", "judge", "layout", "judge", "judge", "similarity.semantic", "json.fenced"]


def test_the_pipeline_judges_open_trials_and_triages_again() -> None:
    def rule(baseline: str, other: str) -> list[Finding]:
        if other.startswith("```"):
            return [found("json.fenced", "regression")]
        return [found("tone", "changed" if other != baseline else "same", "info")]

    trials = [trial("fenced", "good", "```good```"), trial("reworded", "a bad answer", "a good answer"),
              trial("worse", "a good answer", "a bad answer"), trial("equal", "same", "same")]
    calls: list[str] = []
    report = compare_trials(trials, baseline="b", candidate="c", replica=None, policy=load_policy(None),
                            comparators=[Scripted(rule)], judge=judge_with(prefers("good", calls=calls,
                                                                                    cost_usd=0.25)))
    assert sorted({call.split("/")[0] for call in calls}) == ["reworded", "worse"]
    assert [(t.compared.trial.id, t.verdict) for t in report.triaged] == [
        ("fenced", "regression"), ("reworded", "improvement"), ("worse", "regression"), ("equal", "neutral")]
    assert report.judge == {"arm": "judge", "model": "judge-model", "judged": 2,
                            "winners": {"baseline": 1, "candidate": 1, "tie": 0, "none": 0},
                            "position_disagreements": 0, "calls": 4, "cached": 0, "failed": 0, "unparseable": 0,
                            "cost_usd": 1.0}
    document = orjson.loads(render_json(report))
    assert document["judge"] == report.judge
    jsonschema.Draft202012Validator(SCHEMA).validate(document)
    plain = compare_trials(trials, baseline="b", candidate="c", replica=None, policy=load_policy(None),
                           comparators=[Scripted(rule)])
    assert (plain.judge, "judge" in to_json(plain)) == (None, False)


# --- the cache and the cost -----------------------------------------------------------------------------------------

def test_a_second_run_reads_the_cache_and_makes_no_call(store: Store) -> None:
    trials = [trial("t1", "a bad answer", "a good answer"), trial("t2", "x", "y")]
    items = [triaged_of(t) for t in trials]
    first_calls: list[str] = []
    first = judge_with(prefers("good", calls=first_calls, cost_usd=0.25), cache=store).judge_open(items)
    assert (len(first_calls), first.summary["calls"], first.summary["cached"], first.summary["cost_usd"]) == (
        4, 4, 0, 1.0)
    again_calls: list[str] = []
    again = judge_with(prefers("good", calls=again_calls, cost_usd=0.25), cache=store).judge_open(items)
    assert again_calls == []
    assert (again.summary["calls"], again.summary["cached"], again.summary["cost_usd"]) == (0, 4, 0.0)
    assert [j.winner for j in again.judgements] == [j.winner for j in first.judgements] == ["candidate", "tie"]
    finding = again.compared[0].findings[-1]
    assert (finding.details["cached"], finding.details["cost_usd"], finding.status) == (True, 0.5, "improvement")
    other_rubric_calls: list[str] = []
    judge_with(prefers("good", calls=other_rubric_calls), cache=store, rubric="Another rubric.").judge_open(items)
    assert len(other_rubric_calls) == 4


def test_failed_and_unparseable_answers_are_not_cached(store: Store) -> None:
    items = [triaged_of(trial("t1", "x", "y"))]
    judge_with(lambda request: "no idea", cache=store).judge_open(items)
    judge_with(lambda request: Observation(arm="judge", model="m", error=ErrorInfo(kind="timeout", message="slow")),
               cache=store).judge_open(items)
    calls: list[str] = []
    run = judge_with(prefers("y", calls=calls), cache=store).judge_open(items)
    assert (len(calls), run.summary["cached"], run.judgements[0].winner) == (2, 0, "candidate")


def triaged_of(item: object) -> Triaged:
    return Triaged(compared=Compared(trial=item, findings=()), verdict="novel")  # type: ignore[arg-type]


# --- agreement with labels ------------------------------------------------------------------------------------------

def test_agreement_with_labelled_pairs() -> None:
    items = [triaged_of(trial(f"t{i}", "x", "y")) for i in range(6)]
    winners = ["baseline", "candidate", "tie", "tie", None, "candidate"]
    labelled = [Triaged(compared=Compared(trial=item.compared.trial, findings=(
        Finding(check="judge", version=1, status="same", details={"winner": winner}),)), verdict="neutral")
        for item, winner in zip(items, winners, strict=True)]
    labels = {"t0": "regression", "t1": "regression", "t2": "neutral", "t3": "improvement", "t4": "neutral",
              "t5": "novel"}
    assert judge_agreement([*labelled, items[0]], labels) == {
        "trials": 4, "agreed": 2, "rate": 0.5,
        "by_label": {"regression": {"trials": 2, "agreed": 1}, "improvement": {"trials": 1, "agreed": 0},
                     "neutral": {"trials": 1, "agreed": 1}}}
    assert judge_agreement(labelled, {})["rate"] is None


# --- the simulator as a judge ---------------------------------------------------------------------------------------

def sim_verdict(answer_a: str, answer_b: str, *, expect: dict[str, object] | None = None,
                quirks: Quirks | None = None, question: str = "How do I reset my password in the app?"
                ) -> tuple[dict[str, str], tuple[str, ...]]:
    original = ChatRequest(id="q1", messages=({"role": "user", "content": question},), expect=dict(expect or {}))
    request = judge_request(original, rubric="r", answer_a=answer_a, answer_b=answer_b, request_id="q1/judge/x")
    outcome = simulate(request, seed=0, quirks=quirks or Quirks())
    assert outcome.output is not None
    return json.loads(outcome.output), outcome.applied


ON_TOPIC = "To reset your password in the app, open settings and choose reset password."


@pytest.mark.parametrize(("a", "b", "expect", "verdict"), [
    ("It is Canberra.", "It is Sydney.", {"label": "Canberra"},
     {"winner": "A", "reason": "only answer A contains the expected Canberra"}),
    ('{"total": 1631.17, "vendor": "ACME"}', '{"total": 1631.71, "vendor": "ACME"}',
     {"fields": {"total": 1631.17, "vendor": "ACME", "paid": False}},
     {"winner": "A", "reason": "only answer A contains the expected 1631.17, ACME"}),
    ("", ON_TOPIC, None, {"winner": "B", "reason": "answer A is empty"}),
    (ON_TOPIC, "sorry " * 20, None, {"winner": "A", "reason": "answer B is looping"}),
    ("Bananas are rich in potassium.", ON_TOPIC, None,
     {"winner": "B", "reason": "answer B stays closer to the request (0.44 of its words in it, vs 0.00)"}),
    (ON_TOPIC, "Open settings, choose reset password, and follow the steps in the app.", None,
     {"winner": "tie", "reason": "no difference the rule can tell"}),
])
def test_the_simulator_judges_by_its_documented_rule(a: str, b: str, expect: dict[str, object] | None,
                                                     verdict: dict[str, str]) -> None:
    assert sim_verdict(a, b, expect=expect) == (verdict, ())


def test_the_simulator_position_bias_answers_a_and_the_judge_calls_it_a_tie() -> None:
    assert sim_verdict("", ON_TOPIC, quirks=Quirks(position_bias_rate=1.0)) == (
        {"winner": "A", "reason": "position bias: the first answer"}, ("position_bias",))
    biased = PairwiseJudge(SimBackend(arm="simjudge", seed=0, quirks=Quirks(position_bias_rate=1.0)))
    fair = PairwiseJudge(SimBackend(arm="simjudge", seed=0))
    trials = [trial("t1", ON_TOPIC, "")]
    assert [(j.winner, j.position_bias) for j in biased.judge_sync(trials)] == [("tie", True)]
    assert [(j.winner, j.position_bias) for j in fair.judge_sync(trials)] == [("baseline", False)]


def test_a_fenced_verdict_from_a_quirky_simulator_still_parses() -> None:
    original = ChatRequest(id="q1", messages=({"role": "user", "content": "Reset?"},))
    request = judge_request(original, rubric="r", answer_a="", answer_b="Open settings.", request_id="q1/judge/x")
    outcome = simulate(request, seed=0, quirks=Quirks(json_fence_rate=1.0))
    assert (outcome.output, outcome.applied) == (
        '```json\n{"winner": "B", "reason": "answer A is empty"}\n```', ("json_fence",))
    assert parse_verdict(outcome.output) == ("B", "answer A is empty")
    judge = PairwiseJudge(SimBackend(arm="simjudge", seed=0, quirks=Quirks(json_fence_rate=1.0)))
    assert [j.winner for j in judge.judge_sync([trial("t1", "", ON_TOPIC)])] == ["candidate"]


# --- the command line -----------------------------------------------------------------------------------------------

REFUSAL = "I'm sorry, but I can't help with that."
PASSWORD = "How do I reset my password in the app?"


def pair(trial_id: str, question: str, baseline: str, candidate: str, label: str,
         expect: dict[str, object] | None = None) -> bytes:
    line = {"id": trial_id, "category": "qa", "request": {"messages": [{"role": "user", "content": question}]},
            "baseline": {"output": baseline, "finish_reason": "stop"},
            "candidate": {"output": candidate, "finish_reason": "stop"}, "label": {"verdict": label}}
    if expect:
        line["expect"] = expect
    return orjson.dumps(line)


PAIRS = [
    pair("pt", PASSWORD, ON_TOPIC, "Abra as configurações e escolha redefinir senha.", "regression"),
    pair("refuses", PASSWORD, ON_TOPIC, REFUSAL, "novel"),
    pair("answers", "How do I kill a stuck process on Linux?", REFUSAL,
         "To kill a stuck process on Linux, run kill with the process id.", "improvement"),
    pair("gold", "Classify the sentiment of this review: great phone, love it.", "positive", REFUSAL, "regression",
         {"label": "positive", "labels": ["positive", "negative"]}),
    pair("planet", "In one word, which planet is the largest?", "Jupiter", "Saturn", "regression"),
    pair("colour", "In one word, name a primary colour.", "Red", "Blue", "neutral"),
    pair("fenced", "Return JSON with the answer.", '{"answer": 4}', '```json\n{"answer": 4}\n```', "regression"),
]


def modelswap(*args: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "modelswap", *args], cwd=cwd, capture_output=True, text=True,
                          timeout=120, env={"PATH": "/usr/bin:/bin", "COLUMNS": "400", "TERM": "dumb"})


def test_compare_pairs_with_a_simulator_judge_end_to_end(tmp_path: Path) -> None:
    pairs = tmp_path / "pairs.jsonl"
    pairs.write_bytes(b"\n".join(PAIRS) + b"\n")
    config = tmp_path / "modelswap.yaml"
    config.write_text(f"""
store: sqlite:///{tmp_path}/m.db
arms:
  simjudge: {{backend: sim, seed: 0, price: {{input_per_mtok: 1.0, output_per_mtok: 2.0}}}}
""", encoding="utf-8")
    args = ("compare", "--pairs", str(pairs), "-c", str(config), "--judge", "simjudge", "--no-semantic")
    done = modelswap(*args, "--json", str(tmp_path / "first.json"), cwd=tmp_path)
    assert done.returncode == 0, done.stderr
    first = orjson.loads((tmp_path / "first.json").read_bytes())
    jsonschema.Draft202012Validator(SCHEMA).validate(first)
    judge = first["judge"]
    cost = judge.pop("cost_usd")
    assert judge == {
        "arm": "simjudge", "model": "sim", "judged": 6,
        "winners": {"baseline": 3, "candidate": 1, "tie": 2, "none": 0},
        "position_disagreements": 0, "calls": 12, "cached": 0, "failed": 0, "unparseable": 0,
        "agreement": {"trials": 5, "agreed": 4, "rate": 0.8,
                      "by_label": {"regression": {"trials": 3, "agreed": 2}, "improvement": {"trials": 1, "agreed": 1},
                                   "neutral": {"trials": 1, "agreed": 1}}}}
    findings = {t["id"]: [f for f in t["findings"] if f["check"] == "judge"] for t in first["trials"]}
    assert cost > 0
    assert cost == pytest.approx(sum(f["details"]["cost_usd"] for fs in findings.values() for f in fs))
    assert {trial_id: [f["details"]["winner"] for f in fs] for trial_id, fs in findings.items()} == {
        "pt": ["baseline"], "refuses": ["baseline"], "answers": ["candidate"], "gold": ["baseline"],
        "planet": ["tie"], "colour": ["tie"], "fenced": []}
    assert ("judge simjudge (sim): 6 open trial(s) judged: candidate better 1, baseline better 3, tie 2, no verdict 0 "
            f"(0 position disagreement(s)); 12 call(s), 0 cached, 0 failed, 0 unparseable, ${cost:.4f}; agrees with 4 "
            "of 5 labelled trial(s) (80%)") in done.stdout

    again = modelswap(*args, "--json", str(tmp_path / "again.json"), cwd=tmp_path)
    assert again.returncode == 0, again.stderr
    second = orjson.loads((tmp_path / "again.json").read_bytes())["judge"]
    assert (second["calls"], second["cached"], second["cost_usd"], second["winners"], second["agreement"]) == (
        0, 12, 0.0, judge["winners"], judge["agreement"])


@pytest.mark.parametrize(("extra", "expected"), [
    (("--judge", "simjudge"), "error: --judge and --route need -c CONFIG: the judge arm and the verdict cache come "
                              "from it"),
    (("-c", "{config}", "--judge", "nope"), "error: arms: unknown arm 'nope'; expected one of simjudge"),
    (("-c", "{config}", "--route", "bot"), "error: route 'bot' has no judge; add judge: {arm: NAME} to it or pass "
                                           "--judge ARM"),
    (("-c", "{config}", "--route", "other"), "error: unknown route 'other'; expected one of bot"),
])
def test_bad_judge_options_are_one_line_and_exit_3(tmp_path: Path, extra: tuple[str, ...], expected: str) -> None:
    pairs = tmp_path / "pairs.jsonl"
    pairs.write_bytes(PAIRS[0] + b"\n")
    config = tmp_path / "modelswap.yaml"
    config.write_text(f"store: sqlite:///{tmp_path}/m.db\narms:\n  simjudge: {{backend: sim}}\n"
                      "routes:\n  bot: {primary: simjudge}\n", encoding="utf-8")
    done = modelswap("compare", "--pairs", str(pairs), "--no-semantic",
                     *(part.format(config=config) for part in extra), cwd=tmp_path)
    assert (done.returncode, done.stderr.strip()) == (3, expected)


def test_a_route_judge_is_used_with_its_rubric(tmp_path: Path) -> None:
    pairs = tmp_path / "pairs.jsonl"
    pairs.write_bytes(PAIRS[0] + b"\n")
    config = tmp_path / "modelswap.yaml"
    config.write_text(f"""
store: sqlite:///{tmp_path}/m.db
arms:
  simjudge: {{backend: sim}}
  other: {{backend: sim, seed: 4}}
routes:
  bot: {{primary: simjudge, judge: {{arm: simjudge, rubrics: {{qa: Prefer English.}}}}}}
""", encoding="utf-8")
    def judged(*options: str) -> dict[str, object]:
        done = modelswap("compare", "--pairs", str(pairs), "--no-semantic", "-c", str(config), *options,
                         "--json", str(tmp_path / "r.json"), cwd=tmp_path)
        assert done.returncode == 0, done.stderr
        judge: dict[str, object] = orjson.loads((tmp_path / "r.json").read_bytes())["judge"]
        return {key: judge[key] for key in ("arm", "calls", "cached")}

    assert judged("--route", "bot") == {"arm": "simjudge", "calls": 2, "cached": 0}
    assert judged("--route", "bot") == {"arm": "simjudge", "calls": 0, "cached": 2}
    assert judged("--judge", "simjudge") == {"arm": "simjudge", "calls": 2, "cached": 0}  # the default rubric
    assert judged("--route", "bot", "--judge", "other") == {"arm": "other", "calls": 2, "cached": 0}
