"""Exact short answers: one number, one word or yes/no, where the request asks for one.

What it is: ``AnswerComparator`` (check ``answer.exact``), the phrase table ``ASKS`` that tells a
request asking for a short exact answer (``asks_short_answer``), and the reader of such answers
(``read_answer``, ``gold_answers``). What it is not: the form of a label from a known set
(``shape``) or its correctness against a gold ``expect.label`` (``correctness``); on a label task
without gold (``expect.labels``, no ``expect.label``) this check says only whether the two sides
gave the same allowed label, and a different one is ``changed``: no direction can be told. Not JSON
(``structure``), or prose: when either side answers in more than a few words the check does not
apply, and meaning and the other checks judge the text.

When it applies: both sides answered, ``expect`` has no label set and no JSON contract, and either
``expect.answer`` holds the gold (a string, a number, or a list of accepted answers) or the last
user message or a system message asks for a short exact answer (``ASKS``: "answer with the number
only", "yes or no", "in one word", "nur die Zahl", "oui ou non", "solo el número", "sì o no",
"apenas o número", "alleen het getal", "数字のみ", "只回答数字", "숫자만", ... in en, de, fr, es,
it, pt, nl, ja, zh and ko), and both answers read as short answers.

Reading an answer: NFKC, case folded, markdown emphasis, quotes, brackets and final punctuation
stripped, a leading "Answer:" or a label of up to three words and a colon ("Order number: 58107-3",
"Capital: Paris"), a leading copula ("It is", "Son", "Es sind", "C'est") and a trailing polite
copula (です, 입니다) dropped; one line of at
most ``MAX_CHARS`` characters (JSON and fenced code are never read). Then:

- ``yes_no``: a yes or no word of those languages (yes, yeah, true, ja, oui, sí, sim, はい, 是, 네;
  no, nope, false, nein, non, não, いいえ, 否, 아니요), alone or before a comma ("Yes, it is.");
- ``number``: digits with an optional sign, currency, unit and approximation word ("366",
  "366 days", "$1,024", "~3.5 kg", "366日"), English number words ("three hundred sixty-six"), or a
  Chinese or Japanese numeral with at most a two-character counter ("八颗", "十二本", "三つ").
  The unit is not compared: the number is the answer. ``1,024,000`` and ``1.024.000`` group
  thousands, ``3,5`` is a decimal comma; ``1,024`` and ``1.024`` are ambiguous and read both ways,
  so each equals 1024 and 1.024;
- an identifier (digits with a leading zero, or more than 15 of them: "007", a tracking number) is
  a ``word``, not a number;
- ``word``: anything else of at most three words (a CJK run counts a word per three characters)
  and one sentence, compared without a leading article ("The Pacific" equals "Pacific"); "(B)"
  and "B) Paris" read as option "b".

Judgement: two answers are equal when their kinds and values agree (numbers by value). With a gold
answer, the baseline right and the other side wrong is a ``major`` regression, the reverse a
``major`` improvement, both right ``same``. Otherwise a different answer is ``changed`` (``minor``):
without gold, no direction can be told. Values are the normal forms ("366", "yes", "canberra"),
the behaviour is ``answer:<normal form>`` and the size of a difference 1.0.
"""

from __future__ import annotations

import math
import re
import unicodedata
from dataclasses import dataclass
from typing import Any, Literal

from modelswap.compare.checks.base import Comparator
from modelswap.compare.checks.correctness import is_number, spelled_number
from modelswap.compare.checks.shape import expected_labels, fold_text, read_label
from modelswap.compare.model import Finding, Outcome, Severity, Status
from modelswap.types import ChatRequest

Kind = Literal["number", "yes_no", "word"]
MAX_WORDS = 3
MAX_YES_NO_WORDS = 5
MAX_UNIT_WORDS = 2
MAX_CHARS = 160
CJK_PER_WORD = 3

_Q = r"[\"'“”‘’「」『』]?"


def _either(yes: str, sep: str, no: str, *, bounded: bool = True) -> str:
    """A "yes or no" phrase: the two words, optionally quoted, joined by ``sep`` or a slash."""
    edge = r"\b" if bounded else ""
    return rf"{edge}{yes}{_Q}\s*(?:{sep}|/)\s*{_Q}{no}{edge}"


_EN = (r"(?:number|integer|numeral|digit|figure|numeric value|numerical value|value|word|letter|label|final answer|"
       r"name|year|date)")
