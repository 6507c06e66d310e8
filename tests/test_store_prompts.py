"""Prompt versions, labels and variant statuses in the store, on SQLite and PostgreSQL."""

from __future__ import annotations

import pytest

from modelswap.errors import StoreError
from modelswap.prompts.registry import canonical_content, content_hash, parse_prompt, prompt_from_content
from modelswap.store import Store, open_store
from modelswap.store.prompts import PromptLabel, PromptVersion, VariantStatus

TEXT = """\
name: greet
purpose: Greet a user by name.
variables: [user]
variants:
  default:
    messages: [{role: user, content: "Say hello to {{user}}."}]
"""


def version(text: str = TEXT, *, at: float = 1_796_151_466.25, by: str = "alice") -> PromptVersion:
    prompt = parse_prompt(text)
    return PromptVersion(name=prompt.name, hash=content_hash(prompt), content=prompt.model_dump(mode="json"),
                         created_at=at, created_by=by)


def label(name: str, value: str, hash_: str, *, at: float = 1.5, by: str = "bob") -> PromptLabel:
    return PromptLabel(name=name, label=value, hash=hash_, updated_at=at, updated_by=by)


def test_a_version_is_stored_once_and_never_changes(store: Store) -> None:
    first = version()
    assert store.save_prompt_version(first) is True
    assert store.save_prompt_version(version(at=9.0, by="mallory")) is False
    assert store.prompt_versions("greet") == [first]
    # the stored content is the prompt, and hashes to the same version
    stored = prompt_from_content(store.prompt_versions("greet")[0].content)
    assert content_hash(stored) == first.hash
    assert canonical_content(stored) == canonical_content(parse_prompt(TEXT))


def test_versions_are_listed_oldest_first_and_by_hash_prefix(store: Store) -> None:
    old, new = version(at=1.0), version(TEXT.replace("hello", "hi"), at=2.0)
    other = version(TEXT.replace("name: greet", "name: bye"), at=0.5)
    for v in (new, other, old):
        store.save_prompt_version(v)
    assert store.prompt_versions("greet") == [old, new]
    assert store.prompt_versions() == [other, old, new]
    assert store.prompt_versions("greet", hash_prefix=new.hash[:8]) == [new]
    assert store.prompt_versions("nothing") == []


def test_a_version_whose_hash_is_not_its_content_is_refused(store: Store) -> None:
    good = version()
    forged = PromptVersion(name="greet", hash=good.hash, content={**good.content, "purpose": "else"},
                           created_at=1.0, created_by="eve")
    with pytest.raises(StoreError, match=rf"prompt 'greet': hash {good.hash} is not the content's \([0-9a-f]{{64}}\)"):
        store.save_prompt_version(forged)
    assert store.prompt_versions() == []


def test_a_label_moves_forward_and_back(store: Store) -> None:
    one, two = version(at=1.0), version(TEXT.replace("hello", "hi"), at=2.0)
    store.save_prompt_version(one)
    store.save_prompt_version(two)
    store.set_prompt_label(label("greet", "production", one.hash, at=10.0))
    store.set_prompt_label(label("greet", "staging", two.hash, at=11.0))
    store.set_prompt_label(label("greet", "production", two.hash, at=12.0, by="carol"))
    assert store.prompt_labels("greet") == [label("greet", "production", two.hash, at=12.0, by="carol"),
                                            label("greet", "staging", two.hash, at=11.0)]
    store.set_prompt_label(label("greet", "production", one.hash, at=13.0))  # the rollback
    assert store.prompt_labels("greet")[0] == label("greet", "production", one.hash, at=13.0)
    assert store.prompt_versions("greet") == [one, two]  # moving labels changes no version
    assert store.prompt_labels("other") == []


def test_a_label_points_only_at_a_stored_version(store: Store) -> None:
    store.save_prompt_version(version())
    with pytest.raises(StoreError, match=r"prompt 'greet' has no stored version abc; push it first"):
        store.set_prompt_label(label("greet", "production", "abc"))
    with pytest.raises(StoreError, match=r"prompt 'bye' has no stored version"):
        store.set_prompt_label(label("bye", "production", version().hash))
    with pytest.raises(StoreError, match=r"a label must be a non-empty string"):
        store.set_prompt_label(label("greet", "", version().hash))
    assert store.prompt_labels() == []


def test_variant_statuses_are_per_version_and_model_key(store: Store) -> None:
    v = version()
    store.save_prompt_version(v)

    def status(key: str, value: str, at: float) -> VariantStatus:
        return VariantStatus(name="greet", hash=v.hash, model_key=key, status=value, updated_at=at,  # type: ignore[arg-type]
                             updated_by="ci")

    store.set_variant_status(status("default", "draft", 1.0))
    store.set_variant_status(status("family:gemma", "shadow-passed", 2.0))
    store.set_variant_status(status("default", "canary", 3.0))
    assert store.variant_statuses("greet") == [status("default", "canary", 3.0),
                                               status("family:gemma", "shadow-passed", 2.0)]
    with pytest.raises(StoreError, match=r"unknown variant status 'live'; expected one of draft, shadow-passed, "
                                         r"canary, production"):
        store.set_variant_status(status("default", "live", 4.0))
    with pytest.raises(StoreError, match=r"has no stored version"):
        store.set_variant_status(VariantStatus(name="greet", hash="0" * 64, model_key="default", status="draft",
                                               updated_at=1.0, updated_by="ci"))
    assert [s.status for s in store.variant_statuses("greet")] == ["canary", "shadow-passed"]


def test_prompts_survive_reopening(store_url: str) -> None:
    v = version()
    with open_store(store_url) as first:
        first.save_prompt_version(v)
        first.set_prompt_label(label("greet", "production", v.hash))
    with open_store(store_url) as again:
        assert again.prompt_versions() == [v]
        assert again.prompt_labels() == [label("greet", "production", v.hash)]


def test_a_version_6_store_gains_the_prompt_tables_keeping_its_feedback(store_url: str) -> None:
    from modelswap.store.sql import SQLStore
    from modelswap.types import Feedback

    kept = Feedback(id="f1", request_id="r1", route="bot", arm="a", trial_id="t1", score=1.0, comment=None, at=5.0)
    with open_store(store_url) as first:
        assert isinstance(first, SQLStore)
        with first._transaction("test: back to version 6") as cursor:
            for table in ("embedding_retention", "embedding_alias_audit", "embedding_aliases", "observation_prompts",
                          "prompt_variant_status", "prompt_labels", "prompt_versions"):
                cursor.execute(f"DROP TABLE {table}")
            cursor.execute("DELETE FROM modelswap_schema WHERE version >= 7")
        first.save_feedback([kept])
        assert first.schema_version() == 6
    with open_store(store_url) as upgraded:
        assert upgraded.schema_version() == 9
        assert upgraded.feedback("bot") == [kept]
        assert upgraded.prompt_versions() == []
        assert upgraded.save_prompt_version(version()) is True
