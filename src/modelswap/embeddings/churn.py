"""Neighbour churn: how far two rankings of the same probe query moved, and how good each one is.

What it is: pure functions over rankings (lists of document ids, best first) and the per-query
row and per-group table the churn report is made of. Agreement between two rankings:

- ``overlap_at_k(a, b, k)``: |A ∩ B| / max(|A|, |B|), where A and B are the first k ids of
  each ranking. Dividing by the longer prefix rather than by k keeps an index that holds fewer
  than k documents at 1.0 when both rankings return all of them; two empty rankings agree (1.0).
- ``rbo(a, b, p, k)``: rank-biased overlap (Webber, Moffat and Zobel, 2010), extrapolated
  (their equation 32, which also covers rankings of different lengths): the weight of depth d is
  proportional to p^(d-1), so p = 0.9 puts 86% of the weight on the first 10 ranks. Identical
  rankings score 1.0, disjoint ones 0.0; two empty rankings 1.0, one empty 0.0.
- ``kendall_tau(a, b, k)``: Kendall's tau-a on the ids present in both top-k lists: over every
  pair of shared ids, (concordant - discordant) / pairs, a pair being concordant when both
  rankings put it in the same order. A ranking has no ties (positions are distinct), so tau-a
  equals tau-b here. Undefined (None) with fewer than two shared ids: it says how the documents
  both models found were reordered, never whether the same documents were found (overlap does).

Quality against relevance labels (``relevant``: document id -> grade, > 0 is relevant):

- ``recall_at_k``: relevant ids among the first k / all relevant ids;
- ``hit_at_k``: 1.0 when any of the first k ids is relevant (``R@1`` of single-answer Q/A);
- ``reciprocal_rank``: 1 / the rank of the first relevant id in the ranking (0 when none is);
  its mean over queries is the MRR. Only the depth searched counts (MRR@k);
- ``ndcg_at_k``: sum of grade / log2(rank + 1) over the first k ids, divided by the same sum for
  the ideal ordering of all the labelled grades (linear gain, as trec_eval's ``ndcg_cut``).

Each is None for a query without relevant ids (it is left out of means, never counted as 0).
A ranking holding one id twice is refused (``ValueError``): an index returns each document once.
What it is not: searching (``probes`` and the index backends produce the rankings), the noise
floor and the gate (``churn_gate``), threshold mapping (``thresholds``) or rendering.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field

Ranking = Sequence[str]
Relevance = Mapping[str, float]


def _distinct(ranking: Ranking, name: str) -> None:
    if len(set(ranking)) != len(ranking):
        twice = sorted({doc for doc in ranking if ranking.count(doc) > 1})
        raise ValueError(f"{name}: the ids {twice} appear more than once in one ranking")


def _prefix(ranking: Ranking, k: int | None, name: str) -> list[str]:
    if k is not None and k < 1:
        raise ValueError(f"k={k}: must be at least 1")
    _distinct(ranking, name)
    return list(ranking if k is None else ranking[:k])


def overlap_at_k(a: Ranking, b: Ranking, k: int) -> float:
    """|A ∩ B| / max(|A|, |B|) over the first k ids of each ranking; 1.0 when both are empty."""
    top_a, top_b = set(_prefix(a, k, "a")), set(_prefix(b, k, "b"))
    longer = max(len(top_a), len(top_b))
    return 1.0 if longer == 0 else len(top_a & top_b) / longer


def rbo(a: Ranking, b: Ranking, *, p: float = 0.9, k: int | None = None) -> float:
    """Extrapolated rank-biased overlap of the first k ids (all when k is None); see the module docstring."""
    if not 0 < p < 1:
        raise ValueError(f"p={p}: must be between 0 and 1 (exclusive)")
    top_a, top_b = _prefix(a, k, "a"), _prefix(b, k, "b")
    short, long_ = (top_a, top_b) if len(top_a) <= len(top_b) else (top_b, top_a)
    s, n = len(short), len(long_)
    if n == 0:
        return 1.0
    if s == 0:
        return 0.0
    overlaps = _prefix_overlaps(short, long_)  # overlaps[d - 1] = X_d for d = 1..n
    x_s, x_l = overlaps[s - 1], overlaps[n - 1]
    total = sum(overlaps[d - 1] / d * p**d for d in range(1, n + 1))
    total += sum(x_s * (d - s) / (s * d) * p**d for d in range(s + 1, n + 1))
    return (1 - p) / p * total + ((x_l - x_s) / n + x_s / s) * p**n


def _prefix_overlaps(short: list[str], long_: list[str]) -> list[int]:
    """X_d, the overlap of the two prefixes of depth d (the short ranking whole once d passes its end)."""
    seen_short: set[str] = set()
    seen_long: set[str] = set()
    overlap = 0
    out = []
    for d in range(len(long_)):
        if d < len(short):
            item = short[d]
            overlap += item in seen_long
            seen_short.add(item)
        item = long_[d]
        overlap += item in seen_short
        seen_long.add(item)
        out.append(overlap)
    return out


def kendall_tau(a: Ranking, b: Ranking, k: int | None = None) -> float | None:
    """Kendall's tau-a over the ids in both top-k lists; None with fewer than two of them."""
    top_a, top_b = _prefix(a, k, "a"), _prefix(b, k, "b")
    in_b = {doc: rank for rank, doc in enumerate(top_b)}
    shared = [in_b[doc] for doc in top_a if doc in in_b]  # b's positions, in a's order
    n = len(shared)
    if n < 2:
        return None
    concordant = sum(shared[i] < shared[j] for i in range(n) for j in range(i + 1, n))
    pairs = n * (n - 1) // 2
    return (2 * concordant - pairs) / pairs


