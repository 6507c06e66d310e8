"""The store: the same semantics on SQLite and PostgreSQL, asserted exactly on both."""

from __future__ import annotations

import sqlite3
import sys
import threading
from collections.abc import Callable
from pathlib import Path

import pytest

from modelswap.errors import StoreError
from modelswap.store import ArmCount, CachedVerdict, Store, open_store
from modelswap.store.postgres import masked
from modelswap.store.schema import LATEST_VERSION, MIGRATIONS, Migration
from modelswap.store.sql import _NEXT_POSITION, SQLStore
from modelswap.store.sqlite import SQLiteStore
from modelswap.types import ChatRequest, ErrorInfo, Observation, ObservationKey, StoredObservation, Usage

MakeStored = Callable[..., StoredObservation]

JAPANESE = "東京の天気は晴れです。🌤 «ça va» — naïve"


def request(trial_id: str, content: str = "hello", **fields: object) -> ChatRequest:
    return ChatRequest(id=trial_id, messages=({"role": "user", "content": content},), **fields)  # type: ignore[arg-type]


# --- requests -------------------------------------------------------------------------------------------------------

def test_requests_round_trip_every_field(store: Store) -> None:
    rich = ChatRequest(
        id="ja-1",
        messages=({"role": "system", "content": "日本語で答えてください"},
                  {"role": "user", "content": [{"type": "text", "text": JAPANESE}], "name": "u"}),
        params={"temperature": 0.2, "max_tokens": 64, "seed": 7, "response_format": {"type": "json_object"},
                "stop": ["\n\n", "。"], "logprobs": None},
        category="日本語",
        expect={"format": "json", "schema": {"type": "object", "required": ["city"]}, "fields": {"city": "東京"}},
    )
    store.save_requests("run", [rich, request("plain")])
    assert store.requests("run") == [rich, request("plain")]


def test_requests_are_idempotent_and_keep_first_save_order(store: Store) -> None:
    store.save_requests("run", [request("c"), request("a"), request("b")])
    store.save_requests("run", [request("a", "changed"), request("d"), request("d", "twice in one call")])
    store.save_requests("other", [request("z"), request("a")])
    assert [(r.id, r.messages[0]["content"]) for r in store.requests("run")] == [
        ("c", "hello"), ("a", "hello"), ("b", "hello"), ("d", "hello")]
    assert [r.id for r in store.requests("other")] == ["z", "a"]
    assert store.requests("missing") == []


def test_saving_no_requests_is_a_no_op(store: Store) -> None:
    store.save_requests("run", [])
    assert (store.requests("run"), store.runs()) == ([], [])


# --- observations ---------------------------------------------------------------------------------------------------

def test_observations_round_trip_every_field(store: Store) -> None:
    full = StoredObservation(
        key=ObservationKey(run="run", trial_id="t1", arm="gpt", sample=0), role="primary",
        observation=Observation(arm="gpt", model="gpt-4o-mini", output=JAPANESE, finish_reason="stop",
                                usage=Usage(prompt_tokens=123, completion_tokens=45), latency_ms=812.5,
                                ttft_ms=101.25, cost_usd=0.1 + 0.2, started_at=1_767_225_600.123456,
                                params={"seed": 2_147_483_647, "temperature": 0.7, "stop": ["。"]}))
    timeout = StoredObservation(
        key=ObservationKey(run="run", trial_id="t1", arm="smol", sample=0), role="candidate",
        observation=Observation(arm="smol", model="smollm2-135m", latency_ms=30_000.0, started_at=5.5,
                                error=ErrorInfo(kind="timeout", message="no answer within 30 s")))
    http = StoredObservation(
        key=ObservationKey(run="run", trial_id="t1", arm="gpt", sample=1), role="replica",
        observation=Observation(arm="gpt", model="gpt-4o-mini", latency_ms=12.0,
                                error=ErrorInfo(kind="http", message="rate limited: 東京", status=429)))
    store.save_observations([timeout, http, full])
    assert store.observations("run") == [full, http, timeout]


