"""Re-embedding a corpus with the candidate model into a new index: estimated first, batched,
resumable, and kept correct while documents change (``DualWriter``).

What it is:

- ``plan``: the documents the target index does not hold yet (``index.ids()``): a rerun after
  a crash or Ctrl-C embeds only what is missing.
- ``estimate``: what the run will cost before it starts: documents, tokens, time (from one
  measured warm-up batch, whose vectors are kept and written, not wasted) and index memory
  (n x dimensions x 4 bytes of float32 rows, plus each id's characters and ``ROW_OVERHEAD`` bytes
  per row for its bookkeeping). Tokens: with the model's tokenizer (``count_tokens``), its count
  over a seeded sample of ``TOKEN_SAMPLE`` documents to embed, scaled by their share of the
  characters (every document when there are fewer); without one, characters / 4, which reads low
  on Japanese (nearer one token per character). ``Estimate.tokens_by`` says which.
- ``reembed``: batch after batch, the passage embedder's vectors written to the index with the
  model's fingerprint; a callback per batch drives a progress bar.
- ``DualWriter``: while a backfill runs, new, changed and deleted documents go to both the old
  and the new index. A document written through it is marked, and the backfill skips marked ids
  when it writes its batch (the check and the write hold the writer's lock), so a document
  changed during the backfill ends with its new text in both indexes, and a deleted one stays
  deleted, whatever the order of the two writers.

What it is not: the index backends, the models (``models``), the progress bar's look (the CLI).
"""

from __future__ import annotations

import random
import threading
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass

import numpy as np

from modelswap.compare.embedding import Embedder
from modelswap.embeddings.fingerprint import Fingerprint
from modelswap.embeddings.index import VectorIndex
from modelswap.embeddings.probes import Document

TOKEN_SAMPLE = 1000
ROW_OVERHEAD = 64  # bytes per row besides its vector and id characters: id lookup and row table entries
WARMUP = 32


@dataclass(frozen=True, kw_only=True)
class Estimate:
    documents: int
    todo: int
    tokens: int
    tokens_by: str  # "tokenizer", "tokenizer on a sample" or "chars/4"
    warmup_texts: int
    warmup_s: float
    seconds: float  # todo / (warm-up texts per second)
    index_bytes: int

    def describe(self) -> str:
        rate = self.warmup_texts / self.warmup_s if self.warmup_s > 0 else float("inf")
        return (f"{self.todo:,} of {self.documents:,} documents to embed (the rest are in the index), "
                f"~{self.tokens:,} tokens ({self.tokens_by}), ~{self.seconds:,.0f} s at {rate:,.0f} texts/s "
                f"(warm-up of {self.warmup_texts}), index ~{self.index_bytes / 1e6:,.1f} MB")


@dataclass(frozen=True, kw_only=True)
class Warmed:
    """The estimate and the warm-up batch's vectors (written by ``reembed`` as its first batch)."""

    estimate: Estimate
    ids: list[str]
    vectors: np.ndarray


def plan(documents: Sequence[Document], index: VectorIndex) -> list[Document]:
    """The documents ``index`` does not hold, in corpus order."""
    held = index.ids()
    return [doc for doc in documents if doc.id not in held]


def count_tokens(todo: Sequence[Document], counter: Callable[[str], int] | None, *,
                 sample: int = TOKEN_SAMPLE, seed: int = 0) -> tuple[int, str]:
    """The tokens of ``todo`` and how they were counted (see the module docstring)."""
    chars = sum(len(doc.text) for doc in todo)
    if counter is None:
        return chars // 4, "chars/4"
    if len(todo) <= sample:
        return sum(counter(doc.text) for doc in todo), "tokenizer"
    drawn = random.Random(seed).sample(list(todo), sample)
    drawn_chars = sum(len(doc.text) for doc in drawn)
    counted = sum(counter(doc.text) for doc in drawn)
    return round(counted * chars / drawn_chars) if drawn_chars else counted, "tokenizer on a sample"


