"""The comparators. ``default_comparators()`` is the full set in a stable order."""

from __future__ import annotations

from modelswap.compare.checks.answer import AnswerComparator
from modelswap.compare.checks.base import Comparator
from modelswap.compare.checks.correctness import CorrectnessComparator
from modelswap.compare.checks.cost import CostComparator
from modelswap.compare.checks.degenerate import DegenerateComparator
from modelswap.compare.checks.errors import ErrorComparator
from modelswap.compare.checks.language import LanguageComparator
from modelswap.compare.checks.layout import LayoutComparator
from modelswap.compare.checks.meaning import MeaningComparator
from modelswap.compare.checks.refusal import RefusalComparator
from modelswap.compare.checks.shape import ShapeComparator
from modelswap.compare.checks.structure import StructureComparator
from modelswap.compare.checks.truncation import TruncationComparator
from modelswap.compare.embedding import Embedder, default_embedder
from modelswap.store import open_store
from modelswap.store.vectors import VectorCache

__all__ = ["Comparator", "comparator_versions", "default_comparators"]


def default_comparators(*, semantic: bool | None = None, embedder: Embedder | None = None,
                        vector_store: str | None = None, embedding_threads: int | None = None) -> list[Comparator]:
    """Every comparator, in a stable order.

    ``semantic``: None uses the embedding model when ``modelswap[semantic]`` is installed, False
    leaves semantic similarity out (lexical similarity stays), True is the same as None.
    ``embedder``: the one semantic similarity uses; None: ``default_embedder()``, which caches
    vectors in the store at the URL ``vector_store`` when one is given (opened here, once: in a
    worker process, once per worker) and runs on ``embedding_threads`` (None: the runtime's
    default). Arguments are plain values, so ``functools.partial(default_comparators, ...)`` is a
    picklable factory for worker processes.
    """
    if semantic is False:
        meaning = MeaningComparator(embedder=None)
    elif embedder is not None:
        meaning = MeaningComparator(embedder)
    elif vector_store is None and embedding_threads is None:
        meaning = MeaningComparator()
    else:
        vectors = VectorCache(open_store(vector_store)) if vector_store is not None else None
        meaning = MeaningComparator(default_embedder(vectors=vectors, threads=embedding_threads))
    return [ErrorComparator(), RefusalComparator(), StructureComparator(), ShapeComparator(), CorrectnessComparator(),
            AnswerComparator(), TruncationComparator(), DegenerateComparator(), LanguageComparator(),
            LayoutComparator(), meaning, CostComparator()]


def comparator_versions() -> list[tuple[str, int]]:
    """The name and version of every default comparator: what a checkpoint of a comparison depends on (a
    comparator that reads answers differently gets a new version, and old checkpoints are not continued)."""
    return [(comparator.name, comparator.version) for comparator in default_comparators(semantic=False)]
