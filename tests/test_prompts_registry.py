"""The prompt file: loading and its errors, the content hash, variant resolution and rendering."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from modelswap.errors import ConfigError, PromptError
from modelswap.prompts.registry import content_hash, load_prompt, parse_prompt, render, variant_for

EXAMPLE = Path(__file__).resolve().parents[1] / "examples" / "prompts" / "classify-ticket.yaml"

BASIC = """\
name: summarize
purpose: Summarise a text in a few bullets.
variables:
  text: the text
  bullets: null
params: {temperature: 0.2, max_tokens: 200}
variants:
  default:
    messages:
      - {role: system, content: "Summarise in {{bullets}} bullets."}
      - {role: user, content: "{{ text }}"}
  family:gemma:
    messages:
      - {role: user, content: "Text: {{text}}\\nBullets ({{bullets}}):"}
    params: {temperature: 0}
  gpt-4o-mini:
    messages:
      - {role: user, content: "{{text}}"}
"""


def test_the_example_loads() -> None:
    prompt = load_prompt(EXAMPLE)
    assert prompt.name == "classify-ticket"
    assert sorted(prompt.variants) == ["default", "family:gemma"]
    assert prompt.expect["labels"] == ["billing", "bug", "account", "feature", "other"]
    assert [case.expect["label"] for case in prompt.cases] == ["billing", "bug"]


def test_fields_are_read() -> None:
    prompt = parse_prompt(BASIC)
    assert prompt.variables == {"text": "the text", "bullets": None}
    assert prompt.params_for(prompt.variants["family:gemma"]) == {"temperature": 0, "max_tokens": 200}
    assert prompt.params_for(prompt.variants["default"]) == {"temperature": 0.2, "max_tokens": 200}


def test_a_variant_may_say_why_it_exists_and_it_is_part_of_the_version() -> None:
    reason = "    why: a base model needs the answer slot, not an instruction\n"
    why = BASIC.replace("    params: {temperature: 0}\n", "    params: {temperature: 0}\n" + reason)
    prompt = parse_prompt(why)
    assert prompt.variants["family:gemma"].why == "a base model needs the answer slot, not an instruction"
    assert prompt.variants["default"].why is None
    assert content_hash(prompt) != content_hash(parse_prompt(BASIC))
    with pytest.raises(ConfigError, match=r"variants\.family:gemma\.why"):
        parse_prompt(BASIC.replace("    params: {temperature: 0}\n", "    params: {temperature: 0}\n    why: ''\n"))


def test_the_hash_ignores_key_order_whitespace_comments_and_spelled_out_defaults() -> None:
    reordered = """\
# the same prompt, written differently
variants:
  gpt-4o-mini:
    messages: [{content: "{{text}}", role: user}]
  family:gemma:
    params: {temperature: 0}
    messages:
      - content: "Text: {{text}}\\nBullets ({{bullets}}):"
        role: user
  default:
    params: {}
    messages:
      - {content: "Summarise in {{bullets}} bullets.", role: system}
      - {content: "{{ text }}", role: user}
