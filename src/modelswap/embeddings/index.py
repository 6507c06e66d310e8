"""The vector index every backend implements, and the one way to open one.

What it is: ``VectorIndex``, the protocol of an index of unit vectors of one fingerprint (upsert by
id, remove, search by inner product, the ids held, the size); ``open_index``, which opens or
creates an index by name in an embedded directory or on PostgreSQL (``postgresql://...``), and
``list_indexes`` / ``drop_index`` for the CLI and garbage collection; ``VectorIndexError``. What it
is not: a backend (``modelswap.embeddings.embedded``, ``modelswap.embeddings.pgvector``) nor the
alias that readers query through (``modelswap.embeddings.alias``).

Every write and every search names the fingerprint of its vectors; an index refuses any other with
``FingerprintMismatch`` (``modelswap.embeddings.fingerprint``). Scores are inner products, which
for normalised vectors are cosine similarities, highest first.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Protocol, runtime_checkable

import numpy as np
import numpy.typing as npt

from modelswap.embeddings.fingerprint import Fingerprint, check
from modelswap.errors import ModelswapError

Vectors = npt.NDArray[np.float32]
Hits = tuple[list[list[str]], npt.NDArray[np.float32]]

NORM_TOLERANCE = 1e-3  # a row of a normalised fingerprint must have |norm - 1| below this (or be all zero)


class VectorIndexError(ModelswapError):
    """An index that cannot be opened, read or written: names the index (and the file or field)."""


@runtime_checkable
class VectorIndex(Protocol):
    """Unit vectors of one fingerprint, by string id."""

    name: str
    fingerprint: Fingerprint

    def add(self, ids: Sequence[str], vectors: Vectors, *, fingerprint: Fingerprint) -> None:
        """Insert or replace the rows ``ids``; refuses vectors of another fingerprint."""
        ...

    def remove(self, ids: Sequence[str]) -> None:
        """Remove the rows ``ids`` (ids not held are ignored)."""
        ...

    def search(self, queries: Vectors, k: int, *, fingerprint: Fingerprint) -> Hits:
        """Per query the ids of the ``k`` highest inner products and their scores (``(n, min(k, len))``)."""
        ...

    def ids(self) -> set[str]:
        """Every id held (what a resumed re-embedding skips)."""
        ...

    def __len__(self) -> int:
        ...

    def close(self) -> None:
        """Release what the index holds open (a connection, the rows in memory); it is unusable after."""
        ...


@dataclass(frozen=True, kw_only=True, slots=True)
class IndexInfo:
    """What ``list_indexes`` tells about one index."""

    name: str
    fingerprint: Fingerprint
    size: int
    backend: str
    bytes: int | None = None


def open_index(url_or_path: str, name: str, fingerprint: Fingerprint | None = None, *,
               create: bool = True, ann_threshold: int | None = None, ef_search: int | None = None) -> VectorIndex:
    """The index ``name`` in an embedded directory or a PostgreSQL database (``postgresql://...``).

    With ``fingerprint`` a missing index is created with it (unless ``create`` is false) and an
    existing one of another fingerprint is refused (``FingerprintMismatch``); without it the index
    must exist. ``ann_threshold``: embedded only, the size from which an approximate index answers
    searches (``modelswap.embeddings.embedded.ANN_THRESHOLD`` by default). ``ef_search``: the HNSW
    search list of either backend (64 by default; longer finds more true neighbours, more slowly).
    """
    validate_name(name)
    if is_postgres(url_or_path):
        from modelswap.embeddings.pgvector import PgVectorIndex

        index = PgVectorIndex.open(url_or_path, name, fingerprint, create=create)
        if ef_search is not None:
            index.ef_search = ef_search
        return index
    from modelswap.embeddings.embedded import EmbeddedIndex

    return EmbeddedIndex.open(url_or_path, name, fingerprint, create=create, ann_threshold=ann_threshold,
                              ef_search=ef_search)


def list_indexes(url_or_path: str) -> list[IndexInfo]:
    """Every index at ``url_or_path``, by name."""
    if is_postgres(url_or_path):
        from modelswap.embeddings.pgvector import list_pg_indexes

        return list_pg_indexes(url_or_path)
    from modelswap.embeddings.embedded import list_embedded_indexes

    return list_embedded_indexes(url_or_path)


def drop_index(url_or_path: str, name: str) -> bool:
    """Delete the index ``name`` and everything it holds; false when there was none."""
    validate_name(name)
    if is_postgres(url_or_path):
        from modelswap.embeddings.pgvector import drop_pg_index

        return drop_pg_index(url_or_path, name)
    from modelswap.embeddings.embedded import drop_embedded_index

    return drop_embedded_index(url_or_path, name)


def is_postgres(url_or_path: str) -> bool:
    return url_or_path.startswith(("postgresql://", "postgres://"))


def validate_name(name: str) -> None:
    """Index names are 1-44 of ``a-z 0-9 _ -`` starting with a letter or digit (a file, a table and an index name)."""
    if not (0 < len(name) <= 44 and name[0].isalnum() and all(c.isdigit() or c in "abcdefghijklmnopqrstuvwxyz_-"
                                                              for c in name)):
        raise VectorIndexError(f"index name {name!r}: expected 1-44 of a-z, 0-9, _ and -, starting with a "
                               "letter or digit")


def check_add(name: str, expected: Fingerprint, given: Fingerprint, ids: Sequence[str], vectors: Vectors) -> Vectors:
    """The rows to add, as a C-contiguous float32 matrix, after every check a backend makes on ``add``."""
    check(name, expected, given, "add")
    matrix = np.ascontiguousarray(vectors, dtype=np.float32)
    if matrix.ndim != 2 or matrix.shape[1] != expected.dimensions:
        raise VectorIndexError(f"index {name!r}: vectors of shape {matrix.shape}, expected (n, {expected.dimensions})")
    if matrix.shape[0] != len(ids):
        raise VectorIndexError(f"index {name!r}: {matrix.shape[0]} vectors for {len(ids)} ids")
    if len(set(ids)) != len(ids):
        raise VectorIndexError(f"index {name!r}: an id appears twice in one add")
    for position, item in enumerate(ids):
        if not isinstance(item, str) or not item:
            raise VectorIndexError(f"index {name!r}: ids[{position}]={item!r}: expected a non-empty string")
    if not np.isfinite(matrix).all():
        raise VectorIndexError(f"index {name!r}: vectors hold NaN or infinity")
    if expected.normalized and len(matrix):
        norms = np.linalg.norm(matrix, axis=1)
        bad = np.flatnonzero((np.abs(norms - 1.0) > NORM_TOLERANCE) & (norms > 0))
        if bad.size:
            raise VectorIndexError(f"index {name!r}: row {int(bad[0])} ({ids[int(bad[0])]!r}) has norm "
                                   f"{float(norms[bad[0]]):.4f}, but the fingerprint says normalized")
    return matrix


def check_search(name: str, expected: Fingerprint, given: Fingerprint, queries: Vectors, k: int) -> Vectors:
    """The queries as a float32 matrix (one row for a vector), after the checks every backend makes on ``search``."""
    check(name, expected, given, "search")
    matrix = np.ascontiguousarray(queries, dtype=np.float32)
    if matrix.ndim == 1:
        matrix = matrix.reshape(1, -1)
    if matrix.ndim != 2 or matrix.shape[1] != expected.dimensions:
        raise VectorIndexError(f"index {name!r}: queries of shape {matrix.shape}, expected (n, {expected.dimensions})")
    if isinstance(k, bool) or not isinstance(k, int) or k < 1:
        raise VectorIndexError(f"index {name!r}: k={k!r}: expected an integer >= 1")
    return matrix