def test_an_observation_without_usage_or_optional_numbers_stays_none(store: Store, make_stored: MakeStored) -> None:
    bare = make_stored("t1", output=None, usage=None)
    store.save_observations([bare])
    [back] = store.observations("run")
    assert back == bare
    assert (back.observation.usage, back.observation.ttft_ms, back.observation.cost_usd,
            back.observation.finish_reason, back.observation.output) == (None, None, None, None, None)


def test_a_big_output_round_trips(store: Store, make_stored: MakeStored) -> None:
    big = ("長い出力 long output " * 60_000) + "end"
    store.save_observations([make_stored("t1", output=big)])
    assert store.observations("run")[0].observation.output == big
    assert len(big) == 1_020_003


def test_upsert_keeps_the_newest_write(store: Store, make_stored: MakeStored) -> None:
    store.save_observations([make_stored("t1", output=None, usage=None, error=("timeout", "slow", None))])
    store.save_observations([make_stored("t1", output="fixed", usage=(3, 4), latency_ms=9.0)])
    store.save_observations([make_stored("t2", output="first"), make_stored("t2", output="second in batch")])
    stored = store.observations("run")
    assert [(s.key.trial_id, s.observation.output, s.observation.error) for s in stored] == [
        ("t1", "fixed", None), ("t2", "second in batch", None)]
    assert stored[0].observation.usage == Usage(prompt_tokens=3, completion_tokens=4)
    assert stored[0].observation.latency_ms == 9.0


def test_saving_no_observations_is_a_no_op(store: Store) -> None:
    store.save_observations([])
    assert store.observations("run") == []


def test_observations_filter_by_arm_and_trials_and_order_by_trial_arm_sample(store: Store,
                                                                             make_stored: MakeStored) -> None:
    keys = [("t2", "b", 0), ("t10", "a", 1), ("t1", "b", 0), ("t10", "a", 0), ("t1", "a", 2), ("t1", "a", 0),
            ("T1", "a", 0), ("é", "a", 0)]
    store.save_observations([make_stored(t, arm=a, sample=s) for t, a, s in keys])
    store.save_observations([make_stored("t1", run="elsewhere")])

    def key_list(stored: list[StoredObservation]) -> list[tuple[str, str, int]]:
        return [(s.key.trial_id, s.key.arm, s.key.sample) for s in stored]

    assert key_list(store.observations("run")) == [
        ("T1", "a", 0), ("t1", "a", 0), ("t1", "a", 2), ("t1", "b", 0), ("t10", "a", 0), ("t10", "a", 1),
        ("t2", "b", 0), ("é", "a", 0)]
    assert key_list(store.observations("run", arm="b")) == [("t1", "b", 0), ("t2", "b", 0)]
    assert key_list(store.observations("run", trial_ids=["t10", "t2", "nope"])) == [
        ("t10", "a", 0), ("t10", "a", 1), ("t2", "b", 0)]
    assert key_list(store.observations("run", arm="a", trial_ids=iter(["t1", "t2"]))) == [
        ("t1", "a", 0), ("t1", "a", 2)]
    assert store.observations("run", trial_ids=[]) == []
    assert store.observations("missing") == []


def test_many_trial_ids_are_queried_in_chunks(store: Store, make_stored: MakeStored) -> None:
    store.save_observations([make_stored(f"t{i:04d}") for i in range(1_203)])
    wanted = [f"t{i:04d}" for i in range(1_203) if i % 2 == 0] + [f"x{i}" for i in range(900)]
    stored = store.observations("run", trial_ids=wanted)
    assert [s.key.trial_id for s in stored] == [f"t{i:04d}" for i in range(0, 1_203, 2)]


def test_recorded_keys_with_and_without_errors(store: Store, make_stored: MakeStored) -> None:
    store.save_observations([
        make_stored("t1"), make_stored("t1", sample=1), make_stored("t2", error=("http", "boom", 500)),
        make_stored("t3", arm="other"), make_stored("t4", run="elsewhere")])
    assert store.recorded_keys("run", "cand") == {("t1", 0), ("t1", 1), ("t2", 0)}
    assert store.recorded_keys("run", "cand", include_errors=False) == {("t1", 0), ("t1", 1)}
    assert store.recorded_keys("run", "missing") == set()


