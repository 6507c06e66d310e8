"""AnswerComparator: exact short answers (numbers, yes/no, one word), with and without gold."""

from __future__ import annotations

from typing import Any

import pytest

from modelswap.compare.checks import default_comparators
from modelswap.compare.checks.answer import AnswerComparator, ShortAnswer, asks_short_answer, gold_answers, read_answer
from modelswap.compare.checks.correctness import CorrectnessComparator
from modelswap.compare.model import Finding, Outcome
from modelswap.traffic import parse_line
from modelswap.types import ChatRequest

LEAP = "How many days are in a leap year? Answer with the number only."
PRIME = "Is 7 a prime number? Answer yes or no."
CAPITAL = "What is the capital of Australia? Reply with a single word."


def _request(user: str, expect: dict[str, Any] | None = None, *, system: str | None = None) -> ChatRequest:
    messages = ({"role": "system", "content": system},) if system else ()
    return ChatRequest(id="t1", messages=(*messages, {"role": "user", "content": user}), expect=expect or {})


def _compare(baseline: str | None, other: str | None, user: str = LEAP, expect: dict[str, Any] | None = None,
             *, system: str | None = None, other_error: str | None = None) -> list[Finding]:
    return AnswerComparator().compare(_request(user, expect, system=system), Outcome(output=baseline),
                                      Outcome(output=other, error=other_error))


def _summary(findings: list[Finding]) -> tuple[Any, ...]:
    assert [f.check for f in findings] == ["answer.exact"]
    f = findings[0]
    return f.status, f.severity, f.baseline, f.candidate


# --- reading answers -----------------------------------------------------------------------------

@pytest.mark.parametrize(("text", "kind", "normal", "values"), [
    ("366", "number", "366", (366.0,)),
    ("366 days.", "number", "366", (366.0,)),
    ("**366**", "number", "366", (366.0,)),
    ("Answer: 366", "number", "366", (366.0,)),
    ("366日です。", "number", "366", (366.0,)),
    ("366.0", "number", "366", (366.0,)),
    ("three hundred sixty-six", "number", "366", (366.0,)),
    ("1,024,000", "number", "1024000", (1024000.0,)),
    ("1.024.000", "number", "1024000", (1024000.0,)),
    ("1,234.5", "number", "1234.5", (1234.5,)),
    ("1.234,5 €", "number", "1234.5", (1234.5,)),
    ("3,5 kg", "number", "3.5", (3.5,)),
    ("1,024", "number", "1024", (1024.0, 1.024)),
    ("1.024", "number", "1.024", (1.024, 1024.0)),
    ("1 024", "number", "1024", (1024.0,)),
    ("−5 °C", "number", "-5", (-5.0,)),
    ("~$42", "number", "42", (42.0,)),
    ("Yes.", "yes_no", "yes", ()),
    ("No, it is not.", "yes_no", "no", ()),
    ("はい、そうです。", "yes_no", "yes", ()),
    ("いいえ", "yes_no", "no", ()),
    ("是的", "yes_no", "yes", ()),
    ("否", "yes_no", "no", ()),
    ("아니요", "yes_no", "no", ()),
    ("Nein.", "yes_no", "no", ()),
    ("Sí", "yes_no", "yes", ()),
    ("não", "yes_no", "no", ()),
    ("true", "yes_no", "yes", ()),
    ("'Canberra'", "word", "canberra", ()),
    ("The Pacific", "word", "the pacific", ()),
    ("(B)", "word", "b", ()),
    ("B) Canberra", "word", "b", ()),
    ("non-toxic", "word", "non-toxic", ()),
    ("2024-02-29", "word", "2024-02-29", ()),
    ("東京です", "word", "東京", ()),
    ("Order number: 58107-3", "word", "58107-3", ()),     # a label and a colon before the answer
    ("Capital: Paris", "word", "paris", ()),
    ("Son 42.", "number", "42", (42.0,)),                  # a leading copula
    ("C’est 42.", "number", "42", (42.0,)),
    ("It is Tokyo.", "word", "tokyo", ()),
    ("It's not 42", "word", "not 42", ()),                 # a negation is kept: not the number
    ("00340434161094042557", "word", "00340434161094042557", ()),  # an identifier, not 3.4e17
    ("007", "word", "007", ()),
    ("八颗。", "number", "8", (8.0,)),                      # a Chinese numeral and its counter
    ("十二本", "number", "12", (12.0,)),
    ("一百二十三", "number", "123", (123.0,)),
    ("三千五百万", "number", "35000000", (35000000.0,)),
    ("星期一", "word", "星期一", ()),
])
def test_read_answer(text: str, kind: str, normal: str, values: tuple[float, ...]) -> None:
    assert read_answer(text) == ShortAnswer(kind=kind, text=normal, values=values)  # type: ignore[arg-type]


