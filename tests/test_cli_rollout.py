"""`modelswap rollout`: status, set, promote, pause, resume and rollback through typer's CliRunner on SQLite (and
once on PostgreSQL), the exact lines they print, the audit log they leave, a lost compare-and-set retried once,
and every refusal as one error naming what is wrong."""

from __future__ import annotations

import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import orjson
import pytest
from typer.testing import CliRunner

from conftest import POSTGRES_URL
from modelswap.cli import app
from modelswap.config import load_settings
from modelswap.errors import ConfigError, RolloutError
from modelswap.rollout.state import Action, initial_state, transition
from modelswap.store import open_store
from modelswap.store.sql import SQLStore
from modelswap.types import AuditEntry, RolloutState

CONFIG = """\
store: {store}
arms:
  gpt: {{backend: sim, seed: 1}}
  smol: {{backend: sim, seed: 2}}
routes:
  support-bot:
    primary: gpt
    candidates: [smol]
    rollout:
      candidate: smol
      sticky: {{header: x-user-id}}
      stages: [{{percent: 1, min_trials: 200, soak: 10m}}, {{percent: 5, soak: 90s}}, {{percent: 50}}, {{percent: 100}}]
      guards: {{error_rate: 0.02}}
  plain:
    primary: gpt
"""
T0 = 1796151466.0  # 2026-12-01T18:57:46Z


@pytest.fixture
def config(tmp_path: Path) -> Path:
    path = tmp_path / "m.yaml"
    path.write_text(CONFIG.format(store=f"sqlite:///{tmp_path / 'm.db'}"), encoding="utf-8")
    return path


@pytest.fixture
def clock(monkeypatch: pytest.MonkeyPatch) -> Iterator[list[float]]:
    """The CLI's clock, advanced by one second per reading, starting at T0."""
    ticks = [T0]

    def now() -> float:
        ticks[0] += 1
        return ticks[0] - 1

    monkeypatch.setattr("modelswap.cli_rollout._now", now)
    monkeypatch.setattr("modelswap.rollout.control.getpass.getuser", lambda: "ops")
    yield ticks


def run(config: Path, *args: str) -> Any:
    return CliRunner().invoke(app, ["rollout", *args[:1], *args[1:], "-c", str(config)])


def stored(config: Path) -> tuple[RolloutState | None, list[AuditEntry]]:
    with open_store(load_settings(config).store) as store:
        return store.rollout_state("support-bot"), store.rollout_audit("support-bot", limit=100)


def test_status_of_a_route_never_written(config: Path) -> None:
    done = run(config, "status", "support-bot")
    assert done.exit_code == 0, done.output
    assert done.stdout.splitlines() == [
        "route support-bot: candidate smol at 0% (before the first stage), shadow",
        "never written: this is the initial state",
        "plan: gate default; guards: error_rate 0.02; sticky: header x-user-id; segments: 0",
        "  stage  percent  min_trials  soak",
        "      1       1%         200  10m",
        "      2       5%         200  90s",
        "      3      50%         200  10m",
        "      4     100%         200  10m",
        "audit: no entries",
    ]
    assert stored(config) == (None, [])


def test_manual_control_writes_audited_transitions_and_status_shows_them(config: Path, clock: list[float]) -> None:
    steps = [
        (["set", "support-bot", "--percent", "5", "--reason", "first look"],
         "support-bot: set 0% -> 5%, shadow -> running (version 1, by ops)"),
        (["pause", "support-bot", "--actor", "bob", "--reason", "error spike"],
         "support-bot: pause 5% -> 5%, running -> paused (version 2, by bob)"),
        (["resume", "support-bot"], "support-bot: resume 5% -> 5%, paused -> running (version 3, by ops)"),
        (["set", "support-bot", "--percent", "12.5"],
         "support-bot: set 5% -> 12.5%, running -> running (version 4, by ops)"),
    ]
    for args, line in steps:
        done = run(config, *args)
        assert done.exit_code == 0, done.output
        assert done.stdout == line + "\n"
    state, entries = stored(config)
    assert state == RolloutState(route="support-bot", candidate="smol", percent_bp=1250, stage=1, status="running",
                                 version=4, updated_at=T0 + 3, updated_by="ops", stage_started_at=T0 + 3)
    assert [(e.version, e.actor, e.action, e.reason, e.at) for e in entries] == [
        (4, "ops", "set", "", T0 + 3), (3, "ops", "resume", "", T0 + 2), (2, "bob", "pause", "error spike", T0 + 1),
        (1, "ops", "set", "first look", T0)]
    done = run(config, "status", "support-bot", "--limit", "2")
    assert done.exit_code == 0, done.output
    assert done.stdout.splitlines() == [
        "route support-bot: candidate smol at 12.5% (stage 2 of 4), running",
        "version 4, updated 2026-12-01T18:57:49Z by ops; stage started 2026-12-01T18:57:49Z",
        "plan: gate default; guards: error_rate 0.02; sticky: header x-user-id; segments: 0",
        "  stage  percent  min_trials  soak",
        "      1       1%         200  10m",
        ">     2       5%         200  90s  (now 12.5%)",
        "      3      50%         200  10m",
        "      4     100%         200  10m",
        "audit: 2 latest entries, newest first",
        "  v4 2026-12-01T18:57:49Z ops set 5% -> 12.5%, running -> running",
        "  v3 2026-12-01T18:57:48Z ops resume 5% -> 5%, paused -> running",
    ]
    assert run(config, "promote", "support-bot", "--reason", "all green").stdout == (
        "support-bot: promote 12.5% -> 100%, running -> promoted (version 5, by ops)\n")
    assert run(config, "rollback", "support-bot", "--actor", "carol").stdout == (
        "support-bot: rollback 100% -> 0%, promoted -> rolled_back (version 6, by carol)\n")
    assert [e.action for e in stored(config)[1]] == ["rollback", "promote", "set", "resume", "pause", "set"]


