"""Drift checks of a promoted route: its serving arm asked again and compared with its own recorded answers.

A simulator arm (seed 5, no quirks) is recorded for route ``bot`` (its recorded baseline), the
rollout is promoted, then the same arm name and model id answer again: unchanged (no drift, no
alert), or silently changed (the "provider" now fences half its JSON and refuses a fifth of its
requests: a drift, audited and posted to a real webhook receiver). Also the schedule in the live
controller (a fake clock), the command's exit codes, the transition and the configuration.
"""

from __future__ import annotations

import asyncio
import json
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import pytest
import yaml
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from modelswap.backends import build_backend
from modelswap.compare.checks import default_comparators
from modelswap.compare.gate import load_policy
from modelswap.config import Settings, load_settings, parse_settings
from modelswap.errors import ConfigError, RolloutError
from modelswap.record import record
from modelswap.rollout.alerts import Alerts, alerted
from modelswap.rollout.control import apply
from modelswap.rollout.drift import DriftCheck, check_drift, drift_run
from modelswap.rollout.live import LiveController
from modelswap.rollout.state import Action, transition
from modelswap.serving import running_server
from modelswap.sim.rehearsal import synthetic_traffic
from modelswap.store import open_store
from modelswap.types import RolloutState

LATENCY = {"median_ms": 20, "sigma": 0.0}
CHANGED = {"json_fence_rate": 0.5, "refusal_rate": 0.2}
SAMPLE = 40
CHECK_AT = 2_000_000_000.0
"""When the checks below run: the check's run name, so its sample and its seeds, come from it (fixed here)."""


def receiver(received: list[dict[str, Any]]) -> Starlette:
    async def hook(request: Request) -> Response:
        received.append(await request.json())
        return Response(status_code=204)

    return Starlette(routes=[Route("/hook", hook, methods=["POST"])])


NO_LATENCY = """min_trials: 30
allowed_failures: 0
checks:
  - {name: regression rate (after the noise floor), metric: regression_rate, max: 0.05, critical: true}
  - {name: novel behaviour rate, metric: novel_rate, max: 0.10}
  - {name: no category regresses significantly beyond the noise floor, metric: significant_categories, max: 0,
     critical: true}
  - {name: regressions significantly beyond the primary's own, metric: significant_regressions, max: 0.025,
     critical: true}
"""
"""The default policy without its latency check: the simulator's latencies here are wall-clock times on a shared
machine (a busy neighbour makes a fresh call slower than the recorded one); what these tests hold is the answers."""


def no_latency_policy(tmp_path: Path) -> Path:
    path = tmp_path / "policy.yaml"
    path.write_text(NO_LATENCY, encoding="utf-8")
    return path


def write_config(tmp_path: Path, *, url: str, hooks: str, quirks: dict[str, Any]) -> Path:
    config = tmp_path / "modelswap.yaml"
    config.write_text(yaml.safe_dump({
        "store": url, "alerts": {"webhooks": [{"url": f"{hooks}/hook"}]},
        "arms": {"gpt": {"backend": "sim", "seed": 1, "model": "gpt-sim"},
                 "smol": {"backend": "sim", "seed": 5, "model": "smol-v1", "quirks": {**quirks, "latency": LATENCY}}},
        "routes": {"bot": {"primary": "gpt", "candidates": ["smol"],
                           "rollout": {"candidate": "smol", "sticky": {"header": "x-user-id"},
                                       "drift": {"sample": SAMPLE, "every": "1h"}}}}}), encoding="utf-8")
    return config


def json_traffic() -> list[Any]:
    """A JSON-extraction product: the requests whose answers a fenced reply breaks."""
    return [r for r in synthetic_traffic(300, seed=3) if r.expect.get("format") == "json"]


def record_and_promote(settings: Settings) -> float:
    """Record the serving arm's baseline in the route's run, then promote its rollout; when it was promoted."""
    plan = settings.routes["bot"].rollout
    assert plan is not None
    with open_store(settings.store) as store:
        result = asyncio.run(record(json_traffic(), build_backend("smol", settings.arms["smol"]), store, run="bot",
                                    role="candidate", concurrency=16))
        assert result.recorded == 60 and result.errors == 0
        promoted_at = time.time()
        apply(store, "bot", plan, Action(kind="promote", actor="test", at=promoted_at))
    return promoted_at


def check(settings: Settings, alerts: Alerts, *, at: float) -> DriftCheck:
    plan = settings.routes["bot"].rollout
    assert plan is not None
    policy = load_policy(no_latency_policy(Path(settings.store.removeprefix("sqlite:///")).parent))
    with open_store(settings.store) as store:
        return asyncio.run(check_drift(store, "bot", plan, build_backend("smol", settings.arms["smol"]),
                                       sample=SAMPLE, policy=policy, at=at, alerts=alerts,
                                       comparators=lambda: default_comparators(semantic=False)))


