"""The pgvector backend: an index as a table of the PostgreSQL modelswap already runs, searched through HNSW.

What it is: ``PgVectorIndex`` (the ``VectorIndex`` protocol on a table ``modelswap_vec_<name>``:
``id text primary key, embedding vector(d)``, with an HNSW index on ``vector_ip_ops``), the
metadata table ``modelswap_vector_indexes`` recording each index's fingerprint, and the listing
and dropping of indexes. What it is not: the store (``modelswap.store``); an index may live in the
store's database or in another one.

Needs the ``vector`` extension (pgvector) on the server: it is created in the database on first
use (``CREATE EXTENSION IF NOT EXISTS vector``); ``make postgres`` installs it where it is missing.
The tables go to the connection's search_path (a URL may select a schema with
``?options=-csearch_path%3Dname``); the extension's own schema is added to the connection's
search_path when it is not on it.

Writes: rows are sent with ``COPY ... (FORMAT BINARY)`` into a temporary table, then upserted
(``INSERT ... ON CONFLICT (id) DO UPDATE``) in the same transaction: one round trip per batch, and
the HNSW index is maintained as rows arrive. Searches: ``ORDER BY embedding <#> q LIMIT k`` (the
negative inner product, which the HNSW index serves) with ``hnsw.ef_search`` set per query
(``ef_search``, at least ``k``); the score returned is the inner product. One connection per
index object, behind a lock: threads may share an index.

A new index gets its HNSW index at once, so every search uses it. Inserting into HNSW row by row
is slow (50,000 rows of 384 dimensions took 485 s on a busy core); for a bulk load,
``defer_index()`` drops it, and ``build()`` creates it over every row afterwards (with
``maintenance_work_mem`` of 1 GB, in one pass). Searches without it scan every row, exactly.
"""

from __future__ import annotations

import json
import struct
import threading
import time
from collections.abc import Sequence
from typing import Any

import numpy as np

from modelswap.embeddings.fingerprint import Fingerprint, check
from modelswap.embeddings.index import (
    Hits,
    IndexInfo,
    VectorIndexError,
    Vectors,
    check_add,
    check_search,
    validate_name,
)

META = "modelswap_vector_indexes"
HNSW_M, HNSW_CONSTRUCTION, EF_SEARCH = 16, 64, 64
BUILD_MEMORY = "1GB"  # maintenance_work_mem for one HNSW build: pgvector builds fastest when the graph fits
_CREATE_META = f"""CREATE TABLE IF NOT EXISTS {META} (
    name TEXT PRIMARY KEY, fingerprint TEXT NOT NULL, fingerprint_key TEXT NOT NULL,
    dimensions INTEGER NOT NULL, created_at DOUBLE PRECISION NOT NULL)"""


def table_name(name: str) -> str:
    return f'"modelswap_vec_{name}"'


