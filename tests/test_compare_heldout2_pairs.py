"""compare --pairs on the second held-out noisy-primary corpus (tests/data/heldout2_pairs.jsonl, 40 trials, every
one with a replica; see tests/data/README.md).

Written blind by a third author (Italian, Korean, Chinese, Portuguese and Dutch, code). Its first run, without
semantic similarity, disagreed on 6 trials; three were defects fixed since (a Chinese numeral with its counter,
"八颗", read as a word; "只回答一个词" and "只回答名称" not read as asking for a short answer; a changed short answer
excused by a replica that gave *another* answer), so it is no longer blind. What stays is pinned below with its
direction.
"""

from __future__ import annotations

from functools import cache
from pathlib import Path

from corpus_helpers import (
    check_disagreements,
    compare_corpus,
    corpus_labels,
    recall_and_false_alarms,
    verdict_disagreements,
)
from modelswap.compare.comparison import Comparison

PAIRS = Path(__file__).parent / "data" / "heldout2_pairs.jsonl"

DISAGREEMENTS = {
    # cut by the limit where both primary samples finish, but the primary's replica is cut as often in coding-en
    "hy-001": ("regression", "neutral"),
    # the baseline stops mid-sentence on a 4-word last sentence ("De meeste routers kunnen"), under the 6 words
    # the cutoff check asks for: the candidate's complete answer is not seen as fixing it
    "hy-010": ("improvement", "neutral"),
    # code that writes a CSV where reading one was asked: only meaning sees it (semantic similarity is off here)
    "hy-018": ("regression", "neutral"),
    # a stop mid-sentence in support, where the primary's replica stops mid-sentence as often (on hy-010, whose
    # baseline's own stop is missed, as above): the noise floor calls it noise
    "hy-036": ("regression", "neutral"),
}

# Check by check: (labelled checks that show no finding, checks not labelled that decide the verdict).
CHECK_EXCEPTIONS = {
    "hy-010": (("degenerate.cutoff",), ()),  # as above
    "hy-012": ((), ("similarity.semantic",)), "hy-025": ((), ("similarity.semantic",)),  # empty: no meaning either
    "hy-018": (("similarity.semantic",), ()),  # off here
}


@cache
def report() -> Comparison:
    return compare_corpus(PAIRS)


def labels() -> dict[str, dict[str, object]]:
    return corpus_labels(PAIRS)


def test_every_disagreement_is_known_with_its_direction() -> None:
    assert verdict_disagreements(report(), labels()) == DISAGREEMENTS


def test_recall_and_false_alarms() -> None:
    assert recall_and_false_alarms(report(), labels()) == ((20, 17), (13, 0))  # recall 0.85, no false alarm


def test_each_labelled_check_shows_and_no_other_check_decides() -> None:
    assert check_disagreements(report(), labels()) == CHECK_EXCEPTIONS
