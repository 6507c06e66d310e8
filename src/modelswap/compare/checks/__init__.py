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
from modelswap.compare.embedding import Embedder

__all__ = ["Comparator", "default_comparators"]


def default_comparators(*, semantic: bool | None = None, embedder: Embedder | None = None) -> list[Comparator]:
    """Every comparator. ``semantic``: None uses the embedding model when ``modelswap[semantic]`` is
    installed, False leaves semantic similarity out (lexical similarity stays), True is the same as None.
    ``embedder``: the one semantic similarity uses, for instance one that caches vectors in the store
    (``default_embedder(vectors=VectorCache(store))``); None: ``default_embedder()``."""
    if semantic is False:
        meaning = MeaningComparator(embedder=None)
    else:
        meaning = MeaningComparator(embedder if embedder is not None else "default")
    return [ErrorComparator(), RefusalComparator(), StructureComparator(), ShapeComparator(), CorrectnessComparator(),
            AnswerComparator(), TruncationComparator(), DegenerateComparator(), LanguageComparator(),
            LayoutComparator(), meaning, CostComparator()]
