"""Does the other side still say what the baseline said? Lexical and semantic similarity.

What it is: ``MeaningComparator`` with two checks. A semantic finding's ``size`` is how far the
meaning moved (1 - the lower of cosine and coverage), so a replica's paraphrase does not excuse a
candidate's off-topic answer.

- ``similarity.lexical``: rapidfuzz's normalised Indel similarity of the two outputs
  (character level, so it works without word boundaries in Japanese or Chinese), value a
  float in 0..1 (the baseline's value is 1.0: itself), details ``token_set_ratio`` (0..1).
  Informational: always ``same``/``info``, since a faithful paraphrase shares few
  characters with its original; the summary aggregates it.
- ``similarity.semantic``: value the cosine similarity of the two outputs' embeddings
  (``modelswap.compare.embedding``; the baseline's value is 1.0), details ``coverage``: how
  much of the baseline's content the other keeps. Each baseline segment (sentence, or line)
  is matched to its most similar segment of the other side (or the other side whole);
  coverage is the length-weighted 30th percentile of those best matches, so one dropped
  pleasantry does not count but a missing third of the answer does. Whole-text cosine alone cannot see truncation: the
  first half of an answer is as close to the whole as a paraphrase is.

What it is not: a judge of which answer is better, nor a check of JSON or labels (those
have their own checks; the semantic check does not apply when ``expect.format`` is
``json`` or ``label``). Errored sides are left to the ``error`` check.

Status of ``similarity.semantic`` (``judge``), with the thresholds of the embedding model in
use: cosine below ``offtopic_below`` → ``regression`` major (another subject); cosine below
``changed_below``, or coverage below ``coverage_below``, or the other is much shorter
(``shorter_ratio_below`` of the baseline's size) with coverage below ``shorter_coverage_below``
→ ``regression`` minor (part of the content is gone or different: truncated, incomplete, or
another answer); otherwise ``same``. An empty output against a non-empty baseline is a major
regression (the reverse an improvement).

How the thresholds were chosen (``THRESHOLDS``): a labelled set of 26 baseline answers
(10 English, 10 Japanese, 6 French, 3-5 sentences each: support replies, code, facts,
advice), each paired with a faithful paraphrase (and again with a pleasantry appended to
the baseline) as *same*, and as *not same* with an off-topic answer from the same domain,
an unrelated answer, and the baseline's own first 35 % and 50 % (truncated): 156 pairs.
Per model and language: AUC and best threshold of ``coverage`` alone, of whole-text cosine
alone, and the accuracy of the full rule with the thresholds below:

| model                 | lang   | coverage AUC | its best t, acc | cosine AUC | rule acc |
| --------------------- | ------ | ------------ | --------------- | ---------- | -------- |
| multilingual-e5-small | en     | 0.993        | 0.878, 0.967    | 0.824      | 0.950    |
|                       | ja     | 0.994        | 0.909, 0.967    | 0.670      | 1.000    |
|                       | fr     | 0.979        | 0.905, 0.944    | 0.760      | 1.000    |
|                       | pooled | 0.982        | 0.907, 0.936    | 0.754      | 0.981    |
| all-MiniLM-L6-v2      | en     | 0.958        | 0.555, 0.950    | 0.806      | 0.967    |
|                       | ja     | 0.927        | 0.684, 0.917    | 0.571      | 0.800    |
|                       | fr     | 0.882        | 0.504, 0.889    | 0.604      | 0.833    |
|                       | pooled | 0.875        | 0.654, 0.833    | 0.685      | 0.872    |

multilingual-e5-small is the default: one threshold holds in every language measured,
while MiniLM's moves from 0.50 (French) to 0.68 (Japanese). E5 compresses cosines into
0.75-1.0: unrelated answers scored 0.76-0.86 (all major), same-domain off-topic answers
0.83-0.92, paraphrases 0.90-0.98, truncated halves 0.92-0.98 (hence coverage). Two limits
measured on the side: 15 of 16 independently written *valid* answers to the same questions
came out ``regression`` minor (a different answer is a different answer: the replica's
noise floor, measured by this same code, is what the gate subtracts), and one-line answers
("Paris." / "Berlin.") are not told apart reliably (labels and fields have their own checks).
Throughput on 2 busy cores, answers of ~170 characters: see ``modelswap.compare.embedding``.

When no embedding package is installed the semantic check is skipped: ``available()`` is
False, and the first trial compared carries one ``same``/``info`` finding whose reason says
"semantic similarity unavailable: install modelswap[semantic]" (later trials carry none, so
rates are not diluted). A model that fails to load is reported the same way, once.
"""

