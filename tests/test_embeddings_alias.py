"""Aliases: cutover and rollback as one audited compare-and-set, retention and garbage collection,
and a rollback of a cutover under query load with every query answered by the right index."""

from __future__ import annotations

import hashlib
import threading
import time
from collections.abc import Sequence
from pathlib import Path

import numpy as np
import pytest

from modelswap.embeddings import alias as aliases
from modelswap.embeddings.alias import AliasConflict, AliasError, AliasReader, cutover, rollback
from modelswap.embeddings.fingerprint import Fingerprint
from modelswap.embeddings.index import VectorIndexError, list_indexes, open_index
from modelswap.store import Store, open_store

OLD = Fingerprint(model="all-MiniLM-L6-v2", version="1", dimensions=8, normalized=True)
NEW = Fingerprint(model="multilingual-e5-small", version="q4", dimensions=8, normalized=True, query_prefix="query: ")
DAY = 86400.0


def embed(texts: Sequence[str], salt: str = "") -> np.ndarray:
    rows = [np.frombuffer(hashlib.sha256((salt + text).encode()).digest()[:32], dtype=np.uint8)[:8] for text in texts]
    vectors = np.array(rows, dtype=np.float32) - 127.5
    unit: np.ndarray = vectors / np.linalg.norm(vectors, axis=1, keepdims=True)
    return unit


def build(where: Path, name: str, fingerprint: Fingerprint, salt: str) -> None:
    texts = [f"doc {i}" for i in range(100)]
    open_index(str(where), name, fingerprint).add(texts, embed(texts, salt), fingerprint=fingerprint)


def test_cutover_rollback_and_their_audit(store: Store, tmp_path: Path) -> None:
    build(tmp_path, "docs-old", OLD, "a")
    build(tmp_path, "docs-new", NEW, "b")
    first = cutover(store, "docs", "docs-old", retain_s=DAY, actor="ana", location=str(tmp_path), now=100.0)
    assert (first.index_name, first.previous_index, first.version, first.retain_until) == ("docs-old", None, 1, None)
    second = cutover(store, "docs", "docs-new", retain_s=7 * DAY, actor="ana", now=200.0)
    assert (second.index_name, second.previous_index, second.version) == ("docs-new", "docs-old", 2)
    assert aliases.retained(store) == {"docs-old": 200.0 + 7 * DAY}
    back = rollback(store, "docs", actor="bo", now=300.0)
    assert (back.index_name, back.previous_index, back.version, back.retain_until) == \
        ("docs-old", "docs-new", 3, 300.0 + 7 * DAY)
    assert aliases.retained(store) == {"docs-new": 300.0 + 7 * DAY}  # the index served again is no longer retained
    assert aliases.get_alias(store, "docs") == back
    assert [(s.version, s.action, s.from_index, s.to_index, s.actor) for s in aliases.history(store, "docs")] == \
        [(3, "rollback", "docs-new", "docs-old", "bo"), (2, "cutover", "docs-old", "docs-new", "ana"),
         (1, "cutover", None, "docs-old", "ana")]


def test_refusals(store: Store, tmp_path: Path) -> None:
    with pytest.raises(VectorIndexError, match="no index 'missing'"):
        cutover(store, "docs", "missing", retain_s=DAY, actor="ana", location=str(tmp_path))
    with pytest.raises(AliasError, match="alias 'docs': no such alias"):
        rollback(store, "docs", actor="ana")
    cutover(store, "docs", "docs-old", retain_s=DAY, actor="ana")
    with pytest.raises(AliasError, match="nothing to roll back to"):
        rollback(store, "docs", actor="ana")
    with pytest.raises(AliasError, match="already serves 'docs-old'"):
        cutover(store, "docs", "docs-old", retain_s=DAY, actor="ana")
    stale = aliases.get_alias(store, "docs")
    cutover(store, "docs", "docs-new", retain_s=DAY, actor="ana")
    with pytest.raises(AliasConflict, match=r"switched by another writer meanwhile \(expected version 1\)"):
        aliases._switch(store, "docs", stale, "docs-other", retain_s=DAY, actor="bo", action="cutover", now=1.0)
    assert aliases.get_alias(store, "docs").index_name == "docs-new"  # type: ignore[union-attr]
    with pytest.raises(ValueError, match=r"--retain='7 days': expected a number and one of s, m, h, d, w"):
        aliases.parse_duration("7 days")
    assert aliases.parse_duration("7d") == 7 * DAY and aliases.parse_duration("90m") == 5400.0


