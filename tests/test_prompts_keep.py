"""prompts try --keep's file edits: a variant set in place with the comments kept, replaced when present, a flow-style
file written out whole (and said so), a kept template's variant, and a new prompt file for a traffic category."""

from __future__ import annotations

from pathlib import Path

from modelswap.prompts.keep import category_prompt, kept_variant, set_variant
from modelswap.prompts.registry import load_prompt, render
from modelswap.prompts.templates import TEMPLATES, Shot
from modelswap.types import ChatRequest

EXAMPLE = Path(__file__).resolve().parents[1] / "examples" / "prompts" / "classify-ticket.yaml"
VARIANT = {"messages": [{"role": "user", "content": "Ticket: {{ticket}}\nLabel:"}], "params": {"stop": ["\n"]}}


def test_set_variant_adds_a_key_and_keeps_every_other_line() -> None:
    text = EXAMPLE.read_text(encoding="utf-8")
    edited = set_variant(text, "gemma3-270m", VARIANT)
    assert edited.comments_kept
    added = ("  gemma3-270m:\n    messages:\n    - role: user\n      content: |-\n        Ticket: {{ticket}}\n"
             "        Label:\n    params:\n      stop:\n      - \"\\n\"\n")
    assert edited.text == text.replace("variants:\n", "variants:\n" + added)
    assert set(edited.prompt.variants) == {"default", "family:gemma", "gemma3-270m"}


def test_set_variant_replaces_an_existing_key_in_place() -> None:
    text = EXAMPLE.read_text(encoding="utf-8")
    edited = set_variant(text, "family:gemma", VARIANT)
    assert edited.prompt.variants["family:gemma"].messages[0].content == "Ticket: {{ticket}}\nLabel:"
    assert edited.text.startswith("# A support ticket classifier")
    assert edited.text.count("family:gemma:") == 1
    assert "cases:\n  - name: double charge" in edited.text
    assert edited.prompt.cases == load_prompt(EXAMPLE).cases


def test_a_flow_style_variants_mapping_is_written_out_whole_without_comments() -> None:
    text = ("# comment\nname: p\npurpose: x\nvariables: [t]\n"
            "variants: {default: {messages: [{role: user, content: '{{t}}'}]}}\n")
    edited = set_variant(text, "m", VARIANT | {"messages": [{"role": "user", "content": "T: {{t}}"}]})
    assert not edited.comments_kept
    assert "# comment" not in edited.text
    assert set(edited.prompt.variants) == {"default", "m"}


def test_kept_variant_applies_the_template_around_the_placeholders_and_escapes_examples() -> None:
    messages = [{"role": "system", "content": "Classify."}, {"role": "user", "content": "{{ticket}}"}]
    data = kept_variant(TEMPLATES["completion"], messages, [Shot(input="a {{x}} b", output="bug")], {"max_tokens": 5})
    assert data == {"messages": [{"role": "user", "content": "Classify.\n\nInput: a \\{{x}} b\nOutput: bug\n\n"
                                                             "Input: {{ticket}}\nOutput:"}],
                    "params": {"max_tokens": 5, "stop": ["\nInput:"]}}


def request(n: int, instructions: str = "Classify.") -> ChatRequest:
    return ChatRequest(id=f"c{n}", category="classify", params={"max_tokens": 4, "seed": n},
                       messages=({"role": "user", "content": f"{instructions}\n\nReview: {n} {{{{odd}}}}"},),
                       expect={"format": "label", "labels": ["a", "b"], "label": "a"})


def test_category_prompt_makes_the_input_a_variable_and_every_request_a_case() -> None:
    requests = [request(1), request(2)]
    variant = kept_variant(TEMPLATES["xml"], [{"role": "user", "content": "Classify.\n\n{{input}}"}], [])
    edited = category_prompt("classify", requests, "gemma3-270m", variant, source="run 'demo'")
    prompt = edited.prompt
    assert edited.text.startswith("# Written by modelswap prompts try --keep from run 'demo'.\n")
    assert (prompt.name, list(prompt.variables), prompt.params) == ("classify", ["input"], {"max_tokens": 4})
    assert [c.variables for c in prompt.cases] == [{"input": "Review: 1 {{odd}}"}, {"input": "Review: 2 {{odd}}"}]
    default = render(prompt.variants["default"], prompt.cases[0].variables)
    assert default == [{"role": "user", "content": "Classify.\n\nReview: 1 {{odd}}"}]
    kept = render(prompt.variants["gemma3-270m"], prompt.cases[1].variables)
    assert kept == [{"role": "user", "content": "<instructions>\nClassify.\n</instructions>\n<input>\n"
                                                 "Review: 2 {{odd}}\n</input>"}]


def test_category_prompt_with_different_instructions_makes_them_a_variable_too() -> None:
    requests = [request(1, "Classify."), request(2, "Label it.")]
    edited = category_prompt("classify", requests, "m", {"messages": [{"role": "user", "content": "{{input}}"}]},
                             source="run 'r'")
    assert list(edited.prompt.variables) == ["instructions", "input"]
    assert edited.prompt.cases[1].variables == {"instructions": "Label it.", "input": "Review: 2 {{odd}}"}
