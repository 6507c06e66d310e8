"""Answer language: the right one, and only one.

What it is: ``identify`` (the language of a text's prose), ``mix`` (how much of it is in its
dominant language) and ``LanguageComparator`` with two checks. What it is not: translation
quality or locale (``pt-BR`` and ``pt-PT`` are both ``pt``), nor label tasks (``expect.labels``,
``expect.label`` or ``format: label``): their answers are the product's identifiers ("check-in",
"other"), whatever the language of the question, and ``shape`` judges their form.

Identification uses py3langid (calibrated probabilities) restricted to ``LANGUAGES``, 60
languages LLM traffic is written in plus ``zxx`` (no language): measured on 87 hand-written
answers in 19 languages, 43 one-line answers in 10 and 156 single sentences, the restricted
set got 87/87, 41/43 and 153/156 right against 87/87, 39/43 and 153/156 for all 140 labels
(its extra labels, Occitan, Wu, Nigerian Pidgin, won one-liners from Spanish, Italian,
Russian). Close pairs that no identifier tells apart on a sentence are folded (``FOLD``:
Malay reads as Indonesian, Bosnian and Serbian as Croatian).

Only prose counts: fenced and inline code, lines that look like code (indented, or one
character in eight a bracket, operator or underscore), URLs and e-mail addresses are
dropped, and from JSON only the string values are kept (keys are identifiers, not language). A text
with less than ``MIN_WEIGHT`` letters of prose (a CJK or Hangul character weighs 3) or
whose best language has probability under ``MIN_CONFIDENCE`` is *unknown*: no finding
rather than a false one ("OK", "42", a code block, ``{"label": "spam"}``).

Check ``language`` (values: the baseline's and the other's language codes, None when
unknown). The expected language is ``expect.language`` (``ja``, ``ja-JP``, ``jpn``), else the
baseline's, else (a baseline too short to identify) the language of the question when the
baseline does not contradict it. The other contradicts it when its probability of the expected
language is under ``MISMATCH_BELOW`` (so a short Spanish answer read as Catalan, where Spanish
still has 0.31, is not flagged). A side too short or unsure to identify ("Yes, it is." to a
German question) contradicts it when its probability of the expected language is under
``SHORT_MISMATCH_BELOW`` (0.05) and another language reaches ``SHORT_BEST_MIN`` (0.4), or
``SENTENCE_BEST_MIN`` (0.25) in a sentence: a text of a sentence's weight (``SENTENCE_WEIGHT``, 20
letters or more), or of ``SENTENCE_WORDS`` (4) words or more ending in ``.``, ``!`` or ``?``, where
the identifier spreads its belief over related languages: "Hi! Rides in Berlin cost €0.25 per
minute." reads en 0.27, ca 0.23, de 0.02; "A box costs €26.90 in Austria." (18 letters) en 0.37,
de 0.01. Names and titles are rarely four words closed by a full stop. Measured on one-liners: short names
("Leonardo da Vinci", "Paris.", "Mount Everest") stay under 0.3 for every language and are never
flagged, while "Yes, it is." (en 0.71), "It is Tokyo." (en 0.51) and "Es ist Berlin." (de 0.76)
are; among 28 names and titles of 14-36 letters, those under 0.4 stay under 0.25 except "Museum of
Modern Art, New York" (en 0.34) and "Hotel Adlon Kempinski Berlin" (sl 0.28), while two-word German
answers such as "OK, 0,25 € pro Minute." keep their best language under 0.1.
Behaviours: ``language:<code>`` for each side.
Other contradicts, baseline did not → ``regression`` major; baseline contradicted ``expect`` and
the other does not → ``improvement``; both contradict → ``same`` if in the same language,
else ``changed`` minor.

Check ``language.mixed`` (values: the share of each side's prose, by letter weight, in its
dominant language, 0..1). Prose is cut into sentences and lines (and, in CJK text, runs of
4+ Latin words); each segment of ``MIN_WEIGHT`` or more is identified, and counts against
the dominant language only when it confidently contradicts it (probability of the
dominant language under ``MISMATCH_BELOW``). Pure answers measured 1.00 (87 of 87, close
pairs folded); answers mixing English sentences into Japanese, Chinese, Korean, French,
Spanish or German measured 0.53-0.75. A share under ``MIXED_BELOW`` (0.85) is mixed. The
other mixed and at least ``MIXED_MARGIN`` below the baseline → ``regression`` (major under
``MIXED_MAJOR_BELOW``, 0.7, else minor); a mixed side's behaviour is
``language.mixed:<dominant>+<others>``;
the reverse (the baseline mixed, the other not and at least the margin above) →
``improvement``; else ``same``.
"""

