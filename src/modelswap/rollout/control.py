"""Applying one rollout action to the stored state: read, transition, compare-and-set, retried once.

What it is: ``apply``, what a manual command (the CLI's ``rollout set``, ``pause``...; later the
admin API) does with an action: read the route's state from the store (or the initial state when
none was written), compute the transition, and write the new state and its audit entry on the
condition that nobody wrote in between. When another writer won, the action is tried once more on
the fresh state (the result says so); when it loses twice, or the fresh state does not allow it,
it raises ``RolloutError`` saying what happened. What it is not: the rules (``modelswap.rollout.state``),
the SQL (``modelswap.store``), nor the automatic controller that chooses actions.
"""

from __future__ import annotations

import getpass
from dataclasses import dataclass

from modelswap.config import RolloutConfig
from modelswap.errors import RolloutError
from modelswap.rollout.state import Action, initial_state, transition
from modelswap.store.base import Store
from modelswap.types import AuditEntry, RolloutState

ATTEMPTS = 2


@dataclass(frozen=True, kw_only=True, slots=True)
class Applied:
    """A written transition: the state it started from, the state and audit entry it wrote.

    ``raced`` is the state another writer wrote while this action was first tried (None when the
    first try won): the action was then applied to that state instead.
    """

    before: RolloutState
    state: RolloutState
    entry: AuditEntry
    raced: RolloutState | None = None


def apply(store: Store, route: str, plan: RolloutConfig, action: Action) -> Applied:
    """Apply ``action`` to ``route``'s stored rollout; see the module docstring."""
    raced: RolloutState | None = None
    for _ in range(ATTEMPTS):
        current = store.rollout_state(route) or initial_state(route, plan)
        try:
            new, entry = transition(current, plan, action)
        except RolloutError as exc:
            if raced is None:
                raise
            raise RolloutError(f"{exc.why} (another writer changed the rollout while this ran: {describe(raced)})",
                               route=route, action=action.kind) from None
        if store.write_rollout(new, entry, expected_version=current.version):
            return Applied(before=current, state=new, entry=entry, raced=raced)
        raced = store.rollout_state(route)
    last = f": {describe(raced)}" if raced is not None else ""
    raise RolloutError(f"other writers changed the rollout {ATTEMPTS} times while this ran{last}; "
                       "read its status and try again", route=route, action=action.kind)


def describe(state: RolloutState) -> str:
    """One line: the state's version, percentage, status and who wrote it."""
    return f"version {state.version}, {state.percent:g}% {state.status}, by {state.updated_by}"


def default_actor() -> str:
    """Who acts when no one is named: the OS user ("unknown" in a bare container without a login name)."""
    try:
        return getpass.getuser()
    except (OSError, KeyError):
        return "unknown"