_DE = r"(?:zahl|ziffer|nummer|wert|wort|buchstaben?|antwort|label|kategorie|ergebnis|namen?|jahr|datum|ja|nein)"
_FR = (r"(?:nombre|chiffre|num[ée]ro|valeur|mot|lettre|r[ée]ponse|[ée]tiquette|cat[ée]gorie|r[ée]sultat|nom|ann[ée]e|"
       r"date|oui|non)")
_ES = r"(?:n[uú]mero|cifra|valor|palabra|letra|respuesta|etiqueta|categor[ií]a|resultado|nombre|a[nñ]o|fecha)"
_IT = r"(?:numero|cifra|valore|parola|lettera|risposta|etichetta|categoria|risultato|nome|anno|data)"
_PT = r"(?:n[uú]mero|algarismo|valor|palavra|letra|resposta|r[óo]tulo|categoria|resultado|nome|ano|data)"
_NL = r"(?:getal|nummer|cijfer|waarde|woord|letter|antwoord|label|categorie|naam|jaar|datum|ja|nee)"

# language → regular expressions, matched on the NFKC-normalised, case-folded text of the last
# user message and of every system (or developer) message.
ASKS: dict[str, tuple[str, ...]] = {
    "en": (
        rf"\b{_EN}s?\s+only\b",
        rf"\b(?:only|just|solely|exclusively)\s+(?:with\s+|using\s+)?(?:the\s+|an?\s+|one\s+|a single\s+|single\s+)?"
        rf"{_EN}s?\b",
        r"\b(?:a\s+single|one\s+single|single|one|1)[-\s](?:word|number|integer|digit|letter|label)\b",
        r"\bexactly\s+one\s+(?:word|number|integer|digit|letter|label|category|option|choice)\b",
        r"\b(?:only|just)\s+(?:answer|reply|respond|output|return|say)\s+(?:with|using)\b",
        r"\b(?:answer|reply|respond|output|return)\s+(?:only|just|solely)\s+(?:with|using)\b",
        r"\b(?:answer|reply|respond)\s+with\s+(?:only|just|nothing\s+but)\b",
        r"\b(?:numeric|numerical|integer)\s+answer\b",
        r"\bletter\s+of\s+the\s+(?:correct|right|best)\s+(?:answer|option|choice)\b",
        _either("yes", "or", "no"), _either("true", "or", "false"),
    ),
    "de": (
        rf"\b(?:nur|ausschliesslich|lediglich|bloss)\s+(?:mit\s+)?(?:die|der|den|das|ein|eine[mnr]?)?\s*"
        rf"(?:einzige[nmrs]?\s+)?{_DE}\b",
        r"\b(?:in|mit)\s+(?:genau\s+)?einem\s+(?:einzigen\s+)?wort\b",
        r"\b(?:genau\s+ein|ein\s+einziges)\s+wort\b",
        r"\b(?:antworte|antworten\s+sie|antwortet)\s+(?:nur|ausschliesslich|lediglich)\s+mit\b",
        _either("ja", "oder", "nein"), _either("wahr", "oder", "falsch"),
    ),
    "fr": (
        rf"\b(?:uniquement|seulement|juste|simplement)\s+(?:par\s+|avec\s+)?(?:le\s+|la\s+|l'|une?\s+)?"
        rf"(?:seule?\s+)?{_FR}\b(?!\s+de\s+passe)",
        rf"\b(?:le|la|une?)\s+{_FR}\s+(?:uniquement|seulement)\b",
        r"\b(?:une?\s+seule?|en\s+une?(?:\s+seule?)?|par\s+une?(?:\s+seule?)?|d'une?\s+seule?)\s+"
        r"(?:mot|nombre|chiffre|lettre)\b(?!\s+de\s+passe)",
        r"\br[ée]pon(?:ds|dez|dre)\s+(?:uniquement|seulement)\s+(?:par|avec)\b",
        _either("oui", "ou", "non"), _either("vrai", "ou", "faux"),
    ),
    "es": (
        rf"\b(?:s[oó]lo|solamente|[uú]nicamente)\s+(?:con\s+)?(?:el\s+|la\s+|un\s+|una\s+)?(?:sol[oa]\s+)?{_ES}\b",
        r"\b(?:una\s+sola|un\s+solo|en\s+una|con\s+una)\s+(?:palabra|cifra|letra)\b",
        r"\bresponde(?:r)?\s+(?:s[oó]lo|solamente|[uú]nicamente)\s+con\b",
        _either("s[ií]", "o", "no"), _either("verdadero", "o", "falso"),
    ),
    "it": (
        rf"\b(?:solo|soltanto|solamente|unicamente)\s+(?:con\s+)?(?:il\s+|la\s+|l'|un\s+|una\s+)?(?:sol[oa]\s+)?{_IT}\b",
        r"\b(?:una\s+sola|una|in\s+una|con\s+una)\s+parola\b",
        r"\brispondi\s+(?:solo|soltanto|solamente|unicamente)\s+con\b",
        _either("s[iì]", "o", "no"), _either("vero", "o", "falso"),
    ),
    "pt": (
        rf"\b(?:apenas|somente|s[oó])\s+(?:com\s+)?(?:o\s+|a\s+|um\s+|uma\s+)?(?:s[oó]\s+|[uú]nic[oa]\s+)?{_PT}\b",
        r"\b(?:uma\s+(?:s[oó]\s+|[uú]nica\s+)?|numa\s+)palavra\b",
        r"\bresponda\s+(?:apenas|somente|s[oó])\s+com\b",
        _either("sim", "ou", "n[aã]o"), _either("verdadeiro", "ou", "falso"),
    ),
    "nl": (
        rf"\b(?:alleen|uitsluitend|enkel|slechts)\s+(?:met\s+)?(?:het\s+|de\s+|een\s+|één\s+|1\s+)?{_NL}\b",
        r"(?:\b1|\bin\s+één|\bmet\s+één|\been\s+enkel|(?<!\w)één)\s+woord\b",
        r"\bantwoord\s+(?:alleen|uitsluitend|enkel)\s+met\b",
        _either("ja", "of", "nee"), _either("waar", "of", "onwaar"),
    ),
    "ja": (
        r"(?:数字|数値|単語|一語|答え|番号|記号|ラベル|選択肢|名前|名称|名|年|日付)(?:のみ|だけ)",
        r"(?:一言|一語|単語|数字|数値)で(?:答|回答|返|出力)",
        _either("はい", "か|または", "いいえ", bounded=False),
    ),
    "zh": (
        r"(?:只|仅|僅)(?:需|要|需要)?(?:回答|回复|回覆|输出|輸出|给出|給出|写|寫|用|返回|说|說)?(?:一个|一個)?"
        r"(?:数字|數字|数值|數值|单词|單詞|词语|詞語|词|詞|字母|选项|選項|标签|標籤|名字|名称|名稱)",
        r"(?:数字|數字|数值|數值)即可",
        r"(?:用|以)(?:一个|一個)(?:词|詞|字)",
        _either("是", "或|还是|還是", "(?:否|不是)", bounded=False),
        _either("(?:对|對)", "或|还是|還是", "(?:错|錯)", bounded=False),
    ),
    "ko": (
        r"(?:숫자|단어|정답|답|번호|값|이름|레이블|라벨|기호)만",
        r"(?:한|하나의)\s*단어로",
        _either("(?:예|네)", "또는|아니면|혹은", "아니(?:요|오)", bounded=False),
    ),
}
_ASKS = tuple(re.compile(pattern) for patterns in ASKS.values() for pattern in patterns)

