"""`modelswap prompts try` and `prompts matrix` on simulator arms and SQLite: every variant stored under its own
run and ranked per category, a rerun that records nothing, --keep writing the prompt file (or a new one per traffic
category), pushing it and setting its status from the gate, and the matrix's cells and history."""

from __future__ import annotations

import shutil
from pathlib import Path

import orjson
import pytest
from typer.testing import CliRunner, Result

from modelswap.cli import app
from modelswap.errors import ModelswapError
from modelswap.prompts.matrix import build_matrix
from modelswap.prompts.registry import content_hash, load_prompt
from modelswap.report.prompt_matrix import cell_text
from modelswap.store import open_store
from modelswap.traffic import load_traffic
from modelswap.types import ChatRequest, Observation, ObservationKey, Role, StoredObservation

ROOT = Path(__file__).resolve().parents[1]
EXAMPLE = ROOT / "examples" / "prompts" / "classify-ticket.yaml"
TRAFFIC = ROOT / "src" / "modelswap" / "data" / "demo_traffic.jsonl"
CONFIG = """\
store: sqlite:///{db}
arms:
  sim-a: {{backend: sim, seed: 1, quirks: {{latency: {{median_ms: 0}}}}}}
  sim-b: {{backend: sim, seed: 2, quirks: {{json_fence_rate: 0.5, wrong_label_rate: 0.3, latency: {{median_ms: 0}}}}}}
routes:
  bot: {{primary: sim-a, candidates: [sim-b]}}
"""
TEMPLATES = ("--template", "as-is", "--template", "completion", "--template", "xml")


def invoke(*args: str) -> Result:
    result = CliRunner().invoke(app, list(args))
    assert result.exit_code == 0, result.output
    return result


@pytest.fixture
def config(tmp_path: Path) -> Path:
    path = tmp_path / "m.yaml"
    path.write_text(CONFIG.format(db=tmp_path / "m.db"), encoding="utf-8")
    return path


def store_url(config: Path) -> str:
    return f"sqlite:///{config.parent / 'm.db'}"


def recorded(config: Path) -> None:
    invoke("record", "-c", str(config), "-t", str(TRAFFIC), "-a", "sim-a", "--run", "r", "--repeat", "2")
    invoke("record", "-c", str(config), "-t", str(TRAFFIC), "-a", "sim-b", "--run", "r")


def try_run(config: Path, *extra: str) -> dict:  # type: ignore[type-arg]
    out = config.parent / "try.json"
    invoke("prompts", "try", "-c", str(config), "--run", "r", "--category", "classify", "--category",
           "extract-json", "--no-semantic", *TEMPLATES, "--json", str(out), *extra)
    data: dict = orjson.loads(out.read_bytes())  # type: ignore[type-arg]
    return data


def test_try_stores_each_variant_under_its_run_ranks_per_category_and_resumes(config: Path) -> None:
    recorded(config)
    first = try_run(config)
    assert (first["schema"], first["primary"], first["candidate"]) == ("modelswap.prompts-try/v1", "sim-a", "sim-b")
    assert sorted(first["categories"]) == ["classify", "extract-json"]
    for rows in first["categories"].values():
        assert sorted(r["variant"] for r in rows) == ["as-is", "completion-3shot", "xml"]
        rates = [r["regression_rate"] for r in rows]
        assert rates == sorted(rates)
        assert all(r["noise"] == 0.0 and r["gate"] in ("go", "no_go", "inconclusive") for r in rows)
    with open_store(store_url(config)) as store:
        runs = set(store.runs())
        counts = {c.run: c.observations for c in store.counts()}
        shaped = {r.id: r for r in store.requests("r~try~completion-3shot")}
    assert runs == {"r", "r~try~as-is", "r~try~completion-3shot", "r~try~xml"}
    assert counts["r~try~xml"] == 22
    assert shaped["classify-01"].messages[0]["content"].endswith(
        "Input: Classify this review. Answer with exactly one label from: positive, negative, neutral.\n\n"
        "Review: The battery lasts two full days and the screen is gorgeous. Best phone I've owned.\nLabel:\nOutput:")
    assert "classify-01" not in shaped["classify-01"].messages[0]["content"].split("Output:")[0]
    again = try_run(config)
    with open_store(store_url(config)) as store:
        assert {c.run: c.observations for c in store.counts()} == counts
    assert again == first


