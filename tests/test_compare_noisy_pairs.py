"""compare --pairs on the noisy-primary corpus (tests/data/noisy_pairs.jsonl, 90 trials, every one with a
replica, the primary sampled at temperature 0.7-1.0; see tests/data/README.md).

Pins how far the judgement agrees with the labels, and every accepted disagreement as (expected, got),
so a miss cannot flip direction unnoticed. The issue's target is regression recall >= 0.95 with false
alarms <= 0.05: 40 of 42 regressions caught (0.952), no false alarm; the two misses are pinned below.
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

PAIRS = Path(__file__).parent / "data" / "noisy_pairs.jsonl"

DISAGREEMENTS = {
    # the candidate truncates where both primary samples finished, but in these small categories the
    # primary's replica truncates as often on other requests (qa-en: 4 of 14, qa-fr: 1 of 10, where the
    # candidate is cut too): by rate, the noise floor calls it noise
    "nz-018": ("regression", "neutral"), "nz-019": ("regression", "neutral"),
    # the refusal detector reads the baseline's refusal as an answer, so both sides look moved alike
    "nz-056": ("novel", "neutral"),
}


# Check by check: (labelled checks that show no finding, checks not labelled that decide the verdict).
CHECK_EXCEPTIONS = {
    # an empty answer has no meaning either: similarity.semantic says so beside degenerate.empty
    **{i: ((), ("similarity.semantic",)) for i in ("nz-001", "nz-002", "nz-003", "nz-004")},
    "nz-009": ((), ("list.count",)),  # the loop alternates two items to the limit: the list is as long as the loop
}


@cache
def report() -> Comparison:
    return compare_corpus(PAIRS)


def labels() -> dict[str, dict[str, object]]:
    return corpus_labels(PAIRS)


def test_every_disagreement_is_known_with_its_direction() -> None:
    assert verdict_disagreements(report(), labels()) == DISAGREEMENTS


def test_recall_and_false_alarms() -> None:
    assert recall_and_false_alarms(report(), labels()) == ((42, 40), (34, 0))  # recall 0.952, no false alarm


def test_each_flagged_regression_names_a_labelled_check() -> None:
    expected = labels()
    for t in report().triaged:
        label = expected[t.compared.trial.id]
        if label["verdict"] == "regression" and t.verdict == "regression":
            decisive = {f.check for f in t.decisive}
            assert decisive & set(label["checks"]), (t.compared.trial.id, decisive, label["checks"])  # type: ignore[arg-type]


def test_each_labelled_check_shows_and_no_other_check_decides() -> None:
    assert check_disagreements(report(), labels()) == CHECK_EXCEPTIONS
