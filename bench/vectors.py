"""Vector index scale: build time, peak memory, queries/s and recall@10 on clustered synthetic vectors.

Two modes, each measurement in a fresh process of its own (so peak memory is that measurement's):

- ``--libraries``: the ANN libraries the embedded backend could use, side by side on the same data
  (FAISS ``IndexHNSWFlat``, hnswlib, USearch; all HNSW, M=16, construction 100, search 64, one
  thread). Needs ``faiss-cpu hnswlib usearch`` importable; only numpy of modelswap's own. This is
  the measurement behind the choice in ``modelswap.embeddings.ann``.
- default: modelswap's own backends through ``open_index``: the embedded index (its ANN graph
  above the threshold) and pgvector (``--postgres URL``; HNSW on ``vector_ip_ops``, built once
  after the rows are in: ``defer_index`` then ``build``), rows added in batches of 10,000 as a
  re-embedding would.

Data: ``--size`` unit vectors of 384 dimensions around 2,000 random centres (noise 0.5 per
coordinate before normalising, so neighbours are near but not duplicates), seed 7; queries from
the same distribution, seed 8. Recall@10 is measured against exact inner-product search over every
row on ``--recall-queries`` queries; queries/s is one query at a time on one thread. Peak memory is
the process's maximum resident set (``ru_maxrss``, data generation included); index memory is the
resident set after the build less the one before it (what the index holds beyond the caller's
vectors), and for pgvector the table and its HNSW index as PostgreSQL stores them
(``pg_total_relation_size``; the build itself may use up to ``maintenance_work_mem``, 2 GB here).

    .venv/bin/python bench/vectors.py --size 1000000 --backends embedded
    .venv/bin/python bench/vectors.py --size 1000000 --backends pgvector --postgres postgresql://root@127.0.0.1:5432/test
    /path/to/venv-with-libraries/bin/python bench/vectors.py --libraries --size 100000
"""

from __future__ import annotations

import argparse
import json
import resource
import subprocess
import sys
import time
from typing import Any

import numpy as np

DIMENSIONS = 384
CENTRES = 2_000
NOISE = 0.5
M, CONSTRUCTION, SEARCH = 16, 100, 64


def clustered(size: int, seed: int) -> np.ndarray:
    """``size`` unit vectors around ``CENTRES`` fixed centres (the centres do not depend on ``seed``)."""
    centres = np.random.default_rng(0).normal(size=(CENTRES, DIMENSIONS)).astype(np.float32)
    rng = np.random.default_rng(seed)
    out = np.empty((size, DIMENSIONS), dtype=np.float32)
    for start in range(0, size, 100_000):
        n = min(100_000, size - start)
        block = centres[rng.integers(0, CENTRES, n)] + rng.normal(scale=NOISE, size=(n, DIMENSIONS)).astype(np.float32)
        out[start:start + n] = block / np.linalg.norm(block, axis=1, keepdims=True)
    return out


def exact_top(data: np.ndarray, queries: np.ndarray, k: int) -> np.ndarray:
    top = np.empty((len(queries), k), dtype=np.int64)
    for start in range(0, len(queries), 20):
        scores = queries[start:start + 20] @ data.T
        part = np.argpartition(-scores, k, axis=1)[:, :k]
        order = np.argsort(-np.take_along_axis(scores, part, axis=1), axis=1)
        top[start:start + 20] = np.take_along_axis(part, order, axis=1)
    return top


def recall(found: list[list[int]], truth: np.ndarray) -> float:
    return float(np.mean([len(set(row) & set(true.tolist())) / len(true) for row, true in zip(found, truth,
                                                                                              strict=True)]))


def rss_mb() -> float:
    with open("/proc/self/status", encoding="ascii") as status:
        for line in status:
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
    return 0.0


def peak_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


# ---- one measurement, in its own process --------------------------------------------------------

def measure_library(library: str, size: int, queries_n: int, recall_n: int) -> dict[str, Any]:
    data = clustered(size, seed=7)
    queries = clustered(queries_n, seed=8)
    base = rss_mb()
    started = time.perf_counter()
    if library == "faiss":
        import faiss  # type: ignore[import-not-found,import-untyped,unused-ignore]

        faiss.omp_set_num_threads(1)
        index = faiss.IndexHNSWFlat(DIMENSIONS, M, faiss.METRIC_INNER_PRODUCT)
        index.hnsw.efConstruction = CONSTRUCTION
        index.add(data)
        index.hnsw.efSearch = SEARCH

        def search(query: np.ndarray) -> list[int]:
            return [int(i) for i in index.search(query.reshape(1, -1), 10)[1][0]]
    elif library == "hnswlib":
        import hnswlib  # type: ignore[import-not-found,import-untyped,unused-ignore]

        graph: Any = hnswlib.Index(space="ip", dim=DIMENSIONS)
        graph.init_index(max_elements=size, M=M, ef_construction=CONSTRUCTION)
        graph.set_num_threads(1)
        graph.add_items(data, np.arange(size), num_threads=1)
        graph.set_ef(SEARCH)

        def search(query: np.ndarray) -> list[int]:
            return [int(i) for i in graph.knn_query(query, k=10, num_threads=1)[0][0]]
    elif library == "usearch":
        from usearch.index import Index  # type: ignore[import-not-found,import-untyped,unused-ignore]

        usearch: Any = Index(ndim=DIMENSIONS, metric="ip", dtype="f32", connectivity=M, expansion_add=CONSTRUCTION,
                             expansion_search=SEARCH)
        usearch.add(np.arange(size), data, threads=1)

        def search(query: np.ndarray) -> list[int]:
            return [int(i) for i in usearch.search(query, 10, threads=1).keys]
    else:
        raise SystemExit(f"--library {library}: expected faiss, hnswlib or usearch")
    built = time.perf_counter() - started
    held = rss_mb() - base
    return _queries(search, data, queries, recall_n) | {"what": library, "size": size, "build_s": round(built, 1),
                                                        "index_mb": round(held)}


