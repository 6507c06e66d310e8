"""Every backend behind one protocol: the same search results, upserts, removals and refusals.

Backends: the embedded index searched exactly, the embedded index through its ANN graph (a
threshold of 0 rows), and pgvector in a schema of its own in the test PostgreSQL (marked
``postgres``). Mixing two fingerprints is refused on each.
"""

from __future__ import annotations

import contextlib
import dataclasses
from collections.abc import Iterator
from pathlib import Path

import numpy as np
import pytest

from conftest import fresh_postgres_schema, schema_url
from modelswap.embeddings.fingerprint import Fingerprint, FingerprintMismatch
from modelswap.embeddings.index import VectorIndex, VectorIndexError, drop_index, list_indexes, open_index

FP = Fingerprint(model="all-MiniLM-L6-v2", version="1", dimensions=16, normalized=True, max_tokens=256)
E5 = Fingerprint(model="multilingual-e5-small", version="q4", dimensions=16, normalized=True,
                 query_prefix="query: ", passage_prefix="query: ", max_tokens=512)


def unit(rows: int, seed: int = 0) -> np.ndarray:
    vectors = np.random.default_rng(seed).normal(size=(rows, FP.dimensions)).astype(np.float32)
    normalised: np.ndarray = vectors / np.linalg.norm(vectors, axis=1, keepdims=True)
    return normalised


@pytest.fixture(params=["exact", "ann", pytest.param("pgvector", marks=pytest.mark.postgres)])
def location(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[tuple[str, str]]:
    """(backend, where): an embedded directory or a PostgreSQL URL on a fresh schema; indexes closed after."""
    if request.param != "pgvector":
        yield request.param, str(tmp_path)
    else:
        with pg_schema() as url:
            yield "pgvector", url
            for index in OPENED:
                index.close()
    OPENED.clear()


@contextlib.contextmanager
def pg_schema() -> Iterator[str]:
    """A URL on a fresh schema of the test PostgreSQL, dropped afterwards."""
    with fresh_postgres_schema() as schema:
        yield schema_url(schema)


OPENED: list[VectorIndex] = []


def opened(location: tuple[str, str], name: str, fingerprint: Fingerprint | None = FP) -> VectorIndex:
    backend, where = location
    index = open_index(where, name, fingerprint, ann_threshold=0 if backend == "ann" else None)
    OPENED.append(index)
    return index


def test_search_finds_each_rows_own_vector_first_and_scores_inner_products(location: tuple[str, str]) -> None:
    index = opened(location, "docs")
    vectors = unit(300)
    ids = [f"doc-{i}" for i in range(300)]
    index.add(ids, vectors, fingerprint=FP)
    found, scores = index.search(vectors[:20], 5, fingerprint=FP)
    assert [hits[0] for hits in found] == ids[:20]
    np.testing.assert_allclose(scores[:, 0], 1.0, atol=1e-5)
    for row, (hits, row_scores) in enumerate(zip(found, scores, strict=True)):
        expected = [float(vectors[row] @ vectors[ids.index(hit)]) for hit in hits]
        np.testing.assert_allclose(row_scores, expected, atol=1e-5)
        assert list(row_scores) == sorted(row_scores, reverse=True)
    assert len(index) == 300 and index.ids() == set(ids)


def test_upsert_and_remove(location: tuple[str, str]) -> None:
    index = opened(location, "docs")
    vectors = unit(50)
    index.add([f"d{i}" for i in range(50)], vectors, fingerprint=FP)
    index.add(["d1"], vectors[2:3], fingerprint=FP)  # d1 now holds d2's vector
    index.remove(["d2", "nope"])
    found, scores = index.search(vectors[2], 1, fingerprint=FP)
    assert found == [["d1"]] and abs(float(scores[0, 0]) - 1.0) < 1e-5
    assert len(index) == 49 and "d2" not in index.ids()
    reopened = opened(location, "docs", None)
    assert reopened.fingerprint == FP and reopened.search(vectors[2], 1, fingerprint=FP)[0] == [["d1"]]


def test_mixing_two_fingerprints_is_refused(location: tuple[str, str]) -> None:
    index = opened(location, "docs")
    index.add(["a"], unit(1), fingerprint=FP)
    with pytest.raises(FingerprintMismatch) as caught:
        index.add(["b"], unit(1, seed=1), fingerprint=E5)
    assert str(caught.value).startswith(
        "index 'docs': refusing to add vectors of another embedding model (model: index 'all-MiniLM-L6-v2', "
        "given 'multilingual-e5-small'; version: index '1', given 'q4'; query_prefix: index '', given 'query: '; "
        "passage_prefix: index '', given 'query: '; max_tokens: index 256, given 512)")
    with pytest.raises(FingerprintMismatch, match=r"^index 'docs': refusing to search"):
        index.search(unit(1), 3, fingerprint=E5)
    with pytest.raises(FingerprintMismatch, match=r"^index 'docs': refusing to open"):
        opened(location, "docs", E5)
    with pytest.raises(FingerprintMismatch, match=r"dimensions: index 16, given 8"):
        index.add(["c"], unit(1)[:, :8], fingerprint=dataclasses.replace(FP, dimensions=8))
    assert index.ids() == {"a"}


def test_wrong_shapes_and_missing_indexes(location: tuple[str, str]) -> None:
    index = opened(location, "docs")
    with pytest.raises(VectorIndexError, match=r"index 'docs': queries of shape \(1, 8\), expected \(n, 16\)"):
        index.search(unit(1)[:, :8], 3, fingerprint=FP)
    with pytest.raises(VectorIndexError, match="no index 'other'"):
        opened(location, "other", None)


def test_list_and_drop_name_every_index_with_its_fingerprint(location: tuple[str, str]) -> None:
    opened(location, "old").add(["a", "b"], unit(2), fingerprint=FP)
    opened(location, "new", E5)
    where = location[1]
    assert [(info.name, info.size, info.fingerprint) for info in list_indexes(where)] == \
        [("new", 0, E5), ("old", 2, FP)]
    assert drop_index(where, "old") is True and drop_index(where, "old") is False
    assert [info.name for info in list_indexes(where)] == ["new"]


@pytest.mark.postgres
def test_pgvector_searches_through_the_hnsw_index_which_a_bulk_load_builds_once() -> None:
    from modelswap.embeddings.pgvector import PgVectorIndex

    with pg_schema() as url:
        index = open_index(url, "docs", FP)
        assert isinstance(index, PgVectorIndex) and index.uses_index()
        index.defer_index()  # a bulk load: rows first, the HNSW index after
        assert not index.uses_index()
        vectors = unit(3000)  # enough rows for the planner to prefer the index to a scan
        index.add([f"d{i}" for i in range(3000)], vectors, fingerprint=FP)
        assert [hits[0] for hits in index.search(vectors[:5], 3, fingerprint=FP)[0]] == [f"d{i}" for i in range(5)]
        index.build()
        assert index.uses_index()
        assert [hits[0] for hits in index.search(vectors[:5], 3, fingerprint=FP)[0]] == [f"d{i}" for i in range(5)]
        index.close()
