"""Feedback in the store (migration 6) and a request's stored assignment, on SQLite and PostgreSQL."""

from __future__ import annotations

from modelswap.store import Store, open_store
from modelswap.store.sql import SQLStore
from modelswap.types import ChatRequest, Feedback

ASSIGNMENT = {"arm": "smol", "bucket": 1180, "keyed": True, "key_source": "header", "segment": None,
              "percent": 25.0, "status": "running", "version": 4}


def score(i: int, *, route: str | None = "bot", at: float = 100.0, comment: str | None = None) -> Feedback:
    return Feedback(id=f"f{i}", request_id=f"req-{i}", score=float(i), at=at, comment=comment, route=route,
                    arm=None if route is None else "smol", trial_id=None if route is None else f"t{i}")


def test_feedback_is_read_back_by_route_and_time_oldest_first(store: Store) -> None:
    store.save_feedback([score(1, at=30.0), score(2, at=10.0, comment="too long\x00!"), score(3, at=20.0),
                         score(4, route="other", at=5.0), score(5, route=None, at=1.0)])
    assert store.feedback("bot") == [score(2, at=10.0, comment="too long\ufffd!"), score(3, at=20.0),
                                     score(1, at=30.0)]
    assert store.feedback("bot", since=20.0) == [score(3, at=20.0), score(1, at=30.0)]
    assert store.feedback("other") == [score(4, route="other", at=5.0)]
    assert store.feedback(None) == [score(5, route=None, at=1.0)]
    assert store.feedback("nobody") == []


def test_saving_the_same_feedback_twice_keeps_one_row(store: Store) -> None:
    store.save_feedback([score(1)])
    store.save_feedback([score(1), score(2)])
    store.save_feedback([])
    assert [f.id for f in store.feedback("bot")] == ["f1", "f2"]


def test_a_request_keeps_its_assignment_and_one_without_has_none(store: Store) -> None:
    message = ({"role": "user", "content": "hi"},)
    store.save_requests("bot", [ChatRequest(id="a", messages=message, assignment=ASSIGNMENT),
                                ChatRequest(id="b", messages=message)])
    assert [r.assignment for r in store.requests("bot")] == [ASSIGNMENT, None]
    rows = dict(store.request_rows("bot", ["a", "b"]))
    assert '"assignment"' in rows["a"] and '"assignment"' not in rows["b"]


def test_a_version_5_store_gains_the_feedback_table(store_url: str) -> None:
    with open_store(store_url) as first:
        assert isinstance(first, SQLStore)
        with first._transaction("test: back to version 5") as cursor:
            for table in ("embedding_retention", "embedding_alias_audit", "embedding_aliases", "observation_prompts",
                          "prompt_variant_status", "prompt_labels", "prompt_versions", "feedback"):
                cursor.execute(f"DROP TABLE {table}")
            cursor.execute("DELETE FROM modelswap_schema WHERE version >= 6")
        assert first.schema_version() == 5
    with open_store(store_url) as upgraded:
        assert upgraded.schema_version() == 9
        upgraded.save_feedback([score(1)])
        assert upgraded.feedback("bot") == [score(1)]
