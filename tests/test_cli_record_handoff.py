"""``modelswap record --handoff K`` end to end with simulator arms, then ``compare`` of that run per turn.

The primary (``gpt``) records every turn of tests/data/conversations.jsonl, the candidate (``smol``) the
turns after K = 1; what each simulator arm received is kept by wrapping ``SimBackend.complete``.
"""

from __future__ import annotations

import functools
from dataclasses import replace
from pathlib import Path
from typing import Any

import orjson
import pytest
import yaml
from typer.testing import CliRunner

from modelswap.backends.sim import SimBackend
from modelswap.cli import app
from modelswap.compare.checks import default_comparators
from modelswap.compare.gate import load_policy
from modelswap.compare.pipeline import compare_trials
from modelswap.compare.source import StoreSource, trials_from_store
from modelswap.compare.stream import compare_stream
from modelswap.compare.summary import Summary
from modelswap.report.json import render_json
from modelswap.store import open_store
from modelswap.types import ChatRequest, Observation

DATA = Path(__file__).parent / "data" / "conversations.jsonl"
TURNS = {"conv-01": 3, "conv-02": 3, "conv-03": 4, "conv-04": 3, "conv-05": 3, "conv-06": 4, "conv-07": 3,
         "conv-08": 4, "conv-09": 3, "conv-10": 4}
runner = CliRunner()


@pytest.fixture
def received(monkeypatch: pytest.MonkeyPatch) -> dict[tuple[str, str, int], tuple[dict[str, Any], ...]]:
    """(arm, trial id, call number) -> the messages the simulator arm was sent in that call."""
    seen: dict[tuple[str, str, int], tuple[dict[str, Any], ...]] = {}
    original = SimBackend.complete

    async def complete(self: SimBackend, request: ChatRequest) -> Observation:
        seen[(self.arm, request.id, len(seen))] = request.messages
        return await original(self, request)

    monkeypatch.setattr(SimBackend, "complete", complete)
    return seen


def config(tmp_path: Path) -> Path:
    path = tmp_path / "modelswap.yaml"
    path.write_text(yaml.safe_dump({
        "store": f"sqlite:///{tmp_path / 'm.db'}",
        "arms": {"gpt": {"backend": "sim", "seed": 1, "model": "sim-a"},
                 "smol": {"backend": "sim", "seed": 2, "model": "sim-b", "quirks": {"json_fence_rate": 0.5}}},
        "routes": {"bot": {"primary": "gpt", "candidates": ["smol"]}}}), encoding="utf-8")
    return path


def record(path: Path, arm: str, *more: str) -> Any:
    return runner.invoke(app, ["record", "-c", str(path), "-t", str(DATA), "--arm", arm, "--run", "h",
                               "--handoff", "1", *more])


def test_record_handoff_asks_each_arm_its_turns_with_the_conversation_as_it_stood(
        tmp_path: Path, received: dict[tuple[str, str, int], tuple[dict[str, Any], ...]]) -> None:
    path = config(tmp_path)
    early = record(path, "smol")
    assert early.exit_code == 0, early.output
    assert "24 turn(s) not asked" in early.stderr and not received
    for arm, asked in (("gpt", 34), ("smol", 24)):
        done = record(path, arm, "--repeat", "2" if arm == "gpt" else "1")
        assert done.exit_code == 0, done.output
        assert f"recorded {asked * (2 if arm == 'gpt' else 1)} observation(s) of arm {arm}" in done.stdout
    asked_by = {(arm, trial) for arm, trial, _ in received}
    assert {trial for arm, trial in asked_by if arm == "gpt"} == {f"{c}#t{n}" for c, t in TURNS.items()
                                                                  for n in range(1, t + 1)}
    assert {trial for arm, trial in asked_by if arm == "smol"} == {f"{c}#t{n}" for c, t in TURNS.items()
                                                                   for n in range(2, t + 1)}
    with open_store(f"sqlite:///{tmp_path / 'm.db'}") as store:
        requests = {r.id: r for r in store.requests("h")}
        answers = {(o.key.arm, o.key.trial_id, o.key.sample): o for o in store.observations("h")}
    assert len(requests) == 34 and all(r.turn is not None and r.turn.handoff == 1 for r in requests.values())
    assert {(arm, sample) for arm, _, sample in answers} == {("gpt", 0), ("gpt", 1), ("smol", 0)}
    assert {trial for arm, trial, _ in answers if arm == "smol"} == {t for _, t in asked_by if not t.endswith("#t1")}

    def text(arm: str, trial: str) -> str:
        output = answers[(arm, trial, 0)].observation.output
        assert output is not None
        return output

    sent = {(arm, trial): messages for (arm, trial, _), messages in received.items()}
    user = [m for m in requests["conv-03#t1"].messages if m["role"] == "user"]
    # the candidate's turn 3 of conv-03: the primary's answer to turn 1, its own to turn 2
    assert sent[("smol", "conv-03#t3")] == (user[0], {"role": "assistant", "content": text("gpt", "conv-03#t1")},
                                            {"role": "user", "content": "来週の月曜日です。"},
                                            {"role": "assistant", "content": text("smol", "conv-03#t2")},
                                            {"role": "user", "content": "大人二人です。"})
    # the primary's turn 3: its own answers; that is the stored request (the baseline)
    assert sent[("gpt", "conv-03#t3")] == requests["conv-03#t3"].messages
    assert [m["content"] for m in requests["conv-03#t3"].messages if m["role"] == "assistant"] == [
        text("gpt", "conv-03#t1"), text("gpt", "conv-03#t2")]
    # at the handoff turn both arms were sent the same conversation
    assert all(sent[("smol", f"{c}#t2")] == sent[("gpt", f"{c}#t2")] for c in TURNS)


