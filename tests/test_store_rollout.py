"""Rollout state and its audit log in the store, on SQLite and PostgreSQL: round trips, the compare-and-set that
lets exactly one of two writers win, concurrent writers leaving one audit entry per version, PostgreSQL's NOTIFY
on commit only, and a version 4 store gaining the tables with its data kept."""

from __future__ import annotations

import threading
from collections.abc import Callable
from dataclasses import replace

import pytest

from conftest import POSTGRES_URL
from modelswap.config import RolloutConfig, StageConfig
from modelswap.rollout.state import Action, initial_state, transition
from modelswap.store import Store, open_store
from modelswap.store.postgres import ROLLOUT_CHANNEL
from modelswap.store.sql import SQLStore
from modelswap.types import AuditEntry, ChatRequest, RolloutState, StoredObservation

MakeStored = Callable[..., StoredObservation]
PLAN = RolloutConfig(candidate="smol", sticky={"header": "x-user-id"},
                     stages=(StageConfig(percent=1), StageConfig(percent=50), StageConfig(percent=100)))


def written(store: Store, route: str, kind: str, *, at: float, actor: str = "alice", reason: str = "",
            percent_bp: int | None = None, figures: dict[str, object] | None = None) -> tuple[RolloutState, AuditEntry]:
    """Apply one action to the stored state and write it; the write must win."""
    current = store.rollout_state(route) or initial_state(route, PLAN)
    action = Action(kind=kind, actor=actor, at=at, reason=reason, percent_bp=percent_bp,  # type: ignore[arg-type]
                    figures=figures or {})
    new, entry = transition(current, PLAN, action)
    assert store.write_rollout(new, entry, expected_version=current.version)
    return new, entry


def test_a_route_never_written_has_no_state_and_no_audit(store: Store) -> None:
    assert store.rollout_state("bot") is None
    assert store.rollout_states() == []
    assert store.rollout_audit("bot", limit=10) == []


def test_states_and_audit_entries_round_trip_every_field(store: Store) -> None:
    first, e1 = written(store, "bot", "advance", at=1796151466.25, figures={"gate": "go", "trials": 212,
                                                                           "ci95": [-0.01, 0.02], "note": "東京 ✓"})
    second, e2 = written(store, "bot", "pause", at=1796151500.5, actor="bob", reason="error spike «EU»")
    assert store.rollout_state("bot") == second == RolloutState(
        route="bot", candidate="smol", percent_bp=100, stage=0, status="paused", version=2, updated_at=1796151500.5,
        updated_by="bob", stage_started_at=1796151466.25)
    assert first.version == 1
    assert store.rollout_audit("bot", limit=10) == [e2, e1]
    assert e1.figures == {"gate": "go", "trials": 212, "ci95": [-0.01, 0.02], "note": "東京 ✓"}
    assert store.rollout_audit("bot", limit=1) == [e2]
    rolled, _ = written(store, "bot", "rollback", at=1796151600.0)
    assert store.rollout_state("bot") == rolled
    assert rolled.stage_started_at is None  # NULL round-trips as None


def test_every_route_has_its_own_state_and_versions(store: Store) -> None:
    written(store, "zeta", "set", at=1.0, percent_bp=1)
    written(store, "alpha", "set", at=2.0, percent_bp=5000)
    written(store, "alpha", "promote", at=3.0)
    assert [(s.route, s.version, s.percent_bp, s.status) for s in store.rollout_states()] == [
        ("alpha", 2, 10_000, "promoted"), ("zeta", 1, 1, "running")]
    assert [e.version for e in store.rollout_audit("alpha", limit=10)] == [2, 1]
    assert [e.version for e in store.rollout_audit("zeta", limit=10)] == [1]


def test_nul_in_actor_and_reason_is_stored_as_a_replacement_character(store: Store) -> None:
    written(store, "bot", "pause", at=1.0, actor="a\x00b", reason="x\x00y")
    (entry,) = store.rollout_audit("bot", limit=1)
    assert (entry.actor, entry.reason) == ("a\ufffdb", "x\ufffdy")
    state = store.rollout_state("bot")
    assert state is not None and state.updated_by == "a\ufffdb"


def test_of_two_writers_that_read_the_same_version_exactly_one_wins(store: Store, store_url: str) -> None:
    written(store, "bot", "set", at=1.0, percent_bp=100)
    with open_store(store_url) as other:
        read_here, read_there = store.rollout_state("bot"), other.rollout_state("bot")
        assert read_here == read_there and read_here is not None
        pause, pause_entry = transition(read_here, PLAN, Action(kind="pause", actor="alice", at=2.0, reason="mine"))
        back, back_entry = transition(read_there, PLAN, Action(kind="rollback", actor="bob", at=2.1, reason="theirs"))
        assert other.write_rollout(back, back_entry, expected_version=1) is True
        assert store.write_rollout(pause, pause_entry, expected_version=1) is False
    assert store.rollout_state("bot") == back
    assert [(e.version, e.actor, e.reason) for e in store.rollout_audit("bot", limit=10)] == [
        (2, "bob", "theirs"), (1, "alice", "")]


