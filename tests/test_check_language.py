"""LanguageComparator: the answer's language against ``expect`` or the baseline, and answers that mix languages."""

from __future__ import annotations

import json
import random
from pathlib import Path
from typing import Any

import pytest

from modelswap.compare.checks.language import (
    _PREPARED,
    LANGUAGES,
    SHORT_MIN_WEIGHT,
    LanguageComparator,
    _folded,
    _folded_slowly,
    _identifier,
    identify,
    mix,
    normalise_code,
    prose,
    read_all,
    segments,
    weight,
)
from modelswap.compare.model import Finding, Outcome
from modelswap.types import ChatRequest

ANSWERS = {
    "en": "The capital of Australia is Canberra, not Sydney as many people assume. It was chosen in 1908.",
    "ja": "オーストラリアの首都はキャンベラです。シドニーだと思われがちですが、1908年に妥協案として選ばれました。",
    "zh": "澳大利亚的首都是堪培拉，而不是很多人以为的悉尼。1908年，它作为折中方案被选定。",
    "fr": "La capitale de l'Australie est Canberra, et non Sydney comme beaucoup le pensent. Choisie en 1908.",
    "es": "La capital de Australia es Canberra, no Sídney como mucha gente cree. Fue elegida en 1908.",
    "de": "Die Hauptstadt Australiens ist Canberra, nicht Sydney, wie viele annehmen. Sie wurde 1908 gewählt.",
    "pt": "A capital da Austrália é Camberra, e não Sydney, como muitas pessoas pensam. Ela foi escolhida em 1908.",
    "it": "La capitale dell'Australia è Canberra, non Sydney come molti pensano. Fu scelta nel 1908.",
    "ko": "호주의 수도는 시드니가 아니라 캔버라입니다. 1908년에 절충안으로 선정되었습니다.",
    "ru": "Столица Австралии — Канберра, а не Сидней, как думают многие. Её выбрали в 1908 году.",
}
JA_MIXED = ("Pythonでリストを逆順にするには、reversed()関数を使います。"
            "This returns an iterator, so wrap it in list() if you need a list. "
            "スライスを使う方法もあります。Slicing with a step of -1 creates a new reversed copy.")
JA_PURE = ("Pythonでリストを逆順にするには、reversed()関数かスライスを使います。スライスは新しいリストを作りますが、"
           "list.reverse()は元のリストを直接変更します。NumPyの配列ならnp.flip()も便利です。")
JA_SIGN_OFF = ("はい、承知しました。\n\n1. 毎日同じ時間に寝ること\n2. 寝る前にスマホを見ないこと\n"
               "3. 寝室を涼しく保つこと\n\nHope this helps! Let me know if you need anything else.")


@pytest.mark.parametrize("code", sorted(ANSWERS))
def test_identifies_answers(code: str) -> None:
    reading = identify(ANSWERS[code])
    assert reading.language == code
    assert reading.confidence >= 0.9


@pytest.mark.parametrize("text", ["OK", "42", "Yes.", '{"label": "spam"}', "```python\ndef f(x):\n    return x\n```",
                                  "x = [i * 2 for i in range(10)]\nprint(x)", "https://example.com/docs/a-b-c", "",
                                  None])
def test_too_little_prose_is_unknown(text: str | None) -> None:
    assert identify(text).language is None


def test_json_keys_are_not_language() -> None:
    text = '```json\n{"city_name": "Tokyo", "summary_text": "東京は日本の首都で、人口は約1400万人です。"}\n```'
    assert prose(text) == "\nTokyo\n東京は日本の首都で、人口は約1400万人です。"
    assert identify(text).language == "ja"


def test_code_and_addresses_are_not_language() -> None:
    text = ("リストを逆順にするには次のようにします。\n```python\n# reverse the list in place\nitems.reverse()\n```\n"
            "詳しくは https://docs.python.org/ja/3/ を見てください。")
    assert prose(text) == "リストを逆順にするには次のようにします。\n\n\n詳しくは   を見てください。"
    found = mix(text)
    assert found is not None and (found.dominant, found.share) == ("ja", 1.0)


@pytest.mark.parametrize(("code", "expected"), [("ja-JP", "ja"), ("JPN", "ja"), ("zh_Hant", "zh"), ("pt-BR", "pt"),
                                                ("ms", "id"), ("nb", "no"), (" fr ", "fr")])
def test_normalise_code(code: str, expected: str) -> None:
    assert normalise_code(code) == expected


def test_segments_split_latin_runs_out_of_cjk_text() -> None:
    assert segments("東京は日本の首都です This is the capital city of Japan 人口が多い。\nSecond line.") == [
        "This is the capital city of Japan", "東京は日本の首都です   人口が多い。", "Second line."]