from __future__ import annotations

import logging
import re
import unicodedata
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Literal

import numpy as np
from rapidfuzz import fuzz
from rapidfuzz.distance import Indel

from modelswap.compare.checks.base import Comparator
from modelswap.compare.embedding import E5_NAME, MINILM_NAME, Embedder, Vectors, default_embedder
from modelswap.compare.model import Finding, Outcome, Severity, Status
from modelswap.types import ChatRequest

logger = logging.getLogger(__name__)

UNAVAILABLE = "semantic similarity unavailable: install modelswap[semantic]"
COVERAGE_QUANTILE = 0.3   # share of the baseline (by length) allowed to go unmatched before coverage drops
MIN_SEGMENT_SIZE = 20     # fragments smaller than this (CJK characters count 3) join their neighbour
MAX_SEGMENTS = 32         # longer texts have adjacent segments merged, bounding the embedding work
SKIP_FORMATS = frozenset({"json", "label"})

_SEGMENT_END = re.compile(r"(?<=[.!?])\s+|(?<=[。！？])|\n+")
_SPACES = re.compile(r"\s+")


@dataclass(frozen=True, kw_only=True, slots=True)
class SemanticThresholds:
    """Where an embedding model's similarities stop meaning "the same answer" (see the module docstring)."""

    offtopic_below: float          # cosine under this: another subject (major)
    changed_below: float           # cosine under this: a different answer (minor)
    coverage_below: float          # coverage under this: content missing (minor)
    shorter_ratio_below: float     # other/baseline size under this, with ...
    shorter_coverage_below: float  # ... coverage under this: shorter and incomplete, e.g. truncated (minor)


THRESHOLDS: dict[str, SemanticThresholds] = {
    E5_NAME: SemanticThresholds(offtopic_below=0.86, changed_below=0.90, coverage_below=0.90,
                                shorter_ratio_below=0.7, shorter_coverage_below=0.93),
    MINILM_NAME: SemanticThresholds(offtopic_below=0.45, changed_below=0.50, coverage_below=0.55,
                                    shorter_ratio_below=0.7, shorter_coverage_below=0.65),
}


def _size(text: str) -> int:
    """Length in Latin-letter equivalents: a CJK or Hangul character carries about three letters' meaning."""
    if text.isascii():  # no wide character: one per visible character
        return len(text) - sum(map(text.count, " \t\n\r\x0b\x0c\x1c\x1d\x1e\x1f"))
    return sum(3 if char.isalnum() and unicodedata.east_asian_width(char) in "WF" else 1
               for char in text if not char.isspace())


def segments(text: str) -> list[str]:
    """``text`` cut at sentence ends and line breaks, tiny fragments merged, at most ``MAX_SEGMENTS``."""
    merged: list[str] = []
    for part in (piece.strip() for piece in _SEGMENT_END.split(text)):
        if not part:
            continue
        if merged and (_size(part) < MIN_SEGMENT_SIZE or _size(merged[-1]) < MIN_SEGMENT_SIZE):
            merged[-1] = f"{merged[-1]} {part}"
        else:
            merged.append(part)
    while len(merged) > MAX_SEGMENTS:
        merged = [" ".join(merged[i:i + 2]) for i in range(0, len(merged), 2)]
    return merged or [text]