from __future__ import annotations

import functools
import math
import re
import unicodedata
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from modelswap.compare.checks.base import Comparator
from modelswap.compare.model import Finding, Outcome, Severity, Status
from modelswap.parse import extract_json
from modelswap.types import ChatRequest

LANGUAGES: tuple[str, ...] = (
    "af", "ar", "bg", "bn", "ca", "cs", "cy", "da", "de", "el", "en", "es", "et", "eu", "fa", "fi", "fr", "ga", "gl",
    "gu", "he", "hi", "hr", "hu", "hy", "id", "is", "it", "ja", "ka", "kk", "kn", "ko", "lt", "lv", "mk", "ml", "mr",
    "ms", "ne", "nl", "no", "pa", "pl", "pt", "ro", "ru", "sk", "sl", "sq", "sr", "sv", "sw", "ta", "te", "th", "tl",
    "tr", "uk", "ur", "uz", "vi", "zh", "zxx")
FOLD = {"ms": "id", "bs": "hr", "sr": "hr", "nb": "no", "nn": "no"}
_FOLDED_LABELS = tuple(label for label in FOLD if label in LANGUAGES)  # what the identifier can answer: ms, sr
ALIASES = {"jpn": "ja", "eng": "en", "zho": "zh", "chi": "zh", "cmn": "zh", "fra": "fr", "fre": "fr", "spa": "es",
           "deu": "de", "ger": "de", "por": "pt", "ita": "it", "kor": "ko", "rus": "ru", "iw": "he", "in": "id",
           "fil": "tl"}
MIN_WEIGHT = 12
MIN_CONFIDENCE = 0.5
MISMATCH_BELOW = 0.1
MIXED_BELOW = 0.85
MIXED_MAJOR_BELOW = 0.7
MIXED_MARGIN = 0.1
SHORT_MIN_WEIGHT = 5
SHORT_MISMATCH_BELOW = 0.05
SHORT_BEST_MIN = 0.4
SENTENCE_WEIGHT = 20
SENTENCE_BEST_MIN = 0.25
SENTENCE_WORDS = 4

_FENCE = re.compile(r"```.*?(?:```|\Z)", re.DOTALL)
_NOISE = re.compile(r"`[^`\n]*`|https?://\S+|www\.\S+|[\w.+-]+@[\w-]+\.[\w.-]+|\]\([^)]*\)|<[^>\n]{1,80}>")
_SEGMENT_END = re.compile(r"(?<=[.!?])\s+|(?<=[。！？])|\n+")
_LATIN_RUN = re.compile(r"[A-Za-z][A-Za-z'’-]*(?:[\s,;:]+[A-Za-z][A-Za-z'’-]*){3,}[.!?]?")
_CODE_SYMBOLS = frozenset("{}[]()<>=;_/\\|*&^%$#@~+")
_CJK = re.compile(r"[\u3040-\u30ff\u3400-\u9fff\uac00-\ud7af]")