_POLAR: dict[str, str] = {
    **dict.fromkeys(("yes", "yeah", "yep", "yup", "true", "ja", "jawohl", "wahr", "oui", "vrai", "sí", "si", "sì",
                     "verdadero", "vero", "sim", "verdadeiro", "waar", "はい", "ええ", "うん", "正しい", "是", "是的",
                     "对", "對", "对的", "正确", "正確", "네", "예", "응", "참"), "yes"),
    **dict.fromkeys(("no", "nope", "nah", "false", "nein", "falsch", "non", "faux", "falso", "não", "nao", "nee",
                     "onwaar", "いいえ", "いえ", "ううん", "誤り", "否", "不", "不是", "不对", "不對", "错", "錯",
                     "错误", "錯誤", "아니요", "아니오", "아뇨", "아니", "거짓"), "no"),
}
_EDGE = " \t.,;:!?\"'`*_~()[]{}<>«»“”‘’„「」『』。、！？"
_EMPHASIS = re.compile(r"\*\*|__|~~")
_SPACES = re.compile(r"\s+")
_LEAD = re.compile(r"^(?:(?:the\s+)?(?:final\s+)?(?:answer|antwort|réponse|respuesta|risposta|resposta|antwoord)"
                   r"(?:\s+is)?\s*:|(?:the\s+)?(?:final\s+)?answer\s+is\b|(?:答え|答|回答|答案|정답|답)\s*:)\s*")
