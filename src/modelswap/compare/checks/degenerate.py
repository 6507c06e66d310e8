"""Degenerate output: the empty answer, the repetition loop, the echoed prompt, the runaway, the mid-sentence stop.

What it is: ``DegenerateComparator`` (checks ``degenerate.empty``, ``degenerate.repetition``,
``degenerate.echo``, ``degenerate.length``, ``degenerate.cutoff``, one finding each whenever both
sides answered) and the pure readers it is built on (``is_empty``, ``repetition``, ``echo_share``,
``ends_mid_sentence``, ``runaway``). These are how small or broken models fail: they loop
(``user\\nuser\\n...``), give the question back, stop mid-sentence or run on until the token limit.
What it is not: truncation by finish reason (``truncated``; this module reads the text alone, since
many tools record no finish reason), the language of the text (``language``), whether the answer
means the same (``meaning``), the JSON contract (``structure``), or errors (a side without an
answer is not compared here).

Reading rules (text is NFKC-normalised and case folded; a token is a run of letters and digits,
or one Japanese or Chinese character, which are written without spaces):

- empty: nothing but whitespace, or no letter or digit at all (``...``, ``**``). A bare ``{}``
  or ``[]`` is a JSON value, not an empty answer.
- repetition: a unit repeated back-to-back, either a run of 1-32 tokens ("I am sorry I am sorry
  ...", "申し訳ありません申し訳ありません...") or a block of 1-4 lines compared without their list marker ("1. Buy
  milk" and "2. Buy milk" are the same line; a bare marker "-" is its own line). It is a loop when
  the unit holds a letter (or, lines of symbols only, no digit, such as "|" or "-", repeat at least
  16 times), repeats at least 5 times, covers at least 30 characters, and either covers at least half
  of the answer or runs to the end of the answer with at least 8 repeats (a loop after a good start,
  as when a model runs until its token limit). A refrain repeated 2-4 times, list items sharing a
  prefix, numbered steps (the numbers differ), table rows and numbers never qualify; an answer that
  parses as JSON is data, never a loop. A loop also *recurs* rather than repeats back to back (a
  question asked again with one word changed, a block written twice, a line coming back after
  others): when word 4-grams already seen earlier in the answer (with a letter) make up at least two
  fifths of its 4-grams (at least 24 of them), fenced code and table rows left out. Measured on the
  demo traffic and the labelled pairs: written answers stay under 0.2 (verse with a refrain 0.19),
  SmolLM2's answers under 0.46 (a Japanese question quoted back twice), Gemma 3 270M's loops 0.4-0.9;
  a paragraph written twice is 0.48. The unit reported is the most repeated 4-gram.
- echo: the share of the answer's characters that are verbatim copies (whole tokens, in order) of
  the prompt's texts (the system prompt and the last user message; copies of each add up). A copy
  counts when it holds at least 4 words (a Japanese or Chinese character counts half) and reproduces
  at least 80% of the message, or 80% of its question (the last sentence ending in ``?``), or is a
  stretch of 30 words and two sentences starting at the top of the message (its first tenth, or its
  second line under a one-line instruction: a model copying the document it was given). The answer
  echoes when copies make up at least half of it. Quoting a span of the prompt, JSON values
  extracted from it, and restating the question in one clause ("The capital of France is Paris.")
  are not copies of 80% of anything.
- length: runaway when the answer has at least 4 times the characters of the other side's and at
  least 400 more; an empty side is never the reference.
- cutoff (also: Japanese prose of more than one sentence whose last one ends on a case particle
  or a te-form, を に が は へ や て いで んで から ので けれど, however short): not on a side
  stopped by its token limit (finish reason ``length``: that is the
  ``truncated`` check's, and a replica cut by its limit must not excuse a candidate that stops
  mid-sentence on its own); the last paragraph is prose, its last sentence (or the clause after its last colon)
  has at least 6 words (a Japanese or Chinese character counts half; 9 when the whole answer
  is that one sentence: "The sentiment of this review is positive" is a style, not a cut) and
  it ends without ``. ! ? 。 ！ ？ …`` (after closing quotes, brackets and markdown emphasis), an
  emoji, a colon or a link. A last sentence of at least 3 words that ends on a word no sentence
  ends on (an article, a conjunction, a preposition that is never stranded, "etwa", "environ":
  ``_CONTINUING``, in English, German, French, Spanish, Italian, Portuguese and Dutch) is cut
  however short ("Als Faustregel gilt etwa"). A closing formula and its sender (at most 5 words, a
  comma, at most 3: "Avec toute notre affection, tes collègues") is a sign-off, not a cut. A
  last line that is a list item, a table row, a heading, indented or fenced code, a paragraph of
  short lines (verse), or an answer that starts as JSON, is not prose.

A loop that runs to the end of an answer explains its length and its broken last sentence: that
side is read as looping, not also as runaway or cut off (one cause, one finding).

Direction: the other side degenerate where the baseline is not is a ``regression`` (``major``;
``critical`` for ``degenerate.empty``), the reverse an ``improvement`` (``minor``), both or neither
``same``. A degenerate answer is never excused by a healthy primary: the noise floor only sets
aside findings the replica shares. ``baseline``/``candidate`` say whether each side shows it;
``size`` is how bad the other side is: the share of the answer in the loop or in the echo, the
ratio of lengths, 1.0 or 0.0 for empty and cutoff.
"""

