"""``modelswap watch ROUTE``: the route's live comparison and gate, read from what the gateway stored.

One frame (``--once``) after real gateway traffic, the refreshing loop in a real subprocess that
sees trials written while it runs and leaves a checkpoint that ``compare`` continues from, and
the errors a mistyped route or candidate gets.
"""

from __future__ import annotations

import os
import queue
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import openai
import pytest
import yaml
from typer.testing import CliRunner

from modelswap.cli import app
from modelswap.errors import ModelswapError
from modelswap.serving import running_server
from modelswap.sim.quirks import Quirks
from modelswap.sim.rehearsal import SimArmSpec, store_simulated, synthetic_traffic
from modelswap.sim.server import create_sim_app
from modelswap.store import open_store

runner = CliRunner()
REQUESTS = synthetic_traffic(200, seed=3)
BROKEN = Quirks(json_fence_rate=0.5, truncation_rate=0.2, refusal_rate=0.1)


def write_config(path: Path, store: str, *, base_url: str = "http://127.0.0.1:9/v1") -> Path:
    arm = {"backend": "openai", "base_url": base_url, "price": {"input_per_mtok": 1.0}}
    config = {"store": store, "arms": {"gpt": {**arm, "model": "sim-a"}, "smol": {**arm, "model": "sim-b"},
                                       "other": {**arm, "model": "sim-c"}},
              "routes": {"bot": {"primary": "gpt", "candidates": ["smol"],
                                 "shadow": {"sample_rate": 1.0, "replica_rate": 1.0, "timeout_s": 10}},
                         "lonely": {"primary": "gpt"}}}
    path.write_text(yaml.safe_dump(config), encoding="utf-8")
    return path


def simulate(store_url: str, start: int, stop: int) -> None:
    with open_store(store_url) as store:
        store_simulated(store, REQUESTS[start:stop], run="bot", primary=SimArmSpec(seed=3),
                        candidate=SimArmSpec(seed=4, quirks=BROKEN), arms=("gpt", "smol"))


@pytest.fixture
def store_and_config(tmp_path: Path) -> Iterator[tuple[str, Path]]:
    url = f"sqlite:///{tmp_path / 'store.db'}"
    yield url, write_config(tmp_path / "modelswap.yaml", url)


def test_one_frame_shows_the_gate_and_exits_with_its_code(store_and_config: tuple[str, Path]) -> None:
    url, config = store_and_config
    simulate(url, 0, 200)
    result = runner.invoke(app, ["watch", "bot", "-c", str(config), "--once", "--no-semantic", "--settle", "0",
                                 "--gate", "default"])
    assert result.exit_code == 1, result.output  # no_go: half the candidate's JSON comes back fenced
    assert "modelswap watch bot" in result.output
    assert "route bot: smol shadowing gpt · 200 trial(s) compared · updated " in result.output
    assert "NO GO" in result.output and "categories, most at risk first" in result.output


def test_an_empty_route_waits(store_and_config: tuple[str, Path]) -> None:
    _, config = store_and_config
    result = runner.invoke(app, ["watch", "bot", "-c", str(config), "--once", "--no-semantic"])
    assert result.exit_code == 0, result.output
    assert "waiting: run 'bot' has no requests in the store (runs: none)" in result.output
    assert "0 trial(s) compared" in result.output


@pytest.mark.parametrize(("args", "message"), [
    (["nope"], "unknown route 'nope'; the configuration has: bot, lonely"),
    (["bot", "--candidate", "other"], "route 'bot' has no candidate 'other'; its candidates: smol"),
    (["lonely"], "route 'lonely' has no candidates: nothing shadows its primary 'gpt'"),
])
def test_a_mistyped_route_or_candidate_is_named(store_and_config: tuple[str, Path], args: list[str],
                                                message: str) -> None:
    _, config = store_and_config
    result = runner.invoke(app, ["watch", *args, "-c", str(config), "--once", "--no-semantic"])
    assert isinstance(result.exception, ModelswapError) and str(result.exception) == message


