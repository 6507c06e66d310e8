"""A streamed comparison gives the in-memory comparison's report, to the last byte, whatever the batches.

The reference is ``compare_trials`` (every trial held at once); the streamed path reads the same
trials from a list, a pairs file or a stored run in batches of 1, 7 and 500, in this process and in
two worker processes, keeps only compact columns, and triages in a second pass.
"""

from __future__ import annotations

import functools
from collections.abc import Sequence
from dataclasses import replace
from pathlib import Path

import orjson
import pytest

from modelswap.compare.checks import default_comparators
from modelswap.compare.checks.base import Comparator
from modelswap.compare.comparison import Comparison
from modelswap.compare.gate import load_policy
from modelswap.compare.model import Finding, Outcome, Trial
from modelswap.compare.pairs import PairsSource, load_pairs
from modelswap.compare.pipeline import compare_trials
from modelswap.compare.source import StoreSource, trials_from_store
from modelswap.compare.state import ComparisonState
from modelswap.compare.stream import ListSource, TrialSource, compare_stream
from modelswap.report.html import render_html
from modelswap.report.json import render_json
from modelswap.sim.quirks import Quirks
from modelswap.sim.rehearsal import SimArmSpec, simulated_trials, store_simulated, synthetic_traffic
from modelswap.store import open_store
from modelswap.types import ChatRequest

DATA = Path(__file__).parent / "data"
CORPORA = ("pairs.jsonl", "noisy_pairs.jsonl")
NOISY = Quirks(paraphrase_rate=0.3, json_fence_rate=0.1, preamble_rate=0.05, extra_item_rate=0.05,
               language_rate=0.05, latency={"median_ms": 400, "sigma": 0.3})  # type: ignore[arg-type]
BROKEN = Quirks(json_fence_rate=0.3, truncation_rate=0.1, language_rate=0.1, refusal_rate=0.05,
                latency={"median_ms": 600, "sigma": 0.4})  # type: ignore[arg-type]
comparators = functools.partial(default_comparators, semantic=False)


class Pure(Comparator):
    """A comparator as worker processes need it: what it says depends on the pair alone. (Semantic similarity
    says once per comparator that it is unavailable; with two workers that is said twice.)"""

    def __init__(self, inner: Comparator) -> None:
        self.inner, self.name, self.version = inner, inner.name, inner.version

    def prepare(self, pairs: list[tuple[ChatRequest, Outcome, Outcome]]) -> None:
        self.inner.prepare(pairs)

    def compare(self, request: ChatRequest, baseline: Outcome, other: Outcome) -> list[Finding]:
        return [f for f in self.inner.compare(request, baseline, other) if not f.details.get("skipped")]


def pure_comparators() -> list[Comparator]:
    return [Pure(c) for c in default_comparators(semantic=False)]


def in_memory(trials: Sequence[Trial], factory: functools.partial[list[Comparator]] | type = comparators
              ) -> Comparison:
    return compare_trials(trials, baseline="base", candidate="cand", replica="rep", policy=load_policy(),
                          comparators=factory())


def streamed(source: TrialSource, **options: object) -> Comparison:
    defaults: dict[str, object] = {"comparators": comparators, "workers": 1}
    return compare_stream(source, baseline="base", candidate="cand", replica="rep", policy=load_policy(),
                          **{**defaults, **options})  # type: ignore[arg-type]


def simulated(n: int, candidate: Quirks = BROKEN) -> list[Trial]:
    return simulated_trials(synthetic_traffic(n, seed=11), primary=SimArmSpec(seed=11, quirks=NOISY),
                            candidate=SimArmSpec(seed=12, quirks=candidate))


@functools.cache
def labelled(corpus: str) -> tuple[tuple[Trial, ...], bytes]:
    trials = load_pairs(DATA / corpus).trials
    return trials, render_json(in_memory(trials))


@functools.cache
def simulated_report() -> tuple[list[Trial], Comparison]:
    trials = simulated(300)
    return trials, in_memory(trials)


@pytest.mark.parametrize("corpus", CORPORA)
@pytest.mark.parametrize("batch_size", [1, 500])
def test_the_labelled_corpora_give_the_same_report_in_batches(corpus: str, batch_size: int) -> None:
    trials, expected = labelled(corpus)
    assert render_json(streamed(ListSource(trials), batch_size=batch_size)) == expected


