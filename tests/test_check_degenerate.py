"""DegenerateComparator: empty answers, loops, echoed prompts, runaway length, mid-sentence stops.

The degenerate outputs are written the way small chat models fail (SmolLM2-135M-Instruct, and
Gemma 3 270M, a base model, used as a chat model): a list item repeated until the token limit,
the chat template's ``user``/``model`` turns run on, the question given back, an apology loop, a
Japanese sentence repeated without end, prose that stops mid-clause. The neutral look-alikes are
what healthy models write: lists sharing a prefix, tables, JSON arrays, refrains, numbered
steps, code, quotes of the prompt, a restated question, Japanese.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from modelswap.compare.checks import default_comparators
from modelswap.compare.checks.degenerate import (
    DegenerateComparator,
    Loop,
    echo_share,
    ends_mid_sentence,
    is_empty,
    repetition,
    runaway,
)
from modelswap.compare.checks.truncation import TruncationComparator
from modelswap.compare.model import Finding, Outcome
from modelswap.compare.pairs import load_pairs
from modelswap.types import ChatRequest

PAIRS = Path(__file__).parent / "data" / "pairs.jsonl"
QUESTION = "What are the health benefits of green tea?"
REQUEST = ChatRequest(id="d1", messages=({"role": "system", "content": "You are a helpful assistant."},
                                         {"role": "user", "content": QUESTION}))
GOOD = ("Green tea is rich in antioxidants called catechins, which may protect cells from damage. Its caffeine "
        "and L-theanine can improve focus, and regular drinkers have a somewhat lower risk of heart disease.")

# --- what small chat models write -------------------------------------------------------------

SMOL_ITEM_LOOP = (
    "Green tea has several health benefits:\n\n"
    "1. **Rich in antioxidants**: Green tea contains catechins, which help protect cells from damage.\n"
    + "".join(f"{k}. **May improve brain function**: The caffeine and L-theanine in green tea can improve focus.\n"
              for k in range(2, 12))
    + "12. **May improve brain function**: The caffeine and L-theanine in")
GEMMA_USER_LOOP = "Green tea is healthy.\n" + "user\n" * 40
GEMMA_TURN_LOOP = "Green tea is good for you.\nuser\nWhat are the health benefits of green tea?\nmodel\n" * 6 + \
    "Green tea is good"
SMOL_SORRY_LOOP = "I'm sorry, but I'm not sure what you mean by \"green tea\". " * 9 + "I'm sorry, but I'm not"
JA_LOOP = "緑茶には健康に良い効果があります。" + "緑茶は体に良いです。" * 14 + "緑茶は体に"
GEMMA_ECHO = f"{QUESTION}\n\n{QUESTION}\nA:"
SMOL_CUTOFF = ("Green tea is rich in antioxidants called catechins, which may help protect your cells. "
               "It also contains a small amount of caffeine and the amino acid L-theanine, which together can")
RAMBLE = (  # long, but no sentence repeats another: a runaway, not a loop
    "Green tea comes from the same plant as black tea, Camellia sinensis, but its leaves are heated soon after "
    "picking, which stops oxidation and keeps them green. In China the leaves are usually pan-fired in large woks; "
    "in Japan they are steamed, which gives sencha its grassy, almost marine taste. Harvest time matters as well: "
    "the first flush of spring is prized for sweetness, while later pickings turn more astringent. Shaded teas "
    "such as gyokuro and the powder called matcha grow under cloth for weeks before harvest, raising their amino "
    "acid content. Brewing temperature changes everything, since boiling water extracts bitter catechins quickly; "
    "most growers recommend water between seventy and eighty degrees and a short steep. A cup holds roughly a "
    "third of the caffeine of coffee, balanced by L-theanine, which many drinkers describe as calm alertness. "
    "Historians trace the drink to the Tang dynasty, when Lu Yu wrote his Classic of Tea, and Buddhist monks later "
    "carried seeds to Kyoto. Today Shizuoka, Kagoshima and Zhejiang remain the largest producing regions, and "
    "exports have grown steadily as cafes abroad adopted matcha lattes.")


def _compare(baseline: str | None, other: str | None, *, request: ChatRequest = REQUEST,
             other_error: str | None = None) -> dict[str, Finding]:
    findings = DegenerateComparator().compare(request, Outcome(output=baseline),
                                              Outcome(output=other, error=other_error))
    assert len({f.check for f in findings}) == len(findings)
    return {f.check: f for f in findings}


def _summary(finding: Finding) -> tuple[Any, ...]:
    return (finding.status, finding.severity, finding.baseline, finding.candidate, finding.behaviour,
            finding.baseline_behaviour, finding.size)


# --- the comparator: every check, both directions ---------------------------------------------

def test_all_five_checks_whenever_both_sides_answered_and_none_for_an_error() -> None:
    assert sorted(_compare(GOOD, GOOD)) == ["degenerate.cutoff", "degenerate.echo", "degenerate.empty",
                                            "degenerate.length", "degenerate.repetition"]
    assert _compare(GOOD, None, other_error="http 500: upstream error") == {}
    assert _compare(None, GOOD) == {}


def test_registered_right_after_truncation() -> None:
    kinds = [type(comparator) for comparator in default_comparators(semantic=False)]
    assert kinds[kinds.index(TruncationComparator) + 1] is DegenerateComparator
    assert (DegenerateComparator.name, DegenerateComparator.version) == ("degenerate", 2)


def test_two_healthy_answers_are_the_same_on_every_check() -> None:
    findings = _compare(GOOD, GOOD)
    assert {check: _summary(f)[:6] for check, f in findings.items()} == {
        check: ("same", "info", False, False, None, None) for check in findings}
    assert [findings[c].size for c in sorted(findings)] == [0.0, 0.0, 0.0, 1.0, 0.0]
    assert findings["degenerate.repetition"].reason == "neither side shows a repetition loop"


@pytest.mark.parametrize(("other", "check", "size", "reason"), [
    ("", "degenerate.empty", 1.0, "an empty answer"),
    (" **  ... ", "degenerate.empty", 1.0, "an empty answer ('** ...': no letter or digit)"),
    (GEMMA_USER_LOOP, "degenerate.repetition", 0.9,
     "a repetition loop: 'user' repeated 40 times (90% of the answer)"),
    (SMOL_SORRY_LOOP, "degenerate.repetition", 1.0,
     "a repetition loop: \"I'm sorry, but I'm not sure what you me…\" repeated 9 times (100% of the answer)"),
    (GEMMA_ECHO, "degenerate.echo", 0.944, "the prompt echoed back (94% of the answer)"),
    (RAMBLE, "degenerate.length", 5.67, "a runaway length: 1139 characters, 5.67x the baseline's 201"),
    (SMOL_CUTOFF, "degenerate.cutoff", 1.0,
     "a stop mid-sentence: '…ino acid L-theanine, which together can'"),
])
def test_regression_when_only_the_other_side_degenerates(other: str, check: str, size: float, reason: str) -> None:
    finding = _compare(GOOD, other)[check]
    severity = "critical" if check == "degenerate.empty" else "major"
    kind = check.removeprefix("degenerate.")
    assert _summary(finding) == ("regression", severity, False, True, f"degenerate:{kind}", None, size)
    assert finding.reason == reason
    assert finding.version == 2


@pytest.mark.parametrize(("baseline", "check", "size", "reason"), [
    ("", "degenerate.empty", 0.0, "the baseline shows an empty answer; this side does not"),
    (JA_LOOP, "degenerate.repetition", 0.0,
     "the baseline shows a repetition loop: '緑茶は体に良いです' repeated 14 times (91% of the answer); "
     "this side does not"),
    (GEMMA_ECHO, "degenerate.echo", 0.0, "the baseline shows the prompt echoed back (94% of the answer); "
                                         "this side does not"),
    (RAMBLE, "degenerate.length", 0.18,
     "the baseline shows a runaway length: 1139 characters against 201 here; this side does not"),
    (SMOL_CUTOFF, "degenerate.cutoff", 0.0,
     "the baseline shows a stop mid-sentence: '…ino acid L-theanine, which together can'; this side does not"),
])
def test_improvement_when_only_the_baseline_degenerates(baseline: str, check: str, size: float,
                                                        reason: str) -> None:
    finding = _compare(baseline, GOOD)[check]
    kind = check.removeprefix("degenerate.")
    assert _summary(finding) == ("improvement", "minor", True, False, None, f"degenerate:{kind}", size)
    assert finding.reason == reason


@pytest.mark.parametrize(("text", "check"), [
    ("", "degenerate.empty"),
    (GEMMA_USER_LOOP, "degenerate.repetition"),
    (GEMMA_ECHO, "degenerate.echo"),
    (SMOL_CUTOFF, "degenerate.cutoff"),
])
def test_same_when_both_sides_degenerate(text: str, check: str) -> None:
    finding = _compare(text, text)[check]
    kind = check.removeprefix("degenerate.")
    assert _summary(finding)[:6] == ("same", "info", True, True, f"degenerate:{kind}", f"degenerate:{kind}")
    assert finding.reason.startswith("both sides show it: ")


def test_a_loop_to_the_end_explains_its_length_and_its_cut() -> None:
    findings = _compare("Green tea has antioxidants.", SMOL_ITEM_LOOP)
    loop, length = findings["degenerate.repetition"], findings["degenerate.length"]
    assert _summary(loop) == ("regression", "major", False, True, "degenerate:repetition", None, 0.823)
    assert loop.details == {"baseline_share": 0.0, "candidate_share": 0.823, "baseline_repeats": 0,
                            "candidate_repeats": 10}
    assert _summary(length) == ("same", "info", False, False, None, None, 42.78)
    assert length.details == {"baseline_chars": 27, "candidate_chars": 1155, "ratio": 42.78}
    sorry = _compare(GOOD, SMOL_SORRY_LOOP + " sure what you mean by")
    assert ends_mid_sentence(SMOL_SORRY_LOOP + " sure what you mean by")
    assert [c for c, f in sorry.items() if f.status != "same"] == ["degenerate.repetition"]
    both = _compare(SMOL_SORRY_LOOP, GOOD)
    assert [(c, f.status) for c, f in both.items() if f.status != "same"] == [("degenerate.repetition",
                                                                                "improvement")]


def test_an_empty_side_is_never_the_reference_for_length() -> None:
    findings = _compare(RAMBLE, "")
    assert findings["degenerate.empty"].status == "regression"
    assert _summary(findings["degenerate.length"])[:4] == ("same", "info", False, False)


def test_the_echo_reads_the_last_user_message() -> None:
    request = ChatRequest(id="d2", messages=(
        {"role": "user", "content": QUESTION}, {"role": "assistant", "content": GOOD},
        {"role": "user", "content": [{"type": "text", "text": "And what about black tea, is it as healthy?"}]}))
    echoed = "And what about black tea, is it as healthy?\nAnd what about black tea"
    assert _summary(_compare(GOOD, echoed, request=request)["degenerate.echo"])[:2] == ("regression", "major")
    assert _compare(GOOD, GEMMA_ECHO, request=request)["degenerate.echo"].status == "same"


def test_the_echo_adds_up_the_system_prompt_and_the_user_message() -> None:
    system = "You are a data extraction service. Reply with only a JSON object, no prose and no code fences."
    user = ("Extract flight, origin, destination from the text below as a JSON object with exactly those keys.\n\n"
            "Text: Flight LH 401 departs Frankfurt for New York at 10:05; boarding starts at gate Z15.")
    request = ChatRequest(id="d3", messages=({"role": "system", "content": system}, {"role": "user", "content": user}))
    answer = f"{system}\n\n{user} mendatang\n{system}"
    assert (echo_share(answer, system), echo_share(answer, user)) == (0.483, 0.483)
    assert echo_share(answer, (system, user)) == 0.967
    found = _compare('{"flight": "LH 401", "origin": "Frankfurt", "destination": "New York"}', answer, request=request)
    assert _summary(found["degenerate.echo"])[:2] == ("regression", "major")


# --- readers: empty -----------------------------------------------------------------------------

@pytest.mark.parametrize(("text", "empty"), [
    ("", True), ("   \n\t", True), ("...", True), ("**\n\n---", True), ("```\n```", True),
    ("0", False), ("Paris", False), ("東京", False), ("{}", False), ("[]", False), ('{"a": 1}', False),
])
def test_is_empty(text: str, empty: bool) -> None:
    assert is_empty(text) is empty


# --- readers: repetition ------------------------------------------------------------------------

@pytest.mark.parametrize(("text", "unit", "repeats", "share"), [
    (GEMMA_USER_LOOP, "user", 40, 0.9),
    ("class\n" * 40, "class", 40, 1.0),
    ("I am sorry " * 25, "I am sorry", 25, 1.0),
    (SMOL_ITEM_LOOP, "2. **May improve brain function**: The caffeine and L-theanine in green tea can improve focus.",
     10, 0.823),
    (GEMMA_TURN_LOOP, "user\nWhat are the health benefits of green tea?\nmodel\nGreen tea is good for you", 6, 1.0),
    (JA_LOOP, "緑茶は体に良いです", 14, 0.907),
    ("申し訳ありません。" * 20, "申し訳ありません", 20, 0.994),
    ("".join(f"{k}. Drink more water every day.\n" for k in range(1, 12)), "1. Drink more water every day.", 11, 1.0),
    (GOOD + " " + "and the " * 40, "and the", 40, 0.612),
    ("サッカーって何？ 衣装\n" + "|\n" * 45, "|", 45, 0.881),         # symbol-only lines, 16 times or more
    ("Text:\n" + "-\n" * 20, "-", 20, 0.867),                    # bare list markers
])
def test_repetition_finds_loops(text: str, unit: str, repeats: int, share: float) -> None:
    loop = repetition(text)
    assert loop is not None
    assert (loop.unit, loop.repeats, loop.share, loop.at_end) == (unit, repeats, share, True)


def test_a_long_answer_that_ends_in_a_loop_is_a_loop_below_half_the_text() -> None:
    text = GOOD + " " + GOOD.replace("Green", "Black") + "\n" + "thank you " * 12
    assert repetition(text) == Loop(unit="thank you", repeats=12, share=0.228, at_end=True)
    assert repetition("thank you " * 12 + GOOD + " " + RAMBLE[:300]) is None  # the same loop mid-answer and short


# what Gemma 3 270M (a base model asked as a chat model) wrote on the demo traffic: loops whose units vary or
# come back after something else, never five times back to back (trimmed to the token limit as recorded)
GEMMA_QUESTION_LOOP = ("What is the smallest breed of dog in the world? 衣装\nに通い\n" * 2
                       + "What is the largest breed of dog in the world? 衣装\nに通い\n" * 2
                       + "What is the oldest breed of dog in the world? 衣装\nに通い\n"
                       + "What is the smallest breed of dog in the world? 衣装\nに通い\n")
GEMMA_PROMPT_TWICE = ("You are a model. Reply with only a JSON object, no prose and no code fences.\n\n"
                      "Text: I gave the Aeropress Go 4 out of 5 stars: great coffee, but the lid cracked. "
                      "mendatanguser\n") * 2 + "You are"


@pytest.mark.parametrize(("text", "unit", "repeats", "share", "at_end"), [
    (GEMMA_QUESTION_LOOP, "breed of dog in", 6, 0.736, True),
    (GEMMA_PROMPT_TWICE, "you are a model", 2, 0.493, True),
    (GOOD + " " + GOOD, "green tea is rich", 2, 0.476, True),   # a paragraph written twice
])
def test_recurring_n_grams_are_a_loop_when_they_make_up_two_fifths_of_the_text(
        text: str, unit: str, repeats: int, share: float, at_end: bool) -> None:
    assert repetition(text) == Loop(unit=unit, repeats=repeats, share=share, at_end=at_end)


@pytest.mark.parametrize("text", [
    GOOD + " " + GOOD.replace("catechins", "polyphenols").replace("heart disease", "stroke"),  # 0.39: just under
    RAMBLE,
    "Roses are red, the night is long,\nI hum along to an old song.\nRoses are red, the morning is new,\n"
    "I hum along and think of you.",                                                         # a refrain, varied
    "```python\nfor row in rows:\n    print(row.name)\nfor row in rows:\n    print(row.name)\n"
    "for row in rows:\n    print(row.name)\n```",                                         # code repeats by nature
    "the cat sat on the mat and the cat sat on the mat again",                  # 10 four-grams: too short to judge
])
def test_recurring_n_grams_below_two_fifths_or_outside_prose_are_not_a_loop(text: str) -> None:
    assert repetition(text) is None


@pytest.mark.parametrize("text", [
    "- Buy milk\n- Buy eggs\n- Buy bread\n- Buy butter\n- Buy cheese\n- Buy apples\n- Buy rice",
    "| Feature | Free | Pro | Team |\n|---|---|---|---|\n| SSO | No | Yes | Yes |\n| Audit log | No | Yes | Yes |\n"
    "| API | Yes | Yes | Yes |\n| Export | Yes | Yes | Yes |\n| Backups | Yes | Yes | Yes |",
    '[{"label": "positive"}, {"label": "positive"}, {"label": "positive"}, {"label": "positive"}, '
    '{"label": "positive"}, {"label": "positive"}]',
    '```json\n["yes", "yes", "yes", "yes", "yes", "yes", "yes", "yes"]\n```',
    'Here you go:\n[{"name": "Ada", "role": "admin"}, {"name": "Bob", "role": "admin"}, '
    '{"name": "Cy", "role": "admin"}, {"name": "Di", "role": "admin"}]',
    "Roses bloom by the garden wall,\nAnd the swallows come home to call.\nSing, sing, the summer is here,\n"
    "Sing, sing, the summer is here.\n\nLeaves turn gold and the rivers slow,\nSing, sing, the summer is here,\n"
    "Sing, sing, the summer is here.",
    "Let it be, let it be, let it be, let it be\nWhisper words of wisdom, let it be",
    "1. Open Settings.\n2. Open Privacy.\n3. Open Location.\n4. Open Advanced.\n5. Tap Save.",
    "Steps:\n" + "-\n" * 15,                                      # 15 symbol-only lines: under 16
    "| a | b |\n|---|---|\n" + "| | |\n" * 10,                   # an empty table, 10 rows
    "\n".join(f"- item {k}: a point about Tea benefits" for k in range(1, 10)),
    "```python\ndef total(xs):\n    s = 0\n    for x in xs:\n        s += x\n    return s\n\n\nprint(total([1]))\n"
    "print(total([1]))\nprint(total([1]))\n```",
    "The matrix is:\n0 0 0 0 0 0\n0 0 0 0 0 0\n0 0 0 0 0 0\n0 0 0 0 0 0",
    "This is very, very, very good news.",
    "東京は日本の首都です。人口は約1400万人で、政治と経済の中心です。ははは、どんどん発展しています。",
    GOOD,
])
def test_repetition_leaves_legitimate_structure_alone(text: str) -> None:
    assert repetition(text) is None


# --- readers: echo ------------------------------------------------------------------------------

@pytest.mark.parametrize(("prompt", "answer", "share"), [
    (QUESTION, QUESTION, 1.0),
    (QUESTION, GEMMA_ECHO, 0.944),
    ("What is the capital of France?", "What is the capital of France?\nParis", 0.833),
    ("what is the  capital of FRANCE?", "What is the capital of France?", 1.0),
    ("Here is my order history: order 1 shipped, order 2 delayed, order 3 returned. Why was my second order delayed?",
     "Why was my second order delayed?", 1.0),
    ("日本の首都はどこですか？", "日本の首都はどこですか？\n日本の首都はどこですか？", 0.96),
])
def test_echo_share_of_an_echo(prompt: str, answer: str, share: float) -> None:
    assert echo_share(answer, prompt) == share


def test_a_document_copied_back_is_an_echo() -> None:
    document = ("The city council met on Tuesday to discuss the budget for the coming fiscal year. Members debated "
                "for hours about parks, road repairs and public transit. The mayor argued that transit needed the "
                "largest increase because ridership had grown by twenty percent. In the end the council voted seven "
                "to two to approve the plan, with a review in six months.")
    copied = document[:260]
    assert echo_share(copied, f"Summarize the following article in one sentence.\n\n{document}") == 0.992
    lead = document[:82]  # a summary that reuses the lead sentence is not a copy of the document
    assert echo_share(lead, f"Summarize the following article in one sentence.\n\n{document}") == 0.0


@pytest.mark.parametrize(("prompt", "answer"), [
    ("What is the capital of France?", "The capital of France is Paris."),
    ("Quelle est la capitale de l'Australie ?", "La capitale de l'Australie est Canberra."),
    ("日本で一番長い川は何ですか？", "日本で一番長い川は信濃川です。"),
    ("Can you explain how photosynthesis works in plants?", "Photosynthesis works in plants by capturing light."),
    ("Find the sentence that gives the deadline: Hi team, thanks for the update. The report must be submitted by "
     "Friday at noon. Let me know if anything is unclear. Best, Sam",
     "The report must be submitted by Friday at noon."),
    ("name=web-01\nport=8080\ndebug=false", '{"name": "web-01", "port": 8080, "debug": false}'),
    ("Maria Okonkwo, Head of Data, Brightline Logistics, maria.okonkwo@brightline-logistics.com",
     '{"name": "Maria Okonkwo", "company": "Brightline Logistics", "email": "maria.okonkwo@brightline-logistics.com"}'),
    ("Thanks a lot!", "Thanks a lot!"),
    ("What is the capital of France?", "What is the capital of France? The capital of France is Paris, which is "
                                       "also its largest city and its cultural centre."),
    ("Correct the spelling: Teh quick brown fox jumps", "The quick brown fox jumps"),
])
def test_echo_share_leaves_quotes_restatements_and_extraction_below_half(prompt: str, answer: str) -> None:
    assert echo_share(answer, prompt) < 0.5


# --- readers: cutoff ----------------------------------------------------------------------------

@pytest.mark.parametrize("text", [
    SMOL_CUTOFF,
    "Paris is the capital of France. It is known for the Eiffel Tower and the",
    "東京は日本の首都です。人口は約1400万人で、政治と経済の",
    "The weather is pleasant today, and the team will meet in the afternoon,",
    "The council met on Tuesday to discuss the new budget for the coming\nfiscal year and the members debated",
    "**Note:** the release adds dark mode and cuts the start-up time by half and",
    "Salz würzt die Nudeln von innen. Als Faustregel gilt etwa",   # 4 words, but "etwa" never ends one
    "Chère Claire, merci pour tout ! Profite bien de ton temps libre pour",
    "The answer is the",                                           # alone, 4 words: an article at the end
    "Pour aller à la gare, prenez l'",
])
def test_ends_mid_sentence(text: str) -> None:
    assert ends_mid_sentence(text)


@pytest.mark.parametrize("text", [
    GOOD, "positive", "Paris", "Paris is the capital of France", "東京は日本の首都です。",
    "Here are the steps:\n- Open the app\n- Tap the settings icon in the top right corner of the screen",
    "Here are the steps you need to follow carefully:", "設定を変更します。次の手順に従って設定を変更してください：",
    "Have a wonderful day and enjoy the trip to Paris 😊",
    'He said, "The meeting is moved to Friday afternoon."',
    "The capital of France is Paris (the largest city).",
    "**The capital of France is Paris, its largest city.**",
    "And so the story goes on and on and on…",
    "| a | b |\n|---|---|\n| the quick brown fox jumps over | the lazy dog today |",
    "```python\nprint('the quick brown fox jumps over the lazy dog')\n```",
    "```python\nfor item in the_items_we_have_to_check_today:\n    print(item)",
    '{"name": "Maria Okonkwo", "email": "maria',
    "Night falls, screens grow dark\nthe app wakes in half the time\nno one is logged out",
    "The user wants to cancel their subscription, so the label is: cancel",
    "Summary\n\n## The main points of the release notes for version four",
    "Thanks for reaching out.\n\nBest regards,\nThe Support Team",
    "Tu l'as amplement méritée ! Avec toute notre affection, tes collègues",   # a closing formula, then who
    "Thanks for everything! With love and best wishes, the whole team",
    "Ich weiß das", "Oh my", "Ik weet het", "Come in", "I didn't know that", "Es ist rund",  # they can end
    "Das ist so ungefähr", "Es war ein langer Tag. Ich rufe an",
    "Details are on the status page at https://status.example.com/incidents/2024-03-12-checkout-outage",
])
def test_ends_cleanly(text: str) -> None:
    assert not ends_mid_sentence(text)


# --- readers: length ----------------------------------------------------------------------------

@pytest.mark.parametrize(("text", "reference", "runs_away"), [
    ("x" * 500, "y" * 100, True),       # 5x and 400 more
    ("x" * 499, "y" * 100, False),      # 399 more
    ("x" * 1000, "y" * 260, False),     # 740 more but 3.8x
    ("x" * 1040, "y" * 260, True),
    ("x" * 500, "", False),             # an empty reference is the empty check's business
    ("  " + "x" * 500 + "\n\n", "y" * 100, True),
])
def test_runaway(text: str, reference: str, runs_away: bool) -> None:
    assert runaway(text, reference) is runs_away


# --- the labelled pairs: no false alarm -----------------------------------------------------------

CUT_IN_THE_PAIRS = {("qe-007", "candidate"), ("qj-011", "candidate"), ("sm-007", "candidate"),
                    ("qf-010", "baseline"), ("sm-009", "baseline"), ("su-018", "baseline")}
"""Texts of the corpus that really stop mid-sentence (each labelled ``truncated``)."""


def test_no_degenerate_reading_on_the_labelled_pairs_except_the_cut_texts() -> None:
    labels = {row["id"]: row["label"]["checks"] for row in map(json.loads, PAIRS.read_text().splitlines())}
    fired: set[tuple[str, str, str]] = set()
    for trial in load_pairs(PAIRS).trials:
        for finding_side, outcome in (("candidate", trial.candidate), ("replica", trial.replica)):
            if outcome is None:
                continue
            for finding in DegenerateComparator().compare(trial.request, trial.baseline, outcome):
                for side, shows in (("baseline", finding.baseline), (finding_side, finding.candidate)):
                    if shows:
                        fired.add((trial.id, side, finding.check))
    # every text of the corpus that stops mid-sentence stopped at its token limit: ``truncated`` judges those
    assert fired == set()
    assert all("truncated" in labels[trial_id] for trial_id, _ in CUT_IN_THE_PAIRS)
    sides = {(t.id, "candidate"): t.candidate for t in load_pairs(PAIRS).trials}
    sides |= {(t.id, "baseline"): t.baseline for t in load_pairs(PAIRS).trials}
    assert all(ends_mid_sentence(sides[key].text) and sides[key].finish_reason == "length" for key in CUT_IN_THE_PAIRS)


NOISY = PAIRS.with_name("noisy_pairs.jsonl")


def test_the_noisy_corpus_degenerate_labels_are_found_and_nothing_else_is_read() -> None:
    rows = {row["id"]: row for row in map(json.loads, NOISY.read_text().splitlines())}
    found: set[tuple[str, str]] = set()
    extra: set[tuple[str, str, str]] = set()
    for trial in load_pairs(NOISY).trials:
        label = rows[trial.id]["label"]
        labelled = {check for check in label["checks"] if check.startswith("degenerate.")}
        named = {"regression": {"candidate"}, "improvement": {"baseline", "replica"}}.get(label["verdict"], set())
        assert trial.replica is not None
        for side, outcome in (("candidate", trial.candidate), ("replica", trial.replica)):
            for finding in DegenerateComparator().compare(trial.request, trial.baseline, outcome):
                if side == "candidate" and finding.check in labelled and finding.status == label["verdict"]:
                    found.add((trial.id, finding.check))
                for shower, shows in (("baseline", finding.baseline), (side, finding.candidate)):
                    if shows and not (finding.check in labelled and shower in named):
                        extra.add((trial.id, shower, finding.check))
    wanted = {(trial_id, check) for trial_id, row in rows.items() for check in row["label"]["checks"]
              if check.startswith("degenerate.")}
    assert len(wanted) == 24
    assert wanted - found == set()
    assert extra == set()
