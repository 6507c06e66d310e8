"""The approximate-nearest-neighbour graph of the embedded index: FAISS HNSW by inner product.

What it is: ``Graph``, string ids over a FAISS ``IndexHNSWFlat`` (M 16, construction 100, search
64 or ``k`` if larger) with tombstones for removed and replaced rows, saved to and loaded from
a file. What it is not: the index (``modelswap.embeddings.embedded`` decides when a graph answers
and keeps the exact rows); the library is an optional extra (``modelswap[embeddings]``).

Why FAISS: measured against hnswlib and USearch on the same clustered 384-dimension vectors, HNSW
with the same parameters on one thread (``bench/vectors.py --libraries``, docs/benchmarks.md),
FAISS built fastest and answered most queries per second at equal recall. FAISS's HNSW cannot
delete, so a removed or replaced row becomes a tombstone (its label is excluded from searches by
an ``IDSelector``); ``dead`` counts them and the index rebuilds the graph when they outnumber the
live rows. Searches run on ``threads`` OpenMP threads (1 by default: on a shared machine one
query per core beats one query over every core); FAISS's thread count is process-wide.
"""

from __future__ import annotations

import importlib
import json
import os
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np
import numpy.typing as npt

from modelswap.embeddings.index import VectorIndexError

M, CONSTRUCTION, SEARCH = 16, 100, 64


def _faiss() -> Any:
    try:
        return importlib.import_module("faiss")
    except ImportError as exc:
        raise VectorIndexError("an embedded index this large searches through FAISS: install modelswap[embeddings] "
                               "(faiss-cpu)") from exc


class Graph:
    """An HNSW graph of unit vectors by string id; ``labels`` maps each live id to its FAISS label."""

    def __init__(self, dimensions: int, *, threads: int = 1, index: Any = None) -> None:
        faiss = _faiss()
        faiss.omp_set_num_threads(threads)
        self.dimensions = dimensions
        self.ef_search = SEARCH  # candidates searched per query (at least k): more is slower and finds more
        if index is None:
            index = faiss.IndexHNSWFlat(dimensions, M, faiss.METRIC_INNER_PRODUCT)
            index.hnsw.efConstruction = CONSTRUCTION
        self._index = index
        self.ids: list[str] = []  # by label; a dead label keeps its id for the record
        self.labels: dict[str, int] = {}
        self._dead: set[int] = set()
        self._selector: Any = None

    @property
    def dead(self) -> int:
        return len(self._dead)

    def add(self, ids: Sequence[str], vectors: npt.NDArray[np.float32]) -> None:
        """Add rows; an id already held is replaced (its old label becomes a tombstone)."""
        replaced = [self.labels[item] for item in ids if item in self.labels]
        if replaced:
            self.remove(replaced)
        start = len(self.ids)
        self._index.add(np.ascontiguousarray(vectors, dtype=np.float32))
        for offset, item in enumerate(ids):
            self.ids.append(item)
            self.labels[item] = start + offset

    def remove(self, labels: Sequence[int]) -> None:
        for label in labels:
            self._dead.add(label)
            self.labels.pop(self.ids[label], None)
        self._selector = None

    def search(self, queries: npt.NDArray[np.float32], k: int) -> tuple[list[list[int]], npt.NDArray[np.float32]]:
        """Per query the labels of (about) the ``k`` highest inner products, and the scores."""
        faiss = _faiss()
        params = faiss.SearchParametersHNSW()
        params.efSearch = max(self.ef_search, k)
        if self._dead:
            if self._selector is None:
                dead = np.fromiter(self._dead, dtype=np.int64, count=len(self._dead))
                self._batch = faiss.IDSelectorBatch(dead)
                self._selector = faiss.IDSelectorNot(self._batch)
            params.sel = self._selector
        scores, labels = self._index.search(np.ascontiguousarray(queries, dtype=np.float32), k, params=params)
        width = int(min((int((row >= 0).sum()) for row in labels), default=0))
        return [[int(label) for label in row[:width]] for row in labels], scores[:, :width].astype(np.float32)

    def save(self, path: Path, state: dict[str, Any]) -> None:
        """The graph to ``path`` and its ids, tombstones and ``state`` (what it reflects) beside it, atomically."""
        faiss = _faiss()
        temporary = path.with_name(f".{path.name}.tmp")
        faiss.write_index(self._index, str(temporary))
        os.replace(temporary, path)
        meta = {"ids": self.ids, "dead": sorted(self._dead), "state": state}
        sidecar = path.with_suffix(".json")
        temporary = sidecar.with_name(f".{sidecar.name}.tmp")
        temporary.write_text(json.dumps(meta, ensure_ascii=False), encoding="utf-8")
        os.replace(temporary, sidecar)

    @classmethod
    def load(cls, path: Path, dimensions: int, *, threads: int = 1) -> tuple[Graph, dict[str, Any]] | None:
        """The graph saved at ``path`` and the state it reflects; None when there is none or it does not fit."""
        sidecar = path.with_suffix(".json")
        if not path.exists() or not sidecar.exists():
            return None
        try:
            meta = json.loads(sidecar.read_text(encoding="utf-8"))
            index = _faiss().read_index(str(path))
        except (OSError, ValueError, RuntimeError):
            return None
        if index.d != dimensions or index.ntotal != len(meta["ids"]):
            return None
        graph = cls(dimensions, threads=threads, index=index)
        graph.ids = list(meta["ids"])
        graph._dead = set(int(label) for label in meta["dead"])
        graph.labels = {item: label for label, item in enumerate(graph.ids) if label not in graph._dead}
        return graph, dict(meta["state"])