def _relevant(relevant: Relevance) -> dict[str, float]:
    return {doc: float(grade) for doc, grade in relevant.items() if grade > 0}


def recall_at_k(ranking: Ranking, relevant: Relevance, k: int) -> float | None:
    """Relevant ids among the first k / all relevant ids; None without relevant ids."""
    wanted = _relevant(relevant)
    if not wanted:
        return None
    return sum(doc in wanted for doc in _prefix(ranking, k, "ranking")) / len(wanted)


def hit_at_k(ranking: Ranking, relevant: Relevance, k: int) -> float | None:
    """1.0 when any of the first k ids is relevant, else 0.0; None without relevant ids."""
    wanted = _relevant(relevant)
    if not wanted:
        return None
    return float(any(doc in wanted for doc in _prefix(ranking, k, "ranking")))


def reciprocal_rank(ranking: Ranking, relevant: Relevance) -> float | None:
    """1 / rank of the first relevant id (0.0 when none is in the ranking); None without relevant ids."""
    wanted = _relevant(relevant)
    if not wanted:
        return None
    for rank, doc in enumerate(_prefix(ranking, None, "ranking"), start=1):
        if doc in wanted:
            return 1.0 / rank
    return 0.0


def ndcg_at_k(ranking: Ranking, relevant: Relevance, k: int) -> float | None:
    """Normalised discounted cumulative gain at k, linear gain; None without relevant ids."""
    wanted = _relevant(relevant)
    if not wanted:
        return None
    dcg = sum(wanted.get(doc, 0.0) / math.log2(rank + 1) for rank, doc in enumerate(_prefix(ranking, k, "ranking"), 1))
    ideal = sorted(wanted.values(), reverse=True)[:k]
    return dcg / sum(grade / math.log2(rank + 1) for rank, grade in enumerate(ideal, 1))


@dataclass(frozen=True, kw_only=True)
class Quality:
    """One ranking of one query against its labels (every figure None without labels)."""

    recall: float | None
    hit1: float | None
    rr: float | None
    ndcg: float | None

    @classmethod
    def of(cls, ranking: Ranking, relevant: Relevance, k: int) -> Quality:
        return cls(recall=recall_at_k(ranking, relevant, k), hit1=hit_at_k(ranking, relevant, 1),
                   rr=reciprocal_rank(ranking[:k], relevant), ndcg=ndcg_at_k(ranking, relevant, k))


@dataclass(frozen=True, kw_only=True)
class QueryChurn:
    """One probe query: old against new, old against its noise run, and both sides' quality."""

    id: str
    text: str
    lang: str
    segment: str
    old: tuple[str, ...]
    new: tuple[str, ...]
    overlap: float
    rbo: float
    tau: float | None
    noise_overlap: float | None  # old against the old model's noise run (index rebuilt, settings varied)
    noise_rbo: float | None
    old_quality: Quality
    new_quality: Quality
    noise_quality: Quality | None

    @property
    def beyond_noise(self) -> bool:
        """Whether old and new share fewer top-k ids than old shares with its own noise run (all without one).

        A pure reordering of the same neighbours is not a change here; RBO and tau show it."""
        return self.overlap < (1.0 if self.noise_overlap is None else self.noise_overlap)