@pytest.mark.parametrize("text", [
    "There are 366 days in a leap year.",
    "A leap year has 366 days because February gets an extra day.",
    "Canberra. It replaced Melbourne as the capital in 1927.",
    "366\n\nA leap year adds February 29.",
    "```\n366\n```",
    '{"days": 366}',
    "オーストラリアの首都はキャンベラです。",
    "Yes. Cool it quickly, pack it flat and use it within a month.",
    "",
    "   ",
])
def test_longer_answers_are_not_short(text: str) -> None:
    assert read_answer(text) is None


# --- detecting the request ---------------------------------------------------------------------

@pytest.mark.parametrize("text", [
    LEAP, PRIME, CAPITAL, "What is 6 x 7? Only the number.", "Just the number, please: 12 * 12?",
    "Is Python typed? yes/no", "Only answer with the year.", "Respond with only the year.",
    "Output the label only.", "Answer with the letter of the correct option.", "Answer in one word.",
    "Wie viele Tage hat ein Schaltjahr? Nur die Zahl.", "Ist 7 eine Primzahl? Antworte mit Ja oder Nein.",
    "Antworte nur mit einem Wort.",
    "Réponds en un seul mot.", "Est-ce vrai ? Réponds par oui ou non.", "Réponds uniquement par le nombre.",
    "¿Cuántos días tiene un año bisiesto? Responde solo el número.", "¿Es primo el 7? Responde sí o no.",
    "Rispondi solo con il numero.", "È primo? Rispondi sì o no.",
    "Responda apenas com o número.", "É primo? Responda sim ou não.",
    "Antwoord alleen met het getal.", "Is 7 priem? Antwoord met ja of nee.",
    "閏年は何日ありますか？数字のみで答えてください。", "数字だけ答えて。", "一言で答えて。",
    "7は素数ですか？はいかいいえで答えてください。", "「はい」か「いいえ」で答えてください。",
    "闰年有多少天？只回答数字。", "7是质数吗？请回答是或否。",
    "윤년은 며칠입니까? 숫자만 답하세요.", "7은 소수입니까? 예 또는 아니오로 답하세요.",
    "富士山は何県にありますか？県名だけで答えてください。", "Reply with the city name only.",
    "Wer schrieb Faust? Nur den Namen.", "Qui a peint la Joconde ? Réponds seulement par le nom.",
    "¿Quién escribió el Quijote? Responde solo con el nombre.", "In which year? Only the year.",
    "一周的第一天是星期几？只回答一个词。", "世界上面积最大的沙漠是哪个？只回答名称。",
])
def test_asks_short_answer(text: str) -> None:
    assert asks_short_answer(_request(text))


@pytest.mark.parametrize("text", [
    "How many days are in a leap year?", "Explain why the sky is blue.", "Only answer questions about cooking.",
    "Antworte nur auf Deutsch.", "Réponds en français.", "Choisis un mot de passe.",
    "日本語のみで答えてください。", "请只回答与烹饪相关的问题。", "한국어로만 답하세요.",
    "Don't give a number, explain the reasoning.",
])
def test_does_not_ask_short_answer(text: str) -> None:
    assert not asks_short_answer(_request(text))