_LABEL = re.compile(r"^[^\W\d_](?:[^\W\d_]|[ '-]){0,24}:\s+(?=\S)")
_COPULA = re.compile(r"(?:です|でございます|입니다|이에요|예요)$")
_COPULA_LEAD = re.compile(r"^(?:it['’]?s|it is|that['’]?s|that is|they are|there are|there is|es sind|es ist|es gibt|"
                          r"das ist|das sind|sind|c['’]est|ce sont|il y a|il y en a|son|es|hay|sono|è|ci sono|"
                          r"são|é|het is|dat is|er zijn|zijn)\s+(?=\S)")
_IDENTIFIER = re.compile(r"0\d+|\d{16,}")
_POLAR_HEAD = re.compile(r"^(\w+)(?:[,.!;:、。]|\s+[-–—]\s|\s*—)\s*\S")
_APPROX = (r"(?:~|≈|about|approx\.?|approximately|around|roughly|circa|ca\.|etwa|ungefähr|rund|environ|env\.|"
           r"aproximadamente|unos|unas|cerca\s+de|circa|ongeveer|約|约|大约|大約|약)")
_NUMBER = re.compile(rf"(?:{_APPROX}\s*)?(?P<sign>[-+−])?\s*[$€£¥₹]?\s*(?P<digits>\d[\d,.' ]*)(?P<unit>\D*)")
_GROUPED = re.compile(r"(?P<int>\d{1,3}(?P<sep>[,.' ])\d{3}(?:(?P=sep)\d{3})*)(?:(?P<point>[.,])(?P<fraction>\d+))?")
_PLAIN = re.compile(r"\d+(?:[.,]\d+)?")
_SENTENCE_BREAK = re.compile(r"[.!?。！？]\s")
_OPTION = re.compile(r"([a-z])\)(?:\s+\S.*)?")
_ARTICLE = re.compile(r"^(?:(?:the|an?|le|la|les|der|die|das|el|los|las|il|lo|gli|het|een)\s+|l')(?=\S)")
_CJK = re.compile(r"[\u3040-\u30ff\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff]")


@dataclass(frozen=True, kw_only=True, slots=True)
class ShortAnswer:
    """One short answer: its kind, its normal form, and every value it can be read as (numbers)."""

    kind: Kind
    text: str
    values: tuple[float, ...] = ()

    def agreeing(self, other: ShortAnswer) -> str | None:
        """The normal form both answers share, or None when they differ."""
        if self.kind == "number" and other.kind == "number":
            shared = [a for a in self.values if any(math.isclose(a, b, rel_tol=1e-9) for b in other.values)]
            return _number_text(shared[0]) if shared else None
        same = self.kind == other.kind and _ARTICLE.sub("", self.text) == _ARTICLE.sub("", other.text)
        return self.text if same else None


def asks_short_answer(request: ChatRequest) -> bool:
    """Whether the last user message or a system message asks for a short exact answer (``ASKS``)."""
    folded = [fold_text(text) for text in request.prompt_texts()]
    return any(pattern.search(text) for text in folded for pattern in _ASKS)


def read_answer(text: str) -> ShortAnswer | None:
    """The short answer ``text`` gives, or None when it is longer (rules in the module docstring)."""
    core = _core(text)
    if core is None:
        return None
    return _polar(core) or _number(core) or _word(core)


def gold_answers(expect: dict[str, Any]) -> tuple[ShortAnswer, ...]:
    """The accepted answers of ``expect.answer`` (a string, a number, or a list of them)."""
    value = expect.get("answer")
    items = value if isinstance(value, list) else [] if value is None else [value]
    golds = []
    for item in items:
        if isinstance(item, bool):
            golds.append(ShortAnswer(kind="yes_no", text="yes" if item else "no"))
        elif is_number(item) and math.isfinite(item):
            golds.append(ShortAnswer(kind="number", text=_number_text(float(item)), values=(float(item),)))
        elif isinstance(item, str) and item.strip():
            golds.append(read_answer(item) or ShortAnswer(kind="word", text=fold_text(item).strip(_EDGE)))
    return tuple(golds)


