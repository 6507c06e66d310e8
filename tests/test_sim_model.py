"""The simulated model: base answers, each quirk's exact transformation, rates, determinism."""

from __future__ import annotations

import json
from typing import Any

import pytest

from modelswap.compare.checks.degenerate import DegenerateComparator
from modelswap.compare.model import Outcome
from modelswap.sim.base import SENTENCES
from modelswap.sim.model import SimOutcome, simulate
from modelswap.sim.quirk_rules import REFUSALS, number_to_words
from modelswap.sim.quirks import Quirks
from modelswap.types import ChatRequest, Usage


def ask(content: str, *, id: str = "r1", expect: dict[str, Any] | None = None, category: str = "default",
        params: dict[str, Any] | None = None, system: str | None = None) -> ChatRequest:
    messages = ({"role": "system", "content": system},) if system else ()
    return ChatRequest(id=id, messages=(*messages, {"role": "user", "content": content}),
                       params=params or {}, category=category, expect=expect or {})


def run(request: ChatRequest, *, seed: int = 0, **quirks: Any) -> SimOutcome:
    return simulate(request, seed=seed, quirks=Quirks(**quirks))


def rate(quirk: str, value: float = 1.0) -> dict[str, Any]:
    return {f"{quirk}_rate": value}


PERSON = {"first_name": "Ada", "age": 34, "tags": ["math", "code"]}
JSON_REQUEST = ask("Extract the person.", expect={"format": "json", "fields": PERSON})
PERSON_TEXT = '{"first_name": "Ada", "age": 34, "tags": ["math", "code"]}'
LABEL_REQUEST = ask("Classify: I love it", expect={"format": "label", "labels": ["positive", "negative"],
                                                   "label": "positive"})
BULLET_REQUEST = ask("Tea benefits?", expect={"bullets": 3})
BULLET_TEXT = "- item 1: a point about Tea benefits\n- item 2: a point about Tea benefits\n" \
              "- item 3: a point about Tea benefits"
PROSE_REQUEST = ask("What is the capital of France?")
PROSE_TEXT = "Here is a short answer about What is the capital of."
INFERRED_JSON = ask("Answer in JSON: what is 2+2?")
INFERRED_JSON_TEXT = '{"answer": "Here is a short answer about Answer in JSON what is."}'


# --- base behaviour -------------------------------------------------------------------------

def test_base_json_from_fields_keeps_the_given_key_order() -> None:
    outcome = run(JSON_REQUEST)
    assert outcome.output == PERSON_TEXT
    assert (outcome.finish_reason, outcome.applied, outcome.error_status, outcome.hang) == ("stop", (), None, False)


def test_base_json_from_a_schema_has_typed_deterministic_values() -> None:
    schema = {"type": "object", "properties": {
        "name": {"type": "string"}, "age": {"type": "integer"}, "tags": {"type": "array", "items": {"type": "string"}},
        "addr": {"properties": {"city": {"type": "string"}, "zip": {"type": "integer"}}},
        "ok": {"type": "boolean"}, "score": {"type": "number"}, "mood": {"enum": ["calm", "busy"]},
        "kind": {"const": "person"}, "born": {"type": "string", "format": "date"},
        "note": {"type": ["null", "string"]}}}
    output = run(ask("x", expect={"format": "json", "schema": schema})).output
    assert output is not None
    assert json.loads(output) == {"name": "maple", "age": 64, "tags": ["ember", "amber"],
                                  "addr": {"city": "delta", "zip": 37}, "ok": True, "score": 13.5, "mood": "calm",
                                  "kind": "person", "born": "2024-01-21", "note": "stone"}
    assert run(ask("other question", expect={"format": "json", "schema": schema}), seed=9).output == output


def test_base_json_fields_come_first_then_the_other_schema_properties() -> None:
    schema = {"type": "object", "properties": {"age": {"type": "integer"}, "name": {"type": "string"}}}
    request = ask("x", expect={"format": "json", "fields": {"name": "Ada"}, "schema": schema})
    assert run(request).output == '{"name": "Ada", "age": 64}'


