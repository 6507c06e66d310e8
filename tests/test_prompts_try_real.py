"""prompts try and prompts matrix on the real local models (``-m slow``): on the demo's classify and extract-json
requests, Gemma 3 270M (a base model) given SmolLM2's chat prompts regresses and the gate says no_go; a few-shot
completion prompt built from SmolLM2's own answers to the other requests lowers its regression rate in both
categories, and the matrix shows the chat prompt's cell failing and the variant's doing better."""

from __future__ import annotations

from pathlib import Path

import orjson
import pytest
from typer.testing import CliRunner

from modelswap.cli import app
from modelswap.compare.gate import default_policy_path
from modelswap.demo import demo_traffic_path
from modelswap.prompts.matrix import build_matrix
from modelswap.store import open_store
from weights import require_weights

CONFIG = """\
store: sqlite:///{db}
arms:
  smol:  {{backend: local, model: smollm2-135m, n_threads: 1}}
  gemma: {{backend: local, model: gemma3-270m, n_threads: 1, completion_template: "Question: {{prompt}}\\nAnswer:",
          params: {{stop: ["\\nQuestion:", "Question:"]}}}}
routes:
  demo-bot: {{primary: smol, candidates: [gemma]}}
"""
MAX_TOKENS = {"classify": 8, "extract-json": 40}
MARGIN = 0.25
"""How much lower the variant's regression rate must be over both categories (measured: see docs/prompts.md)."""
RANK = {"fail": 0, "partial": 1, "pass": 2}


def traffic(path: Path) -> Path:
    """The demo's classify and extract-json requests, with fewer tokens to generate (the answers are short)."""
    lines = []
    for line in demo_traffic_path().read_bytes().splitlines():
        request = orjson.loads(line)
        if request["category"] in MAX_TOKENS:
            request["params"]["max_tokens"] = MAX_TOKENS[request["category"]]
            lines.append(orjson.dumps(request))
    path.write_bytes(b"\n".join(lines) + b"\n")
    return path


def policy(path: Path) -> Path:
    """The shipped policy, deciding from 20 trials (the two categories have 22; the shipped minimum is 30)."""
    path.write_text(default_policy_path().read_text(encoding="utf-8").replace("min_trials: 30", "min_trials: 20"),
                    encoding="utf-8")
    return path


def invoke(*args: str) -> str:
    result = CliRunner().invoke(app, list(args))
    assert result.exit_code == 0, result.output
    return result.output


@pytest.mark.slow
def test_a_few_shot_completion_prompt_lowers_gemmas_regression_rate(tmp_path: Path) -> None:
    require_weights("smollm2-135m", "gemma3-270m")
    config = tmp_path / "m.yaml"
    config.write_text(CONFIG.format(db=tmp_path / "m.db"), encoding="utf-8")
    invoke("record", "-c", str(config), "-t", str(traffic(tmp_path / "t.jsonl")), "-a", "smol", "--run", "sub",
           "--repeat", "2", "--concurrency", "1")
    out = tmp_path / "try.json"
    invoke("prompts", "try", "-c", str(config), "--run", "sub", "--no-semantic", "--template", "as-is",
           "--template", "completion", "--policy", str(policy(tmp_path / "policy.yaml")), "--json", str(out))
    ranked = orjson.loads(out.read_bytes())["categories"]
    rows = {category: {row["variant"]: row for row in found} for category, found in ranked.items()}
    chat = {category: rows[category]["as-is"] for category in MAX_TOKENS}
    variant = {category: rows[category]["completion-3shot"] for category in MAX_TOKENS}
    print({c: (chat[c]["regression_rate"], variant[c]["regression_rate"]) for c in MAX_TOKENS})
    assert {row["gate"] for row in chat.values()} == {"no_go"}
    for category in MAX_TOKENS:
        assert variant[category]["regression_rate"] < chat[category]["regression_rate"], (chat, variant)
        assert ranked[category][0]["variant"] == "completion-3shot"

    def regressions(found: dict[str, dict]) -> float:  # type: ignore[type-arg]
        trials = sum(r["trials"] for r in found.values())
        return sum(r["verdicts"].get("regression", 0) for r in found.values()) / trials

    assert regressions(variant) <= regressions(chat) - MARGIN, (chat, variant)
    with open_store(f"sqlite:///{tmp_path / 'm.db'}") as store:
        matrix = build_matrix(store, runs=["sub"], semantic=False)
    cells = {category: (matrix.cell(category, "as-is", "gemma"), matrix.cell(category, "completion-3shot", "gemma"))
             for category in MAX_TOKENS}
    print({c: (a.status if a else None, v.status if v else None) for c, (a, v) in cells.items()})
    chat_cell, variant_cell = cells["classify"]
    assert chat_cell is not None and chat_cell.status == "fail", chat_cell
    assert variant_cell is not None and variant_cell.status in ("pass", "partial"), variant_cell
    for chat_cell, variant_cell in cells.values():
        assert chat_cell is not None and variant_cell is not None
        assert RANK[variant_cell.status] >= RANK[chat_cell.status], (chat_cell, variant_cell)
