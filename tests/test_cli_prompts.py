"""`modelswap prompts`: push, list, show and label through typer's CliRunner on SQLite, the exact lines they
print, what they leave in the store, and every refusal as one error naming what is wrong."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from typer.testing import CliRunner, Result

from modelswap import cli_prompts
from modelswap.cli import app
from modelswap.errors import ConfigError, PromptError
from modelswap.prompts.registry import content_hash, load_prompt
from modelswap.store import open_store

EXAMPLE = Path(__file__).resolve().parents[1] / "examples" / "prompts" / "classify-ticket.yaml"
T0 = 1796151466.0


@pytest.fixture
def config(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    path = tmp_path / "m.yaml"
    path.write_text(f"store: sqlite:///{tmp_path / 'm.db'}\narms: {{}}\nroutes: {{}}\n", encoding="utf-8")
    ticks = [T0]

    def now() -> float:
        ticks[0] += 1
        return ticks[0]

    monkeypatch.setattr(cli_prompts, "_now", now)
    yield path


def invoke(*args: str) -> Result:
    return CliRunner().invoke(app, ["prompts", *args])


def edited(tmp_path: Path, old: str, new: str) -> Path:
    path = tmp_path / "v2" / "classify-ticket.yaml"
    path.parent.mkdir(exist_ok=True)
    path.write_text(EXAMPLE.read_text(encoding="utf-8").replace(old, new), encoding="utf-8")
    return path


def test_push_stores_a_version_once_and_prints_its_hash(config: Path) -> None:
    digest = content_hash(load_prompt(EXAMPLE))
    first = invoke("push", str(EXAMPLE), "-c", str(config), "--by", "alice")
    assert (first.exit_code, first.output) == (0, f"classify-ticket {digest} stored\n")
    again = invoke("push", str(EXAMPLE), "-c", str(config), "--by", "bob")
    assert (again.exit_code, again.output) == (0, f"classify-ticket {digest} already stored\n")
    with open_store(f"sqlite:///{config.parent / 'm.db'}") as store:
        [stored] = store.prompt_versions("classify-ticket")
    assert (stored.hash, stored.created_by, stored.created_at) == (digest, "alice", T0 + 1)


def test_push_writes_nothing_when_one_file_is_bad(config: Path, tmp_path: Path) -> None:
    bad = tmp_path / "bad.yaml"
    bad.write_text("name: bad\npurpose: x\nvariants: {}\n", encoding="utf-8")
    result = invoke("push", str(EXAMPLE), str(bad), "-c", str(config))
    assert isinstance(result.exception, ConfigError)
    assert str(result.exception) == f"{bad}:3: variants: Dictionary should have at least 1 item after validation, " \
                                    "not 0"
    assert invoke("list", "-c", str(config)).output == "no prompts stored (modelswap prompts push prompts/*.yaml)\n"


def test_list_show_and_a_label_moved_back(config: Path, tmp_path: Path) -> None:
    one = content_hash(load_prompt(EXAMPLE))
    newer = edited(tmp_path, "Reply with exactly one word", "Answer with one word only")
    two = content_hash(load_prompt(newer))
    assert invoke("push", str(EXAMPLE), "-c", str(config)).exit_code == 0
    assert invoke("push", str(newer), "-c", str(config)).exit_code == 0

    assert invoke("label", "classify-ticket", "production", one[:10], "-c", str(config)).output == \
        f"classify-ticket: production -> {one[:12]} (new label)\n"
    assert invoke("label", "classify-ticket", "production", two, "-c", str(config)).output == \
        f"classify-ticket: production -> {two[:12]} (was {one[:12]})\n"
    assert invoke("list", "-c", str(config)).output == \
        f"classify-ticket  2 versions  newest {two[:12]}  production={two[:12]}\n"
    # the rollback: the label back on the first version
    assert invoke("label", "classify-ticket", "production", one, "-c", str(config)).output == \
        f"classify-ticket: production -> {one[:12]} (was {two[:12]})\n"

    shown = invoke("show", "classify-ticket", "--label", "production", "--model", "gpt-4o-mini",
                   "--var", "ticket=I was billed twice", "-c", str(config))
    assert shown.exit_code == 0, shown.output
    assert shown.output.splitlines()[:5] == [
        f"classify-ticket {one} (pushed by {cli_prompts._actor()})",
        "purpose: Route a customer support ticket to the right queue by its topic.",
        "variants: default, family:gemma",
        "variant for gpt-4o-mini: default",
        'params: {"max_tokens":5,"temperature":0}',
    ]
    assert "Reply with exactly one word" in shown.output and shown.output.endswith("[user]\nI was billed twice\n")

    newest = invoke("show", "classify-ticket", "--model", "gemma-3-270m", "--family", "gemma", "-c", str(config))
    assert newest.output.splitlines()[0].startswith(f"classify-ticket {two} ")
    assert "variant for gemma-3-270m: family:gemma\n" in newest.output
    assert 'params: {"max_tokens":5,"stop":["\\n"],"temperature":0}\n' in newest.output
    assert newest.output.endswith("Ticket: {{ticket}}\nLabel:\n")  # no --var: the template as it is


@pytest.mark.parametrize(("args", "message"), [
    (("show", "nothing"), "prompt 'nothing' has no stored version (modelswap prompts push prompts/nothing.yaml)"),
    (("show", "classify-ticket", "--label", "staging"),
     "prompt 'classify-ticket' has no label 'staging' (it has none)"),
    (("show", "classify-ticket", "--version", "ffff"), "prompt 'classify-ticket' has no version ffff "
                                                      "(modelswap prompts push prompts/classify-ticket.yaml)"),
    (("show", "classify-ticket", "--label", "a", "--version", "b"), "give --label or --version, not both"),
    (("show", "classify-ticket", "--model", "m", "--var", "ticket"), "--var 'ticket': expected NAME=VALUE"),
    (("show", "classify-ticket", "--model", "m", "--var", "tiket=x"),
     "cannot render: missing variable(s) ticket; unknown variable(s) tiket"),
    (("label", "classify-ticket", "production", ""), "prompt 'classify-ticket': '' is not a hash or a prefix of one "
                                                     "(hex digits)"),
    (("show", "classify-ticket", "--version", "6F2E"), "prompt 'classify-ticket': '6F2E' is not a hash or a prefix "
                                                      "of one (hex digits)"),
    (("label", "classify-ticket", "production", "ffff"), "prompt 'classify-ticket' has no version ffff "
                                                         "(modelswap prompts push prompts/classify-ticket.yaml)"),
])
def test_refusals_name_what_is_wrong(config: Path, args: tuple[str, ...], message: str) -> None:
    assert invoke("push", str(EXAMPLE), "-c", str(config)).exit_code == 0
    result = invoke(*args, "-c", str(config))
    assert isinstance(result.exception, PromptError)
    assert str(result.exception) == message


def test_a_prefix_naming_two_versions_is_refused(config: Path, tmp_path: Path) -> None:
    pushed: dict[str, str] = {}
    for i in range(40):  # versions until two share their first hex digit (deterministic: the hashes are)
        path = edited(tmp_path, "by its topic.", f"by its topic ({i}).")
        digest = content_hash(load_prompt(path))
        assert invoke("push", str(path), "-c", str(config)).exit_code == 0
        if digest[0] in pushed:
            break
        pushed[digest[0]] = digest
    result = invoke("label", "classify-ticket", "production", digest[0], "-c", str(config))
    assert isinstance(result.exception, PromptError)
    assert str(result.exception) == f"prompt 'classify-ticket': {digest[0]} names 2 versions; give more of the hash"
    done = invoke("label", "classify-ticket", "production", digest[:12], "-c", str(config))
    assert done.output == f"classify-ticket: production -> {digest[:12]} (new label)\n"