class PgVectorIndex:
    """The index ``name`` in the PostgreSQL database at ``url``; open it with ``PgVectorIndex.open``."""

    def __init__(self, connection: Any, url: str, name: str, fingerprint: Fingerprint, *,
                 ef_search: int = EF_SEARCH) -> None:
        self._connection = connection
        self._lock = threading.Lock()
        self.url = url
        self.name = name
        self.fingerprint = fingerprint
        self.ef_search = ef_search
        self._table = table_name(name)

    @classmethod
    def open(cls, url: str, name: str, fingerprint: Fingerprint | None = None, *,
             create: bool = True) -> PgVectorIndex:
        validate_name(name)
        connection = connect(url)
        try:
            with connection.transaction():
                connection.execute(f"SELECT pg_advisory_xact_lock(hashtext('{META}'))")
                connection.execute(_CREATE_META)
                row = connection.execute(f"SELECT fingerprint FROM {META} WHERE name = %s", (name,)).fetchone()
                if row is None:
                    if fingerprint is None or not create:
                        raise VectorIndexError(f"{masked(url)}: no index {name!r} in {META}"
                                               + ("" if fingerprint else " (a fingerprint is needed to create one)"))
                    _create(connection, name, fingerprint)
                    stored = fingerprint
                else:
                    stored = Fingerprint.from_dict(json.loads(row[0]), where=f"{META}[{name}].fingerprint")
                    if fingerprint is not None:
                        check(name, stored, fingerprint, "open")
        except BaseException:
            connection.close()
            raise
        return cls(connection, url, name, stored)

    # ---- the protocol --------------------------------------------------------------------------

    def add(self, ids: Sequence[str], vectors: Vectors, *, fingerprint: Fingerprint) -> None:
        matrix = check_add(self.name, self.fingerprint, fingerprint, ids, vectors)
        if not len(ids):
            return
        payload = binary_copy(list(ids), matrix)
        dimensions = self.fingerprint.dimensions
        with self._lock, self._connection.transaction():
            self._connection.execute(f"CREATE TEMPORARY TABLE modelswap_vec_incoming "
                                     f"(id TEXT, embedding vector({dimensions})) ON COMMIT DROP")
            with self._connection.cursor().copy("COPY modelswap_vec_incoming (id, embedding) FROM STDIN "
                                                "(FORMAT BINARY)") as copy:
                copy.write(payload)
            self._connection.execute(f"INSERT INTO {self._table} (id, embedding) SELECT id, embedding FROM "
                                     "modelswap_vec_incoming ON CONFLICT (id) DO UPDATE SET embedding = "
                                     "EXCLUDED.embedding")

    def remove(self, ids: Sequence[str]) -> None:
        if not ids:
            return
        with self._lock:
            self._connection.execute(f"DELETE FROM {self._table} WHERE id = ANY(%s)", (list(ids),))

    def search(self, queries: Vectors, k: int, *, fingerprint: Fingerprint) -> Hits:
        matrix = check_search(self.name, self.fingerprint, fingerprint, queries, k)
        found: list[list[str]] = []
        rows: list[list[float]] = []
        sql = f"SELECT id, embedding <#> %s::vector AS distance FROM {self._table} ORDER BY distance LIMIT %s"
        with self._lock, self._connection.transaction():
            self._connection.execute(f"SET LOCAL hnsw.ef_search = {max(self.ef_search, k)}")
            for query in matrix:
                literal = vector_literal(query)
                hits = self._connection.execute(sql, (literal, k)).fetchall()
                found.append([str(hit[0]) for hit in hits])
                rows.append([-float(hit[1]) for hit in hits])
        width = min((len(row) for row in rows), default=0)
        return found, np.array([row[:width] for row in rows], dtype=np.float32).reshape(len(rows), width)

    def ids(self) -> set[str]:
        with self._lock:
            return {str(row[0]) for row in self._connection.execute(f"SELECT id FROM {self._table}")}

    def __len__(self) -> int:
        with self._lock:
            row = self._connection.execute(f"SELECT count(*) FROM {self._table}").fetchone()
        return int(row[0])

    def uses_index(self) -> bool:
        """Whether PostgreSQL's plan for a search goes through the HNSW index (``EXPLAIN``)."""
        literal = vector_literal(np.zeros(self.fingerprint.dimensions, dtype=np.float32))
        with self._lock:
            plan = self._connection.execute(f"EXPLAIN SELECT id, embedding <#> %s::vector AS distance FROM "
                                            f"{self._table} ORDER BY distance LIMIT 10", (literal,)).fetchall()
        return any("modelswap_vec_" in str(line[0]) and "Index Scan" in str(line[0]) for line in plan)

    def defer_index(self) -> None:
        """Drop the HNSW index before a bulk load (searches scan every row until ``build``)."""
        with self._lock:
            self._connection.execute(f"DROP INDEX IF EXISTS {hnsw_name(self.name)}")

    def build(self, *, memory: str = BUILD_MEMORY) -> None:
        """Create the HNSW index if it is missing (after ``defer_index`` and a bulk load: once, over every row)."""
        with self._lock, self._connection.transaction():
            self._connection.execute(f"SET LOCAL maintenance_work_mem = '{memory}'")
            _create_hnsw(self._connection, self.name)
            self._connection.execute(f"ANALYZE {self._table}")  # the planner's row count, after a bulk load

    def close(self) -> None:
        self._connection.close()


def hnsw_name(name: str) -> str:
    return f'"modelswap_vec_{name}_hnsw"'


def _create_hnsw(connection: Any, name: str) -> None:
    connection.execute(f"CREATE INDEX IF NOT EXISTS {hnsw_name(name)} ON {table_name(name)} USING hnsw "
                       f"(embedding vector_ip_ops) WITH (m = {HNSW_M}, ef_construction = {HNSW_CONSTRUCTION})")


