"""Rollout transitions: every action's result from every status, exactly, and the refusals with their reasons."""

from __future__ import annotations

from dataclasses import replace

import pytest

from modelswap.config import RolloutConfig, StageConfig
from modelswap.errors import RolloutError
from modelswap.rollout.state import Action, ActionKind, initial_state, stage_at, transition
from modelswap.types import AuditEntry, RolloutState, RolloutStatus

PLAN = RolloutConfig(candidate="smol", sticky={"header": "x-user-id"},
                     stages=(StageConfig(percent=1), StageConfig(percent=5), StageConfig(percent=25),
                             StageConfig(percent=100)))


def state(status: RolloutStatus = "running", percent_bp: int = 500, stage: int = 1, version: int = 3,
          candidate: str = "smol") -> RolloutState:
    return RolloutState(route="bot", candidate=candidate, percent_bp=percent_bp, stage=stage, status=status,
                        version=version, updated_at=50.0, updated_by="earlier", stage_started_at=40.0)


def act(kind: ActionKind, **fields: object) -> Action:
    return Action(kind=kind, actor="alice", at=100.0, **fields)  # type: ignore[arg-type]


def test_the_initial_state_is_shadow_at_zero_before_the_first_stage() -> None:
    assert initial_state("bot", PLAN) == RolloutState(route="bot", candidate="smol", percent_bp=0, stage=-1,
                                                      status="shadow", version=0, updated_at=0.0, updated_by="",
                                                      stage_started_at=None)


def test_a_transition_writes_the_next_version_and_its_audit_entry() -> None:
    new, entry = transition(state(), PLAN, act("pause", reason="error spike", figures={"error_rate": 0.031}))
    assert new == RolloutState(route="bot", candidate="smol", percent_bp=500, stage=1, status="paused", version=4,
                               updated_at=100.0, updated_by="alice", stage_started_at=40.0)
    assert entry == AuditEntry(route="bot", version=4, at=100.0, actor="alice", action="pause", candidate="smol",
                               from_percent_bp=500, to_percent_bp=500, from_status="running", to_status="paused",
                               reason="error spike", figures={"error_rate": 0.031})


@pytest.mark.parametrize(("before", "action", "after"), [
    # set: the stage is the last at or below the percentage; paused stays paused; 0% is shadow
    (state(), act("set", percent_bp=1000), (1000, 1, "running", 100.0)),
    (state(), act("set", percent_bp=2500), (2500, 2, "running", 100.0)),
    (state(), act("set", percent_bp=50), (50, -1, "running", 100.0)),
    (state(), act("set", percent_bp=0), (0, -1, "shadow", 100.0)),
    (state(), act("set", percent_bp=10_000), (10_000, 3, "running", 100.0)),
    (state("paused"), act("set", percent_bp=2500), (2500, 2, "paused", 100.0)),
    (state("rolled_back", 0, -1), act("set", percent_bp=1), (1, -1, "running", 100.0)),
    (state("promoted", 10_000, 3), act("set", percent_bp=2500), (2500, 2, "running", 100.0)),
    (state("shadow", 0, -1), act("set", percent_bp=100), (100, 0, "running", 100.0)),
    # promote
    (state(), act("promote"), (10_000, 3, "promoted", 100.0)),
    (state("paused"), act("promote"), (10_000, 3, "promoted", 100.0)),
    (state("shadow", 0, -1), act("promote"), (10_000, 3, "promoted", 100.0)),
    # pause keeps the percentage and the stage's clock; resume restarts the clock
    (state(), act("pause"), (500, 1, "paused", 40.0)),
    (state("shadow", 0, -1), act("pause"), (0, -1, "paused", 40.0)),
    (state("paused"), act("resume"), (500, 1, "running", 100.0)),
    (state("paused", 0, -1), act("resume"), (0, -1, "shadow", 100.0)),
    # rollback and guard_breach: 0%, before the first stage, from anything but rolled_back
    (state(), act("rollback"), (0, -1, "rolled_back", None)),
    (state("paused"), act("rollback"), (0, -1, "rolled_back", None)),
    (state("promoted", 10_000, 3), act("rollback"), (0, -1, "rolled_back", None)),
    (state("shadow", 0, -1), act("rollback"), (0, -1, "rolled_back", None)),
    (state(), act("guard_breach"), (0, -1, "rolled_back", None)),
    # advance: the next stage's percentage; the last stage is promotion
    (state("shadow", 0, -1), act("advance"), (100, 0, "running", 100.0)),
    (state(), act("advance"), (2500, 2, "running", 100.0)),
    (state("running", 1000, 1), act("advance"), (2500, 2, "running", 100.0)),
    (state("running", 2500, 2), act("advance"), (10_000, 3, "promoted", 100.0)),
])
def test_allowed_transitions(before: RolloutState, action: Action,
                             after: tuple[int, int, RolloutStatus, float | None]) -> None:
    new, entry = transition(before, PLAN, action)
    assert (new.percent_bp, new.stage, new.status, new.stage_started_at) == after
    assert (new.version, new.updated_by, new.updated_at, new.candidate) == (4, "alice", 100.0, "smol")
    assert (entry.action, entry.from_percent_bp, entry.to_percent_bp, entry.from_status, entry.to_status) == (
        action.kind, before.percent_bp, new.percent_bp, before.status, new.status)


