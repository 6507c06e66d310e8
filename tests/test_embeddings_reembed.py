"""Re-embedding into a new index: the plan skips what is held, the estimate, batches, and the dual writer."""

from __future__ import annotations

import random
from pathlib import Path

import numpy as np
import pytest

from modelswap.compare.embedding import FunctionEmbedder
from modelswap.embeddings.fingerprint import fingerprint_of
from modelswap.embeddings.index import open_index
from modelswap.embeddings.probes import Document
from modelswap.embeddings.reembed import ROW_OVERHEAD, DualWriter, count_tokens, estimate, plan, reembed


def letters(texts: list[str], *, salt: int = 0) -> np.ndarray:
    """A vector per text: counts of its characters' codes modulo 8 (plus one on salt's dimension)."""
    out = np.zeros((len(texts), 8), dtype=np.float32)
    for row, text in enumerate(texts):
        for char in text:
            out[row, (ord(char) + salt) % 8] += 1
        out[row, salt % 8] += 1
    return out


def model(name: str, salt: int) -> FunctionEmbedder:
    return FunctionEmbedder(lambda texts: letters(texts, salt=salt), name=name, batch_size=4)


DOCS = [Document(id=f"d{i}", text=f"document number {i} " + "x" * i) for i in range(10)]


def test_plan_skips_what_the_index_holds_and_a_rerun_embeds_nothing(tmp_path: Path) -> None:
    new = model("new", 1)
    fp = fingerprint_of(new, dimensions=8)
    index = open_index(str(tmp_path), "target", fp)
    index.add(["d1", "d3"], new.embed([DOCS[1].text, DOCS[3].text]), fingerprint=fp)
    todo = plan(DOCS, index)
    assert [doc.id for doc in todo] == ["d0", "d2", "d4", "d5", "d6", "d7", "d8", "d9"]
    batches: list[int] = []
    result = reembed(todo, new, index, fp, batch_size=3, on_batch=batches.append)
    assert (result.written, result.skipped, batches) == (8, 0, [3, 3, 2])
    assert index.ids() == {doc.id for doc in DOCS}
    assert plan(DOCS, index) == []
    np.testing.assert_allclose(index.vectors(["d9"])[0], new.embed([DOCS[9].text])[0], rtol=1e-6)


def test_estimate_from_a_warm_up_batch_whose_vectors_are_written(tmp_path: Path) -> None:
    new = model("new", 1)
    fp = fingerprint_of(new, dimensions=8)
    index = open_index(str(tmp_path), "target", fp)
    warmed = estimate(DOCS, DOCS, new, dimensions=8, warmup=4)
    e = warmed.estimate
    assert (e.documents, e.todo, e.warmup_texts) == (10, 10, 3)  # the first loads the model: 3 are timed
    assert len(warmed.ids) == 4 and warmed.vectors.shape == (4, 8)
    assert e.tokens == sum(len(doc.text) for doc in DOCS) // 4
    assert e.index_bytes == sum(8 * 4 + len(doc.id) + ROW_OVERHEAD for doc in DOCS)
    assert "10 of 10 documents to embed" in e.describe() and "tokens (chars/4)" in e.describe()
    counted = estimate(DOCS, DOCS[:3], new, dimensions=8, warmup=2, counter=len).estimate
    assert (counted.tokens, counted.tokens_by) == (sum(len(doc.text) for doc in DOCS[:3]), "tokenizer")
    encoded = new.encoded
    result = reembed(DOCS, new, index, fp, batch_size=4, warmed=warmed)
    assert result.written == 10 and new.encoded - encoded == 6  # the warm-up's 4 are not embedded again
    with pytest.raises(ValueError, match="not the first of todo"):
        reembed(DOCS[1:], new, index, fp, warmed=warmed)


