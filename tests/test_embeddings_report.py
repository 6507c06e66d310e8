"""The churn report built from hand-made rankings: groups, gates per language, thresholds, changed queries."""

from __future__ import annotations

import json

import pytest

from modelswap.embeddings.churn_gate import ChurnPolicy
from modelswap.embeddings.churn_report import SCHEMA, build_report, report_json, report_markdown
from modelswap.embeddings.probes import Probe, Ranked


def probes_and_rankings() -> tuple[list[Probe], Ranked, Ranked, Ranked]:
    """40 English probes the new model answers as well, 40 Japanese it answers worse (rank 2 instead of 1)."""
    probes, old, new, noise = [], [], [], []
    for i in range(80):
        lang = "en" if i < 40 else "ja"
        probes.append(Probe(id=f"q{i}", text=f"question {i}", lang=lang, segment="faq" if i % 2 else "chat",
                            relevant={f"a{i}": 1.0}))
        old.append([f"a{i}", "x", "y"])
        noise.append([f"a{i}", "x", "y"])
        new.append([f"a{i}", "x", "z"] if lang == "en" else ["x", f"a{i}", "z"])
    scores_old = [[0.9, 0.5, 0.1]] * 80
    scores_new = [[0.95, 0.75, 0.55]] * 80
    return (probes, Ranked(ids=old, scores=scores_old), Ranked(ids=new, scores=scores_new),
            Ranked(ids=noise, scores=scores_old))


def test_gates_differ_by_language_and_the_worst_decides() -> None:
    probes, old, new, noise = probes_and_rankings()
    report = build_report(probes, old, new, noise=noise, texts={"a0": "answer zero"}, old_name="m1",
                          new_name="m2", k=3, thresholds=[0.5, 0.9])
    gates = {gate.name: gate.decision for gate in report.gates}
    assert gates == {"all": "no_go", "lang:en": "go", "lang:ja": "no_go"} and report.decision == "no_go"
    en, ja = report.languages
    assert (en.name, en.old["rr"], en.new["rr"], ja.new["rr"], ja.new["hit1"]) == ("en", 1.0, 1.0, 0.5, 0.0)
    assert en.overlap == pytest.approx(2 / 3) and en.noise_overlap == 1.0 and en.changed == 40
    assert [g.name for g in report.segments] == ["chat", "faq"] and report.segments[0].queries == 40
    # old scores 0.1, 0.5, 0.9 (80 each of 240): 0.5 holds positions 80..159, mean 119.5 of 239: quantile 0.5
    assert report.thresholds[0].quantile == pytest.approx(0.5) and report.thresholds[0].new == pytest.approx(0.75)
    assert report.thresholds[1].quantile == pytest.approx(199.5 / 239) and report.thresholds[1].new == 0.95
    assert [row.id for row in report.changed][:2] == ["q40", "q41"]  # equal overlap; Japanese rows have lower RBO


def test_segments_are_gated_on_request_and_rankings_must_match_probes() -> None:
    probes, old, new, _ = probes_and_rankings()
    report = build_report(probes, old, new, k=3, segments_gated=True, policy=ChurnPolicy(min_queries=50))
    assert {gate.name: gate.decision for gate in report.gates} == {
        "all": "no_go", "lang:en": "inconclusive", "lang:ja": "inconclusive",  # 40 probes each: below 50
        "segment:chat": "inconclusive", "segment:faq": "inconclusive"}
    with pytest.raises(ValueError, match="new: 79 rankings for 80 probes"):
        build_report(probes, old, Ranked(ids=new.ids[1:], scores=new.scores[1:]))


def test_json_and_markdown() -> None:
    probes, old, new, noise = probes_and_rankings()
    report = build_report(probes, old, new, noise=noise, texts={"a40": "答え | forty"}, old_name="m1",
                          new_name="m2", k=3, show=1)
    data = json.loads(json.dumps(report_json(report)))
    assert data["schema"] == SCHEMA and data["decision"] == "no_go" and len(data["queries"]) == 80
    assert data["overall"]["churn_beyond_noise"] == pytest.approx(1 / 3)
    assert data["gates"][1]["checks"][0]["metric"] == "rr" and data["gates"][1]["checks"][0]["judgement"] == "pass"
    assert data["changed"] == [{"id": "q40", "text": "question 40", "overlap": pytest.approx(2 / 3),
                                "rbo": data["changed"][0]["rbo"], "old": ["答え | forty", "x", "y"],
                                "new": ["x", "答え | forty", "z"]}]
    markdown = report_markdown(report, show_top=2)
    assert "## Embedding churn: m1 → m2" in markdown and "**Decision: no_go**" in markdown
    assert "| lang:ja | no_go | rr -0.500 [-0.500, -0.500] vs limit -0.020: fail;" in markdown
    assert "| 1 | 答え \\| forty | x |" in markdown  # the most changed query, old and new side by side