def estimate(documents: Sequence[Document], todo: Sequence[Document], embedder: Embedder, *, dimensions: int,
             warmup: int = WARMUP, counter: Callable[[str], int] | None = None) -> Warmed:
    """Embed a warm-up batch (the first ``warmup`` of ``todo``) and estimate the whole run from it (``counter``:
    the model's token count of one text, asked once the warm-up has loaded the model)."""
    first = list(todo[:warmup])
    # the first text alone loads the model (seconds, once); the rest of the batch is timed: the encoding rate
    head = embedder.embed([first[0].text]) if first else np.zeros((0, dimensions), np.float32)
    started = time.perf_counter()
    tail = embedder.embed([doc.text for doc in first[1:]]) if len(first) > 1 else np.zeros((0, dimensions), np.float32)
    took = time.perf_counter() - started
    vectors = np.concatenate([head, tail]).astype(np.float32, copy=False) if first else head
    timed = len(first) - 1
    rate = timed / took if timed > 0 and took > 0 else 0.0
    every = list(documents)
    tokens, tokens_by = count_tokens(todo, counter)
    return Warmed(estimate=Estimate(
        documents=len(every), todo=len(todo), tokens=tokens, tokens_by=tokens_by,
        warmup_texts=max(timed, 0), warmup_s=took, seconds=len(todo) / rate if rate else 0.0,
        index_bytes=sum(dimensions * 4 + len(doc.id) + ROW_OVERHEAD for doc in every)),
        ids=[doc.id for doc in first], vectors=vectors)


class DualWriter:
    """Writes documents to the old and the new index at once, while (and after) a backfill runs."""

    def __init__(self, old: VectorIndex, old_embedder: Embedder, old_fingerprint: Fingerprint,
                 new: VectorIndex, new_embedder: Embedder, new_fingerprint: Fingerprint) -> None:
        self.old, self.old_embedder, self.old_fingerprint = old, old_embedder, old_fingerprint
        self.new, self.new_embedder, self.new_fingerprint = new, new_embedder, new_fingerprint
        self.lock = threading.Lock()
        self.touched: set[str] = set()  # ids written or deleted here: newer than anything the backfill read

    def upsert(self, documents: Sequence[Document]) -> None:
        """New or changed documents, embedded by both models and written to both indexes."""
        ids, texts = [doc.id for doc in documents], [doc.text for doc in documents]
        old_vectors, new_vectors = self.old_embedder.embed(texts), self.new_embedder.embed(texts)
        with self.lock:
            self.old.add(ids, old_vectors, fingerprint=self.old_fingerprint)
            self.new.add(ids, new_vectors, fingerprint=self.new_fingerprint)
            self.touched.update(ids)

    def delete(self, ids: Sequence[str]) -> None:
        with self.lock:
            self.old.remove(ids)
            self.new.remove(ids)
            self.touched.update(ids)


@dataclass(frozen=True, kw_only=True)
class ReembedResult:
    written: int
    skipped: int  # ids the dual writer wrote or deleted meanwhile
    seconds: float


def reembed(todo: Sequence[Document], embedder: Embedder, index: VectorIndex, fingerprint: Fingerprint, *,
            batch_size: int = 256, warmed: Warmed | None = None, dual: DualWriter | None = None,
            on_batch: Callable[[int], None] | None = None) -> ReembedResult:
    """Embed ``todo`` in batches into ``index`` (the warm-up's vectors first, not embedded again)."""
    if batch_size < 1:
        raise ValueError(f"batch_size={batch_size}: must be at least 1")
    started = time.perf_counter()
    written = skipped = 0
    rest = list(todo)
    if warmed is not None and warmed.ids:
        if [doc.id for doc in rest[:len(warmed.ids)]] != warmed.ids:
            raise ValueError("warmed: its ids are not the first of todo")
        rest = rest[len(warmed.ids):]
        done, passed = _write(index, fingerprint, warmed.ids, warmed.vectors, dual)
        written, skipped = written + done, skipped + passed
        if on_batch:
            on_batch(len(warmed.ids))
    for start in range(0, len(rest), batch_size):
        batch = rest[start:start + batch_size]
        vectors = embedder.embed([doc.text for doc in batch])
        done, passed = _write(index, fingerprint, [doc.id for doc in batch], vectors, dual)
        written, skipped = written + done, skipped + passed
        if on_batch:
            on_batch(len(batch))
    return ReembedResult(written=written, skipped=skipped, seconds=time.perf_counter() - started)


def _write(index: VectorIndex, fingerprint: Fingerprint, ids: list[str], vectors: np.ndarray,
           dual: DualWriter | None) -> tuple[int, int]:
    if dual is None:
        index.add(ids, vectors, fingerprint=fingerprint)
        return len(ids), 0
    with dual.lock:
        keep = [i for i, item in enumerate(ids) if item not in dual.touched]
        if keep:
            index.add([ids[i] for i in keep], vectors[keep], fingerprint=fingerprint)
    return len(keep), len(ids) - len(keep)
