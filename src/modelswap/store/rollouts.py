"""The rollout tables' SQL and rows: a route's rollout state and its audit log, on SQLite and PostgreSQL.

What it is: the queries ``SQLStore``'s rollout methods run on ``rollout_state`` and ``rollout_audit``
(migration 5 in ``modelswap.store.schema``), the conversions between their rows and ``RolloutState``
/ ``AuditEntry``, and ``check_write``, which refuses a write whose state and entry disagree. What
it is not: the transitions (``modelswap.rollout.state``) nor the transaction (``SQLStore.write_rollout``).

A write is a compare-and-set: the state row is inserted only if the route has none (expected
version 0) or updated only where its version is still the expected one; the audit row, keyed by
(route, version), is inserted in the same transaction only when that succeeded. Two writers that
read the same version cannot both win: on SQLite the write lock serialises them, on PostgreSQL the
second UPDATE waits for the first's row lock, then finds the version changed and updates nothing.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from typing import Any

from modelswap.errors import StoreError
from modelswap.types import ROLLOUT_STATUSES, AuditEntry, RolloutState, RolloutStatus

STATE_COLUMNS = ("route", "candidate", "percent_bp", "stage", "status", "version", "updated_at", "updated_by",
                 "stage_started_at")
AUDIT_COLUMNS = ("route", "version", "at", "actor", "action", "candidate", "from_percent_bp", "to_percent_bp",
                 "from_status", "to_status", "reason", "figures_json")

SELECT_STATES = f"SELECT {', '.join(STATE_COLUMNS)} FROM rollout_state"
SELECT_STATE = f"{SELECT_STATES} WHERE route = ?"
INSERT_STATE = (f"INSERT INTO rollout_state ({', '.join(STATE_COLUMNS)}) "
                f"VALUES ({', '.join('?' for _ in STATE_COLUMNS)}) ON CONFLICT (route) DO NOTHING")
UPDATE_STATE = ("UPDATE rollout_state SET " + ", ".join(f"{c} = ?" for c in STATE_COLUMNS[1:])
                + " WHERE route = ? AND version = ?")
INSERT_AUDIT = (f"INSERT INTO rollout_audit ({', '.join(AUDIT_COLUMNS)}) "
                f"VALUES ({', '.join('?' for _ in AUDIT_COLUMNS)})")
SELECT_AUDIT = f"SELECT {', '.join(AUDIT_COLUMNS)} FROM rollout_audit WHERE route = ? ORDER BY version DESC LIMIT ?"

FULL_BP = 10_000


def check_write(state: RolloutState, entry: AuditEntry, expected_version: int) -> None:
    """Refuse (``ValueError``) a state and entry that are not one write after ``expected_version``."""
    if expected_version < 0:
        raise ValueError(f"expected_version must be 0 (no state yet) or more, got {expected_version}")
    if state.version != expected_version + 1 or entry.version != state.version:
        raise ValueError(f"a write after version {expected_version} must be version {expected_version + 1}: "
                         f"the state is version {state.version}, its audit entry {entry.version}")
    if entry.route != state.route:
        raise ValueError(f"the audit entry is of route {entry.route!r}, the state of {state.route!r}")
    if not 0 <= state.percent_bp <= FULL_BP:
        raise ValueError(f"percent_bp must be between 0 and {FULL_BP}, got {state.percent_bp}")


def state_row(state: RolloutState) -> tuple[Any, ...]:
    """The ``rollout_state`` row of a state, in ``STATE_COLUMNS`` order."""
    return (state.route, state.candidate, state.percent_bp, state.stage, state.status, state.version,
            state.updated_at, _text(state.updated_by), state.stage_started_at)


def update_params(state: RolloutState, expected_version: int) -> tuple[Any, ...]:
    """The parameters of ``UPDATE_STATE``: every column but the route, then the route and the expected version."""
    return (*state_row(state)[1:], state.route, expected_version)


def state_from_row(row: Sequence[Any]) -> RolloutState:
    """A state back from its row (``STATE_COLUMNS`` order)."""
    route, candidate, percent_bp, stage, status, version, updated_at, updated_by, stage_started_at = row
    return RolloutState(route=route, candidate=candidate, percent_bp=int(percent_bp), stage=int(stage),
                        status=_status(status), version=int(version), updated_at=float(updated_at),
                        updated_by=updated_by, stage_started_at=None if stage_started_at is None
                        else float(stage_started_at))


def audit_row(entry: AuditEntry) -> tuple[Any, ...]:
    """The ``rollout_audit`` row of an entry, in ``AUDIT_COLUMNS`` order."""
    figures = json.dumps(entry.figures, ensure_ascii=False, separators=(",", ":"), sort_keys=True)
    return (entry.route, entry.version, entry.at, _text(entry.actor), entry.action, entry.candidate,
            entry.from_percent_bp, entry.to_percent_bp, entry.from_status, entry.to_status, _text(entry.reason),
            figures)


def audit_from_row(row: Sequence[Any]) -> AuditEntry:
    """An audit entry back from its row (``AUDIT_COLUMNS`` order)."""
    (route, version, at, actor, action, candidate, from_bp, to_bp, from_status, to_status, reason,
     figures_json) = row
    return AuditEntry(route=route, version=int(version), at=float(at), actor=actor, action=action,
                      candidate=candidate, from_percent_bp=int(from_bp), to_percent_bp=int(to_bp),
                      from_status=_status(from_status), to_status=_status(to_status), reason=reason,
                      figures=json.loads(figures_json))


def _status(value: Any) -> RolloutStatus:
    for status in ROLLOUT_STATUSES:
        if value == status:
            return status
    raise StoreError(f"rollout status {value!r} is not one of {', '.join(ROLLOUT_STATUSES)}")


def _text(value: str) -> str:
    """Text as PostgreSQL TEXT holds it: NUL becomes U+FFFD (as in ``modelswap.store.sql``)."""
    return value.replace("\x00", "\ufffd")
