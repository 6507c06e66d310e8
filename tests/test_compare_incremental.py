"""An incremental comparison reads only what arrived, and its report is the one-shot report to the last byte.

A run is written in parts (as a gateway or ``record`` writes it), compared after each part, and
the last report is held byte-identical to one comparison of the whole run; requests that may
still get a shadow's answer are left for later; a checkpoint carries the state between processes
and is refused when it belongs to other settings or another run; the ``compare`` command does the
same from the command line.
"""

from __future__ import annotations

import functools
import json
import time
from pathlib import Path

import pytest
from typer.testing import CliRunner

from modelswap.cli import app
from modelswap.compare.checks import default_comparators
from modelswap.compare.gate import load_policy
from modelswap.compare.incremental import IncrementalComparison, checkpoint_key, checkpoint_path
from modelswap.compare.source import RunNotReady, StoreSource
from modelswap.compare.stream import compare_stream
from modelswap.report.json import render_json
from modelswap.sim.quirks import Quirks
from modelswap.sim.rehearsal import SimArmSpec, store_simulated, synthetic_traffic
from modelswap.store import Store, open_store
from modelswap.types import ChatRequest, Observation, ObservationKey, StoredObservation

NOISY = Quirks(paraphrase_rate=0.3, json_fence_rate=0.1, extra_item_rate=0.05)
BROKEN = Quirks(json_fence_rate=0.3, truncation_rate=0.1, refusal_rate=0.05)
comparators = functools.partial(default_comparators, semantic=False)
REQUESTS = synthetic_traffic(260, seed=8)


def write(store: Store, requests: list[ChatRequest], *, run: str = "r") -> None:
    store_simulated(store, requests, run=run, primary=SimArmSpec(seed=8, quirks=NOISY),
                    candidate=SimArmSpec(seed=9, quirks=BROKEN), arms=("base", "cand"))


def live(store: Store, url: str, *, settle_s: float = 0.0, listed: int = 1000, key: str = "k"
         ) -> IncrementalComparison:
    return IncrementalComparison(store, url=url, run="r", baseline="base", candidate="cand", replica="auto",
                                 policy=load_policy(), comparators=comparators, key=key, settle_s=settle_s,
                                 listed=listed)


def whole(store: Store, url: str) -> bytes:
    source = StoreSource(store, url=url, run="r", baseline="base", candidate="cand")
    return render_json(compare_stream(source, baseline="base", candidate="cand", replica=source.replica,
                                      policy=load_policy(), comparators=comparators, workers=1))


def test_a_run_compared_in_three_parts_gives_the_one_shot_report(store_url: str) -> None:
    url = store_url
    with open_store(url) as store:
        comparison = live(store, url)
        write(store, list(REQUESTS[:90]))
        first = comparison.update()
        assert first is not None and first.summary.trials == 90
        write(store, list(REQUESTS[90:200]))
        second = comparison.update()
        assert second is not None and second.summary.trials == 200
        assert comparison.cursor is not None and comparison.cursor[1] == REQUESTS[199].id
        write(store, list(REQUESTS[200:]))
        last = comparison.update()
        assert last is not None and comparison.compared == 260
        assert render_json(last) == whole(store, url)


def test_past_its_listing_the_incremental_report_is_still_the_one_shot_one(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'store.db'}"
    with open_store(url) as store:
        comparison = live(store, url, listed=30)
        write(store, list(REQUESTS[:20]))
        comparison.update()
        write(store, list(REQUESTS[20:]))
        last = comparison.update()
        source = StoreSource(store, url=url, run="r", baseline="base", candidate="cand")
        reference = compare_stream(source, baseline="base", candidate="cand", replica=source.replica,
                                   policy=load_policy(), comparators=comparators, workers=1, listed=30)
    assert last is not None and last.listing == {"trials": 30, "of": 260, "chosen": "worst"}
    assert render_json(last) == render_json(reference)


def test_nothing_new_keeps_the_last_report_without_comparing_again(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'store.db'}"
    with open_store(url) as store:
        comparison = live(store, url)
        write(store, list(REQUESTS[:40]))
        first = comparison.update()
        ticks: list[int] = []
        assert comparison.update(tick=ticks.append) is first
        assert ticks == [] and comparison.pending == 0


def test_an_empty_run_is_not_ready_until_it_has_both_arms(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'store.db'}"
    with open_store(url) as store:
        comparison = live(store, url)
        with pytest.raises(RunNotReady, match="run 'r' has no requests in the store"):
            comparison.update()
        request = REQUESTS[0]
        store.save_requests("r", [request])
        store.save_observations([stored(request, "base")])
        with pytest.raises(RunNotReady, match="run 'r' has no observations of arm 'cand' \\(arms: base\\)"):
            comparison.update()


def stored(request: ChatRequest, arm: str, sample: int = 0) -> StoredObservation:
    observation = Observation(arm=arm, model=arm, output=f"answer of {arm}", finish_reason="stop", latency_ms=10.0)
    return StoredObservation(key=ObservationKey(run="r", trial_id=request.id, arm=arm, sample=sample),
                             role="primary" if arm == "base" else "candidate", observation=observation)


def test_a_young_request_waiting_for_its_candidate_holds_back_the_rest(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'store.db'}"
    requests = list(REQUESTS[:6])
    with open_store(url) as store:
        store.save_requests("r", requests)
        store.save_observations([stored(r, "base") for r in requests])
        store.save_observations([stored(r, "cand") for i, r in enumerate(requests) if i != 2])
        comparison = live(store, url, settle_s=3600)
        report = comparison.update()
        assert report is not None and report.summary.trials == 2  # requests 0 and 1; 2 waits, and 3-5 after it
        assert comparison.pending == 4 and comparison.cursor == (1, requests[1].id)
        store.save_observations([stored(requests[2], "cand")])
        report = comparison.update()
        assert report is not None and report.summary.trials == 6 and comparison.pending == 0
        assert report.source["problems"] == {"no_replica": 6}