def test_of_two_first_writes_exactly_one_wins(store: Store) -> None:
    start = initial_state("bot", PLAN)
    one, one_entry = transition(start, PLAN, Action(kind="set", actor="alice", at=1.0, percent_bp=100))
    two, two_entry = transition(start, PLAN, Action(kind="set", actor="bob", at=1.0, percent_bp=9000))
    assert store.write_rollout(one, one_entry, expected_version=0) is True
    assert store.write_rollout(two, two_entry, expected_version=0) is False
    assert store.rollout_state("bot") == one
    assert store.rollout_audit("bot", limit=10) == [one_entry]


def test_concurrent_writers_leave_one_audit_entry_per_version(store: Store, store_url: str) -> None:
    writers, writes_each = 4, 8
    wins: list[int] = []
    failures: list[BaseException] = []

    def write_many(name: str) -> None:
        try:
            with open_store(store_url) as mine:
                done = lost = 0
                while done < writes_each:
                    current = mine.rollout_state("bot") or initial_state("bot", PLAN)
                    new, entry = transition(current, PLAN, Action(kind="set", actor=name, at=float(current.version),
                                                                  percent_bp=current.version + 1))
                    if mine.write_rollout(new, entry, expected_version=current.version):
                        done += 1
                    else:
                        lost += 1
                wins.append(done)
        except BaseException as exc:  # noqa: BLE001 - handed to the main thread, which fails the test with it
            failures.append(exc)

    threads = [threading.Thread(target=write_many, args=(f"w{i}",)) for i in range(writers)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert failures == []
    total = writers * writes_each
    final = store.rollout_state("bot")
    assert final is not None and (final.version, final.percent_bp) == (total, total)
    entries = store.rollout_audit("bot", limit=1000)
    assert [e.version for e in entries] == list(range(total, 0, -1))
    # each entry went from the state the one before it wrote: no write was based on a stale read
    assert all(e.from_percent_bp == e.version - 1 and e.to_percent_bp == e.version for e in entries)


def test_a_write_whose_state_and_entry_disagree_is_refused(store: Store) -> None:
    new, entry = transition(initial_state("bot", PLAN), PLAN, Action(kind="pause", actor="a", at=1.0))
    with pytest.raises(ValueError, match="a write after version 1 must be version 2: the state is version 1"):
        store.write_rollout(new, entry, expected_version=1)
    with pytest.raises(ValueError, match="the audit entry is of route 'other', the state of 'bot'"):
        store.write_rollout(new, replace(entry, route="other"), expected_version=0)
    with pytest.raises(ValueError, match="its audit entry 5"):
        store.write_rollout(new, replace(entry, version=5), expected_version=0)
    with pytest.raises(ValueError, match="percent_bp must be between 0 and 10000, got 10001"):
        store.write_rollout(replace(new, percent_bp=10_001), entry, expected_version=0)
    with pytest.raises(ValueError, match="expected_version must be 0"):
        store.write_rollout(new, entry, expected_version=-1)
    assert store.rollout_state("bot") is None


@pytest.mark.postgres
def test_postgres_notifies_the_route_on_commit_and_not_for_a_lost_write(postgres_schema: str) -> None:
    psycopg = pytest.importorskip("psycopg")
    url = f"{POSTGRES_URL}?options=-csearch_path%3D{postgres_schema}"
    with open_store(url) as store, psycopg.connect(POSTGRES_URL, autocommit=True) as listener:
        listener.execute(f"LISTEN {ROLLOUT_CHANNEL}")
        _, entry = written(store, "support-bot", "set", at=1.0, percent_bp=500)
        got = [(n.channel, n.payload) for n in listener.notifies(timeout=5, stop_after=1)]
        assert got == [("modelswap_rollout", "support-bot")]
        stale = initial_state("support-bot", PLAN)
        lost, lost_entry = transition(stale, PLAN, Action(kind="pause", actor="b", at=2.0))
        assert store.write_rollout(lost, lost_entry, expected_version=0) is False
        assert [n.payload for n in listener.notifies(timeout=0.5)] == []
        assert entry.version == 1


def test_a_version_4_store_gains_the_rollout_tables_keeping_its_data(store_url: str, make_stored: MakeStored) -> None:
    with open_store(store_url) as first:
        assert isinstance(first, SQLStore)
        with first._transaction("test: back to version 4") as cursor:
            cursor.execute("DROP TABLE rollout_audit")
            cursor.execute("DROP TABLE rollout_state")
            cursor.execute("DROP TABLE feedback")
            for table in ("embedding_retention", "embedding_alias_audit", "embedding_aliases", "observation_prompts",
                          "prompt_variant_status", "prompt_labels", "prompt_versions"):
                cursor.execute(f"DROP TABLE {table}")
            cursor.execute("DELETE FROM modelswap_schema WHERE version >= 5")
        first.save_requests("run", [ChatRequest(id="a", messages=({"role": "user", "content": "hi"},))])
        first.save_observations([make_stored("a")])
        assert first.schema_version() == 4
    with open_store(store_url) as upgraded:
        assert upgraded.schema_version() == 9
        assert [r.id for r in upgraded.requests("run")] == ["a"]
        assert upgraded.observations("run") == [make_stored("a")]
        assert upgraded.rollout_state("bot") is None
        state, entry = written(upgraded, "bot", "set", at=1.0, percent_bp=100)
        assert upgraded.rollout_state("bot") == state
        assert upgraded.rollout_audit("bot", limit=5) == [entry]