def test_record_handoff_refuses_an_arm_without_a_primary(tmp_path: Path) -> None:
    path = tmp_path / "modelswap.yaml"
    path.write_text(yaml.safe_dump({"store": f"sqlite:///{tmp_path / 'm.db'}",
                                    "arms": {"a": {"backend": "sim"}, "b": {"backend": "sim", "seed": 2}}}),
                    encoding="utf-8")
    done = record(path, "b")
    assert done.exit_code == 3
    assert "--handoff: arm 'b' is not a primary and no route has it as a candidate; say which with --primary ARM" \
        in done.stderr.replace("\n", " ")
    # without routes, --primary names the primary: itself to record it, then the arm that takes over
    assert record(path, "a", "--primary", "a", "--repeat", "2").exit_code == 0
    assert record(path, "b", "--primary", "a").exit_code == 0
    with open_store(f"sqlite:///{tmp_path / 'm.db'}") as store:
        roles = {(o.key.arm, o.key.sample, o.role) for o in store.observations("h")}
    assert roles == {("a", 0, "primary"), ("a", 1, "replica"), ("b", 0, "candidate")}


def test_compare_of_a_handoff_run_reports_every_turn_after_the_handoff(
        tmp_path: Path, received: dict[tuple[str, str, int], tuple[dict[str, Any], ...]]) -> None:
    path = config(tmp_path)
    for arm in ("gpt", "smol"):
        assert record(path, arm, *(["--repeat", "2"] if arm == "gpt" else [])).exit_code == 0
    done = runner.invoke(app, ["compare", "-c", str(path), "--run", "h", "--baseline", "gpt", "--candidate", "smol",
                               "--no-semantic", "--json", str(tmp_path / "r.json"), "--markdown",
                               str(tmp_path / "r.md"), "--html", str(tmp_path / "r.html")],
                         env={"COLUMNS": "200"})
    assert done.exit_code == 0, done.output
    assert "10 turn(s) up to the handoff were answered by the primary only" in done.stderr
    assert "turns (record --handoff), in conversation order" in done.stdout
    report = orjson.loads((tmp_path / "r.json").read_bytes())
    assert report["source"]["problems"] == {"before_handoff": 10}
    assert report["summary"]["trials"] == 24
    turns = report["summary"]["turns"]
    assert list(turns) == ["2", "3", "4"]
    for number, row in turns.items():
        mine = [t for t in report["trials"] if t["turn"]["number"] == int(number)]
        assert row["trials"] == len(mine) == {"2": 10, "3": 10, "4": 4}[number]
        assert row["verdicts"] == {v: sum(t["verdict"] == v for t in mine)
                                   for v in ("regression", "novel", "improvement", "neutral")}
        assert row["regression_rate"] == row["verdicts"]["regression"] / row["trials"]
        assert row["ci95"][0] <= row["regression_rate"] <= row["ci95"][1]
        assert row["noise"] is not None  # the primary was recorded twice
    assert {t["turn"]["handoff"] for t in report["trials"]} == {1}
    assert Summary.from_json(report["summary"]).to_json()["turns"] == turns  # gate --report keeps them
    assert sum(row["verdicts"]["regression"] for row in turns.values()) == report["summary"]["verdicts"]["regression"]
    markdown = (tmp_path / "r.md").read_text(encoding="utf-8")
    assert "### Turns (record --handoff), in conversation order" in markdown
    assert markdown.count("\n| 2 | 10 |") == 1 and markdown.count("\n| 4 | 4 |") == 1
    assert '<h2 id="turns">' in (tmp_path / "r.html").read_text(encoding="utf-8")


def test_a_handoff_run_streamed_and_in_memory_give_the_same_report(
        tmp_path: Path, received: dict[tuple[str, str, int], tuple[dict[str, Any], ...]]) -> None:
    path = config(tmp_path)
    for arm in ("gpt", "smol"):
        assert record(path, arm, *(["--repeat", "2"] if arm == "gpt" else [])).exit_code == 0
    url = f"sqlite:///{tmp_path / 'm.db'}"
    with open_store(url) as store:
        stored = trials_from_store(store, run="h", baseline="gpt", candidate="smol")
        assert (len(stored.trials), stored.missing_candidate) == (24, 0)
        reference = render_json(compare_trials(stored.trials, baseline="gpt", candidate="smol",
                                               replica=stored.replica, policy=load_policy(),
                                               comparators=default_comparators(semantic=False)))
        assert b'"turns"' in reference
        for batch_size in (1, 7, 500):
            source = StoreSource(store, url=url, run="h", baseline="gpt", candidate="smol")
            report = compare_stream(source, baseline="gpt", candidate="smol", replica=source.replica,
                                    policy=load_policy(), batch_size=batch_size, workers=1,
                                    comparators=functools.partial(default_comparators, semantic=False))
            assert report.source["problems"] == {"before_handoff": 10}
            assert render_json(replace(report, source={})) == reference
