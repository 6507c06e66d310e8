"""Bad data in a streamed comparison: each problem named (what and where), counted in the report's source, and
nothing else lost: every other trial is compared exactly as it would be without the bad one."""

from __future__ import annotations

import functools
from dataclasses import replace
from pathlib import Path

import pytest

from modelswap.compare.checks import default_comparators
from modelswap.compare.comparison import Comparison
from modelswap.compare.digest import Problem
from modelswap.compare.gate import load_policy
from modelswap.compare.pairs import PairsSource, load_pairs
from modelswap.compare.pipeline import compare_trials
from modelswap.compare.source import StoreSource, trials_from_store
from modelswap.compare.stream import compare_stream
from modelswap.errors import ModelswapError
from modelswap.report.json import render_json
from modelswap.sim.quirks import Quirks
from modelswap.sim.rehearsal import SimArmSpec, store_simulated, synthetic_traffic
from modelswap.store import Store, open_store
from modelswap.store.sql import SQLStore

DATA = Path(__file__).parent / "data"
comparators = functools.partial(default_comparators, semantic=False)
PRIMARY = SimArmSpec(seed=3, quirks=Quirks(json_fence_rate=0.2, language_rate=0.1))
CANDIDATE = SimArmSpec(seed=4, quirks=Quirks(json_fence_rate=0.4, truncation_rate=0.1))


@pytest.fixture
def url(tmp_path: Path) -> str:
    return f"sqlite:///{tmp_path / 'store.db'}"


def record(url: str, n: int = 60, *, replica: bool = True) -> None:
    with open_store(url) as store:
        store_simulated(store, synthetic_traffic(n, seed=3), run="r", primary=PRIMARY, candidate=CANDIDATE,
                        arms=("base", "cand"), replica=replica)


def execute(store: Store, sql: str, *params: object) -> None:
    assert isinstance(store, SQLStore)
    with store._transaction("test") as cursor:
        cursor.execute(store._sql(sql), params)


def stream(store: Store, url: str, problems: list[Problem], **options: object) -> Comparison:
    source = StoreSource(store, url=url, run="r", baseline="base", candidate="cand")
    return compare_stream(source, baseline="base", candidate="cand", replica=source.replica, policy=load_policy(),
                          comparators=comparators, batch_size=7, workers=1, warn=problems.append, **options)  # type: ignore[arg-type]


def without(store: Store, trial_id: str) -> Comparison:
    """The in-memory comparison of the run without ``trial_id``: what the rest must still give."""
    stored = trials_from_store(store, run="r", baseline="base", candidate="cand")
    kept = [t for t in stored.trials if t.id != trial_id]
    return compare_trials(kept, baseline="base", candidate="cand", replica=stored.replica, policy=load_policy(),
                          comparators=comparators())


def test_a_corrupt_request_row_costs_its_trial_only(url: str) -> None:
    record(url)
    with open_store(url) as store:
        execute(store, "UPDATE requests SET request_json = ? WHERE trial_id = ?", '{"id": "classify-00001", "mess',
                "classify-00001")
        problems: list[Problem] = []
        report = stream(store, url, problems)
        assert [(p.kind, p.message) for p in problems] == [(
            "corrupt_request", "run 'r', trial 'classify-00001': the request row cannot be read (JSONDecodeError: "
            "Unterminated string starting at: line 1 column 26 (char 25)); trial not compared")]
        assert report.source["problems"] == {"corrupt_request": 1}
        assert report.summary.trials == 59
        execute(store, "DELETE FROM requests WHERE trial_id = ?", "classify-00001")
        assert render_json(replace(report, source={})) == render_json(without(store, "classify-00001"))