def test_mix_of_mixed_and_pure_answers() -> None:
    mixed = mix(JA_MIXED)
    assert mixed is not None
    assert (mixed.dominant, mixed.share, mixed.others) == ("ja", 0.557, ["en"])
    pure = mix(JA_PURE)
    assert pure is not None and (pure.dominant, pure.share) == ("ja", 1.0)


def request(**expect: Any) -> ChatRequest:
    return ChatRequest(id="t1", messages=({"role": "user", "content": "q"},), expect=expect)


def compare(baseline: str, other: str, **expect: Any) -> dict[str, Finding]:
    findings = LanguageComparator().compare(request(**expect), Outcome(output=baseline), Outcome(output=other))
    return {f.check: f for f in findings}


def values(finding: Finding) -> tuple[Any, ...]:
    return (finding.status, finding.severity, finding.baseline, finding.candidate, finding.behaviour,
            finding.baseline_behaviour)


def test_answer_in_another_language_than_expected_is_a_major_regression() -> None:
    finding = compare(ANSWERS["ja"], ANSWERS["en"], language="ja-JP")["language"]
    assert values(finding) == ("regression", "major", "ja", "en", "language:en", "language:ja")
    assert finding.reason == "answers in en, expected ja (expect)"
    assert finding.details == {"expected": "ja", "source": "expect", "confidence": 1.0}


def test_without_expect_the_baseline_language_is_the_contract() -> None:
    finding = compare(ANSWERS["fr"], ANSWERS["es"])["language"]
    assert values(finding) == ("regression", "major", "fr", "es", "language:es", "language:fr")
    assert finding.details["source"] == "baseline"
    same = compare(ANSWERS["fr"], "Canberra est la capitale de l'Australie depuis 1908, pas Sydney.")["language"]
    assert values(same) == ("same", "info", "fr", "fr", "language:fr", "language:fr")


def test_reverse_direction_is_an_improvement() -> None:
    finding = compare(ANSWERS["en"], ANSWERS["ja"], language="ja")["language"]
    assert values(finding) == ("improvement", "info", "en", "ja", "language:ja", "language:en")
    assert finding.reason == "answers in ja as expected; the baseline did not"


def test_both_wrong() -> None:
    same = compare(ANSWERS["en"], "Canberra has been the capital of Australia since 1908.", language="ko")["language"]
    assert values(same) == ("same", "info", "en", "en", "language:en", "language:en")
    changed = compare(ANSWERS["en"], ANSWERS["de"], language="ko")["language"]
    assert values(changed) == ("changed", "minor", "en", "de", "language:de", "language:en")


def test_short_answers_give_no_false_finding() -> None:
    assert "language" not in compare(ANSWERS["ja"], "OK", language="ja")
    assert "language" not in compare("42", ANSWERS["en"])
    # read as Catalan, but Spanish stays likely (0.31): not a contradiction
    short = compare("La respuesta correcta es la segunda.", "Sí, es correcto.", language="es")["language"]
    assert (short.status, short.candidate) == ("same", "ca")


GERMAN = "Hallo! In Berlin kostet eine Fahrt 0,25 € pro Minute. Abgerechnet wird, bis du das Rad abschließt."


@pytest.mark.parametrize(("answer", "shown"), [
    ("Yes, it is.", "en"),                                  # 7 letters, en 0.71
    ("Hi! Rides in Berlin cost €0.25 per minute.", "en"),   # a sentence, unsure: en 0.27, ca 0.23, de 0.02
    ("A box costs €26.90 in Austria.", "en"),               # 18 letters but a sentence's form: en 0.37, de 0.01
])
def test_a_short_or_unsure_answer_plainly_in_another_language_is_a_regression(answer: str, shown: str) -> None:
    finding = compare(GERMAN, answer, language="de")["language"]
    assert (finding.status, finding.candidate, finding.behaviour) == ("regression", shown, f"language:{shown}")


@pytest.mark.parametrize("answer", ["Leonardo da Vinci", "Mount Everest", "Johann Sebastian Bach",
                                    "Buenos Aires, Argentina", "Toyota Corolla Hybrid 2021, silver",
                                    "OK, 0,25 € pro Minute.", "Hallo! Kosten: 0,25 €/Minute."])
def test_names_and_terse_answers_in_the_expected_language_are_not_flagged(answer: str) -> None:
    assert "language" not in compare(GERMAN, answer, language="de")  # unknown, and not plainly another language


