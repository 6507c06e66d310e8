"""The variant templates: how a request splits into instructions and input, and each template's exact output."""

from __future__ import annotations

import pytest

from modelswap.errors import PromptError
from modelswap.prompts.templates import TEMPLATES, Shot, apply, split, template

CHAT = ({"role": "system", "content": "Be terse."}, {"role": "user", "content": "Classify.\n\nReview: good"})
SHOTS = (Shot(input="Review: bad", output="negative"), Shot(input="Review: fine", output="neutral"))


def test_split_takes_the_system_text_and_the_first_paragraph_as_instructions() -> None:
    parts = split(CHAT)
    assert (parts.instructions, parts.input) == ("Be terse.\n\nClassify.", "Review: good")


def test_split_a_user_message_without_a_blank_line_is_all_input() -> None:
    parts = split([{"role": "user", "content": "List 3 fruits."}])
    assert (parts.instructions, parts.input) == ("", "List 3 fruits.")


def test_split_a_second_paragraph_stays_in_the_input() -> None:
    parts = split([{"role": "user", "content": "Summarize:\n\nOne.\n\nTwo."}])
    assert (parts.instructions, parts.input) == ("Summarize:", "One.\n\nTwo.")


def test_as_is_keeps_the_messages() -> None:
    shaped = apply(TEMPLATES["as-is"], CHAT, SHOTS)
    assert (shaped.messages, shaped.stop, shaped.raw) == (CHAT, (), False)


def test_system_in_user_folds_the_system_text_into_the_first_user_turn() -> None:
    shaped = apply(TEMPLATES["system-in-user"], CHAT)
    assert shaped.messages == ({"role": "user", "content": "Be terse.\n\nClassify.\n\nReview: good"},)


def test_xml_and_markdown_delimit_instructions_and_input() -> None:
    assert apply(TEMPLATES["xml"], CHAT).messages == (
        {"role": "user", "content": "<instructions>\nBe terse.\n\nClassify.\n</instructions>\n"
                                    "<input>\nReview: good\n</input>"},)
    assert apply(TEMPLATES["markdown"], CHAT).messages == (
        {"role": "user", "content": "## Instructions\n\nBe terse.\n\nClassify.\n\n## Input\n\nReview: good"},)


def test_xml_without_instructions_has_only_the_input() -> None:
    shaped = apply(TEMPLATES["xml"], [{"role": "user", "content": "List 3 fruits."}])
    assert shaped.messages == ({"role": "user", "content": "<input>\nList 3 fruits.\n</input>"},)


def test_few_shot_puts_each_example_as_a_user_and_assistant_turn() -> None:
    shaped = apply(TEMPLATES["few-shot"], CHAT, SHOTS)
    assert shaped.messages == (
        {"role": "system", "content": "Be terse.\n\nClassify."},
        {"role": "user", "content": "Review: bad"}, {"role": "assistant", "content": "negative"},
        {"role": "user", "content": "Review: fine"}, {"role": "assistant", "content": "neutral"},
        {"role": "user", "content": "Review: good"})
    assert (shaped.stop, shaped.raw) == ((), False)


def test_completion_ends_in_the_open_output_slot_and_stops_at_the_next_input() -> None:
    shaped = apply(TEMPLATES["completion"], CHAT, SHOTS)
    assert shaped.messages == ({"role": "user", "content": "Be terse.\n\nClassify.\n\n"
                                "Input: Review: bad\nOutput: negative\n\nInput: Review: fine\nOutput: neutral\n\n"
                                "Input: Review: good\nOutput:"},)
    assert (shaped.stop, shaped.raw) == (("\nInput:",), True)


def test_completion_qa_uses_q_and_a_blocks() -> None:
    shaped = apply(TEMPLATES["completion-qa"], [{"role": "user", "content": "Capital of France?"}], SHOTS[:1])
    assert shaped.messages == ({"role": "user", "content": "Q: Review: bad\nA: negative\n\nQ: Capital of France?\nA:"},)
    assert shaped.stop == ("\nQ:",)


def test_a_template_without_examples_ignores_the_shots_given() -> None:
    assert apply(TEMPLATES["markdown"], CHAT, SHOTS) == apply(TEMPLATES["markdown"], CHAT)


def test_an_unknown_template_names_the_known_ones() -> None:
    with pytest.raises(PromptError, match="unknown template 'json'; expected one of as-is, system-in-user"):
        template("json")