def weighted_quantile(values: Sequence[float], weights: Sequence[float], quantile: float) -> float:
    """The smallest value such that at least ``quantile`` of the total weight is at or below it."""
    order = np.argsort(values)
    sorted_values = np.asarray(values, dtype=np.float64)[order]
    cumulative = np.cumsum(np.asarray(weights, dtype=np.float64)[order])
    index = int(np.searchsorted(cumulative, quantile * cumulative[-1]))
    return float(sorted_values[min(index, len(sorted_values) - 1)])


def coverage(baseline_segments: Vectors, other_segments: Vectors, other_whole: Vectors,
             weights: Sequence[float]) -> float:
    """How much of the baseline the other keeps: see the module docstring."""
    best = np.maximum((baseline_segments @ other_segments.T).max(axis=1), baseline_segments @ other_whole)
    return weighted_quantile(best.tolist(), weights, COVERAGE_QUANTILE)


def judge(cosine: float, kept: float, size_ratio: float, limits: SemanticThresholds) -> tuple[Status, Severity, str]:
    """Status, severity and reason of ``similarity.semantic`` from its three measurements."""
    if cosine < limits.offtopic_below:
        return "regression", "major", f"off-topic: semantic similarity {cosine:.2f} < {limits.offtopic_below}"
    if cosine < limits.changed_below:
        return "regression", "minor", f"a different answer: semantic similarity {cosine:.2f} < {limits.changed_below}"
    if kept < limits.coverage_below:
        return ("regression", "minor",
                f"part of the baseline's content is missing: coverage {kept:.2f} < {limits.coverage_below}")
    if size_ratio < limits.shorter_ratio_below and kept < limits.shorter_coverage_below:
        return ("regression", "minor", f"shorter ({size_ratio:.0%} of the baseline) and incomplete (truncated?): "
                f"coverage {kept:.2f} < {limits.shorter_coverage_below}")
    return "same", "info", f"same meaning: semantic similarity {cosine:.2f}, coverage {kept:.2f}"


def lexical_similarity(baseline: str, other: str) -> tuple[float, float]:
    """(normalised Indel similarity, token-set ratio), both 0..1, on whitespace-normalised text."""
    a, b = _SPACES.sub(" ", baseline).strip(), _SPACES.sub(" ", other).strip()
    return float(Indel.normalized_similarity(a, b)), float(fuzz.token_set_ratio(a, b)) / 100.0