@pytest.mark.parametrize("corpus", CORPORA)
def test_the_labelled_corpora_read_from_their_files_give_the_same_report(corpus: str) -> None:
    from_file = streamed(PairsSource(DATA / corpus), batch_size=7)
    assert from_file.source == {"pairs": str(DATA / corpus), "skipped_lines": 0}
    assert render_json(replace(from_file, source={})) == labelled(corpus)[1]


@pytest.mark.parametrize("batch_size", [1, 7, 500])
def test_simulated_regressions_and_novel_trials_give_the_same_report(batch_size: int) -> None:
    trials, reference = simulated_report()
    assert {v for v, n in reference.summary.verdicts.items() if n} == {"regression", "novel", "neutral"}
    assert render_json(streamed(ListSource(trials), batch_size=batch_size)) == render_json(reference)


def test_a_stored_run_read_page_by_page_gives_the_same_report(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'store.db'}"
    with open_store(url) as store:
        store_simulated(store, synthetic_traffic(240, seed=5), run="r", primary=SimArmSpec(seed=5, quirks=NOISY),
                        candidate=SimArmSpec(seed=6, quirks=BROKEN), arms=("base", "cand"))
        stored = trials_from_store(store, run="r", baseline="base", candidate="cand")
        reference = compare_trials(stored.trials, baseline="base", candidate="cand", replica=stored.replica,
                                   policy=load_policy(), comparators=comparators())
        for batch_size in (1, 7, 500):
            source = StoreSource(store, url=url, run="r", baseline="base", candidate="cand")
            report = compare_stream(source, baseline="base", candidate="cand", replica=source.replica,
                                    policy=load_policy(), comparators=comparators, batch_size=batch_size, workers=1)
            assert report.source == {"store": url, "run": "r", "requests": 240, "problems": {}}
            assert render_json(replace(report, source={})) == render_json(reference)


def test_two_worker_processes_give_the_same_report(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'store.db'}"
    with open_store(url) as store:
        store_simulated(store, synthetic_traffic(150, seed=5), run="r", primary=SimArmSpec(seed=5, quirks=NOISY),
                        candidate=SimArmSpec(seed=6, quirks=BROKEN), arms=("base", "cand"))
        stored = trials_from_store(store, run="r", baseline="base", candidate="cand")
        source = StoreSource(store, url=url, run="r", baseline="base", candidate="cand")
        report = compare_stream(source, baseline="base", candidate="cand", replica=source.replica, policy=load_policy(),
                                comparators=pure_comparators, batch_size=20, workers=2)
    reference = compare_trials(stored.trials, baseline="base", candidate="cand", replica=stored.replica,
                               policy=load_policy(), comparators=pure_comparators())
    assert render_json(replace(report, source={})) == render_json(reference)


def test_past_its_listing_limit_a_report_lists_the_worst_trials_and_keeps_every_figure() -> None:
    trials, reference = simulated_report()
    report = streamed(ListSource(trials), batch_size=7, listed=12)
    full, listed = orjson.loads(render_json(reference)), orjson.loads(render_json(report))
    assert listed["listed"] == {"trials": 12, "of": 300, "chosen": "worst"}
    assert "listed" not in full
    for section in ("summary", "gate", "noise_floor", "source", "baseline", "candidate", "replica"):
        assert listed[section] == full[section], section
    by_id = {t["id"]: t for t in full["trials"]}
    assert [t["id"] for t in listed["trials"]] == [t.compared.trial.id for t in reference.worst(12)]
    assert listed["trials"] == [by_id[t["id"]] for t in listed["trials"]]
    html = render_html(report)
    assert "Showing the 12 worst of 300 trials" in html
    assert _latency_note(html) == _latency_note(render_html(reference))  # the charts still read every trial


def _latency_note(html: str) -> str:
    return html.split("Latency per task", 1)[1].split("</figcaption>", 1)[0]


def test_a_comparison_state_continues_with_new_trials() -> None:
    trials = simulated(120)
    state = ComparisonState()
    streamed(ListSource(trials[:50]), state=state, batch_size=7)
    report = streamed(ListSource(trials[50:]), state=state, batch_size=7)
    assert render_json(report) == render_json(in_memory(trials))


def test_progress_counts_every_item_read_up_to_the_total() -> None:
    ticks: list[int] = []
    source = PairsSource(DATA / "noisy_pairs.jsonl")
    streamed(source, batch_size=7, tick=ticks.append)
    assert sum(ticks) == source.total == 90
    assert len(ticks) == 13