def test_tokens_by_the_tokenizer_on_a_sample_scaled_by_characters() -> None:
    docs = [Document(id=f"d{i}", text="ab" * (1 + i % 3)) for i in range(30)]  # 2, 4 or 6 characters
    assert count_tokens(docs, None) == (sum(len(doc.text) for doc in docs) // 4, "chars/4")
    assert count_tokens(docs, lambda text: 1) == (30, "tokenizer")  # every document: fewer than the sample
    tokens, how = count_tokens(docs, lambda text: 1, sample=10, seed=3)
    drawn = random.Random(3).sample(docs, 10)
    assert how == "tokenizer on a sample"
    assert tokens == round(10 * sum(len(d.text) for d in docs) / sum(len(d.text) for d in drawn))


def test_a_document_changed_and_one_deleted_during_the_backfill_end_correct_in_both(tmp_path: Path) -> None:
    old_model, new_model = model("old", 0), model("new", 1)
    old_fp, new_fp = fingerprint_of(old_model, dimensions=8), fingerprint_of(new_model, dimensions=8)
    old = open_index(str(tmp_path), "old", old_fp)
    old.add([doc.id for doc in DOCS], old_model.embed([doc.text for doc in DOCS]), fingerprint=old_fp)
    new = open_index(str(tmp_path), "new", new_fp)
    dual = DualWriter(old, old_model, old_fp, new, new_model, new_fp)
    changed = Document(id="d7", text="document seven, rewritten while the backfill ran")
    calls = 0

    def embed_then_change(texts: list[str]) -> np.ndarray:
        nonlocal calls
        calls += 1
        vectors = letters(texts, salt=1)  # the backfill has read d7's old text in this batch...
        if calls == 2:
            dual.upsert([changed])  # ...and the application changes d7 and deletes d6 meanwhile
            dual.delete(["d6"])
        return vectors

    backfill = FunctionEmbedder(embed_then_change, name="new", batch_size=100)
    result = reembed(DOCS, backfill, new, new_fp, batch_size=4, dual=dual)  # d4..d7 is the second batch
    assert (result.written, result.skipped) == (8, 2)
    assert new.ids() == old.ids() == {doc.id for doc in DOCS} - {"d6"}
    np.testing.assert_allclose(new.vectors(["d7"])[0], new_model.embed([changed.text])[0], rtol=1e-6)
    np.testing.assert_allclose(old.vectors(["d7"])[0], old_model.embed([changed.text])[0], rtol=1e-6)
    np.testing.assert_allclose(new.vectors(["d5"])[0], new_model.embed([DOCS[5].text])[0], rtol=1e-6)


@pytest.mark.postgres
def test_resumed_and_dual_written_on_pgvector() -> None:
    from test_embeddings_backends import pg_schema

    old_model, new_model = model("old", 0), model("new", 1)
    old_fp, new_fp = fingerprint_of(old_model, dimensions=8), fingerprint_of(new_model, dimensions=8)
    with pg_schema() as url:
        old, new = open_index(url, "old", old_fp), open_index(url, "new", new_fp)
        try:
            old.add([doc.id for doc in DOCS], old_model.embed([doc.text for doc in DOCS]), fingerprint=old_fp)
            new.add(["d0"], new_model.embed([DOCS[0].text]), fingerprint=new_fp)
            dual = DualWriter(old, old_model, old_fp, new, new_model, new_fp)
            dual.delete(["d9"])
            changed = Document(id="d3", text="document three, changed")
            dual.upsert([changed])
            todo = plan(DOCS, new)
            assert [doc.id for doc in todo] == ["d1", "d2", "d4", "d5", "d6", "d7", "d8", "d9"]  # d9: deleted since
            result = reembed(todo, new_model, new, new_fp, batch_size=3, dual=dual)
            assert (result.written, result.skipped) == (7, 1)
            assert new.ids() == old.ids() == {doc.id for doc in DOCS} - {"d9"}
            ids, scores = new.search(new_model.embed([changed.text]), 1, fingerprint=new_fp)
            assert ids == [["d3"]] and scores[0][0] == pytest.approx(1.0, abs=1e-5)  # the changed text, not the old
        finally:
            old.close()
            new.close()
