"""compare --pairs on the held-out noisy-primary corpus (tests/data/heldout_pairs.jsonl, 36 trials, every one
with a replica; see tests/data/README.md).

Written blind by a second author against the labelling rules of the noisy corpus, in other model styles,
languages and categories, to find where the judgement tuned on the first two corpora does not generalise. Its
first run missed 4 of 20 regressions and 1 of 3 novel answers (each a defect fixed since: an identifier read as a
number, a labelled answer "Order number: 58107-3" and "Son 42." not read as short answers, "name only" not read
as asking for one, and an 18-letter English sentence to a German question not read as a sentence); it is no
longer blind, so its figures say less than the first run's did.
"""

from __future__ import annotations

from functools import cache
from pathlib import Path

from corpus_helpers import check_disagreements, compare_corpus, corpus_labels, verdict_disagreements
from modelswap.compare.comparison import Comparison

PAIRS = Path(__file__).parent / "data" / "heldout_pairs.jsonl"

# Check by check: (labelled checks that show no finding, checks not labelled that decide the verdict).
CHECK_EXCEPTIONS = {
    "hx-019": ((), ("similarity.semantic",)),  # an empty answer has no meaning either
    # an echoed or empty answer to a JSON request breaks its contract too (labelled by rule 3: degenerate only)
    "hx-027": ((), ("json.recoverable", "json.valid")),
    "hx-028": ((), ("json.recoverable", "json.schema", "json.valid")),
    "hx-033": ((), ("list.count",)),  # the loop repeats bullets to the limit: the list is as long as the loop
}


@cache
def report() -> Comparison:
    return compare_corpus(PAIRS)


def labels() -> dict[str, dict[str, object]]:
    return corpus_labels(PAIRS)


def test_every_verdict_agrees_with_its_label() -> None:
    assert verdict_disagreements(report(), labels()) == {}
    assert [v["verdict"] for v in labels().values()].count("regression") == 20


def test_each_labelled_check_shows_and_no_other_check_decides() -> None:
    assert check_disagreements(report(), labels()) == CHECK_EXCEPTIONS