def measure_backend(backend: str, size: int, queries_n: int, recall_n: int, postgres: str) -> dict[str, Any]:
    import tempfile

    from modelswap.embeddings.fingerprint import Fingerprint
    from modelswap.embeddings.index import drop_index, list_indexes, open_index

    fingerprint = Fingerprint(model="synthetic", version="clustered-v1", dimensions=DIMENSIONS, normalized=True)
    data = clustered(size, seed=7)
    queries = clustered(queries_n, seed=8)
    base = rss_mb()
    with tempfile.TemporaryDirectory(prefix="modelswap-bench-") as directory:
        where = postgres if backend == "pgvector" else directory
        name = f"bench-{size}"
        drop_index(where, name)
        index = open_index(where, name, fingerprint)
        if hasattr(index, "defer_index"):
            index.defer_index()  # pgvector: rows first, then one HNSW build over all of them
        started = time.perf_counter()
        ids = [str(i) for i in range(size)]
        for start in range(0, size, 10_000):
            index.add(ids[start:start + 10_000], data[start:start + 10_000], fingerprint=fingerprint)
        if hasattr(index, "build"):
            index.build(memory="2GB")  # pgvector: one HNSW build once the rows are in, its graph in memory
        built = time.perf_counter() - started
        held = rss_mb() - base
        if backend == "pgvector":  # the server holds the index: its table and HNSW index on disk
            held = next(info.bytes or 0 for info in list_indexes(where) if info.name == name) / 2**20

        def search(query: np.ndarray) -> list[int]:
            return [int(i) for i in index.search(query, 10, fingerprint=fingerprint)[0][0]]

        result = _queries(search, data, queries, recall_n)
        if backend == "pgvector":
            drop_index(where, name)
    return result | {"what": backend, "size": size, "build_s": round(built, 1), "index_mb": round(held)}


def _queries(search: Any, data: np.ndarray, queries: np.ndarray, recall_n: int) -> dict[str, Any]:
    search(queries[0])  # warm
    started = time.perf_counter()
    found = [search(query) for query in queries]
    elapsed = time.perf_counter() - started
    truth = exact_top(data, queries[:recall_n], 10)
    return {"qps": round(len(queries) / elapsed), "recall_at_10": round(recall(found[:recall_n], truth), 4)}


# ---- the driver ---------------------------------------------------------------------------------

def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--size", type=int, nargs="+", default=[100_000])
    parser.add_argument("--libraries", action="store_true", help="compare FAISS, hnswlib and USearch")
    parser.add_argument("--only", nargs="+", default=None, help="libraries or backends to measure")
    parser.add_argument("--backends", nargs="+", default=["embedded"], choices=["embedded", "pgvector"])
    parser.add_argument("--postgres", default="postgresql://root@127.0.0.1:5432/test")
    parser.add_argument("--queries", type=int, default=1000)
    parser.add_argument("--recall-queries", type=int, default=200)
    parser.add_argument("--child", nargs=2, metavar=("KIND", "WHAT"), help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        kind, what = args.child
        size = args.size[0]
        result = (measure_library(what, size, args.queries, args.recall_queries) if kind == "library" else
                  measure_backend(what, size, args.queries, args.recall_queries, args.postgres))
        result["peak_rss_mb"] = round(peak_mb())
        print(json.dumps(result))
        return
    kind = "library" if args.libraries else "backend"
    names = args.only or (["faiss", "hnswlib", "usearch"] if args.libraries else args.backends)
    print("| what | vectors | build s | index memory MB | process peak MB | queries/s (1 thread) | recall@10 |")
    print("| --- | ---: | ---: | ---: | ---: | ---: | ---: |")
    for size in args.size:
        for name in names:
            command = [sys.executable, __file__, "--child", kind, name, "--size", str(size), "--queries",
                       str(args.queries), "--recall-queries", str(args.recall_queries), "--postgres", args.postgres]
            done = subprocess.run(command, capture_output=True, text=True, check=False)
            if done.returncode != 0:
                print(f"| {name} | {size:,} | failed: {done.stderr.strip().splitlines()[-1:]} |||||", flush=True)
                continue
            row = json.loads(done.stdout.strip().splitlines()[-1])
            print(f"| {row['what']} | {row['size']:,} | {row['build_s']} | {row['index_mb']:,} | "
                  f"{row['peak_rss_mb']:,} | {row['qps']:,} | {row['recall_at_10']} |", flush=True)


if __name__ == "__main__":
    main()