@dataclass(frozen=True, kw_only=True, slots=True)
class Reading:
    """What the identifier made of a text: its language (None when unknown) and the probabilities."""

    language: str | None
    confidence: float = 0.0
    weight: int = 0
    probabilities: dict[str, float] = field(default_factory=dict)
    sentence: bool = False

    def contradicts(self, expected: str) -> bool:
        """Known, and confidently not ``expected``; or short or unsure, yet plainly in another language."""
        if self.language is not None:
            return self.probabilities.get(expected, 0.0) < MISMATCH_BELOW
        return self.weight >= SHORT_MIN_WEIGHT and self.short_language(expected) is not None

    def short_language(self, expected: str) -> str | None:
        """For a text too short or unsure to identify: the language it is plainly in instead of ``expected``."""
        if not self.probabilities or self.probabilities.get(expected, 0.0) >= SHORT_MISMATCH_BELOW:
            return None
        best = max(self.probabilities, key=self.probabilities.__getitem__)
        needed = SENTENCE_BEST_MIN if self.sentence or self.weight >= SENTENCE_WEIGHT else SHORT_BEST_MIN
        return best if best not in (expected, "zxx") and self.probabilities[best] >= needed else None


@dataclass(frozen=True, kw_only=True, slots=True)
class Mix:
    """A text's prose by language: the dominant one, its share of the letter weight, the others."""

    dominant: str
    share: float
    weights: dict[str, int]

    @property
    def others(self) -> list[str]:
        return sorted((lang for lang in self.weights if lang != self.dominant), key=lambda lang: -self.weights[lang])


@functools.cache
def _identifier() -> Any:
    from py3langid.langid import MODEL_FILE, LanguageIdentifier

    identifier = LanguageIdentifier.from_model_file(MODEL_FILE, norm_probs=True)
    identifier.set_languages(list(LANGUAGES))
    return identifier


def normalise_code(code: str) -> str:
    """``ja-JP`` → ``ja``, ``jpn`` → ``ja``, ``ms`` → ``id`` (the code ``identify`` reports)."""
    primary = re.split(r"[-_]", code.strip().lower(), maxsplit=1)[0]
    primary = ALIASES.get(primary, primary)
    return FOLD.get(primary, primary)


@functools.lru_cache(maxsize=8192)  # a batch's texts and sentences are weighed when prepared and again when read
def weight(text: str) -> int:
    """Letters of ``text``; a CJK or Hangul letter weighs 3 (it carries about a word's worth of signal)."""
    if text.isascii():  # no wide letter: one per letter
        return sum(map(str.isalpha, text))
    return sum(3 if unicodedata.east_asian_width(char) in "WF" else 1 for char in text if char.isalpha())


def _strings(value: Any) -> Iterator[str]:
    if isinstance(value, str):
        yield value
    elif isinstance(value, dict):
        for item in value.values():
            yield from _strings(item)
    elif isinstance(value, list):
        for item in value:
            yield from _strings(item)


def _is_code(line: str) -> bool:
    """An indented line, or one dense with the symbols of code (one in eight characters or more)."""
    visible = len(line) - sum(map(str.isspace, line))
    indented = line.startswith(("    ", "\t")) and not line.lstrip().startswith(("-", "*", "•"))
    return visible > 0 and (indented or sum(map(_CODE_SYMBOLS.__contains__, line)) * 8 >= visible)


@functools.lru_cache(maxsize=4096)  # prepared for a whole batch (500 trials, three answers each), then read again
def prose(text: str) -> str:
    """The natural-language part of a model output: JSON string values, no code, no addresses."""
    extracted = extract_json(text)
    if extracted is not None:
        text = "\n".join([extracted.before, *_strings(extracted.value), extracted.after])
    text = _NOISE.sub(" ", _FENCE.sub("\n", text))
    return "\n".join(line for line in text.splitlines() if not _is_code(line))


def segments(text: str) -> list[str]:
    """Sentences and lines of ``text``; in CJK text, runs of four or more Latin words stand apart."""
    pieces: list[str] = []
    for part in _SEGMENT_END.split(text):
        part = part.strip()
        if not part:
            continue
        if _CJK.search(part):
            pieces.extend(run.group(0) for run in _LATIN_RUN.finditer(part))
            part = _LATIN_RUN.sub(" ", part).strip()
        if part:
            pieces.append(part)
    return pieces