from __future__ import annotations

import functools
import json
import re
import unicodedata
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from typing import Any, NamedTuple

from modelswap.compare.checks.base import Comparator
from modelswap.compare.checks.truncation import is_truncated
from modelswap.compare.model import Finding, Outcome, Severity, Status
from modelswap.types import ChatRequest

_CJK = "\u3040-\u30ff\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff\uff66-\uff9f"
_TOKEN = re.compile(rf"[{_CJK}]|[^\W_{_CJK}]+")
_ECHO_TOKEN = re.compile(rf"[{_CJK}]|[^\W_{_CJK}]+|[^\w\s]|_")
_CJK_CHAR = re.compile(rf"[{_CJK}]")
_MARKER = re.compile(r"^\s*(?:[-*+•>]|\d{1,3}[.)])\s+")
_FENCE = re.compile(r"^\s*(?:```|~~~)")
_ITEM = re.compile(r"^\s*(?:[-*+•]|\d{1,3}[.)])\s")
_SENTENCE_END = re.compile(r"(?<=[.!?…:])\s+|(?<=[。！？：])")
_SPACES = re.compile(r"\s+")
_LINK = re.compile(r"://|^www\.|\w@\w|^[~.]?/\w")
_BOUNDARY = re.compile(r"[.!?。！？\n]")
_CLOSERS = " \t\"'`*_~)]»›“”‘’」』）】\ufe0f\u200d"
_FINAL = ".!?。！？…‥｡"

MAX_TOKEN_PERIOD = 32
MAX_LINE_PERIOD = 4
MIN_REPEATS = 5
MIN_LOOP_CHARS = 30
MIN_LOOP_SHARE = 0.5
MIN_TAIL_REPEATS = 8
MIN_SYMBOL_REPEATS = 16
RECURRING_N = 4
MIN_RECURRING_GRAMS = 24
MIN_RECURRING_SHARE = 0.4
MIN_ECHO_WORDS = 4.0
MIN_ECHO_COVERAGE = 0.8
LONG_ECHO_WORDS = 30.0
MIN_ECHO_SHARE = 0.5
RUNAWAY_RATIO = 4.0
RUNAWAY_EXTRA_CHARS = 400
CUTOFF_WORDS = 6.0
_KANA = re.compile(r"[\u3040-\u30ff]")
_JA_CONTINUING = ("を", "に", "が", "は", "へ", "や", "て", "いで", "んで", "から", "ので", "けれど")
ALONE_CUTOFF_WORDS = 9.0
CONTINUING_MIN_WORDS = 3.0
SIGN_OFF_HEAD_WORDS = 5.0
SIGN_OFF_TAIL_WORDS = 3.0
# Words after which a sentence always goes on, in the languages whose sentences do not end on
# them: articles, possessive determiners, conjunctions, prepositions that are never stranded,
# words of approximation. Words that can close a sentence somewhere are left out on purpose,
# including every word that is a common word of another of these languages: English "in",
# "on", "for", "with", "to", "that", "do", "my", "an" ("Come in", "Oh my"), German "das", "du",
# "denn", "durch" and the separable prefixes "an", "auf", "mit", "zu" ("Ich rufe dich an"),
# French "car", "son", "ton", "mon", "par", "donc", "avec", Dutch "het", "van", Portuguese
# "mais", "da", "no", Italian "su", "uno", "che", "perché".
_CONTINUING = frozenset(" ".join((
    "the a of and or but than very approximately your our their its",
    "der die den dem des ein eine einen einem einer eines und oder aber sondern weil dass wenn als",
    "von für über unter zwischen gegen etwa circa ca mein meine dein deine unser unsere",
    "le la les l un une des de d au aux et ou que qu pour dans sur sous chez à environ",
    "ma ta sa mes tes ses notre votre nos vos ce cette ces",
    "el los las unos unas del al y pero porque para por con en sobre mi tu tus sus",
    "il lo gli di della dello delle degli e per tra alla allo",
    "uma mas com sem em nas ao aos",
    "een omdat",
)).split())
VERSE_LINE_CHARS = 60