def test_an_unchanged_provider_is_no_drift(tmp_path: Path) -> None:
    received: list[dict[str, Any]] = []
    with running_server(receiver(received)) as hooks:
        settings = load_settings(write_config(tmp_path, url=f"sqlite:///{tmp_path / 's.db'}", hooks=hooks, quirks={}))
        record_and_promote(settings)
        at = CHECK_AT
        alerts = Alerts(settings.alerts.webhooks)
        done = check(settings, alerts, at=at)
        alerts.close()
    assert done.comparison is not None and done.entry is None
    assert done.decision in ("go", "inconclusive")
    assert done.comparison.summary.verdicts == {"regression": 0, "novel": 0, "improvement": 0, "neutral": SAMPLE}
    assert (done.arm, done.run, done.sampled) == ("smol", drift_run("bot", at), SAMPLE)
    assert received == [] and alerts.sent == 0
    with open_store(settings.store) as store:
        state = store.rollout_state("bot")
        assert state is not None and (state.status, state.version) == ("promoted", 1)
        assert [e.action for e in store.rollout_audit("bot", limit=5)] == ["promote"]
        counts = {(c.arm, c.sample): c.observations for c in store.counts(done.run)}
        assert counts == {("smol", 0): SAMPLE, ("smol", 1): SAMPLE, ("smol@recorded", 0): SAMPLE}
        assert len(store.requests(done.run)) == SAMPLE


def test_a_silently_changed_provider_is_a_drift_audited_and_alerted(tmp_path: Path) -> None:
    received: list[dict[str, Any]] = []
    url = f"sqlite:///{tmp_path / 's.db'}"
    with running_server(receiver(received)) as hooks:
        promoted_at = record_and_promote(load_settings(write_config(tmp_path, url=url, hooks=hooks, quirks={})))
        # the provider changes the model behind the same arm name and model id
        settings = load_settings(write_config(tmp_path, url=url, hooks=hooks, quirks=CHANGED))
        alerts = Alerts(settings.alerts.webhooks)
        at = CHECK_AT
        done = check(settings, alerts, at=at)
        alerts.close()
    assert done.decision == "no_go" and done.comparison is not None
    assert done.comparison.summary.verdicts["regression"] > 0
    assert done.entry is not None
    entry = done.entry
    assert (entry.action, entry.actor, entry.version, entry.at) == ("drift", "controller", 2, at)
    assert (entry.from_status, entry.to_status, entry.from_percent_bp, entry.to_percent_bp) == (
        "promoted", "promoted", 10_000, 10_000)
    assert entry.reason == done.reason and entry.reason.startswith("drift check no_go: arm smol asked again on 40 ")
    assert entry.figures["run"] == done.run and entry.figures["calls"] == 2 * SAMPLE
    assert entry.figures["comparison"]["decision"] == "no_go"
    with open_store(url) as store:
        state = store.rollout_state("bot")
        audit = store.rollout_audit("bot", limit=5)
    assert state is not None
    assert (state.status, state.percent_bp, state.version, state.stage_started_at) == (
        "promoted", 10_000, 2, promoted_at)
    assert [e.action for e in audit] == ["drift", "promote"]
    assert [(a["route"], a["action"], a["to_status"], a["reason"]) for a in received] == [
        ("bot", "drift", "promoted", done.reason)]
    assert alerts.sent == 1 and alerts.failed == 0


def test_the_live_controller_checks_a_promoted_route_every_period(tmp_path: Path) -> None:
    received: list[dict[str, Any]] = []
    url = f"sqlite:///{tmp_path / 's.db'}"
    now = [0.0]
    with running_server(receiver(received)) as hooks:
        promoted_at = record_and_promote(load_settings(write_config(tmp_path, url=url, hooks=hooks, quirks={})))
        settings = load_settings(write_config(tmp_path, url=url, hooks=hooks, quirks=CHANGED))
        alerts = Alerts(settings.alerts.webhooks)
        start = CHECK_AT  # the controller starts after the promotion: its first check is an hour later
        now[0] = start
        with open_store(url) as store:
            live = LiveController(store, settings, url=url, policy=load_policy(None), alerts=alerts,
                                  comparators=lambda: default_comparators(semantic=False), clock=lambda: now[0])
            looks = []
            for at in (start, start + 3599.0, start + 3600.0, start + 3601.0, start + 7199.0):
                now[0] = at
                looks.append([(t.route, t.drift.decision if t.drift else None) for t in live.tick()])
            audit = store.rollout_audit("bot", limit=5)
        alerts.close()
    assert looks == [[], [], [("bot", "no_go")], [], []]
    assert [(e.action, e.at) for e in audit] == [("drift", start + 3600.0), ("promote", promoted_at)]
    assert [a["action"] for a in received] == ["drift"]