def _create(connection: Any, name: str, fingerprint: Fingerprint) -> None:
    connection.execute(f"CREATE TABLE IF NOT EXISTS {table_name(name)} (id TEXT PRIMARY KEY, "
                       f"embedding vector({fingerprint.dimensions}) NOT NULL)")
    _create_hnsw(connection, name)
    connection.execute(f"INSERT INTO {META} (name, fingerprint, fingerprint_key, dimensions, created_at) "
                       "VALUES (%s, %s, %s, %s, %s)",
                       (name, json.dumps(fingerprint.to_dict(), sort_keys=True), fingerprint.key(),
                        fingerprint.dimensions, time.time()))


def connect(url: str) -> Any:
    """An autocommit connection with the ``vector`` extension created and its schema on the search_path."""
    try:
        import psycopg
    except ImportError as exc:
        raise VectorIndexError(f"{masked(url)}: pgvector indexes need psycopg; install modelswap[postgres]") from exc
    try:
        connection = psycopg.connect(url, autocommit=True, connect_timeout=10)
    except psycopg.Error as exc:
        raise VectorIndexError(f"{masked(url)}: cannot connect: {' '.join(str(exc).split())}") from None
    try:
        find = "SELECT extnamespace::regnamespace::text FROM pg_extension WHERE extname = 'vector'"
        row: Any = connection.execute(find).fetchone()
        if row is None:
            connection.execute("CREATE EXTENSION IF NOT EXISTS vector")
            row = connection.execute(find).fetchone()
        schemas: Any = connection.execute("SELECT current_schemas(false)").fetchone()
        if row[0] not in schemas[0]:
            path: Any = connection.execute("SHOW search_path").fetchone()
            connection.execute(f"SET search_path TO {path[0]}, {row[0]}")
    except psycopg.Error as exc:
        connection.close()
        raise VectorIndexError(f"{masked(url)}: the vector extension (pgvector) is not available: "
                               f"{' '.join(str(exc).split())}; `make postgres` installs it") from None
    return connection


def masked(url: str) -> str:
    from modelswap.store.postgres import masked as store_masked

    return store_masked(url)


def vector_literal(vector: Vectors) -> str:
    """A vector in pgvector's text form, every float32 exactly (``repr`` of its double)."""
    return "[" + ",".join(repr(float(value)) for value in vector) + "]"


def binary_copy(ids: list[str], matrix: Vectors) -> bytes:
    """``(id, embedding)`` rows in PostgreSQL's binary COPY format (pgvector's binary: dims, 0, big-endian floats)."""
    dimensions = matrix.shape[1]
    big = matrix.astype(">f4")
    head = struct.pack(">ihh", 4 + 4 * dimensions, dimensions, 0)
    parts = [b"PGCOPY\n\xff\r\n\x00", struct.pack(">ii", 0, 0)]
    for item, vector in zip(ids, big, strict=True):
        encoded = item.encode("utf-8")
        parts.append(struct.pack(">hi", 2, len(encoded)))
        parts.append(encoded)
        parts.append(head)
        parts.append(vector.tobytes())
    parts.append(struct.pack(">h", -1))
    return b"".join(parts)


def list_pg_indexes(url: str) -> list[IndexInfo]:
    connection = connect(url)
    try:
        connection.execute(_CREATE_META)
        found = []
        for name, fingerprint in connection.execute(f"SELECT name, fingerprint FROM {META} ORDER BY name").fetchall():
            table = table_name(name)
            size = connection.execute(f"SELECT count(*) FROM {table}").fetchone()[0]
            total = connection.execute("SELECT pg_total_relation_size(%s::regclass)", (table,)).fetchone()[0]
            found.append(IndexInfo(name=name, size=int(size), backend="pgvector", bytes=int(total),
                                   fingerprint=Fingerprint.from_dict(json.loads(fingerprint),
                                                                     where=f"{META}[{name}].fingerprint")))
        return found
    finally:
        connection.close()


def drop_pg_index(url: str, name: str) -> bool:
    connection = connect(url)
    try:
        with connection.transaction():
            connection.execute(_CREATE_META)
            deleted = connection.execute(f"DELETE FROM {META} WHERE name = %s", (name,)).rowcount
            connection.execute(f"DROP TABLE IF EXISTS {table_name(name)}")
        return bool(deleted)
    finally:
        connection.close()