_PREPARED: dict[str, dict[str, float]] = {}
"""The probabilities of the texts of the batch ``LanguageComparator.prepare`` saw last, read all at once."""


def read_all(texts: Iterable[str]) -> None:
    """Read ``texts`` (prose: whole answers and their sentences) in one pass, for ``_read`` to find.

    The identifier's own arithmetic, row by row in float32 (its feature scores per text, then the
    length-tempered softmax, the folding of aliased labels and the ranking over every text at
    once): the same probabilities, to the last bit, as ``rank`` on each text (a test holds it),
    at about a third of the cost on short answers. Only the texts of the last batch are kept."""
    identifier = _identifier()
    wanted = list(dict.fromkeys(t for t in texts if weight(t) >= SHORT_MIN_WEIGHT))
    _PREPARED.clear()
    if not wanted:
        return
    if not all(hasattr(identifier, name) for name in ("_raw_score", "_encode", "_alias_pairs", "nb_classes")):
        _PREPARED.update((text, _folded(identifier.rank(text))) for text in wanted)  # another py3langid
        return
    encoded = [identifier._encode(text) for text in wanted]
    scores = np.stack([identifier._raw_score(data) for data in encoded])
    scores *= np.array([1.0 / math.sqrt(len(data) or 1) for data in encoded], dtype=np.float32)[:, None]
    np.exp(scores - scores.max(axis=1, keepdims=True), out=scores)
    scores /= scores.sum(axis=1, keepdims=True)
    for first, dupe in identifier._alias_pairs:
        scores[:, first] += scores[:, dupe]
        scores[:, dupe] = 0.0
    firsts: dict[str, int] = {}  # each label's first column, in the classes' order (rank keeps the first of a label)
    for index, label in enumerate(identifier.nb_classes):
        firsts.setdefault(label, index)
    columns = list(firsts.values())
    labels = [FOLD.get(identifier.nb_classes[index], identifier.nb_classes[index]) for index in columns]
    kept = scores[:, columns]
    order = np.argsort(-kept, axis=1, kind="stable")  # rank's sort: by score, best first, ties in class order
    for text, row, ranks in zip(wanted, kept.tolist(), order.tolist(), strict=True):
        probabilities: dict[str, float] = {}  # folded in the ranking's order, as _folded_slowly folds
        for k in ranks:
            probabilities[labels[k]] = probabilities.get(labels[k], 0.0) + row[k]
        _PREPARED[text] = probabilities


@functools.lru_cache(maxsize=8192)  # a text and its sentences are read again for every side it is compared with
def _read(text: str) -> Reading:
    size = weight(text)
    if size < SHORT_MIN_WEIGHT:
        return Reading(language=None, weight=size)
    probabilities = _PREPARED.get(text) or _folded(_identifier().rank(text))
    best = max(probabilities, key=probabilities.__getitem__)
    confidence = probabilities[best]
    known = size >= MIN_WEIGHT and best != "zxx" and confidence >= MIN_CONFIDENCE
    return Reading(language=best if known else None, confidence=round(confidence, 3), weight=size,
                   probabilities=probabilities, sentence=is_sentence(text))


_SENTENCE_WORD = re.compile(r"[^\W\d_]{2,}")


def is_sentence(text: str) -> bool:
    """Whether ``text`` reads as a sentence by its form: ``SENTENCE_WORDS`` words or more, closed by ``.``, ``!``
    or ``?`` (quotes and brackets after it allowed)."""
    return (text.rstrip(" \t\n\"'’”)»").endswith((".", "!", "?"))
            and len(_SENTENCE_WORD.findall(text)) >= SENTENCE_WORDS)