def test_the_drift_command_exits_like_the_gate(tmp_path: Path) -> None:
    """The command draws its sample and seeds from the clock, so the changed provider here fences all its JSON:
    a no_go whatever the draw (both fresh answers fenced, the recorded one never)."""
    received: list[dict[str, Any]] = []
    url = f"sqlite:///{tmp_path / 's.db'}"
    with running_server(receiver(received)) as hooks:
        config = write_config(tmp_path, url=url, hooks=hooks, quirks={})
        record_and_promote(load_settings(config))
        policy = str(no_latency_policy(tmp_path))
        same = modelswap("rollout", "drift", "bot", "-c", str(config), "--json", "--gate", policy, cwd=tmp_path)
        write_config(tmp_path, url=url, hooks=hooks, quirks={"json_fence_rate": 1.0})
        changed = modelswap("rollout", "drift", "bot", "-c", str(config), "--sample", "50", "--actor", "alice",
                            "--gate", policy, cwd=tmp_path)
    report = json.loads(same.stdout)
    assert same.returncode == {"go": 0, "inconclusive": 2}[report["decision"]], same.stderr
    assert (report["schema"], report["sampled"], report["audit"]) == ("modelswap.rollout-drift/v1", SAMPLE, None)
    assert report["report"]["summary"]["verdicts"]["regression"] == 0
    assert changed.returncode == 1, changed.stdout
    lines = changed.stdout.splitlines()
    assert lines[0].startswith("bot: no_go: drift check no_go: arm smol asked again on 50 recorded requests")
    assert any(" regression: " in line for line in lines[1:])
    assert lines[-1].startswith("audited as drift (version 2")
    assert [(a["action"], a["actor"]) for a in received] == [("drift", "alice")]


def test_the_drift_command_refuses_a_route_not_promoted(tmp_path: Path) -> None:
    config = write_config(tmp_path, url=f"sqlite:///{tmp_path / 's.db'}", hooks="http://127.0.0.1:9", quirks={})
    done = modelswap("rollout", "drift", "bot", "-c", str(config), cwd=tmp_path)
    assert done.returncode == 3
    assert "nothing to check for drift: the rollout is shadow (never written), not promoted" in done.stderr


def modelswap(*args: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "modelswap", *args], cwd=cwd, capture_output=True, text=True,
                          timeout=120, check=False)


def test_a_drift_transition_keeps_the_state_and_is_alerted() -> None:
    plan = parse_settings(PLAN, path="m.yaml").routes["bot"].rollout
    assert plan is not None
    promoted = RolloutState(route="bot", candidate="smol", percent_bp=10_000, stage=4, status="promoted", version=7,
                            updated_at=10.0, updated_by="alice", stage_started_at=5.0)
    new, entry = transition(promoted, plan, Action(kind="drift", actor="controller", at=20.0, reason="r"))
    assert new == RolloutState(route="bot", candidate="smol", percent_bp=10_000, stage=4, status="promoted",
                               version=8, updated_at=20.0, updated_by="controller", stage_started_at=5.0)
    assert (entry.action, entry.version, entry.from_status, entry.to_status) == ("drift", 8, "promoted", "promoted")
    assert alerted(entry)
    running = RolloutState(route="bot", candidate="smol", percent_bp=500, stage=1, status="running", version=3,
                           updated_at=10.0, updated_by="alice", stage_started_at=5.0)
    with pytest.raises(RolloutError, match="a drift is recorded for a promoted rollout only"):
        transition(running, plan, Action(kind="drift", actor="controller", at=20.0))


PLAN = """\
arms:
  gpt: {backend: sim, seed: 1}
  smol: {backend: sim, seed: 5}
routes:
  bot:
    primary: gpt
    candidates: [smol]
    rollout:
      candidate: smol
      sticky: {header: x-user-id}
      drift: {sample: 50, every: 1h}
"""


def test_the_drift_block_is_optional_with_defaults_and_checked() -> None:
    assert parse_settings(PLAN.replace("      drift: {sample: 50, every: 1h}\n", ""), path="m.yaml").routes[
        "bot"].rollout.drift is None  # type: ignore[union-attr]
    drift = parse_settings(PLAN.replace("{sample: 50, every: 1h}", "{}"), path="m.yaml").routes[
        "bot"].rollout.drift  # type: ignore[union-attr]
    assert drift is not None and (drift.sample, drift.every_s) == (50, 21_600.0)
    with pytest.raises(ConfigError) as caught:
        parse_settings(PLAN.replace("every: 1h", "every: 30s"), path="m.yaml")
    assert str(caught.value) == ("m.yaml:11: routes.bot.rollout.drift.every: must be at least 60 seconds "
                                 "(a check costs 2 calls per sampled request), got '30s'")
    with pytest.raises(ConfigError) as caught:
        parse_settings(PLAN.replace("sample: 50", "sample: 0"), path="m.yaml")
    assert str(caught.value).startswith("m.yaml:11: routes.bot.rollout.drift.sample: ")