def test_status_json(config: Path, clock: list[float]) -> None:
    run(config, "set", "support-bot", "--percent", "1", "--reason", "go")
    run(config, "pause", "support-bot")
    done = run(config, "status", "support-bot", "--json")
    assert done.exit_code == 0, done.output
    data = orjson.loads(done.stdout)
    assert data["schema"] == "modelswap.rollout-status/v1"
    assert (data["route"], data["written"]) == ("support-bot", True)
    assert data["state"] == {"route": "support-bot", "candidate": "smol", "percent": 1.0, "percent_bp": 100,
                             "stage": 0, "status": "paused", "version": 2, "updated_at": T0 + 1, "updated_by": "ops",
                             "stage_started_at": T0}
    assert [(s["percent"], s["soak_s"], s["current"]) for s in data["plan"]["stages"]] == [
        (1.0, 600.0, True), (5.0, 90.0, False), (50.0, 600.0, False), (100.0, 600.0, False)]
    assert data["plan"]["guards"] == {"error_rate": 0.02, "p95_latency_ratio": None}
    assert (data["plan"]["candidate"], data["plan"]["sticky"], data["plan"]["gate"]) == (
        "smol", {"header": "x-user-id"}, "default")
    assert [(a["version"], a["action"], a["from_status"], a["to_status"], a["reason"], a["figures"])
            for a in data["audit"]] == [(2, "pause", "running", "paused", "", {}),
                                        (1, "set", "shadow", "running", "go", {})]


def test_a_refused_transition_is_a_rollout_error_and_writes_nothing(config: Path, clock: list[float]) -> None:
    done = run(config, "resume", "support-bot")
    assert isinstance(done.exception, RolloutError)
    assert str(done.exception) == ("rollout of route 'support-bot': cannot resume: not paused (the rollout is "
                                   "shadow)")
    run(config, "rollback", "support-bot")
    done = run(config, "promote", "support-bot")
    assert str(done.exception) == ("rollout of route 'support-bot': cannot promote: the rollout was rolled back; "
                                   "set a percentage first")
    assert [e.action for e in stored(config)[1]] == ["rollback"]


def test_a_route_without_a_rollout_or_unknown_names_the_file_and_route(config: Path) -> None:
    done = run(config, "set", "plain", "--percent", "5")
    assert isinstance(done.exception, ConfigError)
    assert str(done.exception) == (f"{config}: routes.plain: has no rollout: block, so it has no plan to control "
                                   "(docs/rollout.md#configuration)")
    done = run(config, "status", "nope")
    assert str(done.exception) == f"{config}: routes: unknown route 'nope'; expected one of plain, support-bot"


@pytest.mark.parametrize(("percent", "message"), [
    ("0.001", "has more than two decimals (0.01% is the finest step), got 0.001"),
    ("101", "must be between 0 and 100, got 101.0"),
])
def test_a_bad_percentage_is_a_usage_error(config: Path, percent: str, message: str) -> None:
    done = run(config, "set", "support-bot", "--percent", percent)
    assert done.exit_code == 2
    assert message in " ".join(done.stderr.replace("│", " ").split())
    assert stored(config) == (None, [])


def _other_writer_first(monkeypatch: pytest.MonkeyPatch, config: Path, *kinds: str) -> None:
    """Before each of the CLI's next writes, another writer (bob) applies one of ``kinds`` to the stored state."""
    original = SQLStore.write_rollout
    pending = list(kinds)
    plan = load_settings(config).routes["support-bot"].rollout
    assert plan is not None

    def racing(self: SQLStore, state: RolloutState, entry: AuditEntry, *, expected_version: int) -> bool:
        if pending:
            current = self.rollout_state("support-bot") or initial_state("support-bot", plan)
            theirs = transition(current, plan, Action(kind=pending.pop(0), actor="bob", at=T0 - 10,  # type: ignore[arg-type]
                                                      percent_bp=100))
            assert original(self, *theirs, expected_version=current.version)
        return original(self, state, entry, expected_version=expected_version)

    monkeypatch.setattr(SQLStore, "write_rollout", racing)


