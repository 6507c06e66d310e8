"""Rollout transitions: from a route's state, its plan and an action to the next state and its audit entry.

What it is: ``transition``, a pure function. The action says who acts, when, why and with which
figures; nothing here reads a clock, the store or the network, so every rule is testable as is.
``initial_state`` is the state of a route whose rollout was never written (shadow, 0%, version 0).
What it is not: storage (``Store.write_rollout`` writes a state and its entry together, on the
condition that nobody wrote in between), assignment of requests to arms, or the controller that
decides when to advance or roll back.

The rules, by action (any other case is a ``RolloutError`` naming the route, the action and why):

============  ========================================  =============================================
action        allowed from                              result
============  ========================================  =============================================
set P         any status                                P% (stage: the last whose percent <= P); paused
                                                        stays paused, otherwise running (shadow at 0%)
promote       shadow, running, paused                   100%, last stage, promoted
pause         shadow, running                           paused, the same percentage
resume        paused                                    running (shadow at 0%); the stage's soak restarts
rollback      any but rolled_back                       0%, stage -1, rolled_back
guard_breach  any but rolled_back                       as rollback (the controller's rollback on a guard)
advance       shadow, running (not at the last stage)   the next stage's percent; promoted if it is the last
drift         promoted                                  unchanged (100%, promoted, the same stage and
                                                        stage start): the record of a drift check's
                                                        no_go (``modelswap.rollout.drift``)
============  ========================================  =============================================

A state always carries the plan's candidate after a write. ``promote``, ``resume`` and ``advance``
refuse a state that serves another candidate than the plan's (the configuration changed under a
running rollout): roll back or set a percentage first, so the change is deliberate and audited.
Every transition, even one that changes nothing (``set`` to the current percentage, ``drift``), writes a new
version and one audit entry.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Literal

from modelswap.config import RolloutConfig
from modelswap.errors import RolloutError
from modelswap.types import AuditEntry, RolloutState, RolloutStatus

__all__ = ["ACTIONS", "Action", "ActionKind", "AuditEntry", "RolloutState", "RolloutStatus", "initial_state",
           "stage_at", "transition"]

ActionKind = Literal["set", "promote", "pause", "resume", "rollback", "advance", "guard_breach", "drift"]
ACTIONS: tuple[ActionKind, ...] = ("set", "promote", "pause", "resume", "rollback", "advance", "guard_breach", "drift")
FULL_BP = 10_000


@dataclass(frozen=True, kw_only=True, slots=True)
class Action:
    """What someone (a person, or the controller) does to a rollout, and when and why.

    ``percent_bp`` is the target of ``set`` (basis points, 0..10,000) and unused otherwise.
    ``figures`` are the numbers that decided (a gate's checks, a guard's observed rate), kept as JSON.
    """

    kind: ActionKind
    actor: str
    at: float
    reason: str = ""
    percent_bp: int | None = None
    figures: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True, kw_only=True, slots=True)
class _Move:
    percent_bp: int
    stage: int
    status: RolloutStatus
    stage_started_at: float | None


def initial_state(route: str, plan: RolloutConfig) -> RolloutState:
    """The state of a route whose rollout was never written: shadow, 0%, before the first stage, version 0."""
    return RolloutState(route=route, candidate=plan.candidate, percent_bp=0, stage=-1, status="shadow", version=0,
                        updated_at=0.0, updated_by="", stage_started_at=None)


def stage_at(plan: RolloutConfig, percent_bp: int) -> int:
    """The index of the last stage whose percentage is at most ``percent_bp`` (-1 below the first)."""
    reached = [i for i, stage in enumerate(plan.stages) if stage.percent_bp <= percent_bp]
    return reached[-1] if reached else -1


def transition(state: RolloutState, plan: RolloutConfig, action: Action) -> tuple[RolloutState, AuditEntry]:
    """The state after ``action`` and the audit entry recording it; ``RolloutError`` if the rules refuse it."""
    if not action.actor:
        raise _refused(state, action, "no actor: every transition names who made it")
    _check_candidate(state, plan, action)
    move = _RULES[action.kind](state, plan, action)
    new = RolloutState(route=state.route, candidate=plan.candidate, percent_bp=move.percent_bp, stage=move.stage,
                       status=move.status, version=state.version + 1, updated_at=action.at, updated_by=action.actor,
                       stage_started_at=move.stage_started_at)
    entry = AuditEntry(route=state.route, version=new.version, at=action.at, actor=action.actor, action=action.kind,
                       candidate=plan.candidate, from_percent_bp=state.percent_bp, to_percent_bp=new.percent_bp,
                       from_status=state.status, to_status=new.status, reason=action.reason,
                       figures=dict(action.figures))
    return new, entry


def _refused(state: RolloutState, action: Action, why: str) -> RolloutError:
    return RolloutError(why, route=state.route, action=action.kind)


def _check_candidate(state: RolloutState, plan: RolloutConfig, action: Action) -> None:
    if action.kind in ("promote", "resume", "advance") and state.percent_bp > 0 and state.candidate != plan.candidate:
        raise _refused(state, action, f"the store has candidate {state.candidate!r} at {state.percent:g}% but the "
                                      f"configuration names {plan.candidate!r}; roll back or set a percentage first")


def _set(state: RolloutState, plan: RolloutConfig, action: Action) -> _Move:
    bp = action.percent_bp
    if bp is None or not 0 <= bp <= FULL_BP:
        raise _refused(state, action, f"the percentage must be between 0 and 100, got {bp!r} basis points")
    status: RolloutStatus = "paused" if state.status == "paused" else ("running" if bp > 0 else "shadow")
    return _Move(percent_bp=bp, stage=stage_at(plan, bp), status=status, stage_started_at=action.at)


def _promote(state: RolloutState, plan: RolloutConfig, action: Action) -> _Move:
    if state.status == "rolled_back":
        raise _refused(state, action, "the rollout was rolled back; set a percentage first")
    if state.status == "promoted":
        raise _refused(state, action, "already promoted")
    return _Move(percent_bp=FULL_BP, stage=len(plan.stages) - 1, status="promoted", stage_started_at=action.at)


def _pause(state: RolloutState, plan: RolloutConfig, action: Action) -> _Move:
    if state.status == "paused":
        raise _refused(state, action, "already paused")
    if state.status in ("rolled_back", "promoted"):
        raise _refused(state, action, f"nothing to pause: the rollout is {state.status}")
    return _Move(percent_bp=state.percent_bp, stage=state.stage, status="paused",
                 stage_started_at=state.stage_started_at)


def _resume(state: RolloutState, plan: RolloutConfig, action: Action) -> _Move:
    if state.status != "paused":
        raise _refused(state, action, f"not paused (the rollout is {state.status})")
    status: RolloutStatus = "running" if state.percent_bp > 0 else "shadow"
    return _Move(percent_bp=state.percent_bp, stage=state.stage, status=status, stage_started_at=action.at)


def _rollback(state: RolloutState, plan: RolloutConfig, action: Action) -> _Move:
    if state.status == "rolled_back":
        raise _refused(state, action, "already rolled back")
    return _Move(percent_bp=0, stage=-1, status="rolled_back", stage_started_at=None)


def _advance(state: RolloutState, plan: RolloutConfig, action: Action) -> _Move:
    if state.status in ("paused", "rolled_back", "promoted"):
        fix = {"paused": "resume first", "rolled_back": "set a percentage first", "promoted": "nothing left"}
        raise _refused(state, action, f"the rollout is {state.status}; {fix[state.status]}")
    following = state.stage + 1
    if following >= len(plan.stages):
        raise _refused(state, action, "already at the last stage")
    last = following == len(plan.stages) - 1
    return _Move(percent_bp=plan.stages[following].percent_bp, stage=following,
                 status="promoted" if last else "running", stage_started_at=action.at)


def _drift(state: RolloutState, plan: RolloutConfig, action: Action) -> _Move:
    if state.status != "promoted":
        raise _refused(state, action, f"a drift is recorded for a promoted rollout only (it is {state.status})")
    if state.candidate != plan.candidate:
        raise _refused(state, action, f"the store serves {state.candidate!r} but the configuration names "
                                      f"{plan.candidate!r}; a drift entry would rewrite the candidate")
    return _Move(percent_bp=state.percent_bp, stage=state.stage, status=state.status,
                 stage_started_at=state.stage_started_at)


_RULES = {"set": _set, "promote": _promote, "pause": _pause, "resume": _resume, "rollback": _rollback,
          "guard_breach": _rollback, "advance": _advance, "drift": _drift}
