"""prompts try's pure steps: cases as requests, leave-one-out examples, shaping, pairing with the primary, scoring
through the comparison pipeline, ranking; and the contract check the examples and the matrix use."""

from __future__ import annotations

from pathlib import Path

from modelswap.compare.checks import default_comparators
from modelswap.compare.gate import load_policy
from modelswap.compare.model import Outcome
from modelswap.prompts.contract import check_contract
from modelswap.prompts.registry import load_prompt
from modelswap.prompts.templates import TEMPLATES, Shot
from modelswap.prompts.tryout import (
    Score,
    case_requests,
    file_variant_requests,
    pair_trials,
    pick_shots,
    rank,
    score,
    shape_requests,
    template_variant,
    try_run,
)
from modelswap.types import ChatRequest, Observation, ObservationKey, StoredObservation

EXAMPLE = Path(__file__).resolve().parents[1] / "examples" / "prompts" / "classify-ticket.yaml"
LABELS = {"format": "label", "labels": ["positive", "negative"]}


def review(n: int, gold: str, category: str = "classify") -> ChatRequest:
    return ChatRequest(id=f"r{n}", category=category, params={"max_tokens": 4},
                       messages=({"role": "user", "content": f"Classify.\n\nReview: text {n}"},),
                       expect={**LABELS, "label": gold})


def answer(text: str) -> Outcome:
    return Outcome(output=text, finish_reason="stop")


def stored(run: str, trial: str, arm: str, sample: int, text: str) -> StoredObservation:
    return StoredObservation(key=ObservationKey(run=run, trial_id=trial, arm=arm, sample=sample),
                             role="replica" if sample else "primary",
                             observation=Observation(arm=arm, model=arm, output=text, finish_reason="stop"))


def test_the_contract_check_uses_the_gold_label() -> None:
    request = review(1, "positive")
    assert check_contract(request, answer("positive")).passed
    wrong = check_contract(request, answer("negative"))
    assert (wrong.checked, wrong.passed) == (True, False)
    assert wrong.reasons == ("label.correct: the baseline gives the gold label 'positive', this answer gives "
                             "'negative'",)


def test_a_request_without_a_checkable_expect_is_unchecked() -> None:
    request = ChatRequest(id="x", messages=({"role": "user", "content": "hi"},), expect={"max_tokens": 5})
    assert check_contract(request, answer("anything")).checked is False


def test_pick_shots_never_uses_the_requests_own_answer_and_prefers_answers_meeting_the_contract() -> None:
    requests = [review(1, "positive"), review(2, "negative"), review(3, "positive"), review(4, "negative")]
    pool = [(requests[0], answer("positive")), (requests[1], answer("positive")),  # r2's answer is wrong
            (requests[2], answer("positive")), (requests[3], answer("negative"))]
    shots = pick_shots(requests[0], pool, 3)
    assert {shot.input for shot in shots} == {"Review: text 2", "Review: text 3", "Review: text 4"}
    assert shots[-1] == Shot(input="Review: text 2", output="positive")  # the one failing its contract comes last
    assert [s.input for s in pick_shots(requests[0], pool, 2)] == [s.input for s in shots[:2]]


def test_pick_shots_stays_in_the_category_and_skips_failed_answers() -> None:
    mine, other = review(1, "positive"), review(2, "negative", category="other")
    third = review(3, "negative")
    pool = [(other, answer("negative")), (third, Outcome(output=None, error="timeout: slow"))]
    assert pick_shots(mine, pool, 3) == []


def test_shape_requests_keeps_ids_expect_and_adds_the_stop_sequence() -> None:
    requests = [review(1, "positive"), review(2, "negative")]
    answers = {"r1": answer("positive"), "r2": answer("negative")}
    shaped, raw = shape_requests(requests, TEMPLATES["completion"], shots=1, answers=answers)
    assert raw is True
    assert [r.id for r in shaped] == ["r1", "r2"]
    assert shaped[0].expect == requests[0].expect
    assert shaped[0].params == {"max_tokens": 4, "stop": ["\nInput:"]}
    assert shaped[0].messages == ({"role": "user", "content": "Classify.\n\nInput: Review: text 2\nOutput: negative"
                                                              "\n\nInput: Review: text 1\nOutput:"},)


def test_variant_names_and_runs() -> None:
    assert template_variant(TEMPLATES["completion"], 3).name == "completion-3shot"
    assert template_variant(TEMPLATES["xml"], 3).name == "xml"
    assert try_run("demo", "xml") == "demo~try~xml"


