"""compare --pairs on the hand-labelled corpus (tests/data/pairs.jsonl, 216 pairs; see its README).

The corpus labels what a careful human reviewer concludes. These tests pin how far the
comparison agrees, and list every disagreement with its reason, so a change that gains or loses
agreement shows up here.
"""

from __future__ import annotations

import subprocess
import sys
from collections import Counter
from functools import cache
from importlib import resources
from pathlib import Path

import jsonschema
import orjson
import pytest

from corpus_helpers import check_disagreements
from modelswap.compare.checks import default_comparators
from modelswap.compare.comparison import Comparison
from modelswap.compare.embedding import default_embedder
from modelswap.compare.gate import load_policy
from modelswap.compare.pairs import load_pairs
from modelswap.compare.pipeline import compare_trials
from modelswap.report.json import render_json

PAIRS = Path(__file__).parent / "data" / "pairs.jsonl"
SCHEMA = orjson.loads((resources.files("modelswap") / "data" / "report.schema.json").read_bytes())

# Without semantic similarity: what no other check can see.
MISSED_WITHOUT_SEMANTIC = {
    "qe-005": "an off-topic answer: only meaning catches it", "qe-006": "an off-topic answer",
    "qe-008": "the baseline answered another question: only meaning sees it",
    "qe-009": "the candidate's fix is only visible in meaning",
    "qe-010": "hard: a wrong fact", "qe-011": "hard: a wrong fact", "qf-008": "hard: a wrong fact",
    "qf-009": "a fix visible only in meaning", "qj-010": "an off-topic answer",
    "rb-010": "a soft refusal (declines to diagnose, then advises): not a refusal to the detector",
    "sm-010": "a summary that lost the point", "sm-011": "a fix visible only in meaning",
    "sm-018": "hard: a contradicted fact", "su-013": "an off-topic reply", "su-014": "a fix visible only in meaning",
    "su-015": "hard: a contradicted policy", "su-022": "an off-topic reply",
}

# With semantic similarity (multilingual-e5-small): it cannot tell which of two answers is right.
DISAGREE_WITH_SEMANTIC = {  # id: (labelled, got, why)
    "qe-008": ("improvement", "regression", "meaning moved; the baseline was the wrong one"),
    "qe-009": ("improvement", "neutral", "the improvement is set aside: the primary's meaning drifts as much here"),
    "qe-010": ("regression", "neutral", "hard"), "qe-011": ("regression", "neutral", "hard"),
    "qf-008": ("regression", "neutral", "hard"), "sm-018": ("regression", "neutral", "hard"),
    "su-015": ("regression", "neutral", "hard"),
    "qf-009": ("improvement", "regression", "meaning moved; the baseline was the wrong one"),
    "sm-011": ("improvement", "regression", "meaning moved; the baseline was wrong"),
    "su-014": ("improvement", "neutral", "meaning moved; the baseline was wrong"),
    "rb-010": ("novel", "neutral", "soft refusal (as above)"),
    "su-022": ("regression", "neutral", "an off-topic reply read as a mild move; 3 of 9 support answers move against "
                                        "the primary's 1: not directional enough (one-sided p=0.31) for a category "
                                        "this small"),
    "qj-009": ("novel", "regression", "a Korean answer to a Japanese question: cross-language similarity is low, so "
                                      "off topic wins"),
}


# Check by check, without semantic similarity: (labelled checks that show no finding, checks not labelled that
# decide the verdict). Labelled `similarity.semantic` is not looked for (it is off here).
CHECK_EXCEPTIONS = {
    # labelled json.valid, and not even the defensive parser recovers it
    **{i: ((), ("json.recoverable",)) for i in ("ej-016", "ej-017", "ej-018", "ej-019", "ej-020", "ej-021", "ej-022",
                                               "ej-071")},
    "ej-070": ((), ("json.prose", "json.types")),  # the cut-off JSON's recovered prefix: text around it, a field's type
    "cl-006": ((), ("label.prose",)),  # the baseline's two labels joined by a slash read as prose too
    **{i: ((), ("layout",)) for i in ("qe-015", "sm-016", "su-017")},  # a new format: labelled novel with no check
    "rb-010": (("refusal",), ()),  # a soft refusal: not a refusal to the detector (see above)
}


