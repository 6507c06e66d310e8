"""`modelswap compare` on a gateway run whose arms were asked with registry prompts: each trial of the JSON report
names the prompt, version and variant of each side, so a prompt effect can be told from a model effect; a trial
without one has no such keys."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import orjson

from modelswap.store import open_store
from modelswap.types import ChatRequest, Observation, ObservationKey, PromptUse, StoredObservation

V1, V2 = "a" * 64, "b" * 64


def stored(trial: str, arm: str, role: str, prompt: PromptUse | None) -> StoredObservation:
    return StoredObservation(key=ObservationKey(run="bot", trial_id=trial, arm=arm), role=role,  # type: ignore[arg-type]
                             observation=Observation(arm=arm, model=arm, output="billing", finish_reason="stop",
                                                     latency_ms=5.0, prompt=prompt))


def test_each_trial_names_each_sides_prompt_version_and_variant(tmp_path: Path) -> None:
    (tmp_path / "modelswap.yaml").write_text(f"store: sqlite:///{tmp_path}/m.db\n", encoding="utf-8")
    uses = {"t1": (PromptUse(name="greet", hash=V1, variant="default"),
                   PromptUse(name="greet", hash=V1, variant="family:gemma")),
            "t2": (PromptUse(name="greet", hash=V2, variant="default"),
                   PromptUse(name="greet", hash=V2, variant="family:gemma")),
            "t3": (None, None)}
    with open_store(f"sqlite:///{tmp_path}/m.db") as store:
        store.save_requests("bot", [ChatRequest(id=trial, messages=({"role": "user", "content": "charged twice"},))
                                    for trial in uses])
        store.save_observations([obs for trial, (base, cand) in uses.items()
                                 for obs in (stored(trial, "gpt", "primary", base),
                                             stored(trial, "gemma", "candidate", cand))])
    done = subprocess.run([sys.executable, "-m", "modelswap", "compare", "-c", "modelswap.yaml", "--run", "bot",
                           "--baseline", "gpt", "--candidate", "gemma", "--no-semantic", "--json", "r.json"],
                          cwd=tmp_path, capture_output=True, text=True, timeout=300,
                          env={"PATH": "/usr/bin:/bin", "COLUMNS": "200", "TERM": "dumb"})
    assert done.returncode == 0, done.stderr
    trials = {t["id"]: t for t in orjson.loads((tmp_path / "r.json").read_bytes())["trials"]}
    for trial, (base, cand) in uses.items():
        got = (trials[trial].get("baseline_prompt"), trials[trial].get("candidate_prompt"))
        assert got == (None if base is None else {"name": base.name, "hash": base.hash, "variant": base.variant},
                       None if cand is None else {"name": cand.name, "hash": cand.hash, "variant": cand.variant})
    assert "baseline_prompt" not in trials["t3"]
