"""The embedded vector index: a directory per index, exact numpy search, an ANN graph from a size on.

What it is: ``EmbeddedIndex``, the default backend of ``modelswap.embeddings.index`` (no server):
every row in one float32 matrix in memory, searched exactly by inner product below
``ann_threshold`` rows and through an approximate graph (``modelswap.embeddings.ann``) above it;
and the directory format it keeps on disk. What it is not: a server; one process writes an index
at a time (readers in other processes see it as it was when they opened it).

On disk (``ROOT/NAME/``)::

    manifest.json        {"format": "modelswap.vector-index/v1", "name", "fingerprint", "created_at",
                          "segments": ["000001.add", "000002.remove", ...]}
    000001.add.npy       the vectors of one add (float32, (n, dimensions))
    000001.add.ids.json  their ids, in order
    000002.remove.ids.json

Every ``add`` and ``remove`` writes one segment (files first, fsynced, then the manifest replaced
atomically), so a crash loses at most the call in flight and a re-embedding resumes from
``ids()``. Opening replays the segments in order (a later add of an id replaces it, a remove drops
it). ``compact()`` rewrites the live rows as one segment; it runs by itself when the segments hold
twice the live rows. Files not named by the manifest are leftovers of a crash and are ignored.
"""

from __future__ import annotations

import json
import os
import shutil
import threading
import time
from collections.abc import Sequence
from pathlib import Path
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

FORMAT = "modelswap.vector-index/v1"
MANIFEST = "manifest.json"
GRAPH = "graph.faiss"  # the saved ANN graph; graph.json beside it holds its ids and the segments it reflects
ANN_THRESHOLD = 20_000  # rows from which the ANN graph answers (exact: 12 ms a query at 20,000; docs/embeddings.md)
QUERY_BLOCK = 32_000_000  # scores computed at once by exact search (queries x rows), 128 MB


