"""Migration 8: the prompt, version and variant an observation was asked with, stored beside it and read back
with it by every reader (all observations, by arm, by trial ids, the streamed scan, the write-behind spill),
on SQLite and PostgreSQL; a version-7 store is upgraded keeping its observations."""

from __future__ import annotations

from conftest import MakeStored
from modelswap.store import Store, open_store
from modelswap.store.sql import SQLStore, observation_from_row, observation_row
from modelswap.types import PromptUse

USE = PromptUse(name="classify-ticket", hash="ab" * 32, variant="family:gemma")


def test_an_observation_keeps_its_prompt_and_one_without_keeps_none(store: Store, make_stored: MakeStored) -> None:
    prompted = make_stored("t1", arm="cand", prompt=USE)
    plain = make_stored("t1", arm="primary", role="primary")
    other = make_stored("t2", arm="cand", prompt=PromptUse(name="other", hash="cd" * 32, variant="default"))
    store.save_observations([prompted, plain, other])
    assert store.observations("run") == [prompted, plain, other]
    assert store.observations("run", arm="cand") == [prompted, other]
    assert store.observations("run", trial_ids=["t2"]) == [other]
    assert store.scan_observations("run", ["t1"], ["cand", "primary"]).observations == [prompted, plain]


def test_writing_an_observation_again_replaces_its_prompt(store: Store, make_stored: MakeStored) -> None:
    store.save_observations([make_stored("t1", prompt=USE)])
    moved = make_stored("t1", prompt=PromptUse(name="classify-ticket", hash="ef" * 32, variant="default"))
    store.save_observations([moved])
    assert store.observations("run") == [moved]


def test_the_spill_row_carries_the_prompt_and_an_older_row_reads_without_one(make_stored: MakeStored) -> None:
    prompted = make_stored("t1", prompt=USE)
    row = observation_row(prompted, 1.0)
    assert observation_from_row(row) == prompted
    assert observation_from_row(row[:-3]) == make_stored("t1")


def test_a_version_7_store_gains_the_prompt_table_keeping_its_observations(store_url: str,
                                                                          make_stored: MakeStored) -> None:
    with open_store(store_url) as first:
        assert isinstance(first, SQLStore)
        with first._transaction("test: back to version 7") as cursor:
            for table in ("embedding_retention", "embedding_alias_audit", "embedding_aliases", "observation_prompts"):
                cursor.execute(f"DROP TABLE {table}")
            cursor.execute("DELETE FROM modelswap_schema WHERE version >= 8")
        first.save_observations([make_stored("t1")])
        assert first.schema_version() == 7
    with open_store(store_url) as upgraded:
        assert upgraded.schema_version() == 9
        assert upgraded.observations("run") == [make_stored("t1")]
        upgraded.save_observations([make_stored("t2", prompt=USE)])
        assert upgraded.observations("run") == [make_stored("t1"), make_stored("t2", prompt=USE)]
