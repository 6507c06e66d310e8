"""Probe queries for a churn report, and the rankings each index gives them.

What it is: ``Document`` and ``Probe`` (a query text, its language and segment, and, where
known, the ids of the documents relevant to it), the three ways to get probes (a corpus's own
labelled queries, ``corpus.load_corpus``; a seeded sample of the corpus's documents used as
queries, ``sample_probes``; the query texts the gateway recorded on a route,
``read_probe_file``), and ``rankings``: probes embedded by one model and searched in one index.

A document sampled as a probe is found by itself at rank 1 by any sane model, so
``sample_probes`` drops each probe's own document from its rankings (``exclude_self``): what is
compared is the neighbourhood around it. What it is not: the metrics (``churn``).
"""

from __future__ import annotations

import json
import random
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from modelswap.embeddings.fingerprint import Fingerprint
from modelswap.embeddings.index import VectorIndex
from modelswap.errors import TrafficError


@dataclass(frozen=True, kw_only=True)
class Document:
    id: str
    text: str
    lang: str = ""
    segment: str = ""


@dataclass(frozen=True, kw_only=True)
class Probe:
    id: str
    text: str
    lang: str = ""
    segment: str = ""
    relevant: Mapping[str, float] = field(default_factory=dict)  # document id -> grade (> 0 relevant)
    exclude: frozenset[str] = frozenset()  # ids never counted in this probe's rankings (its own document)


@dataclass(frozen=True, kw_only=True)
class Ranked:
    """The top-k of every probe in one index: ids and scores, best first."""

    ids: list[list[str]]
    scores: list[list[float]]

    def all_scores(self) -> list[float]:
        return [score for row in self.scores for score in row]


def sample_probes(documents: Sequence[Document], n: int, *, seed: int = 0) -> list[Probe]:
    """n documents drawn without replacement (seeded) as unlabelled probes, each excluding itself."""
    if n < 1:
        raise ValueError(f"n={n}: must be at least 1")
    chosen = random.Random(seed).sample(list(documents), min(n, len(documents)))
    return [Probe(id=f"doc:{doc.id}", text=doc.text, lang=doc.lang, segment=doc.segment,
                  exclude=frozenset({doc.id})) for doc in chosen]


def read_probe_file(path: Path) -> list[Probe]:
    """Probes from JSONL: ``{"id"?, "text", "lang"?, "segment"?, "relevant"?: [ids] | {id: grade}}`` per line.

    The gateway's embeddings shadow writes this format. Errors name the file, line and field.
    """
    probes: list[Probe] = []
    seen: set[str] = set()
    with path.open(encoding="utf-8") as lines:
        for number, line in enumerate(lines, start=1):
            if not line.strip():
                continue
            row = json_object(line, path, number)
            text = _string(row, "text", path, number, required=True)
            probe_id = _string(row, "id", path, number) or f"line{number}"
            if probe_id in seen:
                continue  # the same query recorded twice is one probe
            seen.add(probe_id)
            probes.append(Probe(id=probe_id, text=text, lang=_string(row, "lang", path, number),
                                segment=_string(row, "segment", path, number),
                                relevant=_relevance(row.get("relevant"), path, number)))
    return probes


def json_object(line: str, path: Path, number: int) -> dict[str, Any]:
    """Line ``number`` of the JSONL file ``path`` as a JSON object, or a ``TrafficError`` naming file and line."""
    try:
        row = json.loads(line)
    except json.JSONDecodeError as exc:
        raise TrafficError(f"not JSON ({exc.msg})", path=str(path), line=number) from None
    if not isinstance(row, dict):
        raise TrafficError("expected a JSON object", path=str(path), line=number)
    return row


def _string(row: Mapping[str, Any], name: str, path: Path, number: int, *, required: bool = False) -> str:
    value = row.get(name)
    if value is None:
        if required:
            raise TrafficError("missing", path=str(path), line=number, field=name)
        return ""
    if not isinstance(value, str) or (required and not value.strip()):
        raise TrafficError(f"{value!r}: expected a non-empty string", path=str(path), line=number, field=name)
    return value


def _relevance(value: Any, path: Path, number: int) -> dict[str, float]:
    if value is None:
        return {}
    if isinstance(value, list) and all(isinstance(item, str) for item in value):
        return dict.fromkeys(value, 1.0)
    if isinstance(value, dict) and all(isinstance(k, str) and isinstance(v, int | float) and not isinstance(v, bool)
                                       for k, v in value.items()):
        return {k: float(v) for k, v in value.items()}
    raise TrafficError(f"{value!r}: expected a list of document ids or an object of id: grade",
                       path=str(path), line=number, field="relevant")


def rankings(probes: Sequence[Probe], vectors: np.ndarray, index: VectorIndex, k: int, *,
             fingerprint: Fingerprint) -> Ranked:
    """Every probe's top k in ``index`` (``vectors``: the probes embedded by the index's model, row per probe).

    Searches k + (the most ids any probe excludes) deep, then drops each probe's excluded ids.
    """
    extra = max((len(probe.exclude) for probe in probes), default=0)
    if not probes:
        return Ranked(ids=[], scores=[])
    found_ids, found_scores = index.search(vectors, k + extra, fingerprint=fingerprint)
    ids: list[list[str]] = []
    scores: list[list[float]] = []
    for probe, row_ids, row_scores in zip(probes, found_ids, np.asarray(found_scores).tolist(), strict=True):
        kept = [(doc, float(score)) for doc, score in zip(row_ids, row_scores, strict=False)
                if doc not in probe.exclude][:k]
        ids.append([doc for doc, _ in kept])
        scores.append([score for _, score in kept])
    return Ranked(ids=ids, scores=scores)