def test_a_lost_race_is_retried_once_on_the_fresh_state(config: Path, clock: list[float],
                                                         monkeypatch: pytest.MonkeyPatch) -> None:
    run(config, "set", "support-bot", "--percent", "5")
    _other_writer_first(monkeypatch, config, "set")
    done = run(config, "pause", "support-bot")
    assert done.exit_code == 0, done.output
    assert done.stderr == ("note: the rollout changed while this ran (version 2, 1% running, by bob); pause was "
                           "applied to that state\n")
    assert done.stdout == "support-bot: pause 1% -> 1%, running -> paused (version 3, by ops)\n"
    assert [(e.version, e.actor, e.action) for e in stored(config)[1]] == [
        (3, "ops", "pause"), (2, "bob", "set"), (1, "ops", "set")]


def test_a_race_lost_twice_says_so_and_writes_nothing_of_its_own(config: Path, clock: list[float],
                                                                 monkeypatch: pytest.MonkeyPatch) -> None:
    _other_writer_first(monkeypatch, config, "set", "pause")
    done = run(config, "rollback", "support-bot")
    assert isinstance(done.exception, RolloutError)
    assert str(done.exception) == ("rollout of route 'support-bot': cannot rollback: other writers changed the "
                                   "rollout 2 times while this ran: version 2, 1% paused, by bob; read its status "
                                   "and try again")
    assert [(e.actor, e.action) for e in stored(config)[1]] == [("bob", "pause"), ("bob", "set")]


def test_a_race_that_makes_the_action_illegal_says_what_happened(config: Path, clock: list[float],
                                                                 monkeypatch: pytest.MonkeyPatch) -> None:
    run(config, "set", "support-bot", "--percent", "5")
    _other_writer_first(monkeypatch, config, "pause")
    done = run(config, "pause", "support-bot")
    assert str(done.exception) == ("rollout of route 'support-bot': cannot pause: already paused (another writer "
                                   "changed the rollout while this ran: version 2, 5% paused, by bob)")


def test_the_command_line_exits_3_with_one_line(config: Path) -> None:
    done = subprocess.run([sys.executable, "-m", "modelswap", "rollout", "rollback", "plain", "-c", str(config)],
                          capture_output=True, text=True, timeout=120, env={"PATH": "/usr/bin:/bin", "COLUMNS": "200"})
    assert done.returncode == 3
    assert done.stderr == (f"error: {config}: routes.plain: has no rollout: block, so it has no plan to control "
                           "(docs/rollout.md#configuration)\n")


@pytest.mark.postgres
def test_manual_control_on_postgres(tmp_path: Path, postgres_schema: str, clock: list[float]) -> None:
    config = tmp_path / "m.yaml"
    config.write_text(CONFIG.format(store=f"{POSTGRES_URL}?options=-csearch_path%3D{postgres_schema}"),
                      encoding="utf-8")
    assert run(config, "set", "support-bot", "--percent", "0.01").stdout == (
        "support-bot: set 0% -> 0.01%, shadow -> running (version 1, by ops)\n")
    assert run(config, "rollback", "support-bot", "--reason", "p95 up").stdout == (
        "support-bot: rollback 0.01% -> 0%, running -> rolled_back (version 2, by ops)\n")
    state, entries = stored(config)
    assert state is not None and (state.percent_bp, state.status, state.version) == (0, "rolled_back", 2)
    assert [(e.version, e.from_percent_bp, e.to_percent_bp, e.reason) for e in entries] == [
        (2, 1, 0, "p95 up"), (1, 0, 1, "")]
    done = run(config, "status", "support-bot", "--json")
    assert orjson.loads(done.stdout)["state"]["status"] == "rolled_back"


def test_a_stored_candidate_the_configuration_no_longer_names_is_shown_and_must_be_reset(config: Path,
                                                                                       clock: list[float]) -> None:
    plan = load_settings(config).routes["support-bot"].rollout
    assert plan is not None
    old_plan = plan.model_copy(update={"candidate": "gemma"})
    with open_store(load_settings(config).store) as store:
        state, entry = transition(initial_state("support-bot", old_plan), old_plan,
                                  Action(kind="set", actor="bob", at=T0, percent_bp=500))
        assert store.write_rollout(state, entry, expected_version=0)
    lines = run(config, "status", "support-bot").stdout.splitlines()
    assert lines[:3] == ["route support-bot: candidate gemma at 5% (stage 2 of 4), running",
                         "version 1, updated 2026-12-01T18:57:46Z by bob; stage started 2026-12-01T18:57:46Z",
                         "warning: the configuration now names candidate smol"]
    done = run(config, "promote", "support-bot")
    assert str(done.exception) == ("rollout of route 'support-bot': cannot promote: the store has candidate 'gemma' "
                                   "at 5% but the configuration names 'smol'; roll back or set a percentage first")
    assert run(config, "set", "support-bot", "--percent", "5").stdout == (
        "support-bot: set 5% -> 5%, running -> running, candidate gemma -> smol (version 2, by ops)\n")
    assert run(config, "promote", "support-bot").exit_code == 0
    assert [e.candidate for e in stored(config)[1]] == ["smol", "smol", "gemma"]