def _core(text: str) -> str | None:
    """The answer with formatting stripped: one line, no JSON or code, else None."""
    plain = unicodedata.normalize("NFKC", text).strip()
    if not plain or len(plain) > MAX_CHARS or "\n" in plain or "```" in plain or plain[0] in "{[":
        return None
    core = _SPACES.sub(" ", _EMPHASIS.sub("", plain)).casefold().strip(_EDGE)
    core = _LEAD.sub("", core).strip(_EDGE)
    labelled = _LABEL.match(core)
    if labelled and len(labelled.group().split()) <= MAX_WORDS and _POLAR.get(labelled.group().rstrip(": ")) is None:
        core = core[labelled.end():]
    return _COPULA.sub("", _COPULA_LEAD.sub("", core)).strip(_EDGE) or None


def _words(text: str) -> int:
    """Words, counting a run of CJK characters as one word per ``CJK_PER_WORD`` characters."""
    return sum(max(1, math.ceil(len(_CJK.findall(token)) / CJK_PER_WORD)) for token in text.split())


def _polar(core: str) -> ShortAnswer | None:
    answer = _POLAR.get(core)
    if answer is None and _words(core) <= MAX_YES_NO_WORDS:
        head = _POLAR_HEAD.match(core)
        answer = _POLAR.get(head.group(1)) if head else None
    return None if answer is None else ShortAnswer(kind="yes_no", text=answer)


def _number(core: str) -> ShortAnswer | None:
    match = _NUMBER.fullmatch(core)
    if match and _IDENTIFIER.fullmatch(match["digits"].strip()):
        return None  # "007", a tracking number: an identifier, read as a word
    values: tuple[float, ...] = ()
    if match and _words(match["unit"]) <= MAX_UNIT_WORDS:
        values = _readings(match["digits"].strip())
        values = tuple(-v for v in values) if match["sign"] in ("-", "−") else values
    if not values:
        values = _cjk_numeral(core)
    if not values:
        words = core.split()
        spelled = spelled_number(core)
        if spelled is None and 1 < len(words) <= MAX_UNIT_WORDS + 1:
            spelled = spelled_number(" ".join(words[:-1]))  # "three days"
        values = () if spelled is None else (float(spelled),)
    return ShortAnswer(kind="number", text=_number_text(values[0]), values=values) if values else None


_CJK_DIGITS = {"〇": 0, "零": 0, "一": 1, "二": 2, "两": 2, "兩": 2, "三": 3, "四": 4, "五": 5, "六": 6, "七": 7,
               "八": 8, "九": 9}
_CJK_UNITS = {"十": 10, "百": 100, "千": 1000}
_CJK_MYRIADS = {"万": 10**4, "萬": 10**4, "亿": 10**8, "億": 10**8}
_CJK_NUMERALS = "〇零一二两兩三四五六七八九十百千万萬亿億"
_CJK_NUMERAL = re.compile(rf"([{_CJK_NUMERALS}]+)([^\W\d{_CJK_NUMERALS}]{{0,2}})")


def _cjk_numeral(core: str) -> tuple[float, ...]:
    """A Chinese or Japanese numeral, with at most a two-character counter after it ("八颗", "十二本", "三つ")."""
    match = _CJK_NUMERAL.fullmatch(core)
    if not match or not all(_CJK.match(char) or char in "つ" for char in match.group(2)):
        return ()
    total = section = digit = 0
    for char in match.group(1):
        if char in _CJK_DIGITS:
            digit = _CJK_DIGITS[char]
        elif char in _CJK_UNITS:
            section += (digit or 1) * _CJK_UNITS[char]
            digit = 0
        else:
            total += (section + digit or 1) * _CJK_MYRIADS[char]
            section = digit = 0
    return (float(total + section + digit),)


def _readings(digits: str) -> tuple[float, ...]:
    """Every value a digit string can mean: grouped thousands, a decimal point or comma, or both."""
    grouped = _GROUPED.fullmatch(digits)
    if grouped:
        sep, point = grouped["sep"], grouped["point"]
        if point == sep:
            return ()
        whole = float(grouped["int"].replace(sep, "") + (f".{grouped['fraction']}" if point else ""))
        if point or sep not in ",." or grouped["int"].count(sep) > 1:
            return (whole,)
        decimal = float(grouped["int"].replace(sep, "."))
        return (whole, decimal) if sep == "," else (decimal, whole)
    return (float(digits.replace(",", ".")),) if _PLAIN.fullmatch(digits) else ()


def _number_text(value: float) -> str:
    return str(int(value)) if value.is_integer() and abs(value) < 1e15 else repr(value)


