"""docs/formats.md against the code: its examples load, and it names every field the code reads or writes.

A field added to the report, a column added to the store, an ``expect`` key or a policy key the
page does not mention fails here, and so does an example the parsers refuse.
"""

from __future__ import annotations

import io
import re
import sqlite3
from functools import cache
from pathlib import Path
from typing import Any

import orjson
import pytest
from rich.console import Console

from modelswap.backends.sim import SimBackend
from modelswap.cli_compare import load_source, run_compare, with_agreement
from modelswap.compare.gate import Policy, PolicyCheck, load_policy
from modelswap.compare.judge import PairwiseJudge
from modelswap.compare.pairs import parse_pair
from modelswap.report.json import render_json
from modelswap.store import schema
from modelswap.traffic import _EXPECT_TYPES, EXPECT_FORMATS, MESSAGE_ROLES, load_traffic, parse_line, parse_request
from modelswap.types import ChatRequest

DOC = Path(__file__).parents[1] / "docs" / "formats.md"
PAIRS = Path(__file__).parent / "data" / "pairs.jsonl"

# Comparison paths whose children are data (names of labels, checks' values) or are described in the
# row of the path itself; for True, each child key must appear in the section's text.
REPORT_LEAVES = {
    "source": True, "summary.verdicts": True, "summary.categories.<category>.verdicts": True,
    "summary.labels": False, "trials[].within_noise": True, "trials[].findings[].baseline": False,
    "trials[].findings[].candidate": False, "trials[].findings[].details": False, "judge.winners": True,
    "judge.agreement": True,
}
REPORT_MAPS = {"summary.metrics": "<metric>", "summary.categories": "<category>"}


@cache
def section(title: str) -> str:
    """The text of the ``## title`` section of docs/formats.md."""
    text = DOC.read_text(encoding="utf-8")
    match = re.search(rf"^## {re.escape(title)}\n(.*?)(?=^## |\Z)", text, re.MULTILINE | re.DOTALL)
    assert match is not None, f"docs/formats.md has no section {title!r}"
    return match.group(1)


def code_blocks(text: str, language: str) -> list[str]:
    return re.findall(rf"^```{language}\n(.*?)^```", text, re.MULTILINE | re.DOTALL)


def first_cells(text: str) -> set[str]:
    """Every backticked name in the first cell of a table row."""
    cells = re.findall(r"^\| ([^|]+) \|", text, re.MULTILINE)
    return {name for cell in cells for name in re.findall(r"`([^`]+)`", cell)}


def test_traffic_examples_load_and_bad_lines_say_what_the_doc_says(tmp_path: Path,
                                                                   monkeypatch: pytest.MonkeyPatch) -> None:
    text = section("Traffic JSONL")
    good = code_blocks(text, "jsonl")[0].splitlines()
    bad = code_blocks(text, "text")[0].splitlines()
    lines, messages = [b for b in bad if not b.startswith("  ")], [b.strip() for b in bad if b.startswith("  ")]
    (tmp_path / "traffic.jsonl").write_text("\n".join(good + lines) + "\n", encoding="utf-8")
    monkeypatch.chdir(tmp_path)
    traffic = load_traffic("traffic.jsonl")
    assert [r.id for r in traffic.requests] == ["inv-1", "f7bafb70beb27bd6", "batch-7"]
    assert traffic.requests[2].params == {"temperature": 0}
    assert [str(e) for e in traffic.errors] == messages


def test_traffic_names_every_expect_key_role_and_format() -> None:
    text = section("Traffic JSONL")
    named = first_cells(text)
    assert set(_EXPECT_TYPES) <= named
    assert [role for role in MESSAGE_ROLES if f"`{role}`" not in text] == []
    assert [fmt for fmt in EXPECT_FORMATS if f'`"{fmt}"`' not in text] == []


def test_a_stored_request_is_a_traffic_line() -> None:
    request = ChatRequest(id="r1", messages=({"role": "user", "content": "hi"},), params={"seed": 1},
                          category="c", expect={"bullets": 3})
    assert parse_request(orjson.loads(orjson.dumps(request.to_json()))) == request
    assert parse_line(orjson.dumps(request.to_json())) == request


def test_pairs_examples_load() -> None:
    lines = code_blocks(section("Pairs JSONL"), "jsonl")[0].splitlines()
    trials = [parse_pair(line) for line in lines]
    assert [(t.id, t.category, t.replica is not None, len(t.more_candidates)) for t in trials] == [
        ("bu-003", "bullets", True, 0), ("qj-012", "qa-ja", False, 1)]
    assert trials[1].baseline.error == "http 502: bad gateway"


