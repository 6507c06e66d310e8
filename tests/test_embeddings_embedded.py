"""The embedded index: exact search, upserts and removals, the directory it persists, its refusals."""

from __future__ import annotations

import dataclasses
import json
from pathlib import Path

import numpy as np
import pytest

from modelswap.embeddings.embedded import EmbeddedIndex, list_embedded_indexes
from modelswap.embeddings.fingerprint import Fingerprint, FingerprintMismatch
from modelswap.embeddings.index import VectorIndex, VectorIndexError, drop_index, list_indexes, open_index

FP = Fingerprint(model="toy", version="1", dimensions=8, normalized=True)
OTHER = dataclasses.replace(FP, model="toy-2")


def unit(rows: int, seed: int = 0, dimensions: int = 8) -> np.ndarray:
    vectors = np.random.default_rng(seed).normal(size=(rows, dimensions)).astype(np.float32)
    unit_rows: np.ndarray = vectors / np.linalg.norm(vectors, axis=1, keepdims=True)
    return unit_rows


def brute(vectors: np.ndarray, ids: list[str], query: np.ndarray, k: int) -> list[str]:
    order = np.argsort(-(vectors @ query), kind="stable")[:k]
    return [ids[row] for row in order]


def test_exact_search_returns_the_true_neighbours_highest_first(tmp_path: Path) -> None:
    index = open_index(str(tmp_path), "docs", FP)
    assert isinstance(index, VectorIndex)
    vectors = unit(200)
    ids = [f"d{i}" for i in range(200)]
    index.add(ids, vectors, fingerprint=FP)
    queries = unit(5, seed=1)
    found, scores = index.search(queries, 10, fingerprint=FP)
    for query, hits, row in zip(queries, found, scores, strict=True):
        assert hits == brute(vectors, ids, query, 10)
        np.testing.assert_allclose(row, np.sort(vectors @ query)[::-1][:10], rtol=1e-5)
    assert scores.shape == (5, 10)
    one, _ = index.search(queries[0], 300, fingerprint=FP)  # one vector, k beyond the size
    assert len(one) == 1 and len(one[0]) == 200


def test_upsert_remove_and_reopen_replay_the_same_state(tmp_path: Path) -> None:
    index = open_index(str(tmp_path), "docs", FP)
    vectors = unit(50)
    index.add([f"d{i}" for i in range(50)], vectors, fingerprint=FP)
    index.add(["d3"], unit(1, seed=9), fingerprint=FP)  # replaces d3
    index.remove(["d0", "d7", "missing"])
    assert len(index) == 48 and index.ids() == {f"d{i}" for i in range(50)} - {"d0", "d7"}
    reopened = open_index(str(tmp_path), "docs")
    assert reopened.ids() == index.ids() and reopened.fingerprint == FP
    assert isinstance(reopened, EmbeddedIndex)
    np.testing.assert_array_equal(reopened.vectors(["d3", "d9"]), np.vstack([unit(1, seed=9), vectors[9:10]]))
    hits, _ = reopened.search(unit(1, seed=9), 1, fingerprint=FP)
    assert hits == [["d3"]]


def test_compaction_keeps_the_live_rows_in_one_segment(tmp_path: Path) -> None:
    index = open_index(str(tmp_path), "docs", FP)
    assert isinstance(index, EmbeddedIndex)
    for round_ in range(3):
        index.add([f"d{i}" for i in range(1000)], unit(1000, seed=round_), fingerprint=FP)
    manifest = json.loads((tmp_path / "docs" / "manifest.json").read_text())
    assert manifest["segments"] == ["000004.add"]  # the third add compacted 3,000 stored rows into one
    assert sorted(path.name for path in (tmp_path / "docs").iterdir()) == \
        ["000004.add.ids.json", "000004.add.npy", "manifest.json"]
    reopened = open_index(str(tmp_path), "docs")
    assert isinstance(reopened, EmbeddedIndex)
    np.testing.assert_array_equal(reopened.vectors(["d5"]), unit(1000, seed=2)[5:6])


def test_other_fingerprints_are_refused_on_open_add_and_search(tmp_path: Path) -> None:
    index = open_index(str(tmp_path), "docs", FP)
    index.add(["a"], unit(1), fingerprint=FP)
    with pytest.raises(FingerprintMismatch, match=r"^index 'docs': refusing to add vectors .*model: index 'toy', "
                                                  r"given 'toy-2'"):
        index.add(["b"], unit(1), fingerprint=OTHER)
    with pytest.raises(FingerprintMismatch, match=r"^index 'docs': refusing to search vectors"):
        index.search(unit(1), 1, fingerprint=OTHER)
    with pytest.raises(FingerprintMismatch, match=r"^index 'docs': refusing to open vectors"):
        open_index(str(tmp_path), "docs", OTHER)
    assert index.ids() == {"a"}