@pytest.mark.parametrize(("before", "action", "message"), [
    (state("paused"), act("pause"), "cannot pause: already paused"),
    (state("rolled_back", 0, -1), act("pause"), "cannot pause: nothing to pause: the rollout is rolled_back"),
    (state("promoted", 10_000, 3), act("pause"), "cannot pause: nothing to pause: the rollout is promoted"),
    (state(), act("resume"), "cannot resume: not paused (the rollout is running)"),
    (state("rolled_back", 0, -1), act("resume"), "cannot resume: not paused (the rollout is rolled_back)"),
    (state("rolled_back", 0, -1), act("promote"), "cannot promote: the rollout was rolled back; set a percentage "
                                                  "first"),
    (state("promoted", 10_000, 3), act("promote"), "cannot promote: already promoted"),
    (state("rolled_back", 0, -1), act("rollback"), "cannot rollback: already rolled back"),
    (state("rolled_back", 0, -1), act("guard_breach"), "cannot guard_breach: already rolled back"),
    (state("paused"), act("advance"), "cannot advance: the rollout is paused; resume first"),
    (state("rolled_back", 0, -1), act("advance"), "cannot advance: the rollout is rolled_back; set a percentage "
                                                  "first"),
    (state("promoted", 10_000, 3), act("advance"), "cannot advance: the rollout is promoted; nothing left"),
    (state("running", 10_000, 3), act("advance"), "cannot advance: already at the last stage"),
    (state(), act("set"), "cannot set: the percentage must be between 0 and 100, got None basis points"),
    (state(), act("set", percent_bp=10_001), "cannot set: the percentage must be between 0 and 100, got 10001 "
                                             "basis points"),
    (state(), Action(kind="pause", actor="", at=1.0), "cannot pause: no actor: every transition names who made it"),
])
def test_refused_transitions_say_why(before: RolloutState, action: Action, message: str) -> None:
    with pytest.raises(RolloutError) as caught:
        transition(before, PLAN, action)
    assert str(caught.value) == f"rollout of route 'bot': {message}"
    assert (caught.value.route, caught.value.action) == ("bot", action.kind)


def test_a_rollback_then_a_set_allows_promotion_again() -> None:
    rolled, _ = transition(state(), PLAN, act("rollback"))
    with pytest.raises(RolloutError):
        transition(rolled, PLAN, act("promote"))
    restarted, _ = transition(rolled, PLAN, act("set", percent_bp=100))
    promoted, entry = transition(restarted, PLAN, act("promote"))
    assert (promoted.status, promoted.percent_bp, promoted.version, entry.from_status) == ("promoted", 10_000, 6,
                                                                                           "running")


def test_a_changed_candidate_must_be_rolled_back_or_set_before_it_moves_on() -> None:
    other = PLAN.model_copy(update={"candidate": "gemma"})
    serving_smol = state(candidate="smol")
    for kind in ("promote", "advance"):
        with pytest.raises(RolloutError, match=r"the store has candidate 'smol' at 5% but the configuration names "
                                               r"'gemma'; roll back or set a percentage first"):
            transition(serving_smol, other, act(kind))
    with pytest.raises(RolloutError, match="the store has candidate 'smol'"):
        transition(replace(serving_smol, status="paused"), other, act("resume"))
    paused, _ = transition(serving_smol, other, act("pause"))
    assert paused.candidate == "gemma"  # a pause changes no traffic: the next write names the plan's candidate
    new, entry = transition(serving_smol, other, act("set", percent_bp=100))
    assert (new.candidate, entry.candidate, new.percent_bp) == ("gemma", "gemma", 100)
    back, _ = transition(serving_smol, other, act("rollback"))
    assert back.candidate == "gemma"
    moved, _ = transition(back, other, act("set", percent_bp=500))
    assert transition(moved, other, act("advance"))[0].percent_bp == 2500


def test_stage_at_is_the_last_stage_at_or_below() -> None:
    assert [stage_at(PLAN, bp) for bp in (0, 99, 100, 499, 500, 2499, 2500, 9999, 10_000)] == [
        -1, -1, 0, 0, 1, 1, 2, 2, 3]


def test_a_set_to_the_same_percentage_is_still_an_audited_write() -> None:
    new, entry = transition(state(), PLAN, act("set", percent_bp=500, reason="re-affirm"))
    assert (new.version, new.percent_bp, new.stage_started_at, entry.reason) == (4, 500, 100.0, "re-affirm")
