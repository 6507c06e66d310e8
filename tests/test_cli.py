"""The CLI end to end: `modelswap record` through the openai arm against a real simulator server."""

from __future__ import annotations

import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import orjson
import pytest

from modelswap.serving import running_server
from modelswap.sim.quirks import Quirks
from modelswap.sim.server import create_sim_app
from modelswap.store import open_store


def modelswap(*args: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "modelswap", *args], cwd=cwd, capture_output=True, text=True,
                          timeout=120, env={"PATH": "/usr/bin:/bin", "COLUMNS": "200", "TERM": "dumb"})


def write_traffic(path: Path, n: int, *, bad_line: bool = False) -> Path:
    lines = [orjson.dumps({"id": f"q{i:02d}", "category": "json" if i % 2 else "qa",
                           "messages": [{"role": "user", "content": f"Return JSON with the answer to {i} + {i}."}],
                           "expect": {"format": "json", "fields": {"answer": 2 * i}} if i % 2 else {}}).decode()
             for i in range(n)]
    if bad_line:
        lines.insert(3, '{"messages": [{"role": "robot", "content": "x"}]}')
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


@pytest.fixture
def sim_url() -> Iterator[str]:
    with running_server(create_sim_app(seed=3, quirks=Quirks(json_fence_rate=0.5))) as url:
        yield url


@pytest.fixture
def bad_sim_url() -> Iterator[str]:
    quirks = Quirks(error_rate=0.25, hang_rate=0.25, hang_s=30)
    with running_server(create_sim_app(seed=5, quirks=quirks)) as url:
        yield url


def config(tmp_path: Path, url: str, *, timeout_s: float = 10) -> Path:
    path = tmp_path / "modelswap.yaml"
    path.write_text(f"""
store: sqlite:///{tmp_path}/m.db
arms:
  rehearsal: {{backend: openai, base_url: "{url}/v1", model: sim, timeout_s: {timeout_s}, max_retries: 0,
              forward_expect: true}}
routes:
  bot: {{primary: rehearsal}}
""", encoding="utf-8")
    return path


def test_record_through_the_openai_arm_against_sim_serve(tmp_path: Path, sim_url: str) -> None:
    cfg = config(tmp_path, sim_url)
    traffic = write_traffic(tmp_path / "t.jsonl", 10, bad_line=True)
    done = modelswap("record", "-c", str(cfg), "-t", str(traffic), "--arm", "rehearsal", "--repeat", "2",
                     "--run", "r1", "--concurrency", "4", cwd=tmp_path)
    assert done.returncode == 0, done.stderr
    assert f"{traffic}:4: messages[0].role: unknown role 'robot'" in done.stderr
    assert "1 line(s) skipped, 10 request(s) read" in done.stderr
    assert "recorded 20 observation(s) of arm rehearsal in run r1 (0 error(s), 0 already stored)" in done.stdout
    with open_store(f"sqlite:///{tmp_path}/m.db") as store:
        stored = store.observations("r1")
        assert len(stored) == 20
        assert {s.role for s in stored if s.key.sample == 0} == {"primary"}
        assert {s.role for s in stored if s.key.sample == 1} == {"replica"}
        json_answers = [s.observation.output for s in stored if s.key.trial_id == "q03"]
        assert all('"answer": 6' in (text or "") for text in json_answers)
        assert all(s.observation.usage is not None and s.observation.latency_ms > 0 for s in stored)

    again = modelswap("record", "-c", str(cfg), "-t", str(traffic), "--arm", "rehearsal", "--repeat", "2",
                      "--run", "r1", cwd=tmp_path)
    assert "recorded 0 observation(s) of arm rehearsal in run r1 (0 error(s), 20 already stored)" in again.stdout

    shown = modelswap("show", "-c", str(cfg), "--run", "r1", "--examples", "2", cwd=tmp_path)
    assert shown.returncode == 0, shown.stderr
    assert "rehearsal (replica)" in shown.stdout