@dataclass(frozen=True, kw_only=True, slots=True)
class Loop:
    """A repetition loop: the unit as first written, its back-to-back repeats, the share of the answer it covers."""

    unit: str
    repeats: int
    share: float
    at_end: bool


class _Piece(NamedTuple):  # a tuple: a long answer has thousands, and a tuple is the cheapest to build
    key: str
    start: int
    end: int


def is_empty(text: str) -> bool:
    """Whitespace only, or no letter or digit at all (a bare ``{}`` or ``[]`` is a JSON value)."""
    return not any(char.isalnum() for char in text) and text.strip() not in ("{}", "[]")


@functools.lru_cache(maxsize=256)  # the baseline is read once against the candidate and once against the replica
def repetition(text: str) -> Loop | None:
    """The loop of ``text`` (rule in the module docstring), or None."""
    if _is_json(text):
        return None
    size = len(text.strip())
    found = [loop for pieces, period, lines in ((_tokens(text), MAX_TOKEN_PERIOD, False),
                                                (_lines(text), MAX_LINE_PERIOD, True))
             for loop in _loops(text, pieces, period, size, lines=lines)]
    qualified = [loop for loop in found if _qualifies(loop, size)]
    best = max(qualified, key=lambda loop: loop.share, default=None)
    return best if best is not None else _recurring(text)


def _recurring(text: str) -> Loop | None:
    """The loop that is not back-to-back: repeated word n-grams making up ``MIN_RECURRING_SHARE`` of the prose."""
    pieces = [piece for piece in _tokens(_prose(text)) if piece.key]
    grams = [tuple(piece.key for piece in pieces[i:i + RECURRING_N]) for i in range(len(pieces) - RECURRING_N + 1)]
    if len(grams) < MIN_RECURRING_GRAMS:
        return None
    counts: dict[tuple[str, ...], int] = {}
    for gram in grams:
        counts[gram] = counts.get(gram, 0) + 1
    worded = {gram: n for gram, n in counts.items() if n > 1 and any(c.isalpha() for key in gram for c in key)}
    share = round(sum(n - 1 for n in worded.values()) / len(grams), 3)
    if share < MIN_RECURRING_SHARE:
        return None
    unit = max(worded, key=lambda gram: (worded[gram], -grams.index(gram)))
    return Loop(unit=" ".join(unit), repeats=worded[unit], share=share, at_end=counts[grams[-1]] > 1)


def _prose(text: str) -> str:
    """``text`` without fenced code blocks and table rows (code and tables repeat by nature)."""
    kept, fenced = [], False
    for line in text.splitlines():
        if _FENCE.match(line):
            fenced = not fenced
        elif not fenced and not line.lstrip().startswith("|"):
            kept.append(line)
    return "\n".join(kept)


def echo_share(answer: str, prompt: str | Sequence[str]) -> float:
    """The share (0-1) of ``answer``'s characters that copy ``prompt`` back, or any of several prompt texts (a
    system prompt and a user message copied one after the other add up; rule in the module docstring)."""
    return _echo_share(answer, (prompt,) if isinstance(prompt, str) else tuple(prompt))