params:   {max_tokens: 200,   temperature: 0.2}
cases: []
variables: {bullets: null, text: the text}
purpose: Summarise a text in a few bullets.
name: summarize
"""
    assert content_hash(parse_prompt(reordered)) == content_hash(parse_prompt(BASIC))
    assert len(content_hash(parse_prompt(BASIC))) == 64


def test_the_hash_changes_with_any_content() -> None:
    base = content_hash(parse_prompt(BASIC))
    assert content_hash(parse_prompt(BASIC.replace("temperature: 0}", "temperature: 0.1}"))) != base
    assert content_hash(parse_prompt(BASIC.replace("a few bullets", "few bullets"))) != base
    # message order is content
    swapped = BASIC.replace('{role: system, content: "Summarise in {{bullets}} bullets."}', "TMP").replace(
        '{role: user, content: "{{ text }}"}', '{role: system, content: "Summarise in {{bullets}} bullets."}'
    ).replace("TMP", '{role: user, content: "{{ text }}"}')
    assert content_hash(parse_prompt(swapped)) != base


def test_resolution_is_exact_model_then_family_then_default() -> None:
    prompt = parse_prompt(BASIC)
    assert variant_for(prompt, "gpt-4o-mini", "gpt-4o")[0] == "gpt-4o-mini"
    assert variant_for(prompt, "gemma-3-270m", "gemma")[0] == "family:gemma"
    assert variant_for(prompt, "gemma-3-270m", None)[0] == "default"
    assert variant_for(prompt, "llama-3", "llama")[0] == "default"
    key, variant = variant_for(prompt, "gpt-4o-mini", "gemma")
    assert key == "gpt-4o-mini" and variant is prompt.variants["gpt-4o-mini"]


def test_no_variant_is_an_error_naming_what_was_tried() -> None:
    prompt = parse_prompt(BASIC.replace("  default:", "  family:qwen:"))
    with pytest.raises(PromptError) as caught:
        variant_for(prompt, "llama-3", "llama")
    assert str(caught.value) == ("prompt 'summarize' has no variant for model 'llama-3' (tried llama-3, "
                                 "family:llama, default; it has family:gemma, family:qwen, gpt-4o-mini)")


def test_render_replaces_placeholders_once() -> None:
    prompt = parse_prompt(BASIC)
    messages = render(prompt.variants["default"], {"text": "a {{bullets}} b {x}", "bullets": "3"})
    assert messages == [{"role": "system", "content": "Summarise in 3 bullets."},
                        {"role": "user", "content": "a {{bullets}} b {x}"}]


def test_render_escapes_with_a_backslash() -> None:
    prompt = parse_prompt(BASIC.replace('content: "{{ text }}"', 'content: "\\\\{{text}} is {{text}}"'))
    assert render(prompt.variants["default"], {"text": "t", "bullets": "2"})[1] == {
        "role": "user", "content": "{{text}} is t"}


def test_render_names_missing_and_unknown_variables() -> None:
    prompt = parse_prompt(BASIC)
    with pytest.raises(PromptError, match=r"^cannot render: missing variable\(s\) bullets; "
                                          r"unknown variable\(s\) bulets, txt$"):
        render(prompt.variants["default"], {"text": "t", "bulets": "3", "txt": "x"})
    # a declared variable this variant does not use is accepted when the prompt's names are given
    assert render(prompt.variants["gpt-4o-mini"], {"text": "t", "bullets": "3"}, declared=prompt.variables) == [
        {"role": "user", "content": "t"}]
    with pytest.raises(PromptError, match=r"unknown variable\(s\) bullets$"):
        render(prompt.variants["gpt-4o-mini"], {"text": "t", "bullets": "3"})


@pytest.mark.parametrize(("text", "message"), [
    (BASIC.replace("purpose:", "purpos:"), "<prompt>: purpose: required key is missing"),
    (BASIC.replace("params: {temperature: 0.2", "parameters: {temperature: 0.2"),
     "<prompt>:6: parameters: unknown key"),
    (BASIC.replace("{role: user, content: \"{{ text }}\"}", "{role: robot, content: hi}"),
     "<prompt>:11: variants.default.messages.1.role: Input should be 'system', 'developer', 'user' or 'assistant'"
     " (got 'robot')"),
    (BASIC.replace("Summarise in {{bullets}}", "Summarise in {{count}}"),
     "<prompt>:10: variants.default.messages.0.content: undeclared variable(s) count; declare them under variables"),
    (BASIC.replace("params: {temperature: 0}", "params: {model: x}"),
     "<prompt>:15: variants.family:gemma.params: 'model' is not a parameter: the arm names the model "
     "and the variant the messages"),
    (BASIC + "expect: {bulets: 3}\n", "<prompt>:19: expect.bulets: unknown key; expected one of format, schema, "
     "fields, labels, label, language, bullets, max_tokens, lines, answer"),
    (BASIC + "cases:\n  - variables: {text: t}\n    expect: {bullets: 3}\n",
     "<prompt>:20: cases.0.variables: missing variable(s) bullets"),
    (BASIC + "cases:\n  - variables: {text: t, bullets: '3'}\n    expect: {label: c, labels: [a]}\n",
     "<prompt>:21: cases.0.expect.label: gold label 'c' is not in labels"),
    ("- a\n", "<prompt>:1: the top level must be a mapping (name, purpose, variants...)"),
    ("name: [\n", "<prompt>:2: invalid YAML: expected the node content, but found '<stream end>'"),
])
def test_errors_name_the_file_line_and_key(text: str, message: str) -> None:
    with pytest.raises(ConfigError) as caught:
        parse_prompt(text)
    assert str(caught.value) == message


def test_the_name_must_be_the_file_name(tmp_path: Path) -> None:
    path = tmp_path / "other.yaml"
    path.write_text(BASIC, encoding="utf-8")
    with pytest.raises(ConfigError, match=r"other\.yaml:1: name: 'summarize' must be the file's name without "
                                          r"\.yaml \('other'\)$"):
        load_prompt(path)
    with pytest.raises(ConfigError, match=r"missing\.yaml: file not found$"):
        load_prompt(tmp_path / "missing.yaml")


def test_docs_prompts_md_names_every_field_and_its_example_loads() -> None:
    from modelswap.prompts.registry import Case, Prompt, Variant

    text = (Path(__file__).resolve().parents[1] / "docs" / "prompts.md").read_text(encoding="utf-8")
    documented = set(re.findall(r"^\| `([\w.]+)` \|", text, re.MULTILINE))
    fields = set(Prompt.model_fields) | {f"variants.KEY.{name}" for name in Variant.model_fields}
    assert fields - documented == set()
    assert set(Case.model_fields) == {"name", "variables", "expect"}  # the cases row names all three
    block = re.search(r"```yaml\n(.*?)```", text, re.DOTALL)
    assert block is not None
    prompt = parse_prompt(block.group(1))
    assert variant_for(prompt, "gemma-3-270m", "gemma")[0] == "family:gemma"
    assert "## The gateway applies prompts" in text and "does **not** apply prompts" not in text