def _folded(ranked: list[tuple[str, float]]) -> dict[str, float]:
    """The identifier's ranking as probabilities by language, close pairs folded (``FOLD``): what
    ``_folded_slowly`` gives (a folded pair sits where the first of the two ranked, with their sum),
    without a Python step per language."""
    probabilities = dict(ranked)
    for source in _FOLDED_LABELS:
        target = FOLD[source]
        p_source, p_target = probabilities.get(source), probabilities.get(target)
        if p_source is None or p_target is None or not (p_source < p_target or p_source > p_target):
            return _folded_slowly(ranked)  # absent, or tied: only the ranking's own order tells which came first
        total = p_target + p_source
        if p_target > p_source:  # the target ranked first and keeps its place
            del probabilities[source]
            probabilities[target] = total
        else:  # the source ranked first: the pair takes its place
            probabilities = {(target if key == source else key): (total if key == source else value)
                             for key, value in probabilities.items() if key != target}
    return probabilities


def _folded_slowly(ranked: list[tuple[str, float]]) -> dict[str, float]:
    probabilities: dict[str, float] = {}
    for language, probability in ranked:
        folded = FOLD.get(language, language)
        probabilities[folded] = probabilities.get(folded, 0.0) + float(probability)
    return probabilities


def identify(text: str | None) -> Reading:
    """The language of ``text``'s prose (``language`` None when too short, not prose, or unsure)."""
    return _read(prose(text or ""))


def _weigh(pieces: list[str], dominant: str) -> dict[str, int]:
    weights: dict[str, int] = {}
    for piece in pieces:
        if weight(piece) < MIN_WEIGHT:  # too light to be known: it counts for no language, so no need to read it
            continue
        reading = _read(piece)
        if reading.language is not None:
            language = reading.language if reading.contradicts(dominant) else dominant
            weights[language] = weights.get(language, 0) + reading.weight
    return weights


@functools.lru_cache(maxsize=256)
def mix(text: str | None, dominant: str | None = None) -> Mix | None:
    """How much of ``text``'s prose is in its dominant language; None when too little is known.

    ``dominant`` (default: the language identified for the whole text) is where segments
    that do not contradict it go; if another language then weighs more, it becomes dominant.
    """
    clean = prose(text or "")
    dominant = dominant or _read(clean).language
    if dominant is None:
        return None
    pieces = segments(clean)
    weights = _weigh(pieces, dominant)
    heaviest = max(weights, key=weights.__getitem__, default=dominant)
    if weights.get(heaviest, 0) > weights.get(dominant, 0):
        dominant = heaviest
        weights = _weigh(pieces, dominant)
    total = sum(weights.values())
    if total < MIN_WEIGHT:
        return None
    return Mix(dominant=dominant, share=round(weights.get(dominant, 0) / total, 3), weights=weights)


def _mixed_behaviour(found: Mix) -> str | None:
    """``language.mixed:ja+en`` for a mixed text (dominant first), None for one in a single language."""
    if found.share >= MIXED_BELOW:
        return None
    return "language.mixed:" + "+".join([found.dominant, *found.others])


def _expected(request: ChatRequest, base: Reading) -> tuple[str | None, str]:
    """The language the answer should be in, and where that comes from: ``expect``, the baseline's
    confident language, or else the language of the question when the baseline does not contradict it."""
    declared = request.expect.get("language")
    if isinstance(declared, str) and declared.strip():
        return normalise_code(declared), "expect"
    if base.language is not None:
        return base.language, "baseline"
    asked = identify(request.last_user_text()).language
    if asked is not None and not base.contradicts(asked):
        return asked, "request"
    return None, ""


def _label_task(expect: dict[str, Any]) -> bool:
    """A label task's answer is one of the product's own identifiers ("check-in", "other"), in no language."""
    return expect.get("format") == "label" or "labels" in expect or "label" in expect