def test_a_system_message_asks_too_and_only_the_last_user_message_counts() -> None:
    assert asks_short_answer(_request("Is 7 prime?", system="Answer yes or no."))
    multi_turn = ChatRequest(id="t1", messages=({"role": "user", "content": PRIME},
                                                {"role": "assistant", "content": "Yes"},
                                                {"role": "user", "content": "Why?"}))
    assert not asks_short_answer(multi_turn)
    parts = ChatRequest(id="t1", messages=({"role": "user", "content": [{"type": "text", "text": LEAP}]},))
    assert asks_short_answer(parts)


# --- numbers ------------------------------------------------------------------------------------

def test_a_different_number_is_changed() -> None:
    findings = _compare("366", "365")
    assert _summary(findings) == ("changed", "minor", "366", "365")
    f = findings[0]
    assert f.reason == ("a different short answer: '365' where the baseline answered '366' "
                        "(no gold answer to say which is right)")
    assert (f.behaviour, f.baseline_behaviour, f.size, f.details) == ("answer:365", "answer:366", 1.0,
                                                                       {"kind": "number"})


@pytest.mark.parametrize(("baseline", "other", "normal"), [
    ("366", "366 days.", "366"), ("1,024", "1024", "1024"), ("366", "**366.0**", "366"),
    ("366", "three hundred sixty-six", "366"), ("1.024", "1024", "1024"), ("3,5", "3.5", "3.5"),
])
def test_the_same_number_written_differently_is_same(baseline: str, other: str, normal: str) -> None:
    findings = _compare(baseline, other)
    assert _summary(findings) == ("same", "info", normal, normal)
    assert (findings[0].size, findings[0].reason) == (None, f"the same short answer {normal!r}")


# --- yes / no and words -------------------------------------------------------------------------

def test_yes_no_across_languages() -> None:
    assert _summary(_compare("Yes.", "はい", PRIME)) == ("same", "info", "yes", "yes")
    assert _summary(_compare("Nein", "no", PRIME)) == ("same", "info", "no", "no")
    flipped = _compare("Yes", "No", PRIME)
    assert _summary(flipped) == ("changed", "minor", "yes", "no")
    assert (flipped[0].behaviour, flipped[0].details) == ("answer:no", {"kind": "yes_no"})


def test_one_word() -> None:
    assert _summary(_compare("Canberra", "canberra.", CAPITAL)) == ("same", "info", "canberra", "canberra")
    assert _summary(_compare("The Outback", "Outback", CAPITAL)) == ("same", "info", "the outback", "the outback")
    assert _summary(_compare("Canberra", "Sydney", CAPITAL)) == ("changed", "minor", "canberra", "sydney")


def test_a_change_of_kind_is_a_different_answer() -> None:
    findings = _compare("366", "Yes")
    assert _summary(findings) == ("changed", "minor", "366", "yes")
    assert findings[0].details == {"kind": "yes_no", "baseline_kind": "number"}


# --- gold answers -------------------------------------------------------------------------------

def test_gold_in_every_direction() -> None:
    gold = {"answer": 366}
    lost = _compare("366", "365", expect=gold)
    assert _summary(lost) == ("regression", "major", "366", "365")
    assert lost[0].reason == "'365' where the baseline gave the gold answer ('366')"
    assert (lost[0].details, lost[0].size) == ({"kind": "number", "gold": 366}, 1.0)
    won = _compare("365", "366 days", expect=gold)
    assert _summary(won) == ("improvement", "major", "365", "366")
    assert won[0].reason == "the gold answer ('366') where the baseline answered '365'"
    assert _summary(_compare("366", "366.0", expect=gold)) == ("same", "info", "366", "366")
    both_wrong = _compare("365", "367", expect=gold)
    assert _summary(both_wrong) == ("changed", "minor", "365", "367")
    assert both_wrong[0].reason == "a different wrong answer: '367' where the baseline answered '365' (gold '366')"
    same_wrong = _compare("365", "365 days", expect=gold)
    assert _summary(same_wrong) == ("same", "info", "365", "365")
    assert same_wrong[0].reason == "both give '365', not the gold answer ('366')"


