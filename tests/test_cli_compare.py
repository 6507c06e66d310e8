"""`modelswap compare` on a stored run, end to end: streamed in two worker processes, bad rows named on stderr and
counted in the JSON report, a report past its listing limit listing the worst trials."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import orjson

from modelswap.sim.quirks import Quirks
from modelswap.sim.rehearsal import SimArmSpec, store_simulated, synthetic_traffic
from modelswap.store import open_store
from modelswap.store.sql import SQLStore


def modelswap(*args: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "modelswap", *args], cwd=cwd, capture_output=True, text=True,
                          timeout=300, env={"PATH": "/usr/bin:/bin", "COLUMNS": "200", "TERM": "dumb"})


def test_a_stored_run_is_compared_in_workers_with_its_bad_rows_counted(tmp_path: Path) -> None:
    (tmp_path / "modelswap.yaml").write_text(f"store: sqlite:///{tmp_path}/m.db\narms:\n  base: {{backend: sim}}\n"
                                             "  cand: {backend: sim, seed: 2}\n", encoding="utf-8")
    with open_store(f"sqlite:///{tmp_path}/m.db") as store:
        store_simulated(store, synthetic_traffic(300, seed=1), run="r", arms=("base", "cand"),
                        primary=SimArmSpec(seed=1, quirks=Quirks(json_fence_rate=0.1)),
                        candidate=SimArmSpec(seed=2, quirks=Quirks(json_fence_rate=0.5, truncation_rate=0.2)))
        assert isinstance(store, SQLStore)
        with store._transaction("test") as cursor:
            cursor.execute("UPDATE requests SET request_json = 'nope' WHERE trial_id = 'bullets-00002'")
    done = modelswap("compare", "-c", "modelswap.yaml", "--run", "r", "--baseline", "base", "--candidate", "cand",
                     "--no-semantic", "--workers", "2", "--list-trials", "5", "--json", "r.json", "--gate", "default",
                     cwd=tmp_path)
    assert done.returncode == 1, done.stderr
    assert ("skipped run 'r', trial 'bullets-00002': the request row cannot be read (JSONDecodeError: Expecting "
            "value: line 1 column 1 (char 0)); trial not compared") in done.stderr
    assert "1 corrupt request row(s) skipped" in done.stderr
    report = orjson.loads((tmp_path / "r.json").read_bytes())
    assert report["source"] == {"store": f"sqlite:///{tmp_path}/m.db", "run": "r", "requests": 300,
                                "problems": {"corrupt_request": 1}}
    assert report["summary"]["trials"] == 299
    assert report["listed"] == {"trials": 5, "of": 299, "chosen": "worst"}
    assert [t["verdict"] for t in report["trials"]] == ["regression"] * 5
    assert report["replica"] == "base (sample 1)"
