"""``PromptCache`` read by hand on a real store: the labels of the prompts named only, a version read when a
label first points at it, every version at a full read, a version written by a newer modelswap left out."""

from __future__ import annotations

import hashlib
import time

import pytest

from modelswap.gateway.prompt_cache import PromptCache
from modelswap.prompts.registry import content_hash, parse_prompt
from modelswap.store import Store
from modelswap.store.prompts import PromptLabel, PromptVersion, canonical_json


def version(name: str, tag: str) -> PromptVersion:
    prompt = parse_prompt(f"name: {name}\npurpose: p\nvariants:\n  default:\n    messages:\n"
                          f"      - {{role: user, content: '{tag}'}}\n")
    return PromptVersion(name=name, hash=content_hash(prompt), content=prompt.model_dump(mode="json"),
                         created_at=time.time(), created_by="test")


def label(found: PromptVersion, name: str) -> PromptLabel:
    return PromptLabel(name=found.name, label=name, hash=found.hash, updated_at=time.time(), updated_by="test")


def test_labels_are_read_each_time_and_versions_when_first_pointed_at(store: Store) -> None:
    one, two, three, other = version("greet", "one"), version("greet", "two"), version("greet", "three"), \
        version("other", "x")
    for item in (one, other):
        store.save_prompt_version(item)
    store.set_prompt_label(label(one, "production"))
    store.set_prompt_label(label(other, "production"))
    cache = PromptCache(store, names={"greet"}, interval_s=0.25, stale_after_s=1.0, full_every=3)
    assert cache.snapshot is None and cache.refresh()  # read 0: a full read
    assert cache.snapshot is not None
    assert (cache.snapshot.labels, set(cache.snapshot.versions["greet"])) == ({"greet": {"production": one.hash}},
                                                                              {one.hash})
    store.save_prompt_version(two)
    store.save_prompt_version(three)
    assert cache.refresh()  # read 1: labels, and versions a label points at only
    assert set(cache.snapshot.versions["greet"]) == {one.hash}
    store.set_prompt_label(label(two, "staging"))
    assert cache.refresh()  # read 2
    assert cache.snapshot.labels["greet"] == {"production": one.hash, "staging": two.hash}
    assert set(cache.snapshot.versions["greet"]) == {one.hash, two.hash}
    assert cache.refresh()  # read 3: full again, so the unlabelled version is found for a hash pin
    assert set(cache.snapshot.versions["greet"]) == {one.hash, two.hash, three.hash}
    assert cache.snapshot.versions["greet"][two.hash].variants["default"].messages[0].content == "two"
    assert (cache.reads, cache.failures, cache.health()) == (4, 0, None)


def test_a_version_that_no_longer_parses_is_left_out(store: Store, caplog: pytest.LogCaptureFixture) -> None:
    newer = {"name": "greet", "purpose": "p", "variants": {"default": {"messages": [{"role": "user", "content": "x"}]}},
             "tools": ["from a newer modelswap"]}
    digest = hashlib.sha256(canonical_json(newer).encode()).hexdigest()
    store.save_prompt_version(PromptVersion(name="greet", hash=digest, content=newer, created_at=1.0,
                                            created_by="test"))
    cache = PromptCache(store, names={"greet"}, interval_s=0.25, stale_after_s=1.0)
    assert cache.refresh()
    assert cache.snapshot is not None and cache.snapshot.versions == {"greet": {}}
    assert f"prompt greet version {digest[:12]} is left out: " in caplog.text