def test_gold_list_of_accepted_answers_and_strings() -> None:
    gold = {"answer": ["Canberra", "Canberra, ACT"]}
    assert _summary(_compare("Canberra", "canberra, act", CAPITAL, gold)) == (
        "same", "info", "canberra", "canberra, act")
    assert _summary(_compare("Sydney", "Canberra", CAPITAL, gold))[:2] == ("improvement", "major")
    assert _summary(_compare("Yes", "いいえ", PRIME, {"answer": "yes"})) == ("regression", "major", "yes", "no")
    assert _summary(_compare("No", "Oui", PRIME, {"answer": "Yes"})) == ("improvement", "major", "no", "yes")


def test_gold_applies_without_the_phrasing() -> None:
    assert _summary(_compare("366", "365", "How many days in a leap year?", {"answer": "366"}))[:2] == (
        "regression", "major")
    assert _compare("366", "365", "How many days in a leap year?") == []


def test_gold_from_a_traffic_line() -> None:
    request = parse_line('{"prompt": "Days in a leap year?", "expect": {"answer": [366, "366 days"]}}')
    assert request.expect == {"answer": [366, "366 days"]}
    findings = AnswerComparator().compare(request, Outcome(output="366"), Outcome(output="365"))
    assert _summary(findings) == ("regression", "major", "366", "365")
    assert findings[0].details == {"kind": "number", "gold": [366, "366 days"]}


def test_gold_answers() -> None:
    assert gold_answers({"answer": [366, "yes", True, "  ", {"x": 1}]}) == (
        ShortAnswer(kind="number", text="366", values=(366.0,)), ShortAnswer(kind="yes_no", text="yes"),
        ShortAnswer(kind="yes_no", text="yes"))
    assert gold_answers({"answer": "Abraham Lincoln, the sixteenth president"}) == (
        ShortAnswer(kind="word", text="abraham lincoln, the sixteenth president"),)
    assert gold_answers({}) == ()


# --- when the check does not apply ----------------------------------------------------------------

@pytest.mark.parametrize(("baseline", "other"), [
    ("366", "There are 366 days in a leap year."),
    ("A leap year has 366 days.", "365"),
    ("366", '{"days": 365}'),
])
def test_prose_on_either_side_gives_no_finding(baseline: str, other: str) -> None:
    assert _compare(baseline, other) == []
    assert _compare(baseline, other, expect={"answer": 366}) == []


def test_no_instruction_and_no_gold_gives_no_finding() -> None:
    assert _compare("366", "365", "How many days are in a leap year?") == []


@pytest.mark.parametrize("expect", [
    {"format": "label", "labels": ["yes", "no"], "label": "yes"},
    {"label": "yes", "answer": "yes"},
    {"format": "json"},
    {"schema": {"type": "integer"}},
])
def test_label_and_json_tasks_are_left_to_their_checks(expect: dict[str, Any]) -> None:
    assert _compare("Yes", "No", PRIME, expect) == []


def test_a_different_label_without_gold_is_changed_and_its_form_is_left_to_shape() -> None:
    labels = {"labels": ["baggage", "refund", "loyalty"]}
    [changed] = _compare("loyalty", "Baggage.", PRIME, labels)
    assert (changed.status, changed.severity, changed.baseline, changed.candidate, changed.behaviour) == (
        "changed", "minor", "loyalty", "baggage", "answer:baggage")
    assert changed.reason == ("a different label: 'baggage' where the baseline answered 'loyalty' (no gold label to "
                              "say which is right)")
    assert [f.status for f in _compare("loyalty", "It is about loyalty, I think.", PRIME, labels)] == ["same"]
    assert _compare("loyalty", "Could be refund or baggage.", PRIME, labels) == []  # no one label: shape's to say


def test_an_error_side_gives_no_finding() -> None:
    assert _compare("366", None, other_error="http 500: boom") == []
    assert _compare(None, "366") == []


def test_registered_after_correctness() -> None:
    names = [type(c) for c in default_comparators(semantic=False)]
    assert names[names.index(CorrectnessComparator) + 1] is AnswerComparator