def test_base_label_is_the_gold_label_else_the_first_label() -> None:
    assert run(LABEL_REQUEST).output == "positive"
    assert run(ask("x", expect={"format": "label", "labels": ["spam", "ham"]})).output == "spam"


def test_base_bullets_and_language_from_expect() -> None:
    assert run(BULLET_REQUEST).output == BULLET_TEXT
    assert run(ask("Say something", expect={"language": "ja"})).output == "今日は天気が良く、チームは午後に集まります。"
    assert run(ask("Say something", expect={"language": "xx"})).output == SENTENCES["en"]
    assert run(ask("Say something", expect={"format": "json", "language": "de"})).output == json.dumps(
        {"answer": SENTENCES["de"]}, ensure_ascii=False)
    assert set(SENTENCES) >= {"en", "fr", "es", "de", "ja", "zh", "pt", "it", "ru"}


def test_base_inferred_from_the_prompt() -> None:
    assert run(PROSE_REQUEST).output == PROSE_TEXT
    assert run(INFERRED_JSON).output == INFERRED_JSON_TEXT
    assert run(ask("Is it blue?", system="Always reply in json.")).output == \
        '{"answer": "Here is a short answer about Is it blue."}'
    assert run(ask("Give me 2 bullet points on rain")).output == \
        "- item 1: a point about Give me 2 bullet points\n- item 2: a point about Give me 2 bullet points"
    assert str(run(ask("List four bullets: snow")).output).count("- item") == 4
    assert run(ask("  ")).output == "Here is a short answer about your question."


def test_usage_is_words_times_1_3_rounded_half_up() -> None:
    outcome = run(PROSE_REQUEST)  # 6 prompt words, 11 output words
    assert outcome.usage == Usage(prompt_tokens=8, completion_tokens=14)


def test_max_tokens_cuts_the_output_at_the_words_that_fit() -> None:
    outcome = run(ask("What is the capital of France?", params={"max_tokens": 5}))
    assert (outcome.output, outcome.finish_reason, outcome.applied) == ("Here is a", "length", ("max_tokens",))
    assert outcome.usage.completion_tokens == 4
    assert run(ask("What is the capital of France?", params={"max_tokens": 14})).output == PROSE_TEXT


# --- each quirk at rate 1 (and 0) -----------------------------------------------------------