def test_a_settled_request_without_its_candidate_is_counted_and_passed(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'store.db'}"
    requests = list(REQUESTS[:4])
    with open_store(url) as store:
        store.save_requests("r", requests)
        store.save_observations([stored(r, "base") for r in requests])
        store.save_observations([stored(r, "cand") for r in requests[:3]])
        comparison = live(store, url, settle_s=60)
        report = comparison.update(now=time.time() + 61)
        assert report is not None and report.summary.trials == 3 and comparison.pending == 0
        assert report.source["problems"] == {"no_candidate": 1, "no_replica": 4}
        store.save_observations([stored(requests[3], "cand")])  # too late: that request was read
        again = comparison.update(now=time.time() + 61)
        assert again is report


def test_problems_of_the_run_as_a_whole_are_counted_once_however_many_updates(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'store.db'}"
    with open_store(url) as store:
        comparison = live(store, url)
        for start in range(0, 30, 10):
            part = list(REQUESTS[start:start + 10])
            store.save_requests("r", part)
            store.save_observations([stored(r, arm) for r in part for arm in ("base", "cand")])
            report = comparison.update()
    assert report is not None and report.source["problems"] == {"no_replica": 30}


def test_a_checkpoint_carries_the_comparison_to_another_process(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'store.db'}"
    path = checkpoint_path(tmp_path / "state", run="r", key="k" * 64)
    with open_store(url) as store:
        write(store, list(REQUESTS[:100]))
        before = live(store, url, key="k" * 64)
        before.update()
        before.save(path)
        write(store, list(REQUESTS[100:]))
        after = live(store, url, key="k" * 64)
        assert after.resume(path) is None and after.compared == 100
        ticks: list[int] = []
        report = after.update(tick=ticks.append)
        assert sum(ticks) == 160
        assert report is not None and render_json(report) == whole(store, url)
        assert live(store, url, key="other").resume(path) == (
            "the checkpoint was written for other settings or another modelswap version")


def test_a_checkpoint_of_a_store_made_again_under_the_same_name_is_refused(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'store.db'}"
    path = tmp_path / "r.checkpoint"
    with open_store(url) as store:
        write(store, list(REQUESTS[:50]))
        comparison = live(store, url)
        comparison.update()
        comparison.save(path)
    (tmp_path / "store.db").unlink()
    time.sleep(0.01)
    with open_store(url) as store:
        write(store, list(REQUESTS[:60]))
        assert live(store, url).resume(path) == "run 'r' is not the run the checkpoint read (its first request differs)"
    path.write_bytes(b"not a pickle")
    with open_store(url) as store:
        assert live(store, url).resume(path) == (f"the checkpoint {path} cannot be read (UnpicklingError); "
                                                 "comparing the whole run")


def test_checkpoint_keys_change_with_every_setting() -> None:
    base = {"store": "s", "run": "r", "baseline": "a", "candidate": "b", "replica": "auto", "semantic": None,
            "listed": 1000}
    keys = {checkpoint_key(**base)}
    for field, other in (("store", "t"), ("run", "q"), ("baseline", "x"), ("candidate", "y"), ("replica", None),
                         ("semantic", "e5"), ("listed", 10)):
        keys.add(checkpoint_key(**{**base, field: other}))
    assert len(keys) == 8 and checkpoint_key(**base) == checkpoint_key(**dict(reversed(base.items())))


def test_compare_continues_from_its_checkpoint_on_the_command_line(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'store.db'}"
    config = tmp_path / "modelswap.yaml"
    config.write_text(f"store: {url}\narms: {{}}\nroutes: {{}}\n", encoding="utf-8")
    args = ["compare", "-c", str(config), "--run", "r", "-b", "base", "--candidate", "cand", "--no-semantic"]
    runner = CliRunner()
    with open_store(url) as store:
        write(store, list(REQUESTS[:100]))
    first = runner.invoke(app, [*args, "--json", str(tmp_path / "first.json")])
    assert first.exit_code == 0, first.output
    assert "continuing" not in first.output
    with open_store(url) as store:
        write(store, list(REQUESTS[100:]))
    second = runner.invoke(app, [*args, "--json", str(tmp_path / "second.json")])
    assert second.exit_code == 0, second.output
    assert "continuing the comparison of run 'r' from " in second.output
    assert "compared 160 new trial(s); the report covers 260" in second.output
    fresh = runner.invoke(app, [*args, "--fresh", "--json", str(tmp_path / "fresh.json")])
    assert fresh.exit_code == 0, fresh.output
    assert "continuing" not in fresh.output
    assert (tmp_path / "second.json").read_bytes() == (tmp_path / "fresh.json").read_bytes()
    assert json.loads((tmp_path / "second.json").read_bytes())["summary"]["trials"] == 260
    with open_store(url) as store:
        assert (tmp_path / "fresh.json").read_bytes().strip() == whole(store, url).strip()


def test_an_idle_update_reads_nothing_the_size_of_the_run(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    url = f"sqlite:///{tmp_path / 'store.db'}"
    with open_store(url) as store:
        comparison = live(store, url)
        write(store, list(REQUESTS[:40]))
        first = comparison.update()

        def whole_run(*args: object, **kwargs: object) -> None:
            raise AssertionError("an idle update read the whole run")

        for name in ("counts", "orphans", "observations"):
            monkeypatch.setattr(store, name, whole_run)
        assert comparison.update() is first and comparison.update() is first