def test_runs_are_every_run_once_sorted(store: Store, make_stored: MakeStored) -> None:
    store.save_requests("b-requests-only", [request("x")])
    store.save_observations([make_stored("x", run="c-observations-only"), make_stored("x", run="a-both")])
    store.save_requests("a-both", [request("x")])
    assert store.runs() == ["a-both", "b-requests-only", "c-observations-only"]


def test_counts_per_run_arm_and_sample(store: Store, make_stored: MakeStored) -> None:
    store.save_observations([
        make_stored("t1", arm="p", role="primary"), make_stored("t2", arm="p", role="primary"),
        make_stored("t1", arm="p", sample=1, role="replica", error=("timeout", "slow", None)),
        make_stored("t1", arm="c", error=("http", "boom", 503)), make_stored("t2", arm="c", error=("http", "x", 500)),
        make_stored("t3", arm="c"), make_stored("t1", run="other", arm="c")])
    assert store.counts("run") == [
        ArmCount(run="run", arm="c", sample=0, observations=3, errors=2),
        ArmCount(run="run", arm="p", sample=0, observations=2, errors=0),
        ArmCount(run="run", arm="p", sample=1, observations=1, errors=1)]
    assert store.counts() == [
        ArmCount(run="other", arm="c", sample=0, observations=1, errors=0), *store.counts("run")]
    assert store.counts("missing") == []


def test_a_second_store_on_the_same_url_sees_committed_writes(store: Store, store_url: str,
                                                              make_stored: MakeStored) -> None:
    store.save_requests("run", [request("t1")])
    store.save_observations([make_stored("t1")])
    with open_store(store_url) as second:
        assert second.requests("run") == [request("t1")]
        assert second.observations("run") == [make_stored("t1")]