def test_try_keep_on_traffic_writes_a_prompt_file_per_category_and_pushes_it(config: Path, tmp_path: Path) -> None:
    recorded(config)
    result = try_run(config, "--keep", "--prompts-dir", str(tmp_path / "prompts"))
    for category in ("classify", "extract-json"):
        prompt = load_prompt(tmp_path / "prompts" / f"{category}.yaml")
        best = result["categories"][category][0]
        assert set(prompt.variants) == {"default", "sim"}
        assert len(prompt.cases) == {"classify": 12, "extract-json": 10}[category]
        with open_store(store_url(config)) as store:
            [version] = store.prompt_versions(category)
            [status] = store.variant_statuses(category)
        assert version.hash == content_hash(prompt)
        assert (status.model_key, status.status) == ("sim", "shadow-passed" if best["gate"] == "go" else "draft")


def test_try_on_a_prompt_files_cases_records_the_primary_and_keeps_the_winner_as_a_family_variant(
        config: Path, tmp_path: Path) -> None:
    file = tmp_path / "classify-ticket.yaml"
    shutil.copy(EXAMPLE, file)
    out = tmp_path / "try.md"
    result = invoke("prompts", "try", str(file), "-c", str(config), "--no-semantic", *TEMPLATES, "--keep",
                    "--family", "sim", "--markdown", str(out))
    with open_store(store_url(config)) as store:
        counts = {(c.run, c.arm, c.sample): c.observations for c in store.counts()}
    assert counts[("prompt~classify-ticket", "sim-a", 0)] == counts[("prompt~classify-ticket", "sim-a", 1)] == 2
    assert counts[("prompt~classify-ticket~try~file-family-gemma", "sim-b", 0)] == 2
    markdown = out.read_text(encoding="utf-8")
    assert "| classify-ticket | 1 |" in markdown and "file-default" in markdown and "file-family-gemma" in markdown
    kept = load_prompt(file)
    assert set(kept.variants) == {"default", "family:gemma", "family:sim"}
    assert file.read_text(encoding="utf-8").startswith("# A support ticket classifier")
    assert "kept " in result.output and "as variant 'family:sim'" in result.output
    why = kept.variants["family:sim"].why or ""
    assert why.startswith("prompts try on run prompt~classify-ticket: ") and "of 2 classify-ticket requests" in why
    history = tmp_path / "history.md"
    invoke("prompts", "matrix", "-c", str(config), "--markdown", str(history), "--no-semantic")
    assert f"| family:sim: {why} |" in history.read_text(encoding="utf-8")  # the history says why


def put(store_url_: str, run: str, requests: list[ChatRequest], arm: str, outputs: list[str],
        role: Role = "candidate") -> None:
    with open_store(store_url_) as store:
        store.save_requests(run, requests)
        store.save_observations([StoredObservation(key=ObservationKey(run=run, trial_id=r.id, arm=arm, sample=0),
                                                   role=role,
                                                   observation=Observation(arm=arm, model=arm, output=o,
                                                                           finish_reason="stop"))
                                 for r, o in zip(requests, outputs, strict=True)])


