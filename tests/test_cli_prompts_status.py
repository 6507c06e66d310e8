"""`modelswap prompts status`: a variant's status set by variant key or by model id (resolved to the variant
it gets), on the newest version or a named one, with the actor and time stored, the line printed, and the
refusals of an unknown status, model without a variant and version."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from typer.testing import CliRunner, Result

from modelswap import cli_prompts
from modelswap.cli import app
from modelswap.errors import PromptError
from modelswap.prompts.registry import content_hash, load_prompt
from modelswap.store import open_store
from modelswap.store.prompts import VariantStatus

EXAMPLE = Path(__file__).resolve().parents[1] / "examples" / "prompts" / "classify-ticket.yaml"
T0 = 1796151466.0


@pytest.fixture
def config(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    path = tmp_path / "m.yaml"
    path.write_text(f"store: sqlite:///{tmp_path / 'm.db'}\narms: {{}}\nroutes: {{}}\n", encoding="utf-8")
    monkeypatch.setattr(cli_prompts, "_now", lambda: T0)
    assert invoke("push", str(EXAMPLE), "-c", str(path)).exit_code == 0
    yield path


def invoke(*args: str) -> Result:
    return CliRunner().invoke(app, ["prompts", *args])


def statuses(config: Path) -> list[VariantStatus]:
    with open_store(f"sqlite:///{config.parent / 'm.db'}") as store:
        return store.variant_statuses("classify-ticket")


def test_a_status_is_set_by_variant_key_then_moved_by_model_id(config: Path, tmp_path: Path) -> None:
    digest = content_hash(load_prompt(EXAMPLE))
    first = invoke("status", "classify-ticket", "family:gemma", "shadow-passed", "-c", str(config), "--by", "ann")
    assert (first.exit_code, first.output) == (0, f"classify-ticket@{digest[:12]} family:gemma: no status -> "
                                                  "shadow-passed\n")
    # gemma3-270m has no variant of its own: its family's is the one it gets
    moved = invoke("status", "classify-ticket", "gemma3-270m", "canary", "--family", "gemma",
                   "--version", digest[:8], "-c", str(config), "--by", "bob")
    assert (moved.exit_code, moved.output) == (0, f"classify-ticket@{digest[:12]} family:gemma: shadow-passed -> "
                                                  "canary\n")
    other = invoke("status", "classify-ticket", "gpt-4o-mini", "production", "-c", str(config), "--by", "cy")
    assert other.output == f"classify-ticket@{digest[:12]} default: no status -> production\n"
    assert statuses(config) == [
        VariantStatus(name="classify-ticket", hash=digest, model_key="default", status="production", updated_at=T0,
                      updated_by="cy"),
        VariantStatus(name="classify-ticket", hash=digest, model_key="family:gemma", status="canary",
                      updated_at=T0, updated_by="bob")]


@pytest.mark.parametrize(("args", "message"), [
    (("gpt-4o-mini", "live"), "unknown status 'live'; expected one of draft, shadow-passed, canary, production"),
    (("gpt-4o-mini", "draft", "--version", "ffff"),
     "prompt 'classify-ticket' has no version ffff (modelswap prompts push prompts/classify-ticket.yaml)"),
])
def test_refusals_name_what_is_wrong(config: Path, args: tuple[str, ...], message: str) -> None:
    result = invoke("status", "classify-ticket", *args, "-c", str(config))
    assert isinstance(result.exception, PromptError)
    assert str(result.exception) == message
    assert statuses(config) == []