def test_gc_drops_only_retained_indexes_past_retention_that_nothing_serves(store: Store, tmp_path: Path) -> None:
    for name, fingerprint in (("v1", OLD), ("v2", NEW), ("v3", NEW), ("scratch", OLD)):
        build(tmp_path, name, fingerprint, name)
    cutover(store, "docs", "v1", retain_s=DAY, actor="ana", now=0.0)
    cutover(store, "docs", "v2", retain_s=DAY, actor="ana", now=10.0)  # v1 kept until DAY + 10
    cutover(store, "docs", "v3", retain_s=3 * DAY, actor="ana", now=20.0)  # v2 kept until 3 DAY + 20
    assert aliases.collect_garbage(store, str(tmp_path), now=DAY) == []
    assert aliases.collect_garbage(store, str(tmp_path), now=DAY + 11) == ["v1"]
    assert [info.name for info in list_indexes(str(tmp_path))] == ["scratch", "v2", "v3"]
    rollback(store, "docs", actor="ana", now=DAY + 12)  # back to v2: v3 retained, v2 served
    assert aliases.collect_garbage(store, str(tmp_path), now=10 * DAY) == ["v3"]
    assert [info.name for info in list_indexes(str(tmp_path))] == ["scratch", "v2"]  # never aliased: kept
    with pytest.raises(AliasError, match="the previous index 'v3' is no longer retained"):
        rollback(store, "docs", actor="ana")


def test_a_reader_keeps_the_last_target_while_the_store_is_down(store_url: str, tmp_path: Path) -> None:
    build(tmp_path, "docs-old", OLD, "a")
    with open_store(store_url) as writer:
        cutover(writer, "docs", "docs-old", retain_s=DAY, actor="ana")
    reader_store = open_store(store_url)
    reader = AliasReader(reader_store, "docs", str(tmp_path), poll_s=0.0)
    assert reader.current().name == "docs-old"
    reader_store.close()  # every later read of the alias fails
    assert reader.search(embed(["doc 3"], "a"), 1, fingerprint=OLD)[0] == [["doc 3"]]
    reader.close()


def test_rollback_of_a_cutover_under_query_load_fails_no_query(store_url: str, tmp_path: Path) -> None:
    """Readers query through the alias without pause while it is cut over and rolled back.

    Every query is answered; a query started a poll period after a switch committed is answered by
    the index switched to (a reader re-reads the alias when its last read is a poll period old).
    """
    build(tmp_path, "docs-old", OLD, "a")
    build(tmp_path, "docs-new", NEW, "b")
    poll_s = 0.05
    with open_store(store_url) as writer:
        cutover(writer, "docs", "docs-old", retain_s=DAY, actor="ana")
    answered: list[list[tuple[float, str, str]]] = [[] for _ in range(4)]
    failures: list[BaseException] = []
    stop = threading.Event()

    def query_forever(slot: int) -> None:
        with open_store(store_url) as store:
            reader = AliasReader(store, "docs", str(tmp_path), poll_s=poll_s,
                                 embed={OLD.key(): lambda texts: embed(texts, "a"),
                                        NEW.key(): lambda texts: embed(texts, "b")})
            n = 0
            while not stop.is_set():
                text = f"doc {(slot * 31 + n) % 100}"
                started = time.monotonic()
                try:
                    name, (hits, _) = reader.search_texts([text], 3)
                    assert hits[0][0] == text, (name, hits)
                    answered[slot].append((started, name, hits[0][0]))
                except BaseException as exc:  # noqa: BLE001 - every failure is counted, then the test fails
                    failures.append(exc)
                n += 1
            reader.close()

    def settled(after: float, name: str) -> bool:
        return all(any(at >= after + poll_s and served == name for at, served, _ in rows) for rows in answered)

    threads = [threading.Thread(target=query_forever, args=(slot,)) for slot in range(4)]
    for thread in threads:
        thread.start()
    switches: list[tuple[float, float, str]] = []  # (began, committed, target)
    with open_store(store_url) as writer:
        for action, target in (("cutover", "docs-new"), ("rollback", "docs-old"), ("cutover", "docs-new"),
                               ("rollback", "docs-old")):
            began = time.monotonic()
            if action == "cutover":
                cutover(writer, "docs", target, retain_s=DAY, actor="load-test")
            else:
                rollback(writer, "docs", actor="load-test")
            switches.append((began, time.monotonic(), target))
            deadline = time.monotonic() + 60
            while not settled(switches[-1][1], target) and time.monotonic() < deadline and not failures:
                time.sleep(0.01)
    stop.set()
    for thread in threads:
        thread.join()
    assert failures == []
    for slot, rows in enumerate(answered):
        assert len(rows) > 10, slot
        for (_, committed, target), (next_began, _, _) in zip(switches, [*switches[1:], (float("inf"), 0.0, "")],
                                                              strict=True):
            late = [served for at, served, _ in rows if committed + poll_s <= at < next_began]
            assert late and set(late) == {target}, (slot, target)
