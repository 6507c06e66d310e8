"""The embedding vector cache in the store: vectors of texts, kept across runs, on SQLite and PostgreSQL.

What it is: ``VectorCache``, the ``VectorStore`` of ``modelswap.compare.embedding`` over a SQL
store's ``embedding_vectors`` table (migration 4 in ``modelswap.store.schema``). A row is one
vector: the embedder's model id, the SHA-256 of the exact text the model read, the number of
dimensions and the vector as little-endian float32 bytes. A vector read back is the one
written, bit for bit; a row whose length disagrees with its dimensions is a miss (the text is
embedded again). Keys are looked up in chunks (``IN`` lists of at most 500); a save is one
transaction, rows in key order, and a key already stored keeps its first vector (the same
model on the same text computes the same vector). What it is not: the in-memory cache, nor
the choice of what to embed (``CachingEmbedder`` does both).

It uses the SQL store's own connection, lock, transactions and error translation (so a store
that goes away raises ``StoreUnavailable`` here too), through ``SQLStore``'s query helpers.
"""

from __future__ import annotations

import time
from collections.abc import Mapping, Sequence

import numpy as np
import numpy.typing as npt

from modelswap.store.base import Store
from modelswap.store.sql import SQLStore

Vectors = npt.NDArray[np.float32]

_SELECT = "SELECT text_sha256, dimensions, vector FROM embedding_vectors WHERE model = ?"
_INSERT = """
INSERT INTO embedding_vectors (model, text_sha256, dimensions, vector, created_at)
VALUES (?, ?, ?, ?, ?)
ON CONFLICT (model, text_sha256) DO NOTHING"""


class VectorCache:
    """Embedding vectors in ``store`` (a SQLite or PostgreSQL store), keyed by model id and text hash."""

    def __init__(self, store: Store) -> None:
        if not isinstance(store, SQLStore):
            raise TypeError(f"a vector cache needs a SQL store (SQLite or PostgreSQL), not {type(store).__name__}")
        self.store = store

    def load_vectors(self, model: str, keys: Sequence[str]) -> dict[str, Vectors]:
        """The stored vectors among ``keys`` of ``model``, by key (keys never stored are absent)."""
        rows = self.store._fetch_in("read embedding vectors", _SELECT, [model], "text_sha256", sorted(set(keys)))
        found = {}
        for key, dimensions, value in rows:
            vector = np.frombuffer(bytes(value), dtype="<f4").astype(np.float32)
            if vector.size == int(dimensions):
                found[str(key)] = vector
        return found

    def save_vectors(self, model: str, vectors: Mapping[str, Vectors]) -> None:
        """Keep ``vectors`` of ``model`` in one transaction; keys already stored keep their vector."""
        if not vectors:
            return
        now = time.time()
        rows = [(model, key, int(vector.size), np.asarray(vector, dtype="<f4").tobytes(), now)
                for key, vector in sorted(vectors.items())]
        with self.store._transaction("save embedding vectors") as cursor:
            cursor.executemany(self.store._sql(_INSERT), rows)