@functools.lru_cache(maxsize=256)
def _echo_share(answer: str, prompts: tuple[str, ...]) -> float:
    size = len(answer.strip())
    if not size or _is_json(answer):
        return 0.0
    pieces = _tokens(answer, _ECHO_TOKEN)
    spans: set[int] = set()
    for text in prompts:
        target, question, top = _prompt_tokens(text)
        if not target:
            continue
        for copy, at in _copies(pieces, target):
            if _is_echo(copy, at, target, question, top):
                spans.update(range(copy[0].start, copy[-1].end))
    return round(min(1.0, len(spans) / size), 3)


@functools.lru_cache(maxsize=256)
def ends_mid_sentence(text: str) -> bool:
    """Whether ``text`` visibly stops inside a prose sentence (rule in the module docstring)."""
    paragraph = _last_prose_paragraph(text)
    if paragraph is None:
        return False
    tail = paragraph.rstrip(_CLOSERS)
    if not tail or tail[-1] in _FINAL or tail[-1] in ":：" or unicodedata.category(tail[-1]) == "So":
        return False
    sentences = _SENTENCE_END.split(tail)
    words = sentences[-1].split()
    if not words or _LINK.search(words[-1]):
        return False
    alone = len(sentences) == 1 and len(text.strip().splitlines()) == 1
    if not alone and _KANA.search(tail) and tail.endswith(_JA_CONTINUING):
        return True  # a Japanese sentence never ends on a case particle or a te-form: "…お湯を注いで"
    last = sentences[-1]
    if _continuing(words[-1]) and _words(last) >= CONTINUING_MIN_WORDS:
        return True  # "Als Faustregel gilt etwa", "Profite bien de ton temps libre pour"
    if _is_sign_off(last):
        return False
    return _words(last) >= (ALONE_CUTOFF_WORDS if alone else CUTOFF_WORDS)


def _continuing(word: str) -> bool:
    """Whether ``word`` (the last of a sentence) is one a sentence never ends on (``_CONTINUING``)."""
    folded = unicodedata.normalize("NFKC", word).casefold().strip(_CLOSERS + ",;-–—")
    return folded.split("'")[-1] in _CONTINUING or folded.split("’")[-1] in _CONTINUING


def _is_sign_off(sentence: str) -> bool:
    """A closing formula and who sends it: "Avec toute notre affection, tes collègues", "Best wishes, the team"."""
    head, comma, tail = sentence.rpartition(",")
    return bool(comma) and 0 < _words(head) <= SIGN_OFF_HEAD_WORDS and 0 < _words(tail) <= SIGN_OFF_TAIL_WORDS


def runaway(text: str, reference: str) -> bool:
    """Whether ``text`` runs far longer than a non-empty ``reference`` (module docstring)."""
    size, base = len(text.strip()), len(reference.strip())
    return not is_empty(reference) and size >= RUNAWAY_RATIO * base and size - base >= RUNAWAY_EXTRA_CHARS


# --- repetition ---------------------------------------------------------------------------------

def _tokens(text: str, pattern: re.Pattern[str] = _TOKEN) -> list[_Piece]:
    if text.isascii():  # NFKC leaves ASCII as it is, and casefold is lower
        lowered, pieces, make = text.lower(), [], tuple.__new__  # the tuple built directly: thousands per answer
        for match in pattern.finditer(text):
            start, end = match.span()
            pieces.append(make(_Piece, (lowered[start:end], start, end)))
        return pieces
    return [_Piece(unicodedata.normalize("NFKC", match.group()).casefold(), match.start(), match.end())
            for match in pattern.finditer(text)]


def _lines(text: str) -> list[_Piece]:
    pieces, offset = [], 0
    for line in text.splitlines(keepends=True):
        normal = unicodedata.normalize("NFKC", line)
        key = _SPACES.sub(" ", _MARKER.sub("", normal)).strip().casefold() or normal.strip()  # a bare "-" stays
        if key:
            pieces.append(_Piece(key=key, start=offset, end=offset + len(line.rstrip())))
        offset += len(line)
    return pieces


