"""Corpora to re-embed and probe: chatterbot-corpus's Q/A pairs, or the user's own JSONL.

What it is: ``Corpus`` (documents, and the labelled probe queries when the corpus has them),
``load_chatterbot`` and ``load_jsonl``, and ``load_corpus`` which takes either spelling
(``chatterbot:en,ja`` or a file path). What it is not: embedding or indexing.

chatterbot-corpus (the PyPI package ``chatterbot-corpus``, BSD) ships YAML files per language
(``data/english/ai.yml``...), each a list of conversations, each a list of statements. Its data
files are found with ``importlib.util.find_spec`` and read with PyYAML; chatterbot itself is
never imported. How they become a retrieval set:

- a pair is the first two statements of a conversation (question, answer): later statements
  answer the one before them in a dialogue, not the question. Statements are read as text
  (YAML may type ``42`` as a number), whitespace-collapsed; a conversation with an empty
  question or answer is skipped. Japanese has 568 conversations, 568 pairs.
- documents are the distinct answers of a language: two identical answers ("No.") are one
  document (id ``LANG:a:`` + 12 hex digits of the text's SHA-256), relevant to every question it
  answers; its segment is the file (topic) it first appears in.
- probes are the distinct questions of a language (id ``LANG:q:`` + hash): a question asked in
  several conversations ("What is AI?" has two answers) is one probe whose relevant documents
  are all its answers (grade 1 each), in the segment of its first occurrence.

User JSONL: one document per line, ``{"id": str, "text": str, "lang"?: str, "segment"?: str}``;
errors name the file, line and field; an id given twice is an error. It has no probes of its
own: ``probes.sample_probes`` draws some, or the gateway's recorded queries are used.
"""

from __future__ import annotations

import hashlib
import importlib.util
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

from modelswap.embeddings.probes import Document, Probe, json_object
from modelswap.errors import TrafficError

CHATTERBOT_LANGUAGES = {"en": "english", "ja": "japanese", "de": "german", "fr": "french", "es": "spanish",
                        "it": "italian", "pt": "portuguese", "ru": "russian", "zh": "chinese", "ko": "korean"}


@dataclass(frozen=True, kw_only=True)
class Corpus:
    documents: tuple[Document, ...]
    probes: tuple[Probe, ...] = ()
    source: str = ""

    def texts(self) -> dict[str, str]:
        return {doc.id: doc.text for doc in self.documents}


def load_corpus(spec: str) -> Corpus:
    """``chatterbot:en,ja`` (languages by ISO code) or the path of a JSONL file of documents."""
    if spec.startswith("chatterbot:"):
        langs = [lang.strip() for lang in spec.removeprefix("chatterbot:").split(",") if lang.strip()]
        return load_chatterbot(langs)
    return load_jsonl(Path(spec))


def chatterbot_dir() -> Path:
    """The ``data`` directory of the installed chatterbot-corpus package."""
    spec = importlib.util.find_spec("chatterbot_corpus")
    if spec is None or not spec.submodule_search_locations:
        raise FileNotFoundError("chatterbot-corpus is not installed: pip install chatterbot-corpus "
                                "(or modelswap[corpus])")
    return Path(next(iter(spec.submodule_search_locations))) / "data"


def _key(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8")).hexdigest()[:12]


def _statement(value: Any) -> str:
    return " ".join(str(value).split()) if value is not None else ""


def chatterbot_pairs(lang: str) -> list[tuple[str, str, str]]:
    """(segment, question, answer) of every conversation of one language, in file order."""
    if lang not in CHATTERBOT_LANGUAGES:
        raise ValueError(f"chatterbot language {lang!r}: expected one of {', '.join(sorted(CHATTERBOT_LANGUAGES))}")
    folder = chatterbot_dir() / CHATTERBOT_LANGUAGES[lang]
    pairs = []
    for path in sorted(folder.glob("*.yml")):
        data = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
        for conversation in data.get("conversations") or []:
            if not isinstance(conversation, list) or len(conversation) < 2:
                continue
            question, answer = _statement(conversation[0]), _statement(conversation[1])
            if question and answer:
                pairs.append((path.stem, question, answer))
    return pairs


def load_chatterbot(langs: Sequence[str]) -> Corpus:
    """The Q/A retrieval set of the given languages (see the module docstring)."""
    if not langs:
        raise ValueError("chatterbot: name at least one language, e.g. chatterbot:en,ja")
    documents: dict[str, Document] = {}
    questions: dict[str, tuple[str, str, str, dict[str, float]]] = {}  # id -> (lang, segment, text, relevant)
    for lang in langs:
        for segment, question, answer in chatterbot_pairs(lang):
            doc_id = f"{lang}:a:{_key(answer)}"
            documents.setdefault(doc_id, Document(id=doc_id, text=answer, lang=lang, segment=segment))
            probe_id = f"{lang}:q:{_key(question)}"
            questions.setdefault(probe_id, (lang, segment, question, {}))[3][doc_id] = 1.0
    probes = tuple(Probe(id=probe_id, text=text, lang=lang, segment=segment, relevant=relevant)
                   for probe_id, (lang, segment, text, relevant) in questions.items())
    return Corpus(documents=tuple(documents.values()), probes=probes, source=f"chatterbot:{','.join(langs)}")


def load_jsonl(path: Path) -> Corpus:
    """Documents from JSONL, one ``{"id", "text", "lang"?, "segment"?}`` per line."""
    documents: dict[str, Document] = {}
    with path.open(encoding="utf-8") as lines:
        for number, line in enumerate(lines, start=1):
            if not line.strip():
                continue
            row = json_object(line, path, number)
            fields = {}
            for name in ("id", "text", "lang", "segment"):
                value = row.get(name)
                required = name in ("id", "text")
                if value is None and required:
                    raise TrafficError("missing", path=str(path), line=number, field=name)
                if value is not None and (not isinstance(value, str) or (required and not value.strip())):
                    raise TrafficError(f"{value!r}: expected a non-empty string", path=str(path), line=number,
                                       field=name)
                fields[name] = value or ""
            if fields["id"] in documents:
                raise TrafficError(f"{fields['id']!r}: this id is already on an earlier line", path=str(path),
                                   line=number, field="id")
            documents[fields["id"]] = Document(**fields)
    return Corpus(documents=tuple(documents.values()), source=str(path))