def test_watch_reads_what_the_gateway_stored(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    url = f"sqlite:///{tmp_path / 'store.db'}"
    with running_server(create_sim_app(seed=5, model="sim")) as sim:
        config = write_config(tmp_path / "modelswap.yaml", url, base_url=f"{sim}/v1")
        monkeypatch.setenv("MODELSWAP_CONFIG", str(config))
        with running_server("modelswap.gateway.app:app_from_env", factory=True) as gateway:
            client = openai.OpenAI(base_url=f"{gateway}/v1", api_key="x")
            for i in range(12):
                client.chat.completions.create(model="bot", messages=[{"role": "user", "content": f"Name {i}."}])
            deadline = time.monotonic() + 30
            while time.monotonic() < deadline and (_observed(url, "smol"), _observed(url, "gpt")) != (12, 24):
                time.sleep(0.1)
    result = runner.invoke(app, ["watch", "bot", "-c", str(config), "--once", "--no-semantic", "--settle", "0"])
    assert result.exit_code == 0, result.output
    assert "route bot: smol shadowing gpt · 12 trial(s) compared" in result.output
    assert "noise floor: replica gpt (sample 1) on 12 trials" in " ".join(result.output.split())


def _observed(url: str, arm: str) -> int:
    with open_store(url) as store:
        return sum(c.observations for c in store.counts("bot") if c.arm == arm)


def test_the_loop_sees_new_trials_and_leaves_a_checkpoint_for_compare(store_and_config: tuple[str, Path],
                                                                      tmp_path: Path) -> None:
    url, config = store_and_config
    simulate(url, 0, 80)
    state = tmp_path / "state"
    env = {**os.environ, "MODELSWAP_STATE_DIR": str(state), "COLUMNS": "200"}
    watch = subprocess.Popen([sys.executable, "-m", "modelswap", "watch", "bot", "-c", str(config), "--no-semantic",
                              "--settle", "0", "--interval", "0.5"], stdout=subprocess.PIPE,
                             stderr=subprocess.PIPE, text=True, env=env,
                             preexec_fn=lambda: signal.signal(signal.SIGINT, signal.SIG_DFL))  # a shell started in
    lines: queue.Queue[str] = queue.Queue()  # the background (as CI may be) hands its children SIGINT ignored
    assert watch.stdout is not None
    reader = threading.Thread(target=lambda: [lines.put(line) for line in watch.stdout], daemon=True)  # type: ignore[union-attr]
    reader.start()
    seen: list[str] = []

    def wait_for(text: str) -> None:  # piped, watch prints a status line whenever what it compared changed
        while not any(text in line for line in seen):
            seen.append(lines.get(timeout=120))  # a hang guard, not a deadline: the line comes when it comes

    try:
        wait_for("80 trial(s) compared")
        simulate(url, 80, 200)
        wait_for("200 trial(s) compared")
    finally:
        watch.send_signal(signal.SIGINT)  # Ctrl-C: the whole frame, then the checkpoint
        try:
            watch.wait(timeout=60)
        except subprocess.TimeoutExpired:
            watch.kill()
        reader.join(timeout=10)
    stderr = watch.stderr.read() if watch.stderr is not None else ""
    for pipe in (watch.stdout, watch.stderr):
        if pipe is not None:
            pipe.close()
    while not lines.empty():
        seen.append(lines.get())
    stdout = "".join(seen)
    assert watch.returncode == 0, stderr
    assert stdout.count("route bot: smol shadowing gpt · 80 trial(s) compared") == 1  # one line per change
    assert "NO GO  smol vs gpt: 200 trials" in stdout, stdout  # the final frame
    assert [p.name.startswith("compare-bot-") for p in state.iterdir()] == [True]
    again = subprocess.run([sys.executable, "-m", "modelswap", "compare", "-c", str(config), "--run", "bot", "-b",
                            "gpt", "--candidate", "smol", "--no-semantic"], capture_output=True, text=True, env=env,
                           timeout=120)
    assert again.returncode == 0, again.stderr
    assert "200 trial(s) compared before" in " ".join(again.stderr.split())