def labels() -> dict[str, dict[str, object]]:
    return {d["id"]: d["label"] for d in map(orjson.loads, PAIRS.read_bytes().splitlines())}


@cache
def report(semantic: bool) -> Comparison:
    pairs = load_pairs(PAIRS)
    assert pairs.errors == ()
    return compare_trials(list(pairs.trials), baseline="baseline", candidate="candidate", replica="replica",
                          policy=load_policy(), comparators=default_comparators(semantic=semantic))


def disagreements(result: Comparison) -> dict[str, tuple[str, str]]:
    expected = labels()
    return {t.compared.trial.id: (str(expected[t.compared.trial.id]["verdict"]), t.verdict)
            for t in result.triaged if expected[t.compared.trial.id]["verdict"] != t.verdict}


def test_the_corpus_covers_every_verdict_and_check() -> None:
    expected = labels()
    assert len(expected) >= 150
    verdicts = {str(v["verdict"]) for v in expected.values()}
    assert verdicts == {"regression", "improvement", "neutral", "novel"}
    checks = {c for v in expected.values() for c in v["checks"]}  # type: ignore[attr-defined]
    assert {"json.valid", "json.fenced", "json.schema", "json.keys", "json.types", "json.wrapped", "truncated",
            "list.count", "label.allowed", "label.prose", "label.correct", "fields.correct", "refusal", "language",
            "language.mixed", "similarity.semantic", "error"} <= checks


def test_without_semantic_every_neutral_stays_neutral_and_the_misses_are_known() -> None:
    result = report(False)
    found = disagreements(result)
    assert found.keys() == MISSED_WITHOUT_SEMANTIC.keys()
    assert {got for _, got in found.values()} == {"neutral"}  # misses only, never a false alarm
    verdicts = Counter(t.verdict for t in result.triaged)
    assert verdicts == Counter({"regression": 66, "improvement": 54, "neutral": 78, "novel": 18})


def test_each_labelled_check_shows_and_no_other_check_decides() -> None:
    assert check_disagreements(report(False), labels(), unseen=frozenset({"similarity.semantic"})) == CHECK_EXCEPTIONS


def test_the_report_validates_against_the_pinned_schema() -> None:
    document = orjson.loads(render_json(report(False)))
    jsonschema.Draft202012Validator(SCHEMA).validate(document)
    assert document["schema"] == "modelswap.report/v1"
    assert document["gate"]["decision"] == "no_go"
    assert document["summary"]["trials"] == 216
    first = document["trials"][0]
    assert set(first) >= {"id", "category", "verdict", "findings"}


@pytest.mark.slow
@pytest.mark.skipif(default_embedder() is None, reason="needs modelswap[semantic] (make test installs it)")
def test_with_semantic_similarity_the_disagreements_are_known() -> None:
    found = disagreements(report(True))
    assert found == {i: (labelled, got) for i, (labelled, got, _) in DISAGREE_WITH_SEMANTIC.items()}


def test_compare_pairs_cli_writes_reports_and_exits_with_the_decision(tmp_path: Path) -> None:
    out = tmp_path / "report.json"
    done = subprocess.run([sys.executable, "-m", "modelswap", "compare", "--pairs", str(PAIRS), "--no-semantic",
                           "--json", str(out), "--markdown", str(tmp_path / "r.md"), "--html", str(tmp_path / "r.html"),
                           "--gate", "default"], capture_output=True, text=True, timeout=300,
                          env={"PATH": "/usr/bin:/bin", "COLUMNS": "160"})
    assert done.returncode == 1, done.stderr
    assert "NO GO" in done.stdout
    jsonschema.Draft202012Validator(SCHEMA).validate(orjson.loads(out.read_bytes()))
    assert (tmp_path / "r.md").read_text(encoding="utf-8").startswith("## modelswap: NO GO")
    assert 'data-decision="no_go"' in (tmp_path / "r.html").read_text(encoding="utf-8")
    again = subprocess.run([sys.executable, "-m", "modelswap", "gate", "--report", str(out)], capture_output=True,
                           text=True, timeout=60, env={"PATH": "/usr/bin:/bin", "COLUMNS": "160"})
    assert again.returncode == 1, again.stderr
    assert "decision: NO GO" in again.stdout