def _loops(text: str, pieces: list[_Piece], max_period: int, size: int, *, lines: bool) -> Iterator[Loop]:
    for start, period, covered in _longest_runs([piece.key for piece in pieces], max_period):
        unit = pieces[start:start + period]
        chars = [char for piece in unit for char in piece.key]
        if not any(char.isalpha() for char in chars) and not (
                lines and not any(char.isdigit() for char in chars) and covered // period >= MIN_SYMBOL_REPEATS):
            continue
        last = start + covered - 1
        yield Loop(unit=_unit_text(text, pieces, start, period), repeats=covered // period,
                   share=round((pieces[last].end - pieces[start].start) / size, 3),
                   at_end=last >= len(pieces) - period - 1)


def _unit_text(text: str, pieces: list[_Piece], start: int, period: int) -> str:
    """The unit as written, starting where a sentence or line starts when one does ("は体に" → "緑茶は体に")."""
    for shift in range(period):
        index = start + shift
        if index > 0 and _BOUNDARY.search(text, pieces[index - 1].end, pieces[index].start):
            start = index
            break
    return text[pieces[start].start:pieces[start + period - 1].end]


def _longest_runs(keys: Sequence[str], max_period: int) -> Iterator[tuple[int, int, int]]:
    """Per period, the longest stretch where each item equals the one a period before: (start, period, covered)."""
    for period in range(1, min(max_period, len(keys) // 2) + 1):
        best, best_end, run = 0, 0, 0
        for index in range(period, len(keys)):
            run = run + 1 if keys[index] == keys[index - period] else 0
            if run > best:
                best, best_end = run, index
        if best >= period:
            yield best_end - best - period + 1, period, best + period


def _qualifies(loop: Loop, size: int) -> bool:
    if loop.repeats < MIN_REPEATS or loop.share * size < MIN_LOOP_CHARS:
        return False
    return loop.share >= MIN_LOOP_SHARE or (loop.at_end and loop.repeats >= MIN_TAIL_REPEATS)


def _is_json(text: str) -> bool:
    body = text.strip()
    if body.startswith("```"):
        body = body.partition("\n")[2].rstrip().removesuffix("```")
    if not body.lstrip().startswith(("{", "[")):
        return False
    try:
        json.loads(body)
    except ValueError:
        return False
    return True


# --- echo ---------------------------------------------------------------------------------------

def _copies(answer: list[_Piece], target: list[_Piece]) -> Iterator[tuple[list[_Piece], int]]:
    """Greedy left-to-right longest verbatim copies of ``target`` in ``answer``: (answer pieces, target start)."""
    keys = [piece.key for piece in target]
    starts: dict[tuple[str, str], list[int]] = {}
    for at in range(len(keys) - 1):
        starts.setdefault((keys[at], keys[at + 1]), []).append(at)
    index = 0
    while index < len(answer) - 1:
        length, where = 0, 0
        for at in starts.get((answer[index].key, answer[index + 1].key), ()):
            run = _match(answer, index, keys, at)
            if run > length:
                length, where = run, at
            if length == len(answer) - index:
                break
        if length:
            yield answer[index:index + length], where
        index += max(length, 1)


def _match(answer: list[_Piece], index: int, keys: list[str], at: int) -> int:
    run = 0
    while index + run < len(answer) and at + run < len(keys) and answer[index + run].key == keys[at + run]:
        run += 1
    return run


def _is_echo(pieces: list[_Piece], at: int, target: list[_Piece], question: tuple[int, int], top: int) -> bool:
    weight = _weight(pieces)
    if weight < MIN_ECHO_WORDS:
        return False
    end = at + len(pieces)
    for low, high in ((0, len(target)), question):
        if high > low and min(end, high) - max(at, low) >= MIN_ECHO_COVERAGE * (high - low):
            return True
    inner_stops = sum(1 for piece in pieces[:-1] if piece.key in _FINAL)
    return weight >= LONG_ECHO_WORDS and inner_stops >= 1 and at <= top


@functools.lru_cache(maxsize=64)  # one request's prompts are read for every side compared
def _prompt_tokens(prompt: str) -> tuple[list[_Piece], tuple[int, int], int]:
    """A prompt's tokens, its last question's token range and where its top ends."""
    target = _tokens(prompt, _ECHO_TOKEN)
    if not target:
        return target, (0, 0), 0
    return target, _question_range(prompt, target), _top(prompt, target)


def _top(prompt: str, target: list[_Piece]) -> int:
    """Where the top of the message ends: its first tenth, or its second line under a one-line instruction."""
    first_break = prompt.find("\n", target[0].start) if target else -1
    if first_break < 0:
        return len(target) // 10
    second_line = next((index for index, piece in enumerate(target) if piece.start > first_break), len(target))
    return max(len(target) // 10, second_line)


def _question_range(prompt: str, target: list[_Piece]) -> tuple[int, int]:
    """The token range of the prompt's last question (``(0, 0)`` when it asks none)."""
    end = max(prompt.rfind("?"), prompt.rfind("？")) + 1
    if not end:
        return 0, 0
    start = max(prompt.rfind(stop, 0, end - 1) for stop in ".!?。！？\n") + 1
    inside = [index for index, piece in enumerate(target) if start <= piece.start and piece.end <= end]
    return (inside[0], inside[-1] + 1) if inside else (0, 0)


def _weight(pieces: list[_Piece]) -> float:
    """Words: a Japanese or Chinese character counts half, punctuation nothing."""
    return sum(0.5 if _CJK_CHAR.fullmatch(piece.key) else 1.0 for piece in pieces if piece.key.isalnum())


# --- cutoff -------------------------------------------------------------------------------------

def _last_prose_paragraph(text: str) -> str | None:
    """The trailing prose lines of the last paragraph, or None when the answer ends in something else (verse too)."""
    if text.lstrip().startswith(("{", "[")):
        return None
    lines = text.rstrip().splitlines()
    if not lines or sum(1 for line in lines if _FENCE.match(line)) % 2 or _FENCE.match(lines[-1]):
        return None
    prose: list[str] = []
    for line in reversed(lines):
        if not line.strip() or not _is_prose(line):
            break
        prose.insert(0, line.strip())
    if not prose or prose[-1] != lines[-1].strip() or _is_verse(prose):
        return None
    return " ".join(prose)


def _is_verse(lines: list[str]) -> bool:
    """Short lines that mostly end without a full stop: a poem, a song, a haiku."""
    if len(lines) < 2 or any(len(line) > VERSE_LINE_CHARS for line in lines):
        return False
    open_ends = sum(1 for line in lines[:-1] if line.rstrip(_CLOSERS)[-1:] not in _FINAL)
    return 2 * open_ends >= len(lines) - 1


def _is_prose(line: str) -> bool:
    stripped = line.strip()
    return not (_ITEM.match(line) or line.startswith(("    ", "\t")) or stripped.startswith(("|", "#", "{", "[", "<"))
                or stripped.endswith(("|", "{", ";")))


def _words(sentence: str) -> float:
    """Whitespace-separated words with a letter or digit (a URL is one); a Japanese or Chinese character counts half."""
    total = 0.0
    for chunk in sentence.split():
        cjk = len(_CJK_CHAR.findall(chunk))
        rest = _CJK_CHAR.sub("", chunk)
        total += 0.5 * cjk + (1.0 if any(char.isalnum() for char in rest) else 0.0)
    return total


# --- the comparator -----------------------------------------------------------------------------

@dataclass(frozen=True, kw_only=True, slots=True)
class _Reading:
    """One check read on both sides: what each side shows (None: nothing), the other side's size."""

    check: str
    noun: str
    base_seen: str | None
    other_seen: str | None
    size: float
    details: dict[str, Any]


class DegenerateComparator(Comparator):
    """Whether the other side degenerates (empty, loop, echo, runaway, cut mid-sentence) where the baseline does not."""

    name = "degenerate"
    version = 2  # 2: a loop may recur rather than repeat back to back (repeated word 4-grams)

    def compare(self, request: ChatRequest, baseline: Outcome, other: Outcome) -> list[Finding]:
        if not (baseline.ok and other.ok):
            return []
        base, text = baseline.text, other.text
        base_loop, loop = repetition(base), repetition(text)
        looping = (base_loop is not None and base_loop.at_end, loop is not None and loop.at_end)
        # a side stopped by its token limit is cut off by that limit: the ``truncated`` check judges it
        limited = (looping[0] or is_truncated(baseline), looping[1] or is_truncated(other))
        readings = [_empty(base, text), _repetition(base_loop, loop), _echo(base, text, request.prompt_texts()),
                    _length(base, text, looping), _cutoff(base, text, limited)]
        return [self._finding(reading) for reading in readings]

    def _finding(self, reading: _Reading) -> Finding:
        kind = reading.check.removeprefix("degenerate.")
        base, other = reading.base_seen is not None, reading.other_seen is not None
        status: Status = "same"
        severity: Severity = "info"
        reason = f"both sides show it: {reading.other_seen}" if other else f"neither side shows {reading.noun}"
        if other and not base:
            status, severity = "regression", "critical" if kind == "empty" else "major"
            reason = str(reading.other_seen)
        elif base and not other:
            status, severity = "improvement", "minor"
            reason = f"the baseline shows {reading.base_seen}; this side does not"
        return Finding(check=reading.check, version=self.version, status=status, severity=severity, baseline=base,
                       candidate=other, reason=reason, behaviour=f"degenerate:{kind}" if other else None,
                       baseline_behaviour=f"degenerate:{kind}" if base else None, size=reading.size,
                       details=reading.details)


def _empty(base: str, text: str) -> _Reading:
    def seen(answer: str) -> str | None:
        if not is_empty(answer):
            return None
        return f"an empty answer ({_quote(answer)}: no letter or digit)" if answer.strip() else "an empty answer"

    return _Reading(check="degenerate.empty", noun="an empty answer", base_seen=seen(base), other_seen=seen(text),
                    size=1.0 if is_empty(text) else 0.0,
                    details={"baseline_chars": len(base), "candidate_chars": len(text)})


def _repetition(base_loop: Loop | None, loop: Loop | None) -> _Reading:
    def seen(found: Loop | None) -> str | None:
        return None if found is None else (f"a repetition loop: {_quote(found.unit)} repeated {found.repeats} times "
                                           f"({found.share:.0%} of the answer)")

    return _Reading(check="degenerate.repetition", noun="a repetition loop", base_seen=seen(base_loop),
                    other_seen=seen(loop), size=loop.share if loop else 0.0,
                    details={"baseline_share": base_loop.share if base_loop else 0.0,
                             "candidate_share": loop.share if loop else 0.0,
                             "baseline_repeats": base_loop.repeats if base_loop else 0,
                             "candidate_repeats": loop.repeats if loop else 0})


def _echo(base: str, text: str, prompts: Sequence[str]) -> _Reading:
    def seen(share: float) -> str | None:
        return f"the prompt echoed back ({share:.0%} of the answer)" if share >= MIN_ECHO_SHARE else None

    base_share, share = echo_share(base, prompts), echo_share(text, prompts)
    return _Reading(check="degenerate.echo", noun="an echoed prompt", base_seen=seen(base_share),
                    other_seen=seen(share), size=share,
                    details={"baseline_share": base_share, "candidate_share": share})


def _length(base: str, text: str, looping: tuple[bool, bool]) -> _Reading:
    base_chars, chars = len(base.strip()), len(text.strip())
    ratio = round(chars / max(base_chars, 1), 2)
    other_seen = f"a runaway length: {chars} characters, {ratio:g}x the baseline's {base_chars}"
    base_seen = f"a runaway length: {base_chars} characters against {chars} here"
    return _Reading(check="degenerate.length", noun="a runaway length",
                    base_seen=base_seen if runaway(base, text) and not looping[0] else None,
                    other_seen=other_seen if runaway(text, base) and not looping[1] else None, size=ratio,
                    details={"baseline_chars": base_chars, "candidate_chars": chars, "ratio": ratio})


def _cutoff(base: str, text: str, looping: tuple[bool, bool]) -> _Reading:
    def seen(answer: str, loops: bool) -> str | None:
        cut = ends_mid_sentence(answer) and not loops
        return f"a stop mid-sentence: {_quote(_ending(answer))}" if cut else None

    other_seen = seen(text, looping[1])
    return _Reading(check="degenerate.cutoff", noun="a stop mid-sentence", base_seen=seen(base, looping[0]),
                    other_seen=other_seen, size=0.0 if other_seen is None else 1.0, details={})


def _quote(text: str, limit: int = 40) -> str:
    flat = _SPACES.sub(" ", text).strip()
    return repr(flat if len(flat) <= limit else flat[: limit - 1] + "…")


def _ending(text: str, limit: int = 40) -> str:
    flat = _SPACES.sub(" ", text).strip()
    return flat if len(flat) <= limit else "…" + flat[1 - limit:]