class EmbeddedIndex:
    """An index in ``root/name``; see the module docstring. Open it with ``EmbeddedIndex.open``."""

    def __init__(self, directory: Path, name: str, fingerprint: Fingerprint, *, created_at: float,
                 segments: list[str], ann_threshold: int | None = None, ef_search: int | None = None) -> None:
        self.directory = directory
        self.name = name
        self.fingerprint = fingerprint
        self.created_at = created_at
        self.ann_threshold = ANN_THRESHOLD if ann_threshold is None else ann_threshold
        self.ef_search = ef_search  # the ANN graph's search list (None: modelswap.embeddings.ann.SEARCH)
        self._segments = segments
        self._stored_rows = 0  # rows written in segments (live or not), for compaction
        self._matrix = np.zeros((0, fingerprint.dimensions), dtype=np.float32)
        self._ids: list[str] = []
        self._row: dict[str, int] = {}
        self._ann: Any = None  # the ANN graph once built (modelswap.embeddings.ann.Graph)
        self._graph_saved: list[str] | None = None  # the segments the saved graph reflects
        self._lock = threading.RLock()

    # ---- opening -------------------------------------------------------------------------------

    @classmethod
    def open(cls, root: str | os.PathLike[str], name: str, fingerprint: Fingerprint | None = None, *,
             create: bool = True, ann_threshold: int | None = None, ef_search: int | None = None) -> EmbeddedIndex:
        validate_name(name)
        directory = Path(root) / name
        manifest_path = directory / MANIFEST
        if not manifest_path.exists():
            if fingerprint is None or not create:
                raise VectorIndexError(f"{manifest_path}: no index {name!r} here"
                                       + ("" if fingerprint else " (a fingerprint is needed to create one)"))
            index = cls(directory, name, fingerprint, created_at=time.time(), segments=[],
                        ann_threshold=ann_threshold, ef_search=ef_search)
            directory.mkdir(parents=True, exist_ok=True)
            index._write_manifest()
            return index
        manifest = _read_manifest(manifest_path, name)
        stored = Fingerprint.from_dict(manifest["fingerprint"], where=f"{manifest_path}: fingerprint")
        if fingerprint is not None:
            check(name, stored, fingerprint, "open")
        index = cls(directory, name, stored, created_at=float(manifest["created_at"]),
                    segments=list(manifest["segments"]), ann_threshold=ann_threshold, ef_search=ef_search)
        index._replay()
        return index

    def _replay(self) -> None:
        for segment in self._segments:
            ids = self._read_ids(segment)
            if segment.endswith(".add"):
                path = self.directory / f"{segment}.npy"
                try:
                    vectors = np.load(path, allow_pickle=False)
                except (OSError, ValueError) as exc:
                    raise VectorIndexError(f"{path}: cannot be read: {exc}") from None
                if vectors.shape != (len(ids), self.fingerprint.dimensions):
                    raise VectorIndexError(f"{path}: shape {vectors.shape} for {len(ids)} ids of "
                                           f"{self.fingerprint.dimensions} dimensions")
                self._upsert(ids, vectors)
                self._stored_rows += len(ids)
            else:
                self._delete(ids)
        self._attach_graph()

    def _read_ids(self, segment: str) -> list[str]:
        path = self.directory / f"{segment}.ids.json"
        try:
            ids = json.loads(path.read_text(encoding="utf-8"))
        except (OSError, ValueError) as exc:
            raise VectorIndexError(f"{path}: cannot be read: {exc}") from None
        if not isinstance(ids, list) or not all(isinstance(item, str) for item in ids):
            raise VectorIndexError(f"{path}: expected a JSON list of strings")
        return ids

    # ---- the protocol --------------------------------------------------------------------------

    def add(self, ids: Sequence[str], vectors: Vectors, *, fingerprint: Fingerprint) -> None:
        matrix = check_add(self.name, self.fingerprint, fingerprint, ids, vectors)
        if not len(ids):
            return
        ids = list(ids)
        with self._lock:
            self._write_segment("add", ids, matrix)
            self._upsert(ids, matrix)
            self._stored_rows += len(ids)
            self._sync_ann(changed=ids)
            self._maybe_compact()

    def remove(self, ids: Sequence[str]) -> None:
        with self._lock:
            held = [item for item in dict.fromkeys(ids) if item in self._row]
            if not held:
                return
            self._write_segment("remove", held, None)
            if self._ann is not None:
                self._ann.remove([self._ann_label(item) for item in held])
            self._delete(held)
            self._sync_ann()
            self._maybe_compact()

    def search(self, queries: Vectors, k: int, *, fingerprint: Fingerprint) -> Hits:
        matrix = check_search(self.name, self.fingerprint, fingerprint, queries, k)
        with self._lock:
            k = min(k, len(self._ids))
            if k == 0:
                return [[] for _ in range(len(matrix))], np.zeros((len(matrix), 0), dtype=np.float32)
            if self._ann is not None:
                if self.ef_search is not None:
                    self._ann.ef_search = self.ef_search
                labels, scores = self._ann.search(matrix, k)
                return [[self._ann.ids[label] for label in row] for row in labels], scores
            return self.exact_search(matrix, k)

    def exact_search(self, queries: Vectors, k: int) -> Hits:
        """The true top ``k`` by inner product over every row (what the ANN graph is measured against)."""
        rows = self._matrix[:len(self._ids)]
        k = min(k, len(rows))
        block = max(1, QUERY_BLOCK // max(1, len(rows)))
        all_ids: list[list[str]] = []
        all_scores = np.zeros((len(queries), k), dtype=np.float32)
        for start in range(0, len(queries), block):
            scores = queries[start:start + block] @ rows.T
            top = np.argpartition(-scores, k - 1, axis=1)[:, :k] if k < len(rows) else \
                np.tile(np.arange(len(rows)), (len(scores), 1))
            top_scores = np.take_along_axis(scores, top, axis=1)
            order = np.argsort(-top_scores, axis=1, kind="stable")
            top = np.take_along_axis(top, order, axis=1)
            all_scores[start:start + len(scores)] = np.take_along_axis(top_scores, order, axis=1)
            all_ids.extend([self._ids[row] for row in hits] for hits in top)
        return all_ids, all_scores

    def ids(self) -> set[str]:
        with self._lock:
            return set(self._ids)

    def __len__(self) -> int:
        return len(self._ids)

    def close(self) -> None:
        """Save the ANN graph (if it changed) and drop the rows from memory (everything else is on disk)."""
        with self._lock:
            self.save_graph()
        self._matrix = np.zeros((0, self.fingerprint.dimensions), dtype=np.float32)
        self._ids, self._row, self._ann = [], {}, None

    def vectors(self, ids: Sequence[str]) -> Vectors:
        """The stored rows of ``ids`` (a KeyError names the first id not held)."""
        return self._matrix[[self._row[item] for item in ids]].copy()

    @property
    def uses_ann(self) -> bool:
        """Whether searches go through the approximate graph (the index holds ``ann_threshold`` rows or more)."""
        return self._ann is not None

    def compact(self) -> None:
        """Rewrite the live rows as one segment and delete the others (the ANN graph is saved for the new one)."""
        with self._lock:
            old = list(self._segments)
            self._segments = []
            if self._ids:
                self._write_segment("add", list(self._ids), self._matrix[:len(self._ids)], manifest=False)
            self._write_manifest()
            self._stored_rows = len(self._ids)
            self.save_graph()
            for segment in old:
                for suffix in (".npy", ".ids.json"):
                    (self.directory / f"{segment}{suffix}").unlink(missing_ok=True)

    def disk_bytes(self) -> int:
        return sum(path.stat().st_size for path in self.directory.iterdir() if path.is_file())

    # ---- memory --------------------------------------------------------------------------------

    def _upsert(self, ids: list[str], matrix: Vectors) -> None:
        new = [item for item in ids if item not in self._row]
        needed = len(self._ids) + len(new)
        if needed > len(self._matrix):
            grown = np.zeros((max(needed, 2 * len(self._matrix), 1024), self.fingerprint.dimensions),
                             dtype=np.float32)
            grown[:len(self._ids)] = self._matrix[:len(self._ids)]
            self._matrix = grown
        for item, vector in zip(ids, matrix, strict=True):
            row = self._row.get(item)
            if row is None:
                row = len(self._ids)
                self._ids.append(item)
                self._row[item] = row
            self._matrix[row] = vector

    def _delete(self, ids: list[str]) -> None:
        for item in ids:
            row = self._row.pop(item, None)
            if row is None:
                continue
            last = len(self._ids) - 1
            if row != last:  # the last row fills the hole: the matrix stays dense
                moved = self._ids[last]
                self._matrix[row] = self._matrix[last]
                self._ids[row] = moved
                self._row[moved] = row
            self._ids.pop()

    # ---- the ANN graph -------------------------------------------------------------------------

    def _sync_ann(self, *, changed: list[str] | None = None, rebuild: bool = False) -> None:
        if len(self._ids) < self.ann_threshold:
            self._ann = None
            return
        if self._ann is None or rebuild or self._ann.dead > len(self._ids):
            from modelswap.embeddings.ann import Graph

            self._ann = Graph(self.fingerprint.dimensions)
            self._ann.add(list(self._ids), self._matrix[:len(self._ids)])
        elif changed:
            self._ann.add(changed, self.vectors(changed))

    def _attach_graph(self) -> None:
        """After a replay: the saved graph if it reflects these segments (or a prefix, caught up), else a new one."""
        if len(self._ids) < self.ann_threshold:
            return
        from modelswap.embeddings.ann import Graph

        loaded = Graph.load(self.directory / GRAPH, self.fingerprint.dimensions)
        if loaded is None:
            self._sync_ann(rebuild=True)
            return
        graph, state = loaded
        saved = list(state.get("segments", []))
        if saved != self._segments[:len(saved)]:
            self._sync_ann(rebuild=True)
            return
        for segment in self._segments[len(saved):]:
            ids = self._read_ids(segment)
            if segment.endswith(".add"):
                graph.add(ids, np.load(self.directory / f"{segment}.npy", allow_pickle=False))
            else:
                graph.remove([graph.labels[item] for item in ids if item in graph.labels])
        self._ann = graph
        self._graph_saved = list(self._segments) if len(saved) == len(self._segments) else None

    def save_graph(self) -> None:
        """Write the ANN graph beside the segments (``close`` does), so the next open need not rebuild it."""
        if self._ann is not None and self._graph_saved != self._segments:
            self._ann.save(self.directory / GRAPH, {"segments": list(self._segments)})
            self._graph_saved = list(self._segments)

    def _ann_label(self, item: str) -> int:
        label: int = self._ann.labels[item]
        return label

    # ---- disk ----------------------------------------------------------------------------------

    def _write_segment(self, kind: str, ids: list[str], matrix: Vectors | None, *, manifest: bool = True) -> None:
        number = 1 + max((int(segment.split(".")[0]) for segment in self._segments), default=0)
        if not self._segments:
            number = 1 + max((int(path.name.split(".")[0]) for path in self.directory.glob("*.ids.json")
                              if path.name.split(".")[0].isdigit()), default=0)
        segment = f"{number:06d}.{kind}"
        if matrix is not None:
            _write_atomically(self.directory / f"{segment}.npy", lambda handle: np.save(handle, matrix))
        payload = json.dumps(ids, ensure_ascii=False).encode("utf-8")
        _write_atomically(self.directory / f"{segment}.ids.json", lambda handle: handle.write(payload))
        self._segments.append(segment)
        if manifest:
            self._write_manifest()

    def _write_manifest(self) -> None:
        document = {"format": FORMAT, "name": self.name, "fingerprint": self.fingerprint.to_dict(),
                    "created_at": self.created_at, "segments": self._segments}
        payload = json.dumps(document, ensure_ascii=False, indent=1).encode("utf-8")
        _write_atomically(self.directory / MANIFEST, lambda handle: handle.write(payload))

    def _maybe_compact(self) -> None:
        if len(self._segments) > 1 and self._stored_rows > 2 * max(len(self._ids), 1024):
            self.compact()


def _write_atomically(path: Path, write: Any) -> None:
    temporary = path.with_name(f".{path.name}.tmp")
    with temporary.open("wb") as handle:
        write(handle)
        handle.flush()
        os.fsync(handle.fileno())
    os.replace(temporary, path)


def _read_manifest(path: Path, name: str) -> dict[str, Any]:
    try:
        manifest = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        raise VectorIndexError(f"{path}: cannot be read: {exc}") from None
    if not isinstance(manifest, dict) or manifest.get("format") != FORMAT:
        raise VectorIndexError(f"{path}: format: expected {FORMAT!r}")
    for field in ("fingerprint", "created_at", "segments"):
        if field not in manifest:
            raise VectorIndexError(f"{path}: {field}: missing")
    segments = manifest["segments"]
    if not isinstance(segments, list) or not all(isinstance(s, str) and s.endswith((".add", ".remove"))
                                                  for s in segments):
        raise VectorIndexError(f"{path}: segments: expected a list of NNNNNN.add / NNNNNN.remove names")
    if manifest.get("name") != name:
        raise VectorIndexError(f"{path}: name: {manifest.get('name')!r}, expected {name!r}")
    return manifest


def list_embedded_indexes(root: str | os.PathLike[str]) -> list[IndexInfo]:
    """Every index under ``root`` (its size counted from the segments' ids, nothing loaded)."""
    found = []
    base = Path(root)
    if not base.is_dir():
        return []
    for manifest_path in sorted(base.glob(f"*/{MANIFEST}")):
        name = manifest_path.parent.name
        manifest = _read_manifest(manifest_path, name)
        live: set[str] = set()
        for segment in manifest["segments"]:
            ids = json.loads((manifest_path.parent / f"{segment}.ids.json").read_text(encoding="utf-8"))
            if segment.endswith(".add"):
                live.update(ids)
            else:
                live.difference_update(ids)
        size = sum(path.stat().st_size for path in manifest_path.parent.iterdir() if path.is_file())
        fingerprint = Fingerprint.from_dict(manifest["fingerprint"], where=f"{manifest_path}: fingerprint")
        found.append(IndexInfo(name=name, fingerprint=fingerprint, size=len(live), backend="embedded", bytes=size))
    return found


def drop_embedded_index(root: str | os.PathLike[str], name: str) -> bool:
    directory = Path(root) / name
    if not (directory / MANIFEST).exists():
        return False
    shutil.rmtree(directory)
    return True