def test_case_requests_render_the_primarys_variant_and_merge_the_expect() -> None:
    prompt = load_prompt(EXAMPLE)
    requests = case_requests(prompt, "smollm2-135m")
    assert [r.id.rsplit("-", 1)[0] for r in requests] == ["double charge", "crash"]
    assert requests[0].messages[1] == {"role": "user", "content": "Why did you bill me twice for March?"}
    assert requests[0].expect == {"labels": ["billing", "bug", "account", "feature", "other"], "max_tokens": 5,
                                  "label": "billing"}
    assert requests[0].category == "classify-ticket"
    gemma = file_variant_requests(prompt, "family:gemma", requests)
    assert gemma[1].messages[0]["content"].endswith("Ticket: Export to PDF freezes and then the app closes.\nLabel:")
    assert gemma[1].params["stop"] == ["\n"]


def test_pair_trials_takes_the_replica_from_the_primarys_later_samples() -> None:
    requests = [review(1, "positive"), review(2, "negative")]
    primary = [stored("r", "r1", "p", 0, "positive"), stored("r", "r1", "p", 1, "negative"),
               stored("r", "r2", "p", 0, "negative")]
    variant = [stored("r~try~x", "r1", "c", 0, "positive")]
    [trial] = pair_trials(requests, primary, variant)
    assert (trial.id, trial.baseline.text, trial.candidate.text) == ("r1", "positive", "positive")
    assert trial.replica is not None and trial.replica.text == "negative"


def test_score_runs_the_comparison_per_category() -> None:
    requests = [review(n, "positive") for n in range(1, 5)] + [review(n, "negative", "other") for n in range(5, 7)]
    primary = [stored("r", r.id, "p", s, r.expect["label"]) for r in requests for s in (0, 1)]
    variant = [stored("t", r.id, "c", 0, "negative" if r.id in ("r1", "r2") else r.expect["label"])
               for r in requests]
    trials = pair_trials(requests, primary, variant)
    scores = score(trials, variant="v", baseline="p", candidate="c", policy=load_policy(),
                   comparators=lambda: default_comparators(semantic=False))
    assert [(s.category, s.trials, s.regression_rate, s.verdicts.get("regression", 0)) for s in scores] == [
        ("classify", 4, 0.5, 2), ("other", 2, 0.0, 0)]


def row(variant: str, rate: float, decision: str = "no_go", hi: float = 0.5) -> Score:
    return Score(variant=variant, category="c", trials=10, regression_rate=rate, ci95=(0.0, hi), noise=0.0,
                 verdicts={}, decision=decision)


def test_rank_orders_by_rate_then_gate_then_interval_then_name() -> None:
    rows = [row("b", 0.2), row("a", 0.2), row("go", 0.2, "go"), row("narrow", 0.2, hi=0.3), row("worst", 0.9),
            row("best", 0.1)]
    assert [r.variant for r in rank(rows)["c"]] == ["best", "go", "narrow", "a", "b", "worst"]


def task(n: int, instructions: str, category: str = "mixed") -> ChatRequest:
    return ChatRequest(id=f"t{n}", category=category,
                       messages=({"role": "user", "content": f"{instructions}\n\nText: {n}"},),
                       expect={**LABELS, "label": "positive"})


def test_a_category_with_different_instructions_keeps_them_in_each_input_and_picks_the_same_task_first() -> None:
    requests = [task(1, "Label A."), task(2, "Label B."), task(3, "Label A.")]
    answers = {"t1": answer("positive"), "t2": answer("negative"), "t3": answer("positive")}
    shaped, _ = shape_requests(requests, TEMPLATES["completion"], shots=1, answers=answers)
    assert shaped[0].messages[0]["content"] == ("Input: Label A.\n\nText: 3\nOutput: positive\n\n"
                                                "Input: Label A.\n\nText: 1\nOutput:")
    same, _ = shape_requests([task(1, "Same."), task(2, "Same.")], TEMPLATES["completion"], shots=1,
                             answers={"t1": answer("positive"), "t2": answer("negative")})
    assert same[0].messages[0]["content"] == "Same.\n\nInput: Text: 2\nOutput: negative\n\nInput: Text: 1\nOutput:"


def test_a_tag_names_new_variants() -> None:
    assert template_variant(TEMPLATES["completion"], 2, tag="v2").name == "completion-2shot@v2"


def test_pick_shots_prefers_answers_that_ended_on_their_own() -> None:
    requests = [task(n, "Same.") for n in range(1, 4)]
    cut = Outcome(output="nonsense that went on", finish_reason="length")
    pool = [(requests[1], cut), (requests[2], Outcome(output="also wrong", finish_reason="stop"))]
    assert [s.output for s in pick_shots(requests[0], pool, 2)] == ["also wrong", "nonsense that went on"]


def test_an_answer_cut_at_its_token_limit_meets_the_contract_when_its_label_is_right() -> None:
    cut = Outcome(output="positive", finish_reason="length")
    assert check_contract(review(1, "positive"), cut).passed