def query_churn(*, id: str, text: str, old: Ranking, new: Ranking, noise: Ranking | None = None,
                relevant: Relevance | None = None, lang: str = "", segment: str = "", k: int = 10,
                p: float = 0.9) -> QueryChurn:
    """Every figure of one query at depth k (rankings longer than k are cut to k)."""
    labels = relevant or {}
    old_k, new_k = tuple(_prefix(old, k, "old")), tuple(_prefix(new, k, "new"))
    noise_k = None if noise is None else tuple(_prefix(noise, k, "noise"))
    return QueryChurn(
        id=id, text=text, lang=lang, segment=segment, old=old_k, new=new_k,
        overlap=overlap_at_k(old_k, new_k, k), rbo=rbo(old_k, new_k, p=p), tau=kendall_tau(old_k, new_k),
        noise_overlap=None if noise_k is None else overlap_at_k(old_k, noise_k, k),
        noise_rbo=None if noise_k is None else rbo(old_k, noise_k, p=p),
        old_quality=Quality.of(old_k, labels, k), new_quality=Quality.of(new_k, labels, k),
        noise_quality=None if noise_k is None else Quality.of(noise_k, labels, k))


def mean(values: Iterable[float | None]) -> float | None:
    """The mean of the values that are not None; None when there are none."""
    present = [value for value in values if value is not None]
    return sum(present) / len(present) if present else None


QUALITY_FIGURES: tuple[str, ...] = ("recall", "hit1", "rr", "ndcg")


@dataclass(frozen=True, kw_only=True)
class GroupChurn:
    """Means over the queries of one group (a language, a segment, or all)."""

    name: str
    queries: int
    labelled: int
    overlap: float | None
    rbo: float | None
    tau: float | None
    noise_overlap: float | None
    changed: int  # queries whose overlap with new is below their overlap with the noise run
    old: dict[str, float | None] = field(default_factory=dict)  # QUALITY_FIGURES -> mean
    new: dict[str, float | None] = field(default_factory=dict)
    noise: dict[str, float | None] = field(default_factory=dict)

    @property
    def churn_beyond_noise(self) -> float | None:
        """(1 - overlap) - (1 - noise overlap), at least 0: the churn the old model does not show on its own."""
        if self.overlap is None:
            return None
        floor = 1.0 if self.noise_overlap is None else self.noise_overlap
        return max(0.0, floor - self.overlap)


def group_churn(name: str, rows: Sequence[QueryChurn]) -> GroupChurn:
    """The means of ``rows`` (the figures undefined for a query are left out of its mean)."""
    def figures(pick: Callable[[QueryChurn], Quality | None]) -> dict[str, float | None]:
        return {figure: mean(getattr(q, figure) if (q := pick(row)) is not None else None for row in rows)
                for figure in QUALITY_FIGURES}

    return GroupChurn(
        name=name, queries=len(rows), labelled=sum(row.old_quality.rr is not None for row in rows),
        overlap=mean(row.overlap for row in rows), rbo=mean(row.rbo for row in rows),
        tau=mean(row.tau for row in rows), noise_overlap=mean(row.noise_overlap for row in rows),
        changed=sum(row.beyond_noise for row in rows),
        old=figures(lambda row: row.old_quality), new=figures(lambda row: row.new_quality),
        noise=figures(lambda row: row.noise_quality))


def groups_by(rows: Sequence[QueryChurn], key: Callable[[QueryChurn], str]) -> list[GroupChurn]:
    """One ``GroupChurn`` per distinct key, in key order."""
    grouped: dict[str, list[QueryChurn]] = {}
    for row in rows:
        grouped.setdefault(key(row), []).append(row)
    return [group_churn(name, grouped[name]) for name in sorted(grouped)]


def most_changed(rows: Sequence[QueryChurn], n: int = 10) -> list[QueryChurn]:
    """The n queries whose rankings moved most: lowest overlap, then lowest RBO, then id."""
    return sorted(rows, key=lambda row: (row.overlap, row.rbo, row.id))[:n]