def test_matrix_cells_count_the_answers_meeting_their_contract(config: Path, tmp_path: Path) -> None:
    classify = [r for r in load_traffic(TRAFFIC).requests if r.category == "classify"][:4]
    gold = [r.expect["label"] for r in classify]
    put(store_url(config), "t", classify, "a", gold, role="primary")
    put(store_url(config), "t", classify, "b", [gold[0], "nonsense", gold[2], "nonsense"])
    put(store_url(config), "t~try~v", classify, "b", [*gold[:3], "nonsense"])
    refusal = [r for r in load_traffic(TRAFFIC).requests if r.category == "refusal"][:2]
    put(store_url(config), "t", refusal, "a", ["no", "no"], role="primary")
    with open_store(store_url(config)) as store:
        matrix = build_matrix(store, runs=["t"], semantic=False)
    assert matrix.rows == (("classify", "recorded"), ("classify", "v"), ("refusal", "recorded"))
    assert matrix.arms == ("a", "b")
    cells = {key: (cell.status, cell.passed, cell.checked, cell.versus, cell.compared, cell.regressions)
             for key, cell in matrix.cells.items()}
    assert cells == {("classify", "recorded", "a"): ("pass", 4, 4, None, 0, 0),
                     ("classify", "recorded", "b"): ("fail", 2, 4, "a", 4, 2),
                     ("classify", "v", "b"): ("partial", 3, 4, "a", 4, 1),
                     ("refusal", "recorded", "a"): ("unchecked", 0, 0, None, 0, 0)}
    assert cell_text(matrix.cells[("classify", "v", "b")]) == "partial 3/4 vs a, contract 3/4"
    assert cell_text(matrix.cells[("classify", "recorded", "a")]) == "pass contract 4/4"
    worst = matrix.cells[("classify", "recorded", "b")].worst
    assert [(e.trial_id, e.output) for e in worst] == [(classify[1].id, "nonsense"), (classify[3].id, "nonsense")]


def test_matrix_renders_markdown_html_and_the_history(config: Path, tmp_path: Path) -> None:
    classify = [r for r in load_traffic(TRAFFIC).requests if r.category == "classify"][:2]
    put(store_url(config), "t", classify, "a", ["nonsense", "nonsense"])
    invoke("prompts", "push", str(EXAMPLE), "-c", str(config), "--by", "alice")
    md, html = tmp_path / "m.md", tmp_path / "m.html"
    result = invoke("prompts", "matrix", "-c", str(config), "--markdown", str(md), "--html", str(html),
                    "--no-semantic")
    text = md.read_text(encoding="utf-8")
    assert "| classify | recorded | fail contract 0/2 |" in text
    digest = content_hash(load_prompt(EXAMPLE))[:12]
    assert f"| classify-ticket | `{digest}` |" in text
    assert "| alice | default, family:gemma | default, family:gemma |" in text
    assert text.count("| - |\n") >= 1  # no variant of the example says why
    page = html.read_text(encoding="utf-8")
    assert "fail contract 0/2" in page and "http://" not in page and "https://" not in page and "<script" not in page
    assert "fail contract 0/2" in result.output


def test_a_variant_run_holding_other_prompts_is_refused_and_a_tag_tries_afresh(config: Path) -> None:
    recorded(config)
    try_run(config)
    with open_store(store_url(config)) as store:
        [old] = [r for r in store.requests("r~try~xml") if r.id == "classify-01"]
    edited = config.parent / "m.db"
    with open_store(f"sqlite:///{edited}") as store:  # the primary's answer changes: completion's examples change
        store.save_observations([StoredObservation(
            key=ObservationKey(run="r", trial_id="classify-02", arm="sim-a", sample=0), role="primary",
            observation=Observation(arm="sim-a", model="sim", output="neutral", finish_reason="stop"))])
    result = CliRunner().invoke(app, ["prompts", "try", "-c", str(config), "--run", "r", "--category", "classify",
                                      "--no-semantic", *TEMPLATES])
    assert isinstance(result.exception, ModelswapError)
    assert str(result.exception).startswith("run 'r~try~completion-3shot' holds other prompts for 3 request(s) "
                                            "(first: classify-01)")
    tagged = try_run(config, "--tag", "v2")
    assert sorted(r["variant"] for r in tagged["categories"]["classify"]) == [
        "as-is@v2", "completion-3shot@v2", "xml@v2"]
    assert old.messages[0]["content"].startswith("<input>\nClassify this review.")  # xml has no examples