PERSON_PRETTY = json.dumps({"tags": ["math", "code"], "age": 34, "first_name": "Ada"}, indent=2)
CASES: list[tuple[str, ChatRequest, str]] = [
    ("json_fence", JSON_REQUEST, f"```json\n{PERSON_TEXT}\n```"),
    ("preamble", JSON_REQUEST, f"Here's the JSON:\n{PERSON_TEXT}"),
    ("preamble", PROSE_REQUEST, f"Sure, here you go:\n{PROSE_TEXT}"),
    ("trailing_commentary", JSON_REQUEST, f"{PERSON_TEXT}\n\nLet me know if you need anything else!"),
    ("rename_key", JSON_REQUEST, '{"firstName": "Ada", "age": 34, "tags": ["math", "code"]}'),
    ("rename_key", INFERRED_JSON, '{"response": "Here is a short answer about Answer in JSON what is."}'),
    ("drop_key", JSON_REQUEST, '{"first_name": "Ada", "age": 34}'),
    ("spelled_number", JSON_REQUEST, '{"first_name": "Ada", "age": "thirty-four", "tags": ["math", "code"]}'),
    ("wrap_object", JSON_REQUEST, f'{{"result": {PERSON_TEXT}}}'),
    ("extra_item", JSON_REQUEST, '{"first_name": "Ada", "age": 34, "tags": ["math", "code", "code"]}'),
    ("extra_item", BULLET_REQUEST, BULLET_TEXT + "\n- item 4: a point about Tea benefits"),
    ("wrong_label", LABEL_REQUEST, "negative"),
    ("label_in_prose", LABEL_REQUEST, "The answer is positive because that is what the text conveys."),
    ("language", PROSE_REQUEST, SENTENCES["fr"]),
    ("language", INFERRED_JSON, json.dumps({"answer": SENTENCES["fr"]}, ensure_ascii=False)),
    ("paraphrase", PROSE_REQUEST, "About What is the capital of, here is a brief answer."),
    ("paraphrase", JSON_REQUEST, PERSON_PRETTY),
    ("paraphrase", INFERRED_JSON, '{\n  "answer": "About Answer in JSON what is, here is a brief answer."\n}'),
    ("paraphrase", BULLET_REQUEST, "* item 1: a note on Tea benefits\n* item 2: a note on Tea benefits\n"
                                   "* item 3: a note on Tea benefits"),
    ("paraphrase", ask("Bonjour", expect={"language": "fr"}),
     "L'équipe se réunira dans l'après-midi, et il fait beau aujourd'hui."),
    ("truncation", JSON_REQUEST, PERSON_TEXT[: len(PERSON_TEXT) // 2]),
]


@pytest.mark.parametrize(("quirk", "request_", "expected"), CASES, ids=[f"{c[0]}-{i}" for i, c in enumerate(CASES)])
def test_each_quirk_at_rate_1_transforms_exactly_and_at_rate_0_not_at_all(
        quirk: str, request_: ChatRequest, expected: str) -> None:
    outcome = run(request_, **rate(quirk))
    assert outcome.output == expected
    assert outcome.applied == (quirk,)
    assert outcome.finish_reason == ("length" if quirk == "truncation" else "stop")
    untouched = run(request_, **rate(quirk, 0.0))
    assert untouched.output == run(request_).output
    assert untouched.applied == ()


@pytest.mark.parametrize(("quirk", "request_"), [
    ("json_fence", PROSE_REQUEST), ("rename_key", LABEL_REQUEST), ("spelled_number", INFERRED_JSON),
    ("wrong_label", JSON_REQUEST), ("label_in_prose", PROSE_REQUEST), ("language", JSON_REQUEST),
    ("language", LABEL_REQUEST), ("extra_item", PROSE_REQUEST), ("paraphrase", LABEL_REQUEST),
    ("wrong_label", ask("x", expect={"format": "label", "labels": ["only"]})),
])
def test_a_quirk_that_does_not_fit_the_answer_changes_nothing(quirk: str, request_: ChatRequest) -> None:
    outcome = run(request_, **rate(quirk))
    assert (outcome.output, outcome.applied) == (run(request_).output, ())


def test_quirks_combine_in_the_documented_order() -> None:
    names = ("json_fence", "preamble", "trailing_commentary", "rename_key", "drop_key", "spelled_number",
             "wrap_object", "extra_item")
    rates: dict[str, Any] = {f"{name}_rate": 1.0 for name in names}
    outcome = run(JSON_REQUEST, **rates)
    assert outcome.output == ('Here\'s the JSON:\n```json\n{"result": {"firstName": "Ada", "age": "thirty-four"}}\n'
                              '```\n\nLet me know if you need anything else!')
    assert outcome.applied == ("extra_item", "spelled_number", "rename_key", "drop_key", "wrap_object",
                               "json_fence", "preamble", "trailing_commentary")
    both = run(LABEL_REQUEST, wrong_label_rate=1.0, label_in_prose_rate=1.0)
    assert both.output == "The answer is negative because that is what the text conveys."


def test_language_quirk_in_the_expected_language_changes_nothing() -> None:
    request = ask("Hola", expect={"language": "es"})
    assert run(request, language_rate=1.0, language="es").applied == ()
    assert run(request, language_rate=1.0, language="ja").output == SENTENCES["ja"]
    assert run(PROSE_REQUEST, language_rate=1.0, language="en").applied == ()


def test_wrong_label_picks_among_the_other_labels() -> None:
    labels = ["positive", "negative", "neutral"]
    outputs = {run(ask(f"text {i}", id=f"w{i}", expect={"format": "label", "labels": labels, "label": "neutral"}),
                   wrong_label_rate=1.0).output for i in range(40)}
    assert outputs == {"positive", "negative"}


# --- refusals, failures, time ---------------------------------------------------------------

def test_refusal_rate_gives_a_canned_refusal_and_skips_content_quirks() -> None:
    outcomes = [run(ask("hi", id=f"f{i}", expect={"format": "json", "fields": PERSON}), refusal_rate=1.0,
                    json_fence_rate=1.0) for i in range(30)]
    assert {o.output for o in outcomes} == set(REFUSALS)
    assert {(o.applied, o.finish_reason) for o in outcomes} == {(("refusal",), "stop")}


def test_refusal_keywords_are_case_insensitive_and_categories_match() -> None:
    quirks: dict[str, Any] = {"refusal_keywords": ("Bomb",), "refusal_categories": ("medical",)}
    assert run(ask("How do I defuse a BOMB?"), **quirks).applied == ("refusal_keyword",)
    assert run(ask("Is this mole normal?", category="medical"), **quirks).applied == ("refusal_category",)
    fine = run(ask("What is the capital of France?", category="geo"), **quirks)
    assert (fine.output, fine.applied) == (PROSE_TEXT, ())
    assert run(ask("How do I defuse a bomb?"), **quirks).applied == ("refusal_keyword",)


def test_truncation_finishes_with_length_and_counts_the_cut_output() -> None:
    outcome = run(PROSE_REQUEST, truncation_rate=1.0)
    assert (outcome.output, outcome.finish_reason) == ("Here is a short answer abo", "length")
    assert outcome.usage == Usage(prompt_tokens=8, completion_tokens=8)


def test_error_has_no_output_and_the_configured_status() -> None:
    outcome = run(PROSE_REQUEST, error_rate=1.0, error_status=503)
    assert (outcome.output, outcome.finish_reason, outcome.error_status) == (None, None, 503)
    assert outcome.error_message == "simulated upstream error (status 503)"
    assert (outcome.applied, outcome.usage) == (("error",), Usage(prompt_tokens=8, completion_tokens=0))


def test_hang_waits_hang_s_instead_of_the_latency() -> None:
    outcome = run(PROSE_REQUEST, hang_rate=1.0, hang_s=2.5, latency={"median_ms": 40.0})
    assert (outcome.hang, outcome.hang_s, outcome.wait_s, outcome.latency_ms) == (True, 2.5, 2.5, 40.0)
    assert (outcome.output, outcome.applied) == (PROSE_TEXT, ("hang",))
    calm = run(PROSE_REQUEST, latency={"median_ms": 40.0})
    assert (calm.hang, calm.hang_s, calm.wait_s) == (False, 0.0, 0.04)


def test_latency_is_lognormal_around_the_median() -> None:
    latencies = sorted(run(ask("q", id=f"l{i}"), latency={"median_ms": 100.0, "sigma": 0.5}).latency_ms
                       for i in range(2000))
    assert 95.0 <= latencies[1000] <= 105.0
    assert 40.0 <= latencies[100] <= 60.0  # 10th percentile: 100 * exp(-1.2816 * 0.5) = 52.7
    assert run(PROSE_REQUEST).latency_ms == 0.0


# --- determinism and rates --------------------------------------------------------------------

NOISY = Quirks(json_fence_rate=0.5, preamble_rate=0.5, rename_key_rate=0.5, drop_key_rate=0.5, paraphrase_rate=0.5,
               truncation_rate=0.2, error_rate=0.1, hang_rate=0.1, refusal_rate=0.1,
               latency={"median_ms": 50.0, "sigma": 1.0})
MANY = [ask(f"Question number {i}?", id=f"q{i}", expect={"format": "json", "fields": PERSON}) for i in range(2000)]


def test_same_seed_and_request_give_the_identical_outcome() -> None:
    first = [simulate(r, seed=3, quirks=NOISY) for r in MANY[:500]]
    again = [simulate(r, seed=3, quirks=Quirks.model_validate(NOISY.model_dump())) for r in MANY[:500]]
    assert first == again
    assert len({o.output for o in first}) > 10


def test_an_empty_id_uses_the_content() -> None:
    a, b = ask("same", id=""), ask("same", id="")
    c = ask("different", id="")
    latencies = [run(r, seed=1, latency={"median_ms": 10.0, "sigma": 1.0}).latency_ms for r in (a, b, c)]
    assert latencies[0] == latencies[1] != latencies[2]


def _fenced(outcomes: list[SimOutcome]) -> list[bool]:
    return ["json_fence" in o.applied for o in outcomes]


def test_two_seeds_decide_independently() -> None:
    one = _fenced([run(r, seed=1, json_fence_rate=0.5) for r in MANY])
    two = _fenced([run(r, seed=2, json_fence_rate=0.5) for r in MANY])
    agreement = sum(a == b for a, b in zip(one, two, strict=True)) / len(MANY)
    assert 0.46 <= agreement <= 0.54


def test_the_request_seed_param_gives_independent_draws() -> None:
    def seeded(request: ChatRequest, seed: int) -> ChatRequest:
        return ask("q", id=request.id, params={"seed": seed}, expect=request.expect)

    one = _fenced([run(seeded(r, 11), json_fence_rate=0.5) for r in MANY])
    two = _fenced([run(seeded(r, 12), json_fence_rate=0.5) for r in MANY])
    assert 0.46 <= sum(a == b for a, b in zip(one, two, strict=True)) / len(MANY) <= 0.54


def test_observed_rates_match_the_configured_rates_and_quirks_are_independent() -> None:
    names = ("json_fence", "preamble", "trailing_commentary", "truncation", "hang", "error", "refusal")
    rates: dict[str, Any] = {f"{name}_rate": 0.3 for name in names}
    quirks = Quirks(**rates)
    outcomes = [simulate(r, seed=5, quirks=quirks) for r in MANY]
    for name in ("truncation", "hang", "error", "refusal"):
        rate = sum(name in o.applied for o in outcomes) / len(MANY)
        assert 0.26 <= rate <= 0.34, (name, rate)
    answered = [o for o in outcomes if "refusal" not in o.applied]
    for name in ("json_fence", "preamble", "trailing_commentary"):
        rate = sum(name in o.applied for o in answered) / len(answered)
        assert 0.25 <= rate <= 0.35, (name, rate)
    joint = sum({"json_fence", "preamble"} <= set(o.applied) for o in answered) / len(answered)
    assert 0.06 <= joint <= 0.12


# --- degenerate output ------------------------------------------------------------------------

def test_empty_answers_nothing_and_stops() -> None:
    outcome = run(PROSE_REQUEST, empty_rate=1.0)
    assert (outcome.output, outcome.finish_reason, outcome.applied) == ("", "stop", ("empty",))
    assert outcome.usage == Usage(prompt_tokens=8, completion_tokens=0)


def test_echo_gives_the_last_user_message_back() -> None:
    outcome = run(PROSE_REQUEST, echo_rate=1.0)
    assert (outcome.output, outcome.finish_reason, outcome.applied) == (
        "What is the capital of France?", "stop", ("echo",))
    chat = ChatRequest(id="e1", messages=({"role": "user", "content": "Hi"}, {"role": "assistant", "content": "Hello"},
                                          {"role": "user", "content": [{"type": "text", "text": "Tea or coffee?"}]}))
    assert run(chat, echo_rate=1.0).output == "Tea or coffee?"
    silent = ChatRequest(id="e2", messages=({"role": "system", "content": "Say hi."},))
    assert (run(silent, echo_rate=1.0).applied, run(silent, echo_rate=1.0).output) == ((), run(silent).output)


def test_repetition_loops_a_phrase_to_max_tokens() -> None:
    outcome = run(ask("What is the capital of France?", params={"max_tokens": 20}), repetition_rate=1.0)
    assert outcome.output == "Here is a short answer about Here is a short answer about Here is a"
    assert (outcome.finish_reason, outcome.applied, outcome.usage.completion_tokens) == (
        "length", ("repetition",), 20)


def test_repetition_loops_a_short_line_to_256_tokens_without_max_tokens() -> None:
    outcome = run(LABEL_REQUEST, repetition_rate=1.0)
    assert outcome.output == "\n".join(["positive"] * 196)
    assert (outcome.finish_reason, outcome.applied, outcome.usage.completion_tokens) == (
        "length", ("repetition",), 255)
    bullets = run(BULLET_REQUEST, repetition_rate=1.0)
    assert str(bullets.output).startswith("- item 1: a point about - item 1: a point")


def test_at_most_one_degenerate_quirk_and_none_on_a_refusal() -> None:
    every = {"empty_rate": 1.0, "echo_rate": 1.0, "repetition_rate": 1.0}
    assert run(PROSE_REQUEST, **every).applied == ("empty",)
    assert run(PROSE_REQUEST, echo_rate=1.0, repetition_rate=1.0).applied == ("echo",)
    refused = run(PROSE_REQUEST, refusal_rate=1.0, **every)
    assert (refused.applied, refused.finish_reason) == (("refusal",), "stop")
    fenced = run(JSON_REQUEST, json_fence_rate=1.0, repetition_rate=1.0)
    assert fenced.applied == ("json_fence", "repetition")
    assert str(fenced.output).startswith('```json\n```json\n```json')


def test_the_degenerate_comparator_sees_each_degenerate_quirk() -> None:
    request = ask("What are the health benefits of green tea?", params={"max_tokens": 200})
    healthy = Outcome(output=run(request).output, finish_reason="stop")
    for quirk, checks in (("empty", ["degenerate.empty"]), ("echo", ["degenerate.echo"]),
                          ("repetition", ["degenerate.repetition"])):
        sick = run(request, **rate(quirk))
        findings = DegenerateComparator().compare(request, healthy, Outcome(output=sick.output,
                                                                            finish_reason=sick.finish_reason))
        assert [f.check for f in findings if f.status == "regression"] == checks, quirk


def test_degenerate_rates_are_independent_of_each_other_and_deterministic() -> None:
    quirks = Quirks(empty_rate=0.3, echo_rate=0.3, repetition_rate=0.3, json_fence_rate=0.5)
    outcomes = [simulate(r, seed=7, quirks=quirks) for r in MANY]
    assert outcomes == [simulate(r, seed=7, quirks=quirks) for r in MANY]
    empty = [o for o in outcomes if "empty" in o.applied]
    rest = [o for o in outcomes if "empty" not in o.applied]
    echoed = [o for o in rest if "echo" in o.applied]
    looped = [o for o in rest if "echo" not in o.applied and "repetition" in o.applied]
    assert 0.27 <= len(empty) / len(MANY) <= 0.33
    assert 0.26 <= len(echoed) / len(rest) <= 0.34
    assert 0.26 <= len(looped) / (len(rest) - len(echoed)) <= 0.34
    assert {o.finish_reason for o in empty + echoed} == {"stop"}
    assert {o.finish_reason for o in looped} == {"length"}
    fenced = sum("json_fence" in o.applied for o in empty) / len(empty)
    assert 0.44 <= fenced <= 0.56
    other_seed = [simulate(r, seed=8, quirks=quirks) for r in MANY]
    agreement = sum(("empty" in a.applied) == ("empty" in b.applied) for a, b in zip(outcomes, other_seed, strict=True))
    assert 0.54 <= agreement / len(MANY) <= 0.62  # 0.3 * 0.3 + 0.7 * 0.7 = 0.58 for independent seeds


# --- numbers ----------------------------------------------------------------------------------

@pytest.mark.parametrize(("n", "words"), [
    (0, "zero"), (7, "seven"), (13, "thirteen"), (20, "twenty"), (34, "thirty-four"), (99, "ninety-nine"),
    (100, "one hundred"), (101, "one hundred one"), (115, "one hundred fifteen"), (1000, "one thousand"),
    (2024, "two thousand twenty-four"), (123456, "one hundred twenty-three thousand four hundred fifty-six"),
    (999999, "nine hundred ninety-nine thousand nine hundred ninety-nine"), (-7, "minus seven"),
    (-340, "minus three hundred forty"),
])
def test_number_to_words(n: int, words: str) -> None:
    assert number_to_words(n) == words


def test_number_to_words_refuses_a_million() -> None:
    with pytest.raises(ValueError, match="1000000 is out of range"):
        number_to_words(1_000_000)
    big = ask("x", expect={"format": "json", "fields": {"population": 2_000_000, "rank": 3}})
    assert run(big, spelled_number_rate=1.0).output == '{"population": 2000000, "rank": "three"}'