class LanguageComparator(Comparator):
    """Checks ``language`` and ``language.mixed`` (see the module docstring)."""

    name = "language"
    version = 2

    def prepare(self, pairs: list[tuple[ChatRequest, Outcome, Outcome]]) -> None:
        """Read every answer of the batch, and its sentences, at once (``read_all``)."""
        texts: list[str] = []
        for text in dict.fromkeys(o.text or "" for _, baseline, other in pairs for o in (baseline, other) if o.ok):
            clean = prose(text)
            texts.append(clean)
            texts.extend(piece for piece in segments(clean) if weight(piece) >= MIN_WEIGHT)
        texts.extend(prose(request.last_user_text() or "") for request in {id(r): r for r, _, _ in pairs}.values())
        read_all(texts)

    def compare(self, request: ChatRequest, baseline: Outcome, other: Outcome) -> list[Finding]:
        if not (baseline.ok and other.ok) or _label_task(request.expect):
            return []
        base, mine = identify(baseline.text), identify(other.text)
        findings = []
        language = self._language(request, base, mine)
        if language is not None:
            findings.append(language)
        mixed = self._mixed(baseline.text, other.text, base, mine)
        if mixed is not None:
            findings.append(mixed)
        return findings

    def _language(self, request: ChatRequest, base: Reading, mine: Reading) -> Finding | None:
        expected, source = _expected(request, base)
        if expected is None or expected not in LANGUAGES:
            return None
        if mine.language is None and not mine.contradicts(expected):
            return None
        shown = mine.language or mine.short_language(expected)
        details = {"expected": expected, "source": source, "confidence": mine.confidence}
        if mine.language is None:
            details["short"] = True

        def finding(status: Status, reason: str, severity: Severity = "info") -> Finding:
            return Finding(check="language", version=self.version, status=status, severity=severity,
                           baseline=base.language, candidate=shown, reason=reason,
                           behaviour=f"language:{shown}",
                           baseline_behaviour=f"language:{base.language}" if base.language else None, details=details)

        base_wrong = source == "expect" and base.contradicts(expected)
        if not mine.contradicts(expected):
            if base_wrong:
                return finding("improvement", f"answers in {expected} as expected; the baseline did not")
            return finding("same", f"answers in {expected}")
        if base_wrong:
            if base.language == shown:
                return finding("same", f"both answer in {shown}, not the expected {expected}")
            return finding("changed", f"answers in {shown}, the baseline in {base.language}; "
                           f"expected {expected}", "minor")
        short = " (a short answer, read by its probabilities)" if mine.language is None else ""
        return finding("regression", f"answers in {shown}, expected {expected} ({source}){short}", "major")

    def _mixed(self, baseline: str, other: str, base: Reading, mine: Reading) -> Finding | None:
        base_mix = mix(baseline, base.language) if base.language else None
        mine_mix = mix(other, mine.language) if mine.language else None
        if base_mix is None or mine_mix is None:
            return None
        details = {"baseline": base_mix.weights, "candidate": mine_mix.weights}

        def finding(status: Status, reason: str, severity: Severity = "info") -> Finding:
            return Finding(check="language.mixed", version=self.version, status=status, severity=severity,
                           baseline=base_mix.share, candidate=mine_mix.share, reason=reason,
                           behaviour=_mixed_behaviour(mine_mix), baseline_behaviour=_mixed_behaviour(base_mix),
                           details=details)

        if mine_mix.share < MIXED_BELOW and mine_mix.share <= base_mix.share - MIXED_MARGIN:
            severity: Severity = "major" if mine_mix.share < MIXED_MAJOR_BELOW else "minor"
            languages = "+".join([mine_mix.dominant, *mine_mix.others])
            return finding("regression", f"mixed languages ({languages}): {mine_mix.share:.0%} in "
                           f"{mine_mix.dominant}, the baseline {base_mix.share:.0%}", severity)
        if base_mix.share < MIXED_BELOW and mine_mix.share >= max(MIXED_BELOW, base_mix.share + MIXED_MARGIN):
            return finding("improvement", f"one language ({mine_mix.share:.0%} in {mine_mix.dominant}); "
                           f"the baseline mixed ({base_mix.share:.0%} in {base_mix.dominant})")
        return finding("same", f"{mine_mix.share:.0%} in {mine_mix.dominant}, the baseline {base_mix.share:.0%}")
