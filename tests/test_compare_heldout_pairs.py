"""compare --pairs on the three held-out noisy-primary corpora (tests/data/heldout*_pairs.jsonl; see
tests/data/README.md), each written blind by another author from the labelling rules alone, in other model
styles, languages and categories, to find where the judgement tuned on the first two corpora does not generalise.

Their first runs found defects, each fixed since, so they are no longer blind and their figures say less than the
first runs did:

- heldout_pairs.jsonl (36 trials; first run: 4 of 20 regressions and 1 of 3 novel answers missed): an identifier
  read as a number, a labelled answer "Order number: 58107-3" and "Son 42." not read as short answers, "name
  only" not read as asking for one, and an 18-letter English sentence to a German question not read as a sentence;
- heldout2_pairs.jsonl (40 trials; first run: 6 disagreements): a Chinese numeral with its counter, "八颗", read as
  a word; "只回答一个词" and "只回答名称" not read as asking for a short answer; a changed short answer excused by a
  replica that gave *another* answer;
- heldout3_pairs.jsonl (44 trials, an airline's FAQ, JSON extraction, classification and agent notes; first run: 7
  disagreements): a bullet count that breaks an asked count excused by a replica wobbling where no count was asked,
  twice; a different allowed label without gold unseen, twice; a false language finding on a label answer.

What stays is pinned per corpus with its direction, and check by check.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

import pytest

from corpus_helpers import (
    check_disagreements,
    compare_corpus,
    corpus_labels,
    recall_and_false_alarms,
    verdict_disagreements,
)

DATA = Path(__file__).parent / "data"
Checks = tuple[tuple[str, ...], tuple[str, ...]]


@dataclass(frozen=True)
class HeldOut:
    """One corpus and what is pinned of it: verdict disagreements (labelled, got), (labelled regressions, caught),
    (labelled neutral, false alarms), and check by check (labelled checks that show no finding, checks not
    labelled that decide the verdict)."""

    file: str
    disagreements: dict[str, tuple[str, str]]
    recall: tuple[int, int]
    false_alarms: tuple[int, int]
    checks: dict[str, Checks] = field(default_factory=dict)


HELD_OUT = [
    HeldOut("heldout_pairs.jsonl", {}, (20, 20), (13, 0), {
        "hx-019": ((), ("similarity.semantic",)),  # an empty answer has no meaning either
        # an echoed or empty answer to a JSON request breaks its contract too (labelled by rule 3: degenerate only)
        "hx-027": ((), ("json.recoverable", "json.valid")),
        "hx-028": ((), ("json.recoverable", "json.schema", "json.valid")),
        "hx-033": ((), ("list.count",)),  # the loop repeats bullets to the limit: the list is as long as the loop
    }),
    HeldOut("heldout2_pairs.jsonl", {
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
    }, (20, 17), (13, 0), {  # recall 0.85, no false alarm
        "hy-010": (("degenerate.cutoff",), ()),  # as above
        "hy-012": ((), ("similarity.semantic",)), "hy-025": ((), ("similarity.semantic",)),  # empty: no meaning either
        "hy-018": (("similarity.semantic",), ()),  # off here
    }),
    HeldOut("heldout3_pairs.jsonl", {
        # cut by the limit where both primary samples finish, but the primary's replica is cut as often in these
        # categories (agent-notes, faq): by rate, noise
        "hz-021": ("regression", "neutral"), "hz-034": ("regression", "neutral"),
        # one sentence of 7 words stopped without a full stop ("... schließt die Gepäckabgabe"): a lone sentence needs 9
        # words to be read as cut off ("The sentiment of this review is positive" is a style, not a cut)
        "hz-037": ("regression", "neutral"),
    }, (22, 19), (14, 0), {  # recall 0.86, no false alarm
        # an empty answer to a JSON request breaks the contract too (labelled by rule 3: degenerate only)
        "hz-005": ((), ("fields.correct", "json.recoverable", "json.schema", "json.valid")),
        "hz-036": ((), ("fields.correct", "json.recoverable", "json.schema")),  # an echo instead of the JSON, likewise
        "hz-022": ((), ("label.allowed", "label.prose")),  # a loop of the label is not one label
        # a different allowed label without gold: answer.exact says so; the author named label.correct, which needs gold
        "hz-006": (("label.correct",), ("answer.exact",)), "hz-035": (("label.correct",), ("answer.exact",)),
        "hz-037": (("degenerate.cutoff",), ()),  # as above
    }),
]


@pytest.mark.parametrize("corpus", HELD_OUT, ids=lambda c: c.file)
def test_every_disagreement_is_known_with_its_direction(corpus: HeldOut) -> None:
    assert verdict_disagreements(compare_corpus(DATA / corpus.file), corpus_labels(DATA / corpus.file)) == (
        corpus.disagreements)


@pytest.mark.parametrize("corpus", HELD_OUT, ids=lambda c: c.file)
def test_recall_and_false_alarms(corpus: HeldOut) -> None:
    assert recall_and_false_alarms(compare_corpus(DATA / corpus.file), corpus_labels(DATA / corpus.file)) == (
        corpus.recall, corpus.false_alarms)


@pytest.mark.parametrize("corpus", HELD_OUT, ids=lambda c: c.file)
def test_each_labelled_check_shows_and_no_other_check_decides(corpus: HeldOut) -> None:
    assert check_disagreements(compare_corpus(DATA / corpus.file), corpus_labels(DATA / corpus.file)) == (
        corpus.checks)