def test_a_sentence_is_told_by_its_form_too() -> None:
    from modelswap.compare.checks.language import is_sentence

    assert [is_sentence(t) for t in ("A box costs €26.90 in Austria.", "Is it open today?", "Paris.",
                                     "OK, 0,25 € pro Minute.", "Museum of Modern Art, New York")] == [
        True, True, False, False, False]


def test_the_best_language_needed_of_an_unsure_text_depends_on_its_weight() -> None:
    from modelswap.compare.checks.language import Reading

    def short(weight: int, best: float) -> str | None:
        return Reading(language=None, weight=weight, probabilities={"de": 0.04, "en": best}).short_language("de")

    assert (short(19, 0.39), short(19, 0.40), short(20, 0.24), short(20, 0.25)) == (None, "en", None, "en")
    assert Reading(language=None, weight=30, probabilities={"de": 0.05, "en": 0.9}).short_language("de") is None


def test_language_not_identifiable_is_no_finding() -> None:
    assert "language" not in compare(ANSWERS["en"], ANSWERS["en"], language="yue")


def test_mixed_answer_where_baseline_was_pure_is_a_regression() -> None:
    finding = compare(JA_PURE, JA_MIXED)["language.mixed"]
    assert values(finding) == ("regression", "major", 1.0, 0.557, "language.mixed:ja+en", None)
    assert finding.reason == "mixed languages (ja+en): 56% in ja, the baseline 100%"
    assert compare(JA_PURE, JA_MIXED)["language"].status == "same"


def test_an_english_sign_off_under_a_japanese_answer_is_a_minor_mix() -> None:
    finding = compare(JA_PURE, JA_SIGN_OFF)["language.mixed"]
    assert values(finding) == ("regression", "minor", 1.0, 0.746, "language.mixed:ja+en", None)


def test_pure_answer_where_baseline_mixed_is_an_improvement() -> None:
    finding = compare(JA_MIXED, JA_PURE)["language.mixed"]
    assert values(finding) == ("improvement", "info", 0.557, 1.0, None, "language.mixed:ja+en")


def test_technical_terms_are_not_mixing() -> None:
    technical = ("GitHub ActionsでCI/CDを設定するには、リポジトリの.github/workflowsディレクトリに"
                 "YAMLファイルを置きます。on: pushでトリガーを指定し、jobsにビルドやテストの手順を書きます。")
    finding = compare(JA_PURE, technical)["language.mixed"]
    assert values(finding) == ("same", "info", 1.0, 1.0, None, None)
    french = ("Pour déployer une application Django, utilisez Gunicorn derrière Nginx. N'oubliez pas de définir "
              "DEBUG = False et de configurer ALLOWED_HOSTS dans le fichier settings.py.")
    assert compare(ANSWERS["fr"], french)["language.mixed"].status == "same"


def test_errored_sides_are_left_to_the_error_check() -> None:
    comparator = LanguageComparator()
    assert comparator.compare(request(), Outcome(output=ANSWERS["en"]), Outcome(output=None, error="http 500: x")) == []


def test_folding_the_ranking_fast_gives_the_ranking_folded_step_by_step() -> None:
    rng = random.Random(1)
    for _ in range(3000):  # ties included: scores drawn from few values half of the time
        scores = [rng.choice([rng.random(), 0.5, 0.25]) for _ in LANGUAGES]
        ranked = sorted(zip(LANGUAGES, scores, strict=True), key=lambda pair: pair[1], reverse=True)
        assert list(_folded(ranked).items()) == list(_folded_slowly(ranked).items())


def test_reading_a_batch_at_once_gives_each_text_its_own_probabilities_to_the_last_bit() -> None:
    texts = []
    for corpus in ("pairs.jsonl", "noisy_pairs.jsonl"):
        for line in (Path(__file__).parent / "data" / corpus).read_text(encoding="utf-8").splitlines():
            record = json.loads(line)
            for side in ("baseline", "candidate", "replica"):
                if (record.get(side) or {}).get("output"):
                    clean = prose(record[side]["output"])
                    texts += [clean, *segments(clean)]
    read_all(texts)
    wanted = [text for text in dict.fromkeys(texts) if weight(text) >= SHORT_MIN_WEIGHT]
    assert len(wanted) > 1000 and set(_PREPARED) == set(wanted)
    for text in wanted:
        assert list(_PREPARED[text].items()) == list(_folded(_identifier().rank(text)).items()), text


def test_a_label_task_is_not_judged_for_language() -> None:
    english = "It is about baggage, the suitcase is broken."
    assert compare(GERMAN, english, language="de")["language"].status == "regression"
    assert compare(GERMAN, english, language="de", labels=["baggage", "other"]) == {}  # identifiers, not prose
    assert compare(GERMAN, english, language="de", format="label") == {}