def test_bad_input_is_refused_with_the_index_and_the_field(tmp_path: Path) -> None:
    index = open_index(str(tmp_path), "docs", FP)
    with pytest.raises(VectorIndexError, match=r"vectors of shape \(1, 4\), expected \(n, 8\)"):
        index.add(["a"], unit(1, dimensions=4), fingerprint=FP)
    with pytest.raises(VectorIndexError, match=r"row 0 \('a'\) has norm 2.0000, but the fingerprint says normalized"):
        index.add(["a"], 2 * unit(1), fingerprint=FP)
    with pytest.raises(VectorIndexError, match="an id appears twice"):
        index.add(["a", "a"], unit(2), fingerprint=FP)
    with pytest.raises(VectorIndexError, match=r"k=0: expected an integer >= 1"):
        index.search(unit(1), 0, fingerprint=FP)
    with pytest.raises(VectorIndexError, match=r"index name 'Docs v2': expected 1-44"):
        open_index(str(tmp_path), "Docs v2", FP)
    with pytest.raises(VectorIndexError, match=r"no index 'nothing' here"):
        open_index(str(tmp_path), "nothing")
    (tmp_path / "broken").mkdir()
    (tmp_path / "broken" / "manifest.json").write_text('{"format": "other"}')
    with pytest.raises(VectorIndexError, match=r"broken/manifest.json: format: expected"):
        open_index(str(tmp_path), "broken")


def test_list_and_drop(tmp_path: Path) -> None:
    index = open_index(str(tmp_path), "docs", FP)
    index.add(["a", "b"], unit(2), fingerprint=FP)
    index.remove(["a"])
    open_index(str(tmp_path), "empty", OTHER)
    listed = list_indexes(str(tmp_path))
    assert [(info.name, info.size, info.fingerprint) for info in listed] == [("docs", 1, FP), ("empty", 0, OTHER)]
    assert list_embedded_indexes(tmp_path / "nowhere") == []
    assert drop_index(str(tmp_path), "docs") and not drop_index(str(tmp_path), "docs")
    assert [info.name for info in list_indexes(str(tmp_path))] == ["empty"]


def clustered(rows: int, seed: int) -> np.ndarray:
    centres = np.random.default_rng(0).normal(size=(20, 8)).astype(np.float32)
    rng = np.random.default_rng(seed)
    vectors = centres[rng.integers(0, 20, rows)] + rng.normal(scale=0.5, size=(rows, 8)).astype(np.float32)
    unit_rows: np.ndarray = vectors / np.linalg.norm(vectors, axis=1, keepdims=True)
    return unit_rows


def test_the_ann_graph_answers_from_the_threshold_on_and_agrees_with_exact_search(tmp_path: Path) -> None:
    index = EmbeddedIndex.open(tmp_path, "docs", FP, ann_threshold=1000)
    vectors = clustered(3000, seed=1)
    ids = [f"d{i}" for i in range(3000)]
    index.add(ids[:999], vectors[:999], fingerprint=FP)
    assert not index.uses_ann
    index.add(ids[999:], vectors[999:], fingerprint=FP)
    assert index.uses_ann
    queries = clustered(200, seed=2)
    approximate, _ = index.search(queries, 10, fingerprint=FP)
    exact, _ = index.exact_search(queries, 10)
    overlap = np.mean([len(set(a) & set(e)) / 10 for a, e in zip(approximate, exact, strict=True)])
    assert overlap >= 0.98  # FAISS builds the same graph from the same rows on one thread: deterministic
    index.remove(["d5"])
    index.add(["d6"], vectors[7:8], fingerprint=FP)  # d6 now holds d7's vector
    hits, _ = index.search(vectors[5:8], 3, fingerprint=FP)
    assert "d5" not in hits[0] and hits[2][:2] in (["d6", "d7"], ["d7", "d6"])
    assert "d6" not in hits[1][:1]


def test_the_graph_is_saved_on_close_and_caught_up_on_open(tmp_path: Path) -> None:
    vectors = clustered(1500, seed=3)
    index = EmbeddedIndex.open(tmp_path, "docs", FP, ann_threshold=1000)
    index.add([f"d{i}" for i in range(1200)], vectors[:1200], fingerprint=FP)
    index.close()
    assert (tmp_path / "docs" / "graph.faiss").exists()
    reopened = EmbeddedIndex.open(tmp_path, "docs", ann_threshold=1000)
    assert reopened._graph_saved == ["000001.add"]  # loaded, not rebuilt
    reopened.add([f"d{i}" for i in range(1200, 1500)], vectors[1200:], fingerprint=FP)
    reopened.remove(["d0"])  # no close: the saved graph is two segments behind
    caught_up = EmbeddedIndex.open(tmp_path, "docs", ann_threshold=1000)
    assert caught_up.uses_ann and caught_up._graph_saved is None and len(caught_up) == 1499
    hits, _ = caught_up.search(vectors[[0, 1400]], 1, fingerprint=FP)
    assert hits[1] == ["d1400"] and hits[0] != ["d0"]


def test_a_search_list_as_long_as_the_index_finds_the_exact_neighbours(tmp_path: Path) -> None:
    vectors = clustered(2000, seed=4)
    index = open_index(str(tmp_path), "docs", FP, ann_threshold=0, ef_search=2000)
    assert isinstance(index, EmbeddedIndex)
    index.add([f"d{i}" for i in range(2000)], vectors, fingerprint=FP)
    queries = clustered(50, seed=5)
    assert index.uses_ann and index.search(queries, 10, fingerprint=FP)[0] == index.exact_search(queries, 10)[0]
