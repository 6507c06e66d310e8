"""`modelswap embeddings`: indexes, cutover, rollback, status and gc through typer's CliRunner on SQLite and an
embedded index directory, with the exact lines they print and every refusal as one error line."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import numpy as np
import pytest
from typer.testing import CliRunner, Result

from modelswap import cli_embeddings
from modelswap.cli import app
from modelswap.embeddings.alias import AliasError
from modelswap.embeddings.fingerprint import Fingerprint
from modelswap.embeddings.index import VectorIndexError, open_index

OLD = Fingerprint(model="all-MiniLM-L6-v2", version="1", dimensions=4, normalized=True)
NEW = Fingerprint(model="multilingual-e5-small", version="q4", dimensions=4, normalized=True, query_prefix="query: ")
T0 = 1796151466.0  # 2026-12-01 18:57:46Z
DAY = 86400


@pytest.fixture
def setup(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[tuple[Path, str, list[float]]]:
    config = tmp_path / "m.yaml"
    config.write_text(f"store: sqlite:///{tmp_path / 'm.db'}\narms: {{}}\nroutes: {{}}\n", encoding="utf-8")
    where = str(tmp_path / "indexes")
    for name, fingerprint, rows in (("docs-v1", OLD, 3), ("docs-v2", NEW, 2)):
        index = open_index(where, name, fingerprint)
        index.add([f"d{i}" for i in range(rows)], np.eye(4, dtype=np.float32)[:rows], fingerprint=fingerprint)
    clock = [T0]
    monkeypatch.setattr(cli_embeddings, "_now", lambda: clock[0])
    yield config, where, clock


def invoke(setup: tuple[Path, str, list[float]], *args: str, indexes: bool = True) -> Result:
    config, where, _ = setup
    extra = ["-c", str(config)] + (["--indexes", where] if indexes else [])
    return CliRunner().invoke(app, ["embeddings", *args, *extra])


def test_cutover_rollback_status_and_indexes(setup: tuple[Path, str, list[float]]) -> None:
    first = invoke(setup, "cutover", "docs", "docs-v1", "--by", "ana")
    assert (first.exit_code, first.output) == (0, "docs -> docs-v1 (version 1)\n")
    setup[2][0] = T0 + 60
    second = invoke(setup, "cutover", "docs", "docs-v2", "--retain", "2d", "--by", "ana")
    assert (second.exit_code, second.output) == \
        (0, "docs -> docs-v2 (version 2); docs-v1 kept until 2026-12-03 18:58:46Z\n")
    listing = invoke(setup, "indexes")
    lines = listing.output.splitlines()
    assert listing.exit_code == 0 and len(lines) == 2
    assert lines[0].startswith("docs-v1  embedded  3 rows  ")
    assert lines[0].endswith(f"{OLD.describe()}  retained until 2026-12-03 18:58:46Z")
    assert lines[1].startswith("docs-v2  embedded  2 rows  ") and lines[1].endswith(f"{NEW.describe()}  serves docs")
    setup[2][0] = T0 + 120
    back = invoke(setup, "rollback", "docs", "--by", "bo", indexes=False)
    assert (back.exit_code, back.output) == \
        (0, "docs -> docs-v1 (version 3, rolled back); docs-v2 kept until 2026-12-03 18:59:46Z\n")
    status = invoke(setup, "status", "docs", indexes=False)
    assert (status.exit_code, status.output) == (0, "\n".join([
        "docs serves docs-v1 (version 3, since 2026-12-01 18:59:46Z by bo)",
        "rollback: to docs-v2, kept until 2026-12-03 18:59:46Z",
        "  v3  2026-12-01 18:59:46Z  rollback  docs-v2 -> docs-v1  by bo",
        "  v2  2026-12-01 18:58:46Z  cutover  docs-v1 -> docs-v2  by ana",
        "  v1  2026-12-01 18:57:46Z  cutover  - -> docs-v1  by ana"]) + "\n")


def test_gc_drops_an_index_once_its_retention_is_over(setup: tuple[Path, str, list[float]]) -> None:
    invoke(setup, "cutover", "docs", "docs-v1")
    invoke(setup, "cutover", "docs", "docs-v2", "--retain", "1h")
    assert invoke(setup, "gc").output == "dropped: nothing\n"
    setup[2][0] = T0 + 3601
    assert invoke(setup, "gc", "--dry-run").output == "would drop: docs-v1\n"
    assert invoke(setup, "gc").output == "dropped: docs-v1\n"
    assert [line.split()[0] for line in invoke(setup, "indexes").output.splitlines()] == ["docs-v2"]
    refused = invoke(setup, "rollback", "docs", indexes=False)
    assert isinstance(refused.exception, AliasError)
    assert str(refused.exception) == "alias 'docs': the previous index 'docs-v1' is no longer retained (collected)"


def test_refusals_name_what_is_wrong(setup: tuple[Path, str, list[float]]) -> None:
    missing = invoke(setup, "cutover", "docs", "docs-v9")
    assert isinstance(missing.exception, VectorIndexError)
    assert str(missing.exception).endswith("indexes/docs-v9/manifest.json: no index 'docs-v9' here "
                                          "(a fingerprint is needed to create one)")
    bad = invoke(setup, "cutover", "docs", "docs-v1", "--retain", "a week")
    assert bad.exit_code == 2 and "--retain='a week': expected a number and one of s, m, h, d, w" in bad.output
    unknown = invoke(setup, "status", "nope", indexes=False)
    assert str(unknown.exception) == "alias 'nope': no such alias (modelswap embeddings cutover nope INDEX)"