def test_writes_from_another_thread(store: Store, make_stored: MakeStored) -> None:
    threads = [threading.Thread(target=store.save_observations, args=([make_stored(f"t{i}")],)) for i in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert [s.key.trial_id for s in store.observations("run")] == [f"t{i}" for i in range(8)]


def test_a_closed_store_refuses_calls(store_url: str) -> None:
    store = open_store(store_url)
    store.close()
    store.close()
    with pytest.raises(StoreError, match=r"read runs: the store is closed$"):
        store.runs()


# --- the judge's verdict cache -------------------------------------------------------------------------------------

def verdict(key: str, winner: str = "A", **fields: object) -> CachedVerdict:
    values: dict[str, object] = {"arm": "judge", "model": "judge-model", "reason": "A keeps the gold",
                                 "raw_output": '{"winner": "A"}', "cost_usd": 0.0025, **fields}
    return CachedVerdict(key=key, winner=winner, **values)  # type: ignore[arg-type]


def test_judge_verdicts_round_trip_every_field(store: Store) -> None:
    rich = verdict("k1", "tie", reason="同じ意味 «ça va»", raw_output="```json\n{\"winner\": \"tie\"}\n```",
                   cost_usd=0.1 + 0.2)
    store.save_judge_verdicts([rich, verdict("k2", "B", cost_usd=None)])
    assert store.judge_verdicts(["k1", "k2", "missing"]) == {"k1": rich, "k2": verdict("k2", "B", cost_usd=None)}
    assert store.judge_verdicts([]) == {}


def test_judge_verdicts_upsert_keeps_the_newest(store: Store) -> None:
    store.save_judge_verdicts([verdict("k1", "A")])
    store.save_judge_verdicts([verdict("k1", "B", reason="second"), verdict("k2"), verdict("k2", "tie")])
    assert store.judge_verdicts(iter(["k1", "k2"])) == {"k1": verdict("k1", "B", reason="second"),
                                                       "k2": verdict("k2", "tie")}


def test_many_judge_keys_are_read_in_chunks_and_nul_is_replaced(store: Store) -> None:
    store.save_judge_verdicts([verdict(f"k{i:04d}") for i in range(1_203)] + [verdict("nul", raw_output="a\x00b")])
    found = store.judge_verdicts([f"k{i:04d}" for i in range(0, 1_203, 2)] + [f"x{i}" for i in range(900)])
    assert sorted(found) == [f"k{i:04d}" for i in range(0, 1_203, 2)]
    assert store.judge_verdicts(["nul"])["nul"].raw_output == "a\ufffdb"
    store.save_judge_verdicts([])


# --- schema and migrations ------------------------------------------------------------------------------------------

def test_schema_is_at_the_latest_version_and_migrating_again_is_a_no_op(store: Store,
                                                                       make_stored: MakeStored) -> None:
    assert isinstance(store, SQLStore)
    assert store.schema_version() == LATEST_VERSION == 9
    store.save_observations([make_stored("t1")])
    assert store.migrate() == []
    assert store.schema_version() == 9
    assert store.observations("run") == [make_stored("t1")]


def test_a_new_migration_is_applied_once(store: Store) -> None:
    assert isinstance(store, SQLStore)
    extra = Migration(version=LATEST_VERSION + 1, description="a later step",
                      statements=("CREATE TABLE later (x INTEGER)",))
    assert store.migrate([*MIGRATIONS, extra]) == [LATEST_VERSION + 1]
    assert store.migrate([*MIGRATIONS, extra]) == []
    assert store.schema_version() == LATEST_VERSION + 1


def test_a_version_1_store_is_upgraded_keeping_its_requests(store_url: str) -> None:
    with open_store(store_url) as first:
        assert isinstance(first, SQLStore)
        _downgrade(first, to=1)
        first.save_requests("run", [ChatRequest(id="a", messages=({"role": "user", "content": "hi"},))])
        assert first.schema_version() == 1
    with open_store(store_url) as upgraded:
        upgraded.save_requests("run", [ChatRequest(id="b", messages=({"role": "user", "content": "yo"},))])
        assert upgraded.schema_version() == 9
        assert [r.id for r in upgraded.requests("run")] == ["a", "b"]


def test_a_version_2_store_gains_the_judge_cache_keeping_its_observations(store_url: str,
                                                                         make_stored: MakeStored) -> None:
    with open_store(store_url) as first:
        assert isinstance(first, SQLStore)
        _downgrade(first, to=2)
        first.save_observations([make_stored("t1")])
        assert first.schema_version() == 2
    with open_store(store_url) as upgraded:
        assert upgraded.schema_version() == 9
        assert upgraded.observations("run") == [make_stored("t1")]
        upgraded.save_judge_verdicts([verdict("k1")])
        assert upgraded.judge_verdicts(["k1"]) == {"k1": verdict("k1")}


_UNDO = {9: ("DROP TABLE embedding_retention", "DROP TABLE embedding_alias_audit", "DROP TABLE embedding_aliases"),
         8: ("DROP TABLE observation_prompts",),
         7: ("DROP TABLE prompt_variant_status", "DROP TABLE prompt_labels", "DROP TABLE prompt_versions"),
         6: ("DROP TABLE feedback",), 5: ("DROP TABLE rollout_audit", "DROP TABLE rollout_state"),
         4: ("DROP TABLE embedding_vectors",),
         3: ("DROP TABLE judge_verdicts",),
         2: ("DROP INDEX requests_run_position",)}


def _downgrade(store: SQLStore, *, to: int) -> None:
    """Undo the migrations after version ``to`` so the store looks like one written by an older modelswap."""
    with store._transaction("test: downgrade") as cursor:
        for version in range(LATEST_VERSION, to, -1):
            for statement in _UNDO[version]:
                cursor.execute(statement)
            cursor.execute(f"DELETE FROM modelswap_schema WHERE version = {version}")


def test_sqlite_finds_the_next_position_through_the_index(tmp_path: Path) -> None:
    with open_store(f"sqlite:///{tmp_path / 'plan.db'}") as store:
        assert isinstance(store, SQLStore)
        with store._transaction("test: plan") as cursor:
            cursor.execute("EXPLAIN QUERY PLAN " + _NEXT_POSITION, ("run",))
            plan = " ".join(str(row[-1]) for row in cursor.fetchall())
    assert "requests_run_position" in plan


def test_a_store_with_a_newer_schema_is_refused(store: Store, store_url: str) -> None:
    assert isinstance(store, SQLStore)
    store.migrate([*MIGRATIONS, Migration(version=LATEST_VERSION + 1, description="from the future",
                                          statements=("CREATE TABLE future (x INTEGER)",))])
    with pytest.raises(StoreError, match=r"schema version 10 is newer than this modelswap knows \(9\); upgrade"):
        open_store(store_url)


def test_processes_opening_a_fresh_store_at_once_migrate_it_once(store_url: str) -> None:
    versions: list[int] = []
    failures: list[BaseException] = []

    def open_and_read() -> None:
        try:
            with open_store(store_url) as opened:
                versions.append(opened.schema_version())
        except StoreError as exc:
            failures.append(exc)

    threads = [threading.Thread(target=open_and_read) for _ in range(6)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert (failures, versions) == ([], [LATEST_VERSION] * 6)


# --- opening --------------------------------------------------------------------------------------------------------

def test_reopening_a_sqlite_file_keeps_its_data_in_wal_mode(tmp_path: Path, make_stored: MakeStored) -> None:
    path = tmp_path / "kept.db"
    with SQLiteStore(str(path)) as first:
        first.save_requests("run", [request("t1")])
        first.save_observations([make_stored("t1")])
    with open_store(f"sqlite:///{path}") as second:
        assert (second.requests("run"), second.observations("run")) == ([request("t1")], [make_stored("t1")])
    raw = sqlite3.connect(path)
    try:
        assert raw.execute("PRAGMA journal_mode").fetchone() == ("wal",)
    finally:
        raw.close()


def test_an_in_memory_sqlite_store(make_stored: MakeStored) -> None:
    with open_store("sqlite://") as store:
        store.save_observations([make_stored("t1")])
        assert store.observations("run") == [make_stored("t1")]


def test_a_sqlite_path_in_a_missing_directory_is_named(tmp_path: Path) -> None:
    path = tmp_path / "no-such-dir" / "m.db"
    with pytest.raises(StoreError, match=rf"^store {path}: directory '{tmp_path / 'no-such-dir'}' does not exist$"):
        open_store(f"sqlite:///{path}")


def test_a_file_that_is_not_a_database_is_named(tmp_path: Path) -> None:
    path = tmp_path / "notes.db"
    path.write_text("not a database " * 100)
    with pytest.raises(StoreError, match=rf"^store {path}: cannot open: file is not a database$"):
        open_store(f"sqlite:///{path}")


def test_an_unsupported_url_is_refused() -> None:
    with pytest.raises(StoreError, match=r"^store 'mysql://db/x': unsupported URL; expected sqlite:///path.db"):
        open_store("mysql://db/x")


@pytest.mark.postgres
def test_a_bad_postgres_url_is_named_without_its_password() -> None:
    with pytest.raises(StoreError) as raised:
        open_store("postgresql://root:s3cr%40t@127.0.0.1:1/test?connect_timeout=3")
    message = str(raised.value)
    assert message.startswith("store postgresql://root:***@127.0.0.1:1/test?connect_timeout=3: cannot connect: ")
    assert "s3cr" not in message
    assert "\n" not in message


def test_masked_hides_every_password() -> None:
    assert masked("postgresql://app:pw@db:5432/x?sslmode=require&password=pw2") == (
        "postgresql://app:***@db:5432/x?sslmode=require&password=***")
    assert masked("postgresql://app@db/x?options=-csearch_path%3Ds") == "postgresql://app@db/x?options=-csearch_path%3Ds"
    assert masked("postgres://db/x") == "postgres://db/x"


def test_postgres_without_psycopg_says_which_extra_to_install(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(sys.modules, "psycopg", None)
    with pytest.raises(StoreError, match=r"^store postgresql://u:\*\*\*@h/d: PostgreSQL needs psycopg; "
                                         r"install modelswap\[postgres\]$"):
        open_store("postgresql://u:pw@h/d")


def test_nul_characters_are_stored_as_replacement_characters_in_both_stores(store: Store,
                                                                              make_stored: MakeStored) -> None:
    store.save_observations([make_stored("t1", output="a\x00b", error=None)])
    assert store.observations("run")[0].observation.output == "a\ufffdb"
