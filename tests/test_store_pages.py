"""Reading a run page by page (what a streamed comparison reads), asserted exactly on SQLite and PostgreSQL."""

from __future__ import annotations

from typing import Any

from conftest import MakeStored
from modelswap.store import Store
from modelswap.store.sql import SQLStore
from modelswap.types import ChatRequest, ObservationKey


def request(trial_id: str) -> ChatRequest:
    return ChatRequest(id=trial_id, messages=({"role": "user", "content": f"question {trial_id}"},))


def execute(store: Store, sql: str, params: tuple[Any, ...]) -> None:
    """One statement straight on the database, as a buggy writer or a disk error would leave a row."""
    assert isinstance(store, SQLStore)
    with store._transaction("test") as cursor:
        cursor.execute(store._sql(sql), params)


def test_keys_page_through_the_run_in_saved_order_by_keyset(store: Store) -> None:
    store.save_requests("run", [request(i) for i in ("d", "b", "e")])
    store.save_requests("run", [request(i) for i in ("a", "c")])
    store.save_requests("other", [request("z")])
    pages, after = [], None
    while keys := store.request_keys("run", after=after, limit=2):
        pages.append([trial_id for _, trial_id in keys])
        after = keys[-1]
    assert pages == [["d", "b"], ["e", "a"], ["c"]]
    assert store.request_count("run") == 5
    assert store.request_count("missing") == 0


def test_requests_sharing_a_position_are_paged_by_trial_id(store: Store) -> None:
    store.save_requests("run", [request(i) for i in ("x", "y", "z")])
    execute(store, "UPDATE requests SET position = 1 WHERE run = ?", ("run",))  # two writers raced on one position
    first = store.request_keys("run", after=None, limit=2)
    assert first == [(1, "x"), (1, "y")]
    assert store.request_keys("run", after=first[-1], limit=2) == [(1, "z")]


def test_request_rows_are_the_stored_json_text(store: Store) -> None:
    store.save_requests("run", [request("a"), request("b")])
    rows = dict(store.request_rows("run", ["b", "missing"]))
    assert list(rows) == ["b"]
    assert '"question b"' in rows["b"]


def test_a_row_that_cannot_be_read_comes_back_apart_and_costs_only_itself(store: Store, make_stored: MakeStored
                                                                           ) -> None:
    store.save_requests("run", [request("t1"), request("t2")])
    store.save_observations([make_stored("t1", arm="base"), make_stored("t2", arm="base"),
                             make_stored("t1", arm="cand"), make_stored("t1", arm="other")])
    execute(store, "UPDATE observations SET params_json = ? WHERE trial_id = ? AND arm = ?",
            ("{not json", "t2", "base"))
    scan = store.scan_observations("run", ["t1", "t2"], ["base", "cand"])
    assert sorted((s.key.trial_id, s.key.arm) for s in scan.observations) == [("t1", "base"), ("t1", "cand")]
    [(key, why)] = scan.corrupt
    assert key == ObservationKey(run="run", trial_id="t2", arm="base", sample=0)
    assert why.startswith("JSONDecodeError: ")


def test_orphans_are_observations_of_the_compared_arms_without_a_request(store: Store, make_stored: MakeStored
                                                                          ) -> None:
    store.save_requests("run", [request("t1")])
    store.save_observations([make_stored("t1", arm="base"), make_stored("lost-2", arm="base"),
                             make_stored("lost-1", arm="cand"), make_stored("lost-1", arm="base", sample=1),
                             make_stored("lost-3", arm="elsewhere"), make_stored("t9", run="other", arm="base")])
    assert store.orphans("run", ["base", "cand"], examples=1) == (2, ["lost-1"])
    assert store.orphans("run", ["base", "cand"]) == (2, ["lost-1", "lost-2"])
