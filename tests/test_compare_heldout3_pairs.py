"""compare --pairs on the third held-out noisy-primary corpus (tests/data/heldout3_pairs.jsonl, 44 trials, every
one with a replica; see tests/data/README.md).

Written blind by a fourth author: an airline's FAQ, JSON extraction with schemas and gold fields, classification
into its queues and bulleted agent notes, in English, German, French and Japanese. Its first run disagreed on 7
trials; four were defects fixed since (a bullet count that breaks an asked count excused by a replica wobbling
where no count was asked, twice; a different allowed label without gold unseen, twice) and one more showed a false
language finding on a label answer ("other" to a French question). What stays is pinned below with its direction.
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

PAIRS = Path(__file__).parent / "data" / "heldout3_pairs.jsonl"

DISAGREEMENTS = {
    # cut by the limit where both primary samples finish, but the primary's replica is cut as often in these
    # categories (agent-notes, faq): by rate, noise
    "hz-021": ("regression", "neutral"), "hz-034": ("regression", "neutral"),
    # one sentence of 7 words stopped without a full stop ("... schließt die Gepäckabgabe"): a lone sentence needs 9
    # words to be read as cut off ("The sentiment of this review is positive" is a style, not a cut)
    "hz-037": ("regression", "neutral"),
}

# Check by check: (labelled checks that show no finding, checks not labelled that decide the verdict).
CHECK_EXCEPTIONS = {
    # an empty answer to a JSON request breaks the contract too (labelled by rule 3: degenerate only)
    "hz-005": ((), ("fields.correct", "json.recoverable", "json.schema", "json.valid")),
    "hz-036": ((), ("fields.correct", "json.recoverable", "json.schema")),  # an echo instead of the JSON, likewise
    "hz-022": ((), ("label.allowed", "label.prose")),  # a loop of the label is not one label
    # a different allowed label without gold: answer.exact says so; the author named label.correct, which needs gold
    "hz-006": (("label.correct",), ("answer.exact",)), "hz-035": (("label.correct",), ("answer.exact",)),
    "hz-037": (("degenerate.cutoff",), ()),  # as above
}


@cache
def report() -> Comparison:
    return compare_corpus(PAIRS)


def labels() -> dict[str, dict[str, object]]:
    return corpus_labels(PAIRS)


def test_every_disagreement_is_known_with_its_direction() -> None:
    assert verdict_disagreements(report(), labels()) == DISAGREEMENTS


def test_recall_and_false_alarms() -> None:
    assert recall_and_false_alarms(report(), labels()) == ((22, 19), (14, 0))  # recall 0.86, no false alarm


def test_each_labelled_check_shows_and_no_other_check_decides() -> None:
    assert check_disagreements(report(), labels()) == CHECK_EXCEPTIONS