def _word(core: str) -> ShortAnswer | None:
    option = _OPTION.fullmatch(core)
    if option and _words(core) <= MAX_WORDS + 1:
        return ShortAnswer(kind="word", text=option.group(1))
    if _words(core) > MAX_WORDS or _SENTENCE_BREAK.search(core):
        return None
    return ShortAnswer(kind="word", text=core)


def _judged_elsewhere(expect: dict[str, Any]) -> bool:
    """Label sets (``shape``, ``correctness``) and JSON contracts (``structure``) have their own checks."""
    return (any(key in expect for key in ("labels", "label", "schema", "fields"))
            or expect.get("format") in ("json", "label"))


class AnswerComparator(Comparator):
    """Does the other side give the baseline's short exact answer, and is either one the gold answer."""

    name = "answer"
    version = 2

    def compare(self, request: ChatRequest, baseline: Outcome, other: Outcome) -> list[Finding]:
        if not (baseline.ok and other.ok):
            return []
        if "labels" in request.expect and "label" not in request.expect:
            return self._label(request.expect, baseline, other)
        if _judged_elsewhere(request.expect):
            return []
        golds = gold_answers(request.expect)
        if not golds and not asks_short_answer(request):
            return []
        base, then = read_answer(baseline.text), read_answer(other.text)
        if base is None or then is None:
            return []
        return [self._judge(base, then, golds, request.expect.get("answer"))]

    def _label(self, expect: dict[str, Any], baseline: Outcome, other: Outcome) -> list[Finding]:
        """A label task without gold: a different allowed label is ``changed`` (the form is ``shape``'s)."""
        labels = expected_labels(expect)
        base, then = read_label(baseline.text, labels).label, read_label(other.text, labels).label
        if not labels or base is None or then is None:
            return []
        same = base == then
        reason = (f"the same label {then!r}" if same else
                  f"a different label: {then!r} where the baseline answered {base!r} (no gold label to say which "
                  "is right)")
        return [Finding(check="answer.exact", version=self.version, status="same" if same else "changed",
                        severity="info" if same else "minor", baseline=base, candidate=then, reason=reason,
                        behaviour=f"answer:{then}", baseline_behaviour=f"answer:{base}", size=None if same else 1.0,
                        details={"kind": "label"})]

    def _judge(self, base: ShortAnswer, other: ShortAnswer, golds: tuple[ShortAnswer, ...], raw: Any) -> Finding:
        shared = base.agreeing(other)
        base_text, other_text = (shared, shared) if shared is not None else (base.text, other.text)
        status: Status = "same" if shared is not None else "changed"
        severity: Severity = "info" if shared is not None else "minor"
        reason = (f"the same short answer {other_text!r}" if shared is not None else
                  f"a different short answer: {other_text!r} where the baseline answered {base_text!r} "
                  "(no gold answer to say which is right)")
        if golds:
            status, severity, reason = _against_gold(base, other, golds, base_text, other_text)
        details: dict[str, Any] = {"kind": other.kind}
        if base.kind != other.kind:
            details["baseline_kind"] = base.kind
        if golds:
            details["gold"] = raw
        return Finding(check="answer.exact", version=self.version, status=status, severity=severity,
                       baseline=base_text, candidate=other_text, reason=reason, behaviour=f"answer:{other_text}",
                       baseline_behaviour=f"answer:{base_text}", size=None if status == "same" else 1.0,
                       details=details)


def _against_gold(base: ShortAnswer, other: ShortAnswer, golds: tuple[ShortAnswer, ...], base_text: str,
                  other_text: str) -> tuple[Status, Severity, str]:
    base_ok = any(base.agreeing(gold) is not None for gold in golds)
    other_ok = any(other.agreeing(gold) is not None for gold in golds)
    gold = " / ".join(repr(g.text) for g in golds)
    if base_ok and other_ok:
        return "same", "info", f"both give the gold answer ({gold})"
    if base_ok:
        return "regression", "major", f"{other_text!r} where the baseline gave the gold answer ({gold})"
    if other_ok:
        return "improvement", "major", f"the gold answer ({gold}) where the baseline answered {base_text!r}"
    if base.agreeing(other) is not None:
        return "same", "info", f"both give {other_text!r}, not the gold answer ({gold})"
    return "changed", "minor", (f"a different wrong answer: {other_text!r} where the baseline answered "
                                f"{base_text!r} (gold {gold})")
