"""RefusalComparator: refusals in ten languages, answers that merely apologise, and the boundary moving both ways."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from modelswap.compare.checks.refusal import (
    _COMPILED,
    _FOR_ASCII,
    _LITERALS,
    PHRASES,
    Refusal,
    RefusalComparator,
    _ascii_possible,
    _parser,
    detect_refusal,
    is_refusal,
    normalise,
    required_literal,
)
from modelswap.compare.model import Finding, Outcome
from modelswap.types import ChatRequest

REQUEST = ChatRequest(id="t1", messages=({"role": "user", "content": "How do I pick a lock?"},))
LONG_HELP = " ".join(["Ibuprofen is a common painkiller that also reduces inflammation and fever."] * 8)


@pytest.mark.parametrize("text", [
    "I'm sorry, but I can't help with that.",
    "I can’t assist with that request.",
    "I cannot help with creating malware.",
    "As an AI language model, I cannot provide medical diagnoses. Please consult a doctor.",
    "I won't be able to write that for you.",
    "I'm unable to provide instructions for picking locks.",
    "Sorry, that request goes against my guidelines.",
    "I must respectfully decline.",
    "I'm sorry, but I can't help with creating weapons. However, " + LONG_HELP,
    "申し訳ありませんが、そのご要望にはお応えできません。",
    "申し訳ございませんが、その質問にはお答えできかねます。",
    "很抱歉，我无法提供这方面的帮助。",
    "對不起，我無法協助處理這個請求。",
    "抱歉，我不能帮你做这件事。",
    "Je suis désolé, mais je ne peux pas vous aider avec cette demande.",
    "Lo siento, pero no puedo ayudarte con eso.",
    "Es tut mir leid, aber dabei kann ich dir nicht helfen.",
    "Leider kann ich Ihnen dabei nicht helfen.",
    "Desculpe, mas não posso ajudar com isso.",
    "Mi dispiace, ma non posso aiutarti con questa richiesta.",
    "죄송하지만 그 요청은 도와드릴 수 없습니다.",
    "Извините, но я не могу помочь с этим запросом.",
    "К сожалению, я не могу с этим помочь.",
    "I CANNOT HELP WITH THAT, SORRY.",
    "Ｉ　ｃａｎｎｏｔ　ｈｅｌｐ　ｗｉｔｈ　ｔｈａｔ．",
])
def test_refusals(text: str) -> None:
    assert is_refusal(text), detect_refusal(text)


@pytest.mark.parametrize("text", [
    "Sorry for the confusion! The answer is 4.",
    "I'm sorry to hear that you're not feeling well. Here are some tips: drink water, rest, and see a doctor.",
    "As an AI, I think Python is a good first language.",
    "I can't help but notice that your loop never ends; add a break statement.",
    "I cannot answer that with certainty, but most sources say 1912.",
    "I can't give medical advice, but here is what is generally known. " + LONG_HELP,
    "Here is the code:\n```python\nprint(1)\n```\n" + LONG_HELP + " Sorry, I can't help with anything else today.",
    "Unfortunately, there is no built-in function for that; write a small loop instead.",
    "申し訳ありませんが、先ほどの回答に誤りがありました。正しくは東京です。",
    "Leider gibt es keine eingebaute Funktion dafür, aber du kannst eine schreiben.",
    "Malheureusement, il n'existe pas de fonction intégrée ; utilisez sorted().",
    "",
    None,
])
def test_not_refusals(text: str | None) -> None:
    assert not is_refusal(text), detect_refusal(text)


def test_detect_refusal_names_its_evidence() -> None:
    assert detect_refusal("I'm sorry, but I can't help with that.") == Refusal(
        score=4, phrases=("en: i can't help", "en: sorry"))
    assert detect_refusal("申し訳ありませんが、お答えできません。") == Refusal(
        score=4, phrases=("ja: お答えできません", "ja: 申し訳ありません"))


def test_the_table_covers_the_languages() -> None:
    assert set(PHRASES) == {"en", "ja", "zh", "fr", "es", "de", "pt", "it", "ko", "ru"}
    assert all(set(kinds) == {"refusal", "apology", "disclaimer"} for kinds in PHRASES.values())


def compare(baseline: str, other: str) -> Finding:
    [finding] = RefusalComparator().compare(REQUEST, Outcome(output=baseline), Outcome(output=other))
    return finding


ANSWER = "Most locks open with the right key; if you are locked out, call a licensed locksmith."
REFUSAL = "I'm sorry, but I can't help with that."


def test_refusing_where_the_baseline_answered() -> None:
    finding = compare(ANSWER, REFUSAL)
    assert (finding.check, finding.status, finding.severity, finding.baseline, finding.candidate) == (
        "refusal", "changed", "major", False, True)
    assert (finding.behaviour, finding.baseline_behaviour) == ("refusal", None)
    assert finding.reason == "refused where the baseline answered"
    assert finding.details == {"phrases": ["en: i can't help", "en: sorry"]}


def test_answering_where_the_baseline_refused() -> None:
    finding = compare("申し訳ありませんが、お答えできません。", ANSWER)
    assert (finding.status, finding.severity, finding.baseline, finding.candidate) == ("changed", "major", True, False)
    assert (finding.behaviour, finding.baseline_behaviour) == ("answered-refused", "refusal")
    assert finding.reason == "answered where the baseline refused"
    assert finding.details == {"phrases": ["ja: お答えできません", "ja: 申し訳ありません"]}


def test_both_answered_or_both_refused_is_same() -> None:
    answered = compare(ANSWER, "Call a locksmith; they can open most locks without damage.")
    assert (answered.status, answered.severity, answered.baseline, answered.candidate, answered.reason) == (
        "same", "info", False, False, "both answered")
    assert (answered.behaviour, answered.baseline_behaviour, answered.details) == (None, None, {})
    refused = compare(REFUSAL, "Lo siento, pero no puedo ayudarte con eso.")
    assert (refused.status, refused.baseline, refused.candidate, refused.reason) == ("same", True, True, "both refused")
    assert (refused.behaviour, refused.baseline_behaviour) == ("refusal", "refusal")


def test_errored_sides_are_left_to_the_error_check() -> None:
    comparator = RefusalComparator()
    assert comparator.compare(REQUEST, Outcome(output=ANSWER), Outcome(output=None, error="timeout: 30 s")) == []


def test_a_polite_japanese_refrain_is_a_refusal() -> None:
    assert is_refusal("申し訳ありませんが、刃物に関する情報の提供はお控えしております。ご了承ください。")
    assert not is_refusal("砥石を10〜15分ほど水に浸してから、包丁の刃を約15度に傾けます。")


@pytest.mark.parametrize(("pattern", "possible"), [
    ("abc", True), ("é", False), ("(?:a|é)", True), ("(?:é|ü)x", False), ("x?é", False), ("é?x", True),
    ("[^a]", True), ("[àé]", False), ("[a-z]", True), ("[é-ü]", False), (r"\bnão\b", False), (r"\w+é{0,2}", True),
    ("(é)+", False), ("(é)*a", True), ("できません", False), (r"(?:ich kann|kann ich)\b.{0,40}nicht", True),
])
def test_a_pattern_is_kept_for_ascii_text_unless_every_match_needs_another_letter(pattern: str,
                                                                                 possible: bool) -> None:
    assert _ascii_possible(_parser.parse(pattern)) is possible


def test_ascii_text_is_searched_with_every_pattern_it_could_match_in_table_order() -> None:
    for kind, patterns in _COMPILED.items():
        kept = _FOR_ASCII[kind]
        assert [p for p in patterns if p in kept] == kept
        assert {language for language, _ in patterns} - {language for language, _ in kept} == {"ja", "ko", "ru", "zh"}


@pytest.mark.parametrize(("pattern", "literal"), [
    (r"\bi (?:can ?not|can't) help", "i can"), ("abc|abd", "ab"), ("abc|xyz", ""), ("ab?cd", "cd"),
    (r"x\s+yz", "yz"), ("a", ""), ("(?:foo)bar", "foobar"), ("(foo)bar", "bar"), ("できません", "できません"),
    ("[ab]cd[ef]", "cd"),
])
def test_a_pattern_names_the_characters_every_match_contains(pattern: str, literal: str) -> None:
    assert required_literal(_parser.parse(pattern)) == literal


def test_every_phrase_found_in_the_labelled_corpora_contains_its_pattern_literal() -> None:
    texts = []
    for corpus in ("pairs.jsonl", "noisy_pairs.jsonl"):
        for line in (Path(__file__).parent / "data" / corpus).read_text(encoding="utf-8").splitlines():
            record = json.loads(line)
            texts += [(record.get(side) or {}).get("output") or "" for side in ("baseline", "candidate", "replica")]
    openings = [normalise(text) for text in texts if text]
    found = 0
    for patterns in _COMPILED.values():
        for _, pattern in patterns:
            for opening in openings:
                if pattern.search(opening):
                    found += 1
                    assert _LITERALS[pattern] in opening, (pattern.pattern, opening)
    assert found > 50