def test_errors_and_hangs_are_recorded_as_data_and_the_run_finishes(tmp_path: Path, bad_sim_url: str) -> None:
    cfg = config(tmp_path, bad_sim_url, timeout_s=0.5)
    traffic = write_traffic(tmp_path / "t.jsonl", 24)
    done = modelswap("record", "-c", str(cfg), "-t", str(traffic), "--arm", "rehearsal", "--run", "bad",
                     "--concurrency", "8", cwd=tmp_path)
    assert done.returncode == 0, done.stderr
    with open_store(f"sqlite:///{tmp_path}/m.db") as store:
        stored = store.observations("bad")
    kinds = sorted((s.observation.error.kind, s.observation.error.status) for s in stored if s.observation.error)
    assert len(stored) == 24
    assert ("timeout", None) in kinds and ("http", 500) in kinds
    assert sum(1 for s in stored if s.observation.error is None) == 24 - len(kinds)
    assert f"({len(kinds)} error(s), 0 already stored)" in done.stdout
    timeouts = [s.observation.latency_ms for s in stored
                if s.observation.error and s.observation.error.kind == "timeout"]
    assert all(450 < ms < 30_000 for ms in timeouts)  # cut by timeout_s=0.5, before the 30 s hang ended


@pytest.mark.parametrize(("args", "expected"), [
    (["record", "-c", "missing.yaml", "-t", "t.jsonl", "--arm", "x"],
     "error: missing.yaml: file not found (pass --config or set MODELSWAP_CONFIG)"),
    (["record", "-c", "modelswap.yaml", "-t", "t.jsonl", "--arm", "nope"],
     "error: arms: unknown arm 'nope'; expected one of rehearsal"),
    (["record", "-c", "modelswap.yaml", "-t", "none.jsonl", "--arm", "rehearsal"],
     "error: none.jsonl:0: cannot open: No such file or directory"),
    (["sim", "serve", "--quirks", '{"json_fence_rate": 2}'],
     "error: --quirks: json_fence_rate: Input should be less than or equal to 1"),
    (["record", "-c", "modelswap.yaml", "--arm", "rehearsal"], "Missing option '--traffic'"),
])
def test_bad_input_is_one_line_and_exit_3(tmp_path: Path, args: list[str], expected: str) -> None:
    config(tmp_path, "http://127.0.0.1:9")
    write_traffic(tmp_path / "t.jsonl", 2)
    done = modelswap(*args, cwd=tmp_path)
    assert done.returncode == 3
    assert expected in done.stderr


def test_bad_config_names_file_line_and_key(tmp_path: Path) -> None:
    (tmp_path / "modelswap.yaml").write_text("arms:\n  a: {backend: lama}\n", encoding="utf-8")
    write_traffic(tmp_path / "t.jsonl", 1)
    done = modelswap("record", "-t", "t.jsonl", "--arm", "a", cwd=tmp_path)
    assert done.returncode == 3
    assert done.stderr.strip() == ("error: modelswap.yaml:2: arms.a.backend: unknown backend 'lama'; "
                                   "expected one of local, openai, sim")


def test_ctrl_c_leaves_a_consistent_store_and_the_rerun_resumes(tmp_path: Path) -> None:
    quirks = Quirks(latency={"median_ms": 600, "sigma": 0.1})  # 12 s of work at concurrency 2: Ctrl-C lands mid-run
    with running_server(create_sim_app(seed=1, quirks=quirks)) as url:
        cfg = config(tmp_path, url)
        traffic = write_traffic(tmp_path / "t.jsonl", 40)
        args = [sys.executable, "-m", "modelswap", "record", "-c", str(cfg), "-t", str(traffic), "--arm",
                "rehearsal", "--run", "int", "--concurrency", "2"]
        # a child inherits an ignored SIGINT across exec (an earlier test's server may have left it so): restore it
        process = subprocess.Popen(args, cwd=tmp_path, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                                   preexec_fn=lambda: signal.signal(signal.SIGINT, signal.SIG_DFL))
        db = f"sqlite:///{tmp_path}/m.db"
        for _ in range(400):
            time.sleep(0.05)
            if (tmp_path / "m.db").exists():
                with open_store(db) as store:
                    if len(store.observations("int")) >= 4:
                        break
        process.send_signal(2)
        _, stderr = process.communicate(timeout=30)
        assert process.returncode == 130, stderr
        assert "interrupted: every finished observation is stored" in stderr
        with open_store(db) as store:
            first = len(store.observations("int"))
        assert 4 <= first < 40
        done = modelswap("record", "-c", str(cfg), "-t", str(traffic), "--arm", "rehearsal", "--run", "int",
                         "--concurrency", "8", cwd=tmp_path)
        assert f"recorded {40 - first} observation(s) of arm rehearsal in run int (0 error(s), {first} already " \
               "stored)" in done.stdout
        with open_store(db) as store:
            assert sorted(s.key.trial_id for s in store.observations("int")) == [f"q{i:02d}" for i in range(40)]