def test_a_corrupt_observation_row_is_named_and_its_trial_counted_as_lacking_that_side(url: str) -> None:
    record(url)
    with open_store(url) as store:
        execute(store, "UPDATE observations SET latency_ms = ? WHERE trial_id = ? AND arm = ?", "soon",
                "bullets-00002", "cand")
        problems: list[Problem] = []
        report = stream(store, url, problems)
        assert [(p.kind, p.count) for p in problems] == [("corrupt_observation", 1), ("no_candidate", 1)]
        assert problems[0].message == ("run 'r', trial 'bullets-00002', arm 'cand', sample 0: the observation row "
                                       "cannot be read (ValueError: could not convert string to float: 'soon'); "
                                       "left out")
        assert report.source["problems"] == {"corrupt_observation": 1, "no_candidate": 1}
        assert report.summary.trials == 59
        execute(store, "DELETE FROM observations WHERE trial_id = ? AND arm = ?", "bullets-00002", "cand")
        assert render_json(replace(report, source={})) == render_json(without(store, "bullets-00002"))


def test_observations_without_their_request_are_counted_and_the_rest_compared(url: str) -> None:
    record(url)
    with open_store(url) as store:
        execute(store, "DELETE FROM requests WHERE trial_id IN (?, ?)", "refusal-00004", "qa-en-00003")
        problems: list[Problem] = []
        report = stream(store, url, problems)
        assert [(p.kind, p.count, p.message) for p in problems] == [(
            "orphans", 2, "run 'r': 2 trial(s) have observations but no request (for example 'qa-en-00003', "
            "'refusal-00004'); they cannot be compared")]
        assert report.source["problems"] == {"orphans": 2}
        assert report.source["requests"] == report.summary.trials == 58


def test_a_run_without_any_replica_says_so_once_and_compares_every_request(url: str) -> None:
    record(url, n=400, replica=False)
    with open_store(url) as store:
        problems: list[Problem] = []
        report = stream(store, url, problems)
    assert [(p.kind, p.count) for p in problems] == [("no_replica", 400)]
    assert problems[0].message == (
        "run 'r': none of its 400 requests has a replica (no sample 1 of arm 'base'): the noise floor is unknown and "
        "every difference counts; record the primary twice (record --repeat 2, or the route's shadow.replica_rate)")
    assert report.source["problems"] == {"no_replica": 400}
    assert report.summary.trials == 400 and report.summary.replica_trials == 0
    assert report.replica is None and not report.summary.noise_known


def test_an_arm_the_run_never_recorded_is_one_clear_error(url: str) -> None:
    record(url, n=5)
    with open_store(url) as store, pytest.raises(ModelswapError) as raised:
        StoreSource(store, url=url, run="r", baseline="base", candidate="gpt")
    assert str(raised.value) == "run 'r' has no observations of arm 'gpt' (arms: base, cand)"


def test_bad_and_repeated_lines_of_a_pairs_file_are_skipped_and_counted(tmp_path: Path) -> None:
    good = (DATA / "noisy_pairs.jsonl").read_bytes().splitlines(keepends=True)
    path = tmp_path / "pairs.jsonl"
    path.write_bytes(b"".join([*good[:40], b'{"id": "x", "request": \n', b"\n", good[3], *good[40:]]))
    problems: list[Problem] = []
    report = compare_stream(PairsSource(path), baseline="b", candidate="c", replica="r", policy=load_policy(),
                            comparators=comparators, batch_size=7, workers=1, warn=problems.append)
    assert [p.message for p in problems] == [
        f"{path}:41: invalid JSON: unexpected end of data: line 2 column 1 (char 24)",
        f"{path}:43: id: duplicate id 'nz-004' (first on line 4)"]
    assert report.source == {"pairs": str(path), "skipped_lines": 2}
    loaded = load_pairs(path)
    assert [str(e) for e in loaded.errors] == [p.message for p in problems]
    reference = compare_trials(loaded.trials, baseline="b", candidate="c", replica="r", policy=load_policy(),
                               comparators=comparators())
    assert render_json(replace(report, source={})) == render_json(reference)
