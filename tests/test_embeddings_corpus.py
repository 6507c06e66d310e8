"""Corpora and probes: chatterbot-corpus's Q/A pairs, user JSONL, sampled and recorded probes, rankings."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from modelswap.compare.embedding import FunctionEmbedder
from modelswap.embeddings.corpus import chatterbot_pairs, load_chatterbot, load_corpus, load_jsonl
from modelswap.embeddings.fingerprint import fingerprint_of
from modelswap.embeddings.index import open_index
from modelswap.embeddings.probes import Document, Probe, rankings, read_probe_file, sample_probes
from modelswap.errors import TrafficError


def test_chatterbot_japanese_pairs_deduplicated() -> None:
    pairs = chatterbot_pairs("ja")
    assert len(pairs) == 568  # one pair per conversation: its first two statements
    corpus = load_corpus("chatterbot:ja")
    documents = {doc.id: doc for doc in corpus.documents}
    assert len(documents) == len({answer for _, _, answer in pairs})
    assert len(corpus.probes) == len({question for _, question, _ in pairs})
    by_text = {probe.text: probe for probe in corpus.probes}
    for _, question, answer in pairs:  # every pair is a labelled relevance of its question's probe
        probe = by_text[question]
        assert probe.lang == "ja"
        assert any(documents[doc].text == answer for doc in probe.relevant)
    what_is_ai = by_text["AIとは何ですか？"]
    assert {documents[doc].text for doc in what_is_ai.relevant} == {
        "人工知能は、思考する機械を構築することに専念する工学と科学の枝である。",
        "AIは人間の心の機能を再現するハードウェアとソフトウェアの構築に関わる科学の分野です。"}
    assert what_is_ai.segment == "ai" and what_is_ai.id.startswith("ja:q:")


def test_chatterbot_languages_are_kept_apart_and_unknown_ones_refused() -> None:
    corpus = load_chatterbot(["en", "ja"])
    assert {doc.lang for doc in corpus.documents} == {"en", "ja"}
    for probe in corpus.probes:
        assert all(doc.startswith(f"{probe.lang}:a:") for doc in probe.relevant)
    with pytest.raises(ValueError, match="chatterbot language 'xx'"):
        load_chatterbot(["xx"])


def test_user_jsonl_and_its_errors(tmp_path: Path) -> None:
    good = tmp_path / "docs.jsonl"
    good.write_text('{"id": "a", "text": "alpha", "lang": "en", "segment": "faq"}\n\n{"id": "b", "text": "beta"}\n',
                    encoding="utf-8")
    corpus = load_jsonl(good)
    assert corpus.documents == (Document(id="a", text="alpha", lang="en", segment="faq"),
                                Document(id="b", text="beta"))
    cases = {'{"id": "a"}': "bad.jsonl:2: text: missing",
             '{"id": "a", "text": 3}': "bad.jsonl:2: text: 3: expected a non-empty string",
             '{"id": "a", "text": "x", "lang": 1}': "bad.jsonl:2: lang: 1: expected a non-empty string",
             '{"id": "x", "text": "y"}\n{"id": "x", "text": "z"}': "bad.jsonl:3: id: 'x': this id is already",
             "[1]": "bad.jsonl:2: expected a JSON object", "{nope": "bad.jsonl:2: not JSON"}
    for body, message in cases.items():
        bad = tmp_path / "bad.jsonl"
        bad.write_text('{"id": "first", "text": "ok"}\n' + body + "\n", encoding="utf-8")
        with pytest.raises(TrafficError) as caught:
            load_jsonl(bad)
        assert str(caught.value).startswith(f"{tmp_path}/{message}")


def test_probe_file(tmp_path: Path) -> None:
    path = tmp_path / "probes.jsonl"
    path.write_text('{"id": "p1", "text": "hello", "lang": "en", "relevant": ["a"]}\n'
                    '{"id": "p1", "text": "hello"}\n{"text": "bye", "relevant": {"b": 2}}\n', encoding="utf-8")
    assert read_probe_file(path) == [Probe(id="p1", text="hello", lang="en", relevant={"a": 1.0}),
                                     Probe(id="line3", text="bye", relevant={"b": 2.0})]
    path.write_text('{"text": "x", "relevant": 5}\n', encoding="utf-8")
    with pytest.raises(TrafficError, match=r"probes.jsonl:1: relevant: 5: expected a list"):
        read_probe_file(path)


def test_sampled_probes_exclude_their_own_document(tmp_path: Path) -> None:
    docs = [Document(id=f"d{i}", text=f"text {i}") for i in range(5)]
    probes = sample_probes(docs, 2, seed=7)
    assert probes == sample_probes(docs, 2, seed=7) and len(probes) == 2
    embedder = FunctionEmbedder(lambda texts: np.eye(8, dtype=np.float32)[[int(t[-1]) for t in texts]] + 0.1,
                                name="f")
    fp = fingerprint_of(embedder, dimensions=8)
    index = open_index(str(tmp_path), "i", fp)
    index.add([doc.id for doc in docs], embedder.embed([doc.text for doc in docs]), fingerprint=fp)
    ranked = rankings(probes, embedder.embed([p.text for p in probes]), index, 3, fingerprint=fp)
    for probe, ids in zip(probes, ranked.ids, strict=True):
        assert len(ids) == 3 and probe.id.removeprefix("doc:") not in ids
    assert len(ranked.all_scores()) == 6