def test_policy_example_loads_and_every_policy_key_is_named(tmp_path: Path) -> None:
    text = section("Gate policy YAML")
    (tmp_path / "policy.yaml").write_text(code_blocks(text, "yaml")[0], encoding="utf-8")
    assert len(load_policy(tmp_path / "policy.yaml").checks) == 7
    named = first_cells(text)
    expected = {k for k in Policy.model_fields if k != "checks"} | {f"checks[].{k}" for k in PolicyCheck.model_fields}
    assert expected - named == set()


def report_paths(value: Any, path: str = "") -> set[str]:
    """Every key path of a report document, lists as ``[]``, keyed maps as their placeholder."""
    if path in REPORT_LEAVES:
        return set()
    if isinstance(value, list):
        return {p for item in value for p in report_paths(item, f"{path}[]")}
    if not isinstance(value, dict):
        return set()
    if path in REPORT_MAPS:  # a keyed map: its entries are described field by field
        return {p for item in value.values() for p in report_paths(item, f"{path}.{REPORT_MAPS[path]}")}
    out = set()
    for key, item in value.items():
        child = f"{path}.{key}" if path else key
        out |= {child} | report_paths(item, child)
    return out


def leaf_keys(value: Any, path: str, parts: list[str]) -> set[str]:
    """The child keys under ``path`` (a dotted path with placeholders) wherever it occurs in ``value``."""
    if not parts:
        items = value if isinstance(value, list) else [value]
        return {k for item in items if isinstance(item, dict) for k in item}
    head, rest = parts[0], parts[1:]
    if head.endswith("[]"):
        items = value.get(head[:-2], []) if isinstance(value, dict) else []
        return {k for item in items for k in leaf_keys(item, path, rest)}
    if head.startswith("<"):
        return {k for item in value.values() for k in leaf_keys(item, path, rest)}
    return leaf_keys(value.get(head), path, rest) if isinstance(value, dict) else set()


@pytest.fixture(scope="module")
def report(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    """The JSON report of ``compare --pairs tests/data/pairs.jsonl --no-semantic --judge`` (a sim judge)."""
    quiet = Console(file=io.StringIO())
    source = load_source(pairs=PAIRS, config=None, run="default", baseline=None, candidate=None, replica="auto",
                         errors=quiet)
    made = run_compare(source, policy=load_policy(), semantic=False, errors=quiet,
                       judge=PairwiseJudge(SimBackend(arm="judge", seed=0)))
    document: dict[str, Any] = orjson.loads(render_json(with_agreement(made, PAIRS)))
    return document


def test_every_report_field_written_is_documented(report: dict[str, Any]) -> None:
    text = section("Report JSON")
    written = report_paths(report)
    assert {"judge.agreement", "noise_floor[].signal", "trials[].findings[].details"} <= written  # all parts ran
    assert written - first_cells(text) == set()
    for leaf, named_here in REPORT_LEAVES.items():
        if named_here:
            keys = leaf_keys(report, leaf, leaf.split("."))
            assert keys, leaf
            assert {k for k in keys if f'"{k}"' not in text and f"`{k}`" not in text} == set(), leaf


def test_every_documented_report_field_is_stable_only_if_the_schema_requires_it() -> None:
    schema_text = (Path(__file__).parents[1] / "src/modelswap/data/report.schema.json").read_text()
    rows = re.findall(r"^\| (`[^|]+`) \| [^|]+ \| (yes|no)[^|]* \|", section("Report JSON"), re.MULTILINE)
    for cell, stable in rows:
        for name in re.findall(r"`([^`]+)`", cell):
            last = name.rsplit(".", 1)[-1].removesuffix("[]")
            assert (stable == "yes") <= (f'"{last}"' in schema_text), name


def test_every_store_table_and_column_is_documented_with_its_type() -> None:
    text = section("The store")
    connection = sqlite3.connect(":memory:")
    for migration in schema.MIGRATIONS:
        for statement in migration.statements:
            connection.execute(statement)
    connection.execute(schema.SCHEMA_TABLE)
    tables = [name for (name,) in connection.execute("SELECT name FROM sqlite_master WHERE type = 'table'")]
    assert sorted(re.findall(r"^### `(\w+)`", text, re.MULTILINE)) == sorted(tables)
    for table in tables:
        part = re.search(rf"^### `{table}`.*?(?=^### |\Z)", text, re.MULTILINE | re.DOTALL)
        assert part is not None
        rows = dict(re.findall(r"^\| `(\w+)` \| ([A-Z ]+) \|", part.group(0), re.MULTILINE))
        for _, column, kind, *_ in connection.execute(f"PRAGMA table_info({table})"):
            assert f"`{column}`" in part.group(0), (table, column)
            if rows:
                assert rows.get(column) == kind, (table, column)
    versions = re.findall(r"^\| (\d+) \|", text, re.MULTILINE)
    assert versions == [str(m.version) for m in schema.MIGRATIONS]
