"""What the labelled-corpus tests share: the comparison of a pairs file, its labels, and the two ways the
comparison can disagree with them (by verdict, and check by check)."""

from __future__ import annotations

from functools import cache
from pathlib import Path

import orjson

from modelswap.compare.checks import default_comparators
from modelswap.compare.comparison import Comparison
from modelswap.compare.gate import load_policy
from modelswap.compare.pairs import load_pairs
from modelswap.compare.pipeline import compare_trials

Label = dict[str, object]


@cache
def compare_corpus(path: Path, *, semantic: bool = False) -> Comparison:
    """compare --pairs on ``path``, with its replicas and the default policy (once per file)."""
    pairs = load_pairs(path)
    assert pairs.errors == ()
    return compare_trials(list(pairs.trials), baseline="baseline", candidate="candidate", replica="replica",
                          policy=load_policy(), comparators=default_comparators(semantic=semantic))


def corpus_labels(path: Path) -> dict[str, Label]:
    return {d["id"]: d["label"] for d in map(orjson.loads, path.read_bytes().splitlines())}


def verdict_disagreements(report: Comparison, labels: dict[str, Label]) -> dict[str, tuple[str, str]]:
    """Trial id → (labelled verdict, the comparison's), where they differ."""
    return {t.compared.trial.id: (str(labels[t.compared.trial.id]["verdict"]), t.verdict)
            for t in report.triaged if labels[t.compared.trial.id]["verdict"] != t.verdict}


def check_disagreements(report: Comparison, labels: dict[str, Label], *, unseen: frozenset[str] = frozenset()
                        ) -> dict[str, tuple[tuple[str, ...], tuple[str, ...]]]:
    """Trial id → (labelled checks that show no finding, unlabelled checks that decide the verdict), where either
    is not empty. Labelled checks in ``unseen`` are not looked for (a check switched off in this run)."""
    found = {}
    for t in report.triaged:
        labelled = set(labels[t.compared.trial.id]["checks"]) - unseen  # type: ignore[call-overload]
        shown = {f.check for f in t.compared.findings if f.status != "same"}
        decisive = {f.check for f in t.decisive}
        if labelled - shown or decisive - labelled:
            found[t.compared.trial.id] = (tuple(sorted(labelled - shown)), tuple(sorted(decisive - labelled)))
    return found


def recall_and_false_alarms(report: Comparison, labels: dict[str, Label]
                            ) -> tuple[tuple[int, int], tuple[int, int]]:
    """((labelled regressions, of them triaged regression), (labelled neutral, of them triaged otherwise))."""
    verdicts = [(str(labels[t.compared.trial.id]["verdict"]), t.verdict) for t in report.triaged]
    regressions = [got for labelled, got in verdicts if labelled == "regression"]
    neutrals = [got for labelled, got in verdicts if labelled == "neutral"]
    return ((len(regressions), regressions.count("regression")),
            (len(neutrals), sum(got != "neutral" for got in neutrals)))