class MeaningComparator(Comparator):
    """``similarity.lexical`` and ``similarity.semantic`` (see the module docstring).

    ``embedder`` is ``"default"`` (the measured default model if its package is installed),
    an ``Embedder``, or None (semantic check unavailable). ``thresholds`` default to the
    measured ones of the embedder's model; an embedder of another name needs them given.
    """

    name = "meaning"
    version = 1

    def __init__(self, embedder: Embedder | Literal["default"] | None = "default", *,
                 thresholds: SemanticThresholds | None = None) -> None:
        self.embedder: Embedder | None = default_embedder() if embedder == "default" else embedder
        if self.embedder is not None and thresholds is None:
            if self.embedder.name not in THRESHOLDS:
                raise ValueError(f"embedder {self.embedder.name!r}: no measured thresholds; pass thresholds=")
            thresholds = THRESHOLDS[self.embedder.name]
        self.thresholds = thresholds
        self._skip_reason: str | None = None if self.embedder is not None else UNAVAILABLE
        self._skip_said = False
        self._prepared: dict[str, Vectors] = {}  # the vectors of the batch ``prepare`` saw last, by text

    def available(self) -> bool:
        """Whether ``similarity.semantic`` can be computed (an embedder is installed and loaded)."""
        return self._skip_reason is None

    def prepare(self, pairs: list[tuple[ChatRequest, Outcome, Outcome]]) -> None:
        """The embedding pre-pass of a batch: every distinct text (whole and by segment) of ``pairs``, at once.

        Texts are looked up in the embedder's caches (memory, then the vector store) and the rest
        encoded in batches; the vectors are kept for this batch's ``compare`` calls (a text that
        ``prepare`` did not see is embedded when compared). Call it once per batch of trials,
        with every (request, baseline, other) pair the batch will compare, before comparing them.
        """
        texts: dict[str, None] = {}
        for request, baseline, other in pairs:
            if self._semantic_applies(request, baseline, other):
                for text in (baseline.text.strip(), other.text.strip()):
                    if text:
                        texts.update(dict.fromkeys([text, *segments(text)]))
        self._prepared = {}
        vectors = self._embed(list(texts)) if texts else None
        if vectors is not None:
            self._prepared = dict(zip(texts, vectors, strict=True))

    def compare(self, request: ChatRequest, baseline: Outcome, other: Outcome) -> list[Finding]:
        if not (baseline.ok and other.ok):
            return []
        findings = [self._lexical(baseline.text, other.text)]
        if self._semantic_applies(request, baseline, other):
            semantic = self._semantic(baseline.text.strip(), other.text.strip())
            if semantic is not None:
                findings.append(semantic)
        return findings

    def _semantic_applies(self, request: ChatRequest, baseline: Outcome, other: Outcome) -> bool:
        return baseline.ok and other.ok and request.expect.get("format") not in SKIP_FORMATS

    def _lexical(self, baseline: str, other: str) -> Finding:
        indel, token_set = lexical_similarity(baseline, other)
        return Finding(check="similarity.lexical", version=self.version, status="same", severity="info",
                       baseline=1.0, candidate=round(indel, 3), reason=f"lexical similarity {indel:.2f}",
                       details={"token_set_ratio": round(token_set, 3)})

    def _embed(self, texts: list[str]) -> Vectors | None:
        if self.embedder is None or self._skip_reason is not None:
            return None
        if all(text in self._prepared for text in texts):
            return np.stack([self._prepared[text] for text in texts])
        try:
            return self.embedder.embed(texts)
        except (ImportError, OSError, RuntimeError, ValueError) as exc:  # a model that fails: say so once, go on
            logger.warning("embedding model %s failed: %s", self.embedder.name, exc)
            self._skip_reason = f"semantic similarity failed: {type(exc).__name__}: {exc}"
            return None

    def _semantic(self, baseline: str, other: str) -> Finding | None:
        if not baseline or not other:
            return self._empty(baseline, other)
        baseline_segments, other_segments = segments(baseline), segments(other)
        vectors = self._embed([baseline, other, *baseline_segments, *other_segments])
        if vectors is None or self.thresholds is None:
            return self._skipped()
        cosine = float(np.clip(vectors[0] @ vectors[1], -1.0, 1.0))
        split = 2 + len(baseline_segments)
        kept = coverage(vectors[2:split], vectors[split:], vectors[1], [_size(s) for s in baseline_segments])
        size_ratio = _size(other) / max(_size(baseline), 1)
        status, severity, reason = judge(cosine, kept, size_ratio, self.thresholds)
        return Finding(check="similarity.semantic", version=self.version, status=status, severity=severity,
                       baseline=1.0, candidate=round(cosine, 3), reason=reason, size=round(1.0 - min(cosine, kept), 3),
                       details={"coverage": round(kept, 3), "size_ratio": round(size_ratio, 3),
                                "model": self.embedder.name if self.embedder else None})

    def _empty(self, baseline: str, other: str) -> Finding:
        if not baseline and not other:
            return Finding(check="similarity.semantic", version=self.version, status="same", baseline=1.0,
                           candidate=1.0, reason="both outputs are empty")
        if not other:
            return Finding(check="similarity.semantic", version=self.version, status="regression", severity="major",
                           baseline=1.0, candidate=0.0, reason="the other output is empty")
        return Finding(check="similarity.semantic", version=self.version, status="improvement", baseline=1.0,
                       candidate=0.0, reason="the baseline is empty, the other answered")

    def _skipped(self) -> Finding | None:
        if self._skip_said:
            return None
        self._skip_said = True
        return Finding(check="similarity.semantic", version=self.version, status="same", severity="info",
                       reason=self._skip_reason or UNAVAILABLE, details={"skipped": True})
